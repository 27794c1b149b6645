/* Fuzz target for the configuration file (collector/config/) and the prefix files
 * (collector/tenant/conf.c): the input is up to three files, separated by NUL bytes:
 *
 *   flowtally.conf  NUL  a.txt  NUL  b.txt
 *
 * written in a temporary directory that is then the working directory, so that
 * `prefix_files = [ "a.txt", { path = "b.txt"; ... } ]` names them.  The configuration
 * is read with ft_config_load() (from the file, with the file:line of every finding) and
 * ft_config_parse() (from the text); when it is valid, the view the daemon would run
 * with is built from it (ft_view_build(): the tenant map and its checks).  a.txt is
 * also read on its own as `flowtally replay --prefixes` reads one (tenants named by it
 * are implied).
 *
 * The files must stay harmless: an input that names a file outside the temporary
 * directory (a prefix file with a '/' in its name, or an @include, which libconfig would
 * follow) is not run.  Nothing else in a configuration opens a file but the time zone
 * database (read only).
 *
 * Checked whatever the bytes: the results are 0 with a configuration, or a negative
 * errno without one; -EINVAL has at least one error; every finding is "file:line: text"
 * or "file: text" with a file that is one of the three or "(built in)", and counted as
 * an error or a warning; the file and the text give the same verdict when the text has
 * no prefix files to read.
 *
 * Seeds: corpus/config/ (scripts/demo/flowtally.conf, the configurations of the tests
 * and the README, with prefix files).
 */
#include <errno.h>
#include <ftw.h>
#include <libconfig.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "flowtally/config.h"
#include "flowtally/diag.h"
#include "flowtally/log.h"
#include "flowtally/tenant.h"
#include "flowtally/view.h"
#include "fuzz.h"

static const char *const names[] = { "flowtally.conf", "a.txt", "b.txt" };

/* libconfig 1.5 (Debian 12) does not free the string token its grammar refuses (a file
 * `"x"`, a string where a setting's name belongs): the token's bytes, once a read, held
 * in libconfig's own memory that config_destroy() cannot reach.  LeakSanitizer is told
 * to leave memory allocated inside libconfig alone (its stacks end there: libconfig has
 * no frame pointers); any other leak still stops the run. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st, (void)flag, (void)f;
	return remove(p);
}

/* A prefix_files path is harmless when it has no '/': it stays in the directory. */
static bool harmless_path(const config_setting_t *s)
{
	const char *p = s ? config_setting_get_string(s) : NULL;
	return !p || !strchr(p, '/');
}

/* Whether every file the configuration would read is in the working directory, and
 * whether it names prefix files at all. */
static bool harmless(const char *text, bool *has_files)
{
	config_t lc;
	bool ok = true;
	*has_files = false;
	if (strstr(text, "@include"))
		return false;
	config_init(&lc);
	if (config_read_string(&lc, text)) {
		config_setting_t *s = config_setting_get_member(config_root_setting(&lc), "prefix_files");
		*has_files = s != NULL;
		for (int i = 0; s && ok && i < config_setting_length(s); i++) {
			config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
			ok = config_setting_is_group(e) ? harmless_path(config_setting_get_member(e, "path"))
			                                 : harmless_path(e);
		}
		if (s && !config_setting_is_aggregate(s))
			ok = harmless_path(s);
	}
	config_destroy(&lc);
	return ok;
}

static void check_diag(const struct ft_diag *d, int r)
{
	CHECK(d->errors + d->warnings == d->n);
	CHECK(r != -EINVAL || d->errors > 0);
	CHECK(r != 0 || d->errors == 0);
	for (size_t i = 0; i < d->n; i++) {
		const char *l = d->lines[i];
		bool known = false;
		CHECK(l && d->at[i].file < d->n_files && d->at[i].line >= 0);
		for (size_t k = 0; k < 3; k++)
			known |= strcmp(d->files[d->at[i].file], names[k]) == 0;
		known |= strcmp(d->files[d->at[i].file], "(built in)") == 0;
		CHECK(known);
		size_t n = strlen(d->files[d->at[i].file]);
		CHECK(strncmp(l, d->files[d->at[i].file], n) == 0 && l[n] == ':');
	}
}

static void run(const char *text, const char *dir)
{
	struct ft_diag d = { 0 }, d2 = { 0 };
	struct ft_config *cfg = NULL, *cfg2 = NULL;
	bool has_files;
	if (!harmless(text, &has_files))
		return;

	int r = ft_config_load(names[0], &cfg, &d);
	CHECK(r <= 0 && (r == 0) == (cfg != NULL));
	check_diag(&d, r);
	for (size_t i = 0; getenv("FT_FUZZ_LOG") && i < d.n; i++)
		fprintf(stderr, "fuzz_config: %s\n", d.lines[i]);
	if (cfg) {
		struct ft_view *v = NULL;
		int rv = ft_view_build(cfg, &d, &v);
		CHECK(rv <= 0 && (rv == 0) == (v != NULL));
		ft_view_free(v);
		ft_config_free(cfg);
	}
	ft_diag_done(&d);

	/* From the text: the same verdict, but for what only the files decide. */
	int r2 = ft_config_parse(text, names[0], &cfg2, &d2);
	CHECK(r2 <= 0 && (r2 == 0) == (cfg2 != NULL));
	check_diag(&d2, r2);
	if (!has_files)
		CHECK(r == r2);
	if (getenv("FT_FUZZ_LOG"))
		fprintf(stderr, "fuzz_config: load %d, parse %d\n", r, r2);
	ft_config_free(cfg2);
	ft_diag_done(&d2);

	/* a.txt as `flowtally replay --prefixes` reads it. */
	struct ft_tenant_conf tc;
	struct ft_diag d3 = { 0 };
	CHECK(ft_tenant_conf_init(&tc) == 0);
	int r3 = ft_tenant_conf_read_prefixes(&tc, names[1], true, FT_TIME_MIN, FT_TIME_MAX, &d3);
	CHECK(r3 == 0 || r3 == -EINVAL || r3 == -ENOENT || r3 == -ENOSPC);
	check_diag(&d3, r3);
	ft_diag_done(&d3);
	ft_tenant_conf_done(&tc);
	(void)dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[64] = "/tmp/ft-fuzz-config-XXXXXX", cwd[4096];
	ft_log_level = getenv("FT_FUZZ_LOG") ? FT_LOG_DEBUG : FT_LOG_ERR - 1;
	CHECK(getcwd(cwd, sizeof(cwd)) && mkdtemp(dir) && chdir(dir) == 0);

	const uint8_t *p = data, *end = data + size;
	char *text = NULL;
	for (size_t i = 0; i < 3; i++) {
		const uint8_t *nul = memchr(p, 0, (size_t)(end - p));
		size_t n = (size_t)((nul ? nul : end) - p);
		FILE *f = fopen(names[i], "w");
		CHECK(f && fwrite(p, 1, n, f) == n && fclose(f) == 0);
		if (i == 0) {
			CHECK((text = malloc(n + 1)));
			memcpy(text, p, n);
			text[n] = '\0';
		}
		if (!nul)
			break;
		p = nul + 1;
	}
	run(text, dir);
	free(text);
	CHECK(chdir(cwd) == 0);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
