/*
 * watcher.c: a descriptor watched on the event loop of the thread that opened it — by a uv_poll_t, or by the
 * thread's own wait in C ("Waiting in C" below) — calling a JavaScript function with no arguments each time it is
 * readable. The VRRP sockets and the timer are watchers.
 *
 * Why on the opener's loop: the protocol engine may run on a worker thread. napi_get_uv_event_loop(env) is that
 * thread's loop, so readiness wakes the engine's own thread directly, with no hop through the main thread.
 *
 * Calling JavaScript: napi_make_callback with one napi_async_context per watcher (async_hooks see each socket or
 * timer as one resource), inside a handle scope, with the global object as receiver (napi_make_callback needs an
 * object; `undefined` fails with napi_object_expected). Like any Node callback, process.nextTick and microtasks
 * queued by the function run when it returns. uv_poll is level-triggered: while data waits, the function is called
 * again on each loop iteration, so it must read until the socket says "nothing waiting".
 *
 * When the function throws: napi_make_callback catches the exception into the napi_env and returns
 * napi_pending_exception. Left there, it would be silently lost (nothing returns to JavaScript from a uv callback)
 * and would make the next Node-API call of this env fail. So, as Node does itself for napi_async_work completions
 * and thread-safe functions, we take it out (napi_get_and_clear_last_exception) and hand it to
 * napi_fatal_exception: process 'uncaughtException' handlers see it, and without one the thread dies as on any
 * uncaught exception (a worker emits 'error' in its parent). napi_pending_exception with NO exception pending means
 * the env can no longer run JavaScript (the thread is stopping): nothing to report, and nobody to report it to. Any
 * other failed Node-API call on this path becomes an Error naming it, reported the same way.
 *
 * A poll error (status < 0) calls the function anyway, so JavaScript meets the error in its next read; libuv stops
 * the poll on errors, so it is restarted afterwards unless the function closed the watcher (a recv consumes a
 * pending socket error; a persistent one keeps calling until JavaScript closes the socket).
 *
 * Lifetime: the struct has up to three owners, counted in `refs`: the External (until its finalizer), the uv_poll_t
 * (from uv_poll_init until its close callback: libuv uses the memory until then) and a running callback (so that
 * nothing it triggers can free the struct under it). Closing (close(), the finalizer or env teardown, whichever
 * comes first; later ones do nothing) stops the poll, calls uv_close, then closes the descriptor (safe once the poll
 * is stopped: libuv removed it from epoll) and releases the function reference and async context. If that happens
 * inside the function's own call, the release waits until napi_make_callback has returned, since it still uses the
 * async context.
 *
 * Holding (watcher_hold): the poll is stopped and a uv_timer_t of the same loop starts it again. The timer is a
 * fourth owner from its uv_timer_init until its close callback; closing closes it before the poll, so its close
 * callback runs before the poll's, which removes the cleanup hook last. Its ref state follows the poll's. The
 * alarm (watcher_alarm), a timerfd watched by a second uv_poll_t that runs a C function, is owned, closed and ref'ed
 * the same way; its descriptor is closed once its poll is stopped, as the watcher's own.
 *
 * Waiting in C ("waited" watchers: the VRRP sockets and their alarms), and why: a Node.js thread's every turn of
 * its event loop costs work of Node's own whether or not anything is queued (Environment::CheckImmediate makes an
 * object and runs a callback scope with a microtask checkpoint; libuv's idle-time accounting adds an epoll_pwait
 * with timeout 0), and a lone backup turned the loop for each advert only to absorb it in C (perf of the engine
 * thread: about a quarter of those wake-ups' samples in Node's part). So these descriptors are not in libuv's set
 * but in the thread's own (thread_wait, one per thread): a uv_prepare_t, which runs just before libuv would sleep,
 * sleeps instead — for as long as libuv would have (uv_backend_timeout), on our descriptors and on libuv's own
 * backend fd together (set C) — and handles ours in C as they come; it returns to libuv when libuv's time is up,
 * when libuv's own descriptors have news, or after a call into JavaScript (which may have changed what libuv waits
 * for). A routine advert then costs epoll_wait, recvmmsg and the alarm's re-arm, and no turn of the loop. Our
 * descriptors are also in a second set (A), itself watched by a uv_poll_t in libuv's: whenever libuv sleeps on its
 * own instead (uv_backend_timeout said 0 — work pending, or handle changes not yet given to epoll — and libuv then
 * found none), ours still wake it. One event per epoll_wait, always: a JavaScript call may close any watcher, so no
 * list of events outlives one. The uv_poll_t keeps the loop alive while a registered watcher is ref'ed; both
 * handles close at env teardown (an async cleanup hook, removed by their close callbacks). Calls and holds are as
 * for the others: a hold takes the descriptor out of both sets' interest (EPOLL_CTL_MOD, no events) and a uv_timer_t
 * puts it back; the sleep re-reads libuv's timeout after each descriptor it handled, so such a timer is honoured.
 *
 * Thread teardown: a worker that ends (or a main thread that exits normally) with a watcher open must not leave a
 * uv handle on its loop: Node aborts a worker whose loop still has handles when it closes it, and the struct would
 * be used after the env is gone. Each watcher therefore registers napi_add_async_cleanup_hook: when the env is torn
 * down the hook closes the watcher, and the hook is only removed from the uv_close callback. Node keeps running the
 * loop (uv_run in Environment::CleanupHandles) while an async cleanup hook is unfinished, so that callback does run
 * before the loop is closed; and each async hook holds a reference on the napi_env, so Externals' finalizers (run
 * when the env is deleted) come after it. A watcher closed by JavaScript keeps its hook until the same callback
 * removes it, so a teardown between uv_close and its callback waits for the callback too.
 */
