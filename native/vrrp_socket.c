/*
 * vrrp_socket.c: the raw IP sockets (IP protocol 112) that send and receive VRRP advertisements.
 *
 * Why here and not in the raw-socket npm module: the protocol engine runs on a worker thread, and raw-socket loads
 * in one thread per process only; its readiness callbacks would also run on the main thread, whose event loop the
 * application may keep busy. These sockets are watchers (watcher.c): their readiness runs on the event loop of the
 * thread that opened them. They also give JavaScript what VRRP needs from each packet in one recvmsg, with no
 * extra syscall: the source, the destination (IPv6), the hop limit (IPv6; IPv4 has it in the IP header that the
 * kernel hands over with the data) and the kernel's receive timestamp (read in batches: "Batched reads" below).
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
 *   vrrpSendMany(handle, data[], dst[], source[], count, errnos: Int32Array) -> failures   (see below)
 *   vrrpClose(handle)                                  (idempotent)
 *   vrrpRef(handle, ref)                               (whether the open socket keeps its thread's loop alive)
 *   vrrpAbsorb(handle, vrid, payload | null, source, destination, ttl[, silenceInMs, silenceAfterMs[, counts,
 *              countIndex, deadlineIndex, deadlineAfterMs]]) -> absorbed?   (silence: undefined for none)
 *                                                      (see "Absorbed repeats", "Silence watch", "Tallies" below)
 *   vrrpAbsorbed(handle, vrid, meta: Float64Array(1)) -> count   (meta[0] = age ms of the last one, -1 = none)
 *   vrrpHold(handle, ms)                               (after reading only absorbed repeats, leave it unread ms)
 *   vrrpNotice(handle) -> vrid                         (a VRID with news, once each: its silence watch fired or its
 *                                                       advert schedule stopped; 0: none)
 *   vrrpRepeat(handle, vrid, data[] | null, dst[], source | null, inMs, intervalMs[, counts, countIndex,
 *              deadlineIndex]) -> repeated?   (see below)
 *   vrrpRepeated(handle, vrid, meta: Float64Array(2)) -> firings   (meta = [age ms of the last, errno that stopped it])
 * Failed syscalls throw an Error with numeric `errno` and `syscall`; a closed socket fails with EBADF.
 *
 * Absorbed repeats, and why: a backup's master repeats one byte-identical advert every Advertisement_Interval, and
 * the only thing the core does with a repeat is restart the Master_Down_Timer from its arrival. Waking JavaScript
 * for each was the backup's main cost (measured: ~2,000 wake-ups/s at 255 VRIDs of 100 ms, each a libuv callback
 * into V8 and a microtask checkpoint that cost more than the packet's work). So the engine may declare, per VRID,
 * the packet it accepted that way (VRRP message, source, destination, TTL / hop limit: vrrpAbsorb); an exact repeat
 * is then read here, on readiness, before any JavaScript runs, and only its kernel receive time is kept and counted.
 * The engine collects them (vrrpAbsorbed) before it lets its core see any other input or a Master_Down_Timer expire,
 * and feeds the core the last one at its arrival: the core's state is what it would have been. Anything else — a
 * different packet, another source, another VRID — reaches JavaScript as before, in order after the repeats read
 * with it (only repeats are held back, and they change nothing but the timer and a counter).
 *
 * Held reads, and why: with every repeat absorbed, the thread still woke once per few packets (keepalived's 255
 * VRIDs arrive spread over the interval) to read them. Since each packet carries its kernel receive time, reading
 * it later changes nothing the core computes; so, when JavaScript sets a hold (vrrpHold: only while every VRID of
 * the socket absorbs, and shorter than any of their Skew_Times, so that a master's priority 0 is still read well
 * before the takeover it asks for), a readiness that found only repeats stops the poll for that long, and the
 * thread then reads a batch of them in one wake-up. Only when they come faster than the hold (see vrrp_ready):
 * otherwise the hold's end is one wake-up more per packet, not fewer.
 *
 * Silence watch, and why: with its repeats absorbed, a backup's Master_Down_Timer still had to be moved in
 * JavaScript: the engine woke shortly before each deadline to collect the repeats, about three times a second per
 * VRID at 100 ms adverts, each wake-up a call into V8 that cost more than the packets of that time (measured at one
 * backup: 13 wake-ups a second, 0.19 % of a core, most of it those three). So vrrpAbsorb may also say when the VRID
 * is silent: no repeat for `silenceAfterMs` since the last one (or `silenceInMs` from the call, for the first).
 * One timerfd per socket (the watcher's alarm) is set for the earliest of its VRIDs' silences; when it fires,
 * VRIDs whose master repeated meanwhile are simply looked at again later, and only a VRID that fell silent wakes
 * JavaScript: the readiness callback runs, its vrrpRecv reports -2 once the socket is empty, and vrrpNotice names
 * the VRIDs. The engine then collects the repeats and arms its precise timer for the real deadline, which the
 * silence precedes by a margin it chose. A repeat that
 * arrives after its VRID fell silent watches it again. Times are the packets' kernel receive times
 * (CLOCK_REALTIME); a clock stepped back restarts the count from the step, one stepped forward fires early, which
 * only costs a look.
 *
 * Repeated adverts, and why: a master's life is one Adver_Timer expiry after another, each sending the same bytes
 * (the core's cached adverts). Stepping the core for each woke JavaScript ten times a second per VRID at 100 ms
 * adverts; at one master that was most of the engine thread's CPU (0.28 % of a core against keepalived's 0.13 %
 * for its whole VRRP process). So the engine may hand a master's routine adverts here (vrrpRepeat: the messages, a
 * first due time and the interval), and the socket's alarm (the same one as the silence watch) sends them in C,
 * every schedule due at one wake-up in one sendmmsg, keeping each schedule's phase as the engine's advert grid
 * does. The engine collects the firings (vrrpRepeated) before any other input reaches its core and hands them to
 * it as one input, so the core counts what was sent and its Adver_Timer restarts from the last one; anything that
 * changes the adverts (a priority, a state) replaces or stops the schedule in the same step. A send the kernel
 * refuses stops the schedule and is news for JavaScript (vrrpRecv -2, vrrpNotice), which reports it and sends from
 * then on itself, as before.
 *
 * Tallies, and why: the engine collected absorbed repeats and scheduled firings once a second anyway, only so that
 * its counters (advertisementsReceived, advertisementsSent) and the next timer's time, which the app reads from a
 * buffer the engine thread shares with it, kept up. That wake-up of JavaScript was a third of a lone backup's
 * engine-thread CPU (perf at 20 kHz: ten wake-ups a second in C at about 0.19 ms each under the profiler, one a
 * second in JavaScript at about 0.9 ms). So
 * vrrpAbsorb and vrrpRepeat may also name two elements of that buffer (a Float64Array on a SharedArrayBuffer):
 * each absorbed repeat adds 1 to the first and writes its arrival plus `deadlineAfterMs` (the Master_Down_Interval)
 * to the second; each firing adds its messages to the first and writes the next due time to the second (both as
 * CLOCK_REALTIME ms, the app's Date.now()). The engine leaves those elements alone meanwhile (one writer at a time)
 * and collects the repeats and firings into its core only when something else happens. A tally lasts as long as
 * the declaration it came with; the socket's close releases what is left.
 * Batched adverts, and why: each sendmsg delivers its packet to the peers on the segment inside the call, and the
 * wake-up of a peer process that this causes preempted the engine thread on its return from the syscall, once per
 * advert (measured at 50 masters beside keepalived: 250-300 preemptions a second, and a quarter of the thread's
 * perf samples in the switches). The masters' routine adverts that fall due in one wake-up of the thread (they
 * share a grid, see src/engine/engine.ts) are therefore queued in JavaScript and leave together in one sendmmsg
 * (vrrpSendMany) when that wake-up's work is done: one preemption per wake-up instead of one per advert (measured:
 * 30-70 a second). Anything else (a takeover's advert, a priority-0 advert) is sent at once.
 * Batched reads, and why: reading until the socket said "nothing waiting" cost a recvmsg that found nothing on
 * every readiness, a fifth of a lone backup's syscalls per advert (epoll, recvmsg, the silence alarm's re-arm, the
 * empty recvmsg, libuv's idle-time poll), and one recvmsg per packet at 255 VRIDs. So the socket reads up to
 * READ_BATCH datagrams with one recvmmsg and hands them out one by one; in the readiness pass that reads absorbed
 * repeats in C (vrrp_ready), a batch that came back short means the socket was empty at that instant, and the pass
 * ends without asking the kernel again: the wait is level-triggered (watcher.c, "Waiting in C"), so a datagram that
 * arrived since is seen at the next one. Only there, where no JavaScript runs between the reads: JavaScript may run for long
 * (an app's microtasks run inside the readiness call), and a read it makes, such as a late timer's drain that must
 * see every advert that arrived, always asks the kernel.
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

/* Longest VRRP message whose repeats can be absorbed (62 IPv4 or 15 IPv6 addresses): longer ones all go to
 * JavaScript, as before. */
