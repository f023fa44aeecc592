/*
 * document.h: the session document of the read API, as in the seed's sample:
 *
 *   {"allocation": {"completedAt", "regionId", "requestedAt", "status"} | null,
 *    "createdAt", "environmentId", "gameMode": {"poolId", "poolName", "queueId",
 *    "queueName"} | null, "matchmakingStatus", "projectId", "sessionEvents": [...],
 *    "sessionId", "updatedAt"}
 *
 * Times are RFC 3339 UTC with milliseconds. createdAt: the earliest match.created (else the
 * earliest event); updatedAt: the latest event. allocation: the latest allocation.requested
 * (regionId, requestedAt) and, when the latest allocation.succeeded / allocation.failed is not
 * older, status "Allocated" / "Failed" with completedAt; else status "Requested". An
 * allocation outcome without any request keeps its status and completedAt only.
 * matchmakingStatus: "OpenBackfilling" once a backfill event was seen, else
 * "OpenNotBackfilling". sessionEvents: in timestamp order, as stored (anonymised).
 */
#ifndef PS_OBSERVABILITY_DOCUMENT_H
#define PS_OBSERVABILITY_DOCUMENT_H

#include "common/buf.h"
#include "store/events.h"

/* Appends the document of the session key to b. Returns 0, PS_ENOTFOUND (also when the
 * session was created before min_created_ms: expired), PS_ENOMEM or the store's error. */
int ps_so_document_render(ps_event_store *store, const ps_so_key *key, int64_t min_created_ms,
                          ps_buf *b);

#endif
