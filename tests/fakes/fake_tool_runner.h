// FakeToolRunner: records the commands it was asked to run (ninja's FakeCommandRunner); a test
// finishes them when it likes, with the result it likes.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tools/tool_config.h"
#include "tools/tool_runner.h"

namespace voxterm {

class FakeToolRunner : public ToolRunner {
 public:
  Id Start(const ToolCommand& command) override {
    started.push_back(command);
    const Id id = static_cast<Id>(started.size());
    running_ids.push_back(id);
    return id;
  }
  int fd() const override { return -1; }
  void Work() override {}
  std::vector<std::pair<Id, ToolResult>> TakeFinished() override {
    std::vector<std::pair<Id, ToolResult>> out;
    out.swap(finished);
    return out;
  }
  void InterruptAll() override {
    for (Id id : running_ids) {
      ToolResult r;
      r.end = ToolResult::End::kInterrupted;
      finished.emplace_back(id, r);
    }
    running_ids.clear();
    ++interrupts;
  }
  size_t running() const override { return running_ids.size(); }

  // Ends the id-th command (1-based, in start order) with an exit code and output.
  void Exit(Id id, int exit_code, std::string out = "", std::string err = "") {
    ToolResult r;
    r.exit_code = exit_code;
    r.out = std::move(out);
    r.err = std::move(err);
    std::erase(running_ids, id);
    finished.emplace_back(id, std::move(r));
  }

  std::vector<ToolCommand> started;
  std::vector<Id> running_ids;
  std::vector<std::pair<Id, ToolResult>> finished;
  int interrupts = 0;
};

// A declared tool that runs command, for tests of what surrounds the call.
inline ToolConfig CommandTool(std::string name, std::vector<std::string> command,
                              std::vector<std::string> parameter_names = {}) {
  ToolConfig tool;
  tool.name = std::move(name);
  tool.command = std::move(command);
  tool.parameter_names = std::move(parameter_names);
  return tool;
}

}  // namespace voxterm
