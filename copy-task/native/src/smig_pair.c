#include "smig_pair.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "smig_entries.h"
#include "smig_hash.h"

#define NONE UINT32_MAX
#define MAX_ATTEMPTS 3
#define TEMP_PREFIX ".smig-tmp-"
/* Longest path a record or note can name (its length is a u16). */
#define MAX_REL 65535

typedef struct {
  uint32_t s; /* index into the source listing */
  uint32_t d; /* index into the destination listing, or NONE */
  uint8_t action;
  int mode; /* the mode the destination must have */
} work_item;

struct folder_pair {
  int refs;
  char *rel;
  char *dst_rel;
  /* Its folder on the destination is hidden (FOLDER_HIDDEN): new files go under their names at once. */
  bool hidden;
  char *src_path;
  char *dst_path;
  int src_fd;
  int dst_fd;
  listing src;
  listing dst;
  bytes self;
  work_item *items;
  size_t item_count;
  size_t cursor;
  int64_t granularity;
  int flags;
  bool no_unnamed;
  /* What a file made in the destination folder starts with (see file_copy). */
  struct folder_defaults defaults;
  bool defaults_known;
  int inherits;
};

void pair_ref(folder_pair *p) {
  __atomic_add_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
}

void pair_unref(folder_pair *p) {
  if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) > 0) return;
  if (p->src_fd >= 0) close(p->src_fd);
  if (p->dst_fd >= 0) close(p->dst_fd);
  free(p->rel);
  free(p->dst_rel);
  free(p->src_path);
  free(p->dst_path);
  listing_free(&p->src);
  listing_free(&p->dst);
  bytes_free(&p->self);
  free(p->items);
  free(p);
}

const char *pair_rel(const folder_pair *p) {
  return p->rel;
}

const unsigned char *pair_self(const folder_pair *p) {
  return p->self.data;
}

bool pair_has_work(folder_pair *p) {
  return __atomic_load_n(&p->cursor, __ATOMIC_RELAXED) < p->item_count;
}

/* ---- paths -------------------------------------------------------------------------------- */

/* `rel` + "/" + `name`, or `name` alone at the root; NULL without memory. */
static char *child_rel(const char *rel, const char *name, size_t name_length) {
  size_t rel_length = strlen(rel);
  char *out = malloc(rel_length + 1 + name_length + 1);
  if (out == NULL) return NULL;
  size_t at = 0;
  if (rel_length > 0) {
    memcpy(out, rel, rel_length);
    out[rel_length] = '/';
    at = rel_length + 1;
  }
  memcpy(out + at, name, name_length);
  out[at + name_length] = '\0';
  return out;
}

void hidden_name(const char *name, size_t length, char out[HIDDEN_NAME_SIZE]) {
  static const char HEX[] = "0123456789abcdef";
  uint64_t hash = XXH3_64bits(name, length);
  memcpy(out, ".smig-tmp-d", 11);
  for (int i = 0; i < 16; i++) out[11 + i] = HEX[(hash >> (60 - 4 * i)) & 15];
  out[27] = '\0';
}

bool record_copy_at(bytes *out, const unsigned char *record, const char *rel, uint32_t flags) {
  size_t rel_length = strlen(rel);
  size_t name_length = record_name_length(record);
  size_t path_length = rel_length + (rel_length && name_length ? 1 : 0) + name_length;
  if (path_length > MAX_REL) return false;
  size_t old_length = get_u32(record);
  size_t length = old_length - name_length + path_length;
  if (!bytes_reserve(out, length)) return false;
  unsigned char *at = out->data + out->length;
  memcpy(at, record, RECORD_HEADER);
  put_u32(at, (uint32_t)length);
  put_u32(at + 24, flags);
  put_u16(at + 88, (uint16_t)path_length);
  unsigned char *cursor = at + RECORD_HEADER;
  memcpy(cursor, rel, rel_length);
  cursor += rel_length;
  if (rel_length && name_length) *cursor++ = '/';
  memcpy(cursor, record_name(record), name_length);
  cursor += name_length;
  memcpy(cursor, record + RECORD_HEADER + name_length, old_length - RECORD_HEADER - name_length);
  out->length += length;
  return true;
}

/* ---- opening a folder beneath its root ----------------------------------------------------- */

static int openat2_missing;

/*
 * Opens `rel` beneath `root` without following links on the way (openat2 RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS where the kernel has it): a folder swapped for a link while the copy runs
 * cannot lead it outside either tree.
 */
static int open_folder(int root_fd, const char *root, const char *rel, const char *full) {
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  if (rel[0] == '\0') return open(root, flags);
  if (root_fd >= 0 && !__atomic_load_n(&openat2_missing, __ATOMIC_RELAXED)) {
    struct open_how how = {.flags = (uint64_t)flags | O_NOFOLLOW, .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS};
    int fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS) return fd;
    __atomic_store_n(&openat2_missing, 1, __ATOMIC_RELAXED);
  }
  return open(full, flags | O_NOFOLLOW);
}

