/*
 * memory.c: what a process's memory costs once start-up is over — the pages that start-up left mapped and the steady
 * state does not use given back, the executable's mapped stretches moved into huge pages, malloc's arenas capped.
 *
 * JavaScript surface:
 *   releaseStartupPages() -> Float64Array [executableKb, rssBeforeKb, rssAfterKb]
 *     executableKb: resident kB of the node executable's read-only mappings whose page-table entries were dropped
 *     rssBeforeKb / rssAfterKb: the process's resident set around the call (/proc/self/statm)
 *
 * Why (docs/benchmarks.md, "What a wake-up costs"): on the machine we measure on, a thread's wake-up costs more the
 * more pages its process has mapped (a C timer loop: 45 µs a wake with nothing mapped, 159 µs with 60 MB mapped),
 * and a `vrrp run` process keeps about 45 MB of the node executable mapped that only its start-up read (parser,
 * compilers, bootstrap). Dropping those mappings is invisible to the process: the pages are clean copies of the file,
 * still in the page cache, and any page used again is mapped again by the next access (a minor fault).
 *
 * What is dropped, and why only that: mappings of the executable itself (/proc/self/exe, never unmapped while the
 * process lives) that are private, not writable and hold no anonymous page (smaps "Anonymous: 0 kB"), i.e. the text
 * and read-only data as the file has them. A mapping with anonymous pages (relocated read-only data, RELRO) holds
 * the process's own copies: dropping those would bring back the file's unrelocated bytes, so they are left alone,
 * as is every other file. Then malloc_trim gives free heap memory back (glibc only).
 *
 *   moveExecutableToHugePages(minResidentPercent) -> Float64Array [movedKb, leftKb, failedKb, rssBeforeKb,
 *                                                                  rssAfterKb, status]
 *     copies each huge-page-sized, aligned stretch of the executable's clean read-only mappings of which at least
 *     minResidentPercent of the pages are mapped into one anonymous transparent huge page at the same address.
 *     movedKb: moved; leftKb: below the threshold, left as they were; failedKb: no huge page to be had, left as they
 *     were. status: 0 done, 1 transparent huge pages turned off here (nothing done), 2 the kernel cannot say
 *     whether a huge page was made (no MADV_COLLAPSE, before Linux 6.1; nothing done).
 *
 * Why (docs/benchmarks.md, "What a wake-up costs"): where a wake-up costs more the more pages its process has
 * mapped, what counts is page-table entries, not bytes. A C timer loop with 64 MB resident, on the machine we
 * measured on with its kernel until 2026-12-03: 122-130 µs a wake-up in 4 kB pages, 62-71 µs in huge pages, 63 µs
 * with nothing mapped (with its next kernel, 52-62 µs in 4 kB pages: nothing to gain there). The node executable's text and read-only data are
 * the largest mapped things in a `vrrp run` process (about 42 MB at one instance), mapped from the file in 4 kB
 * pages; the kernel here cannot map an executable's file pages huge (MADV_COLLAPSE on them: EINVAL), so the stretch
 * is copied into anonymous memory that can be, as node's own --use-largepages does for the text at start-up. The
 * bytes are the file's (the mapping holds no anonymous page), so every thread sees the same instructions and data
 * before and after; mremap swaps the mapping in one step under the address space's lock, so a thread running there
 * waits for it at its next fault. The cost: the stretches moved are the process's own memory now (a mostly mapped
 * 2 MB counts whole), no longer shared with other node processes through the page cache; and on that machine and
 * kernel, touching memory in huge pages right after a wake-up was slower (2,000 random pages of 64 MB: ~300 µs
 * against ~80), so a takeover, which touches much, came later. Hence asked for only (`VRRP_HUGE_PAGES=1`).
 *
 *   limitMallocArenas(count) -> boolean (applied)
 *     caps glibc's malloc arenas for threads that have none yet (mallopt M_ARENA_MAX); false where that is not glibc.
 *
 * Why: glibc gives each thread that allocates its own arena (up to 8 per core), and an arena keeps what its thread
 * freed for that thread alone. A `vrrp run` process has a dozen threads (V8's, libuv's, the engine's); the
 * transient allocations of starting many instances stay behind in several arenas as free but resident memory
 * (docs/linux.md, "Memory per instance"). Our threads allocate little and seldom at once, so sharing one arena costs
 * no waiting worth measuring and leaves one pool of free memory that any thread reuses.
 */
