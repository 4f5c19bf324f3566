/*
 * Extended attributes (ACLs among them, as system.posix_acl_*): read from an open file, from an
 * entry of a folder, or from a path, never following a link; compared; packed for JavaScript.
 */
#ifndef SMIG_XATTR_H
#define SMIG_XATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "smig_util.h"

/* A set of attributes, sorted by name. */
typedef struct {
  size_t count;
  char **names;
  unsigned char **values;
  size_t *sizes;
} xattr_set;

/*
 * Every attribute of an open file (fd >= 0), or of `name_in_dir` in the folder `dir` (dir >= 0;
 * listxattrat where the kernel has it), or of `path`; never followed. Returns 0 or an errno, with
 * *syscall naming the call that failed. A file system without attributes counts as none.
 */
int xattr_read_at(int fd, int dir, const char *name_in_dir, const char *path, xattr_set *out, const char **syscall);
/*
 * The attributes of `name` in the open folder `dir`, never followed, reading values through a path
 * that reaches the entry however deep it is (path_at; `fallback`, its full path, without /proc).
 */
int xattr_read_entry(int dir, const char *name, const char *fallback, xattr_set *out, const char **syscall);
/*
 * A path that reaches `name` in the open folder `dir` however deep it is (through /proc/self/fd),
 * or `fallback` where /proc is not mounted. For the calls that take only a path (extended attributes).
 */
const char *path_at(char *buffer, size_t size, int dir, const char *name, const char *fallback);
void xattr_free(xattr_set *set);
bool xattr_equal(const xattr_set *a, const xattr_set *b);
/* The index of `name` in the set, or -1. */
ssize_t xattr_find(const xattr_set *set, const char *name);

/*
 * Kinds of attributes a run may leave out: those the destination's file system refuses to store, when the
 * metadata need not be preserved (engine/left-out-metadata.ts probes which). ACLs are the
 * system.posix_acl_* names; every other name counts as an extended attribute. Owners are a kind too
 * (LEAVE_OUT_OWNERS, where the destination refuses to give entries away: an EFS access point with a POSIX
 * user), though no attribute is of it: xattr_leave_out ignores it.
 */
enum { LEAVE_OUT_XATTRS = 1, LEAVE_OUT_ACLS = 2, LEAVE_OUT_OWNERS = 4 };
/* The kind (LEAVE_OUT_*) of the attribute `name`. */
int xattr_kind(const char *name);
/*
 * Removes from `set` the attributes of the kinds in `leave_out` (0: none), keeping the order of the rest;
 * returns the kinds of those it removed (0 when it removed none).
 */
int xattr_leave_out(xattr_set *set, int leave_out);

/*
 * The access ACL made to agree with `mode` (a mode copied other than the source shows it): the
 * entries chmod keeps in step with the mode take its bits.
 */
void xattr_acl_follow_mode(xattr_set *set, int mode);

/* Bytes the packed form takes: for each, u16 name length, name, u32 value length, value. */
size_t xattr_packed_size(const xattr_set *set);
void xattr_pack(const xattr_set *set, unsigned char *at);
/* The packed form read back into a set (values copied); 0 or ENOMEM / EINVAL. */
int xattr_unpack(const unsigned char *at, size_t length, xattr_set *out);

#endif
