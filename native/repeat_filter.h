/*
 * repeat_filter.h: the classic socket filter that tells a set of VRIDs' declared repeats from anything else
 * (repeat_filter.c; "Filtered repeats" in vrrp_socket.c).
 */
#ifndef VRRP_REPEAT_FILTER_H
#define VRRP_REPEAT_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include "vrid_set.h"

/* Longest filter program (the kernel's BPF_MAXINSNS). */
#define FILTER_MAX_INSNS 4096

/* A filter program being built. */
typedef struct {
  struct sock_filter code[FILTER_MAX_INSNS];
  unsigned length;
} filter_program;

/* One VRID's declared repeat, as the filter compares it: its VRRP message and the IP fields absorb() compares
 * (addresses 4 or 16 bytes by family; TTL or hop limit). */
typedef struct {
  const uint8_t *payload;
  const uint8_t *source;
  const uint8_t *destination;
  uint16_t length;
  uint8_t ttl;
} filter_repeat;

/* The VRIDs of `candidates` that one program of at most `insn_cap` instructions covers, taken in order until the
 * next would not fit. `repeats` is indexed by VRID; only the candidates' entries are read. */
vrid_set repeat_filter_fit(int family, const filter_repeat *repeats, const vrid_set *candidates, unsigned insn_cap);

/* Builds into `p` the program for the VRIDs of `set` (AF_INET or AF_INET6 packets of a raw socket): it returns
 * `repeat` for an exact declared repeat of one of them and `other` for anything else. false when it would not fit
 * FILTER_MAX_INSNS. */
bool repeat_filter_build(int family, const filter_repeat *repeats, const vrid_set *set, uint32_t repeat, uint32_t other, filter_program *p);

#endif
