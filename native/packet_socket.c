/*
 * vrrp_packet: the smallest AF_PACKET surface the library needs, in C with Node-API only.
 *
 * Why it exists: gratuitous ARP (RFC 5227 §3) and unsolicited Neighbor Advertisements (RFC 4861 §7.2.6) are whole
 * Ethernet frames, and only an AF_PACKET socket can send those. The npm modules we use (raw-socket, netlink) stop
 * at IP, so this addon opens one packet socket per interface and sends frames that JavaScript built byte by byte.
 * Everything that is policy (frame layout, retries, error wording) lives in TypeScript; this file only does
 * syscalls and reports errno.
 *
 * It also sends rtnetlink requests synchronously (routeOpen/routeRequest): a takeover adds its virtual addresses
 * between its advertisement and its gratuitous ARP, and the netlink module's asynchronous JavaScript path measured
 * 0.15-0.27 ms there on a first takeover, against tens of microseconds for one sendto + recv here. rtnetlink handles
 * a request inside sendmsg and queues the acknowledgement before sendmsg returns, as keepalived relies on too.
 *
 * JavaScript surface (wrapped by src/linux/packet-socket.ts, the only module that loads this file):
 *   open(ifname: string) -> { handle: External, ifindex: number, hatype: number, mac: Buffer (hardware address) }
 *   send(handle, frame: Uint8Array) -> undefined   (frame starts with the 14-byte Ethernet header)
 *   close(handle) -> undefined                     (idempotent)
 *   routeOpen() -> External                        (an unsubscribed NETLINK_ROUTE socket)
 *   routeRequest(handle, message: Uint8Array) -> number
 *                                                  (sends one whole netlink message, which must ask for an ACK;
 *                                                   returns the acknowledgement's errno, 0 for success)
 *   routeClose(handle) -> undefined                (idempotent)
 *   findSocket(cookie: Uint8Array(8)) -> number    (a new descriptor (close-on-exec), owned by the caller, of the
 *                                                   socket of this process whose SO_COOKIE is `cookie`, or -1; used
 *                                                   to reach raw-socket's socket, whose descriptor it keeps private.
 *                                                   A descriptor of our own, not raw-socket's number: that number
 *                                                   may be closed and reused by the app, ours stays on this socket
 *                                                   until we close it, so no send needs a check first)
 *   sendTo(fd: number, datagram: Uint8Array, address: Uint8Array(4 | 16), scopeId: number)
 *                                                  -> undefined (one sendto on a descriptor from findSocket)
 *   burstPrepare(ops: [kind, target, bytes][]) -> External
 *                                                  (checks and copies up to 256 operations, refusing the whole
 *                                                   list if one is malformed: kind 0 = pwrite(target fd, bytes,
 *                                                   offset 0), 1 = routeRequest(target route handle, bytes), 2 =
 *                                                   send(target packet handle, frame); keeps the handles alive)
 *   burstRun(prepared) -> Int32Array              (runs them back to back, no Node-API call until the last is
 *                                                   done; one result per operation: 0, the kernel's
 *                                                   acknowledgement errno or the failed syscall's errno)
 *   receiveAge(fd: number) -> number               (milliseconds since the kernel received the last datagram read
 *                                                   from `fd` (SIOCGSTAMPNS), or -1 when unknown; the first call
 *                                                   turns receive timestamps on)
 *
 * Why receive ages: a backup starts its Master_Down_Timer when the master's advert arrives. JavaScript reads the
 * advert 0.2-0.3 ms after the kernel received it (measured), later if the app keeps the loop busy; the kernel's
 * timestamp says when it really arrived.
 *
 * Why sendTo: raw-socket's send wraps one sendto in a string address parse and a callback through MakeCallback;
 * on a takeover, after 100 ms of idling, that wrapper measured 0.1-0.2 ms around a sendto of tens of
 * microseconds, all of it before the new master's virtual addresses and gratuitous ARP. The socket and its options
 * stay raw-socket's; only the send takes this shorter road.
 *
 * Why burst: a takeover writes its crash-cleanup markers, adds its addresses and sends its gratuitous ARP, in that
 * order, as fast as it can: each step is a syscall of tens of microseconds, and crossing from JavaScript for each,
 * with the code between them run for the first time in a long while, measured about as much again.
 * Failed syscalls throw an Error with numeric `errno` and `syscall`; the wrapper turns errno into its name.
 *
 * Design notes:
 * - The socket is opened with protocol 0: packet(7) says such a socket receives nothing, so no receive queue ever
 *   fills up behind a socket that only sends (keepalived attaches a drop-all BPF filter for the same reason).
 * - SOCK_NONBLOCK: a full device queue must never block Node's event loop; the caller sees EAGAIN instead, which
 *   is harmless for announcements that are unreliable and repeated by design.
 * - The file descriptor lives in a type-tagged External with a finalizer, so a forgotten close() cannot leak it,
 *   and a closed handle cannot send on a descriptor number that the process has since reused for something else.
 * - Context-aware (NAPI_MODULE_INIT, no globals): loads in worker threads and in several threads at once.
 */

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <dirent.h>
#include <linux/sockios.h>
#include <poll.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <node_api.h>

