/*
 * Precise one-shot timers for the event loop: a timerfd (CLOCK_MONOTONIC, nanosecond resolution) watched by a
 * uv_poll on the thread's own libuv loop. Part of the vrrp_packet addon (see native/packet_socket.c); the
 * JavaScript side is src/linux/packet-socket.ts (openPreciseTimer) and src/linux/clock.ts.
 *
 * Why: a backup's Master_Down_Timer expiring is a takeover, where every fraction of a millisecond is outage for
 * the clients. Node's timers count whole milliseconds from a cached loop time, and Linux lets a poll of T ms end
 * up to T/1000 ms late, so the portable clock sleeps short of the due time and then polls the loop with
 * setImmediate for its last millisecond or two. That poll costs a core while it runs and allocates an Immediate
 * per turn, and a garbage collection that this allocation starts just before the due time delays the takeover by
 * its whole length. A timerfd expires on the kernel's high-resolution clock and wakes the loop's epoll_wait like
 * any socket: the loop sleeps until the due time and nothing runs before it. keepalived uses a timerfd too.
 *
 * JavaScript surface:
 *   timerOpen(callback: () => void) -> External   (a disarmed timer; calls `callback` once per expiry)
 *   timerArm(handle, delayMs: number) -> undefined (one-shot, delayMs from now; re-arming replaces the due time)
 *   timerDisarm(handle) -> undefined                (no call until armed again)
 *   timerClose(handle) -> undefined                 (idempotent; a closed handle refuses to arm)
 *
 * Design notes:
 * - Only an armed timer keeps the loop alive (uv_ref while armed, uv_unref otherwise), as setTimeout does.
 * - Arming or disarming resets the timerfd's expiration count (timerfd_setup clears it), so an expiry that the
 *   loop has not handled yet cannot fire a re-armed timer early: the callback reads the count first and ignores
 *   a readiness with nothing to read.
 * - The callback runs through napi_make_callback with an async context, like a libuv-driven callback of Node's
 *   own: microtasks run after it, and an exception it throws is handed to process 'uncaughtException'. Its
 *   receiver is the global object: napi_make_callback refuses `undefined` (napi_object_expected) and then calls
 *   nothing at all.
 * - libuv is Node's own (napi_get_uv_event_loop), so this file depends on libuv's stable 1.x ABI besides
 *   Node-API. Each thread (worker) that loads the addon gets timers on its own loop.
 * - Memory: the struct must outlive uv_close's callback, and the External's finalizer may run before or after
 *   it; whichever comes second frees it.
 */

#include "precise_timer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

typedef struct {
  uv_poll_t poll;  /* poll.data points back to this struct */
  napi_env env;
  int fd;
  bool armed;
  bool closing;    /* uv_close was called */
  bool closed;     /* uv_close's callback ran: fd closed */
  bool finalized;  /* the External is gone */
  bool env_gone;   /* the environment is being torn down: no more Node-API calls on its references */
  napi_ref callback;
  napi_async_context async_context;
} precise_timer;

/* Random tag so timerArm()/timerDisarm()/timerClose() reject any External that did not come from timerOpen(). */
static const napi_type_tag TIMER_TAG = {0x767272705f74696dULL, 0x65725f68616e646cULL};

static void throw_timer_errno(napi_env env, const char *syscall, int error_number) {
  char message[160];
  snprintf(message, sizeof(message), "%s: %s", syscall, strerror(error_number));
  napi_value msg_value, error, errno_value, syscall_value;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg_value) == napi_ok &&
      napi_create_error(env, NULL, msg_value, &error) == napi_ok &&
      napi_create_int32(env, error_number, &errno_value) == napi_ok &&
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value) == napi_ok &&
      napi_set_named_property(env, error, "errno", errno_value) == napi_ok &&
      napi_set_named_property(env, error, "syscall", syscall_value) == napi_ok) {
    napi_throw(env, error);
  } else {
    napi_throw_error(env, NULL, message);
  }
}

/* Releases what ties the timer to JavaScript (callback, async context). Safe to call twice. */
static void release_js(precise_timer *timer) {
  if (timer->callback != NULL) {
    napi_delete_reference(timer->env, timer->callback);
    timer->callback = NULL;
  }
  if (timer->async_context != NULL) {
    napi_async_destroy(timer->env, timer->async_context);
    timer->async_context = NULL;
  }
}

