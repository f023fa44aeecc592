/*
 * conn.c: the PostgreSQL state store's connections (internal.h): a pool of at most max libpq
 * connections shared by every thread, and transactions on them.
 *
 * Guarantees:
 * - A connection is used by one thread at a time (taken from the pool for one transaction).
 * - Every connection commits with synchronous_commit = on: a committed transaction is durable
 *   on the server (and on its synchronous standbys, if any) when COMMIT returns.
 * - A connection found lost (PQstatus not CONNECTION_OK, before or after a failure) is reset
 *   with PQreset, and a transaction that failed because of it is run once more on the reset
 *   connection. The state store's writes are idempotent (state.h), so running a transaction
 *   whose COMMIT was lost in flight again changes nothing, except that game_create or
 *   api_token_create may then answer PS_EEXIST for what it did store.
 * - Errors are logged with libpq's message (which never holds the password); the URL is never
 *   logged.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/postgres/internal.h"

struct ps_pg_pool {
  char *conninfo;
  pthread_mutex_t lock;
  pthread_cond_t freed;
  ps_pg_conn **idle; /* connections open and free, a stack */
  size_t nidle;
  size_t open, max; /* open: made and not closed (idle or in use) */
};

/* libpq's messages may span lines: the log keeps one record a line. */
void ps_pg_log(ps_log_level level, const char *what, const char *message) {
  char line[512];
  snprintf(line, sizeof line, "%s", message);
  for (char *p = line; *p; p++)
    if (*p == '\n' || *p == '\t') *p = ' ';
  size_t len = strlen(line);
  while (len > 0 && line[len - 1] == ' ') line[--len] = '\0';
  ps_log(level, "postgres: %s: %s", what, line);
}

/* The server's notices ("relation already exists, skipping") go to the debug log, not to
 * stderr as libpq's default does. */
static void on_notice(void *arg, const char *message) {
  (void)arg;
  int len = (int)strlen(message);
  while (len > 0 && message[len - 1] == '\n') len--;
  ps_debug("postgres: %.*s", len, message);
}

static ps_pg_conn *connect_one(const char *conninfo) {
  ps_pg_conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->pg = PQconnectdb(conninfo);
  if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
    ps_pg_log(PS_LOG_ERROR, "cannot connect", c->pg ? PQerrorMessage(c->pg) : "out of memory");
    PQfinish(c->pg);
    free(c);
    return NULL;
  }
  PQsetNoticeProcessor(c->pg, on_notice, NULL);
  PGresult *res = PQexec(c->pg, "SET synchronous_commit = on; SET client_encoding = 'UTF8'");
  int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  if (!ok) ps_pg_log(PS_LOG_ERROR, "session settings", PQresultErrorMessage(res));
  PQclear(res);
  if (!ok) {
    PQfinish(c->pg);
    free(c);
    return NULL;
  }
  return c;
}

static void close_one(ps_pg_conn *c) {
  if (!c) return;
  PQfinish(c->pg);
  free(c);
}

int ps_pg_pool_open(const char *conninfo, size_t max, ps_pg_pool **out) {
  ps_pg_pool *p = calloc(1, sizeof *p);
  if (!p) return PS_ENOMEM;
  p->max = max ? max : 1;
  p->conninfo = strdup(conninfo);
  p->idle = calloc(p->max, sizeof *p->idle);
  if (!p->conninfo || !p->idle) {
    free(p->conninfo);
    free(p->idle);
    free(p);
    return PS_ENOMEM;
  }
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->freed, NULL);
  ps_pg_conn *first = connect_one(p->conninfo);
  if (!first) {
    ps_pg_pool_close(p);
    return PS_EIO;
  }
  p->idle[p->nidle++] = first;
  p->open = 1;
  *out = p;
  return PS_OK;
}

void ps_pg_pool_close(ps_pg_pool *p) {
  if (!p) return;
  for (size_t i = 0; i < p->nidle; i++) close_one(p->idle[i]);
  pthread_cond_destroy(&p->freed);
  pthread_mutex_destroy(&p->lock);
  /* Scrub the URL: it may hold a password. */
  if (p->conninfo) memset(p->conninfo, 0, strlen(p->conninfo));
  free(p->conninfo);
  free(p->idle);
  free(p);
}

