/*
 * One regular file copied so that its final name only ever holds a complete, verified copy: data
 * into a file without a name in the destination folder (O_TMPFILE; a temp name where the file system
 * has none), holes kept, hashed and read back when verifying (from the page cache as it is written, or
 * from storage once it is: COPY_VERIFY_STORAGE), the source checked for changes, owner, extended
 * attributes, mode and times set (and read back when verifying), then linked in under its name.
 * The data is copied by smig_filedata.c, digests made by smig_content.c.
 */
#ifndef SMIG_FILECOPY_H
#define SMIG_FILECOPY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "smig_content.h"
#include "smig_util.h"
#include "smig_xattr.h"

enum {
  COPY_VERIFY = 1,        /* hash as read, read back and compare; read metadata back too */
  COPY_AS_ROOT = 2,       /* owners are set, and failing to set them is an error */
  COPY_WRITE_BACK = 4,    /* hand large files' data to the disk as it is copied (a pass that ends with syncfs) */
  COPY_REFUSE_LINKED = 8, /* a source with several names is not copied (OUT_LINKED): hard links are planned elsewhere */
  /*
   * The folder is hidden under a temp name until all of it is complete (smig_walk.c), and the name is
   * free: the copy is made under its final name at once, with no unnamed file to link in.
   */
  COPY_IN_HIDDEN_FOLDER = 32,
  /* The name must still hold the file once copied (a source that should not change): checked. */
  COPY_SAME_NAME = 64,
  /*
   * With COPY_VERIFY: the copy is read back from storage (hash_fd_from_storage: made durable, then
   * past the page cache) once all its data is written, instead of from the cache as it is written.
   */
  COPY_VERIFY_STORAGE = 128,
  /*
   * The source's attributes of these kinds are left out (LEAVE_OUT_XATTRS, LEAVE_OUT_ACLS, shifted by
   * COPY_LEAVE_OUT_SHIFT): the destination refuses them and the metadata need not be preserved. They
   * are neither set, nor removed from, nor compared on the destination; what a copy left out is said in
   * its result (`left_out`).
   */
  COPY_LEAVE_OUT_XATTRS = 256,
  COPY_LEAVE_OUT_ACLS = 512,
  /*
   * Owners are left out (LEAVE_OUT_OWNERS): the destination refuses to give entries away. Entries keep
   * the owner the destination gives them: no chown, and owners are not compared; an entry whose owner
   * then is not the source's says LEAVE_OUT_OWNERS in its result's `left_out`.
   */
  COPY_LEAVE_OUT_OWNERS = 1024
};
#define COPY_LEAVE_OUT_SHIFT 8
/* Every COPY_LEAVE_OUT_* flag, for passing them on. */
#define COPY_LEAVE_OUT_FLAGS (COPY_LEAVE_OUT_XATTRS | COPY_LEAVE_OUT_ACLS | COPY_LEAVE_OUT_OWNERS)
/* The LEAVE_OUT_* kinds of attributes (not owners) in a set of COPY_* flags: what xattr_leave_out takes. */
#define COPY_LEAVE_OUT(flags) (((flags) >> COPY_LEAVE_OUT_SHIFT) & (LEAVE_OUT_XATTRS | LEAVE_OUT_ACLS))
/* Whether owners are compared: as root (otherwise only root may give files away), unless left out. */
#define COPY_COMPARES_OWNERS(flags) (((flags) & COPY_AS_ROOT) && !((flags) & COPY_LEAVE_OUT_OWNERS))

enum { OUT_COPIED, OUT_CHANGED, OUT_VANISHED, OUT_MISMATCH, OUT_ATTRIBUTES, OUT_LINKED };
extern const char *const COPY_OUTCOMES[];

/* Owner a file made in a folder gets: the process's, with the folder's group where it is setgid. */
struct folder_defaults {
  uid_t uid;
  gid_t gid;
};

typedef struct {
  /* where: the folders (open), the entry's name in each, and full paths for messages */
  int src_dir;
  const char *src_name;
  const char *src_path;
  int dst_dir;
  const char *dst_name;
  const char *dst_path;
  /* a temp name in the destination folder to use where one is needed; NULL: one is made up */
  const char *temp_name;
  /* how */
  int flags;
  int64_t granularity;
  const control_block *control;
  /* the mode the copy gets (the source's real one while it is read-only); -1: what fstat shows */
  int mode;
  /* set once the destination file system turned out to have no unnamed files; shared by a folder's copies */
  bool *no_unnamed;
  /*
   * What a file made in the destination folder starts with, when the caller knows its folder (NULL
   * otherwise, and it is read from the new file): its owner, and whether it inherits attributes
   * (-1 not known yet, 0 none, 1 some: a default ACL, a security label), shared by a folder's copies.
   * Knowing saves a stat, a listxattr and a chmod per file.
   */
  const struct folder_defaults *defaults;
  int *inherits;

  /* results of the last attempt */
  int outcome;
  int err;
  const char *syscall;
  const char *err_path;
  struct stat before;
  int64_t progressed; /* added to over attempts: bytes counted as progress, holes included */
  char source_digest[33];
  char destination_digest[33];
  int read_back; /* where a verified copy was read back from (READ_BACK_*) */
  int left_out;  /* the kinds (LEAVE_OUT_*) of the source's attributes the copy left out */
  char problem[512];
} file_copy;

/* One attempt; the outcome and any error are in `c`. */
void file_copy_run(file_copy *c);

/*
 * The token every name the engine makes up in the destination carries (".smig-tmp-<token>..."): 16 hex
 * digits, the same for the whole process, so that the engine's journal can record it and a later run
 * tell its leftovers from a user's files of similar names (engine/paths.ts). Drawn from the kernel's
 * random source until the engine sets its own (temp_token_set), which it does before any walk.
 */
#define TEMP_TOKEN_LENGTH 16
const char *temp_token(void);
/* `token`: TEMP_TOKEN_LENGTH hex digits. */
void temp_token_set(const char *token);

/* A name in the engine's temp namespace (".smig-tmp-<token>n<count>"), unique within this process. */
void make_temp_name(char *out, size_t size);

/* Links an open file without a name in under `name` in `dir` (which must not exist there): 0 or an errno. */
int link_unnamed(int fd, int dir, const char *name);

#endif
