// A program that uses dgram only through the consumer's shared library.
#include <iostream>

#include "plugin.hpp"

int main() {
  std::string got = plugin_roundtrip("hello from a plugin");
  std::cout << "plugin_host: " << (got.empty() ? "FAILED" : "ok") << "\n";
  return got.empty() ? 1 : 0;
}
