/* Longest-prefix match: a leaf-pushed multibit trie with compressed nodes.
 *
 * Data structures.  The table holds one trie per family, built alike: IPv4 keys are the
 * 4 address bytes (prefix lengths 0..32), IPv6 keys the 16 bytes (0..128).  A trie is
 *  - a root array indexed by the key's first 16 bits (65,536 entries of 32 bits), then
 *  - nodes of 8-bit stride, one per further key byte, so a lookup reads the root entry,
 *    at most one node per byte of the longest prefix below it (IPv4: 2, IPv6: 14), and
 *    one leaf value.
 * Every root entry and every node slot is either a child node or a leaf.  Leaves are
 * pushed down (each leaf holds the answer for its whole slot, the longest prefix
 * covering it, found at build time), so a lookup never backtracks.  A node is not an
 * array of 256 slots but a compressed one, after poptrie (Asai and Ohara, SIGCOMM
 * 2015): a 256-bit map of the slots that lead to a child, a 256-bit map of the slots
 * where a new run of equal leaves begins (slots that lead to a child are skipped by the
 * runs), and the indices of its first child and first leaf; a node's children sit next
 * to each other in one nodes array, its leaves next to each other in one leaf array, so
 * the rank of a slot among its node's set bits (a popcount) is the offset from those
 * first indices.  A node is 80 bytes where a plain one would be 1 KiB, which keeps a
 * table of 100,000 prefixes within a few MB of cache-friendly memory.
 *
 * Flow.  The builder keeps the prefixes (masked to their length) in insertion order,
 * with a hash index that finds duplicates on add.  ft_lpm_build() splits them by family,
 * sorts each family by (address, length) and builds the trie top-down: a node paints
 * the prefixes that end within its stride into a 256-slot scratch array in sorted order
 * (a prefix sorts before every prefix it contains, so the longer ones are painted last
 * and win), inheriting the leaf its parent slot had, then marks the slots holding
 * longer prefixes as children, and recurses into each with the contiguous run of sorted
 * prefixes that falls in it.  The table is never changed afterwards: threads may read
 * it without locks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/lpm.h"

#define ROOT_BITS 16
#define ROOT_SLOTS (1u << ROOT_BITS)
#define NODE_SLOTS 256
#define IS_NODE 0x80000000u        /* root entry or step result: a node index follows */

/* The x86-64 baseline has no popcount instruction: the lookups come in a variant with
 * it, chosen at load time (an ifunc), rather than raise the baseline.  The helpers they
 * call are always inlined so that they are compiled for that variant too.  Not with
 * clang: clang 14 names the ifunc "ft_lpm_lookup.ifunc" and leaves callers in other
 * files unresolved (the fuzz build is clang's). */
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__has_attribute) && !defined(__clang__)
#if __has_attribute(target_clones)
#define LOOKUP_CLONES __attribute__((target_clones("popcnt", "default")))
#endif
#endif
#ifndef LOOKUP_CLONES
#define LOOKUP_CLONES
#endif
#define HOT inline __attribute__((always_inline))

struct node {
	uint32_t child_base;            /* nodes[] index of the first child */
	uint32_t leaf_base;             /* leaf index of the first leaf run */
	uint8_t child_before[4];        /* child bits in the words before word w */
	uint8_t leaf_before[4];         /* leaf-run bits in the words before word w */
	struct {
		uint64_t child;         /* slot 64w + i leads to a child */
		uint64_t leaf;          /* slot 64w + i starts a new run of leaves */
	} w[4];
};

struct trie {
	uint32_t *root;                 /* IS_NODE | node index, or leaf index */
	struct node *nodes;
	uint32_t *leaf_val;             /* the value a leaf answers */
	uint8_t *leaf_len;              /* its prefix length, in the 16-byte form */
	uint32_t n_nodes, n_leaves;
	size_t cap_nodes, cap_val, cap_len;     /* while building */
};

struct ft_lpm {
	struct trie v4, v6;
};

