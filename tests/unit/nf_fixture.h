/* The fixture the NetFlow v9 and IPFIX decoder suites share: a decoder (nf, reopened
 * with other options by open_nf()), a small batch whose flush hook collects every flow
 * into got[] (n_got of them), sending a message and finding an exporter's counters,
 * and two assertions' helpers.  Included by one test file
 * each (its definitions are static).
 */
#ifndef FT_TEST_NF_FIXTURE_H
#define FT_TEST_NF_FIXTURE_H

#include <check.h>

#include "check_main.h"
#include "flowtally/log.h"
#include "flowtally/netflow.h"
#include "msg_build.h"

#define N(a) ((uint16_t)(sizeof(a) / sizeof((a)[0])))

static struct ft_netflow *nf;
static struct mb m;
static struct ft_flow slots[8];
static struct ft_flow_batch batch;
static struct ft_flow got[512];
static size_t n_got;

/* The batch's flush hook: moves its flows to got[]. */
static void collect(struct ft_flow_batch *b, void *ctx)
{
	(void)ctx;
	for (size_t i = 0; i < b->n; i++) {
		ck_assert_uint_lt(n_got, N(got));
		got[n_got++] = b->flows[i];
	}
	b->n = 0;
}

static void open_nf(const struct ft_netflow_conf *o)
{
	ft_netflow_free(nf);
	nf = ft_netflow_new(o);
	ck_assert_ptr_nonnull(nf);
}

static void setup(void)
{
	ft_log_level = FT_LOG_WARNING;             /* sampling and template notices */
	nf = NULL;
	open_nf(NULL);
	batch = (struct ft_flow_batch){ .flows = slots, .cap = N(slots), .flush = collect };
	n_got = 0;
}

static void teardown(void)
{
	nf = ft_netflow_free(nf);
}

/* Decodes the message m holds as a datagram from src:sport received at recv_ns, then
 * flushes the batch (its records to got[], or to the hook a test set). */
static int nf_send(const char *src, uint16_t sport, int64_t recv_ns)
{
	struct ft_datagram dg = mb_datagram(&m, src, sport, recv_ns);
	int r = ft_netflow_input(nf, &dg, &batch);
	if (batch.flush)
		batch.flush(&batch, batch.ctx);
	return r;
}

/* The counters of exporter (addr, version, domain), among the first 64; the test fails
 * when there is none. */
static struct ft_exporter_stats nf_stats(const char *addr, uint8_t version, uint32_t domain)
{
	struct ft_exporter_stats s[64], none = { 0 };
	struct ft_addr a;
	ft_addr_parse(addr, &a);
	size_t n = ft_netflow_exporters(nf, s, N(s));
	for (size_t i = 0; i < n && i < N(s); i++)
		if (ft_addr_equal(&s[i].key.addr, &a) && s[i].key.version == version && s[i].key.domain == domain)
			return s[i];
	ck_abort_msg("no exporter %s version %u domain %u", addr, version, domain);
	return none;
}

static uint64_t error_sum(const struct ft_exporter_stats *s)
{
	uint64_t n = 0;
	for (int i = 0; i < FT_NF_ERR__MAX; i++)
		n += s->errors[i];
	return n;
}

static void assert_addr(const struct ft_addr *a, const char *want)
{
	char b[FT_ADDR_STRLEN];
	ck_assert_str_eq(ft_addr_format(a, b), want);
}

#endif
