/*
 * common.c: error reporting, argument reading and the plain-descriptor finalizer shared by the whole addon.
 * See common.h for why they are shared.
 */
#include "common.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void throw_last_napi_error(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, NULL, info != NULL && info->error_message != NULL ? info->error_message : "node-api call failed");
}

napi_value throw_errno(napi_env env, const char *syscall, int error_number) {
  char message[160];
  napi_value msg_value, error, errno_value, syscall_value;
  snprintf(message, sizeof(message), "%s: %s", syscall, strerror(error_number));
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg_value) != napi_ok ||
      napi_create_error(env, NULL, msg_value, &error) != napi_ok ||
      napi_create_int32(env, error_number, &errno_value) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_value) != napi_ok ||
      napi_set_named_property(env, error, "syscall", syscall_value) != napi_ok) {
    throw_last_napi_error(env);
    return NULL;
  }
  napi_throw(env, error);
  return NULL;
}

void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  int *fd = (int *)data;
  if (*fd >= 0) close(*fd);
  free(data);
}

void *get_tagged(napi_env env, napi_value value, const napi_type_tag *tag, const char *what) {
  napi_valuetype type;
  bool tagged = false;
  void *data = NULL;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, value, tag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, value, &data) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  return data;
}

/* Reads `value` as a typed array of type `wanted`; throws TypeError("<what> must be <type_name>") otherwise. */
static bool get_typed(napi_env env, napi_value value, napi_typedarray_type wanted, const char *type_name, const char *what,
                      void **data, size_t *length) {
  bool is_typedarray = false;
  napi_typedarray_type array_type = napi_int8_array;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok ||
      (is_typedarray && napi_get_typedarray_info(env, value, &array_type, length, data, NULL, NULL) != napi_ok)) {
    throw_last_napi_error(env);
    return false;
  }
  if (!is_typedarray || array_type != wanted) {
    char message[96];
    snprintf(message, sizeof(message), "%s must be %s", what, type_name);
    napi_throw_type_error(env, NULL, message);
    return false;
  }
  return true;
}

bool get_bytes(napi_env env, napi_value value, const char *what, void **data, size_t *length) {
  return get_typed(env, value, napi_uint8_array, "a Uint8Array", what, data, length);
}

bool get_float64s(napi_env env, napi_value value, const char *what, double **data, size_t *length) {
  void *raw = NULL;
  if (!get_typed(env, value, napi_float64_array, "a Float64Array", what, &raw, length)) return false;
  *data = (double *)raw;
  return true;
}

bool get_int32s(napi_env env, napi_value value, const char *what, int32_t **data, size_t *length) {
  void *raw = NULL;
  if (!get_typed(env, value, napi_int32_array, "an Int32Array", what, &raw, length)) return false;
  *data = (int32_t *)raw;
  return true;
}

void *get_open(napi_env env, napi_value value, const handle_kind *kind, const char *syscall) {
  int *fd = (int *)get_tagged(env, value, kind->tag, kind->expected);
  if (fd == NULL) return NULL;
  if (*fd < 0) {
    throw_errno(env, syscall, EBADF);
    return NULL;
  }
  return fd;
}

bool get_ifname(napi_env env, napi_value value, char *ifname) {
  napi_valuetype type = napi_undefined;
  if (value != NULL && napi_typeof(env, value, &type) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  if (type != napi_string) {
    napi_throw_type_error(env, NULL, "interface name must be a string");
    return false;
  }
  /* The whole length first: a copy into a short buffer stops before a multi-byte character that does not fit, so
   * a name of 17 bytes would come back as its first 15 — a name that fits, of another interface. */
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  size_t copied = 0;
  if (length < IFNAMSIZ && napi_get_value_string_utf8(env, value, ifname, IFNAMSIZ, &copied) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  if (length == 0 || length >= IFNAMSIZ || copied != length || strlen(ifname) != length) {
    /* The kernel would say ENODEV for these; say it before a syscall, with the same errno. */
    throw_errno(env, "if_nametoindex", ENODEV);
    return false;
  }
  return true;
}

napi_value close_handle(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, &data));
  const handle_kind *kind = (const handle_kind *)data;
  if (argc < 1) {
    napi_throw_type_error(env, NULL, kind->missing);
    return NULL;
  }
  int *fd = (int *)get_tagged(env, argv[0], kind->tag, kind->expected); /* both handle structs begin with fd */
  if (fd == NULL) return NULL;
  if (*fd >= 0) {
    /* Linux releases the descriptor even when close() reports an error, so never retry and never report. */
    close(*fd);
    *fd = -1;
  }
  return NULL;
}

double monotonic_now_ms(void) {
  struct timespec now;
  if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) return -1;
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}
