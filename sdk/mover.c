/*
 * mover.c: the library's thread moves the call journal (journal.h) into the SQLite queue.
 *
 * Why here and not in the call: a transaction per event call is what made the call cost
 * ~0.15 ms and stall for milliseconds; one transaction per batch of records costs the
 * library's thread about the same as one of them did.
 *
 * Guarantees:
 *  - A record is applied whole (its events and state items) in the same transaction that
 *    stores its sequence number as "journal_seq"; records at or below the stored number are
 *    skipped, so a crash anywhere between the commit and the zeroing of the file never
 *    applies a record twice, and a record is never lost before it was committed.
 *  - Events enter the bounded queue in journal order with the queue's own eviction
 *    (queue_db.h), the same order the call decided admission in (client.c); what the bound
 *    evicted is logged and counted here.
 *  - At launch, both files are read, their valid records sorted by sequence number and the
 *    new ones applied before anything else reads the database; torn bytes are reported.
 * The caller holds db_lock; lock is taken only to swap the files and to update the totals.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "sdk/client.h"

typedef struct tally {
  uint64_t records; /* valid records in the files (moved or skipped as already moved) */
  uint64_t events;  /* their event items, and bytes by priority, as the calls counted them */
  uint64_t bytes[PS_SDK_PRIORITIES];
  uint64_t evicted, refused;
  int lowest_evicted;
  uint64_t applied_seq;
} tally;

/* A NUL-terminated copy of p[0..n) (malloc'd), NULL when out of memory. */
static char *dupn(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (!s) return NULL;
  if (n) memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

static int apply_item(playstat *ps, const ps_jitem *it, tally *t) {
  ps_queue_db *db = ps->db;
  char *a = dupn(it->a, it->alen), *b = NULL;
  int rc = a ? PS_OK : PS_ENOMEM;
  if (rc == PS_OK && it->type != PS_JI_EVENT && !(b = dupn(it->b, it->blen))) rc = PS_ENOMEM;
  if (rc != PS_OK) goto out;
  switch (it->type) {
  case PS_JI_EVENT: {
    ps_qdb_evicted ev;
    int p = ps_sdk_category_priority(a);
    rc = ps_qdb_append(db, a, it->b, it->blen, ps->cfg.c.max_queue_bytes, &ev);
    if (rc == PS_EFULL) { /* the call admitted it against totals that have moved since */
      t->refused++;
      rc = PS_OK;
    } else if (rc == PS_OK) {
      rc = ps_qdb_session_touch(db, it->number);
    }
    t->evicted += ev.events;
    if (ev.events && (t->lowest_evicted < 0 || ev.lowest_priority < t->lowest_evicted))
      t->lowest_evicted = ev.lowest_priority;
    (void)p;
    break;
  }
  case PS_JI_STATE: rc = ps_qdb_state_set(db, a, b); break;
  case PS_JI_ATTEMPTS: rc = ps_qdb_progression_set(db, a, it->number); break;
  case PS_JI_SESSION: rc = ps_qdb_session_put(db, a, it->number, b); break;
  case PS_JI_ANNOTATE: rc = ps_qdb_session_annotate(db, b); break;
  case PS_JI_CLEAR: rc = ps_qdb_session_clear(db); break;
  default: rc = PS_OK; break; /* an item of a later version: ignored */
  }
out:
  free(a);
  free(b);
  return rc;
}

/* Counts what the call counted for this record (whether or not it is applied now). */
static void count_record(const ps_jread *r, tally *t) {
  size_t off = 0;
  ps_jitem it;
  t->records++;
  while (ps_jitem_next(r->payload, r->len, &off, &it) == 1) {
    if (it.type != PS_JI_EVENT) continue;
    char category[32];
    snprintf(category, sizeof category, "%.*s", (int)(it.alen < 31 ? it.alen : 31), it.a);
    t->events++;
    t->bytes[ps_sdk_category_priority(category)] += it.blen;
  }
}

/* Records applied between two checks of the active file's room (ps_journal_grow_ahead). */
#define GROW_CHECK_RECORDS 64

/* Applies the records newer than ps->applied_seq in one transaction. room (0: none, at
 * launch) is what the active file is kept able to take meanwhile: the calls go on appending
 * while this runs, faster than it when they come back to back, and a call that found the
 * file full would grow it itself (milliseconds of page faults). */
static int apply_records(playstat *ps, const ps_jread *recs, size_t n, tally *t, size_t room) {
  t->applied_seq = ps->applied_seq;
  int rc = ps_qdb_begin(ps->db);
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    if (room && i % GROW_CHECK_RECORDS == 0) ps_journal_grow_ahead(ps->journal, room);
    if (recs[i].seq <= t->applied_seq) continue; /* moved before a crash cut the zeroing */
    size_t off = 0;
    ps_jitem it;
    int more;
    while (rc == PS_OK && (more = ps_jitem_next(recs[i].payload, recs[i].len, &off, &it)) == 1)
      rc = apply_item(ps, &it, t);
    t->applied_seq = recs[i].seq;
  }
  if (rc == PS_OK && t->applied_seq != ps->applied_seq) {
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, t->applied_seq);
    rc = ps_qdb_state_set(ps->db, "journal_seq", text);
  }
  if (rc == PS_OK) rc = ps_qdb_commit(ps->db);
  else ps_qdb_rollback(ps->db);
  if (rc == PS_OK) ps->applied_seq = t->applied_seq;
  return rc;
}

static uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

