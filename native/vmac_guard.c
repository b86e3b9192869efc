/*
 * vmac_guard.c: what keeps a VMAC's MAC off the wire when this node is not the one to send from it:
 *   vmacGuardOpen(vmacIndex, baseMac) -> handle, vmacGuardClose(handle).
 *
 * Why (docs/vmac.md, "What a backup's VMAC must not send"): every node's VMAC has the same MAC, and a switch learns
 * a MAC's port from any frame that carries it as its source. The kernel sends some frames from a VMAC of its own
 * accord — IGMP and MLD reports for the VRRP group and for the solicited-node groups of its address, an IPv6 router
 * solicitation when it comes up — and seen in the lab, a backup's VMAC sent two IGMP reports (IPv4), or six MLD
 * reports and router solicitations (IPv6), in its first two seconds: each teaches the switch that the master's MAC
 * is at the backup's port, until the master's next advert. Yet the
 * reports must reach a snooping switch, or it stops sending this port the VRRP group (and, for the master, the
 * solicited-node groups of its IPv6 VIPs). keepalived's nftables rules send the reports out through the base instead
 * (its vrrp_nftables.c, read in 2.2.7) and drop the solicitations. Here, with no firewall to depend on, an eBPF
 * classifier attached at the VMAC's egress (tcx, Linux 6.6+; no qdisc to add, detached when this handle's link
 * descriptor closes, i.e. at close or when the process dies) gives IGMP reports and MLD reports and done messages
 * the base's MAC as their source, drops router solicitations, and lets everything else through untouched (adverts,
 * ARP, NA, the VIPs' traffic).
 *
 * The program is assembled here, as silence_bpf.c's is (the instruction set is an ABI); it reads the frame with the
 * classic packet loads (BPF_LD | BPF_ABS / BPF_IND), which a classifier may use and which end the program returning
 * 0 (TCX_PASS: the frame goes, and no classifier attached after this one sees it) on a frame too short for what they
 * read; and writes the source MAC with bpf_skb_store_bytes. Its own return values are tcx's: -1 next (on to
 * whatever is attached after it), 2 drop.
 */
#include "vmac_guard.h"

#include "bpf_asm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_bpf
#define SYS_bpf 321 /* x86-64; the headers name it everywhere else */
#endif

/* Random tag so vmacGuardClose() rejects any External that did not come from vmacGuardOpen(). */
static const napi_type_tag VMAC_GUARD_TAG = {0x766d61635f677561ULL, 0x72645f68616e646cULL};

/* bpf(2) commands, the program type and the attach point (include/uapi/linux/bpf.h; tcx is newer than the headers
 * some distributions ship, so the numbers are written out). */
enum { CMD_PROG_LOAD = 5, CMD_LINK_CREATE = 28, PROG_SCHED_CLS = 3, ATTACH_TCX_EGRESS = 47 };
enum { TCX_NEXT = -1, TCX_DROP = 2 };

typedef union {
  bpf_prog_load_attr prog;
  struct {
    uint32_t prog_fd, target_ifindex, attach_type, flags;
  } link;
  uint8_t bytes[128];
} bpf_attr_t;

enum { HELPER_SKB_STORE_BYTES = 9, ETHER_SOURCE_AT = 6 };

/* Frame offsets: Ethernet header 14 bytes; IPv4's protocol at 9; IPv6's next header at 6, its header 40 bytes. */
enum { ETHERTYPE_AT = 12, L3_AT = 14, IPV4_PROTOCOL_AT = L3_AT + 9, IPV6_NEXT_AT = L3_AT + 6, IPV6_PAYLOAD_AT = L3_AT + 40 };
enum { PROTO_HOP_BY_HOP = 0, PROTO_IGMP = 2, PROTO_ICMPV6 = 58 };
/* ICMPv6 types: MLDv1 report and done and MLDv2 report (given the base's MAC), router solicitation (dropped). */
enum { MLD_REPORT = 131, MLD_DONE = 132, ROUTER_SOLICITATION = 133, MLD2_REPORT = 143 };

/* A jump whose offset is patched once its target is known: returns where it is. */
static int emit_jump(program *p, uint8_t code, int dst, int32_t imm) {
  emit(p, code, dst, 0, 0, imm);
  return p->count - 1;
}

static void land(program *p, int jump) {
  p->code[jump].off = (int16_t)(p->count - jump - 1);
}

