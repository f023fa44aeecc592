/*
 * serve.h: runs `playstat serve` over open stores: assembles the server from the module table
 * (src/app/modules.c), starts the ingest writer, the store's upkeep and the HTTP server, then
 * waits for SIGTERM or SIGINT and shuts down without losing acknowledged data:
 *   1. stop accepting connections;
 *   2. stop the ingest queue: it commits everything queued and answers those requests;
 *      requests that arrive meanwhile on open connections get 503 + Retry-After;
 *   3. wait (bounded) until every in-flight request is answered, close, return.
 * Signals are blocked in every thread (the mask is set before the first thread starts) and
 * taken synchronously by sigwait().
 */
#ifndef PS_APP_SERVE_H
#define PS_APP_SERVE_H

#include "app/app.h"

/* Returns the process exit status: 0 after a clean stop, 2 for a configuration error a
 * module's init found, 1 for any other failure (logged). The caller closes the stores. */
int ps_app_serve(const ps_app_config *config);

#endif
