/*
 * server.c: libmicrohttpd glue. See server.h and request.h.
 *
 * One ps_request per HTTP request, created on MHD's first call and freed by its
 * "request completed" notification. MHD calls the access handler:
 *   1. once with the headers (we create the request, check Content-Length),
 *   2. once per body chunk (we append, or count and discard past the limit),
 *   3. once when the body is complete (we route and call the handler),
 *   4. again after a deferred request is resumed (we queue the prepared answer).
 * A deferred answer is written by another thread before it calls MHD_resume_connection; MHD
 * re-enters the handler on its own thread afterwards, which orders the two (MHD's mutex).
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/log.h"
#include "http/request.h"

/* A body past the limit is read and discarded up to this many bytes so that the client sees
 * the 413 answer; past it the connection is answered at once and closed. */
#define DISCARD_CAP (16u * 1024 * 1024)

struct ps_server {
  struct MHD_Daemon *daemon;
  const ps_route *routes;
  size_t nroutes;
  ps_app *app;
  void (*on_request)(ps_app *app, size_t route, unsigned status);
  size_t max_body_bytes;
  atomic_int in_flight;
  atomic_int quiescing;
  uint16_t port;
};

struct ps_request {
  ps_server *server;
  struct MHD_Connection *conn;
  const char *method;
  const char *path;
  ps_buf body;
  size_t body_seen;
  int too_large;
  int dispatched;
  int deferred;
  size_t route;
  ps_route_params params;
  void *state;
  void (*free_state)(void *);
  /* The answer, once prepared. */
  int answered;
  unsigned status;
  const char *content_type;
  char *answer;
  size_t answer_len;
  unsigned retry_after_s;
  ps_buf extra_headers; /* "name\0value\0" pairs of ps_request_add_header() */
};

/* ---- request accessors ---- */

const char *ps_request_method(const ps_request *req) { return req->method; }
const char *ps_request_path(const ps_request *req) { return req->path; }
const ps_buf *ps_request_body(const ps_request *req) { return &req->body; }

const char *ps_request_param(const ps_request *req, size_t i) {
  return i < req->params.count ? req->params.values[i] : NULL;
}

