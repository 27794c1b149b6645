/* Running as a user of its own (collector/daemon/privs.c): what a start as root or as
 * another user means for user = "..." and --allow-root, and a drop that leaves no way
 * back to root (checked in a child process, since a drop cannot be undone). */
#include <check.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "privs.h"

START_TEST(root_without_user_is_refused_unless_allowed)
{
	struct ft_privs p;
	char err[600];
	ck_assert_int_eq(ft_privs_plan(NULL, NULL, false, &p, err, sizeof(err)), -EPERM);
	ck_assert_ptr_nonnull(strstr(err, "refusing to run as root"));
	ck_assert_ptr_nonnull(strstr(err, "user = \"NAME\""));
	ck_assert_ptr_nonnull(strstr(err, "--allow-root"));
	ck_assert_int_eq(ft_privs_plan(NULL, NULL, true, &p, err, sizeof(err)), 0);
	ck_assert(!p.drop);
	ck_assert_uint_eq(p.uid, 0);
}
END_TEST

START_TEST(a_user_is_looked_up_and_never_root)
{
	struct ft_privs p;
	char err[600];
	struct passwd *nobody = getpwnam("nobody");
	struct group *nogroup = getgrnam("nogroup");
	ck_assert(nobody && nogroup);
	ck_assert_int_eq(ft_privs_plan("nobody", NULL, false, &p, err, sizeof(err)), 0);
	ck_assert(p.drop);
	ck_assert_uint_eq(p.uid, nobody->pw_uid);
	ck_assert_uint_eq(p.gid, nobody->pw_gid);
	ck_assert_int_eq(ft_privs_plan("nobody", "nogroup", false, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.gid, nogroup->gr_gid);
	ck_assert_int_eq(ft_privs_plan("root", NULL, true, &p, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "is root"));
	ck_assert_int_eq(ft_privs_plan("no-such-user-ft", NULL, false, &p, err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(ft_privs_plan("nobody", "no-such-group-ft", false, &p, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "group 'no-such-group-ft'"));
}
END_TEST

/* In the child: 0 when the drop left nothing to regain, else which check failed. */
static int dropped_for_good(const struct ft_privs *p)
{
	char err[600];
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];
	gid_t groups[8];
	if (ft_privs_drop(p, err, sizeof(err)) < 0)
		return 1;
	if (getuid() != p->uid || geteuid() != p->uid || getgid() != p->gid || getegid() != p->gid)
		return 2;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 || setgroups(0, NULL) == 0)
		return 3;
	if (syscall(SYS_capget, &h, c) < 0 || c[0].effective || c[0].permitted || c[1].effective ||
	    c[1].permitted || c[0].inheritable || c[1].inheritable)
		return 4;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 5;
	int n = getgroups(8, groups);
	for (int i = 0; i < n; i++)
		if (groups[i] == 0)
			return 6;
	return 0;
}

START_TEST(a_drop_leaves_no_way_back)
{
	struct ft_privs p;
	char err[600];
	ck_assert_int_eq(ft_privs_plan("nobody", NULL, false, &p, err, sizeof(err)), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(dropped_for_good(&p));
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	ck_assert_msg(WEXITSTATUS(st) == 0, "check %d failed after the drop", WEXITSTATUS(st));
}
END_TEST

Suite *ft_test_suite(void)
{
	Suite *s = suite_create("privs");
	TCase *tc = tcase_create("plan and drop");
	/* as root, with the usual nobody and nogroup; skipped (no test) otherwise */
	if (geteuid() == 0 && getpwnam("nobody") && getgrnam("nogroup")) {
		tcase_add_test(tc, root_without_user_is_refused_unless_allowed);
		tcase_add_test(tc, a_user_is_looked_up_and_never_root);
		tcase_add_test(tc, a_drop_leaves_no_way_back);
	}
	suite_add_tcase(s, tc);
	return s;
}
