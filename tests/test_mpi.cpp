// 64-bit safe MPI messages (issue 11, item 20): a message goes as pieces of at most INT_MAX
// elements. The piece arithmetic is tested at the real boundary as a pure function; the
// splitting and joining through MPI with a small piece limit, to this rank itself (a plain
// ctest run, one rank) or between two ranks (tests/check_mpi_pieces.sh runs this under
// mpirun -np 2).
#include <gtest/gtest.h>

#include <climits>
#include <cstdint>
#include <numeric>
#include <vector>

#include "sweep/mpi.hpp"

namespace phasecube::mpi {
namespace {

constexpr std::size_t kIntMax = INT_MAX;

TEST(PieceSizes, SplitAtIntMaxWithAShortLastPiece) {
  EXPECT_EQ(piece_limit(), kIntMax);
  EXPECT_EQ(piece_sizes(0, kIntMax), (std::vector<std::size_t>{0}));
  EXPECT_EQ(piece_sizes(kIntMax - 1, kIntMax), (std::vector<std::size_t>{kIntMax - 1}));
  // Exactly INT_MAX: a full piece and an empty one saying "that was all".
  EXPECT_EQ(piece_sizes(kIntMax, kIntMax), (std::vector<std::size_t>{kIntMax, 0}));
  EXPECT_EQ(piece_sizes(kIntMax + 1, kIntMax), (std::vector<std::size_t>{kIntMax, 1}));
  // 2^31 + 5 doubles: what a chunk of 52 million cells of 41 values ships.
  EXPECT_EQ(piece_sizes((std::size_t{1} << 31) + 5, kIntMax),
            (std::vector<std::size_t>{kIntMax, 6}));
  EXPECT_EQ(piece_sizes(2 * kIntMax + 1, kIntMax), (std::vector<std::size_t>{kIntMax, kIntMax, 1}));
  for (std::size_t n : {std::size_t{0}, std::size_t{7}, std::size_t{1} << 40}) {
    const auto p = piece_sizes(n, kIntMax);
    EXPECT_EQ(std::accumulate(p.begin(), p.end(), std::size_t{0}), n);
    EXPECT_LT(p.back(), kIntMax);
    for (std::size_t x : p) EXPECT_LE(x, kIntMax);
  }
  EXPECT_EQ(piece_sizes(6, 3), (std::vector<std::size_t>{3, 3, 0}));
  EXPECT_THROW(piece_sizes(1, 0), std::invalid_argument);
  EXPECT_THROW(set_piece_limit(0), std::invalid_argument);
  EXPECT_THROW(set_piece_limit(kIntMax + 1), std::invalid_argument);
}

std::vector<double> doubles(std::size_t n) {
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = 0.5 + static_cast<double>(i);
  return v;
}
std::vector<std::uint64_t> cells(std::size_t n) {
  std::vector<std::uint64_t> v(n);
  std::iota(v.begin(), v.end(), (std::uint64_t{1} << 40));
  return v;
}

// Messages of 0 .. 10 elements with a piece limit of 3 (empty, short, exact multiples and
// several pieces), both element types, blocking and non-blocking sends, in order.
TEST(Messages, SplitIntoPiecesAndJoinedInOrder) {
  Session session;
  ASSERT_LE(session.size(), 2);
  set_piece_limit(3);
  const int dest = session.size() - 1;  // rank 0 itself with one rank
  constexpr std::size_t kLongest = 10;
  {
    SendQueue queue;
    PendingSend pending;
    if (session.rank() == 0) {
      for (std::size_t n = 0; n <= kLongest; ++n) {
        queue.post(cells(n), dest, Tag::Work);
        pending.start(doubles(n), dest, Tag::Result);  // waits for the previous one first
        if (session.size() == 2) send(doubles(n), dest, Tag::Final);
      }
    }
    if (session.rank() == dest) {
      for (std::size_t n = 0; n <= kLongest; ++n) {
        EXPECT_EQ(receive_u64(*probe(0, Tag::Work, true)), cells(n)) << n;
        EXPECT_EQ(receive_doubles(*probe(0, Tag::Result, true)), doubles(n)) << n;
        if (session.size() == 2) {
          EXPECT_EQ(receive_doubles(*probe(0, Tag::Final, true)), doubles(n));
        }
      }
    }
  }  // every send completed
  EXPECT_FALSE(probe(-1, std::nullopt, false).has_value());
  set_piece_limit(kIntMax);
}

}  // namespace
}  // namespace phasecube::mpi
