#include "smig_xattr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

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

static int proc_state; /* 0 unknown, 1 usable, -1 not mounted */

const char *path_at(char *buffer, size_t size, int dir, const char *name, const char *fallback) {
  int state = __atomic_load_n(&proc_state, __ATOMIC_RELAXED);
  if (state == 0) {
    state = access("/proc/self/fd", X_OK) == 0 ? 1 : -1;
    __atomic_store_n(&proc_state, state, __ATOMIC_RELAXED);
  }
  if (state < 0) return fallback;
  /* "/proc/self/fd/" + the number + "/" + the name, without printf (it costs more than the lookup). */
  static const char PREFIX[] = "/proc/self/fd/";
  char digits[16];
  size_t count = 0;
  for (unsigned value = (unsigned)dir; count == 0 || value > 0; value /= 10) digits[count++] = (char)('0' + value % 10);
  size_t name_length = strlen(name);
  if (sizeof PREFIX - 1 + count + 1 + name_length + 1 > size) return fallback;
  char *at = buffer;
  memcpy(at, PREFIX, sizeof PREFIX - 1);
  at += sizeof PREFIX - 1;
  while (count > 0) *at++ = digits[--count];
  *at++ = '/';
  memcpy(at, name, name_length + 1);
  return buffer;
}

int xattr_read_entry(int dir, const char *name, const char *fallback, xattr_set *out, const char **failed) {
  memset(out, 0, sizeof *out);
  if (!__atomic_load_n(&listxattrat_missing, __ATOMIC_RELAXED)) {
    /* Most entries have none: one call, and no path to build. */
    ssize_t length = syscall(SYS_listxattrat, dir, name, AT_SYMLINK_NOFOLLOW, NULL, 0);
    if (length == 0 || (length < 0 && errno == ENOTSUP)) return 0;
    if (length < 0 && errno != ENOSYS) {
      *failed = "llistxattr";
      return errno;
    }
    if (length < 0) __atomic_store_n(&listxattrat_missing, 1, __ATOMIC_RELAXED);
  }
  char buffer[4200];
  return xattr_read_at(-1, dir, name, path_at(buffer, sizeof buffer, dir, name, fallback), out, failed);
}

void xattr_free(xattr_set *set) {
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
int xattr_read_at(int fd, int dir, const char *name_in_dir, const char *path, xattr_set *out, const char **syscall) {
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

bool xattr_equal(const xattr_set *a, const xattr_set *b) {
  if (a->count != b->count) return false;
  for (size_t i = 0; i < a->count; i++) {
    if (strcmp(a->names[i], b->names[i]) != 0 || a->sizes[i] != b->sizes[i]) return false;
    if (a->sizes[i] > 0 && memcmp(a->values[i], b->values[i], a->sizes[i]) != 0) return false;
  }
  return true;
}

int xattr_kind(const char *name) {
  static const char ACL[] = "system.posix_acl_";
  return strncmp(name, ACL, sizeof ACL - 1) == 0 ? LEAVE_OUT_ACLS : LEAVE_OUT_XATTRS;
}

int xattr_leave_out(xattr_set *set, int leave_out) {
  if (leave_out == 0) return 0;
  int removed = 0;
  size_t kept = 0;
  for (size_t i = 0; i < set->count; i++) {
    int kind = xattr_kind(set->names[i]);
    if (kind & leave_out) {
      removed |= kind;
      free(set->names[i]);
      free(set->values[i]);
      continue;
    }
    set->names[kept] = set->names[i];
    set->values[kept] = set->values[i];
    set->sizes[kept] = set->sizes[i];
    kept++;
  }
  set->count = kept;
  return removed;
}

ssize_t xattr_find(const xattr_set *set, const char *name) {
  for (size_t i = 0; i < set->count; i++) {
    if (strcmp(set->names[i], name) == 0) return (ssize_t)i;
  }
  return -1;
}

size_t xattr_packed_size(const xattr_set *set) {
  size_t total = 0;
  for (size_t i = 0; i < set->count; i++) total += 2 + strlen(set->names[i]) + 4 + set->sizes[i];
  return total;
}

void xattr_pack(const xattr_set *set, unsigned char *at) {
  for (size_t i = 0; i < set->count; i++) {
    size_t n = strlen(set->names[i]);
    put_u16(at, (uint16_t)n);
    memcpy(at + 2, set->names[i], n);
    at += 2 + n;
    put_u32(at, (uint32_t)set->sizes[i]);
    if (set->sizes[i] > 0) memcpy(at + 4, set->values[i], set->sizes[i]);
    at += 4 + set->sizes[i];
  }
}

int xattr_unpack(const unsigned char *at, size_t length, xattr_set *out) {
  memset(out, 0, sizeof *out);
  size_t count = 0;
  for (size_t i = 0; i + 2 <= length;) {
    size_t n = get_u16(at + i);
    if (i + 2 + n + 4 > length) return EINVAL;
    size_t v = get_u32(at + i + 2 + n);
    i += 2 + n + 4 + v;
    if (i > length) return EINVAL;
    count++;
  }
  if (count == 0) return 0;
  out->names = calloc(count, sizeof(char *));
  out->values = calloc(count, sizeof(unsigned char *));
  out->sizes = calloc(count, sizeof(size_t));
  if (out->names == NULL || out->values == NULL || out->sizes == NULL) {
    xattr_free(out);
    return ENOMEM;
  }
  for (size_t i = 0; out->count < count;) {
    size_t n = get_u16(at + i);
    size_t v = get_u32(at + i + 2 + n);
    char *name = malloc(n + 1);
    unsigned char *value = malloc(v > 0 ? v : 1);
    if (name == NULL || value == NULL) {
      free(name);
      free(value);
      xattr_free(out);
      return ENOMEM;
    }
    memcpy(name, at + i + 2, n);
    name[n] = '\0';
    if (v > 0) memcpy(value, at + i + 2 + n + 4, v);
    out->names[out->count] = name;
    out->values[out->count] = value;
    out->sizes[out->count] = v;
    out->count++;
    i += 2 + n + 4 + v;
  }
  return 0;
}

/*
 * The access ACL made to agree with `mode`: it carries the owner, group-class (the mask, or the
 * owning group without one) and other permissions that chmod keeps in step with the mode, so when
 * the mode copied is not the one the source shows (its read-only mode stripped write bits), the ACL
 * must follow that mode too.
 */
void xattr_acl_follow_mode(xattr_set *set, int mode) {
  ssize_t i = xattr_find(set, "system.posix_acl_access");
  if (i < 0) return;
  unsigned char *acl = set->values[i];
  size_t length = set->sizes[i];
  if (length < 4 || (length - 4) % 8 != 0) return;
  enum { USER_OBJ = 0x01, GROUP_OBJ = 0x04, MASK = 0x10, OTHER = 0x20 };
  bool has_mask = false;
  for (size_t at = 4; at < length; at += 8) has_mask |= get_u16(acl + at) == MASK;
  for (size_t at = 4; at < length; at += 8) {
    uint16_t tag = get_u16(acl + at);
    if (tag == USER_OBJ) put_u16(acl + at + 2, (uint16_t)((mode >> 6) & 7));
    else if (tag == OTHER) put_u16(acl + at + 2, (uint16_t)(mode & 7));
    else if (tag == (has_mask ? MASK : GROUP_OBJ)) put_u16(acl + at + 2, (uint16_t)((mode >> 3) & 7));
  }
}
