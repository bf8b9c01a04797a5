// GPT-Live's server events (../shared/protocol/LIVE.md section 4): JSON text in, one typed
// ServerEvent out, the other half of LiveClient, given to the SessionLoop as its parser.
// Untrusted like every server message (protocol/server_events.h): a frame that is not an object
// with a string "type", or lacks a field its type needs, is an error to log and skip; unknown
// types parse as kUnknown, unknown fields are ignored.
//
// What each becomes:
//   session.started               kSessionCreated (session.model, session.expires_at;
//                                 session.audio.format in session_audio_type / _rate_hz)
//   session.closed                kSessionClosed: reason in text; usage.seconds in usage
//   session.usage.updated         kUsageUpdated: usage.seconds (cumulative) in usage
//   session.delegation.created    kDelegationCreated: delegation.id in item_id, target in name
//   session.output_audio.delta    kLiveOutputAudio: base64 in delta; start_ms/end_ms, if any,
//                                 in audio_start_ms/audio_end_ms
//   session.output_transcript.delta, session.input_transcript.delta
//                                 kLiveOutputTranscript / kLiveInputTranscript, likewise
//   error                         kError (error.client_event_id as error.event_id)
//   the acknowledgements, info    kLiveAck;  response.event  kBackendEvent
// GPT-Live has no responses: conversation/live_answers groups the stream into answers.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "protocol/server_events.h"
#include "util/status.h"

namespace voxterm {

// The audio format voxterm asks for (session.start) and plays: PCM16 at 24 kHz, Realtime's
// pcm16, so the audio path is the same for both APIs.
constexpr std::string_view kLiveAudioType = "audio/pcm";
constexpr int kLiveAudioRateHz = 24000;

// usage.seconds beyond this (a year of audio) is not believed: counted as invalid.
constexpr double kMaxLiveUsageSeconds = 366.0 * 24 * 3600;

// Parses one frame in place, as ParseServerEvent does.
Status ParseLiveEvent(std::string* buffer, ServerEvent* event);

}  // namespace voxterm
