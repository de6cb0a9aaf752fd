#include "app/diagnose_cli.hpp"

#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "app/cli.hpp"
#include "io/data_io.hpp"
#include "phasecube/diagnose.hpp"
#include "sweep/config.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace phasecube {

namespace {

constexpr const char* kHelp =
    R"(Usage: phasecube diagnose --x FILE[:DATASET] --y FILE[:DATASET] --labels FILE[:DATASET] [options]

Places a paired dataset in the CA / CP phase diagram from its two views and a labelled
subsample, before any cross-modal training (the paper's procedure): centre both views
(optional PCA to p components), per-view SVD, PLS, CCA and CP in both directions; every
component is classified signal or nuisance by the k-fold cross-validated ridge R^2 of its
score(s) against the labels (summed over label columns), by the elbow of the sorted sums or a
label-permutation null; then kappa^2, nu and gamma estimates, the separation ratios
Delta_CA, Delta_CP (x->y) and Delta_CP (y->x), the regime, and the recommended objective.
A component is signal only if its R^2 is positive and above the label-permutation null level
(and the elbow stands out from the rest); labels that predict no CCA or CP component give
the verdict "no label signal" (exit 0, JSON regime "no signal") instead of a regime.
--parity reference reproduces the paper authors' implementation choice by choice (to compare
with their numbers; README "Reference parity"); the default keeps phasecube's choices: a
scale-free whitening epsilon, a ridge on standardised scores, both CP directions, the
no-signal guard. Negative gamma estimates are reported with a warning (clipped at 0 with
--parity reference).

Inputs: HDF5 (FILE.h5:DATASET), NumPy .npy (float32/float64/int32/int64, C or Fortran
order) or numeric CSV (an optional header row). x is n x d_x, y is n x d_y, labels n x L
numeric or one integer class column (one-hot encoded). Rows whose labels are missing (NaN, or
-1 for classes) are unlabelled. Errors (row counts, non-finite or constant columns, too few labelled rows, bad
files) exit with status 2.

Label robustness (at most one; the JSON gets "label_transform"): --label-noise r adds
Gaussian noise to numeric labels, scaled per column by bisection so that the --folds ridge
R^2 of the column from x and y together falls to r times its clean value; class labels get
a fraction 1 - sqrt(r) of their rows reassigned to uniformly random classes. --coarsen q
puts one label column into q quantile bins (then classes); --coarsen map:FILE merges
classes by "old,new" lines. --proxy-labels kmeans:K[:x|y] replaces the labels by K k-means
clusters of one view on the labelled rows of --labels (default: the view predicting them
less well), or on every row and of y without --labels.
Every draw is keyed by --fold-seed.
)";

constexpr const char* kExample = R"(
Example:
  phasecube diagnose --x digits.h5:x --y digits.h5:y --labels digits.h5:labels \
      --drop-constant --plot digits.png
)";

// tools/plot_diagnose.py next to the executable's source tree (or PHASECUBE_TOOLS_DIR).
fs::path find_plot_script(const std::string& exe) {
  std::vector<fs::path> dirs;
  if (const char* env = std::getenv("PHASECUBE_TOOLS_DIR")) dirs.emplace_back(env);
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) self = fs::absolute(exe, ec);
  for (fs::path d = self.parent_path(); !d.empty(); d = d.parent_path()) {
    dirs.push_back(d / "tools");
    dirs.push_back(d / "share" / "phasecube" / "tools");
    if (d == d.root_path()) break;
  }
  for (const auto& d : dirs)
    if (fs::is_regular_file(d / "plot_diagnose.py", ec)) return d / "plot_diagnose.py";
  return {};
}

