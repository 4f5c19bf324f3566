/*
 * The addon's calls on one path at a time, each run on the addon's worker threads (smig_pool.c) and
 * returning a Promise; the engine uses them for what it plans itself (hard links, entries in the way)
 * and where it cannot use the folder calls (smig_folder.c):
 *
 *  - copyFile / copyFiles: regular files, whole, as smig_filecopy.c copies them.
 *  - hashFile: XXH3-128 of a file's content (holes hashed as the zeros they read as);
 *    hashFromStorage: the same, of what storage holds (made durable, read past the page cache).
 *  - scanDir: one folder's records (smig_listing.h); scanPair: both sides of a folder, with the
 *    regular files equal on both marked as such.
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
static napi_value copy_file(napi_env env, napi_callback_info info) {
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
static napi_value copy_files(napi_env env, napi_callback_info info) {
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

/* ---- scanDir and scanPair ------------------------------------------------------------------ */

typedef struct {
  char *path;
  int xattrs;
  int leave_out; /* LEAVE_OUT_*: kinds of attributes left out of the records */
  const name_range *range; /* a partitioned pass's names (NULL: all), the job's */
  listing list;
} folder_scan;

typedef struct {
  pool_job job;
  napi_deferred deferred;
  folder_scan side[2];
  bool pair;
  int64_t granularity;
  int flags;
  name_range range;
  unsigned char *range_data; /* the bounds' bytes (NUL-terminated each), owned */
} scan_job;

/*
 * The optional range argument of scanDir and scanPair: null/undefined, or a Buffer: u8 flags (1: a
 * lower bound, 2: inclusive; 4: an upper bound, 8: inclusive), u32 lower length, its bytes, u32 upper
 * length, its bytes. False (with a TypeError thrown) when it is malformed.
 */
static bool read_range(napi_env env, napi_value value, scan_job *job) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type == napi_undefined || type == napi_null) return true;
  void *data;
  size_t length;
  bool is_buffer = false;
  if (napi_is_buffer(env, value, &is_buffer) != napi_ok || !is_buffer || napi_get_buffer_info(env, value, &data, &length) != napi_ok || length < 9) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "range must be a packed name range Buffer or null");
    return false;
  }
  const unsigned char *in = data;
  size_t lo = get_u32(in + 1);
  size_t hi = lo <= length - 9 ? get_u32(in + 5 + lo) : SIZE_MAX;
  if (lo > length - 9 || hi != length - 9 - lo || memchr(in + 5, 0, lo) != NULL || memchr(in + 9 + lo, 0, hi) != NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "range is not a packed name range");
    return false;
  }
  job->range_data = malloc(lo + hi + 2);
  if (job->range_data == NULL) return false;
  memcpy(job->range_data, in + 5, lo);
  job->range_data[lo] = '\0';
  memcpy(job->range_data + lo + 1, in + 9 + lo, hi);
  job->range_data[lo + 1 + hi] = '\0';
  job->range = (name_range){
      .lo = (in[0] & 1) ? (const char *)job->range_data : NULL, .lo_length = lo, .lo_inclusive = (in[0] & 2) != 0,
      .hi = (in[0] & 4) ? (const char *)job->range_data + lo + 1 : NULL, .hi_length = hi, .hi_inclusive = (in[0] & 8) != 0,
  };
  job->side[0].range = job->side[1].range = &job->range;
  return true;
}

enum { PAIR_COMPARE_OWNER = 1 };

static void scan_side(folder_scan *side) {
  int dir = open(side->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) {
    side->list.err = errno;
    side->list.syscall = "scandir";
    return;
  }
  listing_read_range(dir, side->path, side->xattrs, INT64_MIN, side->leave_out, side->range, &side->list);
  close(dir);
}

static bool same_file_record(const unsigned char *a, const unsigned char *b, int64_t granularity, int flags) {
  uint32_t mode = get_u32(a + 4);
  if (!S_ISREG(mode) || mode != get_u32(b + 4)) return false;
  if (get_u32(a + 20) != 0 || get_u32(b + 20) != 0) return false;
  if (get_u32(a + 16) != 1 || get_u32(b + 16) != 1) return false;
  if ((flags & PAIR_COMPARE_OWNER) && (get_u32(a + 8) != get_u32(b + 8) || get_u32(a + 12) != get_u32(b + 12))) return false;
  if (get_u64(a + 32) != get_u64(b + 32)) return false;
  if (!same_ns(get_i64(a + 72), get_i64(b + 72), granularity) || !same_ns(get_i64(a + 64), get_i64(b + 64), granularity)) return false;
  uint32_t xattrs = get_u32(a + 28);
  if (xattrs != get_u32(b + 28)) return false;
  size_t at = RECORD_HEADER + record_name_length(a) + record_target_length(a);
  size_t bt = RECORD_HEADER + record_name_length(b) + record_target_length(b);
  return memcmp(a + at, b + bt, xattrs) == 0;
}

