/*
 * journal.h: the call journal, where an event call's record goes before the call returns.
 *
 * Why: committing every event call to SQLite cost the game thread a transaction per call
 * (median ~0.15 ms at 500 calls/s, stalls of several ms at checkpoints). A record appended
 * to a file with one write(2) is in the kernel's page cache when the call returns: it survives
 * a crash or a kill -9 of the game without an fsync, for a few microseconds. The library's
 * thread later moves the records into the SQLite queue, many in one transaction.
 *
 * Files: two, "{database_path}-calls.0" and "-calls.1", each mapped whole with MAP_SHARED.
 * An append is a memcpy into the mapping: a store into a shared file mapping is in the page
 * cache at once, so it survives a kill -9 of the process exactly as a write(2) would, without
 * the system call (a write(2) cost ~5 us median on a game's cold path here, the store ~1 us).
 * The files are allocated (posix_fallocate, so that a store can never meet a full disk, which
 * would be SIGBUS) and every page touched when mapped. Each mapping lives in a reserved,
 * unbacked 16 GiB address range, so it grows in place (nothing mapped ever moves); the library's
 * thread grows the active file ahead of the appends (ps_journal_grow_ahead: after each swap and
 * every 64 records it moves), and an append that still finds the file full only allocates and
 * maps, without touching the pages. Unwritten room is zeros. The game's threads append to the active
 * file; the library's thread swaps (under the handle's lock, a pointer's worth of work),
 * drains the other one into SQLite and zeroes what it held (the pages stay mapped and dirty
 * for the next stores). So the game never waits for a drain and a drain never reads a file
 * that is still being written.
 *
 * Record: a 24-byte header, then the payload:
 *   u32 magic "PSJ1" | u32 payload length | u64 sequence number | u32 checksum(seq, payload) |
 *   u32 checksum kind | payload: items
 * The kind is 1 for CRC-32C, computed with the SSE4.2 crc32 instruction where the CPU has it
 * (8 bytes a step, ~0.1 us a record), else 0 for zlib's CRC-32 (what the first journals held,
 * so that a journal left by an older library is still read). Any other kind is not a record.
 * Item: u8 type | 3 pad | i64 number | u32 length a | u32 length b | a bytes | b bytes.
 * One record is one call's whole effect (its events and the state they change: session_num,
 * transaction_num, attempt numbers, the open session), so it is applied whole or not at all.
 * Integers are in the machine's byte order: the files never leave the machine.
 *
 * Guarantees:
 *  - Exactly once: sequence numbers grow by one per record, across launches. The library's
 *    thread stores the sequence number of the last record it moved in the same SQLite
 *    transaction as the records (state key "journal_seq"), and skips any record at or below
 *    it. A crash between that commit and the truncation therefore duplicates nothing.
 *  - Torn tails: a record cut short (a kill during its copy, a power loss before its pages
 *    reached the disk) fails its length or checksum; the reader skips such bytes and scans on
 *    for the next valid header, so no complete record after it is lost either.
 *  - Durable mode: ps_journal_append also msync(MS_SYNC)s the record's pages, so a returned
 *    call survives a power loss too.
 *  - One process: the first file is flock()ed; a second process on the same database fails
 *    to open it.
 * Not thread-safe: the caller serialises calls (the handle's lock for append and swap; the
 * library's thread alone drains).
 */
#ifndef PS_SDK_JOURNAL_H
#define PS_SDK_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define PS_JOURNAL_HEADER 24

/* Item types. */
enum {
  PS_JI_EVENT = 'E',    /* a = category, b = the event's JSON, number = its client_ts */
  PS_JI_STATE = 'K',    /* a = state key, b = value (session_num, transaction_num, ...) */
  PS_JI_ATTEMPTS = 'P', /* a = progression id, number = failed attempts (0: forget the id) */
  PS_JI_SESSION = 'S',  /* a = session id, b = annotations, number = start_ts: a new session */
  PS_JI_ANNOTATE = 'A', /* b = the open session's new annotations */
  PS_JI_CLEAR = 'C',    /* the open session ended */
};

/* A record being built (the header is filled by ps_journal_append). Zeroed = empty. */
typedef struct ps_jrec {
  ps_buf buf;
  size_t items;
} ps_jrec;

/* Empties r, keeping its memory. PS_OK or PS_ENOMEM (the header's room). */
int ps_jrec_reset(ps_jrec *r);
/* Appends one item; PS_OK or PS_ENOMEM (r unchanged). a/b may be NULL when their length is 0. */
int ps_jrec_add(ps_jrec *r, int type, int64_t number, const char *a, size_t alen, const char *b,
                size_t blen);
