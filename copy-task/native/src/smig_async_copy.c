/*
 * copyFile and copyFiles (smig_async.c lists the addon's one-path calls): regular files copied whole, as
 * smig_filecopy.c copies them, on the addon's worker threads, each call answering with a Promise.
 */
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smig_async_internal.h"
#include "smig_filecopy.h"
#include "smig_listing.h"
#include "smig_native.h"
#include "smig_pool.h"
#include "smig_util.h"

/* ---- copyFile ------------------------------------------------------------------------------ */

/* One file to copy, by paths: the folders are opened (O_PATH) and the names taken from the paths. */
typedef struct {
  char *source;
  char *temp;
  char *destination;
  int src_dir;
  int dst_dir;
  file_copy copy;
} path_copy;

static const char *base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static int open_parent(const char *path) {
  const char *slash = strrchr(path, '/');
  if (slash == NULL) return open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  size_t length = slash == path ? 1 : (size_t)(slash - path);
  char *dir = malloc(length + 1);
  if (dir == NULL) {
    errno = ENOMEM;
    return -1;
  }
  memcpy(dir, path, length);
  dir[length] = '\0';
  int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int err = errno;
  free(dir);
  errno = err;
  return fd;
}

static void path_copy_run(path_copy *job) {
  file_copy *c = &job->copy;
  c->src_path = job->source;
  c->dst_path = job->destination;
  c->src_name = base_name(job->source);
  c->dst_name = base_name(job->destination);
  c->temp_name = base_name(job->temp);
  c->mode = -1;
  /* One file at a time, for the planner: the name is checked as the portable copy checks it. */
  c->flags |= COPY_SAME_NAME;
  if (control_stopped(c->control)) {
    c->err = ECANCELED;
    c->syscall = "copy";
    c->err_path = job->source;
    return;
  }
  job->src_dir = open_parent(job->source);
  if (job->src_dir < 0) {
    if (errno == ENOENT) c->outcome = OUT_VANISHED;
    else {
      c->err = errno;
      c->syscall = "open";
      c->err_path = job->source;
    }
    return;
  }
  job->dst_dir = open_parent(job->destination);
  if (job->dst_dir < 0) {
    c->err = errno;
    c->syscall = "open";
    c->err_path = job->destination;
  } else {
    c->src_dir = job->src_dir;
    c->dst_dir = job->dst_dir;
    file_copy_run(c);
    close(job->dst_dir);
  }
  close(job->src_dir);
}

static void path_copy_free(path_copy *job) {
  free(job->source);
  free(job->temp);
  free(job->destination);
}

/* What one copy came to: an Error (rejection) or { outcome, size, progressed, mtimeNs, ... }. */
static napi_value copy_result(napi_env env, path_copy *job) {
  file_copy *c = &job->copy;
  if (c->err) {
    napi_value error = smig_errno_error(env, c->err, c->syscall, c->err_path);
    if (c->problem[0]) set_string(env, error, "detail", c->problem);
    return error;
  }
  napi_value result;
  napi_create_object(env, &result);
  set_string(env, result, "outcome", COPY_OUTCOMES[c->outcome]);
  set_number(env, result, "size", (double)c->before.st_size);
  set_number(env, result, "progressed", (double)c->progressed);
  set_bigint(env, result, "mtimeNs", ns_of(c->before.st_mtim));
  if (c->outcome == OUT_MISMATCH) {
    set_string(env, result, "sourceDigest", c->source_digest);
    set_string(env, result, "destinationDigest", c->destination_digest);
  }
  if (c->outcome == OUT_ATTRIBUTES) set_string(env, result, "problem", c->problem);
  if (c->outcome == OUT_COPIED && (c->flags & COPY_VERIFY)) set_string(env, result, "readBack", READ_BACK_NAMES[c->read_back]);
  if (c->outcome == OUT_COPIED && c->left_out) set_number(env, result, "leftOut", (double)c->left_out);
  return result;
}

/* One or several files (copyFiles: one trip to the pool for a batch of small ones). */
typedef struct {
  pool_job job;
  napi_deferred deferred;
  napi_ref control_ref;
  control_block control;
  bool batch;
  size_t count;
  path_copy *copies;
} copy_job;

static void copy_execute(pool_job *base) {
  copy_job *job = (copy_job *)base;
  for (size_t i = 0; i < job->count; i++) path_copy_run(&job->copies[i]);
}

