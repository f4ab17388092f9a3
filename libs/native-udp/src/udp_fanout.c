// Batched UDP sends for RTP fan-out: one sendmmsg(2) call carries the datagrams of a batch of
// access units to many readers, and with UDP GSO (Linux >= 4.18, UDP_SEGMENT) the run of
// equal-sized fragments of one unit to one reader travels through the stack as one buffer.
// node:dgram makes one system call and one request object per datagram, which is most of the
// fan-out's cost at hundreds of readers (docs/benchmarks.md, "RTSP fan-out").
//
// The module only sends; what to send where is decided in TypeScript (libs/native-udp/src).
// Datagrams never block: a full socket buffer stops the call and reports where it stopped,
// so the caller can hand the rest to a queueing sender.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

// One sendmmsg call carries at most this many messages (the kernel's UIO_MAXIOV) and iovecs.
#define MAX_MESSAGES 1024
#define MAX_IOVECS 4096
// UDP GSO limits: segments per send (UDP_MAX_SEGMENTS) and payload bytes per send.
#define GSO_MAX_SEGMENTS 64
#define GSO_MAX_BYTES 65000
// Send buffer asked for the batched socket (capped by net.core.wmem_max).
#define SEND_BUFFER_BYTES (8 << 20)
// A destination slot: a sockaddr_in or sockaddr_in6 (28 bytes), zero family = none.
#define DEST_SLOT_BYTES 32

// Out-array layout of sendFanout (an Int32Array of OUT_LENGTH, exported as resultLength).
enum { OUT_SENT = 0, OUT_FAILED = 1, OUT_NEXT = 2, OUT_ERRNO = 3, OUT_STOP = 4, OUT_MESSAGES = 5, OUT_LENGTH = 6 };
// Why a call stopped before the end.
enum { STOP_NONE = 0, STOP_WOULD_BLOCK = 1, STOP_GSO = 2 };

typedef struct {
  struct mmsghdr msgs[MAX_MESSAGES];
  struct iovec iovs[MAX_IOVECS];
  // Control buffers for the UDP_SEGMENT cmsg of each message.
  union {
    char buf[CMSG_SPACE(sizeof(uint16_t))];
    struct cmsghdr align;
  } control[MAX_MESSAGES];
  // The logical index (datagram position) of each message's first datagram, and its count.
  uint32_t first[MAX_MESSAGES];
  uint32_t count[MAX_MESSAGES];
} batch_t;

typedef struct {
  uint8_t* data;
  uint32_t len;
} packet_t;

// At most this many packets in one sendFanout call (a batch of access units).
#define MAX_PACKETS 8192

// Per module instance (the main thread and each worker thread has its own).
typedef struct {
  batch_t batch;
  packet_t packets[MAX_PACKETS];
} state_t;

#define CHECK(env, call)                                   \
  do {                                                     \
    if ((call) != napi_ok) {                               \
      napi_throw_error((env), NULL, "N-API call failed");  \
      return NULL;                                         \
    }                                                      \
  } while (0)

static napi_value throw_errno(napi_env env, const char* what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  napi_throw_error(env, NULL, message);
  return NULL;
}

static int get_int(napi_env env, napi_value v, int32_t* out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static int get_bytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is_typed = false;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  size_t length;
  void* base;
  napi_value arraybuffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &length, &base, &arraybuffer, &offset) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = (uint8_t*)base;
  *len = length;
  return 1;
}

// Fills a destination slot from an IP literal; a v4 literal on a v6 socket becomes v4-mapped.
static int fill_address(int family, const char* host, int port, uint8_t* slot) {
  memset(slot, 0, DEST_SLOT_BYTES);
  if (family == AF_INET) {
    struct sockaddr_in* a = (struct sockaddr_in*)slot;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &a->sin_addr) == 1;
  }
  struct sockaddr_in6* a = (struct sockaddr_in6*)slot;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons((uint16_t)port);
  if (inet_pton(AF_INET6, host, &a->sin6_addr) == 1) return 1;
  struct in_addr v4;
  if (inet_pton(AF_INET, host, &v4) != 1) return 0;
  a->sin6_addr.s6_addr[10] = 0xff;
  a->sin6_addr.s6_addr[11] = 0xff;
  memcpy(&a->sin6_addr.s6_addr[12], &v4, 4);
  return 1;
}

static socklen_t slot_length(const uint8_t* slot) {
  sa_family_t family = ((const struct sockaddr*)slot)->sa_family;
  if (family == AF_INET) return sizeof(struct sockaddr_in);
  if (family == AF_INET6) return sizeof(struct sockaddr_in6);
  return 0;
}