#include "watcher.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* The thread's wait ("Waiting in C" in the file comment): one per thread (one loop per thread), made by its first
 * waited watcher, closed when the env is torn down. Only its thread touches it. */
struct thread_wait {
  uv_loop_t *loop;
  int epfd;                                   /* the waited descriptors (set A) */
  int sleepfd;                                /* them again, and the loop's backend fd (set C): the prepare's */
  uv_poll_t poll;                             /* A in libuv's own set: heard when libuv sleeps instead */
  uv_prepare_t prepare;                       /* where it sleeps, before libuv polls */
  bool open;                                  /* not torn down yet */
  bool running;                               /* `prepare` and `poll` started */
  unsigned members;                           /* registered watchers */
  unsigned refd;                              /* of those, the ones that keep the loop alive */
  unsigned handles_open;                      /* `prepare` and `poll`, until their close callbacks */
  napi_async_cleanup_hook_handle hook;        /* NULL once removed */
};

static _Thread_local thread_wait *current_wait;
/* JavaScript calls made on this thread (call_js): the wait returns to libuv after one. */
static _Thread_local unsigned js_calls;
/* epoll data: a watcher's is its address, | 1 for its alarm; in set C, the loop's backend fd's is this. */
#define WAIT_BACKEND ((uint64_t)2)

/* Drops one owner; frees the struct when it was the last. */
static void watcher_unref(watcher *w) {
  if (--w->refs == 0) free(w);
}

/* Releases the JavaScript function, the async context and the kind's own references. Returns false if a Node-API
 * call failed (the last failure's info is then the env's last error). */
static bool release_js(watcher *w) {
  bool ok = true;
  if (w->release != NULL) w->release(w);
  if (w->callback != NULL) {
    ok = napi_delete_reference(w->env, w->callback) == napi_ok && ok;
    w->callback = NULL;
  }
  if (w->async_context != NULL) {
    ok = napi_async_destroy(w->env, w->async_context) == napi_ok && ok;
    w->async_context = NULL;
  }
  return ok;
}

/* Removes the async cleanup hook; when the env is being torn down, this tells Node our cleanup is done. */
static void remove_cleanup_hook(watcher *w) {
  if (w->cleanup_hook != NULL) {
    napi_remove_async_cleanup_hook(w->cleanup_hook);
    w->cleanup_hook = NULL;
  }
}

static void wait_leave(watcher *w);

static void on_hold_closed(uv_handle_t *handle) {
  watcher *w = (watcher *)handle->data;
  w->hold_closing = false;
  /* A waited watcher has no poll to close last: its hold's close is the last (see watcher_close_now). */
  if (w->waited && !w->poll_closing) remove_cleanup_hook(w);
  watcher_unref(w);
}

static void on_alarm_closed(uv_handle_t *handle) {
  watcher_unref((watcher *)handle->data);
}

static void on_poll_closed(uv_handle_t *handle) {
  watcher *w = (watcher *)handle->data;
  w->poll_closing = false;
  remove_cleanup_hook(w);
  watcher_unref(w);
}

