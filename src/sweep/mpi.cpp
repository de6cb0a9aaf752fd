#include "sweep/mpi.hpp"

#include <mpi.h>

#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace phasecube::mpi {

Session::Session() {
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Session::~Session() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

std::vector<std::size_t> piece_sizes(std::size_t count, std::size_t limit) {
  if (limit == 0) throw std::invalid_argument("piece_sizes: limit 0");
  std::vector<std::size_t> sizes(count / limit, limit);
  sizes.push_back(count % limit);  // shorter than the limit: the receiver knows it is the last
  return sizes;
}

namespace {

std::size_t g_piece_limit = static_cast<std::size_t>(std::numeric_limits<int>::max());

template <class T>
MPI_Datatype datatype() {
  if constexpr (std::is_same_v<T, double>)
    return MPI_DOUBLE;
  else
    return MPI_UINT64_T;
}

// Sends `data` as its pieces, blocking (requests == nullptr) or posting one request per piece.
template <class T>
void send_pieces(const std::vector<T>& data, int dest, Tag tag,
                 std::vector<MPI_Request>* requests) {
  std::size_t at = 0;
  for (const std::size_t n : piece_sizes(data.size(), g_piece_limit)) {
    void* p = const_cast<T*>(data.data()) + at;  // MPI-3 takes const buffers; Open MPI 4 may not
    const int count = static_cast<int>(n);       // n <= g_piece_limit <= INT_MAX
    if (requests == nullptr) {
      MPI_Send(p, count, datatype<T>(), dest, static_cast<int>(tag), MPI_COMM_WORLD);
    } else {
      requests->push_back(MPI_REQUEST_NULL);
      MPI_Isend(p, count, datatype<T>(), dest, static_cast<int>(tag), MPI_COMM_WORLD,
                &requests->back());
    }
    at += n;
  }
}

template <class T>
std::vector<T> receive(const Incoming& m) {
  std::vector<T> data;
  for (;;) {  // the pieces of one message, in order (MPI does not reorder one sender's sends)
    MPI_Status status;
    MPI_Probe(m.source, static_cast<int>(m.tag), MPI_COMM_WORLD, &status);
    int count = 0;
    MPI_Get_count(&status, datatype<T>(), &count);
    if (count < 0)  // MPI_UNDEFINED: not whole T, or over INT_MAX (a sender with a larger limit)
      throw std::runtime_error("MPI: a message of an unexpected type or length arrived");
    const std::size_t at = data.size();
    data.resize(at + static_cast<std::size_t>(count));
    MPI_Recv(data.data() + at, count, datatype<T>(), m.source, static_cast<int>(m.tag),
             MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (static_cast<std::size_t>(count) < g_piece_limit) return data;
  }
}

}  // namespace

std::size_t piece_limit() {
  return g_piece_limit;
}

void set_piece_limit(std::size_t limit) {
  if (limit == 0 || limit > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    throw std::invalid_argument("set_piece_limit: limit outside 1 .. INT_MAX");
  g_piece_limit = limit;
}

void send(const std::vector<std::uint64_t>& data, int dest, Tag tag) {
  send_pieces(data, dest, tag, nullptr);
}

void send(const std::vector<double>& data, int dest, Tag tag) {
  send_pieces(data, dest, tag, nullptr);
}

PendingSend::~PendingSend() {
  wait();
  delete static_cast<std::vector<MPI_Request>*>(requests_);
}

void PendingSend::start(std::vector<double> data, int dest, Tag tag) {
  wait();
  buffer_ = std::move(data);
  if (!requests_) requests_ = new std::vector<MPI_Request>;
  send_pieces(buffer_, dest, tag, static_cast<std::vector<MPI_Request>*>(requests_));
}

// Request counts fit int: a message in memory (< 2^61 doubles) has fewer than 2^30 pieces.
void PendingSend::wait() {
  if (!requests_) return;
  auto& r = *static_cast<std::vector<MPI_Request>*>(requests_);
  MPI_Waitall(static_cast<int>(r.size()), r.data(), MPI_STATUSES_IGNORE);
  r.clear();
}

struct SendQueue::Entry {
  std::vector<std::uint64_t> buffer;
  std::vector<MPI_Request> requests;
};

SendQueue::SendQueue() = default;

SendQueue::~SendQueue() {
  for (auto& e : entries_)
    MPI_Waitall(static_cast<int>(e->requests.size()), e->requests.data(), MPI_STATUSES_IGNORE);
}

void SendQueue::post(std::vector<std::uint64_t> data, int dest, Tag tag) {
  reap();
  auto e = std::make_unique<Entry>();
  e->buffer = std::move(data);
  send_pieces(e->buffer, dest, tag, &e->requests);
  entries_.push_back(std::move(e));
}

void SendQueue::reap() {
  std::erase_if(entries_, [](const std::unique_ptr<Entry>& e) {
    int done = 0;
    MPI_Testall(static_cast<int>(e->requests.size()), e->requests.data(), &done,
                MPI_STATUSES_IGNORE);
    return done != 0;
  });
}

std::optional<Incoming> probe(int source, std::optional<Tag> tag, bool block) {
  const int src = source < 0 ? MPI_ANY_SOURCE : source;
  const int t = tag ? static_cast<int>(*tag) : MPI_ANY_TAG;
  MPI_Status status;
  if (block) {
    MPI_Probe(src, t, MPI_COMM_WORLD, &status);
  } else {
    int flag = 0;
    MPI_Iprobe(src, t, MPI_COMM_WORLD, &flag, &status);
    if (!flag) return std::nullopt;
  }
  return Incoming{status.MPI_SOURCE, static_cast<Tag>(status.MPI_TAG)};
}

std::vector<std::uint64_t> receive_u64(const Incoming& m) {
  return receive<std::uint64_t>(m);
}
std::vector<double> receive_doubles(const Incoming& m) {
  return receive<double>(m);
}

bool broadcast_flag(bool ok) {
  int v = ok ? 1 : 0;
  MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
  return v != 0;
}

void abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // not reached
}

int launcher_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"})
    if (const char* v = std::getenv(var)) return std::atoi(v);
  return 0;
}

}  // namespace phasecube::mpi
