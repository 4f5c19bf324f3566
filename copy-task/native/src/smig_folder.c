/*
 * One folder of a copy, both sides at once, without JavaScript touching each entry:
 *
 *  - listPair lists the source folder and the destination folder (lstat, link targets, extended
 *    attributes), pairs entries by name, and decides what each needs: nothing (the same on both
 *    sides), a copy, a content compare, an attribute fix, a link made again; or it hands the entry
 *    to the engine's planner (hard links, an entry of another type in the way, FIFOs and devices,
 *    what cannot be copied: rare, and each needs the whole tree or care). It reports counts, the
 *    subfolders to walk into, and those handed-over entries as records; in the copying walk it also
 *    creates the missing subfolders and keeps the pair for syncFolder.
 *  - syncFolder does the pair's work. Several calls run on one pair at once, each taking the next
 *    entry as it finishes the last (a folder of eight large files keeps every thread busy), and each
 *    returns only what went wrong or differs, with counts.
 *
 * Folders are opened beneath their root without following links (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS where the kernel has it): a folder swapped for a link while the copy runs
 * cannot lead it outside either tree.
 */
#include <node_api.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smig_entries.h"
#include "smig_filecopy.h"
#include "smig_folder.h"
#include "smig_listing.h"
#include "smig_native.h"
#include "smig_pool.h"
#include "smig_util.h"

enum { PAIR_COMPARE_OWNER = 1, PAIR_DEST_EXISTS = 2, PAIR_COPY = 4, PAIR_CHECKSUM = 8 };
enum { SYNC_STABLE = 16 }; /* with the COPY_* flags: the source must not change (final pass) */

/* Roles of the records listPair returns (bits 20-23 of a record's flags). */
enum {
  ROLE_SOURCE_SELF = 1,
  ROLE_DEST_SELF = 2,
  ROLE_SUBFOLDER = 3,
  ROLE_DEFER_SOURCE = 4,
  ROLE_DEFER_DEST = 5,
  ROLE_EXTRA = 6,
  ROLE_STALE = 7,
  ROLE_FAILED = 8
};
#define SUB_ON_DEST (1u << 24)
#define SUB_CREATED (1u << 25)
#define SUB_SETTLED (1u << 26)
#define WHAT_MKDIR 4

enum { A_COPY = 1, A_COMPARE = 2, A_FIX = 3, A_LINK = 4 };
#define NONE UINT32_MAX
#define MAX_ATTEMPTS 3
#define TEMP_PREFIX ".smig-tmp-"

typedef struct {
  uint32_t s; /* index into the source listing */
  uint32_t d; /* index into the destination listing, or NONE */
  uint8_t action;
  int mode; /* the mode the destination must have */
} work_item;

typedef struct {
  char *name;
  int mode;
} mode_override;

typedef struct {
  int refs; /* the JavaScript handle, and every syncFolder call running */
  int src_fd;
  int dst_fd;
  char *src_path;
  char *dst_path;
  listing src;
  listing dst;
  work_item *items;
  size_t item_count;
  size_t cursor;
  int flags;
  int64_t granularity;
  bool suspect;
  int64_t suspect_since;
  mode_override *modes;
  size_t mode_count;
  bool no_unnamed;
} folder_pair;

static void pair_unref(folder_pair *p) {
  if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
  if (p->src_fd >= 0) close(p->src_fd);
  if (p->dst_fd >= 0) close(p->dst_fd);
  free(p->src_path);
  free(p->dst_path);
  listing_free(&p->src);
  listing_free(&p->dst);
  free(p->items);
  for (size_t i = 0; i < p->mode_count; i++) free(p->modes[i].name);
  free(p->modes);
  free(p);
}

/* ---- opening a folder beneath its root ----------------------------------------------------- */

static int openat2_missing;

