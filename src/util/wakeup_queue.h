// WakeupQueue: a many-producer, one-consumer queue whose consumer sleeps in poll().
// The network thread hands events to the main thread through it (STYLE: "a queue plus an
// eventfd wake-up"); the main thread adds fd() to its poll set and calls Drain() when readable.
// The eventfd is written only when the queue goes from empty to not empty, and Drain() takes
// everything at once: a producer that hands over a burst with PushAll() costs the consumer one
// wake-up and one pass, however many items it holds.
// Thread safety: Push() and PushAll() from any thread but an audio callback; Drain() and fd()
// from the consumer thread only.
#pragma once

#include <deque>
#include <mutex>
#include <utility>
#include <vector>

namespace voxterm {

// The eventfd part, apart from the template so that it lives in one .cpp.
class WakeupFd {
 public:
  WakeupFd();
  ~WakeupFd();
  WakeupFd(const WakeupFd&) = delete;
  WakeupFd& operator=(const WakeupFd&) = delete;

  int fd() const { return fd_; }
  void Signal();  // any thread
  void Clear();   // consumer thread

 private:
  int fd_;
};

template <typename T>
class WakeupQueue {
 public:
  void Push(T item) {
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_empty = items_.empty();
      items_.push_back(std::move(item));
    }
    // The consumer takes everything at each wake-up, so only the first item of a batch needs
    // to wake it: one syscall per batch instead of one per item.
    if (was_empty) wakeup_.Signal();
  }

  // Appends the items of *batch in order, under one lock and with at most one wake-up; *batch
  // is left empty (its capacity kept, for the next batch).
  void PushAll(std::vector<T>* batch) {
    if (batch->empty()) return;
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_empty = items_.empty();
      for (T& item : *batch) items_.push_back(std::move(item));
    }
    batch->clear();
    if (was_empty) wakeup_.Signal();
  }

  // Moves every queued item into *out (appending) and clears the wake-up.
  void Drain(std::deque<T>* out) {
    wakeup_.Clear();
    std::lock_guard<std::mutex> lock(mu_);
    if (out->empty()) {
      out->swap(items_);  // the common case: the whole queue at the cost of a swap
      return;
    }
    while (!items_.empty()) {
      out->push_back(std::move(items_.front()));
      items_.pop_front();
    }
  }

  int fd() const { return wakeup_.fd(); }

 private:
  std::mutex mu_;
  std::deque<T> items_;  // GUARDED_BY(mu_)
  WakeupFd wakeup_;
};

}  // namespace voxterm
