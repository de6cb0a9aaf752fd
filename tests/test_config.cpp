// Config and grid layers: the [axes] grammar, INI files, overrides, the resolved text, and
// every bad-input case of the CLI contract (each must name the key and the value at fault).
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "app/cli.hpp"
#include "io/schema.hpp"
#include "phasecube/model.hpp"
#include "support/cell_index.hpp"
#include "support/text.hpp"
#include "sweep/binding_config.hpp"
#include "sweep/config.hpp"
#include "sweep/cost.hpp"
#include "sweep/grid.hpp"
#include "sweep/methods/registry.hpp"

namespace phasecube {
namespace {

namespace fs = std::filesystem;

// Runs `f` and checks that it throws InputError with a one-line message containing every
// needle (the key and the value at fault).
::testing::AssertionResult ThrowsInputError(const std::function<void()>& f,
                                            std::initializer_list<std::string> needles) {
  try {
    f();
  } catch (const InputError& e) {
    const std::string msg = e.what();
    if (msg.find('\n') != std::string::npos)
      return ::testing::AssertionFailure() << "message spans lines: " << msg;
    for (const auto& n : needles)
      if (msg.find(n) == std::string::npos)
        return ::testing::AssertionFailure() << "message '" << msg << "' lacks '" << n << "'";
    return ::testing::AssertionSuccess() << msg;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw another exception: " << e.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

// Each test gets its own directory for config files.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(::testing::TempDir()) /
           ("phasecube_test_config_" + std::to_string(::getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& text, const std::string& name = "sweep.ini") {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  Config Load(const std::string& text, const std::vector<std::string>& overrides = {}) {
    return load_config(Write(text), overrides);
  }
  ::testing::AssertionResult Rejects(const std::string& text,
                                     std::initializer_list<std::string> needles,
                                     const std::vector<std::string>& overrides = {}) {
    const auto path = Write(text);
    return ThrowsInputError([&] { load_config(path, overrides); }, needles);
  }

  fs::path dir_;
};

// ---------------------------------------------------------------- axis grammar

TEST(ParseAxis, LinspaceExactValues) {
  EXPECT_EQ(parse_axis("axes.kappa", "linspace(0,3,4)"), (std::vector<double>{0, 1, 2, 3}));
  EXPECT_EQ(parse_axis("axes.kappa", "linspace(-1, 1, 5)"),
            (std::vector<double>{-1, -0.5, 0, 0.5, 1}));
  // Interpolating from both ends gives the correctly rounded grid points.
  const auto v = parse_axis("axes.nu", "linspace(0, 1, 11)");
  ASSERT_EQ(v.size(), 11u);
  EXPECT_EQ(v[3], 0.3);
  EXPECT_EQ(v[10], 1.0);
}

TEST(ParseAxis, LinspaceSinglePointIsStart) {
  EXPECT_EQ(parse_axis("axes.nu", "linspace(0.25, 0.75, 1)"), (std::vector<double>{0.25}));
}

TEST(ParseAxis, Decreasing) {
  EXPECT_EQ(parse_axis("axes.nu", "linspace(1, 0, 3)"), (std::vector<double>{1, 0.5, 0}));
}

TEST(ParseAxis, LogspaceBase10Exponents) {
  EXPECT_EQ(parse_axis("axes.gamma_x", "logspace(-1,1,3)"), (std::vector<double>{0.1, 1, 10}));
  EXPECT_EQ(parse_axis("axes.gamma_x", "logspace(2, 2, 1)"), (std::vector<double>{100}));
}

TEST(ParseAxis, WhitespaceTolerant) {
  EXPECT_EQ(parse_axis("axes.nu", "  linspace ( 0 ,\t1 , 3 )  "), (std::vector<double>{0, 0.5, 1}));
  EXPECT_EQ(parse_axis("axes.nu", " 0.1 ,0.5,  0.9 "), (std::vector<double>{0.1, 0.5, 0.9}));
}

TEST(ParseAxis, ExplicitList) {
  EXPECT_EQ(parse_axis("axes.nu", "0.1, 0.5, 0.9"), (std::vector<double>{0.1, 0.5, 0.9}));
  EXPECT_EQ(parse_axis("axes.n", "100, 1e3, +5000"), (std::vector<double>{100, 1000, 5000}));
  EXPECT_EQ(parse_axis("axes.nu", "0.7"), (std::vector<double>{0.7}));
}

TEST(ParseAxis, RejectsMalformedNamingKeyAndText) {
  for (const std::string bad :
       {"linspace(0,1)", "linspace(0,1,0)", "linspace(0,1,2.5)", "linspace(0,1,-3)",
        "linspace(0,1,3", "linspace(0,1,3)x", "linspace(0,,3)", "linspace(0,1,3,4)", "foo(1,2,3)",
        "(1,2,3)", "1,,2", "1,2,", "1 2", "1.5x", "nan", "inf", "0x10", "logspace(0,400,2)",
        "linspace(0,1,1e9)"}) {
    EXPECT_TRUE(ThrowsInputError([&] { parse_axis("axes.nu", bad); }, {"axes.nu", bad})) << bad;
  }
}

TEST(ParseAxis, RejectsEmpty) {
  for (const std::string empty : {"", "   "})
    EXPECT_TRUE(
        ThrowsInputError([&] { parse_axis("axes.kappa", empty); }, {"axes.kappa", "empty"}));
}

TEST(ParseNumberList, OneOrMany) {
  EXPECT_EQ(parse_number_list("model.kappa", "3, 2, 1.5"), (std::vector<double>{3, 2, 1.5}));
  EXPECT_EQ(parse_number_list("model.nu", " 0.5 "), (std::vector<double>{0.5}));
  EXPECT_EQ(parse_number_list("model.nu", "-2.5e-1"), (std::vector<double>{-0.25}));
}

TEST(ParseNumberList, StrictFullStringParse) {
  for (const std::string bad : {"1.5x", "x", "nan", "inf", "-inf", "1e999", "1,,2", "0.5.5", "1 2"})
    EXPECT_TRUE(ThrowsInputError([&] { parse_number_list("model.nu", bad); }, {"model.nu", bad}))
        << bad;
  EXPECT_TRUE(ThrowsInputError([&] { parse_number_list("model.nu", ""); }, {"model.nu"}));
}

// ---------------------------------------------------------------- loading

TEST_F(ConfigTest, EmptyFileIsAllDefaultsAndOneCell) {
  const Config c = Load("");
  EXPECT_EQ(c.fixed, default_param_values());
  EXPECT_TRUE(c.axes.empty());
  EXPECT_EQ(c.run.trials, 100);
  EXPECT_EQ(c.run.seed, 1u);
  EXPECT_EQ(c.run.sampler, SamplerKind::Auto);
  EXPECT_EQ(Grid(c).cell_count(), 1u);
}

TEST_F(ConfigTest, ReadsAllSections) {
  const Config c = Load(
      "# a comment\n"
      "[model]\n"
      "d = 20   # trailing comment\n"
      "k = 3\n"
      "kappa = 3, 2, 1.5\n"
      "gamma_tilde_y = 0.5\n"
      "[axes]\n"
      "nu = linspace(0, 1, 11)\n"
      "n = 100, 1000\n"
      "[run]\n"
      "trials = 50\n"
      "seed = 18446744073709551615\n"
      "sampler = direct\n"
      "output = out/x.h5\n");
  EXPECT_EQ(c.fixed.at("d"), std::vector<double>{20});
  EXPECT_EQ(c.fixed.at("kappa"), (std::vector<double>{3, 2, 1.5}));
  EXPECT_EQ(c.fixed.at("gamma_tilde_y"), std::vector<double>{0.5});
  EXPECT_EQ(c.fixed.at("gamma_x"), std::vector<double>{1.0});  // default
  EXPECT_FALSE(c.fixed.contains("nu"));
  EXPECT_FALSE(c.fixed.contains("n"));
  ASSERT_EQ(c.axes.size(), 2u);  // file order = cube dimension order
  EXPECT_EQ(c.axes[0].name, "nu");
  EXPECT_EQ(c.axes[0].spec, "linspace(0, 1, 11)");
  EXPECT_EQ(c.axes[0].values.size(), 11u);
  EXPECT_EQ(c.axes[1].name, "n");
  EXPECT_EQ(c.axes[1].values, (std::vector<double>{100, 1000}));
  EXPECT_EQ(c.run.trials, 50);
  EXPECT_EQ(c.run.seed, 18446744073709551615u);
  EXPECT_EQ(c.run.sampler, SamplerKind::Direct);
  EXPECT_EQ(c.run.output, "out/x.h5");
  EXPECT_EQ(c.source_path, (dir_ / "sweep.ini").string());
}

TEST_F(ConfigTest, TrialsInScientificNotation) {
  EXPECT_EQ(Load("[run]\ntrials = 1e4\n").run.trials, 10000);
}

TEST_F(ConfigTest, OverridesWinOverFile) {
  const Config c =
      Load("[model]\nnu = 0.3\nd = 8\n[run]\ntrials = 10\n",
           {"--model.nu=0.4", "model.d=12", "--run.trials = 7", "--run.sampler=wishart"});
  EXPECT_EQ(c.fixed.at("nu"), std::vector<double>{0.4});
  EXPECT_EQ(c.fixed.at("d"), std::vector<double>{12});
  EXPECT_EQ(c.run.trials, 7);
  EXPECT_EQ(c.run.sampler, SamplerKind::Wishart);
}

TEST_F(ConfigTest, OverrideReplacesAxisInPlace) {
  const Config c = Load("[axes]\nkappa = 1, 2\nnu = 0.1, 0.2\n",
                        {"--axes.kappa=linspace(0,3,31)", "--axes.lambda=0, 1"});
  ASSERT_EQ(c.axes.size(), 3u);
  EXPECT_EQ(c.axes[0].name, "kappa");
  EXPECT_EQ(c.axes[0].values.size(), 31u);
  EXPECT_EQ(c.axes[1].name, "nu");
  EXPECT_EQ(c.axes[2].name, "lambda");
}

TEST_F(ConfigTest, CommandLineSweepsAParameterTheFileFixes) {
  // The command line wins across sections too: otherwise a fixed key could not be swept
  // without editing the file.
  const Config swept = Load("[model]\nnu = 0.3\n", {"--axes.nu=0, 1"});
  EXPECT_FALSE(swept.fixed.contains("nu"));
  ASSERT_EQ(swept.axes.size(), 1u);
  EXPECT_EQ(swept.axes[0].name, "nu");

  const Config fixed = Load("[axes]\nnu = 0, 1\n", {"--model.nu=0.25"});
  EXPECT_TRUE(fixed.axes.empty());
  EXPECT_EQ(fixed.fixed.at("nu"), std::vector<double>{0.25});
}

TEST_F(ConfigTest, OverrideErrors) {
  EXPECT_TRUE(Rejects("", {"model.foo", "unknown key"}, {"--model.foo=1"}));
  EXPECT_TRUE(Rejects("", {"unknown section 'modle'", "modle.nu"}, {"--modle.nu=1"}));
  EXPECT_TRUE(Rejects("", {"--model.nu", "needs a value"}, {"--model.nu"}));
  EXPECT_TRUE(Rejects("", {"model.nu = 2", "[0, 1]"}, {"--model.nu=2"}));
  EXPECT_TRUE(
      Rejects("", {"model.nu", "axes.nu", "never both"}, {"--model.nu=0.5", "--axes.nu=0,1"}));
}

TEST_F(ConfigTest, ResolvedTextRoundTrip) {
  const Config a = Load(
      "[model]\nd = 12\nk = 3\nkappa = 3, 2, 1.5\ngamma_tilde_x = 0.1\n"
      "[axes]\nnu = linspace(0, 1, 11)\ngamma_y = logspace(-1, 1, 5)\nn = 40, 400\n"
      "[run]\ntrials = 20\nseed = 99\nsampler = wishart\noutput = a.h5\n",
      {"--model.lambda=0.125"});
  const std::string text = a.resolved_text();
  // Every key of the three sections is written, defaults included.
  for (const auto& spec : kModelParams) {
    if (spec.optional) continue;  // e.g. eta: absent unless given
    const std::string name(spec.name);
    const bool swept = name == "nu" || name == "gamma_y" || name == "n";
    EXPECT_NE(text.find("\n" + name + " = "), std::string::npos) << name;
    EXPECT_EQ(a.fixed.contains(name), !swept) << name;
  }
  for (const char* key : {"trials = 20", "seed = 99", "sampler = wishart", "output = a.h5",
                          "lambda = 0.125", "nu = linspace(0, 1, 11)"})
    EXPECT_NE(text.find(key), std::string::npos) << key << " in\n" << text;

  const Config b = load_config(Write(text, "resolved.ini"), {});
  EXPECT_EQ(b.fixed, a.fixed);
  ASSERT_EQ(b.axes.size(), a.axes.size());
  for (std::size_t i = 0; i < a.axes.size(); ++i) {
    EXPECT_EQ(b.axes[i].name, a.axes[i].name);
    EXPECT_EQ(b.axes[i].spec, a.axes[i].spec);
    EXPECT_EQ(b.axes[i].values, a.axes[i].values);
  }
  EXPECT_EQ(b.run.trials, a.run.trials);
  EXPECT_EQ(b.run.seed, a.run.seed);
  EXPECT_EQ(b.run.sampler, a.run.sampler);
  EXPECT_EQ(b.run.output, a.run.output);
  EXPECT_EQ(b.resolved_text(), text);
}

TEST_F(ConfigTest, ResolvedTextKeepsNumbersExact) {
  const Config a = Load("[model]\nnu = 0.1234567890123456789\nkappa = 0.1\n");
  const Config b = load_config(Write(a.resolved_text(), "resolved.ini"), {});
  EXPECT_EQ(b.fixed.at("nu"), a.fixed.at("nu"));
  EXPECT_EQ(b.fixed.at("kappa"), std::vector<double>{0.1});
}

TEST(SamplerName, AllKinds) {
  EXPECT_STREQ(sampler_name(SamplerKind::Auto), "auto");
  EXPECT_STREQ(sampler_name(SamplerKind::Wishart), "wishart");
  EXPECT_STREQ(sampler_name(SamplerKind::Direct), "direct");
}

// ---------------------------------------------------------------- bad input (the list)

TEST_F(ConfigTest, NuOutsideUnitInterval) {
  EXPECT_TRUE(Rejects("[model]\nnu = 1.5\n", {"model.nu = 1.5", "must be in [0, 1]"}));
  EXPECT_TRUE(Rejects("[model]\nnu = -0.1\n", {"model.nu = -0.1", "[0, 1]"}));
  EXPECT_TRUE(Rejects("[axes]\nnu = 0.5, 1.5\n", {"axes.nu value 1.5", "must be in [0, 1]"}));
  EXPECT_TRUE(Rejects("[axes]\nnu = linspace(0, 2, 3)\n", {"axes.nu value 2", "[0, 1]"}));
}

TEST_F(ConfigTest, NegativeVariance) {
  EXPECT_TRUE(Rejects("[model]\ngamma_x = -1\n", {"model.gamma_x = -1", "must be >= 0"}));
  EXPECT_TRUE(Rejects("[model]\nd = 4\nk = 1\ngamma_tilde_y = 1, -2, 1\n",
                      {"model.gamma_tilde_y = 1, -2, 1", "-2", ">= 0"}));
  EXPECT_TRUE(Rejects("[axes]\ngamma_tilde_x = 1, -0.5\n", {"axes.gamma_tilde_x value -0.5"}));
}

TEST_F(ConfigTest, KNotBelowD) {
  EXPECT_TRUE(Rejects("[model]\nd = 5\nk = 5\n", {"model.k = 5", "must be < d = 5"}));
  EXPECT_TRUE(Rejects("[model]\nd = 5\nk = 7\n", {"model.k = 7", "d = 5"}));
  // A combination: k = 3 is fine on its own, d = 3 too; the message names the cell.
  EXPECT_TRUE(Rejects("[model]\nk = 3\n[axes]\nd = 10, 3\n",
                      {"model.k = 3", "d = 3", "in the cell with d = 3"}));
  EXPECT_TRUE(Rejects("[model]\nd = 4\n[axes]\nk = 1, 2, 4\n", {"axes.k value 4", "d = 4"}));
  // The default k = 2 says it is a default.
  EXPECT_TRUE(Rejects("[model]\nd = 2\n", {"model.k = 2 (default)", "d = 2"}));
}

TEST_F(ConfigTest, KBelowOne) {
  EXPECT_TRUE(Rejects("[model]\nk = 0\n", {"model.k = 0", "must be >= 1"}));
  EXPECT_TRUE(Rejects("[axes]\nk = 1, -1\n", {"axes.k value -1", ">= 1"}));
}

TEST_F(ConfigTest, NBelowOne) {
  EXPECT_TRUE(Rejects("[model]\nn = 0\n", {"model.n = 0", "must be >= 1"}));
  EXPECT_TRUE(Rejects("[axes]\nn = 0, 10\n", {"axes.n value 0", ">= 1"}));
}

TEST_F(ConfigTest, IntegerParametersRejectFractions) {
  EXPECT_TRUE(Rejects("[model]\nd = 2.5\n", {"model.d = 2.5", "integer"}));
  EXPECT_TRUE(Rejects("[axes]\nd = 5, 5.5\n", {"axes.d value 5.5", "integer"}));
  EXPECT_TRUE(Rejects("[model]\nn = 10, 20\n", {"model.n = 10, 20", "single integer"}));
}

TEST_F(ConfigTest, TrialsBelowOne) {
  EXPECT_TRUE(Rejects("[run]\ntrials = 0\n", {"run.trials = 0", ">= 1"}));
  EXPECT_TRUE(Rejects("[run]\ntrials = -3\n", {"run.trials = -3", ">= 1"}));
  EXPECT_TRUE(Rejects("[run]\ntrials = 2.5\n", {"run.trials = 2.5", "integer"}));
  EXPECT_TRUE(Rejects("", {"run.trials = 0"}, {"--run.trials=0"}));
}

TEST_F(ConfigTest, EmptyAxis) {
  EXPECT_TRUE(Rejects("[axes]\nnu =\n", {"axes.nu", "empty"}));
  EXPECT_TRUE(Rejects("[axes]\nnu =    # nothing\n", {"axes.nu", "empty"}));
}

TEST_F(ConfigTest, MalformedAxis) {
  EXPECT_TRUE(
      Rejects("[axes]\nkappa = linspace(0,1)\n", {"axes.kappa", "linspace(0,1)", "3 arguments"}));
  EXPECT_TRUE(
      Rejects("[axes]\nkappa = linspace(0,1,0)\n", {"axes.kappa", "linspace(0,1,0)", "m = 0"}));
  EXPECT_TRUE(Rejects("[axes]\nkappa = foo(1,2,3)\n", {"axes.kappa", "foo(1,2,3)", "'foo'"}));
  EXPECT_TRUE(Rejects("[axes]\nkappa = 1,,2\n", {"axes.kappa", "1,,2", "empty entry"}));
}

TEST_F(ConfigTest, UnknownSection) {
  EXPECT_TRUE(Rejects("[modle]\nnu = 0.5\n", {"unknown section 'modle'", "modle.nu", "sweep.ini"}));
  EXPECT_TRUE(Rejects("nu = 0.5\n", {"'nu'", "outside any section"}));
}

TEST_F(ConfigTest, UnknownKey) {
  EXPECT_TRUE(Rejects("[model]\nfoo = 1\n", {"unknown key 'model.foo'", "sweep.ini"}));
  EXPECT_TRUE(Rejects("[run]\nthreads = 4\n", {"unknown key 'run.threads'"}));
  EXPECT_TRUE(Rejects("[axes]\ntrials = 1, 2\n", {"unknown key 'axes.trials'"}));
}

TEST_F(ConfigTest, NumberDoesNotParse) {
  EXPECT_TRUE(Rejects("[model]\nnu = 1.5x\n", {"model.nu", "'1.5x'", "not a number"}));
  EXPECT_TRUE(Rejects("[model]\nnu = nan\n", {"model.nu", "'nan'"}));
  EXPECT_TRUE(Rejects("[model]\nkappa = inf\n", {"model.kappa", "'inf'"}));
  EXPECT_TRUE(Rejects("[model]\nnu =\n", {"model.nu", "empty"}));
  EXPECT_TRUE(Rejects("[run]\nseed = -1\n", {"run.seed = -1: must be >= 0"}));
  EXPECT_TRUE(
      Rejects("[run]\nseed = 18446744073709551616\n", {"run.seed", "18446744073709551616"}));
  EXPECT_TRUE(Rejects("[run]\nsampler = bartlett\n", {"run.sampler = 'bartlett'"}));
}

TEST_F(ConfigTest, ListOfWrongLength) {
  EXPECT_TRUE(Rejects("[model]\nk = 2\nkappa = 3, 2, 1\n",
                      {"model.kappa = 3, 2, 1", "needs 1 value or 2"}));
  EXPECT_TRUE(Rejects("[model]\nd = 5\nk = 2\ngamma_tilde_x = 1, 1\n",
                      {"model.gamma_tilde_x = 1, 1", "needs 1 value or 3"}));
  EXPECT_TRUE(Rejects("[model]\nnu = 0.1, 0.2\n", {"model.nu = 0.1, 0.2", "single value"}));
}

TEST_F(ConfigTest, SameParameterFixedAndSwept) {
  EXPECT_TRUE(Rejects("[model]\nnu = 0.3\n[axes]\nnu = linspace(0, 1, 3)\n",
                      {"model.nu = 0.3", "axes.nu = linspace(0, 1, 3)",
                       "a parameter is fixed or swept, never both"}));
}

TEST_F(ConfigTest, WishartNeedsEnoughSamples) {
  EXPECT_TRUE(Rejects("[model]\nd = 20\nn = 10\n[run]\nsampler = wishart\n",
                      {"run.sampler = wishart", "n >= 2d", "model.n = 10", "model.d = 20"}));
  EXPECT_TRUE(Rejects(
      "[model]\nd = 20\n[axes]\nn = 100, 10\n[run]\nsampler = wishart\n",
      {"run.sampler = wishart", "axes.n value 10", "model.d = 20", "in the cell with n = 10"}));
  EXPECT_TRUE(Rejects("[model]\nn = 30\n[axes]\nd = 10, 20\n[run]\nsampler = wishart\n",
                      {"run.sampler = wishart", "model.n = 30", "axes.d value 20"}));
  // The same grid is fine with the other samplers.
  EXPECT_NO_THROW(Load("[model]\nd = 20\n[axes]\nn = 100, 10\n[run]\nsampler = auto\n"));
  EXPECT_NO_THROW(Load("[model]\nd = 20\nn = 40\n[run]\nsampler = wishart\n"));
}

TEST_F(ConfigTest, UnreadableConfigFileMissing) {
  const auto missing = (dir_ / "missing.ini").string();
  EXPECT_TRUE(ThrowsInputError([&] { load_config(missing, {}); },
                               {"cannot read config file '" + missing + "'", "No such file"}));
}

TEST_F(ConfigTest, UnreadableConfigFileIsADirectory) {
  EXPECT_TRUE(ThrowsInputError([&] { load_config(dir_.string(), {}); },
                               {"cannot read config file '" + dir_.string() + "'", "directory"}));
}

TEST_F(ConfigTest, UnreadableConfigFileWithoutPermission) {
  const auto locked = Write("[model]\nnu = 0.5\n", "locked.ini");
  fs::permissions(locked, fs::perms::none);
  if (::access(locked.c_str(), R_OK) == 0) GTEST_SKIP() << "running as root: permissions ignored";
  EXPECT_TRUE(ThrowsInputError([&] { load_config(locked, {}); },
                               {"cannot read config file '" + locked + "'", "Permission denied"}));
}

TEST_F(ConfigTest, SyntaxErrorsAndDuplicates) {
  EXPECT_TRUE(Rejects("[model]\nnu 0.5\n", {"sweep.ini", "invalid line 'nu 0.5'"}));
  EXPECT_TRUE(Rejects("[model\nnu = 0.5\n", {"invalid line '[model'"}));
  EXPECT_TRUE(Rejects("[model]\nnu = 0.5\nnu = 0.6\n", {"model.nu", "more than once"}));
}

TEST_F(ConfigTest, GridTooLarge) {
  EXPECT_TRUE(
      Rejects("[axes]\nkappa = linspace(0,1,1001)\nnu = linspace(0,1,1001)\n"
              "gamma_x = linspace(1,2,1001)\n",
              {"[axes]", "1000000000 cells"}));
}

// ---------------------------------------------------------------- one grammar (issue 12)

// The message of the InputError `f` throws ("no error" if none).
std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.message();
  }
  return "no error";
}

// The same [run] text through both loaders: the two-modality one and the binding one.
std::string PlainError(const std::string& text) {
  return ErrorOf([&] { config_from_text(text, "t.ini"); });
}
std::string BindingError(const std::string& text) {
  return ErrorOf([&] { config_from_text("[model]\nmodalities = 3\n" + text, "t.ini"); });
}

TEST_F(ConfigTest, SemicolonCommentsInBothKinds) {
  const std::string text = "; comment\n  ; indented\n[run]\n;trials = 7\ntrials = 3 # three\n";
  EXPECT_EQ(Load(text).run.trials, 3);
  EXPECT_EQ(config_from_text("[model]\nmodalities = 3\n" + text, "b").run.trials, 3);
  // ';' after a value is part of it, in both.
  EXPECT_NE(PlainError("[run]\ntrials = 3 ; three\n").find("'3 ; three' is not a number"),
            std::string::npos);
  EXPECT_EQ(PlainError("[run]\ntrials = 3 ; three\n"), BindingError("[run]\ntrials = 3 ; three\n"));
}

TEST_F(ConfigTest, OneNumberSyntaxInBothKinds) {
  for (const std::string n : {"100", "1e2", "+100", "100.0", "1.0e+2"}) {
    const std::string run =
        "[run]\ntrials = " + n + "\nseed = " + n + "\nchunk_cells = " + n + "\n";
    const Config c = Load(run);
    const Config b = config_from_text("[model]\nmodalities = 3\n" + run, "b");
    for (const RunSettings* r : {&c.run, &b.run}) {
      EXPECT_EQ(r->trials, 100) << n;
      EXPECT_EQ(r->seed, 100u) << n;
      EXPECT_EQ(r->chunk_cells, 100u) << n;
    }
  }
  EXPECT_EQ(Load("[run]\nseed = 18446744073709551615\n").run.seed, UINT64_MAX);  // digits: exact
  const std::pair<std::string, std::string> bad[] = {
      {"trials = 1.5", "run.trials = 1.5: must be an integer"},
      {"seed = 1.5", "run.seed = 1.5: must be an integer"},
      {"chunk_cells = 2.5", "run.chunk_cells = 2.5: must be an integer"},
      {"trials = 0", "run.trials = 0: must be >= 1"},
      {"seed = -1", "run.seed = -1: must be >= 0"},
      {"trials = 1e13", "run.trials = 1e13: must be <= 2147483647 (the cube stores trials_done"},
      {"seed = 18446744073709551616", "run.seed = 18446744073709551616: must be <= 1844674407"},
      {"seed = 1e19", "run.seed = 1e19: must be <= 9007199254740992 unless written in digits"},
      {"chunk_cells = 0x10", "run.chunk_cells = '0x10': '0x10' is not a number"},
      {"seed = 1, 2", "run.seed = 1, 2: takes a single integer"},
      {"seed =", "run.seed has an empty value"},
  };
  for (const auto& [text, needle] : bad) {
    const std::string plain = PlainError("[run]\n" + text + "\n");
    EXPECT_NE(plain.find(needle), std::string::npos) << plain;
    EXPECT_EQ(BindingError("[run]\n" + text + "\n"), plain);
  }
}

// [diagnose] integers and reals read through the same functions as [run] and [model].
TEST_F(ConfigTest, DiagnoseKeysShareTheNumberSyntax) {
  const Config c = Load(
      "[model]\nd = 6\nk = 2\nn = 100\n[diagnose]\nfolds = 1e1\nfold_seed = 18446744073709551615\n"
      "labelled = +50\nridge = +1e-3\n");
  EXPECT_EQ(c.run.diagnose->folds, 10);
  EXPECT_EQ(c.run.diagnose->fold_seed, UINT64_MAX);
  EXPECT_EQ(c.run.diagnose->labelled, 50);
  EXPECT_EQ(c.run.diagnose->ridge, 1e-3);
  EXPECT_NE(
      PlainError("[diagnose]\nfolds = 2.5\n").find("diagnose.folds = 2.5: must be an integer"),
      std::string::npos);
  EXPECT_NE(PlainError("[diagnose]\nfold_seed = 1.5\n")
                .find("diagnose.fold_seed = 1.5: must be an "
                      "integer"),
            std::string::npos);
  EXPECT_NE(PlainError("[diagnose]\nfolds = 1001\n").find("diagnose.folds = 1001: must be <= 1000"),
            std::string::npos);
}

// kappa, kappa_decay and nu are parameters of both kinds: the same text, the same refusal,
// from the axis lengths alone (1001^3 > 1e9 cells; three small axes, no grid built).
TEST_F(ConfigTest, OneCellLimitInBothKinds) {
  const std::string axes =
      "[axes]\nkappa = logspace(-1, 0, 1001)\nkappa_decay = logspace(-1, 0, 1001)\n"
      "nu = logspace(-1, 0, 1001)\n";
  const std::string expected =
      "[axes]: the grid kappa 1001 x kappa_decay 1001 x nu 1001 has more than 1000000000 cells";
  EXPECT_EQ(PlainError(axes), expected);
  EXPECT_EQ(BindingError(axes), expected);
}

TEST_F(ConfigTest, RunKindFollowsTheModalitiesKeyNeverAValue) {
  const auto path = Write("[model]\nd = 6\nk = 1\n");
  const std::vector<std::string> value = {"--run.output=/tmp/x/model.modalities.h5"};
  EXPECT_FALSE(read_config_source(path, value).sets_modalities());
  EXPECT_FALSE(load_config(path, value).binding());
  const auto commented = Write("[run]\noutput = a.h5 # model.modalities = 3\n", "c.ini");
  EXPECT_FALSE(read_config_source(commented, {}).sets_modalities());
  for (const std::string key : {"--model.modalities=3", "axes.modalities=3"}) {
    const Config any = load_config(path, {key});
    ASSERT_TRUE(any.binding()) << key;
    EXPECT_EQ(any.max_modalities, 3) << key;
  }
  EXPECT_TRUE(load_config(Write("[axes]\nmodalities = 2, 3\n", "b.ini"), {}).binding());
  EXPECT_NE(ErrorOf([&] {
              load_config(path, {"--run.modalities=3"});
            }).find("command line: unknown key 'run.modalities'"),
            std::string::npos);
}

// Key errors name the file and line (or the command line); a duplicate names both lines.
TEST_F(ConfigTest, KeyErrorsNameFileAndLine) {
  EXPECT_EQ(PlainError("# x\n[model]\nd = 6\n\nd = 7\n"),
            "t.ini:5: key 'model.d' is given more than once (first at t.ini:3)");
  EXPECT_EQ(PlainError("[model]\nfoo = 1\n"), "t.ini:2: unknown key 'model.foo'");
  EXPECT_EQ(PlainError("[ model ]\nd = 6\n"),
            "t.ini:2: unknown section ' model ' in key ' model .d' (expected model, axes, run or "
            "diagnose)");
  EXPECT_EQ(BindingError("[ run ]\ntrials = 2\n"),
            "t.ini:4: unknown section ' run ' in key ' run .trials' (expected model, axes or run)");
  EXPECT_EQ(ErrorOf([&] { Load("", {"--model.foo=1"}); }), "command line: unknown key 'model.foo'");
  EXPECT_EQ(PlainError("[model\n"),
            "t.ini:1: invalid line '[model' (expected [section], key = value or # comment)");
}

// ---------------------------------------------------------------- grid

Axis MakeAxis(std::string name, std::vector<double> values) {
  return Axis{std::move(name), "", std::move(values)};
}

TEST(Grid, NoAxesIsOneCell) {
  const Grid g(default_param_values(), {});
  EXPECT_EQ(g.cell_count(), 1u);
  EXPECT_TRUE(g.shape().empty());
  EXPECT_TRUE(g.coordinates(0).empty());
  EXPECT_EQ(g.values(0), default_param_values());
  EXPECT_EQ(g.cell(0).d, 10);
  EXPECT_THROW(g.coordinates(1), std::out_of_range);
}

TEST(Grid, RowMajorLastAxisFastest) {
  ParamValues fixed = default_param_values();
  for (const char* name : {"kappa", "nu", "n"}) fixed.erase(name);
  const Grid g(fixed, {MakeAxis("kappa", {0.5, 1, 2}), MakeAxis("nu", {0, 0.5}),
                       MakeAxis("n", {10, 20, 30, 40})});
  EXPECT_EQ(g.cell_count(), 24u);
  EXPECT_EQ(g.shape(), (std::vector<std::size_t>{3, 2, 4}));
  EXPECT_EQ(g.coordinates(0), (std::vector<std::size_t>{0, 0, 0}));
  EXPECT_EQ(g.coordinates(1), (std::vector<std::size_t>{0, 0, 1}));
  EXPECT_EQ(g.coordinates(4), (std::vector<std::size_t>{0, 1, 0}));
  EXPECT_EQ(g.coordinates(8), (std::vector<std::size_t>{1, 0, 0}));
  EXPECT_EQ(g.coordinates(23), (std::vector<std::size_t>{2, 1, 3}));
  EXPECT_THROW(g.coordinates(24), std::out_of_range);

  // Cell 13 = (1, 1, 1): kappa = 1, nu = 0.5, n = 20; everything else fixed.
  const ParamValues v = g.values(13);
  EXPECT_EQ(v.at("kappa"), std::vector<double>{1});
  EXPECT_EQ(v.at("nu"), std::vector<double>{0.5});
  EXPECT_EQ(v.at("n"), std::vector<double>{20});
  EXPECT_EQ(v.at("d"), std::vector<double>{10});
  // Every parameter with a default (optional ones such as eta are absent unless given).
  EXPECT_EQ(v.size(), default_param_values().size());
  const CellParams p = g.cell(13);
  EXPECT_EQ(p.n, 20);
  EXPECT_EQ(p.nu, 0.5);
  ASSERT_EQ(p.kappa.size(), 2);
  EXPECT_EQ(p.kappa(0), 1.0);  // a swept signal parameter is the same on every coordinate
  EXPECT_EQ(p.kappa(1), 1.0);
}

TEST(Grid, AxisOverDWithNuisanceListErrorsWhereLengthsMismatch) {
  ParamValues fixed = default_param_values();
  fixed.erase("d");
  fixed["k"] = {2};
  fixed["gamma_tilde_x"] = {1, 2, 3};  // d - k = 3 only when d = 5
  const Grid g(fixed, {MakeAxis("d", {5, 6})});
  EXPECT_EQ(g.cell(0).gamma_tilde_x.size(), 3);
  try {
    g.cell(1);
    FAIL() << "d = 6 needs 4 nuisance values";
  } catch (const ParamError& e) {
    EXPECT_EQ(e.key, "gamma_tilde_x");
  }
}

TEST_F(ConfigTest, AxisOverDWithNuisanceListNamesTheCell) {
  EXPECT_TRUE(
      Rejects("[model]\nk = 2\ngamma_tilde_x = 1, 2, 3\n[axes]\nd = 5, 6\n",
              {"model.gamma_tilde_x = 1, 2, 3", "needs 1 value or 4", "in the cell with d = 6"}));
}

TEST(Grid, EmptyAxisIsRejected) {
  EXPECT_THROW(Grid(default_param_values(), {MakeAxis("nu", {})}), InputError);
}

// 64-bit cell indices (issue 15): the one row-major mapping beyond 2^32 cells, exactly. A
// 32-bit count or coordinate would wrap 2^32 + 5 onto cell 5.
TEST(CellIndex, CoordinatesBeyondTwoToThe32) {
  constexpr std::uint64_t k32 = std::uint64_t{1} << 32;
  const std::vector<std::size_t> shape = {2048, 2048, 2048};  // 2^33 cells
  std::size_t at[3];
  auto coords = [&](std::uint64_t cell) {
    cell_coordinates<std::size_t>(shape, cell, at);
    return std::vector<std::size_t>(at, at + 3);
  };
  EXPECT_EQ(coords(5), (std::vector<std::size_t>{0, 0, 5}));
  EXPECT_EQ(coords(k32 - 1), (std::vector<std::size_t>{1023, 2047, 2047}));
  EXPECT_EQ(coords(k32), (std::vector<std::size_t>{1024, 0, 0}));
  EXPECT_EQ(coords(k32 + 5), (std::vector<std::size_t>{1024, 0, 5}));
  EXPECT_EQ(coords(2 * k32 - 1), (std::vector<std::size_t>{2047, 2047, 2047}));
  // 10^12 cells as 10^6 x 10^6: cell 123456789012 is row 123456, column 789012.
  const std::vector<std::size_t> wide = {1000000, 1000000};
  cell_coordinates<std::size_t>(wide, 123456789012, at);
  EXPECT_EQ(at[0], 123456u);
  EXPECT_EQ(at[1], 789012u);
}

// A Grid holds its axes, not its cells, so a 2^33-cell grid is cheap to build (the 10^9 limit
// is check_grid_size's, made from the axis lengths before any Grid exists); its cells map
// through the same numbering to their parameter values.
TEST(Grid, CellsBeyondTwoToThe32MapToTheirValues) {
  ParamValues fixed = default_param_values();
  for (const char* name : {"kappa", "nu", "n"}) fixed.erase(name);
  std::vector<double> kappa(2048), nu(2048), n(2048);
  for (std::size_t i = 0; i < 2048; ++i) {
    kappa[i] = 0.5 + static_cast<double>(i);
    nu[i] = static_cast<double>(i) / 4096;
    n[i] = 100 + static_cast<double>(i);
  }
  const Grid g(fixed, {MakeAxis("kappa", kappa), MakeAxis("nu", nu), MakeAxis("n", n)});
  constexpr std::size_t k32 = std::size_t{1} << 32;
  EXPECT_EQ(g.cell_count(), 2 * k32);
  EXPECT_EQ(g.coordinates(k32 + 5), (std::vector<std::size_t>{1024, 0, 5}));
  const CellParams p = g.cell(k32 + 2048 * 3 + 7);  // (1024, 3, 7)
  EXPECT_EQ(p.kappa(0), 1024.5);
  EXPECT_EQ(p.nu, 3.0 / 4096);
  EXPECT_EQ(p.n, 107);
  EXPECT_EQ(g.cell(2 * k32 - 1).n, 100 + 2047);
  EXPECT_THROW(g.coordinates(2 * k32), std::out_of_range);
  // More cells than a 64-bit count holds (2^16 values on each of 5 axes: 2^80) is refused.
  std::vector<Axis> axes;
  for (const char* name : {"kappa", "nu", "n", "gamma_x", "gamma_y"})
    axes.push_back(MakeAxis(name, std::vector<double>(65536, 1.0)));
  EXPECT_THROW(Grid(default_param_values(), axes), InputError);
}

}  // namespace

TEST_F(ConfigTest, EtaReplacesNu) {
  const Config c = Load("[model]\neta = 0.5\n[axes]\ngamma_tilde_y = logspace(-1, 2, 4)\n");
  EXPECT_FALSE(c.fixed.contains("nu"));  // the default nu steps aside
  EXPECT_EQ(c.fixed.at("eta"), std::vector<double>{0.5});
  EXPECT_NE(c.resolved_text().find("eta = 0.5"), std::string::npos);
  EXPECT_EQ(c.resolved_text().find("nu ="), std::string::npos);
  EXPECT_TRUE(Rejects("[model]\neta = 0.5\nnu = 0.3\n", {"nu", "eta"}));
  EXPECT_TRUE(Rejects("[model]\neta = 0.5\n[axes]\nnu = 0.1, 0.2\n", {"nu", "eta"}));
  EXPECT_TRUE(Rejects("[model]\neta = -1\n", {"eta", "-1"}));
  // A stored config round-trips, and the results-relevant comparison sees eta.
  const Config back = config_from_text(c.resolved_text(), "stored");
  EXPECT_EQ(results_mismatch(c, back), "");
  const Config other = Load("[model]\neta = 0.4\n[axes]\ngamma_tilde_y = logspace(-1, 2, 4)\n");
  EXPECT_NE(results_mismatch(c, other).find("eta"), std::string::npos);
}

TEST_F(ConfigTest, ResultsMismatchIgnoresOutputAndChunking) {
  const Config a = Load("[run]\ntrials = 5\noutput = a.h5\nchunk_cells = 3\n");
  const Config b = Load("[run]\ntrials = 5\noutput = b.h5\n");
  EXPECT_EQ(results_mismatch(a, b), "");
  const Config c = Load("[run]\ntrials = 6\n");
  EXPECT_EQ(results_mismatch(a, c), "run.trials = 5 here, 6");
  const Config d = Load("[model]\nnu = 0.3\n[run]\ntrials = 5\n");
  EXPECT_EQ(results_mismatch(a, d), "model.nu = 0.5 here, 0.3");
}

// [diagnose] must be able to run in every cell; otherwise every trial would fail silently.
TEST_F(ConfigTest, DiagnoseSettingsCheckedAgainstEveryCell) {
  EXPECT_TRUE(Rejects("[model]\nd = 6\nk = 2\n[axes]\nn = 100, 3\n[diagnose]\nlabelled = 50\n",
                      {"diagnose.labelled = 50", "n = 3", "fewer than diagnose.folds = 5"}));
  EXPECT_TRUE(Rejects("[model]\nd = 6\nk = 2\nn = 100\n[diagnose]\nlabelled = 4\n",
                      {"diagnose.labelled = 4", "fewer than diagnose.folds"}));
  EXPECT_TRUE(Rejects("[model]\nd = 6\nk = 2\nn = 100\n[diagnose]\npca = 7\n",
                      {"diagnose.pca = 7", "exceeds d = 6"}));
  EXPECT_EQ(Load("[model]\nd = 6\nk = 2\nn = 100\n[diagnose]\nlabelled = 5\npca = 6\n")
                .run.diagnose->labelled,
            5);
}

// ---------------------------------------------------------------- hostile text (issue 11)

// A UTF-8 BOM (Windows editors) and CRLF line endings read like the plain file, in both
// config parsers (two-modality and binding).
TEST_F(ConfigTest, ByteOrderMarkAndCrlfReadLikeThePlainFile) {
  const std::string plain = "[model]\nd = 6\nk = 2\nnu = 0.3\n[axes]\nkappa = 1, 2\n";
  std::string crlf;
  for (char c : plain) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  const std::string expected = Load(plain).resolved_text();
  EXPECT_EQ(Load("\xEF\xBB\xBF" + plain).resolved_text(), expected);
  EXPECT_EQ(Load(crlf).resolved_text(), expected);
  EXPECT_EQ(Load("\xEF\xBB\xBF" + crlf).resolved_text(), expected);
  const std::string binding = "[model]\nmodalities = 3\nd = 6\n[axes]\nkappa = 1, 2\n";
  const auto bom_path = Write("\xEF\xBB\xBF" + binding, "bom.ini");
  EXPECT_TRUE(read_config_source(bom_path, {}).sets_modalities());
  EXPECT_EQ(load_config(bom_path, {}).resolved_text(),
            load_config(Write(binding, "plain.ini"), {}).resolved_text());
}

// The message keeps every byte of the input it quotes; the printed line escapes them.
TEST_F(ConfigTest, NulByteInAValueIsKeptInTheMessage) {
  const auto path = Write(std::string("[model]\nnu = 0.5\0junk\n", 22));
  try {
    load_config(path, {});
    FAIL() << "did not throw";
  } catch (const InputError& e) {
    EXPECT_NE(e.message().find(std::string("'0.5\0junk'", 10)), std::string::npos) << e.what();
    EXPECT_NE(printable_line(e.message()).find("'0.5\\x00junk'"), std::string::npos);
  }
}

TEST(PrintableLine, EscapesControlBytesAndJoinsLines) {
  EXPECT_EQ(printable_line(std::string("a\0b\x1b[31m\x7f\tc", 11)), "a\\x00b\\x1b[31m\\x7f\\x09c");
  EXPECT_EQ(printable_line("two\nlines\r\n"), "two lines  ");
  EXPECT_EQ(printable_line("caf\xC3\xA9 \\ ok"), "caf\xC3\xA9 \\ ok");  // UTF-8 and '\' kept
}

TEST(StripUtf8Bom, OnlyALeadingMark) {
  std::string t = "\xEF\xBB\xBFx = 1";
  EXPECT_TRUE(strip_utf8_bom(t));
  EXPECT_EQ(t, "x = 1");
  EXPECT_FALSE(strip_utf8_bom(t));
  std::string mid = "x\xEF\xBB\xBF";
  EXPECT_FALSE(strip_utf8_bom(mid));
  EXPECT_EQ(mid.size(), 4u);
}

// One syntax for every number on the command line (issue 11, item 18).
TEST(CliNumbers, OneSyntaxForEveryOption) {
  EXPECT_EQ(cli::integer("--folds", "7", 2, 100), 7);
  EXPECT_EQ(cli::integer("--folds", "+7", 2, 100), 7);  // a '+' as in the config grammar
  EXPECT_EQ(cli::unsigned_integer("--fold-seed", "18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(cli::real("--ridge", "1e-3", 0), 1e-3);
  EXPECT_EQ(cli::real("--ridge", "0", 0), 0.0);
  // The config grammar's syntax (issue 12): what `folds = 1e1` accepts, --folds accepts.
  EXPECT_EQ(cli::integer("--folds", "1e1", 2, 100), 10);
  EXPECT_EQ(cli::integer("--folds", "10.0", 2, 100), 10);
  EXPECT_EQ(cli::unsigned_integer("--fold-seed", "1e2"), 100u);
  EXPECT_EQ(cli::real("--ridge", "+2.5e-1", 0), 0.25);
  for (const char* bad :
       {"1e3", "0x10", " 5", "5 ", "5abc", "nan", "inf", "+-5", "", "1", "101", "2.5", "5,6"})
    EXPECT_TRUE(ThrowsInputError([&] { cli::integer("--folds", bad, 2, 100); },
                                 {"--folds '" + std::string(bad) + "'", "[2, 100]"}));
  for (const char* bad : {"-1", "1.5", "0x10", " 1", "18446744073709551616", "", "nan"})
    EXPECT_TRUE(ThrowsInputError([&] { cli::unsigned_integer("--fold-seed", bad); },
                                 {"--fold-seed '" + std::string(bad) + "'", "[0, 2^64 - 1]"}));
  for (const char* bad : {"nan", "inf", "-inf", "0x10", " 1", "1x", "-1", "1e999", "", "+-1"})
    EXPECT_TRUE(ThrowsInputError([&] { cli::real("--band", bad, 0); },
                                 {"--band '" + std::string(bad) + "'", ">= 0"}));
}

}  // namespace phasecube

namespace phasecube {
namespace {

// ---------------------------------------------------------------- limits (issue 11 item 9)

// trials_done is an int32 in the cube: 2^31 - 1 is the last accepted value, in both grammars.
TEST_F(ConfigTest, TrialsLimitIsInt32) {
  EXPECT_EQ(Load("[run]\ntrials = 2147483647\n").run.trials, 2147483647L);
  EXPECT_TRUE(Rejects("[run]\ntrials = 2147483648\n",
                      {"run.trials = 2147483648", "must be <= 2147483647", "32-bit"}));
  EXPECT_TRUE(Rejects("[run]\ntrials = 1e12\n", {"run.trials = 1e12", "<= 2147483647"}));
  EXPECT_EQ(
      config_from_text("[model]\nmodalities = 3\n[run]\ntrials = 2147483647\n", "b").run.trials,
      2147483647L);
  EXPECT_TRUE(ThrowsInputError(
      [] { config_from_text("[model]\nmodalities = 3\n[run]\ntrials = 2147483648\n", "b"); },
      {"run.trials = 2147483648", "must be <= 2147483647"}));
}

// Integer parameters too large name the limit (d = 1e20 said "must be an integer"); the
// limit itself is a valid integer, refused only if it cannot fit in memory.
TEST_F(ConfigTest, IntegerLimitsAreNamed) {
  EXPECT_TRUE(Rejects("[model]\nd = 1e20\n", {"model.d = 1e+20", "must be <= 1000000000"}));
  EXPECT_TRUE(Rejects("[model]\nd = 1000000001\n", {"model.d = 1000000001", "<= 1000000000"}));
  EXPECT_TRUE(Rejects("[model]\nn = 1e10\n", {"model.n = 1e+10", "<= 1000000000"}));
  EXPECT_TRUE(Rejects("[axes]\nd = 10, 1e20\n", {"axes.d value 1e+20", "<= 1000000000"}));
  EXPECT_TRUE(Rejects("[model]\nd = 1e9\n", {"needs about", "memory"}));
  EXPECT_TRUE(ThrowsInputError([] { config_from_text("[model]\nmodalities = 3\nd = 1e20\n", "b"); },
                               {"model.d = 1e+20", "must be <= 100000"}));
  EXPECT_TRUE(ThrowsInputError([] { config_from_text("[model]\nmodalities = 3\nd = 5e8\n", "b"); },
                               {"model.d = 5e+08", "must be <= 100000"}));
}

TEST(Memory, RefusedExactlyAboveTheLimit) {
  MemoryNeed need;
  need.records = 600;
  need.done_map = 400;
  EXPECT_NO_THROW(require_memory(need, {1000, "test"}));
  EXPECT_TRUE(ThrowsInputError(
      [&] {
        require_memory(need, {999, "test"});
      },
      {"needs about 1.0 kB", "more than the 999 B", "(test)"}));
}

TEST(Memory, NeedGrowsWithGridThreadsAndTrials) {
  Config c;
  c.fixed = default_param_values();
  c.axes = {Axis{"kappa", "", std::vector<double>(1000, 1.0)}};
  c.run.trials = 1000;
  const MemoryNeed theory = memory_need(c, 0);
  // A record is the default methods' variables and the two counters: 41 doubles (39 + 2).
  const std::size_t slots =
      MethodPlan<TwoModalityModel>({}, SectionUse::Off, 0).schema().record_size();
  EXPECT_EQ(slots, 41u);
  EXPECT_EQ(theory.records, 1000.0 * static_cast<double>(slots) * sizeof(double));
  EXPECT_EQ(theory.done_map, 2 * 1000.0 / 8);
  // Rank 0 holds at most 2^17 records in flight, whatever the grid (issue 15).
  Config big = c;
  big.axes = {Axis{"kappa", "", std::vector<double>(10000, 1.0)},
              Axis{"nu", "", std::vector<double>(10000, 0.5)}};
  const MemoryNeed streamed = memory_need(big, 0);
  EXPECT_EQ(streamed.records, 131072.0 * static_cast<double>(slots) * sizeof(double));
  EXPECT_EQ(streamed.done_map, 2 * 1e8 / 8);
  EXPECT_EQ(theory.workspaces + theory.outcomes, 0.0);
  const MemoryNeed one = memory_need(c, 1), two = memory_need(c, 2);
  EXPECT_GT(one.workspaces, 48.0 * 8 * 10 * 10 - 1);  // ~48 d^2 doubles per thread at d = 10
  EXPECT_EQ(two.workspaces, 2 * one.workspaces);
  EXPECT_GT(one.outcomes, 1000.0 * 8 * 10);
}

// Under a 600 MB RLIMIT_AS a grid of 10^8 cells is accepted (rank 0 holds two bits per cell
// and a bounded buffer of records, issue 15: 68 MB), and the same grid at d = 10^8 (a cell's
// O(d) closed forms) is refused, before any cell is validated. In a child process: the limit must
// not touch the test runner.
TEST(MemoryDeathTest, GridOf1e8CellsFitsAndOneOverTheLimitIsRefused) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "address-space limits (RLIMIT_AS) cannot apply under AddressSanitizer, whose "
                  "shadow memory reserves terabytes; the Release build runs this test";
#endif
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto run = [] {
    const double limit = 6e8;  // far below any machine's memory, far above this process
    const rlimit lim{static_cast<rlim_t>(limit), static_cast<rlim_t>(limit)};
    if (setrlimit(RLIMIT_AS, &lim) != 0) std::_Exit(10);
    const MemoryLimit available = memory_available();
    if (available.bytes != limit || available.source.find("RLIMIT_AS") == std::string::npos)
      std::_Exit(11);
    const auto config = [](const char* d) {
      return std::string("[model]\nd = ") + d +
             "\nk = 1\n[axes]\nkappa = linspace(1, 2, 10000)\nnu = linspace(0, 1, 10000)\n";
    };
    const Config fits = config_from_text(config("4"), "t");
    if (memory_need(fits, 2).total() > 2e8) std::_Exit(12);  // 10^8 cells: well under the limit
    try {
      config_from_text(config("1e8"), "t");
    } catch (const InputError& e) {
      const std::string msg = e.what();
      if (msg.find("needs about") != std::string::npos &&
          msg.find("RLIMIT_AS") != std::string::npos) {
        std::fputs("refused\n", stderr);
        std::_Exit(3);
      }
    }
    std::_Exit(0);
  };
  EXPECT_EXIT(run(), ::testing::ExitedWithCode(3), "refused");
}

// ---------------------------------------------------------------- indexed names (issue 12)

Eigen::VectorXd Vec(std::initializer_list<double> v) {
  Eigen::VectorXd x(static_cast<Eigen::Index>(v.size()));
  Eigen::Index i = 0;
  for (double e : v) x(i++) = e;
  return x;
}

TEST_F(ConfigTest, IndexedNameInModelReplacesOneCoordinate) {
  const Config c = Load(
      "[model]\nd = 6\nk = 3\nkappa = 2\nkappa[2] = 0.5\ngamma_y[0] = 4\n"
      "gamma_tilde_x = 1, 2, 3\ngamma_tilde_x[1] = 7\n");
  const CellParams p = Grid(c).cell(0);
  EXPECT_EQ(p.kappa, Vec({2, 2, 0.5}));
  EXPECT_EQ(p.gamma_y, Vec({4, 1, 1}));
  EXPECT_EQ(p.gamma_x, Vec({1, 1, 1}));
  EXPECT_EQ(p.gamma_tilde_x, Vec({1, 7, 3}));
  // The resolved text keeps them after their parameter and round-trips.
  const std::string text = c.resolved_text();
  EXPECT_NE(text.find("kappa = 2\nkappa[2] = 0.5\nkappa_decay = 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("gamma_tilde_x = 1, 2, 3\ngamma_tilde_x[1] = 7\n"), std::string::npos);
  const Config back = config_from_text(text, "stored");
  EXPECT_EQ(results_mismatch(c, back), "");
  EXPECT_EQ(Grid(back).cell(0).kappa, p.kappa);
  const Config other = Load("[model]\nd = 6\nk = 3\nkappa = 2\nkappa[2] = 0.6\n");
  EXPECT_EQ(results_mismatch(other, Load("[model]\nd = 6\nk = 3\nkappa = 2\nkappa[2] = 0.5\n")),
            "model.kappa[2] = 0.6 here, 0.5");
  EXPECT_EQ(results_mismatch(other, Load("[model]\nd = 6\nk = 3\nkappa = 2\n")),
            "model.kappa[2] is fixed here but swept or not given");
}

TEST_F(ConfigTest, IndexedNameInAxesSweepsOneCoordinate) {
  const Config c = Load("[model]\nk = 3\nkappa = 2\n[axes]\nkappa[2] = 0.5, 4\nnu = 0.1, 0.2\n");
  const Grid g(c);
  ASSERT_EQ(g.cell_count(), 4u);
  EXPECT_EQ(g.cell(0).kappa, Vec({2, 2, 0.5}));
  EXPECT_EQ(g.cell(3).kappa, Vec({2, 2, 4}));
  EXPECT_EQ(g.cell(3).nu, 0.2);
  // The plain name swept, one coordinate fixed; and an override sweeps what the file fixes.
  const Grid h(Load("[model]\nkappa[1] = 7\n[axes]\nkappa = 1, 3\n"));
  EXPECT_EQ(h.cell(1).kappa, Vec({3, 7}));
  const Grid o(Load("[model]\nk = 3\nkappa[2] = 1\n", {"--axes.kappa[2]=5,6"}));
  EXPECT_EQ(o.cell(1).kappa, Vec({1, 1, 6}));
}

TEST_F(ConfigTest, IndexedKappaAppliesAfterTheDecay) {
  // kappa_decay builds kappa from the plain kappa first; kappa[i] then replaces coordinate i.
  const Config c = Load("[model]\nk = 3\nkappa = 1\nkappa_decay = 0.5\nkappa[0] = 4\n");
  EXPECT_EQ(Grid(c).cell(0).kappa, Vec({4, 0.5, 0.25}));
  EXPECT_EQ(
      Grid(Load("[model]\nk = 3\nkappa = 1\nkappa_decay = 0.5\nkappa[2] = 3\n")).cell(0).kappa,
      Vec({1, 0.5, 3}));
}

TEST_F(ConfigTest, IndexedNameErrorsNameKeyIndexAndCell) {
  EXPECT_EQ(PlainError("[model]\nk = 2\nkappa[2] = 1\n"),
            "model.kappa[2] = 1: addresses signal coordinate 2 but k = 2 (signal coordinates "
            "are 0 .. k-1)");
  EXPECT_EQ(PlainError("[model]\nkappa[2] = 1\n[axes]\nk = 3, 2\n"),
            "model.kappa[2] = 1: addresses signal coordinate 2 but k = 2 (signal coordinates "
            "are 0 .. k-1), in the cell with k = 2");
  EXPECT_EQ(PlainError("[model]\nd = 4\nk = 2\n[axes]\ngamma_tilde_y[2] = 1, 2\n"),
            "axes.gamma_tilde_y[2] value 1: addresses nuisance coordinate 2 but d - k = 2 "
            "(nuisance coordinates are 0 .. d-k-1), in the cell with gamma_tilde_y[2] = 1");
  EXPECT_EQ(PlainError("[model]\nk = 3\nkappa[1] = -1\n"),
            "model.kappa[1] = -1: signal strength must be >= 0");
  EXPECT_EQ(PlainError("[model]\nnu[0] = 0.3\n"),
            "t.ini:2: key 'model.nu[0]': nu takes one value, not one per coordinate or modality, "
            "so it has no index");
  EXPECT_EQ(PlainError("[axes]\nd[1] = 3, 4\n"),
            "t.ini:2: key 'axes.d[1]': d takes one value, not one per coordinate or modality, so "
            "it has no index");
  EXPECT_EQ(PlainError("[model]\nkappa[2] = 1\nkappa[2] = 3\n"),
            "t.ini:3: key 'model.kappa[2]' is given more than once (first at t.ini:2)");
  for (const std::string bad :
       {"kappa[02]", "kappa[-1]", "kappa[x]", "kappa[]", "kappa[1", "kappa[1][2]"})
    EXPECT_EQ(PlainError("[model]\n" + bad + " = 1\n"),
              "t.ini:2: invalid key 'model." + bad +
                  "' (an index is written name[i], i = 0, 1, 2, ... in digits)")
        << bad;
  EXPECT_NE(PlainError("[model]\nalpha[1] = 1\n").find("unknown key 'model.alpha[1]'"),
            std::string::npos);
  EXPECT_NE(PlainError("[model]\nkappa[2] = 1\n[axes]\nkappa[2] = 1, 2\n").find("never both"),
            std::string::npos);
  EXPECT_EQ(PlainError("[model]\nk = 3\nkappa[1] = 1, 2\n"),
            "model.kappa[1] = 1, 2: takes a single value (put kappa[1] in [axes] to sweep it)");
  EXPECT_NE(PlainError("[model]\neta = 0.5\ngamma_tilde_x[0] = 2\n")
                .find("needs single values of gamma_tilde_x and gamma_tilde_y"),
            std::string::npos);
}

TEST_F(ConfigTest, IndexedNamesAreOneMechanismInBothKinds) {
  // kappa[i] indexes signal coordinates in a binding run too; gamma[m] still modalities.
  const Config c = config_from_text(
      "[model]\nmodalities = 3\nd = 6\nk = 3\nkappa = 2\ngamma[1] = 5\n[axes]\nkappa[2] = "
      "0.5, 4\n",
      "b");
  const BindingParams p0 = make_binding_cell(Grid(c.fixed, c.axes).values(0));
  const BindingParams p1 = make_binding_cell(Grid(c.fixed, c.axes).values(1));
  EXPECT_EQ(p0.kappa, Vec({2, 2, 0.5}));
  EXPECT_EQ(p1.kappa, Vec({2, 2, 4}));
  EXPECT_EQ(p1.gamma, Vec({1, 5, 1}));
  const Config fixed = config_from_text(
      "[model]\nmodalities = 3\nk = 3\nkappa = 1\nkappa_decay = 0.5\nkappa[0] = 4\n", "b");
  EXPECT_EQ(make_binding_cell(Grid(fixed.fixed, fixed.axes).values(0)).kappa, Vec({4, 0.5, 0.25}));
  // The same messages as the two-modality run (line numbers shifted by the modalities line).
  EXPECT_EQ(BindingError("k = 2\nkappa[2] = 1\n"),
            "model.kappa[2] = 1: addresses signal coordinate 2 but k = 2 (signal coordinates "
            "are 0 .. k-1)");
  EXPECT_EQ(BindingError("nu[0] = 0.3\n"),
            "t.ini:3: key 'model.nu[0]': nu takes one value, not one per coordinate or modality, "
            "so it has no index");
  EXPECT_EQ(BindingError("kappa[02] = 1\n"),
            "t.ini:3: invalid key 'model.kappa[02]' (an index is written name[i], i = 0, 1, 2, "
            "... in digits)");
  EXPECT_EQ(BindingError("gamma[3] = 1\n"),
            "model.gamma[3] = 1: addresses modality 3 but M = 3 (modalities are 0 .. M-1)");
  EXPECT_EQ(BindingError("k = 3\nkappa[1] = -1\n"),
            "model.kappa[1] = -1: signal strength must be >= 0");
  // The two-modality run has no per-modality gamma.
  EXPECT_NE(PlainError("[model]\ngamma[1] = 1\n").find("unknown key 'model.gamma[1]'"),
            std::string::npos);
}

// ---------------------------------------------------------------- cell checks per axis

// The cell checks' verdict on `c` (check_config_cells): the message, empty when it passes.
std::string CellVerdict(Config c, bool every_cell) {
  try {
    check_config_cells(c, every_cell);
  } catch (const InputError& e) {
    return e.message();
  }
  return "";
}

// A loaded config with `axes` added after loading, so planted values reach the cell checks
// (the loader's checks of each value alone would refuse some of them first).
Config WithAxes(const std::string& text,
                const std::vector<std::pair<std::string, std::vector<double>>>& axes) {
  Config c = config_from_text(text, "t.ini");
  for (const auto& [name, values] : axes) {
    c.fixed.erase(name);
    c.axes.push_back(Axis{name, format_list(values), values});
  }
  return c;
}

// Bad cells planted on later axes: the walk over the axes' sub-grids names the same first bad
// cell, with the same message, as the walk over every cell.
TEST(FastCellCheck, PlantedBadCellsGiveTheFullWalksMessage) {
  const std::vector<std::pair<Config, std::string>> cases = {
      {WithAxes("", {{"n", {10, 20}}, {"d", {4, 3, 2}}, {"k", {1, 2, 3}}}),
       "axes.k value 3: must be < d = 3 (at least one nuisance coordinate), in the cell with "
       "n = 10, d = 3, k = 3"},
      {WithAxes("[model]\nk = 1\n[run]\nsampler = wishart\n",
                {{"n", {100, 10}}, {"kappa", {1, 2}}, {"d", {2, 8}}}),
       "run.sampler = wishart needs n >= 2d, but axes.n value 10 and axes.d value 8 give n < 2d "
       "= 16, in the cell with n = 10, kappa = 1, d = 8; use sampler = auto or direct"},
      {WithAxes("[model]\neta = 0.5\n",
                {{"kappa", {1, 2}}, {"gamma_tilde_x", {1, 0}}, {"gamma_tilde_y", {1, 0}}}),
       "model.eta = 0.5: > 0 needs positive nuisance variances, in the cell with kappa = 1, "
       "gamma_tilde_x = 1, gamma_tilde_y = 0"},
      {WithAxes("[model]\nkappa = 1, 2, 3\nd = 8\nk = 3\n", {{"nu", {0.1, 0.2}}, {"k", {3, 2}}}),
       "model.kappa = 1, 2, 3: needs 1 value or 2 (k signal coordinates) values, got 3, in the "
       "cell with nu = 0.1, k = 2"},
      {WithAxes("[model]\nd = 10\nn = 50\n[diagnose]\npca = 4\n",
                {{"nu", {0.1, 0.2}}, {"n", {50, 40}}, {"d", {10, 3}}}),
       "diagnose.pca = 4 exceeds d = 3, in the cell with nu = 0.1, n = 50, d = 3"},
      {WithAxes("[model]\nmodalities = 3\n", {{"modalities", {4, 2}}, {"anchor", {0, 3}}}),
       "axes.anchor value 3: must be < modalities = 2 (modalities are 0 .. M-1), in the cell "
       "with modalities = 2, anchor = 3"},
      {WithAxes("[model]\nmodalities = 3\n", {{"kappa", {1, 0}}, {"n", {5}}, {"gamma", {1, 0}}}),
       "axes.gamma value 0: modality 0 has zero variance on a signal coordinate (kappa = 0 and "
       "gamma = 0), in the cell with kappa = 0, n = 5, gamma = 0"},
  };
  for (const auto& [c, message] : cases) {
    EXPECT_EQ(CellVerdict(c, false), message);
    EXPECT_EQ(CellVerdict(c, true), message);
  }
}

TEST(FastCellCheck, InfoNceNeedsKAtLeastTwoInTheFirstCellWithKOne) {
  const Config c = WithAxes("[run]\nmethods = infonce\n", {{"nu", {0.1, 0.2}}, {"k", {3, 2, 1}}});
  const std::string fast = CellVerdict(c, false);
  EXPECT_EQ(fast, CellVerdict(c, true));
  EXPECT_NE(fast.find("needs k >= 2"), std::string::npos) << fast;
  EXPECT_NE(fast.find(", in the cell with nu = 0.1, k = 1"), std::string::npos) << fast;
}

// Random small grids of both models with bad values among the axes: the fast check refuses
// exactly the grids the walk over every cell refuses, with the same message, and finds the
// same largest M. A cross check on parameters missing from the read sets (kCellReads,
// kBindingCellReads) fails here.
TEST(FastCellCheck, RandomGridsAgreeWithTheWalkOverEveryCell) {
  using Pool = std::vector<std::pair<std::string, std::vector<double>>>;
  const Pool two = {{"d", {2, 3, 4, 6}},       {"k", {1, 2, 3, 4}},
                    {"n", {1, 3, 8, 20}},      {"kappa", {0, 1, 2}},
                    {"kappa_decay", {1, 0.5}}, {"nu", {0, 0.5, 1}},
                    {"gamma_tilde_x", {0, 1}}, {"gamma_tilde_y", {0, 1, 2}},
                    {"kappa[1]", {0.5, 1}},    {"gamma_tilde_x[2]", {1, 2}},
                    {"eta", {0, 0.5}},         {"gamma_x", {0, 1}}};
  const std::vector<std::string> two_bases = {"",
                                              "[model]\nkappa = 1, 2\n",
                                              "[model]\neta = 0.3\n",
                                              "[run]\nsampler = wishart\n",
                                              "[run]\nmethods = infonce\n",
                                              "[model]\nd = 5\n[diagnose]\npca = 3\nlabelled = 6\n",
                                              "[model]\ngamma_tilde_x = 1, 2\nd = 4\nk = 2\n"};
  const Pool binding = {{"modalities", {2, 3, 4}}, {"d", {2, 3, 5}},      {"k", {1, 2, 3}},
                        {"n", {2, 6, 20}},         {"anchor", {0, 1, 3}}, {"kappa", {0, 1}},
                        {"gamma", {0, 1}},         {"gamma[1]", {0, 1}},  {"gamma_tilde", {1, 2}},
                        {"kappa_decay", {1, 0}},   {"nu", {0.2, 0.5}}};
  const std::vector<std::string> binding_bases = {
      "[model]\nmodalities = 3\n", "[model]\nmodalities = 2\nkappa = 1, 0\n",
      "[model]\nmodalities = 3\n[run]\nsampler = wishart\n",
      "[model]\nmodalities = 3\nd = 4\nk = 1\nn = 12\n[run]\nsampler = wishart\n",
      "[model]\nmodalities = 2\ngamma = 1, 0\nnu = 1, 0.5, 0.5, 1\n"};
  std::mt19937 rng(15);
  int refused = 0, passed = 0, later = 0;
  for (int round = 0; round < 3000; ++round) {
    const bool is_binding = round % 2 == 1;
    const Pool& pool = is_binding ? binding : two;
    const auto& bases = is_binding ? binding_bases : two_bases;
    const std::string base = bases[rng() % bases.size()];
    std::vector<std::size_t> picks(pool.size());
    for (std::size_t i = 0; i < picks.size(); ++i) picks[i] = i;
    std::shuffle(picks.begin(), picks.end(), rng);
    Pool axes;
    const std::size_t count = 3 + rng() % 3;
    for (std::size_t i = 0; i < count; ++i) {
      auto [name, values] = pool[picks[i]];
      std::shuffle(values.begin(), values.end(), rng);
      values.resize(1 + rng() % values.size());
      axes.emplace_back(name, values);
    }
    Config c;
    try {
      c = WithAxes(base, axes);
    } catch (const InputError& e) {
      FAIL() << "base config refused: " << e.message();
    }
    const bool sweeps_eta =
        std::any_of(axes.begin(), axes.end(), [](const auto& a) { return a.first == "eta"; });
    if (sweeps_eta && !is_binding) c.fixed.erase("nu");
    Config full = c;
    const std::string fast = CellVerdict(c, false);
    SCOPED_TRACE(base + " " + c.resolved_text());
    ASSERT_EQ(fast, CellVerdict(full, true));
    if (fast.empty()) {
      ++passed;
      check_config_cells(c, false);
      check_config_cells(full, true);
      EXPECT_EQ(c.max_modalities, full.max_modalities);
    } else {
      ++refused;
      std::string first_cell = ", in the cell with ";  // cell 0's context
      for (std::size_t a = 0; a < c.axes.size(); ++a)
        first_cell += (a ? ", " : "") + c.axes[a].name + " = " + format_number(c.axes[a].values[0]);
      later += fast.find(first_cell) == std::string::npos;
    }
  }
  // Both verdicts occur often, and many first bad cells are not cell 0.
  EXPECT_GT(refused, 80);
  EXPECT_GT(passed, 80);
  EXPECT_GT(later, 40);
  std::printf("%d grids refused (%d of them after cell 0), %d passed\n", refused, later, passed);
}

// The cells checked grow with the axes, not the grid: 10^8 cells, 2 x 10^4 checks.
TEST(FastCellCheck, ChecksAreProportionalToTheAxes) {
  const auto values = [](std::size_t m) {
    std::vector<double> v(m);
    for (std::size_t i = 0; i < m; ++i)
      v[i] = 0.5 * static_cast<double>(i) / static_cast<double>(m);
    return v;
  };
  Config two = WithAxes("", {{"kappa", values(10000)}, {"nu", values(10000)}});
  EXPECT_EQ(check_config_cells(two), 20000u);
  // A cross-parameter set walks its own product: d x k (100 x 99) plus kappa alone.
  std::vector<double> d(100), k(99);
  for (int i = 0; i < 100; ++i) d[static_cast<std::size_t>(i)] = 101 + i;
  for (int i = 0; i < 99; ++i) k[static_cast<std::size_t>(i)] = 1 + i;
  Config cross = WithAxes("", {{"d", d}, {"kappa", values(10000)}, {"k", k}});
  EXPECT_EQ(check_config_cells(cross), 100u * 99u + 10000u);
  Config binding = WithAxes("[model]\nmodalities = 3\n",
                            {{"nu", values(10000)}, {"gamma_tilde", values(10000)}});
  for (auto& v : binding.axes[1].values) v += 1;  // nuisance variances > 0
  EXPECT_EQ(check_config_cells(binding), 20000u);
  EXPECT_EQ(binding.max_modalities, 3);
}

}  // namespace
}  // namespace phasecube
