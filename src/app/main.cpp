// The `phasecube` executable: subcommands run, theory and inspect.
//
// Exit status: 0 success, 2 bad input (one line on stderr, no file created or changed),
// 1 any other failure. Every check that can exit with 2 runs before anything is written,
// and MPI is started only by `run`, so `theory`, `inspect` and `--help` work anywhere.
#include <omp.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <new>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "app/cli.hpp"
#include "app/diagnose_cli.hpp"
#include "app/inspect.hpp"
#include "app/validate.hpp"
#include "io/output.hpp"
#include "phasecube/version.hpp"
#include "support/text.hpp"
#include "sweep/binding_config.hpp"
#include "sweep/config.hpp"
#include "sweep/mpi.hpp"
#include "sweep/sweep.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using phasecube::InputError;

namespace {

constexpr const char* kUsage = R"(phasecube: Monte Carlo sweeps of the cross-modal alignment (CA) vs
cross-modal prediction (CP) phase diagram, written to one HDF5 cube.

Usage:
  phasecube run      --config FILE.ini [--output OUT.h5] [--overwrite | --resume] [--section.key=value ...]
  phasecube theory   --config FILE.ini --output OUT.h5 [--overwrite] [--section.key=value ...]
  phasecube inspect  OUT.h5
  phasecube validate OUT.h5 [--json] [--band 0.1]
  phasecube diagnose --x FILE[:DATASET] --y FILE[:DATASET] --labels FILE[:DATASET] [--json] [--plot OUT.png]
  phasecube --version
  phasecube <subcommand> --help

Subcommands:
  run      simulate every cell of the grid (closed forms and Monte Carlo trials)
  theory   the same grid, closed forms only (instant)
  inspect  summarise a cube: axes, fixed parameters, completeness, regimes
  validate theory vs simulation: agreement, causes of disagreement, empirical boundaries
  diagnose place a real paired dataset (two views + a labelled subsample) in the phase diagram

Example:
  phasecube run --config sweeps/quickstart.ini --output results/quickstart.h5
  phasecube inspect results/quickstart.h5
  phasecube validate results/quickstart.h5

Exit status: 0 success, 2 bad input (nothing written), 3 run stopped by a signal (the cube is
partial and resumable), 1 other failure.
)";

// One "    name            doc" line per parameter spec.
template <class Specs>
std::string param_table(const Specs& specs) {
  std::string s;
  for (const auto& p : specs) {
    std::string name(p.name);
    name.resize(16, ' ');
    s += "    " + name + std::string(p.doc) + "\n";
  }
  return s;
}

// Generated from kModelParams so the help never lists a parameter the code does not know.
std::string overrides_help() {
  std::string s =
      "\nOverrides:\n"
      "  Every config key is also an option --section.key=value (or --section.key value),\n"
      "  and the command line wins over the file, also across sections: --axes.nu=... sweeps\n"
      "  a parameter the file fixes, --model.nu=... fixes one it sweeps.\n"
      "  [model] fixed parameters; per-coordinate ones take 1 value or a list (k values on\n"
      "          the signal, d-k on the nuisance coordinates):\n";
  s += param_table(phasecube::kModelParams);
  s += "  [axes] any model parameter: linspace(a, b, m), logspace(a, b, m) (base-10\n"
       "         exponents) or a list 0.1, 0.5, 0.9; file order = cube dimension order\n"
       "  [run]  trials, seed, sampler = auto|wishart|direct, output\n"
       "  [diagnose] (optional) also run `phasecube diagnose` in every trial: labels,\n"
       "         label_noise, labelled, folds, ridge, fold_seed, whiten_reg, classifier,\n"
       "         permutations, null_permutations, pca (see README, section Diagnose)\n";
  s += "\nBinding runs (many modalities): a config with [model] modalities = M is one (run\n"
       "  alone or under mpirun / srun like any sweep; theory, inspect as usual), with\n"
       "  its own keys (lists over modalities repeat their last value; gamma[m] and\n"
       "  gamma_tilde[m] set one modality, also as axes):\n";
  s += param_table(phasecube::kBindingParams);
  return s;
}

constexpr const char* kRunHelp =
    R"(Usage: phasecube run --config FILE.ini [--output OUT.h5] [--overwrite | --resume] [--section.key=value ...]

