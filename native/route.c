/*
 * route.c: rtnetlink requests sent synchronously: routeOpen(), routeRequest(handle, message), routeClose(handle).
 *
 * Why: a takeover adds its virtual addresses between its advertisement and its gratuitous ARP, and the netlink
 * module's asynchronous JavaScript path measured 0.15-0.27 ms there on a first takeover, against tens of
 * microseconds for one sendto + recv here. rtnetlink handles a request inside sendmsg and queues the
 * acknowledgement before sendmsg returns, as keepalived relies on too.
 *
 * JavaScript builds the whole message (it must ask for an ACK); this file stamps its own sequence number, sends it
 * and returns the acknowledgement's errno (0 for success). The socket is bound to a kernel-chosen port and
 * subscribed to nothing, so nothing but our acknowledgements ever queues on it.
 */
#include "route.h"

#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Random tag so routeRequest()/routeClose() reject any External that did not come from routeOpen(). */
const napi_type_tag ROUTE_TAG = {0x767272705f72746eULL, 0x6c5f68616e646c65ULL};
const handle_kind ROUTE_KIND = {&ROUTE_TAG, "routeClose needs a handle", "expected a route socket handle"};

/* Largest request accepted: an address message is under 100 bytes; the limit only bounds the stack copy. */
#define ROUTE_MAX_REQUEST 1024
/* How long to wait for an acknowledgement that is not queued yet. rtnetlink queues it inside sendmsg, so this is a
 * safety net that never runs in practice; it bounds how long a misbehaving kernel could stall the event loop. */
#define ROUTE_ACK_TIMEOUT_MS 100

int route_socket(const char **failed) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (fd < 0) {
    *failed = "socket";
    return -1;
  }
  struct sockaddr_nl local;
  memset(&local, 0, sizeof(local));
  local.nl_family = AF_NETLINK;
  if (bind(fd, (const struct sockaddr *)&local, sizeof(local)) < 0) {
    int error_number = errno;
    close(fd);
    errno = error_number;
    *failed = "bind";
    return -1;
  }
  return fd;
}

/* routeOpen(): a NETLINK_ROUTE socket bound to a kernel-chosen port, subscribed to nothing. */
napi_value route_open(napi_env env, napi_callback_info info) {
  (void)info;
  const char *failed = NULL;
  int fd = route_socket(&failed);
  if (fd < 0) return throw_errno(env, failed, errno);
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
napi_value route_request(napi_env env, napi_callback_info info) {
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

const char *route_message_problem(const void *data, size_t length) {
  if (length < NLMSG_HDRLEN || length > ROUTE_MAX_REQUEST) return "message must hold one netlink header and at most 1024 bytes";
  struct nlmsghdr header;
  memcpy(&header, data, sizeof(header));
  if (header.nlmsg_len != length || (header.nlmsg_flags & NLM_F_ACK) == 0) {
    return "message length must match its header, and it must ask for an ACK";
  }
  return NULL;
}

int route_exchange(route_handle *handle, const void *data, size_t length, int *acknowledged, const char **failed_syscall) {
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
