/* Template engine: compiling field lists into decoding plans and decoding records,
 * for every field encoding NetFlow v9 and IPFIX use, and every template that must be
 * refused. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "check_main.h"
#include "template.h"

#define N(a) ((uint16_t)(sizeof(a) / sizeof((a)[0])))

static struct ft_template t;
static struct ft_rec r;
static uint8_t rec[70000];

static void teardown(void)
{
	ft_tpl_done(&t);
}

static int compile(const struct ft_tpl_field *f, uint16_t n)
{
	ft_tpl_done(&t);
	return ft_tpl_compile(&t, 256, f, n, 0, false);
}

static int compile_options(const struct ft_tpl_field *f, uint16_t n, uint16_t scope)
{
	ft_tpl_done(&t);
	return ft_tpl_compile(&t, 300, f, n, scope, true);
}

/* Big-endian value of p[0..n). */
static uint64_t be(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

START_TEST(unsigned_reduced_sizes_1_to_8)
{
	/* RFC 7011 §6.2: an unsigned element may be sent in fewer bytes than its type. */
	static const struct { uint16_t id; enum ft_slot slot; } el[] = {
		{ 1, SL_BYTES }, { 2, SL_PACKETS }, { 23, SL_POST_BYTES }, { 24, SL_POST_PACKETS },
		{ 85, SL_TOTAL_BYTES }, { 86, SL_TOTAL_PACKETS }, { 231, SL_INIT_BYTES },
		{ 232, SL_RESP_BYTES }, { 298, SL_INIT_PACKETS }, { 299, SL_RESP_PACKETS },
		{ 10, SL_IN_IF }, { 14, SL_OUT_IF }, { 16, SL_SRC_AS }, { 17, SL_DST_AS },
	};
	static const uint8_t bytes[8] = { 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88 };
	for (size_t e = 0; e < sizeof(el) / sizeof(el[0]); e++) {
		for (uint16_t len = 1; len <= 8; len++) {
			struct ft_tpl_field f = { el[e].id, len, 0 };
			ck_assert_int_eq(compile(&f, 1), 0);
			ck_assert_uint_eq(t.min_len, len);
			ck_assert_uint_eq(ft_tpl_decode(&t, bytes, sizeof(bytes), &r), len);
			ck_assert(ft_rec_has(&r, el[e].slot));
			ck_assert_uint_eq(ft_rec_val(&r, el[e].slot), be(bytes, len));
		}
	}
}
END_TEST

START_TEST(eight_byte_counter_all_ones)
{
	struct ft_tpl_field f[] = { { 1, 8, 0 }, { 2, 8, 0 } };
	memset(rec, 0xff, 16);
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, rec, 16, &r), 16);
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), UINT64_MAX);
	ck_assert_uint_eq(ft_rec_val(&r, SL_PACKETS), UINT64_MAX);
}
END_TEST

