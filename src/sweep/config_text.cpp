#include "sweep/config_text.hpp"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "phasecube/model.hpp"
#include "support/text.hpp"
#include "sweep/grid.hpp"

namespace phasecube::config_text {

std::string trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

std::string list_text(const std::vector<double>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + format_number(v[i]);
  return s;
}

std::string read_config_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw InputError("cannot read config file '" + path + "': it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read config file '" + path + "': " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError("cannot read config file '" + path + "': read error");
  std::string content = text.str();
  strip_utf8_bom(content);  // both config parsers read the file through here
  return content;
}

void write_axes_and_run(std::ostream& out, const std::vector<Axis>& axes, const RunSettings& run) {
  out << "\n[axes]\n";
  for (const auto& a : axes)
    out << a.name << " = " << (a.spec.empty() ? list_text(a.values) : a.spec) << "\n";
  out << "\n[run]\n";
  out << "trials = " << run.trials << "\n";
  out << "seed = " << run.seed << "\n";
  out << "sampler = " << sampler_name(run.sampler) << "\n";
  out << "output =" << (run.output.empty() ? "" : " ") << run.output << "\n";
  out << "chunk_cells = " << run.chunk_cells << "\n";
}

std::string cell_context(const Grid& grid, std::size_t cell) {
  if (grid.axes().empty()) return "";
  const auto coords = grid.coordinates(cell);
  std::string s = ", in the cell with ";
  for (std::size_t i = 0; i < coords.size(); ++i)
    s += (i ? ", " : "") + grid.axes()[i].name + " = " +
         format_number(grid.axes()[i].values[coords[i]]);
  return s;
}

std::uint64_t parse_u64(const std::string& key, const std::string& text, const std::string& what) {
  std::uint64_t x = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    throw InputError(key + " = '" + text + "': must be " + what);
  return x;
}

long parse_trials(const std::string& key, const std::string& text) {
  const std::vector<double> v = parse_number_list(key, text);
  if (v.size() != 1) throw InputError(key + " = " + text + ": takes a single integer");
  const std::string why = integer_problem(v[0], 1, kMaxTrials);
  if (!why.empty())
    throw InputError(key + " = " + text + ": " + why +
                     (v[0] > static_cast<double>(kMaxTrials)
                          ? " (the cube stores trials_done as a 32-bit integer)"
                          : ""));
  return static_cast<long>(v[0]);
}

SamplerKind parse_sampler(const std::string& key, const std::string& text) {
  if (text == "auto") return SamplerKind::Auto;
  if (text == "wishart") return SamplerKind::Wishart;
  if (text == "direct") return SamplerKind::Direct;
  throw InputError(key + " = '" + text + "': must be auto, wishart or direct");
}

std::string override_value(const std::string& key, std::string_view value) {
  if (value.find_first_of("\n\r") != std::string_view::npos)
    throw InputError("command line: --" + key + ": a value cannot contain a line break");
  return std::string(value);
}

}  // namespace phasecube::config_text
