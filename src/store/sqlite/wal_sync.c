/*
 * wal_sync.c: the group commit's durability in a step of its own (store.h: commit_pending,
 * then sync).
 *
 * Why: with synchronous=FULL every COMMIT waits for the write-ahead log's fdatasync (about
 * 1.2 ms of each 1.7 ms transaction at single-event requests here), and the writer sits idle
 * meanwhile, so a request waits for the commit running when it arrives and then for its own.
 * The writer's connection therefore commits with synchronous=NORMAL (the frames are written to
 * the log, not flushed) and the ingest queue's syncer thread calls ps_sqlite_sync(), which
 * flushes the log file, while the writer already writes the next transaction. A request is
 * answered only after a sync that began after its transaction committed.
 *
 * Guarantees: when ps_sqlite_sync() returns 0, every transaction the writer committed before
 * the call is on the disk. The log's frames are written in order with checksums, so a log cut
 * by a power loss recovers every transaction up to the last flushed one. A checkpoint (on the
 * checkpointer's connection, synchronous=FULL) flushes the log before copying it and the
 * database after; only then may the log restart, so frames it drops are already durable in
 * the database. The log file keeps its inode while playstat has the database open (SQLite
 * deletes it only when the last connection closes); should it have changed all the same, the
 * file is opened again by name (what the old one held was checkpointed first).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/internal.h"

int ps_sqlite_wal_sync_init(sqlite_store *s, const char *db_path) {
  s->wal_fd = -1;
  int n = snprintf(s->wal_path, sizeof s->wal_path, "%s-wal", db_path);
  return n > 0 && (size_t)n < sizeof s->wal_path ? PS_OK : PS_EINVAL;
}

void ps_sqlite_wal_sync_close(sqlite_store *s) {
  if (s->wal_fd >= 0) close(s->wal_fd);
  s->wal_fd = -1;
}

/* s->wal_fd open on the log file the path names now. */
static int wal_fd_current(sqlite_store *s) {
  struct stat by_name, by_fd;
  if (stat(s->wal_path, &by_name) != 0) {
    /* No log file: nothing was written since the last connection closed it. */
    return errno == ENOENT ? PS_OK : PS_EIO;
  }
  if (s->wal_fd >= 0 && fstat(s->wal_fd, &by_fd) == 0 && by_fd.st_ino == by_name.st_ino &&
      by_fd.st_dev == by_name.st_dev)
    return PS_OK;
  ps_sqlite_wal_sync_close(s);
  s->wal_fd = open(s->wal_path, O_RDWR | O_CLOEXEC);
  return s->wal_fd >= 0 ? PS_OK : PS_EIO;
}

int ps_sqlite_sync(ps_stores *stores) {
  sqlite_store *s = (sqlite_store *)stores->events;
  int rc = wal_fd_current(s);
  if (rc == PS_OK && s->wal_fd >= 0 && fdatasync(s->wal_fd) != 0) rc = PS_EIO;
  if (rc != PS_OK) ps_error_log("sqlite: cannot flush %s: %s", s->wal_path, strerror(errno));
  return rc;
}
