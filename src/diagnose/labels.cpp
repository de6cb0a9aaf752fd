#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "phasecube/diagnose_labels.hpp"
#include "phasecube/error.hpp"

namespace phasecube {

namespace {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::RowVectorXd;
using Eigen::VectorXd;

std::vector<Index> labelled_of(const std::vector<bool>& labelled) {
  std::vector<Index> rows;
  for (std::size_t i = 0; i < labelled.size(); ++i)
    if (labelled[i]) rows.push_back(static_cast<Index>(i));
  return rows;
}

// Held-out residuals of the ridge regression of every target column on all features (row i
// held out in fold i % folds). Linear in the targets: the noise calibration relies on it.
MatrixXd cv_residuals(const MatrixXd& f, const MatrixXd& t, int folds, double ridge) {
  MatrixXd res = t.rowwise() - t.colwise().mean();
  for (int k = 0; k < folds; ++k) {
    std::vector<Index> train, test;
    for (Index i = 0; i < f.rows(); ++i) (i % folds == k ? test : train).push_back(i);
    if (train.empty() || test.empty()) continue;
    const auto ntr = static_cast<double>(train.size());
    const RowVectorXd fmean = f(train, Eigen::all).colwise().mean();
    const RowVectorXd tmean = t(train, Eigen::all).colwise().mean();
    MatrixXd z = f(train, Eigen::all).rowwise() - fmean;
    RowVectorXd sd = (z.colwise().squaredNorm() / ntr).cwiseSqrt();
    sd = (sd.array() > 0).select(sd, 1.0);
    z = z.array().rowwise() / sd.array();
    MatrixXd gram = z.transpose() * z / ntr;
    gram.diagonal().array() += ridge;
    const MatrixXd beta =
        gram.ldlt().solve(z.transpose() * (t(train, Eigen::all).rowwise() - tmean) / ntr);
    const MatrixXd zte = (f(test, Eigen::all).rowwise() - fmean).array().rowwise() / sd.array();
    res(test, Eigen::all) = (t(test, Eigen::all) - zte * beta).rowwise() - tmean;
  }
  return res;
}

// R^2 of y + s e as a function of s: SSE and SST are quadratics in s (residuals are linear).
struct NoiseCurve {
  double a, b, c, sa, sb, sc;  // SSE = a + 2 b s + c s^2, SST = sa + 2 sb s + sc s^2
  double at(double s) const {
    return 1.0 - (a + s * (2 * b + s * c)) / (sa + s * (2 * sb + s * sc));
  }
};

// The smallest noise scale found by bisection with curve.at(sigma) = target (to rounding).
double calibrate(const NoiseCurve& curve, double target, double scale) {
  double lo = 0, hi = scale > 0 ? scale : 1.0;
  for (int i = 0; curve.at(hi) > target; ++i) {
    if (i == 200) throw InputError("--label-noise: adding noise does not lower the labels' R^2");
    hi *= 2;
  }
  for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (curve.at(mid) > target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// Uniform index in [0, n).
Index uniform_index(Stream& rng, Index n) {
  return std::min(n - 1, static_cast<Index>(rng.uniform() * static_cast<double>(n)));
}

}  // namespace

VectorXd label_r2(const MatrixXd& features, const MatrixXd& targets, int folds, double ridge) {
  const MatrixXd res = cv_residuals(features, targets, folds, ridge);
  const VectorXd sst = (targets.rowwise() - targets.colwise().mean()).colwise().squaredNorm();
  VectorXd r2 = VectorXd::Zero(targets.cols());
  for (Index l = 0; l < r2.size(); ++l)
    if (sst(l) > 0) r2(l) = 1.0 - res.col(l).squaredNorm() / sst(l);
  return r2;
}

NumericNoise numeric_label_noise(const MatrixXd& raw, const std::vector<bool>& labelled,
                                 const MatrixXd& features, double r, int folds, double ridge,
                                 Stream& rng) {
  const std::vector<Index> lab = labelled_of(labelled);
  const Index L = raw.cols(), m = static_cast<Index>(lab.size());
  MatrixXd e(raw.rows(), L);  // drawn for every row, so the draws do not depend on the mask
  for (Index i = 0; i < e.rows(); ++i)
    for (Index l = 0; l < L; ++l) e(i, l) = rng.normal();
  MatrixXd t(m, 2 * L);
  t << raw(lab, Eigen::all), e(lab, Eigen::all);
  const MatrixXd fl = features(lab, Eigen::all);
  const MatrixXd res = cv_residuals(fl, t, folds, ridge);
  const MatrixXd cen = t.rowwise() - t.colwise().mean();
  NumericNoise out{raw, VectorXd::Zero(L), VectorXd::Zero(L), VectorXd::Zero(L)};
  for (Index l = 0; l < L; ++l) {
    const auto ry = res.col(l), re = res.col(L + l), cy = cen.col(l), ce = cen.col(L + l);
    const NoiseCurve curve{ry.squaredNorm(), ry.dot(re), re.squaredNorm(),
                           cy.squaredNorm(), cy.dot(ce), ce.squaredNorm()};
    out.r2_clean(l) = cy.squaredNorm() > 0 ? curve.at(0) : 0.0;
    if (r < 1 && out.r2_clean(l) > 0)
      out.sigma(l) = calibrate(curve, r * out.r2_clean(l),
                               std::sqrt(cy.squaredNorm() / static_cast<double>(m)));
    if (out.sigma(l) > 0)
      for (const Index i : lab) out.labels(i, l) += out.sigma(l) * e(i, l);
  }
  out.r2_noisy = label_r2(fl, out.labels(lab, Eigen::all), folds, ridge);
  return out;
}

ClassNoise class_label_noise(const MatrixXd& raw, const std::vector<bool>& labelled, double r,
                             Stream& rng) {
  std::vector<Index> lab = labelled_of(labelled);
  std::vector<double> classes;
  for (const Index i : lab) classes.push_back(raw(i, 0));
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  ClassNoise out{raw, 1.0 - std::sqrt(r), 0};
  const auto n = static_cast<Index>(lab.size());
  out.reassigned = static_cast<int>(std::lround(out.fraction * static_cast<double>(n)));
  // The first `reassigned` places of a partial Fisher-Yates shuffle: rows without replacement.
  for (Index i = 0; i < out.reassigned; ++i) {
    std::swap(lab[static_cast<std::size_t>(i)],
              lab[static_cast<std::size_t>(i + uniform_index(rng, n - i))]);
    const Index c = uniform_index(rng, static_cast<Index>(classes.size()));
    out.labels(lab[static_cast<std::size_t>(i)], 0) = classes[static_cast<std::size_t>(c)];
  }
  return out;
}

MatrixXd quantile_bins(const MatrixXd& raw, const std::vector<bool>& labelled, int q,
                       std::vector<double>& edges) {
  const std::vector<Index> lab = labelled_of(labelled);
  std::vector<double> v;
  for (const Index i : lab) v.push_back(raw(i, 0));
  std::sort(v.begin(), v.end());
  edges.clear();
  const auto last = static_cast<double>(v.size() - 1);
  for (int b = 1; b < q; ++b) {  // numpy's linear quantile at b / q
    const double pos = last * static_cast<double>(b) / static_cast<double>(q);
    const auto lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    edges.push_back(v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]));
  }
  MatrixXd out = MatrixXd::Constant(raw.rows(), 1, -1.0);
  for (const Index i : lab)  // the number of edges <= the value (np.digitize)
    out(i, 0) = static_cast<double>(std::upper_bound(edges.begin(), edges.end(), raw(i, 0)) -
                                    edges.begin());
  return out;
}

MatrixXd merge_classes(const MatrixXd& raw, const std::vector<bool>& labelled,
                       const std::map<double, double>& map) {
  MatrixXd out = raw;
  for (const Index i : labelled_of(labelled)) out(i, 0) = map.at(raw(i, 0));
  return out;
}

namespace {

// Squared distances of every row to every centre (m x k), clipped at 0 against rounding.
MatrixXd distances(const MatrixXd& data, const MatrixXd& centres) {
  const VectorXd rows = data.rowwise().squaredNorm();
  const RowVectorXd cs = centres.rowwise().squaredNorm().transpose();
  MatrixXd d = (-2.0 * data * centres.transpose()).colwise() + rows;
  d.rowwise() += cs;
  return d.cwiseMax(0.0);
}

// k-means++: the first centre uniform, each next one a row drawn with probability
// proportional to its squared distance to the nearest centre chosen so far.
MatrixXd seed_centres(const MatrixXd& data, int k, Stream& rng) {
  const Index m = data.rows();
  MatrixXd centres(k, data.cols());
  centres.row(0) = data.row(uniform_index(rng, m));
  VectorXd d2 = (data.rowwise() - centres.row(0)).rowwise().squaredNorm();
  for (int c = 1; c < k; ++c) {
    const double total = d2.sum();
    Index pick = uniform_index(rng, m);  // every row on a centre already: any row
    if (total > 0) {
      const double target = rng.uniform() * total;
      double run = 0;
      for (pick = 0; pick < m - 1; ++pick)
        if ((run += d2(pick)) > target) break;
    }
    centres.row(c) = data.row(pick);
    d2 = d2.cwiseMin((data.rowwise() - centres.row(c)).rowwise().squaredNorm());
  }
  return centres;
}

// Nearest centre of every row (the lowest index on ties) and its squared distance.
void assign(const MatrixXd& data, const MatrixXd& centres, Kmeans& out, VectorXd& nearest) {
  const MatrixXd d = distances(data, centres);
  nearest.resize(data.rows());
  out.inertia = 0;
  for (Index i = 0; i < data.rows(); ++i) {
    Index j;
    nearest(i) = d.row(i).minCoeff(&j);
    out.cluster[static_cast<std::size_t>(i)] = static_cast<int>(j);
    out.inertia += nearest(i);
  }
}

Kmeans lloyd(const MatrixXd& data, MatrixXd centres, int max_iter, double tol) {
  const auto k = centres.rows();
  Kmeans out;
  out.cluster.assign(static_cast<std::size_t>(data.rows()), 0);
  VectorXd nearest;
  for (out.iterations = 1; out.iterations <= max_iter; ++out.iterations) {
    assign(data, centres, out, nearest);
    MatrixXd next = MatrixXd::Zero(k, data.cols());
    VectorXd count = VectorXd::Zero(k);
    for (Index i = 0; i < data.rows(); ++i) {
      next.row(out.cluster[static_cast<std::size_t>(i)]) += data.row(i);
      count(out.cluster[static_cast<std::size_t>(i)]) += 1;
    }
    for (Index c = 0; c < k; ++c) {
      if (count(c) > 0) {
        next.row(c) /= count(c);
        continue;
      }
      Index far;  // an empty cluster restarts on the row worst served
      nearest.maxCoeff(&far);
      next.row(c) = data.row(far);
      nearest(far) = 0;
    }
    const double shift = (next - centres).squaredNorm();
    centres = std::move(next);
    if (shift <= tol) break;
  }
  out.iterations = std::min(out.iterations, max_iter);
  assign(data, centres, out, nearest);
  return out;
}

}  // namespace

Kmeans kmeans(const MatrixXd& data, int k, Stream& rng, int inits, int max_iter, double tol) {
  const Index m = data.rows();
  if (k < 1 || k > m)
    throw InputError("k-means: k = " + std::to_string(k) + " must be 1 .. the " +
                     std::to_string(m) + " rows");
  const double var = (data.rowwise() - data.colwise().mean()).squaredNorm() /
                     static_cast<double>(m * std::max<Index>(1, data.cols()));
  Kmeans best;
  for (int run = 0; run < inits; ++run) {
    Kmeans r = lloyd(data, seed_centres(data, k, rng), max_iter, tol * var);
    if (run == 0 || r.inertia < best.inertia) best = std::move(r);
  }
  std::vector<int> name(static_cast<std::size_t>(k), -1);  // by first row
  int next = 0;
  for (int& c : best.cluster) {
    int& n = name[static_cast<std::size_t>(c)];
    if (n < 0) n = next++;
    c = n;
  }
  return best;
}

}  // namespace phasecube
