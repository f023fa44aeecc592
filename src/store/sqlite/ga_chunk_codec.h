/*
 * ga_chunk_codec.h: how a chunk of a user bitmap (ga_bits.bits: PS_GA_CHUNK_BITS users, one
 * bit each) is kept in its row. A chunk with fewer than PS_GA_CHUNK_BITS / 16 users set is
 * kept as their positions (uint16, little-endian, ascending: 2 bytes a user), any other as the
 * PS_GA_CHUNK_BYTES bytes of the bitmap itself; the length tells them apart (a list is always
 * shorter). An empty chunk is an empty blob.
 *
 * Why: a bitmap of a dimension value is as wide as the game's users whatever the value's
 * share of them; a country with a sixteenth of the players kept 4 KB a day and chunk for a
 * few hundred bits, and a group_by or a values list read all of it. As positions, a sparse
 * chunk costs what it holds. Rows written before (always PS_GA_CHUNK_BYTES) read unchanged.
 *
 * A store of schema 11 or earlier has every row as a bitmap: the upgrade to 12 rewrites those
 * that are shorter as positions (db.c).
 *
 * Guarantees: decode(encode(bits)) == bits for every bitmap; encode's output is at most
 * PS_GA_CHUNK_BYTES bytes; decode of a blob that is neither form (odd length, positions out
 * of order) reads as the positions it holds that are in range, never past the buffer.
 */
#ifndef PS_STORE_SQLITE_GA_CHUNK_CODEC_H
#define PS_STORE_SQLITE_GA_CHUNK_CODEC_H

#include <sqlite3.h>
#include <stddef.h>

#include "store/sqlite/internal.h"

/* The row form of bits into out (PS_GA_CHUNK_BYTES bytes of room); returns its length. */
size_t ps_ga_chunk_encode(const unsigned char bits[PS_GA_CHUNK_BYTES],
                          unsigned char out[PS_GA_CHUNK_BYTES]);

/* The bitmap of a row's blob (len bytes) into bits; returns how many of its bytes can hold a
 * set bit (the rest are zero): PS_GA_CHUNK_BYTES for a bitmap, less for positions. */
size_t ps_ga_chunk_decode(const unsigned char *blob, size_t len,
                          unsigned char bits[PS_GA_CHUNK_BYTES]);

/* ORs the users of a row's blob (len bytes, either form) into bits, a chunk's
 * PS_GA_CHUNK_BYTES bytes: a list sets its positions only, without a bitmap in between. */
void ps_ga_chunk_or(unsigned char bits[PS_GA_CHUNK_BYTES], const unsigned char *blob,
                    size_t len);

/* The users of a row's blob (len bytes, either form): the bits ps_ga_chunk_decode would set,
 * counted without decoding a list (a list out of order is decoded first). */
size_t ps_ga_chunk_count(const unsigned char *blob, size_t len);

/* Counting bits is most of a user count: on x86-64 the POPCNT instruction where the CPU has
 * it (picked once at load), else the portable code (the baseline ISA has no such
 * instruction, and __builtin_popcountll becomes a library call). For a function counting. */
#if defined(__x86_64__) && defined(__GNUC__)
#define PS_GA_WITH_POPCNT __attribute__((target_clones("popcnt", "default")))
#else
#define PS_GA_WITH_POPCNT
#endif

/* Bits set in bits (len bytes; a trailing part shorter than 8 bytes is not counted: bitmaps
 * here are whole chunks). */
size_t ps_ga_bits_count(const unsigned char *bits, size_t len);

/* Schema 12, inside the migration's transaction: every ga_bits row kept as a bitmap that
 * encodes shorter is rewritten as positions (one pass over the table). PS_OK or PS_EIO. */
int ps_sqlite_ga_chunks_upgrade_to_12(sqlite3 *db);

#endif
