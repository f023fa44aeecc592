/* journal.c: see journal.h. */
#define _GNU_SOURCE
#include "sdk/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/errors.h"
#include "sdk/hot.h"

#define MAGIC 0x314a5350u /* "PSJ1" read as a little-endian u32 */
#define ITEM_HEADER 24
#define MAX_PAYLOAD (64u * 1024 * 1024)
#define INITIAL_CAP ((size_t)4 * 1024 * 1024)

struct ps_journal {
  int fd[2];
  char *map[2];     /* each file mapped whole (MAP_SHARED) at the start of its reservation */
  size_t reserve;   /* bytes of address space reserved for each mapping */
  size_t cap[2];    /* the mappings' (and files') sizes; grown under map_lock, read atomically */
  uint64_t size[2]; /* bytes of records in each file */
  int active;
  int dirty[2]; /* drained but not cleared: must be drained again before reuse */
  int durable;
  /* Held to grow a file (the game's append that needs room, or the library's thread ahead
   * of it). A growth maps the new part after the old one in the reservation: what is mapped
   * never moves, so an append may store below cap while another thread grows the file, and
   * the pages are touched without the lock. */
  pthread_mutex_t map_lock;
};

PS_SDK_HOT int ps_jrec_reset(ps_jrec *r) {
  ps_buf_reset(&r->buf);
  r->items = 0;
  if (ps_buf_reserve(&r->buf, PS_JOURNAL_HEADER + 512) != PS_OK) return PS_ENOMEM;
  memset(r->buf.data, 0, PS_JOURNAL_HEADER);
  r->buf.len = PS_JOURNAL_HEADER;
  return PS_OK;
}

