/* What a destination entry must end with, and the check of what was read back from it. */
#ifndef SMIG_ATTRIBUTES_H
#define SMIG_ATTRIBUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "smig_xattr.h"

/* The source's owner, mode (-1 for a link, whose mode means nothing), times and extended attributes. */
typedef struct {
  uid_t uid;
  gid_t gid;
  int mode;
  struct timespec atime;
  struct timespec mtime;
  const xattr_set *xattrs;
  /* Compare the atime too (files: reading a link or a folder may move its own). */
  bool with_atime;
} wanted_attributes;

/*
 * Compares what was read back (`made`, `present`) with `wanted`, at the time `granularity` the
 * destination keeps; owners count only `as_root`. Writes what differs into `problem` ("mode 0600
 * instead of 0644; ...") and returns true when nothing does.
 */
bool attributes_agree(const struct stat *made, const xattr_set *present, const wanted_attributes *wanted, bool as_root,
                      int64_t granularity, char *problem, size_t room);

#endif
