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
 *   vrrpOpen(family, ifname, onReadable, kernelSilence?) -> External   (onReadable() is called whenever a packet
 *                                                   waits; kernelSilence false: no kernel silence timers)
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
 *   vrrpFiltered(handle[, reads: Float64Array(2 or 4)]) -> VRIDs the filters take, -1: off   ("Filtered repeats"
 *                                                      below; reads = [datagrams read from the socket, from its repeat
 *                                                      socket, the alarm's looks, 1 if kernel silence timers serve it])
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
 * Armed takeovers, and why: a backup's takeover is the one moment where microseconds are client outage, and the
 * JavaScript between its Master_Down_Timer's expiry and its advert — the engine's step, the core, the send, most of
 * it run for the first time in the process's life — took 0.2-0.35 ms before the advert's sendmsg and about as much
 * again before the gratuitous ARP (in-process trace, failover benchmark, 1 s and 100 ms adverts; keepalived's own
 * takeover came 0.2-0.5 ms sooner). So once the engine knows the deadline (its precise timer), it may arm the
 * takeover here (vrrpArmTakeover: the adverts, the deadline, and the VIP manager's prepared burst, native/burst.c):
 * the socket's alarm, at the deadline, reads the repeat socket, and when no repeat of the VRID came and no datagram
 * waits unread on the socket (one JavaScript has not seen might be the master's), sends the adverts and fires the
 * burst (markers, addresses, gratuitous ARP) in C, then tells JavaScript (vrrpNotice). The engine then steps its
 * core as at any Master_Down_Timer expiry; the transport's send of those same adverts and the burst's next run are
 * the ones that already went (vrrpTakeover, burstRun), so nothing leaves twice. Anything that waits unread, or a
 * repeat, leaves the takeover to JavaScript, which is armed for just after the deadline as a fallback.
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
 * Filtered repeats, and why: with every repeat absorbed in C, a lone backup still woke once per advert (ten times a
 * second at 100 ms), each wake-up an epoll_wait, a recvmmsg and the silence alarm's re-arm: 0.10-0.14 % of a core
 * against keepalived's 0.05 % (per-thread run time), and at 255 VRIDs about a hundred wake-ups a second. A repeat
 * only proves the master alive; nothing needs it before the VRID's silence is judged. So a VRID with a silence watch
 * is also covered by two classic socket filters (SO_ATTACH_FILTER, unprivileged, built here from the declarations):
 * the socket's drops its exact declared repeats, and a second raw socket of the same interface and family (the
 * repeat socket: bound, joined, never waited on) takes exactly those. Its datagrams wait in the kernel with their
 * receive times; the socket's alarm reads them when it fires (the earliest silence, or sooner when its buffer could
 * fill: drain_every_ms), and so does vrrpAbsorbed — up to the datagram JavaScript holds, if it holds one, so that
 * a VRID's repeats are never counted ahead of a packet that came before them. A backup so wakes about three times a
 * second whatever its count of VRIDs, and anything else (a priority 0, a new master, another VRID) still wakes the
 * thread at once: the filters let it through. A filter covers the VRIDs' fields as absorb() compares them (IPv4 with
 * a 20-byte header only; an IPv6 packet's addresses and hop limit read at SKF_NET_OFF), what they all share once.
 * What one filter may hold is bounded (BPF_MAXINSNS, and the socket's option memory, net.core.optmem_max, which
 * the kernel charges with the converted program — see preload_words in repeat_filter.c): VRIDs beyond it, and silent ones, are absorbed
 * on readiness as before. The order of every change keeps each repeat on
 * one socket at least: the socket stops dropping first (its whole filter goes at once, one syscall however many
 * VRIDs change — filters_release), the repeat socket is read, and the filters follow the declarations once they
 * settle (FILTER_SETTLE_MS): rebuilt once per burst, not once per declaration (255 declarations one by one cost
 * 0.5 s, a change of all of them 2.4 s; now about 10 ms). A repeat that both sockets took meanwhile is counted once
 * (its receive time is remembered per socket). If the repeat socket ever overflows (SO_RXQ_OVFL), filtering stops
 * for the socket and every repeat is read on readiness again (vrrpFiltered: -1).
 * Kernel silence timers, and why: filtered, a backup's repeats wake nothing, but the alarm still had to look before
 * each possible silence (about three times a second at 100 ms adverts), and on a VM whose wake-ups cost by the
 * process's page tables that alone made one backup cost twice keepalived's CPU. Where the process may load eBPF
 * (CAP_BPF or root, a kernel with BPF timers), a socket that watches at most KERNEL_SILENCE_MAX_VRIDS opens a third
 * raw socket that keeps nothing (and closes it when it watches more), with a program on it (native/silence_bpf.c) that restarts a VRID's kernel timer of
 * silence_ms at each packet that looks like its declared repeat; a timer that runs out writes the VRID into a ring
 * buffer, whose descriptor is a second source of the socket's alarm (watcher_alarm_source). A VRID whose timer a
 * repeat has restarted (one read here, stamped after the timer's declaration) is "trusted": its silence sets no
 * alarm; it is still looked at every 2 s (TRUSTED_LOOK_MS: the tallies, and a wake-up the ring lost), and a
 * look judges its silence exactly as before, from its repeats — the timer only decides when to look. A timer that
 * fires clears the trust. VRRP_KERNEL_SILENCE=0, a refused load or a group the third socket cannot join: as
 * without (vrrpFiltered's reads[3] says which).
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
 * Entry bytes, and why: the per-VRID tables (absorb and repeat, 256 entries each) are part of the socket's calloc'ed
 * struct, whose pages become resident as their entries are first written. With each entry's bytes inline, room for
 * the longest message (256 and 1,024 bytes), 255 masters made about 300 KB of the table resident, 1.2 KB a VRID,
 * for adverts of a few dozen bytes. The bytes live in an allocation of their own, as long as the longest declared
 * for that VRID yet (kept for the next declaration, freed at close), and an entry is a pointer.
 */
/* struct in6_pktinfo (RFC 3542) is a GNU extension of glibc's <netinet/in.h>. */
#define _GNU_SOURCE

#include "vrrp_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <time.h>
#include <unistd.h>

#include "burst.h"
#include "renew.h"
#include "repeat_filter.h"
#include "silence_bpf.h"
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
/* A VRID whose kernel silence timer runs ("Kernel silence timers" in the file comment) is still looked at this
 * often: a wake-up the ring buffer lost would cost this much at most, and the tallies keep up. 2 s, not 1: each
 * such look cost a lone backup 0.5-0.7 ms of CPU on this project's VM (a thread switched in after a long sleep), so
 * at 1 s the looks alone came to keepalived's whole cost (`bench/scale.ts --counts 1`, 2026-12-04: 1.17 and 1.14
 * times keepalived, against 1.71 without the timers). */
#define TRUSTED_LOOK_MS 2000
/* The kernel's timer runs this much longer than the silence: it must not fire before the look judges it silent
 * (the filter's clock reading comes a little after the receive stamp the look counts from). */
#define KERNEL_SILENCE_MARGIN_MS 0.2
/* Most silence watches a socket's kernel timers serve; more, and the socket looks for silences itself. Why: the
 * program runs for every VRRP packet of the interface (about a microsecond each, charged to this process: 255
 * backups at 100 ms cost 0.62 % of a core with the timers against 0.33 % without, `bench/scale.ts --counts 255`,
 * 2026-12-04), and a socket that covers that many VRIDs reads its repeat socket every few hundred ms anyway
 * (drain_every_ms: its buffer), so the timers spare no look there. At 50 backups they still spared more than they
 * cost (0.14 % of a core with them, 0.17 % without, one round each, same hour). */
#define KERNEL_SILENCE_MAX_VRIDS 64
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
  uint16_t capacity;              /* of payload's allocation (see "Entry bytes" in the file comment) */
  uint8_t source[16];             /* 4 bytes for IPv4 */
  uint8_t destination[16];
  uint8_t *payload;               /* malloc'ed, kept for the next declaration; freed at close */
  struct timespec last;           /* kernel receive time (CLOCK_REALTIME) of the last repeat absorbed */
  struct timespec via_socket;     /* of the last one read from the socket itself, and from its repeat socket: */
  struct timespec via_repeats;    /* a copy of one on both (a filter change between them) counts once */
  uint32_t count;                 /* repeats absorbed since the last vrrpAbsorbed */
  uint8_t watch;                  /* the silence watch ("Silence watch" in the file comment): WATCH_* */
  double silence_ms;              /* silent this long after `since_ms` */
  double since_ms;                /* CLOCK_REALTIME ms of the last repeat, or as declared */
  double kernel_since_ms;         /* CLOCK_REALTIME ms its kernel silence timer was declared; 0: none */
  bool kernel_trusted;            /* a repeat since then restarted that timer: no look is due for its silence */
  tally tally;                    /* where each repeat is counted at once ("Tallies" in the file comment) */
} absorb_entry;

/* A schedule this close to its due time is sent now: the alarm (a timerfd) wakes at the due time, and the clock
 * read after it may come a hair short of it. */
#define ADVERT_EARLY_MS 0.05
/* Longest set of messages one advert schedule keeps (one per destination, concatenated), and most messages. */
#define REPEAT_MAX_BYTES 1024
#define REPEAT_MAX_MESSAGES 4

/* Messages kept to send later, an advert schedule's or an armed takeover's: message i is the bytes
 * [offset[i], offset[i + 1]) of the keeper's payload, to destination[i], from `source` when pinned. */
typedef struct {
  uint8_t count;
  bool pinned;
  uint16_t offset[REPEAT_MAX_MESSAGES + 1];
  uint8_t destination[REPEAT_MAX_MESSAGES][16];
  uint8_t source[16];
} message_set;

/* One VRID's advert schedule ("Repeated adverts" in the file comment). */
typedef struct {
  bool on;
  bool untold;                    /* stopped by a refused send; JavaScript not told yet */
  uint16_t capacity;              /* of payload's allocation (see "Entry bytes" in the file comment) */
  message_set messages;           /* over `payload` */
  uint8_t *payload;               /* malloc'ed, kept for the next schedule; freed at close */
  double interval_ms;
  double due_ms;                  /* CLOCK_MONOTONIC */
  double last_ms;                 /* CLOCK_MONOTONIC of the last firing, as dated */
  uint32_t fired;                 /* firings since the last vrrpRepeated */
  int error;                      /* errno of the send that stopped it; 0 */
  tally tally;                    /* where each firing's messages are counted at once ("Tallies") */
} repeat_entry;

/* One VRID's armed takeover ("Armed takeovers" in the file comment), allocated at its first arming. */
typedef struct {
  uint8_t state;                  /* TAKEOVER_* */
  message_set messages;           /* over `payload` */
  uint8_t payload[REPEAT_MAX_BYTES];
  double due_ms;                  /* CLOCK_MONOTONIC */
  double fired_ms;                /* CLOCK_MONOTONIC when it fired */
  int error;                      /* errno of the first message the kernel refused when it fired; 0 */
  void *burst;                    /* the prepared burst it fires (native/burst.c), or NULL */
  napi_ref burst_ref;             /* keeps `burst` alive while armed or fired */
} takeover_entry;

/* takeover_entry.state: none; armed; fired, JavaScript not told yet; fired and told (until vrrpTakeover). */
enum { TAKEOVER_OFF = 0, TAKEOVER_ARMED = 1, TAKEOVER_FIRED = 2, TAKEOVER_TOLD = 3 };

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

/* Datagrams the repeat socket reads per recvmmsg, and the room for each: it only ever holds declared repeats (its
 * filter accepts nothing else), at most an IPv4 header with options and ABSORB_MAX_PAYLOAD. */
#define REPEAT_READ_BATCH 32
#define REPEAT_SLOT_BYTES 512
/* How long declarations must rest before the filters follow them (see look). */
#define FILTER_SETTLE_MS 20
/* Assumed receive-buffer cost of one queued repeat (its sk_buff's truesize is about 0.8-2.3 KB, by driver). */
#define REPEAT_TRUESIZE 2304

/* The repeat socket ("Filtered repeats" in the file comment): a second raw socket of the same interface and family,
 * never waited on, whose filter accepts only the declared repeats of the VRIDs in `covered` — which the main
 * socket's filter drops — read when the socket's alarm fires or JavaScript collects. */
typedef struct {
  int fd;                         /* -1 until opened (the first silence watch), and after the socket closed */
  bool joined;
  bool broken;                    /* a filter could not be set, or the repeat socket overflowed: filtering is off */
  bool overflowed;                /* the kernel dropped repeats: filtering goes off after the read that saw it */
  vrid_set covered;               /* VRIDs whose repeats the socket's filter drops: read from here */
  vrid_set taken;                 /* VRIDs whose repeats this socket's filter takes (covered is a subset) */
  unsigned covered_count;
  double stale_since_ms;          /* CLOCK_MONOTONIC ms since the filters wait for filters_update; -1: they do not */
  double drain_every_ms;          /* longest wait between reads before the buffer could fill (see filters_update) */
  unsigned insn_cap;              /* longest program the socket's option memory took, or would (see filter_attach) */
  unsigned capacity;              /* repeats the receive buffer holds, about */
  uint32_t dropped;               /* SO_RXQ_OVFL: the kernel's count of repeats it dropped, as last reported */
  double reads;                   /* datagrams read here, and on the socket itself (vrrpFiltered tells them) */
  double socket_reads;
  int count, next;                /* the batch: datagrams read, the next to take */
  struct mmsghdr batch[REPEAT_READ_BATCH];
  struct iovec vectors[REPEAT_READ_BATCH];
  struct sockaddr_in6 sources[REPEAT_READ_BATCH];
  union {
    struct cmsghdr align;
    char bytes[256];
  } control[REPEAT_READ_BATCH];
  uint8_t data[REPEAT_READ_BATCH][REPEAT_SLOT_BYTES];
} repeat_socket;

/* One open VRRP socket: a watcher (first, see watcher.h) plus what sends, joins and absorbed repeats need. calloc'ed
 * whole: the pages of the table and the buffer are touched only when used. */
typedef struct {
  watcher base;
  int family; /* AF_INET or AF_INET6 */
  int ifindex;
  bool joined;
  bool pending;                   /* `last` holds a datagram read before JavaScript was called (vrrp_ready) */
  int read_error;                 /* errno of a read that failed in vrrp_ready, for the next vrrpRecv to throw; 0 */
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
  vrid_set watch_on;              /* VRIDs whose absorb entry is in WATCH_ON */
  vrid_set repeat_on;             /* VRIDs whose advert schedule is on */
  vrid_set news_on;               /* VRIDs with news not told (see news_update) */
  bool filters_stale;             /* watch_on or a declaration changed since the filters were set */
  bool bounded;                   /* JavaScript holds a datagram read at `bound`: repeats after it are not due yet */
  struct timespec bound;
  repeat_socket repeats;          /* "Filtered repeats" in the file comment */
  silence_bpf *silence;           /* "Kernel silence timers" in the file comment; NULL: none */
  bool silence_unavailable;       /* silence_bpf_open failed (or turned off at open): not tried again */
  double looks;                   /* the alarm's calls (vrrpFiltered tells them) */
  takeover_entry *takeover[256];  /* by VRID, NULL until its first arming ("Armed takeovers") */
  vrid_set takeover_on;           /* VRIDs whose takeover is armed */
  unsigned taking;                /* armed takeovers */
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

/* Keeps `vrid` in news_on exactly while it has news (a silence not told, a stopped schedule not told). Why a set:
 * vrrpNotice looked for them through every table entry up to the VRID with news, and a takeover is when it runs —
 * on entries, 1.7 KB a VRID, that nothing had touched, a page fault each (up to about a hundred, 1.4 ms sampled at
 * VRID 51 in the failover benchmark, the thread's time between its silence and its takeover). */
static void news_update(vrrp_socket *s, int vrid) {
  vrid_set_put(&s->news_on, vrid,
               s->absorb[vrid].watch == WATCH_SILENT || s->repeat[vrid].untold ||
                   (s->takeover[vrid] != NULL && s->takeover[vrid]->state == TAKEOVER_FIRED));
}

static bool vrrp_ready(watcher *w, int status);
static bool ready_pass(vrrp_socket *s);
static void release_socket_parts(watcher *w);

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

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29 /* linux/in6.h, since Linux 4.20; not in every libc's headers */
#endif

/* Only the groups this socket joined, not every group some socket of the host joined (the kernel's default): a
 * socket of unicast instances alone joins nothing, and with the default it still heard the VRRP group once another
 * process on the host (a keepalived, a multicast instance of another run) had joined it — every advert of the
 * LAN's multicast routers, each a `destination` drop. keepalived sets the same. IPv4 only in effect: an IPv6 raw
 * socket bound to no address takes any destination before memberships are looked at (raw_v6_match), so there the
 * instances' `destination` check does it; set anyway, for a kernel that looks. A kernel without the option keeps
 * its default: not fatal. */
static void only_joined_groups(int fd, int family) {
  const int zero = 0;
  if (family == AF_INET) {
    (void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
  } else {
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof(zero));
  }
}

/* The options of an IPv4 socket (see the file comment). */
static bool configure_ipv4(napi_env env, int fd, int ifindex) {
  only_joined_groups(fd, AF_INET);
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

/* The sending options of an IPv6 socket (see the file comment). */
static bool configure_ipv6(napi_env env, int fd, int ifindex) {
  only_joined_groups(fd, AF_INET6);
  return set_int(env, fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "setsockopt(IPV6_UNICAST_HOPS)") &&
         set_int(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255, "setsockopt(IPV6_MULTICAST_HOPS)") &&
         set_int(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0, "setsockopt(IPV6_MULTICAST_LOOP)") &&
         set_int(env, fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "setsockopt(IPV6_MULTICAST_IF)");
}

/* What a socket that receives adverts needs, the VRRP socket and its repeat socket alike (see the file comment):
 * its interface, a receive buffer, receive times and, for IPv6, the kernel's checksum check, destination and hop
 * limit. Returns NULL, or the syscall that failed (errno set); the caller closes `fd`. */
static const char *configure_receiving(int fd, int domain, const char *ifname) {
  const int one = 1, rcvbuf = VRRP_RCVBUF, checksum_offset = VRRP_CHECKSUM_OFFSET;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)(strlen(ifname) + 1)) < 0) return "setsockopt(SO_BINDTODEVICE)";
  /* SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it, SO_RCVBUF gets what net.core.rmem_max allows. */
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0) {
    return "setsockopt(SO_RCVBUF)";
  }
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) return "setsockopt(SO_TIMESTAMPNS)";
  if (domain != AF_INET6) return NULL;
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &checksum_offset, sizeof(checksum_offset)) < 0) return "setsockopt(IPV6_CHECKSUM)";
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0) return "setsockopt(IPV6_RECVPKTINFO)";
  if (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)) < 0) return "setsockopt(IPV6_RECVHOPLIMIT)";
  return NULL;
}

