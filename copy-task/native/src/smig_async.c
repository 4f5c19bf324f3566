/*
 * The addon's calls that move or read data. Each runs on libuv's thread pool (napi_create_async_work)
 * and returns a Promise, so the JavaScript thread only plans and reports while the pool's threads keep
 * both cores and the disk busy, and a file costs one trip between the two instead of a dozen:
 *
 *  - copyFile: one regular file, whole, as copy-file.ts describes it: data into a temp file (holes
 *    kept; copy_file_range when not verifying, read+write with an XXH3-128 hash when verifying),
 *    the source checked for changes, the copy read back and compared, owner, xattrs, mode and times
 *    set and read back, then the rename to the final name.
 *  - hashFile: XXH3-128 of a file's content (holes hashed as the zeros they read as).
 *  - scanDir: one folder's entries (lstat, link targets, xattrs), sorted by name bytes, packed in one
 *    Buffer (see scan.ts for the layout).
 *  - syncfs: writes back the whole file system that holds a path.
 *
 * Progress and cancellation go through a small shared block (two int64s: bytes done, added to
 * atomically here; a stop flag, set by JavaScript and looked at between chunks).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <node_api.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/xattr.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include "vendor/xxhash.h"

#include "smig_native.h"

#define NS_PER_S 1000000000LL
#define CHUNK (1024 * 1024)
#define RANGE_CHUNK (8 * 1024 * 1024)
/* Written data is handed to the disk every this many bytes (see start_write_back). */
#define WRITE_BACK_CHUNK (8 * 1024 * 1024)

/* ---- shared helpers ------------------------------------------------------------------------ */

static __thread unsigned char *thread_buffer_;
static __thread unsigned char *thread_readback_;

/* A 1 MiB buffer per pool thread, kept for the thread's life. */
static unsigned char *thread_buffer(void) {
  if (thread_buffer_ == NULL) thread_buffer_ = malloc(CHUNK);
  return thread_buffer_;
}

/* A second one, for reading back what was just written. */
static unsigned char *readback_buffer(void) {
  if (thread_readback_ == NULL) thread_readback_ = malloc(CHUNK);
  return thread_readback_;
}

static const unsigned char ZEROS[64 * 1024];

static void hash_zeros(XXH3_state_t *hash, int64_t length) {
  if (hash == NULL) return;
  while (length > 0) {
    size_t part = length > (int64_t)sizeof ZEROS ? sizeof ZEROS : (size_t)length;
    XXH3_128bits_update(hash, ZEROS, part);
    length -= (int64_t)part;
  }
}

static void digest_hex(XXH3_state_t *hash, char out[33]) {
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(hash));
  static const char HEX[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    out[2 * i] = HEX[canonical.digest[i] >> 4];
    out[2 * i + 1] = HEX[canonical.digest[i] & 15];
  }
  out[32] = '\0';
}

static int64_t ns_of(struct timespec t) {
  return (int64_t)t.tv_sec * NS_PER_S + t.tv_nsec;
}

static bool same_time(struct timespec a, struct timespec b, int64_t granularity) {
  int64_t x = ns_of(a), y = ns_of(b);
  if (granularity <= 1) return x == y;
  int64_t qx = x / granularity - (x % granularity < 0 ? 1 : 0);
  int64_t qy = y / granularity - (y % granularity < 0 ? 1 : 0);
  return qx == qy;
}

