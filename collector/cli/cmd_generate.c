/* flowtally generate — NetFlow v5, v9 or IPFIX test traffic over loopback UDP, or into
 * a pcap file.
 *
 * Options are parsed through one table (name, kind, bounds, offsetof target) into
 * struct args.  A pool of datagrams is then built once with ft_gen, a multiple of the
 * exporter count so that slot i belongs to exporter i mod exporters, each slot
 * carrying the record, byte and packet sums of its datagram.  Each exporter's slots
 * are split by kind: with its template (v9/IPFIX) or without.  Sending walks the
 * exporters round robin, and each exporter's slots of the kind its schedule asks for
 * (ft_gen_carries_template()) round and round:
 *
 *   stamp a batch   each datagram gets its export time and sequence number (what its
 *                   exporter has had accepted plus what is ahead of it in the batch);
 *                   a slot is used once a batch, since stamping rewrites it in place
 *   sendmmsg()      may accept fewer than asked: the accepted ones are tallied, the
 *                   rest, already stamped with the right sequence numbers, go again
 *   ENOBUFS/EAGAIN  counted as send errors, waited out, retried; nothing is skipped
 *
 * so the totals are exactly what the kernel accepted and every exporter's sequence
 * has no gap.  The pcap writer uses the same stamping and tallies what it wrote.
 *
 * Pacing is a token bucket in records on CLOCK_MONOTONIC, charged each datagram's
 * own records.  Export time: when sending, --start plus the time since the first
 * send; in a pcap file, --start plus the nominal time of the rate (the records before
 * the datagram / rate, or 1 ms a datagram without --rate), so a file is the same for
 * the same options.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "flowtally/clock.h"
#include "flowtally/gen.h"
#include "flowtally/listen.h"
#include "flowtally/parse.h"

#define DEFAULT_RECORDS 30000
#define DEFAULT_PORT 2055
#define LOCALHOST "127.0.0.1"
#define POOL_TARGET 4096         /* datagrams built up front and sent round and round */
#define MAX_BATCH 1024           /* UIO_MAXIOV: the most sendmmsg() takes per call */
#define MAX_START_S 4294967295LL /* export seconds are 32 bits in v5, v9 and IPFIX */

static volatile sig_atomic_t stop_requested;

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct endpoint {
	union sockaddr_any addr;
	socklen_t len;
};

struct args {
	struct ft_gen_opts gen;
	const char *to_text;
	const char *pcap_path;
	const char *source_text;
	struct endpoint to;
	struct endpoint source;
	const char *template_text;
	const char *expect_path;     /* --expect-tenants */
	struct ft_gen_tenants *tenants;  /* its rules, or NULL */
	uint64_t records;
	uint64_t records_goal;       /* the stop criterion in records; UINT64_MAX = none */
	uint64_t datagrams;          /* the stop criterion in datagrams; UINT64_MAX = none */
	double rate;                 /* records per second; 0 = as fast as possible */
	double duration;             /* seconds; 0 = none */
	double flow_length;          /* seconds; 0 = the generator's default */
	int64_t start_ns;            /* export time of the first datagram; 0 = now */
	uint32_t sampling;
	uint32_t batch;
	uint32_t cpu;
	uint32_t sndbuf;
	uint32_t source_port;
	uint32_t version;
	uint32_t template_every;     /* 0: only once */
	bool summary;
	bool help;
	bool seen[32];               /* by option index */
};

/* ---- messages ---- */