START_TEST(ipv4_fields_land_in_their_slots)
{
	struct ft_tpl_field f[] = {
		{ 8, 4, 0 }, { 12, 4, 0 }, { 15, 4, 0 }, { 18, 4, 0 }, { 7, 2, 0 }, { 11, 2, 0 },
		{ 4, 1, 0 }, { 5, 1, 0 }, { 6, 1, 0 }, { 9, 1, 0 }, { 13, 1, 0 }, { 58, 2, 0 },
		{ 243, 2, 0 }, { 61, 1, 0 }, { 195, 1, 0 },
	};
	uint8_t *p = rec;
	for (int i = 0; i < 16; i++)
		*p++ = (uint8_t)(10 + i);          /* four addresses */
	*p++ = 0x04, *p++ = 0x00;              /* sport 1024 */
	*p++ = 0x01, *p++ = 0xbb;              /* dport 443 */
	*p++ = 6, *p++ = 0xb8, *p++ = 0x12, *p++ = 24, *p++ = 16;
	*p++ = 0x00, *p++ = 0x64;              /* vlan 100 */
	*p++ = 0x0f, *p++ = 0xff;              /* dot1q 4095 */
	*p++ = 1, *p++ = 46;
	size_t len = (size_t)(p - rec);
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(t.min_len, len);
	ck_assert(!t.varlen);
	ck_assert_uint_eq(ft_tpl_decode(&t, rec, len, &r), len);
	ck_assert_ptr_eq(r.addr[AS_SRC4], rec);
	ck_assert_ptr_eq(r.addr[AS_DST4], rec + 4);
	ck_assert_ptr_eq(r.addr[AS_NH4], rec + 8);
	ck_assert_ptr_eq(r.addr[AS_BGP4], rec + 12);
	ck_assert_ptr_null(r.addr[AS_SRC6]);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SPORT), 1024);
	ck_assert_uint_eq(ft_rec_val(&r, SL_DPORT), 443);
	ck_assert_uint_eq(ft_rec_val(&r, SL_PROTO), 6);
	ck_assert_uint_eq(ft_rec_val(&r, SL_TOS), 0xb8);
	ck_assert_uint_eq(ft_rec_val(&r, SL_TCP_FLAGS), 0x12);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SRC_MASK), 24);
	ck_assert_uint_eq(ft_rec_val(&r, SL_DST_MASK), 16);
	ck_assert_uint_eq(ft_rec_val(&r, SL_VLAN), 100);
	ck_assert_uint_eq(ft_rec_val(&r, SL_DOT1Q_VLAN), 4095);
	ck_assert_uint_eq(ft_rec_val(&r, SL_DIRECTION), 1);
	ck_assert_uint_eq(ft_rec_val(&r, SL_DSCP), 46);
	ck_assert(!ft_rec_has(&r, SL_BYTES));
}
END_TEST

START_TEST(ipv6_fields_land_in_their_slots)
{
	struct ft_tpl_field f[] = { { 27, 16, 0 }, { 28, 16, 0 }, { 62, 16, 0 }, { 63, 16, 0 },
	                            { 29, 1, 0 }, { 30, 1, 0 } };
	for (int i = 0; i < 64; i++)
		rec[i] = (uint8_t)i;
	rec[64] = 48, rec[65] = 64;
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, rec, 66, &r), 66);
	ck_assert_ptr_eq(r.addr[AS_SRC6], rec);
	ck_assert_ptr_eq(r.addr[AS_DST6], rec + 16);
	ck_assert_ptr_eq(r.addr[AS_NH6], rec + 32);
	ck_assert_ptr_eq(r.addr[AS_BGP6], rec + 48);
	ck_assert_ptr_null(r.addr[AS_SRC4]);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SRC_MASK6), 48);
	ck_assert_uint_eq(ft_rec_val(&r, SL_DST_MASK6), 64);
}
END_TEST

START_TEST(address_of_wrong_length_is_refused)
{
	static const struct ft_tpl_field bad[] = {
		{ 8, 16, 0 }, { 12, 3, 0 }, { 15, 8, 0 }, { 18, 2, 0 }, { 8, 5, 0 },
		{ 27, 4, 0 }, { 28, 15, 0 }, { 62, 17, 0 }, { 63, 8, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ft_tpl_field f[] = { { 1, 4, 0 }, bad[i] };
		ck_assert_int_eq(compile(f, 2), -FT_TPL_FIELD_LENGTH);
		ck_assert_ptr_null(t.ops);
	}
}
END_TEST

START_TEST(zero_length_fields_are_skipped)
{
	/* A field of length 0 holds nothing (exporters pad templates with type 0, length 0
	 * entries): the template is kept, the other fields read where they are. */
	static const struct ft_tpl_field empty[] = {
		{ 0, 0, 0 }, { 1, 0, 0 }, { 8, 0, 0 }, { 999, 0, 0 }, { 5, 0, 9 }, { 1, 0, FT_PEN_REVERSE },
	};
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		struct ft_tpl_field f[] = { { 2, 4, 0 }, empty[i], { 1, 4, 0 } };
		ck_assert_int_eq(compile(f, 3), 0);
		ck_assert_uint_eq(t.min_len, 8);
		ck_assert_uint_eq(t.empty_fields, 1);
		ft_tpl_done(&t);
	}
	/* nothing but empty fields: a record of nothing, refused */
	struct ft_tpl_field none[] = { { 0, 0, 0 }, { 0, 0, 0 } };
	ck_assert_int_eq(compile(none, 2), -FT_TPL_EMPTY);
}
END_TEST

