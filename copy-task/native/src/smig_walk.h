/* The tree walk (smig_walk.c; the call itself, smig_walk_call.c): walkTree and setWorkers. */
#ifndef SMIG_WALK_H
#define SMIG_WALK_H

#include <node_api.h>

void smig_define_walk(napi_env env, napi_value exports);

#endif