__attribute__((format(printf, 1, 2)))
static void complain(const char *fmt, ...)
{
	va_list ap;

	fputs("flowtally generate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const char usage_text[] =
"NAME\n"
"    flowtally generate - send NetFlow v5, v9 or IPFIX test traffic to a local collector\n"
"\n"
"SYNOPSIS\n"
"    flowtally generate [--to HOST:PORT] [--records N | --datagrams N] [--duration S]\n"
"                       [--rate R] [--version 5|9|10 [--template v4|v6]] [OPTION]...\n"
"    flowtally generate --pcap FILE [--to HOST:PORT] [OPTION]...\n"
"\n"
"DESCRIPTION\n"
"    Builds NetFlow version 5, NetFlow version 9 (RFC 3954) or IPFIX (RFC 7011)\n"
"    export datagrams from a seeded random generator and sends them by UDP to a\n"
"    collector on this host, or writes them into a pcap file.  It is meant for tests\n"
"    and benchmarks: it only ever sends to loopback addresses (127.0.0.0/8 or ::1) and\n"
"    refuses any other destination.\n"
"\n"
"    K exporters take turns, one datagram each: v5 engine_type 0 and engine_id\n"
"    0..K-1, v9 source ID 0..K-1, IPFIX observation domain 0..K-1.  Sequence numbers\n"
"    are kept per exporter as the formats say: v5 and IPFIX count the data records\n"
"    sent before the datagram, v9 the datagrams; a collector sees no gaps unless\n"
"    datagrams are lost on the way.  Records carry addresses from --src-prefix to\n"
"    --dst-prefix, random ports, TCP or UDP, 1..1000 packets of 40..1500 bytes,\n"
"    interfaces, private AS numbers, masks, ToS and TCP flags (v9 and IPFIX also a\n"
"    next hop); they end up to a second before their datagram's export time and last\n"
"    up to a minute (--flow-length).\n"
"\n"
"    v9 and IPFIX records follow one data template (ID 256 for v4, 257 for v6).  Each\n"
"    exporter sends it in its first datagram and again in every --template-every-th\n"
"    one; data records fill each datagram up to --datagram-size bytes.\n"
"\n"
"    To go fast, a pool of about 4096 datagrams is built once and sent round and\n"
"    round: for each send only the export time, sysUptime (v5, v9), the records'\n"
"    times and the sequence number are rewritten.  The same --seed gives the same\n"
"    records.\n"
"\n"
"    At the end it reports what was sent: only datagrams the kernel accepted (or\n"
"    that were written to the file) are counted, overall and per exporter, so a\n"
"    collector's counters can be compared with the report to the byte.  A full\n"
"    socket buffer (ENOBUFS, EAGAIN) is waited out and counted as a send error; no\n"
"    datagram is skipped.  SIGINT or SIGTERM stop it early, still with a report.\n"
"    While it runs longer than half a second, one line on standard error shows how\n"
"    far it has got, when standard error is a terminal (nothing otherwise).\n"
"\n"
"OPTIONS\n"
"  Where to\n"
"    --to HOST:PORT\n"
"        Destination: an IPv4 address in 127.0.0.0/8 (\"127.0.0.1:2055\"), localhost,\n"
"        or ::1 in brackets (\"[::1]:2055\").  PORT defaults to 2055.  Default\n"
"        127.0.0.1:2055.  Any other address is refused (exit status 2).\n"
"    --pcap FILE\n"
"        Write the datagrams into FILE (pcap, Ethernet) instead of sending them, as\n"
"        Ethernet/IPv4/UDP frames from 127.0.0.1 (Ethernet/IPv6 from ::1 when --to\n"
"        is IPv6) to the --to address.  Frame timestamps are the export times.\n"
"    --source ADDR\n"
"        Send from this loopback address (e.g. 127.0.0.2, to look like another\n"
"        router); in a pcap file, the frames' source address.  Same family as --to.\n"
"    --source-port PORT\n"
"        Send from this UDP port.  Default: any (sending), a high port derived from\n"
"        --seed (pcap).\n"
"\n"
"  How much and how fast\n"
"    --records N\n"
"        Send N data records, rounded up to whole datagrams.  Default 30000, unless\n"
"        --datagrams or --duration is given.\n"
"    --datagrams N\n"
"        Send N datagrams (instead of --records), template-only ones included.\n"
"    --duration S\n"
"        Stop after S seconds (decimals allowed), or at --records/--datagrams if that\n"
"        comes first.  In a pcap file, S seconds of export time.\n"
"    --rate R\n"
"        Records per second, paced by a token bucket on the monotonic clock; 0, the\n"
"        default, sends as fast as possible.  In a pcap file the rate only spaces\n"
"        the timestamps (without it, datagrams are 1 ms apart).\n"
"\n"
"  What is in the datagrams\n"
"    --version 5|9|10\n"
"        NetFlow v5 (the default), NetFlow v9, or IPFIX (10).\n"
"    --template v4|v6\n"
"        v9 and IPFIX: the data template.  v4 (the default) has 18 fields: bytes,\n"
"        packets, protocol, ToS, TCP flags, ports, IPv4 source and destination and\n"
"        their masks, input and output interface, IPv4 next hop, source and\n"
"        destination AS, flow end and start (v9: LAST/FIRST_SWITCHED in sysUptime\n"
"        ms; IPFIX: flowEnd/StartMilliseconds).  v6 has the same with IPv6\n"
"        addresses, prefix lengths and next hop.  Records are 49 (v4) or 85 (v6)\n"
"        bytes in v9, 70 or 106 in IPFIX.\n"
"    --template-every N\n"
"        v9 and IPFIX: resend the template in every N-th datagram of an exporter;\n"
"        0 sends it only in the first.  Default 100.\n"
"    --template-separate\n"
"        v9 and IPFIX: send templates in datagrams of their own, each just before\n"
"        the data datagram it would have been in.\n"
"    --datagram-size BYTES\n"
"        v9 and IPFIX: fill datagrams with records up to this size (the UDP\n"
"        payload), from what the template and one record need up to 8192.\n"
"        Default 1400.\n"
"    --exporters K\n"
"        Number of exporters, 1..256.  Default 1.\n"
"    --records-per-datagram N\n"
"        v5: 1..30, default 30.  v9 and IPFIX: at most N records a datagram\n"
"        (default: as many as --datagram-size holds).\n"
"    --sampling N\n"
"        v5: announce 1-in-N packet sampling in the header (sampling mode 1,\n"
"        interval N, 1..16383).  Counters are not scaled.  Default: unsampled.\n"
"    --flow-length S\n"
"        Records last up to S seconds (decimals allowed, 0.001 to 65).  Default 60,\n"
"        as routers' one-minute active timeout makes them.  Short records suit short\n"
"        steps: with --flow-length 1 and the demo's 1-second steps and 2 seconds of\n"
"        lateness, hardly any volume arrives after its step has closed (\"late\").\n"
"    --seed N\n"
"        Seed of the generator.  Default 1.\n"
"    --start TIME\n"
"        Export time of the first datagram: UTC ISO-8601\n"
"        (\"2026-11-25T13:00:00Z\", \"2026-11-25 13:00\", \"2026-11-25\") or seconds\n"
"        since the epoch (\"1795611600\", decimals allowed).  Default: now.\n"
"    --src-prefix PREFIX, --dst-prefix PREFIX\n"
"        Prefixes the source and destination addresses are drawn from: IPv4,\n"
"        defaults 10.0.0.0/8 and 192.168.0.0/16; with --template v6 IPv6,\n"
"        defaults 2001:db8:1::/48 and 2001:db8:2::/48.\n"
"\n"
"  Sending\n"
"    --batch N\n"
"        Datagrams per sendmmsg() call, 1..1024.  Default 64.\n"
"    --sndbuf BYTES\n"
"        Socket send buffer size (SO_SNDBUF; the kernel caps it at wmem_max).\n"
"    --cpu N\n"
"        Pin the sending thread to CPU N.\n"
"\n"
"  Output\n"
"    --summary\n"
"        At the end print a JSON object on stdout:\n"
"        {\"version\":V,\"datagrams\":N,\"records\":N,\"bytes\":N,\"packets\":N,\n"
"         \"templates\":N,\"elapsed_s\":F,\"rate_records_per_s\":F,\"send_errors\":N,\n"
"         \"exporters\":[{\"engine_type\":0,\"engine_id\":I,\"datagrams\":N,\n"
"         \"records\":N,\"bytes\":N,\"packets\":N,\"templates\":N},...]}\n"
"        v9 and IPFIX exporters have \"domain\":I (source ID, observation domain)\n"
"        instead of engine_type and engine_id.  records are data records;\n"
"        templates counts template records.  Without --summary, a one-line\n"
"        summary goes to stderr.\n"
"    --expect-tenants FILE\n"
"        With --summary: also work out what a collector with this tenant map\n"
"        must account, and add to the JSON object\n"
"        \"tenants\":{\"NAME\":{\"out\":{\"bytes\":N,\"packets\":N,\"flows\":N},\n"
"        \"in\":{...}},...},\"unattributed\":{\"src\":{...},\"dst\":{...}}.\n"
"        FILE has lines \"PREFIX TENANT\" (IPv4 or IPv6; # comments), as the\n"
"        collector's prefix_files.  Each record's source address goes to the tenant\n"
"        with the longest prefix holding it (out), its destination likewise (in),\n"
"        an address no prefix holds to unattributed (src, dst); bytes and packets\n"
"        are multiplied by the sampling interval (--sampling, else 1) and each\n"
"        record is one flow.  Only datagrams the kernel accepted count, as for\n"
"        the other totals.  Every tenant of FILE is listed, sorted by name.  The\n"
"        prefixes are searched one by one when the pool is built: keep FILE small.\n"
"    -h, --help\n"
"        Show this text.\n"
"\n"
"EXIT STATUS\n"
"    0 done (also when stopped by a signal), 1 runtime failure (socket, file),\n"
"    2 usage error, including a destination that is not a loopback address.\n"
"\n"
"EXAMPLES\n"
"    flowtally generate --to 127.0.0.1:2055 --records 1000000 --exporters 4 --summary\n"
"    flowtally generate --to [::1]:9995 --rate 50000 --duration 60\n"
"    flowtally generate --version 10 --template v6 --template-every 20 --records 100000\n"
"    flowtally generate --pcap nine.pcap --version 9 --datagrams 100 --seed 7 \\\n"
"        --start 2026-11-25T13:00:00Z --rate 3000\n";

/* ---- parsing values ---- */

static int parse_double(const char *s, double max, double *ret)
{
	char *end;

	if ((s[0] < '0' || s[0] > '9') && s[0] != '.')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end != '\0' || !isfinite(v) || v < 0 || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* "1764075600" or "1764075600.5": seconds since the epoch, digits past nanoseconds
 * ignored. */
static int parse_epoch(const char *s, int64_t *ret_ns)
{
	size_t n = strcspn(s, ".");
	const char *frac = s[n] ? s + n + 1 : "";
	char digits[10] = "000000000";
	uint64_t secs, ns;

	if (s[n] && (!frac[0] || frac[strspn(frac, "0123456789")]))
		return -EINVAL;
	memcpy(digits, frac, strnlen(frac, 9));
	char *whole = strndup(s, n);
	int rc = whole ? ft_parse_u64(whole, 0, MAX_START_S, &secs) : -ENOMEM;
	free(whole);
	if (rc < 0 || ft_parse_u64(digits, 0, FT_NS_PER_SEC - 1, &ns) < 0)
		return -EINVAL;
	*ret_ns = (int64_t)secs * FT_NS_PER_SEC + (int64_t)ns;
	return 0;
}

/* --start: epoch seconds, or UTC ISO-8601 as everywhere in flowtally; export seconds
 * are 32 bits in v5, v9 and IPFIX. */
static int parse_start(const char *s, int64_t *ret_ns)
{
	int64_t ns;

	if (parse_epoch(s, &ns) < 0 && ft_time_parse_ns(s, &ns) < 0)
		return -EINVAL;
	if (ns / FT_NS_PER_SEC > MAX_START_S)
		return -EINVAL;
	*ret_ns = ns;
	return 0;
}

/* ---- addresses ---- */

/* The socket address of a: IPv6 (a mapped IPv4 address included) when v6. */
static void endpoint_from_addr(const struct ft_addr *a, bool v6, uint16_t port,
                               struct endpoint *ret)
{
	struct ft_listen_addr l = { .addr = *a, .port = port, .v6 = v6 };
	struct sockaddr_storage ss;
	memset(ret, 0, sizeof(*ret));
	ret->len = ft_listen_addr_sockaddr(&l, &ss);
	memcpy(&ret->addr, &ss, ret->len);
}

/* --source: an IP address, or localhost. */
static int endpoint_from_text(const char *host, uint16_t port, struct endpoint *ret)
{
	struct ft_addr a;

	if (strcmp(host, "localhost") == 0)
		host = LOCALHOST;
	if (ft_addr_parse(host, &a) < 0)
		return -EINVAL;
	endpoint_from_addr(&a, strchr(host, ':') != NULL, port, ret);
	return 0;
}

/* --to as ft_listen_addr_parse() reads it, plus what only flowtally generate takes:
 * localhost, an IPv4 address (or localhost) in brackets too, and no port for 2055.
 * The core's "*" (any address) is no destination.  0, or -EINVAL for "*" or when
 * buf is too short. */
static int to_listen_text(const char *s, char *buf, size_t size)
{
	const char *close = s[0] == '[' ? strchr(s, ']') : NULL;
	const char *host = close ? s + 1 : s;
	size_t hl = close ? (size_t)(close - host) : strcspn(s, ":");
	const char *rest = host + hl + (close ? 1 : 0);
	const char *open = close && memchr(host, ':', hl) ? "[" : "", *shut = *open ? "]" : "";
	int n;

	if (hl >= size || (hl == 1 && host[0] == '*'))
		return -EINVAL;
	if (hl == strlen("localhost") && strncmp(host, "localhost", hl) == 0) {
		host = LOCALHOST;
		hl = strlen(LOCALHOST);
	}
	if (*rest)
		n = snprintf(buf, size, "%s%.*s%s%s", open, (int)hl, host, shut, rest);
	else
		n = snprintf(buf, size, "%s%.*s%s:%d", open, (int)hl, host, shut, DEFAULT_PORT);
	return n >= 0 && (size_t)n < size ? 0 : -EINVAL;
}

/* "127.0.0.1:2055", "[::1]:2055", "localhost", "127.0.0.1" (port 2055); port 0 is
 * no destination either. */
static int parse_to(const char *s, struct endpoint *ret)
{
	size_t size = strlen(s) + sizeof(LOCALHOST) + 8;
	char *text = malloc(size);
	struct ft_listen_addr l;
	int rc = text ? to_listen_text(s, text, size) : -ENOMEM;

	if (rc == 0)
		rc = ft_listen_addr_parse(text, &l);
	free(text);
	if (rc < 0 || l.port == 0)
		return -EINVAL;
	endpoint_from_addr(&l.addr, l.v6, l.port, ret);
	return 0;
}

static bool endpoint_is_loopback(const struct endpoint *e)
{
	if (e->addr.sa.sa_family == AF_INET)
		return (ntohl(e->addr.in.sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&e->addr.in6.sin6_addr);
}

static char *endpoint_format(const struct endpoint *e, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	if (e->addr.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &e->addr.in.sin_addr, a, sizeof(a));
		snprintf(buf, size, "%s:%u", a, ntohs(e->addr.in.sin_port));
	} else {
		inet_ntop(AF_INET6, &e->addr.in6.sin6_addr, a, sizeof(a));
		snprintf(buf, size, "[%s]:%u", a, ntohs(e->addr.in6.sin6_port));
	}
	return buf;
}

static void endpoint_set_port(struct endpoint *e, uint16_t port)
{
	if (e->addr.sa.sa_family == AF_INET)
		e->addr.in.sin_port = htons(port);
	else
		e->addr.in6.sin6_port = htons(port);
}

/* ---- the option table ---- */

enum kind { K_U64, K_U32, K_DOUBLE, K_TIME, K_PREFIX, K_STRING, K_FLAG };

struct opt {
	const char *name;
	enum kind kind;
	size_t off;                  /* target in struct args */
	uint64_t min, max;           /* K_U64, K_U32; max also bounds K_DOUBLE */
	const char *what;            /* for the error message */
};

#define A(field) offsetof(struct args, field)

enum {
	O_TO, O_PCAP, O_RECORDS, O_DATAGRAMS, O_RATE, O_DURATION, O_EXPORTERS, O_RPD,
	O_SAMPLING, O_SEED, O_START, O_SRC_PREFIX, O_DST_PREFIX, O_CPU, O_BATCH, O_SNDBUF,
	O_SOURCE, O_SOURCE_PORT, O_VERSION, O_TEMPLATE, O_TEMPLATE_EVERY, O_TEMPLATE_SEPARATE,
	O_DATAGRAM_SIZE, O_EXPECT_TENANTS, O_FLOW_LENGTH, O_SUMMARY, O_HELP, O__COUNT
};

static const struct opt opts[O__COUNT] = {
	[O_TO] = { "to", K_STRING, A(to_text), 0, 0, "" },
	[O_PCAP] = { "pcap", K_STRING, A(pcap_path), 0, 0, "" },
	[O_RECORDS] = { "records", K_U64, A(records), 1, UINT64_MAX / 2, "a whole number from 1" },
	[O_DATAGRAMS] = { "datagrams", K_U64, A(datagrams), 1, UINT64_MAX / 2, "a whole number from 1" },
	[O_RATE] = { "rate", K_DOUBLE, A(rate), 0, 1000000000, "records per second, 0..1e9" },
	[O_DURATION] = { "duration", K_DOUBLE, A(duration), 0, 100000000, "seconds, above 0" },
	[O_EXPORTERS] = { "exporters", K_U32, A(gen.exporters), 1, FT_GEN_MAX_EXPORTERS, "1..256" },
	[O_RPD] = { "records-per-datagram", K_U32, A(gen.records_per_datagram), 1, 65535,
	            "a whole number from 1" },
	[O_SAMPLING] = { "sampling", K_U32, A(sampling), 1, 16383, "an interval 1..16383" },
	[O_SEED] = { "seed", K_U64, A(gen.seed), 0, UINT64_MAX, "a whole number" },
	[O_START] = { "start", K_TIME, A(start_ns), 0, 0,
	              "UTC ISO-8601 (2026-11-25T13:00:00Z) or epoch seconds, before 2106" },
	[O_SRC_PREFIX] = { "src-prefix", K_PREFIX, A(gen.src_prefix), 0, 0, "a prefix" },
	[O_DST_PREFIX] = { "dst-prefix", K_PREFIX, A(gen.dst_prefix), 0, 0, "a prefix" },
	[O_CPU] = { "cpu", K_U32, A(cpu), 0, CPU_SETSIZE - 1, "a CPU number" },
	[O_BATCH] = { "batch", K_U32, A(batch), 1, MAX_BATCH, "1..1024" },
	[O_SNDBUF] = { "sndbuf", K_U32, A(sndbuf), 1024, INT_MAX / 2, "bytes, from 1024" },
	[O_SOURCE] = { "source", K_STRING, A(source_text), 0, 0, "" },
	[O_SOURCE_PORT] = { "source-port", K_U32, A(source_port), 1, 65535, "a port 1..65535" },
	[O_VERSION] = { "version", K_U32, A(version), 5, 10, "5, 9 or 10" },
	[O_TEMPLATE] = { "template", K_STRING, A(template_text), 0, 0, "" },
	[O_TEMPLATE_EVERY] = { "template-every", K_U32, A(template_every), 0, UINT32_MAX,
	                       "a whole number (0: once)" },
	[O_TEMPLATE_SEPARATE] = { "template-separate", K_FLAG, A(gen.template_separate), 0, 0, "" },
	[O_DATAGRAM_SIZE] = { "datagram-size", K_U32, A(gen.datagram_size), 1, FT_GEN_MAX_DATAGRAM,
	                      "bytes, up to 8192" },
	[O_EXPECT_TENANTS] = { "expect-tenants", K_STRING, A(expect_path), 0, 0, "" },
	[O_FLOW_LENGTH] = { "flow-length", K_DOUBLE, A(flow_length), 0, 65, "seconds, 0.001 to 65" },
	[O_SUMMARY] = { "summary", K_FLAG, A(summary), 0, 0, "" },
	[O_HELP] = { "help", K_FLAG, A(help), 0, 0, "" },
};

/* Parses one option's argument into its target. */
static int set_option(struct args *a, const struct opt *o, const char *arg)
{
	void *t = (char *)a + o->off;
	uint64_t u;
	double d;

	switch (o->kind) {
	case K_U64:
		return ft_parse_u64(arg, o->min, o->max, (uint64_t *)t);
	case K_U32:
		if (ft_parse_u64(arg, o->min, o->max, &u) < 0)
			return -EINVAL;
		*(uint32_t *)t = (uint32_t)u;
		return 0;
	case K_DOUBLE:
		if (parse_double(arg, (double)o->max, &d) < 0)
			return -EINVAL;
		*(double *)t = d;
		return 0;
	case K_TIME:
		return parse_start(arg, (int64_t *)t);
	case K_PREFIX:
		return ft_prefix_parse(arg, (struct ft_prefix *)t);
	case K_STRING:
		*(const char **)t = arg;
		return 0;
	case K_FLAG:
		*(bool *)t = true;
		return 0;
	}
	return -EINVAL;
}

static void args_init(struct args *a)
{
	memset(a, 0, sizeof(*a));
	a->gen.seed = 1;
	a->batch = 64;
	a->cpu = UINT32_MAX;
	a->datagrams = UINT64_MAX;
	a->records_goal = UINT64_MAX;
	a->version = 5;
	a->template_every = FT_GEN_DEFAULT_TEMPLATE_EVERY;
	a->to_text = "127.0.0.1:2055";
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("flowtally generate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'flowtally generate --help'.\n", stderr);
	return FT_EXIT_USAGE;
}

static int read_options(int argc, char **argv, struct args *a)
{
	struct option longopts[O__COUNT + 1];
	int c;

	for (int i = 0; i < O__COUNT; i++)
		longopts[i] = (struct option){ opts[i].name,
			opts[i].kind == K_FLAG ? no_argument : required_argument, NULL, 256 + i };
	memset(&longopts[O__COUNT], 0, sizeof(longopts[0]));
	optind = 0;                   /* glibc: start over, whoever parsed before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == 'h')
			c = 256 + O_HELP;
		if (c == ':')
			return usage_error("--%s needs a value", opts[optopt - 256].name);
		if (c < 256 || c >= 256 + O__COUNT)
			return usage_error("unknown or ambiguous option '%s'", argv[optind - 1]);
		const struct opt *o = &opts[c - 256];
		a->seen[c - 256] = true;
		if (set_option(a, o, optarg) < 0)
			return usage_error("--%s: '%s' is not %s", o->name, optarg, o->what);
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return FT_EXIT_OK;
}

/* Destination and source: parsed, loopback only, one family. */
static int check_endpoints(struct args *a)
{
	if (parse_to(a->to_text, &a->to) < 0)
		return usage_error("--to: '%s' is not HOST:PORT (127.0.0.1:2055 or [::1]:2055)",
		                   a->to_text);
	if (!endpoint_is_loopback(&a->to))
		return usage_error("--to: %s is not a loopback address; flowtally generate only "
		                   "sends to 127.0.0.0/8 or ::1 (it is for tests and benchmarks)",
		                   a->to_text);
	int family = a->to.addr.sa.sa_family;
	const char *src = a->source_text ? a->source_text : (family == AF_INET ? "127.0.0.1" : "::1");
	if (endpoint_from_text(src, (uint16_t)a->source_port, &a->source) < 0)
		return usage_error("--source: '%s' is not an IP address", src);
	if (!endpoint_is_loopback(&a->source))
		return usage_error("--source: %s is not a loopback address", src);
	if (a->source.addr.sa.sa_family != family)
		return usage_error("--source: %s is not of the same address family as --to", src);
	return FT_EXIT_OK;
}

/* Options only v9 and IPFIX take. */
static const int v9_only[] = { O_TEMPLATE, O_TEMPLATE_EVERY, O_TEMPLATE_SEPARATE, O_DATAGRAM_SIZE };

/* --version and the options that go with it. */
static int check_format(struct args *a)
{
	const char *t = a->template_text;

	if (a->version != 5 && a->version != 9 && a->version != 10)
		return usage_error("--version: '%" PRIu32 "' is not 5, 9 or 10", a->version);
	a->gen.version = (uint8_t)a->version;
	if (a->version == 5) {
		for (size_t i = 0; i < sizeof(v9_only) / sizeof(v9_only[0]); i++)
			if (a->seen[v9_only[i]])
				return usage_error("--%s applies to --version 9 and 10",
				                   opts[v9_only[i]].name);
		if (a->gen.records_per_datagram > 30)
			return usage_error("%s", "--records-per-datagram: at most 30 with --version 5");
		return FT_EXIT_OK;
	}
	if (a->seen[O_SAMPLING])
		return usage_error("%s", "--sampling applies to --version 5");
	if (t && strcmp(t, "v4") != 0 && strcmp(t, "v6") != 0)
		return usage_error("--template: '%s' is not v4 or v6", t);
	a->gen.template = t && strcmp(t, "v6") == 0 ? FT_GEN_TEMPLATE_V6 : FT_GEN_TEMPLATE_V4;
	a->gen.template_once = a->template_every == 0;
	a->gen.template_every = a->template_every;
	return FT_EXIT_OK;
}

/* The prefix of option o is of the family the records have. */
static int check_prefix(const struct args *a, int o, const struct ft_prefix *p)
{
	bool v6 = a->gen.version != 5 && a->gen.template == FT_GEN_TEMPLATE_V6;
	char text[FT_ADDR_STRLEN + 4];

	if (v6 != ft_addr_is_v4(&p->addr))
		return FT_EXIT_OK;
	return usage_error("--%s: %s is not an %s prefix%s", opts[o].name,
	                   ft_prefix_format(p, text, sizeof(text)), v6 ? "IPv6" : "IPv4",
	                   v6 ? " (--template v6)" : a->gen.version == 5 ? " (--version 5)" :
	                   " (--template v4)");
}

/* Prefixes and datagram size, once defaults are in. */
static int check_records(const struct args *a)
{
	int rc = check_prefix(a, O_SRC_PREFIX, &a->gen.src_prefix);
	if (rc == FT_EXIT_OK)
		rc = check_prefix(a, O_DST_PREFIX, &a->gen.dst_prefix);
	if (rc != FT_EXIT_OK || a->gen.version == 5)
		return rc;
	size_t min = ft_gen_min_datagram_size(&a->gen);
	if (a->gen.datagram_size < min)
		return usage_error("--datagram-size: %" PRIu32 " bytes is too small; the least is "
		                   "%zu (%s)", a->gen.datagram_size, min, a->gen.template_separate ?
		                   "the template, or a record" : "the template and a record");
	return FT_EXIT_OK;
}

/* Cross-option rules and derived values. */
static int finish_args(struct args *a)
{
	if (a->seen[O_RECORDS] && a->seen[O_DATAGRAMS])
		return usage_error("%s", "--records and --datagrams are alternatives: give one");
	if (a->expect_path && !a->summary)
		return usage_error("%s", "--expect-tenants goes with --summary, whose JSON carries "
		                   "the expected totals");
	if (a->seen[O_DURATION] && a->duration <= 0)
		return usage_error("%s", "--duration must be above 0");
	if (a->seen[O_FLOW_LENGTH] && a->flow_length < 0.001)
		return usage_error("%s", "--flow-length: at least 0.001 seconds");
	a->gen.max_flow_ms = (uint32_t)llround(a->flow_length * 1000);
	int rc = check_endpoints(a);
	if (rc == FT_EXIT_OK)
		rc = check_format(a);
	if (rc != FT_EXIT_OK)
		return rc;
	ft_gen_opts_default(&a->gen);
	if ((rc = check_records(a)) != FT_EXIT_OK)
		return rc;
	if (!a->seen[O_DATAGRAMS] && (a->seen[O_RECORDS] || !a->seen[O_DURATION]))
		a->records_goal = a->seen[O_RECORDS] ? a->records : DEFAULT_RECORDS;
	a->gen.sampling_interval = a->sampling ? (uint16_t)(0x4000 | a->sampling) : 0;
	if (!a->seen[O_START])
		a->start_ns = ft_clock_now_ns();
	a->gen.start_ms = a->start_ns / FT_NS_PER_MS;
	if (!a->seen[O_SOURCE_PORT] && a->pcap_path)
		a->source_port = 49152 + (uint32_t)((a->gen.seed * 0x9e3779b97f4a7c15u) >> 50);
	endpoint_set_port(&a->source, (uint16_t)a->source_port);
	return FT_EXIT_OK;
}

/* ---- the pool and the tally ---- */

struct slot {
	uint8_t *buf;
	uint32_t len;
	uint32_t exporter;
	uint64_t mark;               /* the batch it was last stamped for */
	struct ft_gen_totals sums;   /* of this one datagram */
	uint32_t share_off, share_n; /* --expect-tenants: its shares, in run.shares */
};

/* One exporter: its pool slots with the template and without (v5: all without), and
 * where its datagram stream has got to. */
struct stream {
	uint32_t *tpl, *data;        /* pool indices, parts of run.order */
	uint32_t n_tpl, n_data;
	uint64_t sent;               /* datagrams stamped */
	uint64_t next_tpl, next_data;
	uint64_t seq;                /* sequence number of its next datagram */
};

struct run {
	const struct args *a;
	struct ft_gen *gen;
	uint8_t *pool_mem;
	struct slot *pool;
	uint32_t pool_n;
	uint32_t *order;             /* pool indices by exporter, then kind */
	uint32_t exporters;
	uint32_t max_records;        /* the most records a pool datagram has */
	uint64_t stamped;            /* datagrams stamped */
	uint64_t mark;               /* batches stamped */
	struct stream streams[FT_GEN_MAX_EXPORTERS];
	struct ft_gen_totals per[FT_GEN_MAX_EXPORTERS];   /* accepted */
	struct ft_gen_totals total;
	struct ft_gen_share *shares; /* --expect-tenants: every slot's, one after another */
	size_t n_shares, cap_shares;
	struct ft_gen_volume *expect;  /* accepted, by [tenant * 2 + side]; the last
	                              * tenant is the unattributed bucket */
	uint64_t send_errors;
	struct mmsghdr *msgs;
	struct iovec *iovs;
	struct slot **batch;         /* slot of each message in the current batch */
	int fd;
	int64_t t0_ns, t1_ns;        /* CLOCK_MONOTONIC: first send, end */
	struct ft_progress progress; /* on a terminal */
};

/* v5 needs no more datagrams than the run sends; v9 and IPFIX at least two an
 * exporter, to have slots with and without the template. */
static uint64_t pool_size(const struct run *r)
{
	const struct args *a = r->a;
	uint64_t want = POOL_TARGET, k = r->exporters;

	if (a->gen.version == 5) {
		uint64_t rpd = a->gen.records_per_datagram;
		uint64_t need = a->records_goal != UINT64_MAX ? (a->records_goal + rpd - 1) / rpd
		                                              : a->datagrams;
		want = need < want ? need : want;
	} else if (want < 2 * k) {
		want = 2 * k;
	}
	return (want + k - 1) / k * k;
}

/* Splits each exporter's slots by kind, in pool order; -EINVAL when a kind its
 * schedule starts with is missing (it cannot be, the pool follows the schedule). */
static int pool_sort(struct run *r)
{
	bool t0 = ft_gen_carries_template(r->gen, 0), t1 = ft_gen_carries_template(r->gen, 1);
	uint32_t *p = r->order;

	for (uint32_t e = 0; e < r->exporters; e++) {
		struct stream *st = &r->streams[e];
		if (((t0 || t1) && !st->n_tpl) || ((!t0 || !t1) && !st->n_data))
			return -EINVAL;
		st->tpl = p;
		p += st->n_tpl;
		st->data = p;
		p += st->n_data;
		st->n_tpl = st->n_data = 0;
	}
	for (uint32_t i = 0; i < r->pool_n; i++) {
		struct stream *st = &r->streams[r->pool[i].exporter];
		if (r->pool[i].sums.templates)
			st->tpl[st->n_tpl++] = i;
		else
			st->data[st->n_data++] = i;
	}
	return 0;
}

/* Works out what slot s gives each tenant, once: a slot is sent over and over, and
 * restamping changes no address or counter. */
static int slot_shares(struct run *r, struct slot *s)
{
	size_t max = ft_gen_shares_max(r->gen);

	if (r->cap_shares - r->n_shares < max) {
		size_t cap = r->cap_shares ? 2 * r->cap_shares : 64 * max;
		while (cap - r->n_shares < max)
			cap *= 2;
		struct ft_gen_share *p = realloc(r->shares, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->shares = p;
		r->cap_shares = cap;
	}
	int n = ft_gen_shares(r->gen, r->a->tenants, s->buf, s->len, r->shares + r->n_shares, max);
	if (n < 0)
		return n;
	s->share_off = (uint32_t)r->n_shares;
	s->share_n = (uint32_t)n;
	r->n_shares += (size_t)n;
	return 0;
}

static int pool_build(struct run *r)
{
	uint64_t n = pool_size(r);
	size_t stride = (ft_gen_datagram_max(r->gen) + 63) / 64 * 64;

	r->pool_mem = aligned_alloc(64, n * stride);
	r->pool = calloc(n, sizeof(*r->pool));
	r->order = calloc(n, sizeof(*r->order));
	if (!r->pool_mem || !r->pool || !r->order)
		return -ENOMEM;
	r->pool_n = (uint32_t)n;
	for (uint32_t i = 0; i < r->pool_n; i++) {
		struct slot *s = &r->pool[i];
		s->buf = r->pool_mem + (size_t)i * stride;
		s->len = (uint32_t)ft_gen_next(r->gen, s->buf, stride, &s->exporter);
		s->sums = *ft_gen_last(r->gen);
		if (s->sums.records > r->max_records)
			r->max_records = (uint32_t)s->sums.records;
		if (s->sums.templates)
			r->streams[s->exporter].n_tpl++;
		else
			r->streams[s->exporter].n_data++;
		int rc = r->a->tenants ? slot_shares(r, s) : 0;
		if (rc < 0)
			return rc;
	}
	return pool_sort(r);
}

static int run_init(struct run *r, const struct args *a)
{
	uint32_t batch = a->pcap_path ? 1 : a->batch;

	memset(r, 0, sizeof(*r));
	r->a = a;
	r->fd = -1;
	r->exporters = a->gen.exporters;
	r->gen = ft_gen_new(&a->gen);
	r->msgs = calloc(batch, sizeof(*r->msgs));
	r->iovs = calloc(batch, sizeof(*r->iovs));
	r->batch = calloc(batch, sizeof(*r->batch));
	if (a->tenants)
		r->expect = calloc(2 * ((size_t)ft_gen_tenants_count(a->tenants) + 1),
		                   sizeof(*r->expect));
	if (!r->gen || !r->msgs || !r->iovs || !r->batch || (a->tenants && !r->expect) ||
	    pool_build(r) < 0)
		return -ENOMEM;
	for (uint32_t i = 0; i < batch; i++) {
		r->msgs[i].msg_hdr.msg_name = (void *)&a->to.addr;
		r->msgs[i].msg_hdr.msg_namelen = a->to.len;
		r->msgs[i].msg_hdr.msg_iov = &r->iovs[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return 0;
}

static void run_done(struct run *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->batch);
	free(r->iovs);
	free(r->msgs);
	free(r->order);
	free(r->pool);
	free(r->pool_mem);
	free(r->shares);
	free(r->expect);
	ft_gen_free(r->gen);
}

/* The slot exporter e sends next: one with its template when its schedule says so.
 * With take, the stream moves past it. */
static struct slot *next_slot(struct run *r, uint32_t e, bool take)
{
	struct stream *st = &r->streams[e];
	bool tpl = ft_gen_carries_template(r->gen, st->sent);
	uint64_t *cur = tpl ? &st->next_tpl : &st->next_data;
	uint32_t i = tpl ? st->tpl[*cur % st->n_tpl] : st->data[*cur % st->n_data];

	if (take) {
		(*cur)++;
		st->sent++;
	}
	return &r->pool[i];
}

/* Records in the datagram that goes next. */
static uint64_t next_records(struct run *r)
{
	return next_slot(r, (uint32_t)(r->stamped % r->exporters), false)->sums.records;
}

static bool finished(const struct run *r)
{
	return r->total.datagrams >= r->a->datagrams || r->total.records >= r->a->records_goal;
}

/* Data records still to send for --records (a huge number without). */
static uint64_t records_left(const struct run *r)
{
	return r->a->records_goal - r->total.records;
}

/* Readies up to n datagrams (exporters round robin after the stamped ones) for
 * sending at export_ns.  Stops early before a slot would come twice (stamping
 * rewrites it), before the records would pass budget, and once `left` records are
 * covered.  Returns how many, and their records in *ret_records. */
static uint32_t stamp_batch(struct run *r, uint32_t n, int64_t export_ns, uint64_t budget,
                            uint64_t left, uint64_t *ret_records)
{
	uint64_t records = 0;
	uint32_t i;

	if (export_ns > MAX_START_S * FT_NS_PER_SEC)
		export_ns = MAX_START_S * FT_NS_PER_SEC;
	r->mark++;
	for (i = 0; i < n && records < left; i++) {
		uint32_t e = (uint32_t)(r->stamped % r->exporters);
		struct slot *s = next_slot(r, e, false);
		if (s->mark == r->mark || records + s->sums.records > budget)
			break;
		next_slot(r, e, true);
		s->mark = r->mark;
		ft_gen_restamp(r->gen, s->buf, s->len, export_ns, (uint32_t)r->streams[e].seq);
		r->streams[e].seq += ft_gen_sequence_step(r->gen, &s->sums);
		records += s->sums.records;
		r->stamped++;
		r->batch[i] = s;
		r->iovs[i].iov_base = s->buf;
		r->iovs[i].iov_len = s->len;
	}
	*ret_records = records;
	return i;
}

static void tally(struct ft_gen_totals *t, const struct ft_gen_totals *d)
{
	t->datagrams += d->datagrams;
	t->records += d->records;
	t->bytes += d->bytes;
	t->packets += d->packets;
	t->templates += d->templates;
}

static void accept_slot(struct run *r, const struct slot *s)
{
	tally(&r->per[s->exporter], &s->sums);
	tally(&r->total, &s->sums);
	for (uint32_t i = 0; i < s->share_n; i++) {
		const struct ft_gen_share *sh = &r->shares[s->share_off + i];
		struct ft_gen_volume *v = &r->expect[2 * (size_t)sh->tenant + sh->side];
		v->bytes += sh->v.bytes;
		v->packets += sh->v.packets;
		v->flows += sh->v.flows;
	}
}

/* The progress line: how far, of how much, how fast; seconds of export time in a file. */
static void show_progress(struct run *r, double seconds)
{
	const struct args *a = r->a;
	char of[64] = "", span[64];
	if (!ft_progress_due(&r->progress))
		return;
	double elapsed = (double)(ft_clock_mono_ns() - r->t0_ns) / 1e9;
	if (a->records_goal != UINT64_MAX)
		snprintf(of, sizeof(of), " of %" PRIu64, a->records_goal);
	if (a->duration > 0)
		snprintf(span, sizeof(span), "%.1f s of %g s", seconds, a->duration);
	else
		snprintf(span, sizeof(span), "%.1f s", seconds);
	ft_progress_show(&r->progress, "flowtally generate: %s, %" PRIu64 "%s records %s (%.0f records/s)",
	                 span, r->total.records, of, a->pcap_path ? "written" : "sent",
	                 elapsed > 0 ? (double)r->total.records / elapsed : 0.0);
}

/* ---- sending ---- */

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void catch_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);   /* no SA_RESTART: blocked sends return EINTR */
	sigaction(SIGTERM, &sa, NULL);
}

static int open_socket(struct run *r)
{
	const struct args *a = r->a;
	char text[INET6_ADDRSTRLEN + 8];

	r->fd = socket(a->to.addr.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (r->fd < 0) {
		complain("socket: %s", strerror(errno));
		return -1;
	}
	int size = (int)a->sndbuf;
	if (size && setsockopt(r->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) < 0) {
		complain("--sndbuf %d: %s", size, strerror(errno));
		return -1;
	}
	if ((a->source_text || a->source_port) &&
	    bind(r->fd, &a->source.addr.sa, a->source.len) < 0) {
		complain("cannot send from %s: %s", endpoint_format(&a->source, text, sizeof(text)),
		         strerror(errno));
		return -1;
	}
	return 0;
}

static void wait_out(int fd, int err)
{
	if (err == EAGAIN || err == EWOULDBLOCK) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		poll(&p, 1, 100);
		return;
	}
	struct timespec ts = { 0, 100000 };   /* ENOBUFS, ENOMEM: give the kernel 0.1 ms */
	nanosleep(&ts, NULL);
}

/* Sends the stamped batch until the kernel has accepted all of it, tallying what it
 * accepts; 0, or -errno on a failure that retrying cannot mend. */
static int send_batch(struct run *r, uint32_t n)
{
	uint32_t done = 0;

	while (done < n && !stop_requested) {
		int m = sendmmsg(r->fd, r->msgs + done, n - done, 0);
		if (m > 0) {
			for (int i = 0; i < m; i++)
				accept_slot(r, r->batch[done + (uint32_t)i]);
			done += (uint32_t)m;
		} else if (m < 0 && errno == EINTR) {
			continue;
		} else if (m < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EWOULDBLOCK ||
		                     errno == ENOMEM)) {
			r->send_errors++;
			wait_out(r->fd, errno);
		} else {
			return m < 0 ? -errno : -EIO;
		}
	}
	return 0;
}

struct bucket {
	double rate;                 /* records per second */
	double tokens;               /* records that may go now */
	double cap;
	int64_t last_ns;
};

static void bucket_init(struct bucket *b, const struct run *r, int64_t now)
{
	b->rate = r->a->rate;
	b->tokens = r->max_records;
	b->cap = (double)r->max_records * r->a->batch;
	b->last_ns = now;
}

/* Waits until `need` records may go (the next datagram's); true with the whole
 * allowance in *ret_budget, or false when the deadline (0 = none) would pass first or
 * a signal asked to stop.  The caller takes what it sends from b->tokens. */
static bool bucket_take(struct bucket *b, uint64_t need, int64_t deadline, uint64_t *ret_budget)
{
	for (;;) {
		int64_t now = ft_clock_mono_ns();
		b->tokens = fmin(b->cap, b->tokens + (double)(now - b->last_ns) * b->rate / 1e9);
		b->last_ns = now;
		if (b->tokens >= (double)need) {
			*ret_budget = (uint64_t)b->tokens;
			return true;
		}
		int64_t wake = now + (int64_t)ceil(((double)need - b->tokens) / b->rate * 1e9);
		if ((deadline && wake >= deadline) || stop_requested)
			return false;
		struct timespec ts = { wake / FT_NS_PER_SEC, wake % FT_NS_PER_SEC };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}

static int send_udp(struct run *r)
{
	const struct args *a = r->a;
	struct bucket b;
	int rc = open_socket(r);

	if (rc < 0)
		return rc;
	r->t0_ns = ft_clock_mono_ns();
	ft_progress_init(&r->progress);
	int64_t deadline = a->duration > 0 ? r->t0_ns + (int64_t)(a->duration * 1e9) : 0;
	bucket_init(&b, r, r->t0_ns);
	while (!stop_requested && !finished(r)) {
		uint64_t left = a->datagrams - r->total.datagrams, budget = UINT64_MAX, records;
		uint32_t n = left < a->batch ? (uint32_t)left : a->batch;
		if (a->rate > 0 && !bucket_take(&b, next_records(r), deadline, &budget))
			break;
		int64_t now = ft_clock_mono_ns();
		if (deadline && now >= deadline)
			break;
		n = stamp_batch(r, n, a->start_ns + (now - r->t0_ns), budget, records_left(r), &records);
		b.tokens -= (double)records;
		if ((rc = send_batch(r, n)) < 0) {
			ft_progress_done(&r->progress);
			char text[INET6_ADDRSTRLEN + 8];
			complain("sending to %s: %s", endpoint_format(&a->to, text, sizeof(text)),
			         strerror(-rc));
			break;
		}
		show_progress(r, (double)(now - r->t0_ns) / 1e9);
	}
	if (rc == 0 && deadline && !stop_requested && !finished(r)) {
		/* Stopped by the clock: the run lasts --duration, so the rate comes out right. */
		struct timespec ts = { deadline / FT_NS_PER_SEC, deadline % FT_NS_PER_SEC };
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	r->t1_ns = ft_clock_mono_ns();
	ft_progress_done(&r->progress);
	return rc < 0 ? rc : 0;
}

/* ---- pcap ---- */

static uint32_t csum_add(uint32_t acc, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		acc += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static uint16_t csum_fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static void put16be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* UDP header and checksum (RFC 768; RFC 8200 §8.1 for IPv6) over the pseudo-header
 * sum pseudo; returns the UDP length. */
static size_t put_udp(uint8_t *u, const struct args *a, uint32_t pseudo,
                      const uint8_t *payload, size_t len)
{
	size_t ulen = 8 + len;

	put16be(u, a->source_port);
	put16be(u + 2, ntohs(a->to.addr.sa.sa_family == AF_INET ? a->to.addr.in.sin_port
	                                                        : a->to.addr.in6.sin6_port));
	put16be(u + 4, (uint32_t)ulen);
	put16be(u + 6, 0);
	memcpy(u + 8, payload, len);
	uint16_t c = csum_fold(csum_add(pseudo + 17 + (uint32_t)ulen, u, ulen));
	put16be(u + 6, c ? c : 0xffff);
	return ulen;
}

/* Ethernet/IPv4 or IPv6/UDP around one datagram; returns the frame length. */
static size_t build_frame(uint8_t *f, const struct args *a, const uint8_t *payload,
                          size_t len, uint16_t ip_id)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };
	uint8_t *ip = f + 14;

	memcpy(f, macs, 12);
	if (a->to.addr.sa.sa_family == AF_INET) {
		put16be(f + 12, 0x0800);
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16be(ip + 2, (uint32_t)(20 + 8 + len));
		put16be(ip + 4, ip_id);
		put16be(ip + 6, 0x4000);                      /* DF */
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, &a->source.addr.in.sin_addr, 4);
		memcpy(ip + 16, &a->to.addr.in.sin_addr, 4);
		put16be(ip + 10, csum_fold(csum_add(0, ip, 20)));
		return 14 + 20 + put_udp(ip + 20, a, csum_add(0, ip + 12, 8), payload, len);
	}
	put16be(f + 12, 0x86dd);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16be(ip + 4, (uint32_t)(8 + len));
	ip[6] = 17;
	ip[7] = 64;
	memcpy(ip + 8, &a->source.addr.in6.sin6_addr, 16);
	memcpy(ip + 24, &a->to.addr.in6.sin6_addr, 16);
	return 14 + 40 + put_udp(ip + 40, a, csum_add(0, ip + 8, 32), payload, len);
}

/* When datagram i goes in a file, in ns after --start: 1 ms apart without --rate,
 * else when the records before it would have gone at the rate (for v5 the same as
 * i times the records of a datagram). */
static double pcap_offset_ns(const struct run *r, uint64_t i)
{
	const struct args *a = r->a;

	if (a->rate <= 0)
		return (double)i * 1e6;
	if (a->gen.version == 5)
		return (double)i * (a->gen.records_per_datagram * 1e9 / a->rate);
	return (double)r->total.records * 1e9 / a->rate;
}

static void write_frames(struct run *r, pcap_dumper_t *d)
{
	const struct args *a = r->a;
	uint8_t frame[14 + 40 + 8 + FT_GEN_MAX_DATAGRAM];
	uint64_t records;

	for (uint64_t i = 0; !finished(r) && !stop_requested; i++) {
		double offset = pcap_offset_ns(r, i);
		if (a->duration > 0 && offset >= a->duration * 1e9)
			break;
		int64_t export_ns = a->start_ns + (int64_t)offset;
		stamp_batch(r, 1, export_ns, UINT64_MAX, records_left(r), &records);
		const struct slot *s = r->batch[0];
		struct pcap_pkthdr h = {
			.ts = { .tv_sec = export_ns / FT_NS_PER_SEC,
			        .tv_usec = (export_ns % FT_NS_PER_SEC) / 1000 },
		};
		h.caplen = h.len = (uint32_t)build_frame(frame, a, s->buf, s->len, (uint16_t)i);
		pcap_dump((u_char *)d, &h, frame);
		accept_slot(r, s);
		show_progress(r, offset / 1e9);
	}
}

static int write_pcap(struct run *r)
{
	const char *path = r->a->pcap_path;
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d = p ? pcap_dump_open(p, path) : NULL;
	int rc = 0;

	if (!d) {
		complain("%s", p ? pcap_geterr(p) : "cannot open a pcap handle");
		rc = -1;
		goto fail;
	}
	r->t0_ns = ft_clock_mono_ns();
	ft_progress_init(&r->progress);
	write_frames(r, d);
	ft_progress_done(&r->progress);
	r->t1_ns = ft_clock_mono_ns();
	if (pcap_dump_flush(d) < 0 || ferror(pcap_dump_file(d))) {
		complain("%s: write error: %s", path, strerror(errno));
		rc = -1;
	}
	pcap_dump_close(d);
fail:
	if (p)
		pcap_close(p);
	return rc;
}

/* ---- report ---- */

static void print_volume(const char *key, const struct ft_gen_volume *v)
{
	printf("\"%s\":{\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"flows\":%" PRIu64 "}",
	       key, v->bytes, v->packets, v->flows);
}

struct named {
	const char *name;
	uint32_t index;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name, ((const struct named *)b)->name);
}

/* ,"tenants":{...},"unattributed":{...}; tenant names need no JSON escapes. */
static void print_expected(const struct run *r)
{
	const struct ft_gen_tenants *t = r->a->tenants;
	uint32_t n = ft_gen_tenants_count(t);
	struct named *order = calloc(n + 1, sizeof(*order));

	for (uint32_t i = 0; order && i < n; i++)
		order[i] = (struct named){ ft_gen_tenants_name(t, i), i };
	if (order)
		qsort(order, n, sizeof(*order), by_name);
	printf(",\"tenants\":{");
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = order ? order[k].index : k;
		printf("%s\"%s\":{", k ? "," : "", ft_gen_tenants_name(t, i));
		print_volume("out", &r->expect[2 * (size_t)i + FT_GEN_OUT]);
		putchar(',');
		print_volume("in", &r->expect[2 * (size_t)i + FT_GEN_IN]);
		putchar('}');
	}
	printf("},\"unattributed\":{");
	print_volume("src", &r->expect[2 * (size_t)n + FT_GEN_OUT]);
	putchar(',');
	print_volume("dst", &r->expect[2 * (size_t)n + FT_GEN_IN]);
	putchar('}');
	free(order);
}

static void print_json(const struct run *r, double elapsed)
{
	const struct ft_gen_totals *t = &r->total;
	bool v5 = r->a->gen.version == 5;

	printf("{\"version\":%u,\"datagrams\":%" PRIu64 ",\"records\":%" PRIu64 ",\"bytes\":%" PRIu64
	       ",\"packets\":%" PRIu64 ",\"templates\":%" PRIu64 ",\"elapsed_s\":%.6f"
	       ",\"rate_records_per_s\":%.1f,\"send_errors\":%" PRIu64 ",\"exporters\":[",
	       r->a->gen.version, t->datagrams, t->records, t->bytes, t->packets, t->templates,
	       elapsed, elapsed > 0 ? (double)t->records / elapsed : 0.0, r->send_errors);
	for (uint32_t e = 0; e < r->exporters; e++) {
		const struct ft_gen_totals *x = &r->per[e];
		printf("%s{\"%s\":%" PRIu32 ",\"datagrams\":%" PRIu64 ",\"records\":%" PRIu64
		       ",\"bytes\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"templates\":%" PRIu64 "}",
		       e ? "," : "", v5 ? "engine_type\":0,\"engine_id" : "domain", e,
		       x->datagrams, x->records, x->bytes, x->packets, x->templates);
	}
	putchar(']');
	if (r->a->tenants)
		print_expected(r);
	printf("}\n");
	fflush(stdout);
}

static const char *format_name(uint8_t version)
{
	return version == 5 ? "NetFlow v5" : version == 9 ? "NetFlow v9" : "IPFIX";
}

static void report(const struct run *r)
{
	double elapsed = (double)(r->t1_ns - r->t0_ns) / 1e9;
	const struct ft_gen_totals *t = &r->total;
	char where[INET6_ADDRSTRLEN + 16];

	if (r->a->summary) {
		print_json(r, elapsed);
		return;
	}
	if (r->a->pcap_path)
		snprintf(where, sizeof(where), "written to %s", r->a->pcap_path);
	else
		endpoint_format(&r->a->to, where, sizeof(where));
	fprintf(stderr, "flowtally generate: %s, %" PRIu64 " datagrams, %" PRIu64 " records, %"
	        PRIu64 " bytes, %" PRIu64 " packets %s%s in %.3f s (%.0f records/s, %" PRIu64
	        " send errors)%s\n", format_name(r->a->gen.version), t->datagrams, t->records,
	        t->bytes, t->packets, r->a->pcap_path ? "" : "sent to ", where, elapsed,
	        elapsed > 0 ? (double)t->records / elapsed : 0.0, r->send_errors,
	        stop_requested ? ", interrupted" : "");
}

/* --expect-tenants FILE into a->tenants; errors as FILE:LINE: what. */
static int load_tenants(struct args *a)
{
	FILE *f = fopen(a->expect_path, "r");
	char *line = NULL, err[160];
	size_t cap = 0;
	unsigned long n = 0, bad = 0;

	if (!f) {
		complain("--expect-tenants: %s: %s", a->expect_path, strerror(errno));
		return FT_EXIT_USAGE;
	}
	a->tenants = ft_gen_tenants_new();
	int fault = a->tenants ? 0 : ENOMEM;
	while (!fault && getline(&line, &cap, f) > 0) {
		n++;
		int rc = ft_gen_tenants_line(a->tenants, line, err, sizeof(err));
		if (rc == -ENOMEM)
			fault = ENOMEM;
		else if (rc < 0 && bad++ < 20)
			fprintf(stderr, "%s:%lu: %s\n", a->expect_path, n, err);
	}
	if (!fault && !feof(f))             /* getline() stopped short: read error or ENOMEM */
		fault = errno ? errno : EIO;
	free(line);
	fclose(f);
	if (fault) {
		complain("--expect-tenants: %s: %s", a->expect_path, strerror(fault));
		return FT_EXIT_FAILURE;
	}
	if (bad) {
		complain("--expect-tenants: %lu error(s) in %s", bad, a->expect_path);
		return FT_EXIT_USAGE;
	}
	return FT_EXIT_OK;
}

static int pin_cpu(uint32_t cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		complain("--cpu %" PRIu32 ": %s", cpu, strerror(errno));
		return -1;
	}
	return 0;
}