/* A Buffer argument as a NUL-terminated copy; NULL (TypeError thrown) when not a Buffer or holding NUL. */
static char *buffer_arg(napi_env env, napi_value value, const char *what) {
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  void *data = NULL;
  size_t length = 0;
  if (is_buffer) napi_get_buffer_info(env, value, &data, &length);
  if (!is_buffer || memchr(data, 0, length) != NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return NULL;
  }
  char *copy = malloc(length + 1);
  if (copy == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  memcpy(copy, data, length);
  copy[length] = '\0';
  return copy;
}

/* Opens a file to read: no link followed, no FIFO waited on, its atime left alone where allowed. */
static int open_for_reading(const char *path) {
  int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  int fd = open(path, flags | O_NOATIME);
  if (fd < 0 && errno == EPERM) fd = open(path, flags);
  return fd;
}

/* ---- extended attributes ------------------------------------------------------------------- */

#ifndef SYS_listxattrat
#define SYS_listxattrat 465 /* Linux 6.13 */
#endif

static int listxattrat_missing;

/*
 * The attribute names of `name` in the folder `dir`, never followed: listxattrat(2) where the kernel
 * has it (no walk of the whole path for every entry), llistxattr on the full path otherwise.
 */
static ssize_t list_names_at(int dir, const char *name, const char *full, char *list, size_t size) {
  if (dir >= 0 && !__atomic_load_n(&listxattrat_missing, __ATOMIC_RELAXED)) {
    ssize_t got = syscall(SYS_listxattrat, dir, name, AT_SYMLINK_NOFOLLOW, list, size);
    if (got >= 0 || errno != ENOSYS) return got;
    __atomic_store_n(&listxattrat_missing, 1, __ATOMIC_RELAXED);
  }
  return llistxattr(full, list, size);
}

typedef struct {
  size_t count;
  char **names;
  unsigned char **values;
  size_t *sizes;
} xattr_set;

static void xattr_free(xattr_set *set) {
  for (size_t i = 0; i < set->count; i++) {
    free(set->names[i]);
    free(set->values[i]);
  }
  free(set->names);
  free(set->values);
  free(set->sizes);
  memset(set, 0, sizeof *set);
}

/*
 * Every attribute of an open file (fd >= 0) or of a path, never followed (fd < 0), sorted by name.
 * Returns 0 or an errno; *syscall names the call that failed. No support for them counts as none.
 */
static int xattr_read_at(int fd, int dir, const char *name_in_dir, const char *path, xattr_set *out, const char **syscall) {
  memset(out, 0, sizeof *out);
  char *names = NULL;
  ssize_t length;
  for (;;) {
    length = fd >= 0 ? flistxattr(fd, NULL, 0) : list_names_at(dir, name_in_dir, path, NULL, 0);
    if (length < 0) {
      if (errno == ENOTSUP) return 0;
      *syscall = "llistxattr";
      return errno;
    }
    if (length == 0) return 0;
    free(names);
    names = malloc((size_t)length);
    if (names == NULL) return ENOMEM;
    ssize_t got = fd >= 0 ? flistxattr(fd, names, (size_t)length) : list_names_at(dir, name_in_dir, path, names, (size_t)length);
    if (got >= 0) {
      length = got;
      break;
    }
    if (errno != ERANGE) {
      free(names);
      *syscall = "llistxattr";
      return errno;
    }
  }
  size_t capacity = 0;
  for (ssize_t at = 0; at < length; at += (ssize_t)strlen(names + at) + 1) capacity++;
  out->names = calloc(capacity, sizeof(char *));
  out->values = calloc(capacity, sizeof(unsigned char *));
  out->sizes = calloc(capacity, sizeof(size_t));
  if (capacity > 0 && (out->names == NULL || out->values == NULL || out->sizes == NULL)) {
    free(names);
    xattr_free(out);
    return ENOMEM;
  }
  for (ssize_t at = 0; at < length; at += (ssize_t)strlen(names + at) + 1) {
    const char *name = names + at;
    if (*name == '\0') continue;
    unsigned char *value = NULL;
    ssize_t size;
    for (;;) {
      size = fd >= 0 ? fgetxattr(fd, name, NULL, 0) : lgetxattr(path, name, NULL, 0);
      if (size < 0) break;
      free(value);
      value = malloc(size > 0 ? (size_t)size : 1);
      if (value == NULL) {
        free(names);
        xattr_free(out);
        return ENOMEM;
      }
      ssize_t got = size == 0 ? 0 : (fd >= 0 ? fgetxattr(fd, name, value, (size_t)size) : lgetxattr(path, name, value, (size_t)size));
      if (got >= 0) {
        size = got;
        break;
      }
      if (errno != ERANGE) {
        size = -1;
        break;
      }
    }
    if (size < 0) {
      int err = errno;
      free(value);
      if (err == ENODATA) continue; /* removed since it was listed */
      free(names);
      xattr_free(out);
      *syscall = "lgetxattr";
      return err;
    }
    out->names[out->count] = strdup(name);
    out->values[out->count] = value;
    out->sizes[out->count] = (size_t)size;
    out->count++;
  }
  free(names);
  /* Sort names with their values: an index sort keeps it simple for the few attributes a file has. */
  for (size_t i = 1; i < out->count; i++) {
    for (size_t j = i; j > 0 && strcmp(out->names[j - 1], out->names[j]) > 0; j--) {
      char *n = out->names[j];
      out->names[j] = out->names[j - 1];
      out->names[j - 1] = n;
      unsigned char *v = out->values[j];
      out->values[j] = out->values[j - 1];
      out->values[j - 1] = v;
      size_t s = out->sizes[j];
      out->sizes[j] = out->sizes[j - 1];
      out->sizes[j - 1] = s;
    }
  }
  return 0;
}

static int xattr_read(int fd, const char *path, xattr_set *out, const char **syscall) {
  return xattr_read_at(fd, -1, NULL, path, out, syscall);
}

static bool xattr_equal(const xattr_set *a, const xattr_set *b) {
  if (a->count != b->count) return false;
  for (size_t i = 0; i < a->count; i++) {
    if (strcmp(a->names[i], b->names[i]) != 0 || a->sizes[i] != b->sizes[i]) return false;
    if (a->sizes[i] > 0 && memcmp(a->values[i], b->values[i], a->sizes[i]) != 0) return false;
  }
  return true;
}

static ssize_t xattr_find(const xattr_set *set, const char *name) {
  for (size_t i = 0; i < set->count; i++) {
    if (strcmp(set->names[i], name) == 0) return (ssize_t)i;
  }
  return -1;
}

/* ---- copyFile ------------------------------------------------------------------------------ */

enum { COPY_VERIFY = 1, COPY_AS_ROOT = 2 };
enum { OUT_COPIED, OUT_CHANGED, OUT_VANISHED, OUT_MISMATCH, OUT_ATTRIBUTES };
static const char *const OUTCOMES[] = {"copied", "changed", "vanished", "mismatch", "attributes"};

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref control_ref;
  int64_t *control; /* [0] bytes done (added to), [1] stop flag */
  char *source;
  char *temp;
  char *destination;
  int flags;
  int64_t granularity;
  /* results */
  int outcome;
  int err;
  const char *syscall;
  const char *err_path;
  struct stat before;
  int64_t progressed;
  char source_digest[33];
  char destination_digest[33];
  char problem[512];
} copy_job;

static int job_fail(copy_job *job, int err, const char *syscall, const char *path) {
  job->err = err;
  job->syscall = syscall;
  job->err_path = path;
  return err;
}

static void job_progress(copy_job *job, int64_t bytes) {
  job->progressed += bytes;
  if (job->control) __atomic_fetch_add(&job->control[0], bytes, __ATOMIC_RELAXED);
}

static bool job_stopped(copy_job *job) {
  return job->control && __atomic_load_n(&job->control[1], __ATOMIC_RELAXED) != 0;
}

