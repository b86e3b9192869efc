/* Precise one-shot timers on the event loop (timerfd + uv_poll); see precise_timer.c. */
#ifndef VRRP_PRECISE_TIMER_H
#define VRRP_PRECISE_TIMER_H

#include <stdbool.h>
#include <node_api.h>

/* Adds timerOpen, timerArm, timerDisarm and timerClose to `exports`; false if Node-API refused. */
bool register_precise_timer(napi_env env, napi_value exports);

#endif
