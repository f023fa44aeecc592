/*
 * service_auth.h: HTTP Basic authentication of service accounts, the credentials of the
 * session observability API (`playstat service-account create` issues them).
 *
 * A request carries Authorization: Basic base64(key_id ":" secret). The account of key_id
 * holds one role on one project (a game's project_id):
 *   viewer  may read the project's sessions ("Multiplayer Session Details Viewer");
 *   writer  may post the project's session events (the matchmaker).
 * Roles are strict: neither includes the other.
 *
 * What a check guarantees:
 * - no, malformed or wrong credentials (no header, another scheme, bad base64, no ':', an
 *   unknown key id, a wrong secret) are UNAUTHENTICATED (401), whatever the project and role;
 *   only the first ':' splits, so a secret may hold ':';
 * - valid credentials of an account of another project, or of the other role, are FORBIDDEN
 *   (403);
 * - the secret is compared as SHA-256(secret) against the stored hash with CRYPTO_memcmp, and
 *   the hash and comparison happen for unknown key ids too (against a dummy), so the time taken
 *   does not tell which key ids exist;
 * - nothing is logged, and the decoded credentials are wiped from the stack afterwards.
 */
#ifndef PS_AUTH_SERVICE_AUTH_H
#define PS_AUTH_SERVICE_AUTH_H

#include "http/request.h"
#include "store/state.h"

#define PS_SERVICE_ROLE_VIEWER "viewer"
#define PS_SERVICE_ROLE_WRITER "writer"

/* Longest Authorization value (after "Basic ") that can succeed, in base64 characters. */
#define PS_SERVICE_AUTH_MAX_CREDENTIALS 1024

typedef enum {
  PS_SERVICE_AUTH_OK,              /* 2xx: go on */
  PS_SERVICE_AUTH_UNAUTHENTICATED, /* 401 */
  PS_SERVICE_AUTH_FORBIDDEN,       /* 403 */
  PS_SERVICE_AUTH_ERROR,           /* 503: the store failed */
} ps_service_auth_result;

/* 1 when role is PS_SERVICE_ROLE_VIEWER or PS_SERVICE_ROLE_WRITER, else 0. */
int ps_service_role_valid(const char *role);

/* Writes what the store keeps of a secret: the lowercase hex SHA-256 of its len bytes. */
void ps_service_secret_hash(const void *secret, size_t len, char out[65]);

/* Checks authorization (the Authorization header's value, NULL when absent) for role on
 * project_id. On PS_SERVICE_AUTH_OK fills *account when account is not NULL. A role that is
 * not valid is FORBIDDEN for everyone. Safe from any thread (the store's guarantee). */
ps_service_auth_result ps_service_auth_check(ps_state_store *store, const char *authorization,
                                             const char *project_id, const char *role,
                                             ps_service_account *account);

/* For route handlers: checks the request's Authorization header. Returns 0 when the request
 * may go on (and fills *account when not NULL; nothing is answered), else answers it with the
 * RFC 7807 problem (401 with WWW-Authenticate, 403, or 503 with Retry-After) and returns -1;
 * the handler then returns without answering again. */
int ps_service_auth_require(ps_request *req, ps_state_store *store, const char *project_id,
                            const char *role, ps_service_account *account);

#endif
