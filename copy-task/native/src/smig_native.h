/* What the addon's source files share with its entry point (smig_native.c). */
#ifndef SMIG_NATIVE_H
#define SMIG_NATIVE_H

#include <node_api.h>

/* An Error shaped like Node's fs errors: code, errno, syscall, path (path may be NULL). */
napi_value smig_errno_error(napi_env env, int err, const char *syscall, const char *path);

/* Adds the asynchronous calls (smig_async.c) to the module's exports. */
void smig_define_async(napi_env env, napi_value exports);

#endif
