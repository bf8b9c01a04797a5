#include "conversation/history.h"

#include "util/log.h"

namespace voxterm {
namespace {

constexpr uint64_t kBytesPerMs = 48;  // pcm16 at 24 kHz

// The start of text in proportion to what was heard, cut after a whole word.
std::string HeardPart(const std::string& text, uint64_t heard_bytes, uint64_t audio_bytes) {
  if (audio_bytes == 0 || heard_bytes >= audio_bytes) return text;
  size_t cut = static_cast<size_t>(text.size() * heard_bytes / audio_bytes);
  while (cut > 0 && text[cut - 1] != ' ') --cut;
  return text.substr(0, cut);
}

}  // namespace

std::string ContinuationInstructions(std::string_view session_instructions) {
  std::string instructions(session_instructions);
  if (!instructions.empty()) instructions += "\n\n";
  instructions +=
      "Your last message was cut off by a lost connection. Go on from exactly where it stops, "
      "without repeating any of it and without mentioning the interruption.";
  return instructions;
}

History::Item* History::Find(std::string_view item_id) {
  auto it = by_id_.find(std::string(item_id));
  return it == by_id_.end() ? nullptr : &*it->second;
}

const History::Item* History::Find(std::string_view item_id) const {
  auto it = by_id_.find(std::string(item_id));
  return it == by_id_.end() ? nullptr : &*it->second;
}

bool History::Has(std::string_view item_id) const { return Find(item_id) != nullptr; }

bool History::HasText(std::string_view item_id) const {
  const Item* item = Find(item_id);
  return item && !item->text.empty();
}

void History::OnServerEvent(const ServerEvent& event) {
  switch (event.type) {
    case ServerEventType::kItemAdded:
    case ServerEventType::kOutputItemAdded: OnItem(event.item, /*done=*/false); break;
    case ServerEventType::kItemDone:
    case ServerEventType::kOutputItemDone: OnItem(event.item, /*done=*/true); break;
    case ServerEventType::kTextDelta:
    case ServerEventType::kAudioTranscriptDelta: OnDelta(event.item_id, event.delta); break;
    case ServerEventType::kTextDone:
    case ServerEventType::kAudioTranscriptDone:
      // The whole text: it stands, whatever the deltas said.
      if (Item* item = Find(event.item_id);
          item && item->kind == Kind::kAssistant && !event.text.empty()) {
        const size_t old = item->Bytes();
        item->text = std::string(event.text);
        Resized(item, old);
      }
      break;
    case ServerEventType::kAudioDelta:
      if (Item* item = Find(event.item_id); item && item->kind == Kind::kAssistant) {
        item->audio_bytes += event.delta.size() / 4 * 3;
      }
      break;
    case ServerEventType::kInputTranscriptCompleted:
      if (Item* item = Find(event.item_id); item && item->kind == Kind::kUser) {
        const size_t old = item->Bytes();
        item->text = std::string(event.text);
        Resized(item, old);
      }
      break;
    case ServerEventType::kItemTruncated: OnTruncated(event.item_id, event.audio_end_ms); break;
    case ServerEventType::kItemDeleted:
      if (auto it = by_id_.find(std::string(event.item_id)); it != by_id_.end()) Erase(it->second);
      break;
    default: break;
  }
}

// Items are announced by conversation.item.added (or .created) and response.output_item.added,
// and completed by their .done events, which carry the whole text. Either may come alone.
void History::OnItem(const ItemInfo& info, bool done) {
  if (info.id.empty()) return;
  Kind kind;
  if (info.type == "message" && info.role == "user") {
    kind = Kind::kUser;
  } else if (info.type == "message" && info.role == "assistant") {
    kind = Kind::kAssistant;
  } else if (info.type == "function_call") {
    kind = Kind::kCall;
  } else if (info.type == "function_call_output") {
    kind = Kind::kOutput;
  } else {
    return;  // system messages and what a later API adds
  }
  Item* item = Find(info.id);
  if (!item) {
    order_.push_back(Item{});
    item = &order_.back();
    item->id = std::string(info.id);
    item->kind = kind;
    by_id_.emplace(item->id, std::prev(order_.end()));
  } else if (item->kind != kind) {
    return;  // a server that changes an item's nature: keep what it first said
  }
  const size_t old = item->Bytes();
  if (!info.text.empty()) item->text = std::string(info.text);
  if (!info.call_id.empty()) item->call_id = std::string(info.call_id);
  if (!info.name.empty()) item->name = std::string(info.name);
  if (!info.arguments.empty()) item->arguments = std::string(info.arguments);
  if (!info.output.empty()) item->output = std::string(info.output);
  // Items the client created are whole when announced; the model's are whole when done.
  if (done || info.status == "completed" || info.status == "incomplete" || kind == Kind::kOutput) {
    item->complete = true;
  }
  Resized(item, old);
}

void History::OnDelta(std::string_view item_id, std::string_view text) {
  Item* item = Find(item_id);
  if (!item || item->kind != Kind::kAssistant || item->complete) return;
  const size_t old = item->Bytes();
  item->text.append(text);
  Resized(item, old);
}

// The server drops the words of the audio that was cut; voxterm keeps the same share of the text.
void History::OnTruncated(std::string_view item_id, int64_t audio_end_ms) {
  Item* item = Find(item_id);
  if (!item || item->kind != Kind::kAssistant || audio_end_ms < 0) return;
  const size_t old = item->Bytes();
  const uint64_t heard_bytes = static_cast<uint64_t>(audio_end_ms) * kBytesPerMs;
  item->text = HeardPart(item->text, heard_bytes, item->audio_bytes);
  item->truncated = heard_bytes < item->audio_bytes;
  Resized(item, old);
}

void History::OnDisconnected() {
  for (auto it = order_.begin(); it != order_.end();) {
    auto next = std::next(it);
    if (!it->complete) {
      if (it->kind == Kind::kCall || (it->kind == Kind::kAssistant && it->text.empty())) {
        Erase(it);
      } else if (it->kind == Kind::kAssistant) {
        it->complete = true;
        it->cut = true;
      }
    }
    it = next;
  }
}

void History::Erase(Order::iterator it) {
  bytes_ -= it->Bytes();
  by_id_.erase(it->id);
  order_.erase(it);
}

void History::Resized(Item* item, size_t old_bytes) {
  bytes_ = bytes_ - old_bytes + item->Bytes();
  while (!order_.empty() && (order_.size() > limits_.max_items || bytes_ > limits_.max_bytes)) {
    if (forgotten_ == 0) {
      LOG_INFO(
          "the conversation outgrew what voxterm keeps for a reconnect; its start is forgotten");
    }
    const Item& oldest = order_.front();
    const std::string call_id = oldest.kind == Kind::kCall ? oldest.call_id : std::string();
    Erase(order_.begin());
    ++forgotten_;
    if (call_id.empty()) continue;
    for (auto it = order_.begin(); it != order_.end();) {
      auto next = std::next(it);
      if (it->kind == Kind::kOutput && it->call_id == call_id) {
        Erase(it);
        ++forgotten_;
      }
      it = next;
    }
  }
}

std::vector<History::Entry> History::Entries() const {
  std::vector<Entry> entries;
  entries.reserve(order_.size());
  for (const Item& item : order_) {
    if (item.kind == Kind::kAssistant && item.text.empty()) continue;  // nothing of it arrived
    entries.push_back(Entry{item.kind, item.text, item.name, item.arguments, item.output,
                            item.cut || item.truncated});
  }
  return entries;
}

void History::Replay(ClientProtocol* server) const {
  std::unordered_map<std::string, bool> calls;  // call_ids replayed
  size_t unheard = 0;
  for (const Item& item : order_) {
    switch (item.kind) {
      case Kind::kUser:
        if (item.text.empty()) {
          ++unheard;  // speech without a transcript
        } else {
          server->AddUserText(item.text, {}, item.id);
        }
        break;
      case Kind::kAssistant:
        if (!item.text.empty()) {
          server->AddAssistantText(item.text, item.id, !item.cut);
        }
        break;
      case Kind::kCall:
        if (item.complete && !item.call_id.empty()) {
          server->AddFunctionCall(item.call_id, item.name, item.arguments, item.id);
          calls[item.call_id] = true;
        }
        break;
      case Kind::kOutput:
        if (calls.count(item.call_id)) server->AddToolOutput(item.call_id, item.output, item.id);
        break;
    }
  }
  if (unheard > 0) {
    LOG_INFO("%zu spoken turn%s had no transcript and %s left out of the replay", unheard,
             unheard == 1 ? "" : "s", unheard == 1 ? "is" : "are");
  }
}

}  // namespace voxterm
