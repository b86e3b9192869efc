/*
 * Precise one-shot timers for the event loop: a timerfd (CLOCK_MONOTONIC, nanosecond resolution) watched by a
 * uv_poll on the thread's own libuv loop, and for the last stretch before the due time, a uv_idle that keeps the
 * loop polling without sleeping. Part of the vrrp_packet addon (see native/packet_socket.c); the JavaScript side
 * is src/linux/packet-socket.ts (openPreciseTimer) and src/linux/clock.ts.
 *
 * Why: a backup's Master_Down_Timer expiring is a takeover, where every fraction of a millisecond is outage for
 * the clients. Node's timers count whole milliseconds from a cached loop time, and Linux lets a poll of T ms end
 * up to T/1000 ms late, so the portable clock sleeps short of the due time in steps and then polls the loop with
 * setImmediate for its last millisecond or two: JavaScript on every turn and an Immediate allocated per turn.
 * A timerfd expires on the kernel's high-resolution clock, so one sleep ends where it should. But a process woken
 * from a long sleep answers slowly: firing straight from the timerfd took our takeovers from 0.2 to 0.3-0.7 ms
 * past the RFC bound in the failover benchmark (keepalived: 0.1-0.2 ms). So the timerfd wakes us `spin` ms early
 * and the loop then turns without sleeping (an active uv_idle makes libuv poll with a zero timeout) until the due
 * time, checked in C on every turn: sockets and timers are still served meanwhile, and no JavaScript runs and
 * nothing is allocated until the callback.
 *
 * JavaScript surface:
 *   timerOpen(callback: () => void, spinMs: number) -> External   (disarmed; calls `callback` once per expiry)
 *   timerArm(handle, delayMs: number) -> undefined  (one-shot, delayMs from now; re-arming replaces the due time)
 *   timerDisarm(handle) -> undefined                (no call until armed again)
 *   timerClose(handle) -> undefined                 (idempotent; a closed handle refuses to arm)
 *
 * Design notes:
 * - Only an armed timer keeps the loop alive (the poll handle is ref'd while armed, the idle handle never is), as
 *   setTimeout does.
 * - Arming or disarming resets the timerfd's expiration count (timerfd_settime clears it), so an expiry that the
 *   loop has not handled yet cannot fire a re-armed timer early: the poll callback reads the count first and
 *   ignores a readiness with nothing to read. The due time itself is kept here and checked before any call.
 * - The callback runs through napi_make_callback with an async context, like a libuv-driven callback of Node's
 *   own: microtasks run after it, and an exception it throws is handed to process 'uncaughtException'. Its
 *   receiver is the global object: napi_make_callback refuses `undefined` (napi_object_expected) and then calls
 *   nothing at all.
 * - libuv is Node's own (napi_get_uv_event_loop), so this file depends on libuv's stable 1.x ABI besides
 *   Node-API. Each thread (worker) that loads the addon gets timers on its own loop.
 * - Memory: the struct must outlive both handles' uv_close callbacks, and the External's finalizer may run before
 *   or after them; whichever comes last frees it.
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
  uv_poll_t poll;    /* watches the timerfd; poll.data points back to this struct */
  uv_idle_t idle;    /* active only while spinning; idle.data points back to this struct */
  napi_env env;
  int fd;
  int open_handles;  /* handles whose uv_close callback has not run yet */
  int64_t spin_ns;   /* how long before the due time the timerfd wakes us and the loop starts to spin */
  int64_t due_ns;    /* CLOCK_MONOTONIC due time while armed */
  bool armed;
  bool spinning;     /* the idle handle is started */
  bool closing;      /* uv_close was called */
  bool closed;       /* both handles' close callbacks ran: fd closed */
  bool finalized;    /* the External is gone */
  bool env_gone;     /* the environment is being torn down: no more Node-API calls on its references */
  napi_ref callback;
  napi_async_context async_context;
} precise_timer;

/* Random tag so timerArm()/timerDisarm()/timerClose() reject any External that did not come from timerOpen(). */
static const napi_type_tag TIMER_TAG = {0x767272705f74696dULL, 0x65725f68616e646cULL};

static int64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

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
  if (--timer->open_handles > 0) return;
  close(timer->fd);
  timer->fd = -1;
  timer->closed = true;
  if (timer->finalized) free(timer);
}

static void stop_spinning(precise_timer *timer) {
  if (!timer->spinning) return;
  timer->spinning = false;
  uv_idle_stop(&timer->idle);
}

/* Marks the timer disarmed (the timerfd itself is left as it is) and lets the loop end without it. */
static void mark_disarmed(precise_timer *timer) {
  stop_spinning(timer);
  if (timer->armed) uv_unref((uv_handle_t *)&timer->poll);
  timer->armed = false;
}

static void start_close(precise_timer *timer) {
  if (timer->closing) return;
  timer->closing = true;
  mark_disarmed(timer);
  uv_poll_stop(&timer->poll);
  uv_close((uv_handle_t *)&timer->poll, on_closed);
  uv_close((uv_handle_t *)&timer->idle, on_closed);
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
  start_close(timer); /* the last on_closed frees it */
}

/* Environment teardown (process exit, a worker ending) with the timer still open: close its handles while the
 * loop can still run the close callbacks. The environment releases its references itself. */
static void cleanup_timer(void *data) {
  precise_timer *timer = (precise_timer *)data;
  timer->env_gone = true;
  start_close(timer);
}

