/*
 * A walk of both trees in C (walkTree): the survey (what there is, what there is to do) or the
 * copying walk, over every folder below the starting ones, on the addon's worker threads. Each thread
 * takes the next task from one queue: the work of a listed folder first (so that few folders are
 * open at once), else the next folder to list. JavaScript gets the totals and the records of what it
 * must act on: entries handed over to its planner, extras, leftovers, failures, the folders walked
 * (each given its attributes here once everything below it is done, see folder_node), and notes of the
 * files whose source moved under the copy.
 *
 * Memory holds the folders waiting to be listed (paths), the few being worked on, the folders
 * waiting for what is below them (path and own record), and the records.
 */
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

#include "smig_beneath.h"
#include "smig_entries.h"
#include "smig_listing.h"
#include "smig_native.h"
#include "smig_pair.h"
#include "smig_pool.h"
#include "smig_walk.h"

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
  bool work, stopped, memory;
} tree_walk;

typedef struct {
  pool_job job;
  tree_walk *walk;
} walk_job;

/* ---- the needed set ---------------------------------------------------------------------- */

static int compare_refs(const void *a, const void *b) {
  const path_ref *x = a, *y = b;
  int order = memcmp(x->data, y->data, x->length < y->length ? x->length : y->length);
  if (order != 0) return order;
  return x->length < y->length ? -1 : x->length > y->length ? 1 : 0;
}

static bool is_needed(const tree_walk *w, const char *rel) {
  if (w->all_needed) return true;
  path_ref key = {(const unsigned char *)rel, strlen(rel)};
  return bsearch(&key, w->needed, w->needed_count, sizeof *w->needed, compare_refs) != NULL;
}

/* ---- queues (under the lock) --------------------------------------------------------------- */

static bool push_list(tree_walk *w, char *rel, char *dst_rel, int flags, folder_node *node) {
  list_task *task = malloc(sizeof *task);
  if (task == NULL) return false;
  *task = (list_task){.rel = rel, .dst_rel = dst_rel, .flags = flags, .node = node};
  if (w->lists_tail) w->lists_tail->next = task;
  else w->lists_head = task;
  w->lists_tail = task;
  return true;
}

static void fail_folder(tree_walk *w, const char *rel, int err, uint32_t what) {
  unsigned char record[RECORD_HEADER];
  memset(record, 0, sizeof record);
  put_u32(record, RECORD_HEADER);
  put_u32(record + 20, (uint32_t)err);
  if (!record_copy_at(&w->records, record, rel, what | ((uint32_t)ROLE_FAILED << RECORD_ROLE_SHIFT) | REC_FROM_DESTINATION)) w->memory = true;
}

/*
 * A folder the copying walk will list (under the lock), waiting for its own listing; its parent
 * waits for it. NULL without memory (or in the survey, which finishes nothing).
 */
static folder_node *node_new(tree_walk *w, const char *rel, const char *dst_rel, int flags, folder_node *parent) {
  if (!(w->config.flags & PAIR_COPY)) return NULL;
  folder_node *node = calloc(1, sizeof *node);
  if (node == NULL || (node->rel = strdup(rel)) == NULL || (node->dst_rel = strdup(dst_rel)) == NULL) {
    if (node) free(node->rel);
    free(node);
    w->memory = true;
    return NULL;
  }
  node->parent = parent;
  node->waiting = 1;
  node->folder_flags = flags;
  node->hidden_root = (flags & FOLDER_TEMP_ROOT) != 0;
  if (parent) parent->waiting++;
  return node;
}

static void node_free(folder_node *node) {
  free(node->rel);
  free(node->dst_rel);
  bytes_free(&node->self);
  free(node);
}

/* One thing the folder waited for is done (under the lock): the last puts it up to be finished. */
static void release(tree_walk *w, folder_node *node) {
  if (node == NULL || --node->waiting > 0) return;
  node->next_done = w->done;
  w->done = node;
}

/*
 * A folder this walk made for a source folder that turned out to be something else (or gone) when it
 * was listed: nothing was put in it, so it goes, rather than standing empty under a name the source
 * gives to another type (the next pass makes what the source has there).
 */
