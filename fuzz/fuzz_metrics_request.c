/*
 * fuzz_metrics_request.c: libFuzzer target for the metrics-session request decoder
 * (ingest/metrics/request.h), JSON and form bodies, and the session hash over what it decoded.
 *
 * Input: byte 0 picks the kind (start, heartbeat, end) and the Content-Type (JSON, form, JSON
 * with parameters, an unsupported one); the rest is the body. Checked on every input:
 * - a result is one of the enum's; only PS_MSESSION_OK leaves anything to free;
 * - PS_MSESSION_OK: every field is present and within its bounds (session id and nonce 1 to
 *   PS_MSESSION_MAX_TEXT bytes without NUL, 64 hex digits of hash, a ts of digits matching its
 *   millisecond value, an order id >= 1), and a start's ids_text is exactly its mod ids joined
 *   by commas (what the hash covers), 1 to PS_MSESSION_MAX_MODS of them, each >= 1;
 * - PS_MSESSION_INVALID_FIELDS: 1 to PS_MSESSION_MAX_ERRORS errors, each field named once, with
 *   NUL-terminated texts (the 422 answer is bounded whatever the body).
 * Run with `make fuzz`.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/metrics/request.h"
#include "ingest/metrics/session_hash.h"

#include "fuzz_check.h"

static const char *const content_types[] = {
    "application/json", "application/x-www-form-urlencoded", "application/json; charset=utf-8",
    "text/plain"};

static void check_text(const char *text, size_t cap) {
  size_t n = strnlen(text, cap);
  CHECK(n > 0 && n < cap);
}

static void check_ok(const ps_msession_request *r) {
  check_text(r->session_id, sizeof r->session_id);
  check_text(r->nonce, sizeof r->nonce);
  CHECK(strlen(r->hash) == 64);
  for (size_t i = 0; i < 64; i++) CHECK(strchr("0123456789abcdefABCDEF", r->hash[i]));
  size_t digits = strnlen(r->ts_text, sizeof r->ts_text);
  CHECK(digits >= 9 && digits <= 14);
  for (size_t i = 0; i < digits; i++) CHECK(r->ts_text[i] >= '0' && r->ts_text[i] <= '9');
  long long ts = strtoll(r->ts_text, NULL, 10);
  CHECK(r->ts_ms == (digits <= 11 ? ts * 1000 : ts));
  CHECK(r->order_id >= 1);
  if (r->kind != PS_MSESSION_START) {
    CHECK(r->mod_ids == NULL && r->ids_text == NULL && r->nmods == 0);
    return;
  }
  CHECK(r->nmods >= 1 && r->nmods <= PS_MSESSION_MAX_MODS && r->ids_text);
  /* ids_text is the mod ids joined by "," (leading zeros as sent are allowed: compare values) */
  const char *p = r->ids_text;
  for (size_t i = 0; i < r->nmods; i++) {
    char *end;
    CHECK(r->mod_ids[i] >= 1);
    long long v = strtoll(p, &end, 10);
    CHECK(end > p && v == r->mod_ids[i]);
    CHECK(*end == (i + 1 < r->nmods ? ',' : '\0'));
    p = end + (*end == ',');
  }
  char hash[PS_SESSION_HASH_HEX_LEN + 1];
  CHECK(ps_session_hash("982dcdd0-3802-4f1f-87b0-e32b06481f27", r->ids_text, r->ts_text,
                        r->session_id, r->nonce, hash) == 0);
  CHECK(ps_session_hash_verify("982dcdd0-3802-4f1f-87b0-e32b06481f27", r->ids_text, r->ts_text,
                               r->session_id, r->nonce, hash) == 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  ps_msession_kind kind = (ps_msession_kind)(data[0] % 3);
  const char *type = content_types[(data[0] / 3) % 4];
  ps_msession_request r;
  ps_field_errors errors;
  ps_msession_parse_result rc =
      ps_msession_request_parse(kind, type, (const char *)data + 1, size - 1, &r, &errors);
  switch (rc) {
    case PS_MSESSION_OK:
      CHECK(r.kind == kind);
      check_ok(&r);
      ps_msession_request_free(&r);
      break;
    case PS_MSESSION_INVALID_FIELDS:
      CHECK(errors.count >= 1 && errors.count <= PS_MSESSION_MAX_ERRORS);
      for (size_t i = 0; i < errors.count; i++) {
        check_text(errors.items[i].field, sizeof errors.items[i].field);
        check_text(errors.items[i].message, sizeof errors.items[i].message);
        for (size_t j = 0; j < i; j++) CHECK(strcmp(errors.items[i].field, errors.items[j].field));
      }
      CHECK(r.mod_ids == NULL && r.ids_text == NULL);
      break;
    case PS_MSESSION_BAD_CONTENT_TYPE:
      CHECK(strcmp(type, "text/plain") == 0);
      break;
    case PS_MSESSION_MALFORMED: /* JSON that does not parse, or a form that is not UTF-8 */
      break;
    case PS_MSESSION_TOO_LARGE:
      CHECK(size - 1 > PS_MSESSION_MAX_BODY);
      break;
    case PS_MSESSION_NO_MEMORY:
      break;
    default:
      CHECK(!"unexpected result");
  }
  return 0;
}
