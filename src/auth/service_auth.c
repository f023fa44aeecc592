/* service_auth.c: see service_auth.h. */
#include "auth/service_auth.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <string.h>
#include <strings.h>

#include "auth/hmac.h"
#include "common/encoding.h"
#include "common/errors.h"

#define MAX_CREDENTIALS 512

/* Decodes the base64 of "Basic <base64>" into out (NUL-terminated); its length or -1. */
static int decode_basic(const char *header, char *out, size_t cap) {
  if (!header || strncasecmp(header, "Basic ", 6) != 0) return -1;
  const char *b64 = header + 6;
  while (*b64 == ' ') b64++;
  size_t len = strlen(b64);
  while (len && b64[len - 1] == ' ') len--;
  if (len == 0 || len % 4 || len / 4 * 3 >= cap) return -1;
  int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)b64, (int)len);
  if (n < 0) return -1;
  /* EVP_DecodeBlock counts padding as zero bytes: take them off. */
  if (b64[len - 1] == '=') n--;
  if (b64[len - 2] == '=') n--;
  out[n] = 0;
  return (int)strlen(out) == n ? n : -1; /* no NUL inside */
}

ps_service_auth_result ps_service_auth_check(ps_store *store, const char *authorization,
                                             const char *project_id, const char *role) {
  char credentials[MAX_CREDENTIALS];
  if (decode_basic(authorization, credentials, sizeof credentials) < 0)
    return PS_SERVICE_AUTH_UNAUTHENTICATED;
  char *colon = strchr(credentials, ':');
  if (!colon || colon == credentials) return PS_SERVICE_AUTH_UNAUTHENTICATED;
  *colon = 0;
  const char *secret = colon + 1;
  ps_service_account account;
  int rc = strlen(credentials) < sizeof account.key_id
               ? store->ops->service_account_find(store, credentials, &account)
               : PS_ENOTFOUND;
  if (rc != PS_OK && rc != PS_ENOTFOUND) return PS_SERVICE_AUTH_ERROR;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  SHA256((const unsigned char *)secret, strlen(secret), digest);
  ps_hex_encode(digest, sizeof digest, hex);
  /* Unknown key ids compare against a hash no secret has, so they cost the same. */
  const char *stored = rc == PS_OK ? account.secret_sha256 : "----------------------------------------------------------------";
  int same = strlen(stored) == 64 && ps_secure_equal(hex, stored, 64);
  if (rc != PS_OK || !same) return PS_SERVICE_AUTH_UNAUTHENTICATED;
  if (strcmp(account.project_id, project_id) != 0 || strcmp(account.role, role) != 0)
    return PS_SERVICE_AUTH_FORBIDDEN;
  return PS_SERVICE_AUTH_OK;
}
