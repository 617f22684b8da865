// Standalone asio: async_send_to with a small handler and one
// async_receive_from always pending on the server, on one io_context.
#define ASIO_STANDALONE
#include <asio.hpp>

#include "bench.hpp"

namespace bench {
namespace {

using asio::ip::udp;

class AsioRun {
 public:
  explicit AsioRun(const Params& params)
      : window_(params),
        data_(payload(params.size)),
        server_(context_, udp::endpoint(asio::ip::address_v4::loopback(), 0)),
        client_(context_, udp::endpoint(asio::ip::address_v4::loopback(), 0)),
        destination_(server_.local_endpoint()) {
    server_.set_option(
        asio::socket_base::receive_buffer_size(params.recvBufferSize));
  }

  Result run() {
    receive();
    clock_.start();
    for (std::uint64_t n = window_.initial(); n > 0; --n)
      send();
    context_.run();
    return Result{window_.receivedCount(), elapsed_};
  }

 private:
  void send() {
    client_.async_send_to(asio::buffer(data_), destination_,
                          [](const asio::error_code& error, std::size_t) {
                            if (error) fail(error.message());
                          });
  }

  void receive() {
    server_.async_receive_from(
        asio::buffer(arena_), from_,
        [this](const asio::error_code& error, std::size_t) {
          if (error) fail(error.message());
          if (window_.onReceive()) send();
          if (!window_.done()) return receive();
          elapsed_ = clock_.seconds();
          server_.close();
          client_.close();
        });
  }

  Window window_;
  std::vector<char> data_;
  std::vector<char> arena_ = std::vector<char>(65536);
  asio::io_context context_{1};
  udp::socket server_;
  udp::socket client_;
  udp::endpoint destination_;
  udp::endpoint from_;
  Stopwatch clock_;
  double elapsed_ = 0;
};

}  // namespace

Result runAsio(const Params& params) {
  return AsioRun(params).run();
}

}  // namespace bench
