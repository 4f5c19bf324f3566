#include "smig_filedata.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "smig_content.h"

/* The kernel's copy (copy_file_range) moves this much per call. */
#define RANGE_CHUNK (8 * 1024 * 1024)
/* With write-back asked for, written data is handed to the disk every this many bytes. */
#define WRITE_BACK_CHUNK (8 * 1024 * 1024)

/* Records a failed call in `c` (as smig_filecopy.c does) and returns the errno. */
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
 * back at once while it is in the cache and hashed on its own when `readback` is given (a copy read
 * back from storage is read once it is all written, see smig_content.h). *shorter is set when the
 * source lost pages meanwhile (truncated): the copy is then incomplete.
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
      for (size_t got = 0; readback && got < n;) {
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
 * Only data ranges are copied (holes stay holes). Hashes as it goes when `hash` is given (holes as
 * zeros), reading each chunk back at once while it is hot when `readback` is given too; without a
 * hash lets the kernel copy files above 1 MiB (copy_file_range), falling back to read+write where it
 * cannot.
 */
int file_data_copy(file_copy *c, int in, int out, int64_t size, XXH3_state_t *hash, XXH3_state_t *readback, bool *complete) {
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
