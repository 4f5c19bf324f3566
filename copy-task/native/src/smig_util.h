/*
 * Small pieces every part of the addon uses: times, buffers that grow, little-endian fields, the
 * shared control block, per-thread I/O buffers, and turning JavaScript arguments into C values.
 */
#ifndef SMIG_UTIL_H
#define SMIG_UTIL_H

#include <node_api.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define NS_PER_S 1000000000LL
/* Data moves through 1 MiB buffers. */
#define CHUNK (1024 * 1024)

int64_t ns_of(struct timespec t);
/* Two times in nanoseconds are the same at `granularity` (what the destination keeps). */
bool same_ns(int64_t a, int64_t b, int64_t granularity);
bool same_time(struct timespec a, struct timespec b, int64_t granularity);
int64_t monotonic_ns(void);

/* Opens `name` in `dir` to read: no link followed, no FIFO waited on, atime left alone where allowed. */
int open_for_reading_at(int dir, const char *name);

/* The calling thread's two 1 MiB buffers (copy and read-back), kept for the thread's life; NULL without memory. */
unsigned char *thread_buffer(void);
unsigned char *readback_buffer(void);

/* A byte buffer that grows. */
typedef struct {
  unsigned char *data;
  size_t length;
  size_t capacity;
} bytes;

bool bytes_reserve(bytes *b, size_t more);
bool bytes_append(bytes *b, const void *data, size_t length);
void bytes_free(bytes *b);

static inline void put_u16(unsigned char *at, uint16_t v) { memcpy(at, &v, 2); }
static inline void put_u32(unsigned char *at, uint32_t v) { memcpy(at, &v, 4); }
static inline void put_u64(unsigned char *at, uint64_t v) { memcpy(at, &v, 8); }
static inline uint16_t get_u16(const unsigned char *at) { uint16_t v; memcpy(&v, at, 2); return v; }
static inline uint32_t get_u32(const unsigned char *at) { uint32_t v; memcpy(&v, at, 4); return v; }
static inline uint64_t get_u64(const unsigned char *at) { uint64_t v; memcpy(&v, at, 8); return v; }
static inline int64_t get_i64(const unsigned char *at) { int64_t v; memcpy(&v, at, 8); return v; }

/*
 * The block JavaScript shares with a run's native work (int64s, 8-aligned): what the engine reads
 * for progress, and what it sets to stop or pace the work. Older callers pass only the first two.
 */
enum {
  CONTROL_BYTES = 0,       /* bytes done, added to atomically */
  CONTROL_STOP = 1,        /* non-zero: stop between chunks, with ECANCELED */
  CONTROL_FILES = 2,       /* files done, added to atomically */
  CONTROL_RATE = 3,        /* bytes per second allowed from the source; 0 for no limit */
  CONTROL_NEXT_READ = 4,   /* the pacer's next free moment (monotonic ns), see pace_reads */
  CONTROL_FOUND_FILES = 5, /* regular files a survey has found so far, added to */
  CONTROL_FOUND_BYTES = 6, /* and their bytes */
  CONTROL_SLOTS = 7
};

typedef struct {
  int64_t *slots;
  size_t count;
} control_block;

void control_add(const control_block *control, int slot, int64_t amount);
bool control_stopped(const control_block *control);
/*
 * Waits until `length` more bytes may be read from the source under the rate limit (a pacer shared
 * by every thread of the run). False when the run was stopped while waiting.
 */
bool pace_reads(const control_block *control, int64_t length);

/* ---- Node-API arguments and results ------------------------------------------------------ */

/* A Buffer argument as a NUL-terminated copy (free it); NULL with a TypeError thrown when not one, or when it holds NUL. */
char *buffer_arg(napi_env env, napi_value value, const char *what);
/*
 * The control block argument: a Buffer of 16 or more bytes, 8-aligned, or null/undefined. Keeps a
 * reference (released with control_release) so the memory outlives the work. False with a TypeError thrown.
 */
bool control_arg(napi_env env, napi_value value, napi_ref *ref, control_block *control);
void control_release(napi_env env, napi_ref ref);

void set_string(napi_env env, napi_value object, const char *name, const char *text);
void set_number(napi_env env, napi_value object, const char *name, double number);
void set_bigint(napi_env env, napi_value object, const char *name, int64_t number);

/* A Buffer that takes over `b`'s bytes (an empty one when there are none); `b` is left empty. */
napi_value bytes_to_buffer(napi_env env, bytes *b);

#endif
