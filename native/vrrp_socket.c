/*
 * vrrp_socket.c: the raw IP sockets (IP protocol 112) that send and receive VRRP advertisements.
 *
 * Why here and not in the raw-socket npm module: the protocol engine runs on a worker thread, and raw-socket loads
 * in one thread per process only; its readiness callbacks would also run on the main thread, whose event loop the
 * application may keep busy. These sockets are watchers (watcher.c): their readiness runs on the event loop of the
 * thread that opened them. They also give JavaScript what VRRP needs from each packet in one recvmsg, with no
 * extra syscall: the source, the destination (IPv6), the hop limit (IPv6; IPv4 has it in the IP header that the
 * kernel hands over with the data) and the kernel's receive timestamp.
 *
 * Why receive timestamps: a backup starts its Master_Down_Timer when the master's advert arrives. JavaScript reads
 * the advert 0.2-0.3 ms after the kernel received it (measured), later if the app keeps the loop busy; the kernel's
 * timestamp (SO_TIMESTAMPNS) says when it really arrived, so vrrpRecv reports each packet's age.
 *
 * Why sends are one synchronous sendmsg on raw bytes: raw-socket's send wrapped one sendto in a string address
 * parse and a callback through MakeCallback; on a takeover, after 100 ms of idling, that wrapper measured 0.1-0.2 ms
 * around a sendto of tens of microseconds, all of it before the new master's virtual addresses and gratuitous ARP.
 *
 * Options, and why:
 * - SO_BINDTODEVICE: one socket per interface; it sees only that interface's packets, and sends through it.
 * - SO_RCVBUFFORCE 1 MiB (SO_RCVBUF, capped by net.core.rmem_max, without CAP_NET_ADMIN): a busy loop must not
 *   drop adverts, the only thing that keeps a backup from taking over.
 * - TTL / hop limit 255 on everything sent, multicast loop off (we must not hear our own adverts).
 * - IPv6: the kernel computes and verifies the VRRP checksum (IPV6_CHECKSUM at offset 6: it covers a pseudo-header,
 *   RFC 9568 §5.2.8, whose source address the kernel picks), and reports the destination (IPV6_RECVPKTINFO) and
 *   hop limit (IPV6_RECVHOPLIMIT). IPV6_MINHOPCOUNT is NOT set: packets with a hop limit below 255 must reach
 *   JavaScript, which counts them as errors (RFC 9568 §7.1). IPv4's checksum is computed and checked in JavaScript.
 *
 * JavaScript surface (family 4 or 6; addresses are raw bytes):
 *   vrrpOpen(family, ifname, onReadable) -> External   (onReadable() is called whenever a packet waits)
 *   vrrpJoin(handle)                                   (224.0.0.18 / ff02::12 on the socket's interface; once)
 *   vrrpRecv(handle, data, addresses: Uint8Array(32), meta: Float64Array(3)) -> bytes read, or -1 if none waits
 *       addresses[0..16) source, [16..32) destination (IPv6 only); meta = [age ms, hop limit, ifindex], -1 = unknown
 *   vrrpSend(handle, data, dst: 4 | 16 bytes, source: 4 | 16 bytes | null)  (source pins the source address)
 *   vrrpClose(handle)                                  (idempotent)
 *   vrrpRef(handle, ref)                               (whether the open socket keeps its thread's loop alive)
 * Failed syscalls throw an Error with numeric `errno` and `syscall`; a closed socket fails with EBADF.
 */
/* struct in6_pktinfo (RFC 3542) is a GNU extension of glibc's <netinet/in.h>. */
#define _GNU_SOURCE

#include "vrrp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "watcher.h"