struct bpfx {
	struct ft_addr addr;            /* masked to len */
	uint32_t value;
	uint8_t len;                    /* 16-byte form */
};

struct ft_lpm_builder {
	struct bpfx *p;
	size_t n, cap;
	uint32_t *index;                /* open addressing: position in p + 1, 0 = empty */
	size_t index_size;              /* a power of two, at least twice n */
};

/* ---- lookup ---- */

/* The next step from node e (IS_NODE | index) for key byte k: IS_NODE | child index, or
 * a leaf index. */
static HOT uint32_t step(const struct node *nodes, uint32_t e, unsigned k)
{
	const struct node *n = &nodes[e & ~IS_NODE];
	unsigned w = k >> 6, bit = k & 63;
	uint64_t upto = ~0ULL >> (63 - bit);            /* bits 0..bit */
	uint64_t c = n->w[w].child;

	if (c >> bit & 1)
		return IS_NODE | (n->child_base + n->child_before[w] +
		                  (uint32_t)__builtin_popcountll(c & upto) - 1);
	return n->leaf_base + n->leaf_before[w] +
	       (uint32_t)__builtin_popcountll(n->w[w].leaf & upto) - 1;
}

/* The leaf index for key (4 or 16 bytes, as the trie's family has). */
static HOT uint32_t walk(const struct trie *t, const uint8_t *key)
{
	uint32_t e = t->root[(unsigned)key[0] << 8 | key[1]];

	for (key += 2; e & IS_NODE; key++)
		e = step(t->nodes, e, *key);
	return e;
}

/* IPv4-mapped: ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), tested inline on the hot path. */
static HOT bool is_v4(const struct ft_addr *a)
{
	uint64_t hi;
	uint32_t mid;

	memcpy(&hi, a->b, 8);
	memcpy(&mid, a->b + 8, 4);
	return hi == 0 && mid == htonl(0x0000ffffu);
}

/* The leaf index for an IPv4 address: walk() unrolled, the depth being known. */
static HOT uint32_t walk_v4(const struct trie *t, uint32_t v4)
{
	uint32_t e = t->root[v4 >> 16];

	if (e & IS_NODE) {
		e = step(t->nodes, e, v4 >> 8 & 0xff);
		if (e & IS_NODE)
			e = step(t->nodes, e, v4 & 0xff);
	}
	return e;
}

/* The value for any address in the 16-byte form. */
static HOT uint32_t lookup(const struct ft_lpm *t, const struct ft_addr *a)
{
	uint32_t v4;

	if (is_v4(a)) {
		memcpy(&v4, a->b + 12, 4);
		return t->v4.leaf_val[walk_v4(&t->v4, ntohl(v4))];
	}
	return t->v6.leaf_val[walk(&t->v6, a->b)];
}

LOOKUP_CLONES
uint32_t ft_lpm_lookup(const struct ft_lpm *t, const struct ft_addr *a)
{
	return lookup(t, a);
}

/* Two lookups in one call: both walks are in flight at once when both are IPv4, so
 * their memory reads overlap rather than queue. */
LOOKUP_CLONES
void ft_lpm_lookup2(const struct ft_lpm *t, const struct ft_addr *a, const struct ft_addr *b,
                    uint32_t ret[2])
{
	uint32_t x, y;

	if (is_v4(a) && is_v4(b)) {
		memcpy(&x, a->b + 12, 4);
		memcpy(&y, b->b + 12, 4);
		x = ntohl(x);
		y = ntohl(y);
		uint32_t ex = t->v4.root[x >> 16], ey = t->v4.root[y >> 16];
		if (ex & IS_NODE)
			ex = step(t->v4.nodes, ex, x >> 8 & 0xff);
		if (ey & IS_NODE)
			ey = step(t->v4.nodes, ey, y >> 8 & 0xff);
		if (ex & IS_NODE)
			ex = step(t->v4.nodes, ex, x & 0xff);
		if (ey & IS_NODE)
			ey = step(t->v4.nodes, ey, y & 0xff);
		ret[0] = t->v4.leaf_val[ex];
		ret[1] = t->v4.leaf_val[ey];
		return;
	}
	ret[0] = lookup(t, a);
	ret[1] = lookup(t, b);
}