static int open_folder(const char *root, const char *rel, const char *full) {
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  if (rel[0] == '\0') return open(root, flags);
  if (!__atomic_load_n(&openat2_missing, __ATOMIC_RELAXED)) {
    int top = open(root, flags | O_PATH);
    if (top < 0) return -1;
    struct open_how how = {.flags = (uint64_t)flags | O_NOFOLLOW, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
    int fd = (int)syscall(SYS_openat2, top, rel, &how, sizeof how);
    int err = errno;
    close(top);
    if (fd >= 0 || err != ENOSYS) {
      errno = err;
      return fd;
    }
    __atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
  }
  return open(full, flags | O_NOFOLLOW);
}

/* ---- comparing --------------------------------------------------------------------------- */

static int mode_of(const folder_pair *p, const unsigned char *record) {
  int shown = (int)(record_mode(record) & 07777);
  if (p->mode_count == 0) return shown;
  size_t low = 0, high = p->mode_count;
  const char *name = record_name(record);
  size_t length = record_name_length(record);
  while (low < high) {
    size_t middle = (low + high) / 2;
    const char *candidate = p->modes[middle].name;
    size_t candidate_length = strlen(candidate);
    int order = memcmp(candidate, name, candidate_length < length ? candidate_length : length);
    if (order == 0) order = candidate_length < length ? -1 : candidate_length > length ? 1 : 0;
    if (order == 0) return p->modes[middle].mode;
    if (order < 0) low = middle + 1;
    else high = middle;
  }
  return shown;
}

static const unsigned char *xattrs_of(const unsigned char *record) {
  return record + RECORD_HEADER + record_name_length(record) + get_u16(record + 90);
}

static bool same_xattrs(const unsigned char *a, const unsigned char *b) {
  uint32_t length = get_u32(a + 28);
  return length == get_u32(b + 28) && memcmp(xattrs_of(a), xattrs_of(b), length) == 0;
}

static bool has_access_acl(const unsigned char *record) {
  const unsigned char *at = xattrs_of(record);
  uint32_t length = get_u32(record + 28);
  static const char ACL[] = "system.posix_acl_access";
  for (uint32_t i = 0; i + 2 <= length;) {
    size_t n = get_u16(at + i);
    if (n == sizeof ACL - 1 && memcmp(at + i + 2, ACL, n) == 0) return true;
    i += 2 + (uint32_t)n + 4 + get_u32(at + i + 2 + n);
  }
  return false;
}

/* Mode, owner (when compared), mtime, atime (when asked) and extended attributes, as plan.ts compares them. */
static bool same_attributes(const folder_pair *p, const unsigned char *s, const unsigned char *d, int mode, bool with_atime) {
  if ((int)(record_mode(d) & 07777) != mode) return false;
  if ((p->flags & PAIR_COMPARE_OWNER) && (get_u32(s + 8) != get_u32(d + 8) || get_u32(s + 12) != get_u32(d + 12))) return false;
  if (!same_ns(get_i64(s + 72), get_i64(d + 72), p->granularity)) return false;
  if (with_atime && !same_ns(get_i64(s + 64), get_i64(d + 64), p->granularity)) return false;
  return same_xattrs(s, d);
}

static bool is_temp_name(const unsigned char *record) {
  size_t prefix = sizeof TEMP_PREFIX - 1;
  return record_name_length(record) >= prefix && memcmp(record_name(record), TEMP_PREFIX, prefix) == 0;
}

/* ---- listPair ---------------------------------------------------------------------------- */

/*
 * The header of listPair's result, then its records:
 *   u32 header length, u32 work items, u64 source files (not handed over) and their bytes, u64 files
 *   to copy and their bytes, u64 files already equal (size and mtime), u32 folders created,
 *   u32 flags (1: there is work in this folder), u32 links to make, u32 folders missing.
 */
#define META_HEADER 64
enum { META_WORK = 1 };

typedef struct {
  pool_job job;
  napi_deferred deferred;
  folder_pair *pair;
  char *src_root;
  char *dst_root;
  char *rel;
  char *skip;
  bytes meta;
  int err;
  const char *syscall;
  const char *err_path;
  /* counts for the header */
  uint64_t found_files, found_bytes, copy_files, copy_bytes, equal_files;
  uint32_t created, links, missing;
  bool work;
} list_job;

static bool emit(list_job *job, const unsigned char *record, uint32_t role, uint32_t extra) {
  uint32_t flags = (get_u32(record + 24) & 0xFFFFu) | (role << RECORD_ROLE_SHIFT) | extra;
  if (record_copy(&job->meta, record, flags)) return true;
  job->err = ENOMEM;
  job->syscall = "malloc";
  return false;
}

static bool add_item(folder_pair *p, uint32_t s, uint32_t d, uint8_t action, int mode) {
  static const size_t GROWTH = 64;
  if (p->item_count % GROWTH == 0) {
    work_item *grown = realloc(p->items, (p->item_count + GROWTH) * sizeof *grown);
    if (grown == NULL) return false;
    p->items = grown;
  }
  p->items[p->item_count++] = (work_item){.s = s, .d = d, .action = action, .mode = mode};
  return true;
}

/* A source entry, with its destination counterpart (or NULL): what it needs. */
static bool classify(list_job *job, uint32_t si, uint32_t di) {
  folder_pair *p = job->pair;
  const unsigned char *s = listing_record(&p->src, si);
  const unsigned char *d = di == NONE ? NULL : listing_record(&p->dst, di);
  if (get_u32(s + 20) != 0) {
    job->work = true;
    return emit(job, s, ROLE_FAILED, 0);
  }
  if (d && get_u32(d + 20) != 0) {
    job->work = true;
    return emit(job, d, ROLE_FAILED, 0);
  }
  uint32_t type = record_mode(s) & S_IFMT;
  int mode = mode_of(p, s);
  bool mapped = mode != (int)(record_mode(s) & 07777);
  bool hand_over = d && (record_mode(d) & S_IFMT) != type;
  if (!hand_over && type == S_IFREG) {
    /* Hard links need the whole tree's groups; an ACL under a mapped mode needs rewriting (plan.ts does both). */
    hand_over = get_u32(s + 16) > 1 || (d && get_u32(d + 16) > 1) || (mapped && has_access_acl(s));
  }
  if (!hand_over && type != S_IFREG && type != S_IFDIR && type != S_IFLNK) hand_over = true;
  if (hand_over) {
    job->work = true;
    return emit(job, s, ROLE_DEFER_SOURCE, 0) && (d == NULL || emit(job, d, ROLE_DEFER_DEST, 0));
  }
  if (type == S_IFDIR) {
    if (d == NULL) {
      job->missing++;
      job->work = true;
      return emit(job, s, ROLE_SUBFOLDER, 0);
    }
    bool settled = !mapped || !has_access_acl(s) ? same_attributes(p, s, d, mode, false) : false;
    if (!settled) job->work = true;
    return emit(job, s, ROLE_SUBFOLDER, SUB_ON_DEST | (settled ? SUB_SETTLED : 0));
  }
  if (type == S_IFLNK) {
    bool same = d != NULL && get_u16(s + 90) == get_u16(d + 90) &&
                memcmp(s + RECORD_HEADER + record_name_length(s), d + RECORD_HEADER + record_name_length(d), get_u16(s + 90)) == 0 &&
                same_ns(get_i64(s + 72), get_i64(d + 72), p->granularity) &&
                (!(p->flags & PAIR_COMPARE_OWNER) || (get_u32(s + 8) == get_u32(d + 8) && get_u32(s + 12) == get_u32(d + 12))) &&
                same_xattrs(s, d);
    if (same) return true;
    job->links++;
    job->work = true;
    if (!add_item(p, si, di, A_LINK, mode)) goto memory;
    return true;
  }
  /* A regular file with one name. */
  uint64_t size = get_u64(s + 32);
  job->found_files++;
  job->found_bytes += size;
  bool up_to_date = d != NULL && get_u64(d + 32) == size && same_ns(get_i64(s + 72), get_i64(d + 72), p->granularity);
  uint8_t action = 0;
  if (!up_to_date) {
    action = A_COPY;
    job->copy_files++;
    job->copy_bytes += size;
  } else {
    job->equal_files++;
    if ((p->flags & PAIR_CHECKSUM) || (p->suspect && get_i64(d + 80) >= p->suspect_since)) action = A_COMPARE;
    else if (!same_attributes(p, s, d, mode, true)) action = A_FIX;
  }
  if (action == 0) return true;
  job->work = true;
  if (!add_item(p, si, di, action, mode)) goto memory;
  return true;
memory:
  job->err = ENOMEM;
  job->syscall = "malloc";
  return false;
}

/* A destination entry the source does not have. */
static bool extra(list_job *job, uint32_t di) {
  const unsigned char *d = listing_record(&job->pair->dst, di);
  job->work = true;
  return emit(job, d, is_temp_name(d) ? ROLE_STALE : ROLE_EXTRA, 0);
}

static void create_subfolders(list_job *job) {
  folder_pair *p = job->pair;
  /* Rewrites the subfolder records made by classify: those without SUB_ON_DEST are made now (mode 0700 until finished). */
  for (size_t at = META_HEADER; at < job->meta.length; at += get_u32(job->meta.data + at)) {
    unsigned char *record = job->meta.data + at;
    uint32_t flags = get_u32(record + 24);
    if (RECORD_ROLE(flags) != ROLE_SUBFOLDER || (flags & SUB_ON_DEST)) continue;
    char name[256];
    size_t length = record_name_length(record);
    memcpy(name, record_name(record), length);
    name[length] = '\0';
    if (mkdirat(p->dst_fd, name, 0700) == 0) {
      put_u32(record + 24, flags | SUB_CREATED);
      job->created++;
    } else {
      /* Reported as a failure of that folder; its content is not walked. */
      put_u32(record + 20, (uint32_t)errno);
      put_u32(record + 24, (flags & ~(0xFu << RECORD_ROLE_SHIFT)) | ((uint32_t)ROLE_FAILED << RECORD_ROLE_SHIFT) | WHAT_MKDIR);
    }
  }
}

static void list_execute(pool_job *base) {
  list_job *job = (list_job *)base;
  folder_pair *p = job->pair;
  size_t rel_length = strlen(job->rel);
  p->src_path = malloc(strlen(job->src_root) + rel_length + 2);
  p->dst_path = malloc(strlen(job->dst_root) + rel_length + 2);
  if (p->src_path == NULL || p->dst_path == NULL) {
    job->err = ENOMEM;
    job->syscall = "malloc";
    return;
  }
  sprintf(p->src_path, "%s%s%s", job->src_root, rel_length ? "/" : "", job->rel);
  sprintf(p->dst_path, "%s%s%s", job->dst_root, rel_length ? "/" : "", job->rel);
  bool dest_listed = p->flags & PAIR_DEST_EXISTS;
  p->src_fd = open_folder(job->src_root, job->rel, p->src_path);
  if (p->src_fd < 0) {
    job->err = errno;
    job->syscall = "scandir";
    job->err_path = p->src_path;
    return;
  }
  if (dest_listed || (p->flags & PAIR_COPY)) {
    p->dst_fd = open_folder(job->dst_root, job->rel, p->dst_path);
    if (p->dst_fd < 0) {
      job->err = errno;
      job->syscall = "scandir";
      job->err_path = p->dst_path;
      return;
    }
  }
  if (listing_read(p->src_fd, p->src_path, dest_listed ? XATTRS_ALL : XATTRS_NONE, job->skip, &p->src) != 0) {
    job->err = p->src.err;
    job->syscall = p->src.syscall;
    job->err_path = p->src_path;
    return;
  }
  if (dest_listed && listing_read(p->dst_fd, p->dst_path, XATTRS_ALL, job->skip, &p->dst) != 0) {
    job->err = p->dst.err;
    job->syscall = p->dst.syscall;
    job->err_path = p->dst_path;
    return;
  }
  if (!bytes_reserve(&job->meta, META_HEADER)) {
    job->err = ENOMEM;
    job->syscall = "malloc";
    return;
  }
  memset(job->meta.data, 0, META_HEADER);
  job->meta.length = META_HEADER;
  const char *syscall = "fstat";
  int err = record_append_self(&job->meta, p->src_fd, true, (uint32_t)ROLE_SOURCE_SELF << RECORD_ROLE_SHIFT, &syscall);
  if (err == 0 && p->dst_fd >= 0) err = record_append_self(&job->meta, p->dst_fd, true, (uint32_t)ROLE_DEST_SELF << RECORD_ROLE_SHIFT, &syscall);
  if (err) {
    job->err = err;
    job->syscall = syscall;
    job->err_path = p->src_path;
    return;
  }
  /* Both listings are in name order: walk them together. */
  size_t i = 0, j = 0;
  bool ok = true;
  while (ok && (i < p->src.count || j < p->dst.count)) {
    int order = i >= p->src.count ? 1 : j >= p->dst.count ? -1 : record_compare_names(listing_record(&p->src, i), listing_record(&p->dst, j));
    if (order < 0) ok = classify(job, (uint32_t)i++, NONE);
    else if (order > 0) ok = extra(job, (uint32_t)j++);
    else ok = classify(job, (uint32_t)i++, (uint32_t)j++);
  }
  if (!ok) return;
  if (p->flags & PAIR_COPY) create_subfolders(job);
  unsigned char *h = job->meta.data;
  put_u32(h, META_HEADER);
  put_u32(h + 4, (uint32_t)p->item_count);
  put_u64(h + 8, job->found_files);
  put_u64(h + 16, job->found_bytes);
  put_u64(h + 24, job->copy_files);
  put_u64(h + 32, job->copy_bytes);
  put_u64(h + 40, job->equal_files);
  put_u32(h + 48, job->created);
  put_u32(h + 52, job->work ? META_WORK : 0);
  put_u32(h + 56, job->links);
  put_u32(h + 60, job->missing);
}

/* What JavaScript holds: the pair, until releasePair or the garbage collector lets it go. */
typedef struct {
  folder_pair *pair;
} pair_handle;

static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  pair_handle *handle = data;
  if (handle->pair) pair_unref(handle->pair);
  free(handle);
}

