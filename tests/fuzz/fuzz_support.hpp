#pragma once
// Shared by the fuzz targets: the libFuzzer entry point's contract, the documented-error
// filter, a scratch file for parsers that read a path, and a byte reader for the structural
// (generator-driven) targets.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <string_view>

#include "sweep/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace phasecube::fuzz {

// Runs `parse`; bad input (InputError, the documented outcome: one line, exit 2) is fine.
// Anything else escapes to std::terminate: the fuzzer reports it as a finding.
template <class F>
void expect_input_errors(F&& parse) {
  try {
    parse();
  } catch (const InputError&) {
  }
}

// A property the parser promised does not hold: report it and abort (a finding).
[[noreturn]] inline void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz: property violated: %s\n", what.c_str());
  std::abort();
}

// One file per process in a memory file system when there is one (each run rewrites it);
// removed at exit.
class ScratchFile {
 public:
  explicit ScratchFile(const char* suffix) {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::getenv("TMPDIR");
    path_ = std::string(dir != nullptr ? dir : "/tmp") + "/phasecube-fuzz-" +
            std::to_string(getpid()) + suffix;
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const std::string& path() const { return path_; }
  const std::string& write(std::string_view bytes) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path_;
  }

 private:
  std::string path_;
};

// Consumes the fuzzer's bytes as choices; past the end every choice is 0 (so every input,
// however short, builds something).
class Bytes {
 public:
  Bytes(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}
  std::uint8_t byte() { return p_ < end_ ? *p_++ : 0; }
  // A value in [0, n), n <= 256.
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : byte() % n; }
  bool flag() { return (byte() & 1) != 0; }
  template <class T>
  T raw() {
    // Assembled in an integer, not a byte array: GCC 12 warns falsely (-Wstringop-overflow)
    // on the unrolled byte loop.
    static_assert(sizeof(T) <= sizeof(std::uint64_t));
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) bits |= std::uint64_t{byte()} << (8 * i);
    T v{};
    std::memcpy(&v, &bits, sizeof(T));  // little-endian hosts: the bytes in order
    return v;
  }
  // Up to `max` bytes, length first.
  std::string text(std::size_t max) {
    std::string s(pick(max + 1), '\0');
    for (auto& c : s) c = static_cast<char>(byte());
    return s;
  }
  // An entry of a list of choices.
  template <class List>
  const auto& one_of(const List& list) {
    return list[pick(std::size(list))];
  }

 private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

}  // namespace phasecube::fuzz