/* vrrpOpen(family, ifname, onReadable, kernelSilence): a configured raw socket of protocol 112, watched on this
 * thread's loop. `kernelSilence` false turns its kernel silence timers off: JavaScript reads VRRP_KERNEL_SILENCE,
 * because getenv here, on the engine thread, could race the main thread writing process.env. */
napi_value vrrp_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
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
  bool kernel_silence = true;
  if (argc >= 4) {
    NAPI_CALL(env, napi_typeof(env, argv[3], &type));
    if (type != napi_undefined && napi_get_value_bool(env, argv[3], &kernel_silence) != napi_ok) {
      napi_throw_type_error(env, NULL, "kernelSilence must be a boolean");
      return NULL;
    }
  }

  unsigned int ifindex = if_nametoindex(ifname);
  if (ifindex == 0) return throw_errno(env, "if_nametoindex", errno != 0 ? errno : ENODEV);

  int domain = family == 4 ? AF_INET : AF_INET6;
  int fd = socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP);
  if (fd < 0) return throw_errno(env, "socket", errno);
  const char *failed = configure_receiving(fd, domain, ifname);
  if (failed != NULL) {
    int error_number = errno;
    close(fd);
    return throw_errno(env, failed, error_number);
  }
  if (!(family == 4 ? configure_ipv4(env, fd, (int)ifindex) : configure_ipv6(env, fd, (int)ifindex))) return NULL;

  vrrp_socket *socket_handle = (vrrp_socket *)calloc(1, sizeof(vrrp_socket));
  if (socket_handle == NULL) {
    close(fd);
    return throw_errno(env, "malloc", ENOMEM);
  }
  socket_handle->family = domain;
  socket_handle->ifindex = (int)ifindex;
  socket_handle->joined = false;
  socket_handle->repeats.fd = -1;
  socket_handle->repeats.insn_cap = FILTER_MAX_INSNS;
  socket_handle->repeats.stale_since_ms = -1;
  socket_handle->silence_unavailable = !kernel_silence;
  socket_handle->base.release = release_socket_parts;
  /* The watcher owns fd and the struct from here, even when it fails. */
  napi_value handle = watcher_start(env, &socket_handle->base, fd, argv[2], "vrrp:socket", &VRRP_TAG, vrrp_ready, true);
  return watcher_with_alarm(env, &socket_handle->base, handle);
}

