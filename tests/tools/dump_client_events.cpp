// Prints one of every client event voxterm can send, in both dialects, as JSON lines
// {"dialect":"ga","event":{...}}, for tests/integration/test_client_schema.py to validate
// against OpenAI's schema. The events are made as the conversations make them, through
// RealtimeClient (the Realtime API's ClientProtocol). Settings are chosen to exercise every
// optional part.
#include <cstdio>
#include <string>

#include "conversation/conversation_core.h"
#include "protocol/realtime_client.h"

using namespace voxterm;

namespace {

class PrintingSink : public MessageSink {
 public:
  explicit PrintingSink(Dialect dialect) : dialect_(dialect) {}
  void Send(std::string event) override {
    printf("{\"dialect\":\"%s\",\"event\":%s}\n", ToString(dialect_), event.c_str());
  }

 private:
  const Dialect dialect_;
};

}  // namespace

int main() {
  for (Dialect dialect : {Dialect::kGa, Dialect::kBeta}) {
    PrintingSink sink(dialect);
    RealtimeClient server(dialect, &sink);
    SessionSettings voice;
    voice.output = Modality::kAudio;
    voice.instructions = "Be brief.";
    voice.voice = "marin";
    voice.transcription_model = "gpt-live-transcribe";
    voice.turns = SessionSettings::Turns::kDetect;
    voice.tools.push_back(
        {"disk_usage", "Disk usage of a directory.",
         R"({"type":"object","properties":{"path":{"type":"string"}},"required":["path"]})"});
    server.ConfigureSession(voice);
    // Every optional session field (the encoder leaves out what beta does not have).
    voice.transcription_language = "en";
    voice.transcription_prompt = "Expect words about terminals.";
    voice.noise_reduction = NoiseReduction::kNearField;
    voice.speed = 1.5;
    voice.turn_detection.idle_timeout_ms = 5000;
    voice.max_output_tokens = 4096;
    voice.reasoning_effort = ReasoningEffort::kMinimal;
    voice.parallel_tool_calls = true;
    server.ConfigureSession(voice);
    voice.turn_detection.type = TurnDetection::Type::kSemanticVad;
    voice.turn_detection.eagerness = VadEagerness::kAuto;
    voice.noise_reduction = NoiseReduction::kOff;
    voice.max_output_tokens = kMaxOutputTokensInf;
    server.ConfigureSession(voice);
    SessionSettings text;
    text.output = Modality::kText;
    text.turns = SessionSettings::Turns::kOff;
    server.ConfigureSession(text);
    server.ConfigureSession(SessionSettings());
    SessionSettings no_tools_left;  // an MCP server's list gone empty
    no_tools_left.tools_changed = true;
    server.ConfigureSession(no_tools_left);
    if (dialect == Dialect::kGa) {  // hosted MCP servers are GA's only ("mcp" tools)
      SessionSettings hosted = text;
      HostedMcpServer docs;
      docs.label = "docs";
      docs.url = "https://mcp.example.com/sse";
      docs.headers = {{"Authorization", "Bearer secret-token-123"}};
      docs.has_allowed_tools = true;
      docs.allowed_tools = {"search", "fetch"};
      HostedMcpServer plain;
      plain.label = "plain-2";
      plain.url = "https://mcp.example.org/";
      plain.require_approval_json = R"({"never":{"tool_names":["read"],"read_only":true}})";
      hosted.hosted_mcp = {docs, plain};
      server.ConfigureSession(hosted);  // hosted servers only
      hosted.tools = voice.tools;
      docs.require_approval_json = "\"never\"";
      hosted.hosted_mcp = {docs};
      server.ConfigureSession(hosted);  // after the functions
      server.AnswerMcpApproval("mcpr_1", true, {}, "voxterm_approval_1");
      server.AnswerMcpApproval("mcpr_2", false, "The user declined this call.",
                               "voxterm_approval_2");
    }

    server.AddUserText("Name a prime number.", "voxterm_item_1", {});
    if (dialect == Dialect::kGa) {  // images are GA's only (beta has no input_image)
      InputImage png;
      png.data_url =
          ImageDataUrl(ImageType::kPng, std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
      InputImage jpeg;
      jpeg.data_url = ImageDataUrl(ImageType::kJpeg, "\xff\xd8\xff\xe0");
      server.AddUserImages("What is in these pictures?", {png, jpeg}, "voxterm_item_9", {});
      server.AddUserImages("", {png}, {}, "voxterm_user_9");  // an image alone
    }
    server.AddAssistantText("Seven.", {}, /*complete=*/true);
    server.AddFunctionCall("call_C1", "get_weather", R"({"city":"Oslo"})", {});
    server.AddToolOutput("call_C1", R"({"exit_code":0,"stdout":"4C","stderr":""})", {});
    server.RequestAnswer(Modality::kText, "voxterm_response_1", {});
    server.RequestAnswer(Modality::kAudio, {}, {});
    server.RequestAnswer(std::nullopt, {}, {});
    // A replay after a reconnect: items with voxterm's ids, an answer cut off, and the request
    // that asks it to go on.
    server.AddUserText("Name a prime number.", "voxterm_item_1", "voxterm_user_1");
    server.AddAssistantText("Sev", "item_A1", /*complete=*/false);
    server.AddFunctionCall("call_C1", "get_weather", R"({"city":"Oslo"})", "item_C1");
    server.AddToolOutput("call_C1", "{}", "voxterm_output_1");
    server.RequestAnswer(Modality::kText, "voxterm_response_2", "Go on.");
    server.RequestAnswer(std::nullopt, {}, "Go on.");
    server.CancelAnswer();
    const int16_t samples[480] = {1, -1, 300};
    server.AppendAudio(samples, 480);
    server.CommitAudio();
    server.ClearAudio();
    server.TruncateAnswer("item_A1", 1500);

    // /voice and /instructions in a live session: the session.update of one field each that
    // ConversationCore sends, in a voice session and in a text one.
    for (Modality output : {Modality::kAudio, Modality::kText}) {
      SessionSettings settings = voice;
      settings.output = output;
      ConversationCore core(settings, output, &server, nullptr, nullptr);
      core.OnSessionCreated();
      if (!core.ChangeVoice("cedar").ok()) return 1;
      core.ChangeInstructions("Answer in French.");
    }
  }
  return 0;
}
