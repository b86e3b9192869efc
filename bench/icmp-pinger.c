/*
 * The failover benchmark's client probe, run inside a lab host (bench/probes.ts compiles and starts it):
 *
 *   icmp-pinger <IPv4 target> <interval in microseconds>
 *
 * Sends one ICMP echo request every <interval> on a fixed grid and prints "<epoch ms> <seq>" for every echo reply
 * from the target, then "ready" once the socket is open. The time is the kernel's receive timestamp of the reply
 * (SO_TIMESTAMPNS, CLOCK_REALTIME): the same clock and the same point in the stack as tcpdump's -tt times.
 *
 * Why C and not a Node script or iputils ping: an outage ends at the first reply after recovery, so the probe
 * period is the resolution of every outage figure. Node's timers stop at 1 ms, and a 2 ms grid made the medians of
 * two implementations differ by up to ±1 ms from one run to the next. iputils ping below 2 ms busy-spins and falls
 * back to one probe per ~12 ms as soon as probes go unanswered, which is the very outage being measured. Here a
 * 0.25 ms grid costs a few % of one core, outage or not, and the probe runs SCHED_FIFO (see main).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stopping = 0;

static void on_signal(int signal_number) {
  (void)signal_number;
  stopping = 1;
}

/* RFC 1071 checksum over `length` bytes. */
static uint16_t checksum(const uint8_t *bytes, size_t length) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < length; i += 2) sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
  if (length % 2 == 1) sum += (uint32_t)(bytes[length - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static int64_t monotonic_ns(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
}

/* Reads every queued datagram and prints the echo replies from `target` to our `id`. */
static void drain(int fd, struct in_addr target, uint16_t id) {
  for (;;) {
    uint8_t packet[1500];
    char control[256];
    struct sockaddr_in from;
    struct iovec iov = {packet, sizeof(packet)};
    struct msghdr message = {&from, sizeof(from), &iov, 1, control, sizeof(control), 0};
    ssize_t length = recvmsg(fd, &message, MSG_DONTWAIT);
    if (length < 0) return; /* EAGAIN: drained; anything else shows up as missing replies */
    if (length < 28 || from.sin_addr.s_addr != target.s_addr) continue;
    size_t header_length = (size_t)(packet[0] & 0x0f) * 4;
    if ((size_t)length < header_length + 8) continue;
    const uint8_t *icmp = packet + header_length;
    if (icmp[0] != ICMP_ECHOREPLY || (uint16_t)(icmp[4] << 8 | icmp[5]) != id) continue;
    struct timespec stamp = {0, 0};
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPNS) memcpy(&stamp, CMSG_DATA(c), sizeof(stamp));
    }
    if (stamp.tv_sec == 0) clock_gettime(CLOCK_REALTIME, &stamp);
    printf("%lld.%06ld %u\n", (long long)stamp.tv_sec * 1000 + stamp.tv_nsec / 1000000, stamp.tv_nsec % 1000000,
           (unsigned)(icmp[6] << 8 | icmp[7]));
  }
}

int main(int argc, char **argv) {
  struct in_addr target;
  long interval_us = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (argc != 3 || inet_pton(AF_INET, argv[1], &target) != 1 || interval_us < 50) {
    fprintf(stderr, "usage: icmp-pinger <IPv4 target> <interval in microseconds, >= 50>\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd < 0) {
    fprintf(stderr, "icmp-pinger: socket: %s\n", strerror(errno));
    return 1;
  }
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) != 0) {
    fprintf(stderr, "icmp-pinger: SO_TIMESTAMPNS: %s\n", strerror(errno));
    return 1;
  }
  /* Real-time: the probe stands for a client on its own machine, but here it shares two cores with the routers, the
   * capture and the benchmark itself. As a normal task it was woken up to 3 ms late right after a takeover (the
   * busiest moment), which put the scheduler's verdict into the outage. SCHED_FIFO runs it first; it sleeps between
   * probes, so it takes a few % of one core as before. */
  struct sched_param param = {.sched_priority = 50};
  if (sched_setscheduler(0, SCHED_FIFO, &param) != 0) {
    fprintf(stderr, "icmp-pinger: SCHED_FIFO: %s (the probe must not wait for the CPU)\n", strerror(errno));
    return 1;
  }
  struct sigaction action;
  memset(&action, 0, sizeof(action));
  action.sa_handler = on_signal;
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);

  const uint16_t id = (uint16_t)getpid();
  struct sockaddr_in to;
  memset(&to, 0, sizeof(to));
  to.sin_family = AF_INET;
  to.sin_addr = target;
  printf("ready\n");

  const int64_t interval_ns = (int64_t)interval_us * 1000;
  int64_t next_ns = monotonic_ns();
  uint16_t seq = 0;
  while (!stopping) {
    if (monotonic_ns() >= next_ns) {
      uint8_t request[16] = {ICMP_ECHO, 0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id, 0, 0};
      seq++;
      request[6] = (uint8_t)(seq >> 8);
      request[7] = (uint8_t)seq;
      uint16_t sum = checksum(request, sizeof(request));
      request[2] = (uint8_t)(sum >> 8);
      request[3] = (uint8_t)sum;
      /* EHOSTUNREACH and friends while the target's ARP entry has failed: an unanswered probe, as with ping. */
      (void)sendto(fd, request, sizeof(request), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
      /* A fixed grid: a late wake-up does not push the later probes back. */
      next_ns += interval_ns;
      int64_t now_ns = monotonic_ns();
      if (next_ns < now_ns) next_ns = now_ns + interval_ns;
    }
    int64_t wait_ns = next_ns - monotonic_ns();
    if (wait_ns < 0) wait_ns = 0;
    struct timespec timeout = {wait_ns / 1000000000, wait_ns % 1000000000};
    struct pollfd poll_fd = {fd, POLLIN, 0};
    if (ppoll(&poll_fd, 1, &timeout, NULL) > 0) drain(fd, target, id);
  }
  close(fd);
  return 0;
}
