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

// The "code" of OpenAI's {"error":{"code":...}} body, empty if it has none.
std::string ServerErrorCode(const std::string& body);

// Errors no retry can get past: the key, the account or the model. Each comes as an HTTP
// refusal of the upgrade or as an `error` event, at the start or in the middle of a session.
enum class FatalError { kNone, kAccount, kModel };

// code: the server's error code ("insufficient_quota"); http_status: the refusal's status, 0
// for an error event; message: the server's words; model: the one voxterm asked for.
// A 429 is a rate limit to wait out unless its code says the quota is gone; a 400 or 404 is
// about the model when its code says so or its message names the model.
FatalError ClassifyServerError(std::string_view code, int http_status, std::string_view message,
                               std::string_view model);

// Where a redirect's Location points, as host or host:port (the userinfo left out); here for a
// reference without a host of its own ("/path"); empty if it names none.
std::string RedirectTarget(const std::string& location, const std::string& here);

// "Unauthorized" for 401 and so on; empty for codes without a common phrase.
const char* HttpReasonPhrase(int status);

}  // namespace voxterm
