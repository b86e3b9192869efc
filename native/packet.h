/*
 * packet.h: AF_PACKET sockets that send whole Ethernet frames (packet.c); burst.c sends frames through them too.
 */
#ifndef VRRP_PACKET_H
#define VRRP_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

/* Ethernet header length: destination, source, EtherType. A frame shorter than this cannot be addressed. */
#define ETH_HEADER_LEN 14
/* Length of an Ethernet MAC address, the only hardware address length this addon reports. */
#define MAC_LEN 6

/* One open packet socket. fd is -1 once closed; it comes first (see finalize_handle). */
typedef struct {
  int fd;
  int ifindex;
} packet_handle;

/* Tag of packet socket handles, so send()/close()/bursts reject any External that did not come from open(). */
extern const napi_type_tag PACKET_TAG;
/* close()'s handle_kind (see common.h). */
extern const handle_kind PACKET_KIND;

/* Sends one whole frame (at least ETH_HEADER_LEN bytes, checked by the caller); returns 0 or an errno. */
int frame_send(packet_handle *handle, const uint8_t *bytes, size_t frame_length);

/* open(ifname) and send(handle, frame); close is close_handle with PACKET_KIND. */
napi_value packet_open(napi_env env, napi_callback_info info);
napi_value packet_send(napi_env env, napi_callback_info info);

#endif
