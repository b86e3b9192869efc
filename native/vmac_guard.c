/*
 * vmac_guard.c: what keeps a VMAC's MAC off the wire when this node is not the one to send from it:
 *   vmacGuardOpen(vmacIndex, baseIndex, family) -> handle, vmacGuardClose(handle).
 *
 * Why (docs/vmac.md, "What a backup's VMAC must not send"): every node's VMAC has the same MAC, and a switch learns
 * a MAC's port from any frame that carries it as its source. The kernel sends some frames from a VMAC of its own
 * accord — IGMP and MLD reports for the VRRP group and for the solicited-node groups of its address, an IPv6 router
 * solicitation when it comes up — and seen in the lab, a backup's VMAC sent eight of them in its first two seconds:
 * each teaches the switch that the master's MAC is at the backup's port, until the master's next advert. keepalived
 * drops them with nftables rules and joins the group on the base instead (its vrrp_nftables.c, read in 2.2.7). Here,
 * with no firewall to depend on:
 * - an eBPF classifier attached at the VMAC's egress (tcx, Linux 6.6+; no qdisc to add, detached when this handle's
 *   link descriptor closes, i.e. at close or when the process dies) drops IGMP, MLD reports and done messages, and
 *   router solicitations, and lets everything else through (adverts, ARP, NA, the VIPs' traffic);
 * - a UDP socket joins the VRRP group on the base, so that the base's own report keeps a snooping switch sending the
 *   adverts to this port.
 *
 * The program is assembled here, as silence_bpf.c's is (the instruction set is an ABI); it reads the frame with the
 * classic packet loads (BPF_LD | BPF_ABS / BPF_IND), which a classifier may use and which end the program with 0
 * (pass) on a frame too short to hold what they read. Its return values are tcx's: -1 next (pass on to whatever is
 * attached after it), 2 drop.
 */
#include "vmac_guard.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
  struct {
    uint32_t prog_type, insn_cnt;
    uint64_t insns, license;
    uint32_t log_level, log_size;
    uint64_t log_buf;
    uint32_t kern_version, prog_flags;
    char prog_name[16];
  } prog;
  struct {
    uint32_t prog_fd, target_ifindex, attach_type, flags;
  } link;
  uint8_t bytes[128];
} bpf_attr_t;

typedef struct {
  uint8_t code;
  uint8_t regs; /* dst in the low nibble, src in the high one */
  int16_t off;
  int32_t imm;
} insn;

/* Instruction classes and fields (include/uapi/linux/bpf_common.h, bpf.h). */
enum { LD = 0x00, ALU64 = 0x07, JMP = 0x05 };
enum { H = 0x08, B = 0x10, ABS = 0x20, IND = 0x40 };
enum { K = 0x00, X = 0x08, ADD = 0x00, LSH = 0x60, MOV = 0xb0, JEQ = 0x10, JNE = 0x50, JA = 0x00, EXIT = 0x90 };
enum { R0, R1, R2, R3, R4, R5, R6, R7, R8 };

/* Frame offsets: Ethernet header 14 bytes; IPv4's protocol at 9; IPv6's next header at 6, its header 40 bytes. */
enum { ETHERTYPE_AT = 12, L3_AT = 14, IPV4_PROTOCOL_AT = L3_AT + 9, IPV6_NEXT_AT = L3_AT + 6, IPV6_PAYLOAD_AT = L3_AT + 40 };
enum { PROTO_HOP_BY_HOP = 0, PROTO_IGMP = 2, PROTO_ICMPV6 = 58 };
/* ICMPv6 types dropped: MLDv1 report and done, router solicitation, MLDv2 report. */
enum { MLD_REPORT = 131, MLD_DONE = 132, ROUTER_SOLICITATION = 133, MLD2_REPORT = 143 };

typedef struct {
  insn code[40];
  int count;
} program;

static void emit(program *p, uint8_t code, int dst, int src, int16_t off, int32_t imm) {
  p->code[p->count++] = (insn){code, (uint8_t)((dst & 0xf) | ((src & 0xf) << 4)), off, imm};
}

/* A jump whose offset is patched once its target is known: returns where it is. */
static int emit_jump(program *p, uint8_t code, int dst, int32_t imm) {
  emit(p, code, dst, 0, 0, imm);
  return p->count - 1;
}

static void land(program *p, int jump) {
  p->code[jump].off = (int16_t)(p->count - jump - 1);
}

