// dgramcat: a netcat for UDP on the dgram library. See helpText() in
// options.cpp for what it does.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "dgram/dgram.hpp"
#include "dgramcat/options.hpp"
#include "dgramcat/run.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  const auto parsed = dgramcat::parseOptions(args);
  if (!parsed.ok()) {
    std::cerr << "dgramcat: " << parsed.error << " (try --help)" << std::endl;
    return 2;
  }
  const auto& options = *parsed.options;
  try {
    switch (options.action) {
      case dgramcat::Action::help:
        std::cout << dgramcat::helpText() << std::flush;
        return 0;
      case dgramcat::Action::version:
        std::cout << dgramcat::versionText() << " ("
                  << dgram::Loop::defaultLoop().backend() << " backend)"
                  << std::endl;
        return 0;
      case dgramcat::Action::run:
        return dgramcat::run(options);
    }
  } catch (const std::exception& err) {
    std::cerr << "dgramcat: " << err.what() << std::endl;
  }
  return 1;
}
