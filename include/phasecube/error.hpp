#pragma once
// The one error type of bad input, shared by every layer: the CLI prints message() as one
// line and exits with code 2.
#include <stdexcept>
#include <string>

namespace phasecube {

// Bad input: one line naming what is wrong; the CLI prints it and exits with code 2.
// message() is the whole text: what() would stop at a NUL byte quoted from the input.
struct InputError : std::runtime_error {
  explicit InputError(const std::string& message)
      : std::runtime_error(message), message_(message) {}
  explicit InputError(const char* message) : InputError(std::string(message)) {}
  const std::string& message() const noexcept { return message_; }

 private:
  std::string message_;
};

}  // namespace phasecube