/* Ethernet header length: destination, source, EtherType. A frame shorter than this cannot be addressed. */
#define ETH_HEADER_LEN 14
/* Length of an Ethernet MAC address, the only hardware address length this addon reports. */
#define MAC_LEN 6

/* One open packet socket. fd is -1 once closed; it comes first (see finalize_handle). */
typedef struct {
  int fd;
  int ifindex;
} packet_handle;

static int frame_send(packet_handle *handle, const uint8_t *bytes, size_t frame_length);

/* Random tag so send()/close() reject any External that did not come from open(). */
static const napi_type_tag HANDLE_TAG = {0x7672727061636b74ULL, 0x5f68616e646c6531ULL};

/* One rtnetlink request socket. fd is -1 once closed and comes first (see finalize_handle); seq numbers its
 * requests so acknowledgements match. */
typedef struct {
  int fd;
  uint32_t seq;
} route_handle;

/* Random tag so routeRequest()/routeClose() reject any External that did not come from routeOpen(). */
static const napi_type_tag ROUTE_TAG = {0x767272705f72746eULL, 0x6c5f68616e646c65ULL};

/* Largest request accepted: an address message is under 100 bytes; the limit only bounds the stack copy. */
#define ROUTE_MAX_REQUEST 1024
/* How long to wait for an acknowledgement that is not queued yet. rtnetlink queues it inside sendmsg, so this is a
 * safety net that never runs in practice; it bounds how long a misbehaving kernel could stall the event loop. */
#define ROUTE_ACK_TIMEOUT_MS 100

/* Returns NULL from the calling function when a Node-API call fails (an exception is then pending or thrown). */
#define NAPI_CALL(env, call)                                             \
  do {                                                                   \
    if ((call) != napi_ok) {                                             \
      throw_last_napi_error(env);                                        \
      return NULL;                                                       \
    }                                                                    \
  } while (0)

/* Turns a failed Node-API call into a JS exception unless one is already pending. */
static void throw_last_napi_error(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  napi_throw_error(env, NULL, info != NULL && info->error_message != NULL ? info->error_message : "node-api call failed");
}

/* Throws Error("<syscall>: <strerror>") with numeric `errno` and string `syscall`, and returns NULL for the caller. */
static napi_value throw_errno(napi_env env, const char *syscall, int error_number) {
  char message[160];
  napi_value msg_value, error, errno_value, syscall_value;
  snprintf(message, sizeof(message), "%s: %s", syscall, strerror(error_number));
  if (napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg_value) != napi_ok ||
      napi_create_error(env, NULL, msg_value, &error) != napi_ok ||
      napi_create_int32(env, error_number, &errno_value) != napi_ok ||
      napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value) != napi_ok ||
      napi_set_named_property(env, error, "errno", errno_value) != napi_ok ||
      napi_set_named_property(env, error, "syscall", syscall_value) != napi_ok) {
    throw_last_napi_error(env);
    return NULL;
  }
  napi_throw(env, error);
  return NULL;
}

