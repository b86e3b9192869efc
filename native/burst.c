/*
 * burst.c: burstPrepare(ops) checks and copies a list of operations once; burstRun(prepared) runs them back to
 * back with no Node-API call until the last is done.
 *
 * Why: a takeover writes its crash-cleanup markers, adds its addresses and sends its gratuitous ARP, in that
 * order, as fast as it can: each step is a syscall of tens of microseconds, and crossing from JavaScript for each,
 * with the code between them run for the first time in a long while, measured about as much again.
 *
 * Operations are [kind, target, bytes]: kind 0 = pwrite(target fd, bytes, offset 0), 1 = routeRequest(target route
 * handle, bytes), 2 = send(target packet handle, frame). Up to 256 per burst; a malformed one refuses the whole
 * list. A prepared burst keeps the handles it names alive, and writes through a duplicate of each descriptor.
 * burstRun returns an Int32Array with one result per operation: 0, the kernel's acknowledgement errno or the failed
 * syscall's errno; ECANCELED for a frame not sent because a route request before it was refused (see run_ops).
 *
 * Fired bursts: a VRRP socket's alarm may run a burst itself, in C, the moment a takeover falls due (burst_fire; see
 * "Armed takeovers" in vrrp_socket.c). Its results are kept, and the next burstRun hands them over instead of
 * running the operations again: the JavaScript that then catches up (the VIP manager's takeover) does its
 * bookkeeping as if it had run the burst itself, and no address is added twice (a second exclusive add would be
 * refused with EEXIST and the address judged somebody else's). burst_forget drops kept results nobody will take.
 */
#include "burst.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "packet.h"
#include "route.h"

/* Most operations one burst takes: a takeover's are two per address plus its announcement frames. */
#define BURST_MAX_OPS 256

/* One checked operation of a burst. */
typedef struct {
  int32_t kind; /* BURST_PWRITE, BURST_ROUTE or BURST_FRAME */
  int fd;       /* BURST_PWRITE */
  void *handle; /* route_handle (BURST_ROUTE) or packet_handle (BURST_FRAME) */
  void *data;   /* a copy, inside the prepared burst's own allocation */
  size_t length;
} burst_op;

enum { BURST_PWRITE = 0, BURST_ROUTE = 1, BURST_FRAME = 2 };

/* A burst checked and copied once, run as often as asked. It holds a reference to every socket handle it names, so
 * that their structs outlive it; a socket closed meanwhile has fd -1 and its operation fails with EBADF.
 * One allocation sized to its operations: the header, `count` operations, up to `count` references, then the
 * operations' bytes. Every instance keeps a prepared burst (its takeover), so fixed arrays of BURST_MAX_OPS (10 KB
 * each) were most of our RSS growth per instance (docs/linux.md, "Memory per instance"). For the same reason a handle
 * is referenced once however many operations name it, and equal bytes are kept once: a takeover sends the same
 * frames on the same socket once per gratuitous ARP repeat (a Node-API reference and its global handle are about
 * 100 bytes of malloc each). */
typedef struct {
  uint32_t count;
  uint32_t ref_count;
  bool fired;              /* `kept` holds the results of a run by burst_fire that no burstRun has taken yet */
  int32_t *kept;           /* malloc'ed at the first burst_fire, `count` results; freed with the burst */
  napi_ref *refs; /* inside the same allocation, after ops */
  burst_op ops[];
} prepared_burst;

/* The references follow the operations in one allocation, so the operations' size must keep them aligned. */
_Static_assert(sizeof(prepared_burst) % _Alignof(napi_ref) == 0 && sizeof(burst_op) % _Alignof(napi_ref) == 0,
               "prepared burst layout misaligns its references");

/* Random tag so burstRun() rejects any External that did not come from burstPrepare(). */
static const napi_type_tag BURST_TAG = {0x767272705f627572ULL, 0x73745f7072657061ULL};

static void finalize_burst(napi_env env, void *data, void *hint) {
  (void)hint;
  prepared_burst *prepared = (prepared_burst *)data;
  for (uint32_t i = 0; i < prepared->count; i++) {
    if (prepared->ops[i].fd >= 0) close(prepared->ops[i].fd);
  }
  for (uint32_t i = 0; i < prepared->ref_count; i++) napi_delete_reference(env, prepared->refs[i]);
  free(prepared->kept);
  free(prepared);
}