/* Closes everything now (see the file comment); idempotent. Returns false if releasing a reference failed. */
static bool watcher_close_now(watcher *w) {
  if (w->closed) return true;
  w->closed = true;
  if (w->hold_open) {
    w->hold_open = false;
    w->holding = false;
    w->hold_closing = true;
    uv_timer_stop(&w->hold);
    uv_close((uv_handle_t *)&w->hold, on_hold_closed);
  }
  /* Out of the wait's set before the descriptors close (a closed number may be reused at once). */
  if (w->registered) wait_leave(w);
  if (w->alarm_open) {
    w->alarm_open = false;
    if (!w->waited) {
      uv_poll_stop(&w->alarm);
      uv_close((uv_handle_t *)&w->alarm, on_alarm_closed);
    }
    close(w->alarm_fd);
    w->alarm_fd = -1;
  }
  if (w->poll_open) {
    w->poll_open = false;
    w->poll_closing = true;
    uv_poll_stop(&w->poll);
    uv_close((uv_handle_t *)&w->poll, on_poll_closed);
  }
  if (w->fd >= 0) {
    /* Linux releases the descriptor even when close() reports an error, so never retry and never report. */
    close(w->fd);
    w->fd = -1;
  }
  bool ok = w->in_callback ? true : release_js(w);
  /* Without a pending uv_close there is nothing left to wait for. */
  if (!w->poll_closing && !w->hold_closing) remove_cleanup_hook(w);
  return ok;
}

static void watcher_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  watcher *w = (watcher *)data;
  /* Nobody to tell about a failure here: the handle is gone. */
  watcher_close_now(w);
  watcher_unref(w);
}

/* The env of this watcher's thread is being torn down. */
static void on_env_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  watcher *w = (watcher *)arg;
  /* Closes and, if uv_close is pending, leaves the hook to on_poll_closed; if the watcher was closed earlier its
   * uv_close is pending too (otherwise the hook would have been removed already). */
  watcher_close_now(w);
}

/* Reports a failure of the JavaScript call through Node's uncaught-exception path (see the file comment). */
static void report_call_failure(napi_env env, napi_status status) {
  const napi_extended_error_info *info = NULL;
  char detail[128] = "node-api call failed";
  /* Copied first: the next Node-API call overwrites the last error. */
  if (napi_get_last_error_info(env, &info) == napi_ok && info != NULL && info->error_message != NULL) {
    snprintf(detail, sizeof(detail), "%s", info->error_message);
  }
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) {
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
    return;
  }
  /* No exception but "pending exception": the env cannot run JavaScript any more (its thread is stopping). */
  if (status == napi_pending_exception) return;
  char message[192];
  snprintf(message, sizeof(message), "vrrp_packet: cannot call the readiness callback: %s", detail);
  napi_value text, error;
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text) == napi_ok &&
      napi_create_error(env, NULL, text, &error) == napi_ok) {
    napi_fatal_exception(env, error);
  }
}

/* Calls the watcher's JavaScript function with no arguments (see the file comment). */
static void call_js(watcher *w) {
  napi_env env = w->env;
  js_calls++;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    /* Without a handle scope not even an Error can be created to report this. It cannot happen with a valid env. */
    napi_fatal_error("vrrp_packet", NAPI_AUTO_LENGTH, "cannot open a handle scope for a readiness callback", NAPI_AUTO_LENGTH);
  }
  napi_value function, receiver;
  napi_status status = napi_get_reference_value(env, w->callback, &function);
  if (status == napi_ok && function == NULL) status = napi_generic_failure; /* a strong reference never empties */
  if (status == napi_ok) status = napi_get_global(env, &receiver);
  if (status == napi_ok) status = napi_make_callback(env, w->async_context, receiver, function, 0, NULL, NULL);
  if (status != napi_ok) report_call_failure(env, status);
  napi_close_handle_scope(env, scope);
}

static void restart_poll(watcher *w);

/* Calls JavaScript with the struct held, releasing what a close inside the call left. */
static void call_js_held(watcher *w) {
  w->refs++;
  w->in_callback = true;
  call_js(w);
  w->in_callback = false;
  if (w->closed) release_js(w); /* closed during the call: its release waited until now */
  watcher_unref(w);
}

void watcher_wake(watcher *w) {
  if (w->closed || w->callback == NULL || w->in_callback) return;
  call_js_held(w);
}

static void wait_drain(thread_wait *t, unsigned calls);

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)events;
  watcher *w = (watcher *)handle->data;
  if (w->closed || w->callback == NULL) return;
  w->refs++; /* past the calls, for the restart below */
  /* Ours first, as in the prepare's sleep ("Waiting in C"): what is ready in the thread's wait is handled in C
   * before this watcher's JavaScript runs, which may run long — cold after an idle spell, it held back an armed
   * takeover whose alarm came due meanwhile until its own fallback took over in JavaScript, 1-2 ms late (docs/linux.md,
   * "Ours before JavaScript"). Before the readiness check, so that an expiry re-armed by what ran is not taken. */
  thread_wait *t = current_wait;
  if (t != NULL && t->open && t->members > 0) wait_drain(t, js_calls);
  if (w->closed || w->callback == NULL || (w->ready != NULL && !w->ready(w, status))) {
    watcher_unref(w);
    return;
  }
  call_js_held(w);
  /* libuv stopped the poll on the error; keep watching (the call above let JavaScript read the error). */
  if (!w->closed && status < 0) restart_poll(w);
  watcher_unref(w);
}