/* GC finalizer of both handle types: closes a descriptor the caller forgot, then frees the struct. Both structs
 * begin with their `int fd` for this. */
static void finalize_handle(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  int *fd = (int *)data;
  if (*fd >= 0) close(*fd);
  free(data);
}

/* Reads `value` as an External tagged `tag`; throws TypeError("expected <what>") and returns NULL otherwise. */
static void *get_tagged(napi_env env, napi_value value, const napi_type_tag *tag, const char *what) {
  napi_valuetype type;
  bool tagged = false;
  void *data = NULL;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external ||
      napi_check_object_type_tag(env, value, tag, &tagged) != napi_ok || !tagged ||
      napi_get_value_external(env, value, &data) != napi_ok) {
    napi_throw_type_error(env, NULL, what);
    return NULL;
  }
  return data;
}

/* Reads `value` as a Uint8Array into *data / *length; throws TypeError("<what> must be a Uint8Array") and returns
 * false otherwise (or when a Node-API call fails, with its exception pending). */
static bool get_bytes(napi_env env, napi_value value, const char *what, void **data, size_t *length) {
  bool is_typedarray = false;
  napi_typedarray_type array_type = napi_int8_array;
  if (napi_is_typedarray(env, value, &is_typedarray) != napi_ok ||
      (is_typedarray && napi_get_typedarray_info(env, value, &array_type, length, data, NULL, NULL) != napi_ok)) {
    throw_last_napi_error(env);
    return false;
  }
  if (!is_typedarray || array_type != napi_uint8_array) {
    char message[96];
    snprintf(message, sizeof(message), "%s must be a Uint8Array", what);
    napi_throw_type_error(env, NULL, message);
    return false;
  }
  return true;
}

/* open(ifname): socket + SIOCGIFINDEX + SIOCGIFHWADDR on that interface. */
static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));

  napi_valuetype type = napi_undefined;
  if (argc >= 1) NAPI_CALL(env, napi_typeof(env, argv[0], &type));
  if (type != napi_string) {
    napi_throw_type_error(env, NULL, "interface name must be a string");
    return NULL;
  }
  /* One byte more than IFNAMSIZ tells "too long" apart from "fits exactly". */
  char ifname[IFNAMSIZ + 1];
  size_t length = 0;
  NAPI_CALL(env, napi_get_value_string_utf8(env, argv[0], ifname, sizeof(ifname), &length));
  if (length == 0 || length >= IFNAMSIZ || strlen(ifname) != length) {
    /* The kernel would say ENODEV for these; say it before a syscall, with the same errno. */
    return throw_errno(env, "if_nametoindex", ENODEV);
  }

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
  NAPI_CALL(env, napi_type_tag_object(env, external, &HANDLE_TAG));

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
static napi_value send_frame(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "send needs a handle and a frame");
    return NULL;
  }
  packet_handle *handle = get_tagged(env, argv[0], &HANDLE_TAG, "expected a packet socket handle");
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

