/*
 * sqlite_layouts.c: raw-SQLite microbenchmark of candidate layouts for the `events` table, to
 * choose one whose ingest rate does not fall as the table grows (docs/PERFORMANCE.md, "Ingest
 * as the store grows"). No server, no HTTP: one connection set up like the store's writer
 * (WAL, synchronous=FULL, cache_size=-65536, temp_store=MEMORY, secure_delete=ON) inserts
 * --rows events of about 430 bytes (the columns of src/store/sqlite.c's events, a GameAnalytics
 * design/business-like JSON body) in transactions of --txn rows into a fresh file per layout,
 * and prints rows/s over every --step rows, so that a fall with size shows, with the WAL's
 * peak size (a thread stat()s the -wal file every 2 ms) and the database's final size.
 *
 * Event keys: event_uuid a random v4 UUID (16-byte BLOB, as the store binds it). client_ts is
 * a unix-seconds clock that advances with the inserts at --sim-rate events per second (the
 * "now" of a server taking that many), and each event's client_ts is drawn around it:
 *   realistic   90% sent within seconds (now minus an exponential delay of mean 5 s), 5%
 *               anywhere within +-60 s (clock skew), 5% up to 3 days old (offline queues);
 *   uniform60   95% uniform within +-60 s of now, 5% up to 3 days old (the pessimistic
 *               reading of "95% within +-60 s").
 * Why it matters: a unique index led by client_ts keeps each transaction's inserts on the few
 * index pages that cover "now", where a random UUID lands on any page of the whole index.
 *
 * Layouts (--layouts a,b,... ; default all):
 *   a      today's v6: rowid table + UNIQUE (game_id, event_uuid) WHERE uuid NOT NULL
 *   b      no unique index (the ceiling)
 *   c      UNIQUE (game_id, ifnull(client_ts, 0), event_uuid) WHERE uuid NOT NULL, realistic ts
 *   c60    the same index, uniform60 ts
 *   d      UNIQUE (game_id, client_ts / 86400, event_uuid): a day bucket, realistic ts
 *   e      a narrow WITHOUT ROWID dedup table (game_id, client_ts, event_uuid) beside the body
 *          table; INSERT OR IGNORE into it, the body only when it took the key; realistic ts
 *   c8k    c with page_size=8192          a1k   a with page_size=1024
 *   c-ck10k  c with today's wal_autocheckpoint=10000 and no journal_size_limit
 *   c-ck250  c with wal_autocheckpoint=250 (1 MB), journal_size_limit 4 MB
 * Unless stated, layouts use wal_autocheckpoint=1000 (4 MB of 4 KB frames) and
 * journal_size_limit=8388608 (the choice applied in src/store/sqlite.c).
 *
 * usage: sqlite_layouts [--rows N] [--step N] [--txn N] [--sim-rate R] [--dir DIR]
 *                       [--layouts a,b,c] [--keep]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum ts_mode { TS_REALISTIC, TS_UNIFORM60 };

typedef struct layout {
  const char *name;
  const char *what;
  int page_size;
  int autocheckpoint;       /* pages */
  long long journal_limit;  /* bytes, -1 = none */
  enum ts_mode ts;
  const char *ddl;
  const char *insert;       /* events, or the dedup table when body_insert is set */
  const char *body_insert;  /* NULL: one statement per event */
} layout;

#define EVENTS_TABLE                                                                    \
  "CREATE TABLE events(id INTEGER PRIMARY KEY, game_id INTEGER NOT NULL,"              \
  " category TEXT NOT NULL, event_uuid BLOB, client_ts INTEGER, received_ms INTEGER NOT NULL," \
  " user_id TEXT, session_id TEXT, body TEXT NOT NULL);"
#define INSERT_EVENT                                                                    \
  "INSERT OR IGNORE INTO events(game_id, category, event_uuid, client_ts, received_ms,"  \
  " user_id, session_id, body) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"
#define INDEX_TS                                                                        \
  "CREATE UNIQUE INDEX events_by_ts_uuid ON events(game_id, ifnull(client_ts, 0), event_uuid)" \
  " WHERE event_uuid IS NOT NULL;"

