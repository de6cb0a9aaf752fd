#include "phasecube/linalg.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <limits>

namespace phasecube {

namespace {
// Contiguous column segments: Eigen vectorises these (unaligned loads) with no set-up.
using Col = Eigen::Map<Eigen::VectorXd>;
using ConstCol = Eigen::Map<const Eigen::VectorXd>;
}  // namespace

void syrk(const Eigen::MatrixXd& a, bool a_lower, Eigen::MatrixXd& c) {
  const Eigen::Index m = a.rows(), n = a.cols();
  c.setZero(m, m);
  double* __restrict cp = c.data();
  const double* __restrict ap = a.data();
  // Four columns of a per sweep over c's lower triangle: a quarter of the short inner loops
  // (their set-up, not the arithmetic, dominates at d ~ 20) and of c's loads and stores.
  // With a lower-triangular a, columns l.. l+3 are zero above row l, so rows j < l are
  // skipped (the entries of a there are read as zero, whatever is stored).
  Eigen::Index l = 0;
  for (; l + 4 <= n; l += 4) {
    const double* a0 = ap + l * m;
    const double* a1 = a0 + m;
    const double* a2 = a1 + m;
    const double* a3 = a2 + m;
    for (Eigen::Index j = a_lower ? l : 0; j < m; ++j) {
      // Under a_lower, a_q[j] for j < l + q is above the diagonal: treat as zero.
      const double b0 = a0[j];
      const double b1 = (!a_lower || j >= l + 1) ? a1[j] : 0.0;
      const double b2 = (!a_lower || j >= l + 2) ? a2[j] : 0.0;
      const double b3 = (!a_lower || j >= l + 3) ? a3[j] : 0.0;
      double* __restrict c_j = cp + j * m;
      if (a_lower && j < l + 3) {  // rows j.. of columns l+1.. may hold junk above diagonal
        for (Eigen::Index i = j; i < m; ++i) {
          double v = b0 * a0[i];
          if (i >= l + 1) v += b1 * a1[i];
          if (i >= l + 2) v += b2 * a2[i];
          if (i >= l + 3) v += b3 * a3[i];
          c_j[i] += v;
        }
        continue;
      }
      for (Eigen::Index i = j; i < m; ++i)
        c_j[i] += b0 * a0[i] + b1 * a1[i] + b2 * a2[i] + b3 * a3[i];
    }
  }
  for (; l < n; ++l) {
    const double* a_l = ap + l * m;
    for (Eigen::Index j = a_lower ? l : 0; j < m; ++j) {
      const double a_jl = a_l[j];
      double* __restrict c_j = cp + j * m;
      for (Eigen::Index i = j; i < m; ++i) c_j[i] += a_jl * a_l[i];
    }
  }
  for (Eigen::Index j = 0; j < m; ++j)
    for (Eigen::Index i = j + 1; i < m; ++i) cp[i * m + j] = cp[j * m + i];
}

void lower_multiply(const Eigen::MatrixXd& l, const Eigen::MatrixXd& x, Eigen::MatrixXd& out) {
  const Eigen::Index m = l.rows(), n = x.cols();
  out.setZero(m, n);
  double* __restrict op = out.data();
  const double* __restrict lp = l.data();
  const double* __restrict xp = x.data();
  for (Eigen::Index j = 0; j < n; ++j) {
    double* __restrict o_j = op + j * m;
    for (Eigen::Index c = 0; c < m; ++c) {
      const double x_cj = xp[j * m + c];
      Col(o_j + c, m - c) += x_cj * ConstCol(lp + c * m + c, m - c);
    }
  }
}

// Both solves take the reciprocal pivots a chunk at a time into a stack buffer (divisions
// off the columns' dependency chains, no heap), then sweep every column over the chunk:
// each entry sees the same operations in the same order as in a column-by-column solve.
constexpr Eigen::Index kPivotChunk = 64;

void lower_solve(const Eigen::MatrixXd& l, Eigen::MatrixXd& x) {
  const Eigen::Index m = l.rows(), n = x.cols();
  const double* __restrict lp = l.data();
  double inv[kPivotChunk];
  for (Eigen::Index c0 = 0; c0 < m; c0 += kPivotChunk) {
    const Eigen::Index c1 = std::min(m, c0 + kPivotChunk);
    for (Eigen::Index c = c0; c < c1; ++c) inv[c - c0] = 1.0 / lp[c * m + c];
    for (Eigen::Index j = 0; j < n; ++j) {
      double* __restrict x_j = x.data() + j * m;
      for (Eigen::Index c = c0; c < c1; ++c) {
        const double v = x_j[c] * inv[c - c0];
        x_j[c] = v;
        Col(x_j + c + 1, m - c - 1) -= v * ConstCol(lp + c * m + c + 1, m - c - 1);
      }
    }
  }
}

void lower_transpose_solve(const Eigen::MatrixXd& l, Eigen::MatrixXd& x) {
  const Eigen::Index m = l.rows(), n = x.cols();
  const double* __restrict lp = l.data();
  double inv[kPivotChunk];
  for (Eigen::Index c1 = m; c1 > 0; c1 -= kPivotChunk) {  // chunks from the bottom up
    const Eigen::Index c0 = std::max<Eigen::Index>(0, c1 - kPivotChunk);
    for (Eigen::Index c = c0; c < c1; ++c) inv[c - c0] = 1.0 / lp[c * m + c];
    for (Eigen::Index j = 0; j < n; ++j) {
      double* __restrict x_j = x.data() + j * m;
      for (Eigen::Index c = c1 - 1; c >= c0; --c) {
        const double* l_c = lp + c * m;
        const double v =
            x_j[c] - ConstCol(l_c + c + 1, m - c - 1).dot(ConstCol(x_j + c + 1, m - c - 1));
        x_j[c] = v * inv[c - c0];
      }
    }
  }
}

bool cholesky_lower(const Eigen::MatrixXd& s, double tolerance, Eigen::MatrixXd& l) {
  const Eigen::Index m = s.rows();
  l = s;
  double* __restrict lp = l.data();
  // Right-looking, column by column: column c is final once its pivot is taken, and its
  // outer product is subtracted from the trailing lower triangle (contiguous axpys).
  for (Eigen::Index c = 0; c < m; ++c) {
    double* __restrict l_c = lp + c * m;
    const double pivot = l_c[c];
    const double scale = s(c, c);
    if (!(scale > 0) || !(pivot > tolerance * scale)) return false;
    const double root = std::sqrt(pivot);
    l_c[c] = root;
    const double inv = 1.0 / root;
    Col(l_c + c + 1, m - c - 1) *= inv;
    for (Eigen::Index j = c + 1; j < m; ++j)
      Col(lp + j * m + j, m - j) -= l_c[j] * ConstCol(l_c + j, m - j);
  }
  for (Eigen::Index j = 1; j < m; ++j)
    for (Eigen::Index i = 0; i < j; ++i) lp[j * m + i] = 0.0;
  return true;
}

namespace {
// p = t B v for the m x m trailing block B (column stride d) of tridiagonalize. Raw loops,
// four columns per pass: short loops' set-up dominates at d ~ 20. A function of its own so
// that the compiler takes p, B and v as distinct (restrict parameters).
void multiply_trailing(const double* __restrict b, Eigen::Index d, Eigen::Index m, double t,
                       const double* __restrict xv, double* __restrict pp) {
  for (Eigen::Index i = 0; i < m; ++i) pp[i] = 0.0;
  Eigen::Index c = 0;
  for (; c + 4 <= m; c += 4) {
    const double* b0 = b + c * d;
    const double* b1 = b0 + d;
    const double* b2 = b1 + d;
    const double* b3 = b2 + d;
    const double s0 = t * xv[c], s1 = t * xv[c + 1], s2 = t * xv[c + 2], s3 = t * xv[c + 3];
    for (Eigen::Index i = 0; i < m; ++i) pp[i] += s0 * b0[i] + s1 * b1[i] + s2 * b2[i] + s3 * b3[i];
  }
  for (; c < m; ++c) {
    const double* b0 = b + c * d;
    const double s0 = t * xv[c];
    for (Eigen::Index i = 0; i < m; ++i) pp[i] += s0 * b0[i];
  }
}
}  // namespace

void tridiagonalize(Eigen::MatrixXd& a, Eigen::VectorXd& diag, Eigen::VectorXd& sub,
                    Eigen::VectorXd& tau, Eigen::VectorXd& p, Eigen::VectorXd& w) {
  const Eigen::Index d = a.rows();
  diag.resize(d);
  sub.resize(std::max<Eigen::Index>(d - 1, 0));
  tau.setZero(std::max<Eigen::Index>(d - 1, 0));
  double* ap = a.data();
  p.resize(d);
  w.resize(d);
  for (Eigen::Index j = 0; j + 2 < d; ++j) {
    const Eigen::Index m = d - j - 1;  // size of the trailing block
    Col x(ap + j * d + j + 1, m);
    const double x0 = x(0);
    const double sigma = x.tail(m - 1).squaredNorm();
    diag(j) = ap[j * d + j];
    if (sigma == 0.0) {  // already reduced: H = I
      sub(j) = x0;
      tau(j) = 0.0;
      continue;
    }
    const double norm = std::sqrt(x0 * x0 + sigma);
    const double beta = x0 <= 0 ? norm : -norm;  // H x = beta e_1
    const double t = (beta - x0) / beta;
    x.tail(m - 1) *= 1.0 / (x0 - beta);
    x(0) = 1.0;  // v, stored in place
    tau(j) = t;
    sub(j) = beta;
    // Trailing block B <- H B H = B - v w^T - w v^T with p = t B v, w = p - (t/2)(p.v) v.
    double* b = ap + (j + 1) * d + (j + 1);
    const double* __restrict xv = x.data();
    auto pm = p.head(m);
    multiply_trailing(b, d, m, t, xv, pm.data());
    auto wm = w.head(m);
    wm = pm - (0.5 * t * pm.dot(x)) * x;
    const double* __restrict wv = wm.data();
    for (Eigen::Index c = 0; c < m; ++c) {
      double* __restrict bc = b + c * d;
      const double xc = xv[c], wc = wv[c];
      for (Eigen::Index i = 0; i < m; ++i) bc[i] -= xc * wv[i] + wc * xv[i];
    }
  }
  if (d >= 2) {
    diag(d - 2) = ap[(d - 2) * d + d - 2];
    sub(d - 2) = ap[(d - 2) * d + d - 1];
  }
  if (d >= 1) diag(d - 1) = ap[(d - 1) * d + d - 1];
}

void apply_householder_q(const Eigen::MatrixXd& a, const Eigen::VectorXd& tau, Eigen::MatrixXd& x) {
  const Eigen::Index d = a.rows();
  for (Eigen::Index j = d - 3; j >= 0; --j) {
    if (tau(j) == 0.0) continue;
    const Eigen::Index m = d - j - 1;
    // v = (1, a(j+2:, j))
    const ConstCol v_tail(a.data() + j * d + j + 2, m - 1);
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      Col xc(x.data() + c * d + j + 1, m);
      const double s = tau(j) * (xc(0) + v_tail.dot(xc.tail(m - 1)));
      xc(0) -= s;
      xc.tail(m - 1) -= s * v_tail;
    }
  }
}

