#pragma once
// The label transformations of `phasecube diagnose` on the command line: --label-noise r,
// --coarsen q | map:FILE, --proxy-labels kmeans:K[:x|y] (at most one). Parsed with the
// procedure options (so the Python module has them too) and applied to the raw labels
// before they are encoded (phasecube/diagnose_labels.hpp has the math).
#include <Eigen/Dense>
#include <boost/program_options.hpp>
#include <map>
#include <string>

#include "phasecube/diagnose.hpp"
#include "support/json_out.hpp"

namespace phasecube {

struct LabelOptions {
  double noise = 0;  // --label-noise r (0: none; 1 is the identity)
  int bins = 0;      // --coarsen q (0: none)
  std::string map_file;
  std::map<double, double> map;  // --coarsen map:FILE, read at parse time
  int proxy_k = 0;               // --proxy-labels kmeans:K (0: none)
  char proxy_view = 0;           // 'x', 'y', or 0: the weaker view
  bool labels_given = true;      // false: --proxy-labels without --labels
  bool any() const { return noise > 0 || bins > 0 || !map_file.empty() || proxy_k > 0; }
};

void add_label_options(boost::program_options::options_description& opts);
// Throws InputError (exit 2) for a bad value, two transformations at once, or a bad map file.
LabelOptions label_options(const boost::program_options::variables_map& vm);

// What a transformation made of the raw labels: the new raw labels, a line for the report and
// the JSON object "label_transform".
struct LabelChange {
  Eigen::MatrixXd raw;
  std::string summary;
  Json json;
};
// x and y as the procedure gets them (rows checked, constant columns dropped).
LabelChange transform_labels(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                             const Eigen::MatrixXd& raw, const LabelOptions& lo,
                             const DiagnoseOptions& o);
// The diagnose JSON with "label_transform" added at the end (the other keys byte for byte).
std::string with_label_transform(const std::string& json, const Json& change);

}  // namespace phasecube
