/*
 * events.h: the link monitor's rtnetlink event socket, watched on the opener's loop (events.c).
 */
#ifndef VRRP_EVENTS_H
#define VRRP_EVENTS_H

#include "common.h"

/* eventsClose()'s and eventsRef()'s handle_kind (see common.h); they are watcher_js_close / watcher_js_ref. */
extern const handle_kind EVENTS_KIND;

napi_value events_open(napi_env env, napi_callback_info info);
napi_value events_recv(napi_env env, napi_callback_info info);
napi_value events_ignore(napi_env env, napi_callback_info info);
napi_value events_keep_routing_deletions(napi_env env, napi_callback_info info);

#endif
