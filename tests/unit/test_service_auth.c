/* test_service_auth.c: HTTP Basic service-account checks (auth/service_auth.h) against a real
 * SQLite store in a temporary directory: every way to be unauthenticated (401), forbidden
 * (403) for another project or role, allowed for the right one, and a failing store (503).
 * Credentials are encoded here with OpenSSL's own base64 encoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "auth/service_auth.h"
#include "common/errors.h"
#include "store/store.h"

#define PROJECT "11111111-1111-4111-8111-111111111111"
#define OTHER_PROJECT "22222222-2222-4222-8222-222222222222"
#define VIEWER_KEY "aaaaaaaa-0000-4000-8000-000000000001"
#define WRITER_KEY "aaaaaaaa-0000-4000-8000-000000000002"
#define OTHER_KEY "aaaaaaaa-0000-4000-8000-000000000003"
#define COLON_KEY "aaaaaaaa-0000-4000-8000-000000000004"
#define UNKNOWN_KEY "aaaaaaaa-0000-4000-8000-0000000000ff"
#define SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define COLON_SECRET "se:cr:et"

static char dir[256];
static ps_stores stores;
static ps_state_store *store;

static void add_account(const char *key_id, const char *project, const char *role,
                        const char *secret) {
  ps_service_account a = {0};
  snprintf(a.key_id, sizeof a.key_id, "%s", key_id);
  snprintf(a.project_id, sizeof a.project_id, "%s", project);
  snprintf(a.role, sizeof a.role, "%s", role);
  ps_service_secret_hash(secret, strlen(secret), a.secret_sha256);
  assert_int_equal(store->ops->service_account_create(store, &a), PS_OK);
}

static int setup(void **state) {
  snprintf(dir, sizeof dir, "/tmp/playstat-service-auth-XXXXXX");
  assert_non_null(mkdtemp(dir));
  const char *why;
  assert_int_equal(ps_stores_open(dir, NULL, NULL, &stores, &why), PS_OK);
  store = stores.state;
  add_account(VIEWER_KEY, PROJECT, PS_SERVICE_ROLE_VIEWER, SECRET);
  add_account(WRITER_KEY, PROJECT, PS_SERVICE_ROLE_WRITER, SECRET);
  add_account(OTHER_KEY, OTHER_PROJECT, PS_SERVICE_ROLE_VIEWER, SECRET);
  add_account(COLON_KEY, PROJECT, PS_SERVICE_ROLE_VIEWER, COLON_SECRET);
  return 0;
}

static int teardown(void **state) {
  ps_stores_close(&stores);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd);
}

/* "<scheme>base64(user_pass[0..len))" into out. */
static char *basic_n(char *out, const char *scheme, const char *user_pass, size_t len) {
  size_t n = strlen(scheme);
  memcpy(out, scheme, n);
  EVP_EncodeBlock((unsigned char *)out + n, (const unsigned char *)user_pass, (int)len);
  return out;
}

static char *basic(char *out, const char *user_pass) {
  return basic_n(out, "Basic ", user_pass, strlen(user_pass));
}

static ps_service_auth_result check(const char *authorization, const char *project,
                                    const char *role) {
  return ps_service_auth_check(store, authorization, project, role, NULL);
}

#define VIEWER_CREDS VIEWER_KEY ":" SECRET

static void the_right_account_is_allowed(void **state) {
  char h[256];
  ps_service_account got;
  memset(&got, 0, sizeof got);
  assert_int_equal(ps_service_auth_check(store, basic(h, VIEWER_CREDS), PROJECT,
                                         PS_SERVICE_ROLE_VIEWER, &got),
                   PS_SERVICE_AUTH_OK);
  assert_string_equal(got.key_id, VIEWER_KEY);
  assert_string_equal(got.project_id, PROJECT);
  assert_string_equal(got.role, "viewer");
  assert_int_equal(check(basic(h, WRITER_KEY ":" SECRET), PROJECT, PS_SERVICE_ROLE_WRITER),
                   PS_SERVICE_AUTH_OK);
  assert_int_equal(check(basic(h, OTHER_KEY ":" SECRET), OTHER_PROJECT, PS_SERVICE_ROLE_VIEWER),
                   PS_SERVICE_AUTH_OK);
}

