/*
 * packet.c: the smallest AF_PACKET surface the library needs: open(ifname), send(handle, frame), close(handle).
 *
 * Why it exists: gratuitous ARP (RFC 5227 §3) and unsolicited Neighbor Advertisements (RFC 4861 §7.2.6) are whole
 * Ethernet frames, and only an AF_PACKET socket can send those. The npm modules we use stop at IP, so this file
 * opens one packet socket per interface and sends frames that JavaScript built byte by byte. Everything that is
 * policy (frame layout, retries, error wording) lives in TypeScript; this file only does syscalls and reports errno.
 *
 * Design notes:
 * - The socket is opened with protocol 0: packet(7) says such a socket receives nothing, so no receive queue ever
 *   fills up behind a socket that only sends (keepalived attaches a drop-all BPF filter for the same reason).
 * - SOCK_NONBLOCK: a full device queue must never block Node's event loop; the caller sees EAGAIN instead, which
 *   is harmless for announcements that are unreliable and repeated by design.
 * - The file descriptor lives in a type-tagged External with a finalizer, so a forgotten close() cannot leak it,
 *   and a closed handle cannot send on a descriptor number that the process has since reused for something else.
 */
#include "packet.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Random tag so send()/close() reject any External that did not come from open(). */
const napi_type_tag PACKET_TAG = {0x7672727061636b74ULL, 0x5f68616e646c6531ULL};
const handle_kind PACKET_KIND = {&PACKET_TAG, "close needs a handle", "expected a packet socket handle"};

/* open(ifname): socket + SIOCGIFINDEX + SIOCGIFHWADDR on that interface. */
napi_value packet_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));

  char ifname[IFNAMSIZ + 1];
  if (!get_ifname(env, argc >= 1 ? argv[0] : NULL, ifname)) return NULL;
  size_t length = strlen(ifname);

  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);

  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, ifname, length + 1);
  if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0) {
    int error_number = errno;
    close(fd);
    return throw_errno(env, "ioctl(SIOCGIFINDEX)", error_number);
  }
  int ifindex = ifr.ifr_ifindex;

  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, ifname, length + 1);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
    int error_number = errno;
    close(fd);
    return throw_errno(env, "ioctl(SIOCGIFHWADDR)", error_number);
  }

  packet_handle *handle = (packet_handle *)malloc(sizeof(packet_handle));
  if (handle == NULL) {
    close(fd);
    return throw_errno(env, "malloc", ENOMEM);
  }
  handle->fd = fd;
  handle->ifindex = ifindex;

  napi_value external;
  if (napi_create_external(env, handle, finalize_handle, NULL, &external) != napi_ok) {
    close(fd);
    free(handle);
    throw_last_napi_error(env);
    return NULL;
  }
  /* From here on the finalizer owns fd and handle. */
  NAPI_CALL(env, napi_type_tag_object(env, external, &PACKET_TAG));

  napi_value result, ifindex_value, hatype_value, mac_value;
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_create_int32(env, ifindex, &ifindex_value));
  /* ARPHRD_* (1 = Ethernet): the wrapper refuses interfaces whose frames are not Ethernet. */
  NAPI_CALL(env, napi_create_uint32(env, (uint32_t)ifr.ifr_hwaddr.sa_family, &hatype_value));
  NAPI_CALL(env, napi_create_buffer_copy(env, MAC_LEN, ifr.ifr_hwaddr.sa_data, NULL, &mac_value));
  NAPI_CALL(env, napi_set_named_property(env, result, "handle", external));
  NAPI_CALL(env, napi_set_named_property(env, result, "ifindex", ifindex_value));
  NAPI_CALL(env, napi_set_named_property(env, result, "hatype", hatype_value));
  NAPI_CALL(env, napi_set_named_property(env, result, "mac", mac_value));
  return result;
}

/* send(handle, frame): one sendto() of the whole frame to the handle's interface. */
napi_value packet_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "send needs a handle and a frame");
    return NULL;
  }
  packet_handle *handle = get_tagged(env, argv[0], &PACKET_TAG, "expected a packet socket handle");
  if (handle == NULL) return NULL;

  size_t frame_length = 0;
  void *frame = NULL;
  if (!get_bytes(env, argv[1], "frame", &frame, &frame_length)) return NULL;
  if (frame_length < ETH_HEADER_LEN) {
    napi_throw_range_error(env, NULL, "frame is shorter than an ethernet header");
    return NULL;
  }
  int error_number = frame_send(handle, (const uint8_t *)frame, frame_length);
  if (error_number != 0) return throw_errno(env, "sendto", error_number);
  return NULL;
}

int frame_send(packet_handle *handle, const uint8_t *bytes, size_t frame_length) {
  if (handle->fd < 0) return EBADF;
  struct sockaddr_ll address;
  memset(&address, 0, sizeof(address));
  address.sll_family = AF_PACKET;
  address.sll_ifindex = handle->ifindex;
  /* With SOCK_RAW the kernel sends the frame as given; sll_protocol still sets skb->protocol, so take it from the
   * frame's own EtherType (already in network order) rather than trusting the caller twice. */
  memcpy(&address.sll_protocol, bytes + 12, 2);
  address.sll_halen = MAC_LEN;
  memcpy(address.sll_addr, bytes, MAC_LEN);

  ssize_t sent;
  do {
    sent = sendto(handle->fd, bytes, frame_length, 0, (const struct sockaddr *)&address, sizeof(address));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno;
  /* Packet sockets send whole frames or fail; a short count would mean a truncated frame on the wire. */
  return (size_t)sent == frame_length ? 0 : EMSGSIZE;
}
