#include "conversation/call_limit.h"

namespace voxterm {

// A response's first call that runs makes its record free of charge: those are bounded by the
// calls the caller has room for. A call's later events (the item done after it was added)
// find it among those kept, and are not counted again.
CallLimit::Admission CallLimit::Admit(std::string_view response_id, std::string_view call_id,
                                      bool room) {
  auto it = responses_.find(response_id);
  const bool runs = room && (it == responses_.end() || it->second.run < kMaxRun);
  if (it == responses_.end()) {
    const size_t cost = runs ? 0 : kEntryBytes + response_id.size();
    if (kept_bytes_ + cost > kMaxKeptBytes) return Admission::kLost;
    it = responses_.emplace(std::string(response_id), Response{}).first;
    it->second.bytes = cost;
    kept_bytes_ += cost;
  }
  Response& response = it->second;
  if (runs) {
    ++response.run;
    return Admission::kRun;
  }
  if (response.over.find(call_id) != response.over.end()) return Admission::kOver;
  const size_t cost = kEntryBytes + call_id.size();
  if (kept_bytes_ + cost > kMaxKeptBytes) {
    ++response.lost;
    return Admission::kLost;
  }
  response.bytes += cost;
  kept_bytes_ += cost;
  response.order.push_back(&*response.over.emplace(call_id).first);
  return Admission::kOver;
}

CallLimit::Over CallLimit::Take(std::string_view response_id) {
  Over over;
  TakeInto(response_id, &over);
  if (!response_id.empty()) TakeInto("", &over);
  return over;
}

void CallLimit::TakeInto(std::string_view response_id, Over* over) {
  auto it = responses_.find(response_id);
  if (it == responses_.end()) return;
  const Response& response = it->second;
  over->made += response.run + response.order.size() + response.lost;
  over->lost += response.lost;
  for (const std::string* call_id : response.order) over->call_ids.push_back(*call_id);
  kept_bytes_ -= response.bytes;
  responses_.erase(it);
}

void CallLimit::Clear() {
  responses_.clear();
  kept_bytes_ = 0;
}

}  // namespace voxterm