static int write_all(int fd, const unsigned char *data, size_t length, int64_t at) {
  while (length > 0) {
    ssize_t n = pwrite(fd, data, length, (off_t)at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += n;
    length -= (size_t)n;
    at += n;
  }
  return 0;
}

/*
 * Starts writing [from, to) of a file to disk without waiting (sync_file_range WRITE): the run's
 * syncfs at the end of a pass (durability.ts) then waits only for the tail, and the disk works
 * while the next data is copied instead of after it. Best effort: errors show at the syncfs.
 */
static void start_write_back(int fd, int64_t from, int64_t to) {
  if (to > from) sync_file_range(fd, (off64_t)from, (off64_t)(to - from), SYNC_FILE_RANGE_WRITE);
}

/*
 * Copies the first `size` bytes of `in` to `out`: only data ranges (holes stay holes), then the length
 * is set (keeping a trailing hole). Hashes as it goes when `hash` is given (holes as zeros); otherwise
 * lets the kernel copy files above 1 MiB (copy_file_range), falling back to read+write where it cannot. *complete is
 * false when the source turned out shorter.
 */
static int copy_data(copy_job *job, int in, int out, int64_t size, XXH3_state_t *hash, XXH3_state_t *readback, bool *complete) {
  *complete = true;
  bool dense = (int64_t)job->before.st_blocks * 512 >= size;
  /* The kernel's copy (a splice) costs more than a read and a write for small files: measured. */
  bool kernel_copy = hash == NULL && size > CHUNK;
  unsigned char *buffer = thread_buffer();
  unsigned char *back = readback ? readback_buffer() : NULL;
  if (buffer == NULL || (readback && back == NULL)) return job_fail(job, ENOMEM, "malloc", NULL);
  int64_t position = 0, data_end = 0, handed = 0;
  while (position < size) {
    int64_t start = position, end = size;
    if (!dense) {
      start = lseek(in, position, SEEK_DATA);
      if (start < 0) {
        if (errno == ENXIO) break;
        return job_fail(job, errno, "lseek(SEEK_DATA)", job->source);
      }
      if (start >= size) break;
      end = lseek(in, start, SEEK_HOLE);
      if (end < 0 || end > size) end = size;
    }
    if (start > position) {
      hash_zeros(hash, start - position);
      hash_zeros(readback, start - position);
      job_progress(job, start - position);
      position = start;
    }
    while (position < end) {
      if (job_stopped(job)) return job_fail(job, ECANCELED, "copy", job->source);
      ssize_t n;
      if (kernel_copy) {
        int64_t want = end - position > RANGE_CHUNK ? RANGE_CHUNK : end - position;
        loff_t from = position, to = position;
        n = copy_file_range(in, &from, out, &to, (size_t)want, 0);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EBADF) {
            kernel_copy = false;
            continue;
          }
          return job_fail(job, errno, "copy_file_range", job->temp);
        }
      } else {
        int64_t want = end - position > CHUNK ? CHUNK : end - position;
        n = pread(in, buffer, (size_t)want, (off_t)position);
        if (n < 0) {
          if (errno == EINTR) continue;
          return job_fail(job, errno, "read", job->source);
        }
        if (n > 0) {
          int err = write_all(out, buffer, (size_t)n, position);
          if (err) return job_fail(job, err, "write", job->temp);
          if (hash) XXH3_128bits_update(hash, buffer, (size_t)n);
          if (readback) {
            /* Read back at once, while it is hot: the copy's own bytes, hashed on their own. */
            for (ssize_t got = 0; got < n;) {
              ssize_t m = pread(out, back + got, (size_t)(n - got), (off_t)(position + got));
              if (m < 0 && errno == EINTR) continue;
              if (m < 0) return job_fail(job, errno, "read", job->temp);
              if (m == 0) break; /* shorter than written: the digests differ */
              got += m;
              XXH3_128bits_update(readback, back + got - m, (size_t)m);
            }
          }
        }
      }
      if (n == 0) {
        *complete = false;
        return 0;
      }
      position += n;
      data_end = position;
      job_progress(job, n);
      if (position - handed >= WRITE_BACK_CHUNK) {
        start_write_back(out, handed, position);
        handed = position;
      }
    }
  }
  if (size > position) {
    hash_zeros(hash, size - position);
    hash_zeros(readback, size - position);
    job_progress(job, size - position);
  }
  if (data_end < size && ftruncate(out, (off_t)size) != 0) return job_fail(job, errno, "ftruncate", job->temp);
  /* Small files are left to the syncfs, which writes many of them back together. */
  if (data_end >= WRITE_BACK_CHUNK / 8) start_write_back(out, handed, data_end);
  return 0;
}

/* XXH3-128 of the first `size` bytes of an open file, reading only its data ranges. */
static int hash_fd(int fd, int64_t size, char digest[33], int64_t *hashed, const char **syscall) {
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
      ssize_t n = pread(fd, buffer, (size_t)want, (off_t)position);
      if (n < 0) {
        if (errno == EINTR) continue;
        err = errno;
        *syscall = "read";
        goto done;
      }
      if (n == 0) goto done; /* shrank meanwhile */
      XXH3_128bits_update(hash, buffer, (size_t)n);
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
 * Gives the temp file the source's owner, extended attributes (exactly the source's set: inherited
 * ones, such as a default ACL's, go), mode and times, in that order (see metadata.ts).
 */
static int apply_attributes(copy_job *job, int out, const xattr_set *wanted) {
  struct stat current;
  if (fstat(out, &current) != 0) return job_fail(job, errno, "fstat", job->temp);
  if (current.st_uid != job->before.st_uid || current.st_gid != job->before.st_gid) {
    if (fchown(out, job->before.st_uid, job->before.st_gid) != 0 && ((job->flags & COPY_AS_ROOT) || errno != EPERM)) {
      return job_fail(job, errno, "fchown", job->temp);
    }
  }
  xattr_set present;
  const char *syscall = NULL;
  int err = xattr_read(out, NULL, &present, &syscall);
  if (err) return job_fail(job, err, syscall ? syscall : "llistxattr", job->temp);
  for (size_t i = 0; i < present.count && err == 0; i++) {
    if (xattr_find(wanted, present.names[i]) < 0 && fremovexattr(out, present.names[i]) != 0 && errno != ENODATA) {
      err = job_fail(job, errno, "fremovexattr", job->temp);
    }
  }
  for (size_t i = 0; i < wanted->count && err == 0; i++) {
    ssize_t at = xattr_find(&present, wanted->names[i]);
    if (at >= 0 && present.sizes[at] == wanted->sizes[i] && memcmp(present.values[at], wanted->values[i], wanted->sizes[i]) == 0) continue;
    if (fsetxattr(out, wanted->names[i], wanted->values[i], wanted->sizes[i], 0) != 0) {
      snprintf(job->problem, sizeof job->problem, "cannot set extended attribute %s", wanted->names[i]);
      err = job_fail(job, errno, "fsetxattr", job->temp);
    }
  }
  xattr_free(&present);
  if (err) return err;
  if (fchmod(out, job->before.st_mode & 07777) != 0) return job_fail(job, errno, "fchmod", job->temp);
  struct timespec times[2] = {job->before.st_atim, job->before.st_mtim};
  if (futimens(out, times) != 0) return job_fail(job, errno, "futimens", job->temp);
  return 0;
}

/* Reads back what apply_attributes wrote; fills job->problem and returns false when something differs. */
static bool attributes_match(copy_job *job, int out, const xattr_set *wanted) {
  struct stat made;
  if (fstat(out, &made) != 0) {
    job_fail(job, errno, "fstat", job->temp);
    return true;
  }
  size_t used = 0;
  char *text = job->problem;
  size_t room = sizeof job->problem;
#define PROBLEM(...) \
  used += (size_t)snprintf(text + used, used < room ? room - used : 0, "%s", used ? "; " : ""), \
  used += (size_t)snprintf(text + used, used < room ? room - used : 0, __VA_ARGS__)
  if ((made.st_mode & 07777) != (job->before.st_mode & 07777)) {
    PROBLEM("mode 0%03o instead of 0%03o", made.st_mode & 07777, job->before.st_mode & 07777);
  }
  if ((job->flags & COPY_AS_ROOT) && (made.st_uid != job->before.st_uid || made.st_gid != job->before.st_gid)) {
    PROBLEM("owner %u:%u instead of %u:%u", made.st_uid, made.st_gid, job->before.st_uid, job->before.st_gid);
  }
  if (!same_time(made.st_mtim, job->before.st_mtim, job->granularity)) {
    PROBLEM("mtime %lld ns instead of %lld ns", (long long)ns_of(made.st_mtim), (long long)ns_of(job->before.st_mtim));
  }
  if (!same_time(made.st_atim, job->before.st_atim, job->granularity)) {
    PROBLEM("atime %lld ns instead of %lld ns", (long long)ns_of(made.st_atim), (long long)ns_of(job->before.st_atim));
  }
  xattr_set present;
  const char *syscall = NULL;
  int err = xattr_read(out, NULL, &present, &syscall);
  if (err) {
    job_fail(job, err, syscall ? syscall : "llistxattr", job->temp);
    return true;
  }
  if (!xattr_equal(&present, wanted)) PROBLEM("extended attributes differ");
  xattr_free(&present);
#undef PROBLEM
  return used == 0;
}

/*
 * A file without a name in the destination's folder (O_TMPFILE): it gets its name only once it is
 * complete and verified (place_unnamed), and a run killed before that leaves nothing at all. -1 where
 * the file system has no such files (NFS): the copy then goes through a temp name.
 */
static int open_unnamed(const char *destination) {
  const char *slash = strrchr(destination, '/');
  if (slash == NULL) return -1;
  size_t length = slash == destination ? 1 : (size_t)(slash - destination);
  char *dir = malloc(length + 1);
  if (dir == NULL) return -1;
  memcpy(dir, destination, length);
  dir[length] = '\0';
  int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  free(dir);
  return fd;
}

/* Links an unnamed file in under `path` (which must not exist): EEXIST when it does. */
static int link_unnamed(int fd, const char *path) {
  if (linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) == 0) return 0;
  if (errno != ENOENT && errno != EPERM) return errno;
  /* Without CAP_DAC_READ_SEARCH, through /proc (which follows to the open file). */
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  return linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
}

