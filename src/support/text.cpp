#include "support/text.hpp"

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

}  // namespace phasecube