/* ---- comparing --------------------------------------------------------------------------- */

static int compare_to(const char *candidate, const char *name, size_t length) {
  size_t candidate_length = strlen(candidate);
  int order = memcmp(candidate, name, candidate_length < length ? candidate_length : length);
  if (order == 0) order = candidate_length < length ? -1 : candidate_length > length ? 1 : 0;
  return order;
}

int pair_mode_at(const pair_config *config, const char *path, size_t length, int shown) {
  size_t low = 0, high = config->mode_count;
  while (low < high) {
    size_t middle = (low + high) / 2;
    int order = compare_to(config->modes[middle].name, path, length);
    if (order == 0) return config->modes[middle].mode;
    if (order < 0) low = middle + 1;
    else high = middle;
  }
  return shown;
}

/* The mode the destination must give the source entry `record` of folder `rel`. */
static int mode_of(const pair_config *config, const char *rel, const unsigned char *record) {
  /* An entry known by its type alone: the copy takes the mode from the open file (-1), unless one is recorded. */
  int shown = (get_u32(record + 24) & RECORD_TYPE_ONLY) ? -1 : (int)(record_mode(record) & 07777);
  if (config->mode_count == 0) return shown;
  char path[MAX_REL + 1];
  size_t rel_length = strlen(rel), name_length = record_name_length(record);
  if (rel_length + 1 + name_length > MAX_REL) return shown;
  size_t length = 0;
  if (rel_length) {
    memcpy(path, rel, rel_length);
    path[rel_length] = '/';
    length = rel_length + 1;
  }
  memcpy(path + length, record_name(record), name_length);
  length += name_length;
  return pair_mode_at(config, path, length, shown);
}

static const unsigned char *xattrs_of(const unsigned char *record) {
  return record + RECORD_HEADER + record_name_length(record) + get_u16(record + 90);
}

static bool xattrs_read(const unsigned char *record) {
  return (get_u32(record + 24) & RECORD_XATTRS_READ) != 0;
}

