/*
 * spool.c: the node's durable local spool in front of ClickHouse, and its shipping.
 *
 * ClickHouse acknowledges an INSERT before its data reaches the disk (18.16 calls fsync on
 * none of them), and a 2xx of playstat means stored. So a node acknowledges once the records
 * are in its own spool, fdatasync'ed, and ships them later in large blocks:
 *
 *   DIR/lock               flock'ed by the one process that owns the spool
 *   DIR/%016llx.seg        append-only segments of frames: u32 length, u32 CRC-32 (zlib) of
 *                          the payload, payload = one table id byte + TabSeparated rows
 *   DIR/shipped            "SEGMENT OFFSET": where shipping stands (written after each block)
 *   DIR/forget-HHHH.job    not the spool's: forget.c's deletion journal, kept beside it (the
 *                          spool's frames are what a deletion must wait for)
 *
 * Guarantees:
 * - ps_ch_spool_append returns 0 only after its frames are written and fdatasync'ed.
 * - Shipping reads frames from the shipped mark to the durable end, inserts them table by
 *   table in blocks of up to BLOCK_BYTES, and moves the mark only past blocks that every
 *   insert took. A crash or an error at any point ships the rest again later: a row shipped
 *   twice is the same row (rows.c) and the tables keep one copy (ReplacingMergeTree, FINAL).
 * - Recovery at open keeps every complete frame: a torn tail (a frame whose length or CRC does
 *   not hold, left by a crash mid-write) ends its segment there; later appends go to a new
 *   segment. A bad frame before the tail of a segment is logged and the rest of that segment
 *   skipped: the spool never ships bytes that fail their CRC.
 * - Bounded: an append that would take the unshipped bytes past max_bytes fails with
 *   PS_EFULL (the writer answers 503 with Retry-After) and writes nothing.
 * - Segments wholly shipped are deleted; once shipping has caught up with the active segment,
 *   a new one is started and the shipped one deleted, so the spool holds only unshipped rows.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/clickhouse/internal.h"

#define SEGMENT_BYTES (64LL << 20) /* a new segment once the active one is this large */
#define BLOCK_BYTES (8LL << 20)    /* rows per INSERT at most (all tables together): ~20k events */
#define FRAME_HEADER 8

struct ps_ch_spool {
  char dir[4096];
  int lock_fd;
  int64_t max_bytes;
  pthread_mutex_t lock;   /* guards the fields below (append vs ship) */
  int fd;                 /* the active segment, opened O_APPEND */
  uint64_t active_seq;
  int64_t active_durable; /* bytes of the active segment written and fdatasync'ed */
  uint64_t ship_seq;      /* the shipped mark */
  int64_t ship_off;
  int64_t pending;        /* durable bytes after the mark */
  pthread_mutex_t ship_lock; /* one shipping at a time */
};

static void segment_path(const ps_ch_spool *sp, uint64_t seq, char *out, size_t cap) {
  snprintf(out, cap, "%s/%016" PRIx64 ".seg", sp->dir, seq);
}

static void le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}

static uint32_t rd32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int ps_ch_sync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd < 0) return PS_EIO;
  int rc = fsync(fd) == 0 ? PS_OK : PS_EIO;
  close(fd);
  return rc;
}

/* Appends bytes [from, from + max) of path (to its end when shorter) to out. */
static int read_range(const char *path, int64_t from, int64_t max, ps_buf *out) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return errno == ENOENT ? PS_ENOTFOUND : PS_EIO;
  struct stat st;
  int rc = fstat(fd, &st) == 0 ? PS_OK : PS_EIO;
  int64_t len = rc == PS_OK && st.st_size > from ? st.st_size - from : 0;
  if (len > max) len = max;
  if (rc == PS_OK) rc = ps_buf_reserve(out, (size_t)len);
  if (rc == PS_OK) {
    ssize_t n = 0;
    size_t got = 0;
    while (got < (size_t)len &&
           (n = pread(fd, out->data + out->len + got, (size_t)len - got, (off_t)(from + got))) > 0)
      got += (size_t)n;
    if (n < 0) rc = PS_EIO;
    out->len += got;
    out->data[out->len] = '\0';
  }
  close(fd);
  return rc;
}

