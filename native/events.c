/*
 * events.c: the link monitor's rtnetlink event socket — eventsOpen(groups, onReadable), eventsRecv(handle, buffer),
 * eventsIgnore(handle, entries), eventsClose(handle), eventsRef(handle, ref) — and the same kind of socket with a
 * fixed filter for the VIP manager's watch of our virtual routes and rules (eventsKeepRoutingDeletions, at the end).
 *
 * Why here and not in the netlink module: the kernel tells every listener of each VIP lease renewal (an RTM_NEWADDR
 * per held VIP every third of the lease, src/linux/vip-manager.ts), and each one woke the engine thread into
 * JavaScript only for the link monitor to judge it old news — a repeat of what its last read of the interface saw.
 * At one master that was one of the two wake-ups into JavaScript per renewal round, and leases cost about a third of
 * a lone master's CPU (docs/linux.md, "VIP leases"). A classic socket filter (SO_ATTACH_FILTER) drops such repeats
 * in the kernel instead, and the netlink module does not expose its descriptor to attach one. JavaScript declares
 * what it judged old news (eventsIgnore: each entry is the start of an RTM_NEWADDR's payload as the kernel sent it
 * — the ifaddrmsg with family, prefix, flags, scope and index, then the first attribute, IFA_ADDRESS with the
 * address), and the filter drops an RTM_NEWADDR whose payload starts with one of them. Lifetimes come later in the
 * message and are not compared. Anything else — a link change, a removal, an address added, changed or new —
 * still reaches JavaScript, which clears the entries on any news (the interface is read again, see LinkHub).
 *
 * eventsRecv reads one datagram (one or more netlink messages) into `buffer` and returns its length; -1 when none
 * waits, -2 when the kernel dropped notifications (ENOBUFS: the receive buffer filled), -3 when the datagram was
 * longer than `buffer` (it is lost). Other failures throw an Error with numeric `errno` and `syscall`.
 */
#include "events.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "route.h"
#include "watcher.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Random tag so the events* functions reject any External that did not come from eventsOpen(). */
static const napi_type_tag EVENTS_TAG = {0x767272705f657665ULL, 0x6e74735f6e6c3031ULL};
const handle_kind EVENTS_KIND = {&EVENTS_TAG, "eventsClose needs a handle", "expected an events handle"};

/* Receive buffer asked for: a renewal round of 255 VIPs queues 255 notifications at once. */
#define EVENTS_RCVBUF (1 << 20)
/* Longest entry: an ifaddrmsg (8 bytes) and an IFA_ADDRESS attribute of an IPv6 address (20). */
#define ENTRY_MAX_BYTES 28
/* Longest filter program (the kernel's BPF_MAXINSNS). */
#define EVENTS_MAX_INSNS 4096

/* eventsOpen(groups: number[], onReadable): a NETLINK_ROUTE socket joined to each RTNLGRP_* group, watched on this
 * thread's loop; onReadable is called while a datagram waits. */
napi_value events_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  napi_valuetype type = napi_undefined;
  if (argc >= 1) NAPI_CALL(env, napi_is_array(env, argv[0], &is_array));
  if (argc >= 2) NAPI_CALL(env, napi_typeof(env, argv[1], &type));
  if (!is_array || type != napi_function) {
    napi_throw_type_error(env, NULL, "eventsOpen needs an array of groups and a callback");
    return NULL;
  }
  uint32_t count = 0;
  NAPI_CALL(env, napi_get_array_length(env, argv[0], &count));
  uint32_t groups[32];
  if (count > 32) {
    napi_throw_range_error(env, NULL, "at most 32 groups");
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    NAPI_CALL(env, napi_get_element(env, argv[0], i, &element));
    if (napi_get_value_uint32(env, element, &groups[i]) != napi_ok || groups[i] == 0) {
      napi_throw_type_error(env, NULL, "groups must be RTNLGRP_* numbers");
      return NULL;
    }
  }
  const char *failed = NULL;
  int fd = route_socket(&failed);
  if (fd < 0) return throw_errno(env, failed, errno);
  int size = EVENTS_RCVBUF;
  /* Best effort: the kernel caps it at net.core.rmem_max; an overflow is reported by eventsRecv either way. */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  for (uint32_t i = 0; i < count; i++) {
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0) {
      int error_number = errno;
      close(fd);
      return throw_errno(env, "setsockopt(NETLINK_ADD_MEMBERSHIP)", error_number);
    }
  }
  watcher *events = (watcher *)calloc(1, sizeof(watcher));
  if (events == NULL) {
    close(fd);
    return throw_errno(env, "malloc", ENOMEM);
  }
  /* The watcher owns fd and the struct from here, even when it fails. */
  return watcher_start(env, events, fd, argv[1], "vrrp:events", &EVENTS_TAG, NULL, false);
}

