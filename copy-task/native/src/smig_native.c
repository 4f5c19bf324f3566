/*
 * The few system calls the copy engine needs and Node does not offer: times to the nanosecond
 * (utimensat with a timespec; fs.utimes takes a double and keeps microseconds), device nodes,
 * FIFOs and sockets (mknod), extended attributes (the l*xattr family, which never follow a link), the
 * holes of sparse files (lseek SEEK_DATA/SEEK_HOLE), and the token of the names the addon makes up.
 *
 * Node-API only (NAPI_VERSION 8): the module is ABI-stable, so one built with the machine's Node
 * headers loads in the Node that runs the engine. Paths are Buffers (any bytes but NUL), never
 * strings, so names that are not UTF-8 pass through unchanged. Every call is synchronous and short
 * (no data is moved here); errors are thrown like Node's own: code, errno, syscall, path.
 */
#include <node_api.h>

#include "smig_filecopy.h"
#include "smig_native.h"
#include "smig_native_internal.h"
#include "smig_walk.h"
#include "smig_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define NS_PER_S 1000000000LL

/* ---- errors ------------------------------------------------------------------------------ */

static const char *errno_code(int err) {
  switch (err) {
#define CODE(e) \
  case e:       \
    return #e;
    CODE(EPERM) CODE(ENOENT) CODE(EIO) CODE(ENXIO) CODE(E2BIG) CODE(EBADF) CODE(EAGAIN)
    CODE(ENOMEM) CODE(EACCES) CODE(EFAULT) CODE(EBUSY) CODE(EEXIST) CODE(EXDEV) CODE(ENODEV)
    CODE(ENOTDIR) CODE(EISDIR) CODE(EINVAL) CODE(ENFILE) CODE(EMFILE) CODE(EFBIG) CODE(ENOSPC)
    CODE(ESPIPE) CODE(EROFS) CODE(EMLINK) CODE(ERANGE) CODE(ENAMETOOLONG) CODE(ENOSYS)
    CODE(ENOTEMPTY) CODE(ELOOP) CODE(ENODATA) CODE(ENOTSUP) CODE(EOVERFLOW) CODE(EDQUOT)
    CODE(ESTALE) CODE(EINTR) CODE(ETXTBSY) CODE(ECANCELED)
#undef CODE
    default:
      return NULL;
  }
}

/* An Error shaped like Node's fs errors ("ENOENT: no such file or directory, lstat 'x'"). */
napi_value smig_errno_error(napi_env env, int err, const char *syscall, const char *path) {
  char fallback[16];
  const char *code = errno_code(err);
  if (code == NULL) {
    snprintf(fallback, sizeof fallback, "E%d", err);
    code = fallback;
  }
  size_t length = strlen(code) + strlen(strerror(err)) + strlen(syscall) + (path ? strlen(path) : 0) + 16;
  char *message = malloc(length);
  napi_value code_value, message_value, error, value;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  if (message == NULL) {
    napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &message_value);
    napi_create_error(env, code_value, message_value, &error);
    return error;
  }
  if (path) {
    snprintf(message, length, "%s: %s, %s '%s'", code, strerror(err), syscall, path);
  } else {
    snprintf(message, length, "%s: %s, %s", code, strerror(err), syscall);
  }
  // Lower case after the code, as in Node's (libuv's) messages: "ENOENT: no such file or directory".
  size_t first = strlen(code) + 2;
  if (message[first] >= 'A' && message[first] <= 'Z') message[first] = (char)(message[first] - 'A' + 'a');
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value);
  free(message);
  napi_create_error(env, code_value, message_value, &error);
  napi_create_int32(env, -err, &value);
  napi_set_named_property(env, error, "errno", value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, error, "syscall", value);
  if (path) {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &value);
    napi_set_named_property(env, error, "path", value);
  }
  return error;
}

/* Throws smig_errno_error. */
napi_value native_throw_errno(napi_env env, int err, const char *syscall, const char *path) {
  napi_throw(env, smig_errno_error(env, err, syscall, path));
  return NULL;
}

napi_value native_throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

/* ---- arguments ---------------------------------------------------------------------------- */

/* A Buffer argument as a NUL-terminated copy (free it); NULL (with a TypeError thrown) if invalid. */
char *native_get_bytes(napi_env env, napi_value value, const char *what) {
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  if (!is_buffer) {
    native_throw_type(env, what);
    return NULL;
  }
  void *data;
  size_t length;
  napi_get_buffer_info(env, value, &data, &length);
  if (memchr(data, 0, length) != NULL) {
    native_throw_type(env, "paths and attribute names must not contain NUL bytes");
    return NULL;
  }
  char *copy = malloc(length + 1);
  if (copy == NULL) {
    native_throw_errno(env, ENOMEM, "malloc", NULL);
    return NULL;
  }
  memcpy(copy, data, length);
  copy[length] = '\0';
  return copy;
}

static bool get_int64(napi_env env, napi_value value, int64_t *out, const char *what) {
  if (napi_get_value_int64(env, value, out) != napi_ok) {
    native_throw_type(env, what);
    return false;
  }
  return true;
}

/* A BigInt of nanoseconds since the epoch as a timespec (tv_nsec in 0..999999999, also before 1970). */
static bool get_timespec(napi_env env, napi_value value, struct timespec *out) {
  int64_t ns;
  bool lossless;
  if (napi_get_value_bigint_int64(env, value, &ns, &lossless) != napi_ok || !lossless) {
    native_throw_type(env, "times must be BigInt nanoseconds");
    return false;
  }
  int64_t seconds = ns / NS_PER_S;
  int64_t rest = ns % NS_PER_S;
  if (rest < 0) {
    rest += NS_PER_S;
    seconds -= 1;
  }
  out->tv_sec = (time_t)seconds;
  out->tv_nsec = (long)rest;
  return true;
}

