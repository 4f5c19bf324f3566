/*
 * The data of one regular file copied (a part of smig_filecopy.c's copy): only data ranges (holes stay
 * holes), hashed as read and, when asked, each chunk read back at once while it is in the page cache.
 */
#ifndef SMIG_FILEDATA_H
#define SMIG_FILEDATA_H

#include <stdbool.h>
#include <stdint.h>

#include "smig_filecopy.h"
#include "smig_hash.h"

/*
 * Copies the first `size` bytes of `in` to `out`, then sets the length (keeping a trailing hole).
 * `hash` (may be NULL) gets the source's bytes, holes as zeros; `readback` (may be NULL) the copy's,
 * read back chunk by chunk as it is written. *complete is false when the source turned out shorter.
 * 0, or the errno also recorded in `c`.
 */
int file_data_copy(file_copy *c, int in, int out, int64_t size, XXH3_state_t *hash, XXH3_state_t *readback, bool *complete);

#endif
