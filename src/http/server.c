/*
 * server.c: libmicrohttpd glue. See server.h and request.h.
 *
 * Why one MHD daemon per event thread: with MHD's own thread pool every worker polls one
 * shared listening socket, and under load one worker took nearly every connection (0.56
 * cores against 0.01 in a batch-100 run). Each daemon here has a listening socket of its own,
 * all bound to the same address with SO_REUSEPORT, so the kernel spreads new connections
 * over the threads. Limits that must hold for the whole server (connections, connections per
 * client address, header and body deadlines) live in one ps_guard (guard.h) that every
 * daemon consults; framing rules MHD lacks are in framing.h.
 *
 * One ps_request per HTTP request, created on MHD's first call and freed by its
 * "request completed" notification. MHD calls the access handler:
 *   1. once with the headers (we create the request, check the framing, the header size and
 *      Content-Length; a request that fails is answered at once and its connection closed),
 *   2. once per body chunk (we append, or count and discard past the limit),
 *   3. once when the body is complete (we route and call the handler),
 *   4. again after a deferred request is resumed (we queue the prepared answer).
 * A deferred answer is written by another thread before it calls MHD_resume_connection; MHD
 * re-enters the handler on its own thread afterwards, which orders the two (MHD's mutex).
 */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/log.h"
#include "http/access_log.h"
#include "http/forwarded.h"
#include "http/framing.h"
#include "http/guard.h"
#include "http/request.h"

/* A body past the limit is read and discarded up to this many bytes so that the client sees
 * the 413 answer; past it the connection is answered at once and closed. */
#define DISCARD_CAP (16u * 1024 * 1024)

/* MHD's memory per connection: the request's headers (at most PS_HTTP_MAX_HEADER_BYTES, a
 * larger one is answered 431 by us or, when it does not even fit, by MHD) plus room to build
 * the answer's headers. With 16 KiB, headers just under the limit left no room for any answer
 * and MHD closed the connection silently. Not more: MHD 0.9.75 clears the whole pool after
 * every request (a memset of this size; 36 KiB cost 7% of the CPU at batch 1).
 * Known gap: headers whose end falls within the pool's last ~130 bytes (about 20,100-20,230
 * bytes of headers) still get no answer, as MHD has no room left to build one and closes;
 * below the gap we answer 431, above it MHD does. */
#define CONNECTION_MEMORY (PS_HTTP_MAX_HEADER_BYTES + 4096)

#define MAX_DAEMONS 256

