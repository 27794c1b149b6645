/* Fuzz target for the state files other than the templates: state/steps.json (the
 * steps open at a clean stop, collector/core/step_json.c) and state/running.json (the
 * marker of a run, collector/daemon/outputs.c).  The input is the two files, separated
 * by the first NUL byte:
 *
 *   steps.json  NUL  running.json
 *
 * (without a NUL there is no marker).  First ft_steps_load() reads steps.json alone:
 * what it returns must be steps that balance, start on a multiple of their length and
 * come in order, and must save (ft_steps_save()) and load back the same.  Then a
 * start of flowtallyd's outputs is played as the daemon does it: ft_outputs_open()
 * (live: the marker read, set aside when damaged, and written anew) over a sink that
 * holds steps up to a time taken from the input, and ft_outputs_take_open(), which
 * must restore only steps after that time, in order; then the outputs close (the
 * marker removed).  A steps.json the loader refused is set aside as
 * steps.json.damaged-TIME, one it took is not; a marker is set aside at most once.
 *
 * Seeds: corpus/state/, files saved by flowtallyd at a stop (steps.json) and while
 * running (running.json), with damaged variants.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowtally/config.h"
#include "flowtally/log.h"
#include "flowtally/sink.h"
#include "flowtally/step.h"
#include "fuzz.h"
#include "outputs.h"

static int64_t held_until;     /* the start of the last step the sink holds */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

static int null_open(const struct ft_sink_env *env, void **ret)
{
	(void)env;
	*ret = &held_until;
	return 0;
}

static int null_write(void *state, const struct ft_step *s)
{
	(void)state, (void)s;
	return 0;
}

static int null_last(void *state, int64_t *ret)
{
	*ret = *(int64_t *)state;
	return *ret == INT64_MIN ? -ENOENT : 0;
}

static void null_close(void *state)
{
	(void)state;
}

static const struct ft_sink_ops null_sink = {
	.name = "null", .open = null_open, .write_step = null_write, .last_step = null_last,
	.close = null_close,
};

static const struct ft_sink_entry table[] = { { &null_sink, FT_SINK_NO_CONF } };

static void write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "w");
	CHECK(f && fwrite(p, 1, n, f) == n && fclose(f) == 0);
}

static void check_steps(const struct ft_step *s, size_t n, int64_t after)
{
	for (size_t i = 0; i < n; i++) {
		CHECK(ft_step_check(&s[i]) == 0);
		CHECK(s[i].length_ms > 0 && s[i].start_ms % s[i].length_ms == 0);
		CHECK(s[i].start_ms > after);
		CHECK(i == 0 || s[i].start_ms > s[i - 1].start_ms);
		for (size_t k = 1; k < s[i].n_cells; k++)
			CHECK(ft_step_cell_cmp(&s[i].cells[k - 1], &s[i].cells[k]) < 0);
	}
}

static void free_steps(struct ft_step *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ft_step_done(&s[i]);
	free(s);
}

static bool same_volume(const struct ft_volume *a, const struct ft_volume *b)
{
	return a->bytes == b->bytes && a->packets == b->packets && a->flows == b->flows;
}

static bool same(const struct ft_step *a, const struct ft_step *b)
{
	if (a->start_ms != b->start_ms || a->length_ms != b->length_ms || strcmp(a->map_id, b->map_id) ||
	    !same_volume(&a->total, &b->total) || !same_volume(&a->unattributed_src, &b->unattributed_src) ||
	    !same_volume(&a->unattributed_dst, &b->unattributed_dst) || !same_volume(&a->late, &b->late) ||
	    !same_volume(&a->not_accounted, &b->not_accounted) || a->n_cells != b->n_cells)
		return false;
	for (size_t k = 0; k < a->n_cells; k++)
		if (ft_step_cell_cmp(&a->cells[k], &b->cells[k]) != 0 || !same_volume(&a->cells[k].v, &b->cells[k].v))
			return false;
	return true;
}

/* steps.json alone: what loads is valid and saves and loads back the same.  Returns
 * what ft_steps_load() did. */
static int load_alone(const char *dir, const char *path)
{
	struct ft_step *s = NULL, *s2 = NULL;
	size_t n = 0, n2 = 0;
	char why[300] = "", again[128];
	int r = ft_steps_load(path, &s, &n, why, sizeof(why));
	CHECK(r == 0 || r == -EINVAL || r == -EBADMSG || r == -ENOENT);
	if (getenv("FT_FUZZ_LOG"))
		fprintf(stderr, "fuzz_state: load %d, %zu step(s) %s\n", r, n, why);
	if (r == -EINVAL || r == -EBADMSG)
		CHECK(why[0] != '\0');          /* what is wrong is said */
	if (r < 0)
		return r;
	check_steps(s, n, INT64_MIN);
	snprintf(again, sizeof(again), "%s/again.json", dir);
	CHECK(ft_steps_save(again, s, n) == 0);
	CHECK(ft_steps_load(again, &s2, &n2, why, sizeof(why)) == 0 && n2 == n);
	for (size_t i = 0; i < n; i++)
		CHECK(same(&s[i], &s2[i]));
	unlink(again);
	free_steps(s, n);
	free_steps(s2, n2);
	return 0;
}

/* How many files in dir/state/ begin with prefix. */
static int count(const char *state, const char *prefix)
{
	DIR *d = opendir(state);
	struct dirent *e;
	int n = 0;
	CHECK(d);
	while ((e = readdir(d)))
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[64] = "/tmp/ft-fuzz-state-XXXXXX", state[96], steps[128], marker[128];
	ft_log_level = getenv("FT_FUZZ_LOG") ? FT_LOG_DEBUG : FT_LOG_ERR - 1;
	CHECK(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(steps, sizeof(steps), "%s/steps.json", state);
	snprintf(marker, sizeof(marker), "%s/running.json", state);
	CHECK(mkdir(state, 0755) == 0);

	const uint8_t *nul = memchr(data, 0, size);
	size_t n = nul ? (size_t)(nul - data) : size;
	write_file(steps, data, n);
	if (nul)
		write_file(marker, nul + 1, size - n - 1);
	/* The sink holds steps up to a time of the input's: its length picks one of a few,
	 * before, among and after the times the seeds' steps have. */
	static const int64_t held[] = { INT64_MIN, 0, 1796132869000, 1796132871000, INT64_MAX - 1 };
	held_until = held[size % (sizeof(held) / sizeof(held[0]))];

	int loaded = load_alone(dir, steps);

	struct ft_config *cfg = ft_config_new_default();
	CHECK(cfg);
	free(cfg->data_dir);
	CHECK((cfg->data_dir = strdup(dir)));
	struct ft_outputs *o = NULL;
	CHECK(ft_outputs_open(cfg, table, 1, true, &o) == 0);
	CHECK(access(marker, F_OK) == 0);        /* this run's marker, whatever was there */
	struct ft_step *s = NULL;
	size_t ns = 0;
	int r = ft_outputs_take_open(o, &s, &ns);
	CHECK(r == 0);
	check_steps(s, ns, held_until);
	CHECK(access(steps, F_OK) < 0);          /* restored once, or set aside */
	/* a file refused is set aside, one that loads is not */
	CHECK(count(state, "steps.json.damaged-") == (loaded < 0 ? 1 : 0));
	CHECK(count(state, "running.json.damaged-") <= (nul ? 1 : 0));
	free_steps(s, ns);
	ft_outputs_close(o);
	CHECK(access(marker, F_OK) < 0);
	ft_config_free(cfg);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