namespace {
// Eigenvalues of [[a, b], [b, c]], rt1 of larger absolute value (LAPACK dlae2).
void eigen2x2(double a, double b, double c, double& rt1, double& rt2) {
  const double sm = a + c, df = a - c, adf = std::fabs(df), tb = b + b, ab = std::fabs(tb);
  const double acmx = std::fabs(a) > std::fabs(c) ? a : c;
  const double acmn = std::fabs(a) > std::fabs(c) ? c : a;
  double rt;
  if (adf > ab)
    rt = adf * std::sqrt(1.0 + (ab / adf) * (ab / adf));
  else if (adf < ab)
    rt = ab * std::sqrt(1.0 + (adf / ab) * (adf / ab));
  else
    rt = ab * std::sqrt(2.0);
  if (sm < 0) {
    rt1 = 0.5 * (sm - rt);
    rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
  } else if (sm > 0) {
    rt1 = 0.5 * (sm + rt);
    rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
  } else {
    rt1 = 0.5 * rt;
    rt2 = -0.5 * rt;
  }
}
}  // namespace

namespace {

// State of the root-free QL iteration on one tridiagonal matrix. The rotation loop of one
// QL sweep is a chain of dependent divisions; several independent problems advanced
// rotation by rotation overlap their chains. Each problem sees exactly the operations, in
// the same order, that it would see alone, so results do not depend on the batching.
struct QlState {
  double* dd = nullptr;  // diagonal -> eigenvalues
  double* e = nullptr;   // squared off-diagonal
  Eigen::Index n = 0, l = 0, m = 0, i = 0, iterations = 0, max_iterations = 0;
  double eps2 = 0, abs2 = 0;
  double sigma = 0, c = 0, s = 0, gamma = 0, p = 0;
  bool done = false;