struct ps_server {
  struct MHD_Daemon *daemons[MAX_DAEMONS];
  unsigned ndaemons;
  int tls;
  char *tls_cert, *tls_key; /* PEM, read whole; MHD reads them when a daemon starts */
  ps_guard *guard;
  ps_access_log *access_log;
  ps_cidr *trusted_proxies; /* X-Forwarded-For is read from these peers (forwarded.h) */
  size_t ntrusted_proxies;
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
  ps_guard_conn *guarded;
  struct timespec started; /* headers complete */
  int64_t game_id;         /* ps_request_note_game; -1 unknown */
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
  int sent;                 /* the answer was queued; answer_len stays its size */
  int close_after;          /* Connection: close (a framing error) */
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

void ps_request_note_game(ps_request *req, int64_t game_id) { req->game_id = game_id; }

/* Appends one X-Forwarded-For value to the list (a ps_buf), comma-separated. */
static enum MHD_Result add_forwarded(void *cls, enum MHD_ValueKind kind, const char *name,
                                     const char *value) {
  (void)kind;
  ps_buf *list = cls;
  if (!value || strcasecmp(name, "X-Forwarded-For") != 0) return MHD_YES;
  if ((list->len && ps_buf_append(list, ",", 1) != PS_OK) ||
      ps_buf_append(list, value, strlen(value)) != PS_OK)
    return MHD_NO;
  return MHD_YES;
}

int ps_request_client_address(ps_request *req, ps_ip_address *out) {
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  ps_ip_address peer;
  if (!info || ps_ip_from_sockaddr(info->client_addr, &peer) != PS_OK) return PS_ENOTFOUND;
  *out = peer;
  const ps_server *s = req->server;
  if (!s->ntrusted_proxies) return PS_OK;
  ps_buf list = {0};
  MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_forwarded, &list);
  *out = ps_forwarded_client(s->trusted_proxies, s->ntrusted_proxies, &peer, list.data, list.len);
  ps_buf_free(&list);
  return PS_OK;
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
  /* A 431's headers barely left room in the connection's memory: only what it must carry. */
  int lean = req->status == 431;
  if (req->content_type && !lean)
    MHD_add_response_header(resp, "Content-Type", req->content_type);
  if (!lean) MHD_add_response_header(resp, "Access-Control-Allow-Origin", "*");
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
  if (req->close_after || atomic_load(&s->quiescing))
    MHD_add_response_header(resp, "Connection", "close");
  if (s->on_request) s->on_request(s->app, req->route, req->status);
  req->sent = 1;
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
  req->status = 204;
  req->sent = 1;
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

static enum MHD_Result add_framing(void *cls, enum MHD_ValueKind kind, const char *name,
                                   const char *value) {
  (void)kind;
  ps_framing_add(cls, name, value ? value : "");
  return MHD_YES;
}

/* The checks on complete headers. Returns 1 when req has been answered (an error: the
 * connection closes after it), 0 to go on reading the body. */
static int first_call(ps_request *req) {
  ps_server *s = req->server;
  ps_framing framing = {0};
  MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_framing, &framing);
  const char *why = ps_framing_verdict(&framing);
  const union MHD_ConnectionInfo *size =
      MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
  if (!why && size && size->header_size > PS_HTTP_MAX_HEADER_BYTES) {
    char msg[96];
    snprintf(msg, sizeof msg, "the request's headers are larger than %u bytes",
             PS_HTTP_MAX_HEADER_BYTES);
    req->close_after = 1;
    req->dispatched = 1;
    ps_request_respond_error(req, 431, "header_too_large", msg);
    return 1;
  }
  if (why) {
    req->close_after = 1;
    req->dispatched = 1;
    ps_request_respond_error(req, 400, "bad_framing", why);
    return 1;
  }
  if (framing.content_lengths) {
    if (framing.content_length > s->max_body_bytes) req->too_large = 1;
    else if (framing.content_length) /* one allocation; without memory the appends say so */
      (void)ps_buf_reserve(&req->body, framing.content_length + 1);
  }
  return 0;
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
    req->game_id = -1;
    clock_gettime(CLOCK_MONOTONIC, &req->started);
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    req->guarded = info ? info->socket_context : NULL;
    ps_guard_phase(req->guarded, PS_GUARD_BODY);
    *con_cls = req;
    atomic_fetch_add(&s->in_flight, 1);
    return first_call(req) ? queue_answer(req) : MHD_YES;
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
  ps_guard_phase(req->guarded, PS_GUARD_HANDLER);
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

static enum MHD_Result add_query_name(void *cls, enum MHD_ValueKind kind, const char *name,
                                      const char *value) {
  (void)kind;
  (void)value;
  ps_access_entry *e = cls;
  if (e->nquery == 16) return MHD_NO;
  ((const char **)e->query_names)[e->nquery++] = name;
  return MHD_YES;
}

/* One access-log line for req (see access_log.h for what is and is not written). */
static void log_access(ps_server *s, ps_request *req) {
  const char *names[16];
  char client[INET6_ADDRSTRLEN] = "-";
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  const union MHD_ConnectionInfo *info =
      MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info && info->client_addr) {
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET)
      inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, client, sizeof client);
    else if (sa->sa_family == AF_INET6)
      inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, client, sizeof client);
  }
  ps_access_entry e = {.client = client, .method = req->method, .path = req->path,
                       .query_names = names, .status = req->sent ? req->status : 0,
                       .bytes = req->sent ? req->answer_len : 0, .game_id = req->game_id};
  if (req->route < s->nroutes && strstr(s->routes[req->route].pattern, "{}")) {
    e.path = s->routes[req->route].pattern; /* its parameters may be keys */
    e.path_is_pattern = 1;
  }
  MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, add_query_name, &e);
  e.micros = (long long)(now.tv_sec - req->started.tv_sec) * 1000000 +
             (now.tv_nsec - req->started.tv_nsec) / 1000;
  ps_access_log_write(s->access_log, &e);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code) {
  (void)conn;
  (void)code;
  ps_server *s = cls;
  ps_request *req = *con_cls;
  if (!req) return;
  if (s->access_log) log_access(s, req);
  ps_guard_phase(req->guarded, PS_GUARD_IDLE);
  if (req->free_state) req->free_state(req->state);
  ps_buf_free(&req->body);
  ps_buf_free(&req->extra_headers);
  free(req->answer);
  free(req);
  *con_cls = NULL;
  atomic_fetch_sub(&s->in_flight, 1);
}