#define ABSORB_MAX_PAYLOAD 256
/* Up to this many watched VRIDs, each repeat moves the silence alarm (a look at every entry, in C) instead of
 * leaving it to fire and look then: one VRID's alarm woke the thread about three times a second for nothing, a
 * fifth of its wake-ups, where the look costs about a microsecond. More VRIDs share the alarm's wake-ups. */
#define SILENCE_REARM_MAX 4
/* Absorbed repeats read per readiness before the loop gets its turn back (see vrrp_ready). */
#define READY_BUDGET 64
/* Datagrams one recvmmsg reads ("Batched reads" in the file comment), and the room for each: more than the longest
 * VRRP packet (an IPv6 one of 255 addresses is 4,088 bytes; an IPv4 one with its header at most 1,148). A longer
 * datagram is truncated to this and fails its checks in JavaScript, as any malformed packet does. */
#define READ_BATCH 8
#define READ_SLOT_BYTES 8192

/* Where a VRID's absorbed repeats or scheduled adverts are counted as they happen ("Tallies" in the file comment):
 * two elements of the engine's Float64Array of counters (shared with the app's thread), kept alive by `ref`. */
typedef struct {
  double *count;                  /* += 1 per repeat, += messages per firing; NULL: no tally */
  double *deadline;               /* the core's next timer expiry, CLOCK_REALTIME ms; NULL: not written */
  double after_ms;                /* absorbed repeats: that expiry's distance from a repeat's arrival */
  napi_ref ref;
} tally;

/* The repeat one VRID absorbs (see "Absorbed repeats" in the file comment): the packet's VRRP message and the IP
 * fields the core judges, and what was absorbed since the engine last asked. */
typedef struct {
  bool armed;
  uint8_t ttl;                    /* TTL (IPv4) or hop limit (IPv6) */
  uint16_t length;                /* of payload */
  uint8_t source[16];             /* 4 bytes for IPv4 */
  uint8_t destination[16];
  uint8_t payload[ABSORB_MAX_PAYLOAD];
  struct timespec last;           /* kernel receive time (CLOCK_REALTIME) of the last repeat absorbed */
  uint32_t count;                 /* repeats absorbed since the last vrrpAbsorbed */
  uint8_t watch;                  /* the silence watch ("Silence watch" in the file comment): WATCH_* */
  double silence_ms;              /* silent this long after `since_ms` */
  double since_ms;                /* CLOCK_REALTIME ms of the last repeat, or as declared */
  tally tally;                    /* where each repeat is counted at once ("Tallies" in the file comment) */
} absorb_entry;

/* A schedule this close to its due time is sent now: the alarm (a timerfd) wakes at the due time, and the clock
 * read after it may come a hair short of it. */
#define ADVERT_EARLY_MS 0.05
/* Longest set of messages one advert schedule keeps (one per destination, concatenated), and most messages. */
#define REPEAT_MAX_BYTES 1024
#define REPEAT_MAX_MESSAGES 4

/* One VRID's advert schedule ("Repeated adverts" in the file comment). */
typedef struct {
  bool on;
  bool untold;                    /* stopped by a refused send; JavaScript not told yet */
  bool pinned;                    /* `source` pins the source address */
  uint8_t messages;
  uint16_t offset[REPEAT_MAX_MESSAGES + 1]; /* message i is payload[offset[i], offset[i + 1]) */
  uint8_t payload[REPEAT_MAX_BYTES];
  uint8_t destination[REPEAT_MAX_MESSAGES][16];
  uint8_t source[16];
  double interval_ms;
  double due_ms;                  /* CLOCK_MONOTONIC */
  double last_ms;                 /* CLOCK_MONOTONIC of the last firing, as dated */
  uint32_t fired;                 /* firings since the last vrrpRepeated */
  int error;                      /* errno of the send that stopped it; 0 */
  tally tally;                    /* where each firing's messages are counted at once ("Tallies") */
} repeat_entry;

/* absorb_entry.watch: no watch; watching; fell silent, JavaScript not told yet; told (until the next repeat). */
enum { WATCH_OFF = 0, WATCH_ON = 1, WATCH_SILENT = 2, WATCH_TOLD = 3 };

/* One datagram as read, before it is handed to JavaScript. */
typedef struct {
  const uint8_t *data;            /* its bytes: a slot of the socket's batch */
  ssize_t length;
  uint8_t addresses[ADDRESSES_LEN];
  bool stamped;
  struct timespec stamp;          /* SO_TIMESTAMPNS, CLOCK_REALTIME */
  double hop_limit, ifindex;      /* -1: unknown */
} received_datagram;

/* One open VRRP socket: a watcher (first, see watcher.h) plus what sends, joins and absorbed repeats need. calloc'ed
 * whole: the pages of the table and the buffer are touched only when used. */
typedef struct {
  watcher base;
  int family; /* AF_INET or AF_INET6 */
  int ifindex;
  bool joined;
  bool pending;                   /* `last` holds a datagram read before JavaScript was called (vrrp_ready) */
  unsigned absorbing;             /* armed entries */
  unsigned hold_ms;               /* after reading it empty, leave the socket unread this long (vrrpHold) */
  unsigned news;                  /* VRIDs with news for JavaScript: a silence (WATCH_SILENT), a stopped schedule */
  unsigned watching;              /* entries not in WATCH_OFF */
  unsigned repeating;             /* advert schedules on */
  bool arrived;                   /* last_arrival is set */
  struct timespec last_arrival;   /* CLOCK_REALTIME arrival of the last repeat absorbed */
  received_datagram last;
  absorb_entry absorb[256];       /* by VRID */
  repeat_entry repeat[256];       /* by VRID */
  /* The last recvmmsg ("Batched reads" in the file comment): `batch_count` datagrams, `batch_next` the next to take;
   * `drained`: one in the readiness pass now running (`in_ready`, vrrp_ready) found fewer than READ_BATCH waiting. */
  int batch_count, batch_next;
  bool in_ready, drained;
  struct mmsghdr batch[READ_BATCH];
  struct iovec batch_vectors[READ_BATCH];
  struct sockaddr_in6 batch_sources[READ_BATCH]; /* large enough for either family */
  union {
    struct cmsghdr align;
    char bytes[256];              /* a timestamp, a packet info and a hop limit, aligned for struct cmsghdr */
  } batch_control[READ_BATCH];
  uint8_t batch_data[READ_BATCH][READ_SLOT_BYTES];
} vrrp_socket;

