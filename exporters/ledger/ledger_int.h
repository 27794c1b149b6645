/* flowtally ledger internals shared by the writer (ledger.c), the text format
 * (format.c) and the reader (read.c). */
#ifndef FT_LEDGER_INT_H
#define FT_LEDGER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "flowtally/diag.h"
#include "flowtally/ledger.h"
#include "flowtally/step.h"

#define LEDGER_MAGIC "flowtally-ledger"
#define LEDGER_VERSION 2             /* written into new day files */
#define LEDGER_VERSION_MIN 1         /* the oldest read (and appended to, as it is) */
#define LEDGER_DAY_MS 86400000LL
#define LEDGER_LINE_MAX 512          /* longer lines are damage: a real one is < 250 bytes */
#define LEDGER_TIME_LEN 20           /* "2026-11-01T00:00:00Z" */
#define LEDGER_NAME_LEN 17           /* "2026-11-01.ledger" */
#define LEDGER_HEADER_LEN 32         /* "H\tflowtally-ledger\t1\t2026-11-01\n" */
#define LEDGER_MAX_MS 253402300800000LL  /* 10000-01-01: four-digit years only */
#define LEDGER_N_STATS 5

/* The S lines of a block, in this order, and where each is in struct ft_step. */
extern const char *const ft_ledger_stat_names[LEDGER_N_STATS];
extern const size_t ft_ledger_stat_offsets[LEDGER_N_STATS];
#define LEDGER_STAT(s, i) ((struct ft_volume *)((char *)(s) + ft_ledger_stat_offsets[i]))
#define LEDGER_STAT_C(s, i) \
	((const struct ft_volume *)((const char *)(s) + ft_ledger_stat_offsets[i]))

