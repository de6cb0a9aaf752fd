#pragma once
// Small dense kernels for the trial loop (d up to a few hundred). Plain column loops on
// Eigen storage: at these sizes Eigen's general product/solve set-up costs more than the
// arithmetic. Inner loops are axpys over contiguous columns (no reductions), so they
// vectorise without -ffast-math and give the same bits on every run.
#include <Eigen/Dense>

namespace phasecube {

// c = a a^T (full symmetric result). If `a_lower`, a is taken as lower triangular (its
// strictly upper part is ignored and may hold anything).
void syrk(const Eigen::MatrixXd& a, bool a_lower, Eigen::MatrixXd& c);

// out = l x for lower-triangular l (strictly upper part ignored). out must not alias x.
void lower_multiply(const Eigen::MatrixXd& l, const Eigen::MatrixXd& x, Eigen::MatrixXd& out);

// x <- l^-1 x (forward substitution) for lower-triangular l with a non-zero diagonal.
void lower_solve(const Eigen::MatrixXd& l, Eigen::MatrixXd& x);

// x <- l^-T x (back substitution) for lower-triangular l with a non-zero diagonal.
void lower_transpose_solve(const Eigen::MatrixXd& l, Eigen::MatrixXd& x);

// Lower Cholesky factor l of a symmetric positive-definite s (l l^T = s, strictly upper part
// of l zeroed). Returns false when s is singular or nearly so: a pivot l_ii^2 at or below
// `tolerance` s_ii (or s_ii not > 0) means coordinate i is (almost) a combination of earlier
// ones. l is then unspecified.
bool cholesky_lower(const Eigen::MatrixXd& s, double tolerance, Eigen::MatrixXd& l);

// Householder tridiagonalisation Q^T a Q = T of a symmetric matrix (both triangles of `a`
// must hold it). On return diag/sub hold T's diagonal and sub-diagonal, and `a`'s columns
// below the sub-diagonal hold the Householder vectors (unit first entry implied) whose
// scalars are in `tau`: Q = H_0 H_1 ... H_(d-3), H_j = I - tau_j v_j v_j^T. `p` and `w` are
// scratch, kept by the caller so that repeated calls do not allocate.
void tridiagonalize(Eigen::MatrixXd& a, Eigen::VectorXd& diag, Eigen::VectorXd& sub,
                    Eigen::VectorXd& tau, Eigen::VectorXd& p, Eigen::VectorXd& w);

// x <- Q x for the Q of tridiagonalize (a and tau as it returned them).
void apply_householder_q(const Eigen::MatrixXd& a, const Eigen::VectorXd& tau, Eigen::MatrixXd& x);

// All eigenvalues of the symmetric tridiagonal matrix (diag, sub), in descending order,
// written over `diag` (`sub` is destroyed). Root-free implicit QL (Pal-Walker-Kahan, as
// LAPACK's dsterf). Returns false if it did not converge (never seen; the caller should fall
// back to a robust solver), leaving diag/sub unspecified.
bool tridiagonal_eigenvalues(Eigen::VectorXd& diag, Eigen::VectorXd& sub);

// The same for `count` independent problems at once, their QL rotations interleaved: each
// rotation is a chain of dependent divisions, and independent chains overlap in the CPU.
// Every problem gets bitwise the result it gets alone. False if any did not converge.
bool tridiagonal_eigenvalues_batch(Eigen::VectorXd* const* diag, Eigen::VectorXd* const* sub,
                                   int count);

}  // namespace phasecube