/* eventsRecv(handle, buffer): see the file comment. */
napi_value events_recv(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "eventsRecv needs a handle and a buffer");
    return NULL;
  }
  watcher *events = (watcher *)get_open(env, argv[0], &EVENTS_KIND, "recv");
  if (events == NULL) return NULL;
  void *data = NULL;
  size_t length = 0;
  if (!get_bytes(env, argv[1], "buffer", &data, &length)) return NULL;
  ssize_t received;
  do {
    received = recv(events->fd, data, length, MSG_DONTWAIT | MSG_TRUNC);
  } while (received < 0 && errno == EINTR);
  int32_t outcome;
  if (received >= 0) {
    outcome = (size_t)received > length ? -3 : (int32_t)received;
  } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
    outcome = -1;
  } else if (errno == ENOBUFS) {
    outcome = -2;
  } else {
    return throw_errno(env, "recv", errno);
  }
  napi_value result;
  NAPI_CALL(env, napi_create_int32(env, outcome, &result));
  return result;
}

static void emit(struct sock_filter *code, unsigned *length, uint16_t op, uint8_t jt, uint8_t jf, uint32_t k) {
  struct sock_filter *at = &code[(*length)++];
  at->code = op;
  at->jt = jt;
  at->jf = jf;
  at->k = k;
}

