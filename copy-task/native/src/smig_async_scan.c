/*
 * scanDir and scanPair (smig_async.c lists the addon's one-path calls): one folder's records
 * (smig_listing.h), or both sides of a folder with the regular files equal on both marked as such, read
 * on the addon's worker threads.
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
napi_value async_scan_dir(napi_env env, napi_callback_info info) {
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
napi_value async_scan_pair(napi_env env, napi_callback_info info) {
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
