/* Open steps saved across a clean restart (state/steps.json), in JSON (jansson):
 *   {"schema":1,"steps":[{"start_ms":N,"length_ms":N,"map":"ID","total":[b,p,f],
 *     "unattributed_src":[..],"unattributed_dst":[..],"late":[..],"not_accounted":[..],
 *     "cells":[["tenant","out"|"in","class",b,p,f],...]}]}
 * Written to a temporary name, fsynced and renamed. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/step.h"
#include "flowtally/file.h"

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
	return json_pack("{s:I,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "start_ms", (json_int_t)s->start_ms,
		"length_ms", (json_int_t)s->length_ms, "map", s->map_id, "total", vol_json(&s->total),
		"unattributed_src", vol_json(&s->unattributed_src),
		"unattributed_dst", vol_json(&s->unattributed_dst), "late", vol_json(&s->late),
		"not_accounted", vol_json(&s->not_accounted), "cells", cells);
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

static int vol_of(json_t *a, struct ft_volume *v)
{
	json_t *b = json_array_get(a, 0), *p = json_array_get(a, 1), *f = json_array_get(a, 2);
	if (!json_is_integer(b) || !json_is_integer(p) || !json_is_integer(f))
		return -EINVAL;
	*v = (struct ft_volume){ (uint64_t)json_integer_value(b), (uint64_t)json_integer_value(p),
	                         (uint64_t)json_integer_value(f) };
	return 0;
}

static int cell_of(json_t *c, struct ft_step_cell *ret)
{
	const char *t = json_string_value(json_array_get(c, 0));
	const char *d = json_string_value(json_array_get(c, 1));
	const char *k = json_string_value(json_array_get(c, 2));
	json_t *v = json_array();
	for (size_t i = 3; i < 6; i++)
		json_array_append(v, json_array_get(c, i));
	int r = t && d && k && strlen(t) < FT_NAME_MAX && strlen(k) < FT_NAME_MAX ? vol_of(v, &ret->v) : -EINVAL;
	json_decref(v);
	if (r < 0)
		return r;
	snprintf(ret->tenant, sizeof(ret->tenant), "%s", t);
	snprintf(ret->class_, sizeof(ret->class_), "%s", k);
	ret->direction = strcmp(d, "in") == 0 ? FT_DIR_IN : FT_DIR_OUT;
	return 0;
}

static int step_of(json_t *j, struct ft_step *s)
{
	const char *map = json_string_value(json_object_get(j, "map"));
	json_t *cells = json_object_get(j, "cells"), *c;
	size_t i;
	*s = (struct ft_step){ .start_ms = json_integer_value(json_object_get(j, "start_ms")),
	                       .length_ms = json_integer_value(json_object_get(j, "length_ms")) };
	snprintf(s->map_id, sizeof(s->map_id), "%s", map ? map : "");
	if (s->length_ms <= 0 || vol_of(json_object_get(j, "total"), &s->total) < 0 ||
	    vol_of(json_object_get(j, "unattributed_src"), &s->unattributed_src) < 0 ||
	    vol_of(json_object_get(j, "unattributed_dst"), &s->unattributed_dst) < 0 ||
	    vol_of(json_object_get(j, "late"), &s->late) < 0 ||
	    vol_of(json_object_get(j, "not_accounted"), &s->not_accounted) < 0)
		return -EINVAL;
	s->cells = calloc(json_array_size(cells) + 1, sizeof(*s->cells));
	if (!s->cells)
		return -ENOMEM;
	json_array_foreach(cells, i, c) {
		if (cell_of(c, &s->cells[i]) < 0) {
			ft_step_done(s);
			return -EINVAL;
		}
		s->n_cells++;
	}
	return ft_step_check(s) == 0 ? 0 : (ft_step_done(s), -EBADMSG);
}

int ft_steps_load(const char *path, struct ft_step **ret, size_t *ret_n)
{
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err), *j;
	if (!root)
		return access(path, F_OK) == 0 ? -EINVAL : -ENOENT;
	json_t *arr = json_object_get(root, "steps");
	struct ft_step *s = calloc(json_array_size(arr) + 1, sizeof(*s));
	size_t n = 0, i;
	int r = s ? 0 : -ENOMEM;
	json_array_foreach(arr, i, j) {
		if (r == 0 && (r = step_of(j, &s[n])) == 0)
			n++;
	}
	json_decref(root);
	if (r < 0) {
		for (size_t k = 0; k < n; k++)
			ft_step_done(&s[k]);
		free(s);
		return r;
	}
	*ret = s;
	*ret_n = n;
	return 0;
}
