// Loop::post and Loop::stop against the loop's destruction: both are safe
// from any thread until the destructor starts, and the destructor waits
// for the calls in progress. Before, post() woke the loop after releasing
// its lock, so the loop thread could run the job and destroy the loop
// while the poster was still writing to the wake-up descriptor (TSan: that
// write against the poller's destructor). Run under TSan by
// ci/sanitize.sh ("[thread]").
#include "support/catch.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "support/helpers.hpp"

using namespace std::chrono_literals;

namespace {

constexpr int kRounds = 200;

// The loop thread runs a job posted from another thread and destroys the
// loop the moment the job has run: the poster may still be inside post()
// (or stop()). `call` is what the other thread does after the job is
// queued.
template <typename Call>
void destroyRightAfterPost(Call call) {
  for (int round = 0; round < kRounds; ++round) {
    auto loop = std::make_unique<dgram::Loop>();
    std::atomic<bool> ran{false};
    dgram::Loop* raw = loop.get();
    std::thread poster([raw, &ran, &call] {
      raw->post([&ran] { ran.store(true); });
      call(*raw);
    });
    auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!ran.load() && std::chrono::steady_clock::now() < deadline)
      loop->runOnce(10ms);
    REQUIRE(ran.load());
    loop.reset();  // while the poster may still be inside post()/stop()
    poster.join();
  }
}

}  // namespace

TEST_CASE("the loop may be destroyed as soon as a posted job ran",
          "[loop][thread]") {
  // The job is the poster's last use of the loop: post() must be done with
  // the loop before the job can run (or the destructor must wait for it).
  destroyRightAfterPost([](dgram::Loop&) {});
}

TEST_CASE("post() of a job that stops the loop, then destruction",
          "[loop][thread]") {
  for (int round = 0; round < kRounds; ++round) {
    auto loop = std::make_unique<dgram::Loop>();
    auto guard = loop->setTimeout(10s, [] {});
    dgram::Loop* raw = loop.get();
    std::thread poster([raw, guard] {
      raw->post([raw, guard] {
        raw->clearTimeout(guard);
        raw->stop();
      });
    });
    auto start = std::chrono::steady_clock::now();
    loop->run();
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    loop.reset();
    poster.join();
  }
}
