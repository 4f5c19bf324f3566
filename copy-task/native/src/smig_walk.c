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
#include "smig_walk_internal.h"

/* ---- the needed set ---------------------------------------------------------------------- */

int walk_compare_refs(const void *a, const void *b) {
  const path_ref *x = a, *y = b;
  int order = memcmp(x->data, y->data, x->length < y->length ? x->length : y->length);
  if (order != 0) return order;
  return x->length < y->length ? -1 : x->length > y->length ? 1 : 0;
}

static bool is_needed(const tree_walk *w, const char *rel) {
  if (w->all_needed) return true;
  path_ref key = {(const unsigned char *)rel, strlen(rel)};
  return bsearch(&key, w->needed, w->needed_count, sizeof *w->needed, walk_compare_refs) != NULL;
}

/* ---- queues (under the lock) --------------------------------------------------------------- */

bool walk_push_list(tree_walk *w, char *rel, char *dst_rel, int flags, folder_node *node) {
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
folder_node *walk_node_new(tree_walk *w, const char *rel, const char *dst_rel, int flags, folder_node *parent) {
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

void walk_node_free(folder_node *node) {
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
  walk_node_free(node);
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
  if (listing.source_max_ctime > w->source_max_ctime) w->source_max_ctime = listing.source_max_ctime;
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
    folder_node *child = walk_node_new(w, sub->rel, sub->dst_rel, sub->flags, node);
    if (copying && child == NULL) continue;
    bool stopped = control_stopped(&w->config.control);
    if (!stopped && walk_push_list(w, sub->rel, sub->dst_rel, sub->flags, child)) {
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

void walk_execute(pool_job *base) {
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
