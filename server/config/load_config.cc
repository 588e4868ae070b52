#include "config/load_config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "config/yaml_reader.h"

namespace tokend::config {
namespace {

constexpr size_t kMaxConfigBytes = 1 << 20;

std::string ErrnoText(int error) {
  return absl::AsciiStrToLower(std::error_code(error, std::generic_category()).message());
}

absl::Status ErrnoStatus(int error, absl::string_view message) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InvalidArgumentError(message);
  }
}

// Reads a whole regular file of at most `max_bytes`. Messages start with
// `what` (for example `config file "/etc/tokend.yaml"`).
absl::StatusOr<std::string> ReadSmallFile(const std::string& path, size_t max_bytes,
                                          absl::string_view what) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return ErrnoStatus(error, absl::StrCat(what, ": ", ErrnoText(error)));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(what, ": not a regular file"));
  }
  std::string data;
  char buffer[16384];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return ErrnoStatus(error, absl::StrCat(what, ": ", ErrnoText(error)));
    }
    if (n == 0) break;
    data.append(buffer, static_cast<size_t>(n));
    if (data.size() > max_bytes) {
      ::close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": larger than ", max_bytes / 1024, " KiB"));
    }
  }
  ::close(fd);
  return data;
}

// OK if `path` is a regular file this process can open for reading.
absl::Status CheckReadable(absl::string_view key_path, const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    return absl::FailedPreconditionError(
        absl::StrCat(key_path, ": cannot read ", Quote(path), ": ", ErrnoText(error)));
  }
  struct stat st;
  bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  if (!regular) {
    return absl::FailedPreconditionError(
        absl::StrCat(key_path, ": ", Quote(path), " is not a regular file"));
  }
  return absl::OkStatus();
}

// `directory` is empty or ends with '/'.
void ResolveAgainst(const std::string& directory, std::string* path) {
  if (directory.empty() || path->empty() || (*path)[0] == '/') return;
  *path = absl::StrCat(directory, *path);
}

}  // namespace

absl::StatusOr<Config> LoadConfig(const std::string& path,
                                  const std::function<const char*(const char*)>& getenv,
                                  NamedFiles named_files) {
  absl::StatusOr<std::string> text =
      ReadSmallFile(path, kMaxConfigBytes, absl::StrCat("config file ", Quote(path)));
  if (!text.ok()) return text.status();

  std::optional<std::string> dsn_override;
  if (getenv) {
    const char* env = getenv("TOKEND_DATABASE_DSN");
    if (env != nullptr && env[0] != '\0') dsn_override = env;
  }
  absl::StatusOr<Config> config = ParseConfig(*text, dsn_override);
  if (!config.ok()) return config.status();

  // The directory of the config file, with its trailing slash ("" for a
  // bare file name: relative paths then stay relative to the working
  // directory).
  size_t slash = path.rfind('/');
  std::string directory = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::vector<NamedFile> files = FilesNamedBy(*config);
  for (const NamedFile& file : files) ResolveAgainst(directory, file.path);
  if (named_files == NamedFiles::kSkip) return config;
  for (const NamedFile& file : files) {
    if (absl::Status s = CheckReadable(file.key_path, *file.path); !s.ok()) return s;
  }
  return config;
}

}  // namespace tokend::config