/* Registers every connection with the guard (its deadlines) and unregisters it before MHD
 * closes its socket. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
  ps_server *s = cls;
  if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
    ps_guard_close(s->guard, *socket_context);
    *socket_context = NULL;
    return;
  }
  const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  const union MHD_ConnectionInfo *addr =
      MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!fd) return;
  *socket_context = ps_guard_open(s->guard, fd->connect_fd, addr ? addr->client_addr : NULL);
  if (!*socket_context) shutdown(fd->connect_fd, SHUT_RDWR); /* no room to watch it: refuse */
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen) {
  ps_server *s = cls;
  if (atomic_load(&s->quiescing)) return MHD_NO;
  return ps_guard_admit(s->guard, addr, addrlen) ? MHD_YES : MHD_NO;
}

static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *s) {
  (void)cls;
  (void)conn;
  return ps_http_unescape(s);
}

static void log_mhd(void *cls, const char *fmt, va_list ap) {
  (void)cls;
  char line[512];
  vsnprintf(line, sizeof line, fmt, ap);
  size_t n = strlen(line);
  while (n && line[n - 1] == '\n') line[--n] = '\0';
  ps_debug("http: %s", line);
}

/* Parses "host:port" / "[v6]:port" into a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *addr, socklen_t *addrlen) {
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
  *addrlen = res->ai_addrlen;
  freeaddrinfo(res);
  return PS_OK;
}

static void set_port(struct sockaddr_storage *addr, uint16_t port) {
  if (addr->ss_family == AF_INET) ((struct sockaddr_in *)addr)->sin_port = htons(port);
  else ((struct sockaddr_in6 *)addr)->sin6_port = htons(port);
}

/* A non-blocking listening socket on addr; shared with the server's other sockets
 * (SO_REUSEPORT) when reuse. Returns the descriptor or -1 (errno set). */