Simulates every cell of the grid in FILE.ini: closed-form theory plus run.trials Monte
Carlo trials of CA, CP and CP-reverse per cell, written to one HDF5 cube. The output is
--output, else run.output from the config, else FILE.h5 (the config's name) in the
current directory; an existing file is replaced only with --overwrite.

Runs as one process (OpenMP threads: OMP_NUM_THREADS, else SLURM_CPUS_PER_TASK) or under
mpirun / srun --mpi=pmix, where rank 0 hands out chunks of cells and writes the cube. The
cube is replaced atomically every few seconds, so it is readable (and inspectable) while
the sweep runs and survives kill -9; --resume finishes it. One run at a time writes an
output (another is refused, exit 2), and only a regular file is replaced (never a link, a
device or a FIFO). SIGTERM, SIGINT or SIGUSR1 save what has arrived (status partial) and
exit with status 3 (before the first cell: nothing written). Binding runs ([model]
modalities = M) run the same way, one process or many ranks.
Exit status: 0 complete, 2 bad input (nothing written), 3 stopped by a signal (resumable),
1 other failure (e.g. disk full: the last snapshot is kept, resumable).
)";

constexpr const char* kRunExample = R"(
Example:
  phasecube run --config sweeps/quickstart.ini --output results/quickstart.h5 \
      --run.trials=200 --axes.nu='linspace(0, 1, 21)'
)";

constexpr const char* kTheoryHelp =
    R"(Usage: phasecube theory --config FILE.ini --output OUT.h5 [--overwrite] [--section.key=value ...]

Writes the same grid and cube as `run`, with only the closed-form variables (separation
ratios, regimes, partial recovery counts); the Monte Carlo variables keep their fill
values. Instant, and needs no MPI.
)";

constexpr const char* kTheoryExample = R"(
Example:
  phasecube theory --config sweeps/quickstart.ini --output results/quickstart_theory.h5 \
      --axes.kappa='linspace(0, 3, 301)' --axes.nu='linspace(0, 1, 201)'
)";

constexpr const char* kInspectHelp = R"(Usage: phasecube inspect OUT.h5

Prints a summary of a cube: run metadata, axes, fixed parameters, completeness, and a
table of cells per regime, theory against simulation, with the agreement percentage.

Example:
  phasecube inspect results/quickstart.h5
)";

constexpr const char* kValidateHelp = R"(Usage: phasecube validate OUT.h5 [--json] [--band 0.1]

Checks a simulated cube against the closed-form theory: regime agreement overall and per
regime (confusion table); every disagreement attributed to a cause: (a) near a boundary
(|Delta_CA - 1| or |Delta_CP - 1| within the band), (b) a finite-sample gap (for each method
that disagrees, |min signal - max nuisance| of its closed-form spectrum is below twice the null
floor: the mean top sample singular value of C^ or A^ with the same d, n and variances but no
cross-modal covariance, from a short simulation), or (c) unexplained, listed cell by cell; and
the empirical boundaries: along every grid line crossing a closed-form boundary, where the
recovery rate crosses 0.5, its distance from the closed form, and (with an n axis) that
distance against n. Exit status 0 whenever it could compute, whatever the figures.

Example:
  phasecube validate results/quickstart.h5 --band 0.1
  phasecube validate results/quickstart.h5 --json > validate.json
)";

