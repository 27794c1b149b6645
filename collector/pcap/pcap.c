/* Capture reader: UDP datagrams out of pcap and pcapng files.
 *
 * struct ft_pcap_reader holds the libpcap handle (opened with nanosecond timestamps,
 * whatever the file's resolution), the link type, the port filter, the statistics and
 * the fragment table (reasm.c).  ft_pcap_next() reads frames until one yields a
 * datagram; each frame goes through ft_pcap_feed():
 *
 *   link layer (decode.c) -> IPv4 / IPv6 -> fragment? -> reasm.c, held until complete
 *                                        -> UDP? -> port filter -> datagram
 *
 * Every frame that yields nothing is counted once, under the reason decode_frame()
 * returns; fragments are counted when seen, and again as reassembled or incomplete.
 * Frames reach ft_pcap_feed() as bytes, so tests and fuzz targets can skip the file
 * (ft_pcap_new_link()).
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "flowtally/log.h"
#include "pcap_int.h"

#define IPPROTO_UDP_ 17

struct ft_pcap_reader {
	pcap_t *pcap;              /* NULL for a reader fed by ft_pcap_feed() */
	char *path;
	int linktype;
	uint16_t port;             /* 0: any */
	int err;                   /* sticky read error, negative errno */
	bool eof;
	struct ft_pcap_stats stats;
	struct ft_reasm reasm;
	void (*progress)(void *ctx);   /* after each frame read from the file, or NULL */
	void *progress_ctx;
};

struct ft_pcap_reader *ft_pcap_new_link(int linktype)
{
	if (!ft_pcap_link_supported(linktype))
		return NULL;
	struct ft_pcap_reader *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	r->linktype = linktype;
	ft_reasm_init(&r->reasm);
	return r;
}

static void unsupported_link(pcap_t *p, char *errbuf, size_t errlen)
{
	int lt = pcap_datalink(p);
	const char *name = pcap_datalink_val_to_name(lt);
	const char *desc = pcap_datalink_val_to_description(lt);

	snprintf(errbuf, errlen, "link type %d (%s, %s) is not supported; flowtally reads "
	         "Ethernet, Linux cooked (SLL, SLL2), raw IP and BSD loopback captures", lt,
	         name ? name : "unknown", desc ? desc : "no description");
}

/* libpcap's reason, without the file name it may begin with (the caller names it). */
static void open_error(const char *path, const char *perr, char *errbuf, size_t errlen)
{
	size_t n = strlen(path);
	if (strncmp(perr, path, n) == 0 && strncmp(perr + n, ": ", 2) == 0)
		perr += n + 2;
	snprintf(errbuf, errlen, "%s", perr);
}

struct ft_pcap_reader *ft_pcap_open(const char *path, char *errbuf, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	if (p == NULL) {
		open_error(path, perr, errbuf, errlen);
		return NULL;
	}
	if (!ft_pcap_link_supported(pcap_datalink(p))) {
		unsupported_link(p, errbuf, errlen);
		pcap_close(p);
		return NULL;
	}
	struct ft_pcap_reader *r = ft_pcap_new_link(pcap_datalink(p));
	char *copy = strdup(path);
	if (r == NULL || copy == NULL) {
		snprintf(errbuf, errlen, "%s", strerror(ENOMEM));
		free(copy);
		ft_pcap_close(r);
		pcap_close(p);
		return NULL;
	}
	r->pcap = p;
	r->path = copy;
	return r;
}

struct ft_pcap_reader *ft_pcap_close(struct ft_pcap_reader *r)
{
	if (r == NULL)
		return NULL;
	if (r->pcap != NULL)
		pcap_close(r->pcap);
	ft_reasm_done(&r->reasm);
	free(r->path);
	free(r);
	return NULL;
}

void ft_pcap_set_port(struct ft_pcap_reader *r, uint16_t port)
{
	r->port = port;
}

const struct ft_pcap_stats *ft_pcap_stats(const struct ft_pcap_reader *r)
{
	return &r->stats;
}

/* Hands a complete fragment set on as one packet; an IPv6 payload may start with more
 * extension headers (RFC 8200 §4.5: they are in the fragmentable part). */
static enum ft_pcap_drop reassemble(struct ft_pcap_reader *r, struct ft_pcap_ip *ip,
                                    int64_t ts_ns)
{
	struct ft_reasm_out out;

	r->stats.fragments++;
	enum ft_pcap_drop why = ft_reasm_add(&r->reasm, ip, ts_ns, &out);
	r->stats.fragments_incomplete = r->reasm.incomplete;
	if (why != FT_PCAP_OK)
		return why;
	r->stats.reassembled++;
	ip->frag = false;
	ip->proto = out.proto;
	ip->data = out.data;
	ip->len = out.len;
	if (ip->family == 6)
		return ft_pcap_ip6_ext(out.proto, out.data, out.len, false, ip);
	return FT_PCAP_OK;
}