/* Gives the complete, verified unnamed file its final name, replacing what is there through a temp name. */
static int place_unnamed(copy_job *job, int fd) {
  int err = link_unnamed(fd, job->destination);
  if (err == 0) return 0;
  if (err != EEXIST) return job_fail(job, err, "link", job->destination);
  err = link_unnamed(fd, job->temp);
  if (err) return job_fail(job, err, "link", job->temp);
  if (rename(job->temp, job->destination) != 0) {
    err = errno;
    unlink(job->temp);
    return job_fail(job, err, "rename", job->destination);
  }
  return 0;
}

static void copy_execute(napi_env env, void *data) {
  (void)env;
  copy_job *job = data;
  int in = open_for_reading(job->source);
  if (in < 0) {
    if (errno == ENOENT) job->outcome = OUT_VANISHED;
    else if (errno == ELOOP) job->outcome = OUT_CHANGED; /* now a link */
    else job_fail(job, errno, "open", job->source);
    return;
  }
  int out = -1;
  bool placed = false, unnamed = false;
  XXH3_state_t *hash = NULL, *readback = NULL;
  xattr_set source_xattrs = {0};
  if (fstat(in, &job->before) != 0) {
    job_fail(job, errno, "fstat", job->source);
    goto finish;
  }
  if (!S_ISREG(job->before.st_mode)) {
    job->outcome = OUT_CHANGED;
    goto finish;
  }
  out = open_unnamed(job->destination);
  unnamed = out >= 0;
  if (!unnamed) out = open(job->temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0) {
    job_fail(job, errno, "open", job->temp);
    goto finish;
  }
  if (job->flags & COPY_VERIFY) {
    hash = XXH3_createState();
    readback = XXH3_createState();
    if (hash == NULL || readback == NULL) {
      job_fail(job, ENOMEM, "malloc", NULL);
      goto finish;
    }
    XXH3_128bits_reset(hash);
    XXH3_128bits_reset(readback);
  }
  int64_t size = job->before.st_size;
  bool complete;
  if (copy_data(job, in, out, size, hash, readback, &complete) != 0) goto finish;

  /* The attributes before the second look, so that a change to them shows in the ctime. */
  const char *syscall = NULL;
  int err = xattr_read(in, NULL, &source_xattrs, &syscall);
  if (err) {
    job_fail(job, err, syscall ? syscall : "llistxattr", job->source);
    goto finish;
  }
  struct stat after, now;
  if (fstat(in, &after) != 0) {
    job_fail(job, errno, "fstat", job->source);
    goto finish;
  }
  bool exists = lstat(job->source, &now) == 0;
  if (!exists && errno != ENOENT) {
    job_fail(job, errno, "lstat", job->source);
    goto finish;
  }
  bool stable = complete && after.st_size == job->before.st_size && ns_of(after.st_mtim) == ns_of(job->before.st_mtim) &&
                ns_of(after.st_ctim) == ns_of(job->before.st_ctim) && exists && now.st_ino == job->before.st_ino &&
                now.st_dev == job->before.st_dev;
  if (!stable) {
    job->outcome = exists ? OUT_CHANGED : OUT_VANISHED;
    goto finish;
  }
  if (hash) {
    /* The copy was read back as it was written (copy_data); its length is checked here. */
    digest_hex(hash, job->source_digest);
    digest_hex(readback, job->destination_digest);
    struct stat made;
    if (fstat(out, &made) != 0) {
      job_fail(job, errno, "fstat", job->temp);
      goto finish;
    }
    if (strcmp(job->source_digest, job->destination_digest) != 0 || made.st_size != size) {
      job->outcome = OUT_MISMATCH;
      goto finish;
    }
  }
  if (apply_attributes(job, out, &source_xattrs) != 0) goto finish;
  if (job->flags & COPY_VERIFY) {
    if (!attributes_match(job, out, &source_xattrs)) {
      job->outcome = OUT_ATTRIBUTES;
      goto finish;
    }
    if (job->err) goto finish;
  }
  if (unnamed) {
    if (place_unnamed(job, out) != 0) goto finish;
  } else if (rename(job->temp, job->destination) != 0) {
    job_fail(job, errno, "rename", job->destination);
    goto finish;
  }
  placed = true;
  job->outcome = OUT_COPIED;
finish:
  if (out >= 0) {
    close(out);
    if (!placed && !unnamed) unlink(job->temp);
  }
  close(in);
  if (hash) XXH3_freeState(hash);
  if (readback) XXH3_freeState(readback);
  xattr_free(&source_xattrs);
}

