#include "conversation/word_pacer.h"

#include <algorithm>

namespace voxterm {

WordPacer::Item& WordPacer::Find(std::string_view item_id) {
  for (Item& item : items_) {
    if (item.id == item_id) return item;
  }
  items_.push_back(Item{std::string(item_id)});
  if (items_.size() > kItemsKept) items_.pop_front();
  return items_.back();
}

void WordPacer::Words(std::string_view item_id, std::string_view text) {
  if (text.empty()) return;
  Find(item_id).arrived += text.size();
  queue_.push_back(Entry{std::string(item_id), std::string(text)});
  Release(/*all=*/false);
}

void WordPacer::EndLine(bool interrupted) {
  queue_.push_back(Entry{{}, {}, interrupted});
  Release(/*all=*/false);
}

void WordPacer::AudioArrived(std::string_view item_id, size_t samples_24k) {
  Find(item_id).audio_samples += samples_24k;
}

void WordPacer::Heard(const std::optional<PlayoutTracker::Heard>& at) {
  if (!at) return;
  // Messages play in the order their audio came: those before the one playing are over.
  bool before = true;
  for (Item& item : items_) {
    if (item.id == at->item_id) {
      item.heard_ms = at->audio_end_ms;
      before = false;
    } else if (before && item.audio_samples > 0) {
      item.heard_whole = true;
    }
  }
  Release(/*all=*/false);
}

void WordPacer::Flush() { Release(/*all=*/true); }

// What is left after the release is past the cut: the words never heard, and their lines'
// ends. The line the user was hearing ends where they stopped (the barge-in's own EndLine).
void WordPacer::Cut() {
  Release(/*all=*/false);
  // A message whose end was held (it had all arrived, not all been heard) ends here, cut; one
  // still arriving is ended by its EndLine.
  const bool end_held = std::any_of(queue_.begin(), queue_.end(),
                                    [](const Entry& entry) { return entry.item_id.empty(); });
  queue_.clear();
  if (end_held) view_->AssistantDone(/*interrupted=*/true);
}

// The words arrived so far are spread over the audio arrived so far: a message whose text is
// all in but whose audio is still coming is paced a little fast at first, never slow.
size_t WordPacer::Allowed(const Item& item) const {
  if (item.heard_whole) return item.arrived;
  if (item.audio_samples == 0) return 0;  // its audio is still to come
  const double share =
      static_cast<double>(item.heard_ms) * 24 / static_cast<double>(item.audio_samples);
  return static_cast<size_t>(static_cast<double>(item.arrived) * (share < 1 ? share : 1));
}

void WordPacer::Release(bool all) {
  while (!queue_.empty()) {
    Entry& entry = queue_.front();
    if (entry.item_id.empty()) {
      view_->AssistantDone(entry.interrupted);
      queue_.pop_front();
      continue;
    }
    Item& item = Find(entry.item_id);
    const size_t allowed = all ? item.arrived : Allowed(item);
    const size_t room = allowed > item.shown ? allowed - item.shown : 0;
    if (room >= entry.text.size()) {
      view_->AssistantDelta(entry.text);
      item.shown += entry.text.size();
      queue_.pop_front();
      continue;
    }
    // Part of it: the words before the last space the audio has reached (the space goes with
    // the rest, so that a cut line does not end in one).
    const size_t space = room == 0 ? std::string::npos : entry.text.find_last_of(' ', room - 1);
    if (space != std::string::npos && space > 0) {
      view_->AssistantDelta(std::string_view(entry.text).substr(0, space));
      item.shown += space;
      entry.text.erase(0, space);
    }
    return;
  }
}

}  // namespace voxterm