/* Sends one whole frame (at least ETH_HEADER_LEN bytes, checked by the caller); returns 0 or an errno. */
static int frame_send(packet_handle *handle, const uint8_t *bytes, size_t frame_length) {
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

static const char *route_message_problem(const void *data, size_t length);
static int route_exchange(route_handle *handle, const void *data, size_t length, int *acknowledged, const char **failed_syscall);

/* routeOpen(): a NETLINK_ROUTE socket bound to a kernel-chosen port, subscribed to nothing. */
static napi_value route_open(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) return throw_errno(env, "socket", errno);
  struct sockaddr_nl local;
  memset(&local, 0, sizeof(local));
  local.nl_family = AF_NETLINK;
  if (bind(fd, (const struct sockaddr *)&local, sizeof(local)) < 0) {
    int error_number = errno;
    close(fd);
    return throw_errno(env, "bind", error_number);
  }
  route_handle *handle = (route_handle *)malloc(sizeof(route_handle));
  if (handle == NULL) {
    close(fd);
    return throw_errno(env, "malloc", ENOMEM);
  }
  handle->fd = fd;
  handle->seq = 0;
  napi_value external;
  if (napi_create_external(env, handle, finalize_handle, NULL, &external) != napi_ok) {
    close(fd);
    free(handle);
    throw_last_napi_error(env);
    return NULL;
  }
  NAPI_CALL(env, napi_type_tag_object(env, external, &ROUTE_TAG));
  return external;
}

/* Reads datagrams until the acknowledgement of `seq` arrives; returns its errno (0 = success) or -1 with errno set
 * when recv fails. Replies to other sequence numbers (none are expected: every request reads its own) are skipped. */
static int read_acknowledgement(int fd, uint32_t seq) {
  /* Aligned for struct nlmsghdr; an error acknowledgement echoes the request, so it fits easily. */
  uint32_t buffer[(ROUTE_MAX_REQUEST + 256) / sizeof(uint32_t)];
  for (;;) {
    ssize_t received = recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (received < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      struct pollfd waiting = {.fd = fd, .events = POLLIN, .revents = 0};
      int ready = poll(&waiting, 1, ROUTE_ACK_TIMEOUT_MS);
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) {
        if (ready == 0) errno = ETIMEDOUT;
        return -1;
      }
      continue;
    }
    int remaining = (int)received;
    for (struct nlmsghdr *header = (struct nlmsghdr *)buffer; NLMSG_OK(header, remaining);
         header = NLMSG_NEXT(header, remaining)) {
      if (header->nlmsg_seq != seq || header->nlmsg_type != NLMSG_ERROR) continue;
      if (header->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
        errno = EBADMSG;
        return -1;
      }
      const struct nlmsgerr *acknowledgement = (const struct nlmsgerr *)NLMSG_DATA(header);
      return -acknowledgement->error;
    }
  }
}

/* routeRequest(handle, message): sends one netlink message to the kernel and returns its acknowledgement's errno. */
static napi_value route_request(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "routeRequest needs a handle and a message");
    return NULL;
  }
  route_handle *handle = get_tagged(env, argv[0], &ROUTE_TAG, "expected a route socket handle");
  if (handle == NULL) return NULL;
  size_t length = 0;
  void *data = NULL;
  if (!get_bytes(env, argv[1], "message", &data, &length)) return NULL;
  const char *problem = route_message_problem(data, length);
  if (problem != NULL) {
    napi_throw_range_error(env, NULL, problem);
    return NULL;
  }
  int acknowledged = 0;
  const char *failed_syscall = NULL;
  int error_number = route_exchange(handle, data, length, &acknowledged, &failed_syscall);
  if (error_number != 0) return throw_errno(env, failed_syscall, error_number);
  napi_value value;
  NAPI_CALL(env, napi_create_int32(env, acknowledged, &value));
  return value;
}

/* Why `data` cannot be sent as one acknowledged request, or NULL when it can. */
static const char *route_message_problem(const void *data, size_t length) {
  if (length < NLMSG_HDRLEN || length > ROUTE_MAX_REQUEST) return "message must hold one netlink header and at most 1024 bytes";
  struct nlmsghdr header;
  memcpy(&header, data, sizeof(header));
  if (header.nlmsg_len != length || (header.nlmsg_flags & NLM_F_ACK) == 0) {
    return "message length must match its header, and it must ask for an ACK";
  }
  return NULL;
}

