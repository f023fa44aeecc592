/* journal.c: see journal.h. */
#define _GNU_SOURCE
#include "sdk/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/errors.h"

#define MAGIC 0x314a5350u /* "PSJ1" read as a little-endian u32 */
#define ITEM_HEADER 24
#define MAX_PAYLOAD (64u * 1024 * 1024)

struct ps_journal {
  int fd[2];
  uint64_t size[2]; /* bytes in each file, as far as we wrote or read them */
  int active;
  int dirty[2]; /* drained but not cleared: must be drained again before reuse */
  int durable;
};

int ps_jrec_reset(ps_jrec *r) {
  ps_buf_reset(&r->buf);
  r->items = 0;
  if (ps_buf_reserve(&r->buf, PS_JOURNAL_HEADER + 512) != PS_OK) return PS_ENOMEM;
  memset(r->buf.data, 0, PS_JOURNAL_HEADER);
  r->buf.len = PS_JOURNAL_HEADER;
  return PS_OK;
}

int ps_jrec_add(ps_jrec *r, int type, int64_t number, const char *a, size_t alen, const char *b,
                size_t blen) {
  if (r->buf.len < PS_JOURNAL_HEADER && ps_jrec_reset(r) != PS_OK) return PS_ENOMEM;
  if (alen > UINT32_MAX || blen > UINT32_MAX) return PS_ENOMEM;
  if (ps_buf_reserve(&r->buf, ITEM_HEADER + alen + blen) != PS_OK) return PS_ENOMEM;
  unsigned char h[ITEM_HEADER] = {0};
  uint32_t la = (uint32_t)alen, lb = (uint32_t)blen;
  h[0] = (unsigned char)type;
  memcpy(h + 8, &number, 8);
  memcpy(h + 16, &la, 4);
  memcpy(h + 20, &lb, 4);
  char *p = r->buf.data + r->buf.len;
  memcpy(p, h, ITEM_HEADER);
  if (alen) memcpy(p + ITEM_HEADER, a, alen);
  if (blen) memcpy(p + ITEM_HEADER + alen, b, blen);
  r->buf.len += ITEM_HEADER + alen + blen;
  r->buf.data[r->buf.len] = '\0';
  r->items++;
  return PS_OK;
}

void ps_jrec_free(ps_jrec *r) {
  ps_buf_free(&r->buf);
  r->items = 0;
}

int ps_jitem_next(const char *payload, size_t len, size_t *off, ps_jitem *item) {
  if (*off == len) return 0;
  if (len - *off < ITEM_HEADER) return -1;
  const char *p = payload + *off;
  uint32_t la, lb;
  memcpy(&item->number, p + 8, 8);
  memcpy(&la, p + 16, 4);
  memcpy(&lb, p + 20, 4);
  if ((uint64_t)la + lb > len - *off - ITEM_HEADER) return -1;
  item->type = (unsigned char)p[0];
  item->a = p + ITEM_HEADER;
  item->alen = la;
  item->b = p + ITEM_HEADER + la;
  item->blen = lb;
  *off += ITEM_HEADER + (size_t)la + lb;
  return 1;
}

static uint32_t checksum(uint64_t seq, const char *payload, size_t len) {
  uLong c = crc32(0L, Z_NULL, 0);
  c = crc32(c, (const Bytef *)&seq, sizeof seq);
  while (len) { /* crc32 takes a uInt length */
    uInt step = len > (1u << 30) ? (1u << 30) : (uInt)len;
    c = crc32(c, (const Bytef *)payload, step);
    payload += step;
    len -= step;
  }
  return (uint32_t)c;
}

/* A valid record at data[0..len)? Fills *rec and returns its whole size, or 0. */
static size_t record_at(const char *data, size_t len, ps_jread *rec) {
  if (len < PS_JOURNAL_HEADER) return 0;
  uint32_t magic, plen, crc;
  uint64_t seq;
  memcpy(&magic, data, 4);
  memcpy(&plen, data + 4, 4);
  memcpy(&seq, data + 8, 8);
  memcpy(&crc, data + 16, 4);
  if (magic != MAGIC || plen > len - PS_JOURNAL_HEADER) return 0;
  if (checksum(seq, data + PS_JOURNAL_HEADER, plen) != crc) return 0;
  /* every item must be whole, too (the checksum vouches for it; this guards the reader) */
  size_t off = 0;
  ps_jitem item;
  int more;
  while ((more = ps_jitem_next(data + PS_JOURNAL_HEADER, plen, &off, &item)) == 1) {
  }
  if (more < 0) return 0;
  rec->seq = seq;
  rec->payload = data + PS_JOURNAL_HEADER;
  rec->len = plen;
  return PS_JOURNAL_HEADER + (size_t)plen;
}

int ps_journal_parse(const char *data, size_t len, ps_jread **out, size_t *n, size_t *skipped) {
  *out = NULL;
  *n = 0;
  *skipped = 0;
  ps_jread *recs = NULL;
  size_t count = 0, cap = 0, off = 0;
  while (off < len) {
    ps_jread rec;
    size_t size = record_at(data + off, len - off, &rec);
    if (!size) { /* torn or foreign bytes: scan on for the next header */
      (*skipped)++;
      off++;
      continue;
    }
    if (count == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      ps_jread *grown = realloc(recs, ncap * sizeof *recs);
      if (!grown) {
        free(recs);
        return PS_ENOMEM;
      }
      recs = grown;
      cap = ncap;
    }
    recs[count++] = rec;
    off += size;
  }
  *out = recs;
  *n = count;
  return PS_OK;
}

