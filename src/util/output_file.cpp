#include "util/output_file.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "util/log.h"

namespace voxterm {
namespace {

std::atomic<bool> g_output_failed{false};

// What a path will name: the file's identity when it exists, else the canonical directory and
// the name in it.
struct Identity {
  bool exists = false;
  dev_t device = 0;
  ino_t inode = 0;
  bool character_device = false;
  std::string where;  // when it does not exist
};

Identity Identify(const std::string& path) {
  Identity id;
  struct stat st;
  if (stat(path.c_str(), &st) == 0) {
    id.exists = true;
    id.device = st.st_dev;
    id.inode = st.st_ino;
    id.character_device = S_ISCHR(st.st_mode);
    return id;
  }
  const size_t slash = path.rfind('/');
  const std::string directory = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  char resolved[PATH_MAX];
  id.where = realpath(directory.c_str(), resolved) ? std::string(resolved) + "/" + name : path;
  return id;
}

bool Same(const Identity& a, const Identity& b) {
  if (a.exists != b.exists) return false;
  if (a.exists) return a.device == b.device && a.inode == b.inode && !a.character_device;
  return a.where == b.where;
}

}  // namespace

Result<int> CreateOutputFile(const std::string& path, const std::string& what) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  // O_NOFOLLOW fails with ELOOP when the last component is a link.
  struct stat st;
  if (errno == ELOOP && lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    return Status::Error(what + " " + path + ": is a symbolic link (refused)");
  }
  return Status::Error(what + " " + path + ": " + strerror(errno));
}

Status CheckDistinctFiles(const std::vector<NamedPath>& paths) {
  std::vector<Identity> ids;
  for (const NamedPath& named : paths)
    ids.push_back(named.path.empty() ? Identity() : Identify(named.path));
  for (size_t i = 0; i < paths.size(); ++i) {
    for (size_t j = i + 1; j < paths.size(); ++j) {
      if (paths[i].path.empty() || paths[j].path.empty() || !Same(ids[i], ids[j])) continue;
      return Status::Error(paths[i].what + " " + paths[i].path + " and " + paths[j].what + " " +
                           paths[j].path + " are the same file");
    }
  }
  return Status::Ok();
}

void ReportOutputFailure(const std::string& what, const std::string& path, int error) {
  g_output_failed.store(true);
  LOG_ERROR("%s %s: %s", what.c_str(), path.c_str(), strerror(error));
}

bool OutputFailed() { return g_output_failed.load(); }

}  // namespace voxterm