static const layout layouts[] = {
    {"a", "v6: UNIQUE (game_id, uuid)", 4096, 1000, 8388608, TS_REALISTIC,
     EVENTS_TABLE "CREATE UNIQUE INDEX events_by_uuid ON events(game_id, event_uuid)"
                  " WHERE event_uuid IS NOT NULL;",
     INSERT_EVENT, NULL},
    {"b", "no unique index (ceiling)", 4096, 1000, 8388608, TS_REALISTIC, EVENTS_TABLE,
     INSERT_EVENT, NULL},
    {"c", "UNIQUE (game_id, client_ts, uuid), realistic ts", 4096, 1000, 8388608, TS_REALISTIC,
     EVENTS_TABLE INDEX_TS, INSERT_EVENT, NULL},
    {"c60", "UNIQUE (game_id, client_ts, uuid), uniform +-60 s", 4096, 1000, 8388608,
     TS_UNIFORM60, EVENTS_TABLE INDEX_TS, INSERT_EVENT, NULL},
    {"d", "UNIQUE (game_id, day, uuid), realistic ts", 4096, 1000, 8388608, TS_REALISTIC,
     EVENTS_TABLE "CREATE UNIQUE INDEX events_by_day_uuid ON events(game_id, client_ts / 86400,"
                  " event_uuid) WHERE event_uuid IS NOT NULL;",
     INSERT_EVENT, NULL},
    {"e", "WITHOUT ROWID dedup table + body table", 4096, 1000, 8388608, TS_REALISTIC,
     EVENTS_TABLE "CREATE TABLE event_keys(game_id INTEGER NOT NULL, client_ts INTEGER NOT NULL,"
                  " event_uuid BLOB NOT NULL, PRIMARY KEY(game_id, client_ts, event_uuid))"
                  " WITHOUT ROWID;",
     "INSERT OR IGNORE INTO event_keys(game_id, client_ts, event_uuid) VALUES(?1, ifnull(?4, 0), ?3)",
     "INSERT INTO events(game_id, category, event_uuid, client_ts, received_ms, user_id,"
     " session_id, body) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"},
    {"c8k", "c, page_size=8192", 8192, 500, 8388608, TS_REALISTIC, EVENTS_TABLE INDEX_TS,
     INSERT_EVENT, NULL},
    {"a1k", "a, page_size=1024", 1024, 4000, 8388608, TS_REALISTIC,
     EVENTS_TABLE "CREATE UNIQUE INDEX events_by_uuid ON events(game_id, event_uuid)"
                  " WHERE event_uuid IS NOT NULL;",
     INSERT_EVENT, NULL},
    {"c-ck10k", "c, wal_autocheckpoint=10000, no size limit", 4096, 10000, -1, TS_REALISTIC,
     EVENTS_TABLE INDEX_TS, INSERT_EVENT, NULL},
    {"c-ck250", "c, wal_autocheckpoint=250, limit 4 MB", 4096, 250, 4194304, TS_REALISTIC,
     EVENTS_TABLE INDEX_TS, INSERT_EVENT, NULL},
};
#define NLAYOUTS (sizeof layouts / sizeof *layouts)

/* ---- keys and bodies ---- */

static uint64_t rng_s = 0x243F6A8885A308D3ULL;
static uint64_t rnd(void) {
  rng_s ^= rng_s << 13;
  rng_s ^= rng_s >> 7;
  rng_s ^= rng_s << 17;
  return rng_s;
}
static double uniform01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static void uuid_v4(unsigned char b[16], char text[37]) {
  static const char hex[] = "0123456789abcdef";
  uint64_t x = rnd(), y = rnd();
  memcpy(b, &x, 8);
  memcpy(b + 8, &y, 8);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  for (int i = 0, j = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text[j++] = '-';
    text[j++] = hex[b[i] >> 4];
    text[j++] = hex[b[i] & 15];
  }
  text[36] = 0;
}

