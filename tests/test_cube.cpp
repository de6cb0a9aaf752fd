// The HDF5 cube (DESIGN 3): round trip through CubeWriter/read_cube, readability by
// ncdump and xarray, error handling, and `inspect`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <numeric>
#include <random>
#include <sstream>

#include "app/inspect.hpp"
#include "io/cube.hpp"
#include "io/cube_io.hpp"
#include "io/hdf5.hpp"
#include "phasecube/version.hpp"
#include "sweep/methods/registry.hpp"

namespace phasecube {
namespace {

namespace fs = std::filesystem;

// The two-modality schema without [diagnose] (every default method): its variables sit one
// slot each, in order, so slot v is variable v.
const CubeSchema& two() {
  static const CubeSchema schema = MethodPlan<TwoModalityModel>({}, SectionUse::Off, 0).schema();
  return schema;
}
const std::size_t kNumVariables = two().variables().size();
std::vector<VariableSpec> specs() {
  std::vector<VariableSpec> out;
  for (const CubeVariable& v : two().variables()) out.push_back(v.spec);
  return out;
}
const std::vector<VariableSpec> kVariables = specs();
using Record = std::vector<double>;
std::size_t slot(std::string_view name) {
  return two().find(name)->offset;
}
double& at(Record& r, std::string_view name) {
  return r[slot(name)];
}
Record blank() {
  return Record(two().record_size());
}

// Distinct, exactly representable values per (cell, variable); integer variables get codes.
Record record_for(std::size_t cell) {
  Record r = blank();
  for (std::size_t v = 0; v < kNumVariables; ++v)
    r[v] = static_cast<double>(cell) * 100 + static_cast<double>(v) + 0.25;
  for (const VariableSpec& spec : kVariables)  // every regime code (regime_rev's too)
    if (spec.type == VarType::Int8) at(r, spec.name) = static_cast<double>((cell + 2) % 4);
  at(r, "theory_regime") = static_cast<double>(cell % 4);
  at(r, "empirical_regime") = static_cast<double>((cell + 1) % 4);
  at(r, "trials_done") = static_cast<double>(1000 + cell);
  at(r, "done") = 1;
  return r;
}

// Records as the one writer takes them.
std::vector<double> flat(const std::vector<Record>& records) {
  std::vector<double> out;
  for (const Record& r : records) out.insert(out.end(), r.begin(), r.end());
  return out;
}

RunInfo info_2d() {
  RunInfo info;
  info.axes = {{"kappa", "0.5, 1, 2", {0.5, 1, 2}},
               {"nu", "linspace(0, 0.75, 4)", {0, 0.25, 0.5, 0.75}}};
  info.fixed = {{"d", {10}}, {"k", {2}}, {"gamma_x", {1, 2}}};
  info.config_text = "[model]\nd = 10\n";
  info.seed = 42;
  info.trials = 100000;  // at least every trials_done of record_for (the reader checks it)
  info.sampler = "wishart";
  info.command_line = "phasecube run test.ini";
  info.mpi_ranks = 3;
  info.threads = 2;
  return info;
}

std::string run_command(const std::string& cmd, int* status = nullptr) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  const int rc = pclose(p);
  if (status != nullptr) *status = rc;
  return out;
}

bool have_command(const std::string& name) {
  int rc = -1;
  run_command("command -v " + name, &rc);
  return rc == 0;
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class CubeTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("phasecube_test_cube_" + std::to_string(getpid()) + "_" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Cube of info_2d() with cells {0, 5, 11}, {7, 3} and {1} written in three calls; cell 7
  // carries a NaN regime, which must be stored as the int8 fill (and is not done: a done
  // cell without a regime is refused by the reader).
  std::string write_2d() {
    const std::string path = (dir_ / "cube.h5").string();
    CubeWriter w(path, info_2d(), two(), false);
    for (const std::vector<std::size_t>& cells :
         {std::vector<std::size_t>{0, 5, 11}, std::vector<std::size_t>{7, 3},
          std::vector<std::size_t>{1}}) {
      std::vector<Record> recs;
      for (std::size_t c : cells) recs.push_back(record_for(c));
      for (std::size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == 7) {
          at(recs[i], "empirical_regime") = NAN;
          at(recs[i], "done") = 0;
        }
      w.write_cells(cells, flat(recs));
    }
    w.finish(true, 12.5);
    return path;
  }

  fs::path dir_;
};

const std::vector<std::size_t> kWritten = {0, 1, 3, 5, 7, 11};

TEST_F(CubeTest, RoundTripValuesFillsAndAttributes) {
  const CubeContents c = read_cube(write_2d());

  ASSERT_EQ(c.axes.size(), 2u);
  EXPECT_EQ(c.axes[0].name, "kappa");
  EXPECT_EQ(c.axes[0].values, (std::vector<double>{0.5, 1, 2}));
  EXPECT_EQ(c.axes[1].name, "nu");
  EXPECT_EQ(c.axes[1].values, (std::vector<double>{0, 0.25, 0.5, 0.75}));

  ASSERT_EQ(c.variables.size(), kNumVariables);
  for (std::size_t v = 0; v < kNumVariables; ++v) {
    const VariableSpec& spec = kVariables[v];
    const std::vector<double>& values = c.variables.at(std::string(spec.name));
    ASSERT_EQ(values.size(), 12u) << spec.name;
    for (std::size_t cell = 0; cell < 12; ++cell) {
      const bool written = std::ranges::find(kWritten, cell) != kWritten.end();
      double expected = written ? record_for(cell)[v] : fill_value(spec.type);
      if (cell == 7 && spec.name == "empirical_regime") expected = -1;
      if (cell == 7 && spec.name == "done") expected = 0;
      if (std::isnan(expected))
        EXPECT_TRUE(std::isnan(values[cell])) << spec.name << " cell " << cell;
      else
        EXPECT_EQ(values[cell], expected) << spec.name << " cell " << cell;
    }
  }
  // Spot checks of the fills by type, independent of the loop above.
  EXPECT_TRUE(std::isnan(c.variables.at("ca_distance_mean")[2]));
  EXPECT_EQ(c.variables.at("theory_regime")[2], -1);
  EXPECT_EQ(c.variables.at("trials_done")[2], 0);
  EXPECT_EQ(c.variables.at("done")[2], 0);
  EXPECT_EQ(c.variables.at("trials_done")[11], 1011);
  EXPECT_EQ(c.variables.at("empirical_regime")[5], 2);

  const auto& s = c.string_attributes;
  EXPECT_EQ(s.at("status"), "complete");
  EXPECT_EQ(s.at("axes"), "kappa,nu");
  EXPECT_EQ(s.at("config"), "[model]\nd = 10\n");
  EXPECT_EQ(s.at("sampler"), "wishart");
  EXPECT_EQ(s.at("command_line"), "phasecube run test.ini");
  EXPECT_EQ(s.at("software_version"), kVersion);
  EXPECT_EQ(s.at("git_commit"), kGitCommit);
  const auto& n = c.number_attributes;
  EXPECT_EQ(n.at("seed"), std::vector<double>{42});
  EXPECT_EQ(n.at("trials"), std::vector<double>{100000});
  EXPECT_EQ(n.at("mpi_ranks"), std::vector<double>{3});
  EXPECT_EQ(n.at("threads"), std::vector<double>{2});
  EXPECT_EQ(n.at("wall_seconds"), std::vector<double>{12.5});
  EXPECT_EQ(n.at("d"), std::vector<double>{10});
  EXPECT_EQ(n.at("k"), std::vector<double>{2});
  EXPECT_EQ(n.at("gamma_x"), (std::vector<double>{1, 2}));
  EXPECT_EQ(n.at("theory_only"), std::vector<double>{0});
}

// The working cube (issue 15): status "running" while the writer is open, readable at any
// moment with every cell not done at its fill (cell 7 is written but not done); finish()
// makes it final, keeping what was written of cell 7, and a second finish is refused.
TEST_F(CubeTest, RunningUntilFinishedThenFinal) {
  const std::string path = (dir_ / "cube.h5").string();
  const std::vector<std::size_t> cells = {7, 3};
  std::vector<Record> recs = {record_for(7), record_for(3)};
  at(recs[0], "done") = 0;
  {
    CubeWriter w(path, info_2d(), two(), false);
    CubeContents c = read_cube(path);  // readable while the writer is open
    EXPECT_EQ(c.string_attributes.at("status"), "running");
    EXPECT_TRUE(std::isnan(c.number_attributes.at("wall_seconds").at(0)));
    EXPECT_EQ(c.variables.at("done"), std::vector<double>(12, 0));
    w.write_cells(cells, flat(recs));
    c = read_cube(path);
    EXPECT_EQ(c.variables.at("done")[3], 1);
    EXPECT_EQ(c.variables.at("cp_gap_mean")[3], record_for(3)[slot("cp_gap_mean")]);
    EXPECT_TRUE(std::isnan(c.variables.at("cp_gap_mean")[7]));  // not done: fill
    EXPECT_EQ(c.variables.at("trials_done")[7], 0);
    EXPECT_EQ(w.done_cells(), [] {
      std::vector<bool> d(12, false);
      d[3] = true;
      return d;
    }());
    w.finish(false, 2.0);
    EXPECT_THROW(w.finish(true, 1.0), std::logic_error);
  }
  const CubeContents c = read_cube(path);
  EXPECT_EQ(c.string_attributes.at("status"), "partial");
  EXPECT_EQ(c.number_attributes.at("wall_seconds"), std::vector<double>{2.0});
  EXPECT_EQ(c.variables.at("cp_gap_mean")[7], record_for(7)[slot("cp_gap_mean")]);
  EXPECT_EQ(c.variables.at("done")[7], 0);
  EXPECT_TRUE(std::isnan(c.variables.at("cp_gap_mean")[0]));  // never written: fill
}

// A writer dropped without finish (what a kill -9 leaves) is resumed in place; a final
// partial cube is converted back to a working one with its done cells. Either way the cells
// written before and after land where they belong, and never-written cells are fill.
TEST_F(CubeTest, ResumeInPlaceAndFromAFinalCube) {
  for (const bool finish_first : {false, true}) {
    const std::string path = (dir_ / (finish_first ? "final.h5" : "killed.h5")).string();
    const std::vector<std::size_t> first = {0, 5, 11}, second = {2, 4};
    auto records = [](const std::vector<std::size_t>& cells) {
      std::vector<Record> recs;
      for (std::size_t c : cells) recs.push_back(record_for(c));
      return flat(recs);
    };
    {
      CubeWriter w(path, info_2d(), two(), false);
      w.write_cells(first, records(first));
      if (finish_first) w.finish(false, 1.0);
    }
    CubeWriter w = CubeWriter::resume(path, info_2d(), two());
    const std::vector<bool> done = w.done_cells();
    for (std::size_t c = 0; c < 12; ++c)
      EXPECT_EQ(done[c], c == 0 || c == 5 || c == 11) << c << (finish_first ? " final" : "");
    EXPECT_EQ(read_cube(path).string_attributes.at("status"), "running");
    w.write_cells(second, records(second));
    w.finish(false, 3.0);
    const CubeContents c = read_cube(path);
    for (std::size_t cell = 0; cell < 12; ++cell) {
      const bool written = cell == 0 || cell == 5 || cell == 11 || cell == 2 || cell == 4;
      const double gap = c.variables.at("cp_gap_mean")[cell];
      if (written)
        EXPECT_EQ(gap, record_for(cell)[slot("cp_gap_mean")]) << cell;
      else
        EXPECT_TRUE(std::isnan(gap)) << cell;
      EXPECT_EQ(c.variables.at("done")[cell], written ? 1 : 0) << cell;
    }
  }
}

TEST_F(CubeTest, ManyCellsInShuffledBatchesOnThreeAxes) {
  RunInfo info = info_2d();
  std::vector<double> n_values(30);
  std::iota(n_values.begin(), n_values.end(), 100.0);
  info.axes = {{"kappa", "", std::vector<double>(20, 1.0)},
               {"nu", "", std::vector<double>(25, 0.5)},
               {"n", "", n_values}};
  const std::string path = (dir_ / "big.h5").string();
  std::vector<std::size_t> cells(20 * 25 * 30);
  std::iota(cells.begin(), cells.end(), 0);
  std::shuffle(cells.begin(), cells.end(), std::mt19937(7));
  {
    CubeWriter w(path, info, two(), false);
    for (std::size_t b = 0; b < cells.size(); b += 2500) {
      const std::span<const std::size_t> batch(cells.data() + b, 2500);
      std::vector<Record> recs;
      for (std::size_t c : batch) recs.push_back(record_for(c));
      w.write_cells(batch, flat(recs));
    }
    w.finish(true, 0);
  }
  const CubeContents c = read_cube(path);
  const auto& gap = c.variables.at("cp_gap_mean");
  const auto& trials = c.variables.at("trials_done");
  ASSERT_EQ(gap.size(), cells.size());
  const auto gap_index = slot("cp_gap_mean");
  for (std::size_t i = 0; i < cells.size(); ++i) {
    ASSERT_EQ(gap[i], record_for(i)[gap_index]) << i;
    ASSERT_EQ(trials[i], static_cast<double>(1000 + i)) << i;
  }
  EXPECT_EQ(c.axes[2].values, n_values);
}

// read_cube_blocks (what inspect reads, memory one block) gives every cell exactly once, in
// blocks of at most one chunk, with the values read_cube gives; a running cube's undone cells
// read as fill, as read_cube's do.
TEST_F(CubeTest, ReadCubeBlocksGivesEveryCellOnceAsReadCube) {
  RunInfo info = info_2d();
  info.axes = {{"kappa", "", std::vector<double>(300, 1.0)},
               {"nu", "", std::vector<double>(301, 0.5)}};
  const std::string path = (dir_ / "blocks.h5").string();
  std::vector<std::size_t> cells(300 * 301);
  std::iota(cells.begin(), cells.end(), 0);
  std::shuffle(cells.begin(), cells.end(), std::mt19937(3));
  cells.resize(60000);  // a third never written
  CubeWriter w(path, info, two(), false);
  std::vector<Record> recs;
  for (std::size_t c : cells) recs.push_back(record_for(c));
  w.write_cells(cells, flat(recs));
  for (const bool running : {true, false}) {
    if (!running) w.finish(false, 1.0);
    const CubeContents whole = read_cube(path);
    EXPECT_EQ(whole.string_attributes.at("status"), running ? "running" : "partial");
    std::vector<int> seen(300 * 301, 0);
    std::size_t blocks = 0, done = 0;
    read_cube_blocks(path, stored_schema, [&](const CubeContents& header, const CubeBlock& b) {
      EXPECT_EQ(header.axes.size(), 2u);
      EXPECT_LE(b.cells.size(), std::size_t{1} << 16);
      ++blocks;
      for (const auto& [name, values] : b.variables) {
        const std::vector<double>& all = whole.variables.at(name);
        ASSERT_EQ(values.size(), b.cells.size()) << name;
        for (std::size_t i = 0; i < b.cells.size(); ++i) {
          const double want = all[b.cells[i]];
          ASSERT_TRUE(values[i] == want || (std::isnan(values[i]) && std::isnan(want)))
              << name << " cell " << b.cells[i];
        }
      }
      for (std::size_t i = 0; i < b.cells.size(); ++i) {
        ++seen[b.cells[i]];
        done += b.variables.at("done")[i] == 1;
      }
    });
    EXPECT_GT(blocks, 1u);
    EXPECT_TRUE(std::ranges::all_of(seen, [](int n) { return n == 1; }));
    EXPECT_EQ(done, 60000u);
    EXPECT_EQ(whole.variables.at("cp_gap_mean")[cells[0]],
              record_for(cells[0])[slot("cp_gap_mean")]);
  }
}

TEST_F(CubeTest, NcdumpSeesNamedDimensions) {
  if (!have_command("ncdump")) GTEST_SKIP() << "ncdump not installed";
  const std::string path = write_2d();
  int rc = -1;
  const std::string out = run_command("ncdump -h '" + path + "'", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("kappa = 3 ;"), std::string::npos) << out;
  EXPECT_NE(out.find("nu = 4 ;"), std::string::npos) << out;
  EXPECT_NE(out.find("double kappa(kappa) ;"), std::string::npos) << out;
  EXPECT_NE(out.find("double nu(nu) ;"), std::string::npos) << out;
  EXPECT_EQ(out.find("phony_dim"), std::string::npos) << out;
  for (const VariableSpec& v : kVariables) {
    const char* type = v.type == VarType::Float64 ? "double"
                       : v.type == VarType::Int8  ? "byte"
                       : v.type == VarType::Int32 ? "int"
                                                  : "ubyte";
    const std::string decl = std::string(type) + " " + std::string(v.name) + "(kappa, nu) ;";
    EXPECT_NE(out.find(decl), std::string::npos) << decl << "\n" << out;
  }
  EXPECT_NE(out.find(":status = \"complete\" ;"), std::string::npos) << out;
  EXPECT_NE(out.find(":axes = \"kappa,nu\" ;"), std::string::npos) << out;
  EXPECT_NE(out.find("empirical_regime:_FillValue = -1b ;"), std::string::npos) << out;
  EXPECT_NE(out.find(":seed = 42ULL ;"), std::string::npos) << out;
  EXPECT_NE(out.find(":gamma_x = 1., 2. ;"), std::string::npos) << out;
  // netCDF decodes the storage: shuffled, deflated chunks (one for this small cube).
  const std::string storage = run_command("ncdump -hs '" + path + "'", &rc);
  ASSERT_EQ(rc, 0) << storage;
  EXPECT_NE(storage.find("ca_gap_mean:_ChunkSizes = 3, 4 ;"), std::string::npos) << storage;
  EXPECT_NE(storage.find("ca_gap_mean:_DeflateLevel = 1 ;"), std::string::npos) << storage;
  EXPECT_NE(storage.find("ca_gap_mean:_Shuffle = \"true\" ;"), std::string::npos) << storage;
}

constexpr const char* kXarrayScript = R"(
import sys
import xarray as xr
ds = xr.open_dataset(sys.argv[1], engine="h5netcdf")
for name, var in ds.data_vars.items():
    print("VAR", name, ",".join(var.dims))
for axis in ds.dims:
    print("AXIS", axis, " ".join(repr(float(x)) for x in ds[axis].values))
print("STATUS", ds.attrs["status"])
if ds.dims:
    print("VALUE", repr(float(ds["ca_gap_mean"].sel(kappa=1.0, nu=0.25))))
    print("MISSING", int(ds["empirical_regime"].isnull().sum()))
else:
    print("VALUE", repr(float(ds["ca_gap_mean"])))
)";

std::string run_xarray(const fs::path& dir, const std::string& cube) {
  const fs::path script = dir / "read.py";
  std::ofstream(script) << kXarrayScript;
  int rc = -1;
  std::string out = run_command("/usr/bin/python3 '" + script.string() + "' '" + cube + "'", &rc);
  EXPECT_EQ(rc, 0) << out;
  return out;
}

TEST_F(CubeTest, XarrayOpensWithNamedDimensionsAndCoordinates) {
  if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  const std::string out = run_xarray(dir_, write_2d());
  for (const VariableSpec& v : kVariables)
    EXPECT_NE(out.find("VAR " + std::string(v.name) + " kappa,nu\n"), std::string::npos)
        << v.name << "\n"
        << out;
  EXPECT_NE(out.find("AXIS kappa 0.5 1.0 2.0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("AXIS nu 0.0 0.25 0.5 0.75\n"), std::string::npos) << out;
  EXPECT_NE(out.find("STATUS complete\n"), std::string::npos) << out;
  // Cell (kappa=1, nu=0.25) is linear cell 5.
  const double v = record_for(5)[slot("ca_gap_mean")];
  char expected[64];
  std::snprintf(expected, sizeof expected, "VALUE %.2f\n", v);
  EXPECT_NE(out.find(expected), std::string::npos) << expected << out;
  // _FillValue = -1 makes xarray mask the 6 unwritten cells and cell 7's NaN regime.
  EXPECT_NE(out.find("MISSING 7\n"), std::string::npos) << out;
}

TEST_F(CubeTest, CubeWithoutAxesHasScalarVariables) {
  RunInfo info = info_2d();
  info.axes.clear();
  const std::string path = (dir_ / "scalar.h5").string();
  {
    CubeWriter w(path, info, two(), false);
    const std::vector<std::size_t> bad = {1};
    EXPECT_THROW(w.write_cells(bad, flat({record_for(1)})), std::out_of_range);
    const std::vector<std::size_t> cell = {0};
    w.write_cells(cell, flat({record_for(0)}));
    w.finish(true, 3);
  }
  const CubeContents c = read_cube(path);
  EXPECT_TRUE(c.axes.empty());
  EXPECT_EQ(c.string_attributes.at("axes"), "");
  for (std::size_t v = 0; v < kNumVariables; ++v)
    EXPECT_EQ(c.variables.at(std::string(kVariables[v].name)),
              std::vector<double>{record_for(0)[v]})
        << kVariables[v].name;

  if (have_command("ncdump")) {
    const std::string out = run_command("ncdump -h '" + path + "'");
    EXPECT_NE(out.find("double theory_delta_ca ;"), std::string::npos) << out;
    EXPECT_NE(out.find("ubyte done ;"), std::string::npos) << out;
  }
  if (fs::exists("/usr/bin/python3")) {
    const std::string out = run_xarray(dir_, path);
    for (const VariableSpec& v : kVariables)
      EXPECT_NE(out.find("VAR " + std::string(v.name) + " \n"), std::string::npos) << out;
    char expected[64];
    std::snprintf(expected, sizeof expected, "VALUE %.2f\n", record_for(0)[slot("ca_gap_mean")]);
    EXPECT_NE(out.find(expected), std::string::npos) << out;
  }
}

TEST_F(CubeTest, ExistingFileIsKeptWithoutOverwrite) {
  const std::string path = write_2d();
  const std::string before = file_bytes(path);
  RunInfo other = info_2d();
  other.seed = 7;
  try {
    CubeWriter w(path, other, two(), false);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "output " + path + " exists; pass --overwrite to replace it");
  }
  EXPECT_EQ(file_bytes(path), before);

  { CubeWriter w(path, other, two(), true); }
  const CubeContents c = read_cube(path);
  EXPECT_EQ(c.number_attributes.at("seed"), std::vector<double>{7});
  EXPECT_EQ(c.string_attributes.at("status"), "running");
  EXPECT_EQ(c.variables.at("done")[0], 0);  // the old data is gone
}

TEST_F(CubeTest, MissingDirectoryThrowsAndCreatesNothing) {
  const fs::path missing = dir_ / "no" / "such";
  const std::string path = (missing / "cube.h5").string();
  try {
    CubeWriter w(path, info_2d(), two(), false);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "no"));
}

TEST_F(CubeTest, WriteCellsRejectsBadInput) {
  const std::string path = (dir_ / "cube.h5").string();
  CubeWriter w(path, info_2d(), two(), false);
  const std::vector<std::size_t> two = {0, 1};
  EXPECT_THROW(w.write_cells(two, flat({record_for(0)})), std::invalid_argument);
  const std::vector<std::size_t> outside = {12};
  EXPECT_THROW(w.write_cells(outside, flat({record_for(0)})), std::out_of_range);
}

// 64-bit point selections (issue 15): cells of a 2^33-cell cube (2048^3; only the chunks
// written are stored) land at their own coordinates, read back point by point with HDF5. A
// 32-bit cell index or coordinate would write cell 2^32 + 5 over cell 5.
TEST_F(CubeTest, CellsBeyondTwoToThe32LandAtTheirCoordinates) {
  RunInfo info = info_2d();
  std::vector<double> values(2048);
  std::iota(values.begin(), values.end(), 1.0);
  info.axes = {{"kappa", "", values}, {"nu", "", values}, {"n", "", values}};
  constexpr std::size_t k32 = std::size_t{1} << 32;
  const std::vector<std::size_t> cells = {5, k32 - 1, k32, k32 + 5, 2 * k32 - 1};
  const std::vector<std::vector<hsize_t>> coords = {
      {0, 0, 5}, {1023, 2047, 2047}, {1024, 0, 0}, {1024, 0, 5}, {2047, 2047, 2047}};
  std::vector<Record> recs;
  for (std::size_t c : cells) {
    recs.push_back(record_for(c));  // cp_gap_mean = 100 c + its slot + 0.25: exact, distinct
    at(recs.back(), "trials_done") = 7;
  }
  const std::string path = (dir_ / "wide.h5").string();
  {
    CubeWriter w(path, info, two(), false);
    w.write_cells(cells, flat(recs));
    w.finish(false, 0);
  }
  h5::File f = h5::open_file(path, true);
  for (const char* name : {"cp_gap_mean", "trials_done", "done"}) {
    h5::Dataset ds = h5::open_dataset(f.get(), name);
    EXPECT_EQ(h5::dims_of(ds.get()), (std::vector<hsize_t>{2048, 2048, 2048}));
    h5::Dataspace file(H5Dget_space(ds.get()));
    std::vector<hsize_t> points;
    for (const auto& c : coords) points.insert(points.end(), c.begin(), c.end());
    ASSERT_GE(H5Sselect_elements(file.get(), H5S_SELECT_SET, coords.size(), points.data()), 0);
    const hsize_t n = coords.size();
    h5::Dataspace mem = h5::make_space(std::span(&n, 1));
    std::vector<double> got(n);
    ASSERT_GE(H5Dread(ds.get(), H5T_NATIVE_DOUBLE, mem.get(), file.get(), H5P_DEFAULT, got.data()),
              0);
    for (std::size_t i = 0; i < cells.size(); ++i)
      EXPECT_EQ(got[i], recs[i][slot(name)]) << name << " of cell " << cells[i];
  }
}

TEST_F(CubeTest, ReadCubeRejectsNonCubes) {
  auto expect_not_cube = [](const std::string& path) {
    try {
      read_cube(path);
      ADD_FAILURE() << "expected InputError for " << path;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(path + ": not a phasecube cube (", 0), 0u) << e.what();
    }
  };
  expect_not_cube((dir_ / "missing.h5").string());

