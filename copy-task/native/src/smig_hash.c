#include "smig_hash.h"

#include <stdbool.h>

#if defined(__x86_64__) && defined(SMIG_HASH_AVX2)
XXH_errorcode smig_xxh3_update_avx2(XXH3_state_t *state, const void *data, size_t length);

static bool has_avx2(void) {
  static int known = -1;
  int value = __atomic_load_n(&known, __ATOMIC_RELAXED);
  if (value < 0) {
    __builtin_cpu_init();
    value = __builtin_cpu_supports("avx2") ? 1 : 0;
    __atomic_store_n(&known, value, __ATOMIC_RELAXED);
  }
  return value == 1;
}

void smig_hash_update(XXH3_state_t *state, const void *data, size_t length) {
  if (has_avx2()) smig_xxh3_update_avx2(state, data, length);
  else XXH3_128bits_update(state, data, length);
}
#else
void smig_hash_update(XXH3_state_t *state, const void *data, size_t length) {
  XXH3_128bits_update(state, data, length);
}
#endif