START_TEST(overlong_numeric_is_refused)
{
	/* No unsigned element is wider than 8 bytes (RFC 7011 §6.2 only ever shortens). */
	static const uint16_t ids[] = { 1, 2, 4, 7, 10, 22, 34, 152, 160 };
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct ft_tpl_field f = { ids[i], 9, 0 };
		ck_assert_int_eq(compile(&f, 1), -FT_TPL_FIELD_LENGTH);
	}
	struct ft_tpl_field rev = { 1, 9, FT_PEN_REVERSE };
	ck_assert_int_eq(compile(&rev, 1), -FT_TPL_FIELD_LENGTH);
	/* Elements flowtally does not read may be any length. */
	struct ft_tpl_field unknown[] = { { 999, 9, 0 }, { 1, 9, 9 }, { 1, 4, 0 } };
	ck_assert_int_eq(compile(unknown, N(unknown)), 0);
	ck_assert_uint_eq(t.min_len, 22);
}
END_TEST

START_TEST(enterprise_and_unknown_elements_are_skipped)
{
	/* Enterprise 9 element 1 is not octetDeltaCount; element 999 is unassigned. */
	struct ft_tpl_field f[] = { { 1, 4, 9 }, { 999, 3, 0 }, { 1, 2, 0 }, { 2, 4, 1234 },
	                            { 2, 1, 0 }, { 8, 4, 9 }, { 12, 4, 0 } };
	static const uint8_t in[] = { 0xaa, 0xaa, 0xaa, 0xaa, 0xbb, 0xbb, 0xbb, 0x01, 0x02,
	                              0xcc, 0xcc, 0xcc, 0xcc, 0x07, 1, 1, 1, 1, 192, 0, 2, 9 };
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(t.min_len, sizeof(in));
	ck_assert_uint_eq(ft_tpl_decode(&t, in, sizeof(in), &r), sizeof(in));
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), 0x0102);
	ck_assert_uint_eq(ft_rec_val(&r, SL_PACKETS), 7);
	ck_assert_ptr_null(r.addr[AS_SRC4]);
	ck_assert_ptr_eq(r.addr[AS_DST4], in + 18);
	ck_assert_uint_eq(r.present, (1ull << SL_BYTES) | (1ull << SL_PACKETS));
}
END_TEST

START_TEST(reverse_elements_pen_29305)
{
	/* RFC 5103 §6.1: reverse octet/packet counts are elements 1 and 2 of PEN 29305. */
	struct ft_tpl_field f[] = { { 1, 8, FT_PEN_REVERSE }, { 2, 4, FT_PEN_REVERSE },
	                            { 1, 4, 0 }, { 2, 2, 0 }, { 8, 4, FT_PEN_REVERSE },
	                            { 4, 1, FT_PEN_REVERSE } };
	static const uint8_t in[] = { 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
	                              0, 5, 10, 0, 0, 1, 17 };
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, in, sizeof(in), &r), sizeof(in));
	ck_assert_uint_eq(ft_rec_val(&r, SL_REV_BYTES), 0x100000002ull);
	ck_assert_uint_eq(ft_rec_val(&r, SL_REV_PACKETS), 3);
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), 4);
	ck_assert_uint_eq(ft_rec_val(&r, SL_PACKETS), 5);
	ck_assert_ptr_null(r.addr[AS_SRC4]);       /* reverse source address: skipped */
	ck_assert(!ft_rec_has(&r, SL_PROTO));
}
END_TEST

