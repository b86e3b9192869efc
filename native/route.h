/*
 * route.h: synchronous rtnetlink request sockets (route.c); burst.c sends requests through them too.
 */
#ifndef VRRP_ROUTE_H
#define VRRP_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* One rtnetlink request socket. fd is -1 once closed and comes first (see finalize_handle); seq numbers its
 * requests so acknowledgements match. */
typedef struct {
  int fd;
  uint32_t seq;
} route_handle;

/* Tag of route socket handles, so routeRequest()/routeClose()/bursts reject any other External. */
extern const napi_type_tag ROUTE_TAG;
/* routeClose()'s handle_kind (see common.h). */
extern const handle_kind ROUTE_KIND;

/* Why `data` cannot be sent as one acknowledged request, or NULL when it can. */
const char *route_message_problem(const void *data, size_t length);

/* Sends one checked request and reads its acknowledgement into *acknowledged (its errno, 0 = success); returns 0,
 * or the errno of the syscall that failed (named in *failed_syscall). */
int route_exchange(route_handle *handle, const void *data, size_t length, int *acknowledged, const char **failed_syscall);

/* A NETLINK_ROUTE socket, non-blocking and close-on-exec, bound to a kernel-chosen port and subscribed to nothing;
 * -1 with errno set and *failed naming the syscall that failed. events.c opens its event socket with it too. */
int route_socket(const char **failed);

/* routeOpen() and routeRequest(handle, message); routeClose is close_handle with ROUTE_KIND. */
napi_value route_open(napi_env env, napi_callback_info info);
napi_value route_request(napi_env env, napi_callback_info info);

#endif
