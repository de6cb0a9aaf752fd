#include "sweep/diagnose_settings.hpp"

#include <cstdint>
#include <sstream>
#include <vector>

#include "phasecube/model.hpp"
#include "sweep/config.hpp"
#include "sweep/config_text.hpp"

namespace phasecube {

namespace {

// The config's one number syntax (config_text.hpp), as every other key.
double number(const std::string& key, const std::string& text) {
  const std::vector<double> v = parse_number_list(key, text);
  if (v.size() != 1) throw InputError(key + " = " + text + ": takes a single value");
  return v[0];
}

long integer(const std::string& key, const std::string& text, long lo, long hi) {
  return static_cast<long>(config_text::parse_integer(key, text, static_cast<std::uint64_t>(lo),
                                                      static_cast<std::uint64_t>(hi)));
}

}  // namespace

void parse_diagnose_entry(const std::string& name, const std::string& text, DiagnoseSettings& s) {
  const std::string key = "diagnose." + name;
  if (name == "labels") {
    s.labels = static_cast<int>(integer(key, text, 1, 1000));
  } else if (name == "label_noise") {
    s.label_noise = number(key, text);
    if (s.label_noise < 0) throw InputError(key + " = " + text + ": must be >= 0");
  } else if (name == "labelled") {
    s.labelled = integer(key, text, 2, 1000000000);
  } else if (name == "folds") {
    s.folds = static_cast<int>(integer(key, text, 2, 1000));
  } else if (name == "ridge") {
    s.ridge = number(key, text);
    if (s.ridge < 0) throw InputError(key + " = " + text + ": must be >= 0");
  } else if (name == "fold_seed") {
    s.fold_seed = config_text::parse_integer(key, text, 0, UINT64_MAX);
  } else if (name == "whiten_reg") {
    s.whiten_reg = number(key, text);
    if (s.whiten_reg < 0) throw InputError(key + " = " + text + ": must be >= 0");
  } else if (name == "classifier") {
    if (text != "elbow" && text != "permutation")
      throw InputError(key + " = '" + text + "': expected elbow or permutation");
    s.classifier = text;
  } else if (name == "permutations") {
    s.permutations = static_cast<int>(integer(key, text, 1, 100000));
  } else if (name == "null_permutations") {
    s.null_permutations = static_cast<int>(integer(key, text, 0, 100000));
  } else if (name == "pca") {
    s.pca = static_cast<int>(integer(key, text, 0, 100000));
  } else if (name == "replicates") {
    s.replicates = static_cast<int>(integer(key, text, 0, 10000));
  } else {
    throw InputError("unknown key '" + key + "'");
  }
}

std::string diagnose_section_text(const DiagnoseSettings& s) {
  std::ostringstream out;
  out << "[diagnose]\n"
      << "labels = " << s.labels << "\n"
      << "label_noise = " << format_number(s.label_noise) << "\n"
      << "labelled = " << s.labelled << "\n"
      << "folds = " << s.folds << "\n"
      << "ridge = " << format_number(s.ridge) << "\n"
      << "fold_seed = " << s.fold_seed << "\n"
      << "whiten_reg = " << format_number(s.whiten_reg) << "\n"
      << "classifier = " << s.classifier << "\n"
      << "permutations = " << s.permutations << "\n"
      << "null_permutations = " << s.null_permutations << "\n"
      << "pca = " << s.pca << "\n";
  // Only when set: the stored config of a section without replicates stays as it was.
  if (s.replicates > 0) out << "replicates = " << s.replicates << "\n";
  return out.str();
}

}  // namespace phasecube
