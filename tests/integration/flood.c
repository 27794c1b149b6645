/* The template flood of memory.sh: from one IPFIX exporter (127.0.0.1, observation
 * domain 1), N datagrams of the largest template a datagram can carry, each under a
 * template ID of its own (256, 257, ...): FIELDS fields of one byte, unknown elements
 * but the last (packetDeltaCount), so every field is an op of the compiled plan.
 * Built byte by byte from RFC 7011 (tests/unit/msg_build.h) and sent to 127.0.0.1 only.
 *
 *   flood PORT N [FIELDS]     FIELDS defaults to 16,000 (a 64,020-byte datagram)
 *
 * and the observation domain flood, from source address SRC (127.x.y.z):
 *   flood domains PORT N SRC  N messages, domains 0..N-1, each defining template 256
 *                             (sourceIPv4Address, octetDeltaCount)
 *   flood one PORT SRC        one message of domain 7: template 256 and a record of
 *                             4,321 bytes from 10.0.0.9
 *
 * It paces itself (a pause every 16 datagrams) so that the socket buffer, not the
 * sender, is never the limit, and prints the datagrams and bytes it sent. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "msg_build.h"

static struct mb m;
static struct mb_field f[16300];

static int from(const char *src)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET };
	if (s < 0 || inet_pton(AF_INET, src, &a.sin_addr) != 1 || (ntohl(a.sin_addr.s_addr) >> 24) != 127 ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		fprintf(stderr, "flood: cannot send from %s (127.0.0.0/8 only)\n", src);
		exit(1);
	}
	return s;
}

static int domains(int port, int n, const char *src, bool one)
{
	static const struct mb_field tf[] = { { 8, 4, 0 }, { 1, 4, 0 } };
	int s = from(src), sent = 0;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	for (int i = 0; i < n; i++) {
		mb_ipfix(&m, (uint32_t)time(NULL), 0, one ? 7u : (uint32_t)i);
		mb_set(&m, MB_IPFIX_TEMPLATE);
		mb_template(&m, 256, tf, 2);
		if (one) {
			mb_set(&m, 256);
			mb_v4(&m, "10.0.0.9");
			mb_u32(&m, 4321);
		}
		size_t len = mb_done(&m);
		sent += sendto(s, m.buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len;
		if (i % 16 == 15)
			usleep(1000);
	}
	close(s);
	printf("{\"datagrams\": %d}\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "domains") == 0)
		return domains(atoi(argv[2]), atoi(argv[3]), argv[4], false);
	if (argc == 4 && strcmp(argv[1], "one") == 0)
		return domains(atoi(argv[2]), 1, argv[3], true);
	if (argc < 3) {
		fprintf(stderr, "usage: flood PORT N [FIELDS]\n");
		return 2;
	}
	int port = atoi(argv[1]), n = atoi(argv[2]);
	int fields = argc > 3 ? atoi(argv[3]) : 16000;
	if (port <= 0 || port > 65535 || n <= 0 || fields < 1 || fields > 16300) {
		fprintf(stderr, "flood: bad arguments\n");
		return 2;
	}
	for (int i = 0; i < fields - 1; i++)
		f[i] = (struct mb_field){ 999, 1, 0 };
	f[fields - 1] = (struct mb_field){ 2, 1, 0 };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	if (s < 0) {
		perror("flood: socket");
		return 1;
	}
	long long bytes = 0;
	int sent = 0;
	for (int i = 0; i < n; i++) {
		mb_ipfix(&m, (uint32_t)time(NULL), 0, 1);
		mb_set(&m, MB_IPFIX_TEMPLATE);
		mb_template(&m, (uint16_t)(256 + i), f, (uint16_t)fields);
		size_t len = mb_done(&m);
		if (sendto(s, m.buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len) {
			sent++;
			bytes += (long long)len;
		}
		if (i % 16 == 15)
			usleep(8000);
	}
	close(s);
	printf("{\"datagrams\": %d, \"bytes\": %lld}\n", sent, bytes);
	return 0;
}