START_TEST(variable_length_one_byte_form)
{
	/* RFC 7011 §7: a length byte below 255 precedes the value. */
	struct ft_tpl_field f[] = { { 82, FT_VARLEN, 0 }, { 83, FT_VARLEN, 0 }, { 1, 4, 0 } };
	static const uint8_t in[] = { 5, 'e', 't', 'h', '0', '1', 0, 0, 0, 1, 0,
	                              254, 0xee };
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert(t.varlen);
	ck_assert_uint_eq(t.min_len, 6);
	ck_assert_uint_eq(ft_tpl_decode(&t, in, sizeof(in), &r), 11);
	ck_assert_ptr_eq(r.str[SS_IF_NAME], in + 1);
	ck_assert_uint_eq(r.str_len[SS_IF_NAME], 5);
	ck_assert_ptr_nonnull(r.str[SS_IF_DESC]);
	ck_assert_uint_eq(r.str_len[SS_IF_DESC], 0);
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), 256);
	/* 254 is still the one-byte form: a 254-byte value that is not there */
	ck_assert_uint_eq(ft_tpl_decode(&t, in + 11, 2, &r), 0);
}
END_TEST

START_TEST(variable_length_three_byte_form)
{
	/* RFC 7011 §7: 255, then a 16-bit length; allowed for short values too. */
	struct ft_tpl_field f[] = { { 999, FT_VARLEN, 0 }, { 82, FT_VARLEN, 0 }, { 2, 2, 0 } };
	uint8_t *p = rec;
	*p++ = 255, *p++ = 0x01, *p++ = 0x2c;          /* 300 bytes of something */
	memset(p, 'x', 300);
	p += 300;
	*p++ = 255, *p++ = 0, *p++ = 3, *p++ = 'G', *p++ = 'i', *p++ = '0';
	*p++ = 0, *p++ = 9;
	size_t len = (size_t)(p - rec);
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, rec, len + 40, &r), len);
	ck_assert_ptr_eq(r.str[SS_IF_NAME], rec + 306);
	ck_assert_uint_eq(r.str_len[SS_IF_NAME], 3);
	ck_assert_uint_eq(ft_rec_val(&r, SL_PACKETS), 9);
	/* a 65535-byte value: the largest the 3-byte form can say */
	rec[0] = 255, rec[1] = 0xff, rec[2] = 0xff;
	memset(rec + 3, 'y', 65535);
	rec[65538] = 0;
	rec[65539] = 0, rec[65540] = 1;
	ck_assert_uint_eq(ft_tpl_decode(&t, rec, 65541, &r), 65541);
	ck_assert_uint_eq(r.str_len[SS_IF_NAME], 0);
	ck_assert_uint_eq(ft_rec_val(&r, SL_PACKETS), 1);
}
END_TEST

START_TEST(variable_length_past_the_end_is_refused)
{
	struct ft_tpl_field f[] = { { 1, 2, 0 }, { 82, FT_VARLEN, 0 } };
	static const uint8_t one[] = { 0, 1, 10, 'a', 'b', 'c' };
	static const uint8_t three[] = { 0, 1, 255, 0x01, 0x00, 'a' };
	static const uint8_t cut[] = { 0, 1, 255, 0x01 };
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, one, sizeof(one), &r), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, three, sizeof(three), &r), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, cut, sizeof(cut), &r), 0);   /* length cut short */
	ck_assert_uint_eq(ft_tpl_decode(&t, one, 2, &r), 0);             /* no length at all */
	ck_assert_uint_eq(ft_tpl_decode(&t, one, 1, &r), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, one, 0, &r), 0);
	static const uint8_t fits[] = { 0, 1, 3, 'a', 'b', 'c' };
	ck_assert_uint_eq(ft_tpl_decode(&t, fits, sizeof(fits), &r), 6);
}
END_TEST

START_TEST(variable_length_numeric_is_skipped)
{
	/* A counter sent variable-length has no defined reading: skipped by its length. */
	struct ft_tpl_field f[] = { { 1, FT_VARLEN, 0 }, { 2, 1, 0 } };
	static const uint8_t in[] = { 2, 0xaa, 0xbb, 5 };
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, in, sizeof(in), &r), 4);
	ck_assert(!ft_rec_has(&r, SL_BYTES));
	ck_assert_uint_eq(ft_rec_val(&r, SL_PACKETS), 5);
}
END_TEST

