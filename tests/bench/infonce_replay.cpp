// Replays an InfoNCE training step by step from files, for the comparison with
// tools/infonce_torch.py (tests/check_infonce_torch.sh):
//   infonce_replay DIR TAU LR
// DIR holds w0.npy, v0.npy (k x d), x.npy, y.npy (n x d) and rows.npy (steps x B, the row
// indices of each step's batch). Prints each step's loss (before its update), one a line,
// to 17 significant digits.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "io/data_io.hpp"
#include "phasecube/infonce.hpp"

using namespace phasecube;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: infonce_replay DIR TAU LR\n");
    return 2;
  }
  try {
    const std::string dir = argv[1];
    const double tau = std::stod(argv[2]), lr = std::stod(argv[3]);
    auto load = [&](const char* name) { return read_matrix(dir + "/" + name, name); };
    const Eigen::MatrixXd x = load("x.npy"), y = load("y.npy"), rows = load("rows.npy");
    InfoNceTrainer t;
    t.start(load("w0.npy"), load("v0.npy"));
    std::vector<int> batch(static_cast<size_t>(rows.cols()));
    for (Eigen::Index s = 0; s < rows.rows(); ++s) {
      for (Eigen::Index b = 0; b < rows.cols(); ++b) {
        batch[static_cast<size_t>(b)] = static_cast<int>(rows(s, b));
      }
      std::printf("%.17g\n", t.step(x, y, batch.data(), static_cast<int>(batch.size()), tau, lr));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "phasecube: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