static int read_file(const char *path, ps_buf *out) { return read_range(path, 0, INT64_MAX, out); }

/* The size of the whole, valid frame at the start of data (len bytes), 0 when there is none. */
static size_t valid_frame(const unsigned char *data, size_t len) {
  if (len < FRAME_HEADER) return 0;
  uint32_t n = rd32(data), crc = rd32(data + 4);
  if (n == 0 || n > len - FRAME_HEADER) return 0;
  if ((uint32_t)crc32(0, data + FRAME_HEADER, n) != crc) return 0;
  return FRAME_HEADER + n;
}

/* The length of the run of whole, valid frames at the start of data (len bytes). */
static size_t valid_prefix(const unsigned char *data, size_t len) {
  size_t off = 0, n;
  while ((n = valid_frame(data + off, len - off)) > 0) off += n;
  return off;
}

static int write_mark(ps_ch_spool *sp, uint64_t seq, int64_t off) {
  char path[4200], tmp[4200], text[64];
  snprintf(path, sizeof path, "%s/shipped", sp->dir);
  snprintf(tmp, sizeof tmp, "%s/shipped.tmp", sp->dir);
  int n = snprintf(text, sizeof text, "%016" PRIx64 " %" PRId64 "\n", seq, off);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return PS_EIO;
  int ok = write(fd, text, (size_t)n) == n;
  close(fd);
  /* Not fsync'ed: a mark lost in a crash only ships some rows again, which is harmless. */
  return ok && rename(tmp, path) == 0 ? PS_OK : PS_EIO;
}

/* The segments of the spool, ascending. */
static int list_segments(const char *dir, uint64_t **seqs, size_t *n) {
  *seqs = NULL;
  *n = 0;
  DIR *d = opendir(dir);
  if (!d) return PS_EIO;
  size_t cap = 0;
  struct dirent *e;
  int rc = PS_OK;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (len != 20 || strcmp(e->d_name + 16, ".seg") != 0) continue;
    if (*n == cap) {
      size_t ncap = cap ? cap * 2 : 16;
      uint64_t *grown = realloc(*seqs, ncap * sizeof **seqs);
      if (!grown) {
        rc = PS_ENOMEM;
        break;
      }
      *seqs = grown;
      cap = ncap;
    }
    (*seqs)[(*n)++] = strtoull(e->d_name, NULL, 16);
  }
  closedir(d);
  for (size_t i = 1; i < *n; i++) /* insertion sort: a handful of segments */
    for (size_t j = i; j > 0 && (*seqs)[j - 1] > (*seqs)[j]; j--) {
      uint64_t t = (*seqs)[j];
      (*seqs)[j] = (*seqs)[j - 1];
      (*seqs)[j - 1] = t;
    }
  return rc;
}

/* Recovery: the mark, the unshipped bytes, torn tails cut; then a fresh active segment. */
static int recover(ps_ch_spool *sp) {
  char path[4200];
  ps_buf mark = {0};
  snprintf(path, sizeof path, "%s/shipped", sp->dir);
  int rc = read_file(path, &mark);
  if (rc == PS_OK) {
    char *end = NULL;
    sp->ship_seq = strtoull(mark.data, &end, 16);
    sp->ship_off = end ? strtoll(end, NULL, 10) : 0;
  } else if (rc != PS_ENOTFOUND) {
    ps_buf_free(&mark);
    return rc;
  }
  ps_buf_free(&mark);
  uint64_t *seqs;
  size_t n;
  rc = list_segments(sp->dir, &seqs, &n);
  uint64_t last = 0;
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    segment_path(sp, seqs[i], path, sizeof path);
    last = seqs[i];
    if (seqs[i] < sp->ship_seq) { /* wholly shipped before the crash */
      unlink(path);
      continue;
    }
    ps_buf data = {0};
    rc = read_file(path, &data);
    if (rc != PS_OK) {
      ps_buf_free(&data);
      break;
    }
    size_t valid = valid_prefix((const unsigned char *)data.data, data.len);
    if (valid < data.len) {
      ps_warn("clickhouse spool: %s ends in %zu bytes that are not a whole frame (a write "
                  "cut short by a crash): kept the %zu bytes before them",
                  path, data.len - valid, valid);
      if (truncate(path, (off_t)valid) != 0) rc = PS_EIO;
    }
    int64_t from = seqs[i] == sp->ship_seq ? sp->ship_off : 0;
    if ((int64_t)valid > from) sp->pending += (int64_t)valid - from;
    ps_buf_free(&data);
  }
  free(seqs);
  if (rc != PS_OK) return rc;
  sp->active_seq = last + 1;
  if (sp->ship_seq > sp->active_seq) sp->active_seq = sp->ship_seq + 1;
  segment_path(sp, sp->active_seq, path, sizeof path);
  sp->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (sp->fd < 0) return PS_EIO;
  sp->active_durable = 0;
  if (n == 0 && sp->ship_seq == 0) { /* a new spool: shipping starts at the first segment */
    sp->ship_seq = sp->active_seq;
    sp->ship_off = 0;
  }
  return ps_ch_sync_dir(sp->dir);
}