/* VRRP's IP protocol number (RFC 9568 §5.1.1.4 / §5.1.2.4). */
#define IPPROTO_VRRP 112
/* Where the VRRP checksum sits in the VRRP header, for IPV6_CHECKSUM. */
#define VRRP_CHECKSUM_OFFSET 6
/* Receive buffer asked for; the kernel doubles it for its bookkeeping. */
#define VRRP_RCVBUF (1 << 20)
/* Bytes of `addresses` that vrrpRecv fills: source then destination, 16 each. */
#define ADDRESSES_LEN 32
/* Elements of `meta` that vrrpRecv fills. */
#define META_LEN 3

/* One open VRRP socket: a watcher (first, see watcher.h) plus what sends and joins need. */
typedef struct {
  watcher base;
  int family; /* AF_INET or AF_INET6 */
  int ifindex;
  bool joined;
} vrrp_socket;

/* Random tag so the vrrp* functions reject any External that did not come from vrrpOpen(). */
static const napi_type_tag VRRP_TAG = {0x767272705f736f63ULL, 0x6b65745f69703131ULL};
const handle_kind VRRP_KIND = {&VRRP_TAG, "vrrpClose needs a handle", "expected a vrrp socket handle"};

/* One setsockopt of an int; on failure closes `fd`, throws (syscall "setsockopt(<label>)") and returns false. */
static bool set_int(napi_env env, int fd, int level, int name, int value, const char *label) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) == 0) return true;
  int error_number = errno;
  close(fd);
  throw_errno(env, label, error_number);
  return false;
}

/* The options of an IPv4 socket (see the file comment). */
static bool configure_ipv4(napi_env env, int fd, int ifindex) {
  if (!set_int(env, fd, IPPROTO_IP, IP_TTL, 255, "setsockopt(IP_TTL)") ||
      !set_int(env, fd, IPPROTO_IP, IP_MULTICAST_TTL, 255, "setsockopt(IP_MULTICAST_TTL)") ||
      !set_int(env, fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0, "setsockopt(IP_MULTICAST_LOOP)")) {
    return false;
  }
  struct ip_mreqn interface;
  memset(&interface, 0, sizeof(interface));
  interface.imr_ifindex = ifindex;
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &interface, sizeof(interface)) < 0) {
    int error_number = errno;
    close(fd);
    throw_errno(env, "setsockopt(IP_MULTICAST_IF)", error_number);
    return false;
  }
  return true;
}

/* The options of an IPv6 socket (see the file comment). */
static bool configure_ipv6(napi_env env, int fd, int ifindex) {
  return set_int(env, fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "setsockopt(IPV6_UNICAST_HOPS)") &&
         set_int(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "setsockopt(IPV6_MULTICAST_HOPS)") &&
         set_int(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "setsockopt(IPV6_MULTICAST_LOOP)") &&
         set_int(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "setsockopt(IPV6_MULTICAST_IF)") &&
         set_int(env, fd, IPPROTO_IPV6, IPV6_CHECKSUM, VRRP_CHECKSUM_OFFSET, "setsockopt(IPV6_CHECKSUM)") &&
         set_int(env, fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "setsockopt(IPV6_RECVPKTINFO)") &&
         set_int(env, fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "setsockopt(IPV6_RECVHOPLIMIT)");
}

