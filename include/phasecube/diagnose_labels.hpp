#pragma once
// Label transformations of `phasecube diagnose` (--label-noise, --coarsen, --proxy-labels):
// the authors' label-quality study (label_robustness.py), applied to the raw label matrix
// before the one procedure. Pure functions on Eigen matrices. Raw labels are as the CLI reads
// them (one integer class column or numeric columns); `labelled` marks the rows that count
// (make_label_table's), the others are passed through unchanged.
#include <Eigen/Dense>
#include <cstdint>
#include <map>
#include <vector>

#include "phasecube/rng.hpp"

namespace phasecube {

// k-fold cross-validated ridge R^2 of every target column predicted from all feature columns
// at once, unclipped: the arithmetic of cv_ridge_r2 (features standardised on each training
// fold, penalty `ridge`, SSE pooled over the folds, total sum of squares over all rows).
// Row i is in fold i % folds (rows are often sorted by class: interleaving keeps folds mixed).
Eigen::VectorXd label_r2(const Eigen::MatrixXd& features, const Eigen::MatrixXd& targets, int folds,
                         double ridge);

// --label-noise r for numeric labels: column l gets sigma_l e_l added on its labelled rows,
// e ~ N(0, 1) drawn row by row from `rng`, sigma_l found by bisection so that label_r2 of the
// column (features = both views side by side) is r times its clean value (to 1e-9). A column
// whose clean R^2 is <= 0 is left as it is (sigma 0).
struct NumericNoise {
  Eigen::MatrixXd labels;
  Eigen::VectorXd sigma, r2_clean, r2_noisy;
};
NumericNoise numeric_label_noise(const Eigen::MatrixXd& raw, const std::vector<bool>& labelled,
                                 const Eigen::MatrixXd& features, double r, int folds, double ridge,
                                 Stream& rng);

// --label-noise r for class labels: a fraction f = 1 - sqrt(r) of the labelled rows (rounded)
// reassigned to uniformly random classes (of those present, the old one included). With K
// balanced classes the one-hot labels' regression on any features then shrinks by 1 - f, so
// their R^2 falls to (1 - f)^2 = r times its clean value, as for numeric labels.
struct ClassNoise {
  Eigen::MatrixXd labels;  // the class column
  double fraction = 0;
  int reassigned = 0;
};
ClassNoise class_label_noise(const Eigen::MatrixXd& raw, const std::vector<bool>& labelled,
                             double r, Stream& rng);

// --coarsen q: the labelled values of one column in q equal-frequency bins (numpy's default
// quantiles as edges, right-open bins as np.digitize): a class column of bin indices 0..q-1
// (unlabelled rows become -1). `edges` gets the q - 1 inner edges.
Eigen::MatrixXd quantile_bins(const Eigen::MatrixXd& raw, const std::vector<bool>& labelled, int q,
                              std::vector<double>& edges);

// --coarsen map:FILE: every class replaced by its image under `map` (each class present must
// be a key; the CLI checks).
Eigen::MatrixXd merge_classes(const Eigen::MatrixXd& raw, const std::vector<bool>& labelled,
                              const std::map<double, double>& map);

// k-means of the rows of `data` into k clusters: k-means++ seeding (D^2 sampling from `rng`),
// Lloyd iterations until the centres move by at most tol x (mean column variance) in squared
// norm or max_iter; an empty cluster takes the row farthest from its centre; the best of
// `inits` runs by inertia (sklearn's defaults: 10 runs, 300 iterations, tol 1e-4). Clusters
// are numbered in order of their first row, so equal partitions give equal labels.
struct Kmeans {
  std::vector<int> cluster;  // per row, 0..k-1
  double inertia = 0;        // sum of squared distances to the centres
  int iterations = 0;        // of the best run
};
Kmeans kmeans(const Eigen::MatrixXd& data, int k, Stream& rng, int inits = 10, int max_iter = 300,
              double tol = 1e-4);

}  // namespace phasecube