const char *ps_request_header(ps_request *req, const char *name) {
  return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *ps_request_query(ps_request *req, const char *name) {
  return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

void ps_request_set_state(ps_request *req, void *state, void (*free_state)(void *)) {
  req->state = state;
  req->free_state = free_state;
}

void ps_request_defer(ps_request *req) {
  req->deferred = 1;
  MHD_suspend_connection(req->conn);
}

int ps_request_add_header(ps_request *req, const char *name, const char *value) {
  size_t used = req->extra_headers.len;
  if (ps_buf_append(&req->extra_headers, name, strlen(name) + 1) != PS_OK ||
      ps_buf_append(&req->extra_headers, value, strlen(value) + 1) != PS_OK) {
    req->extra_headers.len = used; /* no half pair */
    return PS_ENOMEM;
  }
  return PS_OK;
}

void ps_request_respond_owned(ps_request *req, unsigned status, const char *content_type,
                              char *body, size_t len, unsigned retry_after_s) {
  req->status = status;
  req->content_type = content_type;
  req->answer = body;
  req->answer_len = len;
  req->retry_after_s = retry_after_s;
  req->answered = 1;
  if (req->deferred) MHD_resume_connection(req->conn);
}

void ps_request_respond(ps_request *req, unsigned status, const char *content_type,
                        const char *body, size_t len, unsigned retry_after_s) {
  char *copy = malloc(len + 1);
  if (copy) {
    memcpy(copy, body, len);
    copy[len] = '\0';
  } else {
    status = 503;
    len = 0;
    retry_after_s = 1;
  }
  ps_request_respond_owned(req, status, content_type, copy, len, retry_after_s);
}

void ps_request_respond_json(ps_request *req, unsigned status, const char *json) {
  ps_request_respond(req, status, "application/json", json, strlen(json),
                     status == 503 || status == 429 ? 1 : 0);
}

void ps_request_respond_error(ps_request *req, unsigned status, const char *code,
                              const char *message) {
  ps_buf b = {0};
  if (ps_buf_append_str(&b, "{\"error\":") == PS_OK &&
      ps_buf_append_json_string(&b, code, strlen(code)) == PS_OK &&
      ps_buf_append_str(&b, ",\"message\":") == PS_OK &&
      ps_buf_append_json_string(&b, message, strlen(message)) == PS_OK &&
      ps_buf_append_str(&b, "}") == PS_OK) {
    size_t len = b.len;
    ps_request_respond_owned(req, status, "application/json", ps_buf_steal(&b), len,
                             status == 503 || status == 429 ? 1 : 0);
    return;
  }
  ps_buf_free(&b);
  ps_request_respond_json(req, 503, "{\"error\":\"out_of_memory\"}");
}

/* ---- MHD callbacks ---- */

static enum MHD_Result queue_answer(ps_request *req) {
  ps_server *s = req->server;
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      req->answer_len, req->answer ? req->answer : (char *)"", MHD_RESPMEM_MUST_FREE);
  req->answer = NULL; /* MHD owns it now (or it was NULL) */
  if (!resp) return MHD_NO;
  if (req->content_type) MHD_add_response_header(resp, "Content-Type", req->content_type);
  MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
  if (req->retry_after_s) {
    char seconds[16];
    snprintf(seconds, sizeof seconds, "%u", req->retry_after_s);
    MHD_add_response_header(resp, "Retry-After", seconds);
  }
  for (size_t at = 0; at < req->extra_headers.len;) {
    const char *name = req->extra_headers.data + at;
    const char *value = name + strlen(name) + 1;
    MHD_add_response_header(resp, name, value);
    at = (size_t)(value + strlen(value) + 1 - req->extra_headers.data);
  }
  if (atomic_load(&s->quiescing)) MHD_add_response_header(resp, "Connection", "close");
  if (s->on_request) s->on_request(s->app, req->route, req->status);
  enum MHD_Result rc = MHD_queue_response(req->conn, req->status, resp);
  MHD_destroy_response(resp);
  return rc;
}

static void answer_preflight(ps_request *req) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(0, (char *)"", MHD_RESPMEM_PERSISTENT);
  if (!resp) return;
  MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
  MHD_add_response_header(resp, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
  MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                          "Authorization, Content-Type, Content-Encoding, X-Modio-Platform, "
                          "X-Modio-Portal");
  MHD_add_response_header(resp, "Access-Control-Max-Age", "86400");
  MHD_queue_response(req->conn, 204, resp);
  MHD_destroy_response(resp);
}

static void dispatch(ps_request *req) {
  ps_server *s = req->server;
  size_t index = s->nroutes;
  ps_route_result found =
      ps_route_find(s->routes, s->nroutes, req->method, req->path, &index, &req->params);
  req->route = found == PS_ROUTE_NOT_FOUND ? s->nroutes : index;
  if (found == PS_ROUTE_NOT_FOUND) {
    ps_request_respond_error(req, 404, "not_found", "no such endpoint");
  } else if (found == PS_ROUTE_WRONG_METHOD) {
    ps_request_respond_error(req, 405, "method_not_allowed", "method not allowed here");
  } else if (req->too_large) {
    char msg[96];
    snprintf(msg, sizeof msg, "request body is larger than %zu bytes", s->max_body_bytes);
    ps_request_respond_error(req, 413, "payload_too_large", msg);
  } else {
    s->routes[index].handler(req, s->app);
  }
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls) {
  ps_server *s = cls;
  ps_request *req = *con_cls;
  if (!req) {
    req = calloc(1, sizeof *req);
    if (!req) return MHD_NO;
    req->server = s;
    req->conn = conn;
    req->method = method;
    req->path = url;
    req->route = s->nroutes;
    *con_cls = req;
    atomic_fetch_add(&s->in_flight, 1);
    const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (length && strtoull(length, NULL, 10) > s->max_body_bytes) req->too_large = 1;
    return MHD_YES;
  }
  if (*upload_data_size) {
    req->body_seen += *upload_data_size;
    if (!req->too_large && req->body.len + *upload_data_size > s->max_body_bytes) {
      req->too_large = 1;
      ps_buf_free(&req->body);
    }
    if (!req->too_large && ps_buf_append(&req->body, upload_data, *upload_data_size) != PS_OK)
      return MHD_NO;
    *upload_data_size = 0;
    if (!(req->too_large && req->body_seen > DISCARD_CAP)) return MHD_YES;
    /* Too much to discard politely: answer now; MHD closes the connection afterwards. */
  }
  if (req->answered) return queue_answer(req);
  if (req->dispatched) return MHD_YES; /* deferred and not answered yet */
  req->dispatched = 1;
  if (strcmp(method, "OPTIONS") == 0) {
    answer_preflight(req);
    return MHD_YES;
  }
  if (!req->body.data) ps_buf_append(&req->body, "", 0); /* an empty body is "" not NULL */
  dispatch(req);
  /* A deferred request is answered by another thread, which resumes the connection; MHD then
   * calls us again (step 4). Reading req->answered here would race with that thread. */
  if (req->deferred) return MHD_YES;
  return queue_answer(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code) {
  ps_server *s = cls;
  ps_request *req = *con_cls;
  if (!req) return;
  if (req->free_state) req->free_state(req->state);
  ps_buf_free(&req->body);
  ps_buf_free(&req->extra_headers);
  free(req->answer);
  free(req);
  *con_cls = NULL;
  atomic_fetch_sub(&s->in_flight, 1);
}

static void log_mhd(void *cls, const char *fmt, va_list ap) {
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n && line[n - 1] == '\n') line[--n] = '\0';
  ps_debug("http: %s", line);
}