/* The client_ts of an event inserted when the simulated clock reads now. */
static int64_t draw_ts(enum ts_mode mode, int64_t now) {
  double u = uniform01();
  if (u < 0.05) return now - (int64_t)(uniform01() * 3 * 86400); /* offline queue */
  if (mode == TS_UNIFORM60) return now - 60 + (int64_t)(uniform01() * 121);
  if (u < 0.10) return now - 60 + (int64_t)(uniform01() * 121); /* skewed clock */
  return now - (int64_t)(-5.0 * log(1.0 - uniform01()));        /* sent seconds later */
}

/* ---- the WAL's peak size, sampled ---- */

static char wal_path[4200];
static _Atomic long long wal_peak;
static _Atomic int sampling;

static void note_wal(void) {
  struct stat st;
  if (stat(wal_path, &st) == 0 && st.st_size > atomic_load(&wal_peak))
    atomic_store(&wal_peak, (long long)st.st_size);
}

static void *wal_sampler(void *arg) {
  (void)arg;
  struct timespec ts = {0, 2000000};
  while (atomic_load(&sampling)) {
    note_wal();
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    fprintf(stderr, "sqlite_layouts: %s: %s\n", sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -1;
  }
  return 0;
}

typedef struct options {
  long long rows, step, txn, sim_rate;
  const char *dir;
  const char *which;
  int keep;
} options;

/* Runs one layout; prints its markdown row. Returns 0 or -1. */
static int run_layout(const options *o, const layout *l) {
  char path[4096], sql[4200];
  sqlite3 *db = NULL;
  sqlite3_stmt *ins = NULL, *body = NULL;
  int rc = -1;
  pthread_t sampler;
  int sampler_started = 0;
  int nsteps = (int)((o->rows + o->step - 1) / o->step);
  double *rate = calloc((size_t)nsteps, sizeof *rate);
  long long duplicates = 0;
  snprintf(path, sizeof path, "%s/layout-%s.db", o->dir, l->name);
  snprintf(wal_path, sizeof wal_path, "%s-wal", path);
  unlink(path);
  unlink(wal_path);
  snprintf(sql, sizeof sql, "%s-shm", path);
  unlink(sql);
  if (!rate || sqlite3_open(path, &db) != SQLITE_OK) goto out;
  snprintf(sql, sizeof sql,
           "PRAGMA page_size=%d; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
           " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA secure_delete=ON;"
           " PRAGMA wal_autocheckpoint=%d; PRAGMA journal_size_limit=%lld;",
           l->page_size, l->autocheckpoint, l->journal_limit);
  if (exec(db, sql) || exec(db, l->ddl)) goto out;
  if (sqlite3_prepare_v3(db, l->insert, -1, SQLITE_PREPARE_PERSISTENT, &ins, NULL) != SQLITE_OK ||
      (l->body_insert &&
       sqlite3_prepare_v3(db, l->body_insert, -1, SQLITE_PREPARE_PERSISTENT, &body, NULL) !=
           SQLITE_OK)) {
    fprintf(stderr, "sqlite_layouts: prepare: %s\n", sqlite3_errmsg(db));
    goto out;
  }
  atomic_store(&wal_peak, 0);
  atomic_store(&sampling, 1);
  sampler_started = pthread_create(&sampler, NULL, wal_sampler, NULL) == 0;

  static const char *const categories[] = {"design", "business", "progression", "resource"};
  const int64_t t0_ts = 1764547200; /* 2025-12-01 00:00 UTC; the simulated clock starts here */
  char body_text[1024], uuid_text[37], user[37], session[37];
  unsigned char uuid[16], scratch[16];
  uuid_v4(scratch, user);
  uuid_v4(scratch, session);
  double t_start = now_s(), t_step = t_start;
  for (long long i = 0; i < o->rows; i++) {
    if (i % o->txn == 0 && exec(db, "BEGIN IMMEDIATE")) goto out;
    if (i % 40 == 0) uuid_v4(scratch, session); /* a session sends ~40 events */
    if (i % 400 == 0) uuid_v4(scratch, user);
    int64_t now = t0_ts + i / o->sim_rate;
    int64_t ts = draw_ts(l->ts, now);
    uuid_v4(uuid, uuid_text);
    const char *cat = categories[rnd() % 4];
    int n = snprintf(body_text, sizeof body_text,
                     "{\"category\":\"%s\",\"event_id\":\"World%d:Level%d:Boss:Kill\","
                     "\"value\":%d.5,\"event_uuid\":\"%s\",\"client_ts\":%" PRId64 ","
                     "\"user_id\":\"%s\",\"session_id\":\"%s\",\"session_num\":%d,"
                     "\"device\":\"iPhone12,1\",\"os_version\":\"ios 17.1\",\"manufacturer\":"
                     "\"apple\",\"platform\":\"ios\",\"sdk_version\":\"rest api v2\",\"v\":2,"
                     "\"build\":\"1.4.%d\",\"engine_version\":\"unity 2022.3.1\","
                     "\"connection_type\":\"wifi\",\"custom_01\":\"ninja\",\"custom_02\":\"%d\"}",
                     cat, (int)(rnd() % 9), (int)(rnd() % 50), (int)(rnd() % 1000), uuid_text, ts,
                     user, session, (int)(rnd() % 30) + 1, (int)(rnd() % 20), (int)(rnd() % 100));
    sqlite3_bind_int64(ins, 1, 1);
    sqlite3_bind_text(ins, 2, cat, -1, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 3, uuid, 16, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 4, ts);
    if (!body) {
      sqlite3_bind_int64(ins, 5, (now - t0_ts) * 1000 + 1764547200000LL);
      sqlite3_bind_text(ins, 6, user, 36, SQLITE_STATIC);
      sqlite3_bind_text(ins, 7, session, 36, SQLITE_STATIC);
      sqlite3_bind_text(ins, 8, body_text, n, SQLITE_STATIC);
    }
    int step = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (step != SQLITE_DONE) {
      fprintf(stderr, "sqlite_layouts: insert: %s\n", sqlite3_errmsg(db));
      goto out;
    }
    if (sqlite3_changes(db) == 0) {
      duplicates++;
    } else if (body) {
      sqlite3_bind_int64(body, 1, 1);
      sqlite3_bind_text(body, 2, cat, -1, SQLITE_STATIC);
      sqlite3_bind_blob(body, 3, uuid, 16, SQLITE_STATIC);
      sqlite3_bind_int64(body, 4, ts);
      sqlite3_bind_int64(body, 5, (now - t0_ts) * 1000 + 1764547200000LL);
      sqlite3_bind_text(body, 6, user, 36, SQLITE_STATIC);
      sqlite3_bind_text(body, 7, session, 36, SQLITE_STATIC);
      sqlite3_bind_text(body, 8, body_text, n, SQLITE_STATIC);
      step = sqlite3_step(body);
      sqlite3_reset(body);
      if (step != SQLITE_DONE) {
        fprintf(stderr, "sqlite_layouts: insert body: %s\n", sqlite3_errmsg(db));
        goto out;
      }
    }
    if ((i + 1) % o->txn == 0 || i + 1 == o->rows) {
      if (exec(db, "COMMIT")) goto out;
      note_wal();
    }
    if ((i + 1) % o->step == 0 || i + 1 == o->rows) {
      double t = now_s();
      long long in_step = (i % o->step) + 1;
      rate[i / o->step] = (double)in_step / (t - t_step);
      t_step = t;
    }
  }
  double total = now_s() - t_start;
  atomic_store(&sampling, 0);
  if (sampler_started) pthread_join(sampler, NULL);
  sampler_started = 0;
  struct stat st;
  long long db_bytes = stat(path, &st) == 0 ? (long long)st.st_size : 0;
  printf("| %s | %s |", l->name, l->what);
  for (int s = 0; s < nsteps; s++) printf(" %.0f |", rate[s]);
  printf(" %.0f | %.2f | %.1f | %.0f |\n", (double)o->rows / total,
         nsteps > 1 && rate[0] > 0 ? rate[nsteps - 1] / rate[0] : 1.0,
         (double)atomic_load(&wal_peak) / 1e6, (double)db_bytes / 1e6);
  if (duplicates) fprintf(stderr, "sqlite_layouts: %s: %lld random duplicates\n", l->name, duplicates);
  fflush(stdout);
  rc = 0;
out:
  if (rc != 0 && db) fprintf(stderr, "sqlite_layouts: layout %s failed: %s\n", l->name, sqlite3_errmsg(db));
  atomic_store(&sampling, 0);
  if (sampler_started) pthread_join(sampler, NULL);
  sqlite3_finalize(ins);
  sqlite3_finalize(body);
  sqlite3_close(db);
  if (!o->keep) {
    unlink(path);
    unlink(wal_path);
    snprintf(sql, sizeof sql, "%s-shm", path);
    unlink(sql);
  }
  free(rate);
  return rc;
}

static int wanted(const char *list, const char *name) {
  if (!list) return 1;
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    size_t len = strcspn(p, ",");
    if (len == n && strncmp(p, name, n) == 0) return 1;
    p += len;
    if (*p == ',') p++;
  }
  return 0;
}