/* Sends one checked request and reads its acknowledgement into *acknowledged (its errno, 0 = success); returns 0,
 * or the errno of the syscall that failed (named in *failed_syscall). */
static int route_exchange(route_handle *handle, const void *data, size_t length, int *acknowledged, const char **failed_syscall) {
  *failed_syscall = "sendto";
  if (handle->fd < 0) return EBADF;
  /* A copy, so the caller's prepared bytes stay untouched while we stamp our sequence number into the header. */
  uint32_t message[ROUTE_MAX_REQUEST / sizeof(uint32_t)];
  memcpy(message, data, length);
  struct nlmsghdr *header = (struct nlmsghdr *)message;
  handle->seq = handle->seq == UINT32_MAX ? 1 : handle->seq + 1;
  header->nlmsg_seq = handle->seq;
  header->nlmsg_pid = 0;

  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof(kernel));
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(handle->fd, message, length, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno;
  int result = read_acknowledgement(handle->fd, handle->seq);
  if (result < 0) {
    *failed_syscall = "recv";
    return errno;
  }
  *acknowledged = result;
  return 0;
}

/* What close()/routeClose() need to know about their handle type; passed as the callback's data. */
typedef struct {
  const napi_type_tag *tag;
  const char *missing;
  const char *expected;
} handle_kind;
static const handle_kind PACKET_KIND = {&HANDLE_TAG, "close needs a handle", "expected a packet socket handle"};
static const handle_kind ROUTE_KIND = {&ROUTE_TAG, "routeClose needs a handle", "expected a route socket handle"};

/* close(handle) / routeClose(handle): closes the descriptor now instead of at garbage collection. Idempotent. */
static napi_value close_handle(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, &data));
  const handle_kind *kind = (const handle_kind *)data;
  if (argc < 1) {
    napi_throw_type_error(env, NULL, kind->missing);
    return NULL;
  }
  int *fd = (int *)get_tagged(env, argv[0], kind->tag, kind->expected); /* both handle structs begin with fd */
  if (fd == NULL) return NULL;
  if (*fd >= 0) {
    /* Linux releases the descriptor even when close() reports an error, so never retry and never report. */
    close(*fd);
    *fd = -1;
  }
  return NULL;
}

/* findSocket(cookie): scans /proc/self/fd for the socket whose SO_COOKIE equals `cookie` (8 bytes, host order). */
static napi_value find_socket(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t length = 0;
  void *data = NULL;
  if (argc < 1 || !get_bytes(env, argv[0], "cookie", &data, &length)) {
    if (argc < 1) napi_throw_type_error(env, NULL, "findSocket needs a cookie");
    return NULL;
  }
  if (length != sizeof(uint64_t)) {
    napi_throw_range_error(env, NULL, "cookie must be 8 bytes");
    return NULL;
  }
  uint64_t wanted;
  memcpy(&wanted, data, sizeof(wanted));
  int found = -1;
  DIR *directory = opendir("/proc/self/fd");
  if (directory == NULL) return throw_errno(env, "opendir", errno);
  int own = dirfd(directory);
  for (struct dirent *entry = readdir(directory); entry != NULL; entry = readdir(directory)) {
    char *end = NULL;
    long fd = strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    uint64_t cookie = 0;
    socklen_t size = sizeof(cookie);
    /* Not a socket (ENOTSOCK) or no cookie: not ours. */
    if (getsockopt((int)fd, SOL_SOCKET, SO_COOKIE, &cookie, &size) == 0 && size == sizeof(cookie) && cookie == wanted) {
      found = fcntl((int)fd, F_DUPFD_CLOEXEC, 0);
      if (found < 0) {
        int error_number = errno;
        closedir(directory);
        return throw_errno(env, "fcntl", error_number);
      }
      break;
    }
  }
  closedir(directory);
  napi_value value;
  NAPI_CALL(env, napi_create_int32(env, found, &value));
  return value;
}

