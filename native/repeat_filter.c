/*
 * repeat_filter.c: the classic socket filters of "Filtered repeats" (vrrp_socket.c): one program, for a set of
 * VRIDs, that tells an exact declared repeat of one of them from anything else, and how many of them fit in one.
 *
 * Why here: what the program says is pure (the declared repeats in, instructions out) and the hard part of the
 * filters — the kernel's limits on a program (BPF_MAXINSNS, 255-instruction jumps, the option memory it is charged
 * to) decide its shape; vrrp_socket.c decides which VRIDs to cover, attaches the programs and keeps every repeat on
 * one socket or the other while they change.
 */
#include "repeat_filter.h"

#include <string.h>
#include <sys/socket.h>

static void emit(filter_program *p, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
  struct sock_filter *at = &p->code[p->length++];
  at->code = code;
  at->jt = jt;
  at->jf = jf;
  at->k = k;
}

/* The fields every VRID of a filter's set agrees on: checked once, before the dispatch, instead of in each block.
 * Why: the kernel takes at most FILTER_MAX_INSNS instructions, and at 255 VRIDs from one master (one source, one
 * destination, one length) per-VRID checks of them left a fifth of the VRIDs out. */
typedef struct {
  bool length, ttl, source, destination;
} shared_fields;

static shared_fields filter_shared(int family, const filter_repeat *repeats, const vrid_set *set) {
  shared_fields shared = {true, true, true, true};
  const size_t address_length = family == AF_INET ? 4 : 16;
  const filter_repeat *first = NULL;
  for (int vrid = vrid_set_next(set, 0); vrid != 0; vrid = vrid_set_next(set, vrid)) {
    const filter_repeat *entry = &repeats[vrid];
    if (first == NULL) {
      first = entry;
      continue;
    }
    if (entry->length != first->length) shared.length = false;
    if (entry->ttl != first->ttl) shared.ttl = false;
    if (memcmp(entry->source, first->source, address_length) != 0) shared.source = false;
    if (memcmp(entry->destination, first->destination, address_length) != 0) shared.destination = false;
  }
  return shared;
}

/* Comparisons of the header fields: those `shared` says (`in_prologue`), or the others (a block's). */
static unsigned header_checks(int family, shared_fields shared, bool in_prologue) {
  const unsigned address_checks = family == AF_INET ? 1u : 4u;
  return (shared.length == in_prologue ? 1u : 0u) + (shared.ttl == in_prologue ? 1u : 0u) +
         (shared.source == in_prologue ? address_checks : 0u) + (shared.destination == in_prologue ? address_checks : 0u);
}

/* Payload words every VRID of a set has, loaded once into the filter's scratch memory before the dispatch (at most
 * BPF_MEMWORDS). Why: the kernel converts each packet load (LD ABS) into a dozen or so instructions of its own, a
 * scratch load into one, and charges the converted program to the socket's option memory; with a load per payload
 * word per VRID, 255 IPv6 VRIDs' program was refused (ENOMEM) and shrunk to 169, the other VRIDs' repeats waking
 * the thread on readiness. */
static unsigned preload_words(const filter_repeat *repeats, const vrid_set *set) {
  unsigned words = BPF_MEMWORDS;
  bool any = false;
  for (int vrid = vrid_set_next(set, 0); vrid != 0; vrid = vrid_set_next(set, vrid)) {
    const unsigned whole = (unsigned)(repeats[vrid].length / 4u);
    if (whole < words) words = whole;
    any = true;
  }
  return any ? words : 0;
}

/* Instructions before the dispatch (see repeat_filter_build). */
static unsigned prologue_cost(int family, shared_fields shared, unsigned preload) {
  return 3u + 2u * preload + (family == AF_INET ? 2u : 0u) + 2u * header_checks(family, shared, true) + 3u;
}

/* Instructions of one VRID's block (see repeat_filter_build): its comparisons (the header fields not shared, the payload
 * in words, then a half word and a byte for what is left) and its "repeat" return. */
static unsigned block_length(int family, const filter_repeat *entry, shared_fields shared) {
  const unsigned left = entry->length % 4u;
  const unsigned payload_checks = entry->length / 4u + (left == 3 ? 2u : left > 0 ? 1u : 0u);
  return 2u * (header_checks(family, shared, false) + payload_checks) + 1u;
}

/* Longest run of blocks that share one "not a repeat" return after them: a comparison's false branch jumps at most
 * 255 instructions ahead, and the first block's first comparison is its second instruction. Why shared: a return per
 * block was one instruction per VRID, and 255 IPv6 VRIDs (16 each) did not fit the 4,096 a filter may hold. */
#define FILTER_GROUP_MAX 256u

/* A filter's size as VRIDs are added to it in order: the instructions so far, and the open group's length. */
typedef struct {
  unsigned total, group;
} filter_size;

/* Whether a block of `length` opens a group after one `group` instructions long (0: none yet): the one rule by which
 * repeat_filter_build lays its groups out and filter_size_add counts them. */
