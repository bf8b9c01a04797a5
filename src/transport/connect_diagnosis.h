// Telling the user why a connection failed, where libwebsockets does not say: it drops the errno
// of a failed connect, keeps the certificate problem only in its log, and keeps no body of a
// refused upgrade. These helpers turn what can be found out into one sentence.
// Thread safety: pure functions (TcpConnectErrno blocks for up to 3 s; network thread only).
#pragma once

#include <string>

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

// Where a redirect's Location points, as host or host:port (the userinfo left out); here for a
// reference without a host of its own ("/path"); empty if it names none.
std::string RedirectTarget(const std::string& location, const std::string& here);

// "Unauthorized" for 401 and so on; empty for codes without a common phrase.
const char* HttpReasonPhrase(int status);

}  // namespace voxterm
