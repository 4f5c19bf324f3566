/*
 * A folder's entries as records (lstat fields, link target, extended attributes), sorted by name
 * bytes, packed the way JavaScript reads them (engine/scan.ts, parseListing):
 *
 *   u32 length of the record, u32 st_mode, u32 uid, u32 gid, u32 nlink, i32 errno (0, or why the
 *   entry could not be read), u32 flags (low 16 bits: what failed, 1 lstat, 2 readlink, 3 xattrs;
 *   bit 16: equal on both sides; bits 20-23: the record's role in a folder pair, see smig_pair.h),
 *   u32 xattr bytes, u64 size, u64 ino, u64 dev, u64 rdev, i64 atime ns, i64 mtime ns, i64 ctime ns,
 *   u32 name length (a walk's records hold a path there, as long as a tree is deep), u16 target
 *   length, u16 zero, then the name, the link target and the xattrs (each: u16 name length, name,
 *   u32 value length, value; sorted by name).
 *
 * Entries gone between the listing and their lstat are left out.
 */
#ifndef SMIG_LISTING_H
#define SMIG_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "smig_util.h"
#include "smig_xattr.h"

#define RECORD_HEADER 96
#define RECORD_SAME (1u << 16)
/* The record's xattrs were read (a record without it carries none: its inode did not change since the walk's point, see listing_read). */
#define RECORD_XATTRS_READ (1u << 17)
/* Only the entry's type is known (a types-only listing): no lstat was made of it. */
#define RECORD_TYPE_ONLY (1u << 18)
/*
 * The kinds (LEAVE_OUT_*) of the entry's attributes the listing left out (bits 30-31 of a listing's records,
 * and of a folder's ROLE_FOLDER record): what the destination refuses, when the run may leave it out.
 */
#define RECORD_LEFT_OUT_SHIFT 30
#define RECORD_LEFT_OUT(flags) (((flags) >> RECORD_LEFT_OUT_SHIFT) & 3u)
#define RECORD_ROLE_SHIFT 20
#define RECORD_ROLE(flags) (((flags) >> RECORD_ROLE_SHIFT) & 0xFu)

/* Which entries' extended attributes a listing reads. */
enum { XATTRS_NONE = 0, XATTRS_ALL = 1, XATTRS_FOLDERS = 2 };
enum { WHAT_LSTAT = 1, WHAT_READLINK = 2, WHAT_XATTRS = 3 };

typedef struct {
  bytes records;
  /* Where each record starts, in name order. */
  uint32_t *offsets;
  size_t count;
  int err;
  const char *syscall;
  /* The kinds of attributes (LEAVE_OUT_*) left out of the records, also when read later (listing_read_xattrs). */
  int leave_out;
  /* The largest ctime (ns) of the entries it lstat'ed; 0: none (engine/pass-marks.ts: the source's clock). */
  int64_t max_ctime;
} listing;

/*
 * Lists the folder `dir`, freshly opened (it is read from where it stands), at `path` (for messages
 * and attribute reads) into `out`; `skip`, if not NULL, is a name to leave out. Xattrs are read of
 * the entries `xattrs` names whose ctime is at or after `xattrs_after` (INT64_MIN: all of them). With
 * `types_only`, regular files and folders are known by their type alone (RECORD_TYPE_ONLY: the
 * copying walk in a folder it made, whose entries the survey counted). Attributes of the kinds in
 * `leave_out` (LEAVE_OUT_*) are left out of the records, and each record says which it left out
 * (RECORD_LEFT_OUT). Returns 0 or an errno (also in out->err, with out->syscall).
 */
int listing_read(int dir, const char *path, int xattrs, int64_t xattrs_after, int leave_out, bool types_only, const char *skip, listing *out);
/*
 * The names a partitioned pass sees in one of its boundary folders (engine/partition-view.ts): bytewise,
 * above `lo` (or at it, `lo_inclusive`) and below `hi` (or at it); an absent bound (NULL) is open. Names
 * the engine makes up (".smig-tmp-" and more) are always in: JavaScript decides whose they are. Only
 * saves the lstat (and xattr reads) of names no other check would keep: JavaScript checks every name again.
 */
typedef struct {
  const char *lo, *hi;
  size_t lo_length, hi_length;
  bool lo_inclusive, hi_inclusive;
} name_range;
bool name_in_range(const name_range *range, const char *name);
/* listing_read of only the names in `range` (NULL: every name). */
int listing_read_range(int dir, const char *path, int xattrs, int64_t xattrs_after, int leave_out, const name_range *range, listing *out);
/*
 * Reads the xattrs of entry `index`, if its record has none read, into a new record for it (the old
 * one stays where it was: records already handed out stay valid until the listing is freed). 0 or ENOMEM.
 */
int listing_read_xattrs(listing *l, size_t index, int dir, const char *path);
void listing_free(listing *l);

static inline const unsigned char *listing_record(const listing *l, size_t i) {
  return l->records.data + l->offsets[i];
}
static inline const char *record_name(const unsigned char *record) {
  return (const char *)record + RECORD_HEADER;
}
static inline size_t record_name_length(const unsigned char *record) {
  return get_u32(record + 88);
}
static inline size_t record_target_length(const unsigned char *record) {
  return get_u16(record + 92);
}
/* The link target (record_target_length bytes), then the packed xattrs. */
static inline const unsigned char *record_target(const unsigned char *record) {
  return record + RECORD_HEADER + record_name_length(record);
}
static inline uint32_t record_mode(const unsigned char *record) { return get_u32(record + 4); }

/* Appends one record; false without memory. `st` NULL for an entry that could not be read. */
bool record_append(bytes *out, const char *name, size_t name_length, const struct stat *st, int err, uint32_t flags,
                   const char *target, size_t target_length, const xattr_set *xattrs);
/* Appends a copy of an existing record with other flags. */
bool record_copy(bytes *out, const unsigned char *record, uint32_t flags);
/*
 * Appends the record of the open folder itself (empty name), with its xattrs when asked (less those of
 * the kinds in `leave_out`, said in RECORD_LEFT_OUT); returns 0 or an errno, and *syscall.
 */
int record_append_self(bytes *out, int dir, bool with_xattrs, int leave_out, uint32_t flags, const char **syscall);

/* Compares the names of two records as bytes (shorter first on a tie). */
int record_compare_names(const unsigned char *a, const unsigned char *b);

#endif
