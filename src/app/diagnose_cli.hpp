#pragma once
// `phasecube diagnose` command line: parses options, reads the files, runs the procedure,
// prints the report (or JSON) and optionally the plot. Throws InputError for bad input.
// The part after the files are read is shared with the Python module (python/): one option
// grammar, one label encoding, the same checks and messages, the same JSON.
#include <Eigen/Dense>
#include <boost/program_options.hpp>
#include <string>
#include <vector>

#include "app/diagnose_labels_cli.hpp"
#include "app/diagnose_replicates.hpp"
#include "io/data_io.hpp"
#include "phasecube/diagnose.hpp"
#include "phasecube/diagnose_uncertainty.hpp"

namespace phasecube {

// `args` are the arguments after "diagnose"; `exe` is argv[0] (to find tools/ for --plot).
int diagnose_command(const std::vector<std::string>& args, const std::string& exe);

// The procedure's options (--pca ... --permutations, --drop-constant, and the label
// transformations of add_label_options) and their values.
void add_procedure_options(boost::program_options::options_description& opts);
DiagnoseOptions procedure_options(const boost::program_options::variables_map& vm);

// The procedure on views in memory: rows matched, values finite, constant columns dropped
// (with drop_constant; else refused), labels encoded (make_label_table) and checked,
// dimensions checked; then the result and its JSON (print_diagnose_json). `lo` transforms the
// labels first (transform_labels; the JSON gets "label_transform").
struct DiagnoseRun {
  DiagnoseResult result;
  LabelTable labels;
  std::string dropped;      // "2 constant columns of x, ..." (empty: none)
  DiagnoseOptions options;  // as used (--pca clamped to what the data allow)
  std::string note;         // what the data made the procedure change, for the user
  // What --label-noise, --coarsen or --proxy-labels did, for the report ("": none).
  std::string label_change;
  std::string json;
  DiagnoseUncertainty uncertainty;  // with `study` (--replicates, --epsilon-grid, --n-grid)
};
DiagnoseRun run_diagnose(Eigen::MatrixXd x, Eigen::MatrixXd y, const Eigen::MatrixXd& raw_labels,
                         DiagnoseOptions o, bool drop_constant,
                         const UncertaintyOptions& study = {}, const LabelOptions& lo = {});

// Shared with the replicates: --pca clamped to min(d_x, d_y, n - 1) (the note says so; empty
// when nothing changed), and the memory check of `copies` procedures at once.
std::string clamp_pca(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, DiagnoseOptions& o);
void check_dimensions(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const LabelTable& labels,
                      const DiagnoseOptions& o, double copies);
// `phasecube diagnose --json` of views in memory: `args` are procedure options only
// ("--pca", "8", "--drop-constant"), parsed as the command line parses them.
std::string diagnose_json(Eigen::MatrixXd x, Eigen::MatrixXd y, const Eigen::MatrixXd& raw_labels,
                          const std::vector<std::string>& args);

}  // namespace phasecube
