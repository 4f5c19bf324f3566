/*
 * The addon's calls on one path at a time, each run on the addon's worker threads (smig_pool.c) and
 * returning a Promise; the engine uses them for what it plans itself (hard links, entries in the way)
 * and where it cannot use the folder calls (smig_folder.c):
 *
 *  - copyFile / copyFiles (smig_async_copy.c): regular files, whole, as smig_filecopy.c copies them.
 *  - hashFile: XXH3-128 of a file's content (holes hashed as the zeros they read as);
 *    hashFromStorage: the same, of what storage holds (made durable, read past the page cache).
 *  - scanDir (smig_async_scan.c): one folder's records (smig_listing.h); scanPair: both sides of a
 *    folder, with the regular files equal on both marked as such.
 *  - syncfs: writes back the whole file system that holds a path.
 */
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smig_filecopy.h"
#include "smig_listing.h"
#include "smig_native.h"
#include "smig_pool.h"
#include "smig_util.h"
#include "smig_async_internal.h"

/* ---- hashFile ------------------------------------------------------------------------------ */

typedef struct {
  pool_job job;
  napi_deferred deferred;
  char *path;
  bool from_storage;
  int read_back;
  int err;
  const char *syscall;
  int64_t size;
  char digest[33];
} hash_job;

static void hash_execute(pool_job *base) {
  hash_job *job = (hash_job *)base;
  int fd = open_for_reading_at(AT_FDCWD, job->path);
  if (fd < 0) {
    job->err = errno;
    job->syscall = "open";
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    job->err = errno;
    job->syscall = "fstat";
  } else if (job->from_storage && !S_ISREG(st.st_mode)) {
    job->err = EINVAL; /* only a regular file has data that storage holds */
    job->syscall = "open";
  } else if (job->from_storage) {
    job->err = hash_fd_from_storage(fd, st.st_size, job->digest, &job->size, &job->read_back, &job->syscall, NULL);
  } else {
    job->err = hash_fd(fd, st.st_size, job->digest, &job->size, &job->syscall, NULL);
  }
  close(fd);
}

static void hash_complete(napi_env env, pool_job *base) {
  hash_job *job = (hash_job *)base;
  if (job->err) {
    napi_reject_deferred(env, job->deferred, smig_errno_error(env, job->err, job->syscall, job->path));
  } else {
    napi_value result;
    napi_create_object(env, &result);
    set_string(env, result, "digest", job->digest);
    set_number(env, result, "size", (double)job->size);
    if (job->from_storage) set_string(env, result, "readBack", READ_BACK_NAMES[job->read_back]);
    napi_resolve_deferred(env, job->deferred, result);
  }
  free(job->path);
  free(job);
}

static napi_value submit_hash(napi_env env, napi_callback_info info, bool from_storage) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  hash_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->from_storage = from_storage;
  job->path = argc < 1 ? NULL : buffer_arg(env, argv[0], "path must be a Buffer");
  if (job->path == NULL) {
    free(job);
    return NULL;
  }
  job->job.execute = hash_execute;
  job->job.complete = hash_complete;
  napi_value promise;
  napi_create_promise(env, &job->deferred, &promise);
  if (!pool_submit(env, &job->job)) return NULL;
  return promise;
}

/* hashFile(path: Buffer): Promise<{ digest: string, size: number }>, XXH3-128 as 32 hex digits */
static napi_value hash_file(napi_env env, napi_callback_info info) {
  return submit_hash(env, info, false);
}

/*
 * hashFromStorage(path: Buffer): Promise<{ digest, size, readBack: 'direct' | 'dropped' }>: a regular
 * file's data made durable (fdatasync), then hashed as storage holds it (see hash_fd_from_storage).
 */
static napi_value hash_from_storage(napi_env env, napi_callback_info info) {
  return submit_hash(env, info, true);
}

/* ---- syncfs -------------------------------------------------------------------------------- */

typedef struct {
  pool_job job;
  napi_deferred deferred;
  char *path;
  int err;
  const char *syscall;
} sync_job;

static void sync_execute(pool_job *base) {
  sync_job *job = (sync_job *)base;
  int fd = open(job->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    job->err = errno;
    job->syscall = "open";
    return;
  }
  if (syncfs(fd) != 0) {
    job->err = errno;
    job->syscall = "syncfs";
  }
  close(fd);
}

static void sync_complete(napi_env env, pool_job *base) {
  sync_job *job = (sync_job *)base;
  if (job->err) napi_reject_deferred(env, job->deferred, smig_errno_error(env, job->err, job->syscall, job->path));
  else {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  }
  free(job->path);
  free(job);
}

/* syncfs(path: Buffer): Promise<void>, writes back the file system that holds path */
static napi_value sync_fs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  sync_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->path = argc < 1 ? NULL : buffer_arg(env, argv[0], "path must be a Buffer");
  if (job->path == NULL) {
    free(job);
    return NULL;
  }
  job->job.execute = sync_execute;
  job->job.complete = sync_complete;
  napi_value promise;
  napi_create_promise(env, &job->deferred, &promise);
  if (!pool_submit(env, &job->job)) return NULL;
  return promise;
}

void smig_define_async(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"copyFile", NULL, async_copy_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyFiles", NULL, async_copy_files, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashFile", NULL, hash_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashFromStorage", NULL, hash_from_storage, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scanDir", NULL, async_scan_dir, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scanPair", NULL, async_scan_pair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncfs", NULL, sync_fs, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
