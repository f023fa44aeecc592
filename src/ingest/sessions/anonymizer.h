/*
 * anonymizer.h: real player ids -> "Player 1", "Player 2", ... per multiplayer session.
 *
 * Within one session, each distinct player id gets the next number in order of first arrival,
 * and keeps it in every later event of that session. The map is keyed not by the id but by
 * HMAC-SHA256(session salt, id): the salt is random per session, so the same player in two
 * sessions leaves unrelated hashes and gets independent numbers, and the store (which keeps the
 * salt and the hashes with the session, deleting them with it) never holds a real id.
 *
 * One mutex serialises the decisions for all sessions, so concurrent requests of one session
 * never give two players the same number. A decision applies at once; if its commit then fails,
 * ps_so_anonymizer_finish(.., 0) drops the session from memory and the store (the truth) is
 * read again on next use. Sessions idle for an hour are dropped from memory.
 *
 * Several nodes (a store shared by them, state.h `shared`): the mutex serialises one node
 * only. A node reads a cached session from the store again before it numbers a player it does
 * not know (another node may have numbered it, or taken the next number), and the store
 * refuses a record numbered against what another node committed first (the request is
 * answered 503, its session dropped from memory, and the resend numbered from the store). So
 * every node serves the same "Player N" for one player of one session.
 */
#ifndef PS_INGEST_SESSIONS_ANONYMIZER_H
#define PS_INGEST_SESSIONS_ANONYMIZER_H

#include <stddef.h>

#include "ingest/sessions/event.h"
#include "store/state.h"

/* The most distinct players one session may name (a match has tens): it bounds a session's
 * state in memory and in the store, and the cost of numbering a player. */
#define PS_SO_MAX_PLAYERS_PER_SESSION 1000

typedef struct ps_so_anonymizer ps_so_anonymizer;

/* What anonymising one event produced: the players it names (hash, number), in order. */
typedef struct ps_so_anonymized {
  ps_so_player *players;
  char (*hashes)[65]; /* storage of players[i].hash */
  size_t nplayers;
} ps_so_anonymized;

int ps_so_anonymizer_create(ps_state_store *store, ps_so_anonymizer **out);
void ps_so_anonymizer_free(ps_so_anonymizer *a);

/* Replaces every player id slot of the n events (of one session) by its "Player N", fills
 * out[i] for events[i] (free each with ps_so_anonymized_free) and the session's salt (65
 * bytes). Returns 0, PS_ETOOBIG when the session would name more than
 * PS_SO_MAX_PLAYERS_PER_SESSION distinct players, PS_ENOMEM or the store's error (then
 * nothing changed). */
int ps_so_anonymizer_apply(ps_so_anonymizer *a, const ps_so_key *key, ps_so_event *events,
                           size_t n, ps_so_anonymized *out, char *salt);
/* committed: 1 when the events' records are durable, 0 when their commit failed. */
void ps_so_anonymizer_finish(ps_so_anonymizer *a, const ps_so_key *key, int committed);
void ps_so_anonymized_free(ps_so_anonymized *x);

#endif
