/*
 * A walk of both trees in C (walkTree): the survey (what there is, what there is to do) or the
 * copying walk, over every folder below the starting ones, on the addon's worker threads. Each thread
 * takes the next task from one queue: the work of a listed folder first (so that few folders are
 * open at once), else the next folder to list. JavaScript gets the totals and the records of what it
 * must act on: entries handed over to its planner, extras, leftovers, failures, the folders whose
 * attributes it sets at the end, and notes of the files whose source moved under the copy.
 *
 * Memory holds the folders waiting to be listed (paths), the few being worked on, and the records.
 */
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "smig_native.h"
#include "smig_pair.h"
#include "smig_pool.h"
#include "smig_walk.h"

/*
 * A folder made under a temp name (FOLDER_TEMP_ROOT): renamed to its own once nothing below it is
 * waiting to be listed or worked on. A stopped walk renames it too (what is in it is complete: a copy
 * that stops removes its partial file); only a killed one leaves it, for the next run to take up.
 */
typedef struct hidden_folder {
  int waiting; /* tasks below it not done yet */
  char *rel;
  char *parent_dst_rel;
  char hidden[HIDDEN_NAME_SIZE];
} hidden_folder;

typedef struct list_task {
  struct list_task *next;
  char *rel;
  char *dst_rel;
  int flags;
  hidden_folder *under;
} list_task;

