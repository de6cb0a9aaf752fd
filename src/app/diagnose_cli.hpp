#pragma once
// `phasecube diagnose` command line: parses options, reads the files, runs the procedure,
// prints the report (or JSON) and optionally the plot. Throws InputError for bad input.
#include <string>
#include <vector>

namespace phasecube {

// `args` are the arguments after "diagnose"; `exe` is argv[0] (to find tools/ for --plot).
int diagnose_command(const std::vector<std::string>& args, const std::string& exe);

}  // namespace phasecube
