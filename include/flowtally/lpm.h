/* flowtally — longest-prefix match over IPv4 and IPv6 prefixes.
 *
 * A builder collects (prefix, value) pairs; ft_lpm_build() turns them into an immutable
 * table that any number of threads may query at once without locks (the tenant map
 * builds a new table on reload and swaps a pointer).  Prefixes and addresses are in
 * flowtally's one 16-byte form (struct ft_prefix, struct ft_addr): an IPv4 /24 has len
 * 120.  IPv4 and IPv6 are kept apart: an IPv4 prefix is one inside ::ffff:0:0/96 with
 * len >= 96, every other prefix is an IPv6 one; IPv4-mapped addresses are looked up
 * among the IPv4 prefixes only, all other addresses among the IPv6 prefixes only, so an
 * IPv6 ::/0 does not catch IPv4 traffic and 0.0.0.0/0 does not catch IPv6 traffic.
 */
#ifndef FLOWTALLY_LPM_H
#define FLOWTALLY_LPM_H

#include <stddef.h>
#include <stdint.h>

#include "flowtally/flow.h"

/* "No prefix contains the address"; never a value. */
#define FT_LPM_NONE UINT32_MAX
/* Most prefixes one builder takes. */
#define FT_LPM_MAX_PREFIXES (1u << 24)

struct ft_lpm_builder;
struct ft_lpm;

/* A new, empty builder owned by the caller; NULL on ENOMEM. */
struct ft_lpm_builder *ft_lpm_builder_new(void);
/* Frees b (NULL is fine); returns NULL. */
struct ft_lpm_builder *ft_lpm_builder_free(struct ft_lpm_builder *b);
/* Adds p with value (!= FT_LPM_NONE); p is copied.  Bits of p->addr past p->len are
 * ignored.  0; -EEXIST when the same prefix is already there (the caller reports the
 * conflict; the builder keeps the first value); -EINVAL for p->len > 128 or value ==
 * FT_LPM_NONE; -E2BIG past FT_LPM_MAX_PREFIXES; -ENOMEM. */
int ft_lpm_builder_add(struct ft_lpm_builder *b, const struct ft_prefix *p, uint32_t value);
/* The number of prefixes added so far. */
size_t ft_lpm_builder_count(const struct ft_lpm_builder *b);

/* Builds the immutable table from b's prefixes, owned by the caller; b is left as it
 * was (it can take more prefixes and build again, or be freed).  NULL on ENOMEM. */
struct ft_lpm *ft_lpm_build(const struct ft_lpm_builder *b);
/* Frees t (NULL is fine); returns NULL. */
struct ft_lpm *ft_lpm_free(struct ft_lpm *t);

/* The value of the longest prefix containing a, or FT_LPM_NONE (see above for how the
 * two families are kept apart). */
uint32_t ft_lpm_lookup(const struct ft_lpm *t, const struct ft_addr *a);
/* ft_lpm_lookup() of a into ret[0] and of b into ret[1], faster than two calls (a
 * flow's source and destination). */
void ft_lpm_lookup2(const struct ft_lpm *t, const struct ft_addr *a, const struct ft_addr *b,
                    uint32_t ret[2]);
/* The same for the IPv4 address v4_host_order (e.g. 0xc0000201 for 192.0.2.1). */
uint32_t ft_lpm_lookup_v4(const struct ft_lpm *t, uint32_t v4_host_order);
/* ft_lpm_lookup(), and the matched prefix's length in the 16-byte form (an IPv4 /24
 * gives 120) into *ret_len, which is left alone when nothing matched.  For linting and
 * tests. */
uint32_t ft_lpm_lookup_len(const struct ft_lpm *t, const struct ft_addr *a, uint8_t *ret_len);

/* Bytes the table uses, for logs. */
size_t ft_lpm_memory(const struct ft_lpm *t);

#endif
