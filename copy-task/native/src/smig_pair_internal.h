/*
 * What smig_pair.c (listing and classifying a folder pair) and smig_pair_sync.c (doing its work) share:
 * the pair itself, its work items, and the comparisons both make. Not for other files.
 */
#ifndef SMIG_PAIR_INTERNAL_H
#define SMIG_PAIR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "smig_pair.h"

#define NONE UINT32_MAX

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

/* `rel` + "/" + `name`, or `name` alone at the root; NULL without memory. */
char *pair_child_rel(const char *rel, const char *name, size_t name_length);

/* Mode, owner (when compared), mtime, atime (when asked) and extended attributes, as plan.ts compares them. */
bool pair_same_attributes(int flags, int64_t granularity, const unsigned char *s, const unsigned char *d, int mode, bool with_atime);

/* The record knows its entry by type alone (RECORD_TYPE_ONLY). */
bool record_type_only(const unsigned char *record);

#endif