static void remove_made_folder(tree_walk *w, folder_node *node) {
  const pair_config *config = &w->config;
  if (!(node->folder_flags & FOLDER_CREATED) || node->parent == NULL) return;
  const char *name;
  int parent = open_parent_beneath(config->dst_root_fd, node->dst_rel, &name);
  if (parent < 0) return;
  node->removed = unlinkat(parent, name, AT_REMOVEDIR) == 0;
  if (parent != config->dst_root_fd) close(parent);
}

/*
 * Finishes a folder nothing is left below (without the lock): the source's attributes, where the
 * folder needs them and may take them now (writable to its owner once they are set, or the walk runs as
 * root: JavaScript may still have entries to make in it); then its own name, if it was hidden. The
 * root is left to JavaScript, which writes in it to the very end (the journal), and so is a folder
 * whose attributes could not be set or did not read back: it sets them again and reports why not.
 * The folder is reached from the one holding it, opened beneath the root a part at a time (its path
 * may be longer than PATH_MAX).
 */
static void finish_node(tree_walk *w, folder_node *node) {
  const pair_config *config = &w->config;
  if (node->source_moved) {
    remove_made_folder(w, node);
    return;
  }
  bool wanted = node->touched || (node->folder_flags & (FOLDER_CREATED | FOLDER_SETTLED)) != FOLDER_SETTLED;
  if (wanted && node->self.length > 0 && node->rel[0] != '\0' && !control_stopped(&config->control)) {
    const unsigned char *self = node->self.data;
    int mode = pair_mode_at(config, node->rel, strlen(node->rel), (int)(record_mode(self) & 07777));
    if ((config->sync_flags & COPY_AS_ROOT) || (mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR)) {
      const char *name;
      int parent = open_parent_beneath(config->dst_root_fd, node->dst_rel, &name);
      size_t size = strlen(config->dst_root) + strlen(node->dst_rel) + 2;
      char *path = malloc(size);
      if (parent >= 0 && path != NULL) {
        snprintf(path, size, "%s/%s", config->dst_root, node->dst_rel);
        entry_copy e = {.dst_dir = parent, .dst_name = name, .dst_path = path,
                        .flags = config->sync_flags & (COPY_VERIFY | COPY_AS_ROOT | COPY_LEAVE_OUT_FLAGS),
                        .granularity = config->granularity};
        folder_attributes_run(&e, self, mode);
        node->finished = e.err == 0 && e.outcome == OUT_COPIED;
        node->owner_left_out = node->finished && (e.left_out & LEAVE_OUT_OWNERS);
      }
      /* Not finished here: JavaScript sets them and reports why not. */
      free(path);
      if (parent >= 0 && parent != config->dst_root_fd) close(parent);
    }
  }
  if (node->hidden_root && node->parent) {
    const char *slash = strrchr(node->rel, '/');
    const char *name = slash ? slash + 1 : node->rel;
    /* Its parent is not hidden: its path is the same in both trees. */
    const char *hidden;
    int parent = open_parent_beneath(config->dst_root_fd, node->dst_rel, &hidden);
    node->rename_err = parent < 0 ? errno : renameat(parent, hidden, parent, name) == 0 ? 0 : errno;
    if (parent >= 0 && parent != config->dst_root_fd) close(parent);
  }
}

