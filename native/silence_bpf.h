/*
 * silence_bpf.h: the kernel's own silence timers for a VRRP socket's watched VRIDs (silence_bpf.c): an eBPF
 * socket filter re-arms a VRID's timer at each of its master's repeats, and only a timer that runs out wakes the
 * thread, through a ring buffer.
 */
#ifndef VRRP_SILENCE_BPF_H
#define VRRP_SILENCE_BPF_H

#include <stdbool.h>
#include <stdint.h>

typedef struct silence_bpf silence_bpf;

/* Loads the program and its maps and attaches it to `fd` (a raw VRRP socket of `family`, AF_INET or AF_INET6,
 * bound to the interface, that takes nothing else: the program drops every packet). NULL, errno set, when the
 * kernel or the process's privileges do not allow it (CAP_BPF, or CAP_SYS_ADMIN, and a kernel with BPF timers:
 * 5.15). Takes `fd` either way: it is closed on failure, and by silence_bpf_close. */
silence_bpf *silence_bpf_open(int family, int fd);

/* Whether silence_bpf_open could load here, for a preflight: loads the BTF, the maps and the program for `family`,
 * attaches nothing and closes them again. 0, or the errno the kernel refused with (EPERM: no CAP_BPF; EINVAL and
 * the like: a kernel without BPF timers or ring buffers). */
int silence_bpf_probe(int family);

/* The ring buffer's descriptor: readable while a fired timer's VRID waits in it (silence_bpf_take). */
int silence_bpf_wake_fd(const silence_bpf *b);

/* The raw socket the program is attached to (the caller joins it to the VRRP group). */
int silence_bpf_socket_fd(const silence_bpf *b);

/* Watches `vrid`: each packet that carries its first 8 VRRP bytes `head` (version and type, VRID, priority, count,
 * interval, checksum) from `source` to `destination` (4 or 16 bytes each, by family) with TTL or hop limit `ttl`
 * restarts its timer of `after_ms`. The update cancels a timer running for `vrid`: none runs until such a packet
 * comes. false (errno) when the kernel refused the update. */
bool silence_bpf_watch(silence_bpf *b, int vrid, double after_ms, const uint8_t *source, const uint8_t *destination, uint8_t ttl, const uint8_t *head);

/* Stops `vrid`'s timer: the update cancels one running, and nothing restarts it. */
void silence_bpf_unwatch(silence_bpf *b, int vrid);

/* Calls `fn(context, vrid)` for each VRID whose timer fired since the last call, oldest first, and empties the ring
 * buffer. */
void silence_bpf_take(silence_bpf *b, void (*fn)(void *context, int vrid), void *context);

/* Detaches nothing (the socket's close does) and closes every descriptor; frees `b`. */
void silence_bpf_close(silence_bpf *b);

#endif
