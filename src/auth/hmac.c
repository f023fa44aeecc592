/* hmac.c: see hmac.h. The per-thread key states of ps_hmac_sha256_keyed are EVP_MAC contexts
 * initialised once with their key; EVP_MAC_init() with a NULL key starts a new message under
 * the key already set (OpenSSL's HMAC provider keeps the hashed pads), which is what makes the
 * reuse cheap. They hang off a pthread key whose destructor frees and wipes them. */
#include "auth/hmac.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <pthread.h>
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

/* ---- keyed state kept per thread ---- */

typedef struct kept_key {
  EVP_MAC_CTX *ctx; /* NULL: slot empty */
  unsigned char key[PS_HMAC_KEEP_MAX];
  size_t keylen;
} kept_key;

typedef struct kept_keys {
  EVP_MAC *mac;
  kept_key slots[PS_HMAC_KEYS_PER_THREAD];
  unsigned next; /* the slot a new key replaces (round robin) */
} kept_keys;

static pthread_key_t kept_tls;
static pthread_once_t kept_once = PTHREAD_ONCE_INIT;
static int kept_ready;

static void kept_slot_clear(kept_key *k) {
  EVP_MAC_CTX_free(k->ctx);
  OPENSSL_cleanse(k, sizeof *k);
}

static void kept_free(void *arg) {
  kept_keys *t = arg;
  if (!t) return;
  for (size_t i = 0; i < PS_HMAC_KEYS_PER_THREAD; i++) kept_slot_clear(&t->slots[i]);
  EVP_MAC_free(t->mac);
  free(t);
}

static void kept_init(void) { kept_ready = pthread_key_create(&kept_tls, kept_free) == 0; }

/* The calling thread's kept keys, created on first use; NULL when they cannot be. */
static kept_keys *kept_of_thread(void) {
  pthread_once(&kept_once, kept_init);
  if (!kept_ready) return NULL;
  kept_keys *t = pthread_getspecific(kept_tls);
  if (t) return t;
  if (!(t = calloc(1, sizeof *t))) return NULL;
  if (!(t->mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) || pthread_setspecific(kept_tls, t) != 0) {
    kept_free(t);
    return NULL;
  }
  return t;
}

/* The slot whose context is keyed with key, keying a slot when none is; NULL on failure. */
static kept_key *kept_find(kept_keys *t, const void *key, size_t keylen) {
  kept_key *k;
  for (size_t i = 0; i < PS_HMAC_KEYS_PER_THREAD; i++) {
    k = &t->slots[i];
    if (k->ctx && k->keylen == keylen && CRYPTO_memcmp(k->key, key, keylen) == 0) {
      if (EVP_MAC_init(k->ctx, NULL, 0, NULL)) return k;
      kept_slot_clear(k);
      return NULL;
    }
  }
  k = &t->slots[t->next];
  t->next = (t->next + 1) % PS_HMAC_KEYS_PER_THREAD;
  kept_slot_clear(k);
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
                         OSSL_PARAM_construct_end()};
  if (!(k->ctx = EVP_MAC_CTX_new(t->mac)) ||
      !EVP_MAC_init(k->ctx, (const unsigned char *)key, keylen, params)) {
    kept_slot_clear(k);
    return NULL;
  }
  memcpy(k->key, key, keylen);
  k->keylen = keylen;
  return k;
}

int ps_hmac_sha256_keyed(const void *key, size_t keylen, const void *msg, size_t msglen,
                         unsigned char mac[PS_HMAC_SHA256_LEN]) {
  kept_keys *t = keylen <= PS_HMAC_KEEP_MAX ? kept_of_thread() : NULL;
  kept_key *k = t ? kept_find(t, key, keylen) : NULL;
  if (!k) return ps_hmac_sha256(key, keylen, msg, msglen, mac);
  size_t len = 0;
  if (!EVP_MAC_update(k->ctx, msg, msglen) ||
      !EVP_MAC_final(k->ctx, mac, &len, PS_HMAC_SHA256_LEN) || len != PS_HMAC_SHA256_LEN) {
    kept_slot_clear(k);
    return PS_EIO;
  }
  return PS_OK;
}
