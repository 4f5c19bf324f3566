/*
 * The N-API calls of extended attributes (lgetxattr, llistxattr, lsetxattr, lremovexattr: never following
 * a link), split from the entry point (smig_native.c), whose argument helpers they share
 * (smig_native_internal.h).
 */
#include <node_api.h>

#include "smig_native_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/xattr.h>

/* ---- extended attributes ------------------------------------------------------------------ */

/*
 * One attribute's value into a new Buffer; sets *gone when it disappeared since it was listed.
 * Sizes are asked first and the read retried if the value grew in between (ERANGE).
 */
static napi_value read_value(napi_env env, const char *path, const char *name, bool *gone) {
  *gone = false;
  for (;;) {
    ssize_t size = lgetxattr(path, name, NULL, 0);
    if (size < 0) {
      if (errno == ENODATA) {
        *gone = true;
        return NULL;
      }
      return native_throw_errno(env, errno, "lgetxattr", path);
    }
    void *data;
    napi_value buffer;
    if (napi_create_buffer(env, (size_t)size, &data, &buffer) != napi_ok) return NULL;
    if (size == 0) return buffer;
    ssize_t got = lgetxattr(path, name, data, (size_t)size);
    if (got >= 0) {
      if (got == size) return buffer;
      napi_value trimmed;
      napi_create_buffer_copy(env, (size_t)got, data, NULL, &trimmed);
      return trimmed;
    }
    if (errno == ERANGE) continue;
    if (errno == ENODATA) {
      *gone = true;
      return NULL;
    }
    return native_throw_errno(env, errno, "lgetxattr", path);
  }
}

/*
 * readXattrs(path: Buffer): Buffer[], names and values alternating, in the order the file system
 * lists them. A file system without extended attributes gives [] (ENOTSUP), as does an entry
 * that has none.
 */
napi_value native_read_xattrs(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!native_get_args(env, info, 1, argv)) return NULL;
  char *path = native_get_bytes(env, argv[0], "path must be a Buffer");
  if (path == NULL) return NULL;
  napi_value result = NULL;
  char *names = NULL;
  ssize_t length;
  for (;;) {
    length = llistxattr(path, NULL, 0);
    if (length < 0) {
      if (errno == ENOTSUP) length = 0;
      else {
        native_throw_errno(env, errno, "llistxattr", path);
        goto done;
      }
    }
    if (length == 0) break;
    free(names);
    names = malloc((size_t)length);
    if (names == NULL) {
      native_throw_errno(env, ENOMEM, "malloc", NULL);
      goto done;
    }
    ssize_t got = llistxattr(path, names, (size_t)length);
    if (got >= 0) {
      length = got;
      break;
    }
    if (errno != ERANGE) {
      native_throw_errno(env, errno, "llistxattr", path);
      goto done;
    }
  }
  napi_create_array(env, &result);
  uint32_t index = 0;
  for (ssize_t at = 0; at < length;) {
    const char *name = names + at;
    size_t name_length = strnlen(name, (size_t)(length - at));
    at += (ssize_t)name_length + 1;
    if (name_length == 0) continue;
    bool gone;
    napi_value value = read_value(env, path, name, &gone);
    if (gone) continue;
    if (value == NULL) {
      result = NULL;
      goto done;
    }
    napi_value name_buffer;
    napi_create_buffer_copy(env, name_length, name, NULL, &name_buffer);
    napi_set_element(env, result, index++, name_buffer);
    napi_set_element(env, result, index++, value);
  }
done:
  free(names);
  free(path);
  return result;
}

/* setXattr(path: Buffer, name: Buffer, value: Buffer): void (never follows a link) */
napi_value native_set_xattr(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!native_get_args(env, info, 3, argv)) return NULL;
  bool is_buffer = false;
  napi_is_buffer(env, argv[2], &is_buffer);
  if (!is_buffer) return native_throw_type(env, "value must be a Buffer");
  void *data;
  size_t size;
  napi_get_buffer_info(env, argv[2], &data, &size);
  char *path = native_get_bytes(env, argv[0], "path must be a Buffer");
  if (path == NULL) return NULL;
  char *name = native_get_bytes(env, argv[1], "name must be a Buffer");
  napi_value result = NULL;
  if (name != NULL) {
    result = native_undefined(env);
    if (lsetxattr(path, name, data, size, 0) != 0) result = native_throw_errno(env, errno, "lsetxattr", path);
  }
  free(name);
  free(path);
  return result;
}

/* removeXattr(path: Buffer, name: Buffer): void; an attribute already gone is not an error. */
napi_value native_remove_xattr(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!native_get_args(env, info, 2, argv)) return NULL;
  char *path = native_get_bytes(env, argv[0], "path must be a Buffer");
  if (path == NULL) return NULL;
  char *name = native_get_bytes(env, argv[1], "name must be a Buffer");
  napi_value result = NULL;
  if (name != NULL) {
    result = native_undefined(env);
    if (lremovexattr(path, name) != 0 && errno != ENODATA) result = native_throw_errno(env, errno, "lremovexattr", path);
  }
  free(name);
  free(path);
  return result;
}
