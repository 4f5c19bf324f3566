#include "smig_beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The longest part given to the kernel at once: well inside PATH_MAX, cut at a '/'. */
#define PART_MAX 3072

static int openat2_missing;

/* Opens `part` (at most PART_MAX bytes) beneath `dir`; `last`: the caller's flags, else O_PATH. */
static int open_part(int dir, const char *part, int flags) {
  flags |= O_DIRECTORY | O_NOFOLLOW;
  if (!__atomic_load_n(&openat2_missing, __ATOMIC_RELAXED)) {
    struct open_how how = {.flags = (uint64_t)flags, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
    int fd = (int)syscall(SYS_openat2, dir, part, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return fd;
    __atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
  }
  /* Without openat2 (Linux before 5.6) only the last name of each part is kept from being a link. */
  return openat(dir, part, flags);
}

int open_beneath(int root_fd, const char *rel, int flags) {
  size_t length = strlen(rel);
  if (length <= PART_MAX) return open_part(root_fd, rel, flags);
  char *copy = malloc(length + 1);
  if (copy == NULL) {
    errno = ENOMEM;
    return -1;
  }
  memcpy(copy, rel, length + 1);
  int dir = root_fd;
  char *part = copy;
  int fd = -1;
  for (;;) {
    size_t left = strlen(part);
    if (left <= PART_MAX) {
      fd = open_part(dir, part, flags);
      break;
    }
    /* The longest run of whole names that fits (a name is at most NAME_MAX bytes, so there is one). */
    char *cut = part + PART_MAX;
    while (cut > part && *cut != '/') cut--;
    if (cut == part) {
      errno = ENAMETOOLONG;
      break;
    }
    *cut = '\0';
    int next = open_part(dir, part, O_PATH | O_CLOEXEC);
    if (next < 0) break;
    if (dir != root_fd) close(dir);
    dir = next;
    part = cut + 1;
  }
  int err = errno;
  if (dir != root_fd) close(dir);
  free(copy);
  errno = err;
  return fd;
}

int open_parent_beneath(int root_fd, const char *rel, const char **name) {
  const char *slash = strrchr(rel, '/');
  if (slash == NULL) {
    *name = rel;
    return root_fd;
  }
  *name = slash + 1;
  size_t length = (size_t)(slash - rel);
  char *parent = malloc(length + 1);
  if (parent == NULL) {
    errno = ENOMEM;
    return -1;
  }
  memcpy(parent, rel, length);
  parent[length] = '\0';
  int fd = open_beneath(root_fd, parent, O_PATH | O_CLOEXEC);
  int err = errno;
  free(parent);
  errno = err;
  return fd;
}