static bool wait_watch(watcher *w, bool on);

/* Starts the (stopped) poll again; a failure is reported as a failed call would be. */
static void restart_poll(watcher *w) {
  int error_number = w->waited ? (wait_watch(w, true) ? 0 : -errno) : uv_poll_start(&w->poll, UV_READABLE, on_poll);
  if (error_number < 0) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(w->env, &scope) == napi_ok) {
      throw_errno(w->env, "uv_poll_start", -error_number);
      report_call_failure(w->env, napi_pending_exception);
      napi_close_handle_scope(w->env, scope);
    }
  }
}

static void on_hold_end(uv_timer_t *handle) {
  watcher *w = (watcher *)handle->data;
  w->holding = false;
  if (!w->closed) restart_poll(w);
}

/* Whether the watcher's own readiness is watched, by its uv_poll or the thread's wait. */
static bool watching(const watcher *w) {
  return w->poll_open || w->registered;
}

/* Whether it keeps the loop alive (vrrpRef), as its handles' ref state follows. */
static bool refd(watcher *w) {
  return w->waited ? w->wait_refd : uv_has_ref((uv_handle_t *)&w->poll) != 0;
}

void watcher_hold(watcher *w, uint64_t ms) {
  if (w->closed || !watching(w) || w->holding) return;
  if (!w->hold_open) {
    uv_loop_t *loop = w->waited ? w->wait->loop : w->poll.loop;
    if (uv_timer_init(loop, &w->hold) != 0) return; /* no hold: the poll just goes on */
    w->hold.data = w;
    w->hold_open = true;
    w->refs++; /* the uv_timer_t's, until on_hold_closed */
    if (!refd(w)) uv_unref((uv_handle_t *)&w->hold);
  }
  if (w->waited ? !wait_watch(w, false) : uv_poll_stop(&w->poll) != 0) return;
  if (uv_timer_start(&w->hold, on_hold_end, ms, 0) != 0) {
    restart_poll(w);
    return;
  }
  w->holding = true;
}

/* The alarm fired. Its expiry count is not read first: timerfd_settime resets it (and the readiness with it), and
 * the function re-arms or stops the alarm in nearly every call, so the read was a syscall per advert for nothing.
 * Read only when the function left the alarm alone, or the level-triggered poll would call again at once. Without
 * the read, a call can come for an alarm re-armed since epoll saw it expire (by another callback of the same loop
 * iteration): the function judges what is due by the clock, so such a call finds nothing due and sets it again. */
static void alarm_fire(watcher *w);

static void on_alarm(uv_poll_t *handle, int status, int events) {
  (void)events;
  watcher *w = (watcher *)handle->data;
  if (w->closed || w->alarm_fn == NULL) return;
  /* A poll error (not expected of a timerfd) stops libuv's poll: watch again; the function below looks anyway. */
  if (status != 0) uv_poll_start(&w->alarm, UV_READABLE, on_alarm);
  alarm_fire(w);
}

static void alarm_fire(watcher *w) {
  const uint32_t settings = w->alarm_settings;
  w->refs++; /* the function may close the watcher */
  w->alarm_fn(w);
  if (!w->closed && w->alarm_open && w->alarm_settings == settings) {
    uint64_t expirations = 0;
    ssize_t read_bytes;
    do {
      read_bytes = read(w->alarm_fd, &expirations, sizeof(expirations));
    } while (read_bytes < 0 && errno == EINTR);
  }
  watcher_unref(w);
}

static bool wait_add(thread_wait *t, int fd, uint64_t data);

/* Makes the timerfd and its poll (or its place in the thread's wait); false (no alarm: the caller's work waits for
 * the next readiness) on failure. */
static bool alarm_open(watcher *w) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return false;
  if (w->waited) {
    if (!wait_add(w->wait, fd, (uint64_t)(uintptr_t)w | 1)) {
      const int error_number = errno;
      close(fd);
      errno = error_number;
      return false;
    }
    w->alarm_fd = fd;
    w->alarm_open = true;
    return true;
  }
  const int error_number = uv_poll_init(w->poll.loop, &w->alarm, fd);
  if (error_number != 0) {
    close(fd);
    errno = -error_number;
    return false;
  }
  w->alarm.data = w;
  w->alarm_fd = fd;
  w->alarm_open = true;
  w->refs++; /* the uv_poll_t's, until on_alarm_closed */
  if (!uv_has_ref((uv_handle_t *)&w->poll)) uv_unref((uv_handle_t *)&w->alarm);
  const int start_error = uv_poll_start(&w->alarm, UV_READABLE, on_alarm);
  if (start_error != 0) {
    errno = -start_error;
    return false;
  }
  return true;
}