  const std::string plain = (dir_ / "plain.h5").string();
  {
    h5::File f = h5::create_file(plain, false);
    const hsize_t n = 3;
    h5::create_dataset(f.get(), "x", H5T_IEEE_F64LE, std::span(&n, 1));
  }
  expect_not_cube(plain);

  const std::string text = (dir_ / "text.h5").string();
  std::ofstream(text) << "not hdf5 at all\n";
  expect_not_cube(text);
}

// Chunk shapes (issue 15): equal-ish extents per dimension, clipped to each length and
// balanced, at most kChunkElements values, a small cube in one chunk.
TEST(ChunkShape, EqualExtentsClippedToTheDimensionsAndBalanced) {
  using V = std::vector<hsize_t>;
  EXPECT_EQ(cube_io::chunk_shape({3, 4}), (V{3, 4}));  // one chunk
  EXPECT_EQ(cube_io::chunk_shape({1000, 1000}), (V{250, 250}));
  EXPECT_EQ(cube_io::chunk_shape({10000, 10000}), (V{250, 257}));
  EXPECT_EQ(cube_io::chunk_shape({100, 100, 100, 100}), (V{15, 15, 17, 17}));
  EXPECT_EQ(cube_io::chunk_shape({1000, 2, 1000}), (V{167, 2, 167}));  // modality slots whole
  EXPECT_EQ(cube_io::chunk_shape({5, 100000}), (V{5, 12500}));
  EXPECT_EQ(cube_io::chunk_shape({1u << 20}), (V{1u << 16}));
  EXPECT_EQ(cube_io::chunk_shape({1}), (V{1}));
}