/* Four bytes as a classic filter's word load sees them (network order), whatever the host's. */
static uint32_t loaded_word(const uint8_t *bytes) {
  return ((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) | ((uint32_t)bytes[2] << 8) | bytes[3];
}

/* One entry as words: every word but the last is its "lead" (the ifaddrmsg, the attribute header and, for IPv6, the
 * address's first twelve bytes), shared by the VIPs of one interface and subnet; the last word tells them apart. */
typedef struct {
  unsigned words;
  uint32_t word[ENTRY_MAX_BYTES / 4];
  int done; /* already placed in a chunk */
} ignored_entry;

static int same_lead(const ignored_entry *a, const ignored_entry *b) {
  if (a->words != b->words) return 0;
  for (unsigned w = 0; w + 1 < a->words; w++)
    if (a->word[w] != b->word[w]) return 0;
  return 1;
}

/* Values compared after one lead check, at most: every jump in a chunk must fit a classic filter's 8-bit offset
 * (the lead's mismatch jumps over the whole chunk: 2 per lead word, the load, the values and the drop's 2). */
#define CHUNK_VALUES 200

/* Builds the program for the first `limit` entries into `code`; returns its length and sets *covered. Layout: not
 * an RTM_NEWADDR → kept; then per chunk (entries with one lead, up to CHUNK_VALUES of them): the message long enough
 * and its lead equal, else on to the next chunk; the last word loaded once and compared with each value, a match
 * jumping to the chunk's drop; then kept. An entry costs one instruction and a chunk about twelve, where a block per
 * entry (its length and every word compared) cost eleven: 255 IPv4 VIPs need ~270 instructions, not 2,800 — which
 * the kernel refused (ENOMEM: the converted program outgrew the socket's option memory) past about 200 entries. */
static unsigned build_program(struct sock_filter *code, ignored_entry *entries, uint32_t limit, uint32_t *covered) {
  unsigned length = 0;
  /* Not an RTM_NEWADDR: kept. The type is a host-order u16 at offset 4 of the message header. */
  const uint16_t type = RTM_NEWADDR;
  uint8_t type_bytes[2];
  memcpy(type_bytes, &type, sizeof(type));
  emit(code, &length, BPF_LD | BPF_H | BPF_ABS, 0, 0, 4);
  emit(code, &length, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, ((uint32_t)type_bytes[0] << 8) | type_bytes[1]);
  emit(code, &length, BPF_RET | BPF_K, 0, 0, 0xffffffff);
  *covered = 0;
  for (uint32_t i = 0; i < limit; i++) entries[i].done = 0;
  for (uint32_t first = 0; first < limit; first++) {
    if (entries[first].done) continue;
    const ignored_entry *lead = &entries[first];
    /* This chunk's values: the first not yet placed entries with this lead. */
    uint32_t values[CHUNK_VALUES];
    unsigned n = 0;
    for (uint32_t i = first; i < limit && n < CHUNK_VALUES; i++) {
      if (entries[i].done || !same_lead(lead, &entries[i])) continue;
      entries[i].done = 1;
      values[n++] = entries[i].word[entries[i].words - 1];
    }
    const unsigned lead_words = lead->words - 1;
    const unsigned size = 2 + 2 * lead_words + 1 + n + 2;
    if (length + size + 1 > EVENTS_MAX_INSNS) break;
    const unsigned next = length + size; /* index of the next chunk's first instruction */
    emit(code, &length, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
    emit(code, &length, BPF_JMP | BPF_JGE | BPF_K, 0, (uint8_t)(next - (length + 1)), (uint32_t)(NLMSG_HDRLEN + 4 * lead->words));
    for (unsigned w = 0; w < lead_words; w++) {
      emit(code, &length, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(NLMSG_HDRLEN + 4 * w));
      emit(code, &length, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(next - (length + 1)), lead->word[w]);
    }
    emit(code, &length, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)(NLMSG_HDRLEN + 4 * lead_words));
    const unsigned drop = next - 1;
    for (unsigned v = 0; v < n; v++) emit(code, &length, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(drop - (length + 1)), 0, values[v]);
    emit(code, &length, BPF_JMP | BPF_JA, 0, 0, 1);
    emit(code, &length, BPF_RET | BPF_K, 0, 0, 0);
    *covered += n;
  }
  emit(code, &length, BPF_RET | BPF_K, 0, 0, 0xffffffff);
  return length;
}

/* eventsIgnore(handle, entries: Uint8Array[]): drops, in the kernel, every RTM_NEWADDR whose payload starts with one
 * of the entries (each 8 to 28 bytes, a multiple of 4); an empty list drops nothing. Replaces the entries before.
 * Returns how many are in the filter: all of them unless the kernel refuses the program, then the most of the first
 * ones it takes (halving); the rest reach JavaScript, which judges them as before. */
napi_value events_ignore(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc >= 2) NAPI_CALL(env, napi_is_array(env, argv[1], &is_array));
  if (!is_array) {
    napi_throw_type_error(env, NULL, "eventsIgnore needs a handle and an array of entries");
    return NULL;
  }
  watcher *events = (watcher *)get_open(env, argv[0], &EVENTS_KIND, "setsockopt");
  if (events == NULL) return NULL;
  uint32_t count = 0;
  NAPI_CALL(env, napi_get_array_length(env, argv[1], &count));
  struct sock_filter *code = (struct sock_filter *)malloc(sizeof(struct sock_filter) * EVENTS_MAX_INSNS);
  ignored_entry *entries = (ignored_entry *)malloc(sizeof(ignored_entry) * (count > 0 ? count : 1));
  if (code == NULL || entries == NULL) {
    free(code);
    free(entries);
    return throw_errno(env, "malloc", ENOMEM);
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    void *data = NULL;
    size_t bytes = 0;
    if (napi_get_element(env, argv[1], i, &element) != napi_ok || !get_bytes(env, element, "entry", &data, &bytes)) {
      free(code);
      free(entries);
      return NULL;
    }
    if (bytes < 8 || bytes > ENTRY_MAX_BYTES || bytes % 4 != 0) {
      free(code);
      free(entries);
      napi_throw_range_error(env, NULL, "an entry is 8 to 28 bytes, a multiple of 4");
      return NULL;
    }
    entries[i].words = (unsigned)(bytes / 4);
    for (unsigned w = 0; w < entries[i].words; w++) entries[i].word[w] = loaded_word((const uint8_t *)data + 4 * w);
  }
  int failed = 0;
  uint32_t covered = 0;
  for (uint32_t limit = count;; limit /= 2) {
    const unsigned length = build_program(code, entries, limit, &covered);
    failed = 0;
    if (covered == 0) {
      int unused = 0;
      if (setsockopt(events->fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused)) < 0 && errno != ENOENT) failed = errno;
      break;
    }
    struct sock_fprog program = {(unsigned short)length, code};
    if (setsockopt(events->fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) == 0) break;
    failed = errno;
    if (failed != ENOMEM) break;
  }
  free(code);
  free(entries);
  if (failed != 0) return throw_errno(env, "setsockopt(SO_ATTACH_FILTER)", failed);
  napi_value result;
  NAPI_CALL(env, napi_create_uint32(env, covered, &result));
  return result;
}