static bool vrrp_ready(watcher *w, int status);
static bool ready_pass(vrrp_socket *s);
static void release_tallies(watcher *w);

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
  socket_handle->base.release = release_tallies;
  /* The watcher owns fd and the struct from here, even when it fails. */
  return watcher_start(env, &socket_handle->base, fd, argv[2], "vrrp:socket", &VRRP_TAG, vrrp_ready, true);
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

/* What read_one() reports. */
enum { READ_EMPTY = 0, READ_DELIVER = 1, READ_ABSORBED = 2 };

static double realtime_ms(const struct timespec *t) {
  return (double)t->tv_sec * 1e3 + (double)t->tv_nsec / 1e6;
}

static double wall_now_ms(void) {
  struct timespec now;
  if (clock_gettime(CLOCK_REALTIME, &now) != 0) return -1;
  return realtime_ms(&now);
}

static double monotonic_now_ms(void) {
  struct timespec now;
  if (clock_gettime(CLOCK_MONOTONIC, &now) != 0) return -1;
  return realtime_ms(&now);
}

static double adverts_next(vrrp_socket *s, bool send);

/* Writes one element of a tally: a single 8-byte store, so that the app's thread, reading the same memory through
 * its Float64Array, never sees half of one ("Tallies" in the file comment). One writer: this thread. */
static void tally_store(double *slot, double value) {
  __atomic_store(slot, &value, __ATOMIC_RELAXED);
}

static void tally_add(double *slot, double amount) {
  double value;
  __atomic_load(slot, &value, __ATOMIC_RELAXED);
  tally_store(slot, value + amount);
}

/* Forgets a tally (on the JavaScript thread: the reference is Node-API's). */
static void tally_release(napi_env env, tally *t) {
  if (t->ref != NULL) napi_delete_reference(env, t->ref);
  memset(t, 0, sizeof(*t));
}

/* Reads the optional tally arguments at argv[at..]: counts (Float64Array, or undefined / null: none), the index of
 * the count, the index of the deadline (-1: none) and, with `after`, the deadline's distance from an arrival in ms.
 * Throws and returns false on bad ones; *out is set only on success. */