/* Reads argv[0] as an open VRRP socket; throws (TypeError, or EBADF naming `syscall` once closed), NULL otherwise. */
static vrrp_socket *get_open_socket(napi_env env, napi_value value, const char *syscall) {
  return (vrrp_socket *)get_open(env, value, &VRRP_KIND, syscall);
}

/* Joins VRRP's multicast group on `ifindex`; returns 0 or the errno of the refusal. */
static int join_group(int fd, int family, int ifindex) {
  int result;
  if (family == AF_INET) {
    struct ip_mreqn membership;
    memset(&membership, 0, sizeof(membership));
    membership.imr_multiaddr.s_addr = htonl(0xe0000012); /* 224.0.0.18 */
    membership.imr_address.s_addr = htonl(INADDR_ANY);
    membership.imr_ifindex = ifindex;
    result = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership, sizeof(membership));
  } else {
    struct ipv6_mreq membership;
    memset(&membership, 0, sizeof(membership));
    static const uint8_t group[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12}; /* ff02::12 */
    memcpy(&membership.ipv6mr_multiaddr, group, sizeof(group));
    membership.ipv6mr_interface = (unsigned int)ifindex;
    result = setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &membership, sizeof(membership));
  }
  return result == 0 ? 0 : errno;
}

static bool repeats_join(vrrp_socket *s);
static void filters_off(vrrp_socket *s);
static void kernel_silence_off(vrrp_socket *s);

/* vrrpJoin(handle): joins VRRP's multicast group on the socket's interface, once (its repeat socket too). */
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
  int error_number = join_group(socket_handle->base.fd, socket_handle->family, socket_handle->ifindex);
  if (error_number != 0) {
    return throw_errno(env, socket_handle->family == AF_INET ? "setsockopt(IP_ADD_MEMBERSHIP)" : "setsockopt(IPV6_ADD_MEMBERSHIP)", error_number);
  }
  socket_handle->joined = true;
  /* A repeat socket that cannot join hears nothing: filtering off, every repeat read on readiness again. */
  if (socket_handle->repeats.fd >= 0 && !socket_handle->repeats.joined && !repeats_join(socket_handle)) {
    filters_off(socket_handle);
  }
  /* Nor would the kernel's silence timers: the socket looks for silences itself again. */
  if (socket_handle->silence != NULL && join_group(silence_bpf_socket_fd(socket_handle->silence), socket_handle->family, socket_handle->ifindex) != 0) {
    kernel_silence_off(socket_handle);
  }
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

/* Makes `*bytes` hold at least `length` bytes (see "Entry bytes" in the file comment), keeping it when it does. Returns
 * false, with `*bytes` as it was, when memory is short. */
static bool entry_room(uint8_t **bytes, uint16_t *capacity, size_t length) {
  if (*bytes != NULL && length <= *capacity) return true;
  uint8_t *room = (uint8_t *)malloc(length > 0 ? length : 1);
  if (room == NULL) return false;
  free(*bytes);
  *bytes = room;
  *capacity = (uint16_t)length;
  return true;
}

static void on_socket_alarm(watcher *w);

/* No kernel silence timers for the socket from here on: every VRID is looked at as without them. */
static void kernel_silence_off(vrrp_socket *s) {
  if (s->silence == NULL) return;
  watcher_alarm_source_remove(&s->base, silence_bpf_wake_fd(s->silence));
  silence_bpf_close(s->silence);
  s->silence = NULL;
  for (int vrid = 1; vrid < 256; vrid++) {
    s->absorb[vrid].kernel_since_ms = 0;
    s->absorb[vrid].kernel_trusted = false;
  }
}

/* A raw socket of `s`'s interface and family that receives adverts (configure_receiving) but takes nothing until
 * its owner gives it a filter: the take-nothing filter is attached before the socket is bound, so no packet queues
 * in between. The repeat socket and the kernel silence timers' socket start so. Returns the descriptor, or -1 with
 * errno set. */
static int quiet_socket_open(const vrrp_socket *s) {
  char ifname[IF_NAMESIZE];
  if (if_indextoname((unsigned)s->ifindex, ifname) == NULL) return -1;
  int fd = socket(s->family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_VRRP);
  if (fd < 0) return -1;
  struct sock_filter nothing = {BPF_RET | BPF_K, 0, 0, 0};
  struct sock_fprog program = {1, &nothing};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) != 0 || configure_receiving(fd, s->family, ifname) != NULL) {
    int error_number = errno;
    close(fd);
    errno = error_number;
    return -1;
  }
  return fd;
}

/* Opens the socket's kernel silence timers, once: a raw socket of the interface and family that keeps nothing, the
 * program on it, and its ring buffer in the thread's wait as a second source of the alarm. Without them (no
 * CAP_BPF, an older kernel, VRRP_KERNEL_SILENCE=0) the socket looks for silences as before. */
static void kernel_silence_open(vrrp_socket *s) {
  if (s->silence != NULL || s->silence_unavailable) return;
  s->silence_unavailable = true; /* until it opened */
  int fd = quiet_socket_open(s); /* takes nothing until the program replaces its filter */
  if (fd < 0) return;
  silence_bpf *b = silence_bpf_open(s->family, fd); /* takes fd */
  if (b == NULL) return;
  if ((s->joined && join_group(silence_bpf_socket_fd(b), s->family, s->ifindex) != 0) ||
      !watcher_alarm_source(&s->base, silence_bpf_wake_fd(b), on_socket_alarm)) {
    silence_bpf_close(b);
    return;
  }
  s->silence = b;
  s->silence_unavailable = false;
}

static void kernel_silence_declare(vrrp_socket *s, int vrid);

/* Declares (or, `on` false, ends) `vrid`'s kernel silence timer for its entry's watch; opens the timers for a
 * socket that watches few enough VRIDs (declaring the others it watches), closes them for one that watches more. */
static void kernel_silence_watch(vrrp_socket *s, int vrid, bool on) {
  absorb_entry *entry = &s->absorb[vrid];
  entry->kernel_trusted = false; /* kernel_silence_declare clears it too, but not every path below declares */
  if (on && s->watching > KERNEL_SILENCE_MAX_VRIDS) {
    kernel_silence_off(s);
    return;
  }
  if (on && entry->length >= 8 && s->silence == NULL) {
    kernel_silence_open(s);
    if (s->silence == NULL) return;
    for (int other = vrid_set_next(&s->watch_on, 0); other != 0; other = vrid_set_next(&s->watch_on, other)) {
      if (other != vrid) kernel_silence_declare(s, other);
    }
  }
  if (s->silence == NULL) return;
  if (!on || entry->length < 8) {
    if (entry->kernel_since_ms > 0) silence_bpf_unwatch(s->silence, vrid);
    entry->kernel_since_ms = 0;
    return;
  }
  kernel_silence_declare(s, vrid);
}

/* Writes `vrid`'s declared repeat and silence time into the kernel's map. */
static void kernel_silence_declare(vrrp_socket *s, int vrid) {
  absorb_entry *entry = &s->absorb[vrid];
  entry->kernel_trusted = false;
  if (entry->length < 8) return;
  if (!silence_bpf_watch(s->silence, vrid, entry->silence_ms + KERNEL_SILENCE_MARGIN_MS, entry->source, entry->destination, entry->ttl, entry->payload)) {
    entry->kernel_since_ms = 0;
    return;
  }
  /* Read after the update, not before: the update cancels the VRID's timer (the kernel frees an array value's timer
   * when the value is replaced), so only a repeat that came after it started the timer again — one read between a
   * clock read taken first and the update would be trusted with no timer running. */
  const double now = wall_now_ms();
  if (now > 0) entry->kernel_since_ms = now;
  else {
    silence_bpf_unwatch(s->silence, vrid);
    entry->kernel_since_ms = 0;
  }
}

/* The socket's tallies, released with its JavaScript callback once it is closed (watcher.h), its repeat socket, and
 * its entries' bytes. */
static void release_socket_parts(watcher *w) {
  vrrp_socket *s = (vrrp_socket *)w;
  kernel_silence_off(s);
  if (s->repeats.fd >= 0) {
    close(s->repeats.fd);
    s->repeats.fd = -1;
    s->repeats.covered_count = 0;
  }
  for (int vrid = 1; vrid < 256; vrid++) {
    if (s->absorb[vrid].tally.ref != NULL) tally_release(w->env, &s->absorb[vrid].tally);
    if (s->repeat[vrid].tally.ref != NULL) tally_release(w->env, &s->repeat[vrid].tally);
    /* Closed: nothing sends or absorbs any more (vrrpRepeat and vrrpAbsorb refuse a closed socket). */
    s->repeat[vrid].on = false;
    s->absorb[vrid].armed = false;
    free(s->repeat[vrid].payload);
    s->repeat[vrid].payload = NULL;
    free(s->absorb[vrid].payload);
    s->absorb[vrid].payload = NULL;
    takeover_entry *takeover = s->takeover[vrid];
    if (takeover != NULL) {
      if (takeover->burst_ref != NULL) napi_delete_reference(w->env, takeover->burst_ref);
      free(takeover);
      s->takeover[vrid] = NULL;
    }
  }
  s->taking = 0;
  memset(&s->takeover_on, 0, sizeof(s->takeover_on));
  s->repeating = 0;
  s->absorbing = 0;
  memset(&s->repeat_on, 0, sizeof(s->repeat_on));
}

