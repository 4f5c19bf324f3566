/*
 * One folder of a copy, both sides at once, without JavaScript touching each entry:
 *
 *  - pair_list lists the source folder and the destination folder (lstat, link targets, extended
 *    attributes), pairs entries by name, and decides what each needs: nothing (the same on both
 *    sides), a copy, a content compare, an attribute fix, a link made again; or it hands the entry
 *    to the engine's planner (hard links, an entry of another type in the way, FIFOs, sockets and devices,
 *    what cannot be copied: rare, and each needs the whole tree or care). It reports counts and the
 *    subfolders to walk into, and writes the handed-over entries as records; in the copying walk it
 *    also creates the missing subfolders and keeps the pair for pair_sync.
 *  - pair_sync does the pair's work. Several threads work on one pair at once, each taking the next
 *    entry as it finishes the last (a folder of eight large files keeps every thread busy), and
 *    each records only what went wrong or differs from the listing.
 *
 * Records name entries by their path relative to the roots (smig_listing.h's layout, the name field
 * holding the path).
 */
#ifndef SMIG_PAIR_H
#define SMIG_PAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smig_filecopy.h"
#include "smig_listing.h"
#include "smig_util.h"

/* How a walk lists and compares (pair_config.flags). */
enum { PAIR_COMPARE_OWNER = 1, PAIR_COPY = 4, PAIR_CHECKSUM = 8 };
/* How it copies (pair_config.sync_flags): the COPY_* flags, and: */
enum { SYNC_STABLE = 16 }; /* the source must not change (a final pass): no second attempt */

/* A folder's place in the walk (pair_list's `folder` flags, and the subfolders it reports). */
/*
 * FOLDER_HIDDEN: it lies in a folder made by this walk under a temp name (see FOLDER_TEMP_ROOT), so
 * nothing in it can be seen under its final path yet: files are made under their names at once.
 * FOLDER_TEMP_ROOT: that folder itself, named `.smig-tmp-<token>d<hash of its name>` until everything below it
 * is complete, then renamed (smig_walk.c); one a cut-short run left is taken up again (adopted).
 */
enum { FOLDER_ON_DEST = 1, FOLDER_CREATED = 2, FOLDER_SETTLED = 4, FOLDER_HIDDEN = 8, FOLDER_TEMP_ROOT = 16 };

/* Roles of the records a walk returns (bits 20-23 of a record's flags). */
enum {
  ROLE_FOLDER = 1,      /* a folder of the copying walk, itself (source side), for its attributes at the end */
  ROLE_WORK = 2,        /* a folder with work of its own (survey) */
  ROLE_DEFER_SOURCE = 4,
  ROLE_DEFER_DEST = 5,
  ROLE_EXTRA = 6,
  ROLE_STALE = 7,
  ROLE_FAILED = 8,
  /*
   * A source folder that is no longer one when the walk goes into it (errno ENOENT: gone; ENOTDIR or
   * ELOOP: another type now, such as a link): a change of the source, left to the next pass.
   */
  ROLE_MOVED = 9
};
/* Flag bits of ROLE_FOLDER / ROLE_WORK / ROLE_FAILED records, above the role. */
#define REC_ON_DEST (1u << 24)
#define REC_CREATED (1u << 25)
#define REC_SETTLED (1u << 26)
#define REC_TOUCHED (1u << 27)
#define REC_FROM_DESTINATION (1u << 28)
/* A folder whose attributes the walk set (and read back when verifying): nothing more to do unless changed again. */
#define REC_FINISHED (1u << 29)
/* A finished folder whose owner was left out (COPY_LEAVE_OUT_OWNERS): it kept the destination's, not the source's. */
#define REC_OWNER_LEFT_OUT (1u << 19)
#define WHAT_MKDIR 4
#define WHAT_LIST 5
#define WHAT_RENAME 6

typedef struct {
  char *name;
  int mode;
} mode_override;

/* The token of an earlier run (engine/paths.ts): TEMP_TOKEN_LENGTH hex digits, or none (length 0: a version whose temp names had none). */
typedef struct {
  char text[TEMP_TOKEN_LENGTH + 1];
  size_t length;
} run_token;

/* What every folder of one walk shares. */
typedef struct {
  char *src_root;
  char *dst_root;
  /* The roots, open (O_PATH) for the walk: folders are opened beneath them. */
  int src_root_fd;
  int dst_root_fd;
  int flags;
  int sync_flags;
  int64_t granularity;
  bool suspect;
  int64_t suspect_since;
  /* Modes to give entries instead of what lstat shows, by relative path, sorted. */
  mode_override *modes;
  size_t mode_count;
  /* A name to leave out of the roots (the run's journal). */
  char *skip;
  /*
   * Tokens of earlier runs that did not finish (their journal's record): a destination entry the source
   * does not have, named ".smig-tmp-<token>...", is their leftover (ROLE_STALE), or their hidden folder
   * to take up. Any other name is the share's.
   */
  run_token *tokens;
  size_t token_count;
  /*
   * Xattrs are read of entries whose ctime is at or after these (source side, destination side);
   * INT64_MIN: of all. Set from the record of an earlier complete pass (engine/pass-record.ts).
   */
  int64_t src_xattrs_after;
  int64_t dst_xattrs_after;
  control_block control;
} pair_config;

