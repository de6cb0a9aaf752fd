#pragma once
// Reading the data matrices of `phasecube diagnose`: HDF5 (FILE:DATASET), NumPy .npy
// (float32/float64/int32/int64, C order) and numeric CSV (optional header row).
// Every problem is an InputError naming the file.
#include <Eigen/Dense>
#include <iosfwd>
#include <string>
#include <vector>

namespace phasecube {

// `spec` is FILE or FILE:DATASET (the dataset is required for HDF5 and refused otherwise).
// The format follows the extension: .h5/.hdf5/.he5/.nc -> HDF5, .npy -> NumPy, else CSV.
// A 1-D array is one column. `what` names the input in messages ("--x"). A matrix without
// rows or columns, or too large for memory (check_matrix_size), is refused.
Eigen::MatrixXd read_matrix(const std::string& spec, const std::string& what);
// Refuses (InputError "what: shape (0, 3) has no rows") a matrix without rows or columns.
void check_not_empty(const Eigen::MatrixXd& m, const std::string& what);
// The .npy and CSV parsers behind read_matrix, on any stream (the fuzz targets feed them
// memory); `where` starts every message ("--x data.csv").
Eigen::MatrixXd parse_npy(std::istream& in, const std::string& where);
Eigen::MatrixXd parse_csv(std::istream& in, const std::string& where);

// Refuses (InputError "what would need N GiB of memory, more than ...") `bytes` beyond what
// this process can allocate: physical memory, or a lower RLIMIT_AS / RLIMIT_DATA.
void check_memory(double bytes, const std::string& what);
// check_memory for a rows x cols matrix of doubles, from a shape declared in a file: every
// reader calls it before allocating, so a lying or huge header is bad input, not bad_alloc.
void check_matrix_size(double rows, double cols, const std::string& what);

struct LabelTable {
  Eigen::MatrixXd values;      // n x L targets (one-hot for a class column)
  std::vector<bool> labelled;  // rows that count
  bool classes = false;        // one integer class column, one-hot encoded
  std::vector<double> class_values;
};
// One column of integers -> one-hot classes, -1 or NaN unlabelled; otherwise numeric targets
// with a NaN anywhere in a row making it unlabelled.
LabelTable make_label_table(const Eigen::MatrixXd& raw);
// Refuses (InputError naming `what`) labels without a labelled row. Labels that do not vary
// over the labelled rows (one class, constant columns) are not refused: diagnose answers
// "no label signal" for them.
void check_labels_present(const LabelTable& t, const std::string& what);

// Columns whose values are all equal (to within 1e-12 of the largest column variance).
std::vector<Eigen::Index> constant_columns(const Eigen::MatrixXd& m);
Eigen::MatrixXd drop_columns(const Eigen::MatrixXd& m, const std::vector<Eigen::Index>& drop);

}  // namespace phasecube