static void copy_complete(napi_env env, pool_job *base) {
  copy_job *job = (copy_job *)base;
  if (job->batch) {
    napi_value results;
    napi_create_array_with_length(env, job->count, &results);
    for (size_t i = 0; i < job->count; i++) napi_set_element(env, results, (uint32_t)i, copy_result(env, &job->copies[i]));
    napi_resolve_deferred(env, job->deferred, results);
  } else {
    napi_value result = copy_result(env, &job->copies[0]);
    if (job->copies[0].copy.err) napi_reject_deferred(env, job->deferred, result);
    else napi_resolve_deferred(env, job->deferred, result);
  }
  for (size_t i = 0; i < job->count; i++) path_copy_free(&job->copies[i]);
  control_release(env, job->control_ref);
  free(job->copies);
  free(job);
}

static copy_job *new_copy_job(napi_env env, size_t count, napi_value flags_value, napi_value granularity_value, napi_value control_value) {
  copy_job *job = calloc(1, sizeof *job);
  path_copy *copies = calloc(count > 0 ? count : 1, sizeof *copies);
  if (job == NULL || copies == NULL) {
    free(job);
    free(copies);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  job->copies = copies;
  job->count = count;
  if (!control_arg(env, control_value, &job->control_ref, &job->control)) {
    free(copies);
    free(job);
    return NULL;
  }
  int32_t flags = 0;
  int64_t granularity = 1;
  napi_get_value_int32(env, flags_value, &flags);
  napi_get_value_int64(env, granularity_value, &granularity);
  for (size_t i = 0; i < count; i++) {
    copies[i].copy.flags = flags;
    copies[i].copy.granularity = granularity;
    copies[i].copy.control = &job->control;
  }
  return job;
}

static napi_value submit_copy(napi_env env, copy_job *job) {
  job->job.execute = copy_execute;
  job->job.complete = copy_complete;
  napi_value promise;
  napi_create_promise(env, &job->deferred, &promise);
  if (!pool_submit(env, &job->job)) return NULL;
  return promise;
}

static void drop_copy_job(napi_env env, copy_job *job) {
  for (size_t i = 0; i < job->count; i++) path_copy_free(&job->copies[i]);
  control_release(env, job->control_ref);
  free(job->copies);
  free(job);
}

/* copyFile(source: Buffer, temp: Buffer, destination: Buffer, flags: number, granularityNs: number, control: Buffer | null): Promise */
napi_value async_copy_file(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "copyFile takes 6 arguments");
    return NULL;
  }
  copy_job *job = new_copy_job(env, 1, argv[3], argv[4], argv[5]);
  if (job == NULL) return NULL;
  path_copy *one = &job->copies[0];
  bool ok = (one->source = buffer_arg(env, argv[0], "source must be a Buffer")) != NULL &&
            (one->temp = buffer_arg(env, argv[1], "temp must be a Buffer")) != NULL &&
            (one->destination = buffer_arg(env, argv[2], "destination must be a Buffer")) != NULL;
  if (!ok) {
    drop_copy_job(env, job);
    return NULL;
  }
  return submit_copy(env, job);
}

static bool element_bytes(napi_env env, napi_value array, uint32_t index, char **out, const char *what) {
  napi_value value;
  napi_get_element(env, array, index, &value);
  *out = buffer_arg(env, value, what);
  return *out != NULL;
}

/*
 * copyFiles(sources: Buffer[], temps: Buffer[], destinations: Buffer[], flags: number, granularityNs: number,
 * control: Buffer | null): Promise<(result | Error)[]>, each file as copyFile does it.
 */
napi_value async_copy_files(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_array = false;
  if (argc >= 6) napi_is_array(env, argv[0], &is_array);
  if (!is_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "copyFiles takes arrays of sources, temps and destinations, flags, granularity and control");
    return NULL;
  }
  uint32_t count = 0;
  napi_get_array_length(env, argv[0], &count);
  copy_job *job = new_copy_job(env, count, argv[3], argv[4], argv[5]);
  if (job == NULL) return NULL;
  job->batch = true;
  bool ok = true;
  for (uint32_t i = 0; ok && i < count; i++) {
    ok = element_bytes(env, argv[0], i, &job->copies[i].source, "sources must be Buffers") &&
         element_bytes(env, argv[1], i, &job->copies[i].temp, "temps must be Buffers") &&
         element_bytes(env, argv[2], i, &job->copies[i].destination, "destinations must be Buffers");
  }
  if (!ok) {
    drop_copy_job(env, job);
    return NULL;
  }
  return submit_copy(env, job);
}
