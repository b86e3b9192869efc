/*
 * vrrp_packet: the syscalls the vrrp library needs below IP, in C with Node-API only (no node-addon-api, no nan,
 * so the binary is ABI-stable across Node majors). Everything that is policy (packet layout, retries, error
 * wording) lives in TypeScript (src/linux/addon.ts is the only module that loads this addon); the C only does
 * syscalls and reports errno. This file registers the functions; each concern has its own file:
 *
 *   packet.c       AF_PACKET sockets for whole Ethernet frames (gratuitous ARP, unsolicited NA)
 *                  open(ifname) -> { handle, ifindex, hatype, mac }, send(handle, frame), close(handle)
 *   route.c        synchronous rtnetlink requests (address add/delete during a takeover)
 *                  routeOpen() -> handle, routeRequest(handle, message) -> ack errno, routeClose(handle)
 *   burst.c        a takeover's syscalls back to back: burstPrepare(ops) -> prepared, burstRun(prepared) -> results,
 *                  burstFired(prepared) -> whether a socket's alarm ran it and its results wait
 *   vrrp_socket.c  raw IP sockets of protocol 112 for the adverts, watched on the opening thread's loop
 *                  vrrpOpen, vrrpJoin, vrrpRecv, vrrpSend, vrrpSendMany, vrrpClose, vrrpRef, vrrpAbsorb,
 *                  vrrpAbsorbed, vrrpFiltered, vrrpHold, vrrpIfindex, vrrpNotice, vrrpRepeat, vrrpRepeated, vrrpArmTakeover,
 *                  vrrpTakeover, kernelSilenceProbe
 *   repeat_filter.c  the classic socket filter that tells declared repeats from anything else (vrrp_socket.c's
 *                  "Filtered repeats"); vrid_set.h, the VRID sets both use
 *   silence_bpf.c  the kernel's silence timers: an eBPF socket filter, BPF timers and a ring buffer, assembled here
 *                  (vrrp_socket.c's "Kernel silence timers")
 *   timer.c        one precise timerfd per thread: timerOpen, timerArm, timerDisarm, timerClose, timerRef,
 *                  monotonicMs
 *   renew.c        VIP lease renewals sent from C, at a master's advert wake-up when one comes: renewOpen,
 *                  renewSet, renewEvery, renewFailures, renewClose, renewRef
 *   events.c       the link monitor's rtnetlink event socket, whose filter drops the notifications it judged
 *                  old news (a VIP's lease renewal): eventsOpen, eventsRecv, eventsIgnore, eventsClose, eventsRef;
 *                  eventsKeepRoutingDeletions for the socket that watches our virtual routes and rules
 *   memory.c       start-up's pages given back once it is over: releaseStartupPages; the executable's mapped
 *                  stretches moved to huge pages: moveExecutableToHugePages; malloc's arenas capped:
 *                  limitMallocArenas
 *   vmac_guard.c   what keeps a VMAC's MAC off the wire at a backup: an eBPF classifier at its egress that gives
 *                  IGMP / MLD reports the base's MAC and drops router solicitations: vmacGuardOpen, vmacGuardClose,
 *                  vmacGuardProbe
 *   watcher.c      what vrrp_socket.c, timer.c and events.c share: uv_poll on the opener's loop, the JavaScript call and its
 *                  errors, and the handles' lifetime, including thread teardown; waitDrain (the thread's own wait,
 *                  handled now)
 *   common.c       error reporting, argument reading, the plain-descriptor finalizer
 *
 * Failed syscalls throw an Error with numeric `errno` and `syscall`; the wrapper turns errno into its name.
 * Handles are type-tagged Externals with finalizers: a forgotten close cannot leak a descriptor, and a closed handle
 * cannot reach a descriptor number the process has since reused.
 *
 * Context-aware (NAPI_MODULE_INIT, no mutable globals): it loads in worker threads and in several threads at once,
 * and each thread's sockets and timer are watched by that thread's own event loop.
 */
