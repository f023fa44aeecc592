/*
 * forget.c: deleting one player of a game from the ClickHouse event store (events.h
 * forget_player), journalled so that the deletion is finished after a crash and repeated once
 * the records other nodes acknowledged before it have certainly been shipped.
 *
 * What is deleted, on every shard (ALTER TABLE ... DELETE on the local tables, then a wait
 * until every server has applied it): events, user_days and user_firsts rows whose user_id is
 * the player's, msession_requests rows whose player is (every request of a session carries its
 * player: the registry refuses another's), and rejected events whose body holds the user id as
 * a JSON string ("id", JSON-escaped as the collector's clients write it): the privacy-safe
 * side, a rejected event naming the id in any string member goes too. user_days and
 * user_firsts are the precomputed tables; the metrics read everything else from the raw rows,
 * so every metric then answers as if the player had never played.
 *
 * Guarantees:
 * - No mutation names the id: ClickHouse keeps a mutation's text (system.mutations and a
 *   mutation_N.txt file per table), so events, user_days, user_firsts and msession_requests
 *   are matched by hex(MD5(id)) and rejected events by the random keys (rid) of the rows
 *   found first. The
 *   SELECTs that count and find rows do hold the id in their text (a server that logs its
 *   queries, or has query_log on, keeps them there).
 * - Spools: this node's spool is shipped before the deletion (by this process, or by the one
 *   that holds it: the server beside a CLI), so nothing this node acknowledged comes back
 *   after the repetition. Another node ships what it acknowledged within seconds (maintain()
 *   every second), and a crash-recovered spool at its next start: the deletion is therefore
 *   journalled and repeated by maintain() REDO_AFTER_MS later (and after a crash of this node).
 *   An event acknowledged by another node that is down for longer comes back when it ships.
 * - The journal: one file per deletion in the spool directory, forget-HHHH.job (HHHH: a hash of
 *   game and id), holding the game, when to repeat it and the id in hex; written and
 *   fsync'ed before anything is deleted, removed once the repetition succeeded. It is the only
 *   place the id stays, for REDO_AFTER_MS.
 * - Idempotent: a second call finds nothing and answers zeros; it journals a repetition again.
 *   *out counts what this call removed: distinct events (identity), rejected events (rid) and
 *   sessions (with a start) of the player, counted just before their deletion.
 * - ClickHouse removes the files of the parts a mutation replaced after old_parts_lifetime
 *   (8 minutes by default); reads stop seeing the rows as soon as the mutation is done.
 *
 * ClickHouse features avoided (18.16): lightweight DELETE and mutations_sync (ALTER ... DELETE
 * and system.mutations instead), IN (subquery) inside a mutation (literals instead).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/clickhouse/internal.h"

/* When a deletion is repeated: well after every node's maintain() (every second) shipped what
 * it had acknowledged before the first run. */
#define REDO_AFTER_MS (60 * 1000)
/* Rejected events deleted per mutation (their rids are listed in it). */
#define RIDS_PER_MUTATION 1000
#define MAX_JOURNAL_PROBES 16

/* ---- the deletion ---- */

/* Appends the user id as a JSON string, quotes included, as a SQL string literal. */
static int append_json_string_literal(ps_buf *sql, const char *user_id) {
  ps_buf json = {0};
  int rc = ps_buf_append(&json, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)user_id; rc == PS_OK && *p; p++) {
    if (*p == '"' || *p == '\\')
      rc = ps_buf_printf(&json, "\\%c", *p);
    else if (*p < 0x20)
      rc = ps_buf_printf(&json, "\\u%04x", *p);
    else
      rc = ps_buf_append(&json, p, 1);
  }
  if (rc == PS_OK) rc = ps_buf_append(&json, "\"", 1);
  if (rc == PS_OK) rc = ps_ch_sql_string(sql, json.data, json.len);
  ps_buf_free(&json);
  return rc;
}

/* Counts the rows of table whose column is the id (count_expr over them) and, when there are
 * any, deletes them by hex(MD5(column)). */
static int forget_in(ch_store *s, const char *name, const char *column, const char *count_expr,
                     int64_t game_id, const char *user_id, const char *md5_hex,
                     int64_t *counted) {
  char table[160];
  ps_ch_table(s, name, table, sizeof table);
  ps_buf sql = {0};
  int64_t rows = 0;
  int rc = ps_buf_printf(&sql, "SELECT count(), %s FROM %s WHERE game_id = %" PRId64 " AND %s = ",
                         count_expr, table, game_id, column);
  if (rc == PS_OK) rc = ps_ch_sql_string(&sql, user_id, strlen(user_id));
  ps_buf answer = {0};
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  if (rc == PS_OK && answer.data) {
    char *tab = strchr(answer.data, '\t');
    rows = strtoll(answer.data, NULL, 10);
    if (counted) *counted = tab ? strtoll(tab + 1, NULL, 10) : 0;
  }
  ps_buf_free(&answer);
  if (rc == PS_OK && rows > 0) {
    ps_buf_reset(&sql);
    rc = ps_buf_printf(&sql, "game_id = %" PRId64 " AND hex(MD5(%s)) = '%s'", game_id, column,
                       md5_hex);
    if (rc == PS_OK) rc = ps_ch_delete_where_wait(s, name, sql.data);
  }
  ps_buf_free(&sql);
  return rc;
}