static void list_complete(napi_env env, pool_job *base) {
  list_job *job = (list_job *)base;
  folder_pair *p = job->pair;
  if (job->err) {
    napi_reject_deferred(env, job->deferred, smig_errno_error(env, job->err, job->syscall, job->err_path));
    bytes_free(&job->meta);
    pair_unref(p);
  } else {
    napi_value result, handle;
    napi_create_object(env, &result);
    napi_value meta = bytes_to_buffer(env, &job->meta);
    napi_set_named_property(env, result, "meta", meta);
    pair_handle *kept = (p->flags & PAIR_COPY) && p->item_count > 0 ? malloc(sizeof *kept) : NULL;
    if (kept) {
      /* The pair lives on for syncFolder, its folders open, until releasePair (or the collector). */
      kept->pair = p;
      napi_create_external(env, kept, finalize_handle, NULL, &handle);
      napi_set_named_property(env, result, "pair", handle);
    } else {
      pair_unref(p);
    }
    napi_resolve_deferred(env, job->deferred, result);
  }
  free(job->src_root);
  free(job->dst_root);
  free(job->rel);
  free(job->skip);
  free(job);
}

static int compare_overrides(const void *a, const void *b) {
  return strcmp(((const mode_override *)a)->name, ((const mode_override *)b)->name);
}