/* After finish_node (under the lock): the folder's record for JavaScript, and its parent released. */
static void complete_node(tree_walk *w, folder_node *node) {
  if (node->self.length > 0) {
    uint32_t flags = ((uint32_t)ROLE_FOLDER << RECORD_ROLE_SHIFT) | ((node->folder_flags & FOLDER_ON_DEST) ? REC_ON_DEST : 0) |
                     ((node->folder_flags & FOLDER_CREATED) ? REC_CREATED : 0) | ((node->folder_flags & FOLDER_SETTLED) ? REC_SETTLED : 0) |
                     (node->touched ? REC_TOUCHED : 0) | (node->finished ? REC_FINISHED : 0) | (node->owner_left_out ? REC_OWNER_LEFT_OUT : 0) |
                     /* What its attributes lack (they are set without it, here or by JavaScript). */
                     (RECORD_LEFT_OUT(get_u32(node->self.data + 24)) << RECORD_LEFT_OUT_SHIFT);
    if (!record_copy_at(&w->records, node->self.data, node->rel, flags)) w->memory = true;
  }
  if (node->rename_err) fail_folder(w, node->rel, node->rename_err, WHAT_RENAME);
  /* A name that came or went in the parent moved its mtime. */
  if (node->hidden_root && node->rename_err == 0 && node->parent) node->parent->touched = true;
  if (node->removed) {
    w->created--;
    if (node->parent) node->parent->touched = true;
  }
  /*
   * A hidden folder an earlier run left, taken up for a source folder that turned out not to be one:
   * a leftover of that run, for JavaScript to remove with the others (the journal keeps its token until then).
   */
  if (node->source_moved && node->hidden_root && !(node->folder_flags & FOLDER_CREATED)) {
    unsigned char record[RECORD_HEADER];
    memset(record, 0, sizeof record);
    put_u32(record, RECORD_HEADER);
    put_u32(record + 4, S_IFDIR | 0700);
    if (!record_copy_at(&w->records, record, node->dst_rel, (uint32_t)ROLE_STALE << RECORD_ROLE_SHIFT)) w->memory = true;
  }
  release(w, node->parent);
  node_free(node);
}

static void append(tree_walk *w, bytes *to, const bytes *from) {
  if (from->length > 0 && !bytes_append(to, from->data, from->length)) w->memory = true;
}

/* ---- the two kinds of task ----------------------------------------------------------------- */

/*
 * A folder's work is shared by several threads only when there is much of it: files made in one
 * folder by two threads take its lock (the directory's i_rwsem) in turn, and on folders of a few
 * dozen small files the second thread spent more waiting for it than it copied (perf: a fifth of a
 * copy's samples in rwsem_spin_on_owner under openat); one thread a folder keeps both busy on
 * different folders instead. Large files (a few threads copying data) and folders of thousands of
 * entries are still shared.
 */
#define SHARE_BYTES (8 * 1024 * 1024)
#define SHARE_ITEMS 1024

static int sharers(const tree_walk *w, const pair_listing *listing) {
  uint32_t wanted = listing->items < (uint32_t)w->threads ? listing->items : (uint32_t)w->threads;
  if (listing->copy_bytes < SHARE_BYTES && listing->items < SHARE_ITEMS) wanted = 1;
  return (int)wanted;
}

static void run_list(tree_walk *w, list_task *task) {
  folder_node *node = task->node;
  bytes records = {0};
  pair_listing listing;
  folder_pair *pair = pair_list(&w->config, task->rel, task->dst_rel, task->flags, &records, &listing);
  bool copying = w->config.flags & PAIR_COPY;
  control_add(&w->config.control, CONTROL_FOUND_FILES, (int64_t)listing.found_files);
  control_add(&w->config.control, CONTROL_FOUND_BYTES, (int64_t)listing.found_bytes);
  pthread_mutex_lock(&w->lock);
  w->folders++;
  append(w, &w->records, &records);
  w->found_files += listing.found_files;
  w->found_bytes += listing.found_bytes;
  w->copy_files += listing.copy_files;
  w->copy_bytes += listing.copy_bytes;
  w->equal_files += listing.equal_files;
  w->created += listing.created;
  if (listing.work) {
    w->work = true;
    if (!copying) {
      unsigned char record[RECORD_HEADER];
      memset(record, 0, sizeof record);
      put_u32(record, RECORD_HEADER);
      uint32_t flags = ((uint32_t)ROLE_WORK << RECORD_ROLE_SHIFT) | ((task->flags & FOLDER_ON_DEST) ? REC_ON_DEST : 0);
      if (!record_copy_at(&w->records, record, task->rel, flags)) w->memory = true;
    }
  }
  for (size_t i = 0; i < listing.subfolder_count; i++) {
    subfolder *sub = &listing.subfolders[i];
    /* The copying walk goes where there is work: folders it made, folders whose own attributes are off, and the way to work below. */
    bool walk_into = !copying || (sub->flags & (FOLDER_CREATED | FOLDER_SETTLED | FOLDER_TEMP_ROOT)) != FOLDER_SETTLED || is_needed(w, sub->rel);
    if (!walk_into) continue;
    /* The survey makes no nodes: it renames nothing, and walks a hidden folder only to count what is in it. */
    folder_node *child = node_new(w, sub->rel, sub->dst_rel, sub->flags, node);
    if (copying && child == NULL) continue;
    bool stopped = control_stopped(&w->config.control);
    if (!stopped && push_list(w, sub->rel, sub->dst_rel, sub->flags, child)) {
      sub->rel = sub->dst_rel = NULL; /* the queue owns them now */
    } else {
      /* Not walked: a hidden one still gets its name (it holds nothing yet). */
      if (stopped) w->stopped = true;
      else w->memory = true;
      release(w, child);
    }
  }
  if (node && listing.source_moved) node->source_moved = true;
  if (pair) {
    if (node) {
      if (!bytes_append(&node->self, pair_self(pair), get_u32(pair_self(pair)))) w->memory = true;
      node->touched = node->touched || listing.created > 0 || (task->flags & FOLDER_CREATED);
    }
    sync_task *sync = listing.items > 0 ? calloc(1, sizeof *sync) : NULL;
    if (sync) {
      *sync = (sync_task){.pair = pair, .node = node, .queued = true, .wanted = sharers(w, &listing)};
      if (node) node->waiting++;
      sync->next = w->syncs;
      w->syncs = sync;
    } else {
      if (listing.items > 0) w->memory = true;
      pair_unref(pair);
    }
  }
  /* The folder's listing is done: with no work and nothing below, it is finished next. */
  release(w, node);
  pthread_cond_broadcast(&w->ready);
  pthread_mutex_unlock(&w->lock);
  pair_listing_free(&listing);
  bytes_free(&records);
}

