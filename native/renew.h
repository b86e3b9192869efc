/*
 * renew.h: VIP lease renewals sent from the addon, at a wake-up the thread has anyway when there is one (renew.c).
 */
#ifndef VRRP_RENEW_H
#define VRRP_RENEW_H

#include "common.h"

/* renewClose()'s and renewRef()'s handle_kind (see common.h); they are watcher_js_close / watcher_js_ref. */
extern const handle_kind RENEW_KIND;

/* The thread is awake for a reason of its own (vrrp_socket.c: a master's scheduled advert went out): renewals that
 * are nearly due go now, rather than waking the thread for them a little later. Never calls JavaScript. */
void renew_poke(void);

napi_value renew_open(napi_env env, napi_callback_info info);
napi_value renew_set(napi_env env, napi_callback_info info);
napi_value renew_every(napi_env env, napi_callback_info info);
napi_value renew_failures(napi_env env, napi_callback_info info);

#endif