/* The packed overrides (u16 name length, name, u32 mode; repeated) into the pair, sorted by name. */
static bool read_overrides(napi_env env, napi_value value, folder_pair *p) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  if (type == napi_null || type == napi_undefined) return true;
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  if (!is_buffer) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "modes must be a Buffer or null");
    return false;
  }
  unsigned char *data;
  size_t length;
  napi_get_buffer_info(env, value, (void **)&data, &length);
  size_t count = 0;
  for (size_t at = 0; at + 2 <= length; at += 2 + get_u16(data + at) + 4) count++;
  p->modes = calloc(count ? count : 1, sizeof *p->modes);
  if (p->modes == NULL) return false;
  for (size_t at = 0; at + 2 <= length && p->mode_count < count;) {
    size_t n = get_u16(data + at);
    if (at + 2 + n + 4 > length) break;
    char *name = malloc(n + 1);
    if (name == NULL) return false;
    memcpy(name, data + at + 2, n);
    name[n] = '\0';
    p->modes[p->mode_count++] = (mode_override){.name = name, .mode = (int)(get_u32(data + at + 2 + n) & 07777)};
    at += 2 + n + 4;
  }
  qsort(p->modes, p->mode_count, sizeof *p->modes, compare_overrides);
  return true;
}

/*
 * listPair(sourceRoot: Buffer, destinationRoot: Buffer, rel: Buffer, flags: number, granularityNs: number,
 * suspectSinceNs: bigint | null, modes: Buffer | null, skip: Buffer | null):
 * Promise<{ meta: Buffer, pair?: External }>
 */