int main(int argc, char **argv) {
  options o = {.rows = 5000000, .step = 0, .txn = 5000, .sim_rate = 20000, .dir = NULL};
  static const struct option longopts[] = {
      {"rows", required_argument, NULL, 'r'},    {"step", required_argument, NULL, 's'},
      {"txn", required_argument, NULL, 't'},     {"sim-rate", required_argument, NULL, 'R'},
      {"dir", required_argument, NULL, 'd'},     {"layouts", required_argument, NULL, 'l'},
      {"keep", no_argument, NULL, 'k'},          {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    switch (c) {
      case 'r': o.rows = atoll(optarg); break;
      case 's': o.step = atoll(optarg); break;
      case 't': o.txn = atoll(optarg); break;
      case 'R': o.sim_rate = atoll(optarg); break;
      case 'd': o.dir = optarg; break;
      case 'l': o.which = optarg; break;
      case 'k': o.keep = 1; break;
      default:
        fprintf(c == 'h' ? stdout : stderr,
                "usage: sqlite_layouts [--rows N] [--step N] [--txn N] [--sim-rate R] [--dir DIR]"
                " [--layouts a,b,c,c60,d,e,c8k,a1k,c-ck10k,c-ck250] [--keep]\n");
        return c == 'h' ? 0 : 2;
    }
  }
  if (o.rows <= 0 || o.txn <= 0 || o.sim_rate <= 0) {
    fprintf(stderr, "sqlite_layouts: --rows, --txn and --sim-rate are positive\n");
    return 2;
  }
  if (o.step <= 0) o.step = o.rows >= 2000000 ? 1000000 : 500000 < o.rows ? 500000 : o.rows;
  char tmpdir[] = "/tmp/sqlite_layouts.XXXXXX";
  if (!o.dir && !(o.dir = mkdtemp(tmpdir))) {
    perror("sqlite_layouts: mkdtemp");
    return 1;
  }
  int nsteps = (int)((o.rows + o.step - 1) / o.step);
  printf("sqlite_layouts: SQLite %s, %lld rows in transactions of %lld, simulated clock %lld"
         " events/s, files in %s\n\n", sqlite3_libversion(), o.rows, o.txn, o.sim_rate, o.dir);
  printf("| layout | what | ");
  for (int s = 0; s < nsteps; s++)
    printf("%sto %.2gM rows/s |", s ? " " : "",
           (double)((s + 1) * o.step > o.rows ? o.rows : (s + 1) * o.step) / 1e6);
  printf(" overall rows/s | last/first | WAL peak MB | DB MB |\n| --- | --- |");
  for (int s = 0; s < nsteps; s++) printf(" ---: |");
  printf(" ---: | ---: | ---: | ---: |\n");
  fflush(stdout);
  int status = 0;
  for (size_t i = 0; i < NLAYOUTS; i++)
    if (wanted(o.which, layouts[i].name) && run_layout(&o, &layouts[i]) != 0) status = 1;
  if (!o.keep && o.dir == tmpdir) rmdir(tmpdir);
  return status;
}
