/*
 * renew.c: VIP lease renewals sent by the addon — renewOpen(okAt, onFailure), renewSet(handle, slot, message),
 * renewEvery(handle, periodMs), renewFailures(handle, out), renewClose(handle), renewRef(handle, ref).
 *
 * Why: every third of the lease the VIP manager renews each held VIP (an RTM_NEWADDR with the same lifetimes,
 * src/linux/vip-manager.ts), and a JavaScript interval did it: one wake-up of the engine thread into JavaScript per
 * round, where a master's routine adverts wake it only in C. At one master that round was most of what leases cost
 * (about a third of the thread's CPU with them against without, docs/linux.md, "VIP leases"). Here the prepared
 * requests go out in C: at the first wake-up the thread has anyway once a round is nearly due (renew_poke, from a
 * master's scheduled advert in vrrp_socket.c: in the last quarter of the period), else at the round's due time by
 * the renewer's own alarm. A round goes in sendmsg calls of at most RENEW_CHUNK requests, each followed by a read of
 * its acknowledgements, which rtnetlink queues inside that sendmsg.
 *
 * JavaScript keeps a table of slots (renewSet: a request, or null to stop renewing it) and reads okAt[slot], the
 * CLOCK_MONOTONIC ms of the slot's last acknowledged renewal (0: none yet). A refusal is kept (slot, errno) and
 * onFailure is called from the loop, never inside a call from JavaScript; renewFailures collects them. A request is
 * checked as routeRequest checks one (whole, asking for an acknowledgement); its sequence number is ours.
 */
#include "renew.h"

#include <errno.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "route.h"
#include "watcher.h"

/* Random tag so the renew* functions reject any External that did not come from renewOpen(). */
static const napi_type_tag RENEW_TAG = {0x767272705f72656eULL, 0x65775f726f756e64ULL};
const handle_kind RENEW_KIND = {&RENEW_TAG, "renewClose needs a handle", "expected a renewer handle"};

/* Slots per renewer: a VIP manager holds at most a few addresses per instance, 255 instances a thread. */
#define RENEW_SLOTS 1024
/* Longest request (an address message is under 100 bytes). */
#define RENEW_MESSAGE_MAX 128
/* Refusals kept until JavaScript collects them; more are counted in the last one's place. */
#define RENEW_FAILURES_MAX 64
/* Requests per sendmsg of a round. rtnetlink queues one acknowledgement per request on our socket within the call,
 * and a socket of the default receive buffer (212,992 bytes) holds about 256 of them (each is charged about 800
 * bytes): the rest were dropped, so that 1,000 slots in one sendmsg had 256 acknowledged. 64 fit in a quarter of it. */
#define RENEW_CHUNK 64
/* A round's sequence numbers: round * RENEW_SEQ_STRIDE + slot, so that a late acknowledgement of an earlier round is
 * told apart. */
#define RENEW_SEQ_STRIDE 2048

typedef struct {
  uint16_t length; /* 0: not renewed */
  uint8_t message[RENEW_MESSAGE_MAX];
} renew_entry;

typedef struct renewer {
  watcher base; /* first: the struct's address is the watcher's */
  double period_ms; /* 0: off */
  double due_ms;    /* CLOCK_MONOTONIC ms of the next round */
  uint32_t round;
  unsigned used;    /* slots below this may be in use */
  double *ok_at;
  size_t ok_length;
  napi_ref ok_ref;
  int32_t failures[RENEW_FAILURES_MAX][2];
  unsigned failed;
  bool untold;      /* refusals JavaScript has not been called for */
  struct renewer *next; /* this thread's renewers, for renew_poke */
  renew_entry entries[RENEW_SLOTS];
} renewer;

static _Thread_local renewer *renewers;

/* Keeps a refusal of `slot` (errno) for JavaScript; past RENEW_FAILURES_MAX the last place takes the newest. */
static void keep_failure(renewer *r, unsigned slot, int error_number) {
  const unsigned at = r->failed < RENEW_FAILURES_MAX ? r->failed++ : RENEW_FAILURES_MAX - 1;
  r->failures[at][0] = (int32_t)slot;
  r->failures[at][1] = error_number;
  r->untold = true;
}

