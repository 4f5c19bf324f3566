#include "smig_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int64_t ns_of(struct timespec t) {
  return (int64_t)t.tv_sec * NS_PER_S + t.tv_nsec;
}

/* Floor division, so that times before 1970 fall in the right step too. */
static int64_t step_of(int64_t ns, int64_t granularity) {
  return ns / granularity - (ns % granularity < 0 ? 1 : 0);
}

bool same_ns(int64_t a, int64_t b, int64_t granularity) {
  if (granularity <= 1) return a == b;
  return step_of(a, granularity) == step_of(b, granularity);
}

bool same_time(struct timespec a, struct timespec b, int64_t granularity) {
  return same_ns(ns_of(a), ns_of(b), granularity);
}

int64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return ns_of(now);
}

int open_for_reading_at(int dir, const char *name) {
  int flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC;
  int fd = openat(dir, name, flags | O_NOATIME);
  /* O_NOATIME is for the file's owner (or root) only. */
  if (fd < 0 && errno == EPERM) fd = openat(dir, name, flags);
  return fd;
}

static __thread unsigned char *thread_buffer_;
static __thread unsigned char *thread_readback_;

unsigned char *thread_buffer(void) {
  if (thread_buffer_ == NULL) thread_buffer_ = malloc(CHUNK);
  return thread_buffer_;
}

unsigned char *readback_buffer(void) {
  if (thread_readback_ == NULL) thread_readback_ = malloc(CHUNK);
  return thread_readback_;
}

bool bytes_reserve(bytes *b, size_t more) {
  if (b->length + more <= b->capacity) return true;
  size_t capacity = b->capacity ? b->capacity : 4096;
  while (capacity < b->length + more) capacity *= 2;
  unsigned char *data = realloc(b->data, capacity);
  if (data == NULL) return false;
  b->data = data;
  b->capacity = capacity;
  return true;
}

bool bytes_append(bytes *b, const void *data, size_t length) {
  if (!bytes_reserve(b, length)) return false;
  if (length > 0) memcpy(b->data + b->length, data, length);
  b->length += length;
  return true;
}

void bytes_free(bytes *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

void control_add(const control_block *control, int slot, int64_t amount) {
  if ((size_t)slot < control->count) __atomic_fetch_add(&control->slots[slot], amount, __ATOMIC_RELAXED);
}

bool control_stopped(const control_block *control) {
  return control->count > CONTROL_STOP && __atomic_load_n(&control->slots[CONTROL_STOP], __ATOMIC_RELAXED) != 0;
}

bool pace_reads(const control_block *control, int64_t length) {
  if (control->count <= CONTROL_NEXT_READ) return true;
  int64_t rate = __atomic_load_n(&control->slots[CONTROL_RATE], __ATOMIC_RELAXED);
  if (rate <= 0 || length <= 0) return true;
  /* Each read takes its turn: it may start at the pacer's next free moment, and moves it on by its own cost. */
  int64_t cost = (int64_t)((double)length * NS_PER_S / (double)rate);
  int64_t now = monotonic_ns();
  int64_t *next = &control->slots[CONTROL_NEXT_READ];
  int64_t previous = __atomic_load_n(next, __ATOMIC_RELAXED);
  int64_t start;
  do {
    start = previous > now ? previous : now;
  } while (!__atomic_compare_exchange_n(next, &previous, start + cost, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
  for (;;) {
    int64_t left = start - monotonic_ns();
    if (left <= 0) return true;
    if (control_stopped(control)) return false;
    /* Short sleeps, so that a stop is seen within a tenth of a second. */
    int64_t nap = left < 100000000 ? left : 100000000;
    struct timespec wait = {.tv_sec = 0, .tv_nsec = (long)nap};
    nanosleep(&wait, NULL);
  }
}

char *buffer_arg(napi_env env, napi_value value, const char *what) {
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  void *data = NULL;
  size_t length = 0;
  if (is_buffer) napi_get_buffer_info(env, value, &data, &length);
  if (!is_buffer || (length > 0 && memchr(data, 0, length) != NULL)) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", what);
    return NULL;
  }
  char *copy = malloc(length + 1);
  if (copy == NULL) {
    napi_throw_error(env, "ENOMEM", "out of memory");
    return NULL;
  }
  if (length > 0) memcpy(copy, data, length);
  copy[length] = '\0';
  return copy;
}

bool control_arg(napi_env env, napi_value value, napi_ref *ref, control_block *control) {
  napi_valuetype type;
  napi_typeof(env, value, &type);
  *ref = NULL;
  control->slots = NULL;
  control->count = 0;
  if (type == napi_null || type == napi_undefined) return true;
  bool is_buffer = false;
  napi_is_buffer(env, value, &is_buffer);
  void *data = NULL;
  size_t length = 0;
  if (is_buffer) napi_get_buffer_info(env, value, &data, &length);
  if (!is_buffer || length < 16 || ((uintptr_t)data & 7) != 0) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "control must be an 8-aligned Buffer of at least 16 bytes");
    return false;
  }
  napi_create_reference(env, value, 1, ref);
  control->slots = data;
  control->count = length / 8;
  return true;
}

void control_release(napi_env env, napi_ref ref) {
  if (ref) napi_delete_reference(env, ref);
}

void set_string(napi_env env, napi_value object, const char *name, const char *text) {
  napi_value value;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  napi_set_named_property(env, object, name, value);
}

void set_number(napi_env env, napi_value object, const char *name, double number) {
  napi_value value;
  napi_create_double(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

void set_bigint(napi_env env, napi_value object, const char *name, int64_t number) {
  napi_value value;
  napi_create_bigint_int64(env, number, &value);
  napi_set_named_property(env, object, name, value);
}

static void release_bytes(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free(data);
}

napi_value bytes_to_buffer(napi_env env, bytes *b) {
  napi_value value;
  if (b->length == 0) {
    void *unused;
    napi_create_buffer(env, 0, &unused, &value);
    bytes_free(b);
  } else {
    napi_create_external_buffer(env, b->length, b->data, release_bytes, NULL, &value);
    memset(b, 0, sizeof *b);
  }
  return value;
}
