// CallLimit: how many of a delegation's function calls run (GPT-Live, ../shared/protocol/LIVE.md
// section 5c), and which do not.
//
// A delegation's backend streams one response at a time, and may make many calls in it
// (parallel_tool_calls). It goes on only once every call has its output ("A delegation must
// always get an answer, including an error or a refusal"), so a call over the limit is not
// dropped: its call_id is kept, and ToolCalls answers it with an error when the response
// completes. The limit is per response, so that one delegation's calls never crowd out
// another's. Only call_ids are kept for those, in kMaxKeptBytes in all: a call past that (a
// hostile server's flood) is lost, and cannot be answered.
// Thread safety: main thread only.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace voxterm {

class CallLimit {
 public:
  // The calls of one response that run. Every output goes back to the backend in its next
  // request: 64 at the 16 KiB default max_output_bytes are 1 MiB, about a backend model's whole
  // context already; and four commands at a time take 16 rounds for them.
  static constexpr size_t kMaxRun = 64;
  // What the calls over the limit may take: their call_ids, and a little for each.
  static constexpr size_t kMaxKeptBytes = size_t{1} << 20;

  enum class Admission { kRun, kOver, kLost };
  // A call's event, of response_id (the call is not running yet): whether it runs, is over the
  // limit (kept), or is lost. room: whether the caller has room for one more call at all
  // (false: over the limit however few its response made).
  Admission Admit(std::string_view response_id, std::string_view call_id, bool room);

  // A response's calls over the limit.
  struct Over {
    size_t made = 0;                    // every call of the response: run, over and lost
    std::vector<std::string> call_ids;  // over, in the order they came
    size_t lost = 0;                    // over and not kept: no output can go for them
  };
  // The response is done: its calls over the limit, with those that came with no response id
  // (ToolCalls gives it those calls too), forgotten here.
  Over Take(std::string_view response_id);
  // The connection is gone, and its calls with it.
  void Clear();

 private:
  static constexpr size_t kEntryBytes = 64;  // a kept call_id's (or response's) own cost

  struct Response {
    size_t run = 0;
    std::set<std::string, std::less<>> over;  // call_ids, to find one again
    std::vector<const std::string*> order;    // into over, as they came
    size_t lost = 0;
    size_t bytes = 0;  // of kept_bytes_
  };
  void TakeInto(std::string_view response_id, Over* over);

  std::map<std::string, Response, std::less<>> responses_;
  size_t kept_bytes_ = 0;
};

}  // namespace voxterm