static bool get_tally(napi_env env, size_t argc, napi_value *argv, size_t at, bool after, tally *out) {
  memset(out, 0, sizeof(*out));
  napi_valuetype type = napi_undefined;
  if (argc <= at) return true;
  if (napi_typeof(env, argv[at], &type) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  if (type == napi_undefined || type == napi_null) return true;
  double *counts = NULL;
  size_t length = 0;
  if (!get_float64s(env, argv[at], "counts", &counts, &length)) return false;
  int32_t index = -1, deadline_index = -1;
  double after_ms = 0;
  if (argc <= at + 2 + (after ? 1 : 0) || napi_get_value_int32(env, argv[at + 1], &index) != napi_ok ||
      napi_get_value_int32(env, argv[at + 2], &deadline_index) != napi_ok || index < 0 || (size_t)index >= length ||
      deadline_index < -1 || (deadline_index >= 0 && (size_t)deadline_index >= length) || deadline_index == index ||
      (after && (napi_get_value_double(env, argv[at + 3], &after_ms) != napi_ok || !(after_ms >= 0 && after_ms <= 3.6e6)))) {
    napi_throw_range_error(env, NULL, "a tally needs a count index and a deadline index (-1: none) inside counts, apart, and ms from 0 to an hour after an arrival");
    return false;
  }
  if (napi_create_reference(env, argv[at], 1, &out->ref) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  out->count = counts + index;
  out->deadline = deadline_index >= 0 ? counts + deadline_index : NULL;
  out->after_ms = after_ms;
  return true;
}

/* The socket's tallies, released with its JavaScript callback once it is closed (watcher.h). */
static void release_tallies(watcher *w) {
  vrrp_socket *s = (vrrp_socket *)w;
  for (int vrid = 1; vrid < 256; vrid++) {
    if (s->absorb[vrid].tally.ref != NULL) tally_release(w->env, &s->absorb[vrid].tally);
    if (s->repeat[vrid].tally.ref != NULL) tally_release(w->env, &s->repeat[vrid].tally);
  }
}

/* Looks at every watched VRID (see "Silence watch" in the file comment): one silent for its silence_ms is marked
 * for JavaScript. Returns ms until the earliest silence of the others, or -1 when none is watched. */
static double silence_next(vrrp_socket *s) {
  const double now = wall_now_ms();
  /* Without a clock, look again in a millisecond rather than never. */
  if (now < 0) return 1;
  double next = -1;
  for (int vrid = 1; vrid < 256; vrid++) {
    absorb_entry *entry = &s->absorb[vrid];
    if (entry->watch != WATCH_ON) continue;
    double left = entry->since_ms + entry->silence_ms - now;
    if (left > entry->silence_ms) {
      /* The clock was stepped back: count from now. */
      entry->since_ms = now;
      left = entry->silence_ms;
    }
    /* Within half a millisecond: silence has a margin of milliseconds before the deadline. */
    if (left <= 0.5) {
      entry->watch = WATCH_SILENT;
      s->news++;
    } else if (next < 0 || left < next) {
      next = left;
    }
  }
  return next;
}

static void on_socket_alarm(watcher *w);

/* Sends the advert schedules that are due (when `send`), marks silent VRIDs, and sets the socket's one alarm for
 * what comes next: at once when JavaScript has news to hear (told from the loop, never inside a call from it). */
static void look(vrrp_socket *s, bool send) {
  double next = s->watching > 0 ? silence_next(s) : -1;
  double advert = s->repeating > 0 ? adverts_next(s, send) : -1;
  if (advert >= 0 && (next < 0 || advert < next)) next = advert;
  if (s->news > 0) next = 0;
  if (next < 0) {
    watcher_alarm_stop(&s->base);
  } else {
    watcher_alarm(&s->base, next, on_socket_alarm);
  }
}

/* The socket's alarm: adverts go out here, in C; JavaScript hears only of a VRID with news. */
static void on_socket_alarm(watcher *w) {
  vrrp_socket *s = (vrrp_socket *)w;
  look(s, true);
  if (s->news > 0) watcher_wake(w);
}

/* Whether the datagram just read (s->last) is a repeat the engine declared absorbable (see "Absorbed repeats" in the
 * file comment); if so, records its arrival and counts it. */
static bool absorb(vrrp_socket *s) {
  const uint8_t *datagram = s->last.data;
  size_t length = (size_t)s->last.length;
  const uint8_t *payload, *source, *destination;
  size_t payload_length, address_length;
  int ttl;
  if (s->family == AF_INET) {
    /* The IP header the kernel hands over: the same fields src/linux/transport/ip-header.ts reads. */
    if (length < 20 || datagram[0] >> 4 != 4) return false;
    size_t header_length = (size_t)(datagram[0] & 0x0f) * 4;
    if (header_length < 20 || header_length > length) return false;
    size_t total_length = ((size_t)datagram[2] << 8) | datagram[3];
    size_t end = total_length > header_length ? total_length : header_length;
    if (end > length) end = length;
    payload = datagram + header_length;
    payload_length = end - header_length;
    source = datagram + 12;
    destination = datagram + 16;
    address_length = 4;
    ttl = datagram[8];
  } else {
    if (s->last.hop_limit < 0) return false;
    payload = datagram;
    payload_length = length;
    source = s->last.addresses;
    destination = s->last.addresses + 16;
    address_length = 16;
    ttl = (int)s->last.hop_limit;
  }
  if (payload_length < 2) return false;
  absorb_entry *entry = &s->absorb[payload[1]];
  if (!entry->armed || payload_length != entry->length || ttl != entry->ttl ||
      memcmp(payload, entry->payload, payload_length) != 0 || memcmp(source, entry->source, address_length) != 0 ||
      memcmp(destination, entry->destination, address_length) != 0) {
    return false;
  }
  if (s->last.stamped) {
    entry->last = s->last.stamp;
  } else if (clock_gettime(CLOCK_REALTIME, &entry->last) != 0) {
    return false; /* no arrival time to report: let JavaScript date it */
  }
  entry->count++;
  s->last_arrival = entry->last;
  s->arrived = true;
  if (entry->tally.count != NULL) {
    tally_add(entry->tally.count, 1);
    if (entry->tally.deadline != NULL) tally_store(entry->tally.deadline, realtime_ms(&entry->last) + entry->tally.after_ms);
  }
  if (entry->watch != WATCH_OFF) {
    entry->since_ms = realtime_ms(&entry->last);
    /* Silent before this repeat: watched again. A live one moves on without a look (see silence_next), unless
     * the socket watches so few that the look costs less than the alarm's wake-up it spares. */
    if (entry->watch != WATCH_ON) {
      if (entry->watch == WATCH_SILENT) s->news--;
      entry->watch = WATCH_ON;
      look(s, false);
    } else if (s->watching <= SILENCE_REARM_MAX && s->repeating == 0) {
      look(s, false);
    }
  }
  return true;
}

/* Refills the batch with one recvmmsg. Returns the datagrams read, 0 when none waits, or -errno. A batch read short
 * in the readiness pass marks the socket drained for the rest of that pass (see read_one). */
static int read_batch(vrrp_socket *s) {
  for (int i = 0; i < READ_BATCH; i++) {
    struct msghdr *message = &s->batch[i].msg_hdr;
    s->batch_vectors[i].iov_base = s->batch_data[i];
    s->batch_vectors[i].iov_len = READ_SLOT_BYTES;
    message->msg_name = &s->batch_sources[i];
    message->msg_namelen = sizeof(s->batch_sources[i]);
    message->msg_iov = &s->batch_vectors[i];
    message->msg_iovlen = 1;
    message->msg_control = s->batch_control[i].bytes;
    message->msg_controllen = sizeof(s->batch_control[i].bytes);
    message->msg_flags = 0;
  }
  int received;
  do {
    received = recvmmsg(s->base.fd, s->batch, READ_BATCH, MSG_DONTWAIT, NULL);
  } while (received < 0 && errno == EINTR);
  s->batch_next = 0;
  s->batch_count = received > 0 ? received : 0;
  if (received < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
  if (received < READ_BATCH && s->in_ready) s->drained = true;
  return received;
}

/* The next datagram, its facts into s->last: from the batch, else from a new recvmmsg, except when one in this
 * readiness pass found the socket drained (readiness is level-triggered: a datagram that came since calls again).
 * READ_ABSORBED: it was an absorbed repeat, nothing to deliver; READ_DELIVER: s->last holds a datagram for
 * JavaScript; READ_EMPTY: nothing waits; < 0: -errno of a failed recvmmsg. */
static int read_one(vrrp_socket *s) {
  if (s->batch_next >= s->batch_count) {
    if (s->in_ready && s->drained) return READ_EMPTY;
    int received = read_batch(s);
    if (received <= 0) return received < 0 ? received : READ_EMPTY;
  }
  const int index = s->batch_next++;
  struct msghdr *message = &s->batch[index].msg_hdr;
  const struct sockaddr_in6 *source = &s->batch_sources[index];

  /* A truncated datagram (MSG_TRUNC) reports the bytes read (see READ_SLOT_BYTES). */
  received_datagram *last = &s->last;
  last->data = s->batch_data[index];
  last->length = (ssize_t)s->batch[index].msg_len;
  memset(last->addresses, 0, ADDRESSES_LEN);
  if (s->family == AF_INET) {
    memcpy(last->addresses, &((const struct sockaddr_in *)source)->sin_addr, 4);
  } else {
    memcpy(last->addresses, &source->sin6_addr, 16);
  }
  last->stamped = false;
  last->hop_limit = -1;
  last->ifindex = -1;
  for (struct cmsghdr *header = CMSG_FIRSTHDR(message); header != NULL; header = CMSG_NXTHDR(message, header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS &&
        header->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
      memcpy(&last->stamp, CMSG_DATA(header), sizeof(last->stamp));
      last->stamped = true;
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_PKTINFO &&
               header->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo packet_info;
      memcpy(&packet_info, CMSG_DATA(header), sizeof(packet_info));
      memcpy(last->addresses + 16, &packet_info.ipi6_addr, 16);
      last->ifindex = packet_info.ipi6_ifindex;
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_HOPLIMIT &&
               header->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int hops;
      memcpy(&hops, CMSG_DATA(header), sizeof(hops));
      last->hop_limit = hops;
    } else if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_PKTINFO &&
               header->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      /* Not asked for today (IPv4's destination is in the IP header); reported if a caller ever turns it on. */
      struct in_pktinfo packet_info;
      memcpy(&packet_info, CMSG_DATA(header), sizeof(packet_info));
      last->ifindex = packet_info.ipi_ifindex;
    }
  }
  return s->absorbing > 0 && absorb(s) ? READ_ABSORBED : READ_DELIVER;
}

/* Milliseconds since a CLOCK_REALTIME stamp, or -1 when unknown. Both readings are on CLOCK_REALTIME, so only their
 * difference is used; a negative one means the clock was stepped back meanwhile: the packet is new, and -1 must keep
 * meaning "unknown". */
static double age_ms(const struct timespec *stamp) {
  struct timespec now;
  if (clock_gettime(CLOCK_REALTIME, &now) != 0) return -1;
  double age = (double)(now.tv_sec - stamp->tv_sec) * 1e3 + (double)(now.tv_nsec - stamp->tv_nsec) / 1e6;
  return age < 0 ? 0 : age;
}

/* Milliseconds from `from` to `to` (CLOCK_REALTIME stamps; negative if the clock was stepped back). */
static double ms_between(const struct timespec *from, const struct timespec *to) {
  return (double)(to->tv_sec - from->tv_sec) * 1e3 + (double)(to->tv_nsec - from->tv_nsec) / 1e6;
}

/* The socket's readiness, before JavaScript: while some VRID absorbs repeats, read here and call JavaScript only
 * for a datagram it must see (kept in s->last for the vrrpRecv that follows). Reads at most READY_BUDGET absorbed
 * repeats per readiness, so that a flood of them cannot hold the loop: the poll is level-triggered, it comes back.
 * A readiness that found only repeats holds the reads (see "Held reads") only when its first one arrived within
 * the hold of the last one read before it: packets come faster than the hold, so it saves wake-ups. Slower ones (a
 * lone VRID's one per interval) would pay a wake-up for the hold's end and two epoll_ctl per packet for nothing. */
static bool vrrp_ready(watcher *w, int status) {
  vrrp_socket *s = (vrrp_socket *)w;
  if (status < 0 || s->absorbing == 0 || s->pending) return true;
  s->in_ready = true;
  s->drained = false;
  const bool call = ready_pass(s);
  s->in_ready = false;
  return call;
}

/* vrrp_ready's reads, with s->in_ready set: no JavaScript runs in between, so a short batch means "empty" here. */
static bool ready_pass(vrrp_socket *s) {
  watcher *w = &s->base;
  bool hold = false;
  const bool had_arrival = s->arrived;
  const struct timespec previous = s->last_arrival;
  for (int i = 0; i < READY_BUDGET; i++) {
    int outcome = read_one(s);
    if (outcome == READ_ABSORBED) {
      /* absorb() dated it in s->last_arrival. */
      if (i == 0) hold = had_arrival && ms_between(&previous, &s->last_arrival) < (double)s->hold_ms;
      continue;
    }
    if (outcome == READ_EMPTY) {
      if (s->hold_ms > 0 && hold) watcher_hold(w, s->hold_ms);
      /* A silence not told yet (one that fell while JavaScript was busy) goes with the next readiness. */
      return s->news > 0;
    }
    /* A datagram to deliver, or a failed read that vrrpRecv will meet again and report. */
    s->pending = outcome == READ_DELIVER;
    return true;
  }
  return false;
}

/* Reads a VRID (1…255); throws and returns false otherwise. */
static bool get_vrid(napi_env env, napi_value value, int32_t *vrid) {
  if (napi_get_value_int32(env, value, vrid) == napi_ok && *vrid >= 1 && *vrid <= 255) return true;
  napi_throw_range_error(env, NULL, "vrid must be a whole number from 1 to 255");
  return false;
}

/* Unpacks (handle, vrid, meta) for vrrpAbsorbed and vrrpRepeated: a socket (open or not), a VRID and a Float64Array
 * of at least `meta_min` numbers; throws and returns false otherwise. */
static bool get_vrid_meta(napi_env env, napi_callback_info info, const char *usage, size_t meta_min, vrrp_socket **s,
                          int32_t *vrid, double **meta) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) {
    throw_last_napi_error(env);
    return false;
  }
  if (argc < 3) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  *s = (vrrp_socket *)get_tagged(env, argv[0], &VRRP_TAG, "expected a vrrp socket handle");
  size_t meta_length = 0;
  if (*s == NULL || !get_vrid(env, argv[1], vrid) || !get_float64s(env, argv[2], "meta", meta, &meta_length)) return false;
  if (meta_length < meta_min) {
    napi_throw_range_error(env, NULL, meta_min == 1 ? "meta must hold 1 number" : "meta must hold 2 numbers");
    return false;
  }
  return true;
}

