/*
 * sqlite_readers.c: the read-only connections of the SQLite backend, for the reads behind the
 * insights API (metric rollups, metrics sessions of a range, analytics-event rollups).
 *
 * Why: every other call shares one connection under shared_lock, and some hold it for a long
 * time (a rollup pass folds up to 100,000 events in one transaction; a month of sessions takes
 * seconds to read). On connections of their own, WAL lets these reads run beside those
 * writes, and lets the writes go on while a dashboard reads: neither waits for the other.
 *
 * Guarantees: a reader sees everything committed before its statement starts (one statement
 * is one snapshot); at most READERS reads run at once, others wait for a free connection;
 * readers are query_only, so a bug cannot write through them.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/internal.h"

#define READERS 4

struct ps_sqlite_readers {
  sqlite3 *db[READERS];
  int busy[READERS];
  pthread_mutex_t lock;
  pthread_cond_t released;
};

int ps_sqlite_readers_open(sqlite_store *s, const char *path) {
  ps_sqlite_readers *r = calloc(1, sizeof *r);
  if (!r) return PS_ENOMEM;
  pthread_mutex_init(&r->lock, NULL);
  pthread_cond_init(&r->released, NULL);
  s->readers = r;
  for (int i = 0; i < READERS; i++) {
    if (sqlite3_open_v2(path, &r->db[i], SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
      ps_error_log("sqlite: cannot open a reader of %s: %s", path,
                   r->db[i] ? sqlite3_errmsg(r->db[i]) : "out of memory");
      return PS_EIO;
    }
    sqlite3_busy_timeout(r->db[i], 10000);
    if (ps_sqlite_exec(r->db[i], "PRAGMA query_only=ON; PRAGMA cache_size=-65536;"
                                 "PRAGMA temp_store=MEMORY;") != PS_OK)
      return PS_EIO;
  }
  return PS_OK;
}

void ps_sqlite_readers_close(sqlite_store *s) {
  ps_sqlite_readers *r = s->readers;
  if (!r) return;
  for (int i = 0; i < READERS; i++) sqlite3_close(r->db[i]);
  pthread_cond_destroy(&r->released);
  pthread_mutex_destroy(&r->lock);
  free(r);
  s->readers = NULL;
}

sqlite3 *ps_sqlite_reader_acquire(sqlite_store *s) {
  ps_sqlite_readers *r = s->readers;
  pthread_mutex_lock(&r->lock);
  for (;;) {
    for (int i = 0; i < READERS; i++) {
      if (!r->busy[i]) {
        r->busy[i] = 1;
        pthread_mutex_unlock(&r->lock);
        return r->db[i];
      }
    }
    pthread_cond_wait(&r->released, &r->lock);
  }
}

void ps_sqlite_reader_release(sqlite_store *s, sqlite3 *db) {
  ps_sqlite_readers *r = s->readers;
  pthread_mutex_lock(&r->lock);
  for (int i = 0; i < READERS; i++)
    if (r->db[i] == db) r->busy[i] = 0;
  pthread_cond_signal(&r->released);
  pthread_mutex_unlock(&r->lock);
}
