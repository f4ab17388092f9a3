// Batched UDP receives for camera RTP: one recvmmsg(2) call takes every datagram waiting on a
// socket (up to the caller's slots) into one caller-owned buffer, and JavaScript is called once
// per wake-up, not once per datagram. node:dgram makes one recvmsg call, one 64 KiB allocation,
// one address object and one JS callback per datagram (docs/benchmarks.md, "pull").
//
// The socket stays node:dgram's (it binds the RTP/RTCP pair, closes it, and says which port it
// has); this module watches a duplicate of its descriptor with a libuv poll handle after the
// caller stopped dgram's own reading. Readable → the JS callback → `receiverRead` until it
// returns fewer than it asked for. What to do with the datagrams is decided in TypeScript.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

// Datagrams one receiverRead call takes at most (the caller passes how many slots it has).
#define MAX_RECEIVE 64
// Bytes of a source address as written for the caller: IPv6, IPv4 as v4-mapped.
#define SOURCE_BYTES 16

typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context async;
  int fd;
  int stopped;
  // The poll handle is closed (its close callback ran).
  int closed;
  // JavaScript dropped its handle: whoever comes last (close callback, finalizer) frees.
  int orphan;
} receiver_t;

static napi_value receive_error(napi_env env, const char* message) {
  napi_throw_error(env, NULL, message);
  return NULL;
}

static void on_readable(uv_poll_t* handle, int status, int events) {
  (void)events;
  receiver_t* r = (receiver_t*)handle->data;
  if (r->stopped) return;
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, global, arg, result;
  if (napi_get_reference_value(env, r->callback, &callback) == napi_ok && callback != NULL &&
      napi_get_global(env, &global) == napi_ok && napi_create_int32(env, status, &arg) == napi_ok) {
    // make_callback: as a node:dgram 'message' would be, with the microtasks run after it.
    napi_make_callback(env, r->async, global, callback, 1, &arg, &result);
  }
  napi_close_handle_scope(env, scope);
}

static void on_closed(uv_handle_t* handle) {
  receiver_t* r = (receiver_t*)handle->data;
  close(r->fd);
  napi_delete_reference(r->env, r->callback);
  napi_async_destroy(r->env, r->async);
  r->closed = 1;
  if (r->orphan) free(r);
}

static void stop(receiver_t* r) {
  if (r->stopped) return;
  r->stopped = 1;
  uv_poll_stop(&r->poll);
  uv_close((uv_handle_t*)&r->poll, on_closed);
}

// The JS handle was collected: the receiver is freed once its poll handle is closed too.
static void finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  receiver_t* r = (receiver_t*)data;
  r->orphan = 1;
  if (r->closed) free(r);
  else stop(r);
}

// receiverStart(fd: number, callback: (status: number) => void): External
static napi_value receiver_start(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd = -1;
  napi_valuetype type;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, "receiverStart(fd: number, callback: function)");
    return NULL;
  }
  uv_loop_t* loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return receive_error(env, "receiverStart: no event loop");
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return receive_error(env, "receiverStart: dup failed");
  receiver_t* r = calloc(1, sizeof *r);
  if (!r) {
    close(own);
    return receive_error(env, "receiverStart: out of memory");
  }
  r->env = env;
  r->fd = own;
  napi_value name;
  if (napi_create_reference(env, argv[1], 1, &r->callback) != napi_ok ||
      napi_create_string_utf8(env, "streamgate:udp-receive", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_async_init(env, NULL, name, &r->async) != napi_ok) {
    close(own);
    free(r);
    return receive_error(env, "receiverStart: N-API call failed");
  }
  if (uv_poll_init(loop, &r->poll, own) != 0) {
    close(own);
    napi_delete_reference(env, r->callback);
    napi_async_destroy(env, r->async);
    free(r);
    return receive_error(env, "receiverStart: uv_poll_init failed");
  }
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, on_readable);
  napi_value external;
  if (napi_create_external(env, r, finalize, NULL, &external) != napi_ok) return NULL;
  return external;
}

static receiver_t* get_receiver(napi_env env, napi_value v) {
  void* data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return (receiver_t*)data;
}

static int typed_bytes(napi_env env, napi_value v, napi_typedarray_type want, void** base, size_t* length) {
  bool is_typed = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_is_typedarray(env, v, &is_typed) != napi_ok || !is_typed) return 0;
  if (napi_get_typedarray_info(env, v, &type, length, base, &ab, &offset) != napi_ok) return 0;
  return type == want;
}

