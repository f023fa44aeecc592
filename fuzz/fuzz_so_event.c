/*
 * fuzz_so_event.c: libFuzzer target for matchmaker session event validation
 * (ingest/sessions/event.h), fed as the session events endpoint feeds it: the body parsed by
 * jansson with duplicate keys refused, then one event or each element of an array.
 *
 * Checked on every input:
 * - PS_OK: the type is one of the eight, the timestamp was normalised in the body (RFC 3339,
 *   UTC, milliseconds) and parses back to ts_ms; every player slot is a non-empty JSON string
 *   inside the body, and the slots are exactly the strings at teams[].playerIds[] and
 *   players[].id, whatever the type (so the anonymiser overwrites every real id and nothing
 *   else);
 *   a match.created's gameMode was taken out of the body; the caller's value is left unchanged;
 * - PS_EINVAL: a NUL-terminated message starting with the field path, and no string of the
 *   input in it: the 400 answer names fields, never values (player ids);
 * - nothing else but PS_ENOMEM.
 * Run with `make fuzz`.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/rfc3339.h"
#include "ingest/sessions/event.h"

#include "fuzz_check.h"

/* Every player-id string of the event, in the order event.c lists them. */
static size_t expected_slots(json_t *event, json_t **out, size_t cap) {
  size_t n = 0, i, j;
  json_t *team, *id, *player;
  json_array_foreach(json_object_get(event, "teams"), i, team)
    json_array_foreach(json_object_get(team, "playerIds"), j, id) if (n < cap) out[n++] = id;
  json_array_foreach(json_object_get(event, "players"), i, player)
    if (n < cap) out[n++] = json_object_get(player, "id");
  return n;
}

/* A string no message of event.c could hold by itself: messages are field paths and words,
 * made of letters, digits, blanks and .,:;[]()_- only. */
static int foreign(const char *s, size_t n) {
  if (n < 4) return 0;
  for (size_t i = 0; i < n; i++)
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;[]()_-", s[i]) ||
        s[i] == '\0')
      return 1;
  return 0;
}

/* 1 if some foreign string of v (a key or a value) occurs in text. */
static int quotes_a_string(json_t *v, const char *text) {
  const char *key;
  json_t *item;
  size_t i;
  switch (json_typeof(v)) {
    case JSON_STRING:
      return foreign(json_string_value(v), json_string_length(v)) &&
             strstr(text, json_string_value(v)) != NULL;
    case JSON_ARRAY:
      json_array_foreach(v, i, item) if (quotes_a_string(item, text)) return 1;
      return 0;
    case JSON_OBJECT:
      json_object_foreach(v, key, item) {
        if ((foreign(key, strlen(key)) && strstr(text, key)) || quotes_a_string(item, text))
          return 1;
      }
      return 0;
    default:
      return 0;
  }
}

static void check_one(json_t *value) {
  char err[256];
  ps_so_event ev;
  char *before = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
  int rc = ps_so_event_parse(value, &ev, err, sizeof err);
  char *after = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
  CHECK(before && after && strcmp(before, after) == 0); /* the caller's value is intact */
  free(before);
  free(after);
  if (rc == PS_ENOMEM) return;
  if (rc != PS_OK) {
    CHECK(rc == PS_EINVAL);
    CHECK(strnlen(err, sizeof err) > 0 && strnlen(err, sizeof err) < sizeof err);
    /* Messages are built of field paths and fixed words: no value of the input appears. */
    CHECK(!quotes_a_string(value, err));
    return;
  }
  CHECK(ev.body && ev.type);
  json_t *ts = json_object_get(ev.body, "timestamp");
  CHECK(json_is_string(ts) && json_string_length(ts) == PS_RFC3339_LEN);
  int64_t back = 0;
  CHECK(ps_rfc3339_parse(json_string_value(ts), &back) == 0 && back == ev.ts_ms);
  if (strcmp(ev.type, "match.created") == 0) CHECK(json_object_get(ev.body, "gameMode") == NULL);
  json_t *slots[4096];
  size_t n = expected_slots(ev.body, slots, 4096);
  CHECK(n == ev.nplayer_slots || n == 4096);
  for (size_t i = 0; i < n && n < 4096; i++) { /* the same strings, in any order */
    size_t k = 0;
    while (k < ev.nplayer_slots && ev.player_slots[k] != slots[i]) k++;
    CHECK(k < ev.nplayer_slots);
    CHECK(json_is_string(slots[i]) && json_string_length(slots[i]) > 0);
  }
  for (size_t i = 0; i < ev.nticket_ids; i++) CHECK(ev.ticket_ids[i] != NULL);
  ps_so_event_free(&ev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  if (!root) return 0;
  if (json_is_array(root)) {
    size_t i;
    json_t *v;
    json_array_foreach(root, i, v) {
      if (i >= 64) break;
      check_one(v);
    }
  } else {
    check_one(root);
  }
  json_decref(root);
  return 0;
}