// The figure's path exactly as written (matplotlib would add ".png" to a name without an
// extension, so we do it here and report that name), refused before any computing when it
// cannot be written: a directory, not a regular file, a format matplotlib may not have.
std::string plot_path(std::string plot) {
  if (plot.find('\'') != std::string::npos)
    throw InputError("--plot " + plot + ": quotes in the path are not supported");
  std::error_code ec;
  if (plot.empty() || plot.ends_with('/') || fs::is_directory(plot, ec))
    throw InputError("--plot '" + plot + "': is a directory, expected a file such as OUT.png");
  std::string ext = fs::path(plot).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext.empty())
    plot += ".png";
  else if (ext != ".png" && ext != ".pdf" && ext != ".svg")
    throw InputError("--plot " + plot + ": unsupported format '" + ext +
                     "' (use .png, .pdf or .svg)");
  const auto type = fs::symlink_status(plot, ec).type();
  if (type != fs::file_type::not_found && !fs::is_regular_file(plot, ec))
    throw InputError("--plot " + plot + ": exists and is not a regular file");
  const fs::path dir =
      fs::path(plot).parent_path().empty() ? fs::path(".") : fs::path(plot).parent_path();
  if (!fs::is_directory(dir, ec) || ::access(dir.c_str(), W_OK) != 0)
    throw InputError("--plot " + plot + ": directory '" + dir.string() +
                     "' does not exist or is not writable");
  return plot;
}

}  // namespace

// PCA components beyond both views and the rank n - 1 of the centred data would have no
// variance: clamped, as the authors' code does, with a note (empty when nothing changed).
std::string clamp_pca(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, DiagnoseOptions& o) {
  const Eigen::Index n = x.rows();
  const Eigen::Index limit = std::min({x.cols(), y.cols(), n - 1});
  if (o.pca <= limit) return {};
  const std::string note = "--pca " + std::to_string(o.pca) +
                           " clamped to min(d_x, d_y, n - 1) = " + std::to_string(limit) +
                           " (d_x = " + std::to_string(x.cols()) +
                           ", d_y = " + std::to_string(y.cols()) + ", n = " + std::to_string(n) +
                           "): more components would have no variance";
  o.pca = static_cast<int>(limit);
  return note;
}

// Every dimension against what the procedure needs, before it allocates or uses any: the
// procedure's covariances within memory.
void check_dimensions(const Eigen::MatrixXd& x, const Eigen::MatrixXd& y, const LabelTable& labels,
                      const DiagnoseOptions& o, double copies) {
  const Eigen::Index n = x.rows();
  // About 12 d x d matrices (covariances, eigenvectors, whitening, SVD factors), a few copies
  // of the data and labels, and the label permutations of the permutation null.
  const auto nd = static_cast<double>(n);
  const auto d = static_cast<double>(std::max(x.cols(), y.cols()));
  const auto columns = static_cast<double>(x.cols() + y.cols() + labels.values.cols());
  double doubles = 12 * d * d + 4 * nd * columns;
  doubles +=
      (o.classifier == DiagnoseClassifier::Permutation ? o.permutations : o.null_permutations) * nd;
  check_memory(copies * doubles * sizeof(double), "diagnose of n = " + std::to_string(n) +
                                                      " rows, d_x = " + std::to_string(x.cols()) +
                                                      ", d_y = " + std::to_string(y.cols()));
}

namespace {

// The plot script's input: a new file of a unique name (O_EXCL, so never through a link or
// onto another process's file), for the caller to remove.
fs::path write_temporary(const std::string& text) {
  std::string path = (fs::temp_directory_path() / "phasecube_diagnose_XXXXXX.json").string();
  if (path.find('\'') != std::string::npos)
    throw std::runtime_error("the temporary directory " + path + " has a quote in its name");
  const int fd = ::mkstemps(path.data(), 5);
  if (fd < 0) throw std::runtime_error("cannot create a temporary file " + path);
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path.c_str());
    throw std::runtime_error("cannot write the temporary file " + path);
  }
  return path;
}

void check_finite(const Eigen::MatrixXd& m, const std::string& what) {
  for (Eigen::Index i = 0; i < m.rows(); ++i)
    for (Eigen::Index j = 0; j < m.cols(); ++j)
      if (!std::isfinite(m(i, j)))
        throw InputError(what + ": value at row " + std::to_string(i) + ", column " +
                         std::to_string(j) + " is not finite");
}