napi_value watcher_with_alarm(napi_env env, watcher *w, napi_value handle) {
  if (handle == NULL || w->alarm_open) return handle;
  if (!w->closed && alarm_open(w)) return handle;
  const int error_number = w->closed ? EBADF : errno;
  watcher_close_now(w);
  return throw_errno(env, "timerfd_create", error_number);
}

void watcher_alarm(watcher *w, double ms, void (*fn)(watcher *w)) {
  if (w->closed || !watching(w)) return;
  if (!w->alarm_open && !alarm_open(w)) return;
  w->alarm_fn = fn;
  struct itimerspec setting;
  memset(&setting, 0, sizeof(setting));
  if (!(ms > 0)) ms = 0;
  if (ms > 3.6e6) ms = 3.6e6;
  int64_t microseconds = (int64_t)(ms * 1e3);
  setting.it_value.tv_sec = (time_t)(microseconds / 1000000);
  setting.it_value.tv_nsec = (long)(microseconds % 1000000) * 1000;
  /* 0 would disarm: "now" is a nanosecond. */
  if (setting.it_value.tv_sec == 0 && setting.it_value.tv_nsec == 0) setting.it_value.tv_nsec = 1;
  if (timerfd_settime(w->alarm_fd, 0, &setting, NULL) == 0) w->alarm_settings++;
}

bool watcher_alarm_source(watcher *w, int fd, void (*fn)(watcher *w)) {
  if (w->closed || !w->waited || !w->registered || w->alarm_source_on) return false;
  if (!wait_add(w->wait, fd, (uint64_t)(uintptr_t)w | 1)) return false;
  w->alarm_fn = fn;
  w->alarm_source_on = true;
  w->alarm_source_fd = fd;
  return true;
}

/* Takes the alarm's second source out of the wait's sets (at the watcher's close too, with its own descriptor). */
static void alarm_source_leave(watcher *w) {
  if (!w->alarm_source_on) return;
  w->alarm_source_on = false;
  thread_wait *t = w->wait;
  if (t == NULL || !t->open) return;
  epoll_ctl(t->epfd, EPOLL_CTL_DEL, w->alarm_source_fd, NULL);
  epoll_ctl(t->sleepfd, EPOLL_CTL_DEL, w->alarm_source_fd, NULL);
}

void watcher_alarm_source_remove(watcher *w, int fd) {
  if (w->alarm_source_on && w->alarm_source_fd == fd) alarm_source_leave(w);
}

void watcher_alarm_stop(watcher *w) {
  if (!w->alarm_open) return;
  struct itimerspec setting;
  memset(&setting, 0, sizeof(setting));
  if (timerfd_settime(w->alarm_fd, 0, &setting, NULL) == 0) w->alarm_settings++;
}

/* ---- The thread's wait ("Waiting in C" in the file comment) ---- */

static bool epoll_add(int epfd, int fd, uint64_t data) {
  struct epoll_event event;
  memset(&event, 0, sizeof(event));
  event.events = EPOLLIN;
  event.data.u64 = data;
  return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) == 0;
}

/* Puts `fd` in both sets (A for libuv, C for the prepare). */
static bool wait_add(thread_wait *t, int fd, uint64_t data) {
  if (!t->open) {
    errno = EBADF;
    return false;
  }
  if (!epoll_add(t->epfd, fd, data)) return false;
  if (epoll_add(t->sleepfd, fd, data)) return true;
  int error_number = errno;
  epoll_ctl(t->epfd, EPOLL_CTL_DEL, fd, NULL);
  errno = error_number;
  return false;
}

/* Watches the watcher's own descriptor again (`on`) or not (a hold); it stays in the set either way. */
static bool wait_watch(watcher *w, bool on) {
  thread_wait *t = w->wait;
  if (!w->registered || !t->open) {
    errno = EBADF;
    return false;
  }
  struct epoll_event event;
  memset(&event, 0, sizeof(event));
  event.events = on ? EPOLLIN : 0;
  event.data.u64 = (uint64_t)(uintptr_t)w;
  return epoll_ctl(t->epfd, EPOLL_CTL_MOD, w->fd, &event) == 0 && epoll_ctl(t->sleepfd, EPOLL_CTL_MOD, w->fd, &event) == 0;
}