// openSocket(family: 4 | 6, host: string, port: number): number
// A non-blocking UDP socket bound to host:port with SO_REUSEADDR, beside the dgram socket that
// already holds the port. It only sends: its receive buffer is made as small as the kernel allows.
static napi_value open_socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t version = 0, port = 0;
  char host[64];
  size_t host_len = 0;
  if (argc < 3 || !get_int(env, argv[0], &version) || (version != 4 && version != 6) ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_len) != napi_ok ||
      !get_int(env, argv[2], &port) || port < 0 || port > 65535) {
    napi_throw_type_error(env, NULL, "openSocket(family: 4 | 6, host: string, port: number)");
    return NULL;
  }
  int family = version == 4 ? AF_INET : AF_INET6;
  uint8_t local[DEST_SLOT_BYTES];
  if (!fill_address(family, host, port, local)) {
    napi_throw_type_error(env, NULL, "openSocket: host is not an IP literal of that family");
    return NULL;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1, small = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small) != 0 ||
      bind(fd, (struct sockaddr*)local, slot_length(local)) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "bind", err);
  }
  // A batch to hundreds of readers through a real NIC's queue is megabytes: ask for a send
  // buffer that holds a few of them (the kernel caps it at net.core.wmem_max). What does not
  // fit goes through node:dgram's queue instead (the "queued" datagrams metric).
  int sndbuf = SEND_BUFFER_BYTES;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  napi_value result;
  CHECK(env, napi_create_int32(env, fd, &result));
  return result;
}

// The one argument of closeSocket and supportsGso: a descriptor.
static int fd_argument(napi_env env, napi_callback_info info, int32_t* fd) {
  size_t argc = 1;
  napi_value argv[1];
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc >= 1 && get_int(env, argv[0], fd) && *fd >= 0;
}

// closeSocket(fd: number): void
static napi_value close_socket(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!fd_argument(env, info, &fd)) {
    napi_throw_type_error(env, NULL, "closeSocket(fd: number)");
    return NULL;
  }
  if (close(fd) != 0 && errno != EINTR) return throw_errno(env, "close", errno);
  return NULL;
}

// supportsGso(fd: number): boolean — whether the kernel knows UDP_SEGMENT.
static napi_value supports_gso(napi_env env, napi_callback_info info) {
  int32_t fd = -1;
  if (!fd_argument(env, info, &fd)) {
    napi_throw_type_error(env, NULL, "supportsGso(fd: number)");
    return NULL;
  }
  int value = 0;
  socklen_t len = sizeof value;
  napi_value result;
  CHECK(env, napi_get_boolean(env, getsockopt(fd, SOL_UDP, UDP_SEGMENT, &value, &len) == 0, &result));
  return result;
}

// writeAddress(family: 4 | 6, host: string, port: number, into: Uint8Array, offset: number): boolean
static napi_value write_address(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t version = 0, port = 0, offset = 0;
  char host[64];
  size_t host_len = 0;
  uint8_t* into = NULL;
  size_t into_len = 0;
  if (argc < 5 || !get_int(env, argv[0], &version) || (version != 4 && version != 6) ||
      napi_get_value_string_utf8(env, argv[1], host, sizeof host, &host_len) != napi_ok ||
      !get_int(env, argv[2], &port) || port < 1 || port > 65535 || !get_bytes(env, argv[3], &into, &into_len) ||
      !get_int(env, argv[4], &offset) || offset < 0 || (size_t)offset + DEST_SLOT_BYTES > into_len) {
    napi_throw_type_error(env, NULL, "writeAddress(family: 4 | 6, host: string, port: 1..65535, into: Uint8Array, offset: number)");
    return NULL;
  }
  napi_value result;
  CHECK(env, napi_get_boolean(env, fill_address(version == 4 ? AF_INET : AF_INET6, host, port, into + offset), &result));
  return result;
}

// Sends messages [0, n) of the batch. Returns the number of messages handled (sent or failed
// one by one), stopping early on EAGAIN or on a GSO message the kernel refuses.
static uint32_t flush_batch(batch_t* b, int fd, uint32_t n, int32_t* out) {
  uint32_t i = 0;
  while (i < n) {
    int sent = sendmmsg(fd, b->msgs + i, n - i, MSG_DONTWAIT);
    if (sent > 0) {
      out[OUT_MESSAGES] += sent;
      for (int k = 0; k < sent; k++) out[OUT_SENT] += (int32_t)b->count[i + k];
      i += (uint32_t)sent;
      continue;
    }
    int err = errno;
    if (err == EINTR) continue;
    out[OUT_ERRNO] = err;
    if (err == EAGAIN || err == EWOULDBLOCK) {
      out[OUT_STOP] = STOP_WOULD_BLOCK;
      return i;
    }
    if (b->count[i] > 1 && (err == EIO || err == EINVAL || err == EMSGSIZE || err == ENOPROTOOPT)) {
      // The device or kernel cannot segment: the caller resends without GSO from here.
      out[OUT_STOP] = STOP_GSO;
      return i;
    }
    // Unreachable destination, no buffer space in the device queue (ENOBUFS): that message is
    // lost, as a datagram would be, and the rest go on.
    out[OUT_FAILED] += (int32_t)b->count[i];
    i++;
  }
  return i;
}

