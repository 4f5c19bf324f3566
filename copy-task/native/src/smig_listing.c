#include "smig_listing.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/syscall.h>
#include <unistd.h>

bool record_append(bytes *out, const char *name, size_t name_length, const struct stat *st, int err, uint32_t flags,
                   const char *target, size_t target_length, const xattr_set *xattrs) {
  size_t xattr_bytes = xattrs ? xattr_packed_size(xattrs) : 0;
  size_t length = RECORD_HEADER + name_length + target_length + xattr_bytes;
  if (!bytes_reserve(out, length)) return false;
  unsigned char *at = out->data + out->length;
  memset(at, 0, RECORD_HEADER);
  put_u32(at, (uint32_t)length);
  if (st) {
    put_u32(at + 4, st->st_mode);
    put_u32(at + 8, st->st_uid);
    put_u32(at + 12, st->st_gid);
    put_u32(at + 16, (uint32_t)st->st_nlink);
    put_u64(at + 32, (uint64_t)st->st_size);
    put_u64(at + 40, (uint64_t)st->st_ino);
    put_u64(at + 48, (uint64_t)st->st_dev);
    put_u64(at + 56, (uint64_t)st->st_rdev);
    put_u64(at + 64, (uint64_t)ns_of(st->st_atim));
    put_u64(at + 72, (uint64_t)ns_of(st->st_mtim));
    put_u64(at + 80, (uint64_t)ns_of(st->st_ctim));
  }
  put_u32(at + 20, (uint32_t)err);
  put_u32(at + 24, flags);
  put_u32(at + 28, (uint32_t)xattr_bytes);
  put_u32(at + 88, (uint32_t)name_length);
  put_u16(at + 92, (uint16_t)target_length);
  unsigned char *cursor = at + RECORD_HEADER;
  memcpy(cursor, name, name_length);
  cursor += name_length;
  if (target_length > 0) memcpy(cursor, target, target_length);
  cursor += target_length;
  if (xattrs) xattr_pack(xattrs, cursor);
  out->length += length;
  return true;
}

bool record_copy(bytes *out, const unsigned char *record, uint32_t flags) {
  size_t length = get_u32(record);
  if (!bytes_reserve(out, length)) return false;
  memcpy(out->data + out->length, record, length);
  put_u32(out->data + out->length + 24, flags);
  out->length += length;
  return true;
}

int record_append_self(bytes *out, int dir, bool with_xattrs, int leave_out, uint32_t flags, const char **syscall) {
  struct stat st;
  if (fstat(dir, &st) != 0) {
    *syscall = "fstat";
    return errno;
  }
  xattr_set xattrs = {0};
  if (with_xattrs) {
    int err = xattr_read_at(dir, -1, NULL, NULL, &xattrs, syscall);
    if (err) return err;
    flags |= (uint32_t)xattr_leave_out(&xattrs, leave_out) << RECORD_LEFT_OUT_SHIFT;
  }
  bool ok = record_append(out, "", 0, &st, 0, flags, NULL, 0, &xattrs);
  xattr_free(&xattrs);
  if (!ok) {
    *syscall = "malloc";
    return ENOMEM;
  }
  return 0;
}

int record_compare_names(const unsigned char *a, const unsigned char *b) {
  size_t la = record_name_length(a), lb = record_name_length(b);
  int order = memcmp(record_name(a), record_name(b), la < lb ? la : lb);
  if (order != 0) return order;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

/* qsort's comparator over offsets into one arena of NUL-terminated names (set per thread). */
static __thread const char *sort_arena;

static int compare_names(const void *a, const void *b) {
  return strcmp(sort_arena + *(const uint32_t *)a, sort_arena + *(const uint32_t *)b);
}

/* Reads one entry into a record; a vanished entry is left out (0), ENOMEM is returned. */
static int read_entry(listing *out, int dir, const char *name, char *full, size_t base_length, int xattrs_mode, int64_t xattrs_after) {
  struct stat st;
  int err = 0;
  uint32_t what = 0;
  if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return 0;
    err = errno;
    what = WHAT_LSTAT;
  }
  char target[4096];
  ssize_t target_length = 0;
  if (err == 0 && S_ISLNK(st.st_mode)) {
    target_length = readlinkat(dir, name, target, sizeof target);
    if (target_length < 0) {
      if (errno == ENOENT) return 0;
      err = errno;
      what = WHAT_READLINK;
      target_length = 0;
    }
  }
  if (err == 0 && ns_of(st.st_ctim) > out->max_ctime) out->max_ctime = ns_of(st.st_ctim);
  xattr_set xattrs = {0};
  bool wanted = xattrs_mode == XATTRS_ALL || (xattrs_mode == XATTRS_FOLDERS && S_ISDIR(st.st_mode));
  /* An entry whose inode has not changed since `xattrs_after` keeps the attributes it had then. */
  if (err == 0 && wanted && ns_of(st.st_ctim) >= xattrs_after) {
    what |= RECORD_XATTRS_READ;
    size_t name_length = strlen(name);
    memcpy(full + base_length, name, name_length + 1);
    const char *syscall = NULL;
    int xerr = xattr_read_entry(dir, name, full, &xattrs, &syscall);
    if (xerr == ENOENT) return 0;
    if (xerr) {
      err = xerr;
      what = WHAT_XATTRS;
    } else {
      what |= (uint32_t)xattr_leave_out(&xattrs, out->leave_out) << RECORD_LEFT_OUT_SHIFT;
    }
  }
  size_t at = out->records.length;
  bool ok = record_append(&out->records, name, strlen(name), err ? NULL : &st, err, what, target, (size_t)target_length, &xattrs);
  xattr_free(&xattrs);
  if (!ok) return ENOMEM;
  out->offsets[out->count++] = (uint32_t)at;
  return 0;
}

