#include "tools/child_groups.h"

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "tools/process_spawn.h"

using namespace voxterm;

TEST_CASE("KillChildGroups kills the groups registered, and only those", "[mcp][child_groups]") {
  ProcessSpec spec;
  spec.argv = {"/bin/sh", "-c", "sleep 30"};
  spec.env = {"PATH=/bin:/usr/bin"};
  auto registered = SpawnInOwnGroup(spec, -1, -1, -1);
  auto other = SpawnInOwnGroup(spec, -1, -1, -1);
  REQUIRE(registered.ok());
  REQUIRE(other.ok());
  REQUIRE(RegisterChildGroup(*registered));
  KillChildGroups();
  int status = 0;
  REQUIRE(waitpid(*registered, &status, 0) == *registered);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK(waitpid(*other, &status, WNOHANG) == 0);  // still running
  UnregisterChildGroup(*registered);
  kill(-*other, SIGKILL);
  waitpid(*other, &status, 0);
}
