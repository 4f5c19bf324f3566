#include "smig_entries.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "smig_attributes.h"
#include "smig_listing.h"

static int fail(entry_copy *e, int err, const char *syscall, const char *path) {
  e->err = err;
  e->syscall = syscall;
  e->err_path = path;
  return err;
}

/*
 * Owner, then extended attributes (exactly the wanted set), then mode, then times: the order of
 * metadata.ts, for the same reasons (a chown clears setuid and setgid; an ACL rewrites the mode's
 * group bits; every step but the last moves the times). Never follows a link.
 */
static int apply_at(entry_copy *e, int dir, const char *name, const char *path, const wanted_attributes *w) {
  struct stat current;
  if (fstatat(dir, name, &current, AT_SYMLINK_NOFOLLOW) != 0) return fail(e, errno, "lstat", e->dst_path);
  if ((current.st_uid != w->uid || current.st_gid != w->gid) && (e->flags & COPY_LEAVE_OUT_OWNERS)) {
    e->left_out |= LEAVE_OUT_OWNERS; /* it keeps the owner the destination gave it */
  } else if (current.st_uid != w->uid || current.st_gid != w->gid) {
    if (fchownat(dir, name, w->uid, w->gid, AT_SYMLINK_NOFOLLOW) != 0 && ((e->flags & COPY_AS_ROOT) || errno != EPERM)) {
      return fail(e, errno, "lchown", e->dst_path);
    }
  }
  xattr_set present;
  const char *syscall = NULL;
  int err = xattr_read_at(-1, dir, name, path, &present, &syscall);
  if (err) return fail(e, err, syscall ? syscall : "llistxattr", e->dst_path);
  xattr_leave_out(&present, COPY_LEAVE_OUT(e->flags));
  for (size_t i = 0; i < present.count && err == 0; i++) {
    if (xattr_find(w->xattrs, present.names[i]) < 0 && lremovexattr(path, present.names[i]) != 0 && errno != ENODATA) {
      snprintf(e->problem, sizeof e->problem, "cannot remove extended attribute %s", present.names[i]);
      err = fail(e, errno, "lremovexattr", e->dst_path);
    }
  }
  for (size_t i = 0; i < w->xattrs->count && err == 0; i++) {
    ssize_t at = xattr_find(&present, w->xattrs->names[i]);
    if (at >= 0 && present.sizes[at] == w->xattrs->sizes[i] && memcmp(present.values[at], w->xattrs->values[i], w->xattrs->sizes[i]) == 0) continue;
    if (lsetxattr(path, w->xattrs->names[i], w->xattrs->values[i], w->xattrs->sizes[i], 0) != 0) {
      snprintf(e->problem, sizeof e->problem, "cannot set extended attribute %s", w->xattrs->names[i]);
      err = fail(e, errno, "lsetxattr", e->dst_path);
    }
  }
  xattr_free(&present);
  if (err) return err;
  if (w->mode >= 0 && fchmodat(dir, name, (mode_t)w->mode, 0) != 0) return fail(e, errno, "chmod", e->dst_path);
  struct timespec times[2] = {w->atime, w->mtime};
  if (utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW) != 0) return fail(e, errno, "utimensat", e->dst_path);
  return 0;
}

/* Reads back what apply_at wrote; fills e->problem and returns false when something differs. */
static bool matches_at(entry_copy *e, int dir, const char *name, const char *path, const wanted_attributes *w) {
  struct stat made;
  if (fstatat(dir, name, &made, AT_SYMLINK_NOFOLLOW) != 0) {
    fail(e, errno, "lstat", e->dst_path);
    return true;
  }
  xattr_set present;
  const char *syscall = NULL;
  int err = xattr_read_at(-1, dir, name, path, &present, &syscall);
  if (err) {
    fail(e, err, syscall ? syscall : "llistxattr", e->dst_path);
    return true;
  }
  xattr_leave_out(&present, COPY_LEAVE_OUT(e->flags));
  bool agree = attributes_agree(&made, &present, w, COPY_COMPARES_OWNERS(e->flags), e->granularity, e->problem, sizeof e->problem);
  xattr_free(&present);
  return agree;
}

static struct timespec timespec_of(int64_t ns) {
  struct timespec t = {.tv_sec = (time_t)(ns / NS_PER_S), .tv_nsec = (long)(ns % NS_PER_S)};
  if (t.tv_nsec < 0) {
    t.tv_nsec += NS_PER_S;
    t.tv_sec -= 1;
  }
  return t;
}

