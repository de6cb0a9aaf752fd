#include "support/stop.hpp"

#include <csignal>

namespace phasecube {

namespace {

std::atomic<bool> g_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

}  // namespace

Stopped::Stopped()
    : std::runtime_error("stopped by a signal before any cell was computed; nothing written") {}

std::atomic<bool>& stop_flag() {
  return g_stop;
}

void throw_if_stopped() {
  if (g_stop.load(std::memory_order_relaxed)) throw Stopped();
}

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESTART;  // SLURM may send several (TERM, then the relayed USR1)
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGTERM, SIGINT, SIGUSR1}) sigaction(s, &sa, nullptr);
}

}  // namespace phasecube
