/* Open steps saved across a clean restart (state/steps.json), in JSON (jansson):
 *   {"schema":1,"steps":[{"start_ms":N,"length_ms":N,"map":"ID","total":[b,p,f],
 *     "unattributed_src":[..],"unattributed_dst":[..],"late":[..],"not_accounted":[..],
 *     "cells":[["tenant","out"|"in","class",b,p,f],...],
 *     "points":[["exporter",ifindex,"out"|"in",b,p,f],...]}]}
 * ("points" may be absent: a file of an older flowtallyd).  Exporters' counters are not
 * saved: they belong to a step when it is committed, and open steps are not yet.
 * Written to a temporary name, fsynced and renamed. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/file.h"
#include "flowtally/names.h"
#include "flowtally/step.h"

static json_t *vol_json(const struct ft_volume *v)
{
	return json_pack("[I,I,I]", (json_int_t)v->bytes, (json_int_t)v->packets, (json_int_t)v->flows);
}

static json_t *step_json(const struct ft_step *s)
{
	json_t *cells = json_array();
	for (size_t i = 0; i < s->n_cells; i++) {
		const struct ft_step_cell *c = &s->cells[i];
		json_array_append_new(cells, json_pack("[s,s,s,I,I,I]", c->tenant,
			c->direction == FT_DIR_OUT ? "out" : "in", c->class_, (json_int_t)c->v.bytes,
			(json_int_t)c->v.packets, (json_int_t)c->v.flows));
	}
	json_t *points = json_array();
	for (size_t i = 0; i < s->n_points; i++) {
		const struct ft_step_point *p = &s->points[i];
		char a[FT_ADDR_STRLEN];
		json_array_append_new(points, json_pack("[s,I,s,I,I,I]", ft_addr_format(&p->exporter, a),
			(json_int_t)p->ifindex, p->direction == FT_DIR_OUT ? "out" : "in", (json_int_t)p->v.bytes,
			(json_int_t)p->v.packets, (json_int_t)p->v.flows));
	}
	return json_pack("{s:I,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "start_ms", (json_int_t)s->start_ms,
		"length_ms", (json_int_t)s->length_ms, "map", s->map_id, "total", vol_json(&s->total),
		"unattributed_src", vol_json(&s->unattributed_src),
		"unattributed_dst", vol_json(&s->unattributed_dst), "late", vol_json(&s->late),
		"not_accounted", vol_json(&s->not_accounted), "cells", cells, "points", points);
}

int ft_steps_save(const char *path, const struct ft_step *steps, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, step_json(&steps[i]));
	json_t *root = json_pack("{s:i,s:o}", "schema", 1, "steps", arr);
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (!text)
		return -ENOMEM;
	int r = ft_file_write_atomic(path, text, strlen(text));
	free(text);
	return r;
}

/* ---- loading: every field checked, the first thing wrong said ---------------------- */

