/*
 * bpf_asm.h: what silence_bpf.c and vmac_guard.c share to assemble their eBPF programs without a compiler or
 * libbpf: the instruction (struct bpf_insn) and its fields, as include/uapi/linux/bpf.h and bpf_common.h lay them out
 * (an ABI), and a program being written. Laid out for a little-endian host (the register nibbles, and the immediates
 * that carry bytes).
 */
#ifndef VRRP_BPF_ASM_H
#define VRRP_BPF_ASM_H

#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the eBPF instructions are laid out for a little-endian host"
#endif

/* One instruction (struct bpf_insn). */
typedef struct {
  uint8_t code;
  uint8_t regs; /* dst in the low nibble, src in the high one */
  int16_t off;
  int32_t imm;
} insn;

/* Instruction classes and fields. */
enum { LD = 0x00, LDX = 0x01, ST = 0x02, STX = 0x03, ALU64 = 0x07, JMP = 0x05 };
enum { W = 0x00, H = 0x08, B = 0x10, DW = 0x18, IMM = 0x00, ABS = 0x20, IND = 0x40, MEM = 0x60 };
enum { K = 0x00, X = 0x08, ADD = 0x00, LSH = 0x60, MOV = 0xb0, JA = 0x00, JEQ = 0x10, JNE = 0x50, CALL = 0x80, EXIT = 0x90 };
enum { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

/* BPF_PROG_LOAD's attributes (union bpf_attr's first fields for that command; the rest of the union is zero). */
typedef struct {
  uint32_t prog_type, insn_cnt;
  uint64_t insns, license;
  uint32_t log_level, log_size;
  uint64_t log_buf;
  uint32_t kern_version, prog_flags;
  char prog_name[16];
  uint32_t prog_ifindex, expected_attach_type, prog_btf_fd, func_info_rec_size;
  uint64_t func_info;
  uint32_t func_info_cnt, line_info_rec_size;
  uint64_t line_info;
  uint32_t line_info_cnt;
} bpf_prog_load_attr;

/* A program being written: the larger of the two (silence_bpf.c's) fits. */
typedef struct {
  insn code[96];
  int count;
} program;

static inline void emit(program *p, uint8_t code, int dst, int src, int16_t off, int32_t imm) {
  p->code[p->count++] = (insn){code, (uint8_t)((dst & 0xf) | ((src & 0xf) << 4)), off, imm};
}

#endif
