/*
 * silence_bpf.c: the kernel's own silence timers ("Kernel silence timers" in vrrp_socket.c's file comment).
 *
 * Why: a settled backup need not hear its master's repeats, only their silence — yet the socket's alarm had to wake
 * the thread to look for them before each possible silence (about three times a second at 100 ms adverts, whatever
 * else it did), and on this project's VM a wake-up costs in proportion to the process's page tables: one lone
 * backup cost twice keepalived's CPU, all of it those looks. Here an eBPF socket filter, on a raw socket of its
 * own that keeps nothing, restarts a per-VRID BPF timer at each repeat of the declared master; a timer that runs out
 * writes its VRID into a ring buffer, whose descriptor the thread waits on. So the thread wakes when a master falls
 * silent, not to find out whether it did.
 *
 * The program is assembled here (no compiler, no libbpf): the kernel's BPF instruction set and BTF format are ABIs,
 * and the structures below follow <linux/bpf.h> and <linux/btf.h> field for field, so that the addon builds against
 * any kernel headers. BPF timers need BTF for the map value that holds them, and a callback needs the program's
 * BTF function info: both are built here too. The license string is the one the kernel asks of programs that use
 * its GPL-only helpers (the timers); this file itself is MIT like the rest.
 *
 * What a packet must carry to restart its VRID's timer: the first 8 bytes of the declared VRRP message (version and
 * type, VRID, priority, address count, interval, checksum — the checksum covers the addresses), the declared source
 * and destination addresses and TTL / hop limit, and for IPv4 a 20-byte header. Near the declared repeat, not byte for byte: a packet
 * that matches here but is not the repeat still reaches JavaScript through the socket (its filter lets it pass), so
 * nothing is missed; and a timer restarted by it only delays a look that the socket's alarm still makes (see
 * TRUSTED_LOOK_MS in vrrp_socket.c).
 */
#include "silence_bpf.h"

#include "bpf_asm.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_bpf
#define SYS_bpf 321 /* x86-64; the headers name it everywhere else */
#endif
#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

/* bpf(2) commands, map and program types, helpers (include/uapi/linux/bpf.h). */
enum { CMD_MAP_CREATE = 0, CMD_MAP_UPDATE_ELEM = 2, CMD_PROG_LOAD = 5, CMD_BTF_LOAD = 18 };
enum { MAP_ARRAY = 2, MAP_RINGBUF = 27, PROG_SOCKET_FILTER = 1 };
enum {
  HELPER_MAP_LOOKUP_ELEM = 1,
  HELPER_SKB_LOAD_BYTES_RELATIVE = 68,
  HELPER_RINGBUF_OUTPUT = 130,
  HELPER_TIMER_INIT = 169,
  HELPER_TIMER_SET_CALLBACK = 170,
  HELPER_TIMER_START = 171,
};
enum { HDR_START_NET = 1, PSEUDO_MAP_FD = 1, PSEUDO_FUNC = 4 };

/* BTF kinds and layout (include/uapi/linux/btf.h). */
enum { KIND_INT = 1, KIND_PTR = 2, KIND_STRUCT = 4, KIND_FUNC = 12, KIND_FUNC_PROTO = 13 };
typedef struct {
  uint16_t magic;
  uint8_t version;
  uint8_t flags;
  uint32_t hdr_len;
  uint32_t type_off;
  uint32_t type_len;
  uint32_t str_off;
  uint32_t str_len;
} btf_header;

/* The attributes of the four commands used, as the kernel lays them out (the rest of union bpf_attr is zero). */
typedef union {
  struct {
    uint32_t map_type, key_size, value_size, max_entries, map_flags, inner_map_fd, numa_node;
    char map_name[16];
    uint32_t map_ifindex, btf_fd, btf_key_type_id, btf_value_type_id;
  } map;
  struct {
    uint32_t map_fd;
    uint32_t pad;
    uint64_t key, value, flags;
  } elem;
  bpf_prog_load_attr prog;
  struct {
    uint64_t btf, btf_log_buf;
    uint32_t btf_size, btf_log_size, btf_log_level;
  } btf;
  uint8_t bytes[128];
} bpf_attr_t;

static int sys_bpf(int command, bpf_attr_t *attr) {
  return (int)syscall(SYS_bpf, command, attr, sizeof(*attr));
}

