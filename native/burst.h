/*
 * burst.h: prepared bursts of pwrite / rtnetlink / frame operations (burst.c).
 */
#ifndef VRRP_BURST_H
#define VRRP_BURST_H

#include "common.h"

/* burstPrepare(ops) and burstRun(prepared). */
napi_value burst_prepare(napi_env env, napi_callback_info info);
napi_value burst_run(napi_env env, napi_callback_info info);

#endif
