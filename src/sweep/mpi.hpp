#pragma once
// The MPI edge: an RAII session and the few typed point-to-point calls the sweep driver
// needs. Nothing else in phasecube includes <mpi.h>.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace phasecube::mpi {

// MPI_Init_thread (funneled: only the main thread calls MPI, OpenMP threads never do) and
// MPI_Finalize on scope exit, also when the sweep throws.
class Session {
 public:
  Session();
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  int rank() const { return rank_; }
  int size() const { return size_; }

 private:
  int rank_ = 0, size_ = 1;
};

// Message tags of the master/worker protocol.
enum class Tag : int { Work = 1, Result = 2, Stop = 3, Final = 4 };

// Messages of any length although MPI counts are int: every send below goes as consecutive
// pieces of at most piece_limit() elements, the last one shorter than the limit (empty when
// the length is a multiple of it), and receive_* joins them (MPI keeps one sender's messages
// of one tag in order). The sizes of the pieces of a `count`-element message:
std::vector<std::size_t> piece_sizes(std::size_t count, std::size_t limit);
std::size_t piece_limit();  // INT_MAX
// Tests only: a small limit exercises the splitting without gigabyte messages. Every rank
// must use the same limit.
void set_piece_limit(std::size_t limit);

void send(const std::vector<std::uint64_t>& data, int dest, Tag tag);
void send(const std::vector<double>& data, int dest, Tag tag);

// A non-blocking send of doubles whose buffer it owns; wait() before reuse.
class PendingSend {
 public:
  PendingSend() = default;
  ~PendingSend();
  PendingSend(const PendingSend&) = delete;
  PendingSend& operator=(const PendingSend&) = delete;
  void start(std::vector<double> data, int dest, Tag tag);
  void wait();

 private:
  std::vector<double> buffer_;
  void* requests_ = nullptr;  // std::vector<MPI_Request>, heap-held: <mpi.h> stays out of here
};

// Non-blocking sends of integer messages whose buffers it owns until MPI is done with them:
// the master never waits for a busy worker to take its next chunk.
class SendQueue {
 public:
  SendQueue();
  ~SendQueue();  // waits for every send
  SendQueue(const SendQueue&) = delete;
  SendQueue& operator=(const SendQueue&) = delete;
  void post(std::vector<std::uint64_t> data, int dest, Tag tag);
  void reap();  // frees the buffers of completed sends

 private:
  struct Entry;
  std::vector<std::unique_ptr<Entry>> entries_;
};

struct Incoming {
  int source;
  Tag tag;
};
// A message from `source` (-1: any) with `tag` (nullopt: any), if one is waiting.
std::optional<Incoming> probe(int source, std::optional<Tag> tag, bool block);
std::vector<std::uint64_t> receive_u64(const Incoming& m);
std::vector<double> receive_doubles(const Incoming& m);

// The same flag on every rank: `ok` on rank 0 is broadcast.
bool broadcast_flag(bool ok);
[[noreturn]] void abort(int code);

// This process's rank as the launcher sets it, readable before MPI_Init (for deciding who
// prints an error that every rank finds): Open MPI, PMIx or SLURM; 0 when not launched.
int launcher_rank();

}  // namespace phasecube::mpi