static void unqueue(tree_walk *w, sync_task *task) {
  if (!task->queued) return;
  for (sync_task **at = &w->syncs; *at; at = &(*at)->next) {
    if (*at == task) {
      *at = task->next;
      break;
    }
  }
  task->queued = false;
}

static void run_sync(tree_walk *w, sync_task *task) {
  pair_work work = {0};
  pair_sync(task->pair, &w->config, &work);
  pthread_mutex_lock(&w->lock);
  append(w, &w->notes, &work.notes);
  w->files += work.files;
  w->links += work.links;
  w->fixed += work.fixed;
  w->differed += work.differed;
  w->verified += work.verified;
  w->verified_direct += work.verified_direct;
  w->verified_dropped += work.verified_dropped;
  w->bytes_copied += work.bytes;
  w->adjust += work.adjust;
  w->stopped = w->stopped || work.stopped;
  w->memory = w->memory || work.memory;
  if (task->node) task->node->touched = task->node->touched || work.touched;
  /* Every entry is taken once one thread is through: no one else joins. */
  unqueue(w, task);
  if (++task->finished == task->joined) {
    pair_unref(task->pair);
    release(w, task->node);
    free(task);
  }
  pthread_cond_broadcast(&w->ready);
  pthread_mutex_unlock(&w->lock);
  bytes_free(&work.notes);
}

static void walk_execute(pool_job *base) {
  tree_walk *w = ((walk_job *)base)->walk;
  pthread_mutex_lock(&w->lock);
  for (;;) {
    if (control_stopped(&w->config.control)) {
      w->stopped = true;
      /* Folders not listed yet are left; work already taken ends within a chunk. */
      while (w->lists_head) {
        list_task *task = w->lists_head;
        w->lists_head = task->next;
        release(w, task->node);
        free(task->rel);
        free(task->dst_rel);
        free(task);
      }
      w->lists_tail = NULL;
    }
    folder_node *done = w->done;
    if (done) {
      w->done = done->next_done;
      w->busy++;
      pthread_mutex_unlock(&w->lock);
      finish_node(w, done);
      pthread_mutex_lock(&w->lock);
      complete_node(w, done);
      w->busy--;
      continue;
    }
    sync_task *sync = w->syncs;
    if (sync) {
      sync->joined++;
      if (sync->joined >= sync->wanted) unqueue(w, sync);
      w->busy++;
      pthread_mutex_unlock(&w->lock);
      run_sync(w, sync);
      pthread_mutex_lock(&w->lock);
      w->busy--;
      continue;
    }
    list_task *list = w->lists_head;
    if (list) {
      w->lists_head = list->next;
      if (w->lists_head == NULL) w->lists_tail = NULL;
      w->busy++;
      pthread_mutex_unlock(&w->lock);
      run_list(w, list);
      free(list->rel);
      free(list->dst_rel);
      free(list);
      pthread_mutex_lock(&w->lock);
      w->busy--;
      continue;
    }
    if (w->busy == 0) {
      w->over = true;
      pthread_cond_broadcast(&w->ready);
      break;
    }
    pthread_cond_wait(&w->ready, &w->lock);
  }
  pthread_mutex_unlock(&w->lock);
}