static void read_repeats(vrrp_socket *s, const struct timespec *until);
static void filters_update(vrrp_socket *s);
static void filters_release(vrrp_socket *s, int vrid);

/* Looks at every watched VRID (see "Silence watch" in the file comment): one silent for its silence_ms is marked
 * for JavaScript. Returns ms until the earliest silence of the others, or -1 when none is watched. */
static double silence_next(vrrp_socket *s) {
  const double now = wall_now_ms();
  /* Without a clock, look again in a millisecond rather than never. */
  if (now < 0) return 1;
  double next = -1;
  for (int vrid = vrid_set_next(&s->watch_on, 0); vrid != 0; vrid = vrid_set_next(&s->watch_on, vrid)) {
    absorb_entry *entry = &s->absorb[vrid];
    double left = entry->since_ms + entry->silence_ms - now;
    if (left > entry->silence_ms) {
      /* The clock was stepped back: count from now. */
      entry->since_ms = now;
      left = entry->silence_ms;
    }
    /* Within half a millisecond: silence has a margin of milliseconds before the deadline. */
    if (left <= 0.5) {
      entry->kernel_trusted = false;
      entry->watch = WATCH_SILENT;
      vrid_set_put(&s->watch_on, vrid, false);
      filters_release(s, vrid); /* its repeats must wake the thread again */
      s->news++;
      news_update(s, vrid);
    } else {
      /* The kernel's timer wakes the thread at the silence; a look still comes now and then (a lost wake-up would
       * otherwise be a lost takeover), and for the tallies. */
      if (entry->kernel_trusted && left < TRUSTED_LOOK_MS) left = TRUSTED_LOOK_MS;
      if (next < 0 || left < next) next = left;
    }
  }
  return next;
}

static void on_socket_alarm(watcher *w);
static double takeovers_next(vrrp_socket *s, bool send);


/* A kernel silence timer fired for `vrid`: the next look judges it (silence_bpf_take's callback). */
static void untrust(void *context, int vrid) {
  ((vrrp_socket *)context)->absorb[vrid].kernel_trusted = false;
}

/* Sends the advert schedules that are due (when `send`), marks silent VRIDs, and sets the socket's one alarm for
 * what comes next: at once when JavaScript has news to hear (told from the loop, never inside a call from it). The
 * repeat socket is read first ("Filtered repeats" in the file comment), so that no silence is judged without its
 * repeats, and at least every drain_every_ms. */
static void look(vrrp_socket *s, bool send) {
  repeat_socket *r = &s->repeats;
  /* A kernel timer that fired: its VRID is judged by its repeats below, as without one. */
  if (s->silence != NULL) silence_bpf_take(s->silence, untrust, s);
  if (r->covered_count > 0) read_repeats(s, NULL);
  double next = s->watching > 0 ? silence_next(s) : -1;
  double takeover = s->taking > 0 ? takeovers_next(s, send) : -1;
  if (takeover >= 0 && (next < 0 || takeover < next)) next = takeover;
  double advert = s->repeating > 0 ? adverts_next(s, send) : -1;
  if (advert >= 0 && (next < 0 || advert < next)) next = advert;
  if (s->filters_stale && !r->broken) {
    /* Declarations come in bursts (every instance of a process at its start, at a mass takeover): the filters
     * follow once they settle, not once per declaration. */
    const double now = monotonic_now_ms();
    if (r->stale_since_ms < 0) r->stale_since_ms = now;
    const double wait = r->stale_since_ms + FILTER_SETTLE_MS - now;
    if (wait <= 0 || now < 0) {
      filters_update(s);
    } else if (next < 0 || wait < next) {
      next = wait;
    }
  }
  if (r->covered_count > 0 && r->drain_every_ms >= 0 && (next < 0 || r->drain_every_ms < next)) next = r->drain_every_ms;
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
  s->looks++;
  s->bounded = false; /* no JavaScript call is under way */
  look(s, true);
  /* A master's advert woke the thread: lease renewals nearly due go in this wake-up (native/renew.c). */
  if (s->repeating > 0) renew_poke();
  if (s->news > 0) watcher_wake(w);
}

/* Whether datagram `d`, read from the socket (`from_repeats` false) or its repeat socket, is a repeat the engine
 * declared absorbable (see "Absorbed repeats" in the file comment); if so, records its arrival and counts it. A
 * repeat read from the repeat socket moves no alarm: its reader looks afterwards. */
static bool absorb(vrrp_socket *s, const received_datagram *d, bool from_repeats) {
  const uint8_t *datagram = d->data;
  size_t length = (size_t)d->length;
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
    if (d->hop_limit < 0) return false;
    payload = datagram;
    payload_length = length;
    source = d->addresses;
    destination = d->addresses + 16;
    address_length = 16;
    ttl = (int)d->hop_limit;
  }
  if (payload_length < 2) return false;
  absorb_entry *entry = &s->absorb[payload[1]];
  if (!entry->armed || payload_length != entry->length || ttl != entry->ttl ||
      memcmp(payload, entry->payload, payload_length) != 0 || memcmp(source, entry->source, address_length) != 0 ||
      memcmp(destination, entry->destination, address_length) != 0) {
    return false;
  }
  struct timespec arrival;
  if (d->stamped) {
    arrival = d->stamp;
    /* The same packet read from the other socket already (both took it while a filter changed): once is enough. */
    const struct timespec *other = from_repeats ? &entry->via_socket : &entry->via_repeats;
    if (arrival.tv_sec == other->tv_sec && arrival.tv_nsec == other->tv_nsec) return true;
    *(from_repeats ? &entry->via_repeats : &entry->via_socket) = arrival;
  } else if (clock_gettime(CLOCK_REALTIME, &arrival) != 0) {
    return false; /* no arrival time to report: let JavaScript date it */
  }
  entry->last = arrival;
  entry->count++;
  /* The master repeated: no takeover of this VRID is due ("Armed takeovers"); the engine arms again if need be. */
  takeover_entry *takeover = s->takeover[payload[1]];
  if (takeover != NULL && takeover->state == TAKEOVER_ARMED) {
    takeover->state = TAKEOVER_OFF;
    vrid_set_put(&s->takeover_on, payload[1], false);
    s->taking--;
  }
  s->last_arrival = entry->last;
  s->arrived = true;
  if (entry->tally.count != NULL) {
    tally_add(entry->tally.count, 1);
    if (entry->tally.deadline != NULL) tally_store(entry->tally.deadline, realtime_ms(&entry->last) + entry->tally.after_ms);
  }
  if (entry->watch != WATCH_OFF) {
    entry->since_ms = realtime_ms(&entry->last);
    /* Arrived after the kernel's timer was declared (with a margin for the stamp's lead on the filter's run): it
     * restarted that timer too, which now says when the master falls silent. */
    if (entry->kernel_since_ms > 0 && entry->since_ms > entry->kernel_since_ms + 1) entry->kernel_trusted = true;
    /* Silent before this repeat: watched again. A live one moves on without a look (see silence_next), unless
     * the socket watches so few that the look costs less than the alarm's wake-up it spares. */
    if (entry->watch != WATCH_ON) {
      if (entry->watch == WATCH_SILENT) s->news--;
      entry->watch = WATCH_ON;
      news_update(s, payload[1]);
      vrid_set_put(&s->watch_on, payload[1], true);
      s->filters_stale = true;
      if (!from_repeats) look(s, false);
    } else if (!from_repeats && s->watching <= SILENCE_REARM_MAX && s->repeating == 0) {
      look(s, false);
    }
  }
  return true;
}

/* Points message i of a batch at its slot, ready for recvmmsg. */
static void batch_slot(struct mmsghdr *messages, struct iovec *vectors, struct sockaddr_in6 *sources, void *control,
                       size_t control_bytes, uint8_t *data, size_t data_bytes, int i) {
  struct msghdr *message = &messages[i].msg_hdr;
  vectors[i].iov_base = data;
  vectors[i].iov_len = data_bytes;
  message->msg_name = &sources[i];
  message->msg_namelen = sizeof(sources[i]);
  message->msg_iov = &vectors[i];
  message->msg_iovlen = 1;
  message->msg_control = control;
  message->msg_controllen = control_bytes;
  message->msg_flags = 0;
}

/* One recvmmsg without waiting: the datagrams read, 0 when none waits, or -errno. */
static int receive_many(int fd, struct mmsghdr *messages, unsigned count) {
  int received;
  do {
    received = recvmmsg(fd, messages, count, MSG_DONTWAIT, NULL);
  } while (received < 0 && errno == EINTR);
  if (received < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
  return received;
}

/* The facts of one datagram a recvmmsg read into `out` (its bytes stay in `data`); `dropped` gets SO_RXQ_OVFL's
 * count when the kernel reported one. */
static void take_datagram(int family, const struct mmsghdr *read, const struct sockaddr_in6 *source, const uint8_t *data,
                          received_datagram *out, uint32_t *dropped) {
  struct msghdr *message = (struct msghdr *)&read->msg_hdr;
  /* A truncated datagram (MSG_TRUNC) reports the bytes read (see READ_SLOT_BYTES). */
  out->data = data;
  out->length = (ssize_t)read->msg_len;
  memset(out->addresses, 0, ADDRESSES_LEN);
  if (family == AF_INET) {
    memcpy(out->addresses, &((const struct sockaddr_in *)source)->sin_addr, 4);
  } else {
    memcpy(out->addresses, &source->sin6_addr, 16);
  }
  out->stamped = false;
  out->hop_limit = -1;
  out->ifindex = -1;
  for (struct cmsghdr *header = CMSG_FIRSTHDR(message); header != NULL; header = CMSG_NXTHDR(message, header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS &&
        header->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
      memcpy(&out->stamp, CMSG_DATA(header), sizeof(out->stamp));
      out->stamped = true;
    } else if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SO_RXQ_OVFL &&
               header->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
      if (dropped != NULL) memcpy(dropped, CMSG_DATA(header), sizeof(*dropped));
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_PKTINFO &&
               header->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo packet_info;
      memcpy(&packet_info, CMSG_DATA(header), sizeof(packet_info));
      memcpy(out->addresses + 16, &packet_info.ipi6_addr, 16);
      out->ifindex = packet_info.ipi6_ifindex;
    } else if (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_HOPLIMIT &&
               header->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int hops;
      memcpy(&hops, CMSG_DATA(header), sizeof(hops));
      out->hop_limit = hops;
    } else if (header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_PKTINFO &&
               header->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      /* Not asked for today (IPv4's destination is in the IP header); reported if a caller ever turns it on. */
      struct in_pktinfo packet_info;
      memcpy(&packet_info, CMSG_DATA(header), sizeof(packet_info));
      out->ifindex = packet_info.ipi_ifindex;
    }
  }
}