/* A growable text buffer; on allocation failure it sets oom and stops growing. */
struct ft_ledger_buf {
	char *p;
	size_t len, cap;
	bool oom;
};
void ft_ledger_buf_printf(struct ft_ledger_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void ft_ledger_buf_done(struct ft_ledger_buf *b);

/* Time: whole seconds, UTC.  day = floor(ms / LEDGER_DAY_MS). */
int64_t ft_ledger_day_of(int64_t ms);
void ft_ledger_time_text(int64_t ms, char buf[LEDGER_TIME_LEN + 1]);
/* Strict: exactly the form ft_ledger_time_text() writes. */
int ft_ledger_time_read(const char *s, int64_t *ret_ms);
/* "2026-11-01.ledger" for a day; and back (false: not a day file name). */
void ft_ledger_file_name(int64_t day, char buf[LEDGER_NAME_LEN + 1]);
bool ft_ledger_file_day(const char *name, int64_t *ret_day);

/* Why a step cannot be written as it is (NULL: it can): timing, names, cell order.
 * The attribution contract is ft_step_check()'s. */
const char *ft_ledger_step_invalid(const struct ft_step *s);
/* Name rules shared by writer and reader: 1..FT_NAME_MAX-1 bytes, none a control
 * character (so never a tab or a newline). */
bool ft_ledger_name_ok(const char *s, size_t len);
bool ft_ledger_map_id_ok(const char *s, size_t len);
bool ft_ledger_hash_ok(const char *s, size_t len);

/* The text of a file header (of version LEDGER_VERSION, or of version), and of a whole
 * block of that version (version 1: without P, X and D lines); *ret_hash is the block's
 * hash. */
void ft_ledger_format_header(struct ft_ledger_buf *b, int64_t day);
void ft_ledger_format_header_v(struct ft_ledger_buf *b, int64_t day, int version);
void ft_ledger_format_block(struct ft_ledger_buf *b, const struct ft_step *s,
                            const char *prev_hash, char ret_hash[FT_LEDGER_HASH_HEX]);
void ft_ledger_format_block_v(struct ft_ledger_buf *b, const struct ft_step *s, const char *prev_hash,
                              char ret_hash[FT_LEDGER_HASH_HEX], int version);
/* The version a header line (without its newline, len bytes) is of: 1 or 2; 0 when it
 * is not the header of day's file. */
int ft_ledger_header_version(const char *line, size_t len, int64_t day);
void ft_ledger_sha256_hex(const uint8_t digest[32], char ret[FT_LEDGER_HASH_HEX]);

/* A break's block: its K line, then its E line. */
void ft_ledger_format_break(struct ft_ledger_buf *b, const struct ft_ledger_break *k,
                            const char *prev_hash, char ret_hash[FT_LEDGER_HASH_HEX]);
/* Text a break may hold (kind, ref, text): no tab, newline or control character. */
void ft_ledger_clean_text(char *s);

/* DIR/HEAD: the chain's head, replaced atomically after each block.
 *   flowtally-ledger-head  1
 *   hash   HASH
 *   steps  N
 *   last   START  LENGTH_S       (or "last  -" without steps)
 */
#define LEDGER_HEAD_NAME "HEAD"
struct ft_ledger_headrec {
	char hash[FT_LEDGER_HASH_HEX];
	uint64_t steps;
	bool have_last;
	int64_t last_start_ms, last_length_ms;
};
/* 0; -ENOENT; -EBADMSG when it is not a HEAD; -errno. */
int ft_ledger_headrec_read(const char *dir, struct ft_ledger_headrec *h);
/* Writes HEAD.tmp, fsyncs it, renames it over HEAD, fsyncs the directory. */
int ft_ledger_headrec_write(int dir_fd, const struct ft_ledger_headrec *h);
/* Steps in the day files of dir, counted from their B lines (no verification). */
int ft_ledger_count_steps(const char *dir, uint64_t *ret);
/* SHA-256 of a file's bytes, in hex. */
int ft_ledger_file_sha256(const char *path, char ret[FT_LEDGER_HASH_HEX]);

/* The day files of a directory, sorted (oldest first).  Other names are ignored. */
struct ft_ledger_file {
	char name[LEDGER_NAME_LEN + 1];
	int64_t day;
};
int ft_ledger_list(const char *dir, struct ft_ledger_file **ret, size_t *ret_n);

/* The reader (read.c).  The writer uses it in recover mode on the newest files: an
 * incomplete block at the end of the newest file is then noted (tail_*) instead of
 * reported, so the writer can cut it off. */
struct ft_ledger_reader {
	char *dir;
	int64_t from_ms, to_ms;
	bool recover;
	struct ft_ledger_file *files;
	size_t n_files, next_file, end_file;
	/* the file being read */
	int fd;
	bool file_open;
	char *path;
	int64_t file_day;
	int file_version;           /* its header's (1 or 2; 0 before it is read) */
	bool file_newest;
	size_t last_content;        /* the last file with more than a header */
	int lineno;                 /* of the line in line[] */
	off_t off, line_off;        /* end of what was read; start of line[] */
	/* the file is read in large chunks into buf; a line is a NUL-terminated slice of it
	 * (its newline overwritten), valid until the next line is read */
	char *buf;
	size_t buf_cap, buf_pos, buf_end;   /* buf holds buf_cap + 1 bytes */
	bool buf_eof;
	off_t advised;              /* asked to be read ahead up to here */
	struct ft_ledger_prefetch *prefetch;    /* the thread that reads the file (read.c), or NULL */
	char *line;
	ssize_t line_len;           /* without the newline */
	bool held;                  /* line[] was read but not used yet */
	/* the chain */
	bool chain_known;
	char *link_problem;         /* why the first block's link cannot be checked */
	char prev_hash[FT_LEDGER_HASH_HEX];
	int64_t prev_end_ms;
	size_t n_problems;          /* reported so far */
	/* the block returned last */
	char hash[FT_LEDGER_HASH_HEX];
	int block_line;
	off_t block_end;            /* the offset after its E line */
	struct ft_ledger_break brk;
	/* the chain's end as read, against DIR/HEAD */
	struct ft_ledger_headrec head;
	int head_state;             /* 0 read, -ENOENT none, other: unreadable */
	bool head_seen;             /* the chain passed the block HEAD names */
	bool head_checked, no_head;
	uint64_t after_head;        /* steps read after it */
	uint64_t steps;             /* steps read (all, in range or not) */
	int64_t last_start_ms;      /* of the last step read */
	bool any_block;
	/* recover mode: where the newest file's incomplete block starts */
	bool tail_incomplete;
	off_t tail_off;
	char *tail_path;
};
int ft_ledger_reader_open_mode(const char *dir, int64_t from_ms, int64_t to_ms, bool recover,
                               struct ft_ledger_reader **ret);

#endif