#include "burst.h"
#include "common.h"
#include "events.h"
#include "memory.h"
#include "packet.h"
#include "renew.h"
#include "route.h"
#include "timer.h"
#include "vmac_guard.h"
#include "vrrp_socket.h"
#include "watcher.h"

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"open", NULL, packet_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, packet_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, close_handle, NULL, NULL, NULL, napi_enumerable, (void *)&PACKET_KIND},
      {"routeOpen", NULL, route_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"routeRequest", NULL, route_request, NULL, NULL, NULL, napi_enumerable, NULL},
      {"routeClose", NULL, close_handle, NULL, NULL, NULL, napi_enumerable, (void *)&ROUTE_KIND},
      {"burstPrepare", NULL, burst_prepare, NULL, NULL, NULL, napi_enumerable, NULL},
      {"burstRun", NULL, burst_run, NULL, NULL, NULL, napi_enumerable, NULL},
      {"burstFired", NULL, burst_fired, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpOpen", NULL, vrrp_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpJoin", NULL, vrrp_join, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpRecv", NULL, vrrp_recv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpSend", NULL, vrrp_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpSendMany", NULL, vrrp_send_many, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpAbsorb", NULL, vrrp_absorb, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpAbsorbed", NULL, vrrp_absorbed, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpFiltered", NULL, vrrp_filtered, NULL, NULL, NULL, napi_enumerable, NULL},
      {"kernelSilenceProbe", NULL, kernel_silence_probe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpHold", NULL, vrrp_hold, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpIfindex", NULL, vrrp_ifindex, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpNotice", NULL, vrrp_notice, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpRepeat", NULL, vrrp_repeat, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpRepeated", NULL, vrrp_repeated, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpArmTakeover", NULL, vrrp_arm_takeover, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpTakeover", NULL, vrrp_takeover, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vrrpClose", NULL, watcher_js_close, NULL, NULL, NULL, napi_enumerable, (void *)&VRRP_KIND},
      {"vrrpRef", NULL, watcher_js_ref, NULL, NULL, NULL, napi_enumerable, (void *)&VRRP_KIND},
      {"timerOpen", NULL, timer_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerArm", NULL, timer_arm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerDisarm", NULL, timer_disarm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"timerClose", NULL, watcher_js_close, NULL, NULL, NULL, napi_enumerable, (void *)&TIMER_KIND},
      {"timerRef", NULL, watcher_js_ref, NULL, NULL, NULL, napi_enumerable, (void *)&TIMER_KIND},
      {"monotonicMs", NULL, monotonic_ms, NULL, NULL, NULL, napi_enumerable, NULL},
      {"waitDrain", NULL, watcher_js_drain, NULL, NULL, NULL, napi_enumerable, NULL},
      {"renewOpen", NULL, renew_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"renewSet", NULL, renew_set, NULL, NULL, NULL, napi_enumerable, NULL},
      {"renewEvery", NULL, renew_every, NULL, NULL, NULL, napi_enumerable, NULL},
      {"renewFailures", NULL, renew_failures, NULL, NULL, NULL, napi_enumerable, NULL},
      {"renewClose", NULL, watcher_js_close, NULL, NULL, NULL, napi_enumerable, (void *)&RENEW_KIND},
      {"renewRef", NULL, watcher_js_ref, NULL, NULL, NULL, napi_enumerable, (void *)&RENEW_KIND},
      {"eventsOpen", NULL, events_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"eventsRecv", NULL, events_recv, NULL, NULL, NULL, napi_enumerable, NULL},
      {"eventsIgnore", NULL, events_ignore, NULL, NULL, NULL, napi_enumerable, NULL},
      {"eventsKeepRoutingDeletions", NULL, events_keep_routing_deletions, NULL, NULL, NULL, napi_enumerable, NULL},
      {"eventsClose", NULL, watcher_js_close, NULL, NULL, NULL, napi_enumerable, (void *)&EVENTS_KIND},
      {"eventsRef", NULL, watcher_js_ref, NULL, NULL, NULL, napi_enumerable, (void *)&EVENTS_KIND},
      {"releaseStartupPages", NULL, release_startup_pages, NULL, NULL, NULL, napi_enumerable, NULL},
      {"moveExecutableToHugePages", NULL, move_executable_to_huge_pages, NULL, NULL, NULL, napi_enumerable, NULL},
      {"limitMallocArenas", NULL, limit_malloc_arenas, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vmacGuardOpen", NULL, vmac_guard_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vmacGuardClose", NULL, vmac_guard_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"vmacGuardProbe", NULL, vmac_guard_probe, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties));
  return exports;
}
