/* hmac.c: see hmac.h. */
#include "auth/hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "common/errors.h"

int ps_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                   unsigned char mac[PS_HMAC_SHA256_LEN]) {
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, mac, &len) ||
      len != PS_HMAC_SHA256_LEN)
    return PS_EIO;
  return PS_OK;
}

int ps_hmac_sha256_base64(const char *key, const void *msg, size_t msglen,
                          char out[PS_HMAC_BASE64_LEN + 1]) {
  unsigned char mac[PS_HMAC_SHA256_LEN];
  int rc = ps_hmac_sha256(key, strlen(key), msg, msglen, mac);
  if (rc != PS_OK) return rc;
  EVP_EncodeBlock((unsigned char *)out, mac, PS_HMAC_SHA256_LEN);
  return PS_OK;
}

int ps_hmac_sha256_base64_verify(const char *key, const void *msg, size_t msglen,
                                 const char *signature) {
  if (!signature) return 0;
  while (*signature == ' ' || *signature == '\t') signature++;
  size_t n = strlen(signature);
  while (n && (signature[n - 1] == ' ' || signature[n - 1] == '\t')) n--;
  if (n != PS_HMAC_BASE64_LEN) return 0;
  unsigned char given[PS_HMAC_BASE64_LEN]; /* decoded: 33 bytes incl. padding byte */
  if (EVP_DecodeBlock(given, (const unsigned char *)signature, (int)n) != 33) return 0;
  unsigned char mac[PS_HMAC_SHA256_LEN];
  if (ps_hmac_sha256(key, strlen(key), msg, msglen, mac) != PS_OK) return 0;
  return ps_secure_equal(mac, given, PS_HMAC_SHA256_LEN);
}

int ps_secure_equal(const void *a, const void *b, size_t n) {
  return CRYPTO_memcmp(a, b, n) == 0;
}
