/*
 * access.h: who may use the session observability API, and how it says no.
 *
 * Every request carries HTTP Basic service-account credentials (`playstat service-account`)
 * or a read-API token (Authorization: Bearer, `playstat api-token create`, the dashboard's
 * sign-in). Writes (the matchmaker's events) need the project's writer service account; reads
 * the project's viewer service account ("Multiplayer Session Details Viewer") or any API token
 * (viewer or admin: a token reads every game, so every project). A token never writes (403). Errors are RFC 7807 application/problem+json
 * (ps_request_respond_problem).
 */
#ifndef PS_OBSERVABILITY_ACCESS_H
#define PS_OBSERVABILITY_ACCESS_H

#include "app/app.h"
#include "http/request.h"

typedef enum { PS_SO_VIEWER, PS_SO_WRITER } ps_so_role;

/* 0 when the request's credentials hold role on project_id; else answers 401 (no or bad
 * credentials), 403 (another project or role) or 503, and returns -1. */
int ps_so_authorize(ps_request *req, ps_app *app, const char *project_id, ps_so_role role);

/* 503 with Retry-After: the ingest queue is full. */
void ps_so_respond_busy(ps_request *req);

#endif