typedef struct folder_pair folder_pair;

/* The mode recorded for the entry at `path` (relative, `length` bytes) in `config->modes`, else `shown`. */
int pair_mode_at(const pair_config *config, const char *path, size_t length, int shown);

/* A subfolder to walk into next. */
typedef struct {
  char *rel;     /* its path, the same in both trees once the walk is done */
  char *dst_rel; /* where it is on the destination meanwhile (a temp name on the way, see FOLDER_HIDDEN) */
  int flags;     /* FOLDER_* */
} subfolder;

/* What pair_list found, beyond the records it wrote. */
typedef struct {
  uint64_t found_files, found_bytes; /* regular files kept (not handed over), and their bytes */
  uint64_t copy_files, copy_bytes;   /* of those, to copy */
  uint64_t equal_files;              /* size and mtime already match */
  uint32_t created;                  /* subfolders made */
  uint32_t items;                    /* work for pair_sync */
  bool work;                         /* anything to do in this folder itself */
  int source_moved;                  /* the source folder is no longer one (ROLE_MOVED's errno), else 0 */
  int64_t source_max_ctime;          /* the largest ctime among the source's entries listed, 0: none */
  subfolder *subfolders;
  size_t subfolder_count;
} pair_listing;

/*
 * Lists `rel` (on the destination at `dst_rel`; `folder`: FOLDER_* as its parent found it) on both sides
 * and classifies it. Records go to `records`; an error opening or listing the folder is a ROLE_FAILED
 * record of the folder. Returns the pair when the walk copies (free the listing's subfolders with
 * pair_listing_free either way).
 */
folder_pair *pair_list(const pair_config *config, const char *rel, const char *dst_rel, int folder, bytes *records, pair_listing *listing);

/*
 * The name a folder made by the walk has until it is complete: ".smig-tmp-", the run's token, "d" and
 * 16 hex digits of the hash of its own name. `token` is the walk's own (temp_token), or an earlier
 * run's when a folder it left is looked for.
 */
#define HIDDEN_NAME_SIZE (10 + TEMP_TOKEN_LENGTH + 1 + 16 + 1)
void hidden_name(const char *token, size_t token_length, const char *name, size_t length, char out[HIDDEN_NAME_SIZE]);
void pair_listing_free(pair_listing *listing);

/* What pair_sync did; the counts are added to, the notes appended. */
typedef struct {
  uint32_t files, links, fixed, differed, verified;
  uint32_t verified_direct, verified_dropped; /* of those verified, read back from storage (READ_BACK_*) */
  uint64_t bytes;
  int64_t adjust;  /* bytes to add to the copying total (sizes that moved) */
  bool touched;    /* something was placed in the folder */
  bool stopped;    /* the run's stop flag was seen */
  bool memory;     /* out of memory: notes are missing */
  bytes notes;
  uint32_t note_count;
} pair_work;

/*
 * Takes the pair's next entries until none are left. Notes: u32 length, u16 kind, u16 action,
 * i32 errno, u32 path length, u16 syscall length, u16 detail length, u32 failed-path length (paths
 * as long as a tree is deep), then the entry's relative path, the syscall, the detail and the path the
 * failed call was given.
 */
#define NOTE_HEADER 24
void pair_sync(folder_pair *pair, const pair_config *config, pair_work *work);
/* Entries left to take; false once every one is taken. */
bool pair_has_work(folder_pair *pair);
void pair_ref(folder_pair *pair);
void pair_unref(folder_pair *pair);
/* The folder's relative path, and its own record (source side, with xattrs) as the listing read it. */
const char *pair_rel(const folder_pair *pair);
const unsigned char *pair_self(const folder_pair *pair);

/*
 * K_LINKED: a file the copying walk found has other names (its listing read its type alone): for the planner.
 * K_LEFT_OUT: an entry written without the source's attributes of the kinds its detail names ("xattrs",
 * "acls", "owners", comma-separated), which the destination refuses (COPY_LEAVE_OUT_*).
 */
enum { K_FAILED = 1, K_CHANGED = 2, K_VANISHED = 3, K_UPDATED = 4, K_MISMATCH = 5, K_ATTRIBUTES = 6, K_LINKED = 7, K_LEFT_OUT = 8 };
enum { A_COPY = 1, A_COMPARE = 2, A_FIX = 3, A_LINK = 4 };

/* Appends a copy of `record` named by `rel` + "/" + its name (or `rel` alone when the name is empty). */
bool record_copy_at(bytes *out, const unsigned char *record, const char *rel, uint32_t flags);

#endif