static void on_wait_prepare(uv_prepare_t *handle);
static void on_wait_readable(uv_poll_t *handle, int status, int events);

/* Sleeps in the prepare phase and listens in libuv's set while some watcher is registered; keeps the loop alive
 * (through the poll) while one is ref'ed. */
static void wait_update(thread_wait *t) {
  if (!t->open) return;
  if (t->members > 0 && !t->running) {
    t->running = uv_poll_start(&t->poll, UV_READABLE, on_wait_readable) == 0;
    if (t->running) uv_prepare_start(&t->prepare, on_wait_prepare);
  } else if (t->members == 0 && t->running) {
    uv_prepare_stop(&t->prepare);
    uv_poll_stop(&t->poll);
    t->running = false;
  }
  if (t->refd > 0) {
    uv_ref((uv_handle_t *)&t->poll);
  } else {
    uv_unref((uv_handle_t *)&t->poll);
  }
}

/* Frees the wait once it is closed, its handles' close callbacks have run and no watcher points at it. */
static void wait_free_if_done(thread_wait *t) {
  if (t->open || t->handles_open > 0 || t->members > 0) return;
  free(t);
}

static void on_wait_handle_closed(uv_handle_t *handle) {
  thread_wait *t = (thread_wait *)handle->data;
  if (--t->handles_open > 0) return;
  if (t->hook != NULL) {
    napi_remove_async_cleanup_hook(t->hook);
    t->hook = NULL;
  }
  wait_free_if_done(t);
}

/* The env is being torn down: stop waiting and close the handles (the hook is removed once they are closed). */
static void on_wait_teardown(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle;
  thread_wait *t = (thread_wait *)arg;
  if (!t->open) return;
  t->open = false;
  if (current_wait == t) current_wait = NULL;
  uv_prepare_stop(&t->prepare);
  uv_poll_stop(&t->poll);
  uv_close((uv_handle_t *)&t->prepare, on_wait_handle_closed);
  uv_close((uv_handle_t *)&t->poll, on_wait_handle_closed);
  /* The poll is stopped: libuv no longer watches A, so both sets may close. */
  close(t->sleepfd);
  close(t->epfd);
  t->sleepfd = -1;
  t->epfd = -1;
}

/* The calling thread's wait, made on first use; NULL (errno set) when it cannot be made. */
static thread_wait *wait_get(napi_env env, uv_loop_t *loop) {
  thread_wait *t = current_wait;
  if (t != NULL && t->loop == loop) return t;
  t = (thread_wait *)calloc(1, sizeof(thread_wait));
  if (t == NULL) {
    errno = ENOMEM;
    return NULL;
  }
  t->loop = loop;
  t->epfd = epoll_create1(EPOLL_CLOEXEC);
  t->sleepfd = t->epfd < 0 ? -1 : epoll_create1(EPOLL_CLOEXEC);
  int error_number = 0;
  if (t->sleepfd < 0 || !epoll_add(t->sleepfd, uv_backend_fd(loop), WAIT_BACKEND)) {
    error_number = errno != 0 ? errno : EINVAL;
  } else {
    int poll_error = uv_poll_init(loop, &t->poll, t->epfd); /* libuv returns its error and need not set errno */
    if (poll_error != 0) error_number = -poll_error;
  }
  if (error_number != 0) {
    if (t->sleepfd >= 0) close(t->sleepfd);
    if (t->epfd >= 0) close(t->epfd);
    free(t);
    errno = error_number;
    return NULL;
  }
  uv_prepare_init(loop, &t->prepare);
  t->poll.data = t;
  t->prepare.data = t;
  uv_unref((uv_handle_t *)&t->prepare);
  uv_unref((uv_handle_t *)&t->poll);
  t->handles_open = 2;
  t->open = true;
  if (napi_add_async_cleanup_hook(env, on_wait_teardown, t, &t->hook) != napi_ok) {
    t->hook = NULL;
    on_wait_teardown(NULL, t);
    errno = EINVAL;
    return NULL;
  }
  current_wait = t;
  return t;
}