  void start(Eigen::VectorXd& diag, Eigen::VectorXd& sub) {
    n = diag.size();
    done = n == 0;
    if (done) return;
    const double eps = std::numeric_limits<double>::epsilon();
    double tnorm = diag.cwiseAbs().maxCoeff();
    for (Eigen::Index k = 0; k + 1 < n; ++k) tnorm = std::max(tnorm, std::fabs(sub(k)));
    for (Eigen::Index k = 0; k + 1 < n; ++k) sub(k) *= sub(k);  // squared, in place
    dd = diag.data();
    e = sub.data();
    eps2 = eps * eps;
    // Off-diagonals below eps ||T|| are negligible (absolute test: zero diagonals, e.g. a
    // rank-deficient matrix, never pass the relative one).
    abs2 = (eps * tnorm) * (eps * tnorm);
    max_iterations = 30 * n;
    iterations = 0;
    l = 0;
  }
  bool negligible(Eigen::Index k) const {
    return e[k] <= eps2 * std::fabs(dd[k] * dd[k + 1]) || e[k] <= abs2;
  }
  // Deflates what has converged and sets up the next sweep. Returns false when the problem
  // is finished (done) or failed to converge (done stays false).
  bool prepare() {
    while (l < n) {
      m = l;
      while (m + 1 < n && !negligible(m)) ++m;
      if (m + 1 < n) e[m] = 0.0;
      if (m == l) {  // d(l) is an eigenvalue
        ++l;
        continue;
      }
      if (m == l + 1) {  // 2 x 2 block
        double rt1, rt2;
        eigen2x2(dd[l], std::sqrt(e[l]), dd[l + 1], rt1, rt2);
        dd[l] = rt1;
        dd[l + 1] = rt2;
        e[l] = 0.0;
        l += 2;
        continue;
      }
      if (++iterations > max_iterations) return false;
      // Implicit QL step on the unreduced block l..m with the shift from its top 2 x 2.
      const double rte = std::sqrt(e[l]);
      double t = (dd[l + 1] - dd[l]) / (2.0 * rte);
      // hypot(t, 1) without libm's slow hypot; |t| > 1e150 only if e_l ~ 1e-300.
      const double r0 = std::fabs(t) < 1e150 ? std::sqrt(t * t + 1.0) : std::fabs(t);
      sigma = dd[l] - rte / (t + (t >= 0 ? r0 : -r0));
      c = 1.0;
      s = 0.0;
      gamma = dd[m] - sigma;
      p = gamma * gamma;
      i = m - 1;
      return true;
    }
    done = true;
    return false;
  }
  bool sweeping() const { return i >= l; }
  // One rotation. One division on the dependency chain instead of three: 1/r and 1/p are
  // independent, and gamma^2 / c = gamma^2 r / p.
  void rotate() {
    const double bb = e[i];
    const double r = p + bb;
    const double inv_r = 1.0 / r;
    const double inv_p = 1.0 / p;  // inf when p = 0 (c = 0), handled below
    if (i != m - 1) e[i + 1] = s * r;
    const double oldc = c;
    c = p * inv_r;
    s = bb * inv_r;
    const double oldgam = gamma;
    const double alpha = dd[i];
    gamma = c * (alpha - sigma) - s * oldgam;
    dd[i + 1] = oldgam + (alpha - gamma);
    if (c == 0.0)
      p = oldc * bb;
    else if (inv_p <= std::numeric_limits<double>::max())
      p = (gamma * gamma) * (r * inv_p);
    else  // p so small that 1/p overflows
      p = (gamma * gamma) / c;
    --i;
  }
  void finish_sweep() {
    e[l] = s * p;
    dd[l] = sigma + gamma;
  }
};

}  // namespace

