#include "phasecube/mpi.hpp"

#include <mpi.h>

#include <cstdlib>
#include <string>

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

void send(const std::vector<std::uint64_t>& data, int dest, Tag tag) {
  MPI_Send(data.data(), static_cast<int>(data.size()), MPI_UINT64_T, dest, static_cast<int>(tag),
           MPI_COMM_WORLD);
}

void send(const std::vector<double>& data, int dest, Tag tag) {
  MPI_Send(data.data(), static_cast<int>(data.size()), MPI_DOUBLE, dest, static_cast<int>(tag),
           MPI_COMM_WORLD);
}

PendingSend::~PendingSend() {
  wait();
  delete static_cast<MPI_Request*>(request_);
}

void PendingSend::start(std::vector<double> data, int dest, Tag tag) {
  wait();
  buffer_ = std::move(data);
  if (!request_) request_ = new MPI_Request(MPI_REQUEST_NULL);
  MPI_Isend(buffer_.data(), static_cast<int>(buffer_.size()), MPI_DOUBLE, dest,
            static_cast<int>(tag), MPI_COMM_WORLD, static_cast<MPI_Request*>(request_));
}

void PendingSend::wait() {
  if (request_) MPI_Wait(static_cast<MPI_Request*>(request_), MPI_STATUS_IGNORE);
}

struct SendQueue::Entry {
  std::vector<std::uint64_t> buffer;
  MPI_Request request = MPI_REQUEST_NULL;
};

SendQueue::SendQueue() = default;

SendQueue::~SendQueue() {
  for (auto& e : entries_) MPI_Wait(&e->request, MPI_STATUS_IGNORE);
}

void SendQueue::post(std::vector<std::uint64_t> data, int dest, Tag tag) {
  reap();
  auto e = std::make_unique<Entry>();
  e->buffer = std::move(data);
  MPI_Isend(e->buffer.data(), static_cast<int>(e->buffer.size()), MPI_UINT64_T, dest,
            static_cast<int>(tag), MPI_COMM_WORLD, &e->request);
  entries_.push_back(std::move(e));
}

void SendQueue::reap() {
  std::erase_if(entries_, [](const std::unique_ptr<Entry>& e) {
    int done = 0;
    MPI_Test(&e->request, &done, MPI_STATUS_IGNORE);
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

namespace {
template <class T>
std::vector<T> receive(const Incoming& m, MPI_Datatype type) {
  MPI_Status status;
  MPI_Probe(m.source, static_cast<int>(m.tag), MPI_COMM_WORLD, &status);
  int count = 0;
  MPI_Get_count(&status, type, &count);
  std::vector<T> data(static_cast<std::size_t>(count));
  MPI_Recv(data.data(), count, type, m.source, static_cast<int>(m.tag), MPI_COMM_WORLD,
           MPI_STATUS_IGNORE);
  return data;
}
}  // namespace

std::vector<std::uint64_t> receive_u64(const Incoming& m) {
  return receive<std::uint64_t>(m, MPI_UINT64_T);
}
std::vector<double> receive_doubles(const Incoming& m) {
  return receive<double>(m, MPI_DOUBLE);
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