/* vrrpOpen(family, ifname, onReadable): a configured raw socket of protocol 112, watched on this thread's loop. */
napi_value vrrp_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "vrrpOpen needs a family, an interface name and a callback");
    return NULL;
  }
  int32_t family = 0;
  if (napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6)) {
    napi_throw_range_error(env, NULL, "family must be 4 or 6");
    return NULL;
  }
  char ifname[IFNAMSIZ + 1];
  if (!get_ifname(env, argv[1], ifname)) return NULL;
  napi_valuetype type = napi_undefined;
  NAPI_CALL(env, napi_typeof(env, argv[2], &type));
  if (type != napi_function) {
    napi_throw_type_error(env, NULL, "onReadable must be a function");
    return NULL;
  }

  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, "if_nametoindex", errno != 0 ? errno : ENODEV);

  int domain = family == 4 ? AF_INET : AF_INET6;
  int fd = socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP);
  if (fd < 0) return throw_errno(env, "socket", errno);
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)(strlen(ifname) + 1)) < 0) {
    int error_number = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_BINDTODEVICE)", error_number);
  }
  int rcvbuf = VRRP_RCVBUF;
  /* SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it, SO_RCVBUF gets what net.core.rmem_max allows. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
      !set_int(env, fd, SOL_SOCKET, SO_RCVBUF, VRRP_RCVBUF, "setsockopt(SO_RCVBUF)")) {
    return NULL;
  }
  if (!set_int(env, fd, SOL_SOCKET, SO_TIMESTAMPNS, 1, "setsockopt(SO_TIMESTAMPNS)")) return NULL;
  if (!(family == 4 ? configure_ipv4(env, fd, (int)ifindex) : configure_ipv6(env, fd, (int)ifindex))) return NULL;

  vrrp_socket *socket_handle = (vrrp_socket *)calloc(1, sizeof(vrrp_socket));
  if (socket_handle == NULL) {
    close(fd);
    return throw_errno(env, "malloc", ENOMEM);
  }
  socket_handle->family = domain;
  socket_handle->ifindex = (int)ifindex;
  socket_handle->joined = false;
  /* The watcher owns fd and the struct from here, even when it fails. */
  return watcher_start(env, &socket_handle->base, fd, argv[2], "vrrp:socket", &VRRP_TAG, NULL);
}

/* Reads argv[0] as an open VRRP socket; throws (TypeError, or EBADF naming `syscall` once closed), NULL otherwise. */
static vrrp_socket *get_open_socket(napi_env env, napi_value value, const char *syscall) {
  vrrp_socket *socket_handle = (vrrp_socket *)get_tagged(env, value, &VRRP_TAG, "expected a vrrp socket handle");
  if (socket_handle == NULL) return NULL;
  if (socket_handle->base.fd < 0) {
    throw_errno(env, syscall, EBADF);
    return NULL;
  }
  return socket_handle;
}

/* vrrpJoin(handle): joins VRRP's multicast group on the socket's interface, once. */
napi_value vrrp_join(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "vrrpJoin needs a handle");
    return NULL;
  }
  vrrp_socket *socket_handle = get_open_socket(env, argv[0], "setsockopt");
  if (socket_handle == NULL || socket_handle->joined) return NULL;
  int fd = socket_handle->base.fd;
  if (socket_handle->family == AF_INET) {
    struct ip_mreqn membership;
    memset(&membership, 0, sizeof(membership));
    membership.imr_multiaddr.s_addr = htonl(0xe0000012); /* 224.0.0.18 */
    membership.imr_address.s_addr = htonl(INADDR_ANY);
    membership.imr_ifindex = socket_handle->ifindex;
    if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership, sizeof(membership)) < 0) {
      return throw_errno(env, "setsockopt(IP_ADD_MEMBERSHIP)", errno);
    }
  } else {
    struct ipv6_mreq membership;
    memset(&membership, 0, sizeof(membership));
    static const uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12}; /* ff02::12 */
    memcpy(&membership.ipv6mr_multiaddr, group, sizeof(group));
    membership.ipv6mr_interface = (unsigned int)socket_handle->ifindex;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &membership, sizeof(membership)) < 0) {
      return throw_errno(env, "setsockopt(IPV6_ADD_MEMBERSHIP)", errno);
    }
  }
  socket_handle->joined = true;
  return NULL;
}