namespace {
template <int count>
bool ql_lockstep(Eigen::VectorXd* const* diag, Eigen::VectorXd* const* sub);
}  // namespace

bool tridiagonal_eigenvalues(Eigen::VectorXd& diag, Eigen::VectorXd& sub) {
  Eigen::VectorXd* d[1] = {&diag};
  Eigen::VectorXd* s[1] = {&sub};
  return tridiagonal_eigenvalues_batch(d, s, 1);
}

bool tridiagonal_eigenvalues_batch(Eigen::VectorXd* const* diag, Eigen::VectorXd* const* sub,
                                   int count) {
  constexpr int kMax = 4;
  if (count > kMax) {  // larger batches in groups
    for (int g = 0; g < count; g += kMax)
      if (!tridiagonal_eigenvalues_batch(diag + g, sub + g, std::min(kMax, count - g)))
        return false;
    return true;
  }
  switch (count) {  // a compile-time count lets the compiler keep the states in registers
    case 1:
      return ql_lockstep<1>(diag, sub);
    case 2:
      return ql_lockstep<2>(diag, sub);
    case 3:
      return ql_lockstep<3>(diag, sub);
    default:
      return ql_lockstep<4>(diag, sub);
  }
}

namespace {

template <int count>
bool ql_lockstep(Eigen::VectorXd* const* diag, Eigen::VectorXd* const* sub) {
  QlState q[count];
  bool sweep[count] = {};
  for (int j = 0; j < count; ++j) q[j].start(*diag[j], *sub[j]);
  for (;;) {
    bool any = false;
    for (int j = 0; j < count; ++j) {
      sweep[j] = !q[j].done && q[j].prepare();
      if (!sweep[j] && !q[j].done) return false;  // no convergence
      any = any || sweep[j];
    }
    if (!any) break;
    for (bool more = true; more;) {  // the sweeps' rotations, interleaved
      more = false;
      for (int j = 0; j < count; ++j)
        if (sweep[j] && q[j].sweeping()) {
          q[j].rotate();
          more = true;
        }
    }
    for (int j = 0; j < count; ++j)
      if (sweep[j]) q[j].finish_sweep();
  }
  for (int j = 0; j < count; ++j)
    std::sort(diag[j]->data(), diag[j]->data() + diag[j]->size(), std::greater<double>());
  return true;
}

}  // namespace

}  // namespace phasecube