static void build(program *p) {
  int to_drop[8];
  int drops = 0;
  int to_pass[4];
  int passes = 0;
  emit(p, ALU64 | MOV | X, R6, R1, 0, 0); /* the classic loads read the frame through r6 */
  emit(p, LD | ABS | H, 0, 0, 0, ETHERTYPE_AT);
  const int to_ipv6 = emit_jump(p, JMP | JEQ | K, R0, 0x86dd);
  to_pass[passes++] = emit_jump(p, JMP | JNE | K, R0, 0x0800);
  /* IPv4: IGMP goes. */
  emit(p, LD | ABS | B, 0, 0, 0, IPV4_PROTOCOL_AT);
  to_drop[drops++] = emit_jump(p, JMP | JEQ | K, R0, PROTO_IGMP);
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
  to_drop[drops++] = emit_jump(p, JMP | JEQ | K, R0, MLD_REPORT);
  to_drop[drops++] = emit_jump(p, JMP | JEQ | K, R0, MLD_DONE);
  to_drop[drops++] = emit_jump(p, JMP | JEQ | K, R0, ROUTER_SOLICITATION);
  to_drop[drops++] = emit_jump(p, JMP | JEQ | K, R0, MLD2_REPORT);
  for (int i = 0; i < passes; i++) land(p, to_pass[i]);
  emit(p, ALU64 | MOV | K, R0, 0, 0, TCX_NEXT);
  emit(p, JMP | EXIT, 0, 0, 0, 0);
  for (int i = 0; i < drops; i++) land(p, to_drop[i]);
  emit(p, ALU64 | MOV | K, R0, 0, 0, TCX_DROP);
  emit(p, JMP | EXIT, 0, 0, 0, 0);
}

static int sys_bpf(int command, bpf_attr_t *attr) {
  return (int)syscall(SYS_bpf, command, attr, sizeof(*attr));
}

typedef struct {
  int link_fd; /* the tcx link: the program stays attached while it is open */
  int join_fd; /* the base's membership of the VRRP group */
} vmac_guard;

static void close_guard(vmac_guard *guard) {
  if (guard->link_fd >= 0) close(guard->link_fd);
  if (guard->join_fd >= 0) close(guard->join_fd);
  guard->link_fd = -1;
  guard->join_fd = -1;
}

static void finalize_guard(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  close_guard((vmac_guard *)data);
  free(data);
}

/* Loads the classifier and attaches it at `ifindex`'s egress: the link's descriptor, or -1 with errno and
 * *failed set. */
static int attach(int ifindex, const char **failed) {
  program p = {{{0, 0, 0, 0}}, 0};
  build(&p);
  bpf_attr_t attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog.prog_type = PROG_SCHED_CLS;
  attr.prog.insn_cnt = (uint32_t)p.count;
  attr.prog.insns = (uint64_t)(uintptr_t)p.code;
  attr.prog.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
  memcpy(attr.prog.prog_name, "vrrp_vmac_guard", 16);
  const int prog_fd = sys_bpf(CMD_PROG_LOAD, &attr);
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

/* A UDP socket that joins the VRRP group (224.0.0.18 or ff02::12) on `ifindex`; -1 with errno and *failed set. */
static int join(int family, int ifindex, const char **failed) {
  const int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *failed = "socket";
    return -1;
  }
  int ok;
  if (family == 4) {
    struct ip_mreqn request;
    memset(&request, 0, sizeof(request));
    request.imr_multiaddr.s_addr = htonl(0xe0000012); /* 224.0.0.18 */
    request.imr_ifindex = ifindex;
    ok = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof(request));
  } else {
    struct ipv6_mreq request;
    memset(&request, 0, sizeof(request));
    request.ipv6mr_multiaddr.s6_addr[0] = 0xff; /* ff02::12 */
    request.ipv6mr_multiaddr.s6_addr[1] = 0x02;
    request.ipv6mr_multiaddr.s6_addr[15] = 0x12;
    request.ipv6mr_interface = (unsigned)ifindex;
    ok = setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &request, sizeof(request));
  }
  if (ok != 0) {
    const int error_number = errno;
    close(fd);
    errno = error_number;
    *failed = "setsockopt(ADD_MEMBERSHIP)";
    return -1;
  }
  return fd;
}

/* vmacGuardOpen(vmacIndex, baseIndex, family 4 | 6) -> handle. Throws the failed syscall's errno. */
napi_value vmac_guard_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t vmac_index = 0, base_index = 0, family = 0;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &vmac_index) != napi_ok || napi_get_value_int32(env, argv[1], &base_index) != napi_ok ||
      napi_get_value_int32(env, argv[2], &family) != napi_ok || vmac_index <= 0 || base_index <= 0 || (family != 4 && family != 6)) {
    napi_throw_type_error(env, NULL, "vmacGuardOpen(vmacIndex, baseIndex, family 4 | 6)");
    return NULL;
  }
  const char *failed = NULL;
  vmac_guard *guard = (vmac_guard *)malloc(sizeof(vmac_guard));
  if (guard == NULL) return throw_errno(env, "malloc", ENOMEM);
  guard->link_fd = attach(vmac_index, &failed);
  guard->join_fd = guard->link_fd < 0 ? -1 : join(family, base_index, &failed);
  if (guard->link_fd < 0 || guard->join_fd < 0) {
    const int error_number = errno;
    close_guard(guard);
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

/* vmacGuardClose(handle): detaches the classifier and leaves the group now. Idempotent. */
napi_value vmac_guard_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  vmac_guard *guard = argc < 1 ? NULL : (vmac_guard *)get_tagged(env, argv[0], &VMAC_GUARD_TAG, "vmacGuardClose needs a handle");
  if (guard == NULL) return NULL;
  close_guard(guard);
  return NULL;
}
