/*
 * Entries other than a regular file's data, made like the source's on the destination: a symbolic
 * link (same target bytes, owner, attributes and times; through a temp name), and the attributes
 * alone of a file whose data already matches or of a folder once everything in it is done.
 */
#ifndef SMIG_ENTRIES_H
#define SMIG_ENTRIES_H

#include <stdbool.h>
#include <stdint.h>

#include "smig_filecopy.h"

typedef struct {
  int src_dir;
  const char *src_name;
  const char *src_path;
  int dst_dir;
  const char *dst_name;
  const char *dst_path;
  int flags; /* COPY_VERIFY, COPY_AS_ROOT, COPY_LEAVE_OUT_* */
  int64_t granularity;

  /* results: OUT_COPIED (updated: the source differed from its listing), OUT_CHANGED, OUT_VANISHED, OUT_ATTRIBUTES */
  int outcome;
  bool updated;
  int left_out; /* the kinds (LEAVE_OUT_*) of the source's attributes left out */
  int err;
  const char *syscall;
  const char *err_path;
  char problem[512];
} entry_copy;

/* Copies a symbolic link; `listed` is its record from the listing (for the target it had then). */
void symlink_copy_run(entry_copy *e, const unsigned char *listed);

/*
 * Gives the destination's regular file the attributes of the source's (records from the listings):
 * owner, extended attributes, `mode`, times; read back when verifying.
 */
void attributes_fix_run(entry_copy *e, const unsigned char *source, int mode);

/*
 * Gives a destination folder (`dst_name` in `dst_dir`, which may be a path below it) the attributes of
 * the source's (`source`, its own record, read with its xattrs), `mode` for its own; its atime is not
 * compared.
 */
void folder_attributes_run(entry_copy *e, const unsigned char *source, int mode);

#endif