void symlink_copy_run(entry_copy *e, const unsigned char *listed) {
  e->outcome = OUT_COPIED;
  e->updated = false;
  e->err = 0;
  e->left_out = 0;
  e->problem[0] = '\0';
  struct stat st;
  if (fstatat(e->src_dir, e->src_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) e->outcome = OUT_VANISHED;
    else fail(e, errno, "lstat", e->src_path);
    return;
  }
  if (!S_ISLNK(st.st_mode)) {
    e->outcome = OUT_CHANGED;
    return;
  }
  char target[4097];
  ssize_t length = readlinkat(e->src_dir, e->src_name, target, sizeof target - 1);
  if (length < 0) {
    if (errno == ENOENT) e->outcome = OUT_VANISHED;
    else if (errno == EINVAL) e->outcome = OUT_CHANGED;
    else fail(e, errno, "readlink", e->src_path);
    return;
  }
  target[length] = '\0';
  char source_at[4200];
  const char *source_path = path_at(source_at, sizeof source_at, e->src_dir, e->src_name, e->src_path);
  xattr_set xattrs = {0};
  const char *syscall = NULL;
  int err = xattr_read_at(-1, e->src_dir, e->src_name, source_path, &xattrs, &syscall);
  if (err) {
    if (err == ENOENT) e->outcome = OUT_VANISHED;
    else fail(e, err, syscall ? syscall : "llistxattr", e->src_path);
    return;
  }
  e->left_out = xattr_leave_out(&xattrs, COPY_LEAVE_OUT(e->flags));
  char temp[64];
  make_temp_name(temp, sizeof temp);
  char temp_at[4200];
  const char *temp_path = path_at(temp_at, sizeof temp_at, e->dst_dir, temp, e->dst_path);
  bool placed = false;
  if (symlinkat(target, e->dst_dir, temp) != 0) {
    fail(e, errno, "symlink", e->dst_path);
    goto done;
  }
  if (e->flags & COPY_VERIFY) {
    /* Before the times are set: reading a link may move its atime. */
    char written[4097];
    ssize_t got = readlinkat(e->dst_dir, temp, written, sizeof written - 1);
    if (got < 0) {
      fail(e, errno, "readlink", e->dst_path);
      goto done;
    }
    if (got != length || memcmp(written, target, (size_t)length) != 0) {
      snprintf(e->problem, sizeof e->problem, "link target mismatch after copy");
      e->outcome = OUT_ATTRIBUTES;
      goto done;
    }
  }
  wanted_attributes wanted = {.uid = st.st_uid, .gid = st.st_gid, .mode = -1, .atime = st.st_atim, .mtime = st.st_mtim, .xattrs = &xattrs, .with_atime = false};
  if (apply_at(e, e->dst_dir, temp, temp_path, &wanted) != 0) goto done;
  if ((e->flags & COPY_VERIFY) && !matches_at(e, e->dst_dir, temp, temp_path, &wanted)) {
    e->outcome = OUT_ATTRIBUTES;
    goto done;
  }
  if (e->err) goto done;
  if (renameat(e->dst_dir, temp, e->dst_dir, e->dst_name) != 0) {
    fail(e, errno, "rename", e->dst_path);
    goto done;
  }
  placed = true;
  if (listed != NULL) {
    size_t listed_length = record_target_length(listed);
    const char *listed_target = (const char *)record_target(listed);
    e->updated = listed_length != (size_t)length || memcmp(listed_target, target, (size_t)length) != 0;
  }
done:
  if (!placed) unlinkat(e->dst_dir, temp, 0);
  xattr_free(&xattrs);
}

/* The attributes of the source's record `source` given to the destination's entry, `mode` for its own. */
static void attributes_run(entry_copy *e, const unsigned char *source, int mode, bool with_atime) {
  e->outcome = OUT_COPIED;
  e->updated = false;
  e->err = 0;
  e->problem[0] = '\0';
  xattr_set xattrs;
  size_t skip = RECORD_HEADER + record_name_length(source) + record_target_length(source);
  int err = xattr_unpack(source + skip, get_u32(source + 28), &xattrs);
  if (err) {
    fail(e, err, "malloc", NULL);
    return;
  }
  /* The listing left them out of the record already, and said so in its flags. */
  e->left_out = (int)RECORD_LEFT_OUT(get_u32(source + 24)) | xattr_leave_out(&xattrs, COPY_LEAVE_OUT(e->flags));
  if (mode >= 0 && mode != (int)(record_mode(source) & 07777)) xattr_acl_follow_mode(&xattrs, mode);
  char at[4200];
  const char *path = path_at(at, sizeof at, e->dst_dir, e->dst_name, e->dst_path);
  wanted_attributes wanted = {
      .uid = get_u32(source + 8), .gid = get_u32(source + 12), .mode = mode,
      .atime = timespec_of(get_i64(source + 64)), .mtime = timespec_of(get_i64(source + 72)), .xattrs = &xattrs, .with_atime = with_atime,
  };
  if (apply_at(e, e->dst_dir, e->dst_name, path, &wanted) == 0 && (e->flags & COPY_VERIFY) && !matches_at(e, e->dst_dir, e->dst_name, path, &wanted) && e->err == 0) {
    e->outcome = OUT_ATTRIBUTES;
  }
  xattr_free(&xattrs);
}

void attributes_fix_run(entry_copy *e, const unsigned char *source, int mode) {
  attributes_run(e, source, mode, true);
}

void folder_attributes_run(entry_copy *e, const unsigned char *source, int mode) {
  /* Listing a folder may move its atime: it is set, not compared. */
  attributes_run(e, source, mode, false);
}
