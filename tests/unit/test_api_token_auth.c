/* test_api_token_auth.c: bearer API-token checks by role (auth/api_token_auth.h) against a
 * store stand-in that knows two token hashes (a viewer's and an admin's) and records the hash
 * it was asked for: a viewer may read, an admin may read and administer, every way to be
 * unauthenticated is 401 whatever the role asked, a known token without the role is 403, a
 * role that does not exist grants nothing, a failing store is an error, and the store is
 * only ever given the token's SHA-256 (checked against a published test vector). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth/api_token_auth.h"
#include "common/errors.h"

/* SHA-256("abc") (FIPS 180-2, appendix B.1): the viewer's token is "abc". */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define VIEWER_TOKEN "abc"
#define ADMIN_TOKEN "pst_admin"

static char admin_hash[65];
static char asked[80];   /* the last hash the store was asked for */
static int store_calls;
static int store_fails;

static int fake_check(ps_state_store *s, const char *hash, char role[PS_ROLE_MAX]) {
  (void)s;
  store_calls++;
  snprintf(asked, sizeof asked, "%s", hash);
  if (store_fails) return PS_EIO;
  if (strcmp(hash, ABC_SHA256) == 0) {
    snprintf(role, PS_ROLE_MAX, "viewer");
    return PS_OK;
  }
  if (strcmp(hash, admin_hash) == 0) {
    snprintf(role, PS_ROLE_MAX, "admin");
    return PS_OK;
  }
  return PS_ENOTFOUND;
}

static const ps_state_store_ops fake_ops = {.name = "fake", .api_token_check = fake_check};
static ps_state_store fake = {.ops = &fake_ops};

static int setup(void **state) {
  (void)state;
  ps_api_token_hash(ADMIN_TOKEN, admin_hash);
  asked[0] = '\0';
  store_calls = 0;
  store_fails = 0;
  return 0;
}

static ps_api_auth_result check(const char *authorization, const char *role) {
  return ps_api_token_auth_check(&fake, authorization, role);
}

static void the_store_is_given_the_token_sha256(void **state) {
  (void)state;
  char hash[65];
  ps_api_token_hash("abc", hash);
  assert_string_equal(hash, ABC_SHA256);
  assert_int_equal(check("Bearer " VIEWER_TOKEN, PS_API_ROLE_VIEWER), PS_API_AUTH_OK);
  assert_string_equal(asked, ABC_SHA256);
  /* The hash itself is not a token: it is hashed again, and unknown. */
  assert_int_equal(check("Bearer " ABC_SHA256, PS_API_ROLE_VIEWER), PS_API_AUTH_UNAUTHENTICATED);
  assert_string_not_equal(asked, ABC_SHA256);
}

static void admin_implies_viewer_and_viewer_nothing_more(void **state) {
  (void)state;
  assert_int_equal(check("Bearer " VIEWER_TOKEN, PS_API_ROLE_VIEWER), PS_API_AUTH_OK);
  assert_int_equal(check("Bearer " VIEWER_TOKEN, PS_API_ROLE_ADMIN), PS_API_AUTH_FORBIDDEN);
  assert_int_equal(check("Bearer " ADMIN_TOKEN, PS_API_ROLE_VIEWER), PS_API_AUTH_OK);
  assert_int_equal(check("Bearer " ADMIN_TOKEN, PS_API_ROLE_ADMIN), PS_API_AUTH_OK);
  /* A role that does not exist grants nothing, to anyone known. */
  const char *const unknown_roles[] = {"writer", "", "Admin", "viewerx", NULL};
  for (size_t i = 0; i < sizeof unknown_roles / sizeof *unknown_roles; i++) {
    assert_int_equal(check("Bearer " VIEWER_TOKEN, unknown_roles[i]), PS_API_AUTH_FORBIDDEN);
    assert_int_equal(check("Bearer " ADMIN_TOKEN, unknown_roles[i]), PS_API_AUTH_FORBIDDEN);
  }
}

