/*
 * guard.h: the HTTP server's defence against clients that hold connections without using
 * them (slowloris and its kin), shared by every event thread of one server.
 *
 * Why: libmicrohttpd's only clock is an idle timeout that every received byte resets, so a
 * client sending one byte a second keeps a connection forever, and 4,096 such connections
 * (the connection limit) locked every other client out. The guard adds what MHD lacks:
 *   - a deadline for a request's headers (from the connection's start until the headers are
 *     complete; on a keep-alive connection, the next request's headers must be complete
 *     within idle + header timeout of the previous answer) and one for its body (from the
 *     headers until the last body byte). A handler's own time (a deferred answer waiting for
 *     the store) is never limited here;
 *   - a cap on the connections one client address holds at once;
 *   - room for new clients: when the server holds max_connections, a new connection is
 *     admitted by closing one that is waiting for its headers or idle between requests
 *     (never one that is sending a body or being answered): one of the address that holds
 *     the most connections, the one of them that has waited longest.
 *
 * Guarantees: a connection past a deadline, or evicted, is closed within about 250 ms
 * (shutdown(2) of its socket, which its event thread then sees as the peer's close). A
 * connection being answered is never closed by the guard. Per-address counts are kept in
 * 65,536 buckets under a random key: two addresses sharing a bucket (1 in 65,536) share
 * the cap.
 *
 * Threads: ps_guard_admit/open/close may be called from any event thread; ps_guard_phase is
 * lock-free. A sweeper thread of its own enforces the deadlines.
 */
#ifndef PS_HTTP_GUARD_H
#define PS_HTTP_GUARD_H

#include <stdint.h>
#include <sys/socket.h>

typedef struct ps_guard ps_guard;
typedef struct ps_guard_conn ps_guard_conn;

typedef struct ps_guard_config {
  unsigned max_connections; /* admitted connections at once, over every event thread */
  unsigned per_address;     /* connections one client address may hold at once */
  unsigned header_timeout_ms;
  unsigned body_timeout_ms;
  unsigned idle_timeout_ms; /* MHD's own idle timeout (added to the header deadline on IDLE) */
} ps_guard_config;

typedef enum {
  PS_GUARD_HEADERS, /* waiting for a request's headers (first request) */
  PS_GUARD_BODY,    /* headers complete, reading the body */
  PS_GUARD_HANDLER, /* the body is complete: routing, handling, answering */
  PS_GUARD_IDLE     /* answered; a keep-alive connection waiting for its next request */
} ps_guard_phase_t;

/* Creates a guard and starts its sweeper. Returns 0, PS_ENOMEM or PS_EIO (no thread). */
int ps_guard_create(const ps_guard_config *config, ps_guard **out);
/* Stops the sweeper and frees. Every connection must have been closed (ps_guard_close). */
void ps_guard_free(ps_guard *guard);

/* Whether a connection from addr may be accepted (1) or must be refused (0): refused when the
 * address holds per_address connections, or when the server is full and no connection can be
 * evicted to make room (one is evicted when it can). */
int ps_guard_admit(ps_guard *guard, const struct sockaddr *addr, socklen_t addrlen);
/* Registers an accepted connection (socket fd, client address) in phase HEADERS. Returns its
 * handle, or NULL when the guard is out of room or the address already holds per_address
 * connections (the caller then closes the connection). The cap is enforced here, under the
 * guard's lock: ps_guard_admit only refuses early, and event threads admitting at once could
 * otherwise each let one connection past it. */
ps_guard_conn *ps_guard_open(ps_guard *guard, int fd, const struct sockaddr *addr);
/* Unregisters a connection; call it before its socket is closed. conn may be NULL. */
void ps_guard_close(ps_guard *guard, ps_guard_conn *conn);
/* Moves a connection to phase (its clock restarts). conn may be NULL. */
void ps_guard_phase(ps_guard_conn *conn, ps_guard_phase_t phase);

#endif
