/*
 * watcher.h: a descriptor watched on the event loop of the thread that opened it (by uv_poll, or by the thread's own
 * wait in C: watcher.c, "Waiting in C"), calling a JavaScript function when it is readable (watcher.c). The VRRP
 * sockets (vrrp_socket.c, waited) and the timer (timer.c) are watchers.
 */
#ifndef VRRP_WATCHER_H
#define VRRP_WATCHER_H

#include <stdbool.h>

#include <uv.h>

#include "common.h"

typedef struct watcher watcher;
/* The calling thread's own wait for the descriptors of waited watchers (watcher.c, "Waiting in C"). */
typedef struct thread_wait thread_wait;

/* Runs on readiness before JavaScript is called; returns false to skip the call (the timer: nothing expired).
 * `status` is libuv's (< 0 on a poll error). */
typedef bool (*watcher_ready_fn)(watcher *w, int status);

/* Embedded FIRST in each watched handle struct (so the struct's address is the watcher's). Only the thread that
 * created it ever touches it. */
struct watcher {
  int fd;                                     /* -1 once closed */
  bool closed;                                /* closed: fd closed, poll stopped, no more JavaScript calls */
  bool poll_open;                             /* uv_poll_init done and uv_close not called yet */
  bool poll_closing;                          /* uv_close called, its callback not run yet */
  bool in_callback;                           /* inside the JavaScript call (see watcher.c) */
  unsigned refs;                              /* owners of the struct, freed at 0 (see watcher.c) */
  napi_env env;                               /* of the thread that opened it */
  napi_ref callback;                          /* the JavaScript function, strongly held; NULL once released */
  napi_async_context async_context;           /* NULL once released */
  napi_async_cleanup_hook_handle cleanup_hook;/* NULL once removed */
  watcher_ready_fn ready;                     /* NULL: always call */
  void (*release)(watcher *w);                /* the kind's own Node-API references, released with `callback` */
  bool hold_open;                             /* uv_timer_init of `hold` done and uv_close not called yet */
  bool holding;                               /* the poll is stopped until `hold` fires (watcher_hold) */
  bool alarm_open;                            /* `alarm_fd` made and `alarm` polling it, uv_close not called yet */
  int alarm_fd;                               /* the alarm's timerfd (watcher_alarm); valid while alarm_open */
  void (*alarm_fn)(watcher *w);               /* what the alarm runs */
  uint32_t alarm_settings;                    /* timerfd_settime calls on the alarm so far (see on_alarm) */
  bool alarm_source_on;                       /* waited: `alarm_source_fd` also runs alarm_fn (watcher_alarm_source) */
  int alarm_source_fd;
  bool waited;                                /* watched by the thread's wait in C, not by uv_poll ("Waiting in C") */
  bool registered;                            /* waited: `fd` is in the wait's epoll set */
  bool wait_refd;                             /* waited: keeps the loop alive (vrrpRef) */
  bool hold_closing;                          /* waited: uv_close called on `hold`, its callback not run yet */
  thread_wait *wait;                          /* waited: the thread's wait */
  uv_poll_t poll;
  uv_timer_t hold;
  uv_poll_t alarm;
};

/* Takes `w` (zeroed, malloc'ed, the kind's whole struct) and `fd` and starts watching `fd` for readability on the
 * calling thread's loop, calling `callback` with no arguments on readiness. Returns the External tagged `tag`
 * that owns them, or NULL with an exception thrown; on failure `fd` is closed and `w` freed (now or later).
 * `waited`: by the thread's wait in C rather than a uv_poll (watcher.c, "Waiting in C"). */
napi_value watcher_start(napi_env env, watcher *w, int fd, napi_value callback, const char *resource_name,
                         const napi_type_tag *tag, watcher_ready_fn ready, bool waited);

/* Stops watching for `ms` milliseconds, then watches again (readiness that came meanwhile is seen then: the poll is
 * level-triggered). For the ready function of a descriptor whose data may wait (vrrp_socket.c's absorbed repeats).
 * A no-op when closed or already holding. */
void watcher_hold(watcher *w, uint64_t ms);

/* Runs `fn(w)` in C once, `ms` milliseconds (fractions kept to the microsecond) from now on CLOCK_MONOTONIC,
 * replacing any alarm set before (one per watcher: vrrp_socket.c's schedules and silence watch). A timerfd, not a
 * libuv timer: those count whole milliseconds of the loop's cached time, which put a master's adverts at 10 ms up
 * to 2 ms late. A no-op when closed; stopped by watcher_alarm_stop or the close. */
void watcher_alarm(watcher *w, double ms, void (*fn)(watcher *w));

/* Makes the alarm of `w`, whose watcher_start returned `handle`, now: returns `handle`, or NULL with an exception
 * thrown (and `w` closed) when it cannot be made. For watchers whose alarm does work nobody else would notice missing
 * (vrrp_socket.c's advert schedules and silence watches, renew.c's rounds): a timerfd that cannot be made at the
 * first watcher_alarm (EMFILE, say) has nobody to tell, so it must fail here, where the open reports it. */
napi_value watcher_with_alarm(napi_env env, watcher *w, napi_value handle);

/* A waited watcher's alarm function `fn` also runs whenever `fd` is readable (vrrp_socket.c: the kernel silence
 * timers' ring buffer), from the thread's wait; `fn` must leave `fd` unreadable (level-triggered). false when the
 * watcher is not waited or `fd` cannot join the wait. The caller removes `fd` before closing the watcher. */
bool watcher_alarm_source(watcher *w, int fd, void (*fn)(watcher *w));

/* Takes `fd` out of the thread's wait again. */
void watcher_alarm_source_remove(watcher *w, int fd);

/* Cancels the alarm, if any. */
void watcher_alarm_stop(watcher *w);

/* Calls the JavaScript function now, as a readiness would (for an alarm that has news for JavaScript). */
void watcher_wake(watcher *w);

/* close(handle) for a watcher kind: callback data is its handle_kind. Idempotent. */
napi_value watcher_js_close(napi_env env, napi_callback_info info);

/* ref(handle, ref: boolean) for a watcher kind: callback data is its handle_kind. uv_ref/uv_unref of the poll, so
 * an open watcher can let its thread's loop end; a no-op once closed. */
napi_value watcher_js_ref(napi_env env, napi_callback_info info);

/* waitDrain(): handles in C what is ready in this thread's wait now (see watcher.c). */
napi_value watcher_js_drain(napi_env env, napi_callback_info info);

#endif
