#ifndef FT_STEPS_H
#define FT_STEPS_H

#include <stdbool.h>

#include "flowtally/agg.h"
#include "flowtally/config.h"
#include "flowtally/ledger.h"
#include "flowtally/log.h"

struct ft_stepper {
	bool live;                  /* a running daemon (not --replay): keeps the marker */
	bool unclean;               /* the last run did not stop cleanly */
	struct ft_ledger *ledger;
	struct ft_step *pending;    /* closed parts by start, merged */
	size_t n, cap;
	uint64_t written, refused, errors;
	int64_t last_written;
	struct ft_log_rl rl;
	char marker[4200], open_path[4200], ledger_dir[4200];
};

int ft_stepper_open(struct ft_stepper *s, const struct ft_config *cfg, bool live);
void ft_stepper_close(struct ft_stepper *s);
/* The steps saved open at the last clean stop (their file is then removed). */
int ft_stepper_take_open(struct ft_stepper *s, struct ft_step **ret, size_t *ret_n);
/* Takes a closed part (its cells are freed). */
void ft_stepper_add(struct ft_stepper *s, struct ft_step *st);
/* Writes the complete steps (start < complete_before) to the ledger. */
void ft_stepper_commit(struct ft_stepper *s, int64_t complete_before);
/* Saves the steps still open at a stop (parts merged by start; taken). */
int ft_stepper_save_open(struct ft_stepper *s, struct ft_step *open, size_t n);

#endif
