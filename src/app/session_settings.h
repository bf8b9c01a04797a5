// The session voxterm asks for (session.update), from the configuration, in each mode; and the
// check that refuses, at start-up, settings the chosen dialect's session has no field for.
// Thread safety: pure functions.
#pragma once

#include <string_view>

#include "app/config.h"
#include "protocol/client_events.h"
#include "util/status.h"

namespace voxterm {

// A spoken conversation: audio out, the microphone's transcription and turn detection.
// (Push-to-talk takes this and turns VAD off.)
SessionSettings VoiceSessionSettings(const Config& config);

// --text: text out (audio too with --speak); no microphone, so no input settings.
SessionSettings TextSessionSettings(const Config& config);

// The transcription model to send: config.transcribe, or the dialect's default; empty for off.
std::string TranscriptionModel(const Config& config);

// Models that reason (gpt-realtime-2, -2.1, -2.1-mini and their snapshots): they take
// reasoning.effort and may call several tools in one response.
bool IsReasoningModel(std::string_view model);

// Models known to have no reasoning: gpt-realtime and its dated snapshots, gpt-realtime-mini,
// gpt-realtime-1.5, gpt-4o-*. A name voxterm does not know (an Azure deployment, a model newer
// than voxterm) is neither this nor IsReasoningModel.
bool IsKnownNotReasoningModel(std::string_view model);

// Numbers out of their range (NaN and the infinities included: the flags and the file refuse them
// first, this makes sure nothing else lets one through), settings the dialect has no field for, and
// settings that contradict each other (an eagerness without semantic VAD, an idle timeout without
// server VAD, transcription hints with transcription off): an error that names the flag and the
// config key. Settings a mode does not use (VAD in --text and --ptt) are ignored, as the VAD
// thresholds are.
Status CheckSessionOptions(const Config& config);

}  // namespace voxterm