/* vrrpRecv(handle, data, addresses, meta): the next datagram that is not an absorbed repeat; see the file comment
 * for what lands where. */
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
  napi_value result;
  if (!socket_handle->pending) {
    int outcome;
    do {
      outcome = read_one(socket_handle);
    } while (outcome == READ_ABSORBED);
    if (outcome < 0) return throw_errno(env, "recvmsg", -outcome);
    if (outcome == READ_EMPTY) {
      /* -2: empty, and some VRID has news (vrrpNotice names it). */
      NAPI_CALL(env, napi_create_int32(env, socket_handle->news > 0 ? -2 : -1, &result));
      return result;
    }
  }
  socket_handle->pending = false;
  const received_datagram *last = &socket_handle->last;
  size_t length = (size_t)last->length < data_length ? (size_t)last->length : data_length;
  memcpy(data, last->data, length);
  memcpy(addresses_data, last->addresses, ADDRESSES_LEN);
  meta[0] = last->stamped ? age_ms(&last->stamp) : -1;
  meta[1] = last->hop_limit;
  meta[2] = last->ifindex;
  NAPI_CALL(env, napi_create_int32(env, (int32_t)length, &result));
  return result;
}

/* vrrpAbsorb(handle, vrid, payload, source, destination, ttl[, silenceInMs, silenceAfterMs]): declares (payload
 * given) or clears (null) the repeat of `vrid` to absorb; returns whether it is absorbed (false: too long to keep,
 * every packet goes to JavaScript). With the silence times, also watches the VRID's silence (see "Silence watch"
 * in the file comment); any call ends the watch declared before. */
napi_value vrrp_absorb(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "vrrpAbsorb needs a handle, a vrid and a payload (or null)");
    return NULL;
  }
  vrrp_socket *s = get_open_socket(env, argv[0], "vrrpAbsorb");
  if (s == NULL) return NULL;
  int32_t vrid = 0;
  if (!get_vrid(env, argv[1], &vrid)) return NULL;
  absorb_entry *entry = &s->absorb[vrid];
  napi_valuetype payload_type = napi_undefined;
  NAPI_CALL(env, napi_typeof(env, argv[2], &payload_type));
  bool absorbed = false, watch = false;
  tally next_tally = {0};
  if (payload_type != napi_null && payload_type != napi_undefined) {
    if (argc < 6) {
      napi_throw_type_error(env, NULL, "vrrpAbsorb needs a source, a destination and a ttl with a payload");
      return NULL;
    }
    void *payload = NULL, *source = NULL, *destination = NULL;
    size_t payload_length = 0, source_length = 0, destination_length = 0;
    int32_t ttl = -1;
    if (!get_bytes(env, argv[2], "payload", &payload, &payload_length) ||
        !get_bytes(env, argv[3], "source", &source, &source_length) ||
        !get_bytes(env, argv[4], "destination", &destination, &destination_length)) {
      return NULL;
    }
    size_t address_length = s->family == AF_INET ? 4 : 16;
    if (source_length != address_length || destination_length != address_length) {
      napi_throw_range_error(env, NULL, address_length == 4 ? "addresses of an IPv4 socket are 4 bytes" : "addresses of an IPv6 socket are 16 bytes");
      return NULL;
    }
    if (napi_get_value_int32(env, argv[5], &ttl) != napi_ok || ttl < 0 || ttl > 255) {
      napi_throw_range_error(env, NULL, "ttl must be a whole number from 0 to 255");
      return NULL;
    }
    if (payload_length < 2 || ((uint8_t *)payload)[1] != vrid) {
      napi_throw_range_error(env, NULL, "payload must be a VRRP message of this vrid");
      return NULL;
    }
    if (argc >= 8) {
      napi_valuetype silence_type = napi_undefined;
      NAPI_CALL(env, napi_typeof(env, argv[6], &silence_type));
      watch = silence_type != napi_undefined;
    }
    if (!get_tally(env, argc, argv, 8, true, &next_tally)) return NULL;
    if (payload_length <= ABSORB_MAX_PAYLOAD) {
      memcpy(entry->payload, payload, payload_length);
      entry->length = (uint16_t)payload_length;
      memcpy(entry->source, source, address_length);
      memcpy(entry->destination, destination, address_length);
      entry->ttl = (uint8_t)ttl;
      absorbed = true;
    }
  }
  if (absorbed != entry->armed) s->absorbing += absorbed ? 1 : -1;
  entry->armed = absorbed;
  entry->count = 0;
  tally_release(env, &entry->tally);
  if (absorbed) {
    entry->tally = next_tally;
  } else {
    tally_release(env, &next_tally);
  }
  if (entry->watch == WATCH_SILENT) s->news--;
  if (entry->watch != WATCH_OFF) s->watching--;
  entry->watch = WATCH_OFF;
  if (absorbed && watch) {
    double in_ms = -1, after_ms = -1;
    if (napi_get_value_double(env, argv[6], &in_ms) != napi_ok || napi_get_value_double(env, argv[7], &after_ms) != napi_ok ||
        !(in_ms >= 0 && in_ms <= 3.6e6) || !(after_ms > 0 && after_ms <= 3.6e6)) {
      entry->armed = false;
      s->absorbing--;
      tally_release(env, &entry->tally);
      napi_throw_range_error(env, NULL, "silence times must be ms from 0 to an hour (after: above 0)");
      return NULL;
    }
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
      int error_number = errno;
      entry->armed = false;
      s->absorbing--;
      tally_release(env, &entry->tally);
      return throw_errno(env, "clock_gettime", error_number);
    }
    entry->silence_ms = after_ms;
    entry->since_ms = realtime_ms(&now) + in_ms - after_ms;
    entry->watch = WATCH_ON;
    s->watching++;
    /* Silent already (a deadline closer than the margin): told from the loop, not inside this call. */
    look(s, false);
  }
  napi_value result;
  NAPI_CALL(env, napi_get_boolean(env, absorbed, &result));
  return result;
}

