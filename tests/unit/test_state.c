/* State files in core (collector/core/file.c, step_json.c): a damaged file is set
 * aside under a name of its own, never over another; the saved open steps load back
 * as they were saved, and anything else (not JSON, a field missing or out of range,
 * steps or cells out of order, a step that does not balance) is refused with what is
 * wrong and where.  Files are never written through a symbolic link, and get their modes
 * (0640, directories 0750) whatever the umask. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "flowtally/clock.h"
#include "flowtally/file.h"
#include "flowtally/step.h"

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
	  "\"not_accounted\":[0,0,0],\"cells\":[[\"ac me\",\"out\",\"internet\",10,2,1]]}]}", -EINVAL,
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
	suite_add_tcase(s, tc);
	return s;
}
