/*
 * The walkTree call (smig_walk.c walks): its arguments read into a tree_walk, the walk's threads
 * queued on the pool, and its results (totals, records, notes) handed back once the last thread is done.
 */
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smig_listing.h"
#include "smig_native.h"
#include "smig_pair.h"
#include "smig_pool.h"
#include "smig_walk.h"
#include "smig_walk_internal.h"

/* ---- results ------------------------------------------------------------------------------ */

#define COUNTS 112

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
  put_u64(h + 104, (uint64_t)w->source_max_ctime);
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
  qsort(w->needed, w->needed_count, sizeof *w->needed, walk_compare_refs);
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
    folder_node *node = walk_node_new(w, rel, dst_rel, data[at + 4 + n], NULL);
    if ((w->config.flags & PAIR_COPY) && node == NULL) {
      free(rel);
      free(dst_rel);
      return false;
    }
    if (!walk_push_list(w, rel, dst_rel, data[at + 4 + n], node)) {
      if (node) walk_node_free(node);
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
      if (task->node) walk_node_free(task->node);
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