/* vrrpNotice(handle): a VRID with news not named yet — its silence watch fired ("Silence watch") or its advert
 * schedule stopped ("Repeated adverts") — or 0. */
napi_value vrrp_notice(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "vrrpNotice needs a handle");
    return NULL;
  }
  vrrp_socket *s = (vrrp_socket *)get_tagged(env, argv[0], &VRRP_TAG, "expected a vrrp socket handle");
  if (s == NULL) return NULL;
  int32_t found = 0;
  for (int vrid = 1; vrid < 256 && s->news > 0 && found == 0; vrid++) {
    if (s->absorb[vrid].watch == WATCH_SILENT) {
      s->absorb[vrid].watch = WATCH_TOLD;
      s->news--;
      found = vrid;
    }
    if (s->repeat[vrid].untold) {
      s->repeat[vrid].untold = false;
      s->news--;
      found = vrid;
    }
  }
  napi_value result;
  NAPI_CALL(env, napi_create_int32(env, found, &result));
  return result;
}

/* vrrpHold(handle, ms): after a readiness that found only absorbed repeats, leave the socket unread for `ms` (0:
 * never). See "Absorbed repeats" in the file comment. */
napi_value vrrp_hold(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "vrrpHold needs a handle and a time in ms");
    return NULL;
  }
  vrrp_socket *s = get_open_socket(env, argv[0], "vrrpHold");
  if (s == NULL) return NULL;
  int32_t ms = -1;
  if (napi_get_value_int32(env, argv[1], &ms) != napi_ok || ms < 0 || ms > 1000) {
    napi_throw_range_error(env, NULL, "hold must be a whole number of ms from 0 to 1000");
    return NULL;
  }
  s->hold_ms = (unsigned)ms;
  return NULL;
}

/* vrrpAbsorbed(handle, vrid, meta): the repeats of `vrid` absorbed since the last call (their count is returned and
 * reset), meta[0] the age in ms of the last one; 0 once closed. */
napi_value vrrp_absorbed(napi_env env, napi_callback_info info) {
  vrrp_socket *s = NULL;
  int32_t vrid = 0;
  double *meta = NULL;
  if (!get_vrid_meta(env, info, "vrrpAbsorbed needs a handle, a vrid and a meta array", 1, &s, &vrid, &meta)) return NULL;
  absorb_entry *entry = &s->absorb[vrid];
  uint32_t count = s->base.fd < 0 ? 0 : entry->count;
  meta[0] = count > 0 ? age_ms(&entry->last) : -1;
  entry->count = 0;
  napi_value result;
  NAPI_CALL(env, napi_create_uint32(env, count, &result));
  return result;
}