static enum ft_pcap_drop decode_frame(struct ft_pcap_reader *r, const uint8_t *frame,
                                      size_t caplen, struct ft_datagram *dg)
{
	struct ft_pcap_ip ip;
	int family;
	size_t off;

	enum ft_pcap_drop why = ft_pcap_link(r->linktype, frame, caplen, &family, &off);
	if (why != FT_PCAP_OK)
		return why;
	if (family == 4)
		why = ft_pcap_ip4(frame + off, caplen - off, &ip);
	else
		why = ft_pcap_ip6(frame + off, caplen - off, &ip);
	if (why == FT_PCAP_OK && ip.frag)
		why = reassemble(r, &ip, dg->recv_ns);
	if (why != FT_PCAP_OK)
		return why;
	/* Only now, on a whole datagram: the UDP header is in the first fragment alone. */
	if (ip.proto != IPPROTO_UDP_)
		return FT_PCAP_NOT_UDP;
	why = ft_pcap_udp(ip.data, ip.len, r->port, dg);
	if (why == FT_PCAP_OK) {
		dg->src = ip.src;
		dg->dst = ip.dst;
	}
	return why;
}

static void count_drop(struct ft_pcap_stats *st, enum ft_pcap_drop why)
{
	switch (why) {
	case FT_PCAP_NOT_IP:
		st->not_ip++;
		break;
	case FT_PCAP_NOT_UDP:
		st->not_udp++;
		break;
	case FT_PCAP_OTHER_PORT:
		st->other_port++;
		break;
	case FT_PCAP_MALFORMED:
		st->truncated++;
		break;
	case FT_PCAP_OK:
	case FT_PCAP_HELD:
		break;
	}
}

int ft_pcap_feed(struct ft_pcap_reader *r, const uint8_t *frame, size_t caplen,
                 int64_t ts_ns, struct ft_datagram *ret)
{
	struct ft_datagram dg = { .recv_ns = ts_ns };

	r->stats.frames++;
	enum ft_pcap_drop why = decode_frame(r, frame, caplen, &dg);
	if (why != FT_PCAP_OK) {
		count_drop(&r->stats, why);
		return 0;
	}
	r->stats.datagrams++;
	*ret = dg;
	return 1;
}

void ft_pcap_finish(struct ft_pcap_reader *r)
{
	ft_reasm_flush(&r->reasm);
	r->stats.fragments_incomplete = r->reasm.incomplete;
	r->eof = true;
}

/* With PCAP_TSTAMP_PRECISION_NANO, tv_usec holds nanoseconds.  A pcapng timestamp can
 * be any 64-bit count: clamp the seconds so that the product stays in range. */
static int64_t stamp_ns(const struct timeval *tv)
{
	const int64_t max_s = INT64_MAX / 1000000000 - 10;
	int64_t s = tv->tv_sec, frac = tv->tv_usec;

	if (s > max_s)
		s = max_s;
	if (s < -max_s)
		s = -max_s;
	if (frac < 0 || frac > 4000000000)
		frac = 0;
	return s * 1000000000 + frac;
}

/* One frame from the file: 1 with a datagram, 0 without (or at the end), <0 on error. */
static int read_frame(struct ft_pcap_reader *r, struct ft_datagram *ret)
{
	struct pcap_pkthdr *h;
	const u_char *data;

	int rc = pcap_next_ex(r->pcap, &h, &data);
	if (rc == 1 && r->progress)
		r->progress(r->progress_ctx);
	if (rc == 1)
		return ft_pcap_feed(r, data, h->caplen, stamp_ns(&h->ts), ret);
	if (rc == PCAP_ERROR_BREAK) {
		ft_pcap_finish(r);
		return 0;
	}
	/* A file cut short mid-record ends up here.  Only libpcap has the reason, so it is
	 * logged here; the error is sticky, so once. */
	ft_log_err(FT_LOG_PCAP, "%s: %s", r->path, pcap_geterr(r->pcap));
	r->err = -EIO;
	return r->err;
}

void ft_pcap_set_progress(struct ft_pcap_reader *r, void (*fn)(void *ctx), void *ctx)
{
	r->progress = fn;
	r->progress_ctx = ctx;
}

void ft_pcap_position(const struct ft_pcap_reader *r, uint64_t *ret_read, uint64_t *ret_size)
{
	FILE *f = r->pcap ? pcap_file(r->pcap) : NULL;
	struct stat st;
	long at = f ? ftell(f) : -1;
	*ret_read = at > 0 ? (uint64_t)at : 0;
	*ret_size = f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

int ft_pcap_next(struct ft_pcap_reader *r, struct ft_datagram *ret)
{
	if (r->err != 0)
		return r->err;
	while (r->pcap != NULL && !r->eof) {
		int rc = read_frame(r, ret);
		if (rc != 0)
			return rc;
	}
	return 0;
}
