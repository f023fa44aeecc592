/* test_store_lifecycle.c: placeholder while the lifecycle cases are written. */
#include "store_fixture.h"

static void nothing(void **state) { (void)state; }

int main(void) {
  const struct CMUnitTest cases[] = {cmocka_unit_test_setup_teardown(nothing, setup, teardown)};
  return fixture_run("store lifecycle", cases, 1);
}
