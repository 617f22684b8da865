// libuv: uv_udp_send from a pool of requests (one per datagram in flight)
// and uv_udp_recv_start on the server, libuv's default receive mode.
#include <uv.h>

#include "bench.hpp"

namespace bench {
namespace {

struct State {
  explicit State(const Params& params) : window(params) {}
  Window window;
  uv_udp_t server{};
  uv_udp_t client{};
  sockaddr_in destination{};
  uv_buf_t data{};
  std::vector<uv_udp_send_t> requests;
  std::vector<uv_udp_send_t*> free;
  std::vector<char> arena = std::vector<char>(65536);
  Stopwatch clock;
  double elapsed = 0;
};

void onSent(uv_udp_send_t* request, int status) {
  if (status != 0) fail(uv_strerror(status));
  static_cast<State*>(request->data)->free.push_back(request);
}

void send(State& state) {
  uv_udp_send_t* request = state.free.back();
  state.free.pop_back();
  request->data = &state;
  int rc = uv_udp_send(request, &state.client, &state.data, 1,
                       reinterpret_cast<const sockaddr*>(&state.destination),
                       onSent);
  if (rc != 0) fail(uv_strerror(rc));
}

void onAlloc(uv_handle_t* handle, std::size_t, uv_buf_t* buf) {
  auto& state = *static_cast<State*>(handle->data);
  *buf = uv_buf_init(state.arena.data(),
                     static_cast<unsigned>(state.arena.size()));
}

void onReceive(uv_udp_t* handle, ssize_t nread, const uv_buf_t*,
               const sockaddr* from, unsigned) {
  if (nread < 0) fail(uv_strerror(static_cast<int>(nread)));
  if (from == nullptr) return;  // nothing more to read for now
  auto& state = *static_cast<State*>(handle->data);
  if (state.window.onReceive()) send(state);
  if (state.window.done()) {
    state.elapsed = state.clock.seconds();
    uv_close(reinterpret_cast<uv_handle_t*>(&state.server), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&state.client), nullptr);
  }
}

void bindLoopback(uv_udp_t& handle, sockaddr_in& address) {
  uv_ip4_addr("127.0.0.1", 0, &address);
  int length = sizeof address;
  if (uv_udp_bind(&handle, reinterpret_cast<const sockaddr*>(&address), 0) ||
      uv_udp_getsockname(&handle, reinterpret_cast<sockaddr*>(&address),
                         &length))
    fail("libuv: bind");
}

}  // namespace

Result runLibuv(const Params& params) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  State state(params);
  std::vector<char> data = payload(params.size);
  state.data = uv_buf_init(data.data(), static_cast<unsigned>(data.size()));
  state.requests.resize(params.window);
  for (auto& request : state.requests)
    state.free.push_back(&request);

  uv_udp_init(&loop, &state.server);
  uv_udp_init(&loop, &state.client);
  state.server.data = &state;
  sockaddr_in clientAddress;
  bindLoopback(state.server, state.destination);
  bindLoopback(state.client, clientAddress);
  int size = params.recvBufferSize;
  uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(&state.server), &size);
  uv_udp_recv_start(&state.server, onAlloc, onReceive);

  state.clock.start();
  for (std::uint64_t n = state.window.initial(); n > 0; --n)
    send(state);
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_loop_close(&loop);
  return Result{state.window.receivedCount(), state.elapsed};
}

}  // namespace bench