static void set_string(napi_env env, napi_value object, const char *name, const char *text) {
  napi_value value;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, object, name, value);
}

static void set_number(napi_env env, napi_value object, const char *name, double number) {
  napi_value value;
  napi_create_double(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

static void set_bigint(napi_env env, napi_value object, const char *name, int64_t number) {
  napi_value value;
  napi_create_bigint_int64(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

/* What one copy came to: an Error (rejection) or { outcome, size, progressed, mtimeNs, ... }. */
static napi_value copy_result(napi_env env, copy_job *job) {
  if (job->err) {
    napi_value error = smig_errno_error(env, job->err, job->syscall, job->err_path);
    if (job->problem[0]) set_string(env, error, "detail", job->problem);
    return error;
  }
  napi_value result;
  napi_create_object(env, &result);
  set_string(env, result, "outcome", OUTCOMES[job->outcome]);
  set_number(env, result, "size", (double)job->before.st_size);
  set_number(env, result, "progressed", (double)job->progressed);
  set_bigint(env, result, "mtimeNs", ns_of(job->before.st_mtim));
  if (job->outcome == OUT_MISMATCH) {
    set_string(env, result, "sourceDigest", job->source_digest);
    set_string(env, result, "destinationDigest", job->destination_digest);
  }
  if (job->outcome == OUT_ATTRIBUTES) set_string(env, result, "problem", job->problem);
  return result;
}

static void copy_job_free(copy_job *job) {
  free(job->source);
  free(job->temp);
  free(job->destination);
}

static void copy_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  copy_job *job = data;
  napi_value result = copy_result(env, job);
  if (job->err) napi_reject_deferred(env, job->deferred, result);
  else napi_resolve_deferred(env, job->deferred, result);
  if (job->control_ref) napi_delete_reference(env, job->control_ref);
  napi_delete_async_work(env, job->work);
  copy_job_free(job);
  free(job);
}

/*
 * Several files in one trip to the thread pool, one after the other: for small files the trip (a
 * wake-up of a pool thread, then of the JavaScript thread) costs as much as the copy.
 */
typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref control_ref;
  size_t count;
  copy_job *jobs;
} batch_job;

static void batch_execute(napi_env env, void *data) {
  batch_job *batch = data;
  for (size_t i = 0; i < batch->count; i++) {
    copy_job *job = &batch->jobs[i];
    if (job_stopped(job)) job_fail(job, ECANCELED, "copy", job->source);
    else copy_execute(env, job);
  }
}

static void batch_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  batch_job *batch = data;
  napi_value results;
  napi_create_array_with_length(env, batch->count, &results);
  for (size_t i = 0; i < batch->count; i++) {
    napi_set_element(env, results, (uint32_t)i, copy_result(env, &batch->jobs[i]));
    copy_job_free(&batch->jobs[i]);
  }
  napi_resolve_deferred(env, batch->deferred, results);
  if (batch->control_ref) napi_delete_reference(env, batch->control_ref);
  napi_delete_async_work(env, batch->work);
  free(batch->jobs);
  free(batch);
}

/* The shared progress and stop block: a Buffer of at least 16 bytes, 8-aligned; or null. */
static bool control_arg(napi_env env, napi_value value, napi_ref *ref, int64_t **control) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  *ref = NULL;
  *control = NULL;
  if (type == napi_null || type == napi_undefined) return true;
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  void *data = NULL;
  size_t length = 0;
  if (is_buffer) napi_get_buffer_info(env, value, &data, &length);
  if (!is_buffer || length < 16 || ((uintptr_t)data & 7) != 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "control must be an 8-aligned Buffer of 16 bytes");
    return false;
  }
  napi_create_reference(env, value, 1, ref);
  *control = data;
  return true;
}

/* copyFile(source: Buffer, temp: Buffer, destination: Buffer, flags: number, granularityNs: number, control: Buffer | null): Promise */
static napi_value copy_file(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 6) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "copyFile takes 6 arguments");
    return NULL;
  }
  copy_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  int32_t flags = 0;
  int64_t granularity = 1;
  napi_get_value_int32(env, argv[3], &flags);
  napi_get_value_int64(env, argv[4], &granularity);
  job->flags = flags;
  job->granularity = granularity;
  job->source = buffer_arg(env, argv[0], "source must be a Buffer");
  job->temp = job->source ? buffer_arg(env, argv[1], "temp must be a Buffer") : NULL;
  job->destination = job->temp ? buffer_arg(env, argv[2], "destination must be a Buffer") : NULL;
  if (job->destination == NULL || !control_arg(env, argv[5], &job->control_ref, &job->control)) {
    free(job->source);
    free(job->temp);
    free(job->destination);
    free(job);
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "smig.copyFile", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, copy_execute, copy_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

/* ---- hashFile ------------------------------------------------------------------------------ */

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  int err;
  const char *syscall;
  int64_t size;
  char digest[33];
} hash_job;

static void hash_execute(napi_env env, void *data) {
  (void)env;
  hash_job *job = data;
  int fd = open_for_reading(job->path);
  if (fd < 0) {
    job->err = errno;
    job->syscall = "open";
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    job->err = errno;
    job->syscall = "fstat";
  } else {
    job->err = hash_fd(fd, st.st_size, job->digest, &job->size, &job->syscall);
  }
  close(fd);
}

