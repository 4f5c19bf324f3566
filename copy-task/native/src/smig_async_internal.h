/*
 * The one-path calls defined in files of their own, for smig_async.c to add to the module's exports
 * (smig_define_async). Not for other files.
 */
#ifndef SMIG_ASYNC_INTERNAL_H
#define SMIG_ASYNC_INTERNAL_H

#include <node_api.h>

/* copyFile and copyFiles (smig_async_copy.c). */
napi_value async_copy_file(napi_env env, napi_callback_info info);
napi_value async_copy_files(napi_env env, napi_callback_info info);

/* scanDir and scanPair (smig_async_scan.c). */
napi_value async_scan_dir(napi_env env, napi_callback_info info);
napi_value async_scan_pair(napi_env env, napi_callback_info info);

#endif
