/* hmac.c: see hmac.h. A ps_hmac is an EVP_MAC context initialised once with its key;
 * EVP_MAC_init() with a NULL key starts a new message under the key already set (OpenSSL's HMAC
 * provider keeps the hashed pads), which is what makes the reuse cheap. The per-thread kept keys
 * (ps_hmac_kept) are such ps_hmacs, hanging off a pthread key whose destructor frees and wipes
 * them. */
#include "auth/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/thread_slot.h"

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

/* ---- keyed state kept per thread ---- */

typedef struct kept_key {
  ps_hmac *hmac; /* NULL: slot empty */
  unsigned char key[PS_HMAC_KEEP_MAX];
  size_t keylen;
} kept_key;

typedef struct kept_keys {
  kept_key slots[PS_HMAC_KEYS_PER_THREAD];
  unsigned next; /* the slot a new key replaces (round robin) */
} kept_keys;

static void kept_slot_clear(kept_key *k) {
  ps_hmac_free(k->hmac);
  OPENSSL_cleanse(k, sizeof *k);
}

static void kept_free(void *arg) {
  kept_keys *t = arg;
  if (!t) return;
  for (size_t i = 0; i < PS_HMAC_KEYS_PER_THREAD; i++) kept_slot_clear(&t->slots[i]);
  free(t);
}

static void *kept_make(void) { return calloc(1, sizeof(kept_keys)); }

static ps_thread_slot kept_slot = PS_THREAD_SLOT_INIT(kept_make, kept_free);

/* The calling thread's kept keys, created on first use; NULL when they cannot be. */
static kept_keys *kept_of_thread(void) { return ps_thread_slot_get(&kept_slot); }

ps_hmac *ps_hmac_kept(const void *key, size_t keylen) {
  kept_keys *t = keylen <= PS_HMAC_KEEP_MAX ? kept_of_thread() : NULL;
  if (!t) return NULL;
  kept_key *k;
  for (size_t i = 0; i < PS_HMAC_KEYS_PER_THREAD; i++) {
    k = &t->slots[i];
    if (k->hmac && k->keylen == keylen && CRYPTO_memcmp(k->key, key, keylen) == 0) return k->hmac;
  }
  k = &t->slots[t->next];
  t->next = (t->next + 1) % PS_HMAC_KEYS_PER_THREAD;
  kept_slot_clear(k);
  if (ps_hmac_create(key, keylen, &k->hmac) != PS_OK) return NULL;
  memcpy(k->key, key, keylen);
  k->keylen = keylen;
  return k->hmac;
}

int ps_hmac_sha256_keyed(const void *key, size_t keylen, const void *msg, size_t msglen,
                         unsigned char mac[PS_HMAC_SHA256_LEN]) {
  ps_hmac *h = ps_hmac_kept(key, keylen);
  if (!h) return ps_hmac_sha256(key, keylen, msg, msglen, mac);
  int rc = ps_hmac_begin(h);
  if (rc == PS_OK) rc = ps_hmac_update(h, msg, msglen);
  if (rc == PS_OK) rc = ps_hmac_end(h, mac);
  return rc;
}
