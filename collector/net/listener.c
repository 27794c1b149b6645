/* UDP listener: recvmmsg(2) into a fixed ring of FT_LISTENER_BATCH slots of 64 KiB (the
 * largest UDP payload), so no datagram is ever cut short; the receive time comes from
 * the kernel (SO_TIMESTAMPNS).  The socket's cumulative drop count is read with
 * SO_MEMINFO when the statistics are published: SO_RXQ_OVFL would only report it with
 * the next datagram received (drops after the last one would wait for more traffic),
 * and a datagram queued before a drop carries an older count than one read meanwhile. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flowtally/clock.h"
#include "flowtally/listener.h"

#define SLOT_LEN 65536
/* Slots start 17 cache lines apart modulo 64 KiB, not all at the same offset: the
 * datagrams of one batch, mostly far shorter than a slot, then fall into different
 * cache sets and stay in cache from the kernel's copy to the decoder. */
#define SLOT_STRIDE (SLOT_LEN + 17 * 64)
#define CMSG_LEN_MAX 128

struct ft_listener {
	int fd;
	uint16_t port;
	struct ft_addr addr;
	char name[64];
	struct ft_listener_stats st;
	struct mmsghdr msgs[FT_LISTENER_BATCH];
	struct iovec iov[FT_LISTENER_BATCH];
	struct sockaddr_storage from[FT_LISTENER_BATCH];
	uint8_t cmsg[FT_LISTENER_BATCH][CMSG_LEN_MAX];
	uint8_t *buf;               /* FT_LISTENER_BATCH * SLOT_STRIDE */
};

static int set_rcvbuf(int fd, uint32_t want)
{
	int v = (int)want;
	/* SO_RCVBUFFORCE passes net.core.rmem_max when the daemon may (CAP_NET_ADMIN). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) == 0)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) == 0 ? 0 : -errno;
}

/* With several receive threads on one address, the kernel picks a socket per datagram.
 * This classic BPF program makes the pick depend on the exporter's address alone (its
 * last 32 bits, modulo the thread count), so one exporter's templates and data always
 * reach the same thread, whatever UDP source ports it uses.  The program runs with
 * the packet at the UDP payload; SKF_NET_OFF reaches the IP header. */
static int steer_by_source(int fd, bool v6, unsigned threads)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_NET_OFF + (v6 ? 20 : 12))),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, threads),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = { .len = 3, .filter = code };
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) == 0 ? 0 : -errno;
}

/* Whether something listens on the address already: a socket without SO_REUSEPORT
 * cannot be bound next to any other, shared or not.  0, or -EADDRINUSE. */
static int address_taken(const struct ft_listen_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = ft_listen_addr_sockaddr(a, &ss);
	int one = 1, r = 0;
	int fd = socket(a->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;               /* the real socket will say what is wrong */
	if (a->v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 && errno == EADDRINUSE)
		r = -EADDRINUSE;
	close(fd);
	return r;
}

static int make_socket(const struct ft_listen_addr *a, uint32_t rcvbuf, unsigned threads, bool join,
                       char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl = ft_listen_addr_sockaddr(a, &ss);
	int one = 1;
	if (threads > 1 && !join && a->port != 0 && address_taken(a) < 0) {
		snprintf(err, errlen, "%s: %s (another process listens there)", a->text, strerror(EADDRINUSE));
		return -EADDRINUSE;
	}
	int fd = socket(a->v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", a->text, strerror(errno));
		return -errno;
	}
	if (a->v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (threads > 1)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (set_rcvbuf(fd, rcvbuf) < 0 || bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    (threads > 1 && steer_by_source(fd, a->v6, threads) < 0)) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", a->text, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int ft_listener_open(const struct ft_listen_addr *a, uint32_t rcvbuf, unsigned threads, bool join,
                     struct ft_listener **ret, char *err, size_t errlen)
{
	struct ft_listener *l = calloc(1, sizeof(*l));
	if (!l || !(l->buf = malloc((size_t)FT_LISTENER_BATCH * SLOT_STRIDE))) {
		free(l);
		snprintf(err, errlen, "%s: out of memory", a->text);
		return -ENOMEM;
	}
	int fd = make_socket(a, rcvbuf, threads, join, err, errlen);
	if (fd < 0) {
		free(l->buf);
		free(l);
		return fd;
	}
	l->fd = fd;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	l->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                         : ((struct sockaddr_in *)&ss)->sin_port);
	int v = 0;
	socklen_t vl = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &vl);
	l->st.rcvbuf = (uint32_t)v;
	l->st.rcvbuf_asked = rcvbuf;
	l->st.port = l->port;
	snprintf(l->name, sizeof(l->name), "%s", a->text);
	l->addr = a->addr;
	*ret = l;
	return 0;
}

