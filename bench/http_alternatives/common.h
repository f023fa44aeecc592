/* bench/http_alternatives/common.h: what mhd_min.c and h2o_min.c share: the SO_REUSEPORT
 * listening socket of each thread and the simulated group commit's timing. */
#ifndef HTTP_ALT_COMMON_H
#define HTTP_ALT_COMMON_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Simulated fdatasync of one group commit, in microseconds (env COMMIT_US, default 500). */
static inline unsigned commit_us(void) {
  const char *s = getenv("COMMIT_US");
  return s ? (unsigned)atoi(s) : 500u;
}

/* A non-blocking 127.0.0.1:port listening socket with SO_REUSEPORT: one per server thread, the
 * kernel spreads the connections. */
static inline int listen_reuseport(int port, int nonblock) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) { perror("socket"); exit(1); }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) { perror("SO_REUSEPORT"); exit(1); }
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("bind"); exit(1); }
  if (listen(fd, 4096) != 0) { perror("listen"); exit(1); }
  return fd;
}

static inline void usage_exit(const char *prog) {
  fprintf(stderr, "usage: %s PORT THREADS writer|direct   (env COMMIT_US: simulated fsync, default 500)\n", prog);
  exit(2);
}

#endif
