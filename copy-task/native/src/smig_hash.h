/*
 * XXH3-128 updates at the widest vectors the CPU has: xxHash picks its vector code when compiled, so
 * on x86-64 the AVX2 version is compiled apart (smig_hash_avx2.c, with -mavx2) and chosen at run time
 * when the CPU has AVX2; elsewhere (SSE2 on x86-64, NEON on arm64) the baseline serves.
 */
#ifndef SMIG_HASH_H
#define SMIG_HASH_H

#include <stddef.h>

#define XXH_INLINE_ALL
#include "vendor/xxhash.h"

void smig_hash_update(XXH3_state_t *state, const void *data, size_t length);

#endif
