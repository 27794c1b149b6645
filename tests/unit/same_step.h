/* For the unit tests: two steps equal in every field (cells in order). */
#ifndef FT_TEST_SAME_STEP_H
#define FT_TEST_SAME_STEP_H

#include <check.h>
#include <string.h>

#include "flowtally/step.h"

static inline void same_step(const struct ft_step *a, const struct ft_step *b)
{
	ck_assert_int_eq(a->start_ms, b->start_ms);
	ck_assert_int_eq(a->length_ms, b->length_ms);
	ck_assert_str_eq(a->map_id, b->map_id);
	ck_assert_uint_eq(a->n_cells, b->n_cells);
	for (size_t i = 0; i < a->n_cells; i++) {
		ck_assert_str_eq(a->cells[i].tenant, b->cells[i].tenant);
		ck_assert_str_eq(a->cells[i].class_, b->cells[i].class_);
		ck_assert_uint_eq(a->cells[i].direction, b->cells[i].direction);
		ck_assert(memcmp(&a->cells[i].v, &b->cells[i].v, sizeof(a->cells[i].v)) == 0);
	}
	const struct ft_volume *va[] = { &a->total, &a->unattributed_src, &a->unattributed_dst, &a->late,
	                                 &a->not_accounted };
	const struct ft_volume *vb[] = { &b->total, &b->unattributed_src, &b->unattributed_dst, &b->late,
	                                 &b->not_accounted };
	for (size_t i = 0; i < 5; i++)
		ck_assert_msg(memcmp(va[i], vb[i], sizeof(*va[i])) == 0, "volume %zu differs", i);
}

#endif
