#include "app/diagnose_labels_cli.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/cli.hpp"
#include "io/data_io.hpp"
#include "phasecube/diagnose_labels.hpp"
#include "phasecube/error.hpp"
#include "support/text.hpp"

namespace po = boost::program_options;

namespace phasecube {

namespace {

constexpr long long kClassLimit = 1LL << 53;  // class values are doubles holding integers
constexpr std::uintmax_t kMapBytes = 16u << 20;

// One "old,new" line of a class map (blank lines, # comments and an "old,new" header skipped).
void map_line(std::string line, const std::string& where, std::map<double, double>& map) {
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  line.erase(0, line.find_first_not_of(' '));
  if (line.empty() || line[0] == '#' || line == "old,new") return;
  const auto comma = line.find(',');
  if (comma == std::string::npos || line.find(',', comma + 1) != std::string::npos)
    throw InputError(where + ": expected 'old,new' (two integer classes), got '" + line + "'");
  const auto old_class = static_cast<double>(
      cli::integer(where + " old class", line.substr(0, comma), -kClassLimit, kClassLimit));
  const auto new_class = static_cast<double>(
      cli::integer(where + " new class", line.substr(comma + 1), -kClassLimit, kClassLimit));
  if (old_class == -1 || new_class == -1)
    throw InputError(where + ": class -1 means unlabelled and cannot be mapped");
  if (!map.emplace(old_class, new_class).second)
    throw InputError(where + ": class " + format_number(old_class) + " is mapped twice");
}

std::map<double, double> read_class_map(const std::string& file) {
  // A map is a few lines: a device, a directory or a huge file is a mistake, not a map.
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec) ||
      std::filesystem::file_size(file, ec) > kMapBytes)
    throw InputError("--coarsen map:" + file + ": not a regular file of at most 16 MiB");
  std::ifstream in(file);
  if (!in) throw InputError("--coarsen map:" + file + ": cannot read the file");
  std::map<double, double> map;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number)
    map_line(line, "--coarsen map:" + file + " line " + std::to_string(number), map);
  if (in.bad()) throw InputError("--coarsen map:" + file + ": cannot read the file");
  if (map.empty()) throw InputError("--coarsen map:" + file + ": no 'old,new' line");
  return map;
}

void parse_coarsen(const std::string& text, LabelOptions& lo) {
  if (text.starts_with("map:")) {
    lo.map_file = text.substr(4);
    if (lo.map_file.empty()) throw InputError("--coarsen map:FILE: the file name is empty");
    lo.map = read_class_map(lo.map_file);
    return;
  }
  lo.bins = static_cast<int>(cli::integer("--coarsen", text, 2, 1000000));
}

void parse_proxy(const std::string& text, LabelOptions& lo) {
  const std::string want = "expected kmeans:K or kmeans:K:x or kmeans:K:y";
  if (!text.starts_with("kmeans:")) throw InputError("--proxy-labels '" + text + "': " + want);
  std::string k = text.substr(7);
  if (const auto colon = k.find(':'); colon != std::string::npos) {
    const std::string view = k.substr(colon + 1);
    if (view != "x" && view != "y") throw InputError("--proxy-labels '" + text + "': " + want);
    lo.proxy_view = view[0];
    k.resize(colon);
  }
  lo.proxy_k = static_cast<int>(cli::integer("--proxy-labels kmeans:K", k, 2, 1000000));
}

}  // namespace

void add_label_options(po::options_description& opts) {
  opts.add_options()  //
      ("label-noise", po::value<std::string>(),
       "label robustness: noise so the labels keep r (0 < r <= 1) of their cross-validated "
       "R^2 (numeric); class labels: a fraction 1 - sqrt(r) reassigned at random")  //
      ("coarsen", po::value<std::string>(),
       "label robustness: q quantile bins of a numeric label column, or map:FILE of "
       "'old,new' class lines merging classes")  //
      ("proxy-labels", po::value<std::string>(),
       "label robustness: kmeans:K[:x|y], one-hot k-means clusters of a view (default: the "
       "one predicting --labels less well, else y) as the labels");
}

