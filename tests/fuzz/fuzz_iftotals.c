/* Fuzz target for the lines of the interface totals (exporters/iftotals): what
 * ft_iftotals_parse reads back from DATA_DIR/interfaces/YYYY-MM-DD.tsv, damaged or not.
 * The input is a line, up to its first newline (as the sink's reader hands it over).
 * It is parsed as it is, which finds the damage the check is there for; and again with
 * its last 16 bytes replaced by the check of the rest, since mutations almost never
 * keep a SHA-256 right and the fields' own tests would otherwise go untried.
 *
 * A line that parses must format again, and that line must parse to the same step: the
 * same names, times, mask, known counts and reasons of the unknown ones.  The numbers
 * of a parsed line need not be spelt as the formatter spells them (leading zeros, the
 * time's forms), nor need a known counter's reason or an unknown one's count be what the
 * formatter writes (it writes "normal" and 0), so the text and those fields can differ
 * once; after one format the line is the formatter's and must then be a fixed point,
 * byte for byte and field for field.
 *
 * The same bytes also make a step (names and numbers taken from them): its line must
 * parse back to exactly it.
 *
 * Seeds: corpus/iftotals/, lines ft_iftotals_format wrote: all known, some counters
 * unknown (restart, no_answer, several), names with tab, newline, '%', spaces, UTF-8,
 * DEL and control bytes, the largest counters and ifIndex, the epoch; and a few damaged:
 * a digit changed, cut short, a field more; a line with leading zeros and a time without
 * milliseconds (sealed by hand); crash-start-past-2262, a start in the year 7090 once
 * the check is recomputed, which the formatter could not write.
 */
#include <errno.h>
#include <nettle/sha2.h>
#include <stdbool.h>
#include <string.h>

#include "flowtally/clock.h"
#include "flowtally/iftotals.h"
#include "fuzz.h"

#define LINE_SIZE 4096

static bool same_meaning(const struct ft_if_step *a, const struct ft_if_step *b)
{
	if (strcmp(a->device, b->device) || strcmp(a->key, b->key) || a->ifindex != b->ifindex ||
	    a->start_ms != b->start_ms || a->known != b->known || a->speed_bps != b->speed_bps ||
	    a->oper_status != b->oper_status)
		return false;
	for (int i = 0; i < FT_IF_COUNTERS; i++) {
		if ((a->known & (1u << i)) ? a->v[i] != b->v[i] : a->verdict[i] != b->verdict[i])
			return false;
	}
	return true;
}

/* Every field, strings to their last byte. */
static bool same_fields(const struct ft_if_step *a, const struct ft_if_step *b)
{
	return memcmp(a->device, b->device, sizeof(a->device)) == 0 && memcmp(a->key, b->key, sizeof(a->key)) == 0 &&
	       a->ifindex == b->ifindex && a->start_ms == b->start_ms && a->known == b->known &&
	       memcmp(a->verdict, b->verdict, sizeof(a->verdict)) == 0 && memcmp(a->v, b->v, sizeof(a->v)) == 0 &&
	       a->speed_bps == b->speed_bps && a->oper_status == b->oper_status;
}

static void line_round_trip(const char *line)
{
	struct ft_if_step s1, s2, s3;
	char t1[LINE_SIZE], t2[LINE_SIZE];
	memset(&s1, 0, sizeof(s1));
	int r = ft_iftotals_parse(line, &s1);
	CHECK(r == 0 || r == -EBADMSG);
	if (r < 0)
		return;
	int n1 = ft_iftotals_format(&s1, t1, sizeof(t1));
	CHECK(n1 > 0 && (size_t)n1 == strlen(t1));
	CHECK(!strchr(t1, '\n'));
	memset(&s2, 0, sizeof(s2));
	CHECK(ft_iftotals_parse(t1, &s2) == 0);
	CHECK(same_meaning(&s1, &s2));
	int n2 = ft_iftotals_format(&s2, t2, sizeof(t2));
	CHECK(n2 == n1 && memcmp(t1, t2, (size_t)n1 + 1) == 0);
	memset(&s3, 0, sizeof(s3));
	CHECK(ft_iftotals_parse(t2, &s3) == 0);
	CHECK(same_fields(&s2, &s3));
}

/* Bytes taken one at a time, 0 once they run out. */
struct take {
	const uint8_t *p;
	size_t n;
};

static uint8_t take8(struct take *t)
{
	if (!t->n)
		return 0;
	t->n--;
	return *t->p++;
}

static uint64_t take64(struct take *t)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | take8(t);
	return v;
}

static void take_name(struct take *t, char *out, size_t size)
{
	size_t len = take8(t) % size, o = 0;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = take8(t);
		if (c)
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void step_round_trip(const uint8_t *data, size_t size)
{
	struct take t = { data, size };
	struct ft_if_step s, back;
	char line[LINE_SIZE];
	memset(&s, 0, sizeof(s));
	take_name(&t, s.device, sizeof(s.device));
	take_name(&t, s.key, sizeof(s.key));
	s.ifindex = (uint32_t)take64(&t);
	/* from the epoch to where the nanoseconds a step's time is formatted from end */
	s.start_ms = (int64_t)(take64(&t) % ((uint64_t)(INT64_MAX / FT_NS_PER_MS) + 1));
	s.known = take8(&t);
	for (int i = 0; i < FT_IF_COUNTERS; i++) {
		uint64_t v = take64(&t);
		if (s.known & (1u << i))
			s.v[i] = v;
		else
			s.verdict[i] = (uint8_t)(v % FT_SNMP__VERDICTS);
	}
	s.speed_bps = take64(&t);
	s.oper_status = (int32_t)(take8(&t) % 8);       /* ifOperStatus: 1..7, 0 unknown */
	int n = ft_iftotals_format(&s, line, sizeof(line));
	CHECK(n > 0 && (size_t)n == strlen(line));
	memset(&back, 0x5a, sizeof(back));
	CHECK(ft_iftotals_parse(line, &back) == 0);
	CHECK(same_fields(&s, &back));
}

/* The line with its last CHECK_HEX bytes replaced by the check of what is before them. */
#define CHECK_HEX 16
static void reseal(char *line)
{
	size_t n = strlen(line);
	if (n < CHECK_HEX)
		return;
	n -= CHECK_HEX;
	struct sha256_ctx c;
	uint8_t d[SHA256_DIGEST_SIZE];
	sha256_init(&c);
	sha256_update(&c, n, (const uint8_t *)line);
	sha256_digest(&c, sizeof(d), d);
	for (int i = 0; i < CHECK_HEX / 2; i++)
		snprintf(line + n + 2 * i, 3, "%02x", d[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[LINE_SIZE];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - data) : size;
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, data, n);
	line[n] = '\0';
	line_round_trip(line);
	reseal(line);
	line_round_trip(line);
	step_round_trip(data, size);
	return 0;
}