/* mremap and MREMAP_FIXED are Linux's own. */
#define _GNU_SOURCE
#include "memory.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "common.h"

/* The resident set in kB from /proc/self/statm (its second field, in pages); -1 when unreadable. */
static double resident_kb(void) {
  FILE *statm = fopen("/proc/self/statm", "re");
  if (statm == NULL) return -1;
  unsigned long size = 0, resident = 0;
  int fields = fscanf(statm, "%lu %lu", &size, &resident);
  fclose(statm);
  if (fields != 2) return -1;
  return (double)resident * (double)sysconf(_SC_PAGESIZE) / 1024.0;
}

/* The call's one argument as a whole number in [min, max]; false with a RangeError saying `usage` otherwise. */
static bool whole_number_argument(napi_env env, napi_callback_info info, int32_t min, int32_t max, const char *usage, int32_t *out) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < 1 || napi_get_value_int32(env, argv[0], out) != napi_ok || *out < min || *out > max) {
    napi_throw_range_error(env, NULL, usage);
    return false;
  }
  return true;
}

/* A new Float64Array holding `count` values: how this file's functions report what they did. */
static napi_value float64_values(napi_env env, const double *values, size_t count) {
  napi_value buffer, result;
  void *data = NULL;
  NAPI_CALL(env, napi_create_arraybuffer(env, count * sizeof(double), &data, &buffer));
  memcpy(data, values, count * sizeof(double));
  NAPI_CALL(env, napi_create_typedarray(env, napi_float64_array, count, buffer, 0, &result));
  return result;
}

/* The most mappings of the executable looked at: node has five or six; more would be a different program. */
#define EXECUTABLE_MAPPINGS_MAX 32

/* A clean read-only mapping of the executable: its range, protection and resident kB. */
typedef struct {
  unsigned long start, end;
  int prot;
  unsigned long rss_kb;
} clean_mapping;

/*
 * The executable's mappings (/proc/self/exe, never unmapped while the process lives) that are private, not
 * writable and hold no anonymous page (smaps "Anonymous: 0 kB"): the text and read-only data as the file has them.
 * Up to `max` into `out`; returns their number, or -errno when smaps cannot be read.
 */
static int clean_executable_mappings(clean_mapping *out, int max) {
  char executable[PATH_MAX];
  ssize_t length = readlink("/proc/self/exe", executable, sizeof(executable) - 1);
  if (length <= 0) return -errno;
  executable[length] = '\0';
  FILE *smaps = fopen("/proc/self/smaps", "re");
  if (smaps == NULL) return -errno;
  char line[PATH_MAX + 128];
  clean_mapping current = {0, 0, 0, 0};
  bool candidate = false;
  int count = 0;
  while (fgets(line, sizeof(line), smaps) != NULL && count < max) {
    unsigned long start, end, offset, inode;
    char perms[5];
    int path_at = 0;
    /* A mapping's header: "start-end perms offset dev inode   path". Field lines ("Rss:     12 kB") never parse. */
    if (sscanf(line, "%lx-%lx %4s %lx %*x:%*x %lu %n", &start, &end, perms, &offset, &inode, &path_at) == 5 && path_at > 0) {
      char *path = line + path_at;
      path[strcspn(path, "\n")] = '\0';
      current = (clean_mapping){start, end, PROT_READ | (perms[2] == 'x' ? PROT_EXEC : 0), 0};
      candidate = perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && strcmp(path, executable) == 0;
      continue;
    }
    if (!candidate) continue;
    unsigned long kb;
    if (sscanf(line, "Rss: %lu kB", &kb) == 1) {
      current.rss_kb = kb;
    } else if (sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
      /* Decided once per mapping: Anonymous comes after Rss in every smaps entry. */
      if (kb == 0) out[count++] = current;
      candidate = false;
    }
  }
  fclose(smaps);
  return count;
}