static napi_value list_pair(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 8) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "listPair takes 8 arguments");
    return NULL;
  }
  list_job *job = calloc(1, sizeof *job);
  folder_pair *p = calloc(1, sizeof *p);
  if (job == NULL || p == NULL) {
    free(job);
    free(p);
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  p->refs = 1;
  p->src_fd = p->dst_fd = -1;
  job->pair = p;
  int32_t flags = 0;
  napi_get_value_int32(env, argv[3], &flags);
  p->flags = flags;
  napi_get_value_int64(env, argv[4], &p->granularity);
  napi_valuetype type;
  napi_typeof(env, argv[5], &type);
  if (type == napi_bigint) {
    bool lossless;
    napi_get_value_bigint_int64(env, argv[5], &p->suspect_since, &lossless);
    p->suspect = true;
  }
  napi_typeof(env, argv[7], &type);
  bool ok = (job->src_root = buffer_arg(env, argv[0], "sourceRoot must be a Buffer")) != NULL &&
            (job->dst_root = buffer_arg(env, argv[1], "destinationRoot must be a Buffer")) != NULL &&
            (job->rel = buffer_arg(env, argv[2], "rel must be a Buffer")) != NULL &&
            (type == napi_null || type == napi_undefined || (job->skip = buffer_arg(env, argv[7], "skip must be a Buffer or null")) != NULL) &&
            read_overrides(env, argv[6], p);
  if (!ok) {
    free(job->src_root);
    free(job->dst_root);
    free(job->rel);
    free(job->skip);
    free(job);
    pair_unref(p);
    return NULL;
  }
  job->job.execute = list_execute;
  job->job.complete = list_complete;
  napi_value promise;
  napi_create_promise(env, &job->deferred, &promise);
  if (!pool_submit(env, &job->job)) return NULL;
  return promise;
}

/* ---- syncFolder -------------------------------------------------------------------------- */

/*
 * The result: a header, then one record per entry that went wrong or differs from its listing.
 *   header: u32 header length, u32 files copied, u64 bytes copied, u32 links made, u32 attributes
 *   fixed, u32 files whose content differed though size and mtime matched, u32 flags (1: something
 *   was placed in the folder; 2: stopped), i64 bytes to add to the total (files whose size moved),
 *   u32 files verified, u32 records.
 *   record: u32 length, u16 kind, u16 action, i32 errno, u16 name length, u16 syscall length,
 *   u16 detail length, u16 path length, then the name, the syscall, the detail and the path the
 *   failed call was given.
 */