/* Marks the regular files with one name that are the same on both sides (bit 16 of their flags). */
static void mark_same(scan_job *job) {
  listing *a = &job->side[0].list, *b = &job->side[1].list;
  size_t i = 0, j = 0;
  while (i < a->count && j < b->count) {
    unsigned char *ra = a->records.data + a->offsets[i], *rb = b->records.data + b->offsets[j];
    int order = record_compare_names(ra, rb);
    if (order == 0 && same_file_record(ra, rb, job->granularity, job->flags)) {
      put_u32(ra + 24, get_u32(ra + 24) | RECORD_SAME);
      put_u32(rb + 24, get_u32(rb + 24) | RECORD_SAME);
    }
    if (order <= 0) i++;
    if (order >= 0) j++;
  }
}

static void scan_execute(pool_job *base) {
  scan_job *job = (scan_job *)base;
  scan_side(&job->side[0]);
  if (job->pair) {
    scan_side(&job->side[1]);
    if (job->side[0].list.err == 0 && job->side[1].list.err == 0) mark_same(job);
  }
}

/* A listing as a Buffer (its bytes handed over), or the error it ended with. */
static napi_value side_result(napi_env env, folder_scan *side) {
  napi_value value;
  if (side->list.err) value = smig_errno_error(env, side->list.err, side->list.syscall, side->path);
  else value = bytes_to_buffer(env, &side->list.records);
  listing_free(&side->list);
  return value;
}

static void scan_complete(napi_env env, pool_job *base) {
  scan_job *job = (scan_job *)base;
  if (!job->pair) {
    bool failed = job->side[0].list.err != 0;
    napi_value value = side_result(env, &job->side[0]);
    if (failed) napi_reject_deferred(env, job->deferred, value);
    else napi_resolve_deferred(env, job->deferred, value);
  } else {
    napi_value pair;
    napi_create_array_with_length(env, 2, &pair);
    napi_set_element(env, pair, 0, side_result(env, &job->side[0]));
    napi_set_element(env, pair, 1, side_result(env, &job->side[1]));
    napi_resolve_deferred(env, job->deferred, pair);
  }
  free(job->side[0].path);
  free(job->side[1].path);
  free(job->range_data);
  free(job);
}

static napi_value submit_scan(napi_env env, scan_job *job) {
  job->job.execute = scan_execute;
  job->job.complete = scan_complete;
  napi_value promise;
  napi_create_promise(env, &job->deferred, &promise);
  if (!pool_submit(env, &job->job)) return NULL;
  return promise;
}

/*
 * scanDir(path: Buffer, xattrs: boolean | 0 | 1 | 2, leaveOut?: number, range?: Buffer | null):
 * Promise<Buffer> (records as smig_listing.h describes them); xattrs of no entry, every entry, or
 * folders only, less the kinds in `leaveOut` (LEAVE_OUT_*); only the names in `range` (read_range).
 */
static napi_value scan_dir(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  scan_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->side[0].path = argc < 2 ? NULL : buffer_arg(env, argv[0], "path must be a Buffer");
  if (job->side[0].path == NULL) {
    free(job);
    return NULL;
  }
  int32_t xattrs = XATTRS_ALL;
  bool flag;
  if (napi_get_value_bool(env, argv[1], &flag) == napi_ok) xattrs = flag ? XATTRS_ALL : XATTRS_NONE;
  else napi_get_value_int32(env, argv[1], &xattrs);
  job->side[0].xattrs = xattrs;
  int32_t leave_out = 0;
  if (argc >= 3) napi_get_value_int32(env, argv[2], &leave_out);
  job->side[0].leave_out = leave_out & (LEAVE_OUT_XATTRS | LEAVE_OUT_ACLS);
  if (argc >= 4 && !read_range(env, argv[3], job)) {
    free(job->side[0].path);
    free(job);
    return NULL;
  }
  return submit_scan(env, job);
}

/*
 * scanPair(source: Buffer, destination: Buffer, granularityNs: number, flags: number, range?: Buffer | null):
 * Promise<[Buffer | Error, Buffer | Error]>, both folders listed with xattrs (less the kinds the flags'
 * COPY_LEAVE_OUT_* bits name), equal files marked SAME; only the names in `range` (read_range).
 */
static napi_value scan_pair(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "scanPair takes 4 arguments");
    return NULL;
  }
  scan_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->pair = true;
  job->side[0].xattrs = job->side[1].xattrs = XATTRS_ALL;
  napi_get_value_int64(env, argv[2], &job->granularity);
  napi_get_value_int32(env, argv[3], &job->flags);
  job->side[0].leave_out = job->side[1].leave_out = COPY_LEAVE_OUT(job->flags);
  job->side[0].path = buffer_arg(env, argv[0], "source must be a Buffer");
  job->side[1].path = job->side[0].path ? buffer_arg(env, argv[1], "destination must be a Buffer") : NULL;
  if (job->side[1].path == NULL || (argc >= 5 && !read_range(env, argv[4], job))) {
    free(job->side[0].path);
    free(job->side[1].path);
    free(job->range_data);
    free(job);
    return NULL;
  }
  return submit_scan(env, job);
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
      {"copyFile", NULL, copy_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyFiles", NULL, copy_files, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashFile", NULL, hash_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashFromStorage", NULL, hash_from_storage, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scanDir", NULL, scan_dir, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scanPair", NULL, scan_pair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncfs", NULL, sync_fs, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