/* A folder's raw entries (getdents64's layout), read straight into this buffer. */
struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* A regular file or folder known by its type alone (a types-only listing): no lstat. */
static int type_entry(listing *out, const char *name, unsigned char type) {
  struct stat st;
  memset(&st, 0, sizeof st);
  st.st_mode = type == DT_DIR ? S_IFDIR : S_IFREG;
  size_t at = out->records.length;
  if (!record_append(&out->records, name, strlen(name), &st, 0, RECORD_TYPE_ONLY, NULL, 0, NULL)) return ENOMEM;
  out->offsets[out->count++] = (uint32_t)at;
  return 0;
}

static int listing_read_names(int dir, const char *path, int xattrs_mode, int64_t xattrs_after, int leave_out, bool types_only, const char *skip,
                              const name_range *range, listing *out);

int listing_read(int dir, const char *path, int xattrs_mode, int64_t xattrs_after, int leave_out, bool types_only, const char *skip, listing *out) {
  return listing_read_names(dir, path, xattrs_mode, xattrs_after, leave_out, types_only, skip, NULL, out);
}

int listing_read_range(int dir, const char *path, int xattrs_mode, int64_t xattrs_after, int leave_out, const name_range *range, listing *out) {
  return listing_read_names(dir, path, xattrs_mode, xattrs_after, leave_out, false, NULL, range, out);
}

static int compare_bound(const char *name, size_t length, const char *bound, size_t bound_length) {
  int order = memcmp(name, bound, length < bound_length ? length : bound_length);
  if (order != 0) return order;
  return length < bound_length ? -1 : length > bound_length ? 1 : 0;
}

bool name_in_range(const name_range *range, const char *name) {
  if (range == NULL || strncmp(name, ".smig-tmp-", 10) == 0) return true;
  size_t length = strlen(name);
  if (range->lo) {
    int order = compare_bound(name, length, range->lo, range->lo_length);
    if (order < 0 || (order == 0 && !range->lo_inclusive)) return false;
  }
  if (range->hi) {
    int order = compare_bound(name, length, range->hi, range->hi_length);
    if (order > 0 || (order == 0 && !range->hi_inclusive)) return false;
  }
  return true;
}

