/* sqlite_case.h: what the SQLite store's own model tests share (test_sqlite_funnel_rollup.c,
 * test_sqlite_ltv_rollup.c, test_sqlite_group_totals.c): a fresh data directory with both
 * stores opened on it and one game created, reopening, and the removal at the end. A failure
 * fails the running cmocka test. (The store contract tests, which run every backend, have
 * their own fixture: store_fixture.h.) */
#ifndef PS_TESTS_SQLITE_CASE_H
#define PS_TESTS_SQLITE_CASE_H

#include "store/store.h"

#define SQLITE_CASE_DIR 64 /* the size of a case's directory name */

/* Makes /tmp/playstat-<tag>-XXXXXX into dir, opens the SQLite stores on it into s and creates
 * game *g named name (keys made from n, distinct per n). */
void sqlite_case_begin(char dir[SQLITE_CASE_DIR], ps_stores *s, ps_game *g, const char *tag,
                       const char *name, int n);
/* Opens the stores on dir into s (after ps_stores_close: what a restart does). */
void sqlite_case_open(const char *dir, ps_stores *s);
/* Closes the stores and removes dir. */
void sqlite_case_end(const char *dir, ps_stores *s);

#endif