/* The map value of a VRID (its BTF below): the timer first, then what the program compares. */
typedef struct {
  uint64_t timer[2];              /* struct bpf_timer: the kernel's, untouched by updates from here */
  uint64_t after_ns;              /* the timer's length */
  uint32_t watching;              /* 0: packets restart nothing */
  uint32_t ttl;
  uint32_t source[4];             /* as the packet carries it; IPv4: the first word */
  uint32_t destination[4];        /* likewise */
  uint32_t head[2];               /* the VRRP message's first 8 bytes, as the packet carries them */
} watch_value;

#define RING_BYTES 16384 /* a power of 2 and of the page size: 1,024 VRID records of 16 bytes */

struct silence_bpf {
  int family;
  int socket_fd, btf_fd, array_fd, ring_fd, prog_fd;
  volatile uint64_t *consumer; /* the ring's consumer position (read-write page) */
  void *producer;              /* its producer position page, then the data twice (read-only) */
  size_t page;
};

/* ---- BTF: int, u32, u64, struct bpf_timer, the map value, and the two functions' prototypes ---- */

typedef struct {
  uint32_t types[160];
  unsigned type_words;
  char strings[256];
  unsigned string_bytes;
} btf_builder;

static uint32_t btf_string(btf_builder *b, const char *s) {
  const uint32_t offset = b->string_bytes;
  const size_t length = strlen(s) + 1;
  memcpy(b->strings + offset, s, length);
  b->string_bytes += (unsigned)length;
  return offset;
}

static void btf_word(btf_builder *b, uint32_t word) {
  b->types[b->type_words++] = word;
}

static void btf_member(btf_builder *b, const char *name, uint32_t type, uint32_t bit_offset) {
  btf_word(b, btf_string(b, name));
  btf_word(b, type);
  btf_word(b, bit_offset);
}

/* Type ids, in the order btf_load defines them. */
enum { T_INT = 1, T_U32, T_U64, T_TIMER, T_VALUE, T_VOID_PTR, T_PROG_PROTO, T_PROG, T_CALLBACK_PROTO, T_CALLBACK };

/* A type's header: its name, kind and member / parameter count, and its size or the type it refers to. */
static void btf_type(btf_builder *b, const char *name, uint32_t kind, uint32_t count, uint32_t size_or_type) {
  btf_word(b, name == NULL ? 0 : btf_string(b, name));
  btf_word(b, (kind << 24) | count);
  btf_word(b, size_or_type);
}

static void btf_param(btf_builder *b, const char *name, uint32_t type) {
  btf_word(b, btf_string(b, name));
  btf_word(b, type);
}

