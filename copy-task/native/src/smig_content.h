/*
 * A file's content as a digest (XXH3-128, 32 hex digits; holes hashed as the zeros they read as), read
 * through the page cache (hash_fd) or from storage, past the cache (hash_fd_from_storage).
 */
#ifndef SMIG_CONTENT_H
#define SMIG_CONTENT_H

#include <stdint.h>

#include "smig_hash.h"
#include "smig_util.h"

/* Adds `length` zero bytes (a hole) to a hash; nothing when `hash` is NULL. */
void hash_zeros(XXH3_state_t *hash, int64_t length);
void digest_hex(XXH3_state_t *hash, char out[33]);

/*
 * XXH3-128 of the first `size` bytes of an open file, reading only its data ranges; 0 or an errno
 * (ECANCELED once `control`, if given, says stop: a chunk at a time, and its reads are paced).
 */
int hash_fd(int fd, int64_t size, char digest[33], int64_t *hashed, const char **syscall, const control_block *control);

/* Where a copy was read back from to verify it. */
enum {
  READ_BACK_CACHE = 0,  /* the page cache, right after each chunk was written */
  READ_BACK_DIRECT = 1, /* storage, with O_DIRECT: on NFS each read is the server's answer */
  READ_BACK_DROPPED = 2 /* storage, through the cache once the file's clean pages were dropped (O_DIRECT refused) */
};
extern const char *const READ_BACK_NAMES[];

/*
 * As hash_fd, but of what storage holds: the file's data is made durable first (fdatasync), then read
 * with O_DIRECT (aligned buffer, offsets and lengths; the tail read to the aligned length, only the
 * file's bytes hashed). Where the file system refuses O_DIRECT (EINVAL: ramfs, some FUSE), the file's
 * cached pages are dropped (posix_fadvise DONTNEED, which drops clean pages, as they are after the
 * fdatasync) and it is read as hash_fd reads it. *read_back says which. The file's status flags are
 * as they were when it returns. Not paced: `control` only stops it.
 */
int hash_fd_from_storage(int fd, int64_t size, char digest[33], int64_t *hashed, int *read_back, const char **syscall,
                         const control_block *control);

#endif
