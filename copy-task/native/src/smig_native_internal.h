/* What smig_native.c shares with the files it was split into (smig_native_xattrs.c). */
#ifndef SMIG_NATIVE_INTERNAL_H
#define SMIG_NATIVE_INTERNAL_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

/* Throws Node's fs-style error for `err` (code, errno, syscall, path); returns NULL. */
napi_value native_throw_errno(napi_env env, int err, const char *syscall, const char *path);
/* Throws a TypeError with `message`; returns NULL. */
napi_value native_throw_type(napi_env env, const char *message);
/* A Buffer's bytes as a NUL-terminated string the caller frees; NULL (a TypeError thrown) if it is not one or holds a NUL. */
char *native_get_bytes(napi_env env, napi_value value, const char *what);
/* The call's `expected` arguments into argv; false (a TypeError thrown) if fewer were given. */
bool native_get_args(napi_env env, napi_callback_info info, size_t expected, napi_value *argv);

/* JavaScript's undefined. */
napi_value native_undefined(napi_env env);

/* readXattrs(path), setXattr(path, name, value), removeXattr(path, name). */
napi_value native_read_xattrs(napi_env env, napi_callback_info info);
napi_value native_set_xattr(napi_env env, napi_callback_info info);
napi_value native_remove_xattr(napi_env env, napi_callback_info info);

#endif