/* Reads what waits on the socket: acknowledgements of the round `round` (older ones are late and were not waited
 * for: a refusal among them is still one), until `expected` of this round came (0: until none waits) — rtnetlink
 * queued them inside the round's sendmsg, so no read comes back empty for nothing. */
static void read_acknowledgements(renewer *r, double at_ms, unsigned expected) {
  uint32_t buffer[4096];
  unsigned answered = 0;
  while (expected == 0 || answered < expected) {
    ssize_t received;
    do {
      received = recv(r->base.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
      /* ENOBUFS: some acknowledgement did not fit and was dropped (that slot is dated next round); the others wait. */
    } while (received < 0 && (errno == EINTR || errno == ENOBUFS));
    if (received <= 0) return;
    size_t left = (size_t)received;
    for (struct nlmsghdr *header = (struct nlmsghdr *)buffer; NLMSG_OK(header, left); header = NLMSG_NEXT(header, left)) {
      if (header->nlmsg_type != NLMSG_ERROR || header->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) continue;
      const struct nlmsgerr *answer = (const struct nlmsgerr *)NLMSG_DATA(header);
      const uint32_t slot = header->nlmsg_seq % RENEW_SEQ_STRIDE;
      if (slot >= RENEW_SLOTS) continue;
      const bool current = header->nlmsg_seq / RENEW_SEQ_STRIDE == r->round;
      if (current) answered++;
      if (answer->error == 0) {
        if (current && slot < r->ok_length) r->ok_at[slot] = at_ms;
        continue;
      }
      keep_failure(r, slot, -answer->error);
    }
  }
}

static void on_renew_alarm(watcher *w);

/* Sends the requests of slots from..to-1 (`requests` of them, `total` bytes aligned) in one sendmsg and reads their
 * acknowledgements. A send the kernel refuses as a whole is a refusal of each of those slots (errno), reported as
 * the acknowledgements are. */
static void renew_chunk(renewer *r, unsigned from, unsigned to, size_t total, unsigned requests, double now) {
  /* Aligned for struct nlmsghdr. */
  uint32_t words[RENEW_CHUNK * NLMSG_ALIGN(RENEW_MESSAGE_MAX) / sizeof(uint32_t)];
  uint8_t *batch = (uint8_t *)words;
  size_t at = 0;
  for (unsigned slot = from; slot < to; slot++) {
    const renew_entry *entry = &r->entries[slot];
    if (entry->length == 0) continue;
    memset(batch + at, 0, NLMSG_ALIGN(entry->length));
    memcpy(batch + at, entry->message, entry->length);
    struct nlmsghdr *header = (struct nlmsghdr *)(batch + at);
    header->nlmsg_seq = r->round * RENEW_SEQ_STRIDE + slot;
    header->nlmsg_pid = 0;
    at += NLMSG_ALIGN(entry->length);
  }
  struct sockaddr_nl kernel;
  memset(&kernel, 0, sizeof(kernel));
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(r->base.fd, batch, total, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
  } while (sent < 0 && errno == EINTR);
  if (sent >= 0) {
    read_acknowledgements(r, now, requests);
    return;
  }
  const int error_number = errno;
  for (unsigned slot = from; slot < to; slot++) {
    if (r->entries[slot].length > 0) keep_failure(r, slot, error_number);
  }
}

/* One round: every slot's request, RENEW_CHUNK to a sendmsg; the next round a period later. */
static void renew_round(renewer *r) {
  const double now = monotonic_now_ms();
  r->round = (r->round + 1) % (UINT32_MAX / RENEW_SEQ_STRIDE);
  for (unsigned from = 0; from < r->used;) {
    size_t total = 0;
    unsigned requests = 0, to = from;
    for (; to < r->used && requests < RENEW_CHUNK; to++) {
      if (r->entries[to].length == 0) continue;
      total += NLMSG_ALIGN(r->entries[to].length);
      requests++;
    }
    if (requests > 0) renew_chunk(r, from, to, total, requests, now);
    from = to;
  }
  r->due_ms = now + r->period_ms;
  watcher_alarm(&r->base, r->period_ms, on_renew_alarm);
}

/* JavaScript hears of refusals from the loop (here, or renew_poke's caller's turn), never inside its own call. */
static void tell(renewer *r) {
  if (!r->untold || r->base.closed) return;
  r->untold = false;
  watcher_wake(&r->base);
}

static void on_renew_alarm(watcher *w) {
  renewer *r = (renewer *)w;
  if (r->period_ms > 0) renew_round(r);
  tell(r);
}

/* The alarm renew_poke sets for a refusal its round met: JavaScript is told from the loop, as the alarm's own
 * rounds tell it, and the next round is waited for again. */
static void on_renew_news(watcher *w) {
  renewer *r = (renewer *)w;
  const double wait = r->due_ms - monotonic_now_ms();
  if (r->period_ms > 0) watcher_alarm(&r->base, wait > 0 ? wait : 0, on_renew_alarm);
  tell(r);
}

void renew_poke(void) {
  if (renewers == NULL) return;
  const double now = monotonic_now_ms();
  for (renewer *r = renewers; r != NULL; r = r->next) {
    if (r->base.closed || !(r->period_ms > 0) || now < r->due_ms - r->period_ms / 4) continue;
    renew_round(r);
    /* Not told here: renew_poke runs inside another watcher's alarm, which may itself run inside a JavaScript call
     * (waitDrain), and that watcher calls JavaScript after it — two calls, one nested (found by review). */
    if (r->untold) watcher_alarm(&r->base, 0, on_renew_news);
  }
}

/* The socket's readiness: a late acknowledgement. Read; JavaScript is called only for a refusal. */
static bool renew_ready(watcher *w, int status) {
  renewer *r = (renewer *)w;
  (void)status;
  read_acknowledgements(r, monotonic_now_ms(), 0);
  if (!r->untold) return false;
  r->untold = false;
  return true;
}

/* Closing: out of the thread's list, and the okAt array released. */
static void renew_release(watcher *w) {
  renewer *r = (renewer *)w;
  for (renewer **at = &renewers; *at != NULL; at = &(*at)->next) {
    if (*at == r) {
      *at = r->next;
      break;
    }
  }
  if (r->ok_ref != NULL) {
    napi_delete_reference(w->env, r->ok_ref);
    r->ok_ref = NULL;
  }
  r->ok_at = NULL;
  r->ok_length = 0;
}

/* renewOpen(okAt: Float64Array, onFailure): a renewer on this thread's loop, renewing nothing yet. okAt has a
 * place per slot that may be used (at most 1024). */
napi_value renew_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type = napi_undefined;
  if (argc >= 2) NAPI_CALL(env, napi_typeof(env, argv[1], &type));
  if (argc < 2 || type != napi_function) {
    napi_throw_type_error(env, NULL, "renewOpen needs an okAt Float64Array and a callback");
    return NULL;
  }
  double *ok_at = NULL;
  size_t ok_length = 0;
  if (!get_float64s(env, argv[0], "okAt", &ok_at, &ok_length)) return NULL;
  if (ok_length == 0 || ok_length > RENEW_SLOTS) {
    napi_throw_range_error(env, NULL, "okAt must hold 1 to 1024 numbers");
    return NULL;
  }
  const char *failed = NULL;
  int fd = route_socket(&failed);
  if (fd < 0) return throw_errno(env, failed, errno);
  renewer *r = (renewer *)calloc(1, sizeof(renewer));
  if (r == NULL) {
    close(fd);
    return throw_errno(env, "malloc", ENOMEM);
  }
  if (napi_create_reference(env, argv[0], 1, &r->ok_ref) != napi_ok) {
    close(fd);
    free(r);
    throw_last_napi_error(env);
    return NULL;
  }
  r->ok_at = ok_at;
  r->ok_length = ok_length;
  r->base.release = renew_release;
  /* The watcher owns fd and the struct from here, even when it fails: listed only once it watches. */
  napi_value handle = watcher_with_alarm(env, &r->base, watcher_start(env, &r->base, fd, argv[1], "vrrp:renew", &RENEW_TAG, renew_ready, true));
  if (handle != NULL) {
    r->next = renewers;
    renewers = r;
  }
  return handle;
}

