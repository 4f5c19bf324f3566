/*
 * A folder pair's entries compared and classified (smig_pair.c lists the pair and calls classify for
 * each entry by name): equal, to copy, to compare by content, to fix attributes of, a link to make, a
 * leftover; hidden folders of an earlier run taken up again; subfolders noted to walk.
 */
#include "smig_pair.h"
#include "smig_pair_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smig_beneath.h"
#include "smig_entries.h"
#include "smig_hash.h"

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
  char *path = pair_child_rel(rel, record_name(record), record_name_length(record));
  /* Without memory to look it up, the mode lstat shows (a later pass sets the recorded one). */
  if (path == NULL) return shown;
  int mode = pair_mode_at(config, path, strlen(path), shown);
  free(path);
  return mode;
}

static const unsigned char *xattrs_of(const unsigned char *record) {
  return record_target(record) + record_target_length(record);
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

bool pair_same_attributes(int flags, int64_t granularity, const unsigned char *s, const unsigned char *d, int mode, bool with_atime) {
  if ((int)(record_mode(d) & 07777) != mode) return false;
  if ((flags & PAIR_COMPARE_OWNER) && (get_u32(s + 8) != get_u32(d + 8) || get_u32(s + 12) != get_u32(d + 12))) return false;
  if (!same_ns(get_i64(s + 72), get_i64(d + 72), granularity)) return false;
  if (with_atime && !same_ns(get_i64(s + 64), get_i64(d + 64), granularity)) return false;
  return same_xattrs(s, d);
}

bool record_type_only(const unsigned char *record) {
  return (get_u32(record + 24) & RECORD_TYPE_ONLY) != 0;
}

/* The entry is named as an earlier run named what it made up (see pair_config.tokens); only for entries the source does not have. */
bool pair_is_stale_temp(const pair_config *config, const unsigned char *record) {
  size_t prefix = sizeof TEMP_PREFIX - 1, length = record_name_length(record);
  const char *name = record_name(record);
  if (length < prefix || memcmp(name, TEMP_PREFIX, prefix) != 0) return false;
  for (size_t i = 0; i < config->token_count; i++) {
    const run_token *token = &config->tokens[i];
    if (length >= prefix + token->length && memcmp(name + prefix, token->text, token->length) == 0) return true;
  }
  return false;
}

/* ---- listing ----------------------------------------------------------------------------- */

void pair_emit(lister *l, const unsigned char *record, uint32_t role, uint32_t extra) {
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
  char *rel = pair_child_rel(l->pair->rel, record_name(record), record_name_length(record));
  char *dst_rel = dst_name ? pair_child_rel(l->pair->dst_rel, dst_name, strlen(dst_name))
                           : pair_child_rel(l->pair->dst_rel, record_name(record), record_name_length(record));
  if (rel == NULL || dst_rel == NULL) {
    free(rel);
    free(dst_rel);
    l->memory = true;
    return;
  }
  listing->subfolders[listing->subfolder_count++] = (subfolder){.rel = rel, .dst_rel = dst_rel, .flags = flags};
}

/* The index of the entry named `name` in a listing, or NONE (the listing is in name order). */
static uint32_t find_in(const listing *l, const char *name, size_t length) {
  size_t low = 0, high = l->count;
  while (low < high) {
    size_t middle = (low + high) / 2;
    const unsigned char *record = listing_record(l, middle);
    size_t other = record_name_length(record);
    int order = memcmp(record_name(record), name, other < length ? other : length);
    if (order == 0) order = other < length ? -1 : other > length ? 1 : 0;
    if (order == 0) return (uint32_t)middle;
    if (order < 0) low = middle + 1;
    else high = middle;
  }
  return NONE;
}

static uint32_t find_destination(const folder_pair *p, const char *name, size_t length) {
  return find_in(&p->dst, name, length);
}

/*
 * The hidden folders a cut-short run left here (`.smig-tmp-<its token>d<hash>`), each matched with the
 * source folder it was made for, before the two listings are paired (its name may sort before or after
 * that folder's). A name the source has too is the share's own entry, never taken up. False without memory.
 */
bool pair_find_adoptions(lister *l) {
  folder_pair *p = l->pair;
  const pair_config *config = l->config;
  bool any = false;
  for (size_t k = 0; k < p->dst.count && !any; k++) any = pair_is_stale_temp(config, listing_record(&p->dst, k));
  if (!any || p->hidden) return true;
  l->adopted = calloc(p->dst.count, sizeof *l->adopted);
  l->adopts = malloc((p->src.count ? p->src.count : 1) * sizeof *l->adopts);
  if (l->adopted == NULL || l->adopts == NULL) return false;
  for (size_t i = 0; i < p->src.count; i++) {
    l->adopts[i] = NONE;
    const unsigned char *s = listing_record(&p->src, i);
    if (!S_ISDIR(record_mode(s)) || get_u32(s + 20) != 0) continue;
    if (find_destination(p, record_name(s), record_name_length(s)) != NONE) continue;
    for (size_t t = 0; t < config->token_count && l->adopts[i] == NONE; t++) {
      char hidden[HIDDEN_NAME_SIZE];
      hidden_name(config->tokens[t].text, config->tokens[t].length, record_name(s), record_name_length(s), hidden);
      size_t length = strlen(hidden);
      uint32_t d = find_destination(p, hidden, length);
      if (d == NONE || l->adopted[d] || find_in(&p->src, hidden, length) != NONE) continue;
      if (!S_ISDIR(record_mode(listing_record(&p->dst, d))) || get_u32(listing_record(&p->dst, d) + 20) != 0) continue;
      l->adopted[d] = true;
      l->adopts[i] = d;
    }
  }
  return true;
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
void pair_classify(lister *l, uint32_t si, uint32_t di) {
  folder_pair *p = l->pair;
  const pair_config *config = l->config;
  pair_listing *listing = l->listing;
  complete_xattrs(l, si, di, false);
  const unsigned char *s = listing_record(&p->src, si);
  const unsigned char *d = di == NONE ? NULL : listing_record(&p->dst, di);
  if (get_u32(s + 20) != 0) {
    listing->work = true;
    /* ENOENT: gone since it was listed (its xattrs read late): the share changed, which is not a failure. */
    pair_emit(l, s, get_u32(s + 20) == ENOENT ? ROLE_MOVED : ROLE_FAILED, 0);
    return;
  }
  if (d && get_u32(d + 20) != 0) {
    listing->work = true;
    pair_emit(l, d, ROLE_FAILED, REC_FROM_DESTINATION);
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
    pair_emit(l, s, ROLE_DEFER_SOURCE, 0);
    if (d) pair_emit(l, d, ROLE_DEFER_DEST, 0);
    /* A folder where the destination has something else: the survey counts what is in it (the copying walk walks it once the planner has made it). */
    if (type == S_IFDIR && !(config->flags & PAIR_COPY)) add_subfolder(l, s, 0, NULL);
    return;
  }
  if (type == S_IFDIR) {
    if (d == NULL) {
      listing->work = true;
      /* A hidden folder a cut-short run made for it is taken up where it stopped (see find_adoptions). */
      if (l->adopts && l->adopts[si] != NONE) {
        /* Its name as found (with the token of the run that made it). */
        const unsigned char *found = listing_record(&p->dst, l->adopts[si]);
        char hidden[HIDDEN_NAME_SIZE];
        size_t length = record_name_length(found) < sizeof hidden ? record_name_length(found) : sizeof hidden - 1;
        memcpy(hidden, record_name(found), length);
        hidden[length] = '\0';
        add_subfolder(l, s, FOLDER_ON_DEST | FOLDER_HIDDEN | FOLDER_TEMP_ROOT, hidden);
      } else {
        add_subfolder(l, s, p->hidden ? FOLDER_HIDDEN : 0, NULL);
      }
      return;
    }
    bool settled = (!mapped || !has_access_acl(s)) && pair_same_attributes(config->flags, config->granularity, s, d, mode, false);
    if (!settled) listing->work = true;
    add_subfolder(l, s, FOLDER_ON_DEST | (settled ? FOLDER_SETTLED : 0) | (p->hidden ? FOLDER_HIDDEN : 0), NULL);
    return;
  }
  if (type == S_IFLNK) {
    bool same = d != NULL && record_target_length(s) == record_target_length(d) &&
                memcmp(record_target(s), record_target(d), record_target_length(s)) == 0 &&
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
    else if (!pair_same_attributes(config->flags, config->granularity, s, d, mode, true)) action = A_FIX;
  }
  if (action == 0) return;
  listing->work = true;
  /* A fix sets exactly the source's xattrs, and a compare may end in one: both must be known. */
  if (action != A_COPY) complete_xattrs(l, si, di, true);
  add_item(l, si, di, action, mode);
}
