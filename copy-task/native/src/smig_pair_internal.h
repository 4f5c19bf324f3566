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
/* The start of the engine's temp names (hidden_name); a stale one of an earlier run is a leftover. */
#define TEMP_PREFIX ".smig-tmp-"

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

/* How pair_list (smig_pair.c) and the classifying (smig_pair_classify.c) share one listing's progress. */
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

/* Records `record` (one of the pair's entries) with its role and `extra` flags (smig_pair_classify.c). */
void pair_emit(lister *l, const unsigned char *record, uint32_t role, uint32_t extra);

/* A temp name of an earlier run (a token not this run's): a leftover, never a user's entry. */
bool pair_is_stale_temp(const pair_config *config, const unsigned char *record);

/* Finds the destination's hidden folders of an earlier run that source subfolders take up; false without memory. */
bool pair_find_adoptions(lister *l);

/* Classifies source entry `si` against destination entry `di` (NONE: there is none) and records what to do. */
void pair_classify(lister *l, uint32_t si, uint32_t di);

/* `rel` + "/" + `name`, or `name` alone at the root; NULL without memory. */
char *pair_child_rel(const char *rel, const char *name, size_t name_length);

/* Mode, owner (when compared), mtime, atime (when asked) and extended attributes, as plan.ts compares them. */
bool pair_same_attributes(int flags, int64_t granularity, const unsigned char *s, const unsigned char *d, int mode, bool with_atime);

/* The record knows its entry by type alone (RECORD_TYPE_ONLY). */
bool record_type_only(const unsigned char *record);

#endif