#define SYNC_HEADER 48
enum { SYNC_TOUCHED = 1, SYNC_STOPPED = 2 };
enum { K_FAILED = 1, K_CHANGED = 2, K_VANISHED = 3, K_UPDATED = 4, K_MISMATCH = 5, K_ATTRIBUTES = 6 };

typedef struct {
  pool_job job;
  napi_deferred deferred;
  napi_ref control_ref;
  control_block control;
  folder_pair *pair;
  int flags;
  bytes out;
  uint32_t files, links, fixed, differed, verified, records;
  uint64_t bytes_copied;
  int64_t adjust;
  uint32_t state;
  bool memory;
} sync_job;

static void note_at(sync_job *job, uint16_t kind, uint16_t action, const unsigned char *s, int err, const char *syscall, const char *detail, const char *path) {
  size_t name_length = record_name_length(s);
  size_t syscall_length = syscall ? strlen(syscall) : 0;
  size_t detail_length = detail ? strlen(detail) : 0;
  size_t path_length = path ? strlen(path) : 0;
  if (path_length > 0xFFFF) path_length = 0xFFFF;
  size_t length = 20 + name_length + syscall_length + detail_length + path_length;
  if (!bytes_reserve(&job->out, length)) {
    job->memory = true;
    return;
  }
  unsigned char *at = job->out.data + job->out.length;
  put_u32(at, (uint32_t)length);
  put_u16(at + 4, kind);
  put_u16(at + 6, action);
  put_u32(at + 8, (uint32_t)err);
  put_u16(at + 12, (uint16_t)name_length);
  put_u16(at + 14, (uint16_t)syscall_length);
  put_u16(at + 16, (uint16_t)detail_length);
  put_u16(at + 18, (uint16_t)path_length);
  unsigned char *cursor = at + 20;
  memcpy(cursor, record_name(s), name_length);
  cursor += name_length;
  if (syscall_length) memcpy(cursor, syscall, syscall_length);
  cursor += syscall_length;
  if (detail_length) memcpy(cursor, detail, detail_length);
  cursor += detail_length;
  if (path_length) memcpy(cursor, path, path_length);
  job->out.length += length;
  job->records++;
}

static void note(sync_job *job, uint16_t kind, uint16_t action, const unsigned char *s, int err, const char *syscall, const char *detail) {
  note_at(job, kind, action, s, err, syscall, detail, NULL);
}

/* Full paths for messages: folder path, '/', name. */
static void join(char *out, size_t size, const char *folder, const char *name) {
  snprintf(out, size, "%s/%s", folder, name);
}

/* Copies a file, again while it keeps changing (not in a final pass) and once more after a bad read-back. */
static void copy_item(sync_job *job, const work_item *item, const unsigned char *s, const char *name) {
  folder_pair *p = job->pair;
  char src_path[4352], dst_path[4352];
  join(src_path, sizeof src_path, p->src_path, name);
  join(dst_path, sizeof dst_path, p->dst_path, name);
  file_copy c = {
      .src_dir = p->src_fd, .src_name = name, .src_path = src_path,
      .dst_dir = p->dst_fd, .dst_name = name, .dst_path = dst_path,
      .flags = (job->flags & (COPY_VERIFY | COPY_AS_ROOT | COPY_WRITE_BACK)) | COPY_REFUSE_LINKED,
      .granularity = p->granularity, .control = &job->control, .mode = item->mode, .no_unnamed = &p->no_unnamed,
  };
  bool stable = job->flags & SYNC_STABLE;
  bool mismatched = false;
  char mismatch[160] = "";
  for (int changes = 0;;) {
    file_copy_run(&c);
    if (c.err) {
      if (c.err == ECANCELED) job->state |= SYNC_STOPPED;
      else note_at(job, K_FAILED, A_COPY, s, c.err, c.syscall, c.problem[0] ? c.problem : NULL, c.err_path);
      break;
    }
    if (c.outcome == OUT_COPIED) {
      job->files++;
      job->bytes_copied += (uint64_t)c.before.st_size;
      if (job->flags & COPY_VERIFY) job->verified++;
      job->state |= SYNC_TOUCHED;
      bool as_listed = (uint64_t)c.before.st_size == get_u64(s + 32) && same_ns(ns_of(c.before.st_mtim), get_i64(s + 72), p->granularity);
      if (!as_listed) note(job, K_UPDATED, A_COPY, s, 0, NULL, NULL);
      break;
    }
    if (c.outcome == OUT_VANISHED) {
      note(job, K_VANISHED, A_COPY, s, 0, NULL, NULL);
      break;
    }
    if (c.outcome == OUT_ATTRIBUTES) {
      note(job, K_ATTRIBUTES, A_COPY, s, 0, NULL, c.problem);
      break;
    }
    if (c.outcome == OUT_MISMATCH) {
      char detail[400];
      if (mismatched) {
        snprintf(detail, sizeof detail, "source %s, destination %s; on the attempt before, destination %s", c.source_digest, c.destination_digest, mismatch);
        note(job, K_MISMATCH, A_COPY, s, 0, NULL, detail);
        break;
      }
      mismatched = true;
      snprintf(mismatch, sizeof mismatch, "%s", c.destination_digest);
      continue;
    }
    /* OUT_CHANGED, or OUT_LINKED: it has other names now, which the next pass plans as a hard link. */
    if (stable || ++changes >= MAX_ATTEMPTS) {
      note(job, K_CHANGED, A_COPY, s, 0, NULL, NULL);
      break;
    }
  }
  job->adjust += c.progressed - (int64_t)get_u64(s + 32);
  control_add(&job->control, CONTROL_FILES, 1);
}