/* A free connection, waiting for one when max are in use; NULL when none can be made. */
static ps_pg_conn *acquire(ps_pg_pool *p) {
  pthread_mutex_lock(&p->lock);
  while (p->nidle == 0 && p->open >= p->max) pthread_cond_wait(&p->freed, &p->lock);
  if (p->nidle > 0) {
    ps_pg_conn *c = p->idle[--p->nidle];
    pthread_mutex_unlock(&p->lock);
    return c;
  }
  p->open++; /* made below, outside the lock */
  pthread_mutex_unlock(&p->lock);
  ps_pg_conn *c = connect_one(p->conninfo);
  if (!c) {
    pthread_mutex_lock(&p->lock);
    p->open--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
  }
  return c;
}

static void release(ps_pg_pool *p, ps_pg_conn *c) {
  pthread_mutex_lock(&p->lock);
  p->idle[p->nidle++] = c;
  pthread_cond_signal(&p->freed);
  pthread_mutex_unlock(&p->lock);
}

/* 1 when the connection is usable, after a reset if it was lost. */
static int usable(ps_pg_conn *c) {
  if (PQstatus(c->pg) == CONNECTION_OK) return 1;
  ps_warn("postgres: the connection was lost; reconnecting");
  PQreset(c->pg);
  if (PQstatus(c->pg) != CONNECTION_OK) {
    ps_pg_log(PS_LOG_ERROR, "cannot reconnect", PQerrorMessage(c->pg));
    return 0;
  }
  PGresult *res = PQexec(c->pg, "SET synchronous_commit = on; SET client_encoding = 'UTF8'");
  int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  PQclear(res);
  return ok;
}

/* Sends a command without parameters (BEGIN, COMMIT, ROLLBACK): PS_OK or PS_EIO. */
static int command(ps_pg_conn *c, const char *what, const char *sql) {
  return ps_pg_query(c, what, sql, 0, NULL, NULL);
}

static int is_retryable(const ps_pg_conn *c) {
  return strcmp(c->sqlstate, "40001") == 0 || strcmp(c->sqlstate, "40P01") == 0;
}

int ps_pg_transaction(ps_pg_pool *p, const char *what, ps_pg_work work, void *ctx) {
  ps_pg_conn *c = acquire(p);
  if (!c) return PS_EIO;
  int rc = PS_EIO, resets = 0, conflicts = 0;
  for (;;) {
    if (!usable(c)) {
      rc = PS_EIO;
      break;
    }
    c->sqlstate[0] = '\0';
    rc = command(c, what, "BEGIN");
    if (rc == PS_OK) rc = work(c, ctx);
    if (rc == PS_OK) rc = command(c, what, "COMMIT");
    else if (PQstatus(c->pg) == CONNECTION_OK) command(c, what, "ROLLBACK");
    if (rc == PS_OK) break;
    if (PQstatus(c->pg) != CONNECTION_OK && resets++ < 1) continue; /* lost: once more */
    if (is_retryable(c) && conflicts++ < 3) {
      ps_info("postgres: %s: serialisation failure or deadlock; running it again", what);
      continue;
    }
    if (is_retryable(c)) ps_error_log("postgres: %s: serialisation failures, given up", what);
    break;
  }
  release(p, c);
  return rc;
}

int ps_pg_query(ps_pg_conn *c, const char *what, const char *sql, int nparams,
                const char *const *params, PGresult **out) {
  if (out) *out = NULL;
  PGresult *res = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
  ExecStatusType status = PQresultStatus(res);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
    if (out)
      *out = res;
    else
      PQclear(res);
    return PS_OK;
  }
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
  int rc = PS_EIO;
  if (strcmp(c->sqlstate, "23505") == 0) {
    rc = PS_EEXIST;
  } else if (is_retryable(c)) {
    /* ps_pg_transaction runs it again: not an error yet. */
  } else if (PQstatus(c->pg) != CONNECTION_OK) {
    ps_pg_log(PS_LOG_WARN, what, PQerrorMessage(c->pg));
  } else {
    ps_pg_log(PS_LOG_ERROR, what, res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
  }
  PQclear(res);
  return rc;
}

int64_t ps_pg_changed(PGresult *res) { return strtoll(PQcmdTuples(res), NULL, 10); }

ps_pg_int ps_pg_int_text(int64_t v) {
  ps_pg_int t;
  snprintf(t.text, sizeof t.text, "%lld", (long long)v);
  return t;
}

int64_t ps_pg_get_int(PGresult *res, int row, int col) {
  return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

void ps_pg_copy_text(char *dst, size_t cap, PGresult *res, int row, int col) {
  snprintf(dst, cap, "%s", PQgetisnull(res, row, col) ? "" : PQgetvalue(res, row, col));
}