/* why ← "WHERE: what" (why may be NULL); returns err. */
__attribute__((format(printf, 5, 6)))
static int bad(char *why, size_t size, int err, const char *where, const char *fmt, ...)
{
	char what[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (why && size)
		snprintf(why, size, "%s: %s", where, what);
	return err;
}

/* A count: an integer from 0 on. */
static bool count_of(json_t *j, uint64_t *ret)
{
	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*ret = (uint64_t)json_integer_value(j);
	return true;
}

/* [bytes, packets, flows] at a[from..from + 3). */
static bool vol_at(json_t *a, size_t from, struct ft_volume *v)
{
	return count_of(json_array_get(a, from), &v->bytes) &&
	       count_of(json_array_get(a, from + 1), &v->packets) &&
	       count_of(json_array_get(a, from + 2), &v->flows);
}

static int vol_of(json_t *step, const char *key, struct ft_volume *v, const char *where, char *why, size_t size)
{
	json_t *a = json_object_get(step, key);
	if (!json_is_array(a) || json_array_size(a) != 3 || !vol_at(a, 0, v))
		return bad(why, size, -EINVAL, where, "%s is not [bytes, packets, flows]", key);
	return 0;
}

/* ["tenant", "out"|"in", "class", bytes, packets, flows] */
static int cell_of(json_t *c, struct ft_step_cell *ret, const char *where, size_t k, char *why, size_t size)
{
	const char *t = json_string_value(json_array_get(c, 0));
	const char *d = json_string_value(json_array_get(c, 1));
	const char *cls = json_string_value(json_array_get(c, 2));
	if (!json_is_array(c) || json_array_size(c) != 6)
		return bad(why, size, -EINVAL, where, "cell %zu is not [tenant, direction, class, bytes, "
		           "packets, flows]", k);
	if (!t || !ft_name_valid(t) || !cls || !ft_name_valid(cls))
		return bad(why, size, -EINVAL, where, "cell %zu: the tenant or class is not a name", k);
	if (!d || (strcmp(d, "out") != 0 && strcmp(d, "in") != 0))
		return bad(why, size, -EINVAL, where, "cell %zu: the direction is not \"out\" or \"in\"", k);
	if (!vol_at(c, 3, &ret->v))
		return bad(why, size, -EINVAL, where, "cell %zu: bytes, packets and flows are not counts", k);
	snprintf(ret->tenant, sizeof(ret->tenant), "%s", t);
	snprintf(ret->class_, sizeof(ret->class_), "%s", cls);
	ret->direction = strcmp(d, "in") == 0 ? FT_DIR_IN : FT_DIR_OUT;
	return 0;
}

static int cells_of(json_t *cells, struct ft_step *s, const char *where, char *why, size_t size)
{
	json_t *c;
	size_t k;
	if (!json_is_array(cells))
		return bad(why, size, -EINVAL, where, "cells is not a list");
	if (!(s->cells = calloc(json_array_size(cells) + 1, sizeof(*s->cells))))
		return -ENOMEM;
	json_array_foreach(cells, k, c) {
		int r = cell_of(c, &s->cells[k], where, k, why, size);
		if (r < 0)
			return r;
		/* in the ledger's order, as saved: a step past its window is written as it is */
		if (k && ft_step_cell_cmp(&s->cells[k - 1], &s->cells[k]) >= 0)
			return bad(why, size, -EINVAL, where, "cell %zu is not after the one before it", k);
		s->n_cells++;
	}
	return 0;
}

/* ["exporter", ifindex, "out"|"in", bytes, packets, flows], in order, none zero */
static int points_of(json_t *points, struct ft_step *s, const char *where, char *why, size_t size)
{
	json_t *c;
	size_t k;
	if (!points)
		return 0;
	if (!json_is_array(points))
		return bad(why, size, -EINVAL, where, "points is not a list");
	if (!(s->points = calloc(json_array_size(points) + 1, sizeof(*s->points))))
		return -ENOMEM;
	json_array_foreach(points, k, c) {
		struct ft_step_point *p = &s->points[k];
		const char *a = json_string_value(json_array_get(c, 0));
		json_t *ifx = json_array_get(c, 1);
		const char *d = json_string_value(json_array_get(c, 2));
		if (!json_is_array(c) || json_array_size(c) != 6 || !a || ft_addr_parse(a, &p->exporter) < 0 ||
		    !json_is_integer(ifx) || json_integer_value(ifx) < 0 || json_integer_value(ifx) > UINT32_MAX ||
		    !d || (strcmp(d, "out") != 0 && strcmp(d, "in") != 0) || !vol_at(c, 3, &p->v))
			return bad(why, size, -EINVAL, where, "point %zu is not [exporter, ifindex, direction, bytes, "
			           "packets, flows]", k);
		p->ifindex = (uint32_t)json_integer_value(ifx);
		p->direction = strcmp(d, "in") == 0 ? FT_DIR_IN : FT_DIR_OUT;
		if (k && ft_step_point_cmp(&s->points[k - 1], p) >= 0)
			return bad(why, size, -EINVAL, where, "point %zu is not after the one before it", k);
		if (p->v.bytes > s->total.bytes || p->v.packets > s->total.packets || p->v.flows > s->total.flows)
			return bad(why, size, -EINVAL, where, "point %zu carries more than the step's total", k);
		s->n_points++;
	}
	return 0;
}

static int step_of(json_t *j, struct ft_step *s, size_t i, char *why, size_t size)
{
	char where[48];
	json_t *start = json_object_get(j, "start_ms"), *length = json_object_get(j, "length_ms");
	const char *map = json_string_value(json_object_get(j, "map"));
	int r;
	snprintf(where, sizeof(where), "steps[%zu]", i);
	*s = (struct ft_step){ 0 };
	if (!json_is_object(j))
		return bad(why, size, -EINVAL, where, "not an object");
	if (!json_is_integer(start) || !json_is_integer(length) || json_integer_value(length) <= 0 ||
	    json_integer_value(start) % json_integer_value(length))
		return bad(why, size, -EINVAL, where, "start_ms and length_ms are not a step (a start, a "
		           "multiple of a length above 0)");
	if (!map || strlen(map) >= sizeof(s->map_id))
		return bad(why, size, -EINVAL, where, "map is not a map identity");
	s->start_ms = json_integer_value(start);
	s->length_ms = json_integer_value(length);
	snprintf(s->map_id, sizeof(s->map_id), "%s", map);
	snprintf(where, sizeof(where), "steps[%zu] (start_ms %" PRId64 ")", i, s->start_ms);
	if ((r = vol_of(j, "total", &s->total, where, why, size)) < 0 ||
	    (r = vol_of(j, "unattributed_src", &s->unattributed_src, where, why, size)) < 0 ||
	    (r = vol_of(j, "unattributed_dst", &s->unattributed_dst, where, why, size)) < 0 ||
	    (r = vol_of(j, "late", &s->late, where, why, size)) < 0 ||
	    (r = vol_of(j, "not_accounted", &s->not_accounted, where, why, size)) < 0 ||
	    (r = cells_of(json_object_get(j, "cells"), s, where, why, size)) < 0 ||
	    (r = points_of(json_object_get(j, "points"), s, where, why, size)) < 0)
		return r;
	if (ft_step_check(s) < 0)
		return bad(why, size, -EBADMSG, where, "it does not balance (out + unattributed_src, total "
		           "and in + unattributed_dst differ)");
	return 0;
}

static int steps_of(json_t *root, struct ft_step *s, size_t *n, char *why, size_t size)
{
	json_t *arr = json_object_get(root, "steps"), *j;
	size_t i;
	if (!json_is_object(root) || json_integer_value(json_object_get(root, "schema")) != 1 ||
	    !json_is_array(arr))
		return bad(why, size, -EINVAL, "the file", "not {\"schema\": 1, \"steps\": [...]}");
	json_array_foreach(arr, i, j) {
		int r = step_of(j, &s[*n], i, why, size);
		(*n)++;                 /* its cells are freed with the others */
		if (r < 0)
			return r;
		if (i && s[i].start_ms <= s[i - 1].start_ms)
			return bad(why, size, -EINVAL, "steps", "step %zu does not start after the one before it", i);
	}
	return 0;
}

int ft_steps_load(const char *path, struct ft_step **ret, size_t *ret_n, char *why, size_t why_size)
{
	json_error_t err;
	/* never read through a link (file.h) */
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	json_t *root = json_loadfd(fd, 0, &err);
	close(fd);
	if (!root) {
		char where[40];
		snprintf(where, sizeof(where), "line %d, column %d", err.line, err.column);
		return bad(why, why_size, -EINVAL, where, "%s", err.text);
	}
	size_t n = 0;
	struct ft_step *s = calloc(json_array_size(json_object_get(root, "steps")) + 1, sizeof(*s));
	int r = s ? steps_of(root, s, &n, why, why_size) : -ENOMEM;
	json_decref(root);
	if (r < 0) {
		for (size_t k = 0; s && k < n; k++)
			ft_step_done(&s[k]);
		free(s);
		return r;
	}
	*ret = s;
	*ret_n = n;
	return 0;
}
