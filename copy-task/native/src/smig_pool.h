/*
 * The addon's own worker threads. Work that takes long (copying a folder's files, listing a large
 * folder) runs here rather than on libuv's thread pool, which Node shares with DNS lookups and
 * file I/O: a copy that keeps every libuv thread busy would hold up the progress reports of the
 * task that runs it. Finished work comes back to the JavaScript thread through one thread-safe
 * function, which keeps the event loop alive only while work is pending.
 */
#ifndef SMIG_POOL_H
#define SMIG_POOL_H

#include <node_api.h>
#include <stdbool.h>

typedef struct pool_job pool_job;
struct pool_job {
  /* On a worker thread. */
  void (*execute)(pool_job *job);
  /* Back on the JavaScript thread: settles the job's promise and frees the job. */
  void (*complete)(napi_env env, pool_job *job);
  pool_job *next;
};

/* Sets up this environment's pool (no threads yet); call once from the module's init. */
bool pool_init(napi_env env);
/* Queues a job (from the JavaScript thread); false with an error thrown. */
bool pool_submit(napi_env env, pool_job *job);

/* setWorkers(count: number): number, raises the number of worker threads (it never lowers it); returns it. */
napi_value pool_set_workers(napi_env env, napi_callback_info info);

#endif