/* One message's destination, pinned source and buffers, for sendmsg / sendmmsg. */
typedef struct {
  union {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } to;
  union {
    struct cmsghdr align;
    char bytes[CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } control;
  struct iovec vector;
} send_slot;

/* Fills `message` (and `slot`, which it points into) for `data` to `dst`, from `source` when not NULL. Addresses
 * are 4 or 16 bytes as the socket's family wants; the caller checked. */
static void fill_message(const vrrp_socket *s, send_slot *slot, struct msghdr *message, void *data, size_t data_length,
                         const void *dst, const void *source) {
  memset(message, 0, sizeof(*message));
  memset(&slot->control, 0, sizeof(slot->control));
  slot->vector.iov_base = data;
  slot->vector.iov_len = data_length;
  message->msg_iov = &slot->vector;
  message->msg_iovlen = 1;
  if (s->family == AF_INET) {
    struct sockaddr_in *to4 = &slot->to.v4;
    memset(to4, 0, sizeof(*to4));
    to4->sin_family = AF_INET;
    memcpy(&to4->sin_addr, dst, 4);
    message->msg_name = to4;
    message->msg_namelen = sizeof(*to4);
    if (source != NULL) {
      message->msg_control = slot->control.bytes;
      message->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
      struct cmsghdr *header = CMSG_FIRSTHDR(message);
      header->cmsg_level = IPPROTO_IP;
      header->cmsg_type = IP_PKTINFO;
      header->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
      struct in_pktinfo packet_info;
      memset(&packet_info, 0, sizeof(packet_info));
      packet_info.ipi_ifindex = s->ifindex;
      memcpy(&packet_info.ipi_spec_dst, source, 4);
      memcpy(CMSG_DATA(header), &packet_info, sizeof(packet_info));
    }
  } else {
    struct sockaddr_in6 *to6 = &slot->to.v6;
    memset(to6, 0, sizeof(*to6));
    to6->sin6_family = AF_INET6;
    memcpy(&to6->sin6_addr, dst, 16);
    if (IN6_IS_ADDR_LINKLOCAL(&to6->sin6_addr) || IN6_IS_ADDR_MULTICAST(&to6->sin6_addr)) {
      to6->sin6_scope_id = (uint32_t)s->ifindex;
    }
    message->msg_name = to6;
    message->msg_namelen = sizeof(*to6);
    if (source != NULL) {
      message->msg_control = slot->control.bytes;
      message->msg_controllen = CMSG_SPACE(sizeof(struct in6_pktinfo));
      struct cmsghdr *header = CMSG_FIRSTHDR(message);
      header->cmsg_level = IPPROTO_IPV6;
      header->cmsg_type = IPV6_PKTINFO;
      header->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
      struct in6_pktinfo packet_info;
      memset(&packet_info, 0, sizeof(packet_info));
      memcpy(&packet_info.ipi6_addr, source, 16);
      packet_info.ipi6_ifindex = (unsigned int)s->ifindex;
      memcpy(CMSG_DATA(header), &packet_info, sizeof(packet_info));
    }
  }
}

/* Reads one message's destination and source (null or undefined: none) and checks their lengths; throws and
 * returns false otherwise. */
static bool get_addresses(napi_env env, const vrrp_socket *s, napi_value dst_value, napi_value source_value, void **dst,
                          void **source) {
  size_t address_length = s->family == AF_INET ? 4 : 16;
  size_t dst_length = 0, source_length = 0;
  *source = NULL;
  if (!get_bytes(env, dst_value, "destination", dst, &dst_length)) return false;
  napi_valuetype source_type = napi_undefined;
  if (source_value != NULL && napi_typeof(env, source_value, &source_type) != napi_ok) return false;
  if (source_type != napi_undefined && source_type != napi_null &&
      !get_bytes(env, source_value, "source", source, &source_length)) {
    return false;
  }
  if (dst_length != address_length || (*source != NULL && source_length != address_length)) {
    napi_throw_range_error(env, NULL, address_length == 4 ? "addresses of an IPv4 socket are 4 bytes" : "addresses of an IPv6 socket are 16 bytes");
    return false;
  }
  return true;
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
  void *data = NULL, *dst = NULL, *source = NULL;
  size_t data_length = 0;
  if (!get_bytes(env, argv[1], "data", &data, &data_length) ||
      !get_addresses(env, socket_handle, argv[2], argc >= 4 ? argv[3] : NULL, &dst, &source)) {
    return NULL;
  }
  if (socket_handle->base.fd < 0) return throw_errno(env, "sendmsg", EBADF);
  send_slot slot;
  struct msghdr message;
  fill_message(socket_handle, &slot, &message, data, data_length, dst, source);
  ssize_t sent;
  do {
    sent = sendmsg(socket_handle->base.fd, &message, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return throw_errno(env, "sendmsg", errno);
  /* A raw datagram goes out whole or not at all. */
  if ((size_t)sent != data_length) return throw_errno(env, "sendmsg", EMSGSIZE);
  return NULL;
}

/* How many messages one sendmmsg carries here (a bound for the slots on the stack; a longer batch loops). */
#define SEND_MANY_CHUNK 64

/* vrrpSendMany(handle, data[], dst[], source[], count, errnos: Int32Array) -> failures: the first `count` messages
 * of the arrays in order, in as few sendmmsg calls as the kernel takes; errnos[i] is 0 for a message sent, its errno
 * otherwise (a message the kernel refused is skipped, the rest still go). Why: see "Batched adverts" above. */
napi_value vrrp_send_many(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6) {
    napi_throw_type_error(env, NULL, "vrrpSendMany needs a handle, data, destination and source arrays, a count and an errno array");
    return NULL;
  }
  vrrp_socket *s = (vrrp_socket *)get_tagged(env, argv[0], &VRRP_TAG, "expected a vrrp socket handle");
  if (s == NULL) return NULL;
  uint32_t count = 0;
  if (napi_get_value_uint32(env, argv[4], &count) != napi_ok) {
    napi_throw_type_error(env, NULL, "count must be a whole number");
    return NULL;
  }
  napi_typedarray_type errnos_type;
  size_t errnos_length = 0;
  void *errnos_data = NULL;
  bool is_typed = false;
  NAPI_CALL(env, napi_is_typedarray(env, argv[5], &is_typed));
  if (is_typed) NAPI_CALL(env, napi_get_typedarray_info(env, argv[5], &errnos_type, &errnos_length, &errnos_data, NULL, NULL));
  if (!is_typed || errnos_type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "errnos must be an Int32Array");
    return NULL;
  }
  if (errnos_length < count) {
    napi_throw_range_error(env, NULL, "errnos is shorter than count");
    return NULL;
  }
  int32_t *errnos = (int32_t *)errnos_data;
  uint32_t failures = 0;
  send_slot slots[SEND_MANY_CHUNK];
  struct mmsghdr messages[SEND_MANY_CHUNK];
  size_t lengths[SEND_MANY_CHUNK];
  uint32_t next = 0;
  while (next < count) {
    uint32_t chunk = count - next < SEND_MANY_CHUNK ? count - next : SEND_MANY_CHUNK;
    for (uint32_t i = 0; i < chunk; i++) {
      napi_value data_value, dst_value, source_value;
      NAPI_CALL(env, napi_get_element(env, argv[1], next + i, &data_value));
      NAPI_CALL(env, napi_get_element(env, argv[2], next + i, &dst_value));
      NAPI_CALL(env, napi_get_element(env, argv[3], next + i, &source_value));
      void *data = NULL, *dst = NULL, *source = NULL;
      if (!get_bytes(env, data_value, "data", &data, &lengths[i]) ||
          !get_addresses(env, s, dst_value, source_value, &dst, &source)) {
        return NULL;
      }
      fill_message(s, &slots[i], &messages[i].msg_hdr, data, lengths[i], dst, source);
      messages[i].msg_len = 0;
    }
    if (s->base.fd < 0) {
      for (uint32_t i = 0; i < chunk; i++) errnos[next + i] = EBADF;
      failures += chunk;
      next += chunk;
      continue;
    }
    int sent = sendmmsg(s->base.fd, messages, chunk, 0);
    if (sent < 0) {
      if (errno == EINTR) continue;
      /* The first message of the chunk failed: note it, the others are tried again after it. */
      errnos[next] = errno;
      failures++;
      next++;
      continue;
    }
    for (int i = 0; i < sent; i++) {
      /* A raw datagram goes out whole or not at all. */
      bool whole = messages[i].msg_len == lengths[i];
      errnos[next + (uint32_t)i] = whole ? 0 : EMSGSIZE;
      if (!whole) failures++;
    }
    /* Fewer sent than asked: the kernel stopped at a failed message, whose error the next call (from it) reports. */
    next += (uint32_t)sent;
  }
  napi_value result;
  NAPI_CALL(env, napi_create_uint32(env, failures, &result));
  return result;
}

/* Sends `count` prepared messages of advert schedules (owners[i]: the VRID of message i) in sendmmsg calls; a
 * message the kernel refuses stops its schedule and is news for JavaScript ("Repeated adverts"). */
static void send_scheduled(vrrp_socket *s, struct mmsghdr *messages, const uint8_t *owners, const size_t *lengths, int count) {
  int next = 0;
  while (next < count) {
    int sent = s->base.fd < 0 ? -1 : sendmmsg(s->base.fd, messages + next, (unsigned)(count - next), 0);
    if (sent < 0 && s->base.fd >= 0 && errno == EINTR) continue;
    int failed_at = -1, error = s->base.fd < 0 ? EBADF : errno;
    if (sent < 0) {
      failed_at = next;
      sent = 0;
    } else {
      for (int i = 0; i < sent && failed_at < 0; i++) {
        /* A raw datagram goes out whole or not at all. */
        if (messages[next + i].msg_len != lengths[next + i]) {
          failed_at = next + i;
          error = EMSGSIZE;
        }
      }
    }
    if (failed_at < 0) {
      next += sent;
      continue;
    }
    repeat_entry *entry = &s->repeat[owners[failed_at]];
    if (entry->on) {
      entry->on = false;
      entry->error = error;
      entry->untold = true;
      s->repeating--;
      s->news++;
    }
    next = failed_at + 1;
  }
}

/* Sends the schedules that are due (when `send`: see "Repeated adverts" in the file comment) and returns ms until
 * the next is due, or -1 when none runs. A firing on time (later than its due time by less than a twentieth of the
 * interval: the engine's advert grid) is dated at its due time, so that the schedule keeps its phase; a later one
 * at the time it went, as the engine would date a late timer. */
static double adverts_next(vrrp_socket *s, bool send) {
  const double now = monotonic_now_ms();
  if (now < 0) return 1;
  struct mmsghdr messages[SEND_MANY_CHUNK];
  send_slot slots[SEND_MANY_CHUNK];
  size_t lengths[SEND_MANY_CHUNK];
  uint8_t owners[SEND_MANY_CHUNK];
  int count = 0;
  double next = -1;
  double wall = -1; /* CLOCK_REALTIME ms, read once a tally needs it */
  for (int vrid = 1; vrid < 256; vrid++) {
    repeat_entry *entry = &s->repeat[vrid];
    if (!entry->on) continue;
    if (entry->due_ms - now <= ADVERT_EARLY_MS) {
      if (!send) {
        next = 0;
        continue;
      }
      if (count + entry->messages > SEND_MANY_CHUNK) {
        send_scheduled(s, messages, owners, lengths, count);
        count = 0;
      }
      for (int i = 0; i < entry->messages; i++) {
        lengths[count] = (size_t)(entry->offset[i + 1] - entry->offset[i]);
        fill_message(s, &slots[count], &messages[count].msg_hdr, entry->payload + entry->offset[i], lengths[count],
                     entry->destination[i], entry->pinned ? entry->source : NULL);
        messages[count].msg_len = 0;
        owners[count] = (uint8_t)vrid;
        count++;
      }
      entry->last_ms = now - entry->due_ms < entry->interval_ms / 20 ? entry->due_ms : now;
      entry->due_ms = entry->last_ms + entry->interval_ms;
      entry->fired++;
      if (entry->tally.count != NULL) {
        tally_add(entry->tally.count, entry->messages);
        if (entry->tally.deadline != NULL) {
          if (wall < 0) wall = wall_now_ms();
          if (wall >= 0) tally_store(entry->tally.deadline, wall + (entry->due_ms - now));
        }
      }
    }
    double left = entry->due_ms - now;
    if (left < 0) left = 0;
    if (next < 0 || left < next) next = left;
  }
  if (count > 0) send_scheduled(s, messages, owners, lengths, count);
  return next;
}

/* vrrpRepeat(handle, vrid, data[] | null, dst[], source | null, inMs, intervalMs): from `inMs` from now, every
 * `intervalMs`, sends each data[i] to dst[i] (from `source` when given) for `vrid` ("Repeated adverts" in the file
 * comment); null stops it. Replaces the schedule before, and with it what vrrpRepeated had not collected. Returns
 * false, doing nothing, for messages too many or too long to keep. */
napi_value vrrp_repeat(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "vrrpRepeat needs a handle, a vrid and the messages (or null)");
    return NULL;
  }
  vrrp_socket *s = get_open_socket(env, argv[0], "vrrpRepeat");
  if (s == NULL) return NULL;
  int32_t vrid = 0;
  if (!get_vrid(env, argv[1], &vrid)) return NULL;
  repeat_entry *entry = &s->repeat[vrid];
  napi_valuetype data_type = napi_undefined;
  NAPI_CALL(env, napi_typeof(env, argv[2], &data_type));
  bool stop = data_type == napi_null || data_type == napi_undefined;
  uint32_t messages = 0;
  double in_ms = 0, interval_ms = 0;
  if (!stop) {
    if (argc < 7) {
      napi_throw_type_error(env, NULL, "vrrpRepeat needs destinations, a source (or null), a first delay and an interval with messages");
      return NULL;
    }
    uint32_t destinations = 0;
    if (napi_get_array_length(env, argv[2], &messages) != napi_ok || napi_get_array_length(env, argv[3], &destinations) != napi_ok ||
        messages != destinations || messages == 0) {
      napi_throw_type_error(env, NULL, "data and dst must be arrays of the same, non-zero length");
      return NULL;
    }
    if (napi_get_value_double(env, argv[5], &in_ms) != napi_ok || napi_get_value_double(env, argv[6], &interval_ms) != napi_ok ||
        !(in_ms >= 0 && in_ms <= 3.6e6) || !(interval_ms >= 1 && interval_ms <= 3.6e6)) {
      napi_throw_range_error(env, NULL, "the first delay must be 0 to an hour and the interval 1 ms to an hour");
      return NULL;
    }
  }
  /* Checked in full before the entry changes: a refusal leaves the schedule before as it was. */
  repeat_entry next_entry;
  memset(&next_entry, 0, sizeof(next_entry));
  bool fits = messages <= REPEAT_MAX_MESSAGES;
  size_t offset = 0;
  for (uint32_t i = 0; fits && i < messages; i++) {
    napi_value data_value, dst_value;
    NAPI_CALL(env, napi_get_element(env, argv[2], i, &data_value));
    NAPI_CALL(env, napi_get_element(env, argv[3], i, &dst_value));
    void *data = NULL, *dst = NULL, *source = NULL;
    size_t length = 0;
    if (!get_bytes(env, data_value, "data", &data, &length) || !get_addresses(env, s, dst_value, argv[4], &dst, &source)) return NULL;
    if (offset + length > REPEAT_MAX_BYTES) {
      fits = false;
      break;
    }
    memcpy(next_entry.payload + offset, data, length);
    next_entry.offset[i] = (uint16_t)offset;
    offset += length;
    next_entry.offset[i + 1] = (uint16_t)offset;
    memcpy(next_entry.destination[i], dst, s->family == AF_INET ? 4 : 16);
    if (source != NULL) {
      memcpy(next_entry.source, source, s->family == AF_INET ? 4 : 16);
      next_entry.pinned = true;
    }
  }
  napi_value result;
  if (!stop && !fits) {
    NAPI_CALL(env, napi_get_boolean(env, false, &result));
    return result;
  }
  double now = stop ? 0 : monotonic_now_ms();
  if (now < 0) return throw_errno(env, "clock_gettime", errno);
  if (!stop && !get_tally(env, argc, argv, 7, false, &next_entry.tally)) return NULL;
  if (entry->on) s->repeating--;
  if (entry->untold) s->news--;
  tally_release(env, &entry->tally);
  if (stop) {
    memset(entry, 0, sizeof(*entry));
  } else {
    next_entry.on = true;
    next_entry.messages = (uint8_t)messages;
    next_entry.interval_ms = interval_ms;
    next_entry.due_ms = now + in_ms;
    memcpy(entry, &next_entry, sizeof(*entry));
    s->repeating++;
  }
  look(s, false);
  NAPI_CALL(env, napi_get_boolean(env, !stop, &result));
  return result;
}

/* vrrpRepeated(handle, vrid, meta): the firings of `vrid`'s schedule since the last call (returned and reset);
 * meta[0] the age in ms of the last one (-1: none), meta[1] the errno of a send that stopped the schedule (0: none;
 * reported once). */
napi_value vrrp_repeated(napi_env env, napi_callback_info info) {
  vrrp_socket *s = NULL;
  int32_t vrid = 0;
  double *meta = NULL;
  if (!get_vrid_meta(env, info, "vrrpRepeated needs a handle, a vrid and a meta array", 2, &s, &vrid, &meta)) return NULL;
  repeat_entry *entry = &s->repeat[vrid];
  uint32_t fired = entry->fired;
  double now = fired > 0 ? monotonic_now_ms() : -1;
  meta[0] = fired > 0 && now >= 0 ? (now - entry->last_ms > 0 ? now - entry->last_ms : 0) : -1;
  meta[1] = entry->error;
  entry->fired = 0;
  entry->error = 0;
  napi_value result;
  NAPI_CALL(env, napi_create_uint32(env, fired, &result));
  return result;
}
