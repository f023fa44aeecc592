/* hmac.c: see hmac.h. */
#include "auth/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <stdlib.h>
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
  if (rc == PS_OK) EVP_EncodeBlock((unsigned char *)out, mac, PS_HMAC_SHA256_LEN);
  return rc;
}

struct ps_hmac {
  EVP_MAC_CTX *ctx; /* keyed; EVP_MAC_init without a key starts a message under the same key */
};

int ps_hmac_create(const void *key, size_t keylen, ps_hmac **out) {
  static const unsigned char no_key[1];
  ps_hmac *h = calloc(1, sizeof *h);
  EVP_MAC *mac = h ? EVP_MAC_fetch(NULL, "HMAC", NULL) : NULL;
  int rc = h ? PS_EIO : PS_ENOMEM;
  if (mac) h->ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                         OSSL_PARAM_construct_end()};
  /* an empty key is a key (HMAC pads it), not "keep the previous one" */
  if (h && h->ctx && EVP_MAC_init(h->ctx, keylen ? key : no_key, keylen, params)) {
    *out = h;
    return PS_OK;
  }
  ps_hmac_free(h);
  return rc;
}

void ps_hmac_free(ps_hmac *h) {
  if (!h) return;
  EVP_MAC_CTX_free(h->ctx);
  free(h);
}

int ps_hmac_begin(ps_hmac *h) { return EVP_MAC_init(h->ctx, NULL, 0, NULL) ? PS_OK : PS_EIO; }

int ps_hmac_update(ps_hmac *h, const void *data, size_t len) {
  return EVP_MAC_update(h->ctx, data, len) ? PS_OK : PS_EIO;
}

int ps_hmac_end(ps_hmac *h, unsigned char mac[PS_HMAC_SHA256_LEN]) {
  size_t len = 0;
  return EVP_MAC_final(h->ctx, mac, &len, PS_HMAC_SHA256_LEN) && len == PS_HMAC_SHA256_LEN
             ? PS_OK
             : PS_EIO;
}

int ps_hmac_base64(ps_hmac *h, const void *msg, size_t msglen, char out[PS_HMAC_BASE64_LEN + 1]) {
  unsigned char mac[PS_HMAC_SHA256_LEN];
  int rc = ps_hmac_begin(h);
  if (rc == PS_OK) rc = ps_hmac_update(h, msg, msglen);
  if (rc == PS_OK) rc = ps_hmac_end(h, mac);
  if (rc == PS_OK) EVP_EncodeBlock((unsigned char *)out, mac, PS_HMAC_SHA256_LEN);
  return rc;
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
