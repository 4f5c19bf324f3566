/*
 * One folder pair listed and paired by name (smig_pair.h, pair_list), each entry classified by
 * smig_pair_classify.c; its work is done by smig_pair_sync.c.
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

char *pair_child_rel(const char *rel, const char *name, size_t name_length) {
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

void hidden_name(const char *token, size_t token_length, const char *name, size_t length, char out[HIDDEN_NAME_SIZE]) {
  static const char HEX[] = "0123456789abcdef";
  uint64_t hash = XXH3_64bits(name, length);
  if (token_length > TEMP_TOKEN_LENGTH) token_length = TEMP_TOKEN_LENGTH;
  size_t at = sizeof TEMP_PREFIX - 1;
  memcpy(out, TEMP_PREFIX, at);
  memcpy(out + at, token, token_length);
  at += token_length;
  out[at++] = 'd';
  for (int i = 0; i < 16; i++) out[at++] = HEX[(hash >> (60 - 4 * i)) & 15];
  out[at] = '\0';
}

bool record_copy_at(bytes *out, const unsigned char *record, const char *rel, uint32_t flags) {
  size_t rel_length = strlen(rel);
  size_t name_length = record_name_length(record);
  size_t path_length = rel_length + (rel_length && name_length ? 1 : 0) + name_length;
  size_t old_length = get_u32(record);
  if (old_length - name_length + path_length > UINT32_MAX) return false;
  size_t length = old_length - name_length + path_length;
  if (!bytes_reserve(out, length)) return false;
  unsigned char *at = out->data + out->length;
  memcpy(at, record, RECORD_HEADER);
  put_u32(at, (uint32_t)length);
  put_u32(at + 24, flags);
  put_u32(at + 88, (uint32_t)path_length);
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

/*
 * Opens `rel` beneath `root` (smig_beneath.c: a part at a time, however deep, never following a link
 * on the way): a folder swapped for a link while the copy runs cannot lead it outside either tree.
 */
static int open_folder(int root_fd, const char *root, const char *rel) {
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
  if (rel[0] == '\0') return open(root, flags);
  if (root_fd < 0) {
    /* The root could not be opened: its own listing says why. */
    errno = EBADF;
    return -1;
  }
  return open_beneath(root_fd, rel, flags);
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
      hidden_name(temp_token(), TEMP_TOKEN_LENGTH, name, strlen(name), hidden);
      done = mkdirat(l->pair->dst_fd, hidden, 0700);
      if (done == 0) made = hidden;
    }
    /* Inside a hidden folder, or where the hidden name is taken: under its own name. */
    if (done != 0) done = mkdirat(l->pair->dst_fd, name, 0700);
    if (done == 0) {
      sub->flags |= FOLDER_CREATED | (made == hidden ? FOLDER_HIDDEN | FOLDER_TEMP_ROOT : l->pair->hidden ? FOLDER_HIDDEN : 0);
      if (made == hidden) {
        char *dst_rel = pair_child_rel(l->pair->dst_rel, hidden, strlen(hidden));
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

/*
 * The source folder is gone (ENOENT), or something else stands at its name (ENOTDIR: a file or a
 * link that O_NOFOLLOW refused; ELOOP: a link on the way): the share changed under the walk, which is
 * not a failure. Recorded (ROLE_MOVED) for the engine to note, and nothing of it is walked.
 */
static bool source_moved(lister *l, int err) {
  if (l->pair->rel[0] == '\0' || (err != ENOENT && err != ENOTDIR && err != ELOOP)) return false;
  unsigned char record[RECORD_HEADER];
  memset(record, 0, sizeof record);
  put_u32(record, RECORD_HEADER);
  put_u32(record + 20, (uint32_t)err);
  if (!record_copy_at(l->records, record, l->pair->rel, (uint32_t)ROLE_MOVED << RECORD_ROLE_SHIFT)) l->memory = true;
  l->listing->source_moved = err;
  l->listing->work = true;
  return true;
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
  p->src_fd = open_folder(config->src_root_fd, config->src_root, rel);
  if (p->src_fd < 0) {
    int err = errno;
    if (!source_moved(&l, err)) folder_failed(&l, err, false);
    if (l.memory) goto memory;
    goto done;
  }
  if (on_dest || copying) {
    p->dst_fd = open_folder(config->dst_root_fd, config->dst_root, dst_rel);
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
    /* ENOENT: the folder was removed between its opening and its listing (getdents on a dead folder). */
    if (!source_moved(&l, p->src.err)) folder_failed(&l, p->src.err, false);
    if (l.memory) goto memory;
    goto done;
  }
  listing->source_max_ctime = p->src.max_ctime;
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
  if (!pair_find_adoptions(&l)) goto memory;
  /* Both listings are in name order: walk them together. */
  size_t i = 0, j = 0;
  while (!l.memory && (i < p->src.count || j < p->dst.count)) {
    int order = i >= p->src.count ? 1 : j >= p->dst.count ? -1 : record_compare_names(listing_record(&p->src, i), listing_record(&p->dst, j));
    if (order < 0) {
      pair_classify(&l, (uint32_t)i++, NONE);
    } else if (order > 0) {
      /* A destination entry the source does not have. */
      const unsigned char *d = listing_record(&p->dst, j++);
      listing->work = true;
      if (l.adopted == NULL || !l.adopted[j - 1]) pair_emit(&l, d, pair_is_stale_temp(config, d) ? ROLE_STALE : ROLE_EXTRA, 0);
    } else {
      pair_classify(&l, (uint32_t)i++, (uint32_t)j++);
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

