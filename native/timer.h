/*
 * timer.h: a timerfd on CLOCK_MONOTONIC, watched on the opener's loop (timer.c).
 */
#ifndef VRRP_TIMER_H
#define VRRP_TIMER_H

#include "common.h"

/* timerClose()'s and timerRef()'s handle_kind (see common.h); they are watcher_js_close / watcher_js_ref. */
extern const handle_kind TIMER_KIND;

napi_value timer_open(napi_env env, napi_callback_info info);
napi_value timer_arm(napi_env env, napi_callback_info info);
napi_value timer_disarm(napi_env env, napi_callback_info info);
napi_value monotonic_ms(napi_env env, napi_callback_info info);

#endif