// The command line as a shell would need it, recorded in the cube so the run can be repeated.
std::string shell_quote(const std::string& s) {
  static const std::string safe =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=./:,@%^";
  if (!s.empty() && s.find_first_not_of(safe) == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string joined_command_line(int argc, char** argv) {
  std::string s;
  for (int i = 0; i < argc; ++i) {
    if (i > 0) s += ' ';
    s += shell_quote(argv[i]);
  }
  return s;
}

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

// The options Boost did not recognise must all be config overrides "--section.key=value"
// or "--section.key value"; they come back as "--section.key=value".
std::vector<std::string> config_overrides(const std::vector<std::string>& tokens,
                                          const std::string& command) {
  std::vector<std::string> overrides;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const std::string& t = tokens[i];
    const auto eq = t.find('=');
    const bool dotted = t.starts_with("--") && t.substr(2, eq - 2).find('.') != std::string::npos;
    if (!dotted)
      throw phasecube::cli::usage_error(command, t.starts_with("-")
                                                     ? "unknown option '" + t + "'"
                                                     : "unexpected argument '" + t + "'");
    if (eq != std::string::npos) {
      overrides.push_back(t);
    } else if (i + 1 < tokens.size() && !tokens[i + 1].starts_with("--")) {
      overrides.push_back(t + "=" + tokens[i + 1]);
      ++i;
    } else {
      throw phasecube::cli::usage_error(command,
                                        "option '" + t + "' needs a value (" + t + "=VALUE)");
    }
  }
  return overrides;
}

// Bad output paths are input errors, found before MPI starts or any file is written. Returns
// the lock that keeps any other run off the output while it lives.
void check_output(const std::string& output, bool overwrite, bool resume) {
  if (overwrite && resume)
    throw InputError("--overwrite and --resume exclude each other: replace the cube, or finish it");
  // The file system would stop at the NUL and write another file than the one named.
  if (output.find('\0') != std::string::npos)
    throw InputError("output '" + output + "' contains a NUL byte");
  const fs::path path(output);
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  std::error_code ec;
  if (!fs::exists(dir, ec))
    throw InputError("output directory '" + dir.string() + "' does not exist");
  if (!fs::is_directory(dir, ec))
    throw InputError("output directory '" + dir.string() + "' is not a directory");
  if (::access(dir.c_str(), W_OK) != 0)
    throw InputError("output directory '" + dir.string() + "' is not writable");
  // Only a regular file is ever replaced: never a device or FIFO (the node itself would be
  // replaced), never a symbolic link (dangling or not: give the file's own path).
  if (const std::string kind = phasecube::non_regular_kind(output); !kind.empty())
    throw InputError("output '" + output + "' is " + kind + ", not a regular file" +
                     (kind == "a symbolic link" ? "; give the path of the file itself" : ""));
  if (fs::symlink_status(path, ec).type() != fs::file_type::not_found && !overwrite && !resume)
    throw InputError("output '" + output +
                     "' exists; pass --overwrite to replace it or --resume to finish it");
}

// OpenMP threads per rank: OMP_NUM_THREADS when set, else SLURM's --cpus-per-task.
void choose_threads() {
  if (std::getenv("OMP_NUM_THREADS")) return;
  if (const char* cpus = std::getenv("SLURM_CPUS_PER_TASK"))
    if (const int n = std::atoi(cpus); n > 0) omp_set_num_threads(n);
}

// `run` under MPI (or alone): the output checked by rank 0 for every rank, then `sweep` on
// every rank with the stop handlers installed.
template <class Sweep>
int distributed_run(const phasecube::SweepOptions& options, Sweep&& sweep) {
  phasecube::mpi::Session mpi;
  // The file system is rank 0's alone to judge (other ranks could see its output appear);
  // every rank learns the verdict.
  std::string bad_output;
  if (mpi.rank() == 0) {
    try {
      check_output(options.output, options.overwrite, options.resume);
    } catch (const InputError& e) {
      bad_output = e.message();
    }
  }
  if (!phasecube::mpi::broadcast_flag(bad_output.empty())) {
    if (mpi.rank() == 0) throw InputError(bad_output);
    return 2;
  }
  choose_threads();
  phasecube::install_stop_handlers();
  return sweep(mpi);
}

// The options of `run` and `theory`; the output is --output, else run.output (`run_output`),
// else FILE.h5 from the config's name.
phasecube::SweepOptions sweep_options(const po::variables_map& vm, bool theory,
                                      const std::string& command_line,
                                      const std::string& run_output,
                                      const std::string& source_path) {
  phasecube::SweepOptions options;
  options.overwrite = vm["overwrite"].as<bool>();
  options.resume = !theory && vm["resume"].as<bool>();
  options.theory_only = theory;
  options.command_line = command_line;
  if (vm.count("output")) {
    options.output = vm["output"].as<std::string>();
    if (options.output.empty()) throw InputError("--output is empty");
  } else if (!run_output.empty()) {
    options.output = run_output;
  } else {
    options.output = fs::path(source_path).stem().string() + ".h5";
  }
  return options;
}

// `theory` (closed forms, this process) or `run` (every rank) of a loaded config of either
// model, with the options from the command line.
int run_or_theory(phasecube::Config& config, const po::variables_map& vm, bool theory,
                  const std::string& command_line) {
  const phasecube::SweepOptions options =
      sweep_options(vm, theory, command_line, config.run.output, config.source_path);
  config.run.output = options.output;  // the cube's resolved config says where it went
  if (theory) {
    check_output(options.output, options.overwrite, false);
    const phasecube::OutputLock lock(options.output);
    phasecube::run_theory(config, options, std::cerr);
    return 0;
  }
  return distributed_run(options, [&](const phasecube::mpi::Session& mpi) {
    return phasecube::run_sweep(config, options, mpi, std::cerr);
  });
}

// `run` and `theory`: the same command line, the same checks.
int sweep_command(const std::vector<std::string>& args, bool theory,
                  const std::string& command_line) {
  po::options_description opts("Options");
  opts.add_options()                                                            //
      ("config,c", po::value<std::string>()->required(), "sweep config (INI)")  //
      ("output,o", theory ? po::value<std::string>()->required() : po::value<std::string>(),
       theory ? "output cube (HDF5)" : "output cube (HDF5); default: run.output, else FILE.h5")  //
      ("overwrite", po::bool_switch(), "replace an existing output file")                        //
      ("help,h", "this help");
  if (!theory)
    opts.add_options()("resume", po::bool_switch(),
                       "finish the cells an interrupted run of the same config left undone "
                       "(starts afresh when the output does not exist)");
  if (wants_help(args)) {
    std::cout << (theory ? kTheoryHelp : kRunHelp) << "\n"
              << opts << overrides_help() << (theory ? kTheoryExample : kRunExample);
    return 0;
  }
  // From here on a stop signal is a clean stop, also while the config is validated.
  phasecube::install_stop_handlers();
  const char* command = theory ? "theory" : "run";
  const auto cl = phasecube::cli::parse(args, opts, command, 0, /*overrides=*/true);
  const po::variables_map& vm = cl.options;
  const auto overrides = config_overrides(cl.rest, command);

  // The file is read once; its keys say which model: binding (`modalities`, issue 6) or two
  // modalities. The same config, job and driver either way, one process or MPI.
  phasecube::Config config = phasecube::load_config(vm["config"].as<std::string>(), overrides);
  return run_or_theory(config, vm, theory, command_line);
}

// `inspect` and `validate`: one cube as the positional argument, plus `opts`. Returns nullopt
// when --help was asked for (and printed).
std::optional<phasecube::cli::CommandLine> parse_cube_command(const std::vector<std::string>& args,
                                                              const std::string& name,
                                                              po::options_description& opts,
                                                              const char* help) {
  opts.add_options()("help,h", "this help");
  if (wants_help(args)) {
    std::cout << help << "\n" << opts;
    return std::nullopt;
  }
  auto cl = phasecube::cli::parse(args, opts, name, 1);
  if (cl.rest.empty())
    throw phasecube::cli::usage_error(name, name + " needs a cube: phasecube " + name + " OUT.h5");
  return cl;
}

int validate_command(const std::vector<std::string>& args) {
  po::options_description opts("Options");
  opts.add_options()                                                            //
      ("json", po::bool_switch(), "print JSON instead of the readable report")  //
      ("band", po::value<std::string>()->default_value("0.1"),
       "relative band around Delta = 1 counted as near a boundary");
  const auto cl = parse_cube_command(args, "validate", opts, kValidateHelp);
  if (!cl) return 0;
  const std::string& cube = cl->rest.front();
  phasecube::ValidateOptions options;
  options.band = phasecube::cli::real(cl->options, "band", 0);
  const auto report = phasecube::validate_cube(cube, options);
  if (cl->options["json"].as<bool>())
    phasecube::print_json(report, options, std::cout);
  else
    phasecube::print_report(report, options, std::cout);
  return 0;
}

int inspect_command(const std::vector<std::string>& args) {
  po::options_description opts("Options");
  const auto cl = parse_cube_command(args, "inspect", opts, kInspectHelp);
  if (!cl) return 0;
  const std::string& cube = cl->rest.front();
  return phasecube::inspect_cube(cube, std::cout);
}

int dispatch(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty())
    throw InputError(
        "missing subcommand (run, theory, inspect, validate or diagnose); see phasecube --help");
  const std::string& first = args[0];
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (first == "--help" || first == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (first == "--version") {
    std::cout << "phasecube " << phasecube::kVersion << " (git " << phasecube::kGitCommit << ")\n";
    return 0;
  }
  if (first == "run" || first == "theory" || first == "inspect" || first == "validate" ||
      first == "diagnose") {
    try {
      if (first == "diagnose") return phasecube::diagnose_command(rest, argv[0]);
      if (first == "inspect") return inspect_command(rest);
      if (first == "validate") return validate_command(rest);
      return sweep_command(rest, first == "theory", joined_command_line(argc, argv));
    } catch (const po::error& e) {
      // Boost's own wording, plus where to look.
      throw InputError(std::string(e.what()) + "; see phasecube " + first + " --help");
    }
  }
  if (first.starts_with("-"))
    throw InputError("unknown option '" + first + "'; see phasecube --help");
  throw InputError("unknown subcommand '" + first +
                   "' (expected run, theory, inspect, validate or diagnose); see phasecube --help");
}

// Messages are promised to be one line, whatever bytes they quote (NULs included).
std::string one_line(const std::string& s) {
  return phasecube::printable_line(s);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const InputError& e) {
    // Every rank of an MPI job finds the same bad input; one line is enough.
    if (phasecube::mpi::launcher_rank() == 0)
      std::cerr << "phasecube: error: " << one_line(e.message()) << "\n";
    return 2;
  } catch (const phasecube::Stopped& e) {
    if (phasecube::mpi::launcher_rank() == 0) std::cerr << "phasecube: " << e.what() << "\n";
    return phasecube::kExitInterrupted;
  } catch (const std::bad_alloc& e) {
    // Past the up-front estimate (memory.hpp): a fault, not bad input. Snapshots are
    // written whole, so the output keeps its last one.
    std::cerr << "phasecube: fatal: out of memory (" << e.what()
              << "): the run needs more memory than the process may use; any output keeps its "
                 "last complete snapshot\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "phasecube: fatal: " << one_line(e.what()) << "\n";
    return 1;
  }
}
