// The certificate files the TLS context will load, checked before anything connects: a file
// that is not there, not a regular file, or has no PEM certificate in it is a configuration
// error to report at once, not a handshake that later fails for a reason no one can see (or a
// FIFO that blocks the network thread forever).
// Thread safety: pure functions of the file system and the environment.
#pragma once

#include <string>

#include "util/status.h"

namespace voxterm {

// Errors read "what PATH: detail", where what is the flag or the variable that named the file.
Status CheckCaFile(const std::string& what, const std::string& path);

// SSL_CERT_FILE, if it is set: OpenSSL reads it besides (or instead of) the system store, so
// garbage there would leave voxterm trusting less than the user meant, and saying nothing.
Status CheckSslCertFile();

}  // namespace voxterm
