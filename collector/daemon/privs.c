/* Running as a user of its own (privs.h).  The order of the drop matters: the bounding
 * set needs CAP_SETPCAP, so it goes first; the groups before the gid, the gid before
 * the uid (a process that has given up root can change neither).  setresuid to a uid
 * other than 0 clears the permitted, effective and ambient sets (PR_SET_KEEPCAPS is
 * off), so nothing is left to raise; the checks afterwards make sure of it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "flowtally/file.h"
#include "privs.h"

int ft_privs_plan(const char *user, const char *group, bool allow_root, struct ft_privs *ret,
                  char *err, size_t errlen)
{
	struct ft_privs p = { .uid = geteuid(), .gid = getegid() };
	if (!user) {
		if (p.uid == 0 && !allow_root) {
			snprintf(err, errlen, "refusing to run as root: set user = \"NAME\" (and group = "
			         "\"NAME\") in the configuration, and flowtallyd opens its sockets and data "
			         "directory as root, then runs as that user; or start it as that user; or "
			         "pass --allow-root to run as root all the same");
			return -EPERM;
		}
		*ret = p;
		return 0;
	}
	struct passwd *pw = getpwnam(user);
	struct group *gr = group ? getgrnam(group) : NULL;
	if (!pw || (group && !gr)) {
		snprintf(err, errlen, "%s '%s' is not known to this system", pw ? "group" : "user",
		         pw ? group : user);
		return -ENOENT;
	}
	if (pw->pw_uid == 0) {
		snprintf(err, errlen, "user '%s' is root: name an unprivileged user, or leave user "
		         "out and pass --allow-root", user);
		return -EINVAL;
	}
	if (snprintf(p.user, sizeof(p.user), "%s", user) >= (int)sizeof(p.user)) {
		snprintf(err, errlen, "user '%s': name too long", user);
		return -EINVAL;
	}
	gid_t gid = gr ? gr->gr_gid : pw->pw_gid;
	if (p.uid != 0 && (p.uid != pw->pw_uid || p.gid != gid)) {
		snprintf(err, errlen, "user = \"%s\": flowtallyd runs as uid %u and cannot become it; "
		         "start it as root (it drops to the user) or as that user", user, (unsigned)p.uid);
		return -EPERM;
	}
	p.drop = p.uid == 0;
	p.uid = pw->pw_uid;
	p.gid = gid;
	*ret = p;
	return 0;
}

/* The regular files in dir that root owns, given to the user; never through a link. */
static int adopt_files(const struct ft_privs *p, const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	int r = 0;
	struct dirent *e;
	while (r == 0 && (e = readdir(d))) {
		struct stat st;
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
			continue;
		if (fchownat(fd, e->d_name, p->uid, p->gid, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			snprintf(err, errlen, "cannot give %s/%s to user %s: %s", dir, e->d_name, p->user, strerror(errno));
		}
	}
	closedir(d);
	return r;
}

int ft_privs_adopt(const struct ft_privs *p, const char *data_dir, char *err, size_t errlen)
{
	static const char *const subs[] = { "", "/state", "/ledger", "/ledger/quarantine" };
	char dir[4200];
	if (!p->drop)
		return 0;
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s%s", data_dir, subs[i]);
		/* made here when missing, so that the user finds them its own */
		int r = ft_file_own_dir(dir, p->uid, p->gid, err, errlen);
		if (r == 0)
			r = adopt_files(p, dir, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether every capability set of this thread is empty. */
static bool no_capabilities(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[_LINUX_CAPABILITY_U32S_3];
	if (syscall(SYS_capget, &h, c) < 0)
		return false;
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (c[i].effective || c[i].permitted || c[i].inheritable)
			return false;
	return true;
}

int ft_privs_drop(const struct ft_privs *p, char *err, size_t errlen)
{
	if (!p->drop)
		return 0;
	/* the bounding set only limits what an execve could gain, and flowtallyd never
	 * executes anything (no_new_privs makes sure): emptied where root may (CAP_SETPCAP) */
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			break;
	const char *step = "the supplementary groups";
	if (initgroups(p->user, p->gid) < 0)
		goto fail;
	step = "the group";
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		goto fail;
	step = "the user";
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		goto fail;
	step = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 || ru != p->uid ||
	    eu != p->uid || su != p->uid || rg != p->gid || eg != p->gid || sg != p->gid ||
	    setuid(0) == 0 || seteuid(0) == 0 || !no_capabilities()) {
		snprintf(err, errlen, "dropped to user %s, but could still regain privileges: stopping", p->user);
		return -EPERM;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot drop to user %s (uid %u, gid %u): %s: %s", p->user, (unsigned)p->uid,
	         (unsigned)p->gid, step, strerror(errno));
	return -errno;
}

int ft_privs_check_reach(const struct ft_privs *p, const char *data_dir, char *err, size_t errlen)
{
	if (!p->drop || access(data_dir, R_OK | W_OK | X_OK) == 0)
		return 0;
	int e = errno;
	snprintf(err, errlen, "user %s cannot use the data directory %s: %s (the directory and "
	         "every one above it must let that user through: move the data directory, or "
	         "give the user search permission on its parents)", p->user, data_dir, strerror(e));
	return -e;
}
