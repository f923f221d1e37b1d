/*
 * pingpong: the lock-step TFTP exchange with nothing else in it, the ceiling
 * bench/tftp/run.sh compares the servers with. One side sends DATA (a 4-byte
 * TFTP header and blksize bytes), the other answers each with a 4-byte ACK,
 * exactly as a windowsize-1 read transfer does, but with no file, no option
 * parsing and no logging: what is left is the two syscalls per packet and
 * the round trip through the kernel.
 *
 *   pingpong serve IP PORT          serve transfers one after another
 *   pingpong get IP PORT BLKSIZE BYTES
 *                                   one transfer of BYTES; prints
 *                                   "blocks N bytes B ns T" on success
 *
 * Like tftpd-hpa and atftpd, the server answers each request from a new
 * socket connected to the client, and the client connects to the address the
 * first DATA came from; both block in recv() (SO_RCVTIMEO bounds every wait).
 * A lost packet is resent after a second, at most RETRIES times, so a run
 * always ends. The request is a text datagram "BLKSIZE BYTES".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BLKSIZE 65464
#define RETRIES 10
#define OP_DATA 3
#define OP_ACK 4

static unsigned char pkt[4 + MAX_BLKSIZE];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int udp_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = {.tv_sec = 1};

	if (fd < 0)
		die("socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0)
		die("SO_RCVTIMEO");
	return fd;
}

static struct sockaddr_in addr_of(const char *ip, const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};

	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1) {
		fprintf(stderr, "pingpong: bad address %s\n", ip);
		exit(2);
	}
	sa.sin_port = htons((uint16_t)atoi(port));
	return sa;
}

static void put_header(unsigned char *p, int op, uint16_t block)
{
	p[0] = 0;
	p[1] = (unsigned char)op;
	p[2] = (unsigned char)(block >> 8);
	p[3] = (unsigned char)block;
}

static int is_packet(const unsigned char *p, ssize_t n, int op, uint16_t block)
{
	return n >= 4 && p[0] == 0 && p[1] == op && ((p[2] << 8) | p[3]) == block;
}

/* transfer sends BYTES in blocks of blksize to the connected socket fd, one
 * ACK per block; a transfer of a multiple of blksize ends with an empty block
 * (RFC 1350). */
static int transfer(int fd, long blksize, long long bytes)
{
	unsigned char ack[16];
	uint16_t block = 0;
	long long left = bytes;
	int last = 0;

	memset(pkt + 4, 0x5a, (size_t)blksize);
	while (!last) {
		size_t len = left < blksize ? (size_t)left : (size_t)blksize;
		int tries = 0;

		last = (long long)len < blksize;
		block++;
		put_header(pkt, OP_DATA, block);
		for (;;) {
			ssize_t n;

			if (send(fd, pkt, 4 + len, 0) < 0 && errno != ECONNREFUSED)
				return -1;
			/* A stale ACK is ignored (no resend: Sorcerer's Apprentice). */
			do
				n = recv(fd, ack, sizeof ack, 0);
			while (n >= 0 && !is_packet(ack, n, OP_ACK, block));
			if (n >= 0)
				break;
			if (errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED)
				return -1;
			if (++tries > RETRIES)
				return -1;
		}
		left -= (long long)len;
	}
	return 0;
}

static void serve(const char *ip, const char *port)
{
	struct sockaddr_in sa = addr_of(ip, port), local = sa;
	int lfd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("bind");
	local.sin_port = 0;
	for (;;) {
		char req[64];
		struct sockaddr_in peer;
		socklen_t plen = sizeof peer;
		long blksize;
		long long bytes;
		ssize_t n = recvfrom(lfd, req, sizeof req - 1, 0, (struct sockaddr *)&peer, &plen);
		int fd;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvfrom");
		}
		req[n] = 0;
		if (sscanf(req, "%ld %lld", &blksize, &bytes) != 2 || blksize < 8 ||
		    blksize > MAX_BLKSIZE || bytes < 0) {
			fprintf(stderr, "pingpong: bad request dropped\n");
			continue;
		}
		fd = udp_socket();
		if (bind(fd, (struct sockaddr *)&local, sizeof local) < 0 ||
		    connect(fd, (struct sockaddr *)&peer, plen) < 0)
			die("session socket");
		if (transfer(fd, blksize, bytes) < 0)
			fprintf(stderr, "pingpong: transfer failed\n");
		close(fd);
	}
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int get(const char *ip, const char *port, long blksize, long long bytes)
{
	struct sockaddr_in sa = addr_of(ip, port), from;
	socklen_t flen = sizeof from;
	unsigned char ack[4];
	char req[64];
	int fd = udp_socket(), tries = 0, reqlen;
	uint16_t want = 1;
	long long got = 0, blocks = 0, t0;
	ssize_t n;

	if (blksize < 8 || blksize > MAX_BLKSIZE || bytes < 0) {
		fprintf(stderr, "pingpong: blksize 8..%d, bytes >= 0\n", MAX_BLKSIZE);
		return 2;
	}
	reqlen = snprintf(req, sizeof req, "%ld %lld", blksize, bytes);
	t0 = now_ns();
	/* The first DATA names the session's address: connect to it. */
	for (;;) {
		if (sendto(fd, req, (size_t)reqlen, 0, (struct sockaddr *)&sa, sizeof sa) < 0)
			die("sendto");
		n = recvfrom(fd, pkt, sizeof pkt, 0, (struct sockaddr *)&from, &flen);
		if (is_packet(pkt, n, OP_DATA, 1))
			break;
		if (n < 0 && ++tries > RETRIES) {
			fprintf(stderr, "pingpong: no answer from %s:%s\n", ip, port);
			return 1;
		}
	}
	if (connect(fd, (struct sockaddr *)&from, flen) < 0)
		die("connect");
	tries = 0;
	for (;;) {
		if (is_packet(pkt, n, OP_DATA, want)) {
			got += n - 4;
			blocks++;
			put_header(ack, OP_ACK, want);
			if (send(fd, ack, sizeof ack, 0) < 0)
				die("send");
			if (n - 4 < blksize)
				break;
			want++;
			tries = 0;
		} else if (is_packet(pkt, n, OP_DATA, (uint16_t)(want - 1))) {
			/* Our ACK was lost: the sender sent the block again. */
			put_header(ack, OP_ACK, (uint16_t)(want - 1));
			send(fd, ack, sizeof ack, 0);
		} else if (n < 0) {
			if (++tries > RETRIES) {
				fprintf(stderr, "pingpong: transfer stalled at block %u\n", want);
				return 1;
			}
			/* Lost DATA or ACK: ack the last block again. */
			put_header(ack, OP_ACK, (uint16_t)(want - 1));
			send(fd, ack, sizeof ack, 0);
		}
		n = recv(fd, pkt, sizeof pkt, 0);
	}
	if (got != bytes) {
		fprintf(stderr, "pingpong: got %lld bytes, want %lld\n", got, bytes);
		return 1;
	}
	printf("blocks %lld bytes %lld ns %lld\n", blocks, got, now_ns() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		serve(argv[2], argv[3]);
	if (argc == 6 && strcmp(argv[1], "get") == 0)
		return get(argv[2], argv[3], atol(argv[4]), atoll(argv[5]));
	fprintf(stderr, "usage: pingpong serve IP PORT | pingpong get IP PORT BLKSIZE BYTES\n");
	return 2;
}
