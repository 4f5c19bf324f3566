#include "smig_pool.h"

#include <pthread.h>
#include <stdlib.h>

/* Threads started on first use unless setWorkers asked for more (a copy asks for its concurrency). */
#define DEFAULT_WORKERS 2
#define MAX_WORKERS 256

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t ready;
  pool_job *head;
  pool_job *tail;
  int threads;
  int wanted;
  bool closing;
  napi_threadsafe_function done;
  /* Jobs queued and not yet completed; touched on the JavaScript thread only. */
  size_t pending;
} pool;

static void *worker_main(void *arg) {
  pool *p = arg;
  for (;;) {
    pthread_mutex_lock(&p->lock);
    while (p->head == NULL && !p->closing) pthread_cond_wait(&p->ready, &p->lock);
    if (p->closing) {
      pthread_mutex_unlock(&p->lock);
      return NULL;
    }
    pool_job *job = p->head;
    p->head = job->next;
    if (p->head == NULL) p->tail = NULL;
    pthread_mutex_unlock(&p->lock);
    job->execute(job);
    /* Fails only while the environment is going away: the job is then dropped with it. */
    napi_call_threadsafe_function(p->done, job, napi_tsfn_blocking);
  }
}

static void call_js(napi_env env, napi_value js_callback, void *context, void *data) {
  (void)js_callback;
  pool *p = context;
  if (env == NULL) return; /* torn down */
  pool_job *job = data;
  job->complete(env, job);
  if (--p->pending == 0) napi_unref_threadsafe_function(env, p->done);
}

static bool start_threads(pool *p, int count) {
  while (p->threads < count) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    int err = pthread_create(&thread, &attributes, worker_main, p);
    pthread_attr_destroy(&attributes);
    if (err != 0) return p->threads > 0;
    p->threads++;
  }
  return true;
}

static void pool_close(void *arg) {
  pool *p = arg;
  pthread_mutex_lock(&p->lock);
  p->closing = true;
  pthread_cond_broadcast(&p->ready);
  pthread_mutex_unlock(&p->lock);
  napi_release_threadsafe_function(p->done, napi_tsfn_abort);
  /* Threads still inside a job hold `p`: it stays allocated for the rest of the process. */
}

bool pool_init(napi_env env) {
  pool *p = calloc(1, sizeof *p);
  if (p == NULL) return false;
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->ready, NULL);
  p->wanted = DEFAULT_WORKERS;
  napi_value name;
  napi_create_string_utf8(env, "smig.pool", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, p, call_js, &p->done) != napi_ok) {
    free(p);
    return false;
  }
  napi_unref_threadsafe_function(env, p->done);
  napi_set_instance_data(env, p, NULL, NULL);
  napi_add_env_cleanup_hook(env, pool_close, p);
  return true;
}

static pool *pool_of(napi_env env) {
  void *data = NULL;
  napi_get_instance_data(env, &data);
  return data;
}

bool pool_submit(napi_env env, pool_job *job) {
  pool *p = pool_of(env);
  if (p == NULL) {
    napi_throw_error(env, "ENOSYS", "the addon's worker pool is not set up");
    return false;
  }
  pthread_mutex_lock(&p->lock);
  bool started = start_threads(p, p->wanted);
  if (started) {
    job->next = NULL;
    if (p->tail) p->tail->next = job;
    else p->head = job;
    p->tail = job;
    pthread_cond_signal(&p->ready);
  }
  pthread_mutex_unlock(&p->lock);
  if (!started) {
    napi_throw_error(env, "EAGAIN", "cannot start the addon's worker threads");
    return false;
  }
  if (p->pending++ == 0) napi_ref_threadsafe_function(env, p->done);
  return true;
}

napi_value pool_set_workers(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t count = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &count) != napi_ok || count < 1 || count > MAX_WORKERS) {
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", "setWorkers takes a count from 1 to 256");
    return NULL;
  }
  pool *p = pool_of(env);
  napi_value result;
  if (p == NULL) {
    napi_create_int32(env, 0, &result);
    return result;
  }
  pthread_mutex_lock(&p->lock);
  if (count > p->wanted) p->wanted = count;
  /* Already running: start the extra threads now. */
  if (p->threads > 0) start_threads(p, p->wanted);
  int now = p->wanted;
  pthread_mutex_unlock(&p->lock);
  napi_create_int32(env, now, &result);
  return result;
}