static void on_closed(uv_handle_t *handle) {
  precise_timer *timer = (precise_timer *)handle->data;
  close(timer->fd);
  timer->fd = -1;
  timer->closed = true;
  if (timer->finalized) free(timer);
}

static void start_close(precise_timer *timer) {
  if (timer->closing) return;
  timer->closing = true;
  timer->armed = false;
  uv_poll_stop(&timer->poll);
  uv_close((uv_handle_t *)&timer->poll, on_closed);
}

static void finalize_timer(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  precise_timer *timer = (precise_timer *)data;
  timer->finalized = true;
  if (!timer->env_gone) release_js(timer);
  if (timer->closed) {
    free(timer);
    return;
  }
  start_close(timer); /* on_closed frees it */
}

/* Environment teardown (process exit, a worker ending) with the timer still open: close its handle while the loop
 * can still run the close callback. The environment releases its references itself. */
static void cleanup_timer(void *data) {
  precise_timer *timer = (precise_timer *)data;
  timer->env_gone = true;
  start_close(timer);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  precise_timer *timer = (precise_timer *)poll->data;
  if (status < 0 || timer->closing || timer->env_gone) return;
  uint64_t expirations = 0;
  /* Nothing to read: the timer was re-armed or disarmed after this readiness was reported. */
  if (read(timer->fd, &expirations, sizeof(expirations)) != (ssize_t)sizeof(expirations)) return;
  if (!timer->armed || timer->callback == NULL) return;
  timer->armed = false;
  uv_unref((uv_handle_t *)&timer->poll);

  napi_env env = timer->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, result;
  napi_status call_status = napi_get_reference_value(env, timer->callback, &callback);
  if (call_status == napi_ok && callback == NULL) call_status = napi_generic_failure; /* collected: cannot happen, ref is strong */
  if (call_status == napi_ok) call_status = napi_get_global(env, &receiver);
  if (call_status == napi_ok) call_status = napi_make_callback(env, timer->async_context, receiver, callback, 0, NULL, &result);
  if (call_status == napi_pending_exception) {
    napi_value exception;
    if (napi_get_and_clear_last_exception(env, &exception) == napi_ok) napi_fatal_exception(env, exception);
  } else if (call_status != napi_ok) {
    /* A timer that silently never calls back would look like a master that never goes down: say so loudly. */
    char message[96];
    snprintf(message, sizeof(message), "precise timer: could not call back (napi_status %d)", (int)call_status);
    napi_value text, error;
    if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) == napi_ok &&
        napi_create_error(env, NULL, text, &error) == napi_ok) {
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

static precise_timer *get_timer(napi_env env, napi_value value) {
  napi_valuetype type;
  bool tagged = false;
  void *data = NULL;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, value, &TIMER_TAG, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, value, &data) != napi_ok) {
    napi_throw_type_error(env, NULL, "expected a precise timer handle");
    return NULL;
  }
  return (precise_timer *)data;
}

/* timerOpen(callback) */
static napi_value timer_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype type = napi_undefined;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type != napi_function) {
    napi_throw_type_error(env, NULL, "callback must be a function");
    return NULL;
  }
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == NULL) {
    napi_throw_error(env, NULL, "no event loop");
    return NULL;
  }
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    throw_timer_errno(env, "timerfd_create", errno);
    return NULL;
  }
  precise_timer *timer = calloc(1, sizeof(*timer));
  if (timer == NULL) {
    close(fd);
    throw_timer_errno(env, "calloc", ENOMEM);
    return NULL;
  }
  timer->env = env;
  timer->fd = fd;
  int uv_error = uv_poll_init(loop, &timer->poll, fd);
  if (uv_error != 0) {
    close(fd);
    free(timer);
    throw_timer_errno(env, "uv_poll_init", -uv_error);
    return NULL;
  }
  timer->poll.data = timer;
  /* From here on the struct is freed through uv_close (and the finalizer, once the External exists). */
  napi_value name, external;
  if (napi_create_reference(env, argv[0], 1, &timer->callback) != napi_ok ||
      napi_create_string_utf8(env, "vrrp.PreciseTimer", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &timer->async_context) != napi_ok ||
      (uv_error = uv_poll_start(&timer->poll, UV_READABLE, on_readable)) != 0 ||
      napi_create_external(env, timer, finalize_timer, NULL, &external) != napi_ok) {
    release_js(timer);
    timer->finalized = true; /* no External: on_closed frees it */
    start_close(timer);
    if (uv_error != 0) throw_timer_errno(env, "uv_poll_start", -uv_error);
    else napi_throw_error(env, NULL, "could not create the timer");
    return NULL;
  }
  uv_unref((uv_handle_t *)&timer->poll); /* disarmed: does not keep the loop alive */
  if (napi_add_env_cleanup_hook(env, cleanup_timer, timer) != napi_ok) {
    start_close(timer); /* the finalizer frees it */
    napi_throw_error(env, NULL, "could not register the timer's cleanup");
    return NULL;
  }
  if (napi_type_tag_object(env, external, &TIMER_TAG) != napi_ok) return NULL;
  return external;
}