/* Two records' xattrs are the same; neither read means neither inode changed since both were equal. */
static bool same_xattrs(const unsigned char *a, const unsigned char *b) {
  if (!xattrs_read(a) && !xattrs_read(b)) return true;
  uint32_t length = get_u32(a + 28);
  return xattrs_read(a) == xattrs_read(b) && length == get_u32(b + 28) && memcmp(xattrs_of(a), xattrs_of(b), length) == 0;
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
static bool same_attributes(int flags, int64_t granularity, const unsigned char *s, const unsigned char *d, int mode, bool with_atime) {
  if ((int)(record_mode(d) & 07777) != mode) return false;
  if ((flags & PAIR_COMPARE_OWNER) && (get_u32(s + 8) != get_u32(d + 8) || get_u32(s + 12) != get_u32(d + 12))) return false;
  if (!same_ns(get_i64(s + 72), get_i64(d + 72), granularity)) return false;
  if (with_atime && !same_ns(get_i64(s + 64), get_i64(d + 64), granularity)) return false;
  return same_xattrs(s, d);
}

static bool type_only(const unsigned char *record) {
  return (get_u32(record + 24) & RECORD_TYPE_ONLY) != 0;
}

static bool is_temp_name(const unsigned char *record) {
  size_t prefix = sizeof TEMP_PREFIX - 1;
  return record_name_length(record) >= prefix && memcmp(record_name(record), TEMP_PREFIX, prefix) == 0;
}

/* ---- listing ----------------------------------------------------------------------------- */

typedef struct {
  const pair_config *config;
  folder_pair *pair;
  pair_listing *listing;
  bytes *records;
  size_t subfolder_capacity;
  bool memory;
  /* Destination entries taken up as a subfolder's hidden folder (by index); not leftovers then. */
  bool *adopted;
  /* For each source entry, the destination entry it takes up, or NONE. */
  uint32_t *adopts;
} lister;

static void emit(lister *l, const unsigned char *record, uint32_t role, uint32_t extra) {
  /* What failed, and what its listing left out of its attributes (for the planner, which writes them). */
  uint32_t kept = 0xFFFFu | (3u << RECORD_LEFT_OUT_SHIFT);
  uint32_t flags = (get_u32(record + 24) & kept) | (role << RECORD_ROLE_SHIFT) | extra;
  if (!record_copy_at(l->records, record, l->pair->rel, flags)) l->memory = true;
}

static void add_item(lister *l, uint32_t s, uint32_t d, uint8_t action, int mode) {
  static const size_t GROWTH = 64;
  folder_pair *p = l->pair;
  if (p->item_count % GROWTH == 0) {
    work_item *grown = realloc(p->items, (p->item_count + GROWTH) * sizeof *grown);
    if (grown == NULL) {
      l->memory = true;
      return;
    }
    p->items = grown;
  }
  p->items[p->item_count++] = (work_item){.s = s, .d = d, .action = action, .mode = mode};
}

static void add_subfolder(lister *l, const unsigned char *record, int flags, const char *dst_name) {
  pair_listing *listing = l->listing;
  if (listing->subfolder_count == l->subfolder_capacity) {
    size_t capacity = l->subfolder_capacity ? l->subfolder_capacity * 2 : 16;
    subfolder *grown = realloc(listing->subfolders, capacity * sizeof *grown);
    if (grown == NULL) {
      l->memory = true;
      return;
    }
    listing->subfolders = grown;
    l->subfolder_capacity = capacity;
  }
  char *rel = child_rel(l->pair->rel, record_name(record), record_name_length(record));
  char *dst_rel = dst_name ? child_rel(l->pair->dst_rel, dst_name, strlen(dst_name))
                           : child_rel(l->pair->dst_rel, record_name(record), record_name_length(record));
  if (rel == NULL || dst_rel == NULL) {
    free(rel);
    free(dst_rel);
    l->memory = true;
    return;
  }
  listing->subfolders[listing->subfolder_count++] = (subfolder){.rel = rel, .dst_rel = dst_rel, .flags = flags};
}

/* The index of the destination entry named `name`, or NONE (the listing is in name order). */
static uint32_t find_destination(const folder_pair *p, const char *name, size_t length);

/*
 * The hidden folders a cut-short run left here (`.smig-tmp-d<hash>`), each matched with the source
 * folder it was made for, before the two listings are paired (its name may sort before or after
 * that folder's). False without memory.
 */
static bool find_adoptions(lister *l) {
  folder_pair *p = l->pair;
  bool any = false;
  for (size_t k = 0; k < p->dst.count && !any; k++) {
    const unsigned char *d = listing_record(&p->dst, k);
    any = record_name_length(d) == HIDDEN_NAME_SIZE - 1 && memcmp(record_name(d), ".smig-tmp-d", 11) == 0;
  }
  if (!any || p->hidden) return true;
  l->adopted = calloc(p->dst.count, sizeof *l->adopted);
  l->adopts = malloc((p->src.count ? p->src.count : 1) * sizeof *l->adopts);
  if (l->adopted == NULL || l->adopts == NULL) return false;
  for (size_t i = 0; i < p->src.count; i++) {
    l->adopts[i] = NONE;
    const unsigned char *s = listing_record(&p->src, i);
    if (!S_ISDIR(record_mode(s)) || get_u32(s + 20) != 0) continue;
    if (find_destination(p, record_name(s), record_name_length(s)) != NONE) continue;
    char hidden[HIDDEN_NAME_SIZE];
    hidden_name(record_name(s), record_name_length(s), hidden);
    uint32_t d = find_destination(p, hidden, HIDDEN_NAME_SIZE - 1);
    if (d == NONE || !S_ISDIR(record_mode(listing_record(&p->dst, d))) || get_u32(listing_record(&p->dst, d) + 20) != 0) continue;
    l->adopted[d] = true;
    l->adopts[i] = d;
  }
  return true;
}

static uint32_t find_destination(const folder_pair *p, const char *name, size_t length) {
  size_t low = 0, high = p->dst.count;
  while (low < high) {
    size_t middle = (low + high) / 2;
    const unsigned char *record = listing_record(&p->dst, middle);
    size_t other = record_name_length(record);
    int order = memcmp(record_name(record), name, other < length ? other : length);
    if (order == 0) order = other < length ? -1 : other > length ? 1 : 0;
    if (order == 0) return (uint32_t)middle;
    if (order < 0) low = middle + 1;
    else high = middle;
  }
  return NONE;
}

/*
 * Reads the xattrs the listings left unread (inodes unchanged since an earlier pass) of one pair:
 * both sides when `both` (the pair is to be acted on, or handed over: what is set must be known),
 * else the other side of a pair where one side was read (so that they compare).
 */
static void complete_xattrs(lister *l, uint32_t si, uint32_t di, bool both) {
  folder_pair *p = l->pair;
  /* Nothing to compare with: a copy reads the source's from the open file. */
  if (di == NONE && !both) return;
  bool s_read = xattrs_read(listing_record(&p->src, si));
  bool d_read = di == NONE || xattrs_read(listing_record(&p->dst, di));
  if (s_read == d_read && !both) return;
  if (!s_read && (both || d_read) && listing_read_xattrs(&p->src, si, p->src_fd, p->src_path) != 0) l->memory = true;
  if (di != NONE && !d_read && (both || s_read) && listing_read_xattrs(&p->dst, di, p->dst_fd, p->dst_path) != 0) l->memory = true;
}

/* A source entry, with its destination counterpart (or NONE): what it needs. */
static void classify(lister *l, uint32_t si, uint32_t di) {
  folder_pair *p = l->pair;
  const pair_config *config = l->config;
  pair_listing *listing = l->listing;
  complete_xattrs(l, si, di, false);
  const unsigned char *s = listing_record(&p->src, si);
  const unsigned char *d = di == NONE ? NULL : listing_record(&p->dst, di);
  if (get_u32(s + 20) != 0) {
    listing->work = true;
    emit(l, s, ROLE_FAILED, 0);
    return;
  }
  if (d && get_u32(d + 20) != 0) {
    listing->work = true;
    emit(l, d, ROLE_FAILED, REC_FROM_DESTINATION);
    return;
  }
  uint32_t type = record_mode(s) & S_IFMT;
  int mode = mode_of(config, p->rel, s);
  bool mapped = mode >= 0 && mode != (int)(record_mode(s) & 07777);
  bool hand_over = d && (record_mode(d) & S_IFMT) != type;
  if (!hand_over && type == S_IFREG) {
    /* Hard links need the whole tree's groups; an ACL under a mapped mode needs rewriting (plan.ts does both). */
    hand_over = get_u32(s + 16) > 1 || (d && get_u32(d + 16) > 1) || (mapped && has_access_acl(s));
  }
  if (!hand_over && type != S_IFREG && type != S_IFDIR && type != S_IFLNK) hand_over = true;
  if (hand_over) {
    listing->work = true;
    complete_xattrs(l, si, di, true);
    s = listing_record(&p->src, si);
    d = di == NONE ? NULL : listing_record(&p->dst, di);
    emit(l, s, ROLE_DEFER_SOURCE, 0);
    if (d) emit(l, d, ROLE_DEFER_DEST, 0);
    /* A folder where the destination has something else: the survey counts what is in it (the copying walk walks it once the planner has made it). */
    if (type == S_IFDIR && !(config->flags & PAIR_COPY)) add_subfolder(l, s, 0, NULL);
    return;
  }
  if (type == S_IFDIR) {
    if (d == NULL) {
      listing->work = true;
      /* A hidden folder a cut-short run made for it is taken up where it stopped (see find_adoptions). */
      if (l->adopts && l->adopts[si] != NONE) {
        char hidden[HIDDEN_NAME_SIZE];
        hidden_name(record_name(s), record_name_length(s), hidden);
        add_subfolder(l, s, FOLDER_ON_DEST | FOLDER_HIDDEN | FOLDER_TEMP_ROOT, hidden);
      } else {
        add_subfolder(l, s, p->hidden ? FOLDER_HIDDEN : 0, NULL);
      }
      return;
    }
    bool settled = (!mapped || !has_access_acl(s)) && same_attributes(config->flags, config->granularity, s, d, mode, false);
    if (!settled) listing->work = true;
    add_subfolder(l, s, FOLDER_ON_DEST | (settled ? FOLDER_SETTLED : 0) | (p->hidden ? FOLDER_HIDDEN : 0), NULL);
    return;
  }
  if (type == S_IFLNK) {
    bool same = d != NULL && get_u16(s + 90) == get_u16(d + 90) &&
                memcmp(s + RECORD_HEADER + record_name_length(s), d + RECORD_HEADER + record_name_length(d), get_u16(s + 90)) == 0 &&
                same_ns(get_i64(s + 72), get_i64(d + 72), config->granularity) &&
                (!(config->flags & PAIR_COMPARE_OWNER) || (get_u32(s + 8) == get_u32(d + 8) && get_u32(s + 12) == get_u32(d + 12))) &&
                same_xattrs(s, d);
    if (same) return;
    listing->work = true;
    add_item(l, si, di, A_LINK, mode);
    return;
  }
  /* A regular file with one name. */
  uint64_t size = get_u64(s + 32);
  listing->found_files++;
  listing->found_bytes += size;
  bool up_to_date = d != NULL && get_u64(d + 32) == size && same_ns(get_i64(s + 72), get_i64(d + 72), config->granularity);
  uint8_t action = 0;
  if (!up_to_date) {
    action = A_COPY;
    listing->copy_files++;
    listing->copy_bytes += size;
  } else {
    listing->equal_files++;
    if ((config->flags & PAIR_CHECKSUM) || (config->suspect && get_i64(d + 80) >= config->suspect_since)) action = A_COMPARE;
    else if (!same_attributes(config->flags, config->granularity, s, d, mode, true)) action = A_FIX;
  }
  if (action == 0) return;
  listing->work = true;
  /* A fix sets exactly the source's xattrs, and a compare may end in one: both must be known. */
  if (action != A_COPY) complete_xattrs(l, si, di, true);
  add_item(l, si, di, action, mode);
}

/*
 * Makes the subfolders the destination lacks (mode 0700 until they are finished): in a visible folder
 * under a temp name, hidden until all of it is complete; in a hidden one under its own name. One that
 * cannot be made is a failure, and not walked.
 */
static void create_subfolders(lister *l) {
  pair_listing *listing = l->listing;
  size_t kept = 0;
  for (size_t i = 0; i < listing->subfolder_count; i++) {
    subfolder *sub = &listing->subfolders[i];
    if (sub->flags & FOLDER_ON_DEST) {
      listing->subfolders[kept++] = *sub;
      continue;
    }
    const char *slash = strrchr(sub->rel, '/');
    const char *name = slash ? slash + 1 : sub->rel;
    const char *made = name;
    char hidden[HIDDEN_NAME_SIZE];
    int done = -1;
    if (!l->pair->hidden) {
      hidden_name(name, strlen(name), hidden);
      done = mkdirat(l->pair->dst_fd, hidden, 0700);
      if (done == 0) made = hidden;
    }
    /* Inside a hidden folder, or where the hidden name is taken: under its own name. */
    if (done != 0) done = mkdirat(l->pair->dst_fd, name, 0700);
    if (done == 0) {
      sub->flags |= FOLDER_CREATED | (made == hidden ? FOLDER_HIDDEN | FOLDER_TEMP_ROOT : l->pair->hidden ? FOLDER_HIDDEN : 0);
      if (made == hidden) {
        char *dst_rel = child_rel(l->pair->dst_rel, hidden, strlen(hidden));
        if (dst_rel == NULL) {
          l->memory = true;
          continue;
        }
        free(sub->dst_rel);
        sub->dst_rel = dst_rel;
      }
      listing->created++;
      listing->subfolders[kept++] = *sub;
    } else {
      unsigned char record[RECORD_HEADER];
      memset(record, 0, sizeof record);
      put_u32(record, RECORD_HEADER);
      put_u32(record + 20, (uint32_t)errno);
      if (!record_copy_at(l->records, record, sub->rel, WHAT_MKDIR | ((uint32_t)ROLE_FAILED << RECORD_ROLE_SHIFT) | REC_FROM_DESTINATION)) l->memory = true;
      free(sub->rel);
      free(sub->dst_rel);
    }
  }
  listing->subfolder_count = kept;
}

/* The folder itself could not be opened or listed: a failure record naming it, with why. */
static void folder_failed(lister *l, int err, bool destination) {
  unsigned char record[RECORD_HEADER];
  memset(record, 0, sizeof record);
  put_u32(record, RECORD_HEADER);
  put_u32(record + 20, (uint32_t)err);
  uint32_t flags = WHAT_LIST | ((uint32_t)ROLE_FAILED << RECORD_ROLE_SHIFT) | (destination ? REC_FROM_DESTINATION : 0);
  if (!record_copy_at(l->records, record, l->pair->rel, flags)) l->memory = true;
  l->listing->work = true;
}

static char *join_path(const char *root, const char *rel) {
  size_t root_length = strlen(root), rel_length = strlen(rel);
  char *out = malloc(root_length + rel_length + 2);
  if (out == NULL) return NULL;
  memcpy(out, root, root_length);
  size_t at = root_length;
  if (rel_length) out[at++] = '/';
  memcpy(out + at, rel, rel_length + 1);
  return out;
}

folder_pair *pair_list(const pair_config *config, const char *rel, const char *dst_rel, int folder, bytes *records, pair_listing *listing) {
  memset(listing, 0, sizeof *listing);
  folder_pair *p = calloc(1, sizeof *p);
  lister l = {.config = config, .pair = p, .listing = listing, .records = records};
  if (p == NULL || (p->rel = strdup(rel)) == NULL || (p->dst_rel = strdup(dst_rel)) == NULL) {
    if (p) free(p->rel);
    free(p);
    return NULL;
  }
  p->hidden = folder & FOLDER_HIDDEN;
  p->refs = 1;
  p->src_fd = p->dst_fd = -1;
  p->inherits = -1;
  p->granularity = config->granularity;
  p->flags = config->flags;
  p->src_path = join_path(config->src_root, rel);
  p->dst_path = join_path(config->dst_root, dst_rel);
  const char *skip = rel[0] == '\0' ? config->skip : NULL;
  bool on_dest = folder & FOLDER_ON_DEST;
  bool copying = config->flags & PAIR_COPY;
  if (p->src_path == NULL || p->dst_path == NULL) goto memory;
  p->src_fd = open_folder(config->src_root_fd, config->src_root, rel, p->src_path);
  if (p->src_fd < 0) {
    folder_failed(&l, errno, false);
    goto done;
  }
  if (on_dest || copying) {
    p->dst_fd = open_folder(config->dst_root_fd, config->dst_root, dst_rel, p->dst_path);
    if (p->dst_fd < 0) {
      folder_failed(&l, errno, true);
      goto done;
    }
    struct stat dir;
    if (copying && fstat(p->dst_fd, &dir) == 0) {
      p->defaults = (struct folder_defaults){.uid = geteuid(), .gid = (dir.st_mode & S_ISGID) ? dir.st_gid : getegid()};
      p->defaults_known = true;
    }
  }
  /* The source's xattrs are compared only where the destination has entries to compare with. */
  /* A folder this walk made holds nothing yet: its source entries' types are all the copy needs (the survey counted them). */
  bool types_only = copying && !on_dest && (folder & FOLDER_CREATED);
  int leave_out = COPY_LEAVE_OUT(config->sync_flags);
  if (listing_read(p->src_fd, p->src_path, on_dest ? XATTRS_ALL : XATTRS_NONE, config->src_xattrs_after, leave_out, types_only, skip, &p->src) != 0) {
    if (p->src.err == ENOMEM) goto memory;
    folder_failed(&l, p->src.err, false);
    goto done;
  }
  if (on_dest && listing_read(p->dst_fd, p->dst_path, XATTRS_ALL, config->dst_xattrs_after, leave_out, false, skip, &p->dst) != 0) {
    if (p->dst.err == ENOMEM) goto memory;
    folder_failed(&l, p->dst.err, true);
    goto done;
  }
  /* The folder's own attributes, for the copying walk to set at the end. */
  const char *syscall = "fstat";
  int err = copying ? record_append_self(&p->self, p->src_fd, true, leave_out, 0, &syscall) : 0;
  if (err) {
    if (err == ENOMEM) goto memory;
    folder_failed(&l, err, false);
    goto done;
  }
  if (!find_adoptions(&l)) goto memory;
  /* Both listings are in name order: walk them together. */
  size_t i = 0, j = 0;
  while (!l.memory && (i < p->src.count || j < p->dst.count)) {
    int order = i >= p->src.count ? 1 : j >= p->dst.count ? -1 : record_compare_names(listing_record(&p->src, i), listing_record(&p->dst, j));
    if (order < 0) {
      classify(&l, (uint32_t)i++, NONE);
    } else if (order > 0) {
      /* A destination entry the source does not have. */
      const unsigned char *d = listing_record(&p->dst, j++);
      listing->work = true;
      if (l.adopted == NULL || !l.adopted[j - 1]) emit(&l, d, is_temp_name(d) ? ROLE_STALE : ROLE_EXTRA, 0);
    } else {
      classify(&l, (uint32_t)i++, (uint32_t)j++);
    }
  }
  if (l.memory) goto memory;
  if (copying) create_subfolders(&l);
  if (l.memory) goto memory;
  listing->items = (uint32_t)p->item_count;
  if (copying) {
    free(l.adopted);
    free(l.adopts);
    return p;
  }
  goto done;
memory:
  /* Reported as the folder's failure: nothing of it is walked. */
  folder_failed(&l, ENOMEM, false);
done:
  free(l.adopted);
  free(l.adopts);
  pair_unref(p);
  return NULL;
}

void pair_listing_free(pair_listing *listing) {
  for (size_t i = 0; i < listing->subfolder_count; i++) {
    free(listing->subfolders[i].rel);
    free(listing->subfolders[i].dst_rel);
  }
  free(listing->subfolders);
  listing->subfolders = NULL;
  listing->subfolder_count = 0;
}

/* ---- syncing ----------------------------------------------------------------------------- */

typedef struct {
  folder_pair *pair;
  const pair_config *config;
  pair_work *work;
  char rel[MAX_REL + 1];
} syncer;

static void note_at(syncer *y, uint16_t kind, uint16_t action, int err, const char *syscall, const char *detail, const char *path) {
  pair_work *work = y->work;
  size_t rel_length = strlen(y->rel);
  size_t syscall_length = syscall ? strlen(syscall) : 0;
  size_t detail_length = detail ? strlen(detail) : 0;
  size_t path_length = path ? strlen(path) : 0;
  if (path_length > 0xFFFF) path_length = 0xFFFF;
  size_t length = 20 + rel_length + syscall_length + detail_length + path_length;
  if (!bytes_reserve(&work->notes, length)) {
    work->memory = true;
    return;
  }
  unsigned char *at = work->notes.data + work->notes.length;
  put_u32(at, (uint32_t)length);
  put_u16(at + 4, kind);
  put_u16(at + 6, action);
  put_u32(at + 8, (uint32_t)err);
  put_u16(at + 12, (uint16_t)rel_length);
  put_u16(at + 14, (uint16_t)syscall_length);
  put_u16(at + 16, (uint16_t)detail_length);
  put_u16(at + 18, (uint16_t)path_length);
  unsigned char *cursor = at + 20;
  memcpy(cursor, y->rel, rel_length);
  cursor += rel_length;
  if (syscall_length) memcpy(cursor, syscall, syscall_length);
  cursor += syscall_length;
  if (detail_length) memcpy(cursor, detail, detail_length);
  cursor += detail_length;
  if (path_length) memcpy(cursor, path, path_length);
  work->notes.length += length;
  work->note_count++;
}

static void note(syncer *y, uint16_t kind, uint16_t action, const char *detail) {
  note_at(y, kind, action, 0, NULL, detail, NULL);
}

/* An entry written without the source's attributes or owner of the kinds `left_out` (none: nothing to say). */
static void note_left_out(syncer *y, uint16_t action, int left_out) {
  if (left_out == 0) return;
  char kinds[32];
  snprintf(kinds, sizeof kinds, "%s%s%s", (left_out & LEAVE_OUT_XATTRS) ? "xattrs," : "", (left_out & LEAVE_OUT_ACLS) ? "acls," : "",
           (left_out & LEAVE_OUT_OWNERS) ? "owners," : "");
  kinds[strlen(kinds) - 1] = '\0'; /* the last comma */
  note(y, K_LEFT_OUT, action, kinds);
}

/* Full paths for messages: folder path, '/', name. */
static void join(char *out, size_t size, const char *folder, const char *name) {
  snprintf(out, size, "%s/%s", folder, name);
}

/* Copies a file, again while it keeps changing (not in a final pass) and once more after a bad read-back. */
static void copy_item(syncer *y, const work_item *item, const unsigned char *s, const char *name) {
  folder_pair *p = y->pair;
  pair_work *work = y->work;
  int sync_flags = y->config->sync_flags;
  char src_path[4352], dst_path[4352];
  join(src_path, sizeof src_path, p->src_path, name);
  join(dst_path, sizeof dst_path, p->dst_path, name);
  file_copy c = {
      .src_dir = p->src_fd, .src_name = name, .src_path = src_path,
      .dst_dir = p->dst_fd, .dst_name = name, .dst_path = dst_path,
      .flags = (sync_flags & (COPY_VERIFY | COPY_VERIFY_STORAGE | COPY_AS_ROOT | COPY_WRITE_BACK | COPY_LEAVE_OUT_FLAGS)) | COPY_REFUSE_LINKED |
               (p->hidden && item->d == NONE ? COPY_IN_HIDDEN_FOLDER : 0) | ((sync_flags & SYNC_STABLE) ? COPY_SAME_NAME : 0),
      .granularity = p->granularity, .control = &y->config->control, .mode = item->mode, .no_unnamed = &p->no_unnamed,
      .defaults = p->defaults_known ? &p->defaults : NULL, .inherits = &p->inherits,
  };
  bool stable = sync_flags & SYNC_STABLE;
  bool mismatched = false;
  char mismatch[160] = "";
  for (int changes = 0;;) {
    file_copy_run(&c);
    if (c.err) {
      if (c.err == ECANCELED) work->stopped = true;
      else note_at(y, K_FAILED, A_COPY, c.err, c.syscall, c.problem[0] ? c.problem : NULL, c.err_path);
      break;
    }
    if (c.outcome == OUT_COPIED) {
      work->files++;
      work->bytes += (uint64_t)c.before.st_size;
      if (sync_flags & COPY_VERIFY) {
        work->verified++;
        if (c.read_back == READ_BACK_DIRECT) work->verified_direct++;
        else if (c.read_back == READ_BACK_DROPPED) work->verified_dropped++;
      }
      work->touched = true;
      bool as_listed = type_only(s) || ((uint64_t)c.before.st_size == get_u64(s + 32) && same_ns(ns_of(c.before.st_mtim), get_i64(s + 72), p->granularity));
      if (!as_listed) note(y, K_UPDATED, A_COPY, NULL);
      note_left_out(y, A_COPY, c.left_out);
      break;
    }
    if (c.outcome == OUT_VANISHED) {
      note(y, K_VANISHED, A_COPY, NULL);
      break;
    }
    if (c.outcome == OUT_ATTRIBUTES) {
      note(y, K_ATTRIBUTES, A_COPY, c.problem);
      break;
    }
    if (c.outcome == OUT_MISMATCH) {
      char detail[400];
      if (mismatched) {
        snprintf(detail, sizeof detail, "source %s, destination %s; on the attempt before, destination %s", c.source_digest, c.destination_digest, mismatch);
        note(y, K_MISMATCH, A_COPY, detail);
        break;
      }
      mismatched = true;
      snprintf(mismatch, sizeof mismatch, "%s", c.destination_digest);
      continue;
    }
    /* A file with other names, which the listing did not know (its type alone was read): for the planner. */
    if (c.outcome == OUT_LINKED && type_only(s)) {
      note(y, K_LINKED, A_COPY, NULL);
      break;
    }
    /* OUT_CHANGED, or OUT_LINKED: it has other names now, which the next pass plans as a hard link. */
    if (stable || ++changes >= MAX_ATTEMPTS) {
      note(y, K_CHANGED, A_COPY, NULL);
      break;
    }
  }
  /* The survey counted what the listing saw; a size that moved since changes the total (not known of a type-only entry). */
  if (!type_only(s)) work->adjust += c.progressed - (int64_t)get_u64(s + 32);
  control_add(&y->config->control, CONTROL_FILES, 1);
}

/* Hashes both sides (without moving either's atime); false with *err set when one cannot be read. */
static bool differs_by_content(syncer *y, const char *name, int *err, const char **syscall) {
  folder_pair *p = y->pair;
  char digests[2][33];
  int64_t sizes[2];
  for (int side = 0; side < 2; side++) {
    int fd = open_for_reading_at(side == 0 ? p->src_fd : p->dst_fd, name);
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
    /* The source's reads are paced; both sides stop on the run's flag. */
    control_block unpaced = y->config->control;
    if (unpaced.count > CONTROL_RATE) unpaced.count = CONTROL_RATE;
    *err = hash_fd(fd, st.st_size, digests[side], &sizes[side], syscall, side == 0 ? &y->config->control : &unpaced);
    close(fd);
    if (*err) return false;
  }
  return sizes[0] != sizes[1] || strcmp(digests[0], digests[1]) != 0;
}

static entry_copy entry_of(syncer *y, const char *name, char *src_path, char *dst_path) {
  folder_pair *p = y->pair;
  join(src_path, 4352, p->src_path, name);
  join(dst_path, 4352, p->dst_path, name);
  return (entry_copy){
      .src_dir = p->src_fd, .src_name = name, .src_path = src_path, .dst_dir = p->dst_fd, .dst_name = name, .dst_path = dst_path,
      .flags = y->config->sync_flags & (COPY_VERIFY | COPY_AS_ROOT | COPY_LEAVE_OUT_FLAGS), .granularity = p->granularity,
  };
}

static void fix_item(syncer *y, const work_item *item, const unsigned char *s, const char *name) {
  char src_path[4352], dst_path[4352];
  entry_copy e = entry_of(y, name, src_path, dst_path);
  attributes_fix_run(&e, s, item->mode);
  if (e.err) note_at(y, K_FAILED, A_FIX, e.err, e.syscall, e.problem[0] ? e.problem : NULL, e.err_path);
  else if (e.outcome == OUT_ATTRIBUTES) note(y, K_ATTRIBUTES, A_FIX, e.problem);
  else {
    y->work->fixed++;
    note_left_out(y, A_FIX, e.left_out);
  }
}

static void link_item(syncer *y, const unsigned char *s, const char *name) {
  char src_path[4352], dst_path[4352];
  entry_copy e = entry_of(y, name, src_path, dst_path);
  symlink_copy_run(&e, s);
  if (e.err) note_at(y, K_FAILED, A_LINK, e.err, e.syscall, e.problem[0] ? e.problem : NULL, e.err_path);
  else if (e.outcome == OUT_ATTRIBUTES) note(y, K_ATTRIBUTES, A_LINK, e.problem);
  else if (e.outcome == OUT_VANISHED) note(y, K_VANISHED, A_LINK, NULL);
  else if (e.outcome == OUT_CHANGED) note(y, K_CHANGED, A_LINK, NULL);
  else {
    y->work->links++;
    y->work->touched = true;
    if (e.updated) note(y, K_UPDATED, A_LINK, NULL);
    note_left_out(y, A_LINK, e.left_out);
  }
}

void pair_sync(folder_pair *p, const pair_config *config, pair_work *work) {
  syncer y = {.pair = p, .config = config, .work = work};
  for (;;) {
    if (control_stopped(&config->control)) {
      work->stopped = true;
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
    size_t rel_length = strlen(p->rel);
    if (rel_length + 1 + length > MAX_REL) {
      /* Cannot be named in a note (too deep): reported as the folder's. */
      snprintf(y.rel, sizeof y.rel, "%s", p->rel);
      note_at(&y, K_FAILED, item->action, ENAMETOOLONG, "copy", NULL, NULL);
      continue;
    }
    memcpy(y.rel, p->rel, rel_length);
    size_t at = rel_length;
    if (rel_length) y.rel[at++] = '/';
    memcpy(y.rel + at, name, length + 1);
    switch (item->action) {
      case A_COPY:
        copy_item(&y, item, s, name);
        break;
      case A_COMPARE: {
        int err = 0;
        const char *syscall = NULL;
        bool differs = differs_by_content(&y, name, &err, &syscall);
        if (err == ECANCELED) {
          work->stopped = true;
        } else if (err) {
          note_at(&y, K_FAILED, A_COMPARE, err, syscall, NULL, NULL);
        } else if (differs) {
          work->differed++;
          /* Counted as equal when listed: its bytes join the total now. */
          work->adjust += (int64_t)get_u64(s + 32);
          copy_item(&y, item, s, name);
        } else {
          const unsigned char *d = listing_record(&p->dst, item->d);
          if (!same_attributes(config->flags, config->granularity, s, d, item->mode, true)) fix_item(&y, item, s, name);
        }
        break;
      }
      case A_FIX:
        fix_item(&y, item, s, name);
        break;
      case A_LINK:
        link_item(&y, s, name);
        break;
    }
    if (work->memory) break;
  }
}