/* Refills the batch with one recvmmsg. Returns the datagrams read, 0 when none waits, or -errno. A batch read short
 * in the readiness pass marks the socket drained for the rest of that pass (see read_one). */
static int read_batch(vrrp_socket *s) {
  for (int i = 0; i < READ_BATCH; i++) {
    batch_slot(s->batch, s->batch_vectors, s->batch_sources, s->batch_control[i].bytes, sizeof(s->batch_control[i].bytes),
               s->batch_data[i], READ_SLOT_BYTES, i);
  }
  int received = receive_many(s->base.fd, s->batch, READ_BATCH);
  s->batch_next = 0;
  s->batch_count = received > 0 ? received : 0;
  if (received >= 0 && received < READ_BATCH && s->in_ready) s->drained = true;
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
  s->repeats.socket_reads++;
  take_datagram(s->family, &s->batch[index], &s->batch_sources[index], s->batch_data[index], &s->last, NULL);
  return s->absorbing > 0 && absorb(s, &s->last, false) ? READ_ABSORBED : READ_DELIVER;
}

/* ---- Filtered repeats (see the file comment) ---- */

static bool stamp_after(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec != b->tv_sec ? a->tv_sec > b->tv_sec : a->tv_nsec > b->tv_nsec;
}

/* The VRID of a datagram as a raw socket of `family` reads it (IPv4 from the IP header); 0 when too short. */
static int datagram_vrid(int family, const received_datagram *d) {
  if (family == AF_INET6) return d->length >= 2 ? d->data[1] : 0;
  if (d->length < 1) return 0;
  const ssize_t at = (ssize_t)(d->data[0] & 0x0f) * 4 + 1;
  return at < d->length ? d->data[at] : 0;
}

/* Reads the repeat socket: every repeat that arrived up to `until` (NULL: all that wait), in order, each absorbed as
 * if the socket had read it. One of a VRID the socket's filter does not drop (now) was taken by the socket too, and
 * is skipped; so is one that is no declared repeat any more (filters_release read its VRID's before it changed).
 * An overflow turns filtering off. */
static void read_repeats(vrrp_socket *s, const struct timespec *until) {
  repeat_socket *r = &s->repeats;
  if (r->fd < 0) return;
  /* All that wait is read in batches up to the first batch that ends with one that arrived after this read began:
   * a flood of exact repeats (a switching loop, a spoofer) arriving as fast as they are read would otherwise keep
   * the thread here — no advert sent, no takeover fired, no timer run (found by review). Checked between batches,
   * so that none is left half read; later ones are read by the next look. */
  struct timespec began;
  const bool bounded = until == NULL && clock_gettime(CLOCK_REALTIME, &began) == 0;
  bool late = false; /* the last one taken arrived after `began` */
  bool emptied = false;
  unsigned read = 0;
  for (;;) {
    if (r->next >= r->count) {
      if (emptied) break; /* the last read came back short: nothing waited then, and this read is for then */
      if (late) break;
      for (int i = 0; i < REPEAT_READ_BATCH; i++) {
        batch_slot(r->batch, r->vectors, r->sources, r->control[i].bytes, sizeof(r->control[i].bytes), r->data[i],
                   REPEAT_SLOT_BYTES, i);
      }
      int received = receive_many(r->fd, r->batch, REPEAT_READ_BATCH);
      r->next = 0;
      r->count = received > 0 ? received : 0;
      if (received <= 0) break;
      emptied = received < REPEAT_READ_BATCH;
    }
    received_datagram d;
    uint32_t dropped = r->dropped;
    take_datagram(s->family, &r->batch[r->next], &r->sources[r->next], r->data[r->next], &d, &dropped);
    if (until != NULL && d.stamped && stamp_after(&d.stamp, until)) break;
    if (bounded) late = d.stamped && stamp_after(&d.stamp, &began);
    r->next++;
    r->reads++;
    read++;
    if (dropped != r->dropped) {
      /* The buffer filled between two reads: the repeats that came after are lost, and with them the proof that a
       * master lives. Back to reading every repeat on readiness (after this read). */
      r->dropped = dropped;
      r->overflowed = true;
    }
    const int vrid = datagram_vrid(s->family, &d);
    if ((r->covered.word[vrid >> 6] & ((uint64_t)1 << (vrid & 63))) != 0) absorb(s, &d, true);
  }
  /* A datagram reports the drops before it (SO_RXQ_OVFL), so drops after the last one queued go unseen until
   * another comes: after a read of many, the socket's own count is asked too. */
  if (!r->overflowed && read >= r->capacity / 4) {
    uint32_t meminfo[SK_MEMINFO_VARS];
    socklen_t length = sizeof(meminfo);
    if (getsockopt(r->fd, SOL_SOCKET, SO_MEMINFO, meminfo, &length) == 0 && length > SK_MEMINFO_DROPS * sizeof(uint32_t) &&
        meminfo[SK_MEMINFO_DROPS] != r->dropped) {
      r->overflowed = true;
    }
  }
  if (r->overflowed && !r->broken) filters_off(s); /* sets `broken` first: its own read ends here */
}

/* Joins the repeat socket to the group the socket joined. */
static bool repeats_join(vrrp_socket *s) {
  int error_number = join_group(s->repeats.fd, s->family, s->ifindex);
  if (error_number != 0) {
    errno = error_number;
    return false;
  }
  s->repeats.joined = true;
  return true;
}

/* Opens the repeat socket: the socket's options, a filter that takes nothing until filters_set gives it one, and
 * the group when the socket has joined it. Returns false (errno set) when it cannot. */
static bool repeats_open(vrrp_socket *s) {
  repeat_socket *r = &s->repeats;
  int fd = quiet_socket_open(s); /* takes nothing until filters_update gives it a filter */
  if (fd < 0) return false;
  const int one = 1;
  bool ok = setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) == 0;
  int granted = 0;
  socklen_t granted_length = sizeof(granted);
  if (ok) ok = getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &granted_length) == 0;
  if (!ok) {
    int error_number = errno;
    close(fd);
    errno = error_number;
    return false;
  }
  r->fd = fd;
  r->capacity = (unsigned)granted / REPEAT_TRUESIZE;
  if (s->joined && !repeats_join(s)) {
    int error_number = errno;
    close(fd);
    r->fd = -1;
    errno = error_number;
    return false;
  }
  return true;
}

/* Sets a socket's filter program. The kernel charges a filter to the socket's option memory (net.core.optmem_max,
 * 128 KiB by default, 20 KiB on older kernels) while the one it replaces is still charged; when that is too much,
 * the old one goes first. On failure the socket is left with no filter (it takes everything) or its old one. */
static bool filter_attach(int fd, const filter_program *p) {
  struct sock_fprog program = {(unsigned short)p->length, (struct sock_filter *)p->code};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) == 0) return true;
  if (errno != ENOMEM) return false;
  int unused = 0;
  setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused));
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) == 0;
}

/* Builds the program for `set` into `p` and attaches it to `fd`: 0, or the errno to judge the failure by, read at
 * once (the clean-up after a failure makes syscalls of its own). A program that would not fit is ENOMEM, as the
 * kernel says of one too large, with `*tried` the cap it was built under; else `*tried` is its length. */
static int filter_build_attach(int fd, int family, const filter_repeat *repeats, const vrid_set *set, uint32_t repeat, uint32_t other,
                               unsigned cap, filter_program *p, unsigned *tried) {
  if (!repeat_filter_build(family, repeats, set, repeat, other, p)) {
    *tried = cap;
    return ENOMEM;
  }
  *tried = p->length;
  return filter_attach(fd, p) ? 0 : errno;
}

/* The socket takes every repeat again, in one syscall: its filter goes, and with it the covered set. What the repeat
 * socket took until then (the socket did not) is read now; what it takes from now on the socket takes too, and
 * read_repeats skips it. */
static void filters_uncover(vrrp_socket *s) {
  repeat_socket *r = &s->repeats;
  if (r->covered_count == 0) return;
  int unused = 0;
  setsockopt(s->base.fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused));
  read_repeats(s, NULL);
  memset(&r->covered, 0, sizeof(r->covered));
  r->covered_count = 0;
}

/* The repeat socket takes nothing. */
static void repeats_take_nothing(vrrp_socket *s) {
  repeat_socket *r = &s->repeats;
  struct sock_filter nothing = {BPF_RET | BPF_K, 0, 0, 0};
  struct sock_fprog program = {1, &nothing};
  if (r->fd >= 0) setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program));
  memset(&r->taken, 0, sizeof(r->taken));
}

/* Filtering off for good (a filter refused for anything but its size, an overflow): the socket takes everything
 * again, the repeat socket nothing. */
static void filters_off(vrrp_socket *s) {
  s->repeats.broken = true;
  filters_uncover(s);
  repeats_take_nothing(s);
}

/* Takes `vrid` out of the socket's filter now, before its declaration changes or when it falls silent — the whole
 * filter, which is one syscall whatever the count (255 instances that change at once would otherwise rebuild it
 * 255 times: seconds of the engine thread at a mass takeover, measured). filters_update brings back the others. */
static void filters_release(vrrp_socket *s, int vrid) {
  repeat_socket *r = &s->repeats;
  const uint64_t bit = (uint64_t)1 << (vrid & 63);
  /* The repeat socket's filter code for it is of the declaration before: rebuilt, whatever the set. */
  r->taken.word[vrid >> 6] &= ~bit;
  if ((r->covered.word[vrid >> 6] & bit) == 0) return;
  filters_uncover(s);
  s->filters_stale = true;
}

/* Covers the watched VRIDs (those in WATCH_ON, lowest first, as many as a filter may hold) when that changed; the
 * others are absorbed on readiness, as without filters. The order keeps every repeat on one socket at least: the
 * repeat socket takes the new set first, is read (skipping what the socket also took), then the socket drops it. */