/* vrrpRecv(handle, data, addresses, meta): one recvmsg; see the file comment for what lands where. */
napi_value vrrp_recv(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "vrrpRecv needs a handle, a data buffer, an address buffer and a meta array");
    return NULL;
  }
  vrrp_socket *socket_handle = get_open_socket(env, argv[0], "recvmsg");
  if (socket_handle == NULL) return NULL;
  void *data = NULL, *addresses_data = NULL;
  double *meta = NULL;
  size_t data_length = 0, addresses_length = 0, meta_length = 0;
  if (!get_bytes(env, argv[1], "data", &data, &data_length) ||
      !get_bytes(env, argv[2], "addresses", &addresses_data, &addresses_length) ||
      !get_float64s(env, argv[3], "meta", &meta, &meta_length)) {
    return NULL;
  }
  if (addresses_length < ADDRESSES_LEN || meta_length < META_LEN) {
    napi_throw_range_error(env, NULL, "addresses must hold 32 bytes and meta 3 numbers");
    return NULL;
  }

  struct sockaddr_in6 source; /* large enough for either family */
  /* Room for a timestamp, a packet info and a hop limit, aligned for struct cmsghdr. */
  union {
    struct cmsghdr align;
    char bytes[256];
  } control;
  struct iovec vector = {.iov_base = data, .iov_len = data_length};
  struct msghdr message;
  memset(&message, 0, sizeof(message));
  memset(&source, 0, sizeof(source));
  message.msg_name = &source;
  message.msg_namelen = sizeof(source);
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  message.msg_control = control.bytes;
  message.msg_controllen = sizeof(control.bytes);
  ssize_t received;
  do {
    received = recvmsg(socket_handle->base.fd, &message, MSG_DONTWAIT);
  } while (received < 0 && errno == EINTR);
  napi_value result;
  if (received < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return throw_errno(env, "recvmsg", errno);
    NAPI_CALL(env, napi_create_int32(env, -1, &result));
    return result;
  }

  /* A truncated datagram (MSG_TRUNC) reports the bytes read: `data` is meant to exceed any VRRP packet. */
  uint8_t *addresses = (uint8_t *)addresses_data;
  memset(addresses, 0, ADDRESSES_LEN);
  if (socket_handle->family == AF_INET) {
    memcpy(addresses, &((struct sockaddr_in *)&source)->sin_addr, 4);
  } else {
    memcpy(addresses, &source.sin6_addr, 16);
  }
  double age_ms = -1, hop_limit = -1, ifindex = -1;
  for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header != NULL; header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS &&
        header->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
      struct timespec stamp, now;
      memcpy(&stamp, CMSG_DATA(header), sizeof(stamp));
      /* Both on CLOCK_REALTIME, so only their difference is used. A negative one means the clock was stepped back
       * meanwhile: the packet is new, and -1 must keep meaning "unknown". */
      if (clock_gettime(CLOCK_REALTIME, &now) == 0) {
        age_ms = (double)(now.tv_sec - stamp.tv_sec) * 1e3 + (double)(now.tv_nsec - stamp.tv_nsec) / 1e6;
        if (age_ms < 0) age_ms = 0;
      }
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_PKTINFO &&
               header->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo packet_info;
      memcpy(&packet_info, CMSG_DATA(header), sizeof(packet_info));
      memcpy(addresses + 16, &packet_info.ipi6_addr, 16);
      ifindex = packet_info.ipi6_ifindex;
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_HOPLIMIT &&
               header->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int hops;
      memcpy(&hops, CMSG_DATA(header), sizeof(hops));
      hop_limit = hops;
    } else if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_PKTINFO &&
               header->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      /* Not asked for today (IPv4's destination is in the IP header); reported if a caller ever turns it on. */
      struct in_pktinfo packet_info;
      memcpy(&packet_info, CMSG_DATA(header), sizeof(packet_info));
      ifindex = packet_info.ipi_ifindex;
    }
  }
  meta[0] = age_ms;
  meta[1] = hop_limit;
  meta[2] = ifindex;
  NAPI_CALL(env, napi_create_int32(env, (int32_t)received, &result));
  return result;
}