struct ft_listener *ft_listener_close(struct ft_listener *l)
{
	if (l) {
		close(l->fd);
		free(l->buf);
		free(l);
	}
	return NULL;
}

int ft_listener_fd(const struct ft_listener *l)
{
	return l->fd;
}

uint16_t ft_listener_port(const struct ft_listener *l)
{
	return l->port;
}

const char *ft_listener_name(const struct ft_listener *l)
{
	return l->name;
}

const struct ft_listener_stats *ft_listener_stats(const struct ft_listener *l)
{
	return &l->st;
}

void ft_listener_update_drops(struct ft_listener *l)
{
	uint32_t mi[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mi);
	if (getsockopt(l->fd, SOL_SOCKET, SO_MEMINFO, mi, &len) < 0 ||
	    len < (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
		return;
	/* The kernel's counter is cumulative and 32-bit: follow it across wrap. */
	uint32_t delta = mi[SK_MEMINFO_DROPS] - (uint32_t)l->st.kernel_drops;
	l->st.kernel_drops += delta;
}

static void sockaddr_to(const struct sockaddr_storage *ss, struct ft_addr *a, uint16_t *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		ft_addr_from_v6(a, s6->sin6_addr.s6_addr);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		ft_addr_from_v4_bytes(a, (const uint8_t *)&s4->sin_addr);
		*port = ntohs(s4->sin_port);
	}
}

static void read_cmsgs(struct msghdr *mh, struct ft_datagram *dg, int64_t now)
{
	dg->recv_ns = now;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec ts;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			dg->recv_ns = (int64_t)ts.tv_sec * FT_NS_PER_SEC + ts.tv_nsec;
		}
	}
}

int ft_listener_recv(struct ft_listener *l, struct ft_datagram *dgs, unsigned max)
{
	if (max > FT_LISTENER_BATCH)
		max = FT_LISTENER_BATCH;
	for (unsigned i = 0; i < max; i++) {
		l->iov[i] = (struct iovec){ l->buf + (size_t)i * SLOT_STRIDE, SLOT_LEN };
		l->msgs[i].msg_hdr = (struct msghdr){
			.msg_name = &l->from[i], .msg_namelen = sizeof(l->from[i]),
			.msg_iov = &l->iov[i], .msg_iovlen = 1,
			.msg_control = l->cmsg[i], .msg_controllen = CMSG_LEN_MAX,
		};
	}
	int n = recvmmsg(l->fd, l->msgs, max, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		l->st.recv_errors++;
		return -errno;
	}
	int64_t now = ft_clock_now_ns();
	for (int i = 0; i < n; i++) {
		struct msghdr *mh = &l->msgs[i].msg_hdr;
		struct ft_datagram *dg = &dgs[i];
		sockaddr_to(&l->from[i], &dg->src, &dg->sport);
		dg->dport = l->port;
		dg->dst = l->addr;
		dg->data = l->buf + (size_t)i * SLOT_STRIDE;
		dg->len = l->msgs[i].msg_len;
		if (mh->msg_flags & MSG_TRUNC)
			l->st.truncated++;
		read_cmsgs(mh, dg, now);
		l->st.datagrams++;
		l->st.bytes += dg->len;
	}
	return n;
}