static bool opens_group(unsigned group, unsigned length) {
  return group == 0 || group + length > FILTER_GROUP_MAX;
}

/* Adds a block of `length` (and its dispatch, two instructions) to `size`; a block that would make its group too long
 * starts the next one, which adds that group's return. */
static void filter_size_add(filter_size *size, unsigned length) {
  if (opens_group(size->group, length)) {
    size->total += 1u; /* the new group's "not a repeat" return */
    size->group = 0;
  }
  size->group += length;
  size->total += 2u + length;
}

/* Adds the candidates in order while the program stays within `insn_cap`; the shared fields and the preload are
 * judged over all the candidates, those left out included. */
vrid_set repeat_filter_fit(int family, const filter_repeat *repeats, const vrid_set *candidates, unsigned insn_cap) {
  const shared_fields shared = filter_shared(family, repeats, candidates);
  const unsigned preload = preload_words(repeats, candidates);
  vrid_set fit = {{0}};
  filter_size size = {prologue_cost(family, shared, preload) + 1, 0}; /* and the dispatch's last "other" */
  for (int vrid = vrid_set_next(candidates, 0); vrid != 0; vrid = vrid_set_next(candidates, vrid)) {
    filter_size grown = size;
    filter_size_add(&grown, block_length(family, &repeats[vrid], shared));
    if (grown.total > insn_cap) break;
    size = grown;
    vrid_set_put(&fit, vrid, true);
  }
  return fit;
}

/* One comparison: load `size` (BPF_W, BPF_H or BPF_B) bytes at `k`, on to the next if equal to `value`, else to the
 * "not a repeat" return at `fail`. */
static void emit_check(filter_program *p, uint16_t size, uint32_t k, uint32_t value, unsigned fail) {
  emit(p, (uint16_t)(BPF_LD | size | BPF_ABS), 0, 0, k);
  emit(p, (uint16_t)(BPF_JMP | BPF_JEQ | BPF_K), 0, (uint8_t)(fail - (p->length + 1)), value);
}

static uint32_t big_endian(const uint8_t *bytes, size_t length) {
  uint32_t value = 0;
  for (size_t i = 0; i < length; i++) value = (value << 8) | bytes[i];
  return value;
}

/* The header fields of `entry` that `shared` says (`in_prologue`), or the others: where the kernel's raw socket
 * sees them — IPv4 from the IP header (20 bytes, no options), IPv6 from the VRRP header, its addresses and hop
 * limit at SKF_NET_OFF. The length comes first: the payload's loads stay inside the packet. */
static void emit_header(int family, const filter_repeat *entry, shared_fields shared, bool in_prologue, filter_program *p,
                        unsigned fail) {
  if (family == AF_INET) {
    if (shared.length == in_prologue) emit_check(p, BPF_H, 2, 20u + entry->length, fail);
    if (shared.ttl == in_prologue) emit_check(p, BPF_B, 8, entry->ttl, fail);
    if (shared.source == in_prologue) emit_check(p, BPF_W, 12, big_endian(entry->source, 4), fail);
    if (shared.destination == in_prologue) emit_check(p, BPF_W, 16, big_endian(entry->destination, 4), fail);
    return;
  }
  if (shared.length == in_prologue) {
    emit(p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(fail - (p->length + 1)), entry->length);
  }
  if (shared.ttl == in_prologue) emit_check(p, BPF_B, (uint32_t)SKF_NET_OFF + 7, entry->ttl, fail);
  if (shared.source == in_prologue) {
    for (uint32_t i = 0; i < 16; i += 4) emit_check(p, BPF_W, (uint32_t)SKF_NET_OFF + 8 + i, big_endian(entry->source + i, 4), fail);
  }
  if (shared.destination == in_prologue) {
    for (uint32_t i = 0; i < 16; i += 4) emit_check(p, BPF_W, (uint32_t)SKF_NET_OFF + 24 + i, big_endian(entry->destination + i, 4), fail);
  }
}

static void emit_block(int family, const filter_repeat *entry, shared_fields shared, unsigned preload, uint32_t payload_at,
                       uint32_t repeat, unsigned fail, filter_program *p);

/* Builds the filter for the VRIDs of `set`: it returns `repeat` for an exact declared repeat of one of them (the
 * fields absorb() compares) and `other` for anything else. The prologue checks what they all share; a dispatch by
 * VRID jumps to one block per VRID, and the blocks' comparisons fail to an "other" return shared by the blocks of
 * their group (a classic filter's conditional jumps reach 255 instructions: FILTER_GROUP_MAX; a block is at most
 * about 150). Returns false when it would not fit. */