/* Takes a watcher out of its wait (on close): its descriptors leave the set before they are closed. */
static void wait_leave(watcher *w) {
  thread_wait *t = w->wait;
  alarm_source_leave(w);
  w->registered = false;
  if (t->open) {
    epoll_ctl(t->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    epoll_ctl(t->sleepfd, EPOLL_CTL_DEL, w->fd, NULL);
    if (w->alarm_open) {
      epoll_ctl(t->epfd, EPOLL_CTL_DEL, w->alarm_fd, NULL);
      epoll_ctl(t->sleepfd, EPOLL_CTL_DEL, w->alarm_fd, NULL);
    }
  }
  t->members--;
  if (w->wait_refd) t->refd--;
  w->wait_refd = false;
  wait_update(t);
  w->wait = NULL;
  wait_free_if_done(t);
}

/* A waited descriptor is ready: what on_poll and on_alarm do for the others. */
static void wait_dispatch(uint64_t data, uint32_t events) {
  watcher *w = (watcher *)(uintptr_t)(data & ~(uint64_t)1);
  if (w->closed) return;
  if ((data & 1) != 0) {
    if (w->alarm_fn != NULL) alarm_fire(w);
    return;
  }
  if (w->callback == NULL) return;
  if (w->ready != NULL && !w->ready(w, (events & EPOLLERR) != 0 ? UV_EIO : 0)) return;
  call_js_held(w);
}

/* Handles what is ready in A, one event per epoll_wait (a JavaScript call may close any watcher, so no list of
 * events outlives one), until nothing is or JavaScript ran (`calls` moved: libuv's turn). */
static void wait_drain(thread_wait *t, unsigned calls) {
  for (int budget = 64; budget > 0 && t->open && js_calls == calls; budget--) {
    struct epoll_event event;
    if (epoll_wait(t->epfd, &event, 1, 0) <= 0) return;
    wait_dispatch(event.data.u64, event.events);
  }
}

/* A is readable while libuv slept in its own set (the prepare could not sleep: libuv had work pending). */
static void on_wait_readable(uv_poll_t *handle, int status, int events) {
  (void)status;
  (void)events;
  thread_wait *t = (thread_wait *)handle->data;
  wait_drain(t, js_calls);
}

/* Before libuv polls: sleep here instead, for as long as libuv would have, on the waited descriptors and on libuv's
 * own backend fd (set C), handling the waited ones in C. Back to libuv when its time is up, when its own
 * descriptors have news, or after a JavaScript call (which may have changed what libuv waits for). One of ours per
 * epoll_wait, as in wait_drain. Libuv's set holds A, so its backend is readable for ours too: ours come first —
 * but once libuv has work of its own (a timer due: timeout 0, or its descriptors' news beside ours), after that one
 * of ours it is libuv's turn: a stream of ours that C handles without JavaScript (absorbed repeats, READY_BUDGET at a
 * time, from a flood or a loop on the link) would otherwise keep this loop going and libuv's timers and messages
 * waiting for as long as it lasts. */
static void on_wait_prepare(uv_prepare_t *handle) {
  thread_wait *t = (thread_wait *)handle->data;
  const unsigned calls = js_calls;
  while (t->open && js_calls == calls) {
    /* Asked again each time: what C did meanwhile (a hold's timer) may have moved libuv's next timer. */
    uv_update_time(t->loop);
    const int timeout = uv_backend_timeout(t->loop);
    struct epoll_event events[2];
    int count = epoll_wait(t->sleepfd, events, 2, timeout);
    if (count <= 0) break; /* libuv's time is up, or a signal */
    const bool backend = events[0].data.u64 == WAIT_BACKEND || (count > 1 && events[1].data.u64 == WAIT_BACKEND);
    const struct epoll_event *ours = events[0].data.u64 != WAIT_BACKEND ? &events[0] : count > 1 ? &events[1] : NULL;
    if (ours == NULL) break; /* libuv's own news */
    wait_dispatch(ours->data.u64, ours->events);
    if (timeout == 0) break;
    if (backend) {
      /* Libuv's set holds A, so its backend read ready with ours: asked again now that ours is handled, it is still
       * ready only for news of libuv's own (or more of ours: libuv's turn too, as for a flood). Without asking, every
       * routine event of ours ended the sleep, and the next woke libuv through A — a whole turn of the loop for
       * every other advert (found in review). */
      struct epoll_event again;
      if (epoll_wait(t->sleepfd, &again, 1, 0) != 0) break;
    }
  }
  uv_update_time(t->loop);
}

napi_value watcher_start(napi_env env, watcher *w, int fd, napi_value callback, const char *resource_name,
                         const napi_type_tag *tag, watcher_ready_fn ready, bool waited) {
  w->fd = fd;
  w->env = env;
  w->ready = ready;
  w->refs = 0;
  napi_value name, external = NULL;
  napi_status status = napi_create_reference(env, callback, 1, &w->callback);
  if (status == napi_ok) status = napi_create_string_utf8(env, resource_name, NAPI_AUTO_LENGTH, &name);
  if (status == napi_ok) status = napi_async_init(env, NULL, name, &w->async_context);
  if (status == napi_ok) status = napi_create_external(env, w, watcher_finalize, NULL, &external);
  if (status != napi_ok) {
    throw_last_napi_error(env);
    release_js(w);
    close(fd);
    free(w);
    return NULL;
  }
  /* From here on the External's finalizer owns one reference and frees the struct with the last one. */
  w->refs = 1;
  uv_loop_t *loop = NULL;
  status = napi_type_tag_object(env, external, tag);
  if (status == napi_ok) status = napi_get_uv_event_loop(env, &loop);
  if (status != napi_ok) {
    throw_last_napi_error(env);
    watcher_close_now(w);
    return NULL;
  }
  if (waited) {
    thread_wait *t = wait_get(env, loop);
    if (t == NULL || !wait_add(t, fd, (uint64_t)(uintptr_t)w)) {
      int error_number = errno;
      watcher_close_now(w);
      return throw_errno(env, "epoll_ctl", error_number);
    }
    w->waited = true;
    w->wait = t;
    w->registered = true;
    w->wait_refd = true;
    t->members++;
    t->refd++;
    wait_update(t);
  } else {
    int error_number = uv_poll_init(loop, &w->poll, fd);
    if (error_number < 0) {
      watcher_close_now(w);
      return throw_errno(env, "uv_poll_init", -error_number);
    }
    w->poll.data = w;
    w->poll_open = true;
    w->refs++; /* the uv_poll_t's, until on_poll_closed */
    error_number = uv_poll_start(&w->poll, UV_READABLE, on_poll);
    if (error_number < 0) {
      watcher_close_now(w);
      return throw_errno(env, "uv_poll_start", -error_number);
    }
  }
  if (napi_add_async_cleanup_hook(env, on_env_teardown, w, &w->cleanup_hook) != napi_ok) {
    w->cleanup_hook = NULL;
    throw_last_napi_error(env);
    watcher_close_now(w);
    return NULL;
  }
  return external;
}

/* Reads argv[0] as a watcher of the kind in the callback data; throws and returns NULL otherwise. */
static watcher *get_watcher(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  void *data = NULL;
  if (napi_get_cb_info(env, info, argc, argv, NULL, &data) != napi_ok) {
    throw_last_napi_error(env);
    return NULL;
  }
  const handle_kind *kind = (const handle_kind *)data;
  if (*argc < 1) {
    napi_throw_type_error(env, NULL, kind->missing);
    return NULL;
  }
  return (watcher *)get_tagged(env, argv[0], kind->tag, kind->expected);
}

napi_value watcher_js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  watcher *w = get_watcher(env, info, &argc, argv);
  if (w == NULL) return NULL;
  if (!watcher_close_now(w)) throw_last_napi_error(env);
  return NULL;
}