bool native_get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv) {
  size_t argc = expected;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < expected) {
    native_throw_type(env, "missing arguments");
    return false;
  }
  return true;
}

napi_value native_undefined(napi_env env) {
  napi_value value;
  napi_get_undefined(env, &value);
  return value;
}

/* ---- the temp names' token ----------------------------------------------------------------- */

/* setTempToken(token: Buffer of 16 lowercase hex digits): void */
static napi_value set_temp_token(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!native_get_args(env, info, 1, argv)) return NULL;
  char *token = native_get_bytes(env, argv[0], "token must be a Buffer");
  if (token == NULL) return NULL;
  bool valid = strlen(token) == TEMP_TOKEN_LENGTH && strspn(token, "0123456789abcdef") == TEMP_TOKEN_LENGTH;
  if (valid) temp_token_set(token);
  free(token);
  return valid ? native_undefined(env) : native_throw_type(env, "token must be 16 lowercase hex digits");
}

/* ---- times -------------------------------------------------------------------------------- */

/* utimens(path: Buffer, atimeNs: bigint, mtimeNs: bigint, noFollow: boolean): void */
static napi_value utimens(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  if (!native_get_args(env, info, 4, argv)) return NULL;
  struct timespec times[2];
  if (!get_timespec(env, argv[1], &times[0]) || !get_timespec(env, argv[2], &times[1])) return NULL;
  bool no_follow = false;
  napi_get_value_bool(env, argv[3], &no_follow);
  char *path = native_get_bytes(env, argv[0], "path must be a Buffer");
  if (path == NULL) return NULL;
  napi_value result = native_undefined(env);
  if (utimensat(AT_FDCWD, path, times, no_follow ? AT_SYMLINK_NOFOLLOW : 0) != 0) {
    result = native_throw_errno(env, errno, "utimensat", path);
  }
  free(path);
  return result;
}

/* futimens(fd: number, atimeNs: bigint, mtimeNs: bigint): void */
static napi_value futimens_(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!native_get_args(env, info, 3, argv)) return NULL;
  int64_t fd;
  struct timespec times[2];
  if (!get_int64(env, argv[0], &fd, "fd must be a number")) return NULL;
  if (!get_timespec(env, argv[1], &times[0]) || !get_timespec(env, argv[2], &times[1])) return NULL;
  if (futimens((int)fd, times) != 0) return native_throw_errno(env, errno, "futimens", NULL);
  return native_undefined(env);
}

/* ---- special files ------------------------------------------------------------------------ */

/* mknod(path: Buffer, mode: number (type and permission bits), rdev: bigint): void */
static napi_value mknod_(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!native_get_args(env, info, 3, argv)) return NULL;
  int64_t mode;
  uint64_t rdev;
  bool lossless;
  if (!get_int64(env, argv[1], &mode, "mode must be a number")) return NULL;
  if (napi_get_value_bigint_uint64(env, argv[2], &rdev, &lossless) != napi_ok || !lossless) {
    return native_throw_type(env, "rdev must be a BigInt");
  }
  char *path = native_get_bytes(env, argv[0], "path must be a Buffer");
  if (path == NULL) return NULL;
  napi_value result = native_undefined(env);
  if (mknod(path, (mode_t)mode, (dev_t)rdev) != 0) result = native_throw_errno(env, errno, "mknod", path);
  free(path);
  return result;
}

/* ---- sparse files ------------------------------------------------------------------------- */

static napi_value seek(napi_env env, napi_callback_info info, int whence, const char *syscall) {
  napi_value argv[2];
  if (!native_get_args(env, info, 2, argv)) return NULL;
  int64_t fd, offset;
  if (!get_int64(env, argv[0], &fd, "fd must be a number") || !get_int64(env, argv[1], &offset, "offset must be a number")) {
    return NULL;
  }
  off_t found = lseek((int)fd, (off_t)offset, whence);
  napi_value result;
  if (found < 0) {
    // ENXIO: no data (or no hole) at or after offset, i.e. at or past the end.
    if (errno != ENXIO) return native_throw_errno(env, errno, syscall, NULL);
    found = -1;
  }
  napi_create_int64(env, (int64_t)found, &result);
  return result;
}

/* seekData(fd: number, offset: number): number, the next data at or after offset, or -1. */
static napi_value seek_data(napi_env env, napi_callback_info info) {
  return seek(env, info, SEEK_DATA, "lseek(SEEK_DATA)");
}

/* seekHole(fd: number, offset: number): number, the next hole at or after offset (the end counts), or -1. */
static napi_value seek_hole(napi_env env, napi_callback_info info) {
  return seek(env, info, SEEK_HOLE, "lseek(SEEK_HOLE)");
}

/* ---- module ------------------------------------------------------------------------------- */

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"setTempToken", NULL, set_temp_token, NULL, NULL, NULL, napi_enumerable, NULL},
      {"utimens", NULL, utimens, NULL, NULL, NULL, napi_enumerable, NULL},
      {"futimens", NULL, futimens_, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mknod", NULL, mknod_, NULL, NULL, NULL, napi_enumerable, NULL},
      {"readXattrs", NULL, native_read_xattrs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setXattr", NULL, native_set_xattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"removeXattr", NULL, native_remove_xattr, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seekData", NULL, seek_data, NULL, NULL, NULL, napi_enumerable, NULL},
      {"seekHole", NULL, seek_hole, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  if (!pool_init(env)) {
    napi_throw_error(env, "ENOMEM", "cannot set up the addon's worker pool");
    return NULL;
  }
  smig_define_async(env, exports);
  smig_define_walk(env, exports);
  return exports;
}