static int listing_read_names(int dir, const char *path, int xattrs_mode, int64_t xattrs_after, int leave_out, bool types_only, const char *skip,
                              const name_range *range, listing *out) {
  memset(out, 0, sizeof *out);
  out->leave_out = leave_out;
  /* The names, in one arena, then sorted by their bytes. */
  bytes arena = {0};
  uint32_t *names = NULL;
  size_t count = 0, capacity = 0;
  enum { DENTS = 64 * 1024 };
  unsigned char *dents = malloc(DENTS);
  if (dents == NULL) {
    out->err = ENOMEM;
    out->syscall = "malloc";
    return out->err;
  }
  /* The folder is read from where its descriptor stands: callers give a freshly opened one. */
  for (;;) {
    long got = syscall(SYS_getdents64, dir, dents, DENTS);
    if (got < 0) {
      if (errno == EINTR) continue;
      out->err = errno;
      out->syscall = "scandir";
      break;
    }
    if (got == 0) break;
    for (long at = 0; at < got && out->err == 0;) {
      struct linux_dirent64 *entry = (struct linux_dirent64 *)(dents + at);
      at += entry->d_reclen;
      const char *name = entry->d_name;
      if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) continue;
      if (skip && strcmp(name, skip) == 0) continue;
      if (!name_in_range(range, name)) continue; /* another partition's: not even lstat'ed */
      if (count == capacity) {
        capacity = capacity ? capacity * 2 : 64;
        uint32_t *grown = realloc(names, capacity * sizeof *names);
        if (grown == NULL) {
          out->err = ENOMEM;
          out->syscall = "malloc";
          break;
        }
        names = grown;
      }
      /* The entry's type (as getdents gives it) just before its name. */
      size_t offset = arena.length + 1;
      if (!bytes_append(&arena, &entry->d_type, 1) || !bytes_append(&arena, name, strlen(name) + 1)) {
        out->err = ENOMEM;
        out->syscall = "malloc";
        break;
      }
      names[count++] = (uint32_t)offset;
    }
    if (out->err) break;
  }
  free(dents);
  if (out->err == 0 && count > 0) {
    sort_arena = (const char *)arena.data;
    qsort(names, count, sizeof *names, compare_names);
    out->offsets = malloc(count * sizeof *out->offsets);
    size_t base_length = strlen(path);
    char *full = malloc(base_length + 2 + 256);
    if (out->offsets == NULL || full == NULL || !bytes_reserve(&out->records, count * (RECORD_HEADER + 24))) {
      out->err = ENOMEM;
      out->syscall = "malloc";
    } else {
      memcpy(full, path, base_length);
      full[base_length] = '/';
      for (size_t i = 0; i < count && out->err == 0; i++) {
        const char *name = (const char *)arena.data + names[i];
        unsigned char type = arena.data[names[i] - 1];
        int err = types_only && (type == DT_REG || type == DT_DIR) ? type_entry(out, name, type)
                                                                    : read_entry(out, dir, name, full, base_length + 1, xattrs_mode, xattrs_after);
        if (err) {
          out->err = err;
          out->syscall = "malloc";
        }
      }
    }
    free(full);
  }
  free(names);
  bytes_free(&arena);
  return out->err;
}

int listing_read_xattrs(listing *l, size_t index, int dir, const char *path) {
  const unsigned char *old = listing_record(l, index);
  if (get_u32(old + 24) & RECORD_XATTRS_READ) return 0;
  size_t name_length = record_name_length(old);
  char name[256];
  memcpy(name, record_name(old), name_length);
  name[name_length] = '\0';
  size_t path_length = strlen(path);
  char *full = malloc(path_length + 2 + name_length);
  if (full == NULL) return ENOMEM;
  memcpy(full, path, path_length);
  full[path_length] = '/';
  memcpy(full + path_length + 1, name, name_length + 1);
  xattr_set xattrs = {0};
  const char *syscall = NULL;
  int err = xattr_read_entry(dir, name, full, &xattrs, &syscall);
  free(full);
  /* Gone, or unreadable, meanwhile: the record says so, and the pair is reported as it would have been. */
  uint32_t flags = (get_u32(old + 24) & ~0xFFFFu) | RECORD_XATTRS_READ;
  int record_err = 0;
  if (err) {
    record_err = err;
    flags = (flags & ~0xFFFFu) | WHAT_XATTRS;
  } else {
    flags |= (uint32_t)xattr_leave_out(&xattrs, l->leave_out) << RECORD_LEFT_OUT_SHIFT;
  }
  /* The record again, now with its attributes, at the end of the listing's records. */
  size_t length = RECORD_HEADER + name_length + record_target_length(old) + xattr_packed_size(&xattrs);
  if (!bytes_reserve(&l->records, length)) {
    xattr_free(&xattrs);
    return ENOMEM;
  }
  old = listing_record(l, index); /* the reserve may have moved the records */
  unsigned char *at = l->records.data + l->records.length;
  memcpy(at, old, RECORD_HEADER + name_length + record_target_length(old));
  put_u32(at, (uint32_t)length);
  put_u32(at + 20, (uint32_t)record_err);
  put_u32(at + 24, flags);
  put_u32(at + 28, (uint32_t)xattr_packed_size(&xattrs));
  xattr_pack(&xattrs, at + RECORD_HEADER + name_length + record_target_length(old));
  xattr_free(&xattrs);
  l->offsets[index] = (uint32_t)l->records.length;
  l->records.length += length;
  return 0;
}

void listing_free(listing *l) {
  bytes_free(&l->records);
  free(l->offsets);
  memset(l, 0, sizeof *l);
}