/* Opens one file at "{db_path}-calls.{i}". */
static int open_file(const char *db_path, int i, int *fd, char *err, size_t errlen) {
  size_t n = strlen(db_path) + 16;
  char *path = malloc(n);
  if (!path) {
    snprintf(err, errlen, "out of memory");
    return PS_ENOMEM;
  }
  snprintf(path, n, "%s-calls.%d", db_path, i);
  *fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int rc = PS_OK;
  if (*fd < 0) {
    snprintf(err, errlen, "journal %s: %s", path, strerror(errno));
    rc = PS_EIO;
  }
  free(path);
  return rc;
}

int ps_journal_open(const char *db_path, int durable, ps_journal **out, char *err,
                    size_t errlen) {
  *out = NULL;
  ps_journal *j = calloc(1, sizeof *j);
  if (!j) {
    snprintf(err, errlen, "out of memory");
    return PS_ENOMEM;
  }
  j->fd[0] = j->fd[1] = -1;
  j->durable = durable;
  int rc = PS_OK;
  for (int i = 0; i < 2 && rc == PS_OK; i++) rc = open_file(db_path, i, &j->fd[i], err, errlen);
  if (rc == PS_OK && flock(j->fd[0], LOCK_EX | LOCK_NB) != 0) {
    snprintf(err, errlen, "journal of %s: %s (is another process using this database?)",
             db_path, strerror(errno));
    rc = errno == EWOULDBLOCK ? PS_EEXIST : PS_EIO;
  }
  for (int i = 0; i < 2 && rc == PS_OK; i++) {
    struct stat st;
    if (fstat(j->fd[i], &st) != 0) {
      snprintf(err, errlen, "journal: %s", strerror(errno));
      rc = PS_EIO;
    } else {
      j->size[i] = (uint64_t)st.st_size;
      j->dirty[i] = st.st_size > 0; /* what the last launch left: drained at launch */
    }
  }
  if (rc != PS_OK) {
    ps_journal_close(j);
    return rc;
  }
  j->active = 0;
  *out = j;
  return PS_OK;
}

void ps_journal_close(ps_journal *j) {
  if (!j) return;
  for (int i = 0; i < 2; i++)
    if (j->fd[i] >= 0) close(j->fd[i]);
  free(j);
}

int ps_journal_append(ps_journal *j, uint64_t seq, ps_jrec *r) {
  if (r->buf.len < PS_JOURNAL_HEADER) return PS_EINVAL;
  size_t plen = r->buf.len - PS_JOURNAL_HEADER;
  if (plen > MAX_PAYLOAD) return PS_EIO;
  uint32_t magic = MAGIC, len32 = (uint32_t)plen, zero = 0;
  uint32_t crc = checksum(seq, r->buf.data + PS_JOURNAL_HEADER, plen);
  char *h = r->buf.data;
  memcpy(h, &magic, 4);
  memcpy(h + 4, &len32, 4);
  memcpy(h + 8, &seq, 8);
  memcpy(h + 16, &crc, 4);
  memcpy(h + 20, &zero, 4);
  int fd = j->fd[j->active];
  ssize_t w;
  do w = write(fd, r->buf.data, r->buf.len);
  while (w < 0 && errno == EINTR);
  if (w != (ssize_t)r->buf.len) {
    if (w > 0 && ftruncate(fd, (off_t)j->size[j->active]) != 0) {
      /* the torn bytes stay: the reader skips them (journal.h) */
      struct stat st;
      if (fstat(fd, &st) == 0) j->size[j->active] = (uint64_t)st.st_size;
    }
    return PS_EIO;
  }
  j->size[j->active] += r->buf.len;
  if (j->durable && fdatasync(fd) != 0) return 1; /* written, maybe not on disk */
  return PS_OK;
}

uint64_t ps_journal_active_bytes(const ps_journal *j) { return j->size[j->active]; }

int ps_journal_swap(ps_journal *j) {
  int other = 1 - j->active;
  if (j->dirty[other]) return other;
  if (j->size[j->active] == 0) return -1;
  j->dirty[j->active] = 1;
  j->active = other;
  return 1 - other;
}

int ps_journal_read(ps_journal *j, int idx, ps_buf *out) {
  ps_buf_reset(out);
  struct stat st;
  if (fstat(j->fd[idx], &st) != 0) return PS_EIO;
  size_t size = (size_t)st.st_size;
  if (ps_buf_reserve(out, size + 1) != PS_OK) return PS_ENOMEM;
  size_t got = 0;
  while (got < size) {
    ssize_t r = pread(j->fd[idx], out->data + got, size - got, (off_t)got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
  out->len = got;
  out->data[got] = '\0';
  return got == size ? PS_OK : PS_EIO;
}

int ps_journal_clear(ps_journal *j, int idx) {
  if (ftruncate(j->fd[idx], 0) != 0) return PS_EIO;
  j->size[idx] = 0;
  j->dirty[idx] = 0;
  return PS_OK;
}