typedef struct sync_task {
  struct sync_task *next;
  folder_pair *pair;
  hidden_folder *under;
  int folder_flags;
  bool created_any;
  int wanted;   /* threads that may work on it */
  int joined;   /* threads that took it */
  int finished; /* of those, how many are done */
  bool queued;
  bool touched;
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
  uint32_t created, files, links, fixed, differed, verified, folders;
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

static bool push_list(tree_walk *w, char *rel, char *dst_rel, int flags, hidden_folder *under) {
  list_task *task = malloc(sizeof *task);
  if (task == NULL) return false;
  *task = (list_task){.rel = rel, .dst_rel = dst_rel, .flags = flags, .under = under};
  if (under) under->waiting++;
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

/* A task below a hidden folder is done (under the lock): the last one gives it its own name. */
static void release_hidden(tree_walk *w, hidden_folder *folder) {
  if (folder == NULL || --folder->waiting > 0) return;
  const char *slash = strrchr(folder->rel, '/');
  const char *name = slash ? slash + 1 : folder->rel;
  /* Its parent is a folder the walk did not hide: its path is the same in both trees. */
  int parent = folder->parent_dst_rel[0] == '\0'
                   ? w->config.dst_root_fd
                   : openat(w->config.dst_root_fd, folder->parent_dst_rel, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  int err = parent < 0 ? errno : renameat(parent, folder->hidden, parent, name) == 0 ? 0 : errno;
  if (parent >= 0 && parent != w->config.dst_root_fd) close(parent);
  if (err) fail_folder(w, folder->rel, err, WHAT_RENAME);
  free(folder->rel);
  free(folder->parent_dst_rel);
  free(folder);
}

/* The hidden folder a subfolder lies in: its own when it is one, else its parent's. NULL without memory. */
static hidden_folder *hidden_of(const list_task *parent, const subfolder *sub, bool *memory) {
  if (!(sub->flags & FOLDER_TEMP_ROOT)) return parent->under;
  hidden_folder *folder = calloc(1, sizeof *folder);
  if (folder == NULL || (folder->rel = strdup(sub->rel)) == NULL || (folder->parent_dst_rel = strdup(parent->dst_rel)) == NULL) {
    if (folder) free(folder->rel);
    free(folder);
    *memory = true;
    return NULL;
  }
  const char *slash = strrchr(sub->dst_rel, '/');
  snprintf(folder->hidden, sizeof folder->hidden, "%s", slash ? slash + 1 : sub->dst_rel);
  return folder;
}

static void append(tree_walk *w, bytes *to, const bytes *from) {
  if (from->length > 0 && !bytes_append(to, from->data, from->length)) w->memory = true;
}

/* A folder of the copying walk is done: its own record, for its attributes at the end. */
static void finish_folder(tree_walk *w, folder_pair *pair, int folder_flags, bool touched) {
  uint32_t flags = ((uint32_t)ROLE_FOLDER << RECORD_ROLE_SHIFT) | ((folder_flags & FOLDER_ON_DEST) ? REC_ON_DEST : 0) |
                   ((folder_flags & FOLDER_CREATED) ? REC_CREATED : 0) | ((folder_flags & FOLDER_SETTLED) ? REC_SETTLED : 0) |
                   (touched ? REC_TOUCHED : 0);
  if (!record_copy_at(&w->records, pair_self(pair), pair_rel(pair), flags)) w->memory = true;
  pair_unref(pair);
}

/* ---- the two kinds of task ----------------------------------------------------------------- */

static void run_list(tree_walk *w, list_task *task) {
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
    bool memory = false;
    /* The survey renames nothing: it walks a hidden folder only to count what is in it. */
    hidden_folder *under = copying ? hidden_of(task, sub, &memory) : NULL;
    if (!memory && !control_stopped(&w->config.control) && push_list(w, sub->rel, sub->dst_rel, sub->flags, under)) {
      sub->rel = sub->dst_rel = NULL; /* the queue owns them now */
    } else {
      w->stopped = w->stopped || control_stopped(&w->config.control);
      if (!w->stopped) w->memory = true;
      if (under && under != task->under) {
        under->waiting = 1;
        release_hidden(w, under);
      }
    }
  }
  if (pair) {
    bool touched = listing.created > 0 || (task->flags & FOLDER_CREATED);
    if (listing.items > 0) {
      sync_task *sync = calloc(1, sizeof *sync);
      if (sync == NULL) {
        w->memory = true;
        finish_folder(w, pair, task->flags, touched);
      } else {
        *sync = (sync_task){.pair = pair, .folder_flags = task->flags, .touched = touched, .queued = true, .under = task->under,
                            .wanted = (int)(listing.items < (uint32_t)w->threads ? listing.items : (uint32_t)w->threads)};
        if (task->under) task->under->waiting++;
        sync->next = w->syncs;
        w->syncs = sync;
      }
    } else {
      finish_folder(w, pair, task->flags, touched);
    }
  }
  /* This task is done: the last below a hidden folder renames it. */
  release_hidden(w, task->under);
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
  w->bytes_copied += work.bytes;
  w->adjust += work.adjust;
  w->stopped = w->stopped || work.stopped;
  w->memory = w->memory || work.memory;
  task->touched = task->touched || work.touched;
  /* Every entry is taken once one thread is through: no one else joins. */
  unqueue(w, task);
  if (++task->finished == task->joined) {
    finish_folder(w, task->pair, task->folder_flags, task->touched);
    release_hidden(w, task->under);
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
        release_hidden(w, task->under);
        free(task->rel);
        free(task->dst_rel);
        free(task);
      }
      w->lists_tail = NULL;
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

#define COUNTS 96

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
  return buffer;
}

static void walk_free(napi_env env, tree_walk *w) {
  control_release(env, w->control_ref);
  if (w->config.src_root_fd >= 0) close(w->config.src_root_fd);
  if (w->config.dst_root_fd >= 0) close(w->config.dst_root_fd);
  free(w->config.src_root);
  free(w->config.dst_root);
  free(w->config.skip);
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

/* The packed modes (u16 path length, path, u32 mode; repeated), sorted by path. */
static bool read_modes(tree_walk *w, const unsigned char *data, size_t length) {
  size_t count = 0;
  for (size_t at = 0; at + 2 <= length; at += 2 + get_u16(data + at) + 4) count++;
  if (count == 0) return true;
  w->config.modes = calloc(count, sizeof *w->config.modes);
  if (w->config.modes == NULL) return false;
  for (size_t at = 0; at + 2 <= length && w->config.mode_count < count;) {
    size_t n = get_u16(data + at);
    if (at + 2 + n + 4 > length) break;
    char *name = malloc(n + 1);
    if (name == NULL) return false;
    memcpy(name, data + at + 2, n);
    name[n] = '\0';
    w->config.modes[w->config.mode_count++] = (mode_override){.name = name, .mode = (int)(get_u32(data + at + 2 + n) & 07777)};
    at += 2 + n + 4;
  }
  qsort(w->config.modes, w->config.mode_count, sizeof *w->config.modes, compare_overrides);
  return true;
}

/* The packed needed folders (u16 path length, path; repeated), kept and sorted. */
static bool read_needed(tree_walk *w, const unsigned char *data, size_t length) {
  if (data == NULL) {
    w->all_needed = true;
    return true;
  }
  w->needed_data = malloc(length ? length : 1);
  if (w->needed_data == NULL) return false;
  memcpy(w->needed_data, data, length);
  size_t count = 0;
  for (size_t at = 0; at + 2 <= length; at += 2 + get_u16(data + at)) count++;
  w->needed = calloc(count ? count : 1, sizeof *w->needed);
  if (w->needed == NULL) return false;
  for (size_t at = 0; at + 2 <= length && w->needed_count < count;) {
    size_t n = get_u16(data + at);
    if (at + 2 + n > length) break;
    w->needed[w->needed_count++] = (path_ref){w->needed_data + at + 2, n};
    at += 2 + n;
  }
  qsort(w->needed, w->needed_count, sizeof *w->needed, compare_refs);
  return true;
}

/* The starting folders (u16 path length, path, u8 FOLDER_* flags; repeated). */
static bool read_starts(tree_walk *w, const unsigned char *data, size_t length) {
  for (size_t at = 0; at + 3 <= length;) {
    size_t n = get_u16(data + at);
    if (at + 2 + n + 1 > length) return false;
    char *rel = malloc(n + 1);
    char *dst_rel = malloc(n + 1);
    if (rel == NULL || dst_rel == NULL) {
      free(rel);
      free(dst_rel);
      return false;
    }
    memcpy(rel, data + at + 2, n);
    rel[n] = '\0';
    memcpy(dst_rel, rel, n + 1);
    if (!push_list(w, rel, dst_rel, data[at + 2 + n], NULL)) {
      free(rel);
      free(dst_rel);
      return false;
    }
    at += 2 + n + 1;
  }
  return true;
}

/*
 * walkTree(sourceRoot: Buffer, destinationRoot: Buffer, starts: Buffer, flags: number, syncFlags: number,
 * granularityNs: number, suspectSinceNs: bigint | null, modes: Buffer | null, skip: Buffer | null,
 * needed: Buffer | null, threads: number, control: Buffer | null, sourceXattrsAfterNs: bigint | null,
 * destinationXattrsAfterNs: bigint | null): Promise<{ counts: Buffer, records: Buffer, notes: Buffer }>
 */
static napi_value walk_tree(napi_env env, napi_callback_info info) {
  size_t argc = 14;
  napi_value argv[14];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 14) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "walkTree takes 14 arguments");
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
  unsigned char *starts, *modes, *skip, *needed;
  size_t starts_length, modes_length, skip_length, needed_length;
  bool ok = (w->config.src_root = buffer_arg(env, argv[0], "sourceRoot must be a Buffer")) != NULL &&
            (w->config.dst_root = buffer_arg(env, argv[1], "destinationRoot must be a Buffer")) != NULL &&
            optional_bytes(env, argv[2], &starts, &starts_length, "starts must be a Buffer") &&
            optional_bytes(env, argv[7], &modes, &modes_length, "modes must be a Buffer or null") &&
            optional_bytes(env, argv[8], &skip, &skip_length, "skip must be a Buffer or null") &&
            optional_bytes(env, argv[9], &needed, &needed_length, "needed must be a Buffer or null") &&
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
  if (ok && !(read_modes(w, modes, modes_length) && read_needed(w, needed, needed_length) && read_starts(w, starts, starts_length))) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    ok = false;
  }
  if (!ok) {
    while (w->lists_head) {
      list_task *task = w->lists_head;
      w->lists_head = task->next;
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
