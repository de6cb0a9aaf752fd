#pragma once
// How much memory a run needs, and how much the process may use: values that cannot fit are
// refused up front (exit 2, nothing written) instead of ending in std::bad_alloc mid-run.
// The one place the estimate lives; both config grammars and the run driver call it.
#include <string>

namespace phasecube {

// Peak bytes of a run, by what holds them. An estimate: the large terms, not every byte.
struct MemoryNeed {
  double records = 0;     // rank 0's records in flight: the write buffer and one block
  double done_map = 0;    // rank 0's done maps, a bit per cell (the master's and the writer's)
  double cell = 0;        // one cell's closed forms and covariance blocks, O(d)
  double workspaces = 0;  // per-thread trial workspaces, O((M d)^2) each, all threads
  double outcomes = 0;    // one cell's per-trial outcomes, O(trials)
  double total() const { return records + done_map + cell + workspaces + outcomes; }
};

// The bytes the process may use: the least of physical memory, RLIMIT_AS, RLIMIT_DATA and
// the cgroup v2 memory.max of this process and its ancestors; `source` names the limit.
struct MemoryLimit {
  double bytes = 0;
  std::string source;
};
MemoryLimit memory_available();

// Throws InputError "... needs about X of memory (...), more than the Y the process may use
// (source) ..." when need.total() > limit.bytes.
void require_memory(const MemoryNeed& need, const MemoryLimit& limit);

// "1.5 GB", "12 MB": a byte count for messages.
std::string bytes_text(double bytes);

}  // namespace phasecube
