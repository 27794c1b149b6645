/* State files in core (collector/core/file.c, step_json.c): a damaged file is set
 * aside under a name of its own, never over another; the saved open steps load back
 * as they were saved, and anything else (not JSON, a field missing or out of range,
 * steps or cells out of order, a step that does not balance) is refused with what is
 * wrong and where.  Files are never written through a symbolic link, and get their modes
 * (0640, directories 0750) whatever the umask.  The saved templates
 * (collector/netflow/persist.c): a compact binary file, as big as the templates on the
 * wire, saved and loaded in proportion to it; loaded back as saved; a file whose
 * checksum fails, or whose counts run past its bytes, is refused without harm; the JSON
 * of earlier versions is still read. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "flowtally/step.h"
#include "flowtally/netflow.h"
#include "msg_build.h"

#define T0_NS (1764000000LL * FT_NS_PER_SEC)    /* 2025-11-24T16:00:00Z */

static char dir[64], path[128];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ft-state-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/steps.json", dir);
}

static void teardown(void)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void put(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* The file's text (at most 255 bytes), or "" when it does not exist. */
static const char *text_of(const char *p)
{
	static char buf[256];
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

START_TEST(a_damaged_file_is_set_aside_never_over_another)
{
	char aside[256], want[256];
	put(path, "first");
	ck_assert_int_eq(ft_file_set_aside(path, T0_NS + 5, aside, sizeof(aside)), 0);
	snprintf(want, sizeof(want), "%s.damaged-20251124T160000Z", path);
	ck_assert_str_eq(aside, want);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_str_eq(text_of(aside), "first");
	/* the same second again: a name of its own */
	put(path, "second");
	ck_assert_int_eq(ft_file_set_aside(path, T0_NS, aside, sizeof(aside)), 0);
	snprintf(want, sizeof(want), "%s.damaged-20251124T160000Z-2", path);
	ck_assert_str_eq(aside, want);
	ck_assert_str_eq(text_of(aside), "second");
	snprintf(want, sizeof(want), "%s.damaged-20251124T160000Z", path);
	ck_assert_str_eq(text_of(want), "first");
	/* a name that does not fit the caller's buffer moves nothing */
	put(path, "third");
	ck_assert_int_eq(ft_file_set_aside(path, T0_NS, aside, 10), -ENAMETOOLONG);
	ck_assert_str_eq(text_of(path), "third");
	ck_assert_int_eq(ft_file_set_aside(path, T0_NS, aside, sizeof(aside)), 0);
	snprintf(want, sizeof(want), "%s.damaged-20251124T160000Z-3", path);
	ck_assert_str_eq(aside, want);
	ck_assert_int_eq(ft_file_set_aside(path, T0_NS, aside, sizeof(aside)), -ENOENT);
}
END_TEST

static const char good_step[] =
	"{\"start_ms\":1764000000000,\"length_ms\":1000,\"map\":\"m\",\"total\":[10,2,1],"
	"\"unattributed_src\":[0,0,0],\"unattributed_dst\":[10,2,1],\"late\":[0,0,0],"
	"\"not_accounted\":[0,0,0],\"cells\":[[\"acme\",\"out\",\"internet\",10,2,1]]}";

START_TEST(saved_steps_load_back)
{
	struct ft_step s[2] = { { .start_ms = 1764000000000, .length_ms = 1000, .total = { 10, 2, 1 },
	                          .unattributed_dst = { 10, 2, 1 } },
	                        { .start_ms = 1764000001000, .length_ms = 1000 } };
	struct ft_step_cell c = { .tenant = "acme", .class_ = "internet", .direction = FT_DIR_OUT,
	                          .v = { 10, 2, 1 } };
	struct ft_step *got;
	size_t n;
	s[0].cells = &c;
	s[0].n_cells = 1;
	snprintf(s[0].map_id, sizeof(s[0].map_id), "m");
	ck_assert_int_eq(ft_steps_save(path, s, 2), 0);
	ck_assert_int_eq(ft_steps_load(path, &got, &n, NULL, 0), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(got[1].start_ms, 1764000001000);
	ck_assert_uint_eq(got[0].n_cells, 1);
	ck_assert_str_eq(got[0].cells[0].tenant, "acme");
	ck_assert_uint_eq(got[0].total.bytes, 10);
	for (size_t i = 0; i < n; i++)
		ft_step_done(&got[i]);
	free(got);
	char why[300] = "untouched";
	ck_assert_int_eq(ft_steps_load("/nonexistent/steps.json", &got, &n, why, sizeof(why)), -ENOENT);
	ck_assert_str_eq(why, "untouched");
}
END_TEST

/* Each damaged file: the error, and a part of what `why` must say. */
static const struct {
	const char *text;
	int err;
	const char *says;
} damaged[] = {
	{ "", -EINVAL, "line 1, column 0: " },
	{ "{\"schema\":1,\"steps\":[", -EINVAL, "line 1, column " },
	{ "\x01\x02garbage", -EINVAL, "line 1, column " },
	{ "{}", -EINVAL, "the file: not {\"schema\": 1" },
	{ "[]", -EINVAL, "the file: not {\"schema\": 1" },
	{ "{\"schema\":2,\"steps\":[]}", -EINVAL, "the file: not {\"schema\": 1" },
	{ "{\"schema\":1,\"steps\":{}}", -EINVAL, "the file: not {\"schema\": 1" },
	{ "{\"schema\":1,\"steps\":[7]}", -EINVAL, "steps[0]: not an object" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000500,\"length_ms\":1000}]}", -EINVAL,
	  "steps[0]: start_ms and length_ms are not a step" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":0}]}", -EINVAL,
	  "steps[0]: start_ms and length_ms" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":1000,\"total\":[0,0,0]}]}",
	  -EINVAL, "steps[0]: map is not" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":1000,\"map\":\"m\","
	  "\"total\":[0,0,-1],\"unattributed_src\":[0,0,0],\"unattributed_dst\":[0,0,0],\"late\":[0,0,0],"
	  "\"not_accounted\":[0,0,0],\"cells\":[]}]}", -EINVAL,
	  "steps[0] (start_ms 1764000000000): total is not [bytes, packets, flows]" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":1000,\"map\":\"m\","
	  "\"total\":[0,0,0],\"unattributed_src\":[0,0,0],\"unattributed_dst\":[0,0,0],\"late\":[0,0],"
	  "\"not_accounted\":[0,0,0],\"cells\":[]}]}", -EINVAL, "late is not [bytes, packets, flows]" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":1000,\"map\":\"m\","
	  "\"total\":[0,0,0],\"unattributed_src\":[0,0,0],\"unattributed_dst\":[0,0,0],\"late\":[0,0,0],"
	  "\"not_accounted\":[0,0,0]}]}", -EINVAL, "cells is not a list" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":1000,\"map\":\"m\","
	  "\"total\":[10,2,1],\"unattributed_src\":[0,0,0],\"unattributed_dst\":[10,2,1],\"late\":[0,0,0],"
	  "\"not_accounted\":[0,0,0],\"cells\":[[\"acme\",\"sideways\",\"internet\",10,2,1]]}]}", -EINVAL,
	  "cell 0: the direction is not" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":1000,\"map\":\"m\","
	  "\"total\":[10,2,1],\"unattributed_src\":[0,0,0],\"unattributed_dst\":[10,2,1],\"late\":[0,0,0],"
	  "\"not_accounted\":[0,0,0],\"cells\":[[\"ac\\tme\",\"out\",\"internet\",10,2,1]]}]}", -EINVAL,
	  "cell 0: the tenant or class is not a name" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":1000,\"map\":\"m\","
	  "\"total\":[10,2,1],\"unattributed_src\":[0,0,0],\"unattributed_dst\":[10,2,1],\"late\":[0,0,0],"
	  "\"not_accounted\":[0,0,0],\"cells\":[[\"b\",\"out\",\"internet\",5,1,1],"
	  "[\"a\",\"out\",\"internet\",5,1,0]]}]}", -EINVAL, "cell 1 is not after the one before it" },
	{ "{\"schema\":1,\"steps\":[{\"start_ms\":1764000000000,\"length_ms\":1000,\"map\":\"m\","
	  "\"total\":[10,2,1],\"unattributed_src\":[0,0,0],\"unattributed_dst\":[10,2,1],\"late\":[0,0,0],"
	  "\"not_accounted\":[0,0,0],\"cells\":[[\"acme\",\"out\",\"internet\",10,2,2]]}]}", -EBADMSG,
	  "steps[0] (start_ms 1764000000000): it does not balance" },
};

START_TEST(damaged_steps_are_refused_with_what_is_wrong)
{
	char why[300], text[2048];
	struct ft_step *got;
	size_t n;
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		put(path, damaged[i].text);
		why[0] = '\0';
		ck_assert_msg(ft_steps_load(path, &got, &n, why, sizeof(why)) == damaged[i].err,
		              "case %zu: not refused as it should be (%s)", i, why);
		ck_assert_msg(strstr(why, damaged[i].says), "case %zu says \"%s\", not \"%s\"", i, why,
		              damaged[i].says);
	}
	/* two good steps in the wrong order */
	snprintf(text, sizeof(text), "{\"schema\":1,\"steps\":[%s,%s]}", good_step, good_step);
	put(path, text);
	ck_assert_int_eq(ft_steps_load(path, &got, &n, why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "steps: step 1 does not start after the one before it");
	snprintf(text, sizeof(text), "{\"schema\":1,\"steps\":[%s]}", good_step);
	put(path, text);
	ck_assert_int_eq(ft_steps_load(path, &got, &n, why, sizeof(why)), 0);
	ck_assert_uint_eq(n, 1);
	ft_step_done(&got[0]);
	free(got);
}
END_TEST

/* ---- writing: never through a link, modes whatever the umask (file.h) ---------------- */

static mode_t mode_of(const char *p)
{
	struct stat st;
	ck_assert_int_eq(lstat(p, &st), 0);
	return st.st_mode & 07777;
}

START_TEST(a_link_at_the_temporary_is_refused_and_its_target_untouched)
{
	char decoy[128], tmp[160];
	snprintf(decoy, sizeof(decoy), "%s/decoy", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	put(decoy, "precious");
	ck_assert_int_eq(symlink(decoy, tmp), 0);
	ck_assert_int_eq(ft_file_write_atomic(path, "new", 3), -ELOOP);
	ck_assert_str_eq(text_of(decoy), "precious");
	ck_assert_int_eq(access(path, F_OK), -1);
	struct stat st;
	ck_assert_int_eq(lstat(tmp, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));     /* left for whoever looks into it */
	ck_assert_ptr_nonnull(strstr(ft_file_strerror(-ELOOP), "symbolic link"));
}
END_TEST

START_TEST(a_stale_temporary_of_our_own_is_replaced)
{
	char tmp[160];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	put(tmp, "left by a crash");
	ck_assert_int_eq(ft_file_write_atomic(path, "new", 3), 0);
	ck_assert_str_eq(text_of(path), "new");
	ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

START_TEST(a_link_at_the_name_is_replaced_never_written_through)
{
	char decoy[128];
	snprintf(decoy, sizeof(decoy), "%s/decoy", dir);
	put(decoy, "precious");
	ck_assert_int_eq(symlink(decoy, path), 0);
	/* renamed over: the link goes, its target stays */
	ck_assert_int_eq(ft_file_write_atomic(path, "new", 3), 0);
	ck_assert_str_eq(text_of(decoy), "precious");
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	/* appending: refused */
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(symlink(decoy, path), 0);
	ck_assert_int_eq(ft_file_open_at(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT), -ELOOP);
	ck_assert_str_eq(text_of(decoy), "precious");
}
END_TEST

START_TEST(what_is_not_a_regular_file_is_refused)
{
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	/* never waits for a reader that does not come */
	ck_assert_int_eq(ft_file_open_at(AT_FDCWD, path, O_WRONLY | O_APPEND), -ENXIO);
	ck_assert_int_eq(ft_file_open_at(AT_FDCWD, path, O_RDWR), -FT_FILE_ENOTREG);
	ck_assert_ptr_nonnull(strstr(ft_file_strerror(-FT_FILE_ENOTREG), "not a regular file"));
}
END_TEST

START_TEST(files_are_0640_and_directories_0750_whatever_the_umask)
{
	char sub[128], err[512], old[128];
	mode_t was = umask(0);
	ck_assert_int_eq(ft_file_write_atomic(path, "x", 1), 0);
	ck_assert_uint_eq(mode_of(path), 0640);
	snprintf(sub, sizeof(sub), "%s/state", dir);
	ck_assert_int_eq(ft_file_own_dir(sub, geteuid(), (gid_t)-1, err, sizeof(err)), 0);
	ck_assert_uint_eq(mode_of(sub), 0750);
	umask(077);
	snprintf(sub, sizeof(sub), "%s/ledger", dir);
	ck_assert_int_eq(ft_file_own_dir(sub, geteuid(), (gid_t)-1, err, sizeof(err)), 0);
	ck_assert_uint_eq(mode_of(sub), 0750);
	unlink(path);
	ck_assert_int_eq(ft_file_write_atomic(path, "x", 1), 0);
	ck_assert_uint_eq(mode_of(path), 0640);
	/* one an older version made 0755, and a file it made 0644: tightened */
	umask(022);
	snprintf(old, sizeof(old), "%s/old", dir);
	ck_assert_int_eq(mkdir(old, 0755), 0);
	ck_assert_int_eq(ft_file_own_dir(old, geteuid(), (gid_t)-1, err, sizeof(err)), 0);
	ck_assert_uint_eq(mode_of(old), 0750);
	ck_assert_int_eq(chmod(path, 0644), 0);
	int fd = ft_file_open_at(AT_FDCWD, path, O_WRONLY | O_APPEND);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_uint_eq(mode_of(path), 0640);
	umask(was);
}
END_TEST

START_TEST(a_linked_or_foreign_directory_is_refused)
{
	char sub[128], link[128], err[512];
	snprintf(sub, sizeof(sub), "%s/real", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	ck_assert_int_eq(mkdir(sub, 0750), 0);
	ck_assert_int_eq(symlink(sub, link), 0);
	ck_assert_int_lt(ft_file_own_dir(link, geteuid(), (gid_t)-1, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	ck_assert_ptr_nonnull(strstr(err, link));
	/* owned by someone else; as root, one root made is taken over for the user instead */
	uid_t as = geteuid() + 1;
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(sub, 4243, (gid_t)-1), 0);
		as = 0;
	}
	ck_assert_int_eq(ft_file_own_dir(sub, as, (gid_t)-1, err, sizeof(err)), -FT_FILE_EFOREIGN);
	ck_assert_ptr_nonnull(strstr(err, "owned by uid"));
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(sub, 0, (gid_t)-1), 0);
		ck_assert_int_eq(ft_file_own_dir(sub, 4242, 4242, err, sizeof(err)), 0);
		struct stat st;
		ck_assert_int_eq(stat(sub, &st), 0);
		ck_assert_uint_eq(st.st_uid, 4242);
		ck_assert_uint_eq(st.st_gid, 4242);
	}
}
END_TEST

START_TEST(a_directory_above_that_others_may_change_is_refused)
{
	char open_dir[128], data[160], err[512];
	snprintf(open_dir, sizeof(open_dir), "%s/open", dir);
	snprintf(data, sizeof(data), "%s/data", open_dir);
	ck_assert_int_eq(mkdir(open_dir, 0700), 0);
	ck_assert_int_eq(mkdir(data, 0750), 0);
	ck_assert_int_eq(ft_file_check_parents(data, geteuid(), err, sizeof(err)), 0);
	ck_assert_int_eq(chmod(open_dir, 0777), 0);
	ck_assert_int_eq(ft_file_check_parents(data, geteuid(), err, sizeof(err)), -EACCES);
	ck_assert_ptr_nonnull(strstr(err, open_dir));
	/* sticky, as /tmp: nobody can replace another's entry */
	ck_assert_int_eq(chmod(open_dir, 01777), 0);
	ck_assert_int_eq(ft_file_check_parents(data, geteuid(), err, sizeof(err)), 0);
}
END_TEST

START_TEST(root_writes_the_files_of_the_directory_owner)
{
	char sub[128], f[160], err[512];
	struct stat st;
	snprintf(sub, sizeof(sub), "%s/theirs", dir);
	snprintf(f, sizeof(f), "%s/acknowledged", sub);
	ck_assert_int_eq(ft_file_own_dir(sub, 4242, 4243, err, sizeof(err)), 0);
	int fd = ft_file_open_at(AT_FDCWD, f, O_WRONLY | O_APPEND | O_CREAT);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(stat(f, &st), 0);
	ck_assert_uint_eq(st.st_uid, 4242);
	ck_assert_uint_eq(st.st_gid, 4243);
	/* a file of a third user there is refused */
	ck_assert_int_eq(chown(f, 4244, 4244), 0);
	ck_assert_int_eq(ft_file_open_at(AT_FDCWD, f, O_WRONLY | O_APPEND), -FT_FILE_EFOREIGN);
}
END_TEST

/* ---- saved templates ------------------------------------------------------------- */

static struct mb m;

static void send_ipfix(struct ft_netflow *nf, const char *src)
{
	struct ft_flow fl[64];
	struct ft_flow_batch b = { .flows = fl, .cap = 64 };
	struct ft_datagram dg = mb_datagram(&m, src, 4739, T0_NS);
	ft_netflow_input(nf, &dg, &b);
}

/* Templates 256.. of n fields each (IDs of elements 1..n, lengths 1..4), n per message
 * as fit, from exporter src, observation domain dom; an options template and a record
 * of it (a sampling interval) too. */
static void define_templates(struct ft_netflow *nf, const char *src, uint32_t dom, unsigned count, uint16_t n)
{
	static struct mb_field f[1024];
	/* elements flowtally skips (unassigned, enterprise 9), any length */
	for (uint16_t i = 0; i < n; i++)
		f[i] = (struct mb_field){ (uint16_t)(i % 7 == 3 ? 100 + i : 1000 + i % 300), (uint16_t)(1 + i % 4),
		                          i % 7 == 3 ? 9u : 0u };
	f[0] = (struct mb_field){ 8, 4, 0 };
	f[1] = (struct mb_field){ 1, 4, 0 };
	unsigned done = 0;
	while (done < count) {
		mb_ipfix(&m, (uint32_t)(T0_NS / FT_NS_PER_SEC), 0, dom);
		mb_set(&m, MB_IPFIX_TEMPLATE);
		for (; done < count && m.len + 4 + 8u * n < 65000; done++)
			mb_template(&m, (uint16_t)(256 + done), f, n);
		send_ipfix(nf, src);
	}
	static const struct mb_field opt[] = { { 149, 4, 0 }, { 34, 4, 0 } };
	mb_ipfix(&m, (uint32_t)(T0_NS / FT_NS_PER_SEC), 0, dom);
	mb_set(&m, MB_IPFIX_OPTIONS);
	mb_ipfix_options(&m, 9000, opt, 2, 1);
	mb_set(&m, 9000);
	mb_u32(&m, dom);
	mb_u32(&m, 64);
	send_ipfix(nf, src);
}

/* nf's templates and options data as JSON, into a buffer of the caller's (freed). */
static char *dump(const struct ft_netflow *nf)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_int_eq(ft_netflow_dump_json(nf, f), 0);
	fclose(f);
	return text;
}

/* Two dumps agree; the first difference is shown when not (the texts are long). */
static void assert_same(const char *x, const char *y)
{
	size_t i = 0;
	x = strstr(x, "\"exporters\"");     /* after the time of the dump */
	y = strstr(y, "\"exporters\"");
	ck_assert(x && y);
	while (x[i] && x[i] == y[i])
		i++;
	ck_assert_msg(x[i] == y[i], "differ at byte %zu: [%.100s] / [%.100s]", i, x + (i > 50 ? i - 50 : 0),
	              y + (i > 50 ? i - 50 : 0));
}

static double secs_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static long file_size(const char *p)
{
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	return (long)st.st_size;
}

START_TEST(saved_templates_load_back_compactly)
{
	struct ft_netflow_conf o = { .max_template_fields = 1000 };
	struct ft_netflow *a = ft_netflow_new(&o);
	define_templates(a, "192.0.2.1", 0, 40, 300);
	define_templates(a, "2001:db8::7", 77, 3, 20);
	ck_assert_int_eq(ft_netflow_save(a, path), 0);
	FILE *f = fopen(path, "r");
	char magic[8];
	ck_assert_uint_eq(fread(magic, 1, 8, f), 8);
	fclose(f);
	ck_assert_int_eq(memcmp(magic, "FTTPLST\n", 8), 0);
	/* 8 bytes a field, 15 a template, and a little per exporter */
	long fields = 40 * 300 + 3 * 20 + 2 * 2;
	ck_assert_int_le(file_size(path), fields * 8 + 45 * 15 + 2 * 200);
	struct ft_netflow *b = ft_netflow_new(&o);
	char why[200] = "";
	ck_assert_int_eq(ft_netflow_load(b, path, T0_NS, why, sizeof(why)), 0);
	char *x = dump(a), *y = dump(b);
	ck_assert_ptr_nonnull(strstr(x, "\"default_rate\": 64"));
	assert_same(x, y);
	free(x);
	free(y);
	ft_netflow_free(a);
	ft_netflow_free(b);
}
END_TEST

START_TEST(saving_and_loading_take_time_in_proportion)
{
	/* 4 exporters of 500 templates of 500 fields: 8 MB on the wire */
	struct ft_netflow_conf o = { .max_template_fields = 500, .max_template_bytes = 16u << 20 };
	struct ft_netflow *a = ft_netflow_new(&o);
	char src[32];
	for (int i = 0; i < 4; i++) {
		snprintf(src, sizeof(src), "192.0.2.%d", i + 1);
		define_templates(a, src, 0, 500, 500);
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ft_netflow_save(a, path), 0);
	double save = secs_since(&t0);
	ck_assert_int_le(file_size(path), 4 * 500 * (500 * 8 + 15) + 4 * 200);
	struct ft_netflow *b = ft_netflow_new(&o);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(ft_netflow_load(b, path, T0_NS, NULL, 0), 0);
	double load = secs_since(&t0);
	struct ft_exporter_stats t;
	ft_netflow_totals(b, &t);
	ck_assert_uint_eq(t.templates_active, 4 * 501);
	/* the JSON of before took about 10 s for these (and minutes for a flood) */
	ck_assert_msg(save < 2.0 && load < 4.0, "save %.2f s, load %.2f s", save, load);
	ft_netflow_free(a);
	ft_netflow_free(b);
}
END_TEST

static uint32_t crc32_ieee(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
	}
	return ~c;
}

static void write_bytes(const uint8_t *p, size_t n, bool fix_crc)
{
	uint8_t *c = malloc(n);
	memcpy(c, p, n);
	if (fix_crc && n >= 4) {
		uint32_t v = crc32_ieee(c, n - 4);
		c[n - 4] = (uint8_t)(v >> 24), c[n - 3] = (uint8_t)(v >> 16);
		c[n - 2] = (uint8_t)(v >> 8), c[n - 1] = (uint8_t)v;
	}
	FILE *f = fopen(path, "w");
	ck_assert_uint_eq(fwrite(c, 1, n, f), n);
	fclose(f);
	free(c);
}

START_TEST(damaged_template_files_are_refused_without_harm)
{
	struct ft_netflow *a = ft_netflow_new(NULL);
	define_templates(a, "192.0.2.1", 0, 3, 10);
	ck_assert_int_eq(ft_netflow_save(a, path), 0);
	ft_netflow_free(a);
	FILE *f = fopen(path, "r");
	static uint8_t good[4096];
	size_t n = fread(good, 1, sizeof(good), f);
	fclose(f);
	ck_assert_uint_gt(n, 100);
	ck_assert_uint_eq(crc32_ieee(good, n - 4), (uint32_t)good[n - 4] << 24 | (uint32_t)good[n - 3] << 16 |
	                  (uint32_t)good[n - 2] << 8 | good[n - 1]);
	char why[300];
	struct ft_exporter_stats t;
	/* one byte changed: the checksum fails, nothing is used */
	good[60] ^= 0x40;
	write_bytes(good, n, false);
	struct ft_netflow *b = ft_netflow_new(NULL);
	ck_assert_int_eq(ft_netflow_load(b, path, T0_NS, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "checksum"));
	ft_netflow_totals(b, &t);
	ck_assert_uint_eq(t.templates_active, 0);
	good[60] ^= 0x40;
	/* cut anywhere (checksum made right), or a count made huge: refused, never read
	 * past the end */
	for (size_t cut = 0; cut < n; cut += 7) {
		write_bytes(good, cut, true);
		ck_assert_int_eq(ft_netflow_load(b, path, T0_NS, why, sizeof(why)), -EINVAL);
	}
	static const size_t counts[] = { 20, 45, 62 };   /* exporters, templates, fields */
	for (size_t i = 0; i < 3; i++) {
		uint8_t keep[4];
		memcpy(keep, good + counts[i], 4);
		memset(good + counts[i], 0xff, i == 2 ? 2 : 4);
		write_bytes(good, n, true);
		struct ft_netflow *c = ft_netflow_new(NULL);
		ck_assert_int_eq(ft_netflow_load(c, path, T0_NS, why, sizeof(why)), -EINVAL);
		ft_netflow_free(c);
		memcpy(good + counts[i], keep, 4);
	}
	/* another format number */
	good[11] = 3;
	write_bytes(good, n, true);
	ck_assert_int_eq(ft_netflow_load(b, path, T0_NS, why, sizeof(why)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "format 3"));
	ft_netflow_free(b);
}
END_TEST

START_TEST(templates_saved_as_json_before_are_read)
{
	put(path, "{\"schema\":1,\"saved\":\"2025-11-24T16:00:00Z\",\"exporters\":[{\"address\":\"192.0.2.1\","
	    "\"version\":10,\"domain\":3,\"templates\":[{\"id\":300,\"options\":false,\"scope\":0,"
	    "\"refreshed_ns\":1,\"fields\":[[8,4,0],[1,4,0]]}],\"options\":{\"default_rate\":10,"
	    "\"init_ms\":0,\"samplers\":[],\"selectors\":[],\"ifnames\":[[3,\"ge-0/0/3\",\"uplink\"]]}}]}");
	struct ft_netflow *b = ft_netflow_new(NULL);
	ck_assert_int_eq(ft_netflow_load(b, path, T0_NS, NULL, 0), 0);
	struct ft_exporter_stats t;
	ft_netflow_totals(b, &t);
	ck_assert_uint_eq(t.templates_active, 1);
	/* to be saved in the binary format at the next save */
	ck_assert(ft_netflow_dirty(b));
	/* and saved again in the binary format, which loads back the same */
	char *x = dump(b);
	ck_assert_ptr_nonnull(strstr(x, "ge-0/0/3"));
	ck_assert_int_eq(ft_netflow_save(b, path), 0);
	struct ft_netflow *c = ft_netflow_new(NULL);
	ck_assert_int_eq(ft_netflow_load(c, path, T0_NS, NULL, 0), 0);
	char *y = dump(c);
	ck_assert(!ft_netflow_dirty(c));
	assert_same(x, y);
	free(x);
	free(y);
	ft_netflow_free(b);
	ft_netflow_free(c);
}
END_TEST

/* With several receive threads each loads the exporters its listeners receive (the
 * last 32 bits of the address modulo the threads, collector/net), so none holds
 * another's templates against the shared budget. */
START_TEST(each_receive_thread_loads_its_own_exporters)
{
	struct ft_netflow *a = ft_netflow_new(NULL);
	define_templates(a, "192.0.2.1", 0, 2, 10);
	define_templates(a, "192.0.2.2", 0, 3, 10);
	define_templates(a, "2001:db8::3", 0, 4, 10);
	define_templates(a, "2001:db8::4", 0, 5, 10);
	ck_assert_int_eq(ft_netflow_save(a, path), 0);
	ft_netflow_free(a);
	uint64_t want[2] = { (3 + 1) + (5 + 1), (2 + 1) + (4 + 1) };   /* with the options templates */
	for (unsigned i = 0; i < 2; i++) {
		struct ft_netflow *b = ft_netflow_new(NULL);
		ft_netflow_set_shard(b, i, 2);
		ck_assert_int_eq(ft_netflow_load(b, path, T0_NS, NULL, 0), 0);
		struct ft_exporter_stats t;
		ft_netflow_totals(b, &t);
		ck_assert_uint_eq(t.templates_active, want[i]);
		ck_assert_uint_eq(ft_netflow_exporters(b, NULL, 0), 2);
		ft_netflow_free(b);
	}
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_damaged_file_is_set_aside_never_over_another);
	tcase_add_test(tc, saved_steps_load_back);
	tcase_add_test(tc, damaged_steps_are_refused_with_what_is_wrong);
	tcase_add_test(tc, a_link_at_the_temporary_is_refused_and_its_target_untouched);
	tcase_add_test(tc, a_stale_temporary_of_our_own_is_replaced);
	tcase_add_test(tc, a_link_at_the_name_is_replaced_never_written_through);
	tcase_add_test(tc, what_is_not_a_regular_file_is_refused);
	tcase_add_test(tc, files_are_0640_and_directories_0750_whatever_the_umask);
	tcase_add_test(tc, a_linked_or_foreign_directory_is_refused);
	tcase_add_test(tc, a_directory_above_that_others_may_change_is_refused);
	if (geteuid() == 0)         /* only root writes in another user's directory */
		tcase_add_test(tc, root_writes_the_files_of_the_directory_owner);
	tcase_add_test(tc, saved_templates_load_back_compactly);
	tcase_add_test(tc, saving_and_loading_take_time_in_proportion);
	tcase_add_test(tc, damaged_template_files_are_refused_without_harm);
	tcase_add_test(tc, templates_saved_as_json_before_are_read);
	tcase_add_test(tc, each_receive_thread_loads_its_own_exporters);
	suite_add_tcase(s, tc);
	return s;
}