/* renewSet(handle, slot, message | null): renews `message` (a whole request asking for an acknowledgement) in
 * `slot` from the next round on, or stops renewing the slot. */
napi_value renew_set(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "renewSet needs a handle, a slot and a message (or null)");
    return NULL;
  }
  renewer *r = (renewer *)get_open(env, argv[0], &RENEW_KIND, "sendto");
  if (r == NULL) return NULL;
  uint32_t slot = 0;
  if (napi_get_value_uint32(env, argv[1], &slot) != napi_ok || slot >= r->ok_length) {
    napi_throw_range_error(env, NULL, "slot must be below okAt's length");
    return NULL;
  }
  napi_valuetype type = napi_undefined;
  NAPI_CALL(env, napi_typeof(env, argv[2], &type));
  renew_entry *entry = &r->entries[slot];
  if (type == napi_null || type == napi_undefined) {
    entry->length = 0;
    r->ok_at[slot] = 0;
    return NULL;
  }
  void *data = NULL;
  size_t length = 0;
  if (!get_bytes(env, argv[2], "message", &data, &length)) return NULL;
  const char *problem = route_message_problem(data, length);
  if (problem == NULL && length > RENEW_MESSAGE_MAX) problem = "message must be at most 128 bytes";
  if (problem != NULL) {
    napi_throw_range_error(env, NULL, problem);
    return NULL;
  }
  memcpy(entry->message, data, length);
  entry->length = (uint16_t)length;
  if (slot >= r->used) r->used = slot + 1;
  return NULL;
}