static bool differs_by_content(sync_job *job, const char *name, const unsigned char *s, int *err, const char **syscall) {
  folder_pair *p = job->pair;
  char digests[2][33];
  int64_t sizes[2];
  for (int side = 0; side < 2; side++) {
    int fd = side == 0 ? open_for_reading_at(p->src_fd, name) : openat(p->dst_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      *err = errno;
      *syscall = "open";
      return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      *err = errno;
      *syscall = "fstat";
      close(fd);
      return false;
    }
    if (side == 0 && !pace_reads(&job->control, st.st_size)) {
      close(fd);
      *err = ECANCELED;
      return false;
    }
    *err = hash_fd(fd, st.st_size, digests[side], &sizes[side], syscall);
    close(fd);
    if (*err) return false;
  }
  (void)s;
  return sizes[0] != sizes[1] || strcmp(digests[0], digests[1]) != 0;
}

static void fix_item(sync_job *job, const work_item *item, const unsigned char *s, const char *name) {
  folder_pair *p = job->pair;
  char src_path[4352], dst_path[4352];
  join(src_path, sizeof src_path, p->src_path, name);
  join(dst_path, sizeof dst_path, p->dst_path, name);
  entry_copy e = {
      .src_dir = p->src_fd, .src_name = name, .src_path = src_path, .dst_dir = p->dst_fd, .dst_name = name, .dst_path = dst_path,
      .flags = job->flags & (COPY_VERIFY | COPY_AS_ROOT), .granularity = p->granularity,
  };
  attributes_fix_run(&e, s, item->mode);
  if (e.err) note_at(job, K_FAILED, A_FIX, s, e.err, e.syscall, e.problem[0] ? e.problem : NULL, e.err_path);
  else if (e.outcome == OUT_ATTRIBUTES) note(job, K_ATTRIBUTES, A_FIX, s, 0, NULL, e.problem);
  else job->fixed++;
}

static void link_item(sync_job *job, const unsigned char *s, const char *name) {
  folder_pair *p = job->pair;
  char src_path[4352], dst_path[4352];
  join(src_path, sizeof src_path, p->src_path, name);
  join(dst_path, sizeof dst_path, p->dst_path, name);
  entry_copy e = {
      .src_dir = p->src_fd, .src_name = name, .src_path = src_path, .dst_dir = p->dst_fd, .dst_name = name, .dst_path = dst_path,
      .flags = job->flags & (COPY_VERIFY | COPY_AS_ROOT), .granularity = p->granularity,
  };
  symlink_copy_run(&e, s);
  if (e.err) note_at(job, K_FAILED, A_LINK, s, e.err, e.syscall, e.problem[0] ? e.problem : NULL, e.err_path);
  else if (e.outcome == OUT_ATTRIBUTES) note(job, K_ATTRIBUTES, A_LINK, s, 0, NULL, e.problem);
  else if (e.outcome == OUT_VANISHED) note(job, K_VANISHED, A_LINK, s, 0, NULL, NULL);
  else if (e.outcome == OUT_CHANGED) note(job, K_CHANGED, A_LINK, s, 0, NULL, NULL);
  else {
    job->links++;
    job->state |= SYNC_TOUCHED;
    if (e.updated) note(job, K_UPDATED, A_LINK, s, 0, NULL, NULL);
  }
}