// The bounds every data variable's chunks keep: within the dimension, at most kChunkElements
// values, and along each axis at least half the equal share kChunkElements^(1/rank) (or the
// whole axis), so a slice along any axis touches at most ~2 D / share chunks.
void expect_chunk_bounds(const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk) {
  ASSERT_EQ(chunk.size(), dims.size());
  const auto share = static_cast<hsize_t>(std::pow(static_cast<double>(cube_io::kChunkElements),
                                                   1.0 / static_cast<double>(dims.size())) +
                                          1e-9);
  double cells = 1, values = 1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    EXPECT_GE(chunk[i], std::min(dims[i], share / 2)) << i;
    EXPECT_LE(chunk[i], dims[i]) << i;
    cells *= static_cast<double>(dims[i]);
    values *= static_cast<double>(chunk[i]);
  }
  EXPECT_LE(values, static_cast<double>(cube_io::kChunkElements));
  if (cells <= static_cast<double>(cube_io::kChunkElements)) {
    EXPECT_EQ(chunk, dims);
  }
}

TEST(ChunkShape, EveryShapeKeepsTheBounds) {
  std::mt19937 rng(15);
  for (int trial = 0; trial < 2000; ++trial) {
    std::vector<hsize_t> dims(1 + rng() % 5);
    for (hsize_t& d : dims) d = 1 + rng() % (trial % 2 == 0 ? 40 : 3000);
    expect_chunk_bounds(dims, cube_io::chunk_shape(dims));
  }
}

