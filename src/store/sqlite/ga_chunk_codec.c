/* ga_chunk_codec.c: see ga_chunk_codec.h. */
#include "store/sqlite/ga_chunk_codec.h"

#include <stdint.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"

#define LIST_MAX (PS_GA_CHUNK_BITS / 16) /* users set: below this, positions are shorter */

size_t ps_ga_chunk_encode(const unsigned char bits[PS_GA_CHUNK_BYTES],
                          unsigned char out[PS_GA_CHUNK_BYTES]) {
  size_t set = 0;
  for (size_t i = 0; i < PS_GA_CHUNK_BYTES; i++) set += (size_t)__builtin_popcount(bits[i]);
  if (set >= LIST_MAX) {
    memcpy(out, bits, PS_GA_CHUNK_BYTES);
    return PS_GA_CHUNK_BYTES;
  }
  size_t n = 0;
  for (size_t i = 0; i < PS_GA_CHUNK_BYTES; i++)
    for (unsigned byte = bits[i]; byte; byte &= byte - 1) {
      unsigned position = (unsigned)(i * 8) + (unsigned)__builtin_ctz(byte);
      out[n++] = (unsigned char)(position & 0xff);
      out[n++] = (unsigned char)(position >> 8);
    }
  return n;
}

size_t ps_ga_chunk_decode(const unsigned char *blob, size_t len,
                          unsigned char bits[PS_GA_CHUNK_BYTES]) {
  if (len == PS_GA_CHUNK_BYTES) {
    memcpy(bits, blob, PS_GA_CHUNK_BYTES);
    return PS_GA_CHUNK_BYTES;
  }
  memset(bits, 0, PS_GA_CHUNK_BYTES);
  size_t used = 0;
  for (size_t i = 0; i + 1 < len; i += 2) {
    unsigned position = (unsigned)blob[i] | (unsigned)blob[i + 1] << 8;
    if (position >= PS_GA_CHUNK_BITS) continue;
    bits[position / 8] |= (unsigned char)(1u << (position % 8));
    if (position / 8 + 1 > used) used = position / 8 + 1;
  }
  return used;
}

void ps_ga_chunk_or(unsigned char bits[PS_GA_CHUNK_BYTES], const unsigned char *blob,
                    size_t len) {
  if (len == PS_GA_CHUNK_BYTES) {
    for (size_t i = 0; i < PS_GA_CHUNK_BYTES; i += 8) {
      uint64_t acc, w;
      memcpy(&acc, bits + i, 8);
      memcpy(&w, blob + i, 8);
      acc |= w;
      memcpy(bits + i, &acc, 8);
    }
    return;
  }
  for (size_t i = 0; i + 1 < len; i += 2) {
    unsigned position = (unsigned)blob[i] | (unsigned)blob[i + 1] << 8;
    if (position < PS_GA_CHUNK_BITS) bits[position / 8] |= (unsigned char)(1u << (position % 8));
  }
}

/* The popcount loop, multiversioned in this file alone (a clone's resolver is local to its
 * file: the header's declaration stays plain, and clang takes the attribute only on a
 * function not used before it). */
PS_GA_WITH_POPCNT static size_t count_words(const unsigned char *bits, size_t len) {
  uint64_t n = 0, w;
  for (size_t i = 0; i + 8 <= len; i += 8) {
    memcpy(&w, bits + i, 8);
    n += (uint64_t)__builtin_popcountll(w);
  }
  return (size_t)n;
}

size_t ps_ga_bits_count(const unsigned char *bits, size_t len) { return count_words(bits, len); }

size_t ps_ga_chunk_count(const unsigned char *blob, size_t len) {
  if (len == PS_GA_CHUNK_BYTES) return ps_ga_bits_count(blob, len);
  size_t n = 0;
  unsigned last = 0;
  for (size_t i = 0; i + 1 < len; i += 2) {
    unsigned position = (unsigned)blob[i] | (unsigned)blob[i + 1] << 8;
    if (position >= PS_GA_CHUNK_BITS) continue;
    if (n && position <= last) { /* not as encode writes it: count what decode reads */
      unsigned char bits[PS_GA_CHUNK_BYTES];
      ps_ga_chunk_decode(blob, len, bits);
      return ps_ga_bits_count(bits, sizeof bits);
    }
    last = position;
    n++;
  }
  return n;
}

int ps_sqlite_ga_chunks_upgrade_to_12(sqlite3 *db) {
  sqlite3_stmt *rows = NULL, *update = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db, "SELECT game_id, kind, dim, value, day, chunk, bits FROM ga_bits"
                         " WHERE length(bits) = ?1", -1, &rows, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "UPDATE ga_bits SET bits = ?7 WHERE game_id = ?1 AND kind = ?2"
                         " AND dim = ?3 AND value = ?4 AND day = ?5 AND chunk = ?6",
                         -1, &update, NULL) == SQLITE_OK) {
    rc = PS_OK;
    sqlite3_bind_int(rows, 1, PS_GA_CHUNK_BYTES);
    unsigned char encoded[PS_GA_CHUNK_BYTES];
    long long rewritten = 0;
    int step;
    while (rc == PS_OK && (step = sqlite3_step(rows)) == SQLITE_ROW) {
      size_t len = ps_ga_chunk_encode(sqlite3_column_blob(rows, 6), encoded);
      if (len == PS_GA_CHUNK_BYTES) continue;
      for (int c = 0; c < 6; c++) sqlite3_bind_value(update, c + 1, sqlite3_column_value(rows, c));
      sqlite3_bind_blob(update, 7, encoded, (int)len, SQLITE_STATIC);
      rc = sqlite3_step(update) == SQLITE_DONE ? PS_OK : PS_EIO;
      sqlite3_reset(update);
      rewritten++;
    }
    if (rc == PS_OK && step != SQLITE_DONE) rc = PS_EIO;
    if (rc == PS_OK && rewritten)
      ps_info("sqlite: upgrade to 12: %lld user bitmap chunks kept as positions", rewritten);
  }
  if (rc != PS_OK) ps_error_log("sqlite: upgrade to 12: %s", sqlite3_errmsg(db));
  sqlite3_finalize(rows);
  sqlite3_finalize(update);
  return rc;
}
