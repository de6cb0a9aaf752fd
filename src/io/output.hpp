#pragma once
// The output layer: how a cube reaches the disk, for `run`, `--resume`, `--overwrite` and
// `theory`, two-modality and binding cubes alike. It knows nothing of HDF5: the cube layer
// builds each new cube in a temporary that replace_file_atomically renames over the output.
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>

namespace phasecube {

// A fault while writing the output (disk full, I/O error): exit status 1, one line. The
// message says what failed and what the output holds now.
struct OutputFault : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Exclusive use of one output path by this process, from the checks before anything is
// written until the object dies. The lock is a flock on the hidden `.NAME.lock` beside the
// output, not on the cube: HDF5 readers flock the cube they open (shared), so an exclusive
// lock on it would lock out h5py, xarray and `phasecube inspect` during the run. Taking the
// lock also removes the temporaries a killed run of this output left behind.
class OutputLock {
 public:
  // Throws InputError naming the other process when another run holds `path`.
  explicit OutputLock(const std::string& path);
  ~OutputLock();  // removes the lock file, then releases the lock
  OutputLock(OutputLock&& o) noexcept;
  OutputLock& operator=(OutputLock&&) = delete;
  OutputLock(const OutputLock&) = delete;

 private:
  std::string lock_path_;
  int fd_ = -1;
};

// "a character device", "a FIFO", ... for a path that exists and is neither a regular file
// nor absent; empty otherwise. Symbolic links are never followed: "a symbolic link".
std::string non_regular_kind(const std::string& path);

// What a builder of replace_file_atomically throws when writing the temporary failed for a
// reason of the disk (full, I/O error): its message says what, e.g. "No space left on device
// (writing variable done)". Any other exception passes through unchanged.
struct BuildFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Replaces `path` with the file `build` writes at the path it is given, so that a reader or
// a crash sees either the previous file or the new one, never a torn one: a new temporary
// `.NAME.XXXXXX.writing` in the output's directory (O_EXCL, never through a link), built,
// fsynced, then renamed over `path` (when `path` does not exist: without replacing anything
// that appeared meanwhile), then the directory fsynced. On any failure the temporary is
// removed; a failure of the disk is an OutputFault saying what failed and that `path` is
// unchanged (or that nothing was written).
void replace_file_atomically(const std::string& path,
                             const std::function<void(const std::string& temp)>& build);

}  // namespace phasecube