int ps_ch_spool_open(const char *dir, int64_t max_bytes, ps_ch_spool **out) {
  *out = NULL;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    ps_error_log("clickhouse spool: cannot create %s: %s", dir, strerror(errno));
    return PS_EIO;
  }
  ps_ch_spool *sp = calloc(1, sizeof *sp);
  if (!sp) return PS_ENOMEM;
  snprintf(sp->dir, sizeof sp->dir, "%s", dir);
  sp->max_bytes = max_bytes;
  sp->fd = -1;
  char path[4200];
  snprintf(path, sizeof path, "%s/lock", dir);
  sp->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (sp->lock_fd < 0 || flock(sp->lock_fd, LOCK_EX | LOCK_NB) != 0) {
    ps_error_log("clickhouse spool: %s is %s", dir,
                 sp->lock_fd < 0 ? "not writable" : "in use by another playstat process (each "
                                                    "node needs a spool of its own)");
    if (sp->lock_fd >= 0) close(sp->lock_fd);
    free(sp);
    return PS_EIO;
  }
  pthread_mutex_init(&sp->lock, NULL);
  pthread_mutex_init(&sp->ship_lock, NULL);
  int rc = recover(sp);
  if (rc != PS_OK) {
    ps_error_log("clickhouse spool: cannot recover %s: %s", dir, ps_strerror(rc));
    ps_ch_spool_close(sp);
    return rc;
  }
  if (sp->pending > 0)
    ps_info("clickhouse spool %s: %" PRId64 " bytes not yet shipped, shipping them", dir,
                sp->pending);
  *out = sp;
  return PS_OK;
}

void ps_ch_spool_close(ps_ch_spool *sp) {
  if (!sp) return;
  if (sp->fd >= 0) close(sp->fd);
  if (sp->lock_fd >= 0) close(sp->lock_fd); /* releases the flock */
  pthread_mutex_destroy(&sp->lock);
  pthread_mutex_destroy(&sp->ship_lock);
  free(sp);
}

int64_t ps_ch_spool_pending(ps_ch_spool *sp) {
  pthread_mutex_lock(&sp->lock);
  int64_t n = sp->pending;
  pthread_mutex_unlock(&sp->lock);
  return n;
}

/* A new active segment (under sp->lock). */
static int rotate(ps_ch_spool *sp) {
  char path[4200];
  segment_path(sp, sp->active_seq + 1, path, sizeof path);
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0 || ps_ch_sync_dir(sp->dir) != PS_OK) {
    if (fd >= 0) close(fd);
    return PS_EIO;
  }
  close(sp->fd);
  sp->fd = fd;
  sp->active_seq++;
  sp->active_durable = 0;
  return PS_OK;
}

