// Fuzz target: one server frame through the parser, then through every conversation's
// dispatcher (text chat, voice chat, tool calls, the history kept for reconnects), as the run
// loop would hand it over. The state persists across inputs within a run, so sequences of events
// are explored too; an input that is not an event is taken as a lost connection (the next
// session.created resumes), so replays and resumptions are explored as well.
#include <cstddef>
#include <cstdint>
#include <string>

#include "conversation/engine.h"
#include "conversation/text_chat.h"
#include "conversation/tool_calls.h"
#include "fakes/fake_clock.h"
#include "fakes/fake_tool_runner.h"
#include "fakes/fake_transport.h"
#include "fakes/fake_view.h"
#include "protocol/realtime_client.h"
#include "session/usage.h"

namespace voxterm {
namespace {

struct World {
  FakeTransport transport;
  RealtimeClient server{Dialect::kGa, &transport};
  FakeView view;
  FakeToolRunner runner;
  FakeClock clock;
  EventLog log{&clock};
  std::vector<ToolConfig> tools = {CommandTool("get_weather", {"true", "{city}"}, {"city"})};
  ToolCalls calls{&tools, &runner, &server, &view, &log, CanAsk::kYes, {}};
  History text_history{History::Limits{64, 1 << 16}};
  History voice_history{History::Limits{64, 1 << 16}};
  TextChat text{SessionSettings{}, &server, [](std::string_view) {},
                nullptr,           &calls,  &text_history};
  SpscRing<int16_t> ring{1 << 12};
  PlaybackCounters counters;
  PlaybackPath playback{24000, &ring, &counters};
  ConversationEngine voice{SessionSettings{}, &server, &playback, &view, &calls, &voice_history};
  UsageTotals usage{"gpt-realtime-2.1", "gpt-live-transcribe"};

  void Feed(const uint8_t* data, size_t size) {
    std::string frame(reinterpret_cast<const char*>(data), size);
    ServerEvent event;
    if (!ParseServerEvent(&frame, &event).ok()) {
      text.OnDisconnected();
      voice.OnDisconnected();
      return;
    }
    text.OnServerEvent(event);
    voice.OnServerEvent(event);
    // As the run loop does: usage summed across everything, then summarized.
    if (event.type == ServerEventType::kSessionCreated) usage.SetModel(event.session_model);
    if (event.type == ServerEventType::kResponseDone) usage.AddResponse(event.usage);
    if (event.type == ServerEventType::kInputTranscriptCompleted)
      usage.AddTranscription(event.usage);
    if (size % 16 == 0) (void)usage.Summary(), (void)usage.ToJson();
    voice.OnTick();
    // Finish what the tools started, so the follow-up paths run too.
    for (int id : std::vector<int>(runner.running_ids)) runner.Exit(id, 0, "out");
    calls.OnRunnerReady();
    text.OnToolsReady();
    if (calls.awaiting_answer()) calls.Answer(size % 2 == 0);
    if (transport.sent.size() > 4096) transport.sent.clear();  // bounded across a long run
  }
};

}  // namespace
}  // namespace voxterm

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static voxterm::World* world = new voxterm::World;  // leaked on purpose: lives for the run
  world->Feed(data, size);
  return 0;
}
