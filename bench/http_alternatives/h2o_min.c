/* bench/http_alternatives/h2o_min.c: the same server as mhd_min.c on libh2o-evloop (h2o 2.2.5,
 * Debian 12's libh2o-evloop-dev): N event-loop threads, each with its own h2o_context_t and
 * SO_REUSEPORT listening socket.
 *   writer: h2o buffers the whole POST body before calling on_req (2.2.x has no streaming of
 *           request bodies); on_req hands a job to the one shared writer thread (mutex+condvar
 *           queue) and returns without answering. The writer takes every waiting job, sleeps
 *           COMMIT_US (the group commit's fdatasync), then sends ONE h2o_multithread message per
 *           loop thread that has jobs in the batch (one wakeup per batch per thread, not one per
 *           request); that loop thread answers each request 200 {}.
 *   direct: on_req answers 200 {} at once (the request path alone).
 * A request whose connection closes while its job is with the writer is disposed by h2o with its
 * memory pool: a guard allocated in the pool clears job->req, so the answer is skipped.
 * usage: h2o_min PORT THREADS writer|direct */
#include "common.h"

#include <h2o.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

typedef struct thread_ctx thread_ctx_t;

typedef struct job {
  struct job *next;        /* writer queue, then the batch sent to the loop thread */
  thread_ctx_t *thr;       /* the loop thread that owns req */
  h2o_req_t *req;          /* NULL once h2o disposed the request (connection gone) */
  struct job **guard;      /* in req->pool; cleared before answering */
} job_t;

typedef struct batch_msg {
  h2o_multithread_message_t super;
  job_t *jobs;
} batch_msg_t;

struct thread_ctx {
  int index, fd;
  h2o_context_t ctx;
  h2o_accept_ctx_t accept_ctx;
  h2o_multithread_queue_t *queue;
  h2o_multithread_receiver_t receiver;
  /* the writer's per-batch list for this thread (touched by the writer only) */
  job_t *pending;
};

static bool g_writer_mode;
static h2o_globalconf_t g_config;
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static job_t *g_head, **g_tail = &g_head;
static thread_ctx_t *g_threads;
static int g_nthreads;

static void answer(h2o_req_t *req) {
  req->res.status = 200;
  req->res.reason = "OK";
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                 H2O_STRLIT("application/json"));
  req->res.content_length = 2; /* h2o 2.2.5 h2o_send_inline does not set it: chunked otherwise */
  h2o_send_inline(req, H2O_STRLIT("{}"));
}

static void guard_dispose(void *p) {
  job_t *j = *(job_t **)p;
  if (j) j->req = NULL;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req) {
  (void)self;
  if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST"))) return -1;
  /* req->entity holds the whole body here (h2o 2.2 buffers it before calling on_req) */
  if (!g_writer_mode) {
    answer(req);
    return 0;
  }
  thread_ctx_t *thr = H2O_STRUCT_FROM_MEMBER(thread_ctx_t, ctx, req->conn->ctx);
  job_t *j = malloc(sizeof *j);
  j->next = NULL, j->thr = thr, j->req = req;
  j->guard = h2o_mem_alloc_shared(&req->pool, sizeof(job_t *), guard_dispose);
  *j->guard = j;
  pthread_mutex_lock(&g_mu);
  bool was_empty = !g_head;
  *g_tail = j, g_tail = &j->next;
  if (was_empty) pthread_cond_signal(&g_cv); /* otherwise the writer was told already */
  pthread_mutex_unlock(&g_mu);
  return 0;
}