// How one dataset is stored: its chunk shape (empty: not chunked) and filter pipeline.
struct Storage {
  std::vector<hsize_t> chunk;
  std::vector<H5Z_filter_t> filters;
  unsigned deflate_level = 0;
};
Storage storage_of(hid_t file, const std::string& name) {
  h5::Dataset ds = h5::open_dataset(file, name);
  h5::PropList dcpl(H5Dget_create_plist(ds.get()));
  Storage s;
  if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
    s.chunk.resize(h5::dims_of(ds.get()).size());
    H5Pget_chunk(dcpl.get(), static_cast<int>(s.chunk.size()), s.chunk.data());
  }
  for (int i = 0; i < H5Pget_nfilters(dcpl.get()); ++i) {
    unsigned flags = 0, cd[4] = {}, config = 0;
    std::size_t n = 4;
    s.filters.push_back(
        H5Pget_filter2(dcpl.get(), static_cast<unsigned>(i), &flags, &n, cd, 0, nullptr, &config));
    if (s.filters.back() == H5Z_FILTER_DEFLATE && n > 0) s.deflate_level = cd[0];
  }
  return s;
}

std::vector<std::string> dataset_names(hid_t file) {
  std::vector<std::string> names;
  auto add = [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
    static_cast<std::vector<std::string>*>(out)->emplace_back(name);
    return 0;
  };
  H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, add, &names);
  return names;
}

