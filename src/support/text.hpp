#pragma once
// Text helpers shared by every reader of user text (INI configs, CSV data), by the one-line
// error output of the executable and by the reports (inspect, validate, diagnose).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace phasecube {

// Removes a leading UTF-8 byte order mark (EF BB BF), which editors on Windows write and
// which is not part of the first line's text. Returns whether one was removed.
bool strip_utf8_bom(std::string& text);

// `text` with every control byte (0x00-0x1f, 0x7f) written as \xNN and line breaks as spaces,
// so a message quoting hostile input stays one printable line (an embedded NUL included).
std::string printable_line(std::string_view text);

// `v` to `digits` significant digits (printf %g), "nan" for any NaN: 4 digits for reports
// ("0.1235", "1e-06"), 10 for grid values (exact for values people type, short for computed
// ones, and "100000", not "1e+05").
std::string significant_text(double v, int digits);
// A grid value or count for a summary: significant_text(v, 10).
std::string grid_value_text(double v);

// "12.5%": `part` as a share of `whole`, one decimal (0.0% of nothing).
std::string percent_text(double part, double whole);
// The same for counts (of cells, of trials).
std::string percent_text(std::size_t part, std::size_t whole);

// "a, b, c": each value of `v` as `text` writes it, joined by ", ".
std::string join_numbers(const std::vector<double>& v, std::string (*text)(double));

}  // namespace phasecube