static int btf_load(void) {
  btf_builder *b = (btf_builder *)calloc(1, sizeof(btf_builder));
  if (b == NULL) return -1;
  b->string_bytes = 1; /* offset 0: the empty name */
  btf_type(b, "int", KIND_INT, 0, 4);
  btf_word(b, (1u << 24) | 32); /* signed, 32 bits */
  btf_type(b, "u32", KIND_INT, 0, 4);
  btf_word(b, 32);
  btf_type(b, "u64", KIND_INT, 0, 8);
  btf_word(b, 64);
  /* The kernel finds a timer in a map value by this struct's name and size. */
  btf_type(b, "bpf_timer", KIND_STRUCT, 2, 16);
  btf_member(b, "a", T_U64, 0);
  btf_member(b, "b", T_U64, 64);
  /* The map value: its words by name, the addresses and the head one word a member. */
  static const struct {
    const char *name;
    uint32_t type;
    size_t offset;
  } members[] = {
      {"timer", T_TIMER, offsetof(watch_value, timer)},
      {"after_ns", T_U64, offsetof(watch_value, after_ns)},
      {"watching", T_U32, offsetof(watch_value, watching)},
      {"ttl", T_U32, offsetof(watch_value, ttl)},
      {"s0", T_U32, offsetof(watch_value, source)},
      {"s1", T_U32, offsetof(watch_value, source) + 4},
      {"s2", T_U32, offsetof(watch_value, source) + 8},
      {"s3", T_U32, offsetof(watch_value, source) + 12},
      {"d0", T_U32, offsetof(watch_value, destination)},
      {"d1", T_U32, offsetof(watch_value, destination) + 4},
      {"d2", T_U32, offsetof(watch_value, destination) + 8},
      {"d3", T_U32, offsetof(watch_value, destination) + 12},
      {"h0", T_U32, offsetof(watch_value, head)},
      {"h1", T_U32, offsetof(watch_value, head) + 4},
  };
  const uint32_t member_count = sizeof(members) / sizeof(members[0]);
  btf_type(b, "watch_value", KIND_STRUCT, member_count, sizeof(watch_value));
  for (uint32_t i = 0; i < member_count; i++) btf_member(b, members[i].name, members[i].type, (uint32_t)(8 * members[i].offset));
  btf_type(b, NULL, KIND_PTR, 0, 0); /* void * */
  btf_type(b, NULL, KIND_FUNC_PROTO, 1, T_INT);
  btf_param(b, "skb", T_VOID_PTR);
  btf_type(b, "silence_filter", KIND_FUNC, 0, T_PROG_PROTO); /* static */
  btf_type(b, NULL, KIND_FUNC_PROTO, 3, T_INT);
  btf_param(b, "map", T_VOID_PTR);
  btf_param(b, "key", T_VOID_PTR);
  btf_param(b, "value", T_VOID_PTR);
  btf_type(b, "silence_fired", KIND_FUNC, 0, T_CALLBACK_PROTO);

  const size_t type_bytes = b->type_words * 4;
  const size_t total = sizeof(btf_header) + type_bytes + b->string_bytes;
  uint8_t *blob = (uint8_t *)calloc(1, total);
  if (blob == NULL) {
    free(b);
    return -1;
  }
  btf_header header = {0xeB9F, 1, 0, sizeof(btf_header), 0, (uint32_t)type_bytes, (uint32_t)type_bytes, b->string_bytes};
  memcpy(blob, &header, sizeof(header));
  memcpy(blob + sizeof(header), b->types, type_bytes);
  memcpy(blob + sizeof(header) + type_bytes, b->strings, b->string_bytes);
  bpf_attr_t attr;
  memset(&attr, 0, sizeof(attr));
  attr.btf.btf = (uint64_t)(uintptr_t)blob;
  attr.btf.btf_size = (uint32_t)total;
  const int fd = sys_bpf(CMD_BTF_LOAD, &attr);
  const int error_number = errno;
  free(blob);
  free(b);
  errno = error_number;
  return fd;
}

/* ---- The program ---- */

/* A 64-bit immediate load: two instructions; `kind` says what the kernel puts there (a map, a function). */
static void emit_load_pseudo(program *p, int dst, int kind, int32_t imm) {
  emit(p, LD | DW | IMM, dst, kind, 0, imm);
  emit(p, 0, 0, 0, 0, 0);
}

/* A jump to `drop` from here, patched once `drop` is known. */
typedef struct {
  int at[32];
  int count;
} jumps;

static void emit_jump_to_drop(program *p, jumps *j, uint8_t code, int dst, int src, int32_t imm) {
  j->at[j->count++] = p->count;
  emit(p, code, dst, src, 0, imm);
}

/* The filter (see the file comment) and, after it, the timer's callback; `callback_at` gets the callback's first
 * instruction. */