/* Drops the executable's clean read-only mappings; returns their resident kB, or -errno when smaps cannot be read. */
static double drop_executable_pages(void) {
  clean_mapping mappings[EXECUTABLE_MAPPINGS_MAX];
  int count = clean_executable_mappings(mappings, EXECUTABLE_MAPPINGS_MAX);
  if (count < 0) return (double)count;
  double dropped_kb = 0;
  for (int m = 0; m < count; m++) {
    if (mappings[m].rss_kb > 0 && madvise((void *)mappings[m].start, mappings[m].end - mappings[m].start, MADV_DONTNEED) == 0) {
      dropped_kb += (double)mappings[m].rss_kb;
    }
  }
  return dropped_kb;
}

/* releaseStartupPages() -> Float64Array [executableKb, rssBeforeKb, rssAfterKb]; throws when smaps is unreadable. */
napi_value release_startup_pages(napi_env env, napi_callback_info info) {
  (void)info;
  double before_kb = resident_kb();
  double executable_kb = drop_executable_pages();
  if (executable_kb < 0) return throw_errno(env, "open(/proc/self/smaps)", (int)-executable_kb);
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  double values[3] = {executable_kb, before_kb, resident_kb()};
  return float64_values(env, values, 3);
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25 /* Linux 6.1; older headers lack it */
#endif

/* What a move came to, in kB, and why nothing was done (status, see the surface above). */
typedef struct {
  double moved_kb, left_kb, failed_kb;
  int status;
} move_outcome;

/* Whether the administrator lets a process ask for transparent huge pages: "[always]" or "[madvise]" is chosen. */
static bool huge_pages_allowed(void) {
  FILE *policy = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
  if (policy == NULL) return false;
  char line[128] = "";
  bool allowed = fgets(line, sizeof(line), policy) != NULL && (strstr(line, "[always]") != NULL || strstr(line, "[madvise]") != NULL);
  fclose(policy);
  return allowed;
}

/* The size of a huge page that maps a whole page-table page (x86-64: 2 MB); 0 when unknown. */
static unsigned long huge_page_bytes(void) {
  FILE *size = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "re");
  if (size == NULL) return 0;
  unsigned long bytes = 0;
  if (fscanf(size, "%lu", &bytes) != 1) bytes = 0;
  fclose(size);
  return bytes;
}

/* Of the `pages` pages from `address`, how many this process has mapped (/proc/self/pagemap's present bit); -1 unknown. */
static long mapped_pages(int pagemap, unsigned long address, unsigned long page_bytes, unsigned long pages) {
  uint64_t entries[512];
  long mapped = 0;
  for (unsigned long done = 0; done < pages;) {
    unsigned long batch = pages - done < 512 ? pages - done : 512;
    off_t at = (off_t)((address / page_bytes + done) * sizeof(uint64_t));
    ssize_t got = pread(pagemap, entries, batch * sizeof(uint64_t), at);
    if (got != (ssize_t)(batch * sizeof(uint64_t))) {
      if (got >= 0) errno = EIO; /* a short read sets no errno, and the caller returns -errno: 0 would say success */
      return -1;
    }
    for (unsigned long i = 0; i < batch; i++) mapped += (long)(entries[i] >> 63);
    done += batch;
  }
  return mapped;
}

/*
 * Copies [address, address + bytes) into a new anonymous huge page and puts it in place with the given protection.
 * Returns 0, or an errno: EINVAL when the kernel has no MADV_COLLAPSE. A failure before mremap leaves the original
 * as it was. The one risk left: mremap unmaps the target before it moves the copy there, so if the move itself then
 * failed (out of memory), the stretch would be gone and the process would fault at its next use of it — the risk
 * node's --use-largepages takes at start-up too.
 */
