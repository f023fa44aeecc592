/* service_auth.c: see service_auth.h. */
#include "auth/service_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <strings.h>

#include "auth/hmac.h"
#include "common/encoding.h"
#include "common/errors.h"

/* What an unknown key id's secret is compared against: no SHA-256 is 64 zeros in practice. */
static const char dummy_hash[65] =
    "0000000000000000000000000000000000000000000000000000000000000000";

int ps_service_role_valid(const char *role) {
  return role && (strcmp(role, PS_SERVICE_ROLE_VIEWER) == 0 ||
                  strcmp(role, PS_SERVICE_ROLE_WRITER) == 0);
}

void ps_service_secret_hash(const void *secret, size_t len, char out[65]) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(secret, len, digest);
  ps_hex_encode(digest, sizeof digest, out);
}

/* The base64 credentials of a Basic Authorization value: the scheme is matched without regard
 * to case and blanks around the token are skipped. NULL when it is not Basic. */
static const char *basic_token(const char *authorization, size_t *len) {
  if (!authorization) return NULL;
  const char *p = authorization;
  while (*p == ' ' || *p == '\t') p++;
  if (strncasecmp(p, "Basic", 5) != 0 || (p[5] != ' ' && p[5] != '\t')) return NULL;
  p += 5;
  while (*p == ' ' || *p == '\t') p++;
  size_t n = strlen(p);
  while (n && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
  *len = n;
  return p;
}

ps_service_auth_result ps_service_auth_check(ps_state_store *store, const char *authorization,
                                             const char *project_id, const char *role,
                                             ps_service_account *account) {
  ps_service_auth_result result = PS_SERVICE_AUTH_UNAUTHENTICATED;
  unsigned char creds[PS_BASE64_DECODED_MAX(PS_SERVICE_AUTH_MAX_CREDENTIALS) + 1];
  char given_hash[65], key_id[sizeof account->key_id];
  ps_service_account found;
  size_t token_len = 0, len = 0;
  memset(&found, 0, sizeof found);
  const char *token = basic_token(authorization, &token_len);
  if (!token || token_len == 0 || token_len > PS_SERVICE_AUTH_MAX_CREDENTIALS ||
      ps_base64_decode(token, token_len, PS_BASE64_STD, creds, sizeof creds - 1, &len) != PS_OK)
    goto out;
  const unsigned char *colon = memchr(creds, ':', len);
  if (!colon || memchr(creds, '\0', len)) goto out;
  size_t key_len = (size_t)(colon - creds);
  const unsigned char *secret = colon + 1;
  size_t secret_len = len - key_len - 1;

  /* From here on the same work is done whether or not the key id exists. */
  int rc = PS_ENOTFOUND;
  if (key_len > 0 && key_len < sizeof key_id) {
    memcpy(key_id, creds, key_len);
    key_id[key_len] = '\0';
    rc = store->ops->service_account_find(store, key_id, &found);
  }
  if (rc != PS_OK && rc != PS_ENOTFOUND) {
    result = PS_SERVICE_AUTH_ERROR;
    goto out;
  }
  ps_service_secret_hash(secret, secret_len, given_hash);
  int equal = ps_secure_equal(given_hash, rc == PS_OK ? found.secret_sha256 : dummy_hash, 64);
  if (rc != PS_OK || !equal) goto out;

  result = PS_SERVICE_AUTH_FORBIDDEN;
  if (!project_id || strcmp(found.project_id, project_id) != 0 || !ps_service_role_valid(role) ||
      strcmp(found.role, role) != 0)
    goto out;
  result = PS_SERVICE_AUTH_OK;
  if (account) *account = found;
out:
  OPENSSL_cleanse(creds, sizeof creds);
  OPENSSL_cleanse(given_hash, sizeof given_hash);
  OPENSSL_cleanse(&found, sizeof found);
  return result;
}

int ps_service_auth_require(ps_request *req, ps_state_store *store, const char *project_id,
                            const char *role, ps_service_account *account) {
  switch (ps_service_auth_check(store, ps_request_header(req, "Authorization"), project_id,
                                role, account)) {
    case PS_SERVICE_AUTH_OK:
      return 0;
    case PS_SERVICE_AUTH_UNAUTHENTICATED:
      ps_request_respond_problem(req, 401, NULL,
                                 "Authorization: Basic base64(key_id:secret) of a service "
                                 "account is required (playstat service-account create)");
      return -1;
    case PS_SERVICE_AUTH_FORBIDDEN:
      ps_request_respond_problem(req, 403, NULL,
                                 role && strcmp(role, PS_SERVICE_ROLE_WRITER) == 0
                                     ? "this service account has no writer role on this project"
                                     : "this service account has no viewer role on this project");
      return -1;
    case PS_SERVICE_AUTH_ERROR:
      break;
  }
  ps_request_respond_problem(req, 503, NULL, "the service accounts cannot be read; try again");
  return -1;
}