/* The rejected events naming the id: found, then deleted by their rids. */
static int forget_rejected(ch_store *s, int64_t game_id, const char *user_id, int64_t *counted) {
  char table[160];
  ps_ch_table(s, "rejected", table, sizeof table);
  ps_buf sql = {0}, answer = {0}, rids = {0}, where = {0};
  int rc = ps_buf_printf(&sql, "SELECT DISTINCT rid FROM %s WHERE game_id = %" PRId64
                               " AND position(body, ",
                         table, game_id);
  if (rc == PS_OK) rc = append_json_string_literal(&sql, user_id);
  if (rc == PS_OK) rc = ps_buf_append_str(&sql, ") > 0");
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &answer);
  int64_t found = 0, listed = 0;
  while (rc == PS_OK) {
    int more = ps_ch_rows_next(&rows);
    if (more) {
      rc = ps_buf_append_str(&rids, listed ? "," : "");
      if (rc == PS_OK) rc = ps_ch_sql_string(&rids, ps_ch_field(&rows, 0), rows.lens[0]);
      listed++;
      found++;
    }
    if (rc == PS_OK && listed && (!more || listed == RIDS_PER_MUTATION)) {
      ps_buf_reset(&where);
      rc = ps_buf_printf(&where, "game_id = %" PRId64 " AND rid IN (%s)", game_id, rids.data);
      if (rc == PS_OK) rc = ps_ch_delete_where_wait(s, "rejected", where.data);
      ps_buf_reset(&rids);
      listed = 0;
    }
    if (!more) break;
  }
  *counted = found;
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  ps_buf_free(&rids);
  ps_buf_free(&where);
  return rc;
}

/* One run of the deletion (what the journal repeats). */
static int forget_once(ch_store *s, int64_t game_id, const char *user_id, ps_forget_report *out) {
  memset(out, 0, sizeof *out);
  ps_buf sql = {0}, answer = {0};
  char md5_hex[33] = "";
  int rc = ps_buf_append_str(&sql, "SELECT hex(MD5(");
  if (rc == PS_OK) rc = ps_ch_sql_string(&sql, user_id, strlen(user_id));
  if (rc == PS_OK) rc = ps_buf_append_str(&sql, "))");
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  if (rc == PS_OK && (!answer.data || answer.len < 32)) rc = PS_EIO;
  if (rc == PS_OK) memcpy(md5_hex, answer.data, 32);
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  int64_t ignored;
  if (rc == PS_OK)
    rc = forget_in(s, "events", "user_id", "uniqExact(date, category, dedup_key)", game_id,
                   user_id, md5_hex, &out->events);
  if (rc == PS_OK)
    rc = forget_in(s, "user_days", "user_id", "0", game_id, user_id, md5_hex, &ignored);
  if (rc == PS_OK)
    rc = forget_in(s, "user_firsts", "user_id", "0", game_id, user_id, md5_hex, &ignored);
  if (rc == PS_OK)
    rc = forget_in(s, "msession_requests", "player", "uniqExactIf(session_id, kind = 0)",
                   game_id, user_id, md5_hex, &out->msessions);
  if (rc == PS_OK) rc = forget_rejected(s, game_id, user_id, &out->rejected);
  return rc;
}

/* ---- the journal ---- */