// Every data variable of a multi-axis cube, two-modality and binding (with its modality
// dimension), is chunked as chunk_shape says, shuffled then deflated; the axis scales are
// plain (contiguous): a few values each, read whole.
TEST_F(CubeTest, EveryDataVariableIsChunkedShuffledAndDeflated) {
  RunInfo info = info_2d();
  info.axes = {{"kappa", "", std::vector<double>(40, 1.0)},
               {"nu", "", std::vector<double>(50, 0.5)},
               {"n", "", std::vector<double>(60, 100.0)}};
  StoredKind binding;
  binding.kind = "binding";
  binding.modalities = 3;
  for (const CubeSchema& schema : {two(), stored_schema(binding)}) {
    const std::string path = (dir_ / ("cube_" + std::string(schema.kind()) + ".h5")).string();
    const std::vector<double> records(40 * 50 * 60 * schema.record_size(), NAN);
    write_cube_snapshot(path, info, schema, records, true, 0);
    h5::File f = h5::open_file(path, true);
    std::size_t variables = 0;
    for (const std::string& name : dataset_names(f.get())) {
      const Storage s = storage_of(f.get(), name);
      if (name == "kappa" || name == "nu" || name == "n" || name == "modality") {
        EXPECT_TRUE(s.chunk.empty() && s.filters.empty()) << name;
        continue;
      }
      ++variables;
      const std::vector<hsize_t> dims = h5::dims_of(h5::open_dataset(f.get(), name).get());
      EXPECT_EQ(dims.size(), schema.find(name)->spec.per_modality ? 4u : 3u) << name;
      EXPECT_EQ(s.chunk, cube_io::chunk_shape(dims)) << name;
      expect_chunk_bounds(dims, s.chunk);
      EXPECT_EQ(s.filters, (std::vector<H5Z_filter_t>{H5Z_FILTER_SHUFFLE, H5Z_FILTER_DEFLATE}))
          << name;
      EXPECT_EQ(s.deflate_level, cube_io::kDeflateLevel) << name;
    }
    EXPECT_EQ(variables, schema.variables().size()) << schema.kind();
  }
}

