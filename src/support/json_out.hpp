#pragma once
// The one JSON writer of `validate --json` and `diagnose --json`.
#include <iosfwd>
#include <nlohmann/json.hpp>

namespace phasecube {

// Keys stay in the order they are added: the order a reader of the output sees.
using Json = nlohmann::ordered_json;

// Writes `doc`, indented by two spaces, and a newline. The convention of both commands:
// - finite numbers are written so they parse back to the same double (shortest round trip);
// - non-finite numbers become the strings "inf", "-inf" and "nan": JSON has no literal for
//   them, and null would lose the sign and read as "absent" (Python's float() takes all three);
// - strings are escaped as JSON requires (quotes, backslashes, control bytes such as a tab);
//   a byte that is not valid UTF-8 (a path is any bytes) becomes U+FFFD, so the output is
//   always valid UTF-8 JSON and writing never fails on a name.
void write_json(Json doc, std::ostream& out);

}  // namespace phasecube
