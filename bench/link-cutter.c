/*
 * The failover benchmark's link cut for a crash, run inside the lab's bridge namespace (bench/probes.ts compiles
 * and starts it ahead of the event):
 *
 *   link-cutter <interface>
 *
 * Reads one line from stdin: the wall-clock instant of the cut, in milliseconds since the epoch (fractional), on
 * CLOCK_REALTIME like tcpdump's -tt times. Sleeps until half a millisecond before it, spins to it, takes the
 * interface down (SIOCSIFFLAGS without IFF_UP), and prints the instant it began to, in the same unit.
 *
 * Why: a crash's outage starts when the old master's link goes, so the moment of the cut goes straight into every
 * crash outage. `ip link set down` spawned at the event landed 5-11 ms later; an `ip -batch` waiting on a pipe,
 * 0.1-1 ms later (its wake-up on a busy machine). Cutting at an instant given in advance, from a process that is
 * already awake, puts the cut where the benchmark aims it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double realtime_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 2 || strlen(argv[1]) >= IFNAMSIZ) {
    fprintf(stderr, "usage: link-cutter <interface>   (then the cut's epoch ms on stdin)\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fprintf(stderr, "link-cutter: socket: %s\n", strerror(errno));
    return 1;
  }
  struct ifreq request;
  memset(&request, 0, sizeof(request));
  strncpy(request.ifr_name, argv[1], IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    fprintf(stderr, "link-cutter: SIOCGIFFLAGS %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  /* Real-time, like the pinger: the final spin must not be preempted by the routers or the capture, or the cut
   * lands late. The spin lasts half a millisecond, well inside the kernel's real-time throttling. */
  struct sched_param param = {.sched_priority = 50};
  if (sched_setscheduler(0, SCHED_FIFO, &param) != 0) {
    fprintf(stderr, "link-cutter: SCHED_FIFO: %s (the cut must not wait for the CPU)\n", strerror(errno));
    return 1;
  }
  printf("ready\n");
  fflush(stdout);

  char line[64];
  if (fgets(line, sizeof(line), stdin) == NULL) return 0; /* not needed after all: the run ended first */
  double at_ms = strtod(line, NULL);
  double wait_ms = at_ms - 0.5 - realtime_ms();
  if (wait_ms > 0) {
    struct timespec pause = {(time_t)(wait_ms / 1e3), (long)((wait_ms - (double)(time_t)(wait_ms / 1e3) * 1e3) * 1e6)};
    nanosleep(&pause, NULL);
  }
  while (realtime_ms() < at_ms) {
    /* spin: the last half millisecond, so the cut is not left to a wake-up */
  }
  /* The flags as they are now, minus IFF_UP: nothing else they say may change. */
  if (ioctl(fd, SIOCGIFFLAGS, &request) != 0) {
    fprintf(stderr, "link-cutter: SIOCGIFFLAGS %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  request.ifr_flags &= ~IFF_UP;
  /* Traffic stops as the call begins; the call itself then takes a millisecond or two (the kernel waits for
   * readers of the port to finish), so the instant reported is the one before it. */
  double cut_ms = realtime_ms();
  if (ioctl(fd, SIOCSIFFLAGS, &request) != 0) {
    fprintf(stderr, "link-cutter: SIOCSIFFLAGS %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  printf("%.3f\n", cut_ms);
  return 0;
}