// A known cube, the quickstart closed forms on a 300 x 300 grid, is stored at least 8 times
// smaller than its raw values (measured 13.7x; most simulated variables are NaN there).
TEST_F(CubeTest, TheoryCubeIsStoredCompressed) {
  const std::string path = (dir_ / "theory.h5").string();
  int rc = -1;
  const std::string out =
      run_command(std::string(PHASECUBE_EXE) + " theory --config " + PHASECUBE_SOURCE_DIR +
                      "/sweeps/quickstart.ini --output '" + path +
                      "' --axes.kappa='linspace(0,3,300)' --axes.nu='linspace(0,1,300)'",
                  &rc);
  ASSERT_EQ(rc, 0) << out;
  h5::File f = h5::open_file(path, true);
  double raw = 0;
  for (const std::string& name : dataset_names(f.get())) {
    h5::Dataset ds = h5::open_dataset(f.get(), name);
    h5::Datatype type(H5Dget_type(ds.get()));
    double values = 1;
    for (hsize_t d : h5::dims_of(ds.get())) values *= static_cast<double>(d);
    raw += values * static_cast<double>(H5Tget_size(type.get()));
  }
  EXPECT_GT(raw, 300.0 * 300 * 200) << "fewer variables than expected";
  const auto size = static_cast<double>(fs::file_size(path));
  EXPECT_GE(raw / size, 8.0) << raw << " raw bytes in a file of " << size;
}

