#include "smig_filecopy.h"

#include "smig_attributes.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "smig_content.h"
#include "smig_filedata.h"
const char *const COPY_OUTCOMES[] = {"copied", "changed", "vanished", "mismatch", "attributes", "linked"};

static int fail(file_copy *c, int err, const char *syscall, const char *path) {
  c->err = err;
  c->syscall = syscall;
  c->err_path = path;
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
  bool owners_left_out = c->flags & COPY_LEAVE_OUT_OWNERS;
  /* Where owners are left out the owner the destination gave is read, not assumed (an EFS access point gives its own). */
  if (c->defaults && !owners_left_out) {
    uid = c->defaults->uid;
    gid = c->defaults->gid;
  } else {
    struct stat current;
    if (fstat(out, &current) != 0) return fail(c, errno, "fstat", c->dst_path);
    uid = current.st_uid;
    gid = current.st_gid;
  }
  bool chowned = false;
  if ((uid != c->before.st_uid || gid != c->before.st_gid) && owners_left_out) {
    c->left_out |= LEAVE_OUT_OWNERS;
  } else if (uid != c->before.st_uid || gid != c->before.st_gid) {
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
    xattr_leave_out(&present, COPY_LEAVE_OUT(c->flags));
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
  xattr_leave_out(&present, COPY_LEAVE_OUT(c->flags));
  wanted_attributes w = {
      .uid = c->before.st_uid, .gid = c->before.st_gid, .mode = mode, .atime = c->before.st_atim, .mtime = c->before.st_mtim,
      .xattrs = wanted, .with_atime = true,
  };
  bool agree = attributes_agree(&made, &present, &w, COPY_COMPARES_OWNERS(c->flags), c->granularity, c->problem, sizeof c->problem);
  xattr_free(&present);
  return agree;
}

static char token[TEMP_TOKEN_LENGTH + 1];
static pthread_once_t token_drawn = PTHREAD_ONCE_INIT;

static void draw_token(void) {
  static const char HEX[] = "0123456789abcdef";
  unsigned char raw[TEMP_TOKEN_LENGTH / 2];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
    /* No random source: unique enough among this machine's processes, until the engine sets its own. */
    uint64_t mixed = (uint64_t)monotonic_ns() ^ ((uint64_t)getpid() << 40);
    memcpy(raw, &mixed, sizeof raw);
  }
  for (size_t i = 0; i < sizeof raw; i++) {
    token[2 * i] = HEX[raw[i] >> 4];
    token[2 * i + 1] = HEX[raw[i] & 15];
  }
  token[TEMP_TOKEN_LENGTH] = '\0';
}

const char *temp_token(void) {
  pthread_once(&token_drawn, draw_token);
  return token;
}

void temp_token_set(const char *value) {
  pthread_once(&token_drawn, draw_token);
  /* Set once, before any walk; each run sets the same value again, which writes nothing. */
  if (memcmp(token, value, TEMP_TOKEN_LENGTH) != 0) memcpy(token, value, TEMP_TOKEN_LENGTH);
}

void make_temp_name(char *out, size_t size) {
  static uint64_t counter;
  uint64_t n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
  snprintf(out, size, ".smig-tmp-%sn%llx", temp_token(), (unsigned long long)n);
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
  c->read_back = READ_BACK_CACHE;
  c->left_out = 0;
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
  /* A copy read back from storage is read once it is all written and durable, not chunk by chunk. */
  bool from_storage = (c->flags & COPY_VERIFY) && (c->flags & COPY_VERIFY_STORAGE);
  if (c->flags & COPY_VERIFY) {
    hash = XXH3_createState();
    readback = from_storage ? NULL : XXH3_createState();
    if (hash == NULL || (!from_storage && readback == NULL)) {
      fail(c, ENOMEM, "malloc", NULL);
      goto finish;
    }
    XXH3_128bits_reset(hash);
    if (readback) XXH3_128bits_reset(readback);
  }
  int64_t size = c->before.st_size;
  bool complete;
  if (file_data_copy(c, in, out, size, hash, readback, &complete) != 0) goto finish;

  /* The attributes before the second look, so that a change to them shows in the ctime. */
  const char *syscall = NULL;
  int err = xattr_read_at(in, -1, NULL, NULL, &source_xattrs, &syscall);
  if (err) {
    fail(c, err, syscall ? syscall : "llistxattr", c->src_path);
    goto finish;
  }
  c->left_out = xattr_leave_out(&source_xattrs, COPY_LEAVE_OUT(c->flags));
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
    digest_hex(hash, c->source_digest);
    if (from_storage) {
      /*
       * Before anything else is done to it: made durable and read back past the page cache, so the
       * digest is of what storage holds (on NFS, the server's answer; the client's cache is its own).
       */
      const char *read_call = NULL;
      int read_err = hash_fd_from_storage(out, size, c->destination_digest, NULL, &c->read_back, &read_call, c->control);
      if (read_err) {
        fail(c, read_err, read_call ? read_call : "read", c->dst_path);
        goto finish;
      }
    } else {
      /* Read back as it was written (file_data_copy), from the page cache. */
      digest_hex(readback, c->destination_digest);
      c->read_back = READ_BACK_CACHE;
    }
    /* The length is checked here. */
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
