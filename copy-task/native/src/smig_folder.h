/* The folder-at-a-time calls (smig_folder.c): listPair, syncFolder, releasePair, setWorkers. */
#ifndef SMIG_FOLDER_H
#define SMIG_FOLDER_H

#include <node_api.h>

void smig_define_folder(napi_env env, napi_value exports);

#endif
