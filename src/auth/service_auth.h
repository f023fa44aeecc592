/*
 * service_auth.h: HTTP Basic authentication of service accounts (session observability).
 *
 * "Authorization: Basic base64(key_id:secret)" (the secret may contain ':'; the first one
 * splits). The secret's SHA-256 is compared with the stored one in constant time, and an
 * unknown key id costs the same work, so timing reveals neither. Secrets are never logged.
 */
#ifndef PS_AUTH_SERVICE_AUTH_H
#define PS_AUTH_SERVICE_AUTH_H

#include "store/store.h"

typedef enum {
  PS_SERVICE_AUTH_OK,
  PS_SERVICE_AUTH_UNAUTHENTICATED, /* no, malformed or wrong credentials: 401 */
  PS_SERVICE_AUTH_FORBIDDEN,       /* valid, but another project or role: 403 */
  PS_SERVICE_AUTH_ERROR,           /* the store failed: 503 */
} ps_service_auth_result;

/* Whether authorization (the header's value, may be NULL) names a service account that holds
 * role ("viewer" or "writer") on project_id. */
ps_service_auth_result ps_service_auth_check(ps_store *store, const char *authorization,
                                             const char *project_id, const char *role);

#endif