static void every_bad_credential_is_unauthenticated(void **state) {
  (void)state;
  const char *const bad[] = {NULL,
                             "",
                             "Bearer",
                             "Bearer ",
                             "Bearer    ",
                             "Bearer" VIEWER_TOKEN,
                             "Basic " VIEWER_TOKEN,
                             "Token " VIEWER_TOKEN,
                             VIEWER_TOKEN,
                             "Bearer " VIEWER_TOKEN "x",
                             "Bearer x" VIEWER_TOKEN,
                             "Bearer pst_unknown"};
  const char *const roles[] = {PS_API_ROLE_VIEWER, PS_API_ROLE_ADMIN, "writer", NULL};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    for (size_t r = 0; r < sizeof roles / sizeof *roles; r++)
      if (check(bad[i], roles[r]) != PS_API_AUTH_UNAUTHENTICATED)
        fail_msg("Authorization %s%s%s for role %s: not 401", bad[i] ? "'" : "",
                 bad[i] ? bad[i] : "absent", bad[i] ? "'" : "", roles[r] ? roles[r] : "NULL");
}

static void the_scheme_is_case_insensitive_and_blanks_before_the_token_skipped(void **state) {
  (void)state;
  const char *const good[] = {"bearer " VIEWER_TOKEN, "BEARER " VIEWER_TOKEN,
                              "bEaReR " VIEWER_TOKEN, "Bearer    " VIEWER_TOKEN};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    assert_int_equal(check(good[i], PS_API_ROLE_VIEWER), PS_API_AUTH_OK);
}

static void a_failing_store_is_an_error(void **state) {
  (void)state;
  store_fails = 1;
  assert_int_equal(check("Bearer " VIEWER_TOKEN, PS_API_ROLE_VIEWER), PS_API_AUTH_ERROR);
  assert_int_equal(check("Bearer " ADMIN_TOKEN, PS_API_ROLE_ADMIN), PS_API_AUTH_ERROR);
  /* No token never reaches the store. */
  int calls = store_calls;
  assert_int_equal(check(NULL, PS_API_ROLE_VIEWER), PS_API_AUTH_UNAUTHENTICATED);
  assert_int_equal(check("Bearer ", PS_API_ROLE_VIEWER), PS_API_AUTH_UNAUTHENTICATED);
  assert_int_equal(store_calls, calls);
}

static void roles_are_viewer_and_admin(void **state) {
  (void)state;
  assert_true(ps_api_token_role_valid("viewer"));
  assert_true(ps_api_token_role_valid("admin"));
  assert_false(ps_api_token_role_valid("writer"));
  assert_false(ps_api_token_role_valid("Viewer"));
  assert_false(ps_api_token_role_valid(""));
  assert_false(ps_api_token_role_valid(NULL));
  assert_true(ps_api_token_role_grants("admin", "viewer"));
  assert_true(ps_api_token_role_grants("admin", "admin"));
  assert_true(ps_api_token_role_grants("viewer", "viewer"));
  assert_false(ps_api_token_role_grants("viewer", "admin"));
  assert_false(ps_api_token_role_grants("writer", "writer"));
  assert_false(ps_api_token_role_grants("admin", "writer"));
  assert_false(ps_api_token_role_grants(NULL, "viewer"));
  assert_false(ps_api_token_role_grants("admin", NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup(the_store_is_given_the_token_sha256, setup),
      cmocka_unit_test_setup(admin_implies_viewer_and_viewer_nothing_more, setup),
      cmocka_unit_test_setup(every_bad_credential_is_unauthenticated, setup),
      cmocka_unit_test_setup(the_scheme_is_case_insensitive_and_blanks_before_the_token_skipped,
                             setup),
      cmocka_unit_test_setup(a_failing_store_is_an_error, setup),
      cmocka_unit_test_setup(roles_are_viewer_and_admin, setup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
