/* Fuzz target for the saved templates (state/templates.state, and the JSON of earlier
 * versions): ft_netflow_load_mem(), the reader of ft_netflow_load(), on any bytes.
 *
 * An input is one configuration byte, then the file:
 *   bits 0-1  max_exporters (4, 64, 2, default)
 *   bits 2-3  max_templates (4, 1024, 1, default)
 *   bit 4     max_exporters_per_address 2 (else none)
 *   bit 5     memory_budget 256 KiB (else the default)
 *   bit 6     max_template_fields 16 (else the default)
 *   bit 7     max_template_bytes 8 KiB (else the default)
 *
 * Checked whatever the bytes:
 *   - the load returns 0, -EINVAL or -ENOSPC, and never reads past the input (ASan);
 *   - the memory budget's books are right: every exporter entry holds exactly the
 *     bytes of its template slots, templates (fields, ops, plans), options tables and
 *     kept sets, the decoder the sum of those and its table, and the budget what the
 *     decoder holds, never more than the limit beyond the decoder's fixed first table;
 *     the caps hold;
 *   - a file that loads whole (0) saves and loads back the same: the same templates and
 *     options data (shown as JSON), and a second save is as long;
 *   - freeing leaves nothing behind (LeakSanitizer).
 * A failed check prints itself and aborts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtally/log.h"
#include "flowtally/netflow.h"
#include "fuzz.h"
#include "netflow_int.h"

#define NOW_NS 1764000000000000000LL

static void check_books(const struct ft_netflow *nf)
{
	size_t sum = nf->size * sizeof(struct exporter) + FT_MALLOC_OVERHEAD;
	size_t per_address = nf->o.max_exporters_per_address;
	CHECK(nf->used <= nf->o.max_exporters);
	for (size_t i = 0; i < nf->size; i++) {
		const struct exporter *e = &nf->tab[i];
		if (!e->used)
			continue;
		size_t t = e->tpls.size ? e->tpls.size * sizeof(struct ft_template) + FT_MALLOC_OVERHEAD : 0;
		uint32_t n = 0;
		for (uint32_t k = 0; k < e->tpls.size; k++) {
			if (!e->tpls.slot[k].id)
				continue;
			t += ft_tpl_mem(&e->tpls.slot[k]);
			CHECK(e->tpls.slot[k].n_fields <= nf->o.max_template_fields);
			n++;
		}
		CHECK(n == e->tpls.used && n <= nf->o.max_templates);
		CHECK(e->tpl_mem == t);
		CHECK(t <= nf->o.max_template_bytes);
		CHECK(e->mem == t + ft_options_mem(&e->opt) + ft_pending_mem(&e->pend));
		sum += e->mem;
		if (per_address) {
			size_t same = 0;
			for (size_t j = 0; j < nf->size; j++)
				same += nf->tab[j].used && ft_addr_equal(&nf->tab[j].s.key.addr, &e->s.key.addr);
			CHECK(same <= per_address);
		}
	}
	CHECK(nf->mem == sum);
	struct ft_netflow_memory m;
	ft_netflow_memory(nf, &m);
	CHECK(m.used == nf->mem);
	CHECK(m.used <= m.limit || m.used == 64 * sizeof(struct exporter) + FT_MALLOC_OVERHEAD);
}

/* nf's templates and options as JSON, after the time of the dump; the caller frees it. */
static char *dump(const struct ft_netflow *nf, char **ret_base)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	CHECK(f && ft_netflow_dump_json(nf, f) == 0);
	fclose(f);
	*ret_base = text;
	char *ex = strstr(text, "\"exporters\"");
	CHECK(ex);
	return ex;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t exporters[4] = { 4, 64, 2, 0 }, templates[4] = { 4, 1024, 1, 0 };
	if (size < 1)
		return 0;
	ft_log_level = FT_LOG_ERR;
	uint8_t c = data[0];
	struct ft_netflow_conf o = {
		.max_exporters = exporters[c & 3], .max_templates = templates[c >> 2 & 3],
		.max_exporters_per_address = c & 0x10 ? 2 : 0,
		.memory_budget = c & 0x20 ? 256 * 1024 : 0,
		.max_template_fields = c & 0x40 ? 16 : 0,
		.max_template_bytes = c & 0x80 ? 8192 : 0,
	};
	/* the file in a buffer of its own exact size, so that ASan sees any overread */
	size_t len = size - 1;
	uint8_t *file = malloc(len ? len : 1);
	CHECK(file);
	memcpy(file, data + 1, len);
	struct ft_netflow *a = ft_netflow_new(&o);
	CHECK(a);
	char why[300] = "";
	int r = ft_netflow_load_mem(a, file, len, NOW_NS, why, sizeof(why));
	free(file);
	CHECK(r == 0 || r == -EINVAL || r == -ENOSPC);
	CHECK(r == 0 || why[0]);
	check_books(a);
	if (r == 0) {
		uint8_t *s1, *s2;
		size_t n1, n2;
		CHECK(ft_netflow_save_mem(a, &s1, &n1) == 0);
		struct ft_netflow *b = ft_netflow_new(&o);
		CHECK(b);
		int r2 = ft_netflow_load_mem(b, s1, n1, NOW_NS, why, sizeof(why));
		if (r2 != 0)
			fprintf(stderr, "saved file does not load back: %d %s\n", r2, why);
		CHECK(r2 == 0);
		check_books(b);
		char *ba, *bb;
		char *x = dump(a, &ba), *y = dump(b, &bb);
		CHECK(strcmp(x, y) == 0);
		free(ba);
		free(bb);
		CHECK(ft_netflow_save_mem(b, &s2, &n2) == 0);
		/* as long (the order of entries may differ: it is the hash tables') */
		CHECK(n1 == n2 && memcmp(s1, s2, 12) == 0);
		free(s1);
		free(s2);
		ft_netflow_free(b);
	}
	ft_netflow_free(a);
	return 0;
}