static void filters_update(vrrp_socket *s) {
  s->filters_stale = false;
  s->repeats.stale_since_ms = -1;
  repeat_socket *r = &s->repeats;
  if (r->broken) return;
  vrid_set candidates = {{0}};
  filter_repeat repeats[256]; /* the candidates' entries only */
  for (int vrid = vrid_set_next(&s->watch_on, 0); vrid != 0; vrid = vrid_set_next(&s->watch_on, vrid)) {
    const absorb_entry *entry = &s->absorb[vrid];
    if (!entry->armed) continue;
    vrid_set_put(&candidates, vrid, true);
    repeats[vrid] = (filter_repeat){entry->payload, entry->source, entry->destination, entry->length, entry->ttl};
  }
  filter_program *p = NULL;
  for (;;) {
    const vrid_set target = repeat_filter_fit(s->family, repeats, &candidates, r->insn_cap);
    if (vrid_sets_equal(&target, &r->covered) && vrid_sets_equal(&target, &r->taken)) break;
    if (r->fd < 0) {
      if (vrid_set_empty(&target)) break;
      if (!repeats_open(s)) {
        r->broken = true;
        break;
      }
    }
    /* The socket drops nothing the repeat socket is about to stop taking. */
    bool subset = true;
    for (int i = 0; i < 4; i++) subset = subset && (r->covered.word[i] & ~target.word[i]) == 0;
    if (!subset) filters_uncover(s);
    if (p == NULL && (p = (filter_program *)malloc(sizeof(filter_program))) == NULL) break;
    if (vrid_set_empty(&target)) {
      repeats_take_nothing(s); /* and the socket dropped nothing since filters_uncover */
      break;
    }
    int failure = 0;
    unsigned tried = 0;
    if (!vrid_sets_equal(&target, &r->taken)) {
      failure = filter_build_attach(r->fd, s->family, repeats, &target, 0xffffffff, 0, r->insn_cap, p, &tried);
      if (failure == 0) {
        r->taken = target;
      } else {
        repeats_take_nothing(s); /* it may have no filter now: it would take everything */
        filters_uncover(s);
      }
    }
    if (failure == 0 && !vrid_sets_equal(&target, &r->covered)) {
      read_repeats(s, NULL); /* before the socket drops more: what it still took too is skipped here */
      failure = filter_build_attach(s->base.fd, s->family, repeats, &target, 0, 0xffffffff, r->insn_cap, p, &tried);
      if (failure == 0) {
        r->covered = target;
      } else {
        memset(&r->covered, 0, sizeof(r->covered)); /* its filter may be gone, or the old one is there: */
        int unused = 0;
        setsockopt(s->base.fd, SOL_SOCKET, SO_DETACH_FILTER, &unused, sizeof(unused)); /* none, known */
      }
    }
    if (failure == 0) break;
    /* Refused for its size: remembered, fewer VRIDs next. Anything else: filtering off. */
    if (failure != ENOMEM || tried <= 1 || tried - 1 >= r->insn_cap) {
      filters_off(s);
      break;
    }
    /* An eighth shorter: a few tries, rather than one per VRID (each is a conversion of the whole program). */
    r->insn_cap = tried - 1 - tried / 8;
  }
  free(p);
  r->covered_count = 0;
  double per_ms = 0;
  for (int vrid = vrid_set_next(&r->covered, 0); vrid != 0; vrid = vrid_set_next(&r->covered, vrid)) {
    r->covered_count++;
    /* A master repeats at least four times per silence (three intervals and a skew). */
    per_ms += 4.0 / s->absorb[vrid].silence_ms;
  }
  /* Half the buffer at that rate: the alarm reads the repeat socket at least this often. */
  r->drain_every_ms = per_ms > 0 ? ((double)r->capacity / 2.0) / per_ms : -1;
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
  s->bounded = false; /* no JavaScript call is under way */
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
    /* A datagram to deliver, or a failed read: its error is the socket's pending one (sk_err, an ICMP error's),
     * which the read cleared, so vrrpRecv reports it from here. */
    s->pending = outcome == READ_DELIVER;
    if (outcome < 0) s->read_error = -outcome;
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
  socket_handle->bounded = false;
  if (socket_handle->read_error != 0) {
    const int error_number = socket_handle->read_error;
    socket_handle->read_error = 0;
    return throw_errno(env, "recvmsg", error_number);
  }
  if (!socket_handle->pending) {
    /* Absorbed repeats are read through, batch after batch, up to the end of a batch whose last one arrived after
     * this call began: a flood of them (a switching loop, a spoofer) would otherwise hold the thread in this call
     * (found by review). Only at a batch's end, so that nothing read from the kernel waits unread behind an
     * "empty": what came later is still in the kernel's queue, which keeps the socket readable. */
    struct timespec began;
    const bool dated = clock_gettime(CLOCK_REALTIME, &began) == 0;
    int outcome;
    do {
      outcome = read_one(socket_handle);
    } while (outcome == READ_ABSORBED && !(dated && socket_handle->batch_next >= socket_handle->batch_count && socket_handle->last.stamped &&
                                            stamp_after(&socket_handle->last.stamp, &began)));
    if (outcome == READ_ABSORBED) outcome = READ_EMPTY;
    if (outcome < 0) return throw_errno(env, "recvmsg", -outcome);
    if (outcome == READ_EMPTY) {
      /* -2: empty, and some VRID has news (vrrpNotice names it). */
      NAPI_CALL(env, napi_create_int32(env, socket_handle->news > 0 ? -2 : -1, &result));
      return result;
    }
  }
  socket_handle->pending = false;
  const received_datagram *last = &socket_handle->last;
  /* Until the next read, what JavaScript collects ends at this datagram (see vrrp_absorbed). */
  socket_handle->bounded = last->stamped;
  socket_handle->bound = last->stamp;
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
    /* What the repeat socket holds of the declaration before is read while the entry still says it (below too,
     * for a stop): compared with the new one, those repeats failed and were lost untallied (found by review). */
    filters_release(s, vrid);
    /* Short of memory, the repeats go to JavaScript, as a longer message's do. */
    if (payload_length <= ABSORB_MAX_PAYLOAD && entry_room(&entry->payload, &entry->capacity, payload_length)) {
      memcpy(entry->payload, payload, payload_length);
      entry->length = (uint16_t)payload_length;
      memcpy(entry->source, source, address_length);
      memcpy(entry->destination, destination, address_length);
      entry->ttl = (uint8_t)ttl;
      absorbed = true;
    }
  }
  /* Its filter code is of the declaration before: out of the filters, and what the repeat socket holds of it read,
   * before anything changes. */
  filters_release(s, vrid);
  if (absorbed != entry->armed) s->absorbing += absorbed ? 1 : -1;
  entry->armed = absorbed;
  s->filters_stale = true;
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
  news_update(s, vrid);
  vrid_set_put(&s->watch_on, vrid, false);
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
    vrid_set_put(&s->watch_on, vrid, true);
    s->watching++;
  }
  kernel_silence_watch(s, vrid, entry->watch == WATCH_ON);
  /* Silent already (a deadline closer than the margin): told from the loop, not inside this call. The filters follow
   * the declaration here too. */
  look(s, false);
  napi_value result;
  NAPI_CALL(env, napi_get_boolean(env, absorbed, &result));
  return result;
}

/* vrrpNotice(handle): a VRID with news not named yet — its silence watch fired ("Silence watch"), its advert
 * schedule stopped ("Repeated adverts") or its takeover fired ("Armed takeovers") — or 0. */
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
  /* The lowest VRID with news, both its kinds told at once (news_on: only entries with news are touched). */
  int32_t found = vrid_set_next(&s->news_on, 0);
  if (found != 0) {
    if (s->absorb[found].watch == WATCH_SILENT) {
      s->absorb[found].watch = WATCH_TOLD;
      s->news--;
    }
    if (s->repeat[found].untold) {
      s->repeat[found].untold = false;
      s->news--;
    }
    if (s->takeover[found] != NULL && s->takeover[found]->state == TAKEOVER_FIRED) {
      s->takeover[found]->state = TAKEOVER_TOLD;
      s->news--;
    }
    news_update(s, found);
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

/* vrrpIfindex(handle): the index of the interface the socket was bound to at its open (SO_BINDTODEVICE binds the
 * index, not the name: an interface deleted and made again under the same name has a new one, and the socket hears
 * nothing from it). */
napi_value vrrp_ifindex(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "vrrpIfindex needs a handle");
    return NULL;
  }
  vrrp_socket *s = get_open_socket(env, argv[0], "vrrpIfindex");
  if (s == NULL) return NULL;
  napi_value result;
  NAPI_CALL(env, napi_create_int32(env, s->ifindex, &result));
  return result;
}

/* vrrpAbsorbed(handle, vrid, meta): the repeats of `vrid` absorbed since the last call (their count is returned and
 * reset), meta[0] the age in ms of the last one; 0 once closed. */
napi_value vrrp_absorbed(napi_env env, napi_callback_info info) {
  vrrp_socket *s = NULL;
  int32_t vrid = 0;
  double *meta = NULL;
  if (!get_vrid_meta(env, info, "vrrpAbsorbed needs a handle, a vrid and a meta array", 1, &s, &vrid, &meta)) return NULL;
  absorb_entry *entry = &s->absorb[vrid];
  /* The repeat socket's repeats first: up to the datagram JavaScript holds, if it holds one, else all. */
  if (s->base.fd >= 0) read_repeats(s, s->bounded ? &s->bound : NULL);
  uint32_t count = s->base.fd < 0 ? 0 : entry->count;
  meta[0] = count > 0 ? age_ms(&entry->last) : -1;
  entry->count = 0;
  napi_value result;
  NAPI_CALL(env, napi_create_uint32(env, count, &result));
  return result;
}

/* kernelSilenceProbe(family): 0 when the kernel silence timers could load here (silence_bpf_probe), else the errno
 * it refused with. A preflight's question: it opens no socket and attaches nothing. */
napi_value kernel_silence_probe(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t family = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6)) {
    napi_throw_range_error(env, NULL, "family must be 4 or 6");
    return NULL;
  }
  napi_value result;
  NAPI_CALL(env, napi_create_int32(env, silence_bpf_probe(family == 4 ? AF_INET : AF_INET6), &result));
  return result;
}