// sendFanout(fd, packets: Uint8Array[], slots: Uint8Array, destinations: Uint8Array,
//            slotsPerReader: number, readers: number, start: number, gso: boolean, out: Int32Array): void
//
// For every reader r (in order) and every packet p (in order) whose slot s = slots[p] has a
// destination in destinations[(r * slotsPerReader + s) * 32], sends p there: reader-major, so
// each reader's datagrams of a unit leave back to back. Datagrams are numbered in that order;
// `start` skips the first ones (a resumed call). With `gso`, runs of same-slot datagrams of one
// size (the last may be shorter) go as one UDP_SEGMENT message.
//
// out[0] datagrams sent, out[1] datagrams lost to per-destination errors, out[2] the number of
// the first datagram not handled (== total when done), out[3] last errno, out[4] why it stopped
// early: 0 not, 1 socket buffer full, 2 GSO refused; out[5] messages the kernel took (one per
// GSO run), so callers and tests can see how datagrams were grouped.
static napi_value send_fanout(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd = -1, slots_per_reader = 0, readers = 0, start = 0;
  bool gso = false;
  uint8_t *slots = NULL, *dests = NULL, *out_bytes = NULL;
  size_t slots_len = 0, dests_len = 0, out_len = 0;
  uint32_t packet_count = 0;
  bool is_array = false;
  if (argc < 9 || !get_int(env, argv[0], &fd) || napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &packet_count) != napi_ok || !get_bytes(env, argv[2], &slots, &slots_len) ||
      !get_bytes(env, argv[3], &dests, &dests_len) || !get_int(env, argv[4], &slots_per_reader) ||
      !get_int(env, argv[5], &readers) || !get_int(env, argv[6], &start) ||
      napi_get_value_bool(env, argv[7], &gso) != napi_ok) {
    napi_throw_type_error(env, NULL, "sendFanout(fd, packets, slots, destinations, slotsPerReader, readers, start, gso, out)");
    return NULL;
  }
  {
    bool is_typed = false;
    napi_typedarray_type type;
    size_t length;
    void* base;
    napi_value ab;
    size_t offset;
    if (napi_is_typedarray(env, argv[8], &is_typed) != napi_ok || !is_typed ||
        napi_get_typedarray_info(env, argv[8], &type, &length, &base, &ab, &offset) != napi_ok ||
        type != napi_int32_array || length < OUT_LENGTH) {
      napi_throw_type_error(env, NULL, "sendFanout: out must be an Int32Array of resultLength");
      return NULL;
    }
    out_bytes = (uint8_t*)base;
    out_len = length;
  }
  (void)out_len;
  int32_t* out = (int32_t*)out_bytes;
  if (slots_per_reader < 1 || slots_per_reader > 255 || readers < 0 || start < 0 || slots_len < packet_count ||
      dests_len < (size_t)readers * (size_t)slots_per_reader * DEST_SLOT_BYTES) {
    napi_throw_range_error(env, NULL, "sendFanout: slots, destinations or counts out of range");
    return NULL;
  }
  out[OUT_SENT] = 0;
  out[OUT_FAILED] = 0;
  out[OUT_NEXT] = start;
  out[OUT_ERRNO] = 0;
  out[OUT_STOP] = STOP_NONE;
  out[OUT_MESSAGES] = 0;
  if (packet_count == 0 || readers == 0) return NULL;

  state_t* state = NULL;
  CHECK(env, napi_get_instance_data(env, (void**)&state));
  batch_t* b = &state->batch;
  // Packets are looked up once per call, not once per reader.
  packet_t* packets = state->packets;
  if (packet_count > MAX_PACKETS) {
    napi_throw_range_error(env, NULL, "sendFanout: more than 8192 packets in one call");
    return NULL;
  }
  for (uint32_t p = 0; p < packet_count; p++) {
    napi_value element;
    size_t len = 0;
    CHECK(env, napi_get_element(env, argv[1], p, &element));
    if (!get_bytes(env, element, &packets[p].data, &len) || len == 0 || len > 65507 || slots[p] >= slots_per_reader) {
      napi_throw_type_error(env, NULL, "sendFanout: packets must be non-empty Uint8Arrays of at most 65507 bytes with slots in range");
      return NULL;
    }
    packets[p].len = (uint32_t)len;
  }

  uint32_t logical = 0;  // datagram number in reader-major order
  uint32_t n = 0, iov_used = 0;
  for (int32_t r = 0; r < readers; r++) {
    const uint8_t* reader_dests = dests + (size_t)r * (size_t)slots_per_reader * DEST_SLOT_BYTES;
    uint32_t p = 0;
    while (p < packet_count) {
      const uint8_t* dest = reader_dests + (size_t)slots[p] * DEST_SLOT_BYTES;
      socklen_t dest_len = slot_length(dest);
      if (dest_len == 0) {
        p++;
        continue;
      }
      // The run this message carries: one datagram, or with GSO the following same-slot
      // datagrams of the first one's size, the last of which may be shorter.
      uint32_t run = 1, bytes = packets[p].len;
      if (gso) {
        uint32_t size = packets[p].len;
        while (p + run < packet_count && run < GSO_MAX_SEGMENTS && slots[p + run] == slots[p] &&
               packets[p + run].len <= size && bytes + packets[p + run].len <= GSO_MAX_BYTES &&
               packets[p + run - 1].len == size) {
          bytes += packets[p + run].len;
          run++;
        }
      }
      if (logical + run <= (uint32_t)start) {
        logical += run;
        p += run;
        continue;
      }
      if (logical < (uint32_t)start) {
        // A resumed call starting inside a run: skip to the start datagram.
        uint32_t skip = (uint32_t)start - logical;
        logical += skip;
        p += skip;
        continue;
      }
      if (n == MAX_MESSAGES || iov_used + run > MAX_IOVECS) {
        uint32_t done = flush_batch(b, fd, n, out);
        if (done < n) {
          out[OUT_NEXT] = (int32_t)b->first[done];
          return NULL;
        }
        n = 0;
        iov_used = 0;
      }
      struct msghdr* h = &b->msgs[n].msg_hdr;
      memset(h, 0, sizeof *h);
      h->msg_name = (void*)dest;
      h->msg_namelen = dest_len;
      h->msg_iov = &b->iovs[iov_used];
      h->msg_iovlen = run;
      for (uint32_t k = 0; k < run; k++) {
        b->iovs[iov_used + k].iov_base = packets[p + k].data;
        b->iovs[iov_used + k].iov_len = packets[p + k].len;
      }
      if (run > 1) {
        h->msg_control = b->control[n].buf;
        h->msg_controllen = sizeof b->control[n].buf;
        struct cmsghdr* cm = CMSG_FIRSTHDR(h);
        cm->cmsg_level = SOL_UDP;
        cm->cmsg_type = UDP_SEGMENT;
        cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t segment = (uint16_t)packets[p].len;
        memcpy(CMSG_DATA(cm), &segment, sizeof segment);
      }
      b->first[n] = logical;
      b->count[n] = run;
      iov_used += run;
      n++;
      logical += run;
      p += run;
    }
  }
  uint32_t done = flush_batch(b, fd, n, out);
  out[OUT_NEXT] = (int32_t)(done < n ? b->first[done] : logical);
  return NULL;
}

