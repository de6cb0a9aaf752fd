#pragma once
// Stop signals (SIGTERM, SIGINT, SIGUSR1: what SLURM sends before a time limit). `run` and
// `theory` install the handlers first thing, so a signal at any moment is a clean stop: the
// sweep saves what has arrived (exit 3), and the loops that run before anything is written
// (config validation, closed forms of every cell) throw Stopped (exit 3, nothing written).
#include <atomic>
#include <stdexcept>

namespace phasecube {

// "stopped by a signal before any cell was computed; nothing written"
struct Stopped : std::runtime_error {
  Stopped();
  explicit Stopped(const char* what) : std::runtime_error(what) {}
};

// Set once a stop signal arrived; never cleared. Lock-free, so async-signal-safe.
std::atomic<bool>& stop_flag();

// Throws Stopped when a stop signal arrived.
void throw_if_stopped();

// SIGTERM, SIGINT and SIGUSR1 request a stop (set stop_flag()).
void install_stop_handlers();

}  // namespace phasecube
