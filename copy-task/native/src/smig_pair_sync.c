/*
 * A folder pair's work (smig_pair.h, pair_sync): files copied, compared by content, given their
 * attributes, links made again; several threads on one pair, each taking the next entry. Each records
 * only what went wrong or differs from the listing, as notes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "smig_content.h"
#include "smig_entries.h"
#include "smig_pair.h"
#include "smig_pair_internal.h"

#define MAX_ATTEMPTS 3

/* One thread's work on a pair; the entry at hand's path relative to the roots, and its full paths for messages. */
typedef struct {
  folder_pair *pair;
  const pair_config *config;
  pair_work *work;
  char *rel;
  char *src_path;
  char *dst_path;
} syncer;

static void note_at(syncer *y, uint16_t kind, uint16_t action, int err, const char *syscall, const char *detail, const char *path) {
  pair_work *work = y->work;
  size_t rel_length = strlen(y->rel);
  size_t syscall_length = syscall ? strlen(syscall) : 0;
  size_t detail_length = detail ? strlen(detail) : 0;
  size_t path_length = path ? strlen(path) : 0;
  if (syscall_length > 0xFFFF) syscall_length = 0xFFFF;
  if (detail_length > 0xFFFF) detail_length = 0xFFFF;
  size_t length = NOTE_HEADER + rel_length + syscall_length + detail_length + path_length;
  if (length > UINT32_MAX || !bytes_reserve(&work->notes, length)) {
    work->memory = true;
    return;
  }
  unsigned char *at = work->notes.data + work->notes.length;
  put_u32(at, (uint32_t)length);
  put_u16(at + 4, kind);
  put_u16(at + 6, action);
  put_u32(at + 8, (uint32_t)err);
  put_u32(at + 12, (uint32_t)rel_length);
  put_u16(at + 16, (uint16_t)syscall_length);
  put_u16(at + 18, (uint16_t)detail_length);
  put_u32(at + 20, (uint32_t)path_length);
  unsigned char *cursor = at + NOTE_HEADER;
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

/* A full path for messages: folder path, '/', name; NULL without memory. */
static char *joined(const char *folder, const char *name) {
  size_t folder_length = strlen(folder), name_length = strlen(name);
  char *out = malloc(folder_length + 1 + name_length + 1);
  if (out == NULL) return NULL;
  memcpy(out, folder, folder_length);
  out[folder_length] = '/';
  memcpy(out + folder_length + 1, name, name_length + 1);
  return out;
}

/* Copies a file, again while it keeps changing (not in a final pass) and once more after a bad read-back. */
static void copy_item(syncer *y, const work_item *item, const unsigned char *s, const char *name) {
  folder_pair *p = y->pair;
  pair_work *work = y->work;
  int sync_flags = y->config->sync_flags;
  file_copy c = {
      .src_dir = p->src_fd, .src_name = name, .src_path = y->src_path,
      .dst_dir = p->dst_fd, .dst_name = name, .dst_path = y->dst_path,
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
      bool as_listed = record_type_only(s) || ((uint64_t)c.before.st_size == get_u64(s + 32) && same_ns(ns_of(c.before.st_mtim), get_i64(s + 72), p->granularity));
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
    if (c.outcome == OUT_LINKED && record_type_only(s)) {
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
  if (!record_type_only(s)) work->adjust += c.progressed - (int64_t)get_u64(s + 32);
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

static entry_copy entry_of(syncer *y, const char *name) {
  folder_pair *p = y->pair;
  return (entry_copy){
      .src_dir = p->src_fd, .src_name = name, .src_path = y->src_path, .dst_dir = p->dst_fd, .dst_name = name, .dst_path = y->dst_path,
      .flags = y->config->sync_flags & (COPY_VERIFY | COPY_AS_ROOT | COPY_LEAVE_OUT_FLAGS), .granularity = p->granularity,
  };
}

static void fix_item(syncer *y, const work_item *item, const unsigned char *s, const char *name) {
  entry_copy e = entry_of(y, name);
  attributes_fix_run(&e, s, item->mode);
  if (e.err) note_at(y, K_FAILED, A_FIX, e.err, e.syscall, e.problem[0] ? e.problem : NULL, e.err_path);
  else if (e.outcome == OUT_ATTRIBUTES) note(y, K_ATTRIBUTES, A_FIX, e.problem);
  else {
    y->work->fixed++;
    note_left_out(y, A_FIX, e.left_out);
  }
}

static void link_item(syncer *y, const unsigned char *s, const char *name) {
  entry_copy e = entry_of(y, name);
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
    char name[NAME_MAX + 1];
    size_t length = record_name_length(s);
    if (length > NAME_MAX) length = NAME_MAX; /* a listing's names are at most NAME_MAX bytes (getdents) */
    memcpy(name, record_name(s), length);
    name[length] = '\0';
    y.rel = pair_child_rel(p->rel, name, length);
    y.src_path = joined(p->src_path, name);
    y.dst_path = joined(p->dst_path, name);
    if (y.rel == NULL || y.src_path == NULL || y.dst_path == NULL) {
      work->memory = true;
      free(y.rel);
      free(y.src_path);
      free(y.dst_path);
      break;
    }
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
          if (!pair_same_attributes(config->flags, config->granularity, s, d, item->mode, true)) fix_item(&y, item, s, name);
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
    free(y.rel);
    free(y.src_path);
    free(y.dst_path);
    if (work->memory) break;
  }
}