static void free_state(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  free(data);
}

// The receive half (udp_receive.c).
napi_status udp_receive_init(napi_env env, napi_value exports);

static napi_value init(napi_env env, napi_value exports) {
  state_t* state = calloc(1, sizeof(state_t));
  if (!state || napi_set_instance_data(env, state, free_state, NULL) != napi_ok) {
    free(state);
    napi_throw_error(env, NULL, "udp_fanout: out of memory");
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"openSocket", NULL, open_socket, NULL, NULL, NULL, napi_default, NULL},
      {"closeSocket", NULL, close_socket, NULL, NULL, NULL, napi_default, NULL},
      {"supportsGso", NULL, supports_gso, NULL, NULL, NULL, napi_default, NULL},
      {"writeAddress", NULL, write_address, NULL, NULL, NULL, napi_default, NULL},
      {"sendFanout", NULL, send_fanout, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  // The limits callers must respect, so no copy of them is kept in TypeScript.
  const struct { const char* name; int32_t value; } limits[] = {
      {"maxPackets", MAX_PACKETS}, {"destinationBytes", DEST_SLOT_BYTES}, {"resultLength", OUT_LENGTH}};
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
    napi_value v;
    if (napi_create_int32(env, limits[i].value, &v) != napi_ok || napi_set_named_property(env, exports, limits[i].name, v) != napi_ok) return NULL;
  }
  if (udp_receive_init(env, exports) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
