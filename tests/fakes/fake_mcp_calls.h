// FakeMcpCalls: records the MCP calls it was asked to send; a test answers them when it likes,
// with the outcome it likes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tools/mcp_calls.h"

namespace voxterm {

class FakeMcpCalls : public McpCalls {
 public:
  struct Sent {
    std::string function, arguments_json;
  };

  const std::vector<McpFunction>& functions() const override { return functions_list; }
  Id Start(const std::string& function, const std::string& arguments_json) override {
    sent.push_back({function, arguments_json});
    const Id id = static_cast<Id>(sent.size());
    in_flight.push_back(id);
    return id;
  }
  int fd() const override { return -1; }
  void Work() override { ++works; }
  std::vector<std::pair<Id, McpCallOutcome>> TakeFinished() override {
    std::vector<std::pair<Id, McpCallOutcome>> out;
    out.swap(finished);
    return out;
  }
  void InterruptAll() override {
    for (Id id : in_flight) {
      McpCallOutcome o;
      o.end = McpCallOutcome::End::kInterrupted;
      finished.emplace_back(id, o);
    }
    in_flight.clear();
  }

  bool TakeToolsChanged() override { return std::exchange(tools_changed, false); }

  // Ends the id-th call (1-based, in the order sent).
  void Finish(Id id, McpCallOutcome outcome) {
    std::erase(in_flight, id);
    finished.emplace_back(id, std::move(outcome));
  }
  void Answer(Id id, std::string text, bool is_error = false) {
    McpCallOutcome o;
    o.result.text = std::move(text);
    o.result.is_error = is_error;
    Finish(id, std::move(o));
  }

  std::vector<McpFunction> functions_list;
  std::vector<Sent> sent;
  std::vector<Id> in_flight;
  std::vector<std::pair<Id, McpCallOutcome>> finished;
  int works = 0;
  bool tools_changed = false;
};

// The function SERVER__TOOL with schema as its inputSchema.
inline McpFunction Function(const std::string& server, const std::string& tool,
                            std::string schema = R"({"type":"object"})", bool confirm = false) {
  McpFunction f;
  f.name = server + "__" + tool;
  f.server = server;
  f.tool = tool;
  f.parameters_json = std::move(schema);
  f.confirm = confirm;
  return f;
}

}  // namespace voxterm