PS_SDK_HOT int ps_jrec_add(ps_jrec *r, int type, int64_t number, const char *a, size_t alen, const char *b,
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

PS_SDK_HOT size_t ps_jrec_b_offset(size_t at, size_t alen) { return at + ITEM_HEADER + alen; }

PS_SDK_HOT int ps_jrec_open(ps_jrec *r, int type, int64_t number, const char *a, size_t alen, size_t *at) {
  if (r->buf.len < PS_JOURNAL_HEADER && ps_jrec_reset(r) != PS_OK) return PS_ENOMEM;
  *at = r->buf.len;
  return ps_jrec_add(r, type, number, a, alen, NULL, 0);
}

PS_SDK_HOT void ps_jrec_close(ps_jrec *r, size_t at) {
  uint32_t la, lb;
  memcpy(&la, r->buf.data + at + 16, 4);
  lb = (uint32_t)(r->buf.len - ps_jrec_b_offset(at, la)); /* b < 4 GiB: MAX_PAYLOAD bounds it */
  memcpy(r->buf.data + at + 20, &lb, 4);
}

void ps_jrec_cut(ps_jrec *r, size_t at) {
  r->buf.len = at;
  r->buf.data[at] = '\0';
  r->items--;
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

/* Checksum kinds (the header's fourth word). */
#define CK_CRC32 0u  /* zlib's CRC-32: the first journals, and machines without SSE4.2 */
#define CK_CRC32C 1u /* CRC-32C (Castagnoli) by the SSE4.2 crc32 instruction, 8 bytes a step */

static uint32_t crc32_zlib(uint64_t seq, const char *payload, size_t len) {
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

/* CRC-32C a bit at a time: only to read a CK_CRC32C record where the instruction is missing. */
static uint32_t crc32c_soft(uint32_t c, const unsigned char *p, size_t n) {
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
  }
  return c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_CRC32C_HW 1
__attribute__((target("sse4.2"))) PS_SDK_HOT static uint32_t crc32c_hw(uint64_t seq, const char *p,
                                                             size_t n) {
  uint64_t c = _mm_crc32_u64(0xffffffffu, seq);
  for (; n >= 8; n -= 8, p += 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    c = _mm_crc32_u64(c, w);
  }
  uint32_t c32 = (uint32_t)c;
  for (; n; n--) c32 = _mm_crc32_u8(c32, (unsigned char)*p++);
  return ~c32;
}
PS_SDK_HOT static int have_hw(void) {
  static int cached = -1; /* a benign race: every thread computes the same answer */
  if (cached < 0) cached = __builtin_cpu_supports("sse4.2") ? 1 : 0;
  return cached;
}
#else
#define HAVE_CRC32C_HW 0
static int have_hw(void) { return 0; }
#endif

PS_SDK_HOT static uint32_t crc32c(uint64_t seq, const char *payload, size_t len) {
#if HAVE_CRC32C_HW
  if (have_hw()) return crc32c_hw(seq, payload, len);
#endif
  uint32_t c = crc32c_soft(0xffffffffu, (const unsigned char *)&seq, sizeof seq);
  return ~crc32c_soft(c, (const unsigned char *)payload, len);
}

/* The checksum of kind over seq and the payload (kind is CK_CRC32 or CK_CRC32C). */
PS_SDK_HOT static uint32_t checksum(uint32_t kind, uint64_t seq, const char *payload, size_t len) {
  return kind == CK_CRC32C ? crc32c(seq, payload, len) : crc32_zlib(seq, payload, len);
}

/* A valid record at data[0..len)? Fills *rec and returns its whole size, or 0. */
static size_t record_at(const char *data, size_t len, ps_jread *rec) {
  if (len < PS_JOURNAL_HEADER) return 0;
  uint32_t magic, plen, crc, kind;
  uint64_t seq;
  memcpy(&magic, data, 4);
  memcpy(&plen, data + 4, 4);
  memcpy(&seq, data + 8, 8);
  memcpy(&crc, data + 16, 4);
  memcpy(&kind, data + 20, 4);
  if (magic != MAGIC || plen > len - PS_JOURNAL_HEADER) return 0;
  if (kind > CK_CRC32C || checksum(kind, seq, data + PS_JOURNAL_HEADER, plen) != crc) return 0;
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
    if (!size) { /* torn or foreign bytes: scan on for the next header; zeros are the
                  * mapped file's room not written yet */
      uint64_t w;
      if (len - off >= 8 && (memcpy(&w, data + off, 8), w == 0)) {
        off += 8; /* no record starts inside 8 zero bytes (its magic's first byte is not 0) */
        continue;
      }
      if (data[off]) (*skipped)++;
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
  *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  int rc = PS_OK;
  if (*fd < 0) {
    snprintf(err, errlen, "journal %s: %s", path, strerror(errno));
    rc = PS_EIO;
  }
  free(path);
  return rc;
}

/* The address space reserved for each file's mapping (journal.h: growth never moves it). */
#define RESERVE_MAX ((size_t)1 << (sizeof(size_t) > 4 ? 34 : 28)) /* 16 GiB (256 MiB on 32 bits) */
#define RESERVE_MIN ((size_t)64 * 1024 * 1024)

PS_SDK_HOT static size_t cap_of(const ps_journal *j, int i) { return __atomic_load_n(&j->cap[i], __ATOMIC_ACQUIRE); }

/* Dirties the pages of file i's mapping in [from, to) without changing a byte: an atomic
 * "or 0" is a store for the MMU (so a page not yet touched, or one that writeback made clean
 * and read-only, faults here and not in the game's next store), and it cannot undo a
 * concurrent store of the game into the same byte (the processor orders the two). Needs no
 * lock: what is mapped stays mapped until ps_journal_close. */
static void touch(ps_journal *j, int i, uint64_t from, uint64_t to) {
  if (to > cap_of(j, i)) to = cap_of(j, i);
  for (uint64_t off = from & ~(uint64_t)4095; off < to; off += 4096)
    __atomic_fetch_or((unsigned char *)j->map[i] + off, 0, __ATOMIC_RELAXED);
}

/* Grows file i to at least want bytes (doubling from its size, or from INITIAL_CAP): the
 * blocks allocated (fallocate, so that a store into the mapping can never meet a full disk,
 * which would be SIGBUS) and the new part mapped right after the old one in the reservation,
 * then published to the appends. Keeps what the file holds and never moves what is mapped:
 * an append may run meanwhile. The new pages are touched (after map_lock is released, so
 * that an append that must grow the file waits only for the allocation) when touch_new is
 * set: the library's thread does, the game's own growth does not (its stores fault page by
 * page instead, a microsecond each, rather than one call paying for all of them). PS_OK or
 * PS_EIO (the disk is full, or the reservation is). */
static int map_file(ps_journal *j, int i, size_t want, int touch_new) {
  pthread_mutex_lock(&j->map_lock);
  size_t old = j->cap[i], cap = old ? old : INITIAL_CAP;
  while (cap < want && cap <= j->reserve / 2) cap *= 2;
  int rc = PS_OK;
  if (cap < want || (cap != old && posix_fallocate(j->fd[i], 0, (off_t)cap) != 0)) rc = PS_EIO;
  if (rc == PS_OK && cap != old &&
      mmap(j->map[i] + old, cap - old, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, j->fd[i],
           (off_t)old) == MAP_FAILED)
    rc = PS_EIO;
  if (rc == PS_OK) __atomic_store_n(&j->cap[i], cap, __ATOMIC_RELEASE); /* the appends' now */
  pthread_mutex_unlock(&j->map_lock);
  if (rc == PS_OK && touch_new && cap != old) touch(j, i, old, cap);
  return rc;
}

/* Reserves the address space of file i's mapping (no memory: PROT_NONE, no swap), as much as
 * the process may have up to RESERVE_MAX. PS_OK or PS_EIO. */
static int reserve_map(ps_journal *j, int i) {
  size_t want = j->reserve ? j->reserve : RESERVE_MAX;
  for (;;) {
    void *m = mmap(NULL, want, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m != MAP_FAILED) {
      j->map[i] = m;
      j->reserve = want;
      return PS_OK;
    }
    if (want / 2 < RESERVE_MIN || j->reserve) return PS_EIO;
    want /= 2;
  }
}

/* Where the data of a mapped file ends: after its last non-zero byte. */
static size_t data_end(const char *m, size_t cap) {
  size_t end = cap;
  while (end >= 8) {
    uint64_t w;
    memcpy(&w, m + end - 8, 8);
    if (w) break;
    end -= 8;
  }
  while (end && !m[end - 1]) end--;
  return end;
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
  pthread_mutex_init(&j->map_lock, NULL);
  int rc = PS_OK;
  for (int i = 0; i < 2 && rc == PS_OK; i++) rc = open_file(db_path, i, &j->fd[i], err, errlen);
  if (rc == PS_OK && flock(j->fd[0], LOCK_EX | LOCK_NB) != 0) {
    snprintf(err, errlen, "journal of %s: %s (is another process using this database?)",
             db_path, strerror(errno));
    rc = errno == EWOULDBLOCK ? PS_EEXIST : PS_EIO;
  }
  for (int i = 0; i < 2 && rc == PS_OK; i++) {
    struct stat st;
    if (reserve_map(j, i) != PS_OK || fstat(j->fd[i], &st) != 0 ||
        map_file(j, i, (size_t)st.st_size, 1) != PS_OK) {
      snprintf(err, errlen, "journal of %s: %s", db_path, strerror(errno));
      rc = PS_EIO;
    } else {
      /* a record may end in up to 23 zero bytes (an item with a zero number and no
       * strings): the data the next launch reads runs a little past the last non-zero byte */
      size_t end = data_end(j->map[i], j->cap[i]);
      j->size[i] = end ? (end + 64 < j->cap[i] ? end + 64 : j->cap[i]) : 0;
      j->dirty[i] = j->size[i] > 0; /* what the last launch left: drained at launch */
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
  for (int i = 0; i < 2; i++) {
    if (j->map[i]) munmap(j->map[i], j->reserve); /* the file's mapping and the rest */
    if (j->fd[i] >= 0) close(j->fd[i]);
  }
  pthread_mutex_destroy(&j->map_lock);
  free(j);
}

PS_SDK_HOT int ps_journal_append(ps_journal *j, uint64_t seq, ps_jrec *r) {
  if (r->buf.len < PS_JOURNAL_HEADER) return PS_EINVAL;
  size_t plen = r->buf.len - PS_JOURNAL_HEADER;
  if (plen > MAX_PAYLOAD) return PS_EIO;
  int a = j->active;
  if (j->size[a] + r->buf.len > cap_of(j, a) && map_file(j, a, j->size[a] + r->buf.len, 0) != PS_OK)
    return PS_EIO; /* the library's thread grows it ahead (ps_journal_grow_ahead): rare */
  uint32_t magic = MAGIC, len32 = (uint32_t)plen, kind = have_hw() ? CK_CRC32C : CK_CRC32;
  uint32_t crc = checksum(kind, seq, r->buf.data + PS_JOURNAL_HEADER, plen);
  char *h = r->buf.data;
  memcpy(h, &magic, 4);
  memcpy(h + 4, &len32, 4);
  memcpy(h + 8, &seq, 8);
  memcpy(h + 16, &crc, 4);
  memcpy(h + 20, &kind, 4);
  char *at = j->map[a] + j->size[a];
  memcpy(at, r->buf.data, r->buf.len); /* in the page cache: survives the process */
  __atomic_store_n(&j->size[a], j->size[a] + r->buf.len, __ATOMIC_RELAXED); /* keep_ahead */
  if (j->durable) {
    uintptr_t page = (uintptr_t)at & ~(uintptr_t)4095;
    if (msync((void *)page, (size_t)((uintptr_t)at + r->buf.len - page), MS_SYNC) != 0) return 1;
  }
  return PS_OK;
}

void ps_journal_grow_ahead(ps_journal *j, size_t room) {
  int a = j->active;
  uint64_t want = __atomic_load_n(&j->size[a], __ATOMIC_RELAXED) + room;
  if (want > cap_of(j, a)) map_file(j, a, (size_t)want, 1); /* a failure: the append's */
}

void ps_journal_keep_ahead(ps_journal *j, size_t window) {
  ps_journal_grow_ahead(j, 2 * window);
  int a = j->active;
  uint64_t at = __atomic_load_n(&j->size[a], __ATOMIC_RELAXED);
  touch(j, a, at, at + window);
  if (!j->dirty[1 - a] && j->size[1 - a] == 0) touch(j, 1 - a, 0, window); /* the next one */
}

PS_SDK_HOT uint64_t ps_journal_active_bytes(const ps_journal *j) { return j->size[j->active]; }

uint64_t ps_journal_active_capacity(const ps_journal *j) { return cap_of(j, j->active); }

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
  return ps_buf_append(out, j->map[idx], (size_t)j->size[idx]);
}

int ps_journal_clear(ps_journal *j, int idx) {
  /* zeroes rather than a truncation: the pages stay allocated, mapped and dirty for the
   * next stores into them */
  memset(j->map[idx], 0, (size_t)j->size[idx]);
  j->size[idx] = 0;
  j->dirty[idx] = 0;
  return PS_OK;
}