START_TEST(fixed_record_shorter_than_template)
{
	struct ft_tpl_field f[] = { { 8, 4, 0 }, { 1, 4, 0 } };
	ck_assert_int_eq(compile(f, N(f)), 0);
	for (size_t avail = 0; avail < 8; avail++)
		ck_assert_uint_eq(ft_tpl_decode(&t, rec, avail, &r), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, rec, 8, &r), 8);
	ck_assert_uint_eq(ft_tpl_decode(&t, rec, 13, &r), 8);
}
END_TEST

START_TEST(consecutive_records_and_stale_slots)
{
	struct ft_tpl_field a[] = { { 1, 2, 0 }, { 8, 4, 0 } };
	struct ft_tpl_field b[] = { { 2, 2, 0 } };
	static const uint8_t in[] = { 0, 1, 10, 0, 0, 1, 0, 2, 10, 0, 0, 2 };
	ck_assert_int_eq(compile(a, N(a)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, in, sizeof(in), &r), 6);
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), 1);
	ck_assert_uint_eq(ft_tpl_decode(&t, in + 6, 6, &r), 6);
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), 2);
	ck_assert_ptr_eq(r.addr[AS_SRC4], in + 8);
	/* the next template has neither: nothing carries over */
	ck_assert_int_eq(compile(b, N(b)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, in, 2, &r), 2);
	ck_assert(!ft_rec_has(&r, SL_BYTES));
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), 0);
	ck_assert_ptr_null(r.addr[AS_SRC4]);
	ck_assert_uint_eq(ft_rec_val(&r, SL_PACKETS), 1);
}
END_TEST

START_TEST(fixed_length_strings)
{
	/* NetFlow v9 IF_NAME (82) is a fixed-length field, NUL-padded. */
	struct ft_tpl_field f[] = { { 10, 4, 0 }, { 82, 16, 0 }, { 83, 8, 0 } };
	memset(rec, 0, 28);
	rec[3] = 7;
	memcpy(rec + 4, "Gi0/0/1", 7);
	memcpy(rec + 20, "uplink!!", 8);
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, rec, 28, &r), 28);
	ck_assert_uint_eq(ft_rec_val(&r, SL_IN_IF), 7);
	ck_assert_ptr_eq(r.str[SS_IF_NAME], rec + 4);
	ck_assert_uint_eq(r.str_len[SS_IF_NAME], 16);
	ck_assert_ptr_eq(r.str[SS_IF_DESC], rec + 20);
	ck_assert_uint_eq(r.str_len[SS_IF_DESC], 8);
}
END_TEST

/* A template that repeats an element: the last occurrence wins, whatever the widths
 * (fixed-length templates decode by width group, not in template order), and a
 * variable-length template says the same. */
START_TEST(repeated_element_last_one_wins)
{
	struct ft_tpl_field f[] = { { 1, 8, 0 }, { 8, 4, 0 }, { 1, 2, 0 }, { 8, 4, 0 }, { 2, 1, 0 } };
	struct ft_tpl_field g[] = { { 1, 8, 0 }, { 8, 4, 0 }, { 1, 2, 0 }, { 8, 4, 0 }, { 2, 1, 0 },
	                            { 82, FT_VARLEN, 0 } };
	static const uint8_t in[] = { 0, 0, 0, 0, 0, 0, 0x12, 0x34, 10, 0, 0, 1, 0x00, 0x07,
	                              10, 0, 0, 2, 9, 0 };
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, in, 19, &r), 19);
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), 7);
	ck_assert_ptr_eq(r.addr[AS_SRC4], in + 14);
	ck_assert_uint_eq(ft_rec_val(&r, SL_PACKETS), 9);
	ck_assert_int_eq(compile(g, N(g)), 0);
	ck_assert(t.varlen);
	ck_assert_uint_eq(ft_tpl_decode(&t, in, 20, &r), 20);
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), 7);
	ck_assert_ptr_eq(r.addr[AS_SRC4], in + 14);
	ck_assert_uint_eq(ft_rec_val(&r, SL_PACKETS), 9);
}
END_TEST