static void every_bad_credential_is_unauthenticated(void **state) {
  char h[4096];
  const ps_service_auth_result U = PS_SERVICE_AUTH_UNAUTHENTICATED;
  const char *role = PS_SERVICE_ROLE_VIEWER;
  assert_int_equal(check(NULL, PROJECT, role), U);                      /* no header */
  assert_int_equal(check("", PROJECT, role), U);
  assert_int_equal(check(basic_n(h, "Bearer ", VIEWER_CREDS, strlen(VIEWER_CREDS)), PROJECT,
                         role),
                   U);                                                  /* another scheme */
  assert_int_equal(check(basic_n(h, "Basic", VIEWER_CREDS, strlen(VIEWER_CREDS)), PROJECT,
                         role),
                   U);                                                  /* "Basicxyz" */
  assert_int_equal(check(basic_n(h, "Digest ", VIEWER_CREDS, strlen(VIEWER_CREDS)), PROJECT,
                         role),
                   U);
  assert_int_equal(check("Basic", PROJECT, role), U);                   /* no token */
  assert_int_equal(check("Basic    ", PROJECT, role), U);
  assert_int_equal(check("Basic !!!!", PROJECT, role), U);              /* bad base64 */
  assert_int_equal(check("Basic Zg=", PROJECT, role), U);               /* bad padding */
  /* blanks inside the token */
  basic(h, VIEWER_CREDS);
  memmove(h + 11, h + 10, strlen(h + 10) + 1);
  h[10] = ' ';
  assert_int_equal(check(h, PROJECT, role), U);
  /* The base64url spelling of credentials whose standard spelling has a '/': refused even
   * when the account exists with that secret. */
  add_account(UNKNOWN_KEY, PROJECT, PS_SERVICE_ROLE_VIEWER, "\xff\xff\xff\xff\xff\xff");
  basic(h, UNKNOWN_KEY ":\xff\xff\xff\xff\xff\xff");
  assert_int_equal(check(h, PROJECT, role), PS_SERVICE_AUTH_OK);
  assert_non_null(strchr(h, '/'));
  for (char *c = h; *c; c++) *c = *c == '/' ? '_' : *c == '+' ? '-' : *c;
  assert_int_equal(check(h, PROJECT, role), U);
  assert_int_equal(store->ops->service_account_delete(store, UNKNOWN_KEY), PS_OK);
  assert_int_equal(check(basic(h, VIEWER_KEY SECRET), PROJECT, role), U);      /* no colon */
  assert_int_equal(check(basic(h, UNKNOWN_KEY ":" SECRET), PROJECT, role), U); /* unknown key */
  assert_int_equal(check(basic(h, VIEWER_KEY ":" SECRET "0"), PROJECT, role), U); /* wrong */
  assert_int_equal(check(basic(h, VIEWER_KEY ":" "0" SECRET), PROJECT, role), U);
  assert_int_equal(check(basic(h, VIEWER_KEY ":"), PROJECT, role), U);         /* empty secret */
  assert_int_equal(check(basic(h, ":" SECRET), PROJECT, role), U);             /* empty key */
  assert_int_equal(check(basic(h, VIEWER_KEY "x:" SECRET), PROJECT, role), U); /* key too long */
  /* the secret's hash instead of the secret */
  char hash[65], creds[200];
  ps_service_secret_hash(SECRET, strlen(SECRET), hash);
  snprintf(creds, sizeof creds, "%s:%s", VIEWER_KEY, hash);
  assert_int_equal(check(basic(h, creds), PROJECT, role), U);
  /* a NUL inside the decoded credentials */
  static const char with_nul[] = VIEWER_KEY ":" SECRET "\0x";
  assert_int_equal(check(basic_n(h, "Basic ", with_nul, sizeof with_nul - 1), PROJECT, role), U);
  /* longer than PS_SERVICE_AUTH_MAX_CREDENTIALS */
  char long_creds[1000];
  snprintf(long_creds, sizeof long_creds, "%s:%s", VIEWER_KEY, SECRET);
  memset(long_creds + strlen(long_creds), 'x', sizeof long_creds - strlen(long_creds) - 1);
  long_creds[sizeof long_creds - 1] = '\0';
  assert_true(strlen(basic(h, long_creds)) - 6 > PS_SERVICE_AUTH_MAX_CREDENTIALS);
  assert_int_equal(check(h, PROJECT, role), U);
  /* Bad credentials stay 401 whatever the project and role asked for. */
  assert_int_equal(check(basic(h, VIEWER_KEY ":nope"), OTHER_PROJECT, PS_SERVICE_ROLE_WRITER), U);
  assert_int_equal(check(basic(h, UNKNOWN_KEY ":" SECRET), OTHER_PROJECT, "admin"), U);
}

static void another_project_or_role_is_forbidden(void **state) {
  char h[256];
  const ps_service_auth_result F = PS_SERVICE_AUTH_FORBIDDEN;
  assert_int_equal(check(basic(h, VIEWER_CREDS), OTHER_PROJECT, PS_SERVICE_ROLE_VIEWER), F);
  assert_int_equal(check(basic(h, OTHER_KEY ":" SECRET), PROJECT, PS_SERVICE_ROLE_VIEWER), F);
  /* Strict roles: a viewer cannot write, a writer cannot read. */
  assert_int_equal(check(basic(h, VIEWER_CREDS), PROJECT, PS_SERVICE_ROLE_WRITER), F);
  assert_int_equal(check(basic(h, WRITER_KEY ":" SECRET), PROJECT, PS_SERVICE_ROLE_VIEWER), F);
  /* A role that does not exist, or no project, grants nothing. */
  assert_int_equal(check(basic(h, VIEWER_CREDS), PROJECT, "admin"), F);
  assert_int_equal(check(basic(h, VIEWER_CREDS), PROJECT, NULL), F);
  assert_int_equal(check(basic(h, VIEWER_CREDS), NULL, PS_SERVICE_ROLE_VIEWER), F);
  assert_int_equal(check(basic(h, VIEWER_CREDS), "", PS_SERVICE_ROLE_VIEWER), F);
}

