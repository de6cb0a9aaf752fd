#pragma once
// The command line of every subcommand (run, theory, inspect, validate, diagnose), parsed
// alike: the same refusals with the same wording, and one syntax for numbers.
#include <boost/program_options.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sweep/config.hpp"

namespace phasecube::cli {

struct CommandLine {
  boost::program_options::variables_map options;
  // Plain arguments, in order; with `overrides`, every token Boost did not recognise.
  std::vector<std::string> rest;
};

// Parses the arguments of `phasecube <command>` against `opts` (no prefix guessing). Throws
// InputError ("...; see phasecube <command> --help") for an unknown option, an option given
// twice, an option without its value (also when the next token is another --option), and
// more than `positionals` plain arguments. With `overrides` (run, theory) unknown tokens are
// returned in `rest` instead, for the config layer's --section.key=value.
CommandLine parse(const std::vector<std::string>& args,
                  const boost::program_options::options_description& opts,
                  const std::string& command, std::size_t positionals, bool overrides = false);

// The InputError for a bad command line of `command`, with the pointer to its help.
InputError usage_error(const std::string& command, const std::string& message);

// Numbers on the command line: the config grammar's one syntax (decimal or scientific, an
// optional sign; no blanks, hex, nan or inf), so "--folds 1e1" is 10 as "folds = 1e1" is.
// Integers must be integral values; unsigned ones written in digits are exact to 2^64 - 1.
// Out of [lo, hi] (or below lo) is refused; `option` names it ("--folds").
long long integer(const std::string& option, const std::string& text, long long lo, long long hi);
std::uint64_t unsigned_integer(const std::string& option, const std::string& text);
double real(const std::string& option, const std::string& text, double lo);

// The option's value in `vm` (declared as po::value<std::string>) read as above.
long long integer(const boost::program_options::variables_map& vm, const std::string& name,
                  long long lo, long long hi);
std::uint64_t unsigned_integer(const boost::program_options::variables_map& vm,
                               const std::string& name);
double real(const boost::program_options::variables_map& vm, const std::string& name, double lo);

}  // namespace phasecube::cli