START_TEST(empty_template_is_refused)
{
	struct ft_tpl_field f = { 1, 4, 0 };
	ck_assert_int_eq(compile(&f, 0), -FT_TPL_EMPTY);
	ck_assert_int_eq(compile_options(&f, 0, 0), -FT_TPL_EMPTY);
}
END_TEST

START_TEST(options_scope_checks)
{
	struct ft_tpl_field f[] = { { 149, 4, 0 }, { 34, 4, 0 } };
	ck_assert_int_eq(compile_options(f, 2, 0), -FT_TPL_SCOPE);
	ck_assert_int_eq(compile_options(f, 2, 3), -FT_TPL_SCOPE);
	ck_assert_int_eq(compile_options(f, 1, 2), -FT_TPL_SCOPE);
	ck_assert_int_eq(compile_options(f, 2, 2), 0);       /* all scope: allowed */
	ck_assert_int_eq(compile_options(f, 2, 1), 0);
	ck_assert(t.options);
	ck_assert_uint_eq(t.scope_fields, 1);
	ck_assert_uint_eq(t.id, 300);
	static const uint8_t in[] = { 0, 0, 0, 5, 0, 0, 0, 100 };
	ck_assert_uint_eq(ft_tpl_decode(&t, in, sizeof(in), &r), 8);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SCOPE_SYSTEM), 5);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SAMPLING_INTERVAL), 100);
	/* a data template has no scope to check */
	ck_assert_int_eq(compile(f, 2), 0);
	ck_assert(!t.options);
}
END_TEST

START_TEST(v9_scope_types)
{
	/* RFC 3954 §6.1 scope types 1..5, entered as FT_V9_SCOPE_BASE + type; others skipped. */
	struct ft_tpl_field f[] = {
		{ FT_V9_SCOPE_BASE + 1, 4, 0 }, { FT_V9_SCOPE_BASE + 2, 4, 0 },
		{ FT_V9_SCOPE_BASE + 3, 2, 0 }, { FT_V9_SCOPE_BASE + 4, 1, 0 },
		{ FT_V9_SCOPE_BASE + 5, 2, 0 }, { FT_V9_SCOPE_BASE + 9, 4, 0 }, { 34, 2, 0 },
	};
	static const uint8_t in[] = { 0, 0, 0, 1, 0, 0, 0, 2, 0, 3, 4, 0, 5,
	                              0xff, 0xff, 0xff, 0xff, 0, 64 };
	ck_assert_int_eq(compile_options(f, N(f), 6), 0);
	ck_assert_uint_eq(ft_tpl_decode(&t, in, sizeof(in), &r), sizeof(in));
	ck_assert_uint_eq(ft_rec_val(&r, SL_SCOPE_SYSTEM), 1);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SCOPE_INTERFACE), 2);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SCOPE_LINECARD), 3);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SCOPE_CACHE), 4);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SCOPE_TEMPLATE), 5);
	ck_assert_uint_eq(ft_rec_val(&r, SL_SAMPLING_INTERVAL), 64);
}
END_TEST

START_TEST(record_longer_than_any_message_is_refused)
{
	/* An IPFIX message is at most 65535 bytes; less its 16-byte header and a 4-byte set
	 * header, a record has at most 65515 (RFC 7011 §3.1, §3.3.2). */
	struct ft_tpl_field fit = { 999, 65515, 0 };
	struct ft_tpl_field over = { 999, 65516, 0 };
	struct ft_tpl_field two[] = { { 999, 40000, 0 }, { 998, 40000, 0 } };
	ck_assert_int_eq(compile(&fit, 1), 0);
	ck_assert_int_eq(compile(&over, 1), -FT_TPL_TOO_LONG);
	ck_assert_int_eq(compile(two, 2), -FT_TPL_TOO_LONG);
}
END_TEST