int ps_ch_spool_append(ps_ch_spool *sp, ps_buf rows[PS_CH_NTABLES]) {
  unsigned char headers[PS_CH_NTABLES][FRAME_HEADER + 1];
  struct iovec iov[PS_CH_NTABLES * 2];
  int niov = 0;
  int64_t bytes = 0;
  for (int t = 0; t < PS_CH_NTABLES; t++) {
    if (!rows[t].len) continue;
    if (rows[t].len > UINT32_MAX - 1) return PS_ETOOBIG;
    uint32_t n = (uint32_t)rows[t].len + 1;
    headers[t][FRAME_HEADER] = (unsigned char)t;
    uint32_t crc = (uint32_t)crc32(0, headers[t] + FRAME_HEADER, 1);
    crc = (uint32_t)crc32(crc, (const unsigned char *)rows[t].data, (uInt)rows[t].len);
    le32(headers[t], n);
    le32(headers[t] + 4, crc);
    iov[niov].iov_base = headers[t];
    iov[niov++].iov_len = FRAME_HEADER + 1;
    iov[niov].iov_base = rows[t].data;
    iov[niov++].iov_len = rows[t].len;
    bytes += FRAME_HEADER + (int64_t)n;
  }
  if (!niov) return PS_OK;
  pthread_mutex_lock(&sp->lock);
  int rc = PS_OK;
  if (sp->pending + bytes > sp->max_bytes) {
    rc = PS_EFULL;
  } else if (sp->active_durable >= SEGMENT_BYTES) {
    rc = rotate(sp);
  }
  if (rc == PS_OK) {
    /* Written while holding the lock: shipping never sees a frame before it is durable. */
    ssize_t w = writev(sp->fd, iov, niov);
    if (w != bytes || fdatasync(sp->fd) != 0) {
      ps_error_log("clickhouse spool: cannot write %s: %s", sp->dir,
                   w < 0 ? strerror(errno) : "short write");
      /* A partial frame may be on disk: cut it, so later frames follow whole ones. */
      if (ftruncate(sp->fd, (off_t)sp->active_durable) != 0 || rotate(sp) != PS_OK) {
        /* the next open's recovery cuts the tail */
      }
      rc = PS_EIO;
    } else {
      sp->active_durable += bytes;
      sp->pending += bytes;
    }
  }
  pthread_mutex_unlock(&sp->lock);
  if (rc == PS_EFULL)
    ps_warn("clickhouse spool %s is full (%" PRId64 " bytes not yet shipped): answering "
                "503 until ClickHouse takes them",
                sp->dir, sp->pending);
  return rc;
}

/* Inserts every table's block; PS_OK when all took theirs. */
static int insert_block(ch_store *s, ps_buf block[PS_CH_NTABLES]) {
  for (int t = 0; t < PS_CH_NTABLES; t++) {
    if (!block[t].len) continue;
    char table[160], err[1024];
    ps_ch_table(s, ps_ch_table_names[t], table, sizeof table);
    int rc = ps_ch_insert(&s->config.servers[0], table, block[t].data, block[t].len, err,
                          sizeof err);
    if (rc != PS_OK) {
      ps_warn("clickhouse: shipping %zu bytes to %s failed (kept in the spool, tried again "
                  "later): %s",
                  block[t].len, table, err);
      return rc;
    }
  }
  for (int t = 0; t < PS_CH_NTABLES; t++) ps_buf_reset(&block[t]);
  return PS_OK;
}

