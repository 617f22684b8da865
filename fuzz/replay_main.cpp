// The fuzz targets' main() for compilers without libFuzzer: runs
// LLVMFuzzerTestOneInput once on every file named on the command line or
// found in a named directory, so the seed corpora replay as plain tests.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);

namespace {

namespace fs = std::filesystem;

bool replay(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", file.string().c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  // A copy of exactly the input's size, so ASan catches reads past it.
  std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
  static std::uint8_t none;  // libFuzzer too passes a valid pointer
  auto* data = input.empty() ? &none : input.data();
  LLVMFuzzerTestOneInput(data, input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path arg = argv[i];
    std::vector<fs::path> files;
    if (fs::is_directory(arg)) {
      for (const auto& entry : fs::directory_iterator(arg))
        if (entry.is_regular_file()) files.push_back(entry.path());
      std::sort(files.begin(), files.end());  // a stable order
    } else {
      files.push_back(arg);
    }
    for (const auto& file : files) {
      std::printf("replaying %s\n", file.string().c_str());
      std::fflush(stdout);
      if (!replay(file)) return 1;
      ++count;
    }
  }
  if (count == 0) {
    std::fprintf(stderr, "no inputs given\n");
    return 1;
  }
  std::printf("replayed %zu inputs, no failure\n", count);
  return 0;
}