static void build(program *p, const uint8_t base_mac[6]) {
  int to_rewrite[8];
  int rewrites = 0;
  int to_pass[4];
  int passes = 0;
  emit(p, ALU64 | MOV | X, R6, R1, 0, 0); /* the classic loads read the frame through r6 */
  emit(p, LD | ABS | H, 0, 0, 0, ETHERTYPE_AT);
  const int to_ipv6 = emit_jump(p, JMP | JEQ | K, R0, 0x86dd);
  to_pass[passes++] = emit_jump(p, JMP | JNE | K, R0, 0x0800);
  /* IPv4: IGMP leaves with the base's MAC. */
  emit(p, LD | ABS | B, 0, 0, 0, IPV4_PROTOCOL_AT);
  to_rewrite[rewrites++] = emit_jump(p, JMP | JEQ | K, R0, PROTO_IGMP);
  to_pass[passes++] = emit_jump(p, JMP | JA, 0, 0);
  /* IPv6: ICMPv6 right after the header, or after a hop-by-hop header (MLD's router alert): its type decides. */
  land(p, to_ipv6);
  emit(p, ALU64 | MOV | K, R7, 0, 0, IPV6_PAYLOAD_AT); /* r7: where the ICMPv6 message starts */
  emit(p, LD | ABS | B, 0, 0, 0, IPV6_NEXT_AT);
  const int to_icmp = emit_jump(p, JMP | JEQ | K, R0, PROTO_ICMPV6);
  to_pass[passes++] = emit_jump(p, JMP | JNE | K, R0, PROTO_HOP_BY_HOP);
  emit(p, LD | ABS | B, 0, 0, 0, IPV6_PAYLOAD_AT); /* the hop-by-hop header's next header */
  to_pass[passes++] = emit_jump(p, JMP | JNE | K, R0, PROTO_ICMPV6);
  emit(p, LD | ABS | B, 0, 0, 0, IPV6_PAYLOAD_AT + 1); /* its length, in 8 bytes past the first 8 */
  emit(p, ALU64 | ADD | K, R0, 0, 0, 1);
  emit(p, ALU64 | LSH | K, R0, 0, 0, 3);
  emit(p, ALU64 | ADD | X, R7, R0, 0, 0);
  land(p, to_icmp);
  emit(p, LD | IND | B, 0, R7, 0, 0); /* the ICMPv6 type, at r7 */
  const int to_drop = emit_jump(p, JMP | JEQ | K, R0, ROUTER_SOLICITATION);
  to_rewrite[rewrites++] = emit_jump(p, JMP | JEQ | K, R0, MLD_REPORT);
  to_rewrite[rewrites++] = emit_jump(p, JMP | JEQ | K, R0, MLD_DONE);
  to_rewrite[rewrites++] = emit_jump(p, JMP | JEQ | K, R0, MLD2_REPORT);
  for (int i = 0; i < passes; i++) land(p, to_pass[i]);
  emit(p, ALU64 | MOV | K, R0, 0, 0, TCX_NEXT);
  emit(p, JMP | EXIT, 0, 0, 0, 0);
  land(p, to_drop);
  emit(p, ALU64 | MOV | K, R0, 0, 0, TCX_DROP);
  emit(p, JMP | EXIT, 0, 0, 0, 0);
  /* The base's MAC onto the stack, then over the frame's source MAC: bpf_skb_store_bytes(skb, 6, r10 - 8, 6, 0). */
  for (int i = 0; i < rewrites; i++) land(p, to_rewrite[i]);
  const uint32_t first = (uint32_t)base_mac[0] | (uint32_t)base_mac[1] << 8 | (uint32_t)base_mac[2] << 16 | (uint32_t)base_mac[3] << 24;
  emit(p, ST | MEM | W, R10, 0, -8, (int32_t)first);
  emit(p, ST | MEM | H, R10, 0, -4, (int32_t)((uint32_t)base_mac[4] | (uint32_t)base_mac[5] << 8));
  emit(p, ALU64 | MOV | X, R1, R6, 0, 0);
  emit(p, ALU64 | MOV | K, R2, 0, 0, ETHER_SOURCE_AT);
  emit(p, ALU64 | MOV | X, R3, R10, 0, 0);
  emit(p, ALU64 | ADD | K, R3, 0, 0, -8);
  emit(p, ALU64 | MOV | K, R4, 0, 0, 6);
  emit(p, ALU64 | MOV | K, R5, 0, 0, 0);
  emit(p, JMP | CALL, 0, 0, 0, HELPER_SKB_STORE_BYTES);
  emit(p, ALU64 | MOV | K, R0, 0, 0, TCX_NEXT);
  emit(p, JMP | EXIT, 0, 0, 0, 0);
}