/* vrrpFiltered(handle[, reads: Float64Array(2 or 4)]): how many VRIDs the kernel's filters absorb now ("Filtered
 * repeats" in the file comment), or -1 once filtering is off for good on this socket (a filter refused, or the repeat
 * socket overflowed); reads = [datagrams read from the socket, from its repeat socket] since it opened, and with 4,
 * [the alarm's looks, 1 if kernel silence timers serve it] after them. */
napi_value vrrp_filtered(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "vrrpFiltered needs a handle");
    return NULL;
  }
  vrrp_socket *s = (vrrp_socket *)get_tagged(env, argv[0], &VRRP_TAG, "expected a vrrp socket handle");
  if (s == NULL) return NULL;
  napi_valuetype type = napi_undefined;
  if (argc >= 2) NAPI_CALL(env, napi_typeof(env, argv[1], &type));
  if (type != napi_undefined) {
    double *reads = NULL;
    size_t length = 0;
    if (!get_float64s(env, argv[1], "reads", &reads, &length)) return NULL;
    if (length < 2) {
      napi_throw_range_error(env, NULL, "reads must hold 2 numbers");
      return NULL;
    }
    reads[0] = s->repeats.socket_reads;
    reads[1] = s->repeats.reads;
    if (length >= 4) {
      reads[2] = s->looks;
      reads[3] = s->silence != NULL ? 1 : 0;
    }
  }
  napi_value result;
  NAPI_CALL(env, napi_create_int32(env, s->repeats.broken ? -1 : (int32_t)s->repeats.covered_count, &result));
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
  int32_t *errnos = NULL;
  size_t errnos_length = 0;
  if (!get_int32s(env, argv[5], "errnos", &errnos, &errnos_length)) return NULL;
  if (errnos_length < count) {
    napi_throw_range_error(env, NULL, "errnos is shorter than count");
    return NULL;
  }
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

/* stage_messages's outcomes other than a length. */
enum { STAGE_THROWN = -2, STAGE_TOO_LONG = -1 };

/* Reads the messages data[i] to dst[i] (arrays of the same, non-zero length) from `source` (null or undefined: not
 * pinned) into `set`, their bytes into `staged` (REPEAT_MAX_BYTES long). Returns the bytes' length, STAGE_TOO_LONG
 * when they are too many or too long to keep, or STAGE_THROWN after throwing (a malformed argument). */
static int stage_messages(napi_env env, const vrrp_socket *s, napi_value data, napi_value dst, napi_value source,
                          message_set *set, uint8_t *staged) {
  uint32_t count = 0, destinations = 0;
  if (napi_get_array_length(env, data, &count) != napi_ok || napi_get_array_length(env, dst, &destinations) != napi_ok ||
      count != destinations || count == 0) {
    napi_throw_type_error(env, NULL, "data and dst must be arrays of the same, non-zero length");
    return STAGE_THROWN;
  }
  if (count > REPEAT_MAX_MESSAGES) return STAGE_TOO_LONG;
  memset(set, 0, sizeof(*set));
  const size_t address_length = s->family == AF_INET ? 4 : 16;
  size_t offset = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value data_value, dst_value;
    void *bytes = NULL, *to = NULL, *from = NULL;
    size_t length = 0;
    if (napi_get_element(env, data, i, &data_value) != napi_ok || napi_get_element(env, dst, i, &dst_value) != napi_ok) {
      throw_last_napi_error(env);
      return STAGE_THROWN;
    }
    if (!get_bytes(env, data_value, "data", &bytes, &length) || !get_addresses(env, s, dst_value, source, &to, &from)) return STAGE_THROWN;
    if (offset + length > REPEAT_MAX_BYTES) return STAGE_TOO_LONG;
    memcpy(staged + offset, bytes, length);
    offset += length;
    set->offset[i + 1] = (uint16_t)offset;
    memcpy(set->destination[i], to, address_length);
    if (from != NULL) {
      memcpy(set->source, from, address_length);
      set->pinned = true;
    }
  }
  set->count = (uint8_t)count;
  return (int)offset;
}

/* Fills messages[0, set->count) (and their slots and lengths) for `set` over `payload`, ready for sendmmsg. */
static void fill_messages(const vrrp_socket *s, const message_set *set, uint8_t *payload, struct mmsghdr *messages,
                          send_slot *slots, size_t *lengths) {
  for (int i = 0; i < set->count; i++) {
    lengths[i] = (size_t)(set->offset[i + 1] - set->offset[i]);
    fill_message(s, &slots[i], &messages[i].msg_hdr, payload + set->offset[i], lengths[i], set->destination[i],
                 set->pinned ? set->source : NULL);
    messages[i].msg_len = 0;
  }
}

/* Sends `count` prepared messages of advert schedules (owners[i]: the VRID of message i) in sendmmsg calls; a
 * message the kernel refuses stops its schedule and is news for JavaScript ("Repeated adverts"). */
static void stop_repeating_for(vrrp_socket *s, uint8_t vrid, int error) {
  repeat_entry *entry = &s->repeat[vrid];
  if (!entry->on) return;
  entry->on = false;
  vrid_set_put(&s->repeat_on, vrid, false);
  entry->error = error;
  entry->untold = true;
  s->repeating--;
  s->news++;
  news_update(s, vrid);
}