// --parity and --components (their own functions: other options join the same lists).
void add_parity_options(po::options_description& opts) {
  opts.add_options()  //
      ("components", po::value<std::string>()->default_value("0"),
       "analyse at most the leading C components of every step (0: all; 50 with --parity "
       "reference)")  //
      ("parity", po::value<std::string>()->default_value("phasecube"),
       "phasecube, or reference: the paper authors' implementation choice by choice (absolute "
       "whitening epsilon, ridge 1 on raw scores with per-fold total sums of squares, 50 "
       "components, correlations clipped to [0, 1], gammas clipped at 0, their elbow and "
       "pooled permutation null with 30 permutations, numpy's folds (fold seed 42) and "
       "permutations, constant columns kept, Delta 0 without signal, the verdict from CP "
       "x->y only); options given explicitly still apply");
}

// --parity reference: the authors' defaults for every option not given explicitly.
void apply_parity(const po::variables_map& vm, DiagnoseOptions& o) {
  constexpr long long kIntMax = std::numeric_limits<int>::max();
  o.components = static_cast<int>(cli::integer(vm, "components", 0, kIntMax));
  const std::string parity = vm["parity"].as<std::string>();
  if (parity == "phasecube") return;
  if (parity != "reference")
    throw InputError("--parity '" + parity + "': expected phasecube or reference");
  const DiagnoseOptions ref = reference_defaults(o);
  const auto given = [&](const char* name) { return !vm[name].defaulted(); };
  o.parity = ref.parity;
  if (!given("ridge")) o.ridge = ref.ridge;
  if (!given("whiten-reg")) o.whiten_reg = ref.whiten_reg;
  if (!given("permutations")) o.permutations = ref.permutations;
  if (!given("null-permutations")) o.null_permutations = ref.null_permutations;
  if (!given("components")) o.components = ref.components;
  if (!given("fold-seed")) o.fold_seed = ref.fold_seed;
}

}  // namespace

void add_procedure_options(po::options_description& opts) {
  opts.add_options()  //
      ("pca", po::value<std::string>()->default_value("0"),
       "PCA pre-reduction to p components (0: off)")                                     //
      ("folds", po::value<std::string>()->default_value("5"), "cross-validation folds")  //
      ("ridge", po::value<std::string>()->default_value("1e-3"),
       "ridge penalty of the R^2 regressions (standardised scores)")  //
      ("fold-seed", po::value<std::string>()->default_value("1"),
       "seed of the fold assignment and label permutations")  //
      ("whiten-reg", po::value<std::string>()->default_value("1e-6"),
       "whitening regularisation: added to each eigenvalue, times the mean variance")  //
      ("classifier", po::value<std::string>()->default_value("elbow"),
       "signal/nuisance classifier: elbow or permutation")  //
      ("permutations", po::value<std::string>()->default_value("100"),
       "label permutations of the permutation classifier's null (95th percentile)")  //
      ("null-permutations", po::value<std::string>()->default_value("20"),
       "label permutations of the elbow's no-signal guard (0: only R^2 > 0)")  //
      ("drop-constant", po::bool_switch(), "drop constant columns of x and y (else an error)");
  add_parity_options(opts);
  add_uncertainty_options(opts);
  add_label_options(opts);
}

namespace {

po::options_description diagnose_options() {
  po::options_description opts("Options");
  opts.add_options()                                                      //
      ("x", po::value<std::string>(), "view x: FILE[:DATASET], n x d_x")  //
      ("y", po::value<std::string>(), "view y: FILE[:DATASET], n x d_y")  //
      ("labels", po::value<std::string>(), "labels: FILE[:DATASET], n x L or class column");
  add_procedure_options(opts);
  opts.add_options()                                                                       //
      ("json", po::bool_switch(), "print JSON with every estimate instead of the report")  //
      ("plot", po::value<std::string>(),
       "write a figure of spectra, R^2 and the phase diagram: OUT.png (or .pdf, .svg; a "
       "name without extension gets .png)")  //
      ("help,h", "this help");
  return opts;
}

}  // namespace

