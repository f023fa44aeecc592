/*
 * client.h: ClickHouse's HTTP interface (https://clickhouse.com/docs/en/interfaces/http), as
 * the ClickHouse event store speaks it: a statement per POST, answers in TabSeparated, errors
 * as ClickHouse's own text. libcurl; one connection kept per thread and server (keep-alive).
 *
 * Guarantees: a call returns 0 only when the server answered 200 (the statement ran whole; an
 * INSERT's rows are in the table: for a Distributed table the client sets
 * insert_distributed_sync=1, so they are on their shards). The password is sent as a header,
 * never in a URL, and never logged. Every call is safe from any thread.
 */
#ifndef PS_STORE_CLICKHOUSE_CLIENT_H
#define PS_STORE_CLICKHOUSE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* One ClickHouse server: where it is and who we are. */
typedef struct ps_ch_server {
  char host[256];
  int port;
  char user[128];
  char password[256];
} ps_ch_server;

/* Runs sql (any statement; SELECTs answer TabSeparated unless they say FORMAT) on server.
 * answer (may be NULL) receives the body of a 200. On failure returns PS_EIO (server error or
 * network), and err (may be NULL) receives ClickHouse's message (or curl's), at most errcap
 * bytes. timeout_ms: 0 for the default (60 s). */
int ps_ch_exec(const ps_ch_server *server, const char *sql, ps_buf *answer, char *err,
               size_t errcap, long timeout_ms);

/* INSERT of len bytes of rows: `INSERT INTO table FORMAT TabSeparated` with the rows as body. */
int ps_ch_insert(const ps_ch_server *server, const char *table, const char *rows, size_t len,
                 char *err, size_t errcap);

/* ---- SQL text ---- */

/* Appends s (len bytes) as a ClickHouse string literal, quotes included ('\'' and '\\'
 * escaped, control bytes as \xHH). */
int ps_ch_sql_string(ps_buf *b, const char *s, size_t len);
/* Appends s (NUL-terminated) as a TabSeparated field: \\ \t \n \r \0 escaped. */
int ps_ch_tsv_field(ps_buf *b, const char *s, size_t len);

/* The last day ClickHouse's Date holds (2106-02-07, days since 1970-01-01). */
#define PS_CH_LAST_DAY 49710

/* day (days since 1970-01-01, clamped to [0, PS_CH_LAST_DAY]) as "YYYY-MM-DD" into out: what a
 * Date column holds, in a TabSeparated row or in a SQL literal. */
void ps_ch_date_text(int64_t day, char out[11]);
/* Appends the UTC day of ms (clamped as above) as the SQL literal 'YYYY-MM-DD'. */
int ps_ch_sql_day(ps_buf *sql, int64_t ms);

/* ---- TabSeparated answers ---- */

/* Walks the rows of a TabSeparated answer. Fields are unescaped in place (the answer buffer is
 * changed) and NUL-terminated. */
typedef struct ps_ch_rows {
  char *next, *end;
  char *fields[64];
  size_t lens[64];
  size_t nfields;
} ps_ch_rows;

void ps_ch_rows_init(ps_ch_rows *r, ps_buf *answer);
/* The next row into r->fields (at most 64 fields); 0 at the end. */
int ps_ch_rows_next(ps_ch_rows *r);
/* Field i as an integer or a double (0 when absent; "nan"/"inf" as C reads them; "\N" is 0). */
int64_t ps_ch_field_int(const ps_ch_rows *r, size_t i);
double ps_ch_field_double(const ps_ch_rows *r, size_t i);
const char *ps_ch_field(const ps_ch_rows *r, size_t i); /* "" when absent */

#endif