static void send_scheduled(vrrp_socket *s, struct mmsghdr *messages, const uint8_t *owners, const size_t *lengths, int count) {
  int next = 0;
  while (next < count) {
    int sent = s->base.fd < 0 ? -1 : sendmmsg(s->base.fd, messages + next, (unsigned)(count - next), 0);
    if (sent < 0 && s->base.fd >= 0 && errno == EINTR) continue;
    if (sent <= 0) {
      /* The message at `next` failed and none after it went: its schedule stops, the rest are tried again. (0 is
       * not a result sendmmsg gives for a non-empty batch; taken as a failure so the loop cannot spin on it.) */
      stop_repeating_for(s, owners[next], s->base.fd < 0 ? EBADF : sent < 0 ? errno : EIO);
      next++;
      continue;
    }
    /* A raw datagram goes out whole or not at all; one that did not stops its schedule, and the ones after it in
     * this call went out already, so they are not sent again. */
    for (int i = 0; i < sent; i++) {
      if (messages[next + i].msg_len != lengths[next + i]) stop_repeating_for(s, owners[next + i], EMSGSIZE);
    }
    next += sent;
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
  for (int vrid = vrid_set_next(&s->repeat_on, 0); vrid != 0; vrid = vrid_set_next(&s->repeat_on, vrid)) {
    repeat_entry *entry = &s->repeat[vrid];
    if (entry->due_ms - now <= ADVERT_EARLY_MS) {
      if (!send) {
        next = 0;
        continue;
      }
      if (count + entry->messages.count > SEND_MANY_CHUNK) {
        send_scheduled(s, messages, owners, lengths, count);
        count = 0;
      }
      fill_messages(s, &entry->messages, entry->payload, messages + count, slots + count, lengths + count);
      memset(owners + count, vrid, entry->messages.count);
      count += entry->messages.count;
      entry->last_ms = now - entry->due_ms < entry->interval_ms / 20 ? entry->due_ms : now;
      entry->due_ms = entry->last_ms + entry->interval_ms;
      entry->fired++;
      if (entry->tally.count != NULL) {
        tally_add(entry->tally.count, entry->messages.count);
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
  double in_ms = 0, interval_ms = 0;
  if (!stop) {
    if (argc < 7) {
      napi_throw_type_error(env, NULL, "vrrpRepeat needs destinations, a source (or null), a first delay and an interval with messages");
      return NULL;
    }
    if (napi_get_value_double(env, argv[5], &in_ms) != napi_ok || napi_get_value_double(env, argv[6], &interval_ms) != napi_ok ||
        !(in_ms >= 0 && in_ms <= 3.6e6) || !(interval_ms >= 1 && interval_ms <= 3.6e6)) {
      napi_throw_range_error(env, NULL, "the first delay must be 0 to an hour and the interval 1 ms to an hour");
      return NULL;
    }
  }
  /* Checked in full before the entry changes: a refusal leaves the schedule before as it was. The messages are
   * staged here, then copied into the entry's own bytes ("Entry bytes" in the file comment). */
  repeat_entry next_entry;
  memset(&next_entry, 0, sizeof(next_entry));
  uint8_t staged[REPEAT_MAX_BYTES];
  int offset = stop ? 0 : stage_messages(env, s, argv[2], argv[3], argv[4], &next_entry.messages, staged);
  if (offset == STAGE_THROWN) return NULL;
  napi_value result;
  if (offset == STAGE_TOO_LONG) {
    NAPI_CALL(env, napi_get_boolean(env, false, &result));
    return result;
  }
  double now = stop ? 0 : monotonic_now_ms();
  if (now < 0) return throw_errno(env, "clock_gettime", errno);
  if (!stop && !get_tally(env, argc, argv, 7, false, &next_entry.tally)) return NULL;
  /* Last of the checks: a new allocation's bytes are written below, with the schedule that sends them. */
  if (!stop && !entry_room(&entry->payload, &entry->capacity, (size_t)offset)) {
    tally_release(env, &next_entry.tally);
    return throw_errno(env, "malloc", ENOMEM);
  }
  if (entry->on) s->repeating--;
  if (entry->untold) s->news--;
  tally_release(env, &entry->tally);
  /* The entry's bytes outlive its schedules (see "Entry bytes" in the file comment). */
  uint8_t *bytes = entry->payload;
  uint16_t capacity = entry->capacity;
  if (stop) {
    memset(entry, 0, sizeof(*entry));
  } else {
    memcpy(bytes, staged, (size_t)offset);
    next_entry.on = true;
    next_entry.interval_ms = interval_ms;
    next_entry.due_ms = now + in_ms;
    memcpy(entry, &next_entry, sizeof(*entry));
    s->repeating++;
  }
  entry->payload = bytes;
  entry->capacity = capacity;
  vrid_set_put(&s->repeat_on, vrid, !stop);
  news_update(s, vrid);
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

/* ---- Armed takeovers (see the file comment) ---- */

/* Whether a datagram waits that JavaScript has not seen: one held for it, the rest of a batch, or one in the
 * kernel's queue (SIOCINQ: the length of the first, 0 when none). */
static bool unread_waiting(vrrp_socket *s) {
  if (s->pending || s->batch_next < s->batch_count) return true;
  int queued = 0;
  if (s->base.fd < 0 || ioctl(s->base.fd, SIOCINQ, &queued) != 0) return true; /* cannot tell: JavaScript decides */
  return queued > 0;
}

/* Stops `vrid`'s armed takeover (not a fired one). */
static void takeover_disarm(vrrp_socket *s, int vrid) {
  takeover_entry *entry = s->takeover[vrid];
  if (entry == NULL || entry->state != TAKEOVER_ARMED) return;
  entry->state = TAKEOVER_OFF;
  vrid_set_put(&s->takeover_on, vrid, false);
  s->taking--;
}

/* Frees `vrid`'s takeover entry once it is off (settled or disarmed): its 1.2 KB are allocated again at the next
 * arming, so that a VRID holds them only while armed or fired (every instance arms once in its warm-up). */
static void takeover_free(napi_env env, vrrp_socket *s, int vrid) {
  takeover_entry *entry = s->takeover[vrid];
  if (entry == NULL || entry->state != TAKEOVER_OFF) return;
  if (entry->burst_ref != NULL) napi_delete_reference(env, entry->burst_ref);
  free(entry);
  s->takeover[vrid] = NULL;
}

/* Sends the adverts of `entry` (for `vrid`) and fires its burst; notes the first refused message's errno. */
static void takeover_fire(vrrp_socket *s, int vrid, takeover_entry *entry) {
  struct mmsghdr messages[REPEAT_MAX_MESSAGES];
  send_slot slots[REPEAT_MAX_MESSAGES];
  size_t lengths[REPEAT_MAX_MESSAGES];
  const int count = entry->messages.count;
  fill_messages(s, &entry->messages, entry->payload, messages, slots, lengths);
  entry->error = 0;
  entry->fired_ms = monotonic_now_ms();
  int next = 0;
  while (next < count) {
    int sent = s->base.fd < 0 ? -1 : sendmmsg(s->base.fd, messages + next, (unsigned)(count - next), 0);
    if (sent < 0 && s->base.fd >= 0 && errno == EINTR) continue;
    if (sent <= 0) {
      /* The message at `next` was refused: noted (JavaScript reports it as its own send's failure), the rest go. */
      if (entry->error == 0) entry->error = s->base.fd < 0 ? EBADF : sent == 0 ? EIO : errno;
      next++;
      continue;
    }
    for (int i = next; i < next + sent; i++) {
      /* A raw datagram goes out whole or not at all. */
      if (messages[i].msg_len != lengths[i] && entry->error == 0) entry->error = EMSGSIZE;
    }
    next += sent;
  }
  /* A burst that could not keep its results is left to JavaScript, which runs it when it catches up. */
  if (entry->burst != NULL) burst_fire(entry->burst);
  entry->state = TAKEOVER_FIRED;
  vrid_set_put(&s->takeover_on, vrid, false);
  s->taking--;
  s->news++;
  news_update(s, vrid);
}

/* Fires the takeovers that are due (when `send`), and returns ms until the next, or -1 when none is armed. */
static double takeovers_next(vrrp_socket *s, bool send) {
  const double now = monotonic_now_ms();
  if (now < 0) return 1;
  double next = -1;
  int waiting = -1; /* unread_waiting, asked once */
  for (int vrid = vrid_set_next(&s->takeover_on, 0); vrid != 0; vrid = vrid_set_next(&s->takeover_on, vrid)) {
    takeover_entry *entry = s->takeover[vrid];
    if (entry->due_ms - now > ADVERT_EARLY_MS) {
      if (next < 0 || entry->due_ms - now < next) next = entry->due_ms - now;
      continue;
    }
    if (!send) {
      next = 0;
      continue;
    }
    if (waiting < 0) waiting = unread_waiting(s) ? 1 : 0;
    /* Something unread might be this VRID's master: JavaScript reads it and decides (its fallback timer). */
    if (waiting == 1) {
      takeover_disarm(s, vrid);
    } else {
      takeover_fire(s, vrid, entry);
    }
  }
  return next;
}

/* vrrpArmTakeover(handle, vrid, data[] | null, dst[], source | null, inMs, burst | null) -> armed: in `inMs`, unless
 * a repeat of the VRID's master comes or a datagram waits unread, sends each data[i] to dst[i] (from `source` when
 * given) and fires `burst` (native/burst.c), then tells JavaScript ("Armed takeovers" in the file comment). null
 * data disarms. Replaces an armed takeover, not a fired one (vrrpTakeover settles that). false, nothing armed: the
 * messages are too many or too long to keep, or a fired takeover is not settled yet. */
napi_value vrrp_arm_takeover(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "vrrpArmTakeover needs a handle, a vrid and the messages (or null)");
    return NULL;
  }
  vrrp_socket *s = get_open_socket(env, argv[0], "vrrpArmTakeover");
  if (s == NULL) return NULL;
  int32_t vrid = 0;
  if (!get_vrid(env, argv[1], &vrid)) return NULL;
  napi_valuetype data_type = napi_undefined;
  NAPI_CALL(env, napi_typeof(env, argv[2], &data_type));
  napi_value result;
  if (data_type == napi_null || data_type == napi_undefined) {
    takeover_disarm(s, vrid);
    takeover_free(env, s, vrid);
    look(s, false);
    NAPI_CALL(env, napi_get_boolean(env, false, &result));
    return result;
  }
  if (argc < 7) {
    napi_throw_type_error(env, NULL, "vrrpArmTakeover needs destinations, a source (or null), a delay and a burst (or null)");
    return NULL;
  }
  double in_ms = 0;
  if (napi_get_value_double(env, argv[5], &in_ms) != napi_ok || !(in_ms >= 0 && in_ms <= 3.6e6)) {
    napi_throw_range_error(env, NULL, "the delay must be 0 to an hour");
    return NULL;
  }
  void *burst = NULL;
  napi_valuetype burst_type = napi_undefined;
  NAPI_CALL(env, napi_typeof(env, argv[6], &burst_type));
  if (burst_type != napi_null && burst_type != napi_undefined) {
    burst = burst_from(env, argv[6]);
    if (burst == NULL) return NULL;
  }
  takeover_entry *entry = s->takeover[vrid];
  if (entry != NULL && (entry->state == TAKEOVER_FIRED || entry->state == TAKEOVER_TOLD)) {
    NAPI_CALL(env, napi_get_boolean(env, false, &result));
    return result;
  }
  /* Checked and staged in full before the entry changes: a refusal leaves an armed takeover as it was. */
  message_set staged_messages;
  uint8_t staged[REPEAT_MAX_BYTES];
  int offset = stage_messages(env, s, argv[2], argv[3], argv[4], &staged_messages, staged);
  if (offset == STAGE_THROWN) return NULL;
  if (offset == STAGE_TOO_LONG) {
    NAPI_CALL(env, napi_get_boolean(env, false, &result));
    return result;
  }
  double now = monotonic_now_ms();
  if (now < 0) return throw_errno(env, "clock_gettime", errno);
  if (entry == NULL) {
    entry = (takeover_entry *)calloc(1, sizeof(*entry));
    if (entry == NULL) return throw_errno(env, "malloc", ENOMEM);
    s->takeover[vrid] = entry;
  }
  napi_ref burst_ref = NULL;
  if (burst != NULL) NAPI_CALL(env, napi_create_reference(env, argv[6], 1, &burst_ref));
  if (entry->burst_ref != NULL) napi_delete_reference(env, entry->burst_ref);
  memcpy(entry->payload, staged, (size_t)offset);
  entry->messages = staged_messages;
  entry->due_ms = now + in_ms;
  entry->error = 0;
  entry->burst = burst;
  entry->burst_ref = burst_ref;
  if (entry->state != TAKEOVER_ARMED) {
    entry->state = TAKEOVER_ARMED;
    vrid_set_put(&s->takeover_on, vrid, true);
    s->taking++;
  }
  look(s, false);
  NAPI_CALL(env, napi_get_boolean(env, true, &result));
  return result;
}

/* vrrpTakeover(handle, vrid, settle[, meta]) -> -3 none, -2 armed, or (fired) the errno of its first refused advert,
 * 0 when all went; a fired one's meta[0] gets how late it fired after its due time and meta[1] how long ago, in ms.
 * With `settle`, also ends it: an armed one is disarmed, a fired one forgotten — and with settle 2 its burst's kept
 * results too (nobody will take them: see burst_forget). */
napi_value vrrp_takeover(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "vrrpTakeover needs a handle, a vrid and a settle mode");
    return NULL;
  }
  vrrp_socket *s = (vrrp_socket *)get_tagged(env, argv[0], &VRRP_TAG, "expected a vrrp socket handle");
  if (s == NULL) return NULL;
  int32_t vrid = 0, settle = 0;
  if (!get_vrid(env, argv[1], &vrid)) return NULL;
  if (napi_get_value_int32(env, argv[2], &settle) != napi_ok || settle < 0 || settle > 2) {
    napi_throw_range_error(env, NULL, "settle must be 0 (look), 1 (end) or 2 (end and forget the burst)");
    return NULL;
  }
  takeover_entry *entry = s->takeover[vrid];
  int32_t outcome = -3;
  if (entry != NULL && entry->state != TAKEOVER_OFF) {
    outcome = entry->state == TAKEOVER_ARMED ? -2 : entry->error;
    if (outcome >= 0 && argc >= 4) {
      double *meta = NULL;
      size_t meta_length = 0;
      if (!get_float64s(env, argv[3], "meta", &meta, &meta_length)) return NULL;
      if (meta_length >= 2) {
        meta[0] = entry->fired_ms - entry->due_ms;
        meta[1] = monotonic_now_ms() - entry->fired_ms;
      }
    }
    if (settle > 0) {
      if (entry->state == TAKEOVER_ARMED) {
        takeover_disarm(s, vrid);
        look(s, false);
      } else {
        if (entry->state == TAKEOVER_FIRED) s->news--;
        if (settle == 2 && entry->burst != NULL) burst_forget(entry->burst);
        entry->state = TAKEOVER_OFF;
        news_update(s, vrid);
      }
    }
  }
  if (settle > 0) takeover_free(env, s, vrid);
  napi_value result;
  NAPI_CALL(env, napi_create_int32(env, outcome, &result));
  return result;
}
