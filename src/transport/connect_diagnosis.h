// Telling the user why a connection failed, where libwebsockets does not say: it drops the errno
// of a failed connect, keeps the certificate problem only in its log, and keeps no body of a
// refused upgrade. These helpers turn what can be found out into one sentence.
// Thread safety: pure functions (TcpConnectErrno blocks for up to 3 s; network thread only).
#pragma once

#include <string>
#include <string_view>

namespace voxterm {

// The errno of one plain non-blocking connect() to host:port, 0 if it connects now. For the
// failure path only: it makes a second connection attempt.
int TcpConnectErrno(const std::string& host, int port);

// "SSL error: unable to get local issuer certificate (preverify_ok=0;err=20;depth=0)", as lws
// logs it, becomes "certificate not trusted: unable to get local issuer certificate (add its CA
// with --ca-file)".
std::string DescribeTlsProblem(const std::string& lws_log_line);

// The server's own words from an HTTP error body: OpenAI's {"error":{"message":...}}, a bare
// {"message":...} or {"error":"..."}, else the first line of the body.
std::string ServerErrorMessage(const std::string& body);

// The "code" of OpenAI's {"error":{"code":...,"type":...}} body, else (a null or absent code)
// its "type"; empty if it has neither. What ClassifyServerError takes as its code.
std::string ServerErrorCode(const std::string& body);

// Errors no retry can get past: the key, the account, the model or the transcription model.
// Each comes as an HTTP refusal of the upgrade or as an `error` event, at the start or in the
// middle of a session.
enum class FatalError { kNone, kAccount, kModel, kTranscriptionModel };

// Whether text names model as a whole token: "gpt-realtime-2.1" is not named by
// "gpt-realtime-2.10" nor by "gpt-realtime-2.1-mini"; a sentence's full stop after it is.
bool NamesModel(std::string_view text, std::string_view model);

// code: the server's error code ("insufficient_quota"), else its type (an error with a null
// code); http_status: the refusal's status, 0 for an error event; message: the server's words;
// model: the one voxterm asked for; transcription_model: the one the session asked for, if any.
// A 429 is a rate limit to wait out unless its code says the quota is gone. A 404 whose message
// names the model refuses it; so does a 400 whose code is a not-found one (not_found_error,
// not_found): a 400 about something else may well name the model ("Unsupported content type
// for gpt-realtime-2.1"). A model refusal whose message names the transcription model and not
// the session's is kTranscriptionModel.
FatalError ClassifyServerError(std::string_view code, int http_status, std::string_view message,
                               std::string_view model, std::string_view transcription_model = "");

// Where a redirect's Location points, as host or host:port (the userinfo left out); here for a
// reference without a host of its own ("/path"); empty if it names none.
std::string RedirectTarget(const std::string& location, const std::string& here);

// "Unauthorized" for 401 and so on; empty for codes without a common phrase.
const char* HttpReasonPhrase(int status);

}  // namespace voxterm
