/* flowtally — the step ledger: the append-only, authoritative record of closed steps
 * from which recharge volumes are computed (RRDs can be rebuilt from it).
 *
 * DIR/YYYY-MM-DD.ledger holds the steps that start on that UTC day, one block of
 * tab-separated text lines per step, exact integers; each block ends with a SHA-256
 * that covers it and the previous block's hash, so the blocks form one chain across
 * day files.  The format is described in exporters/ledger/ledger.c and in the README
 * ("The ledger").
 *
 * One writer (flowtallyd's control thread, through ft_ledger_sink) appends; any number
 * of readers verify and sum.  Nothing here is thread-safe: each object belongs to one
 * thread.
 */
#ifndef FLOWTALLY_LEDGER_H
#define FLOWTALLY_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtally/diag.h"
#include "flowtally/sink.h"
#include "flowtally/step.h"

#define FT_LEDGER_HASH_HEX 65   /* SHA-256 in lowercase hex, NUL included */

/* A break in the chain: a record (a K block) flowtallyd writes where the chain cannot go
 * on as it was, so that the place and what was set aside stay in the chain itself.
 *   quarantine  the newest day file was damaged at a start: it was moved whole into
 *               DIR/quarantine/ (ref), its blocks up to the first problem were kept;
 *   truncated   DIR/HEAD named a later block than the chain ends with: blocks or day
 *               files were removed from the end (ref: the hash HEAD named).
 * A break stays to be looked into until acknowledged (flowtally ledger acknowledge);
 * sums across one that is not are refused. */
struct ft_ledger_break {
	int64_t time_ms;            /* where it sits: the end of the last step before it */
	char kind[16];
	char ref[256];
	char text[320];             /* what happened, with figures */
	char hash[FT_LEDGER_HASH_HEX];  /* its block's hash: its identity */
};

/* ---- Writer ---- */

struct ft_ledger;

/* Opens the ledger in dir (normally DATA_DIR/ledger; created if missing, its parent
 * must exist) for appending, and locks it (flock on the directory): -EBUSY when another
 * process writes it.  The newest day files are verified first, against DIR/HEAD:
 *  - a block left incomplete at the end of the newest file whose step HEAD does not
 *    name (a crash while writing it: never committed) is cut off, with a warning;
 *  - a newest file with any other damage, or whose committed last block was cut short
 *    later, is moved whole into DIR/quarantine/, its blocks up to the first problem are
 *    kept, and a quarantine break is appended (logged at error level);
 *  - a chain that ends before the block HEAD names gets a truncated break;
 *  - an empty or header-only newest file is a torn write of nothing;
 *  - a missing HEAD (a ledger of an older flowtallyd) is rebuilt, with a notice.
 * Damage never refuses the open: collection goes on.  *ret belongs to the caller. */
int ft_ledger_open(const char *dir, struct ft_ledger **ret);

/* Appends s as one block, then fsyncs the file (and the directory when the step opens
 * a new day file).  Returns 0 once the block is on disk, or:
 *   -EEXIST   s starts before the end of the last step in the ledger: it, or a step
 *             overlapping it, is already there (after a restart, for instance).  Nothing
 *             is written, so nothing is counted twice; the caller logs it.
 *   -EINVAL   the format cannot hold s: start not a multiple of the length, length not a
 *             whole number of seconds dividing a day, time before 1970 or after 9999,
 *             tenant/class names empty, unterminated or with control characters, map_id
 *             with blanks, cells not sorted by (tenant, direction, class) or repeated,
 *             direction neither out nor in.
 *   -EBADMSG  ft_step_check() fails: the attribution contract does not hold.
 *   -errno    an I/O error; what was written of the block is removed again (if even that
 *             fails, every later append returns -EIO until the ledger is reopened, and
 *             reopening cuts the partial block off).
 * s stays the caller's. */
int ft_ledger_append(struct ft_ledger *l, const struct ft_step *s);

/* The last step in the ledger (start and length, ms); -ENOENT when it is empty. */
int ft_ledger_last_step(const struct ft_ledger *l, int64_t *ret_start_ms, int64_t *ret_length_ms);

/* The hash of the last block (64 zeros when empty), as DIR/HEAD holds it too (replaced
 * atomically after each block, with the count of steps), so that removing blocks from
 * the end, or the newest day files, is seen. */
const char *ft_ledger_head(const struct ft_ledger *l);
/* The earliest start a step may have now: the end of the last step, or a break's time
 * when one came after it (INT64_MIN for an empty ledger). */
int64_t ft_ledger_next_start(const struct ft_ledger *l);
/* Steps in the chain. */
uint64_t ft_ledger_steps(const struct ft_ledger *l);
/* Breaks this open appended: one per damaged day file set aside (up to 7 at the end
 * of the ledger; more refuse the open with -EBADMSG), or one truncation. */
size_t ft_ledger_open_breaks(const struct ft_ledger *l);

/* Closes the file and releases the lock.  NULL-safe; returns NULL. */
struct ft_ledger *ft_ledger_close(struct ft_ledger *l);

/* The ledger as the daemon's first, authoritative sink: DATA_DIR/ledger, opened with
 * ft_ledger_open() and written with ft_ledger_append(). */
extern const struct ft_sink_ops ft_ledger_sink;

