/*
 * vrid_set.h: a set of VRIDs (1…255), one bit each.
 *
 * Why: the VRRP socket's per-VRID tables are 256 entries of about 0.6 KB (absorb) and 1.1 KB (repeat), and the
 * alarm's looks visited every entry — about a hundred pages per wake-up for one VRID in use (perf of a lone master
 * and a lone backup: 5 % of the engine thread's samples in those two loops). They visit the sets' members.
 */
#ifndef VRRP_VRID_SET_H
#define VRRP_VRID_SET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
  uint64_t word[4];
} vrid_set;

static inline void vrid_set_put(vrid_set *set, int vrid, bool member) {
  const uint64_t bit = (uint64_t)1 << (vrid & 63);
  if (member) {
    set->word[vrid >> 6] |= bit;
  } else {
    set->word[vrid >> 6] &= ~bit;
  }
}

/* The smallest member above `after` (0 to start), or 0 when there is none. */
static inline int vrid_set_next(const vrid_set *set, int after) {
  int at = after + 1;
  while (at < 256) {
    const uint64_t rest = set->word[at >> 6] >> (at & 63);
    if (rest != 0) return at + __builtin_ctzll(rest);
    at = (at | 63) + 1;
  }
  return 0;
}

static inline bool vrid_sets_equal(const vrid_set *a, const vrid_set *b) {
  return a->word[0] == b->word[0] && a->word[1] == b->word[1] && a->word[2] == b->word[2] && a->word[3] == b->word[3];
}

static inline bool vrid_set_empty(const vrid_set *set) {
  return (set->word[0] | set->word[1] | set->word[2] | set->word[3]) == 0;
}

#endif
