/* Fuzz target for the capture reader (collector/pcap/): the input is a whole capture
 * file, pcap or pcapng, read with ft_pcap_open() and ft_pcap_next() as `flowtallyd
 * --replay` and `flowtally pcap` read one: libpcap's file parser, every link layer
 * flowtally decodes (the file's header names it), IPv4 and IPv6 with extension headers,
 * fragment reassembly (reasm.c) and UDP.  The file lives in memory (memfd_create) and is
 * opened by its /proc/self/fd path, so nothing is written to disk.
 *
 * The port filter (ft_pcap_set_port()) is 2055 when the file's length is odd, else off.
 * Every datagram handed out is copied to a buffer of its exact size and goes on to
 * ft_netflow_input() (any exporter address is accepted), so NetFlow carried in a
 * capture is decoded too; the flows go to flow_sink.c, which checks each one.
 *
 * Checked whatever the bytes: ft_pcap_next() returns 1, 0 (the end) or -EIO (a file cut
 * short), and once it returned 0 or an error it keeps returning the same; a datagram is
 * at most what a 16-bit IP length allows and has data when it has a length; the
 * counters add up: every frame yields at most one datagram or one drop reason, and the
 * reassembled and incomplete datagrams come from fragments seen.
 *
 * Seeds: corpus/pcap/, written by gen_pcap_corpus.c and `flowtally generate --pcap`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "flow_sink.h"
#include "flowtally/log.h"
#include "flowtally/netflow.h"
#include "flowtally/pcap.h"
#include "fuzz.h"

#define BATCH_CAP (2 * FT_NETFLOW_BATCH_MIN)

/* The input as a file descriptor; -1 when the system has no memfd (then nothing runs). */
static int memory_file(const uint8_t *data, size_t size)
{
	int fd = memfd_create("ft-fuzz-pcap", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	size_t done = 0;
	while (done < size) {
		ssize_t w = write(fd, data + done, size - done);
		CHECK(w > 0);
		done += (size_t)w;
	}
	return fd;
}

static void decode(struct ft_netflow *nf, struct flow_sink *sink, const struct ft_datagram *dg)
{
	struct ft_datagram copy = *dg;
	uint8_t *payload = malloc(dg->len ? dg->len : 1);
	CHECK(payload);
	memcpy(payload, dg->data, dg->len);
	copy.data = payload;
	if (sink->batch.cap - sink->batch.n < FT_NETFLOW_BATCH_MIN)
		sink_drain(sink);
	ft_netflow_input(nf, &copy, &sink->batch);
	free(payload);
}

static void check_stats(const struct ft_pcap_stats *s, uint64_t handed_out, uint16_t port)
{
	CHECK(s->datagrams == handed_out);
	CHECK(port != 0 || s->other_port == 0);
	CHECK(s->datagrams + s->not_ip + s->not_udp + s->other_port + s->truncated <= s->frames);
	CHECK(s->fragments <= s->frames);
	CHECK(s->reassembled + s->fragments_incomplete <= s->fragments);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512] = "";
	ft_log_level = getenv("FT_FUZZ_LOG") ? FT_LOG_DEBUG : FT_LOG_ERR - 1;
	int fd = memory_file(data, size);
	if (fd < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct ft_pcap_reader *r = ft_pcap_open(path, err, sizeof(err));
	if (!r) {
		CHECK(err[0] != '\0');        /* a reason is always given */
		close(fd);
		return 0;
	}

	uint16_t port = size % 2 ? 2055 : 0;
	ft_pcap_set_port(r, port);
	const struct ft_netflow_conf opts = { .max_exporters = 16 };
	struct ft_netflow *nf = ft_netflow_new(&opts);
	struct flow_sink sink;
	CHECK(nf);
	sink_init(&sink, BATCH_CAP, NULL, 0);

	struct ft_datagram dg;
	uint64_t n = 0;
	int rc;
	while ((rc = ft_pcap_next(r, &dg)) == 1) {
		n++;
		CHECK(dg.len <= 65535 - 8);
		CHECK(dg.len == 0 || dg.data != NULL);
		CHECK(port == 0 || dg.dport == port);
		decode(nf, &sink, &dg);
		check_stats(ft_pcap_stats(r), n, port);
	}
	CHECK(rc == 0 || rc == -EIO);
	CHECK(ft_pcap_next(r, &dg) == rc);   /* the end, or the error, stays */
	check_stats(ft_pcap_stats(r), n, port);
	uint64_t at, total;
	ft_pcap_position(r, &at, &total);
	CHECK(total == size);

	sink_drain(&sink);
	ft_netflow_drop_pending(nf);
	sink_done(&sink);
	ft_netflow_free(nf);
	ft_pcap_close(r);
	close(fd);
	return 0;
}
