/* The rendered site as JSON (dashboard.h): dashboard.json beside index.html, what
 * scripts and tests read instead of the pages. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/dashboard.h"

/* A figure, null when unknown. */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *image_json(const struct ft_dash_image *im)
{
	json_t *series = json_array(), *values = json_object();
	for (size_t i = 0; i < im->n_series; i++) {
		const struct ft_dash_series *s = &im->series[i];
		json_array_append_new(series, json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "label", s->label, "n",
		                                        (json_int_t)s->n, "average", num(s->avg), "minimum", num(s->min),
		                                        "maximum", num(s->max), "p95", num(s->p95), "last", num(s->last)));
	}
	for (size_t i = 0; i < im->n_values; i++)
		json_object_set_new(values, im->values[i].name, num(im->values[i].value));
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:i, s:i, s:b, s:b, s:s, s:o, s:o}", "graph", im->graph,
	                 "file", im->file, "title", im->title, "vertical_label", im->vertical_label, "period",
	                 ft_dash_period_name(im->period), "start", (json_int_t)im->start, "end", (json_int_t)im->end,
	                 "width", im->width, "height", im->height, "drawn", im->drawn, "no_data", im->no_data, "error",
	                 im->error, "series", series, "values", values);
}

int ft_dash_json_write(const struct ft_dash_site *site, const char *out_dir, char *err, size_t err_size)
{
	json_t *pages = json_array(), *spans = json_array(), *problems = json_array();
	for (size_t i = 0; i < site->n_spans; i++)
		json_array_append_new(spans, json_string(ft_dash_span_name(site->spans[i])));
	for (size_t i = 0; i < site->n_problems; i++)
		json_array_append_new(problems, json_string(site->problems[i].text));
	for (size_t i = 0; i < site->n_pages; i++) {
		const struct ft_dash_page *pg = &site->pages[i];
		json_t *images = json_array();
		for (size_t k = 0; k < pg->n_images; k++)
			json_array_append_new(images, image_json(&pg->images[k]));
		json_array_append_new(pages, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "kind", ft_dash_kind_name(pg->kind),
		                                       "span", ft_dash_span_name(pg->span), "subject", pg->subject, "title",
		                                       pg->title, "file", pg->file, "images", images));
	}
	json_t *root = json_pack("{s:s, s:I, s:s, s:o, s:b, s:I, s:I, s:I, s:o, s:o}", "version", site->version, "at",
	                         (json_int_t)site->at, "generated", site->generated, "spans", spans, "empty", site->empty,
	                         "images", (json_int_t)site->images, "not_drawn", (json_int_t)site->failed, "no_data",
	                         (json_int_t)site->no_data, "problems", problems, "pages", pages);
	if (!root) {
		snprintf(err, err_size, "out of memory (or a name that is not UTF-8) writing dashboard.json");
		return -ENOMEM;
	}
	char path[4096], tmp[4096 + 32];
	snprintf(path, sizeof(path), "%s/dashboard.json", out_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	int r = json_dump_file(root, tmp, JSON_INDENT(1) | JSON_REAL_PRECISION(17) | JSON_ENSURE_ASCII);
	json_decref(root);
	if (r != 0 || rename(tmp, path) != 0) {
		int e = errno ? errno : EIO;
		snprintf(err, err_size, "%s: cannot write: %s", path, strerror(e));
		unlink(tmp);
		return -e;
	}
	return 0;
}
