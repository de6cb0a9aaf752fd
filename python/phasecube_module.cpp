// phasecube._core, the compiled half of the Python module (python/phasecube/__init__.py is the
// other). No numerics of its own: one cell's closed forms come from the config layer and
// theory_record as `phasecube theory` computes them, and diagnose from the CLI's own
// diagnose_json. Bad input is InputError with the CLI's message, raised as ValueError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <Eigen/Dense>
#include <string>
#include <vector>

#include "app/diagnose_cli.hpp"
#include "io/data_io.hpp"
#include "phasecube/error.hpp"
#include "phasecube/model.hpp"
#include "phasecube/version.hpp"
#include "sweep/cell.hpp"
#include "sweep/config.hpp"
#include "sweep/grid.hpp"

namespace py = pybind11;

namespace phasecube {

namespace {

// A 1-D or 2-D array as the CLI's readers give it (a 1-D array is one column), copied into a
// column-major matrix of doubles whatever its order and dtype. A converted copy of the array
// lives only while it is copied: the procedure then holds one copy of the data, as the CLI.
Eigen::MatrixXd to_matrix(const py::array& in, const std::string& what) {
  using Doubles = py::array_t<double, py::array::f_style | py::array::forcecast>;
  const Doubles a = Doubles::ensure(in);
  if (!a) throw InputError(what + ": not an array of real numbers");
  if (a.ndim() != 1 && a.ndim() != 2)
    throw InputError(what + ": expected a 1-D or 2-D array, got " + std::to_string(a.ndim()) +
                     "-D");
  const Eigen::Index rows = a.shape(0), cols = a.ndim() == 2 ? a.shape(1) : 1;
  check_matrix_size(static_cast<double>(rows), static_cast<double>(cols), what);
  Eigen::MatrixXd m = Eigen::Map<const Eigen::MatrixXd>(a.data(), rows, cols);
  check_not_empty(m, what);
  return m;
}

std::string diagnose_arrays(const py::array& x, const py::array& y, const py::array& labels,
                            const std::vector<std::string>& args) {
  Eigen::MatrixXd mx = to_matrix(x, "--x"), my = to_matrix(y, "--y");
  const Eigen::MatrixXd raw = to_matrix(labels, "--labels");
  py::gil_scoped_release unlocked;
  return diagnose_json(std::move(mx), std::move(my), raw, args);
}

// One cell's theory record: the config of `overrides` alone (no file), loaded and checked as
// `phasecube theory --config EMPTY.ini OVERRIDES...` would, then its one cell.
CellRecord theory_cell(const std::vector<std::string>& overrides) {
  const Config c = load_config(config_source_from_text("", "phasecube.theory", overrides));
  return theory_record(Grid(c).cell(0), c.run);
}

const char* numpy_type(VarType t) {
  switch (t) {
    case VarType::Int8:
      return "i1";
    case VarType::Int32:
      return "i4";
    case VarType::UInt8:
      return "u1";
    case VarType::Float64:
      break;
  }
  return "f8";
}

// The closed-form variables (theory_*) of `cells` cells: cell i sets model.<names[j]> to
// values[j][i], and `run` holds run.* overrides (run.methods). Returns, per variable, its
// numpy type and its values over the cells.
py::dict theory_cells(const std::vector<std::string>& names,
                      const std::vector<py::array_t<double, py::array::c_style>>& values,
                      std::size_t cells, const std::vector<std::string>& run) {
  std::vector<std::string> overrides = run;
  const std::size_t first = overrides.size();
  overrides.resize(first + names.size());
  const auto fill = [&](std::size_t cell) {
    for (std::size_t j = 0; j < names.size(); ++j)
      overrides[first + j] = "model." + names[j] + "=" + format_number(values[j].data()[cell]);
    return theory_cell(overrides);
  };
  // The variables: those of the first cell (or of the run's methods when there is none).
  const CellRecord head = cells > 0 ? fill(0) : theory_cell(run);
  std::vector<const CubeVariable*> vars;
  for (const auto& v : head.schema().variables())
    if (v.spec.name.starts_with("theory_")) vars.push_back(&v);
  std::vector<py::array_t<double>> out;
  for (std::size_t k = 0; k < vars.size(); ++k) out.emplace_back(static_cast<py::ssize_t>(cells));
  for (std::size_t cell = 0; cell < cells; ++cell) {
    const CellRecord r = cell == 0 ? head : fill(cell);
    for (std::size_t k = 0; k < vars.size(); ++k)
      out[k].mutable_data()[cell] = r.values()[vars[k]->offset];
  }
  py::dict d;
  for (std::size_t k = 0; k < vars.size(); ++k)
    d[py::str(std::string(vars[k]->spec.name))] =
        py::make_tuple(numpy_type(vars[k]->spec.type), out[k]);
  return d;
}

// The two-modality model's parameters: (name, default or None for the optional ones, doc).
py::list model_parameters() {
  py::list out;
  for (const auto& p : kModelParams)
    out.append(py::make_tuple(std::string(p.name),
                              p.optional ? py::object(py::none()) : py::float_(p.default_value),
                              std::string(p.doc)));
  return out;
}

// The procedure options of `phasecube diagnose`, as the CLI spells them ("fold-seed").
std::vector<std::string> diagnose_option_names() {
  boost::program_options::options_description opts;
  add_procedure_options(opts);
  std::vector<std::string> names;
  for (const auto& o : opts.options()) names.push_back(o->long_name());
  return names;
}

}  // namespace

}  // namespace phasecube

PYBIND11_MODULE(_core, m) {
  using namespace phasecube;
  m.doc() = "phasecube's engine (use the phasecube package, not this module)";
  m.attr("version") = kVersion;
  m.attr("git_commit") = kGitCommit;
  m.attr("numerics_version") = kNumericsVersion;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const InputError& e) {
      // The whole message (it may quote a NUL byte or invalid UTF-8 from the input).
      const std::string& text = e.message();
      py::object msg = py::reinterpret_steal<py::object>(
          PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace"));
      PyErr_SetObject(PyExc_ValueError, msg.ptr());
    }
  });
  m.def("diagnose_json", &diagnose_arrays, py::arg("x"), py::arg("y"), py::arg("labels"),
        py::arg("args"), "`phasecube diagnose --json` of arrays: its JSON text");
  m.def("theory_cells", &theory_cells, py::arg("names"), py::arg("values"), py::arg("cells"),
        py::arg("run"), "closed-form variables of cells: {name: (numpy type, values)}");
  m.def("model_parameters", &model_parameters, "[(name, default, doc)] of [model]");
  m.def("diagnose_option_names", &diagnose_option_names, "the CLI's procedure options");
}
