/* flowtally: one line of progress on standard error for long work (generate, replay,
 * ledger verify), when standard error is a terminal, and nothing at all when it is not
 * (a pipe, a file, a test): the line is written over with a carriage return at most
 * four times a second, the first after half a second (short work shows none), and
 * cleared at the end. */
#ifndef FT_CLI_PROGRESS_H
#define FT_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct ft_progress {
	bool on;                    /* standard error is a terminal */
	int64_t next_ns;            /* CLOCK_MONOTONIC: no line before this */
	int width;                  /* the terminal's columns */
	int shown;                  /* columns of the line on it now; 0: none */
};

/* Starts the clock; on when standard error is a terminal. */
void ft_progress_init(struct ft_progress *p);
/* Whether a line is due now: false at once when off, so it may be called per item. */
bool ft_progress_due(struct ft_progress *p);
/* Writes the line over the last one (cut to the terminal's width) and makes the next
 * due in a quarter of a second; nothing when off. */
void ft_progress_show(struct ft_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the line, if one is shown, before the work's own output. */
void ft_progress_done(struct ft_progress *p);

#endif