int ft_cmd_generate(int argc, char **argv)
{
	struct args a;
	struct run r;

	args_init(&a);
	int rc = read_options(argc, argv, &a);
	if (rc != FT_EXIT_OK)
		return rc;
	if (a.help) {
		fputs(usage_text, stdout);
		return FT_EXIT_OK;
	}
	if ((rc = finish_args(&a)) != FT_EXIT_OK ||
	    (a.expect_path && (rc = load_tenants(&a)) != FT_EXIT_OK)) {
		ft_gen_tenants_free(a.tenants);
		return rc;
	}
	if (a.seen[O_CPU] && pin_cpu(a.cpu) < 0) {
		ft_gen_tenants_free(a.tenants);
		return FT_EXIT_FAILURE;
	}
	if (run_init(&r, &a) < 0) {
		complain("out of memory");
		run_done(&r);
		ft_gen_tenants_free(a.tenants);
		return FT_EXIT_FAILURE;
	}
	stop_requested = 0;
	catch_signals();
	rc = a.pcap_path ? write_pcap(&r) : send_udp(&r);
	if (r.t0_ns)                  /* something was (or could have been) sent */
		report(&r);
	run_done(&r);
	ft_gen_tenants_free(a.tenants);
	return rc < 0 ? FT_EXIT_FAILURE : FT_EXIT_OK;
}
