// WebSocket URLs: ws:// and wss://, with the model added to the query where it is missing.
#pragma once

#include <string>

#include "util/status.h"

namespace voxterm {

struct Url {
  bool tls = false;
  std::string host;  // without brackets for IPv6 literals
  int port = 0;
  std::string path;  // path and query, always starting with '/'

  // host, or host:port when the port is not the scheme's default (for the Host header).
  std::string HostHeader() const;
  std::string ToString() const;
};

Result<Url> ParseUrl(const std::string& text);

// Adds model=<model> to the query unless it already names a model or an Azure deployment.
void AddModelToQuery(Url* url, const std::string& model);

// The model the URL asks for: its query's model=, else its Azure deployment=, %-decoded; empty
// if it names neither. After AddModelToQuery, the model the server is really asked for.
std::string ModelInQuery(const Url& url);

}  // namespace voxterm