/* ---- results ------------------------------------------------------------------------------ */

#define COUNTS 104

static napi_value counts_buffer(napi_env env, tree_walk *w) {
  void *data;
  napi_value buffer;
  napi_create_buffer(env, COUNTS, &data, &buffer);
  unsigned char *h = data;
  memset(h, 0, COUNTS);
  put_u64(h, w->found_files);
  put_u64(h + 8, w->found_bytes);
  put_u64(h + 16, w->copy_files);
  put_u64(h + 24, w->copy_bytes);
  put_u64(h + 32, w->equal_files);
  put_u32(h + 40, w->created);
  put_u32(h + 44, w->work ? 1 : 0);
  put_u32(h + 48, w->files);
  put_u32(h + 52, w->links);
  put_u32(h + 56, w->fixed);
  put_u32(h + 60, w->differed);
  put_u32(h + 64, w->verified);
  put_u32(h + 68, w->stopped ? 1 : 0);
  put_u64(h + 72, w->bytes_copied);
  put_u64(h + 80, (uint64_t)w->adjust);
  put_u32(h + 88, w->folders);
  put_u32(h + 92, w->verified_direct);
  put_u32(h + 96, w->verified_dropped);
  return buffer;
}

static void walk_free(napi_env env, tree_walk *w) {
  control_release(env, w->control_ref);
  if (w->config.src_root_fd >= 0) close(w->config.src_root_fd);
  if (w->config.dst_root_fd >= 0) close(w->config.dst_root_fd);
  free(w->config.src_root);
  free(w->config.dst_root);
  free(w->config.skip);
  free(w->config.tokens);
  for (size_t i = 0; i < w->config.mode_count; i++) free(w->config.modes[i].name);
  free(w->config.modes);
  free(w->needed);
  free(w->needed_data);
  bytes_free(&w->records);
  bytes_free(&w->notes);
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->ready);
  free(w);
}

static void walk_complete(napi_env env, pool_job *base) {
  tree_walk *w = ((walk_job *)base)->walk;
  free(base);
  if (++w->threads_done < w->threads) return;
  if (w->memory) {
    napi_reject_deferred(env, w->deferred, smig_errno_error(env, ENOMEM, "malloc", NULL));
  } else {
    napi_value result;
    napi_create_object(env, &result);
    napi_set_named_property(env, result, "counts", counts_buffer(env, w));
    napi_set_named_property(env, result, "records", bytes_to_buffer(env, &w->records));
    napi_set_named_property(env, result, "notes", bytes_to_buffer(env, &w->notes));
    napi_resolve_deferred(env, w->deferred, result);
  }
  walk_free(env, w);
}

/* ---- arguments ---------------------------------------------------------------------------- */

static bool optional_bytes(napi_env env, napi_value value, unsigned char **data, size_t *length, const char *what) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  *data = NULL;
  *length = 0;
  if (type == napi_null || type == napi_undefined) return true;
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return false;
  }
  napi_get_buffer_info(env, value, (void **)data, length);
  return true;
}

static int compare_overrides(const void *a, const void *b) {
  return strcmp(((const mode_override *)a)->name, ((const mode_override *)b)->name);
}

