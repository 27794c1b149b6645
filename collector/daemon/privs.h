/* flowtallyd internals: running as a user of its own (privs.c).
 *
 * Started as root with user = "..." (and group), flowtallyd binds its sockets and
 * prepares its data directory as root, then drops to that user and group for good: its
 * supplementary groups are the user's, every capability goes (the bounding set too, and
 * no_new_privs is set), and it checks it can no longer become root.  Nothing is kept:
 * the sockets are bound before the drop (SO_RCVBUFFORCE included) and a reload never
 * binds again, so neither CAP_NET_BIND_SERVICE nor CAP_NET_ADMIN would be of use. */
#ifndef FT_PRIVS_H
#define FT_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct ft_privs {
	bool drop;                  /* root now, the user after ft_privs_drop */
	uid_t uid;                  /* who owns the data directory: the user, or who runs */
	gid_t gid;
	char user[64];
};

/* What a start with user and group (either may be NULL) means for a process of the
 * current effective uid: with user, root drops to it (a process that already is that
 * user has nothing to do; any other is refused); without it, root is refused unless
 * allow_root.  0, or -EPERM / -ENOENT / -EINVAL with what to do in err. */
int ft_privs_plan(const char *user, const char *group, bool allow_root, struct ft_privs *ret,
                  char *err, size_t errlen);
/* As root, before the drop: the subdirectories flowtallyd keeps in data_dir (state/,
 * ledger/, ledger/quarantine/) and the regular files in them and in data_dir that root
 * owns (left by a version or a run as root) are given to the user, links never
 * followed.  0 or negative errno, with what failed in err. */
int ft_privs_adopt(const struct ft_privs *p, const char *data_dir, char *err, size_t errlen);
/* Drops to the user and group for good (see above); no other thread may run yet.
 * 0, or negative errno with what failed in err: the caller must not go on. */
int ft_privs_drop(const struct ft_privs *p, char *err, size_t errlen);
/* After the drop: whether the user can read, write and enter data_dir, which it owns
 * (ft_privs_adopt) but may not reach when a directory above it does not let it through
 * (a data directory under /root, say).  0, or negative errno with what to do in err. */
int ft_privs_check_reach(const struct ft_privs *p, const char *data_dir, char *err, size_t errlen);

#endif