/* Parses "host:port" / "[v6]:port" into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *addr) {
  char host[256];
  const char *colon = strrchr(listen, ':');
  if (!colon || colon == listen) return PS_EINVAL;
  size_t hlen = (size_t)(colon - listen);
  const char *h = listen;
  if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
    h++;
    hlen -= 2;
  }
  if (hlen >= sizeof host) return PS_EINVAL;
  memcpy(host, h, hlen);
  host[hlen] = '\0';
  char *end;
  unsigned long port = strtoul(colon + 1, &end, 10);
  if (*end || port > 65535 || end == colon + 1) return PS_EINVAL;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                           .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  char service[8];
  snprintf(service, sizeof service, "%lu", port);
  if (getaddrinfo(hlen ? host : NULL, service, &hints, &res) != 0 || !res) return PS_EINVAL;
  memcpy(addr, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  return PS_OK;
}

int ps_server_start(const ps_server_config *config, const ps_route *routes, size_t nroutes,
                    ps_app *app, void (*on_request)(ps_app *app, size_t route, unsigned status),
                    ps_server **out) {
  struct sockaddr_storage addr;
  memset(&addr, 0, sizeof addr);
  if (parse_listen(config->listen, &addr) != PS_OK) {
    ps_error_log("http: cannot parse listen address '%s' (want HOST:PORT)", config->listen);
    return PS_EINVAL;
  }
  ps_server *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  s->routes = routes;
  s->nroutes = nroutes;
  s->app = app;
  s->on_request = on_request;
  s->max_body_bytes = config->max_body_bytes ? config->max_body_bytes : 1024 * 1024;
  unsigned threads = config->threads;
  if (!threads) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cpus > 0 ? (unsigned)cpus : 2;
  }
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ERROR_LOG | MHD_USE_TURBO;
  if (addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  s->daemon = MHD_start_daemon(
      flags, 0, NULL, NULL, on_access, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
      MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
      MHD_OPTION_CONNECTION_TIMEOUT, config->idle_timeout_s ? config->idle_timeout_s : 60u,
      MHD_OPTION_CONNECTION_LIMIT, config->max_connections ? config->max_connections : 4096u,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE,
      1024u, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL, MHD_OPTION_END);
  if (!s->daemon) {
    ps_error_log("http: cannot listen on %s", config->listen);
    free(s);
    return PS_EIO;
  }
  const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
  s->port = info ? info->port : 0;
  *out = s;
  return PS_OK;
}

uint16_t ps_server_port(const ps_server *server) { return server->port; }

void ps_server_quiesce(ps_server *server) {
  atomic_store(&server->quiescing, 1);
  MHD_socket fd = MHD_quiesce_daemon(server->daemon);
  if (fd != MHD_INVALID_SOCKET) close(fd);
}

void ps_server_stop(ps_server *server, int grace_ms) {
  if (!server) return;
  for (int waited = 0; atomic_load(&server->in_flight) > 0 && waited < grace_ms; waited += 10) {
    struct timespec ts = {0, 10 * 1000000L};
    nanosleep(&ts, NULL);
  }
  if (atomic_load(&server->in_flight) > 0)
    ps_warn("http: closing %d unfinished request(s) at shutdown",
            atomic_load(&server->in_flight));
  MHD_stop_daemon(server->daemon);
  free(server);
}
