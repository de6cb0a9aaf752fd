// The small text helpers every report and message shares (support/text.hpp, format_list in
// phasecube/model.hpp): one home each, with the exact texts the reports have always printed.
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <limits>

#include "phasecube/model.hpp"
#include "support/text.hpp"

namespace phasecube {
namespace {

TEST(TextHelpers, SignificantTextIsPrintfG) {
  EXPECT_EQ(significant_text(0.123456, 4), "0.1235");
  EXPECT_EQ(significant_text(1e-6, 4), "1e-06");
  EXPECT_EQ(significant_text(123456, 4), "1.235e+05");
  EXPECT_EQ(significant_text(std::numeric_limits<double>::infinity(), 4), "inf");
  EXPECT_EQ(significant_text(-std::numeric_limits<double>::infinity(), 4), "-inf");
  // Any NaN is "nan", whatever its sign bit (printf would write "-nan").
  EXPECT_EQ(significant_text(std::numeric_limits<double>::quiet_NaN(), 4), "nan");
  EXPECT_EQ(significant_text(-std::numeric_limits<double>::quiet_NaN(), 4), "nan");
}

TEST(TextHelpers, GridValuesAreExactAndIntegersStayIntegers) {
  EXPECT_EQ(grid_value_text(100000), "100000");
  EXPECT_EQ(grid_value_text(0.1), "0.1");
  EXPECT_EQ(grid_value_text(0.05), "0.05");
  EXPECT_EQ(grid_value_text(1.0 / 3.0), "0.3333333333");
  EXPECT_EQ(grid_value_text(2e9), "2000000000");
}

TEST(TextHelpers, PercentOfNothingIsZero) {
  EXPECT_EQ(percent_text(1.0, 8.0), "12.5%");
  EXPECT_EQ(percent_text(2.0, 3.0), "66.7%");
  EXPECT_EQ(percent_text(0.0, 0.0), "0.0%");
  EXPECT_EQ(percent_text(5.0, 0.0), "0.0%");
  EXPECT_EQ(percent_text(std::size_t{621}, std::size_t{4200}), "14.8%");  // counts of cells
  EXPECT_EQ(percent_text(std::size_t{3}, std::size_t{0}), "0.0%");
}

TEST(TextHelpers, ListsJoinWithCommaSpace) {
  EXPECT_EQ(join_numbers({}, grid_value_text), "");
  EXPECT_EQ(join_numbers({100000, 0.5}, grid_value_text), "100000, 0.5");
  // format_list: shortest round-trip text of each value, as messages and configs print it.
  EXPECT_EQ(format_list({1, 2.5, 1e-6, 100000}), "1, 2.5, 1e-06, 1e+05");
  EXPECT_EQ(format_list({0.1}), "0.1");
  EXPECT_EQ(format_list({std::numeric_limits<double>::infinity()}), "inf");
}

}  // namespace
}  // namespace phasecube