/* The packed modes (u32 path length, path, u32 mode; repeated), sorted by path. */
static bool read_modes(tree_walk *w, const unsigned char *data, size_t length) {
  size_t count = 0;
  for (size_t at = 0; at + 4 <= length; at += 4 + (size_t)get_u32(data + at) + 4) count++;
  if (count == 0) return true;
  w->config.modes = calloc(count, sizeof *w->config.modes);
  if (w->config.modes == NULL) return false;
  for (size_t at = 0; at + 4 <= length && w->config.mode_count < count;) {
    size_t n = get_u32(data + at);
    if (n + 8 > length - at) break;
    char *name = malloc(n + 1);
    if (name == NULL) return false;
    memcpy(name, data + at + 4, n);
    name[n] = '\0';
    w->config.modes[w->config.mode_count++] = (mode_override){.name = name, .mode = (int)(get_u32(data + at + 4 + n) & 07777)};
    at += 4 + n + 4;
  }
  qsort(w->config.modes, w->config.mode_count, sizeof *w->config.modes, compare_overrides);
  return true;
}

/* The packed needed folders (u32 path length, path; repeated), kept and sorted. */
static bool read_needed(tree_walk *w, const unsigned char *data, size_t length) {
  if (data == NULL) {
    w->all_needed = true;
    return true;
  }
  w->needed_data = malloc(length ? length : 1);
  if (w->needed_data == NULL) return false;
  memcpy(w->needed_data, data, length);
  size_t count = 0;
  for (size_t at = 0; at + 4 <= length; at += 4 + (size_t)get_u32(data + at)) count++;
  w->needed = calloc(count ? count : 1, sizeof *w->needed);
  if (w->needed == NULL) return false;
  for (size_t at = 0; at + 4 <= length && w->needed_count < count;) {
    size_t n = get_u32(data + at);
    if (n + 4 > length - at) break;
    w->needed[w->needed_count++] = (path_ref){w->needed_data + at + 4, n};
    at += 4 + n;
  }
  qsort(w->needed, w->needed_count, sizeof *w->needed, compare_refs);
  return true;
}

/* The tokens of earlier runs (u8 length, 0 or TEMP_TOKEN_LENGTH, then the token; repeated). False without memory. */
static bool read_tokens(tree_walk *w, const unsigned char *data, size_t length) {
  size_t count = 0;
  for (size_t at = 0; at < length; at += 1 + data[at]) count++;
  if (count == 0) return true;
  w->config.tokens = calloc(count, sizeof *w->config.tokens);
  if (w->config.tokens == NULL) return false;
  for (size_t at = 0; at < length && w->config.token_count < count;) {
    size_t n = data[at];
    if (at + 1 + n > length) break;
    if (n == 0 || n == TEMP_TOKEN_LENGTH) {
      run_token *token = &w->config.tokens[w->config.token_count++];
      memcpy(token->text, data + at + 1, n);
      token->text[n] = '\0';
      token->length = n;
    }
    at += 1 + n;
  }
  return true;
}

/* The starting folders (u32 path length, path, u8 FOLDER_* flags; repeated). */
static bool read_starts(tree_walk *w, const unsigned char *data, size_t length) {
  for (size_t at = 0; at + 5 <= length;) {
    size_t n = get_u32(data + at);
    if (n + 5 > length - at) return false;
    char *rel = malloc(n + 1);
    char *dst_rel = malloc(n + 1);
    if (rel == NULL || dst_rel == NULL) {
      free(rel);
      free(dst_rel);
      return false;
    }
    memcpy(rel, data + at + 4, n);
    rel[n] = '\0';
    memcpy(dst_rel, rel, n + 1);
    folder_node *node = node_new(w, rel, dst_rel, data[at + 4 + n], NULL);
    if ((w->config.flags & PAIR_COPY) && node == NULL) {
      free(rel);
      free(dst_rel);
      return false;
    }
    if (!push_list(w, rel, dst_rel, data[at + 4 + n], node)) {
      if (node) node_free(node);
      free(rel);
      free(dst_rel);
      return false;
    }
    at += 4 + n + 1;
  }
  return true;
}

/*
 * walkTree(sourceRoot: Buffer, destinationRoot: Buffer, starts: Buffer, flags: number, syncFlags: number,
 * granularityNs: number, suspectSinceNs: bigint | null, modes: Buffer | null, skip: Buffer | null,
 * needed: Buffer | null, threads: number, control: Buffer | null, sourceXattrsAfterNs: bigint | null,
 * destinationXattrsAfterNs: bigint | null, staleTokens: Buffer | null): Promise<{ counts: Buffer, records: Buffer, notes: Buffer }>
 */