/* Under lock: the totals after a move. */
static void settle(playstat *ps, const tally *t, int launch) {
  if (!launch) {
    ps->journal_records = minus(ps->journal_records, t->records);
    ps->journal_events = minus(ps->journal_events, t->events);
    for (int p = 0; p < PS_SDK_PRIORITIES; p++)
      ps->journal_bytes[p] = minus(ps->journal_bytes[p], t->bytes[p]);
  }
  ps->db_events = ps_qdb_queued_events(ps->db);
  for (int p = 0; p < PS_SDK_PRIORITIES; p++) ps->db_bytes[p] = ps_qdb_queued_bytes_at(ps->db, p);
  ps->stats.events_dropped += t->evicted + t->refused;
}

static void note_drops(playstat *ps, const tally *t, ps_sdk_notes *notes) {
  if (t->evicted)
    ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN,
                "queue at its bound of %" PRIu64 " bytes: dropped %" PRIu64
                " older queued event(s) (lowest priority %d) to keep newer ones",
                (uint64_t)ps->cfg.c.max_queue_bytes, t->evicted, t->lowest_evicted);
  if (t->refused)
    ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN,
                "queue at its bound of %" PRIu64 " bytes: %" PRIu64 " journalled event(s) dropped",
                (uint64_t)ps->cfg.c.max_queue_bytes, t->refused);
}

int ps_sdk_journal_move(playstat *ps, ps_sdk_notes *notes) {
  pthread_mutex_lock(&ps->lock);
  int idx = ps_journal_swap(ps->journal);
  ps->move_requested = 0;
  pthread_mutex_unlock(&ps->lock);
  if (idx < 0) return PS_OK;
  ps_jread *recs = NULL;
  size_t n = 0, skipped = 0;
  tally t = {.lowest_evicted = -1};
  int rc = ps_journal_read(ps->journal, idx, &ps->move_buf);
  /* While this move runs, the calls fill the new active file at least at the pace they
   * filled the one drained now: room for twice that, kept while the records are applied. */
  size_t room = 2 * ps->move_buf.len;
  if (rc == PS_OK) rc = ps_journal_parse(ps->move_buf.data, ps->move_buf.len, &recs, &n, &skipped);
  if (rc == PS_OK) rc = apply_records(ps, recs, n, &t, room);
  if (rc == PS_OK) {
    for (size_t i = 0; i < n; i++) count_record(&recs[i], &t);
    if (ps_journal_clear(ps->journal, idx) != PS_OK) /* harmless: its records are skipped */
      ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN, "journal: cannot truncate a moved file");
    if (skipped)
      ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN,
                  "journal: %zu byte(s) that are no whole record were skipped", skipped);
    pthread_mutex_lock(&ps->lock);
    settle(ps, &t, 0);
    pthread_mutex_unlock(&ps->lock);
    note_drops(ps, &t, notes);
  } else {
    ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN,
                "journal: moving %zu record(s) into the database failed (%s); will retry", n,
                rc == PS_ENOMEM ? "out of memory" : ps_qdb_errmsg(ps->db));
  }
  free(recs);
  if (ps->move_buf.cap > 4u * 1024 * 1024) ps_buf_free(&ps->move_buf); /* keep a small one */
  return rc;
}

static int by_seq(const void *x, const void *y) {
  const ps_jread *a = x, *b = y;
  return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int ps_sdk_journal_recover(playstat *ps, ps_sdk_notes *notes) {
  char text[24];
  int found = ps_qdb_state_get(ps->db, "journal_seq", text, sizeof text);
  if (found < 0) return ps_sdk_status_of(found);
  ps->applied_seq = found ? strtoull(text, NULL, 10) : 0;
  ps_buf files[2] = {{0}, {0}};
  ps_jread *recs[2] = {NULL, NULL}, *all = NULL;
  size_t n[2] = {0, 0}, skipped[2] = {0, 0};
  tally t = {.lowest_evicted = -1};
  int rc = PS_OK;
  for (int i = 0; i < 2 && rc == PS_OK; i++) {
    rc = ps_journal_read(ps->journal, i, &files[i]);
    if (rc == PS_OK) rc = ps_journal_parse(files[i].data, files[i].len, &recs[i], &n[i], &skipped[i]);
  }
  if (rc == PS_OK && n[0] + n[1] && !(all = malloc((n[0] + n[1]) * sizeof *all))) rc = PS_ENOMEM;
  uint64_t last = ps->applied_seq, fresh = 0;
  if (rc == PS_OK && all) {
    if (n[0]) memcpy(all, recs[0], n[0] * sizeof *all);
    if (n[1]) memcpy(all + n[0], recs[1], n[1] * sizeof *all);
    qsort(all, n[0] + n[1], sizeof *all, by_seq);
    for (size_t i = 0; i < n[0] + n[1]; i++) {
      if (all[i].seq > ps->applied_seq) fresh++;
      if (all[i].seq > last) last = all[i].seq;
    }
    rc = apply_records(ps, all, n[0] + n[1], &t, 0);
  }
  for (int i = 0; i < 2 && rc == PS_OK; i++) rc = ps_journal_clear(ps->journal, i);
  if (rc == PS_OK) {
    ps->next_seq = last + 1;
    settle(ps, &t, 1);
    if (fresh)
      ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_INFO,
                  "journal: moved %" PRIu64 " record(s) the last launch left", fresh);
    if (skipped[0] + skipped[1])
      ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN,
                  "journal: %zu byte(s) of a torn record (the last launch ended while writing "
                  "it) were skipped; every whole record was kept", skipped[0] + skipped[1]);
    note_drops(ps, &t, notes);
  } else {
    ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_ERROR, "journal: recovery failed: %s",
                rc == PS_ENOMEM ? "out of memory" : ps_qdb_errmsg(ps->db));
  }
  free(all);
  for (int i = 0; i < 2; i++) {
    free(recs[i]);
    ps_buf_free(&files[i]);
  }
  return ps_sdk_status_of(rc);
}
