/* XXH3-128 updates with AVX2 (compiled with -mavx2; called only when the CPU has it, see smig_hash.c). */
#define XXH_INLINE_ALL
#include "vendor/xxhash.h"

XXH_errorcode smig_xxh3_update_avx2(XXH3_state_t *state, const void *data, size_t length);

XXH_errorcode smig_xxh3_update_avx2(XXH3_state_t *state, const void *data, size_t length) {
  return XXH3_128bits_update(state, data, length);
}