// Narrowing to the stored integer types is checked (issue 11, item 20): a value that does not
// fit is an error, never a wrapped count; the int32 boundary itself is stored exactly.
TEST(ToStored, IntegerBoundariesAreExactAndOverflowThrows) {
  using cube_io::to_stored;
  const std::vector<double> int32_edges = {2147483647.0, -2147483648.0, 2147483646.6, NAN};
  EXPECT_EQ(to_stored<std::int32_t>(int32_edges, 0),
            (std::vector<std::int32_t>{2147483647, -2147483647 - 1, 2147483647, 0}));
  EXPECT_THROW(to_stored<std::int32_t>({2147483648.0}, 0), std::range_error);
  EXPECT_THROW(to_stored<std::int32_t>({1e12}, 0), std::range_error);
  EXPECT_THROW(to_stored<std::int32_t>({-2147483649.0}, 0), std::range_error);
  EXPECT_EQ(to_stored<std::int8_t>({127.0, -128.0, INFINITY}, -1),
            (std::vector<std::int8_t>{127, -128, -1}));
  EXPECT_THROW(to_stored<std::int8_t>({128.0}, -1), std::range_error);
  EXPECT_EQ(to_stored<std::uint8_t>({255.0, 0.0}, 0), (std::vector<std::uint8_t>{255, 0}));
  EXPECT_THROW(to_stored<std::uint8_t>({256.0}, 0), std::range_error);
  EXPECT_THROW(to_stored<std::uint8_t>({-1.0}, 0), std::range_error);
}

TEST_F(CubeTest, TrialsDoneAtInt32MaxRoundTripsExactly) {
  RunInfo info = info_2d();
  info.axes = {{"nu", "", {0.1, 0.5}}};
  info.trials = 2147483647;
  const std::string path = (dir_ / "int32max.h5").string();
  std::vector<Record> recs = {record_for(0), record_for(1)};
  at(recs[0], "trials_done") = 2147483647;
  at(recs[1], "trials_done") = 2147483646;
  write_cube_snapshot(path, info, two(), flat(recs), true, 1);
  const CubeContents c = read_cube(path);
  EXPECT_EQ(c.variables.at("trials_done"), (std::vector<double>{2147483647, 2147483646}));
  EXPECT_EQ(c.number_attributes.at("trials"), std::vector<double>{2147483647});
  at(recs[1], "trials_done") = 2147483648.0;  // one more does not fit int32: refused
  EXPECT_THROW(write_cube_snapshot(path, info, two(), flat(recs), true, 1), std::range_error);
  EXPECT_EQ(read_cube(path).variables.at("trials_done")[0], 2147483647);  // old cube kept
}

