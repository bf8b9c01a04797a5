#include "util/output_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>

using namespace voxterm;

namespace {
// A private directory, removed with what it holds.
struct TempDir {
  TempDir() {
    char name[] = "/tmp/voxterm-output-XXXXXX";
    path = mkdtemp(name);
  }
  ~TempDir() { (void)!system(("rm -rf " + path).c_str()); }
  std::string path;
};
}  // namespace

TEST_CASE("an output is created 0600, whatever the umask", "[output_file]") {
  TempDir dir;
  const mode_t umask_before = umask(0);
  auto fd = CreateOutputFile(dir.path + "/out", "--stats");
  umask(umask_before);
  REQUIRE(fd.ok());
  close(*fd);
  struct stat st;
  REQUIRE(stat((dir.path + "/out").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a symbolic link at an output is refused, its target untouched", "[output_file]") {
  TempDir dir;
  std::ofstream(dir.path + "/victim") << "precious";
  REQUIRE(symlink((dir.path + "/victim").c_str(), (dir.path + "/link").c_str()) == 0);
  auto fd = CreateOutputFile(dir.path + "/link", "--log-events");
  REQUIRE_FALSE(fd.ok());
  CHECK(fd.message() == "--log-events " + dir.path + "/link: is a symbolic link (refused)");
  std::string content;
  std::ifstream(dir.path + "/victim") >> content;
  CHECK(content == "precious");
}

TEST_CASE("two outputs on one file are refused, however spelled", "[output_file]") {
  TempDir dir;
  // Neither exists yet.
  auto same = CheckDistinctFiles({{"--stats", dir.path + "/a"}, {"--record", dir.path + "/./a"}});
  REQUIRE_FALSE(same.ok());
  CHECK(same.message() ==
        "--stats " + dir.path + "/a and --record " + dir.path + "/./a are the same file");
  // A hard link to one that exists.
  std::ofstream(dir.path + "/b") << "x";
  REQUIRE(link((dir.path + "/b").c_str(), (dir.path + "/c").c_str()) == 0);
  CHECK_FALSE(
      CheckDistinctFiles({{"--input-file", dir.path + "/b"}, {"--record", dir.path + "/c"}}).ok());
  // Different files, paths not given, and character devices pass.
  CHECK(CheckDistinctFiles({{"--stats", dir.path + "/a"},
                            {"--record", dir.path + "/b"},
                            {"--log-events", ""},
                            {"--output-file", ""}})
            .ok());
  CHECK(CheckDistinctFiles({{"--stats", "/dev/null"}, {"--log-events", "/dev/null"}}).ok());
}