static int open_listener(const struct sockaddr_storage *addr, socklen_t addrlen, int reuse) {
  int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (addr->ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
  if ((reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) ||
      bind(fd, (const struct sockaddr *)addr, addrlen) != 0 || (reuse && listen(fd, 1024) != 0)) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Reads a whole file (a PEM certificate or key) into a NUL-terminated malloc'd string. */
static char *read_pem(const char *file) {
  FILE *f = fopen(file, "rb");
  ps_buf b = {0};
  char chunk[4096];
  size_t n;
  if (!f) return NULL;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    if (ps_buf_append(&b, chunk, n) != PS_OK) break;
  int failed = ferror(f) || !feof(f);
  fclose(f);
  if (failed || !b.len) {
    ps_buf_free(&b);
    return NULL;
  }
  return ps_buf_steal(&b);
}

/* Starts one daemon on the listening socket fd (which it then owns). */
static struct MHD_Daemon *start_daemon(ps_server *s, const ps_server_config *config, int fd) {
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_USE_ITC;
  unsigned max = config->max_connections ? config->max_connections : 4096u;
  struct MHD_OptionItem tls[] = {
      {s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->tls_cert},
      {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
      {MHD_OPTION_END, 0, NULL}};
  if (s->tls) flags |= MHD_USE_TLS;
  struct MHD_Daemon *d = MHD_start_daemon(
      flags, 0, on_accept, s, on_access, s, MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
      s, MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
      config->idle_timeout_s ? config->idle_timeout_s : 60u,
      /* The guard admits at most max over all daemons, plus those it is closing. */
      MHD_OPTION_CONNECTION_LIMIT, max + 256, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)CONNECTION_MEMORY, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, NULL, MHD_OPTION_ARRAY,
      tls, MHD_OPTION_END);
  if (!d) close(fd);
  return d;
}

int ps_server_start(const ps_server_config *config, const ps_route *routes, size_t nroutes,
                    ps_app *app, void (*on_request)(ps_app *app, size_t route, unsigned status),
                    ps_server **out) {
  struct sockaddr_storage addr;
  socklen_t addrlen = 0;
  memset(&addr, 0, sizeof addr);
  if (parse_listen(config->listen, &addr, &addrlen) != PS_OK) {
    ps_error_log("http: cannot parse listen address '%s' (want HOST:PORT)", config->listen);
    return PS_EINVAL;
  }
  if (!config->tls_cert_file != !config->tls_key_file) {
    ps_error_log("http: TLS wants both a certificate and a key");
    return PS_EINVAL;
  }
  int rc = PS_ENOMEM;
  ps_server *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  s->routes = routes;
  s->nroutes = nroutes;
  s->app = app;
  s->on_request = on_request;
  s->max_body_bytes = config->max_body_bytes ? config->max_body_bytes : 1024 * 1024;
  if (config->ntrusted_proxies) {
    if (!(s->trusted_proxies = malloc(config->ntrusted_proxies * sizeof *s->trusted_proxies)))
      goto out;
    memcpy(s->trusted_proxies, config->trusted_proxies,
           config->ntrusted_proxies * sizeof *s->trusted_proxies);
    s->ntrusted_proxies = config->ntrusted_proxies;
  }
  unsigned threads = config->threads;
  if (!threads) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    threads = cpus > 0 ? (unsigned)cpus : 2;
  }
  if (threads > MAX_DAEMONS) threads = MAX_DAEMONS;
  if (config->tls_cert_file) {
    s->tls = 1;
    rc = PS_EIO;
    if (!(s->tls_cert = read_pem(config->tls_cert_file))) {
      ps_error_log("http: cannot read the TLS certificate %s", config->tls_cert_file);
      goto out;
    }
    if (!(s->tls_key = read_pem(config->tls_key_file))) {
      ps_error_log("http: cannot read the TLS key %s", config->tls_key_file);
      goto out;
    }
  }
  if (config->access_log) {
    rc = ps_access_log_open(config->access_log, &s->access_log);
    if (rc != PS_OK) {
      ps_error_log("http: cannot open the access log %s: %s", config->access_log,
                   strerror(errno));
      goto out;
    }
  }
  ps_guard_config guard = {
      .max_connections = config->max_connections ? config->max_connections : 4096u,
      .per_address = config->max_connections_per_address ? config->max_connections_per_address
                                                         : 256u,
      .header_timeout_ms = (config->header_timeout_s ? config->header_timeout_s : 10u) * 1000u,
      .body_timeout_ms = (config->body_timeout_s ? config->body_timeout_s : 60u) * 1000u,
      .idle_timeout_ms = (config->idle_timeout_s ? config->idle_timeout_s : 60u) * 1000u};
  if ((rc = ps_guard_create(&guard, &s->guard)) != PS_OK) goto out;
  /* Every connection is a descriptor: lift the soft limit (often 1024) towards the hard one. */
  struct rlimit files;
  rlim_t want = (rlim_t)guard.max_connections + 256;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < want) {
    files.rlim_cur = files.rlim_max < want ? files.rlim_max : want;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur < want)
      ps_warn("http: only %llu file descriptors (RLIMIT_NOFILE) for %u connections",
              (unsigned long long)files.rlim_cur, guard.max_connections);
  }

  /* A fixed port must be free: a socket of another process that also set SO_REUSEPORT would
   * otherwise let us bind beside it and share its traffic. A probe without SO_REUSEPORT
   * fails then. */
  rc = PS_EIO;
  if (((struct sockaddr_in *)&addr)->sin_port != 0) {
    int probe = open_listener(&addr, addrlen, 0);
    if (probe < 0) {
      ps_error_log("http: cannot listen on %s: %s", config->listen, strerror(errno));
      goto out;
    }
    close(probe);
  }
  for (unsigned i = 0; i < threads; i++) {
    int fd = open_listener(&addr, addrlen, 1);
    if (fd < 0) {
      ps_error_log("http: cannot listen on %s: %s", config->listen, strerror(errno));
      goto out;
    }
    if (i == 0) { /* port 0: the others join the port the first one got */
      struct sockaddr_storage bound;
      socklen_t blen = sizeof bound;
      if (getsockname(fd, (struct sockaddr *)&bound, &blen) == 0)
        s->port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                   : ((struct sockaddr_in6 *)&bound)->sin6_port);
      set_port(&addr, s->port);
    }
    if (!(s->daemons[i] = start_daemon(s, config, fd))) {
      ps_error_log("http: cannot start an event thread on %s%s", config->listen,
                   s->tls ? " (is the TLS certificate or key malformed?)" : "");
      goto out;
    }
    s->ndaemons++;
  }
  *out = s;
  s = NULL;
  rc = PS_OK;
out:
  if (s) ps_server_stop(s, 0);
  return rc;
}

uint16_t ps_server_port(const ps_server *server) { return server->port; }

void ps_server_quiesce(ps_server *server) {
  atomic_store(&server->quiescing, 1);
  for (unsigned i = 0; i < server->ndaemons; i++) {
    MHD_socket fd = MHD_quiesce_daemon(server->daemons[i]);
    if (fd != MHD_INVALID_SOCKET) close(fd);
  }
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
  for (unsigned i = 0; i < server->ndaemons; i++) MHD_stop_daemon(server->daemons[i]);
  ps_guard_free(server->guard);
  ps_access_log_close(server->access_log);
  free(server->tls_cert);
  free(server->tls_key);
  free(server->trusted_proxies);
  free(server);
}