/* sendTo(fd, datagram, address, scopeId): one sendto on a descriptor from findSocket. */
static napi_value send_to(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  uint32_t scope_id = 0;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_uint32(env, argv[3], &scope_id) != napi_ok) {
    napi_throw_type_error(env, NULL, "sendTo needs a descriptor, a datagram, an address and a scope id");
    return NULL;
  }
  size_t datagram_length = 0, address_length = 0;
  void *datagram = NULL, *address = NULL;
  if (!get_bytes(env, argv[1], "datagram", &datagram, &datagram_length) ||
      !get_bytes(env, argv[2], "address", &address, &address_length)) {
    return NULL;
  }
  if (address_length != 4 && address_length != 16) {
    napi_throw_range_error(env, NULL, "address must be 4 or 16 bytes");
    return NULL;
  }
  if (fd < 0) return throw_errno(env, "sendto", EBADF);
  struct sockaddr_storage storage;
  memset(&storage, 0, sizeof(storage));
  socklen_t storage_length;
  if (address_length == 4) {
    struct sockaddr_in *in = (struct sockaddr_in *)&storage;
    in->sin_family = AF_INET;
    memcpy(&in->sin_addr, address, 4);
    storage_length = sizeof(*in);
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&storage;
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_addr, address, 16);
    in6->sin6_scope_id = scope_id;
    storage_length = sizeof(*in6);
  }
  ssize_t sent;
  do {
    sent = sendto(fd, datagram, datagram_length, 0, (const struct sockaddr *)&storage, storage_length);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return throw_errno(env, "sendto", errno);
  /* A raw datagram goes out whole or not at all. */
  if ((size_t)sent != datagram_length) return throw_errno(env, "sendto", EMSGSIZE);
  return NULL;
}

/* receiveAge(fd): age of the last datagram read from fd, from its kernel receive timestamp, in milliseconds. */
static napi_value receive_age(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "receiveAge needs a descriptor");
    return NULL;
  }
  double age_ms = -1;
  struct timespec stamp, now;
  /* SIOCGSTAMPNS: CLOCK_REALTIME of the last datagram read; ENOENT until one was read with stamping on (the first
   * call turns it on). Both sides on CLOCK_REALTIME, so only their difference is used. */
  if (ioctl(fd, SIOCGSTAMPNS, &stamp) == 0 && clock_gettime(CLOCK_REALTIME, &now) == 0) {
    age_ms = (double)(now.tv_sec - stamp.tv_sec) * 1e3 + (double)(now.tv_nsec - stamp.tv_nsec) / 1e6;
  }
  napi_value value;
  NAPI_CALL(env, napi_create_double(env, age_ms, &value));
  return value;
}

/* Most operations one burst takes: a takeover's are two per address plus its announcement frames. */
#define BURST_MAX_OPS 256

/* One checked operation of a burst. */
typedef struct {
  int32_t kind; /* BURST_PWRITE, BURST_ROUTE or BURST_FRAME */
  int fd;       /* BURST_PWRITE */
  void *handle; /* route_handle (BURST_ROUTE) or packet_handle (BURST_FRAME) */
  void *data;   /* a copy, inside the prepared burst's own allocation */
  size_t length;
} burst_op;

enum { BURST_PWRITE = 0, BURST_ROUTE = 1, BURST_FRAME = 2 };

/* A burst checked and copied once, run as often as asked. It holds a reference to every socket handle it names, so
 * that their structs outlive it; a socket closed meanwhile has fd -1 and its operation fails with EBADF. */
typedef struct {
  uint32_t count;
  uint32_t ref_count;
  napi_ref refs[BURST_MAX_OPS];
  burst_op ops[BURST_MAX_OPS];
  /* the operations' bytes follow */
} prepared_burst;

