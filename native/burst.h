/*
 * burst.h: prepared bursts of pwrite / rtnetlink / frame operations (burst.c).
 */
#ifndef VRRP_BURST_H
#define VRRP_BURST_H

#include "common.h"

/* burstPrepare(ops), burstRun(prepared) and burstFired(prepared). */
napi_value burst_prepare(napi_env env, napi_callback_info info);
napi_value burst_run(napi_env env, napi_callback_info info);
napi_value burst_fired(napi_env env, napi_callback_info info);

/* For a VRRP socket's armed takeover (vrrp_socket.c): the prepared burst behind `value` (throws and returns NULL
 * for anything else); runs it now, keeping the results for the next burstRun (false: not run, out of memory); drops
 * kept results nobody will take. */
void *burst_from(napi_env env, napi_value value);
bool burst_fire(void *burst);
void burst_forget(void *burst);

#endif