LOOKUP_CLONES
uint32_t ft_lpm_lookup_v4(const struct ft_lpm *t, uint32_t v4)
{
	return t->v4.leaf_val[walk_v4(&t->v4, v4)];
}

uint32_t ft_lpm_lookup_len(const struct ft_lpm *t, const struct ft_addr *a, uint8_t *ret_len)
{
	bool v4 = is_v4(a);
	const struct trie *f = v4 ? &t->v4 : &t->v6;
	uint32_t leaf = walk(f, v4 ? a->b + 12 : a->b);

	if (f->leaf_val[leaf] != FT_LPM_NONE)
		*ret_len = f->leaf_len[leaf];
	return f->leaf_val[leaf];
}

static size_t trie_memory(const struct trie *t)
{
	return ROOT_SLOTS * sizeof(*t->root) + t->n_nodes * sizeof(*t->nodes) +
	       t->n_leaves * (sizeof(*t->leaf_val) + sizeof(*t->leaf_len));
}

size_t ft_lpm_memory(const struct ft_lpm *t)
{
	return sizeof(*t) + trie_memory(&t->v4) + trie_memory(&t->v6);
}

static void trie_done(struct trie *t)
{
	free(t->root);
	free(t->nodes);
	free(t->leaf_val);
	free(t->leaf_len);
}

struct ft_lpm *ft_lpm_free(struct ft_lpm *t)
{
	if (t) {
		trie_done(&t->v4);
		trie_done(&t->v6);
		free(t);
	}
	return NULL;
}

/* ---- builder ---- */

struct ft_lpm_builder *ft_lpm_builder_new(void)
{
	return calloc(1, sizeof(struct ft_lpm_builder));
}

struct ft_lpm_builder *ft_lpm_builder_free(struct ft_lpm_builder *b)
{
	if (b) {
		free(b->p);
		free(b->index);
		free(b);
	}
	return NULL;
}

size_t ft_lpm_builder_count(const struct ft_lpm_builder *b)
{
	return b->n;
}

/* splitmix64's finalizer: every input bit moves every output bit. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static size_t hash_prefix(const struct ft_addr *a, uint8_t len)
{
	uint64_t x, y;

	memcpy(&x, a->b, 8);
	memcpy(&y, a->b + 8, 8);
	return (size_t)mix64(mix64(x ^ len) ^ y);
}

/* The index slot holding prefix (a, len), or the empty slot where it would go. */
static uint32_t *index_find(const struct ft_lpm_builder *b, const struct ft_addr *a, uint8_t len)
{
	size_t mask = b->index_size - 1;

	for (size_t i = hash_prefix(a, len) & mask;; i = (i + 1) & mask) {
		uint32_t *s = &b->index[i];
		if (*s == 0)
			return s;
		const struct bpfx *q = &b->p[*s - 1];
		if (q->len == len && ft_addr_equal(&q->addr, a))
			return s;
	}
}

static int index_grow(struct ft_lpm_builder *b)
{
	size_t size = b->index_size ? b->index_size * 2 : 64;
	uint32_t *old = b->index;

	b->index = calloc(size, sizeof(*b->index));
	if (!b->index) {
		b->index = old;
		return -ENOMEM;
	}
	b->index_size = size;
	for (size_t i = 0; i < b->n; i++)
		*index_find(b, &b->p[i].addr, b->p[i].len) = (uint32_t)i + 1;
	free(old);
	return 0;
}

/* Room for one more prefix in the array and the index. */
static int builder_reserve(struct ft_lpm_builder *b)
{
	if (b->n >= FT_LPM_MAX_PREFIXES)
		return -E2BIG;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct bpfx *p = realloc(b->p, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		b->p = p;
		b->cap = cap;
	}
	if ((b->n + 1) * 2 > b->index_size)
		return index_grow(b);
	return 0;
}

