/*
 * What the walk (smig_walk.c: its tasks, queues and folders) and the walkTree call (smig_walk_call.c: its
 * arguments and results) share: the walk's state and the calls one makes of the other. Not for other files.
 */
#ifndef SMIG_WALK_INTERNAL_H
#define SMIG_WALK_INTERNAL_H

#include <node_api.h>

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smig_pair.h"
#include "smig_pool.h"

/*
 * A folder of the copying walk, from the moment its parent finds it until everything below it is
 * done. Then it gets its own attributes (the last change made in it, so its mtime stays the
 * source's), a folder made under a temp name (FOLDER_TEMP_ROOT) gets its own name, and its parent
 * is one step nearer its own end: folders are finished deepest first without a pass of their own.
 * A stopped walk renames too (what is in a hidden folder is complete: a copy that stops removes its
 * partial file) but sets no attributes; only a killed one leaves a hidden folder, for the next run.
 */
typedef struct folder_node {
  struct folder_node *parent;
  struct folder_node *next_done;
  int waiting; /* its own listing and work, and the folders below it, not done yet */
  char *rel;
  char *dst_rel;
  int folder_flags;
  bool hidden_root;
  bool touched;  /* something in it was made, replaced or renamed */
  bool finished; /* its attributes were set (and read back when verifying) */
  bool source_moved; /* the source is no longer a folder (pair_listing.source_moved): nothing of it is copied */
  bool removed;      /* and the empty folder this walk had made for it was removed */
  bool owner_left_out; /* and they were set without the source's owner (COPY_LEAVE_OUT_OWNERS) */
  int rename_err;
  bytes self; /* its own record (source side, with xattrs); empty when it could not be listed */
} folder_node;

typedef struct list_task {
  struct list_task *next;
  char *rel;
  char *dst_rel;
  int flags;
  folder_node *node; /* the folder's own (copying walk) */
} list_task;

typedef struct sync_task {
  struct sync_task *next;
  folder_pair *pair;
  folder_node *node;
  int wanted;   /* threads that may work on it */
  int joined;   /* threads that took it */
  int finished; /* of those, how many are done */
  bool queued;
} sync_task;

typedef struct {
  const unsigned char *data;
  size_t length;
} path_ref;

typedef struct {
  pthread_mutex_t lock;
  pthread_cond_t ready;
  list_task *lists_head, *lists_tail;
  sync_task *syncs; /* a stack: the newest folder's work first */
  folder_node *done; /* folders with nothing below them left, to finish */
  int busy;
  bool over;
  int threads;
  int threads_done;
  pair_config config;
  napi_ref control_ref;
  napi_deferred deferred;
  /* the folders to walk into in a copying walk (sorted), besides those it creates; none: all */
  unsigned char *needed_data;
  path_ref *needed;
  size_t needed_count;
  bool all_needed;
  /* results */
  bytes records;
  bytes notes;
  uint64_t found_files, found_bytes, copy_files, copy_bytes, equal_files, bytes_copied;
  int64_t adjust;
  uint32_t created, files, links, fixed, differed, verified, verified_direct, verified_dropped, folders;
  int64_t source_max_ctime; /* the largest ctime of a source entry listed (engine/pass-marks.ts), 0: none */
  bool work, stopped, memory;
} tree_walk;

typedef struct {
  pool_job job;
  tree_walk *walk;
} walk_job;

/* Orders path_refs by their bytes (qsort and bsearch of the needed set). */
int walk_compare_refs(const void *a, const void *b);

/* A folder of the copying walk, found by `parent` (NULL for a starting folder); NULL without memory. */
folder_node *walk_node_new(tree_walk *w, const char *rel, const char *dst_rel, int flags, folder_node *parent);
void walk_node_free(folder_node *node);

/* Queues `rel` to be listed (taking `rel`, `dst_rel` and `node`); false without memory. */
bool walk_push_list(tree_walk *w, char *rel, char *dst_rel, int flags, folder_node *node);

/* One of the walk's threads: takes tasks until the walk is over (a pool_job's execute). */
void walk_execute(pool_job *base);

#endif
