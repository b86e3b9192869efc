/*
 * vmac_guard.h: the classifier that keeps a VMAC's MAC off the reports and solicitations it sends (see vmac_guard.c).
 */
#ifndef VRRP_VMAC_GUARD_H
#define VRRP_VMAC_GUARD_H

#include "common.h"

napi_value vmac_guard_open(napi_env env, napi_callback_info info);
napi_value vmac_guard_close(napi_env env, napi_callback_info info);
napi_value vmac_guard_probe(napi_env env, napi_callback_info info);

#endif