static void sync_execute(pool_job *base) {
  sync_job *job = (sync_job *)base;
  folder_pair *p = job->pair;
  if (!bytes_reserve(&job->out, SYNC_HEADER)) {
    job->memory = true;
    return;
  }
  job->out.length = SYNC_HEADER;
  for (;;) {
    if (control_stopped(&job->control)) {
      job->state |= SYNC_STOPPED;
      break;
    }
    size_t index = __atomic_fetch_add(&p->cursor, 1, __ATOMIC_RELAXED);
    if (index >= p->item_count) break;
    const work_item *item = &p->items[index];
    const unsigned char *s = listing_record(&p->src, item->s);
    char name[256];
    size_t length = record_name_length(s);
    memcpy(name, record_name(s), length);
    name[length] = '\0';
    switch (item->action) {
      case A_COPY:
        copy_item(job, item, s, name);
        break;
      case A_COMPARE: {
        int err = 0;
        const char *syscall = NULL;
        bool differs = differs_by_content(job, name, s, &err, &syscall);
        if (err == ECANCELED) {
          job->state |= SYNC_STOPPED;
        } else if (err) {
          note(job, K_FAILED, A_COMPARE, s, err, syscall, NULL);
        } else if (differs) {
          job->differed++;
          /* Counted as equal when listed: its bytes join the total now. */
          job->adjust += (int64_t)get_u64(s + 32);
          copy_item(job, item, s, name);
        } else {
          const unsigned char *d = listing_record(&p->dst, item->d);
          if (!same_attributes(p, s, d, item->mode, true)) fix_item(job, item, s, name);
        }
        break;
      }
      case A_FIX:
        fix_item(job, item, s, name);
        break;
      case A_LINK:
        link_item(job, s, name);
        break;
    }
    if (job->memory) break;
  }
}

static void sync_complete(napi_env env, pool_job *base) {
  sync_job *job = (sync_job *)base;
  if (job->memory) {
    bytes_free(&job->out);
    napi_reject_deferred(env, job->deferred, smig_errno_error(env, ENOMEM, "malloc", NULL));
  } else {
    unsigned char *h = job->out.data;
    memset(h, 0, SYNC_HEADER);
    put_u32(h, SYNC_HEADER);
    put_u32(h + 4, job->files);
    put_u64(h + 8, job->bytes_copied);
    put_u32(h + 16, job->links);
    put_u32(h + 20, job->fixed);
    put_u32(h + 24, job->differed);
    put_u32(h + 28, job->state);
    put_u64(h + 32, (uint64_t)job->adjust);
    put_u32(h + 40, job->verified);
    put_u32(h + 44, job->records);
    napi_resolve_deferred(env, job->deferred, bytes_to_buffer(env, &job->out));
  }
  control_release(env, job->control_ref);
  pair_unref(job->pair);
  free(job);
}

/* syncFolder(pair: External, flags: number, control: Buffer | null): Promise<Buffer> */
static napi_value sync_folder(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype type = napi_undefined;
  if (argc >= 3) napi_typeof(env, argv[0], &type);
  if (type != napi_external) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "syncFolder takes a pair from listPair, flags and a control block");
    return NULL;
  }
  sync_job *job = calloc(1, sizeof *job);
  if (job == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  pair_handle *handle;
  napi_get_value_external(env, argv[0], (void **)&handle);
  if (handle->pair == NULL) {
    free(job);
    napi_throw_error(env, "ERR_INVALID_STATE", "syncFolder: the pair was released");
    return NULL;
  }
  napi_get_value_int32(env, argv[1], &job->flags);
  if (!control_arg(env, argv[2], &job->control_ref, &job->control)) {
    free(job);
    return NULL;
  }
  job->pair = handle->pair;
  __atomic_add_fetch(&job->pair->refs, 1, __ATOMIC_ACQ_REL);
  job->job.execute = sync_execute;
  job->job.complete = sync_complete;
  napi_value promise;
  napi_create_promise(env, &job->deferred, &promise);
  if (!pool_submit(env, &job->job)) {
    control_release(env, job->control_ref);
    pair_unref(job->pair);
    free(job);
    return NULL;
  }
  return promise;
}

/* releasePair(pair: External): void, closes the pair's folders once its running syncFolder calls end. */
static napi_value release_pair(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  napi_valuetype type = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type != napi_external) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "releasePair takes a pair from listPair");
    return NULL;
  }
  pair_handle *handle;
  napi_get_value_external(env, argv[0], (void **)&handle);
  if (handle->pair) pair_unref(handle->pair);
  handle->pair = NULL;
  return NULL;
}

void smig_define_folder(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"listPair", NULL, list_pair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syncFolder", NULL, sync_folder, NULL, NULL, NULL, napi_enumerable, NULL},
      {"releasePair", NULL, release_pair, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setWorkers", NULL, pool_set_workers, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
}