static void hash_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  hash_job *job = data;
  if (job->err) {
    napi_reject_deferred(env, job->deferred, smig_errno_error(env, job->err, job->syscall, job->path));
  } else {
    napi_value result;
    napi_create_object(env, &result);
    set_string(env, result, "digest", job->digest);
    set_number(env, result, "size", (double)job->size);
    napi_resolve_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free(job->path);
  free(job);
}

/* hashFile(path: Buffer): Promise<{ digest: string, size: number }>, XXH3-128 as 32 hex digits */
static napi_value hash_file(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  hash_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->path = argc < 1 ? NULL : buffer_arg(env, argv[0], "path must be a Buffer");
  if (job->path == NULL) {
    free(job);
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "smig.hashFile", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, hash_execute, hash_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

/* ---- scanDir ------------------------------------------------------------------------------- */

/*
 * One record per entry, little-endian, in name-byte order:
 *   u32 length of the record, u32 st_mode, u32 uid, u32 gid, u32 nlink, i32 errno (0, or why the
 *   entry could not be read), u32 what failed (1 lstat, 2 readlink, 3 xattrs), u32 xattr bytes,
 *   u64 size, u64 ino, u64 dev, u64 rdev, i64 atime ns, i64 mtime ns, i64 ctime ns,
 *   u16 name length, u16 target length, then the name, the link target and the xattrs
 *   (each: u16 name length, name, u32 value length, value; sorted by name).
 * Entries gone between the listing and their lstat are left out.
 */
#define RECORD_HEADER 92

typedef struct {
  unsigned char *data;
  size_t length;
  size_t capacity;
} bytes;

static bool bytes_reserve(bytes *b, size_t more) {
  if (b->length + more <= b->capacity) return true;
  size_t capacity = b->capacity ? b->capacity : 64 * 1024;
  while (capacity < b->length + more) capacity *= 2;
  unsigned char *data = realloc(b->data, capacity);
  if (data == NULL) return false;
  b->data = data;
  b->capacity = capacity;
  return true;
}

static void put_u16(unsigned char *at, uint16_t v) { memcpy(at, &v, 2); }
static void put_u32(unsigned char *at, uint32_t v) { memcpy(at, &v, 4); }
static void put_u64(unsigned char *at, uint64_t v) { memcpy(at, &v, 8); }

/* Which entries' extended attributes a listing reads. */
enum { XATTRS_NONE = 0, XATTRS_ALL = 1, XATTRS_FOLDERS = 2 };

/* One folder's listing: what scan_folder fills in. */
typedef struct {
  char *path;
  int xattrs; /* XATTRS_NONE, XATTRS_ALL, or XATTRS_FOLDERS (folders only) */
  int err;
  const char *syscall;
  bytes out;
} folder_scan;

static int compare_strings(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_entry(folder_scan *job, int dir, const char *name, char *full, size_t base_length) {
  struct stat st;
  int err = 0;
  uint32_t what = 0;
  if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    err = errno;
    what = 1;
    memset(&st, 0, sizeof st);
  }
  char target[4096];
  ssize_t target_length = 0;
  if (err == 0 && S_ISLNK(st.st_mode)) {
    target_length = readlinkat(dir, name, target, sizeof target);
    if (target_length < 0) {
      if (errno == ENOENT) return;
      err = errno;
      what = 2;
      target_length = 0;
    }
  }
  xattr_set xattrs = {0};
  size_t xattr_bytes = 0;
  if (err == 0 && (job->xattrs == XATTRS_ALL || (job->xattrs == XATTRS_FOLDERS && S_ISDIR(st.st_mode)))) {
    size_t name_length = strlen(name);
    memcpy(full + base_length, name, name_length + 1);
    const char *syscall = NULL;
    int xerr = xattr_read_at(-1, dir, name, full, &xattrs, &syscall);
    if (xerr == ENOENT) return;
    if (xerr) {
      err = xerr;
      what = 3;
    }
    for (size_t i = 0; i < xattrs.count; i++) xattr_bytes += 2 + strlen(xattrs.names[i]) + 4 + xattrs.sizes[i];
  }
  size_t name_length = strlen(name);
  size_t length = RECORD_HEADER + name_length + (size_t)target_length + xattr_bytes;
  if (!bytes_reserve(&job->out, length)) {
    xattr_free(&xattrs);
    job->err = ENOMEM;
    job->syscall = "malloc";
    return;
  }
  unsigned char *at = job->out.data + job->out.length;
  memset(at, 0, RECORD_HEADER);
  put_u32(at, (uint32_t)length);
  if (err == 0) {
    put_u32(at + 4, st.st_mode);
    put_u32(at + 8, st.st_uid);
    put_u32(at + 12, st.st_gid);
    put_u32(at + 16, (uint32_t)st.st_nlink);
    put_u64(at + 32, (uint64_t)st.st_size);
    put_u64(at + 40, (uint64_t)st.st_ino);
    put_u64(at + 48, (uint64_t)st.st_dev);
    put_u64(at + 56, (uint64_t)st.st_rdev);
    put_u64(at + 64, (uint64_t)ns_of(st.st_atim));
    put_u64(at + 72, (uint64_t)ns_of(st.st_mtim));
    put_u64(at + 80, (uint64_t)ns_of(st.st_ctim));
  }
  put_u32(at + 20, (uint32_t)err);
  put_u32(at + 24, what);
  put_u32(at + 28, (uint32_t)xattr_bytes);
  put_u16(at + 88, (uint16_t)name_length);
  put_u16(at + 90, (uint16_t)target_length);
  unsigned char *cursor = at + RECORD_HEADER;
  memcpy(cursor, name, name_length);
  cursor += name_length;
  memcpy(cursor, target, (size_t)target_length);
  cursor += target_length;
  for (size_t i = 0; i < xattrs.count; i++) {
    size_t n = strlen(xattrs.names[i]);
    put_u16(cursor, (uint16_t)n);
    memcpy(cursor + 2, xattrs.names[i], n);
    cursor += 2 + n;
    put_u32(cursor, (uint32_t)xattrs.sizes[i]);
    memcpy(cursor + 4, xattrs.values[i], xattrs.sizes[i]);
    cursor += 4 + xattrs.sizes[i];
  }
  job->out.length += length;
  xattr_free(&xattrs);
}

static void scan_folder(folder_scan *job) {
  int dir = open(job->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) {
    job->err = errno;
    job->syscall = "scandir";
    return;
  }
  DIR *stream = fdopendir(dir);
  if (stream == NULL) {
    job->err = errno;
    job->syscall = "scandir";
    close(dir);
    return;
  }
  size_t count = 0, capacity = 256;
  char **names = malloc(capacity * sizeof(char *));
  struct dirent *entry;
  errno = 0;
  while (names != NULL && (entry = readdir(stream)) != NULL) {
    const char *name = entry->d_name;
    if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
    if (count == capacity) {
      capacity *= 2;
      char **grown = realloc(names, capacity * sizeof(char *));
      if (grown == NULL) break;
      names = grown;
    }
    names[count++] = strdup(name);
  }
  if (errno != 0 && job->err == 0) {
    job->err = errno;
    job->syscall = "scandir";
  }
  if (names == NULL && job->err == 0) {
    job->err = ENOMEM;
    job->syscall = "malloc";
  }
  if (job->err == 0) {
    qsort(names, count, sizeof(char *), compare_strings);
    size_t base_length = strlen(job->path);
    char *full = malloc(base_length + 2 + 256);
    if (full == NULL) {
      job->err = ENOMEM;
      job->syscall = "malloc";
    } else {
      memcpy(full, job->path, base_length);
      full[base_length] = '/';
      for (size_t i = 0; i < count && job->err == 0; i++) {
        scan_entry(job, dir, names[i], full, base_length + 1);
      }
      free(full);
    }
  }
  for (size_t i = 0; names != NULL && i < count; i++) free(names[i]);
  free(names);
  closedir(stream);
}

/*
 * Pairs: with a destination folder to compare against, regular files with one name on both sides
 * whose size, times (at the granularity), mode, owner (when compared) and xattrs are the same are
 * marked SAME in both listings (bit 16 of the "what failed" field): the engine counts them as
 * unchanged without building anything for them, which is most of a pass over a tree in sync.
 */
#define RECORD_SAME (1u << 16)
enum { PAIR_COMPARE_OWNER = 1 };

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  folder_scan side[2];
  bool pair;
  int64_t granularity;
  int flags;
} scan_job;

static uint32_t get_u32(const unsigned char *at) { uint32_t v; memcpy(&v, at, 4); return v; }
static uint16_t get_u16(const unsigned char *at) { uint16_t v; memcpy(&v, at, 2); return v; }
static int64_t get_i64(const unsigned char *at) { int64_t v; memcpy(&v, at, 8); return v; }

static bool same_ns(int64_t a, int64_t b, int64_t granularity) {
  if (granularity <= 1) return a == b;
  return a / granularity - (a % granularity < 0 ? 1 : 0) == b / granularity - (b % granularity < 0 ? 1 : 0);
}

static bool same_file_record(const unsigned char *a, const unsigned char *b, int64_t granularity, int flags) {
  uint32_t mode = get_u32(a + 4);
  if (!S_ISREG(mode) || mode != get_u32(b + 4)) return false;
  if (get_u32(a + 20) != 0 || get_u32(b + 20) != 0) return false;
  if (get_u32(a + 16) != 1 || get_u32(b + 16) != 1) return false;
  if ((flags & PAIR_COMPARE_OWNER) && (get_u32(a + 8) != get_u32(b + 8) || get_u32(a + 12) != get_u32(b + 12))) return false;
  if (memcmp(a + 32, b + 32, 8) != 0) return false; /* size */
  if (!same_ns(get_i64(a + 72), get_i64(b + 72), granularity) || !same_ns(get_i64(a + 64), get_i64(b + 64), granularity)) return false;
  uint32_t xattrs = get_u32(a + 28);
  if (xattrs != get_u32(b + 28)) return false;
  size_t at = RECORD_HEADER + get_u16(a + 88) + get_u16(a + 90);
  size_t bt = RECORD_HEADER + get_u16(b + 88) + get_u16(b + 90);
  return memcmp(a + at, b + bt, xattrs) == 0;
}

static int compare_record_names(const unsigned char *a, const unsigned char *b) {
  size_t la = get_u16(a + 88), lb = get_u16(b + 88);
  int order = memcmp(a + RECORD_HEADER, b + RECORD_HEADER, la < lb ? la : lb);
  if (order != 0) return order;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

static void mark_same(scan_job *job) {
  bytes *a = &job->side[0].out, *b = &job->side[1].out;
  size_t i = 0, j = 0;
  while (i < a->length && j < b->length) {
    unsigned char *ra = a->data + i, *rb = b->data + j;
    int order = compare_record_names(ra, rb);
    if (order == 0 && same_file_record(ra, rb, job->granularity, job->flags)) {
      put_u32(ra + 24, get_u32(ra + 24) | RECORD_SAME);
      put_u32(rb + 24, get_u32(rb + 24) | RECORD_SAME);
    }
    if (order <= 0) i += get_u32(ra);
    if (order >= 0) j += get_u32(rb);
  }
}

static void scan_execute(napi_env env, void *data) {
  (void)env;
  scan_job *job = data;
  scan_folder(&job->side[0]);
  if (job->pair) {
    scan_folder(&job->side[1]);
    if (job->side[0].err == 0 && job->side[1].err == 0) mark_same(job);
  }
}

static void release_bytes(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

/* A listing as a Buffer (its bytes handed over), or the error it ended with. */
static napi_value folder_result(napi_env env, folder_scan *side) {
  napi_value value;
  if (side->err) {
    value = smig_errno_error(env, side->err, side->syscall, side->path);
    free(side->out.data);
  } else if (side->out.length == 0) {
    void *unused;
    napi_create_buffer(env, 0, &unused, &value);
    free(side->out.data);
  } else {
    napi_create_external_buffer(env, side->out.length, side->out.data, release_bytes, NULL, &value);
  }
  side->out.data = NULL;
  return value;
}

static void scan_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  scan_job *job = data;
  if (!job->pair) {
    bool failed = job->side[0].err != 0;
    napi_value value = folder_result(env, &job->side[0]);
    if (failed) napi_reject_deferred(env, job->deferred, value);
    else napi_resolve_deferred(env, job->deferred, value);
  } else {
    napi_value pair;
    napi_create_array_with_length(env, 2, &pair);
    napi_set_element(env, pair, 0, folder_result(env, &job->side[0]));
    napi_set_element(env, pair, 1, folder_result(env, &job->side[1]));
    napi_resolve_deferred(env, job->deferred, pair);
  }
  napi_delete_async_work(env, job->work);
  free(job->side[0].path);
  free(job->side[1].path);
  free(job);
}

static napi_value queue_scan(napi_env env, scan_job *job) {
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "smig.scanDir", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, scan_execute, scan_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

/*
 * scanDir(path: Buffer, xattrs: boolean | 0 | 1 | 2): Promise<Buffer> (records as described above);
 * xattrs of no entry, every entry, or folders only.
 */
static napi_value scan_dir(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  scan_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->side[0].path = argc < 2 ? NULL : buffer_arg(env, argv[0], "path must be a Buffer");
  if (job->side[0].path == NULL) {
    free(job);
    return NULL;
  }
  int32_t xattrs = XATTRS_ALL;
  bool flag;
  if (napi_get_value_bool(env, argv[1], &flag) == napi_ok) xattrs = flag ? XATTRS_ALL : XATTRS_NONE;
  else napi_get_value_int32(env, argv[1], &xattrs);
  job->side[0].xattrs = xattrs;
  return queue_scan(env, job);
}

/*
 * scanPair(source: Buffer, destination: Buffer, granularityNs: number, flags: number):
 * Promise<[Buffer | Error, Buffer | Error]>, both folders listed with xattrs, equal files marked SAME.
 */
static napi_value scan_pair(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "scanPair takes 4 arguments");
    return NULL;
  }
  scan_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->pair = true;
  job->side[0].xattrs = job->side[1].xattrs = XATTRS_ALL;
  napi_get_value_int64(env, argv[2], &job->granularity);
  napi_get_value_int32(env, argv[3], &job->flags);
  job->side[0].path = buffer_arg(env, argv[0], "source must be a Buffer");
  job->side[1].path = job->side[0].path ? buffer_arg(env, argv[1], "destination must be a Buffer") : NULL;
  if (job->side[1].path == NULL) {
    free(job->side[0].path);
    free(job);
    return NULL;
  }
  return queue_scan(env, job);
}

/* ---- syncfs -------------------------------------------------------------------------------- */

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  char *path;
  int err;
  const char *syscall;
} sync_job;

