#include "app/cli.hpp"

#include <cctype>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sweep/config.hpp"
#include "sweep/config_text.hpp"

namespace po = boost::program_options;

namespace phasecube::cli {

namespace {

// Prefix matching of long options would let a typo silently pick another option.
constexpr int kStyle =
    po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

// Boost takes the token after an option as its value even when it is the next option
// ("--x --y FILE" would read x from "--y"): that is a missing value.
void check_values(const po::parsed_options& parsed, const std::string& command) {
  for (const auto& o : parsed.options) {
    if (o.unregistered || o.original_tokens.size() < 2) continue;
    for (std::size_t i = 1; i < o.original_tokens.size(); ++i)
      if (o.original_tokens[i].starts_with("--"))
        throw usage_error(command, "option '--" + o.string_key + "' needs a value (got '" +
                                       o.original_tokens[i] + "')");
  }
}

// Boost's errors in our wording: the same line for the same mistake in every subcommand.
InputError reworded(const po::error& e, const std::string& command) {
  if (const auto* m = dynamic_cast<const po::multiple_occurrences*>(&e))
    return usage_error(command, "option '" + m->get_option_name() + "' is given more than once");
  if (const auto* s = dynamic_cast<const po::invalid_command_line_syntax*>(&e);
      s && s->kind() == po::invalid_syntax::missing_parameter)
    return usage_error(command, "option '" + s->get_option_name() + "' needs a value");
  if (const auto* u = dynamic_cast<const po::unknown_option*>(&e))
    return usage_error(command, "unknown option '" + u->get_option_name() + "'");
  return usage_error(command, e.what());
}

// The config grammar's one number syntax (parse_number_list, config_text.hpp) for a whole
// option value, with the command line's message: "--folds '1x': must be ...".
double one_number(const std::string& option, const std::string& text, const std::string& want) {
  const bool blanks = text.empty() || std::isspace(static_cast<unsigned char>(text.front())) ||
                      std::isspace(static_cast<unsigned char>(text.back()));
  if (!blanks) try {
      const std::vector<double> v = parse_number_list(option, text);
      if (v.size() == 1) return v[0];
    } catch (const InputError&) {
    }
  throw InputError(option + " '" + text + "': " + want);
}

}  // namespace

InputError usage_error(const std::string& command, const std::string& message) {
  return InputError(message + "; see phasecube " + command + " --help");
}

CommandLine parse(const std::vector<std::string>& args, const po::options_description& opts,
                  const std::string& command, std::size_t positionals, bool overrides) {
  CommandLine cl;
  try {
    const po::parsed_options parsed =
        po::command_line_parser(args).options(opts).style(kStyle).allow_unregistered().run();
    check_values(parsed, command);
    po::store(parsed, cl.options);
    cl.rest = po::collect_unrecognized(parsed.options, po::include_positional);
    po::notify(cl.options);
  } catch (const po::error& e) {
    throw reworded(e, command);
  }
  if (overrides) return cl;
  for (const auto& t : cl.rest)
    if (t.starts_with("-") && t != "-") throw usage_error(command, "unknown option '" + t + "'");
  if (cl.rest.size() > positionals)
    throw usage_error(command, "unexpected argument '" + cl.rest[positionals] + "'");
  return cl;
}

long long integer(const std::string& option, const std::string& text, long long lo, long long hi) {
  const std::string want =
      "must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  const double v = one_number(option, text, want);
  if (!integer_problem(v, lo, hi).empty()) throw InputError(option + " '" + text + "': " + want);
  return static_cast<long long>(v);
}

std::uint64_t unsigned_integer(const std::string& option, const std::string& text) {
  const std::string want = "must be an integer in [0, 2^64 - 1]";
  one_number(option, text, want);  // the syntax; digits are then read exactly
  try {
    return config_text::parse_integer(option, text, 0, UINT64_MAX, "");
  } catch (const InputError&) {
    throw InputError(option + " '" + text + "': " + want);
  }
}

double real(const std::string& option, const std::string& text, double lo) {
  const std::string want = "must be a number >= " + format_number(lo);
  const double v = one_number(option, text, want);
  if (!(v >= lo)) throw InputError(option + " '" + text + "': " + want);
  return v;
}

long long integer(const po::variables_map& vm, const std::string& name, long long lo,
                  long long hi) {
  return integer("--" + name, vm[name].as<std::string>(), lo, hi);
}

std::uint64_t unsigned_integer(const po::variables_map& vm, const std::string& name) {
  return unsigned_integer("--" + name, vm[name].as<std::string>());
}

double real(const po::variables_map& vm, const std::string& name, double lo) {
  return real("--" + name, vm[name].as<std::string>(), lo);
}

}  // namespace phasecube::cli