/* Runs the operations back to back into `result` (see burstRun). */
static void run_ops(const prepared_burst *prepared, int32_t *result) {
  /* Back to back, nothing else in between: the point of a burst. A failure is recorded and the rest still runs
   * (one address refused must not keep the others from being added), but no frame goes after a route request the
   * kernel refused (anything but success or EEXIST, the address being there already): the takeover that ran the
   * burst fails with that refusal and announces nothing (as add then announce does), so a gratuitous ARP would
   * draw the clients to an address this host does not hold. Such a frame's result is ECANCELED. */
  bool refused = false;
  for (uint32_t i = 0; i < prepared->count; i++) {
    const burst_op *op = &prepared->ops[i];
    if (op->kind == BURST_PWRITE) {
      ssize_t written;
      do {
        written = pwrite(op->fd, op->data, op->length, 0);
      } while (written < 0 && errno == EINTR);
      result[i] = written < 0 ? errno : (size_t)written == op->length ? 0 : EIO;
    } else if (op->kind == BURST_ROUTE) {
      int acknowledged = 0;
      const char *failed_syscall = NULL;
      int error_number = route_exchange((route_handle *)op->handle, op->data, op->length, &acknowledged, &failed_syscall);
      result[i] = error_number != 0 ? error_number : acknowledged;
      if (result[i] != 0 && result[i] != EEXIST) refused = true;
    } else {
      result[i] = refused ? ECANCELED : frame_send((packet_handle *)op->handle, (const uint8_t *)op->data, op->length);
    }
  }
}

void *burst_from(napi_env env, napi_value value) {
  return get_tagged(env, value, &BURST_TAG, "expected a prepared burst");
}

bool burst_fire(void *burst) {
  prepared_burst *prepared = (prepared_burst *)burst;
  if (prepared->kept == NULL && prepared->count > 0) {
    prepared->kept = (int32_t *)malloc(prepared->count * sizeof(int32_t));
    if (prepared->kept == NULL) return false; /* not run: JavaScript runs it when it catches up */
  }
  run_ops(prepared, prepared->kept);
  prepared->fired = true;
  return true;
}

void burst_forget(void *burst) {
  ((prepared_burst *)burst)->fired = false;
}

/* burstPrepare(ops): checks [kind, target, bytes] operations and copies them into a prepared burst (External). */
napi_value burst_prepare(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is_array = false;
  if (argc >= 1) NAPI_CALL(env, napi_is_array(env, argv[0], &is_array));
  if (!is_array) {
    napi_throw_type_error(env, NULL, "burst needs an array of operations");
    return NULL;
  }
  uint32_t count = 0;
  NAPI_CALL(env, napi_get_array_length(env, argv[0], &count));
  if (count > BURST_MAX_OPS) {
    napi_throw_range_error(env, NULL, "a burst holds at most 256 operations");
    return NULL;
  }
  /* Every operation is checked before anything is kept: a malformed burst is refused whole. */
  burst_op ops[BURST_MAX_OPS];
  napi_value targets[BURST_MAX_OPS];
  int16_t same_bytes[BURST_MAX_OPS]; /* an earlier operation with equal bytes, or -1 */
  size_t total_bytes = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value op, kind_value, target, bytes;
    uint32_t op_length = 0;
    bool op_is_array = false;
    NAPI_CALL(env, napi_get_element(env, argv[0], i, &op));
    NAPI_CALL(env, napi_is_array(env, op, &op_is_array));
    if (op_is_array) NAPI_CALL(env, napi_get_array_length(env, op, &op_length));
    if (!op_is_array || op_length != 3) {
      napi_throw_type_error(env, NULL, "each burst operation is [kind, target, bytes]");
      return NULL;
    }
    NAPI_CALL(env, napi_get_element(env, op, 0, &kind_value));
    NAPI_CALL(env, napi_get_element(env, op, 1, &target));
    NAPI_CALL(env, napi_get_element(env, op, 2, &bytes));
    burst_op *checked = &ops[i];
    targets[i] = target;
    if (napi_get_value_int32(env, kind_value, &checked->kind) != napi_ok) {
      napi_throw_type_error(env, NULL, "burst operation kind must be a number");
      return NULL;
    }
    if (!get_bytes(env, bytes, "burst operation bytes", &checked->data, &checked->length)) return NULL;
    checked->fd = -1;
    checked->handle = NULL;
    if (checked->kind == BURST_PWRITE) {
      if (napi_get_value_int32(env, target, &checked->fd) != napi_ok || checked->fd < 0) {
        napi_throw_type_error(env, NULL, "a pwrite operation needs a descriptor");
        return NULL;
      }
    } else if (checked->kind == BURST_ROUTE) {
      checked->handle = get_tagged(env, target, &ROUTE_TAG, "a route operation needs a route socket handle");
      if (checked->handle == NULL) return NULL;
      const char *problem = route_message_problem(checked->data, checked->length);
      if (problem != NULL) {
        napi_throw_range_error(env, NULL, problem);
        return NULL;
      }
    } else if (checked->kind == BURST_FRAME) {
      checked->handle = get_tagged(env, target, &PACKET_TAG, "a frame operation needs a packet socket handle");
      if (checked->handle == NULL) return NULL;
      if (checked->length < ETH_HEADER_LEN) {
        napi_throw_range_error(env, NULL, "frame is shorter than an ethernet header");
        return NULL;
      }
    } else {
      napi_throw_range_error(env, NULL, "burst operation kind must be 0 (pwrite), 1 (route) or 2 (frame)");
      return NULL;
    }
    same_bytes[i] = -1;
    for (uint32_t j = 0; j < i && same_bytes[i] < 0; j++) {
      if (ops[j].length == checked->length && memcmp(ops[j].data, checked->data, checked->length) == 0) same_bytes[i] = (int16_t)j;
    }
    if (same_bytes[i] < 0) total_bytes += checked->length;
  }
  size_t refs_offset = sizeof(prepared_burst) + count * sizeof(burst_op);
  size_t storage_offset = refs_offset + count * sizeof(napi_ref);
  prepared_burst *prepared = (prepared_burst *)malloc(storage_offset + total_bytes);
  if (prepared == NULL) return throw_errno(env, "malloc", ENOMEM);
  prepared->count = 0; /* the operations copied so far: finalize_burst closes their descriptors */
  prepared->ref_count = 0;
  prepared->fired = false;
  prepared->kept = NULL;
  prepared->refs = (napi_ref *)((uint8_t *)prepared + refs_offset);
  uint8_t *storage = (uint8_t *)prepared + storage_offset;
  for (uint32_t i = 0; i < count; i++) {
    prepared->ops[i] = ops[i];
    if (ops[i].kind == BURST_PWRITE) {
      /* A pwrite goes to a descriptor of the burst's own, a duplicate of the one it was given: an armed takeover may
       * fire the burst from C after JavaScript closed its marker (the VIP manager forgetting an interface), and the
       * number alone might then name whatever file was opened next. The duplicate still names the marker's file.
       * The system call, not glibc's fcntl: since glibc 2.28 that is fcntl64@GLIBC_2.28, past the 2.17 the
       * prebuilt addon stays within (test/package/tarball.test.ts). */
      prepared->ops[i].fd = (int)syscall(SYS_fcntl, ops[i].fd, F_DUPFD_CLOEXEC, 0);
      if (prepared->ops[i].fd < 0) {
        int error_number = errno;
        finalize_burst(env, prepared, NULL);
        return throw_errno(env, "fcntl(F_DUPFD_CLOEXEC)", error_number);
      }
    }
    prepared->count = i + 1;
    if (same_bytes[i] >= 0) {
      prepared->ops[i].data = prepared->ops[same_bytes[i]].data;
    } else {
      if (ops[i].length > 0) memcpy(storage, ops[i].data, ops[i].length);
      prepared->ops[i].data = storage;
      storage += ops[i].length;
    }
    bool named_before = false;
    for (uint32_t j = 0; j < i && !named_before; j++) named_before = ops[j].handle == ops[i].handle;
    if (ops[i].handle == NULL || named_before) continue;
    if (napi_create_reference(env, targets[i], 1, &prepared->refs[prepared->ref_count]) == napi_ok) {
      prepared->ref_count++;
    } else {
      finalize_burst(env, prepared, NULL);
      throw_last_napi_error(env);
      return NULL;
    }
  }
  napi_value external;
  if (napi_create_external(env, prepared, finalize_burst, NULL, &external) != napi_ok) {
    finalize_burst(env, prepared, NULL);
    throw_last_napi_error(env);
    return NULL;
  }
  NAPI_CALL(env, napi_type_tag_object(env, external, &BURST_TAG));
  return external;
}

