// The signals that end voxterm: SIGINT (Ctrl-C) and SIGTERM. The run loop reads them from a
// descriptor in its poll set, as it would a signalfd. A thread of their own takes them from the
// kernel, so that a signal is seen even while the main thread is stuck: writing to a full pipe,
// opening a FIFO nobody reads. Unless the loop says in time that it goes on (Ctrl-C stopped a
// tool: SignalAbsorbed), that thread ends the process kExitGraceMs after the signal, with exit
// code 130 and the terminal put back: SIGTERM and Ctrl-C end voxterm within a second, whatever
// it is doing. A polite exit (the close handshake, the --stats file) gets that long.
// Thread safety: StartSignalWatch once, on the main thread, before any other thread starts
// (they inherit its mask); TakeSignal and SignalAbsorbed on the main thread.
#pragma once

namespace voxterm {

constexpr int kExitGraceMs = 900;

// Blocks SIGINT, SIGTERM and SIGWINCH in the calling thread (and so in every thread started after),
// ignores SIGPIPE, and starts the watching thread. Returns the descriptor to poll, or -1.
int StartSignalWatch();

// The next signal that arrived, or 0 when there is none. Each one taken must be acted on: it
// ends the process unless SignalAbsorbed() follows.
int TakeSignal();

// The signal last taken was no reason to quit.
void SignalAbsorbed();

// Whether the terminal was resized (SIGWINCH, which the watching thread takes too, and which
// ends nothing: it makes the descriptor readable, but TakeSignal does not return it) since the
// last call.
bool TakeResize();

}  // namespace voxterm