LabelOptions label_options(const po::variables_map& vm) {
  LabelOptions lo;
  int given = 0;
  for (const char* name : {"label-noise", "coarsen", "proxy-labels"}) given += vm.count(name) > 0;
  if (given > 1)
    throw InputError("--label-noise, --coarsen and --proxy-labels: give at most one of them");
  if (vm.count("label-noise")) {
    const std::string text = vm["label-noise"].as<std::string>();
    lo.noise = cli::real("--label-noise", text, 0);
    if (!(lo.noise > 0 && lo.noise <= 1))
      throw InputError("--label-noise '" + text + "': must be a number in (0, 1]");
  }
  if (vm.count("coarsen")) parse_coarsen(vm["coarsen"].as<std::string>(), lo);
  if (vm.count("proxy-labels")) parse_proxy(vm["proxy-labels"].as<std::string>(), lo);
  return lo;
}

namespace {

Json r2_json(const Eigen::VectorXd& v) {
  return std::vector<double>(v.data(), v.data() + v.size());
}

std::vector<Eigen::Index> labelled_rows(const LabelTable& table) {
  std::vector<Eigen::Index> rows;
  for (std::size_t i = 0; i < table.labelled.size(); ++i)
    if (table.labelled[i]) rows.push_back(static_cast<Eigen::Index>(i));
  return rows;
}

// Summed clipped label R^2 of a view's features (the labelled rows of `table`).
double view_r2(const Eigen::MatrixXd& view, const LabelTable& table, const DiagnoseOptions& o) {
  const std::vector<Eigen::Index> rows = labelled_rows(table);
  const Eigen::VectorXd r2 =
      label_r2(view(rows, Eigen::all), table.values(rows, Eigen::all), o.folds, o.ridge);
  return r2.cwiseMax(0.0).sum();
}

Eigen::MatrixXd side_by_side(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y) {
  Eigen::MatrixXd both(x.rows(), x.cols() + y.cols());
  both << x, y;
  return both;
}

LabelChange numeric_noise(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                          const Eigen::MatrixXd& raw, const LabelTable& table, double r,
                          const DiagnoseOptions& o) {
  Stream rng(o.fold_seed, o.stream_cell, o.stream_trial, StreamPurpose::DiagnoseLabelNoise);
  NumericNoise n =
      numeric_label_noise(raw, table.labelled, side_by_side(x, y), r, o.folds, o.ridge, rng);
  LabelChange c{std::move(n.labels), "", Json::object()};
  c.summary = "label noise r = " + format_number(r) + ": R^2 (x and y together) " +
              significant_text(n.r2_clean.sum(), 4) + " -> " +
              significant_text(n.r2_noisy.sum(), 4);
  c.json = {{"kind", "label noise"},
            {"r", r},
            {"labels", "numeric"},
            {"sigma", r2_json(n.sigma)},
            {"r2_clean", r2_json(n.r2_clean)},
            {"r2_noisy", r2_json(n.r2_noisy)}};
  return c;
}

// The calibration R^2 (x and y together) before and after, summed over the one-hot columns:
// how close f = 1 - sqrt(r) comes to keeping r of it on these classes.
LabelChange class_noise(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                        const Eigen::MatrixXd& raw, const LabelTable& table, double r,
                        const DiagnoseOptions& o) {
  Stream rng(o.fold_seed, o.stream_cell, o.stream_trial, StreamPurpose::DiagnoseLabelNoise);
  ClassNoise n = class_label_noise(raw, table.labelled, r, rng);
  const Eigen::MatrixXd both = side_by_side(x, y);
  const double before = view_r2(both, table, o);
  const double after = view_r2(both, make_label_table(n.labels), o);
  LabelChange c{std::move(n.labels), "", Json::object()};
  c.summary = "label noise r = " + format_number(r) + ": " + std::to_string(n.reassigned) +
              " labelled rows reassigned to random classes (fraction 1 - sqrt(r) = " +
              significant_text(n.fraction, 4) + "); R^2 (x and y together) " +
              significant_text(before, 4) + " -> " + significant_text(after, 4);
  c.json = {{"kind", "label noise"},      {"r", r},
            {"labels", "classes"},        {"fraction", n.fraction},
            {"reassigned", n.reassigned}, {"r2_clean", before},
            {"r2_noisy", after}};
  return c;
}

LabelChange coarsen_bins(const Eigen::MatrixXd& raw, const LabelTable& table, int q) {
  if (raw.cols() != 1)
    throw InputError("--coarsen " + std::to_string(q) + ": needs one label column, --labels has " +
                     std::to_string(raw.cols()));
  const auto labelled = std::count(table.labelled.begin(), table.labelled.end(), true);
  if (q > labelled)
    throw InputError("--coarsen " + std::to_string(q) + ": more bins than the " +
                     std::to_string(labelled) + " labelled rows");
  std::vector<double> edges;
  LabelChange c{quantile_bins(raw, table.labelled, q, edges), "", Json::object()};
  c.summary = "coarsened into " + std::to_string(q) + " quantile bins (one-hot classes)";
  c.json = {{"kind", "coarsen"}, {"bins", q}, {"edges", edges}};
  return c;
}

LabelChange coarsen_map(const Eigen::MatrixXd& raw, const LabelTable& table,
                        const LabelOptions& lo) {
  const std::string what = "--coarsen map:" + lo.map_file;
  if (!table.classes) throw InputError(what + ": the labels are not one integer class column");
  for (const double v : table.class_values)
    if (!lo.map.count(v))
      throw InputError(what + ": class " + format_number(v) + " of the labels is not mapped");
  for (const auto& [from, to] : lo.map)
    if (!std::binary_search(table.class_values.begin(), table.class_values.end(), from))
      throw InputError(what + ": class " + format_number(from) + " does not occur in the labels");
  LabelChange c{merge_classes(raw, table.labelled, lo.map), "", Json::object()};
  std::vector<double> merged;
  for (const auto& kv : lo.map) merged.push_back(kv.second);
  std::sort(merged.begin(), merged.end());
  const auto after = std::unique(merged.begin(), merged.end()) - merged.begin();
  c.summary = "classes merged by " + lo.map_file + ": " +
              std::to_string(table.class_values.size()) + " -> " + std::to_string(after);
  c.json = {{"kind", "coarsen"},
            {"map", lo.map_file},
            {"classes_before", table.class_values.size()},
            {"classes_after", after}};
  return c;
}

LabelChange proxy_labels(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                         const LabelTable& table, const LabelOptions& lo,
                         const DiagnoseOptions& o) {
  char view = lo.proxy_view;
  Json rule = "given";
  if (!view && lo.labels_given) {  // the authors' weaker modality: it predicts the labels less
    const double rx = view_r2(x, table, o), ry = view_r2(y, table, o);
    view = rx < ry ? 'x' : 'y';
    rule = {{"rule", "weaker: smaller label R^2"}, {"r2_x", rx}, {"r2_y", ry}};
  } else if (!view) {
    view = 'y';
    rule = "y: no labels to compare the views (the authors' weaker modality is y)";
  }
  const std::vector<Eigen::Index> rows = labelled_rows(table);
  if (lo.proxy_k > static_cast<int>(rows.size()))
    throw InputError("--proxy-labels kmeans:" + std::to_string(lo.proxy_k) +
                     ": more clusters than the " + std::to_string(rows.size()) + " labelled rows");
  Stream rng(o.fold_seed, o.stream_cell, o.stream_trial, StreamPurpose::DiagnoseKmeans);
  const Kmeans km = kmeans((view == 'x' ? x : y)(rows, Eigen::all), lo.proxy_k, rng);
  LabelChange c{Eigen::MatrixXd::Constant(x.rows(), 1, -1.0), "", Json::object()};
  for (std::size_t i = 0; i < rows.size(); ++i) c.raw(rows[i], 0) = km.cluster[i];
  c.summary =
      "proxy labels: " + std::to_string(lo.proxy_k) + " k-means clusters of " + view +
      (lo.labels_given ? " (the values of --labels are not used, its labelled rows are)" : "");
  c.json = {{"kind", "proxy labels"},       {"method", "kmeans"},  {"k", lo.proxy_k},
            {"view", std::string(1, view)}, {"view_choice", rule}, {"inertia", km.inertia},
            {"iterations", km.iterations}};
  return c;
}

}  // namespace

LabelChange transform_labels(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                             const Eigen::MatrixXd& raw, const LabelOptions& lo,
                             const DiagnoseOptions& o) {
  const LabelTable table = make_label_table(raw);
  check_labels_present(table, "--labels");
  if (lo.proxy_k > 0) return proxy_labels(x, y, table, lo, o);
  if (lo.bins > 0) return coarsen_bins(raw, table, lo.bins);
  if (!lo.map_file.empty()) return coarsen_map(raw, table, lo);
  if (table.classes) return class_noise(x, y, raw, table, lo.noise, o);
  return numeric_noise(x, y, raw, table, lo.noise, o);
}

std::string with_label_transform(const std::string& json, const Json& change) {
  Json doc = Json::parse(json);
  doc["label_transform"] = change;
  std::ostringstream out;
  write_json(std::move(doc), out);
  return out.str();
}

}  // namespace phasecube
