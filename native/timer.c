/*
 * timer.c: one precise timer per thread: a timerfd on CLOCK_MONOTONIC, watched on the opener's loop (watcher.c),
 * armed at absolute due times in milliseconds.
 *
 * Why timerfd: it wakes the thread's epoll at the due time with no timer slack (hrtimer) and no polling; JS timers
 * count whole ms from a cached loop time and Linux adds 0.1 % slack to epoll timeouts (3.6 ms on a 3.6 s
 * Master_Down_Timer, measured).
 *
 * JavaScript surface:
 *   timerOpen(onExpire) -> External      (onExpire() is called once per expiry)
 *   timerArm(handle, dueMs)              (absolute CLOCK_MONOTONIC time in ms, fractions kept to the nanosecond; a
 *                                         due time in the past fires at once; re-arming moves the one expiry)
 *   timerDisarm(handle)                  (a no-op once closed: a closed timer cannot fire either)
 *   timerClose(handle)                   (idempotent)
 *   timerRef(handle, ref)                (whether the open timer keeps its thread's loop alive)
 *   monotonicMs() -> number              (CLOCK_MONOTONIC now, in ms; performance.now() is the same clock minus a
 *                                         per-thread origin, so JavaScript computes that offset once)
 *
 * An expiry is read (the 8-byte count) before onExpire is called. When the read finds nothing (EAGAIN), the timer
 * was re-armed or disarmed after epoll saw it expire, e.g. by another callback of the same loop iteration (a fresh
 * advert moving the Master_Down_Timer): timerfd_settime cleared that expiry, so onExpire is NOT called, since a
 * stale expiry would be a false timeout.
 */
#include "timer.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "watcher.h"

/* Random tag so the timer* functions reject any External that did not come from timerOpen(). */
static const napi_type_tag TIMER_TAG = {0x767272705f74696dULL, 0x65725f6664313131ULL};
const handle_kind TIMER_KIND = {&TIMER_TAG, "timerClose needs a handle", "expected a timer handle"};

/* Latest due time accepted, in ms (about 31 700 years of uptime): it keeps the conversion to time_t exact. */
#define TIMER_MAX_DUE_MS 1e15

/* Reads the expiry count; false (no call) when there is none. */
static bool timer_ready(watcher *w, int status) {
  if (status < 0) return true; /* not expected from a timerfd; let onExpire run rather than go silent */
  uint64_t expirations = 0;
  ssize_t read_bytes;
  do {
    read_bytes = read(w->fd, &expirations, sizeof(expirations));
  } while (read_bytes < 0 && errno == EINTR);
  return !(read_bytes < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

/* timerOpen(onExpire): a disarmed timerfd watched on this thread's loop. */
napi_value timer_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type = napi_undefined;
  if (argc >= 1) NAPI_CALL(env, napi_typeof(env, argv[0], &type));
  if (type != napi_function) {
    napi_throw_type_error(env, NULL, "onExpire must be a function");
    return NULL;
  }
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, "timerfd_create", errno);
  watcher *timer = (watcher *)calloc(1, sizeof(watcher));
  if (timer == NULL) {
    close(fd);
    return throw_errno(env, "malloc", ENOMEM);
  }
  /* The watcher owns fd and the struct from here, even when it fails. */
  return watcher_start(env, timer, fd, argv[0], "vrrp:timer", &TIMER_TAG, timer_ready, false);
}

/* Reads argv[0] as a timer; throws and returns NULL otherwise. */
static watcher *get_timer(napi_env env, napi_value value) {
  return (watcher *)get_tagged(env, value, &TIMER_TAG, TIMER_KIND.expected);
}

/* timerArm(handle, dueMs): one expiry at dueMs on CLOCK_MONOTONIC (TFD_TIMER_ABSTIME), replacing any other. */
napi_value timer_arm(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "timerArm needs a handle and a due time");
    return NULL;
  }
  watcher *timer = get_timer(env, argv[0]);
  if (timer == NULL) return NULL;
  double due_ms = 0;
  if (napi_get_value_double(env, argv[1], &due_ms) != napi_ok) {
    napi_throw_type_error(env, NULL, "due time must be a number");
    return NULL;
  }
  if (!isfinite(due_ms) || due_ms > TIMER_MAX_DUE_MS) {
    napi_throw_range_error(env, NULL, "due time must be a finite number of milliseconds");
    return NULL;
  }
  if (timer->fd < 0) return throw_errno(env, "timerfd_settime", EBADF);
  struct itimerspec setting;
  memset(&setting, 0, sizeof(setting));
  if (due_ms > 0) {
    /* Whole milliseconds exactly, then the fraction rounded to the nanosecond. */
    int64_t whole_ms = (int64_t)due_ms;
    int64_t nanoseconds = (whole_ms % 1000) * 1000000 + (int64_t)((due_ms - (double)whole_ms) * 1e6 + 0.5);
    setting.it_value.tv_sec = (time_t)(whole_ms / 1000 + nanoseconds / 1000000000);
    setting.it_value.tv_nsec = (long)(nanoseconds % 1000000000);
  }
  /* 0 would disarm: a due time at or before the clock's origin is in the past, so 1 ns fires at once. */
  if (setting.it_value.tv_sec == 0 && setting.it_value.tv_nsec == 0) setting.it_value.tv_nsec = 1;
  if (timerfd_settime(timer->fd, TFD_TIMER_ABSTIME, &setting, NULL) < 0) return throw_errno(env, "timerfd_settime", errno);
  return NULL;
}

/* timerDisarm(handle): no expiry until armed again. */
napi_value timer_disarm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "timerDisarm needs a handle");
    return NULL;
  }
  watcher *timer = get_timer(env, argv[0]);
  if (timer == NULL || timer->fd < 0) return NULL;
  struct itimerspec setting;
  memset(&setting, 0, sizeof(setting));
  if (timerfd_settime(timer->fd, 0, &setting, NULL) < 0) return throw_errno(env, "timerfd_settime", errno);
  return NULL;
}

/* monotonicMs(): CLOCK_MONOTONIC now, in milliseconds. */
napi_value monotonic_ms(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec now;
  if (clock_gettime(CLOCK_MONOTONIC, &now) < 0) return throw_errno(env, "clock_gettime", errno);
  napi_value value;
  NAPI_CALL(env, napi_create_double(env, (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6, &value));
  return value;
}
