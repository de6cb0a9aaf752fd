// Fuzz target: the NumPy .npy reader of `phasecube diagnose` (header dictionary, dtype,
// shape against the bytes present), on the raw file bytes.
// Property: the matrix has the shape of at most the data present.
#include <sstream>
#include <string>

#include "fuzz_support.hpp"
#include "io/data_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  phasecube::fuzz::expect_input_errors([&] {
    const Eigen::MatrixXd m = phasecube::parse_npy(in, "--x fuzz.npy");
    if (static_cast<std::size_t>(m.size()) * 4 > size)
      phasecube::fuzz::broken("more values than bytes in the file");
  });
  return 0;
}
