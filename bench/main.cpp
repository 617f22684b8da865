// The bench driver: runs every variant side by side, interleaved (raw,
// dgram, libuv, asio, node, raw, dgram, ...) so that the noise of a shared
// machine hits them alike, and prints the median rate and its ratio to raw.
//
// Usage: dgram_bench [--variants raw,dgram,...] [--sizes 64,1200] [--reps 3]
//                    [--seconds 1.5] [--window 64] [--count N]
//                    [--node-script PATH]
// --count fixes N (no calibration), e.g. for callgrind.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "bench.hpp"

namespace bench {

void fail(const std::string& what) {
  std::cerr << "dgram_bench: " << what << std::endl;
  std::_Exit(1);
}

namespace {

struct Variant {
  std::string name;
  std::function<Result(const Params&)> run;
  std::string missing;  // why it is skipped, if it is
};

struct Options {
  std::vector<std::string> variants{"raw", "dgram", "libuv", "asio", "node"};
  std::vector<std::size_t> sizes{64, 1200};
  int reps = 3;
  double seconds = 1.5;
  std::uint64_t window = 64;
  std::uint64_t count = 0;
  std::string nodeScript = DGRAM_BENCH_NODE_SCRIPT;
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');)
    parts.push_back(part);
  return parts;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--variants") {
      options.variants = split(value);
    } else if (flag == "--sizes") {
      options.sizes.clear();
      for (const auto& size : split(value))
        options.sizes.push_back(std::stoul(size));
    } else if (flag == "--reps") {
      options.reps = std::stoi(value);
    } else if (flag == "--seconds") {
      options.seconds = std::stod(value);
    } else if (flag == "--window") {
      options.window = std::stoull(value);
    } else if (flag == "--count") {
      options.count = std::stoull(value);
    } else if (flag == "--node-script") {
      options.nodeScript = value;
    } else {
      fail("unknown option " + flag + " (see the top of bench/main.cpp)");
    }
  }
  if (argc % 2 == 0) fail("every option takes a value");
  if (options.reps < 1) fail("--reps must be at least 1");
  return options;
}

Variant makeVariant(const std::string& name, const Options& options) {
  if (name == "raw") return {name, runRaw, ""};
  if (name == "dgram") return {name, runDgram, ""};
#ifdef DGRAM_BENCH_HAVE_LIBUV
  if (name == "libuv") return {name, runLibuv, ""};
#else
  if (name == "libuv") return {name, nullptr, "libuv1-dev not found"};
#endif
#ifdef DGRAM_BENCH_HAVE_ASIO
  if (name == "asio") return {name, runAsio, ""};
#else
  if (name == "asio") return {name, nullptr, "libasio-dev not found"};
#endif
  if (name == "node") {
    if (std::system("node --version >/dev/null 2>&1") != 0)
      return {name, nullptr, "node not found"};
    if (::access(options.nodeScript.c_str(), R_OK) != 0)
      return {name, nullptr, options.nodeScript + " not found"};
    std::string script = options.nodeScript;
    return {name, [script](const Params& p) { return runNode(p, script); }, ""};
  }
  fail("unknown variant " + name);
}

// A run that stalls (a lost datagram would) ends the bench visibly.
void onAlarm(int) {
  const char text[] = "dgram_bench: a run stalled (lost datagram?)\n";
  ssize_t ignored = ::write(2, text, sizeof text - 1);
  (void)ignored;
  std::_Exit(3);
}

Result measure(const Variant& variant, const Params& params) {
  ::alarm(120);
  Result result = variant.run(params);
  ::alarm(0);
  if (result.datagrams != params.count) fail(variant.name + ": count mismatch");
  return result;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  Options options = parse(argc, argv);
  ::signal(SIGALRM, onAlarm);

  std::vector<Variant> variants;
  for (const auto& name : options.variants) {
    Variant variant = makeVariant(name, options);
    if (variant.run)
      variants.push_back(variant);
    else
      std::cout << "SKIPPED " << name << ": " << variant.missing << "\n";
  }

  // rates[size][variant] = datagrams/s of every repetition
  std::map<std::size_t, std::map<std::string, std::vector<double>>> rates;
  for (std::size_t size : options.sizes) {
    std::map<std::string, std::uint64_t> counts;
    for (const auto& variant : variants) {
      Params params;
      params.size = size;
      params.window = options.window;
      params.count = options.count;
      if (params.count == 0) {  // calibrate (and warm up) on a short run
        params.count = 20000;
        double rate = measure(variant, params).rate();
        params.count = std::max<std::uint64_t>(
            20000, static_cast<std::uint64_t>(rate * options.seconds));
      }
      counts[variant.name] = params.count;
    }
    for (int rep = 0; rep < options.reps; ++rep) {
      for (const auto& variant : variants) {
        Params params;
        params.size = size;
        params.window = options.window;
        params.count = counts[variant.name];
        Result result = measure(variant, params);
        rates[size][variant.name].push_back(result.rate());
        std::fprintf(
            stderr,
            "  %5zu B  %-6s run %d: %9.0f datagrams/s (N=%llu, %.2f s)\n", size,
            variant.name.c_str(), rep + 1, result.rate(),
            static_cast<unsigned long long>(params.count), result.seconds);
      }
    }
  }

  std::printf("\nloopback UDP, one thread, window %llu, %d runs each\n",
              static_cast<unsigned long long>(options.window), options.reps);
  std::printf("%6s  %-6s  %14s  %23s  %6s\n", "size", "variant", "datagrams/s",
              "(min - max)", "vs raw");
  for (std::size_t size : options.sizes) {
    auto& bySize = rates[size];
    double raw = bySize.count("raw") ? median(bySize["raw"]) : 0;
    for (const auto& variant : variants) {
      const auto& values = bySize[variant.name];
      double mid = median(values);
      auto [lo, hi] = std::minmax_element(values.begin(), values.end());
      std::printf("%6zu  %-6s  %14.0f  (%9.0f - %9.0f)  ", size,
                  variant.name.c_str(), mid, *lo, *hi);
      if (raw > 0)
        std::printf("%6.2f\n", mid / raw);
      else
        std::printf("%6s\n", "-");
    }
  }
  return 0;
}