static int move_to_huge_page(unsigned long address, unsigned long bytes, int prot) {
  /* Room for an aligned stretch: a huge page maps only at an address that is a multiple of its size. */
  char *raw = mmap(NULL, bytes * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return errno;
  char *copy = (char *)(((uintptr_t)raw + bytes - 1) & ~(uintptr_t)(bytes - 1));
  if (copy > raw) munmap(raw, (size_t)(copy - raw));
  if (copy + bytes < raw + bytes * 2) munmap(copy + bytes, (size_t)(raw + bytes * 2 - (copy + bytes)));
  int error = 0;
  if (madvise(copy, bytes, MADV_HUGEPAGE) != 0) error = errno;
  if (error == 0) {
    memcpy(copy, (const void *)address, bytes);
    /* Made into one huge page now, or said why not; 0 too when the copy's faults already got one. */
    if (madvise(copy, bytes, MADV_COLLAPSE) != 0) error = errno;
  }
  if (error == 0 && mprotect(copy, bytes, prot) != 0) error = errno;
  if (error == 0 && mremap(copy, bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)address) == MAP_FAILED) error = errno;
  if (error != 0) munmap(copy, bytes);
  return error;
}

/* Moves every stretch at least min_percent mapped; -errno in status's place when smaps or pagemap cannot be read. */
static int move_executable(int min_percent, move_outcome *outcome) {
  *outcome = (move_outcome){0, 0, 0, 0};
  unsigned long huge_bytes = huge_page_bytes();
  if (!huge_pages_allowed() || huge_bytes == 0) {
    outcome->status = 1;
    return 0;
  }
  clean_mapping mappings[EXECUTABLE_MAPPINGS_MAX];
  int count = clean_executable_mappings(mappings, EXECUTABLE_MAPPINGS_MAX);
  if (count < 0) return count;
  int pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) return -errno;
  unsigned long page_bytes = (unsigned long)sysconf(_SC_PAGESIZE);
  unsigned long pages = huge_bytes / page_bytes;
  double huge_kb = (double)huge_bytes / 1024.0;
  for (int m = 0; m < count && outcome->status == 0; m++) {
    unsigned long first = (mappings[m].start + huge_bytes - 1) & ~(huge_bytes - 1);
    for (unsigned long at = first; at + huge_bytes <= mappings[m].end; at += huge_bytes) {
      long mapped = mapped_pages(pagemap, at, page_bytes, pages);
      if (mapped < 0) {
        int error = errno;
        close(pagemap);
        return -error;
      }
      if ((unsigned long)mapped * 100 < pages * (unsigned long)min_percent) {
        outcome->left_kb += huge_kb;
        continue;
      }
      int error = move_to_huge_page(at, huge_bytes, mappings[m].prot);
      if (error == 0) {
        outcome->moved_kb += huge_kb;
      } else if (error == EINVAL && outcome->moved_kb == 0) {
        outcome->status = 2; /* no MADV_COLLAPSE: whether a huge page was made cannot be known, so none is tried */
        break;
      } else {
        outcome->failed_kb += huge_kb;
      }
    }
  }
  close(pagemap);
  return 0;
}

/* moveExecutableToHugePages(minResidentPercent) -> Float64Array [movedKb, leftKb, failedKb, rssBeforeKb, rssAfterKb, status]. */
napi_value move_executable_to_huge_pages(napi_env env, napi_callback_info info) {
  int32_t min_percent = 0;
  if (!whole_number_argument(env, info, 1, 100, "moveExecutableToHugePages(minResidentPercent): a whole number 1...100", &min_percent)) return NULL;
  double before_kb = resident_kb();
  move_outcome outcome;
  int failed = move_executable(min_percent, &outcome);
  if (failed < 0) return throw_errno(env, "read of /proc/self/smaps or /proc/self/pagemap", -failed);
  double values[6] = {outcome.moved_kb, outcome.left_kb, outcome.failed_kb, before_kb, resident_kb(), outcome.status};
  return float64_values(env, values, 6);
}

/* limitMallocArenas(count) -> boolean: mallopt(M_ARENA_MAX, count) where malloc is glibc's; false elsewhere. */
napi_value limit_malloc_arenas(napi_env env, napi_callback_info info) {
  int32_t count = 0;
  if (!whole_number_argument(env, info, 1, 64, "limitMallocArenas(count): count must be a whole number 1...64", &count)) return NULL;
  bool applied = false;
#if defined(__GLIBC__)
  applied = mallopt(M_ARENA_MAX, count) == 1;
#endif
  napi_value result;
  NAPI_CALL(env, napi_get_boolean(env, applied, &result));
  return result;
}
