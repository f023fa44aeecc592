/* facts.c: see facts.h. One pass over the event's members, each looked up in a small table. */
#include "ingest/ga/facts.h"

#include <stddef.h>
#include <string.h>

#include "common/errors.h"

/* Where a member's value goes (extract's table). */
typedef enum {
  TO_FACT_STRING, /* a const char * of ps_event_facts, at offset */
  TO_EVENT_UUID,
  TO_USER_ID,
  TO_SESSION_ID,
  TO_CLIENT_TS,
  TO_AMOUNT,
  TO_VALUE, /* design's value */
  TO_LENGTH,
  TO_ATTEMPT_NUM,
} member_target;

typedef struct member_rule {
  const char *name;
  size_t len;
  member_target to;
  size_t offset; /* TO_FACT_STRING */
} member_rule;

#define FACT(name) {#name, sizeof #name - 1, TO_FACT_STRING, offsetof(ps_event_facts, name)}
#define FIELD(name, to) {#name, sizeof #name - 1, to, 0}
static const member_rule member_rules[] = {
    FIELD(event_uuid, TO_EVENT_UUID), FIELD(user_id, TO_USER_ID),
    FIELD(session_id, TO_SESSION_ID), FIELD(client_ts, TO_CLIENT_TS),
    FACT(platform), FACT(build), FACT(os_version), FACT(custom_01), FACT(custom_02),
    FACT(custom_03), FACT(currency), FIELD(amount, TO_AMOUNT), FIELD(length, TO_LENGTH),
    FACT(event_id), FIELD(value, TO_VALUE), FIELD(attempt_num, TO_ATTEMPT_NUM),
    FACT(severity), FACT(message), FACT(ad_action), FACT(ad_sdk_name), FACT(ad_type),
    FACT(ad_placement),
};

/* A string member's value, copied: 0 (and *out, NULL when v is not a string), or PS_ENOMEM. */
static int string_value(const ps_json_doc *d, ps_json_ref v, ps_ga_copy_fn copy, void *ctx,
                        const char **out) {
  size_t len;
  const char *s = ps_json_string(d, v, &len);
  *out = NULL;
  if (!s) return PS_OK;
  return (*out = copy(ctx, s, len)) ? PS_OK : PS_ENOMEM;
}

int ps_ga_extract(const ps_json_doc *d, ps_json_ref event, ps_record *r, ps_event_facts *f,
                  ps_ga_copy_fn copy, void *ctx) {
  int resource = strcmp(r->category, "resource") == 0;
  int design = strcmp(r->category, "design") == 0;
  int rc = PS_OK;
  for (ps_json_ref k = ps_json_member_first(d, event); k && rc == PS_OK;
       k = ps_json_member_next(d, event, k)) {
    size_t keylen;
    const char *key = ps_json_string(d, k, &keylen);
    const member_rule *m = NULL;
    for (size_t i = 0; i < sizeof member_rules / sizeof *member_rules; i++) {
      if (member_rules[i].len == keylen && memcmp(member_rules[i].name, key, keylen) == 0) {
        m = &member_rules[i];
        break;
      }
    }
    if (!m) continue;
    ps_json_ref v = ps_json_member_value(d, k);
    ps_json_type t = ps_json_type_of(d, v);
    switch (m->to) {
    case TO_FACT_STRING:
      rc = string_value(d, v, copy, ctx, (const char **)((char *)f + m->offset));
      break;
    case TO_EVENT_UUID: rc = string_value(d, v, copy, ctx, &r->event_uuid); break;
    case TO_USER_ID: rc = string_value(d, v, copy, ctx, &r->user_id); break;
    case TO_SESSION_ID: rc = string_value(d, v, copy, ctx, &r->session_id); break;
    case TO_CLIENT_TS:
      r->has_client_ts = ps_json_is_number(d, v);
      f->client_ts_is_integer = t == PS_JSON_INTEGER;
      r->client_ts = t == PS_JSON_INTEGER ? ps_json_integer(d, v) : (int64_t)ps_json_number(d, v);
      break;
    case TO_AMOUNT:
      f->has_amount = t == PS_JSON_INTEGER;
      f->amount = ps_json_integer(d, v);
      if (resource) {
        f->has_value = ps_json_is_number(d, v);
        f->value = ps_json_number(d, v);
      }
      break;
    case TO_VALUE:
      if (design) {
        f->has_value = ps_json_is_number(d, v);
        f->value = ps_json_number(d, v);
      }
      break;
    case TO_LENGTH:
      f->has_length = t == PS_JSON_INTEGER;
      f->length = ps_json_integer(d, v);
      break;
    case TO_ATTEMPT_NUM:
      f->has_attempt_num = t == PS_JSON_INTEGER;
      f->attempt_num = ps_json_integer(d, v);
      break;
    }
  }
  return rc;
}