/* burstFired(prepared): whether a socket's alarm ran the burst and no burstRun has taken its results yet (see
 * "Fired bursts" above): whoever took over with it must take them, whatever changed since it was armed. */
napi_value burst_fired(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "burstFired needs a prepared burst");
    return NULL;
  }
  prepared_burst *prepared = (prepared_burst *)get_tagged(env, argv[0], &BURST_TAG, "expected a prepared burst");
  if (prepared == NULL) return NULL;
  napi_value result;
  NAPI_CALL(env, napi_get_boolean(env, prepared->fired, &result));
  return result;
}

/* burstRun(prepared): runs a prepared burst's operations back to back; an Int32Array of their results. */
napi_value burst_run(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "burstRun needs a prepared burst");
    return NULL;
  }
  prepared_burst *prepared = (prepared_burst *)get_tagged(env, argv[0], &BURST_TAG, "expected a prepared burst");
  if (prepared == NULL) return NULL;
  uint32_t count = prepared->count;
  /* Results land on the stack and are copied out after the last operation: no Node-API call before then. */
  int32_t result[BURST_MAX_OPS];
  if (prepared->fired) {
    /* Run already, by a socket's alarm (see "Fired bursts" above): its results, once. */
    prepared->fired = false;
    if (count > 0) memcpy(result, prepared->kept, count * sizeof(int32_t));
  } else {
    run_ops(prepared, result);
  }
  napi_value buffer, results;
  void *result_data = NULL;
  NAPI_CALL(env, napi_create_arraybuffer(env, count * sizeof(int32_t), &result_data, &buffer));
  if (count > 0) memcpy(result_data, result, count * sizeof(int32_t));
  NAPI_CALL(env, napi_create_typedarray(env, napi_int32_array, count, buffer, 0, &results));
  return results;
}