START_TEST(min_len_counts_variable_fields_as_one)
{
	struct ft_tpl_field f[] = { { 1, 8, 0 }, { 82, FT_VARLEN, 0 }, { 999, FT_VARLEN, 5 },
	                            { 8, 4, 0 } };
	ck_assert_int_eq(compile(f, N(f)), 0);
	ck_assert_uint_eq(t.min_len, 14);
	ck_assert_uint_eq(t.n_fields, 4);
	ck_assert(t.varlen);
}
END_TEST

START_TEST(same_template_comparison)
{
	struct ft_tpl_field f[] = { { 1, 4, 0 }, { 2, 4, 0 } };
	struct ft_tpl_field g[] = { { 1, 4, 0 }, { 2, 8, 0 } };
	struct ft_tpl_field h[] = { { 1, 4, 0 }, { 2, 4, 9 } };
	ck_assert_int_eq(compile(f, 2), 0);
	ck_assert(ft_tpl_same(&t, f, 2, 0, false));
	ck_assert(!ft_tpl_same(&t, g, 2, 0, false));
	ck_assert(!ft_tpl_same(&t, h, 2, 0, false));
	ck_assert(!ft_tpl_same(&t, f, 1, 0, false));
	ck_assert(!ft_tpl_same(&t, f, 2, 1, true));
	ck_assert_int_eq(compile_options(f, 2, 1), 0);
	ck_assert(ft_tpl_same(&t, f, 2, 1, true));
	ck_assert(!ft_tpl_same(&t, f, 2, 2, true));
	ck_assert(!ft_tpl_same(&t, f, 2, 0, false));
}
END_TEST

START_TEST(many_fields_compile_and_decode)
{
	static struct ft_tpl_field f[1001];
	for (int i = 0; i < 1000; i++)
		f[i] = (struct ft_tpl_field){ 999, 1, 0 };
	f[1000] = (struct ft_tpl_field){ 1, 2, 0 };
	memset(rec, 0x5a, 1000);
	rec[1000] = 0x12, rec[1001] = 0x34;
	ck_assert_int_eq(compile(f, 1001), 0);
	ck_assert_uint_eq(t.min_len, 1002);
	ck_assert_uint_eq(ft_tpl_decode(&t, rec, 1002, &r), 1002);
	ck_assert_uint_eq(ft_rec_val(&r, SL_BYTES), 0x1234);
	ck_assert_uint_eq(r.present, 1ull << SL_BYTES);
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("compile");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, empty_template_is_refused);
	tcase_add_test(tc, zero_length_fields_are_skipped);
	tcase_add_test(tc, overlong_numeric_is_refused);
	tcase_add_test(tc, address_of_wrong_length_is_refused);
	tcase_add_test(tc, options_scope_checks);
	tcase_add_test(tc, record_longer_than_any_message_is_refused);
	tcase_add_test(tc, min_len_counts_variable_fields_as_one);
	tcase_add_test(tc, same_template_comparison);
	suite_add_tcase(s, tc);
	tc = tcase_create("decode");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, unsigned_reduced_sizes_1_to_8);
	tcase_add_test(tc, eight_byte_counter_all_ones);
	tcase_add_test(tc, ipv4_fields_land_in_their_slots);
	tcase_add_test(tc, ipv6_fields_land_in_their_slots);
	tcase_add_test(tc, enterprise_and_unknown_elements_are_skipped);
	tcase_add_test(tc, reverse_elements_pen_29305);
	tcase_add_test(tc, variable_length_one_byte_form);
	tcase_add_test(tc, variable_length_three_byte_form);
	tcase_add_test(tc, variable_length_past_the_end_is_refused);
	tcase_add_test(tc, variable_length_numeric_is_skipped);
	tcase_add_test(tc, fixed_record_shorter_than_template);
	tcase_add_test(tc, consecutive_records_and_stale_slots);
	tcase_add_test(tc, fixed_length_strings);
	tcase_add_test(tc, v9_scope_types);
	tcase_add_test(tc, many_fields_compile_and_decode);
	tcase_add_test(tc, repeated_element_last_one_wins);
	suite_add_tcase(s, tc);
	return s;
}
