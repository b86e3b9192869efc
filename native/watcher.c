/*
 * watcher.c: a descriptor watched by a uv_poll_t on the event loop of the thread that opened it, calling a
 * JavaScript function with no arguments each time it is readable. The VRRP sockets and the timer are watchers.
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
#include <sys/timerfd.h>
#include <unistd.h>

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

static void on_hold_closed(uv_handle_t *handle) {
  watcher_unref((watcher *)handle->data);
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
    uv_timer_stop(&w->hold);
    uv_close((uv_handle_t *)&w->hold, on_hold_closed);
  }
  if (w->alarm_open) {
    w->alarm_open = false;
    uv_poll_stop(&w->alarm);
    uv_close((uv_handle_t *)&w->alarm, on_alarm_closed);
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
  if (!w->poll_closing) remove_cleanup_hook(w);
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

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)events;
  watcher *w = (watcher *)handle->data;
  if (w->closed || w->callback == NULL) return;
  if (w->ready != NULL && !w->ready(w, status)) return;
  w->refs++; /* past the call, for the restart below */
  call_js_held(w);
  /* libuv stopped the poll on the error; keep watching (the call above let JavaScript read the error). */
  if (!w->closed && status < 0) restart_poll(w);
  watcher_unref(w);
}

/* Starts the (stopped) poll again; a failure is reported as a failed call would be. */
static void restart_poll(watcher *w) {
  int error_number = uv_poll_start(&w->poll, UV_READABLE, on_poll);
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

void watcher_hold(watcher *w, uint64_t ms) {
  if (w->closed || !w->poll_open || w->holding) return;
  if (!w->hold_open) {
    if (uv_timer_init(w->poll.loop, &w->hold) != 0) return; /* no hold: the poll just goes on */
    w->hold.data = w;
    w->hold_open = true;
    w->refs++; /* the uv_timer_t's, until on_hold_closed */
    if (!uv_has_ref((uv_handle_t *)&w->poll)) uv_unref((uv_handle_t *)&w->hold);
  }
  if (uv_poll_stop(&w->poll) != 0) return;
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
static void on_alarm(uv_poll_t *handle, int status, int events) {
  (void)events;
  watcher *w = (watcher *)handle->data;
  if (w->closed || w->alarm_fn == NULL) return;
  /* A poll error (not expected of a timerfd) stops libuv's poll: watch again; the function below looks anyway. */
  if (status != 0) uv_poll_start(&w->alarm, UV_READABLE, on_alarm);
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

/* Makes the timerfd and its poll; false (no alarm: the caller's work waits for the next readiness) on failure. */
static bool alarm_open(watcher *w) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return false;
  if (uv_poll_init(w->poll.loop, &w->alarm, fd) != 0) {
    close(fd);
    return false;
  }
  w->alarm.data = w;
  w->alarm_fd = fd;
  w->alarm_open = true;
  w->refs++; /* the uv_poll_t's, until on_alarm_closed */
  if (!uv_has_ref((uv_handle_t *)&w->poll)) uv_unref((uv_handle_t *)&w->alarm);
  if (uv_poll_start(&w->alarm, UV_READABLE, on_alarm) != 0) return false;
  return true;
}

void watcher_alarm(watcher *w, double ms, void (*fn)(watcher *w)) {
  if (w->closed || !w->poll_open) return;
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

void watcher_alarm_stop(watcher *w) {
  if (!w->alarm_open) return;
  struct itimerspec setting;
  memset(&setting, 0, sizeof(setting));
  if (timerfd_settime(w->alarm_fd, 0, &setting, NULL) == 0) w->alarm_settings++;
}

napi_value watcher_start(napi_env env, watcher *w, int fd, napi_value callback, const char *resource_name,
                         const napi_type_tag *tag, watcher_ready_fn ready) {
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
  if (w->hold_open) {
    if (ref) {
      uv_ref((uv_handle_t *)&w->hold);
    } else {
      uv_unref((uv_handle_t *)&w->hold);
    }
  }
  if (w->alarm_open) {
    if (ref) {
      uv_ref((uv_handle_t *)&w->alarm);
    } else {
      uv_unref((uv_handle_t *)&w->alarm);
    }
  }
  return NULL;
}