/* Sets the timerfd to `delay_ns` from now (0 disarms) and keeps the loop's reference in step. */
static bool set_timer(napi_env env, precise_timer *timer, int64_t delay_ns) {
  struct itimerspec spec;
  memset(&spec, 0, sizeof(spec));
  spec.it_value.tv_sec = (time_t)(delay_ns / 1000000000);
  spec.it_value.tv_nsec = (long)(delay_ns % 1000000000);
  if (timerfd_settime(timer->fd, 0, &spec, NULL) != 0) {
    throw_timer_errno(env, "timerfd_settime", errno);
    return false;
  }
  bool armed = delay_ns > 0;
  if (armed && !timer->armed) uv_ref((uv_handle_t *)&timer->poll);
  if (!armed && timer->armed) uv_unref((uv_handle_t *)&timer->poll);
  timer->armed = armed;
  return true;
}

/* timerArm(handle, delayMs) */
static napi_value timer_arm(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  precise_timer *timer = argc >= 1 ? get_timer(env, argv[0]) : NULL;
  if (timer == NULL) {
    if (argc < 1) napi_throw_type_error(env, NULL, "expected a precise timer handle");
    return NULL;
  }
  double delay_ms = 0;
  if (argc < 2 || napi_get_value_double(env, argv[1], &delay_ms) != napi_ok || delay_ms != delay_ms) {
    napi_throw_type_error(env, NULL, "delayMs must be a number");
    return NULL;
  }
  if (timer->closing) {
    throw_timer_errno(env, "timerfd_settime", EBADF);
    return NULL;
  }
  /* Due now or in the past: 1 ns, the smallest delay that still arms the timerfd (0 would disarm it). */
  const double max_ms = 1e12; /* about 31 years: keeps the conversion in range */
  int64_t delay_ns = delay_ms <= 0 ? 1 : (int64_t)((delay_ms > max_ms ? max_ms : delay_ms) * 1e6);
  if (delay_ns < 1) delay_ns = 1;
  set_timer(env, timer, delay_ns);
  return NULL;
}

/* timerDisarm(handle) */
static napi_value timer_disarm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  precise_timer *timer = argc >= 1 ? get_timer(env, argv[0]) : NULL;
  if (timer == NULL) {
    if (argc < 1) napi_throw_type_error(env, NULL, "expected a precise timer handle");
    return NULL;
  }
  if (!timer->closing) set_timer(env, timer, 0);
  return NULL;
}

/* timerClose(handle) */
static napi_value timer_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  precise_timer *timer = argc >= 1 ? get_timer(env, argv[0]) : NULL;
  if (timer == NULL) {
    if (argc < 1) napi_throw_type_error(env, NULL, "expected a precise timer handle");
    return NULL;
  }
  if (!timer->closing) napi_remove_env_cleanup_hook(env, cleanup_timer, timer);
  release_js(timer);
  start_close(timer);
  return NULL;
}

bool register_precise_timer(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"timerOpen", NULL, timer_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerArm", NULL, timer_arm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerDisarm", NULL, timer_disarm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerClose", NULL, timer_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties) == napi_ok;
}