static void build(program *p, int family, int array_fd, int ring_fd, int *callback_at) {
  jumps to_drop = {{0}, 0};
  /* The header and the VRRP message's first 8 bytes into the stack at r10 - 48. */
  const int header = family == AF_INET ? 20 : 40;
  const int ttl_at = family == AF_INET ? 8 : 7;
  const int source_at = family == AF_INET ? 12 : 8;
  const int destination_at = family == AF_INET ? 16 : 24;
  const int address_words = family == AF_INET ? 1 : 4;
  const int buffer = -48;
  emit(p, ALU64 | MOV | X, R6, R1, 0, 0);
  emit(p, ALU64 | MOV | X, R1, R6, 0, 0);
  emit(p, ALU64 | MOV | K, R2, 0, 0, 0);
  emit(p, ALU64 | MOV | X, R3, R10, 0, 0);
  emit(p, ALU64 | ADD | K, R3, 0, 0, buffer);
  emit(p, ALU64 | MOV | K, R4, 0, 0, header + 8);
  emit(p, ALU64 | MOV | K, R5, 0, 0, HDR_START_NET);
  emit(p, JMP | CALL, 0, 0, 0, HELPER_SKB_LOAD_BYTES_RELATIVE);
  emit_jump_to_drop(p, &to_drop, JMP | JNE | K, R0, 0, 0);
  if (family == AF_INET) {
    /* A 20-byte header: version 4, IHL 5. */
    emit(p, LDX | MEM | B, R1, R10, (int16_t)buffer, 0);
    emit_jump_to_drop(p, &to_drop, JMP | JNE | K, R1, 0, 0x45);
  }
  /* The VRID as the key, at r10 - 52. */
  emit(p, LDX | MEM | B, R1, R10, (int16_t)(buffer + header + 1), 0);
  emit(p, STX | MEM | W, R10, R1, -52, 0);
  emit(p, ALU64 | MOV | X, R2, R10, 0, 0);
  emit(p, ALU64 | ADD | K, R2, 0, 0, -52);
  emit_load_pseudo(p, R1, PSEUDO_MAP_FD, array_fd);
  emit(p, JMP | CALL, 0, 0, 0, HELPER_MAP_LOOKUP_ELEM);
  emit_jump_to_drop(p, &to_drop, JMP | JEQ | K, R0, 0, 0);
  emit(p, ALU64 | MOV | X, R7, R0, 0, 0);
  emit(p, LDX | MEM | W, R1, R7, offsetof(watch_value, watching), 0);
  emit_jump_to_drop(p, &to_drop, JMP | JEQ | K, R1, 0, 0);
  emit(p, LDX | MEM | W, R1, R7, offsetof(watch_value, ttl), 0);
  emit(p, LDX | MEM | B, R2, R10, (int16_t)(buffer + ttl_at), 0);
  emit_jump_to_drop(p, &to_drop, JMP | JNE | X, R1, R2, 0);
  for (int i = 0; i < address_words; i++) {
    emit(p, LDX | MEM | W, R1, R7, (int16_t)(offsetof(watch_value, source) + 4 * i), 0);
    emit(p, LDX | MEM | W, R2, R10, (int16_t)(buffer + source_at + 4 * i), 0);
    emit_jump_to_drop(p, &to_drop, JMP | JNE | X, R1, R2, 0);
    emit(p, LDX | MEM | W, R1, R7, (int16_t)(offsetof(watch_value, destination) + 4 * i), 0);
    emit(p, LDX | MEM | W, R2, R10, (int16_t)(buffer + destination_at + 4 * i), 0);
    emit_jump_to_drop(p, &to_drop, JMP | JNE | X, R1, R2, 0);
  }
  for (int i = 0; i < 2; i++) {
    emit(p, LDX | MEM | W, R1, R7, (int16_t)(offsetof(watch_value, head) + 4 * i), 0);
    emit(p, LDX | MEM | W, R2, R10, (int16_t)(buffer + header + 4 * i), 0);
    emit_jump_to_drop(p, &to_drop, JMP | JNE | X, R1, R2, 0);
  }
  /* The master repeated: (first time) the timer is made, then restarted for after_ns. */
  emit(p, ALU64 | MOV | X, R1, R7, 0, 0);
  emit_load_pseudo(p, R2, PSEUDO_MAP_FD, array_fd);
  emit(p, ALU64 | MOV | K, R3, 0, 0, CLOCK_MONOTONIC);
  emit(p, JMP | CALL, 0, 0, 0, HELPER_TIMER_INIT);
  emit(p, ALU64 | MOV | X, R1, R7, 0, 0);
  const int set_callback_at = p->count;
  emit_load_pseudo(p, R2, PSEUDO_FUNC, 0);
  emit(p, JMP | CALL, 0, 0, 0, HELPER_TIMER_SET_CALLBACK);
  emit(p, ALU64 | MOV | X, R1, R7, 0, 0);
  emit(p, LDX | MEM | DW, R2, R7, offsetof(watch_value, after_ns), 0);
  emit(p, ALU64 | MOV | K, R3, 0, 0, 0);
  emit(p, JMP | CALL, 0, 0, 0, HELPER_TIMER_START);
  /* Drop: this socket keeps nothing. */
  const int drop = p->count;
  emit(p, ALU64 | MOV | K, R0, 0, 0, 0);
  emit(p, JMP | EXIT, 0, 0, 0, 0);
  for (int i = 0; i < to_drop.count; i++) p->code[to_drop.at[i]].off = (int16_t)(drop - to_drop.at[i] - 1);
  /* The callback (map, key, value): the VRID into the ring buffer, copied to the stack first. */
  *callback_at = p->count;
  p->code[set_callback_at].imm = *callback_at - set_callback_at - 1;
  emit(p, LDX | MEM | W, R1, R2, 0, 0);
  emit(p, STX | MEM | W, R10, R1, -8, 0);
  emit(p, ALU64 | MOV | X, R2, R10, 0, 0);
  emit(p, ALU64 | ADD | K, R2, 0, 0, -8);
  emit_load_pseudo(p, R1, PSEUDO_MAP_FD, ring_fd);
  emit(p, ALU64 | MOV | K, R3, 0, 0, 4);
  emit(p, ALU64 | MOV | K, R4, 0, 0, 0);
  emit(p, JMP | CALL, 0, 0, 0, HELPER_RINGBUF_OUTPUT);
  emit(p, ALU64 | MOV | K, R0, 0, 0, 0);
  emit(p, JMP | EXIT, 0, 0, 0, 0);
}