/* renewEvery(handle, periodMs): a round every periodMs (the first a period from now, or sooner at a wake-up in its
 * last quarter); 0 stops. A period over an hour (a lease of up to a day, as the config allows, renewed every third)
 * renews hourly: an hour is the longest alarm (watcher_alarm), and a renewal sooner than needed costs one request. */
napi_value renew_every(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "renewEvery needs a handle and a period");
    return NULL;
  }
  renewer *r = (renewer *)get_open(env, argv[0], &RENEW_KIND, "sendto");
  if (r == NULL) return NULL;
  double period_ms = 0;
  if (napi_get_value_double(env, argv[1], &period_ms) != napi_ok || !(period_ms == 0 || (period_ms >= 10 && period_ms <= 8.64e7))) {
    napi_throw_range_error(env, NULL, "the period must be 0 or 10 ms to a day");
    return NULL;
  }
  if (period_ms > 3.6e6) period_ms = 3.6e6;
  if (period_ms == r->period_ms) return NULL;
  r->period_ms = period_ms;
  if (period_ms == 0) {
    watcher_alarm_stop(&r->base);
  } else {
    r->due_ms = monotonic_now_ms() + period_ms;
    watcher_alarm(&r->base, period_ms, on_renew_alarm);
  }
  /* A refusal renew_poke left for its alarm to tell (on_renew_news) is told still: that alarm was just replaced. */
  if (r->untold) watcher_alarm(&r->base, 0, on_renew_news);
  return NULL;
}

/* renewFailures(handle, out: Int32Array): the refusals since the last call as (slot, errno) pairs into `out`
 * (as many as fit); returns how many there were. */
napi_value renew_failures(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  NAPI_CALL(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) {
    napi_throw_type_error(env, NULL, "renewFailures needs a handle and an Int32Array");
    return NULL;
  }
  renewer *r = (renewer *)get_tagged(env, argv[0], &RENEW_TAG, RENEW_KIND.expected);
  if (r == NULL) return NULL;
  int32_t *out = NULL;
  size_t length = 0;
  if (!get_int32s(env, argv[1], "out", &out, &length)) return NULL;
  const unsigned count = r->failed;
  for (unsigned i = 0; i < count && 2 * i + 1 < length; i++) {
    out[2 * i] = r->failures[i][0];
    out[2 * i + 1] = r->failures[i][1];
  }
  r->failed = 0;
  napi_value result;
  NAPI_CALL(env, napi_create_uint32(env, count, &result));
  return result;
}