/* Loads a host-order u16 message type as a classic filter's half-word load sees it (network order). */
static uint32_t loaded_type(uint16_t type) {
  uint8_t bytes[2];
  memcpy(bytes, &type, sizeof(type));
  return ((uint32_t)bytes[0] << 8) | bytes[1];
}

/* The protocol our virtual routes carry (src/linux/vip/route-request.ts, RTPROT_VRRP). */
#define RTPROT_VRRP 112

/* eventsKeepRoutingDeletions(handle): the filter of the socket that watches our virtual routes and rules (joined to
 * the route and rule groups): it keeps an RTM_DELROUTE whose rtm_protocol is ours and every RTM_DELRULE (a rule's
 * protocol is an attribute, at no fixed offset: JavaScript looks), and drops the rest in the kernel — on a host whose
 * routing table moves (a BGP speaker), every route added or removed would otherwise wake the engine thread. */
napi_value events_keep_routing_deletions(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "eventsKeepRoutingDeletions needs a handle");
    return NULL;
  }
  watcher *events = (watcher *)get_open(env, argv[0], &EVENTS_KIND, "setsockopt");
  if (events == NULL) return NULL;
  struct sock_filter code[8];
  unsigned length = 0;
  /* The type, a host-order u16 at offset 4 of the message header. */
  emit(code, &length, BPF_LD | BPF_H | BPF_ABS, 0, 0, 4);
  emit(code, &length, BPF_JMP | BPF_JEQ | BPF_K, 2, 0, loaded_type(RTM_DELROUTE)); /* to the protocol's load */
  emit(code, &length, BPF_JMP | BPF_JEQ | BPF_K, 3, 0, loaded_type(RTM_DELRULE));  /* to keep */
  emit(code, &length, BPF_RET | BPF_K, 0, 0, 0);
  /* rtm_protocol: byte 5 of the struct rtmsg after the 16-byte header. */
  emit(code, &length, BPF_LD | BPF_B | BPF_ABS, 0, 0, NLMSG_HDRLEN + 5);
  emit(code, &length, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, RTPROT_VRRP);
  emit(code, &length, BPF_RET | BPF_K, 0, 0, 0xffffffff);
  emit(code, &length, BPF_RET | BPF_K, 0, 0, 0);
  struct sock_fprog program = {(unsigned short)length, code};
  if (setsockopt(events->fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) < 0) return throw_errno(env, "setsockopt(SO_ATTACH_FILTER)", errno);
  napi_value result;
  NAPI_CALL(env, napi_get_undefined(env, &result));
  return result;
}
