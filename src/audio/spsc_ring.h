// SpscRing: a lock-free ring of samples between exactly one producer thread and one consumer
// thread; the only way audio callbacks exchange samples with the rest of voxterm.
//
// Capacity is a power of two, allocated once by the constructor. Indexes run free and are
// masked on access (PortAudio's pa_ringbuffer). The producer copies, then publishes its index
// with a release store; the consumer acquires it before reading, and the other way round. Each
// side keeps a cached copy of the other's index, refreshed only when the cache says the ring is
// full or empty, so the common case touches no shared cache line (rigtorp's SPSCQueue, folly's
// ProducerConsumerQueue). Each index lives on its own cache line.
//
// Every operation is non-blocking, allocation-free and wait-free: safe in an audio callback.
//
// Thread safety: Write*/CommitWrite only from the producer thread; Read*/CommitRead/Discard only
// from the consumer thread; the *Available() queries from their own side.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory>
#include <type_traits>

namespace voxterm {

template <typename T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "samples are copied with memcpy");

 public:
  // Two contiguous regions, for reading or writing in place without a copy.
  template <typename P>
  struct Regions {
    P* first = nullptr;
    size_t first_count = 0;
    P* second = nullptr;
    size_t second_count = 0;
    size_t total() const { return first_count + second_count; }
  };

  // Rounds min_capacity up to a power of two.
  explicit SpscRing(size_t min_capacity)
      : capacity_(RoundUpToPowerOfTwo(std::max<size_t>(min_capacity, 2))),
        mask_(capacity_ - 1),
        buffer_(new T[capacity_]()) {}

  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return capacity_; }

  // --- producer

  // Room for writing, as of now.
  size_t WriteAvailable() { return WriteRoom(capacity_); }

  Regions<T> WriteRegions(size_t max_count) {
    const size_t count = std::min(max_count, WriteRoom(max_count));
    return Split<T>(write_.load(std::memory_order_relaxed), count);
  }

  // Publishes count samples written through WriteRegions().
  void CommitWrite(size_t count) {
    write_.store(write_.load(std::memory_order_relaxed) + count, std::memory_order_release);
  }

  // Copies up to count samples in; returns how many fit.
  [[nodiscard]] size_t Write(const T* data, size_t count) {
    Regions<T> r = WriteRegions(count);
    std::memcpy(r.first, data, r.first_count * sizeof(T));
    std::memcpy(r.second, data + r.first_count, r.second_count * sizeof(T));
    CommitWrite(r.total());
    return r.total();
  }

  // --- consumer

  // Samples waiting to be read, as of now.
  size_t ReadAvailable() { return ReadWaiting(capacity_); }

  Regions<const T> ReadRegions(size_t max_count) {
    const size_t count = std::min(max_count, ReadWaiting(max_count));
    return Split<const T>(read_.load(std::memory_order_relaxed), count);
  }

  // Releases count samples read through ReadRegions() back to the producer.
  void CommitRead(size_t count) {
    read_.store(read_.load(std::memory_order_relaxed) + count, std::memory_order_release);
  }

  // Copies up to count samples out; returns how many there were.
  [[nodiscard]] size_t Read(T* out, size_t count) {
    Regions<const T> r = ReadRegions(count);
    std::memcpy(out, r.first, r.first_count * sizeof(T));
    std::memcpy(out + r.first_count, r.second, r.second_count * sizeof(T));
    CommitRead(r.total());
    return r.total();
  }

  // Drops up to count samples unread (a flush at barge-in); returns how many were dropped.
  [[nodiscard]] size_t Discard(size_t count) {
    const size_t n = std::min(count, ReadWaiting(count));
    CommitRead(n);
    return n;
  }

 private:
  // Free space by the cached read index, refreshed only when the cache shows less than wanted:
  // the shared cache line is touched when it could change the answer, not on every call.
  size_t WriteRoom(size_t wanted) {
    const size_t write = write_.load(std::memory_order_relaxed);
    size_t room = capacity_ - (write - read_cache_);
    if (room < wanted) {
      read_cache_ = read_.load(std::memory_order_acquire);
      room = capacity_ - (write - read_cache_);
    }
    return room;
  }

  size_t ReadWaiting(size_t wanted) {
    const size_t read = read_.load(std::memory_order_relaxed);
    size_t waiting = write_cache_ - read;
    if (waiting < wanted) {
      write_cache_ = write_.load(std::memory_order_acquire);
      waiting = write_cache_ - read;
    }
    return waiting;
  }

  static size_t RoundUpToPowerOfTwo(size_t n) {
    size_t p = 1;
    while (p < n) p <<= 1;
    return p;
  }

  template <typename P>
  Regions<P> Split(size_t index, size_t count) const {
    const size_t start = index & mask_;
    Regions<P> r;
    r.first = buffer_.get() + start;
    r.first_count = std::min(count, capacity_ - start);
    r.second = buffer_.get();
    r.second_count = count - r.first_count;
    return r;
  }

  const size_t capacity_;
  const size_t mask_;
  const std::unique_ptr<T[]> buffer_;  // allocated once

  alignas(64) std::atomic<size_t> write_{0};  // written by the producer
  alignas(64) size_t read_cache_ = 0;         // producer only: its last view of read_
  alignas(64) std::atomic<size_t> read_{0};   // written by the consumer
  alignas(64) size_t write_cache_ = 0;        // consumer only: its last view of write_
};

// Samples needed to hold ms milliseconds at sample_rate_hz; the ring rounds up to a power of two.
constexpr size_t RingSamplesForMs(int sample_rate_hz, int ms) {
  return static_cast<size_t>(sample_rate_hz) * static_cast<size_t>(ms) / 1000;
}

}  // namespace voxterm
