#include "support/text.hpp"

#include <cmath>
#include <cstdio>

namespace phasecube {

bool strip_utf8_bom(std::string& text) {
  if (!text.starts_with("\xEF\xBB\xBF")) return false;
  text.erase(0, 3);
  return true;
}

std::string printable_line(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (c == '\n' || c == '\r') {
      out += ' ';
    } else if (b < 0x20 || b == 0x7f) {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", b);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

std::string significant_text(double v, int digits) {
  if (std::isnan(v)) return "nan";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

std::string grid_value_text(double v) {
  return significant_text(v, 10);
}

std::string percent_text(double part, double whole) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", whole > 0 ? 100.0 * part / whole : 0.0);
  return buf;
}

std::string percent_text(std::size_t part, std::size_t whole) {
  return percent_text(static_cast<double>(part), static_cast<double>(whole));
}

std::string join_numbers(const std::vector<double>& v, std::string (*text)(double)) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + text(v[i]);
  return s;
}

}  // namespace phasecube