DiagnoseOptions procedure_options(const po::variables_map& vm) {
  DiagnoseOptions o;
  constexpr long long kIntMax = std::numeric_limits<int>::max();
  o.pca = static_cast<int>(cli::integer(vm, "pca", 0, kIntMax));
  o.folds = static_cast<int>(cli::integer(vm, "folds", 2, kIntMax));
  o.ridge = cli::real(vm, "ridge", 0);
  o.fold_seed = cli::unsigned_integer(vm, "fold-seed");
  o.whiten_reg = cli::real(vm, "whiten-reg", 0);
  o.permutations = static_cast<int>(cli::integer(vm, "permutations", 1, kIntMax));
  o.null_permutations = static_cast<int>(cli::integer(vm, "null-permutations", 0, kIntMax));
  const std::string cls = vm["classifier"].as<std::string>();
  if (cls == "elbow")
    o.classifier = DiagnoseClassifier::Elbow;
  else if (cls == "permutation")
    o.classifier = DiagnoseClassifier::Permutation;
  else
    throw InputError("--classifier '" + cls + "': expected elbow or permutation");
  apply_parity(vm, o);
  return o;
}

namespace {

// The two views with rows matched (to the labels too) and every value finite; constant
// columns dropped with --drop-constant (the returned text says what went), else refused.
std::string check_views(Eigen::MatrixXd& x, Eigen::MatrixXd& y, const Eigen::MatrixXd& raw_labels,
                        bool drop_constant, bool keep_constant) {
  if (x.rows() != y.rows() || x.rows() != raw_labels.rows())
    throw InputError("row counts differ: --x has " + std::to_string(x.rows()) + ", --y " +
                     std::to_string(y.rows()) + ", --labels " + std::to_string(raw_labels.rows()));
  check_finite(x, "--x");
  check_finite(y, "--y");
  std::string dropped;
  for (auto* view : {&x, &y}) {
    const auto constant = constant_columns(*view);
    const std::string name = view == &x ? "--x" : "--y";
    if (constant.empty()) continue;
    if (!drop_constant && keep_constant) continue;  // --parity reference keeps them
    if (!drop_constant)
      throw InputError(name + ": column " + std::to_string(constant.front()) +
                       " is constant (pass --drop-constant to drop the " +
                       std::to_string(constant.size()) + " constant columns)");
    *view = drop_columns(*view, constant);
    dropped += (dropped.empty() ? "" : ", ") + std::to_string(constant.size()) +
               " constant columns of " + name.substr(2);
    if (view->cols() == 0) throw InputError(name + ": every column is constant");
  }
  return dropped;
}

// Runs tools/plot_diagnose.py on the result's JSON (a temporary file, removed afterwards).
void draw_plot(const std::string& json, const fs::path& script, const std::string& plot) {
  const fs::path tmp = write_temporary(json);
  const std::string cmd =
      "/usr/bin/python3 '" + script.string() + "' '" + tmp.string() + "' '" + plot + "'";
  const int rc = std::system(cmd.c_str());
  std::error_code ec;
  fs::remove(tmp, ec);
  if (rc != 0) throw std::runtime_error("plotting failed: " + cmd);
}

}  // namespace

DiagnoseRun run_diagnose(Eigen::MatrixXd x, Eigen::MatrixXd y, const Eigen::MatrixXd& raw_labels,
                         DiagnoseOptions o, bool drop_constant, const UncertaintyOptions& study,
                         const LabelOptions& lo) {
  DiagnoseRun run;
  run.dropped = check_views(x, y, raw_labels, drop_constant, o.parity.keep_constant);
  run.note = clamp_pca(x, y, o);
  run.options = o;
  LabelChange change;
  if (lo.any()) change = transform_labels(x, y, raw_labels, lo, o);
  run.label_change = change.summary;
  run.labels = make_label_table(lo.any() ? change.raw : raw_labels);
  check_labels_present(run.labels, "--labels");
  check_dimensions(x, y, run.labels, o, 1);
  if (study.any()) check_uncertainty(x, y, run.labels, o, study);
  // Without a study the views are not needed again: moved, they are centred in place.
  run.result =
      study.any() ? diagnose(x, y, run.labels.values, run.labels.labelled, o)
                  : diagnose(std::move(x), std::move(y), run.labels.values, run.labels.labelled, o);
  std::ostringstream json;
  if (study.any()) {
    run.uncertainty = diagnose_uncertainty(x, y, run.labels, o, run.result, study);
    print_diagnose_json(run.result, o, run.uncertainty, json);
  } else {
    print_diagnose_json(run.result, o, json);
  }
  run.json = lo.any() ? with_label_transform(json.str(), change.json) : json.str();
  return run;
}

