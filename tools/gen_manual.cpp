// gen_manual OUTDIR: writes the manual page and the shell completions (app/manual.h) into
// OUTDIR, for the build to install: voxterm.1, voxterm.bash, _voxterm (zsh), voxterm.fish.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "app/manual.h"

namespace {

bool Write(const std::string& path, const std::string& text) {
  FILE* f = fopen(path.c_str(), "w");
  if (!f) {
    fprintf(stderr, "gen_manual: %s: %s\n", path.c_str(), strerror(errno));
    return false;
  }
  const bool ok = fwrite(text.data(), 1, text.size(), f) == text.size();
  return fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: gen_manual OUTDIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  using voxterm::Completion;
  using voxterm::Shell;
  const bool ok = Write(dir + "/voxterm.1", voxterm::ManualPage()) &&
                  Write(dir + "/voxterm.bash", Completion(Shell::kBash)) &&
                  Write(dir + "/_voxterm", Completion(Shell::kZsh)) &&
                  Write(dir + "/voxterm.fish", Completion(Shell::kFish));
  return ok ? 0 : 1;
}