/* ---- Reader ---- */

struct ft_ledger_reader;

/* Reads the ledger in dir: the blocks whose step starts in [from_ms, to_ms) (INT64_MIN
 * and INT64_MAX for no bound).  -ENOENT when dir does not exist, -EINVAL when
 * from_ms >= to_ms.  *ret belongs to the caller (ft_ledger_reader_free). */
int ft_ledger_reader_open(const char *dir, int64_t from_ms, int64_t to_ms,
                          struct ft_ledger_reader **ret);

/* The next block in the range, verified: its hash, its link to the previous block
 * (across day files too), its order after the previous step, its day file, its syntax,
 * and the step's contract (ft_step_check).  When the range reaches the end of the
 * ledger, its last block is checked against DIR/HEAD too (a HEAD behind by blocks a
 * stop did not record is a warning in diag, not a problem).  Returns
 *    1        *ret is the step (the caller's: ft_step_done);
 *    2        a break (ft_ledger_reader_break); *ret untouched;
 *    0        end of the range;
 *   -EBADMSG  damage, each problem added to diag (NULL: not kept) as "file:line: what";
 *             *ret is untouched; call again to go on after it;
 *   -errno    a file could not be read (in diag as well); call again for the next file.
 * An incomplete block at the end of the newest file while a writer holds the ledger is
 * being written: it is not reached.  Without a writer it is reported. */
int ft_ledger_reader_next(struct ft_ledger_reader *r, struct ft_step *ret, struct ft_diag *diag);

/* Of the block returned last: its day file (path), the line of its first line and
 * the hash that ends it; the break, when it was one. */
const char *ft_ledger_reader_file(const struct ft_ledger_reader *r);
int ft_ledger_reader_line(const struct ft_ledger_reader *r);
const char *ft_ledger_reader_hash(const struct ft_ledger_reader *r);
const struct ft_ledger_break *ft_ledger_reader_break(const struct ft_ledger_reader *r);
/* True once the range was read to its end without DIR/HEAD (a ledger of an older
 * flowtallyd, before its first start with this one). */
bool ft_ledger_reader_no_head(const struct ft_ledger_reader *r);

/* NULL-safe; returns NULL. */
struct ft_ledger_reader *ft_ledger_reader_free(struct ft_ledger_reader *r);

/* ---- What needs looking into: breaks and damage, until acknowledged ---- */

/* One thing to look into: a break (id: its hash) or a damaged day file (id:
 * "file:NAME:SHA256" of its bytes, so a file damaged again is new again). */
struct ft_ledger_issue {
	char id[128];
	char what[640];             /* one line: where and what */
	bool acknowledged;
};

struct ft_ledger_attention {
	struct ft_ledger_issue *v;
	size_t n, cap;
	size_t breaks, damaged;     /* of v: breaks, damaged files */
	size_t open;                /* of v: not acknowledged */
	uint64_t steps, problems;
};

/* Reads the whole ledger in dir (as verify does; it may be being written) and fills
 * *ret (ft_ledger_attention_done).  0 or -errno (-ENOENT: no ledger; -ECANCELED when
 * *cancel became true: cancel may be NULL). */
int ft_ledger_attention_scan(const char *dir, struct ft_ledger_attention *ret,
                             const volatile bool *cancel);
/* Marks what DIR/acknowledged lists; returns how many remain open. */
size_t ft_ledger_attention_mark(const char *dir, struct ft_ledger_attention *a);
void ft_ledger_attention_done(struct ft_ledger_attention *a);

/* Records id in DIR/acknowledged (appended, fsynced) with the time and note (no tabs
 * or newlines: they become blanks).  0 or -errno. */
int ft_ledger_acknowledge(const char *dir, const char *id, const char *note);
/* True when DIR/acknowledged lists id. */
bool ft_ledger_acknowledged(const char *dir, const char *id);

/* ---- Sums over steps (what `flowtally ledger show` and recharge report) ---- */

struct ft_ledger_row {
	char tenant[FT_NAME_MAX];
	char class_[FT_NAME_MAX];   /* "": the tenant over all classes */
	struct ft_volume out, in;
};

/* One row per tenant with class_ "" (all its classes); by class, one more row per
 * (tenant, class) after it. */
struct ft_ledger_sum {
	bool by_class;
	struct ft_ledger_row *rows; /* sorted by tenant, then class */
	size_t n_rows, cap;
	struct ft_volume unattributed_src, unattributed_dst, total, late, not_accounted;
	uint64_t steps;
	int64_t first_ms, end_ms;   /* earliest step start, latest step end (0 without steps) */
};

void ft_ledger_sum_init(struct ft_ledger_sum *sum, bool by_class);
/* Adds every cell and total of s.  -EOVERFLOW when a sum would pass 2^64 - 1, -ENOMEM;
 * after an error the sum is incomplete and only good for ft_ledger_sum_done(). */
int ft_ledger_sum_add(struct ft_ledger_sum *sum, const struct ft_step *s);
/* The row of (tenant, class_); class_ "" or NULL: the tenant's total.  NULL if none. */
const struct ft_ledger_row *ft_ledger_sum_find(const struct ft_ledger_sum *sum,
                                               const char *tenant, const char *class_);
void ft_ledger_sum_done(struct ft_ledger_sum *sum);

#endif