std::string diagnose_json(Eigen::MatrixXd x, Eigen::MatrixXd y, const Eigen::MatrixXd& raw_labels,
                          const std::vector<std::string>& args) {
  po::options_description opts("Options");
  add_procedure_options(opts);
  const po::variables_map vm = cli::parse(args, opts, "diagnose", 0).options;
  const DiagnoseOptions o = procedure_options(vm);
  return run_diagnose(std::move(x), std::move(y), raw_labels, o, vm["drop-constant"].as<bool>(),
                      uncertainty_options(vm), label_options(vm))
      .json;
}

int diagnose_command(const std::vector<std::string>& args, const std::string& exe) {
  const po::options_description opts = diagnose_options();
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << kHelp << kUncertaintyHelp << "\n" << opts << kExample;
      return 0;
    }
  const po::variables_map vm = cli::parse(args, opts, "diagnose", 0).options;
  LabelOptions lo = label_options(vm);
  lo.labels_given = vm.count("labels") > 0;
  for (const char* need : {"x", "y", "labels"})
    if (!vm.count(need) && !(lo.proxy_k > 0 && std::string(need) == "labels"))
      throw InputError(std::string("diagnose needs --") + need + " FILE[:DATASET]");
  const DiagnoseOptions o = procedure_options(vm);
  const UncertaintyOptions study = uncertainty_options(vm);
  // The figure's path and script are checked before any reading or computing.
  std::string plot;
  fs::path script;
  if (vm.count("plot")) {
    plot = plot_path(vm["plot"].as<std::string>());
    script = find_plot_script(exe);
    if (script.empty())
      throw InputError("--plot: tools/plot_diagnose.py not found (set PHASECUBE_TOOLS_DIR)");
  }
  Eigen::MatrixXd x = read_matrix(vm["x"].as<std::string>(), "--x");
  Eigen::MatrixXd y = read_matrix(vm["y"].as<std::string>(), "--y");
  // Proxy labels without --labels label every row (one placeholder class until clustered).
  const Eigen::MatrixXd raw_labels = lo.labels_given
                                         ? read_matrix(vm["labels"].as<std::string>(), "--labels")
                                         : Eigen::MatrixXd::Zero(x.rows(), 1);
  const DiagnoseRun run = run_diagnose(std::move(x), std::move(y), raw_labels, o,
                                       vm["drop-constant"].as<bool>(), study, lo);
  // On stderr, so that --json output stays one JSON document.
  if (!run.note.empty()) std::cerr << "phasecube: note: " << run.note << '\n';
  for (const std::string& w : run.result.warnings) std::cerr << "phasecube: warning: " << w << '\n';
  const bool as_json = vm["json"].as<bool>();
  if (as_json) {
    std::cout << run.json;
  } else {
    if (!run.dropped.empty()) std::cout << "dropped " << run.dropped << "\n";
    if (!run.label_change.empty()) std::cout << "labels: " << run.label_change << "\n";
    if (run.labels.classes)
      std::cout << "labels: one class column, " << run.labels.class_values.size()
                << " classes (one-hot)\n";
    print_diagnose_report(run.result, run.options, std::cout);
    if (study.any()) print_uncertainty_report(run.result, run.uncertainty, std::cout);
  }
  if (!plot.empty()) {
    draw_plot(run.json, script, plot);
    if (!as_json) std::cout << "plot: " << plot << "\n";
  }
  return 0;
}

}  // namespace phasecube