static void sync_execute(napi_env env, void *data) {
  (void)env;
  sync_job *job = data;
  int fd = open(job->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    job->err = errno;
    job->syscall = "open";
    return;
  }
  if (syncfs(fd) != 0) {
    job->err = errno;
    job->syscall = "syncfs";
  }
  close(fd);
}

static void sync_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  sync_job *job = data;
  if (job->err) napi_reject_deferred(env, job->deferred, smig_errno_error(env, job->err, job->syscall, job->path));
  else {
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    napi_resolve_deferred(env, job->deferred, undefined);
  }
  napi_delete_async_work(env, job->work);
  free(job->path);
  free(job);
}

/* syncfs(path: Buffer): Promise<void>, writes back the file system that holds path */
static napi_value sync_fs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  sync_job *job = calloc(1, sizeof *job);
  if (job == NULL) return NULL;
  job->path = argc < 1 ? NULL : buffer_arg(env, argv[0], "path must be a Buffer");
  if (job->path == NULL) {
    free(job);
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "smig.syncfs", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, sync_execute, sync_complete, job, &job->work);
  napi_queue_async_work(env, job->work);
  return promise;
}

static bool element_bytes(napi_env env, napi_value array, uint32_t index, char **out, const char *what) {
  napi_value value;
  napi_get_element(env, array, index, &value);
  *out = buffer_arg(env, value, what);
  return *out != NULL;
}