static uint64_t journal_hash(int64_t game_id, const char *user_id) {
  uint64_t h = 1469598103934665603ULL;
  char game[24];
  snprintf(game, sizeof game, "%" PRId64, game_id);
  for (const char *p = game; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  h = (h ^ 0) * 1099511628211ULL;
  for (const char *p = user_id; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return h;
}

/* A journal entry as read back: game, due time, id. */
typedef struct journal_entry {
  int64_t game_id, due_ms;
  char *user_id; /* malloc'ed */
} journal_entry;

static int read_entry(const char *path, journal_entry *e) {
  memset(e, 0, sizeof *e);
  FILE *f = fopen(path, "r");
  if (!f) return errno == ENOENT ? PS_ENOTFOUND : PS_EIO;
  char line[8192];
  int rc = fgets(line, sizeof line, f) ? PS_OK : PS_EINVAL;
  fclose(f);
  char hex[8192];
  if (rc == PS_OK &&
      sscanf(line, "v1 %" SCNd64 " %" SCNd64 " %8191s", &e->game_id, &e->due_ms, hex) != 3)
    rc = PS_EINVAL;
  size_t n = rc == PS_OK ? strlen(hex) : 0;
  if (rc == PS_OK && n % 2) rc = PS_EINVAL;
  if (rc == PS_OK && !(e->user_id = malloc(n / 2 + 1))) rc = PS_ENOMEM;
  for (size_t i = 0; rc == PS_OK && i < n / 2; i++) {
    unsigned v;
    if (sscanf(hex + 2 * i, "%2x", &v) != 1) rc = PS_EINVAL;
    e->user_id[i] = (char)v;
  }
  if (rc == PS_OK) e->user_id[n / 2] = '\0';
  if (rc != PS_OK) {
    free(e->user_id);
    e->user_id = NULL;
  }
  return rc;
}

/* Writes (durably) the entry for game and id, due at due_ms, into path (cap bytes). */
static int journal_write(ch_store *s, int64_t game_id, const char *user_id, int64_t due_ms,
                         char *path, size_t cap) {
  const char *dir = s->config.spool_dir;
  if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
    ps_error_log("clickhouse: cannot create %s for the deletion journal: %s", dir,
                 strerror(errno));
    return PS_EIO;
  }
  uint64_t h = journal_hash(game_id, user_id);
  int rc = PS_EIO;
  for (int probe = 0; probe < MAX_JOURNAL_PROBES; probe++, h++) {
    snprintf(path, cap, "%s/forget-%016" PRIx64 ".job", dir, h);
    journal_entry e;
    int found = read_entry(path, &e);
    int other = found == PS_OK && (e.game_id != game_id || strcmp(e.user_id, user_id) != 0);
    free(e.user_id);
    if (other) continue; /* another deletion's entry: the next name */
    rc = PS_OK;
    break;
  }
  if (rc != PS_OK) return rc;
  ps_buf text = {0}, tmp = {0};
  rc = ps_buf_printf(&text, "v1 %" PRId64 " %" PRId64 " ", game_id, due_ms);
  for (const unsigned char *p = (const unsigned char *)user_id; rc == PS_OK && *p; p++)
    rc = ps_buf_printf(&text, "%02x", *p);
  if (rc == PS_OK) rc = ps_buf_append_str(&text, "\n");
  if (rc == PS_OK) rc = ps_buf_printf(&tmp, "%s.tmp", path);
  if (rc == PS_OK) {
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int ok = fd >= 0 && write(fd, text.data, text.len) == (ssize_t)text.len && fsync(fd) == 0;
    if (fd >= 0) close(fd);
    if (!ok || rename(tmp.data, path) != 0) {
      ps_error_log("clickhouse: cannot write the deletion journal %s: %s", path, strerror(errno));
      unlink(tmp.data);
      rc = PS_EIO;
    }
  }
  if (rc == PS_OK) rc = ps_ch_sync_dir(dir);
  ps_buf_free(&text);
  ps_buf_free(&tmp);
  return rc;
}

int ps_ch_forget_player(ch_store *s, int64_t game_id, const char *user_id,
                        ps_forget_report *out) {
  memset(out, 0, sizeof *out);
  if (!user_id || !*user_id) return PS_EINVAL;
  char path[4200];
  int rc = journal_write(s, game_id, user_id, ps_now_ms() + REDO_AFTER_MS, path, sizeof path);
  if (rc != PS_OK) return rc;
  /* What this node acknowledged goes to ClickHouse before the deletion: shipped here, or, when
   * another process (the server beside a CLI) owns the spool, by that one within a second,
   * which the repetition covers. */
  ps_ch_spool *sp;
  if (s->spool || !ps_ch_spool_held_elsewhere(s->config.spool_dir)) {
    rc = ps_ch_spool_of(s, &sp);
    if (rc == PS_OK) rc = ps_ch_spool_ship(sp, s);
    if (rc != PS_OK) return rc; /* journalled: maintain() tries again */
  }
  return forget_once(s, game_id, user_id, out);
}

int ps_ch_forget_resume(ch_store *s, int64_t now_ms) {
  DIR *d = opendir(s->config.spool_dir);
  if (!d) return errno == ENOENT ? PS_OK : PS_EIO;
  int rc = PS_OK;
  struct dirent *ent;
  while (rc == PS_OK && (ent = readdir(d))) {
    size_t len = strlen(ent->d_name);
    if (len < 11 || strncmp(ent->d_name, "forget-", 7) || strcmp(ent->d_name + len - 4, ".job"))
      continue;
    char path[4200];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", s->config.spool_dir, ent->d_name) >=
        sizeof path)
      continue; /* not a name this store writes */
    journal_entry e;
    int read = read_entry(path, &e);
    if (read == PS_EINVAL) {
      ps_error_log("clickhouse: %s is not a deletion journal entry: removed", path);
      unlink(path);
      continue;
    }
    if (read != PS_OK) continue; /* gone meanwhile (another process finished it) */
    if (e.due_ms <= now_ms) {
      ps_forget_report report;
      rc = forget_once(s, e.game_id, e.user_id, &report);
      if (rc == PS_OK) {
        if (report.events || report.rejected || report.msessions)
          ps_info("clickhouse: deleting a player of game %" PRId64 " again removed %" PRId64
                  " events, %" PRId64 " rejected events and %" PRId64
                  " sessions that arrived after the first run",
                  e.game_id, report.events, report.rejected, report.msessions);
        /* done, unless a later call for the player journalled a later repetition */
        journal_entry now;
        if (read_entry(path, &now) == PS_OK && now.due_ms == e.due_ms) unlink(path);
        free(now.user_id);
      }
    }
    free(e.user_id);
  }
  closedir(d);
  return rc;
}