int ps_ch_spool_ship(ps_ch_spool *sp, ch_store *s) {
  pthread_mutex_lock(&sp->ship_lock);
  pthread_mutex_lock(&sp->lock);
  uint64_t end_seq = sp->active_seq;
  int64_t end_off = sp->active_durable;
  pthread_mutex_unlock(&sp->lock);
  ps_buf block[PS_CH_NTABLES] = {{0}};
  int rc = PS_OK;
  int64_t block_bytes = 0;
  while (rc == PS_OK && (sp->ship_seq < end_seq || sp->ship_off < end_off)) {
    char path[4200];
    segment_path(sp, sp->ship_seq, path, sizeof path);
    ps_buf data = {0}; /* the segment from the mark on: data.data[0] is byte ship_off */
    int64_t base = sp->ship_off;
    rc = read_range(path, base, sp->ship_seq == end_seq ? end_off - base : INT64_MAX, &data);
    if (rc == PS_ENOTFOUND && sp->ship_seq < end_seq) { /* a gap: nothing was written there */
      rc = PS_OK;
      sp->ship_seq++;
      sp->ship_off = 0;
      ps_buf_free(&data);
      continue;
    }
    if (rc != PS_OK) {
      ps_buf_free(&data);
      break;
    }
    size_t limit = data.len; /* offsets below are relative to base */
    const unsigned char *d = (const unsigned char *)data.data;
    size_t off = 0, mark = 0;
    while (rc == PS_OK && off < limit) {
      size_t valid = valid_frame(d + off, limit - off); /* this frame only */
      if (valid == 0) {
        ps_error_log("clickhouse spool: %s has a damaged frame at byte %lld: skipped the rest "
                     "of that segment (%zu bytes)",
                     path, (long long)(base + (int64_t)off), limit - off);
        off = limit;
        break;
      }
      uint32_t n = rd32(d + off);
      int t = d[off + FRAME_HEADER];
      if (t < PS_CH_NTABLES)
        rc = ps_buf_append(&block[t], d + off + FRAME_HEADER + 1, n - 1);
      off += FRAME_HEADER + n;
      block_bytes += n;
      if (rc == PS_OK && block_bytes >= BLOCK_BYTES) {
        rc = insert_block(s, block);
        if (rc == PS_OK) {
          mark = off;
          block_bytes = 0;
        }
      }
    }
    if (rc == PS_OK) rc = insert_block(s, block);
    if (rc == PS_OK) mark = off;
    int64_t shipped = (int64_t)mark;
    if (shipped > 0) {
      pthread_mutex_lock(&sp->lock);
      sp->pending -= shipped;
      pthread_mutex_unlock(&sp->lock);
      sp->ship_off = base + (int64_t)mark;
    }
    block_bytes = 0;
    for (int t = 0; t < PS_CH_NTABLES; t++) ps_buf_reset(&block[t]);
    ps_buf_free(&data);
    if (rc == PS_OK && sp->ship_seq < end_seq && mark >= limit) {
      unlink(path); /* wholly shipped, and no longer written to */
      sp->ship_seq++;
      sp->ship_off = 0;
    }
    if (shipped > 0 || rc == PS_OK) write_mark(sp, sp->ship_seq, sp->ship_off);
    if (sp->ship_seq == end_seq && sp->ship_off >= end_off) break;
  }
  for (int t = 0; t < PS_CH_NTABLES; t++) ps_buf_free(&block[t]);
  /* Caught up with the active segment and nothing appended since: start a new one and delete
   * the shipped one, so that the spool keeps no copy of what ClickHouse holds (an expiry or a
   * deletion there leaves no trace here). */
  if (rc == PS_OK && sp->ship_seq == end_seq && sp->ship_off == end_off && end_off > 0) {
    char path[4200];
    segment_path(sp, end_seq, path, sizeof path);
    pthread_mutex_lock(&sp->lock);
    if (sp->active_seq == end_seq && sp->active_durable == end_off && rotate(sp) == PS_OK) {
      unlink(path);
      sp->ship_seq = sp->active_seq;
      sp->ship_off = 0;
    }
    pthread_mutex_unlock(&sp->lock);
    write_mark(sp, sp->ship_seq, sp->ship_off);
  }
  pthread_mutex_unlock(&sp->ship_lock);
  return rc;
}

int ps_ch_spool_held_elsewhere(const char *dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/lock", dir);
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) return 0; /* no spool there yet */
  int held = flock(fd, LOCK_EX | LOCK_NB) != 0;
  close(fd); /* releases the probe's lock */
  return held;
}

int ps_ch_spool_of(ch_store *s, ps_ch_spool **out) {
  pthread_mutex_lock(&s->spool_lock);
  int rc = PS_OK;
  if (!s->spool) rc = ps_ch_spool_open(s->config.spool_dir, s->config.spool_max_bytes, &s->spool);
  *out = s->spool;
  pthread_mutex_unlock(&s->spool_lock);
  return rc;
}
