/*
 * api_token_auth.h: bearer authentication of read-API tokens (`playstat api-token create`
 * issues them), and authorisation by the token's role.
 *
 * A request carries Authorization: Bearer <token>. The state store keeps only the lowercase
 * hex SHA-256 of each token, with one role:
 *   viewer  reads metrics (GET /api/v1/...);
 *   admin   everything a viewer may, and also deletes players and exports raw data.
 * admin implies viewer; viewer implies nothing else. Tokens made before roles existed are
 * viewers (the store's upgrade says so).
 *
 * What a check guarantees:
 * - no header, another scheme, an empty token or a token the store does not know are
 *   UNAUTHENTICATED (401), whatever the role asked;
 * - a known token whose role does not grant the role asked is FORBIDDEN (403); so is every
 *   token when the role asked is not one of the above;
 * - the token itself is never compared: the store looks up SHA-256(token) (an index lookup of
 *   a hash, which tells nothing about the token's bytes), and the token's hash is wiped from
 *   the stack afterwards; nothing is logged;
 * - a store that fails is ERROR (503), never a pass.
 */
#ifndef PS_AUTH_API_TOKEN_AUTH_H
#define PS_AUTH_API_TOKEN_AUTH_H

#include "http/request.h"
#include "store/state.h"

#define PS_API_ROLE_VIEWER "viewer"
#define PS_API_ROLE_ADMIN "admin"

typedef enum {
  PS_API_AUTH_OK,              /* go on */
  PS_API_AUTH_UNAUTHENTICATED, /* 401 */
  PS_API_AUTH_FORBIDDEN,       /* 403 */
  PS_API_AUTH_ERROR,           /* 503: the store failed */
} ps_api_auth_result;

/* 1 when role is PS_API_ROLE_VIEWER or PS_API_ROLE_ADMIN, else 0 (NULL included). */
int ps_api_token_role_valid(const char *role);

/* 1 when a token holding role held may do what needed asks (admin implies viewer), else 0. */
int ps_api_token_role_grants(const char *held, const char *needed);

/* Writes what the store keeps of a token: the lowercase hex SHA-256 of its bytes. */
void ps_api_token_hash(const char *token, char out[65]);

/* Checks authorization (the Authorization header's value, NULL when absent) for role. Safe
 * from any thread (the store's guarantee). */
ps_api_auth_result ps_api_token_auth_check(ps_state_store *store, const char *authorization,
                                           const char *role);

/* For route handlers: checks the request's Authorization header for role. Returns 0 when the
 * request may go on (nothing is answered); else answers it in the read API's error format
 * ({"error", "message"}: 401 "unauthorized" with WWW-Authenticate: Bearer, 403 "forbidden",
 * or 503 "unavailable") and returns -1; the handler then returns without answering again. */
int ps_api_token_auth_require(ps_request *req, ps_state_store *store, const char *role);

#endif