static int map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t entries, int btf_fd) {
  bpf_attr_t attr;
  memset(&attr, 0, sizeof(attr));
  attr.map.map_type = type;
  attr.map.key_size = key_size;
  attr.map.value_size = value_size;
  attr.map.max_entries = entries;
  if (btf_fd >= 0) {
    attr.map.btf_fd = (uint32_t)btf_fd;
    attr.map.btf_key_type_id = T_INT;
    attr.map.btf_value_type_id = T_VALUE;
  }
  return sys_bpf(CMD_MAP_CREATE, &attr);
}

static void close_if_open(int fd) {
  if (fd >= 0) close(fd);
}

/* A silence_bpf with nothing open yet; `socket_fd` is taken (closed by silence_bpf_close). NULL (ENOMEM) closes it. */
static silence_bpf *fresh(int family, int socket_fd) {
  silence_bpf *b = (silence_bpf *)calloc(1, sizeof(silence_bpf));
  if (b == NULL) {
    close_if_open(socket_fd);
    errno = ENOMEM;
    return NULL;
  }
  b->family = family;
  b->socket_fd = socket_fd;
  b->btf_fd = b->array_fd = b->ring_fd = b->prog_fd = -1;
  b->page = (size_t)sysconf(_SC_PAGESIZE);
  b->consumer = MAP_FAILED;
  b->producer = MAP_FAILED;
  return b;
}

/* Loads the BTF, both maps and the program into `b`, attaching nothing. false (errno set) when the kernel refuses. */
static bool load(silence_bpf *b) {
  program *p = (program *)calloc(1, sizeof(program));
  bool ok = p != NULL && b->page > 0 && RING_BYTES % b->page == 0;
  if (!ok) errno = p == NULL ? ENOMEM : EINVAL; /* EINVAL: pages too large for the ring (RING_BYTES) */
  if (ok) ok = (b->btf_fd = btf_load()) >= 0;
  if (ok) ok = (b->array_fd = map_create(MAP_ARRAY, 4, sizeof(watch_value), 256, b->btf_fd)) >= 0;
  if (ok) ok = (b->ring_fd = map_create(MAP_RINGBUF, 0, 0, RING_BYTES, -1)) >= 0;
  if (ok) {
    int callback_at = 0;
    build(p, b->family, b->array_fd, b->ring_fd, &callback_at);
    const uint32_t func_info[4] = {0, T_PROG, (uint32_t)callback_at, T_CALLBACK};
    bpf_attr_t attr;
    memset(&attr, 0, sizeof(attr));
    attr.prog.prog_type = PROG_SOCKET_FILTER;
    attr.prog.insn_cnt = (uint32_t)p->count;
    attr.prog.insns = (uint64_t)(uintptr_t)p->code;
    attr.prog.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
    attr.prog.prog_btf_fd = (uint32_t)b->btf_fd;
    attr.prog.func_info_rec_size = 8;
    attr.prog.func_info = (uint64_t)(uintptr_t)func_info;
    attr.prog.func_info_cnt = 2;
    ok = (b->prog_fd = sys_bpf(CMD_PROG_LOAD, &attr)) >= 0;
  }
  const int error_number = errno;
  free(p);
  errno = error_number;
  return ok;
}

