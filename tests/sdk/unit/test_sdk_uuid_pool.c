/* test_sdk_uuid_pool.c: the event_uuids' pool (sdk/event_text.h): the calls take the spare the
 * library's thread offered before they make random bytes themselves, each UUID is a v4 one
 * made from 16 bytes that are then zeroed, and an offer while a spare is ready changes
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "sdk/event_text.h"

static void calls_take_the_offered_spare_first(void **state) {
  (void)state;
  static ps_sdk_uuid_pool pool; /* zeroed: empty, no spare */
  static unsigned char offered[PS_SDK_UUID_POOL], other[PS_SDK_UUID_POOL];
  memset(offered, 0x11, sizeof offered);
  memset(other, 0x22, sizeof other);
  assert_true(ps_sdk_uuid_pool_wants(&pool));
  ps_sdk_uuid_pool_offer(&pool, offered);
  assert_false(ps_sdk_uuid_pool_wants(&pool));
  ps_sdk_uuid_pool_offer(&pool, other); /* a spare is ready: kept */
  char uuid[37];
  for (int i = 0; i < PS_SDK_UUID_POOL / 16; i++) {
    assert_int_equal(ps_sdk_uuid(&pool, uuid), PS_OK);
    assert_string_equal(uuid, "11111111-1111-4111-9111-111111111111"); /* version 4, variant */
  }
  assert_true(ps_sdk_uuid_pool_wants(&pool)); /* taken: the thread makes the next one */
  for (int i = 0; i < PS_SDK_UUID_POOL; i++) assert_int_equal(pool.bytes[pool.current][i], 0);
  ps_sdk_uuid_pool_offer(&pool, other);
  assert_int_equal(ps_sdk_uuid(&pool, uuid), PS_OK);
  assert_string_equal(uuid, "22222222-2222-4222-a222-222222222222");
  /* no spare when this one runs out: the call makes its own random bytes */
  for (int i = 1; i < PS_SDK_UUID_POOL / 16; i++) assert_int_equal(ps_sdk_uuid(&pool, uuid), PS_OK);
  assert_true(ps_sdk_uuid_pool_wants(&pool));
  char next[37];
  assert_int_equal(ps_sdk_uuid(&pool, uuid), PS_OK);
  assert_int_equal(ps_sdk_uuid(&pool, next), PS_OK);
  assert_string_not_equal(uuid, "22222222-2222-4222-a222-222222222222");
  assert_string_not_equal(uuid, next);
  assert_int_equal(uuid[14], '4');
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(calls_take_the_offered_spare_first)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
