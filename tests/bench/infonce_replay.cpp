// Replays or runs an InfoNCE training from files, for the comparisons with
// tools/infonce_torch.py (tests/check_infonce_torch.sh):
//   infonce_replay DIR TAU LR
//     DIR holds w0.npy, v0.npy (k x d), x.npy, y.npy (n x d) and rows.npy (steps x B, the row
//     indices of each step's batch). Prints each step's loss (before its update), one a line,
//     to 17 significant digits.
//   infonce_replay train DIR K TAU LR BATCH MAX_STEPS PATIENCE TOL SEED
//     the engine's whole training on DIR's x.npy, y.npy (initial encoders and batches from
//     the Philox streams of (SEED, cell 0, trial 0), as a sweep's first trial): prints the
//     steps taken and the final loss on one line, then W (k rows of d values).
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/data_io.hpp"
#include "phasecube/infonce.hpp"

using namespace phasecube;

namespace {

Eigen::MatrixXd load(const std::string& dir, const char* name) {
  return read_matrix(dir + "/" + name, name);
}

void replay(const std::string& dir, double tau, double lr) {
  const Eigen::MatrixXd x = load(dir, "x.npy"), y = load(dir, "y.npy"),
                        rows = load(dir, "rows.npy");
  InfoNceTrainer t;
  t.start(load(dir, "w0.npy"), load(dir, "v0.npy"));
  std::vector<int> batch(static_cast<size_t>(rows.cols()));
  for (Eigen::Index s = 0; s < rows.rows(); ++s) {
    for (Eigen::Index b = 0; b < rows.cols(); ++b)
      batch[static_cast<size_t>(b)] = static_cast<int>(rows(s, b));
    std::printf("%.17g\n", t.step(x, y, batch.data(), static_cast<int>(batch.size()), tau, lr));
  }
}

void train(char** a) {
  const std::string dir = a[0];
  const int k = std::stoi(a[1]);
  InfoNceSettings s;
  s.tau = std::stod(a[2]);
  s.lr = std::stod(a[3]);
  s.batch = std::stoi(a[4]);
  s.max_steps = std::stoi(a[5]);
  s.patience = std::stoi(a[6]);
  s.tol = std::stod(a[7]);
  if (const char* why = infonce_settings_error(s)) throw std::invalid_argument(why);
  const std::uint64_t seed = std::stoull(a[8]);
  Stream init(seed, 0, 0, StreamPurpose::InfoNceInit);
  Stream batches(seed, 0, 0, StreamPurpose::InfoNceBatches);
  InfoNceTrainer t;
  const InfoNceResult r = t.train(load(dir, "x.npy"), load(dir, "y.npy"), k, s, init, batches);
  std::printf("%d %.17g\n", r.steps, r.final_loss);
  for (Eigen::Index i = 0; i < t.w().rows(); ++i)
    for (Eigen::Index j = 0; j < t.w().cols(); ++j)
      std::printf("%.17g%c", t.w()(i, j), j + 1 == t.w().cols() ? '\n' : ' ');
}

}  // namespace

int main(int argc, char** argv) {
  const bool is_train = argc > 1 && std::string(argv[1]) == "train";
  if (is_train ? argc != 11 : argc != 4) {
    std::fprintf(stderr,
                 "usage: infonce_replay DIR TAU LR\n"
                 "       infonce_replay train DIR K TAU LR BATCH MAX_STEPS PATIENCE TOL SEED\n");
    return 2;
  }
  try {
    if (is_train)
      train(argv + 2);
    else
      replay(argv[1], std::stod(argv[2]), std::stod(argv[3]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "phasecube: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
