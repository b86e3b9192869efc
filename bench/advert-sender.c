/*
 * The scale benchmark's floor: the least a process can do to be a VRRP master, run inside a lab host (bench/scale.ts
 * compiles and starts it in the master seat, beside a keepalived backup):
 *
 *   advert-sender <ifname> <source IPv4> <interval ms> <priority> <count> <VIP prefix a.b.c>
 *
 * Sends, every <interval ms>, one VRRPv3 IPv4 advert for each VRID 1…<count> (VIP <prefix>.<vrid>) to 224.0.0.18 —
 * all of them in one sendmmsg at one wake-up, as our engine's advert grid does — and nothing else: no state
 * machine, no timers but one, no receiving (a filter drops everything the socket would queue). Prints "ready" once
 * the socket is open, then sends until SIGTERM.
 *
 * Why: on the machine we measure on, one master's CPU is mostly the kernel's — the wake-up, and the advert's
 * delivery to the peer that veth runs in the sender's time (docs/benchmarks.md, "What a wake-up costs"). This
 * program's CPU in the same seat, measured the same way, is what any implementation pays at least; the benchmark
 * prints it beside keepalived's and ours, so that a ratio can be read against what is possible on the machine.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VRRP_PROTOCOL 112
#define ADVERT_BYTES 12 /* VRRPv3 header (8) + one IPv4 address */

static volatile sig_atomic_t stopping = 0;

static void on_signal(int signal_number) {
  (void)signal_number;
  stopping = 1;
}

/* One's-complement sum of `length` bytes (big-endian words) added to `sum`, folded. */
static uint32_t add_words(const uint8_t *bytes, size_t length, uint32_t sum) {
  for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
  if (length & 1) sum += (uint32_t)(bytes[length - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

static int fail(const char *what) {
  fprintf(stderr, "advert-sender: %s: %s\n", what, strerror(errno));
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: advert-sender <ifname> <source IPv4> <interval ms> <priority> <count> <VIP prefix a.b.c>\n");
    return 2;
  }
  const char *ifname = argv[1];
  struct in_addr source, group;
  const long interval_ms = strtol(argv[3], NULL, 10);
  const long priority = strtol(argv[4], NULL, 10);
  const long count = strtol(argv[5], NULL, 10);
  if (inet_pton(AF_INET, argv[2], &source) != 1 || interval_ms < 10 || interval_ms > 40950 || priority < 1 || priority > 254 ||
      count < 1 || count > 255) {
    fprintf(stderr, "advert-sender: bad arguments\n");
    return 2;
  }
  inet_pton(AF_INET, "224.0.0.18", &group);

  int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, VRRP_PROTOCOL);
  if (fd < 0) return fail("socket");
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) != 0) return fail("SO_BINDTODEVICE");
  const int ttl = 255, off = 0;
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl) != 0) return fail("IP_MULTICAST_TTL");
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off, sizeof off) != 0) return fail("IP_MULTICAST_LOOP");
  struct ip_mreqn via = {.imr_address = source, .imr_ifindex = (int)if_nametoindex(ifname)};
  if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &via, sizeof via) != 0) return fail("IP_MULTICAST_IF");
  /* Never read: nothing may queue on it (the peer's adverts, should it ever send). */
  struct sock_filter drop_all = BPF_STMT(BPF_RET | BPF_K, 0);
  struct sock_fprog program = {.len = 1, .filter = &drop_all};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0) return fail("SO_ATTACH_FILTER");

  static uint8_t adverts[255][ADVERT_BYTES];
  static struct iovec iov[255];
  static struct mmsghdr messages[255];
  struct sockaddr_in destination = {.sin_family = AF_INET, .sin_addr = group};
  /* RFC 9568 §5.2.8: the IPv4 checksum covers a pseudo-header (source, destination, protocol, length). */
  uint8_t pseudo[12];
  memcpy(pseudo, &source, 4);
  memcpy(pseudo + 4, &group, 4);
  pseudo[8] = 0;
  pseudo[9] = VRRP_PROTOCOL;
  pseudo[10] = 0;
  pseudo[11] = ADVERT_BYTES;
  const uint32_t pseudo_sum = add_words(pseudo, sizeof pseudo, 0);
  const long centiseconds = interval_ms / 10;
  for (long i = 0; i < count; i++) {
    uint8_t *a = adverts[i];
    char vip[32];
    snprintf(vip, sizeof vip, "%s.%ld", argv[6], i + 1);
    struct in_addr address;
    if (inet_pton(AF_INET, vip, &address) != 1) {
      fprintf(stderr, "advert-sender: bad VIP %s\n", vip);
      return 2;
    }
    a[0] = 0x31; /* version 3, type 1 (advertisement) */
    a[1] = (uint8_t)(i + 1);
    a[2] = (uint8_t)priority;
    a[3] = 1; /* one address */
    a[4] = (uint8_t)((centiseconds >> 8) & 0x0f);
    a[5] = (uint8_t)(centiseconds & 0xff);
    a[6] = a[7] = 0;
    memcpy(a + 8, &address, 4);
    const uint16_t checksum = (uint16_t)~add_words(a, ADVERT_BYTES, pseudo_sum);
    a[6] = (uint8_t)(checksum >> 8);
    a[7] = (uint8_t)(checksum & 0xff);
    iov[i] = (struct iovec){.iov_base = a, .iov_len = ADVERT_BYTES};
    messages[i].msg_hdr = (struct msghdr){.msg_name = &destination, .msg_namelen = sizeof destination, .msg_iov = &iov[i], .msg_iovlen = 1};
  }

  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  printf("ready\n");
  fflush(stdout);

  struct timespec due;
  clock_gettime(CLOCK_MONOTONIC, &due);
  while (!stopping) {
    for (long sent = 0; sent < count;) {
      int n = sendmmsg(fd, messages + sent, (unsigned)(count - sent), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail("sendmmsg");
      sent += n;
    }
    due.tv_nsec += (interval_ms % 1000) * 1000000L;
    due.tv_sec += interval_ms / 1000 + due.tv_nsec / 1000000000L;
    due.tv_nsec %= 1000000000L;
    while (!stopping && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL) == EINTR) {
    }
  }
  return 0;
}
