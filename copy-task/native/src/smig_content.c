#include "smig_content.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

const char *const READ_BACK_NAMES[] = {"cache", "direct", "dropped"};

static const unsigned char ZEROS[64 * 1024];

void hash_zeros(XXH3_state_t *hash, int64_t length) {
  if (hash == NULL) return;
  while (length > 0) {
    size_t part = length > (int64_t)sizeof ZEROS ? sizeof ZEROS : (size_t)length;
    smig_hash_update(hash, ZEROS, part);
    length -= (int64_t)part;
  }
}

void digest_hex(XXH3_state_t *hash, char out[33]) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(hash));
  static const char HEX[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    out[2 * i] = HEX[canonical.digest[i] >> 4];
    out[2 * i + 1] = HEX[canonical.digest[i] & 15];
  }
  out[32] = '\0';
}

int hash_fd(int fd, int64_t size, char digest[33], int64_t *hashed, const char **syscall, const control_block *control) {
  unsigned char *buffer = thread_buffer();
  if (buffer == NULL) return ENOMEM;
  XXH3_state_t *hash = XXH3_createState();
  if (hash == NULL) return ENOMEM;
  XXH3_128bits_reset(hash);
  int64_t position = 0;
  int err = 0;
  while (position < size) {
    int64_t start = lseek(fd, position, SEEK_DATA);
    if (start < 0 && errno != ENXIO) {
      err = errno;
      *syscall = "lseek(SEEK_DATA)";
      goto done;
    }
    if (start < 0 || start >= size) break;
    int64_t end = lseek(fd, start, SEEK_HOLE);
    if (end < 0 || end > size) end = size;
    hash_zeros(hash, start - position);
    position = start;
    while (position < end) {
      int64_t want = end - position > CHUNK ? CHUNK : end - position;
      if (control && (control_stopped(control) || !pace_reads(control, want))) {
        err = ECANCELED;
        *syscall = "read";
        goto done;
      }
      ssize_t n = pread(fd, buffer, (size_t)want, (off_t)position);
      if (n < 0) {
        if (errno == EINTR) continue;
        err = errno;
        *syscall = "read";
        goto done;
      }
      if (n == 0) goto done; /* shrank meanwhile */
      smig_hash_update(hash, buffer, (size_t)n);
      position += n;
    }
  }
  hash_zeros(hash, size - position);
  position = size;
done:
  if (err == 0) digest_hex(hash, digest);
  if (hashed) *hashed = position;
  XXH3_freeState(hash);
  return err;
}

/*
 * O_DIRECT wants the buffer, the offsets and the lengths aligned to the device's logical block (and
 * the file system's own needs): 4 KiB covers the disks and file systems met (NFS needs none).
 */
#define DIRECT_ALIGN 4096

/* The calling thread's aligned buffer for direct reads, kept for the thread's life; NULL without memory. */
static __thread unsigned char *direct_buffer_;

static unsigned char *direct_buffer(void) {
  if (direct_buffer_ == NULL) {
    void *memory = NULL;
    if (posix_memalign(&memory, DIRECT_ALIGN, CHUNK) == 0) direct_buffer_ = memory;
  }
  return direct_buffer_;
}

static int64_t align_down(int64_t offset) {
  return offset - offset % DIRECT_ALIGN;
}

/*
 * Hashes the first `size` bytes of a file opened with O_DIRECT: its data ranges (SEEK_DATA/SEEK_HOLE)
 * read in whole aligned blocks, only the bytes inside each range hashed; holes hashed as zeros. The
 * first read refused with EINVAL (a file system that took the flag but cannot read so) sets *refused.
 */
static int hash_direct(int fd, int64_t size, XXH3_state_t *hash, int64_t *hashed, bool *refused, const char **syscall,
                       const control_block *control) {
  unsigned char *buffer = direct_buffer();
  if (buffer == NULL) return ENOMEM;
  bool read_any = false;
  int64_t position = 0; /* hashed up to here */
  while (position < size) {
    int64_t start = lseek(fd, position, SEEK_DATA);
    if (start < 0 && errno != ENXIO) {
      *syscall = "lseek(SEEK_DATA)";
      return errno;
    }
    if (start < 0 || start >= size) break;
    int64_t end = lseek(fd, start, SEEK_HOLE);
    if (end < 0 || end > size) end = size;
    hash_zeros(hash, start - position);
    position = start;
    int64_t at = align_down(start);
    while (position < end) {
      if (control && control_stopped(control)) {
        *syscall = "read";
        return ECANCELED;
      }
      /* The tail is read to the aligned length; the read ends at the end of the file. */
      int64_t want = align_down(end + DIRECT_ALIGN - 1) - at;
      if (want > CHUNK) want = CHUNK;
      ssize_t n = pread(fd, buffer, (size_t)want, (off_t)at);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EINVAL && !read_any) {
          *refused = true;
          return 0;
        }
        *syscall = "read";
        return errno;
      }
      read_any = true;
      int64_t from = position - at, upto = at + n < end ? n : end - at;
      if (upto > from) {
        smig_hash_update(hash, buffer + from, (size_t)(upto - from));
        position = at + upto;
      }
      /* Short of what was asked before the range's end: the file is shorter than `size`. */
      if (n < want && position < end) {
        *hashed = position;
        return 0;
      }
      at += n;
    }
  }
  hash_zeros(hash, size - position);
  *hashed = size;
  return 0;
}

int hash_fd_from_storage(int fd, int64_t size, char digest[33], int64_t *hashed, int *read_back, const char **syscall,
                         const control_block *control) {
  /* Only durable data is worth reading back: before this, storage may not hold it yet. */
  if (fdatasync(fd) != 0) {
    *syscall = "fdatasync";
    return errno;
  }
  /* Stops, never paces: pacing is for reads from the source. */
  control_block unpaced = control ? *control : (control_block){0};
  if (unpaced.count > CONTROL_RATE) unpaced.count = CONTROL_RATE;
  const control_block *stop = control ? &unpaced : NULL;

  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) {
    *syscall = "fcntl";
    return errno;
  }
  bool refused = false;
  if (!(flags & O_DIRECT) && fcntl(fd, F_SETFL, flags | O_DIRECT) != 0) {
    if (errno != EINVAL) {
      *syscall = "fcntl(O_DIRECT)";
      return errno;
    }
    refused = true;
  }
  if (!refused) {
    XXH3_state_t *hash = XXH3_createState();
    int err = ENOMEM;
    int64_t got = 0;
    if (hash) {
      XXH3_128bits_reset(hash);
      err = hash_direct(fd, size, hash, &got, &refused, syscall, stop);
      if (err == 0 && !refused) digest_hex(hash, digest);
      XXH3_freeState(hash);
    }
    fcntl(fd, F_SETFL, flags);
    if (err || !refused) {
      *read_back = READ_BACK_DIRECT;
      if (hashed) *hashed = got;
      return err;
    }
  }
  /* Clean pages (all of them, after the fdatasync) are dropped, so the reads below go to storage. */
  int err = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  if (err) {
    *syscall = "posix_fadvise";
    return err;
  }
  *read_back = READ_BACK_DROPPED;
  return hash_fd(fd, size, digest, hashed, syscall, stop);
}
