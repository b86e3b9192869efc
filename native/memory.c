/*
 * memory.c: gives back, once start-up is over, the pages that start-up left mapped and the steady state does not use.
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
 *   limitMallocArenas(count) -> boolean (applied)
 *     caps glibc's malloc arenas for threads that have none yet (mallopt M_ARENA_MAX); false where that is not glibc.
 *
 * Why: glibc gives each thread that allocates its own arena (up to 8 per core), and an arena keeps what its thread
 * freed for that thread alone. A `vrrp run` process has a dozen threads (V8's, libuv's, the engine's); the
 * transient allocations of starting many instances stay behind in several arenas as free but resident memory
 * (docs/linux.md, "Memory per instance"). Our threads allocate little and seldom at once, so sharing one arena costs
 * no waiting worth measuring and leaves one pool of free memory that any thread reuses.
 */
#include "memory.h"

#include <errno.h>
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

/* One mapping being read from smaps: its range, whether it may be dropped, and its resident kB. */
typedef struct {
  unsigned long start, end;
  bool candidate;
  unsigned long rss_kb;
} mapping;

/* Drops the executable's clean read-only mappings; returns their resident kB, or -errno when smaps cannot be read. */
static double drop_executable_pages(void) {
  char executable[PATH_MAX];
  ssize_t length = readlink("/proc/self/exe", executable, sizeof(executable) - 1);
  if (length <= 0) return -(double)errno;
  executable[length] = '\0';
  FILE *smaps = fopen("/proc/self/smaps", "re");
  if (smaps == NULL) return -(double)errno;
  char line[PATH_MAX + 128];
  mapping current = {0, 0, false, 0};
  double dropped_kb = 0;
  while (fgets(line, sizeof(line), smaps) != NULL) {
    unsigned long start, end, offset, inode;
    char perms[5];
    int path_at = 0;
    /* A mapping's header: "start-end perms offset dev inode   path". Field lines ("Rss:     12 kB") never parse. */
    if (sscanf(line, "%lx-%lx %4s %lx %*x:%*x %lu %n", &start, &end, perms, &offset, &inode, &path_at) == 5 && path_at > 0) {
      char *path = line + path_at;
      path[strcspn(path, "\n")] = '\0';
      current.start = start;
      current.end = end;
      current.rss_kb = 0;
      current.candidate = perms[1] == '-' && perms[3] == 'p' && strcmp(path, executable) == 0;
      continue;
    }
    if (!current.candidate) continue;
    unsigned long kb;
    if (sscanf(line, "Rss: %lu kB", &kb) == 1) {
      current.rss_kb = kb;
    } else if (sscanf(line, "Anonymous: %lu kB", &kb) == 1) {
      /* Decided once per mapping: Anonymous comes after Rss in every smaps entry. */
      if (kb == 0 && current.rss_kb > 0 && madvise((void *)current.start, current.end - current.start, MADV_DONTNEED) == 0) {
        dropped_kb += (double)current.rss_kb;
      }
      current.candidate = false;
    }
  }
  fclose(smaps);
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
  double after_kb = resident_kb();
  napi_value buffer, result;
  void *data = NULL;
  NAPI_CALL(env, napi_create_arraybuffer(env, 3 * sizeof(double), &data, &buffer));
  double *values = (double *)data;
  values[0] = executable_kb;
  values[1] = before_kb;
  values[2] = after_kb;
  NAPI_CALL(env, napi_create_typedarray(env, napi_float64_array, 3, buffer, 0, &result));
  return result;
}

/* limitMallocArenas(count) -> boolean: mallopt(M_ARENA_MAX, count) where malloc is glibc's; false elsewhere. */
napi_value limit_malloc_arenas(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t count = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &count) != napi_ok || count < 1 || count > 64) {
    napi_throw_range_error(env, NULL, "limitMallocArenas(count): count must be a whole number 1...64");
    return NULL;
  }
  bool applied = false;
#if defined(__GLIBC__)
  applied = mallopt(M_ARENA_MAX, count) == 1;
#endif
  napi_value result;
  NAPI_CALL(env, napi_get_boolean(env, applied, &result));
  return result;
}