silence_bpf *silence_bpf_open(int family, int fd) {
  silence_bpf *b = fresh(family, fd);
  if (b == NULL) return NULL;
  bool ok = load(b) && setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &b->prog_fd, sizeof(b->prog_fd)) == 0;
  if (ok) {
    void *consumer = mmap(NULL, b->page, PROT_READ | PROT_WRITE, MAP_SHARED, b->ring_fd, 0);
    void *producer = consumer == MAP_FAILED ? MAP_FAILED : mmap(NULL, b->page + 2 * RING_BYTES, PROT_READ, MAP_SHARED, b->ring_fd, (off_t)b->page);
    b->consumer = (volatile uint64_t *)consumer;
    b->producer = producer;
    ok = consumer != MAP_FAILED && producer != MAP_FAILED;
  }
  if (!ok) {
    const int error_number = errno;
    silence_bpf_close(b);
    errno = error_number;
    return NULL;
  }
  return b;
}

int silence_bpf_probe(int family) {
  silence_bpf *b = fresh(family, -1);
  if (b == NULL) return ENOMEM;
  const int error_number = load(b) ? 0 : (errno != 0 ? errno : EINVAL);
  silence_bpf_close(b);
  return error_number;
}

int silence_bpf_wake_fd(const silence_bpf *b) {
  return b->ring_fd;
}

int silence_bpf_socket_fd(const silence_bpf *b) {
  return b->socket_fd;
}

static bool update(silence_bpf *b, int vrid, const watch_value *value) {
  uint32_t key = (uint32_t)vrid;
  bpf_attr_t attr;
  memset(&attr, 0, sizeof(attr));
  attr.elem.map_fd = (uint32_t)b->array_fd;
  attr.elem.key = (uint64_t)(uintptr_t)&key;
  attr.elem.value = (uint64_t)(uintptr_t)value;
  attr.elem.flags = 0; /* BPF_ANY; replacing the value cancels its timer (the kernel frees the old value's timer) */
  return sys_bpf(CMD_MAP_UPDATE_ELEM, &attr) == 0;
}

bool silence_bpf_watch(silence_bpf *b, int vrid, double after_ms, const uint8_t *source, const uint8_t *destination, uint8_t ttl, const uint8_t *head) {
  watch_value value;
  memset(&value, 0, sizeof(value));
  value.after_ns = (uint64_t)(after_ms * 1e6);
  value.watching = 1;
  value.ttl = ttl;
  memcpy(value.source, source, b->family == AF_INET ? 4 : 16);
  memcpy(value.destination, destination, b->family == AF_INET ? 4 : 16);
  memcpy(value.head, head, 8);
  return update(b, vrid, &value);
}

void silence_bpf_unwatch(silence_bpf *b, int vrid) {
  watch_value value;
  memset(&value, 0, sizeof(value));
  update(b, vrid, &value);
}

void silence_bpf_take(silence_bpf *b, void (*fn)(void *context, int vrid), void *context) {
  /* The ring's protocol (kernel/bpf/ringbuf.c): 8-byte record headers, length with a busy and a discard bit. */
  const uint64_t produced = __atomic_load_n((uint64_t *)b->producer, __ATOMIC_ACQUIRE);
  uint64_t consumed = *b->consumer;
  const uint8_t *data = (const uint8_t *)b->producer + b->page;
  while (consumed < produced) {
    const uint8_t *record = data + (consumed & (RING_BYTES - 1)); /* the data is mapped twice: no wrap inside */
    uint32_t length = __atomic_load_n((const uint32_t *)record, __ATOMIC_ACQUIRE);
    if ((length & 0x80000000u) != 0) break; /* still being written */
    const bool discarded = (length & 0x40000000u) != 0;
    length &= 0x3fffffffu;
    if (!discarded && length >= 4) {
      uint32_t vrid;
      memcpy(&vrid, record + 8, sizeof(vrid));
      if (vrid > 0 && vrid < 256) fn(context, (int)vrid);
    }
    consumed += (length + 8 + 7) & ~(uint64_t)7;
  }
  __atomic_store_n((uint64_t *)b->consumer, consumed, __ATOMIC_RELEASE);
}

void silence_bpf_close(silence_bpf *b) {
  if (b == NULL) return;
  if (b->producer != MAP_FAILED) munmap(b->producer, b->page + 2 * RING_BYTES);
  if (b->consumer != MAP_FAILED) munmap((void *)b->consumer, b->page);
  /* The socket first: its close detaches the program, whose maps (and their timers) go with the last reference. */
  close_if_open(b->socket_fd);
  close_if_open(b->prog_fd);
  close_if_open(b->ring_fd);
  close_if_open(b->array_fd);
  close_if_open(b->btf_fd);
  free(b);
}
