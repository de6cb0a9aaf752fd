#pragma once
// Byte-level text helpers shared by every reader of user text (INI configs, CSV data) and by
// the one-line error output of the executable.
#include <string>
#include <string_view>

namespace phasecube {

// Removes a leading UTF-8 byte order mark (EF BB BF), which editors on Windows write and
// which is not part of the first line's text. Returns whether one was removed.
bool strip_utf8_bom(std::string& text);

// `text` with every control byte (0x00-0x1f, 0x7f) written as \xNN and line breaks as spaces,
// so a message quoting hostile input stays one printable line (an embedded NUL included).
std::string printable_line(std::string_view text);

}  // namespace phasecube