// receiverRead(receiver, buffer: Uint8Array, slotBytes: number, lengths: Int32Array,
//              sources: Uint8Array, max: number): number
// Datagram i lands at buffer[i * slotBytes]; lengths[i] is its size, or -1 when it was longer
// than a slot (cut: drop it); sources[i * 16] its sender (IPv6, IPv4 v4-mapped). Returns how
// many were read (0: none waiting).
static napi_value receiver_read(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  receiver_t* r = argc == 6 ? get_receiver(env, argv[0]) : NULL;
  void *buffer, *lengths_base, *sources_base;
  size_t buffer_len, lengths_len, sources_len;
  int32_t slot = 0, max = 0;
  if (!r || !typed_bytes(env, argv[1], napi_uint8_array, &buffer, &buffer_len) ||
      napi_get_value_int32(env, argv[2], &slot) != napi_ok || slot <= 0 ||
      !typed_bytes(env, argv[3], napi_int32_array, &lengths_base, &lengths_len) ||
      !typed_bytes(env, argv[4], napi_uint8_array, &sources_base, &sources_len) ||
      napi_get_value_int32(env, argv[5], &max) != napi_ok || max <= 0) {
    napi_throw_type_error(env, NULL, "receiverRead(receiver, buffer, slotBytes, lengths, sources, max)");
    return NULL;
  }
  if (max > MAX_RECEIVE) max = MAX_RECEIVE;
  if ((size_t)max * (size_t)slot > buffer_len || (size_t)max > lengths_len || (size_t)max * SOURCE_BYTES > sources_len) {
    napi_throw_range_error(env, NULL, "receiverRead: buffers smaller than max datagrams");
    return NULL;
  }
  napi_value result;
  if (r->stopped) {
    napi_create_int32(env, 0, &result);
    return result;
  }
  struct mmsghdr msgs[MAX_RECEIVE];
  struct iovec iovs[MAX_RECEIVE];
  struct sockaddr_storage from[MAX_RECEIVE];
  memset(msgs, 0, sizeof(struct mmsghdr) * (size_t)max);
  for (int i = 0; i < max; i++) {
    iovs[i].iov_base = (uint8_t*)buffer + (size_t)i * (size_t)slot;
    iovs[i].iov_len = (size_t)slot;
    msgs[i].msg_hdr.msg_iov = &iovs[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof from[i];
  }
  int n;
  do {
    n = recvmmsg(r->fd, msgs, (unsigned)max, MSG_DONTWAIT, NULL);
  } while (n < 0 && errno == EINTR);
  if (n < 0) n = 0;  // EAGAIN (nothing waiting) or a queued ICMP error: nothing read
  int32_t* lengths = (int32_t*)lengths_base;
  uint8_t* sources = (uint8_t*)sources_base;
  for (int i = 0; i < n; i++) {
    lengths[i] = (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) ? -1 : (int32_t)msgs[i].msg_len;
    uint8_t* s = sources + (size_t)i * SOURCE_BYTES;
    memset(s, 0, SOURCE_BYTES);
    if (from[i].ss_family == AF_INET) {
      s[10] = 0xff;
      s[11] = 0xff;
      memcpy(s + 12, &((struct sockaddr_in*)&from[i])->sin_addr, 4);
    } else if (from[i].ss_family == AF_INET6) {
      memcpy(s, &((struct sockaddr_in6*)&from[i])->sin6_addr, 16);
    }
  }
  napi_create_int32(env, n, &result);
  return result;
}

// receiverStop(receiver): stops watching and closes the duplicate descriptor (idempotent).
static napi_value receiver_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  receiver_t* r = argc == 1 ? get_receiver(env, argv[0]) : NULL;
  if (!r) {
    napi_throw_type_error(env, NULL, "receiverStop(receiver)");
    return NULL;
  }
  stop(r);
  return NULL;
}

napi_status udp_receive_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"receiverStart", NULL, receiver_start, NULL, NULL, NULL, napi_default, NULL},
      {"receiverRead", NULL, receiver_read, NULL, NULL, NULL, napi_default, NULL},
      {"receiverStop", NULL, receiver_stop, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_status s = napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  if (s != napi_ok) return s;
  const struct { const char* name; int32_t value; } limits[] = {{"maxReceive", MAX_RECEIVE}, {"sourceBytes", SOURCE_BYTES}};
  for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
    napi_value v;
    s = napi_create_int32(env, limits[i].value, &v);
    if (s == napi_ok) s = napi_set_named_property(env, exports, limits[i].name, v);
    if (s != napi_ok) return s;
  }
  return napi_ok;
}
