/*
 * server.h: the HTTP server (libmicrohttpd, epoll, one event thread per CPU, each with its
 * own listening socket: SO_REUSEPORT lets the kernel spread connections over them).
 *
 * It reads each request body into memory up to max_body_bytes (a larger body is read and
 * thrown away, up to a hard cap, then answered 413), finds the route and calls its handler.
 * Handlers may defer their answer (see request.h) without holding a thread.
 *
 * Shutdown is in two steps so that nothing acknowledged is lost: ps_server_quiesce() stops
 * accepting new connections; the owner then drains whatever handlers are waiting on (the ingest
 * queue), and ps_server_stop() waits (bounded) for the requests still in flight to be answered
 * before closing every connection.
 */
#ifndef PS_HTTP_SERVER_H
#define PS_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "common/ip_address.h"
#include "http/router.h"

typedef struct ps_server ps_server;

typedef struct ps_server_config {
  const char *listen;       /* "HOST:PORT", "[v6]:PORT"; port 0 picks a free one */
  unsigned threads;         /* event threads (default: number of CPUs) */
  size_t max_body_bytes;    /* larger bodies get 413 (default 1 MiB) */
  unsigned idle_timeout_s;  /* idle keep-alive connections are closed after (default 60) */
  unsigned max_connections; /* default 4096, over all threads (guard.h: the oldest idle or
                               unfinished connection makes room for a new one) */
  unsigned max_connections_per_address; /* per client IP address (default 256) */
  unsigned header_timeout_s; /* a request's headers must be complete within (default 10) */
  unsigned body_timeout_s;   /* its body within this after the headers (default 60) */
  const char *tls_cert_file, *tls_key_file; /* both: HTTPS (PEM files); neither: HTTP */
  const char *access_log;    /* NULL: none; "-": standard output; else a file (access_log.h) */
  /* Peers whose X-Forwarded-For names the client (forwarded.h; copied at start). None: the
   * socket's peer is always the client. */
  const ps_cidr *trusted_proxies;
  size_t ntrusted_proxies;
} ps_server_config;

/* routes must outlive the server; app is passed to every handler; on_request (may be NULL)
 * is told the route index (nroutes for "no route") and status of every answer. */
int ps_server_start(const ps_server_config *config, const ps_route *routes, size_t nroutes,
                    ps_app *app, void (*on_request)(ps_app *app, size_t route, unsigned status),
                    ps_server **out);
/* The bound port. */
uint16_t ps_server_port(const ps_server *server);
void ps_server_quiesce(ps_server *server);
/* Waits up to grace_ms for in-flight requests, then closes everything and frees. */
void ps_server_stop(ps_server *server, int grace_ms);

#endif