/* The same item written in place, for an event whose JSON the caller writes straight into the
 * record (no copy of it): ps_jrec_open writes the item's header and a, and sets *at; the caller
 * then appends b to r->buf itself (ps_buf calls) and ps_jrec_close(r, at) sets b's length, or
 * ps_jrec_cut(r, at) removes the item again. b is r->buf.data + ps_jrec_b_offset(at, alen)
 * up to r->buf.len. PS_OK or PS_ENOMEM (r unchanged). */
int ps_jrec_open(ps_jrec *r, int type, int64_t number, const char *a, size_t alen, size_t *at);
void ps_jrec_close(ps_jrec *r, size_t at);
void ps_jrec_cut(ps_jrec *r, size_t at);
size_t ps_jrec_b_offset(size_t at, size_t alen);
void ps_jrec_free(ps_jrec *r);

/* One item read back; a and b point into the record and are NUL-terminated copies' views
 * only as far as their lengths say (not NUL-terminated). */
typedef struct ps_jitem {
  int type;
  int64_t number;
  const char *a, *b;
  size_t alen, blen;
} ps_jitem;

/* The next item of payload[0..len) at *off: 1 and *item, 0 at the end, -1 when malformed. */
int ps_jitem_next(const char *payload, size_t len, size_t *off, ps_jitem *item);

/* A record read back. */
typedef struct ps_jread {
  uint64_t seq;
  const char *payload; /* into the buffer that was parsed */
  size_t len;
} ps_jread;

/* Parses data[0..len) (a journal file's bytes) into a malloc'd array of its valid records, in
 * file order (*out, *n; NULL/0 when none). *skipped gets the number of bytes that belonged to
 * no valid record (a torn tail). PS_OK or PS_ENOMEM. */
int ps_journal_parse(const char *data, size_t len, ps_jread **out, size_t *n, size_t *skipped);

typedef struct ps_journal ps_journal;

/* Opens (creates) the two files beside db_path. durable: fdatasync each append. On failure
 * *out is NULL and err says why; PS_EIO, PS_ENOMEM, or PS_EEXIST (another process has it open). */
int ps_journal_open(const char *db_path, int durable, ps_journal **out, char *err, size_t errlen);
void ps_journal_close(ps_journal *j);

/* Appends r as record seq to the active file: one memcpy into its mapping (and an msync when
 * durable). PS_OK; 1 when the record was written but its msync failed (it stands, but may
 * not survive a power loss); PS_EIO when nothing was appended (the file could not grow).
 * Sequence numbers must not be reused after any of these: gaps are harmless. */
int ps_journal_append(ps_journal *j, uint64_t seq, ps_jrec *r);

/* Grows the active file, when needed, so that room bytes fit after what it holds: by the
 * library's thread, ahead of the game's appends, so that an append does not have to grow the
 * file itself (allocating and touching megabytes on the game's thread, milliseconds). Safe
 * while appends run (the mapping grows in place); under the lock that excludes swap, read
 * and clear (the caller's db_lock), like ps_journal_keep_ahead. A failure (disk full) is left
 * for the append to meet and report. */
void ps_journal_grow_ahead(ps_journal *j, size_t room);

/* Dirties (without changing them) the pages of the active file's next window bytes, and the
 * first window bytes of the other file when it is empty, so that the game's next stores do
 * not fault (and first grows the file to keep 2 * window bytes of room, as
 * ps_journal_grow_ahead): writeback (every ~30 s) leaves written-back pages of a shared mapping clean and
 * write-protected, and the next store into one takes a fault (ext4's page_mkwrite, which can
 * wait for its journal). Called by the library's thread without the lock the appends take,
 * but under the one that excludes swap, read and clear (the caller's db_lock). */
void ps_journal_keep_ahead(ps_journal *j, size_t window);

/* Bytes appended to the active file so far, and the bytes it can hold before an append must
 * grow it. */
uint64_t ps_journal_active_bytes(const ps_journal *j);
uint64_t ps_journal_active_capacity(const ps_journal *j);

/* Makes the other file active when it is empty and the active one is not; returns the index
 * (0 or 1) of the file to drain, or -1 when there is nothing to drain. A file that was not
 * cleared after its drain (ps_journal_clear) is returned again instead of swapping. */
int ps_journal_swap(ps_journal *j);

/* Reads file idx whole into out (reset first). PS_OK, PS_ENOMEM or PS_EIO. Must not be the
 * active file (except before any append, at launch). */
int ps_journal_read(ps_journal *j, int idx, ps_buf *out);

/* Empties file idx after its records were moved (zeroes them). PS_OK. */
int ps_journal_clear(ps_journal *j, int idx);

#endif
