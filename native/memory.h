/*
 * memory.h: start-up pages given back once start-up is over, the executable moved to huge pages, malloc's arenas
 * capped (memory.c).
 */
#ifndef VRRP_MEMORY_H
#define VRRP_MEMORY_H

#include "common.h"

napi_value release_startup_pages(napi_env env, napi_callback_info info);
napi_value move_executable_to_huge_pages(napi_env env, napi_callback_info info);
napi_value limit_malloc_arenas(napi_env env, napi_callback_info info);

#endif
