// Fuzz target: the CSV reader of `phasecube diagnose` (header row, quotes, blank lines, CRLF,
// trailing commas, missing fields), on the raw file bytes, and the label table built from it.
// Property: a rectangular matrix with at least one row and one column.
#include <sstream>
#include <string>

#include "fuzz_support.hpp"
#include "io/data_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  phasecube::fuzz::expect_input_errors([&] {
    const Eigen::MatrixXd m = phasecube::parse_csv(in, "--x fuzz.csv");
    if (m.rows() < 1 || m.cols() < 1) phasecube::fuzz::broken("an empty matrix");
    const phasecube::LabelTable t = phasecube::make_label_table(m);
    if (t.values.rows() != m.rows()) phasecube::fuzz::broken("label rows differ from data rows");
  });
  return 0;
}
