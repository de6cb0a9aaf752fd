#pragma once
// `phasecube diagnose --replicates R --resample ... --epsilon-grid ... --n-grid ...`: the
// procedure on resamples of the rows (on the OpenMP team, one replicate per task), summarised
// by diagnose_uncertainty.hpp. Options are procedure options: the Python module has them too.
#include <Eigen/Dense>
#include <boost/program_options.hpp>
#include <vector>

#include "io/data_io.hpp"
#include "phasecube/diagnose_uncertainty.hpp"

namespace phasecube {

struct UncertaintyOptions {
  int replicates = 0;
  bool bootstrap = false;        // --resample bootstrap (else subsample)
  long long size = 0;            // rows per replicate (0: the scheme's default)
  std::vector<double> epsilons;  // --epsilon-grid
  std::vector<long long> sizes;  // --n-grid
  bool any() const { return replicates > 0 || !epsilons.empty() || !sizes.empty(); }
};

// The --help paragraph on the options below.
extern const char* const kUncertaintyHelp;
void add_uncertainty_options(boost::program_options::options_description& opts);
// Throws InputError (one line) for a bad value.
UncertaintyOptions uncertainty_options(const boost::program_options::variables_map& vm);

// Refuses sizes the data cannot give (more rows than there are, fewer labelled rows per
// resample than folds) and replicates on every thread beyond memory, before any computing.
void check_uncertainty(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const LabelTable& labels,
                       const DiagnoseOptions& o, const UncertaintyOptions& u);
// The study on views that passed run_diagnose's checks; `point` is the full data's result.
DiagnoseUncertainty diagnose_uncertainty(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y,
                                         const LabelTable& labels, const DiagnoseOptions& o,
                                         const DiagnoseResult& point, const UncertaintyOptions& u);

}  // namespace phasecube