// Every code, flag and counter read is range-checked in the reader (issue 11, item 5), so
// inspect, validate and --resume can index tables by what they read.
TEST_F(CubeTest, ReadCubeRefusesValuesOutOfRange) {
  struct Bad {
    const char* var;
    double value;
    const char* message;
  };
  for (const Bad& bad :
       {Bad{"empirical_regime", 7, "variable 'empirical_regime' holds 7 at cell 1, outside"},
        Bad{"theory_regime", -2, "variable 'theory_regime' holds -2 at cell 1"},
        Bad{"empirical_regime", NAN, "cell 1 is done but its 'empirical_regime' is -1"},
        Bad{"done", 2, "variable 'done' holds 2 at cell 1, outside 0 .. 1"},
        Bad{"trials_done", 100001, "variable 'trials_done' holds 100001 at cell 1"}}) {
    std::vector<Record> recs = {record_for(0), record_for(1)};
    at(recs[1], bad.var) = bad.value;
    RunInfo info = info_2d();
    info.axes = {{"nu", "", {0.1, 0.5}}};
    const std::string path = (dir_ / "bad.h5").string();
    write_cube_snapshot(path, info, two(), flat(recs), true, 1);
    try {
      read_cube(path);
      ADD_FAILURE() << "expected InputError for " << bad.message;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(bad.message), std::string::npos) << e.what();
    }
  }
}

// 2 x 3 cube; theory regimes 0 1 2 3 3 0; empirical 0 1 2 3 1 -; done for cells 0..4.
TEST_F(CubeTest, InspectPrintsConfusionTableAndAgreement) {
  RunInfo info = info_2d();
  info.axes = {{"kappa", "", {0.5, 2}}, {"nu", "", {0.1, 0.4, 0.9}}};
  info.trials = 50;
  const std::string path = (dir_ / "inspect.h5").string();
  {
    CubeWriter w(path, info, two(), false);
    const double theory[] = {0, 1, 2, 3, 3, 0};
    const double empirical[] = {0, 1, 2, 3, 1, NAN};
    std::vector<std::size_t> cells = {0, 1, 2, 3, 4, 5};
    std::vector<Record> recs(6, blank());
    for (std::size_t i = 0; i < 6; ++i) {
      std::fill(recs[i].begin(), recs[i].end(), 0.5);
      at(recs[i], "theory_regime") = theory[i];
      at(recs[i], "empirical_regime") = empirical[i];
      at(recs[i], "trials_done") = i < 5 ? 50 : 20;
      at(recs[i], "done") = i < 5 ? 1 : 0;
    }
    w.write_cells(cells, flat(recs));
    w.finish(false, 4.5);
  }
  std::ostringstream out;
  EXPECT_EQ(inspect_cube(path, out), 0);
  const std::string s = out.str();
  const std::vector<std::string> expected = {
      "cube " + path + "\n",
      "  status        partial\n",
      "  seed          42\n",
      "  trials/cell   50\n",
      "  sampler       wishart\n",
      "  wall time     4.50 s\n",
      "axes (2, 6 cells)\n",
      "  kappa                 2           0.5             2\n",
      "  nu                    3           0.1           0.9\n",
      "  d               10\n",
      "  gamma_x         1, 2\n",
      "  cells done    5 / 6 (83.3%)\n",
      "  trials done   270 / 300 (90.0%)\n",
      "                 Neither   CA only   CP only      Both     total\n",
      "  Neither              1         0         0         0         1\n",
      "  CA only              0         1         0         0         1\n",
      "  CP only              0         0         1         0         1\n",
      "  Both                 0         1         0         1         2\n",
      "  total                1         2         1         1         5\n",
      "agreement: 4 of 5 done cells (80.0%)\n",
  };
  for (const std::string& line : expected) EXPECT_NE(s.find(line), std::string::npos) << line << s;
}

TEST_F(CubeTest, InspectTheoryOnlyCube) {
  RunInfo info = info_2d();
  info.axes = {{"nu", "", {0.1, 0.5, 0.9}}};
  info.theory_only = true;
  info.trials = 0;
  const std::string path = (dir_ / "theory.h5").string();
  {
    CubeWriter w(path, info, two(), false);
    std::vector<Record> recs(3, blank());
    const double regimes[] = {3, 1, 1};
    for (std::size_t i = 0; i < 3; ++i) {
      for (std::size_t v = 0; v < kNumVariables; ++v) recs[i][v] = fill_value(kVariables[v].type);
      at(recs[i], "theory_regime") = regimes[i];
    }
    w.write_cells(std::vector<std::size_t>{0, 1, 2}, flat(recs));
    w.finish(true, 0.1);
  }
  std::ostringstream out;
  EXPECT_EQ(inspect_cube(path, out), 0);
  const std::string s = out.str();
  for (const std::string line :
       {"theory regimes (3 of 3 cells computed)\n", "  Neither          0    0.0%\n",
        "  CA only          2   66.7%\n", "  Both             1   33.3%\n",
        "no Monte Carlo results are present (theory-only cube)\n"})
    EXPECT_NE(s.find(line), std::string::npos) << line << s;
  EXPECT_EQ(s.find("agreement"), std::string::npos) << s;
}

}  // namespace
}  // namespace phasecube
