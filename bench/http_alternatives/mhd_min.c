/* bench/http_alternatives/mhd_min.c: the request path of playstat reduced to its HTTP layer,
 * on libmicrohttpd exactly as src/http/server.c drives it: one MHD daemon per thread (internal
 * polling thread, epoll, TURBO, ITC, suspend/resume) on its own SO_REUSEPORT socket.
 *   writer: the POST body is read, a job goes to one shared writer thread through a
 *           mutex+condvar queue and the connection is suspended; the writer takes every waiting
 *           job, sleeps COMMIT_US (the group commit's fdatasync), then resumes each connection,
 *           which answers 200 {}.
 *   direct: the same server answering 200 {} as soon as the body is read (no writer).
 * usage: mhd_min PORT THREADS writer|direct */
#include "common.h"

#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

typedef struct job {
  struct job *next;
  struct MHD_Connection *conn;
  size_t body_bytes;
  bool queued, done;
} job_t;

static bool g_writer_mode;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static job_t *g_head, **g_tail = &g_head;
static struct MHD_Response *g_resp; /* "{}", shared (MHD reference counts it) */

static void *writer_main(void *arg) {
  (void)arg;
  unsigned us = commit_us();
  for (;;) {
    pthread_mutex_lock(&g_mu);
    while (!g_head) pthread_cond_wait(&g_cv, &g_mu);
    job_t *batch = g_head;
    g_head = NULL, g_tail = &g_head;
    pthread_mutex_unlock(&g_mu);
    if (us) usleep(us); /* the group commit */
    for (job_t *j = batch, *n; j; j = n) {
      n = j->next;
      j->done = true;
      MHD_resume_connection(j->conn); /* one eventfd write + epoll_ctl per connection */
    }
  }
  return NULL;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls) {
  (void)cls, (void)url, (void)method, (void)version;
  job_t *j = *con_cls;
  if (!j) {
    j = calloc(1, sizeof *j);
    j->conn = conn;
    *con_cls = j;
    return MHD_YES;
  }
  if (*upload_size) {
    (void)upload;
    j->body_bytes += *upload_size;
    *upload_size = 0;
    return MHD_YES;
  }
  if (g_writer_mode && !j->done) {
    if (!j->queued) {
      j->queued = true;
      pthread_mutex_lock(&g_mu);
      bool was_empty = !g_head;
      *g_tail = j, g_tail = &j->next;
      if (was_empty) pthread_cond_signal(&g_cv); /* otherwise the writer was told already */
      pthread_mutex_unlock(&g_mu);
      MHD_suspend_connection(conn);
    }
    return MHD_YES;
  }
  return MHD_queue_response(conn, 200, g_resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
  (void)cls, (void)conn, (void)toe;
  free(*con_cls);
  *con_cls = NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) usage_exit(argv[0]);
  int port = atoi(argv[1]), threads = atoi(argv[2]);
  if (strcmp(argv[3], "writer") == 0) g_writer_mode = true;
  else if (strcmp(argv[3], "direct") != 0) usage_exit(argv[0]);
  signal(SIGPIPE, SIG_IGN);
  g_resp = MHD_create_response_from_buffer(2, (void *)"{}", MHD_RESPMEM_PERSISTENT);
  MHD_add_response_header(g_resp, "Content-Type", "application/json");
  for (int i = 0; i < threads; i++) {
    int fd = listen_reuseport(port, 1);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_USE_ITC;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 75u,
        MHD_OPTION_CONNECTION_LIMIT, 10000u, MHD_OPTION_END);
    if (!d) { fprintf(stderr, "mhd_min: MHD_start_daemon failed\n"); return 1; }
  }
  if (g_writer_mode) {
    pthread_t t;
    pthread_create(&t, NULL, writer_main, NULL);
  }
  fprintf(stderr, "mhd_min: port %d, %d threads, %s\n", port, threads, argv[3]);
  for (;;) pause();
}
