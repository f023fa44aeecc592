/* api_token_auth.c: see api_token_auth.h. */
#include "auth/api_token_auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>
#include <strings.h>

#include "common/encoding.h"
#include "common/errors.h"

int ps_api_token_role_valid(const char *role) {
  return role && (strcmp(role, PS_API_ROLE_VIEWER) == 0 || strcmp(role, PS_API_ROLE_ADMIN) == 0);
}

int ps_api_token_role_grants(const char *held, const char *needed) {
  if (!ps_api_token_role_valid(held) || !ps_api_token_role_valid(needed)) return 0;
  return strcmp(held, needed) == 0 || strcmp(held, PS_API_ROLE_ADMIN) == 0;
}

void ps_api_token_hash(const char *token, char out[65]) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)token, strlen(token), digest);
  ps_hex_encode(digest, sizeof digest, out);
  OPENSSL_cleanse(digest, sizeof digest);
}

/* The token of a Bearer Authorization value (the scheme without regard to case, blanks
 * before the token skipped); NULL when it is not Bearer or the token is empty. */
static const char *bearer_token(const char *authorization) {
  if (!authorization || strncasecmp(authorization, "Bearer ", 7) != 0) return NULL;
  const char *token = authorization + 7;
  while (*token == ' ') token++;
  return *token ? token : NULL;
}

ps_api_auth_result ps_api_token_auth_check(ps_state_store *store, const char *authorization,
                                           const char *role) {
  const char *token = bearer_token(authorization);
  if (!token) return PS_API_AUTH_UNAUTHENTICATED;
  char hash[65], held[PS_ROLE_MAX] = "";
  ps_api_token_hash(token, hash);
  int rc = store->ops->api_token_check(store, hash, held);
  OPENSSL_cleanse(hash, sizeof hash);
  if (rc == PS_ENOTFOUND) return PS_API_AUTH_UNAUTHENTICATED;
  if (rc != PS_OK) return PS_API_AUTH_ERROR;
  held[PS_ROLE_MAX - 1] = '\0';
  return ps_api_token_role_grants(held, role) ? PS_API_AUTH_OK : PS_API_AUTH_FORBIDDEN;
}

int ps_api_token_auth_require(ps_request *req, ps_state_store *store, const char *role) {
  switch (ps_api_token_auth_check(store, ps_request_header(req, "Authorization"), role)) {
    case PS_API_AUTH_OK:
      return 0;
    case PS_API_AUTH_UNAUTHENTICATED:
      ps_request_add_header(req, "WWW-Authenticate", "Bearer realm=\"playstat\"");
      ps_request_respond_error(req, 401, "unauthorized",
                               "Authorization: Bearer <API token> is required "
                               "(playstat api-token create)");
      return -1;
    case PS_API_AUTH_FORBIDDEN:
      ps_request_respond_error(req, 403, "forbidden",
                               role && strcmp(role, PS_API_ROLE_ADMIN) == 0
                                   ? "this API token is a viewer's; this needs an admin token "
                                     "(playstat api-token create --role admin)"
                                   : "this API token's role may not do this");
      return -1;
    case PS_API_AUTH_ERROR:
      break;
  }
  ps_request_respond_error(req, 503, "unavailable", "the API tokens cannot be read, retry later");
  return -1;
}
