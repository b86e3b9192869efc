/*
 * vrrp_socket.h: raw IP sockets of protocol 112 for VRRP adverts, watched on the opener's loop (vrrp_socket.c).
 */
#ifndef VRRP_VRRP_SOCKET_H
#define VRRP_VRRP_SOCKET_H

#include "common.h"

/* vrrpClose()'s and vrrpRef()'s handle_kind (see common.h); they are watcher_js_close / watcher_js_ref. */
extern const handle_kind VRRP_KIND;

napi_value vrrp_open(napi_env env, napi_callback_info info);
napi_value vrrp_join(napi_env env, napi_callback_info info);
napi_value vrrp_recv(napi_env env, napi_callback_info info);
napi_value vrrp_send(napi_env env, napi_callback_info info);
napi_value vrrp_send_many(napi_env env, napi_callback_info info);
napi_value vrrp_absorb(napi_env env, napi_callback_info info);
napi_value vrrp_absorbed(napi_env env, napi_callback_info info);
napi_value vrrp_filtered(napi_env env, napi_callback_info info);
napi_value kernel_silence_probe(napi_env env, napi_callback_info info);
napi_value vrrp_hold(napi_env env, napi_callback_info info);
napi_value vrrp_ifindex(napi_env env, napi_callback_info info);
napi_value vrrp_notice(napi_env env, napi_callback_info info);
napi_value vrrp_repeat(napi_env env, napi_callback_info info);
napi_value vrrp_repeated(napi_env env, napi_callback_info info);
napi_value vrrp_arm_takeover(napi_env env, napi_callback_info info);
napi_value vrrp_takeover(napi_env env, napi_callback_info info);

#endif