/* The due time has come: disarm, then call back into JavaScript. */
static void fire(precise_timer *timer) {
  mark_disarmed(timer);
  if (timer->callback == NULL || timer->env_gone) return;
  napi_env env = timer->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, receiver, result;
  napi_status call_status = napi_get_reference_value(env, timer->callback, &callback);
  if (call_status == napi_ok && callback == NULL) call_status = napi_generic_failure; /* cannot happen: strong ref */
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

/* Once per loop turn while spinning: fire at the first turn at or after the due time. */
static void on_idle(uv_idle_t *idle) {
  precise_timer *timer = (precise_timer *)idle->data;
  if (!timer->armed || timer->closing) {
    stop_spinning(timer);
    return;
  }
  if (monotonic_ns() >= timer->due_ns) fire(timer);
}

/* Fires if the due time has come, else spins the loop until it does. */
static void fire_or_spin(precise_timer *timer) {
  if (monotonic_ns() >= timer->due_ns) {
    fire(timer);
    return;
  }
  if (!timer->spinning) {
    timer->spinning = true;
    uv_idle_start(&timer->idle, on_idle);
  }
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  precise_timer *timer = (precise_timer *)poll->data;
  if (status < 0 || timer->closing || timer->env_gone) return;
  uint64_t expirations = 0;
  /* Nothing to read: the timer was re-armed or disarmed after this readiness was reported. */
  if (read(timer->fd, &expirations, sizeof(expirations)) != (ssize_t)sizeof(expirations)) return;
  if (!timer->armed) return;
  fire_or_spin(timer);
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

/* A non-negative, finite number of milliseconds as nanoseconds, capped at about 31 years; false if not one. */
static bool get_ms_as_ns(napi_env env, napi_value value, int64_t *ns) {
  double ms = 0;
  if (napi_get_value_double(env, value, &ms) != napi_ok || ms != ms) return false;
  const double max_ms = 1e12; /* keeps the conversion in range */
  *ns = ms <= 0 ? 0 : (int64_t)((ms > max_ms ? max_ms : ms) * 1e6);
  return true;
}

/* timerOpen(callback, spinMs) */
static napi_value timer_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype type = napi_undefined;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc >= 1) napi_typeof(env, argv[0], &type);
  if (type != napi_function) {
    napi_throw_type_error(env, NULL, "callback must be a function");
    return NULL;
  }
  int64_t spin_ns = 0;
  if (argc < 2 || !get_ms_as_ns(env, argv[1], &spin_ns)) {
    napi_throw_type_error(env, NULL, "spinMs must be a number");
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
  timer->spin_ns = spin_ns;
  int uv_error = uv_poll_init(loop, &timer->poll, fd);
  if (uv_error != 0) {
    close(fd);
    free(timer);
    throw_timer_errno(env, "uv_poll_init", -uv_error);
    return NULL;
  }
  uv_idle_init(loop, &timer->idle); /* cannot fail: it only links the handle into the loop */
  timer->open_handles = 2;
  timer->poll.data = timer;
  timer->idle.data = timer;
  uv_unref((uv_handle_t *)&timer->idle); /* the poll handle alone says whether we keep the loop alive */
  /* From here on the struct is freed through uv_close (and the finalizer, once the External exists). */
  napi_value name, external;
  if (napi_create_reference(env, argv[0], 1, &timer->callback) != napi_ok ||
      napi_create_string_utf8(env, "vrrp.PreciseTimer", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &timer->async_context) != napi_ok ||
      (uv_error = uv_poll_start(&timer->poll, UV_READABLE, on_readable)) != 0 ||
      napi_create_external(env, timer, finalize_timer, NULL, &external) != napi_ok) {
    release_js(timer);
    timer->finalized = true; /* no External: the last on_closed frees it */
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

/* Sets the timerfd to expire at the absolute CLOCK_MONOTONIC time `at_ns` (0 disarms it). */
static bool set_timerfd(napi_env env, precise_timer *timer, int64_t at_ns) {
  struct itimerspec spec;
  memset(&spec, 0, sizeof(spec));
  spec.it_value.tv_sec = (time_t)(at_ns / 1000000000);
  spec.it_value.tv_nsec = (long)(at_ns % 1000000000);
  if (timerfd_settime(timer->fd, TFD_TIMER_ABSTIME, &spec, NULL) != 0) {
    throw_timer_errno(env, "timerfd_settime", errno);
    return false;
  }
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
  int64_t delay_ns = 0;
  if (argc < 2 || !get_ms_as_ns(env, argv[1], &delay_ns)) {
    napi_throw_type_error(env, NULL, "delayMs must be a number");
    return NULL;
  }
  if (timer->closing) {
    throw_timer_errno(env, "timerfd_settime", EBADF);
    return NULL;
  }
  int64_t now_ns = monotonic_ns();
  int64_t wake_ns = now_ns + delay_ns - timer->spin_ns;
  /* Far enough ahead: sleep on the timerfd until the spin starts. Otherwise spin from now on (the timerfd is
   * disarmed, so no stale expiry of an earlier arming can reach on_readable). */
  if (!set_timerfd(env, timer, wake_ns > now_ns ? wake_ns : 0)) return NULL;
  if (!timer->armed) uv_ref((uv_handle_t *)&timer->poll);
  timer->armed = true;
  timer->due_ns = now_ns + delay_ns;
  if (wake_ns > now_ns) {
    stop_spinning(timer);
  } else if (!timer->spinning) {
    /* Even a delay of 0 calls back on a later loop turn, never inside timerArm. */
    timer->spinning = true;
    uv_idle_start(&timer->idle, on_idle);
  }
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
  if (timer->closing) return NULL;
  if (!set_timerfd(env, timer, 0)) return NULL;
  mark_disarmed(timer);
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
