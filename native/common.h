/*
 * common.h: the helpers every part of the vrrp_packet addon shares (see addon.c for the whole surface).
 *
 * Why one place: every function of the addon reports failures the same way, so that the TypeScript wrapper turns
 * any of them into one error type. A failed syscall throws an Error with numeric `errno` and string `syscall`; a
 * failed Node-API call throws its own message unless an exception is already pending; a wrong argument throws a
 * TypeError or RangeError before any syscall. Handles are type-tagged Externals, so a function never mistakes one
 * kind of handle, or an arbitrary object, for another.
 *
 * Context-aware rule for every file: no mutable globals. Each thread that loads the addon gets its own napi_env,
 * and everything a handle needs lives in its own struct.
 */
#ifndef VRRP_COMMON_H
#define VRRP_COMMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <node_api.h>

/* Returns NULL from the calling function when a Node-API call fails (an exception is then pending or thrown). */
#define NAPI_CALL(env, call)                                             \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      throw_last_napi_error(env);                                        \
      return NULL;                                                       \
    }                                                                    \
  } while (0)

/* Turns a failed Node-API call into a JS exception unless one is already pending. */
void throw_last_napi_error(napi_env env);

/* Throws Error("<syscall>: <strerror>") with numeric `errno` and string `syscall`, and returns NULL for the caller. */
napi_value throw_errno(napi_env env, const char *syscall, int error_number);

/* GC finalizer of the packet and route handle types: closes a descriptor the caller forgot, then frees the struct.
 * Both structs begin with their `int fd` for this. */
void finalize_handle(napi_env env, void *data, void *hint);

/* CLOCK_MONOTONIC now in milliseconds (fractions kept); -1 when the clock cannot be read. */
double monotonic_now_ms(void);

/* Reads `value` as an External tagged `tag`; throws TypeError(what) and returns NULL otherwise. */
void *get_tagged(napi_env env, napi_value value, const napi_type_tag *tag, const char *what);

/* Reads `value` as a Uint8Array into *data / *length; throws TypeError("<what> must be a Uint8Array") and returns
 * false otherwise (or when a Node-API call fails, with its exception pending). */
bool get_bytes(napi_env env, napi_value value, const char *what, void **data, size_t *length);

/* Same as get_bytes for a Float64Array: throws TypeError("<what> must be a Float64Array"); *length counts elements. */
bool get_float64s(napi_env env, napi_value value, const char *what, double **data, size_t *length);

/* Same as get_bytes for an Int32Array: throws TypeError("<what> must be an Int32Array"); *length counts elements. */
bool get_int32s(napi_env env, napi_value value, const char *what, int32_t **data, size_t *length);

/* Reads `value` as an interface name that fits IFNAMSIZ into `ifname` (IFNAMSIZ + 1 bytes). Throws TypeError when it
 * is not a string and, before any syscall, the ENODEV the kernel would give (syscall "if_nametoindex") when it is
 * empty, too long or holds a NUL. Returns false after throwing. */
bool get_ifname(napi_env env, napi_value value, char *ifname);

/* What close()/routeClose() need to know about their handle type; passed as the callback's data. */
typedef struct {
  const napi_type_tag *tag;
  const char *missing;
  const char *expected;
} handle_kind;

/* Reads `value` as a handle of `kind` whose struct begins with its descriptor (-1 once closed): throws TypeError
 * (kind->expected) for another value, EBADF naming `syscall` for a closed one, and returns NULL then. */
void *get_open(napi_env env, napi_value value, const handle_kind *kind, const char *syscall);

/* close(handle) / routeClose(handle): closes the descriptor now instead of at garbage collection. Idempotent. The
 * callback data is the handle_kind of the handle type; both handle structs begin with their `int fd`. */
napi_value close_handle(napi_env env, napi_callback_info info);

#endif