/* Random tag so burstRun() rejects any External that did not come from burstPrepare(). */
static const napi_type_tag BURST_TAG = {0x767272705f627572ULL, 0x73745f7072657061ULL};

static void finalize_burst(napi_env env, void *data, void *hint) {
  (void)hint;
  prepared_burst *prepared = (prepared_burst *)data;
  for (uint32_t i = 0; i < prepared->ref_count; i++) napi_delete_reference(env, prepared->refs[i]);
  free(prepared);
}

/* burstPrepare(ops): checks [kind, target, bytes] operations and copies them into a prepared burst (External). */
static napi_value burst_prepare(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc >= 1) NAPI_CALL(env, napi_is_array(env, argv[0], &is_array));
  if (!is_array) {
    napi_throw_type_error(env, NULL, "burst needs an array of operations");
    return NULL;
  }
  uint32_t count = 0;
  NAPI_CALL(env, napi_get_array_length(env, argv[0], &count));
  if (count > BURST_MAX_OPS) {
    napi_throw_range_error(env, NULL, "a burst holds at most 256 operations");
    return NULL;
  }
  /* Every operation is checked before anything is kept: a malformed burst is refused whole. */
  burst_op ops[BURST_MAX_OPS];
  napi_value targets[BURST_MAX_OPS];
  size_t total_bytes = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value op, kind_value, target, bytes;
    uint32_t op_length = 0;
    bool op_is_array = false;
    NAPI_CALL(env, napi_get_element(env, argv[0], i, &op));
    NAPI_CALL(env, napi_is_array(env, op, &op_is_array));
    if (op_is_array) NAPI_CALL(env, napi_get_array_length(env, op, &op_length));
    if (!op_is_array || op_length != 3) {
      napi_throw_type_error(env, NULL, "each burst operation is [kind, target, bytes]");
      return NULL;
    }
    NAPI_CALL(env, napi_get_element(env, op, 0, &kind_value));
    NAPI_CALL(env, napi_get_element(env, op, 1, &target));
    NAPI_CALL(env, napi_get_element(env, op, 2, &bytes));
    burst_op *checked = &ops[i];
    targets[i] = target;
    if (napi_get_value_int32(env, kind_value, &checked->kind) != napi_ok) {
      napi_throw_type_error(env, NULL, "burst operation kind must be a number");
      return NULL;
    }
    if (!get_bytes(env, bytes, "burst operation bytes", &checked->data, &checked->length)) return NULL;
    checked->fd = -1;
    checked->handle = NULL;
    if (checked->kind == BURST_PWRITE) {
      if (napi_get_value_int32(env, target, &checked->fd) != napi_ok || checked->fd < 0) {
        napi_throw_type_error(env, NULL, "a pwrite operation needs a descriptor");
        return NULL;
      }
    } else if (checked->kind == BURST_ROUTE) {
      checked->handle = get_tagged(env, target, &ROUTE_TAG, "a route operation needs a route socket handle");
      if (checked->handle == NULL) return NULL;
      const char *problem = route_message_problem(checked->data, checked->length);
      if (problem != NULL) {
        napi_throw_range_error(env, NULL, problem);
        return NULL;
      }
    } else if (checked->kind == BURST_FRAME) {
      checked->handle = get_tagged(env, target, &HANDLE_TAG, "a frame operation needs a packet socket handle");
      if (checked->handle == NULL) return NULL;
      if (checked->length < ETH_HEADER_LEN) {
        napi_throw_range_error(env, NULL, "frame is shorter than an ethernet header");
        return NULL;
      }
    } else {
      napi_throw_range_error(env, NULL, "burst operation kind must be 0 (pwrite), 1 (route) or 2 (frame)");
      return NULL;
    }
    total_bytes += checked->length;
  }
  prepared_burst *prepared = (prepared_burst *)malloc(sizeof(prepared_burst) + total_bytes);
  if (prepared == NULL) return throw_errno(env, "malloc", ENOMEM);
  prepared->count = count;
  prepared->ref_count = 0;
  uint8_t *storage = (uint8_t *)(prepared + 1);
  for (uint32_t i = 0; i < count; i++) {
    prepared->ops[i] = ops[i];
    if (ops[i].length > 0) memcpy(storage, ops[i].data, ops[i].length);
    prepared->ops[i].data = storage;
    storage += ops[i].length;
    if (ops[i].handle != NULL && napi_create_reference(env, targets[i], 1, &prepared->refs[prepared->ref_count]) == napi_ok) {
      prepared->ref_count++;
    } else if (ops[i].handle != NULL) {
      finalize_burst(env, prepared, NULL);
      throw_last_napi_error(env);
      return NULL;
    }
  }
  napi_value external;
  if (napi_create_external(env, prepared, finalize_burst, NULL, &external) != napi_ok) {
    finalize_burst(env, prepared, NULL);
    throw_last_napi_error(env);
    return NULL;
  }
  NAPI_CALL(env, napi_type_tag_object(env, external, &BURST_TAG));
  return external;
}