static void mask_addr(struct ft_addr *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;
		if (bits < 8)
			a->b[i] &= (uint8_t)(0xff00u >> bits);
	}
}

int ft_lpm_builder_add(struct ft_lpm_builder *b, const struct ft_prefix *p, uint32_t value)
{
	struct bpfx x = { .addr = p->addr, .value = value, .len = p->len };

	if (p->len > 128 || value == FT_LPM_NONE)
		return -EINVAL;
	mask_addr(&x.addr, x.len);
	if (b->index_size && *index_find(b, &x.addr, x.len) != 0)
		return -EEXIST;
	int r = builder_reserve(b);
	if (r < 0)
		return r;
	b->p[b->n++] = x;
	*index_find(b, &x.addr, x.len) = (uint32_t)b->n;
	return 0;
}

/* ---- build ---- */

/* One prefix of a family: the key is the family's address bytes (IPv4: 4, at the
 * start), len is within the family (IPv4: 0..32). */
struct bent {
	uint8_t key[16];
	uint32_t value;
	uint8_t len;
};

struct leaf {
	uint32_t value;
	uint8_t len;                    /* 16-byte form */
};

struct build {
	struct trie *t;
	const struct bent *e;           /* the family's prefixes, sorted */
	uint8_t len_off;                /* 96 for IPv4, 0 for IPv6 */
};

static const struct leaf no_leaf = { FT_LPM_NONE, 0 };

static bool leaf_eq(struct leaf a, struct leaf b)
{
	return a.value == b.value && a.len == b.len;
}

static int cmp_bent(const void *x, const void *y)
{
	const struct bent *a = x, *b = y;
	int c = memcmp(a->key, b->key, sizeof(a->key));

	return c ? c : (int)a->len - (int)b->len;
}

/* arr (room for *cap elements of size bytes) with room for need: arr itself, or a
 * larger block (*cap updated), or NULL on ENOMEM with arr left as it was. */
static void *grow(void *arr, size_t *cap, size_t size, size_t need)
{
	if (need <= *cap)
		return arr;
	size_t c = *cap ? *cap : 1024;
	while (c < need)
		c *= 2;
	void *p = realloc(arr, c * size);
	if (p)
		*cap = c;
	return p;
}

static int append_leaf(struct build *c, struct leaf l)
{
	struct trie *t = c->t;
	size_t need = (size_t)t->n_leaves + 1;
	uint32_t *val;
	uint8_t *len;

	if (t->n_leaves == IS_NODE - 1)         /* leaf indices stay below IS_NODE */
		return -ENOMEM;
	if (!(val = grow(t->leaf_val, &t->cap_val, sizeof(*val), need)))
		return -ENOMEM;
	t->leaf_val = val;
	if (!(len = grow(t->leaf_len, &t->cap_len, sizeof(*len), need)))
		return -ENOMEM;
	t->leaf_len = len;
	val[t->n_leaves] = l.value;
	len[t->n_leaves] = l.len;
	t->n_leaves++;
	return 0;
}

/* Reserves n nodes next to each other; their first index into *ret_base. */
static int alloc_nodes(struct build *c, uint32_t n, uint32_t *ret_base)
{
	struct trie *t = c->t;

	if (n > IS_NODE - 1 - t->n_nodes)       /* node indices stay below IS_NODE */
		return -ENOMEM;
	if (n > 0) {
		struct node *nodes = grow(t->nodes, &t->cap_nodes, sizeof(*nodes),
		                          (size_t)t->n_nodes + n);
		if (!nodes)
			return -ENOMEM;
		t->nodes = nodes;
	}
	*ret_base = t->n_nodes;
	t->n_nodes += n;
	return 0;
}

/* The slot of e in a node at depth d (a multiple of 8) with a stride of bits (8 or 16). */
static unsigned slot_of(const struct bent *e, unsigned d, unsigned bits)
{
	unsigned s = e->key[d / 8];

	return bits == 16 ? s << 8 | e->key[d / 8 + 1] : s;
}