napi_value watcher_js_ref(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  watcher *w = get_watcher(env, info, &argc, argv);
  if (w == NULL) return NULL;
  bool ref = false;
  if (argc < 2 || napi_get_value_bool(env, argv[1], &ref) != napi_ok) {
    napi_throw_type_error(env, NULL, "ref must be a boolean");
    return NULL;
  }
  if (w->poll_open) {
    if (ref) {
      uv_ref((uv_handle_t *)&w->poll);
    } else {
      uv_unref((uv_handle_t *)&w->poll);
    }
  }
  if (w->registered && w->wait_refd != ref) {
    w->wait_refd = ref;
    if (ref) {
      w->wait->refd++;
    } else {
      w->wait->refd--;
    }
    wait_update(w->wait);
  }
  if (w->hold_open) {
    if (ref) {
      uv_ref((uv_handle_t *)&w->hold);
    } else {
      uv_unref((uv_handle_t *)&w->hold);
    }
  }
  if (w->alarm_open && !w->waited) { /* a waited watcher's alarm is a descriptor in the wait, not a uv_poll_t */
    if (ref) {
      uv_ref((uv_handle_t *)&w->alarm);
    } else {
      uv_unref((uv_handle_t *)&w->alarm);
    }
  }
  return NULL;
}

/* waitDrain(): what is ready in this thread's wait is handled now, in C, as on_poll does before a watcher's
 * JavaScript ("Ours first") — for JavaScript about to act on a deadline of its own from a phase of the loop that no
 * poll preceded: the clock's polled last stretch runs in setImmediate, and after a long early-wake callback the
 * check phase comes straight after it, so an alarm due meanwhile had not been heard (src/linux/clock.ts). At most
 * one JavaScript call (a socket's), as in wait_drain. */
napi_value watcher_js_drain(napi_env env, napi_callback_info info) {
  (void)env;
  (void)info;
  thread_wait *t = current_wait;
  if (t != NULL && t->open && t->members > 0) wait_drain(t, js_calls);
  return NULL;
}
