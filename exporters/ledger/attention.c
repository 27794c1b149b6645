/* What needs looking into in a ledger (ledger.h): every break in the chain and every
 * damaged day file, each until it is acknowledged in DIR/acknowledged:
 *
 *   A  2026-12-01T11:02:03Z  ID  NOTE            one line per acknowledgement
 *
 * The file is appended by `flowtally ledger acknowledge` (never by flowtallyd, which
 * only reads it), so acknowledging needs no stop. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/file.h"
#include "ledger_int.h"

#define ACK_NAME "acknowledged"

static struct ft_ledger_issue *add_issue(struct ft_ledger_attention *a)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 8;
		struct ft_ledger_issue *v = realloc(a->v, nc * sizeof(*v));
		if (!v)
			return NULL;
		a->v = v;
		a->cap = nc;
	}
	struct ft_ledger_issue *i = &a->v[a->n++];
	*i = (struct ft_ledger_issue){ 0 };
	return i;
}

/* The day file (or HEAD) a problem line "DIR/NAME:LINE: what" is about: NAME. */
static bool problem_file(const char *dir, const char *line, char *name, size_t size)
{
	size_t dl = strlen(dir);
	if (strncmp(line, dir, dl) != 0 || line[dl] != '/')
		return false;
	const char *p = line + dl + 1, *colon = strchr(p, ':');
	if (!colon || (size_t)(colon - p) >= size)
		return false;
	memcpy(name, p, (size_t)(colon - p));
	name[colon - p] = '\0';
	return true;
}

static int add_damage(struct ft_ledger_attention *a, const char *dir, const char *line)
{
	char name[64], path[4200], sha[FT_LEDGER_HASH_HEX], id[128];
	if (!problem_file(dir, line, name, sizeof(name)))
		snprintf(name, sizeof(name), "%s", "?");
	a->problems++;
	/* a file's later problems: already listed, its bytes hashed once */
	int idlen = snprintf(id, sizeof(id), "file:%s:", name);
	for (size_t i = 0; i < a->n; i++)
		if (strncmp(a->v[i].id, id, (size_t)idlen) == 0)
			return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (ft_ledger_file_sha256(path, sha) < 0)
		snprintf(sha, sizeof(sha), "%s", "missing");
	snprintf(id + idlen, sizeof(id) - (size_t)idlen, "%.16s", sha);
	struct ft_ledger_issue *is = add_issue(a);
	if (!is)
		return -ENOMEM;
	snprintf(is->id, sizeof(is->id), "%s", id);
	snprintf(is->what, sizeof(is->what), "damaged: %s", line + strlen(dir) + 1);
	a->damaged++;
	return 0;
}

static int add_break(struct ft_ledger_attention *a, const struct ft_ledger_reader *r)
{
	const struct ft_ledger_break *k = ft_ledger_reader_break(r);
	const char *file = strrchr(ft_ledger_reader_file(r), '/');
	char t[LEDGER_TIME_LEN + 1];
	struct ft_ledger_issue *is = add_issue(a);
	if (!is)
		return -ENOMEM;
	ft_ledger_time_text(k->time_ms, t);
	snprintf(is->id, sizeof(is->id), "%s", k->hash);
	if (strcmp(k->kind, "quarantine") == 0)
		snprintf(is->what, sizeof(is->what), "break at %s (%s:%d): %s; set aside in %s", t,
		         file ? file + 1 : "?", ft_ledger_reader_line(r), k->text, k->ref);
	else
		snprintf(is->what, sizeof(is->what), "break at %s (%s:%d): %s", t, file ? file + 1 : "?",
		         ft_ledger_reader_line(r), k->text);
	a->breaks++;
	return 0;
}

int ft_ledger_attention_scan(const char *dir, struct ft_ledger_attention *a, const volatile bool *cancel)
{
	struct ft_ledger_reader *r;
	struct ft_diag d = { 0 };
	struct ft_step s;
	*a = (struct ft_ledger_attention){ 0 };
	int rc = ft_ledger_reader_open(dir, INT64_MIN, INT64_MAX, &r);
	if (rc < 0)
		return rc;
	while ((rc = ft_ledger_reader_next(r, &s, &d)) != 0 && rc != -ENOMEM) {
		if (cancel && *cancel) {
			if (rc == 1)
				ft_step_done(&s);
			rc = -ECANCELED;
			break;
		}
		if (rc == 1) {
			a->steps++;
			ft_step_done(&s);
		} else if (rc == 2 && add_break(a, r) < 0) {
			rc = -ENOMEM;
			break;
		}
		for (size_t i = 0; i < d.n && rc != -ENOMEM; i++)
			if (!d.warning[i] && add_damage(a, dir, d.lines[i]) < 0)
				rc = -ENOMEM;
		ft_diag_done(&d);
		d = (struct ft_diag){ 0 };
		if (rc == -ENOMEM)
			break;
	}
	ft_diag_done(&d);
	ft_ledger_reader_free(r);
	if (rc == -ENOMEM || rc == -ECANCELED) {
		ft_ledger_attention_done(a);
		return rc;
	}
	ft_ledger_attention_mark(dir, a);
	return 0;
}

/* The whole of DIR/acknowledged, NUL-terminated; NULL when there is none. */
static char *read_acks(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/" ACK_NAME, dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m)
		fclose(m);
	return buf;
}

static bool listed(const char *acks, const char *id)
{
	size_t il = strlen(id);
	for (const char *p = acks; p && (p = strstr(p, id)); p += il)
		if (p > acks && p[-1] == '\t' && p[il] == '\t')
			return true;
	return false;
}

size_t ft_ledger_attention_mark(const char *dir, struct ft_ledger_attention *a)
{
	char *acks = read_acks(dir);
	a->open = 0;
	for (size_t i = 0; i < a->n; i++) {
		a->v[i].acknowledged = listed(acks, a->v[i].id);
		a->open += !a->v[i].acknowledged;
	}
	free(acks);
	return a->open;
}

void ft_ledger_attention_done(struct ft_ledger_attention *a)
{
	free(a->v);
	*a = (struct ft_ledger_attention){ 0 };
}

bool ft_ledger_acknowledged(const char *dir, const char *id)
{
	char *acks = read_acks(dir);
	bool yes = listed(acks, id);
	free(acks);
	return yes;
}

int ft_ledger_acknowledge(const char *dir, const char *id, const char *note)
{
	char path[4200], when[32], *line = NULL;
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(path, sizeof(path), "%s/" ACK_NAME, dir);
	char *clean = strdup(note && *note ? note : "-");
	if (!clean)
		return -ENOMEM;
	ft_ledger_clean_text(clean);
	int len = asprintf(&line, "A\t%s\t%s\t%s\n", when, id, clean);
	free(clean);
	if (len < 0)
		return -ENOMEM;
	int fd = ft_file_open_at(AT_FDCWD, path, O_WRONLY | O_APPEND | O_CREAT);
	int rc = fd < 0 ? fd : ft_file_write_all(fd, line, (size_t)len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(line);
	return rc;
}