/* Paints the prefixes of e[lo..hi) ending within depth d + bits into res and sets the
 * bits of the slots holding longer ones in child; returns the number of such slots. */
static uint32_t paint(const struct build *c, size_t lo, size_t hi, unsigned d, unsigned bits,
                      struct leaf *res, uint64_t *child)
{
	uint32_t n = 0;

	for (size_t i = lo; i < hi; i++) {
		const struct bent *e = &c->e[i];
		unsigned s = slot_of(e, d, bits);
		if (e->len > d + bits) {
			n += !(child[s / 64] >> (s % 64) & 1);
			child[s / 64] |= 1ULL << (s % 64);
			continue;
		}
		struct leaf l = { e->value, (uint8_t)(e->len + c->len_off) };
		for (size_t k = s, end = s + (1u << (d + bits - e->len)); k < end; k++)
			res[k] = l;
	}
	return n;
}

static int build_node(struct build *c, uint32_t idx, unsigned d, size_t lo, size_t hi,
                      struct leaf inherit);

/* Builds the children of a node at depth d whose child slots' prefixes are in
 * e[lo..hi), in slot order, from index base on. */
static int build_children(struct build *c, uint32_t base, unsigned d, unsigned bits,
                          size_t lo, size_t hi, const struct leaf *res)
{
	for (size_t i = lo; i < hi;) {
		if (c->e[i].len <= d + bits) {
			i++;
			continue;
		}
		unsigned s = slot_of(&c->e[i], d, bits);
		size_t j = i + 1;
		while (j < hi && slot_of(&c->e[j], d, bits) == s)
			j++;
		int r = build_node(c, base++, d + bits, i, j, res[s]);
		if (r < 0)
			return r;
		i = j;
	}
	return 0;
}

/* Leaf runs of a node: sets n->w[].leaf, appends one leaf per run. */
static int node_leaves(struct build *c, struct node *n, const struct leaf *res)
{
	bool first = true;
	struct leaf last = no_leaf;

	n->leaf_base = c->t->n_leaves;
	for (unsigned k = 0; k < NODE_SLOTS; k++) {
		if (n->w[k / 64].child >> (k % 64) & 1)
			continue;
		if (first || !leaf_eq(res[k], last)) {
			if (append_leaf(c, res[k]) < 0)
				return -ENOMEM;
			n->w[k / 64].leaf |= 1ULL << (k % 64);
			last = res[k];
			first = false;
		}
	}
	return 0;
}

/* Builds node idx at depth d (bits d..d+7 of the key) from e[lo..hi), all longer than
 * d and inside the node; slots no prefix covers get inherit. */
static int build_node(struct build *c, uint32_t idx, unsigned d, size_t lo, size_t hi,
                      struct leaf inherit)
{
	struct leaf res[NODE_SLOTS];
	uint64_t child[4] = { 0 };
	struct node n = { 0 };

	for (unsigned k = 0; k < NODE_SLOTS; k++)
		res[k] = inherit;
	uint32_t nc = paint(c, lo, hi, d, 8, res, child);
	if (alloc_nodes(c, nc, &n.child_base) < 0)
		return -ENOMEM;
	for (unsigned w = 0; w < 4; w++) {
		n.w[w].child = child[w];
		n.child_before[w] = w ? (uint8_t)(n.child_before[w - 1] +
		                                  __builtin_popcountll(child[w - 1])) : 0;
	}
	if (node_leaves(c, &n, res) < 0)
		return -ENOMEM;
	for (unsigned w = 1; w < 4; w++)
		n.leaf_before[w] = (uint8_t)(n.leaf_before[w - 1] +
		                             __builtin_popcountll(n.w[w - 1].leaf));
	c->t->nodes[idx] = n;
	return build_children(c, n.child_base, d, 8, lo, hi, res);
}

/* Root entries from the painted res and child map: children numbered from base in slot
 * order, runs of equal leaves sharing one leaf.  Leaf 0 is "no match": those entries
 * stay as calloc() left them, so the pages of a sparse root are never written and cost
 * no memory (a map holds a few tables, some with one family only). */