/* On the loop thread: the writer's batches for this thread (usually one message). */
static void on_batches(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages) {
  (void)receiver;
  while (!h2o_linklist_is_empty(messages)) {
    batch_msg_t *m = H2O_STRUCT_FROM_MEMBER(batch_msg_t, super.link, messages->next);
    h2o_linklist_unlink(&m->super.link);
    for (job_t *j = m->jobs, *n; j; j = n) {
      n = j->next;
      h2o_req_t *req = j->req;
      if (req) {
        *j->guard = NULL;
        answer(req);
      }
      free(j);
    }
    free(m);
  }
}

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
      j->next = j->thr->pending;
      j->thr->pending = j;
    }
    for (int i = 0; i < g_nthreads; i++) {
      thread_ctx_t *t = &g_threads[i];
      if (!t->pending) continue;
      batch_msg_t *m = calloc(1, sizeof *m);
      m->jobs = t->pending;
      t->pending = NULL;
      h2o_multithread_send_message(&t->receiver, &m->super); /* one wakeup per thread per batch */
    }
  }
  return NULL;
}

static void on_accept(h2o_socket_t *listener, const char *err) {
  if (err) return;
  thread_ctx_t *thr = listener->data;
  h2o_socket_t *sock;
  /* accept what is waiting (bounded, like h2o's own server) */
  for (int i = 0; i < 16 && (sock = h2o_evloop_socket_accept(listener)) != NULL; i++)
    h2o_accept(&thr->accept_ctx, sock);
}

static void *loop_main(void *arg) {
  thread_ctx_t *thr = arg;
  h2o_context_init(&thr->ctx, h2o_evloop_create(), &g_config);
  thr->accept_ctx.ctx = &thr->ctx;
  thr->accept_ctx.hosts = g_config.hosts;
  thr->queue = h2o_multithread_create_queue(thr->ctx.loop);
  h2o_multithread_register_receiver(thr->queue, &thr->receiver, on_batches);
  h2o_socket_t *listener = h2o_evloop_socket_create(thr->ctx.loop, thr->fd, H2O_SOCKET_FLAG_DONT_READ);
  listener->data = thr;
  h2o_socket_read_start(listener, on_accept);
  return NULL;
}

static void *loop_run(void *arg) {
  thread_ctx_t *thr = arg;
  /* Everything of a loop is created on the thread that runs it: h2o 2.2 keeps its socket input
   * buffer prototype (a memory recycler) thread-local (__thread h2o_socket_buffer_prototype), and
   * a socket created on another thread keeps using that thread's recycler, unlocked: created in
   * main() and run here, the loops crashed in h2o_mem_alloc_recycle under load. A thread's
   * receiver is registered before its listener accepts, so before the writer can have a job of
   * it: no barrier needed. */
  loop_main(thr);
  /* h2o_evloop_run returns -1 when epoll_wait fails, EINTR included (a signal, or strace
   * attaching): stopping on != 0, as h2o's examples do, ends the thread. Loop for ever. */
  for (;;) h2o_evloop_run(thr->ctx.loop, INT32_MAX);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 4) usage_exit(argv[0]);
  int port = atoi(argv[1]);
  g_nthreads = atoi(argv[2]);
  if (strcmp(argv[3], "writer") == 0) g_writer_mode = true;
  else if (strcmp(argv[3], "direct") != 0) usage_exit(argv[0]);
  signal(SIGPIPE, SIG_IGN);

  h2o_config_init(&g_config);
  g_config.max_request_entity_size = 1024 * 1024;
  h2o_hostconf_t *host = h2o_config_register_host(&g_config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
  h2o_handler_t *handler = h2o_create_handler(path, sizeof *handler);
  handler->on_req = on_req;

  g_threads = calloc((size_t)g_nthreads, sizeof *g_threads);
  for (int i = 0; i < g_nthreads; i++) {
    g_threads[i].index = i;
    g_threads[i].fd = listen_reuseport(port, 1);
  }
  if (g_writer_mode) {
    pthread_t t;
    pthread_create(&t, NULL, writer_main, NULL);
  }
  fprintf(stderr, "h2o_min: port %d, %d threads, %s\n", port, g_nthreads, argv[3]);
  for (int i = 1; i < g_nthreads; i++) {
    pthread_t t;
    pthread_create(&t, NULL, loop_run, &g_threads[i]);
  }
  loop_run(&g_threads[0]);
  return 0;
}
