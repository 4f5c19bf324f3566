#include "smig_filecopy.h"

#include "smig_attributes.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "smig_hash.h"

/* The kernel's copy (copy_file_range) moves this much per call. */
#define RANGE_CHUNK (8 * 1024 * 1024)
/* With write-back asked for, written data is handed to the disk every this many bytes. */
#define WRITE_BACK_CHUNK (8 * 1024 * 1024)

const char *const COPY_OUTCOMES[] = {"copied", "changed", "vanished", "mismatch", "attributes", "linked"};

static const unsigned char ZEROS[64 * 1024];

static void hash_zeros(XXH3_state_t *hash, int64_t length) {
  if (hash == NULL) return;
  while (length > 0) {
    size_t part = length > (int64_t)sizeof ZEROS ? sizeof ZEROS : (size_t)length;
    smig_hash_update(hash, ZEROS, part);
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

static int fail(file_copy *c, int err, const char *syscall, const char *path) {
  c->err = err;
  c->syscall = syscall;
  c->err_path = path;
  return err;
}

static void progress(file_copy *c, int64_t bytes) {
  c->progressed += bytes;
  control_add(c->control, CONTROL_BYTES, bytes);
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
 * Starts writing [from, to) of a file to disk without waiting (sync_file_range WRITE): a pass that
 * ends with syncfs then waits only for the tail, and the disk works while the next data is copied.
 * Best effort: errors show at the syncfs.
 */
static void start_write_back(file_copy *c, int fd, int64_t from, int64_t to) {
  if ((c->flags & COPY_WRITE_BACK) && to > from) sync_file_range(fd, (off64_t)from, (off64_t)(to - from), SYNC_FILE_RANGE_WRITE);
}

/* Verified copies of large ranges map the source this much at a time, and go through it in steps. */
#define MAP_WINDOW (8 * 1024 * 1024)
#define MAP_STEP (256 * 1024)

/*
 * A mapped source that is truncated under the copy raises SIGBUS on the pages it lost. The thread
 * copying it jumps back out (and the copy counts as changed); any other SIGBUS goes where it went.
 */
static __thread sigjmp_buf *bus_guard;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;
static struct sigaction previous_bus;

static void on_bus(int signal_number, siginfo_t *info, void *context) {
  sigjmp_buf *guard = bus_guard;
  if (guard) {
    bus_guard = NULL;
    siglongjmp(*guard, 1);
  }
  if (previous_bus.sa_flags & SA_SIGINFO) {
    if (previous_bus.sa_sigaction) previous_bus.sa_sigaction(signal_number, info, context);
  } else if (previous_bus.sa_handler == SIG_DFL) {
    signal(SIGBUS, SIG_DFL);
    raise(SIGBUS);
  } else if (previous_bus.sa_handler != SIG_IGN) {
    previous_bus.sa_handler(signal_number);
  }
}

static void install_bus_guard(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_bus;
  action.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, &previous_bus);
}

/*
 * [start, end) of a large range, verified: the source mapped a window at a time, hashed where it
 * lies and written from there (one copy of the data, as the kernel's own copy makes), each step read
 * back at once while it is in the cache and hashed on its own. *shorter is set when the source lost
 * pages meanwhile (truncated): the copy is then incomplete.
 */
static int copy_mapped(file_copy *c, int in, int out, int64_t start, int64_t end, XXH3_state_t *hash, XXH3_state_t *readback,
                       unsigned char *back, bool *shorter) {
  pthread_once(&bus_once, install_bus_guard);
  int64_t page = sysconf(_SC_PAGESIZE);
  volatile int64_t position = start;
  unsigned char *volatile map = NULL;
  volatile size_t mapped = 0;
  sigjmp_buf jump;
  if (sigsetjmp(jump, 1) != 0) {
    if (map) munmap(map, mapped);
    *shorter = true;
    return 0;
  }
  while (position < end) {
    if (control_stopped(c->control)) return fail(c, ECANCELED, "copy", c->src_path);
    int64_t base = position - position % page;
    size_t length = (size_t)(end - base > MAP_WINDOW ? MAP_WINDOW : end - base);
    void *window = mmap(NULL, length, PROT_READ, MAP_SHARED | MAP_POPULATE, in, (off_t)base);
    if (window == MAP_FAILED) return fail(c, errno, "mmap", c->src_path);
    map = window;
    mapped = length;
    bus_guard = &jump;
    for (size_t at = (size_t)(position - base); at < length;) {
      size_t n = length - at > MAP_STEP ? MAP_STEP : length - at;
      smig_hash_update(hash, map + at, n);
      int err = write_all(out, map + at, n, base + (int64_t)at);
      if (err) {
        bus_guard = NULL;
        munmap(map, mapped);
        map = NULL;
        /* The kernel met the lost pages instead of us. */
        if (err == EFAULT) {
          *shorter = true;
          return 0;
        }
        return fail(c, err, "write", c->dst_path);
      }
      for (size_t got = 0; got < n;) {
        ssize_t m = pread(out, back + got, n - got, (off_t)(base + (int64_t)(at + got)));
        if (m < 0 && errno == EINTR) continue;
        if (m <= 0) {
          int read_err = m < 0 ? errno : 0;
          bus_guard = NULL;
          munmap(map, mapped);
          map = NULL;
          if (read_err) return fail(c, read_err, "read", c->dst_path);
          n = got; /* shorter than written: the digests differ */
          break;
        }
        smig_hash_update(readback, back + got, (size_t)m);
        got += (size_t)m;
      }
      if (map == NULL) return 0;
      at += n;
      position = base + (int64_t)at;
      progress(c, (int64_t)n);
    }
    bus_guard = NULL;
    munmap(map, mapped);
    map = NULL;
  }
  return 0;
}

/*
 * Copies the first `size` bytes of `in` to `out`: only data ranges (holes stay holes), then the length
 * is set (keeping a trailing hole). Hashes as it goes when `hash` is given (holes as zeros), reading
 * each chunk back at once while it is hot; otherwise lets the kernel copy files above 1 MiB
 * (copy_file_range), falling back to read+write where it cannot. *complete is false when the source
 * turned out shorter.
 */
static int copy_data(file_copy *c, int in, int out, int64_t size, XXH3_state_t *hash, XXH3_state_t *readback, bool *complete) {
  *complete = true;
  bool dense = (int64_t)c->before.st_blocks * 512 >= size;
  /* The kernel's copy (a splice) costs more than a read and a write for small files: measured. */
  bool kernel_copy = hash == NULL && size > CHUNK;
  unsigned char *buffer = thread_buffer();
  unsigned char *back = readback ? readback_buffer() : NULL;
  if (buffer == NULL || (readback && back == NULL)) return fail(c, ENOMEM, "malloc", NULL);
  bool paced = c->control->count > CONTROL_RATE && __atomic_load_n(&c->control->slots[CONTROL_RATE], __ATOMIC_RELAXED) > 0;
  int64_t position = 0, data_end = 0, handed = 0;
  while (position < size) {
    int64_t start = position, end = size;
    if (!dense) {
      start = lseek(in, position, SEEK_DATA);
      if (start < 0) {
        if (errno == ENXIO) break;
        return fail(c, errno, "lseek(SEEK_DATA)", c->src_path);
      }
      if (start >= size) break;
      end = lseek(in, start, SEEK_HOLE);
      if (end < 0 || end > size) end = size;
    }
    if (start > position) {
      hash_zeros(hash, start - position);
      hash_zeros(readback, start - position);
      progress(c, start - position);
      position = start;
    }
    if (hash && !paced && end - position >= CHUNK) {
      bool shorter = false;
      if (copy_mapped(c, in, out, position, end, hash, readback, back, &shorter) != 0) return c->err;
      if (shorter) {
        *complete = false;
        return 0;
      }
      start_write_back(c, out, position, end);
      position = handed = data_end = end;
      continue;
    }
    while (position < end) {
      if (control_stopped(c->control)) return fail(c, ECANCELED, "copy", c->src_path);
      ssize_t n;
      int64_t room = end - position;
      if (kernel_copy) {
        int64_t want = room > (paced ? CHUNK : RANGE_CHUNK) ? (paced ? CHUNK : RANGE_CHUNK) : room;
        if (!pace_reads(c->control, want)) return fail(c, ECANCELED, "copy", c->src_path);
        loff_t from = position, to = position;
        n = copy_file_range(in, &from, out, &to, (size_t)want, 0);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EBADF) {
            kernel_copy = false;
            continue;
          }
          return fail(c, errno, "copy_file_range", c->dst_path);
        }
      } else {
        int64_t want = room > CHUNK ? CHUNK : room;
        if (!pace_reads(c->control, want)) return fail(c, ECANCELED, "copy", c->src_path);
        n = pread(in, buffer, (size_t)want, (off_t)position);
        if (n < 0) {
          if (errno == EINTR) continue;
          return fail(c, errno, "read", c->src_path);
        }
        if (n > 0) {
          int err = write_all(out, buffer, (size_t)n, position);
          if (err) return fail(c, err, "write", c->dst_path);
          if (hash) smig_hash_update(hash, buffer, (size_t)n);
          if (readback) {
            /* Read back at once, while it is hot: the copy's own bytes, hashed on their own. */
            for (ssize_t got = 0; got < n;) {
              ssize_t m = pread(out, back + got, (size_t)(n - got), (off_t)(position + got));
              if (m < 0 && errno == EINTR) continue;
              if (m < 0) return fail(c, errno, "read", c->dst_path);
              if (m == 0) break; /* shorter than written: the digests differ */
              smig_hash_update(readback, back + got, (size_t)m);
              got += m;
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
      progress(c, n);
      if (position - handed >= WRITE_BACK_CHUNK) {
        start_write_back(c, out, handed, position);
        handed = position;
      }
    }
  }
  if (size > position) {
    hash_zeros(hash, size - position);
    hash_zeros(readback, size - position);
    progress(c, size - position);
  }
  if (data_end < size && ftruncate(out, (off_t)size) != 0) return fail(c, errno, "ftruncate", c->dst_path);
  /* Small files are left to the syncfs, which writes many of them back together. */
  if (data_end >= WRITE_BACK_CHUNK / 8) start_write_back(c, out, handed, data_end);
  return 0;
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
 * Gives the copy the source's owner, extended attributes (exactly the source's set: inherited ones,
 * such as a default ACL's, go), mode and times, in that order: a chown clears setuid and setgid, and
 * every step but the last moves the times.
 */
static int apply_attributes(file_copy *c, int out, const xattr_set *wanted, int mode, bool mode_set) {
  uid_t uid;
  gid_t gid;
  if (c->defaults) {
    uid = c->defaults->uid;
    gid = c->defaults->gid;
  } else {
    struct stat current;
    if (fstat(out, &current) != 0) return fail(c, errno, "fstat", c->dst_path);
    uid = current.st_uid;
    gid = current.st_gid;
  }
  bool chowned = false;
  if (uid != c->before.st_uid || gid != c->before.st_gid) {
    if (fchown(out, c->before.st_uid, c->before.st_gid) == 0) chowned = true;
    else if ((c->flags & COPY_AS_ROOT) || errno != EPERM) return fail(c, errno, "fchown", c->dst_path);
  }
  xattr_set present = {0};
  const char *syscall = NULL;
  int err = 0;
  bool look = c->inherits == NULL || __atomic_load_n(c->inherits, __ATOMIC_RELAXED) != 0;
  if (look) {
    err = xattr_read_at(out, -1, NULL, NULL, &present, &syscall);
    if (err) return fail(c, err, syscall ? syscall : "llistxattr", c->dst_path);
    if (c->inherits) __atomic_store_n(c->inherits, present.count > 0 ? 1 : 0, __ATOMIC_RELAXED);
  }
  for (size_t i = 0; i < present.count && err == 0; i++) {
    if (xattr_find(wanted, present.names[i]) < 0 && fremovexattr(out, present.names[i]) != 0 && errno != ENODATA) {
      err = fail(c, errno, "fremovexattr", c->dst_path);
    }
  }
  for (size_t i = 0; i < wanted->count && err == 0; i++) {
    ssize_t at = xattr_find(&present, wanted->names[i]);
    if (at >= 0 && present.sizes[at] == wanted->sizes[i] && memcmp(present.values[at], wanted->values[i], wanted->sizes[i]) == 0) continue;
    if (fsetxattr(out, wanted->names[i], wanted->values[i], wanted->sizes[i], 0) != 0) {
      snprintf(c->problem, sizeof c->problem, "cannot set extended attribute %s", wanted->names[i]);
      err = fail(c, errno, "fsetxattr", c->dst_path);
    }
  }
  xattr_free(&present);
  if (err) return err;
  /* A chown may have cleared bits, and an ACL set may have moved the group bits. */
  if ((!mode_set || chowned || wanted->count > 0) && fchmod(out, (mode_t)mode) != 0) return fail(c, errno, "fchmod", c->dst_path);
  struct timespec times[2] = {c->before.st_atim, c->before.st_mtim};
  if (futimens(out, times) != 0) return fail(c, errno, "futimens", c->dst_path);
  return 0;
}

/* The process's umask, read once (umask(2) cannot be read without setting it). */
static mode_t process_umask(void) {
  static int known = -1;
  int value = __atomic_load_n(&known, __ATOMIC_RELAXED);
  if (value >= 0) return (mode_t)value;
  value = 022;
  FILE *status = fopen("/proc/self/status", "r");
  if (status) {
    char line[128];
    while (fgets(line, sizeof line, status)) {
      unsigned mask;
      if (sscanf(line, "Umask: %o", &mask) == 1) {
        value = (int)(mask & 0777);
        break;
      }
    }
    fclose(status);
  }
  __atomic_store_n(&known, value, __ATOMIC_RELAXED);
  return (mode_t)value;
}

/*
 * The mode to create the copy with: its final one when creating gives exactly that (no special
 * bits, nothing the umask takes away, no inherited ACL that would decide instead), sparing a chmod.
 */
static mode_t creation_mode(const file_copy *c, int mode, bool *exact) {
  bool plain = (mode & 07000) == 0 && (mode & ~(int)process_umask()) == mode;
  *exact = plain && c->inherits != NULL && __atomic_load_n(c->inherits, __ATOMIC_RELAXED) == 0;
  return *exact ? (mode_t)mode : 0600;
}

/* Reads back what apply_attributes wrote; fills c->problem and returns false when something differs. */
static bool attributes_match(file_copy *c, int out, const xattr_set *wanted, int mode) {
  struct stat made;
  if (fstat(out, &made) != 0) {
    fail(c, errno, "fstat", c->dst_path);
    return true;
  }
  xattr_set present;
  const char *syscall = NULL;
  int err = xattr_read_at(out, -1, NULL, NULL, &present, &syscall);
  if (err) {
    fail(c, err, syscall ? syscall : "llistxattr", c->dst_path);
    return true;
  }
  wanted_attributes w = {
      .uid = c->before.st_uid, .gid = c->before.st_gid, .mode = mode, .atime = c->before.st_atim, .mtime = c->before.st_mtim,
      .xattrs = wanted, .with_atime = true,
  };
  bool agree = attributes_agree(&made, &present, &w, c->flags & COPY_AS_ROOT, c->granularity, c->problem, sizeof c->problem);
  xattr_free(&present);
  return agree;
}

void make_temp_name(char *out, size_t size) {
  static uint64_t counter;
  uint64_t n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
  snprintf(out, size, ".smig-tmp-n%x-%llx", (unsigned)getpid(), (unsigned long long)n);
}

/* linkat(fd, "", AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; without it, /proc/self/fd serves. */
static int link_empty_path_fails;

int link_unnamed(int fd, int dir, const char *name) {
  if (!__atomic_load_n(&link_empty_path_fails, __ATOMIC_RELAXED)) {
    if (linkat(fd, "", dir, name, AT_EMPTY_PATH) == 0) return 0;
    if (errno != ENOENT && errno != EPERM) return errno;
  }
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  if (linkat(AT_FDCWD, proc, dir, name, AT_SYMLINK_FOLLOW) != 0) return errno;
  __atomic_store_n(&link_empty_path_fails, 1, __ATOMIC_RELAXED);
  return 0;
}

/* Gives the complete, verified file its final name; what is there already is replaced through a temp name. */
static int place(file_copy *c, int out, bool unnamed, const char *temp) {
  if (c->flags & COPY_IN_HIDDEN_FOLDER) return 0; /* already under its name, in a folder no one sees yet */
  if (!unnamed) {
    if (renameat(c->dst_dir, temp, c->dst_dir, c->dst_name) != 0) return fail(c, errno, "rename", c->dst_path);
    return 0;
  }
  int err = link_unnamed(out, c->dst_dir, c->dst_name);
  if (err == 0) return 0;
  if (err != EEXIST) return fail(c, err, "link", c->dst_path);
  char own[64];
  if (temp[0] == '\0') {
    make_temp_name(own, sizeof own);
    temp = own;
  }
  err = link_unnamed(out, c->dst_dir, temp);
  if (err) return fail(c, err, "link", c->dst_path);
  if (renameat(c->dst_dir, temp, c->dst_dir, c->dst_name) != 0) {
    err = errno;
    unlinkat(c->dst_dir, temp, 0);
    return fail(c, err, "rename", c->dst_path);
  }
  return 0;
}

void file_copy_run(file_copy *c) {
  c->outcome = OUT_COPIED;
  c->err = 0;
  c->syscall = NULL;
  c->err_path = NULL;
  c->problem[0] = '\0';
  int in = open_for_reading_at(c->src_dir, c->src_name);
  if (in < 0) {
    if (errno == ENOENT) c->outcome = OUT_VANISHED;
    else if (errno == ELOOP) c->outcome = OUT_CHANGED; /* now a link */
    else fail(c, errno, "open", c->src_path);
    return;
  }
  /* Made up only where needed (a file system without unnamed files, or a name to replace). */
  char temp[64] = "";
  if (c->temp_name) snprintf(temp, sizeof temp, "%s", c->temp_name);
  int out = -1;
  bool placed = false, unnamed = false;
  XXH3_state_t *hash = NULL, *readback = NULL;
  xattr_set source_xattrs = {0};
  if (fstat(in, &c->before) != 0) {
    fail(c, errno, "fstat", c->src_path);
    goto finish;
  }
  if (!S_ISREG(c->before.st_mode)) {
    c->outcome = OUT_CHANGED;
    goto finish;
  }
  if ((c->flags & COPY_REFUSE_LINKED) && c->before.st_nlink > 1) {
    c->outcome = OUT_LINKED;
    goto finish;
  }
  int shown = (int)(c->before.st_mode & 07777);
  int mode = c->mode >= 0 ? c->mode : shown;
  bool mode_set;
  mode_t create_mode = creation_mode(c, mode, &mode_set);
  bool direct = c->flags & COPY_IN_HIDDEN_FOLDER;
  if (direct) {
    out = openat(c->dst_dir, c->dst_name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode);
  } else if (c->no_unnamed == NULL || !*c->no_unnamed) {
    out = openat(c->dst_dir, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, create_mode);
    unnamed = out >= 0;
    if (!unnamed && c->no_unnamed && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) *c->no_unnamed = true;
  }
  if (!unnamed && !direct) {
    if (temp[0] == '\0') make_temp_name(temp, sizeof temp);
    out = openat(c->dst_dir, temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode);
  }
  if (out < 0) {
    fail(c, errno, "open", c->dst_path);
    goto finish;
  }
  if (c->flags & COPY_VERIFY) {
    hash = XXH3_createState();
    readback = XXH3_createState();
    if (hash == NULL || readback == NULL) {
      fail(c, ENOMEM, "malloc", NULL);
      goto finish;
    }
    XXH3_128bits_reset(hash);
    XXH3_128bits_reset(readback);
  }
  int64_t size = c->before.st_size;
  bool complete;
  if (copy_data(c, in, out, size, hash, readback, &complete) != 0) goto finish;

  /* The attributes before the second look, so that a change to them shows in the ctime. */
  const char *syscall = NULL;
  int err = xattr_read_at(in, -1, NULL, NULL, &source_xattrs, &syscall);
  if (err) {
    fail(c, err, syscall ? syscall : "llistxattr", c->src_path);
    goto finish;
  }
  struct stat after, now;
  if (fstat(in, &after) != 0) {
    fail(c, errno, "fstat", c->src_path);
    goto finish;
  }
  /*
   * Whether the name still holds the file copied: a look up of the name, paid only where it must
   * hold (a source that should be read-only). Elsewhere a file put in its place meanwhile shows to
   * the next pass as any change does, by its size or mtime.
   */
  bool exists = true;
  now = c->before;
  if (c->flags & COPY_SAME_NAME) {
    exists = fstatat(c->src_dir, c->src_name, &now, AT_SYMLINK_NOFOLLOW) == 0;
    if (!exists && errno != ENOENT) {
      fail(c, errno, "lstat", c->src_path);
      goto finish;
    }
  }
  bool stable = complete && after.st_size == c->before.st_size && ns_of(after.st_mtim) == ns_of(c->before.st_mtim) &&
                ns_of(after.st_ctim) == ns_of(c->before.st_ctim) && exists && now.st_ino == c->before.st_ino &&
                now.st_dev == c->before.st_dev;
  if (!stable) {
    c->outcome = exists ? OUT_CHANGED : OUT_VANISHED;
    goto finish;
  }
  if (hash) {
    /* The copy was read back as it was written (copy_data); its length is checked here. */
    digest_hex(hash, c->source_digest);
    digest_hex(readback, c->destination_digest);
    struct stat made;
    if (fstat(out, &made) != 0) {
      fail(c, errno, "fstat", c->dst_path);
      goto finish;
    }
    if (strcmp(c->source_digest, c->destination_digest) != 0 || made.st_size != size) {
      c->outcome = OUT_MISMATCH;
      goto finish;
    }
  }
  if (mode != shown) xattr_acl_follow_mode(&source_xattrs, mode);
  if (apply_attributes(c, out, &source_xattrs, mode, mode_set) != 0) goto finish;
  if (c->flags & COPY_VERIFY) {
    if (!attributes_match(c, out, &source_xattrs, mode)) {
      c->outcome = OUT_ATTRIBUTES;
      goto finish;
    }
    if (c->err) goto finish;
  }
  if (place(c, out, unnamed, temp) != 0) goto finish;
  placed = true;
  c->outcome = OUT_COPIED;
finish:
  if (out >= 0) {
    close(out);
    if (!placed && direct) unlinkat(c->dst_dir, c->dst_name, 0);
    else if (!placed && !unnamed) unlinkat(c->dst_dir, temp, 0);
  }
  close(in);
  if (hash) XXH3_freeState(hash);
  if (readback) XXH3_freeState(readback);
  xattr_free(&source_xattrs);
}