static int root_entries(struct build *c, const struct leaf *res, const uint64_t *child,
                        uint32_t base)
{
	struct trie *t = c->t;
	struct leaf last = no_leaf;

	if (append_leaf(c, no_leaf) < 0)
		return -ENOMEM;
	for (uint32_t s = 0; s < ROOT_SLOTS; s++) {
		if (child[s / 64] >> (s % 64) & 1) {
			t->root[s] = IS_NODE | base++;
			continue;
		}
		if (leaf_eq(res[s], no_leaf))
			continue;
		if (!leaf_eq(res[s], last)) {
			if (append_leaf(c, res[s]) < 0)
				return -ENOMEM;
			last = res[s];
		}
		t->root[s] = t->n_leaves - 1;
	}
	return 0;
}

static int build_root(struct build *c, size_t n)
{
	struct leaf *res = malloc(ROOT_SLOTS * sizeof(*res));
	uint64_t *child = calloc(ROOT_SLOTS / 64, sizeof(*child));
	uint32_t base;
	int r = -ENOMEM;

	c->t->root = calloc(ROOT_SLOTS, sizeof(*c->t->root));
	if (!res || !child || !c->t->root)
		goto fail;
	for (size_t s = 0; s < ROOT_SLOTS; s++)
		res[s] = no_leaf;
	uint32_t nc = paint(c, 0, n, 0, ROOT_BITS, res, child);
	if (alloc_nodes(c, nc, &base) < 0 || root_entries(c, res, child, base) < 0)
		goto fail;
	r = build_children(c, base, 0, ROOT_BITS, 0, n, res);
fail:
	free(res);
	free(child);
	return r;
}

/* Gives back what the doubling left over; a failure only keeps the larger blocks. */
static void trie_shrink(struct trie *t)
{
	void *p;

	if (t->n_nodes && (p = realloc(t->nodes, t->n_nodes * sizeof(*t->nodes))))
		t->nodes = p;
	if ((p = realloc(t->leaf_val, t->n_leaves * sizeof(*t->leaf_val))))
		t->leaf_val = p;
	if ((p = realloc(t->leaf_len, t->n_leaves * sizeof(*t->leaf_len))))
		t->leaf_len = p;
}

static bool prefix_is_v4(const struct bpfx *p)
{
	return p->len >= 96 && is_v4(&p->addr);
}

/* The builder's prefixes of one family, as sorted build entries; *ret_n of them. */
static struct bent *family_entries(const struct ft_lpm_builder *b, bool v4, size_t *ret_n)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n; i++)
		n += prefix_is_v4(&b->p[i]) == v4;
	struct bent *e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return NULL;
	for (size_t i = 0, j = 0; i < b->n; i++) {
		const struct bpfx *p = &b->p[i];
		if (prefix_is_v4(p) != v4)
			continue;
		memcpy(e[j].key, v4 ? p->addr.b + 12 : p->addr.b, v4 ? 4 : 16);
		e[j].value = p->value;
		e[j].len = (uint8_t)(v4 ? p->len - 96 : p->len);
		j++;
	}
	qsort(e, n, sizeof(*e), cmp_bent);
	*ret_n = n;
	return e;
}

static int build_trie(const struct ft_lpm_builder *b, struct trie *t, bool v4)
{
	size_t n;
	struct bent *e = family_entries(b, v4, &n);

	if (!e)
		return -ENOMEM;
	struct build c = { .t = t, .e = e, .len_off = v4 ? 96 : 0 };
	int r = build_root(&c, n);
	free(e);
	if (r == 0)
		trie_shrink(t);
	return r;
}

struct ft_lpm *ft_lpm_build(const struct ft_lpm_builder *b)
{
	struct ft_lpm *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (build_trie(b, &t->v4, true) < 0 || build_trie(b, &t->v6, false) < 0)
		return ft_lpm_free(t);
	return t;
}