/* vrrpSend(handle, data, dst, source): one sendmsg, with the source pinned when given. */
napi_value vrrp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "vrrpSend needs a handle, data, a destination and a source (or null)");
    return NULL;
  }
  vrrp_socket *socket_handle = (vrrp_socket *)get_tagged(env, argv[0], &VRRP_TAG, "expected a vrrp socket handle");
  if (socket_handle == NULL) return NULL;
  size_t address_length = socket_handle->family == AF_INET ? 4 : 16;
  void *data = NULL, *dst = NULL, *source = NULL;
  size_t data_length = 0, dst_length = 0, source_length = 0;
  if (!get_bytes(env, argv[1], "data", &data, &data_length) || !get_bytes(env, argv[2], "destination", &dst, &dst_length)) {
    return NULL;
  }
  napi_valuetype source_type = napi_undefined;
  if (argc >= 4) NAPI_CALL(env, napi_typeof(env, argv[3], &source_type));
  if (source_type != napi_undefined && source_type != napi_null &&
      !get_bytes(env, argv[3], "source", &source, &source_length)) {
    return NULL;
  }
  if (dst_length != address_length || (source != NULL && source_length != address_length)) {
    napi_throw_range_error(env, NULL, address_length == 4 ? "addresses of an IPv4 socket are 4 bytes" : "addresses of an IPv6 socket are 16 bytes");
    return NULL;
  }
  if (socket_handle->base.fd < 0) return throw_errno(env, "sendmsg", EBADF);

  struct sockaddr_in to4;
  struct sockaddr_in6 to6;
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } control;
  struct iovec vector = {.iov_base = data, .iov_len = data_length};
  struct msghdr message;
  memset(&message, 0, sizeof(message));
  memset(&control, 0, sizeof(control));
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  if (socket_handle->family == AF_INET) {
    memset(&to4, 0, sizeof(to4));
    to4.sin_family = AF_INET;
    memcpy(&to4.sin_addr, dst, 4);
    message.msg_name = &to4;
    message.msg_namelen = sizeof(to4);
    if (source != NULL) {
      message.msg_control = control.bytes;
      message.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
      struct cmsghdr *header = CMSG_FIRSTHDR(&message);
      header->cmsg_level = IPPROTO_IP;
      header->cmsg_type = IP_PKTINFO;
      header->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
      struct in_pktinfo packet_info;
      memset(&packet_info, 0, sizeof(packet_info));
      packet_info.ipi_ifindex = socket_handle->ifindex;
      memcpy(&packet_info.ipi_spec_dst, source, 4);
      memcpy(CMSG_DATA(header), &packet_info, sizeof(packet_info));
    }
  } else {
    memset(&to6, 0, sizeof(to6));
    to6.sin6_family = AF_INET6;
    memcpy(&to6.sin6_addr, dst, 16);
    if (IN6_IS_ADDR_LINKLOCAL(&to6.sin6_addr) || IN6_IS_ADDR_MULTICAST(&to6.sin6_addr)) {
      to6.sin6_scope_id = (uint32_t)socket_handle->ifindex;
    }
    message.msg_name = &to6;
    message.msg_namelen = sizeof(to6);
    if (source != NULL) {
      message.msg_control = control.bytes;
      message.msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
      struct cmsghdr *header = CMSG_FIRSTHDR(&message);
      header->cmsg_level = IPPROTO_IPV6;
      header->cmsg_type = IPV6_PKTINFO;
      header->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
      struct in6_pktinfo packet_info;
      memset(&packet_info, 0, sizeof(packet_info));
      memcpy(&packet_info.ipi6_addr, source, 16);
      packet_info.ipi6_ifindex = (unsigned int)socket_handle->ifindex;
      memcpy(CMSG_DATA(header), &packet_info, sizeof(packet_info));
    }
  }
  ssize_t sent;
  do {
    sent = sendmsg(socket_handle->base.fd, &message, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return throw_errno(env, "sendmsg", errno);
  /* A raw datagram goes out whole or not at all. */
  if ((size_t)sent != data_length) return throw_errno(env, "sendmsg", EMSGSIZE);
  return NULL;
}
