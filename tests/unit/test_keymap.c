/* test_keymap.c: the intrusive (scope, name) hash map (common/keymap.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/keymap.h"

typedef struct item {
  int value;
  ps_keymap_entry key;
  char name[16];
} item;

static int released;

static void release(ps_keymap_entry *e) {
  released++;
  free(ps_keymap_owner(e, item, key));
}

static item *make(int64_t scope, const char *name, int value) {
  item *it = calloc(1, sizeof *it);
  snprintf(it->name, sizeof it->name, "%s", name);
  it->key.scope = scope;
  it->key.name = it->name;
  it->value = value;
  return it;
}

static int is_odd(ps_keymap_entry *e, void *ctx) {
  return ps_keymap_owner(e, item, key)->value % 2;
}

static void keys_are_scope_and_name(void **state) {
  ps_keymap map;
  assert_int_equal(ps_keymap_init(&map, 3), 0); /* few buckets: chains get exercised */
  char name[16];
  for (int i = 0; i < 50; i++) {
    snprintf(name, sizeof name, "k%d", i % 25);
    ps_keymap_insert(&map, &make(i / 25, name, i)->key);
  }
  ps_keymap_entry *e = ps_keymap_find(&map, 1, "k3");
  assert_non_null(e);
  assert_int_equal(ps_keymap_owner(e, item, key)->value, 28);
  assert_int_equal(ps_keymap_owner(ps_keymap_find(&map, 0, "k3"), item, key)->value, 3);
  assert_null(ps_keymap_find(&map, 2, "k3"));
  assert_null(ps_keymap_find(&map, 0, "k3x"));
  e = ps_keymap_remove(&map, 0, "k3");
  assert_non_null(e);
  release(e);
  assert_null(ps_keymap_find(&map, 0, "k3"));
  assert_non_null(ps_keymap_find(&map, 1, "k3"));
  released = 0;
  ps_keymap_sweep(&map, is_odd, NULL, release); /* odd values of 0..49 but the removed 3 */
  assert_int_equal(released, 24);
  assert_null(ps_keymap_find(&map, 1, "k0")); /* value 25 */
  assert_non_null(ps_keymap_find(&map, 0, "k0"));
  released = 0;
  ps_keymap_destroy(&map, release);
  assert_int_equal(released, 25); /* 50 - 1 removed - 24 swept */
}

/* A map of 4 buckets holding 10,000 entries grows, and keeps every entry findable through
 * the growth, removals and a sweep. */
static void the_map_grows(void **state) {
  (void)state;
  ps_keymap map;
  assert_int_equal(ps_keymap_init(&map, 4), 0);
  char name[16];
  for (int i = 0; i < 10000; i++) {
    snprintf(name, sizeof name, "k%d", i);
    ps_keymap_insert(&map, &make(i % 3, name, i)->key);
  }
  assert_true(map.count == 10000);
  assert_true(map.nbuckets >= 4096);
  for (int i = 0; i < 10000; i++) {
    snprintf(name, sizeof name, "k%d", i);
    ps_keymap_entry *e = ps_keymap_find(&map, i % 3, name);
    assert_non_null(e);
    assert_int_equal(ps_keymap_owner(e, item, key)->value, i);
  }
  snprintf(name, sizeof name, "k%d", 42);
  release(ps_keymap_remove(&map, 0, name));
  assert_null(ps_keymap_find(&map, 0, name));
  assert_true(map.count == 9999);
  ps_keymap_sweep(&map, is_odd, NULL, release);
  assert_true(map.count == 4999);
  ps_keymap_destroy(&map, release);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(keys_are_scope_and_name),
                                     cmocka_unit_test(the_map_grows)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
