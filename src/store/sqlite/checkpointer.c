/*
 * checkpointer.c: the write-ahead log of the event store is checkpointed by a thread of its
 * own, not by the ingest writer's commits.
 *
 * Why: the WAL must stay small (db.c: a full disk needs only a few MB to recover), so it is
 * checkpointed every WAL_CHECKPOINT_PAGES pages (about 4 MB). SQLite's automatic checkpoint
 * runs inside the COMMIT that crosses that size, on the committing connection, with an fsync
 * of the database file: at that size nearly every group commit of small requests paid one, and
 * heartbeats were answered at two thirds of the rate (docs/PERFORMANCE.md). Here the writer's
 * automatic checkpoint is off; its WAL hook, called after each of its commits with the log's
 * size, wakes this thread, which runs a PASSIVE checkpoint on a connection of its own while
 * the writer goes on committing. journal_size_limit (db.c) truncates the log once a
 * checkpoint let it restart.
 *
 * Guarantees: the log is checkpointed once it holds WAL_CHECKPOINT_PAGES pages; if the thread
 * falls behind and the log reaches WAL_HARD_PAGES, the writer checkpoints inline, as SQLite
 * would have, so the log stays bounded whatever the load. A checkpoint never loses data: it
 * copies committed pages into the database file.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/internal.h"
#include "common/thread_name.h"

#define WAL_HARD_PAGES (4 * WAL_CHECKPOINT_PAGES)

struct ps_sqlite_checkpointer {
  sqlite3 *db; /* the checkpoints' own connection */
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  int due, stopping, started;
};

static void *run(void *arg) {
  ps_thread_set_name("ps-checkpoint");
  ps_sqlite_checkpointer *c = arg;
  pthread_mutex_lock(&c->lock);
  for (;;) {
    while (!c->due && !c->stopping) pthread_cond_wait(&c->wake, &c->lock);
    if (c->stopping) break;
    c->due = 0;
    pthread_mutex_unlock(&c->lock);
    int rc = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      ps_warn("sqlite: checkpoint: %s (tried again at the next commit)", sqlite3_errmsg(c->db));
    pthread_mutex_lock(&c->lock);
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

/* The writer's WAL hook: after each of its commits, with the log's size in pages. */
static int on_commit(void *arg, sqlite3 *writer, const char *name, int pages) {
  ps_sqlite_checkpointer *c = arg;
  if (pages >= WAL_HARD_PAGES) {
    sqlite3_wal_checkpoint_v2(writer, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  } else if (pages >= WAL_CHECKPOINT_PAGES) {
    pthread_mutex_lock(&c->lock);
    c->due = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
  }
  return SQLITE_OK;
}

int ps_sqlite_checkpointer_start(sqlite_store *s, const char *path) {
  ps_sqlite_checkpointer *c = calloc(1, sizeof *c);
  if (!c) return PS_ENOMEM;
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->wake, NULL);
  s->checkpointer = c;
  int rc = ps_sqlite_connect(path, &c->db);
  if (rc != PS_OK) return rc;
  if (pthread_create(&c->thread, NULL, run, c) != 0) return PS_ENOMEM;
  c->started = 1;
  if ((rc = ps_sqlite_exec(s->writer, "PRAGMA wal_autocheckpoint=0")) != PS_OK) return rc;
  sqlite3_wal_hook(s->writer, on_commit, c);
  return PS_OK;
}

void ps_sqlite_checkpointer_stop(sqlite_store *s) {
  ps_sqlite_checkpointer *c = s->checkpointer;
  if (!c) return;
  if (s->writer) sqlite3_wal_hook(s->writer, NULL, NULL);
  if (c->started) {
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
  }
  sqlite3_close(c->db);
  pthread_cond_destroy(&c->wake);
  pthread_mutex_destroy(&c->lock);
  free(c);
  s->checkpointer = NULL;
}