static napi_value walk_tree(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 15) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "walkTree takes 15 arguments");
    return NULL;
  }
  tree_walk *w = calloc(1, sizeof *w);
  if (w == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->ready, NULL);
  w->config.src_root_fd = w->config.dst_root_fd = -1;
  w->config.src_xattrs_after = w->config.dst_xattrs_after = INT64_MIN;
  int32_t threads = 1;
  napi_get_value_int32(env, argv[3], &w->config.flags);
  napi_get_value_int32(env, argv[4], &w->config.sync_flags);
  napi_get_value_int64(env, argv[5], &w->config.granularity);
  napi_get_value_int32(env, argv[10], &threads);
  w->threads = threads < 1 ? 1 : threads;
  napi_valuetype type;
  napi_typeof(env, argv[6], &type);
  if (type == napi_bigint) {
    bool lossless;
    napi_get_value_bigint_int64(env, argv[6], &w->config.suspect_since, &lossless);
    w->config.suspect = true;
  }
  for (int side = 0; side < 2; side++) {
    napi_typeof(env, argv[12 + side], &type);
    if (type != napi_bigint) continue;
    bool lossless;
    napi_get_value_bigint_int64(env, argv[12 + side], side == 0 ? &w->config.src_xattrs_after : &w->config.dst_xattrs_after, &lossless);
  }
  unsigned char *starts, *modes, *skip, *needed, *tokens;
  size_t starts_length, modes_length, skip_length, needed_length, tokens_length;
  bool ok = (w->config.src_root = buffer_arg(env, argv[0], "sourceRoot must be a Buffer")) != NULL &&
            (w->config.dst_root = buffer_arg(env, argv[1], "destinationRoot must be a Buffer")) != NULL &&
            optional_bytes(env, argv[2], &starts, &starts_length, "starts must be a Buffer") &&
            optional_bytes(env, argv[7], &modes, &modes_length, "modes must be a Buffer or null") &&
            optional_bytes(env, argv[8], &skip, &skip_length, "skip must be a Buffer or null") &&
            optional_bytes(env, argv[9], &needed, &needed_length, "needed must be a Buffer or null") &&
            optional_bytes(env, argv[14], &tokens, &tokens_length, "staleTokens must be a Buffer or null") &&
            control_arg(env, argv[11], &w->control_ref, &w->config.control);
  if (ok && skip) {
    w->config.skip = malloc(skip_length + 1);
    ok = w->config.skip != NULL;
    if (ok) {
      memcpy(w->config.skip, skip, skip_length);
      w->config.skip[skip_length] = '\0';
    }
  }
  if (ok) {
    /* Opened once for the walk; a root that cannot be opened shows as its folder's failure. */
    w->config.src_root_fd = open(w->config.src_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    w->config.dst_root_fd = open(w->config.dst_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  if (ok && !(read_modes(w, modes, modes_length) && read_needed(w, needed, needed_length) && read_tokens(w, tokens, tokens_length) &&
              read_starts(w, starts, starts_length))) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    ok = false;
  }
  if (!ok) {
    while (w->lists_head) {
      list_task *task = w->lists_head;
      w->lists_head = task->next;
      if (task->node) node_free(task->node);
      free(task->rel);
      free(task->dst_rel);
      free(task);
    }
    walk_free(env, w);
    return NULL;
  }
  napi_value promise;
  napi_create_promise(env, &w->deferred, &promise);
  for (int i = 0; i < w->threads; i++) {
    walk_job *job = calloc(1, sizeof *job);
    if (job == NULL) {
      /* The threads already queued finish the walk on their own. */
      w->threads = i;
      break;
    }
    job->walk = w;
    job->job.execute = walk_execute;
    job->job.complete = walk_complete;
    if (!pool_submit(env, &job->job)) {
      free(job);
      w->threads = i;
      break;
    }
  }
  if (w->threads == 0) {
    napi_reject_deferred(env, w->deferred, smig_errno_error(env, EAGAIN, "walkTree", NULL));
    walk_free(env, w);
  }
  return promise;
}

void smig_define_walk(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"walkTree", NULL, walk_tree, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setWorkers", NULL, pool_set_workers, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
