#include "support/memory.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>

#include "phasecube/error.hpp"

namespace phasecube {

namespace {

void lower_to(MemoryLimit& limit, double bytes, const std::string& source) {
  if (bytes < limit.bytes) limit = {bytes, source};
}

void lower_to_rlimit(MemoryLimit& limit, int resource, const char* source) {
  rlimit r{};
  if (getrlimit(resource, &r) == 0 && r.rlim_cur != RLIM_INFINITY)
    lower_to(limit, static_cast<double>(r.rlim_cur), source);
}

// memory.max of this process's cgroup (v2) and of every ancestor: "max" means none.
void lower_to_cgroup(MemoryLimit& limit) {
  std::ifstream in("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(in, line))
    if (line.starts_with("0::")) path = line.substr(3);
  if (path.empty()) return;
  for (;;) {
    std::ifstream max("/sys/fs/cgroup" + (path == "/" ? std::string() : path) + "/memory.max");
    double bytes = 0;
    if (max >> bytes) lower_to(limit, bytes, "cgroup memory.max");
    if (path == "/" || path.empty()) return;
    const auto slash = path.rfind('/');
    if (slash == std::string::npos) return;
    path = slash == 0 ? "/" : path.substr(0, slash);
  }
}

}  // namespace

MemoryLimit memory_available() {
  MemoryLimit limit{std::numeric_limits<double>::infinity(), "no limit"};
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page > 0)
    lower_to(limit, static_cast<double>(pages) * static_cast<double>(page), "physical memory");
  lower_to_rlimit(limit, RLIMIT_AS, "RLIMIT_AS, ulimit -v");
  lower_to_rlimit(limit, RLIMIT_DATA, "RLIMIT_DATA, ulimit -d");
  lower_to_cgroup(limit);
  return limit;
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  int u = 0;
  while (bytes >= 1000 && u < 6) {
    bytes /= 1000;
    ++u;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, bytes < 10 && u > 0 ? "%.1f %s" : "%.0f %s", bytes, units[u]);
  return buf;
}

void require_memory(const MemoryNeed& need, const MemoryLimit& limit) {
  if (!(need.total() > limit.bytes)) return;
  std::string parts = "records in flight " + bytes_text(need.records) + ", done maps " +
                      bytes_text(need.done_map) + ", one cell " + bytes_text(need.cell);
  if (need.workspaces > 0)
    parts += ", thread workspaces " + bytes_text(need.workspaces) + ", per-trial outcomes " +
             bytes_text(need.outcomes);
  throw InputError("this run needs about " + bytes_text(need.total()) + " of memory (" + parts +
                   "), more than the " + bytes_text(limit.bytes) + " the process may use (" +
                   limit.source + "); use a smaller grid, d or run.trials, or fewer threads");
}

}  // namespace phasecube