static int sys_bpf(int command, bpf_attr_t *attr) {
  return (int)syscall(SYS_bpf, command, attr, sizeof(*attr));
}

typedef struct {
  int link_fd; /* the tcx link: the program stays attached while it is open */
} vmac_guard;

static void close_guard(vmac_guard *guard) {
  if (guard->link_fd >= 0) close(guard->link_fd);
  guard->link_fd = -1;
}

static void finalize_guard(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  close_guard((vmac_guard *)data);
  free(data);
}

/* Loads the classifier for `base_mac`: its descriptor, or -1 with errno set. */
static int load(const uint8_t base_mac[6]) {
  program p = {{{0, 0, 0, 0}}, 0};
  build(&p, base_mac);
  bpf_attr_t attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog.prog_type = PROG_SCHED_CLS;
  attr.prog.insn_cnt = (uint32_t)p.count;
  attr.prog.insns = (uint64_t)(uintptr_t)p.code;
  attr.prog.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
  memcpy(attr.prog.prog_name, "vrrp_vmac_guard", 16);
  return sys_bpf(CMD_PROG_LOAD, &attr);
}

/* Loads the classifier and attaches it at `ifindex`'s egress: the link's descriptor, or -1 with errno and
 * *failed set. */
static int attach(int ifindex, const uint8_t base_mac[6], const char **failed) {
  const int prog_fd = load(base_mac);
  bpf_attr_t attr;
  if (prog_fd < 0) {
    *failed = "bpf(BPF_PROG_LOAD)";
    return -1;
  }
  memset(&attr, 0, sizeof(attr));
  attr.link.prog_fd = (uint32_t)prog_fd;
  attr.link.target_ifindex = (uint32_t)ifindex;
  attr.link.attach_type = ATTACH_TCX_EGRESS;
  const int link_fd = sys_bpf(CMD_LINK_CREATE, &attr);
  const int error_number = errno;
  close(prog_fd); /* the link holds the program */
  if (link_fd < 0) *failed = "bpf(BPF_LINK_CREATE)";
  errno = error_number;
  return link_fd;
}

/* vmacGuardOpen(vmacIndex, baseMac) -> handle. Throws the failed syscall's errno. */
napi_value vmac_guard_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t vmac_index = 0;
  void *mac = NULL;
  size_t mac_length = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &vmac_index) != napi_ok || vmac_index <= 0) {
    napi_throw_type_error(env, NULL, "vmacGuardOpen(vmacIndex, baseMac)");
    return NULL;
  }
  if (!get_bytes(env, argv[1], "baseMac", &mac, &mac_length)) return NULL;
  if (mac_length != 6) {
    napi_throw_range_error(env, NULL, "baseMac must be 6 bytes");
    return NULL;
  }
  const char *failed = NULL;
  vmac_guard *guard = (vmac_guard *)malloc(sizeof(vmac_guard));
  if (guard == NULL) return throw_errno(env, "malloc", ENOMEM);
  guard->link_fd = attach(vmac_index, (const uint8_t *)mac, &failed);
  if (guard->link_fd < 0) {
    const int error_number = errno;
    free(guard);
    return throw_errno(env, failed, error_number);
  }
  napi_value external;
  if (napi_create_external(env, guard, finalize_guard, NULL, &external) != napi_ok) {
    close_guard(guard);
    free(guard);
    throw_last_napi_error(env);
    return NULL;
  }
  NAPI_CALL(env, napi_type_tag_object(env, external, &VMAC_GUARD_TAG));
  return external;
}

/* vmacGuardProbe(): 0 when the classifier loads here (CAP_BPF and CAP_NET_ADMIN, a kernel that takes it), else the
 * errno of the refusal; attaches nothing. Whether tcx attaching works (Linux 6.6+) only an attach says. */
napi_value vmac_guard_probe(napi_env env, napi_callback_info info) {
  (void)info;
  const uint8_t mac[6] = {0, 0, 0, 0, 0, 0};
  const int prog_fd = load(mac);
  const int result = prog_fd >= 0 ? 0 : errno;
  if (prog_fd >= 0) close(prog_fd);
  napi_value value;
  NAPI_CALL(env, napi_create_int32(env, result, &value));
  return value;
}

/* vmacGuardClose(handle): detaches the classifier now. Idempotent. */
napi_value vmac_guard_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  vmac_guard *guard = argc < 1 ? NULL : (vmac_guard *)get_tagged(env, argv[0], &VMAC_GUARD_TAG, "vmacGuardClose needs a handle");
  if (guard == NULL) return NULL;
  close_guard(guard);
  return NULL;
}