static void only_the_first_colon_splits(void **state) {
  char h[256];
  assert_int_equal(check(basic(h, COLON_KEY ":" COLON_SECRET), PROJECT, PS_SERVICE_ROLE_VIEWER),
                   PS_SERVICE_AUTH_OK);
  assert_int_equal(check(basic(h, COLON_KEY ":se"), PROJECT, PS_SERVICE_ROLE_VIEWER),
                   PS_SERVICE_AUTH_UNAUTHENTICATED);
  assert_int_equal(check(basic(h, COLON_KEY ":se:cr"), PROJECT, PS_SERVICE_ROLE_VIEWER),
                   PS_SERVICE_AUTH_UNAUTHENTICATED);
}

static void the_scheme_is_case_insensitive_and_blanks_are_skipped(void **state) {
  static const char *const schemes[] = {"basic ", "BASIC ", "bAsIc ", "Basic\t", "  Basic   "};
  char h[256];
  for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
    assert_int_equal(check(basic_n(h, schemes[i], VIEWER_CREDS, strlen(VIEWER_CREDS)), PROJECT,
                           PS_SERVICE_ROLE_VIEWER),
                     PS_SERVICE_AUTH_OK);
  strcat(basic(h, VIEWER_CREDS), "  ");
  assert_int_equal(check(h, PROJECT, PS_SERVICE_ROLE_VIEWER), PS_SERVICE_AUTH_OK);
  /* Padding is optional (the decoder's rule); these credentials (101 bytes) take one '='. */
  basic(h, VIEWER_CREDS);
  assert_int_equal(h[strlen(h) - 1], '=');
  h[strlen(h) - 1] = '\0';
  assert_int_equal(check(h, PROJECT, PS_SERVICE_ROLE_VIEWER), PS_SERVICE_AUTH_OK);
}

static void the_stored_hash_is_sha256_hex(void **state) {
  char hash[65];
  ps_service_secret_hash("abc", 3, hash);
  assert_string_equal(hash, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ps_service_account a;
  assert_int_equal(store->ops->service_account_find(store, VIEWER_KEY, &a), PS_OK);
  ps_service_secret_hash(SECRET, strlen(SECRET), hash);
  assert_string_equal(a.secret_sha256, hash);
  assert_null(strstr(a.secret_sha256, SECRET));
}

/* A store whose service-account lookups fail. */
static int failing_find(ps_state_store *s, const char *key_id, ps_service_account *out) {
  return PS_EIO;
}

static void a_failing_store_is_an_error(void **state) {
  ps_state_store_ops ops = {.name = "failing", .service_account_find = failing_find};
  ps_state_store failing = {.ops = &ops};
  char h[256];
  assert_int_equal(ps_service_auth_check(&failing, basic(h, VIEWER_CREDS), PROJECT,
                                         PS_SERVICE_ROLE_VIEWER, NULL),
                   PS_SERVICE_AUTH_ERROR);
  /* Malformed credentials never reach the store. */
  assert_int_equal(ps_service_auth_check(&failing, "Basic !!!!", PROJECT, PS_SERVICE_ROLE_VIEWER,
                                         NULL),
                   PS_SERVICE_AUTH_UNAUTHENTICATED);
}

static void roles_are_viewer_and_writer(void **state) {
  assert_true(ps_service_role_valid("viewer"));
  assert_true(ps_service_role_valid("writer"));
  assert_false(ps_service_role_valid("Viewer"));
  assert_false(ps_service_role_valid("admin"));
  assert_false(ps_service_role_valid(""));
  assert_false(ps_service_role_valid(NULL));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(the_right_account_is_allowed, setup, teardown),
      cmocka_unit_test_setup_teardown(every_bad_credential_is_unauthenticated, setup, teardown),
      cmocka_unit_test_setup_teardown(another_project_or_role_is_forbidden, setup, teardown),
      cmocka_unit_test_setup_teardown(only_the_first_colon_splits, setup, teardown),
      cmocka_unit_test_setup_teardown(the_scheme_is_case_insensitive_and_blanks_are_skipped,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(the_stored_hash_is_sha256_hex, setup, teardown),
      cmocka_unit_test(a_failing_store_is_an_error),
      cmocka_unit_test(roles_are_viewer_and_writer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