/*
 * copyFiles(sources: Buffer[], temps: Buffer[], destinations: Buffer[], flags: number, granularityNs: number,
 * control: Buffer | null): Promise<(result | Error)[]>, each file as copyFile does it.
 */
static napi_value copy_files(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  uint32_t count = 0;
  bool is_array = false;
  if (argc >= 6) napi_is_array(env, argv[0], &is_array);
  if (!is_array) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "copyFiles takes arrays of sources, temps and destinations, flags, granularity and control");
    return NULL;
  }
  napi_get_array_length(env, argv[0], &count);
  batch_job *batch = calloc(1, sizeof *batch);
  copy_job *jobs = calloc(count > 0 ? count : 1, sizeof *jobs);
  if (batch == NULL || jobs == NULL) {
    free(batch);
    free(jobs);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  batch->jobs = jobs;
  batch->count = count;
  int32_t flags = 0;
  int64_t granularity = 1;
  napi_get_value_int32(env, argv[3], &flags);
  napi_get_value_int64(env, argv[4], &granularity);
  int64_t *control = NULL;
  bool ok = control_arg(env, argv[5], &batch->control_ref, &control);
  for (uint32_t i = 0; ok && i < count; i++) {
    jobs[i].flags = flags;
    jobs[i].granularity = granularity;
    jobs[i].control = control;
    ok = element_bytes(env, argv[0], i, &jobs[i].source, "sources must be Buffers") &&
         element_bytes(env, argv[1], i, &jobs[i].temp, "temps must be Buffers") &&
         element_bytes(env, argv[2], i, &jobs[i].destination, "destinations must be Buffers");
  }
  if (!ok) {
    for (uint32_t i = 0; i < count; i++) copy_job_free(&jobs[i]);
    if (batch->control_ref) napi_delete_reference(env, batch->control_ref);
    free(jobs);
    free(batch);
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &batch->deferred, &promise);
  napi_create_string_utf8(env, "smig.copyFiles", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, batch_execute, batch_complete, batch, &batch->work);
  napi_queue_async_work(env, batch->work);
  return promise;
}

void smig_define_async(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"copyFile", NULL, copy_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyFiles", NULL, copy_files, NULL, NULL, NULL, napi_enumerable, NULL},
      {"hashFile", NULL, hash_file, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scanDir", NULL, scan_dir, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scanPair", NULL, scan_pair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncfs", NULL, sync_fs, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
