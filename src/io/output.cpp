#include "io/output.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <utility>

#include "phasecube/error.hpp"

namespace phasecube {

namespace {

namespace fs = std::filesystem;

struct Split {
  std::string dir, name;
};
Split split(const std::string& path) {
  const fs::path p(path);
  return {p.parent_path().empty() ? "." : p.parent_path().string(), p.filename().string()};
}

// The output's name as it appears in the names of its side files (temporaries, lock). Those
// add up to 16 characters; a name too long for that keeps its first 160 characters and a hash
// of the whole, so every legal output name (up to NAME_MAX = 255) has side files.
std::string side_stem(const std::string& name) {
  constexpr std::size_t kMax = 255 - 16;
  if (name.size() <= kMax) return name;
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a: stable across builds and runs
  for (const unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return name.substr(0, 160) + "~" + hex;
}

// Built by appending: GCC 12 warns falsely (-Wrestrict, bug 105329) on "." + std::string.
std::string hidden(const std::string& name, std::string_view suffix) {
  std::string s(1, '.');
  s += side_stem(name);
  s += suffix;
  return s;
}

std::string temp_prefix(const std::string& name) {
  return hidden(name, ".");
}
constexpr std::string_view kTempSuffix = ".writing";
constexpr std::size_t kTempRandom = 6;

// A closing file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string random_letters(std::size_t n) {
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  unsigned char raw[16] = {};
  if (::getrandom(raw, sizeof raw, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof raw)) {
    // No entropy yet (early boot): the name only has to be unlikely to exist; O_EXCL decides.
    const auto t = static_cast<unsigned long>(std::time(nullptr)) ^
                   (static_cast<unsigned long>(::getpid()) << 16);
    for (std::size_t i = 0; i < sizeof raw; ++i) raw[i] = static_cast<unsigned char>(t >> (i % 8));
  }
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += kAlphabet[raw[i % sizeof raw] % (sizeof kAlphabet - 1)];
  return s;
}

bool is_temp_of(const std::string& entry, const std::string& name) {
  const std::string prefix = temp_prefix(name);
  return entry.size() == prefix.size() + kTempRandom + kTempSuffix.size() &&
         entry.starts_with(prefix) && entry.ends_with(kTempSuffix);
}

// Removes the temporaries of `where.name` (regular files only, never through a link).
void remove_temps(const Split& where) {
  DIR* d = ::opendir(where.dir.c_str());
  if (d == nullptr) return;
  while (const dirent* e = ::readdir(d)) {
    struct stat st {};
    if (is_temp_of(e->d_name, where.name) &&
        ::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
      ::unlinkat(::dirfd(d), e->d_name, 0);
  }
  ::closedir(d);
}

// The pid holding a flock on the inode of `st`, from /proc/locks; 0 when unknown.
long flock_holder(const struct stat& st) {
  std::ifstream locks("/proc/locks");
  std::string line;
  while (std::getline(locks, line)) {
    long pid = 0;
    unsigned maj = 0, min = 0;
    unsigned long ino = 0;
    if (std::sscanf(line.c_str(), "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &pid, &maj, &min, &ino) ==
            4 &&
        maj == major(st.st_dev) && min == minor(st.st_dev) && ino == st.st_ino)
      return pid;
  }
  return 0;
}

// A failed step of write_file_atomically, with the errno it failed with.
struct Failure {
  std::string step;
  int err;
};
[[noreturn]] void fail(std::string step, int err = errno) {
  throw Failure{std::move(step), err};
}

// Creates the temporary in `dir_fd` (never a fixed name, never through a link), empty;
// `temp` is its name as soon as it exists.
void create_temp(int dir_fd, const std::string& name, std::string& temp) {
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; ++attempt) {
    const std::string candidate =
        temp_prefix(name) + random_letters(kTempRandom) + std::string(kTempSuffix);
    fd = ::openat(dir_fd, candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  0666);
    if (fd >= 0) temp = candidate;
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) fail("creating a temporary beside it");
  if (::close(fd) != 0) fail("closing the temporary " + temp);
}

// Makes what the builder wrote to `temp` durable.
void sync_temp(int dir_fd, const std::string& temp) {
  Fd file(::openat(dir_fd, temp.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (file.get() < 0) fail("reopening the temporary " + temp);
  if (::fsync(file.get()) != 0) fail("syncing the temporary " + temp);
}

// Renames `temp` over `name`: replacing a regular file, or only if nothing is there.
void rename_over(int dir_fd, const std::string& temp, const std::string& name) {
  struct stat st {};
  const bool exists = ::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && !S_ISREG(st.st_mode)) fail("it is no longer a regular file", EEXIST);
  const std::string step = "renaming the temporary over it";
  if (exists) {
    if (::renameat(dir_fd, temp.c_str(), dir_fd, name.c_str()) != 0) fail(step);
    return;
  }
  if (::renameat2(dir_fd, temp.c_str(), dir_fd, name.c_str(), RENAME_NOREPLACE) == 0) return;
  if (errno != EINVAL && errno != ENOSYS) fail(step);
  // No RENAME_NOREPLACE on this file system: a hard link fails the same way on an existing name.
  if (::linkat(dir_fd, temp.c_str(), dir_fd, name.c_str(), 0) != 0) fail(step);
  ::unlinkat(dir_fd, temp.c_str(), 0);
}

}  // namespace

std::string non_regular_kind(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || S_ISREG(st.st_mode)) return "";
  if (S_ISLNK(st.st_mode)) return "a symbolic link";
  if (S_ISDIR(st.st_mode)) return "a directory";
  if (S_ISCHR(st.st_mode)) return "a character device";
  if (S_ISBLK(st.st_mode)) return "a block device";
  if (S_ISFIFO(st.st_mode)) return "a FIFO";
  if (S_ISSOCK(st.st_mode)) return "a socket";
  return "not a regular file";
}

void replace_file_atomically(const std::string& path,
                             const std::function<void(const std::string& temp)>& build) {
  const Split where = split(path);
  const Fd dir(::open(where.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  std::string temp;
  auto unchanged = [&] {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 ? path + " is unchanged"
                                           : std::string("nothing written");
  };
  try {
    if (dir.get() < 0) fail("opening its directory");
    create_temp(dir.get(), where.name, temp);
    try {
      build((fs::path(where.dir) / temp).string());
    } catch (const BuildFailure& e) {
      throw Failure{std::string(e.what()), 0};
    }
    sync_temp(dir.get(), temp);
    rename_over(dir.get(), temp, where.name);
  } catch (const Failure& f) {
    if (!temp.empty()) ::unlinkat(dir.get(), temp.c_str(), 0);
    throw OutputFault(
        "cannot write " + path + ": " +
        (f.err != 0 ? std::string(std::strerror(f.err)) + " (" + f.step + ")" : f.step) + "; " +
        unchanged());
  } catch (...) {
    if (!temp.empty()) ::unlinkat(dir.get(), temp.c_str(), 0);
    throw;
  }
  // The rename is durable only once the directory is; some file systems cannot sync one.
  if (::fsync(dir.get()) != 0 && errno != EINVAL && errno != EROFS)
    throw OutputFault("cannot write " + path + ": " + std::strerror(errno) +
                      " (syncing its directory after the rename)");
}

OutputLock::OutputLock(const std::string& path) {
  const Split where = split(path);
  lock_path_ = (fs::path(where.dir) / hidden(where.name, ".lock")).string();
  for (int attempt = 0;; ++attempt) {
    Fd fd(::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0666));
    const int err = errno;
    struct stat held = {}, now = {};
    if (fd.get() < 0 || ::fstat(fd.get(), &held) != 0 || !S_ISREG(held.st_mode))
      throw InputError("cannot lock output '" + path + "': " + lock_path_ + ": " +
                       (fd.get() >= 0  ? "not a regular file"
                        : err == ELOOP ? "a symbolic link"
                                       : std::strerror(err)));
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        const long pid = flock_holder(held);
        throw InputError("output '" + path + "' is being written by another phasecube run (" +
                         (pid > 0 ? "pid " + std::to_string(pid) : "another process") +
                         "); wait for it to end or stop it");
      }
      if (errno != ENOLCK && errno != EOPNOTSUPP && errno != ENOSYS)
        throw InputError("cannot lock output '" + path + "': " + std::strerror(errno));
      // A file system without locks: run unprotected rather than not at all.
    }
    // The previous holder removes the lock file before it unlocks: ours only if still there.
    if (::stat(lock_path_.c_str(), &now) == 0 && now.st_dev == held.st_dev &&
        now.st_ino == held.st_ino) {
      fd_ = fd.release();
      break;
    }
    if (attempt == 100) throw InputError("cannot lock output '" + path + "': it keeps changing");
  }
  remove_temps(where);  // holding the lock, every temporary of this output is a killed run's
}

OutputLock::OutputLock(OutputLock&& o) noexcept
    : lock_path_(std::move(o.lock_path_)), fd_(std::exchange(o.fd_, -1)) {}

OutputLock::~OutputLock() {
  if (fd_ < 0) return;
  ::unlink(lock_path_.c_str());
  ::close(fd_);
}

}  // namespace phasecube
