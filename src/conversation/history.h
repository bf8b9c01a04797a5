// History: the conversation as the server holds it, kept so that a new session can be given it
// again after a reconnect or a renewed session (PROTOCOL.md §k: "replay history with
// conversation.item.create").
//
// It is recorded from the server's own events, so it holds what the server accepted, in the
// order the server announced it: user messages (typed text; speech as its transcript),
// assistant messages (their text or transcript, as far as it arrived; a .done's whole text
// replaces what the deltas said), function calls and their outputs. Replay() turns it back into
// conversation.item.create events, each item with the id it had: the new session's echoes then land
// on the same records, and nothing is kept twice.
//
// What cannot be replayed is left out: speech whose transcript never came (audio history can't
// be replayed as such), an answer cut off before any of it arrived, a call whose arguments never
// completed. A truncated answer keeps the share of its text that matches the share of its audio
// that was heard.
//
// Bounded by Limits: once over either, the oldest items are forgotten first (a function call
// together with its output, which the server would refuse alone).
//
// Thread safety: main thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/client_protocol.h"
#include "protocol/server_events.h"

namespace voxterm {

// The instructions of a response that goes on with an answer the lost connection cut off:
// the session's own, and a note asking not to repeat what was said.
std::string ContinuationInstructions(std::string_view session_instructions);

class History {
 public:
  struct Limits {
    size_t max_items = 1000;
    size_t max_bytes = 2u << 20;  // text, arguments and outputs together
  };

  History() : History(Limits{}) {}
  explicit History(Limits limits) : limits_(limits) {}

  // Every server event of the session.
  void OnServerEvent(const ServerEvent& event);
  // The connection is gone: what the server had not finished is settled. An answer cut short
  // keeps what arrived, marked incomplete; a call without all its arguments is forgotten.
  void OnDisconnected();

  // The server has this item, with text to replay for it if it is a message.
  bool Has(std::string_view item_id) const;
  bool HasText(std::string_view item_id) const;

  // Gives the conversation to server, oldest item first.
  void Replay(ClientProtocol* server) const;

  // The conversation as it stands, oldest item first, for /save (app/saved_conversation.h).
  // The views point into the history and live until it next changes.
  enum class Kind { kUser, kAssistant, kCall, kOutput };
  struct Entry {
    Kind kind = Kind::kUser;
    std::string_view text;             // a message's words; empty: speech never transcribed
    std::string_view name, arguments;  // a call
    std::string_view output;           // a tool's output
    bool interrupted = false;          // an answer cut short (a barge-in, a lost connection)
  };
  std::vector<Entry> Entries() const;

  size_t size() const { return order_.size(); }
  size_t bytes() const { return bytes_; }
  // Items forgotten to stay within the limits.
  size_t forgotten() const { return forgotten_; }

 private:
  struct Item {
    std::string id;
    Kind kind = Kind::kUser;
    bool complete = false;   // the server finished it
    bool cut = false;        // an answer the lost connection cut off: replayed as incomplete
    bool truncated = false;  // an answer a barge-in cut to what was heard
    std::string text;        // message text or transcript
    std::string call_id, name, arguments, output;
    uint64_t audio_bytes = 0;  // assistant audio received, for truncation
    size_t Bytes() const { return text.size() + arguments.size() + output.size() + name.size(); }
  };
  using Order = std::list<Item>;

  void OnItem(const ItemInfo& info, bool done);
  void OnDelta(std::string_view item_id, std::string_view text);
  void OnTruncated(std::string_view item_id, int64_t audio_end_ms);
  Item* Find(std::string_view item_id);
  const Item* Find(std::string_view item_id) const;
  void Erase(Order::iterator it);
  // Recounts an item's bytes after a change and forgets the oldest items while over the limits.
  void Resized(Item* item, size_t old_bytes);

  const Limits limits_;
  Order order_;
  std::unordered_map<std::string, Order::iterator> by_id_;
  size_t bytes_ = 0;
  size_t forgotten_ = 0;
};

}  // namespace voxterm