bool repeat_filter_build(int family, const filter_repeat *repeats, const vrid_set *set, uint32_t repeat, uint32_t other, filter_program *p) {
  const bool v4 = family == AF_INET;
  const shared_fields shared = filter_shared(family, repeats, set);
  const unsigned preload = preload_words(repeats, set);
  filter_size size = {prologue_cost(family, shared, preload) + 1, 0}; /* and the dispatch's last "other" */
  unsigned count = 0;
  const filter_repeat *first = NULL;
  for (int vrid = vrid_set_next(set, 0); vrid != 0; vrid = vrid_set_next(set, vrid)) {
    if (first == NULL) first = &repeats[vrid];
    count++;
    filter_size_add(&size, block_length(family, &repeats[vrid], shared));
  }
  const unsigned total = size.total;
  if (total > FILTER_MAX_INSNS) return false;
  p->length = 0;
  if (count == 0) {
    emit(p, BPF_RET | BPF_K, 0, 0, other);
    return true;
  }
  /* Shorter than the payload words every VRID has (or than a VRID byte): a repeat of none, not ours to judge (and a
   * load past the end would end the program with "drop"). */
  const uint32_t payload_at = v4 ? 20 : 0;
  emit(p, BPF_LD | BPF_W | BPF_LEN, 0, 0, 0);
  emit(p, BPF_JMP | BPF_JGE | BPF_K, 1, 0, preload > 0 ? payload_at + 4u * preload : v4 ? 22 : 2);
  emit(p, BPF_RET | BPF_K, 0, 0, other);
  /* The shared payload words into scratch memory, first: the kernel's check of scratch loads follows the program in
   * order and takes a return for a path into what follows it, so no return may come between these and their loads
   * unless every jump to it comes after them. */
  for (unsigned w = 0; w < preload; w++) {
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, payload_at + 4u * w);
    emit(p, BPF_ST, 0, 0, w);
  }
  /* What they share, failing to the "other" after it. */
  const unsigned prologue_fail = prologue_cost(family, shared, preload) - 2;
  if (v4) emit_check(p, BPF_B, 0, 0x45, prologue_fail); /* version 4, a 20-byte header */
  if (first != NULL) emit_header(family, first, shared, true, p, prologue_fail);
  emit(p, BPF_JMP | BPF_JA, 0, 0, 1);
  emit(p, BPF_RET | BPF_K, 0, 0, other);
  emit(p, BPF_LD | BPF_B | BPF_ABS, 0, 0, v4 ? 21 : 1);
  /* The dispatch: per VRID "equal? then jump to its block", and "other" after the last. The blocks come in groups
   * (FILTER_GROUP_MAX), each group followed by the "other" its blocks' comparisons fail to. */
  unsigned block = p->length + 2 * count + 1, group = 0;
  for (int vrid = vrid_set_next(set, 0); vrid != 0; vrid = vrid_set_next(set, vrid)) {
    const unsigned length = block_length(family, &repeats[vrid], shared);
    if (opens_group(group, length)) {
      if (group != 0) block += 1; /* the closed group's return */
      group = 0;
    }
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, 1, (uint32_t)vrid);
    emit(p, BPF_JMP | BPF_JA, 0, 0, block - (p->length + 1));
    block += length;
    group += length;
  }
  emit(p, BPF_RET | BPF_K, 0, 0, other);
  int vrid = vrid_set_next(set, 0);
  while (vrid != 0) {
    /* One group: its blocks, then their shared "other". */
    unsigned group_length = 0;
    int last = vrid;
    for (int v = vrid; v != 0; v = vrid_set_next(set, v)) {
      const unsigned length = block_length(family, &repeats[v], shared);
      if (group_length != 0 && opens_group(group_length, length)) break;
      group_length += length;
      last = v;
    }
    const unsigned fail = p->length + group_length;
    for (bool more = true; more; vrid = vrid_set_next(set, vrid)) {
      more = vrid != last;
      emit_block(family, &repeats[vrid], shared, preload, payload_at, repeat, fail, p);
    }
    emit(p, BPF_RET | BPF_K, 0, 0, other);
  }
  return p->length == total;
}

/* One VRID's block (see repeat_filter_build): its comparisons, each failing to `fail`, then the "repeat" return. */
static void emit_block(int family, const filter_repeat *entry, shared_fields shared, unsigned preload, uint32_t payload_at,
                       uint32_t repeat, unsigned fail, filter_program *p) {
  emit_header(family, entry, shared, false, p, fail);
  for (uint32_t i = 0; i < entry->length; i += 4) {
    const uint32_t left = entry->length - i;
    const uint16_t size = left >= 4 ? BPF_W : left >= 2 ? BPF_H : BPF_B;
    const size_t bytes = left >= 4 ? 4 : left >= 2 ? 2 : 1;
    if (i / 4 < preload) { /* loaded before the dispatch */
      emit(p, BPF_LD | BPF_MEM, 0, 0, i / 4);
      emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(fail - (p->length + 1)), big_endian(entry->payload + i, 4));
      continue;
    }
    emit_check(p, size, payload_at + i, big_endian(entry->payload + i, bytes), fail);
    if (left == 3) emit_check(p, BPF_B, payload_at + i + 2, entry->payload[i + 2], fail);
  }
  emit(p, BPF_RET | BPF_K, 0, 0, repeat);
}