/* burstRun(prepared): runs a prepared burst's operations back to back; an Int32Array of their results. */
static napi_value burst_run(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "burstRun needs a prepared burst");
    return NULL;
  }
  prepared_burst *prepared = (prepared_burst *)get_tagged(env, argv[0], &BURST_TAG, "expected a prepared burst");
  if (prepared == NULL) return NULL;
  uint32_t count = prepared->count;
  /* Results land on the stack and are copied out after the last operation: no Node-API call before then. */
  int32_t result[BURST_MAX_OPS];
  /* Back to back, nothing else in between: the point of a burst. A failure is recorded and the rest still runs
   * (one address refused must not keep the others from being added and announced). */
  for (uint32_t i = 0; i < count; i++) {
    const burst_op *op = &prepared->ops[i];
    if (op->kind == BURST_PWRITE) {
      ssize_t written;
      do {
        written = pwrite(op->fd, op->data, op->length, 0);
      } while (written < 0 && errno == EINTR);
      result[i] = written < 0 ? errno : (size_t)written == op->length ? 0 : EIO;
    } else if (op->kind == BURST_ROUTE) {
      int acknowledged = 0;
      const char *failed_syscall = NULL;
      int error_number = route_exchange((route_handle *)op->handle, op->data, op->length, &acknowledged, &failed_syscall);
      result[i] = error_number != 0 ? error_number : acknowledged;
    } else {
      result[i] = frame_send((packet_handle *)op->handle, (const uint8_t *)op->data, op->length);
    }
  }
  napi_value buffer, results;
  void *result_data = NULL;
  NAPI_CALL(env, napi_create_arraybuffer(env, count * sizeof(int32_t), &result_data, &buffer));
  if (count > 0) memcpy(result_data, result, count * sizeof(int32_t));
  NAPI_CALL(env, napi_create_typedarray(env, napi_int32_array, count, buffer, 0, &results));
  return results;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"open", NULL, open_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, send_frame, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_handle, NULL, NULL, NULL, napi_enumerable, (void *)&PACKET_KIND},
      {"routeOpen", NULL, route_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"routeRequest", NULL, route_request, NULL, NULL, NULL, napi_enumerable, NULL},
      {"routeClose", NULL, close_handle, NULL, NULL, NULL, napi_enumerable, (void *)&ROUTE_KIND},
      {"findSocket", NULL, find_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"sendTo", NULL, send_to, NULL, NULL, NULL, napi_enumerable, NULL},
      {"burstPrepare", NULL, burst_prepare, NULL, NULL, NULL, napi_enumerable, NULL},
      {"burstRun", NULL, burst_run, NULL, NULL, NULL, napi_enumerable, NULL},
      {"receiveAge", NULL, receive_age, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties));
  return exports;
}
