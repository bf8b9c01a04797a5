#include "transport/url.h"

#include <cctype>
#include <charconv>
#include <optional>

namespace voxterm {
namespace {

// RFC 3986 unreserved characters pass; everything else is %-encoded, so a model name cannot
// add query parameters.
std::string PercentEncode(const std::string& s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// Whether key= (or a bare key) is among the &-separated parameters.
bool QueryHasKey(const std::string& query, const std::string& key) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    std::string pair = query.substr(pos, end - pos);
    if (pair == key || pair.rfind(key + "=", 0) == 0) return true;
    pos = end + 1;
  }
  return false;
}

// The %-decoded value of key= among the &-separated parameters; nullopt if absent.
std::optional<std::string> QueryValue(const std::string& query, const std::string& key) {
  size_t pos = 0;
  while (pos <= query.size()) {
    size_t end = query.find('&', pos);
    if (end == std::string::npos) end = query.size();
    const std::string pair = query.substr(pos, end - pos);
    if (pair.rfind(key + "=", 0) == 0) {
      std::string out;
      for (size_t i = key.size() + 1; i < pair.size(); ++i) {
        int byte = 0;
        if (pair[i] == '%' && i + 2 < pair.size() &&
            std::from_chars(pair.data() + i + 1, pair.data() + i + 3, byte, 16).ptr ==
                pair.data() + i + 3) {
          out += static_cast<char>(byte);
          i += 2;
        } else {
          out += pair[i] == '+' ? ' ' : pair[i];
        }
      }
      return out;
    }
    pos = end + 1;
  }
  return std::nullopt;
}

}  // namespace

std::string ModelInQuery(const Url& url) {
  const size_t q = url.path.find('?');
  if (q == std::string::npos) return "";
  const std::string query = url.path.substr(q + 1);
  if (auto model = QueryValue(query, "model")) return *model;
  if (auto deployment = QueryValue(query, "deployment")) return *deployment;
  return "";
}

std::string Url::HostHeader() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) h += ":" + std::to_string(port);
  return h;
}

std::string Url::ToString() const {
  return std::string(tls ? "wss://" : "ws://") + HostHeader() + path;
}

Result<Url> ParseUrl(const std::string& text) {
  Url url;
  std::string rest;
  if (text.rfind("wss://", 0) == 0) {
    url.tls = true;
    rest = text.substr(6);
  } else if (text.rfind("ws://", 0) == 0) {
    rest = text.substr(5);
  } else {
    return Result<Url>::Error("bad URL \"" + text + "\": it must start with ws:// or wss://");
  }
  size_t path_start = rest.find_first_of("/?");
  std::string authority = rest.substr(0, path_start);
  url.path = path_start == std::string::npos ? "/" : rest.substr(path_start);
  if (url.path[0] == '?') url.path = "/" + url.path;
  // user:password@ would send credentials in the clear in logs and errors; keys go in headers.
  if (authority.find('@') != std::string::npos) {
    return Result<Url>::Error("bad URL \"" + text + "\": credentials in the URL are not supported");
  }
  std::string port_text;
  // An IPv6 literal: [::1]:8080.
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos)
      return Result<Url>::Error("bad URL \"" + text + "\": unclosed [");
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Result<Url>::Error("bad URL \"" + text + "\"");
      port_text = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty()) return Result<Url>::Error("bad URL \"" + text + "\": no host");
  for (char c : url.host) {
    if (isspace(static_cast<unsigned char>(c)) || c == '/' || c == '\\') {
      return Result<Url>::Error("bad URL \"" + text + "\": bad host");
    }
  }
  url.port = url.tls ? 443 : 80;
  if (!port_text.empty()) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
        port > 65535) {
      return Result<Url>::Error("bad URL \"" + text + "\": bad port \"" + port_text + "\"");
    }
    url.port = port;
  }
  // The path goes into the request line as is: no spaces or control characters.
  for (char c : url.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7F) {
      return Result<Url>::Error("bad URL \"" + text +
                                "\": spaces or control characters in the path");
    }
  }
  return url;
}

void AddModelToQuery(Url* url, const std::string& model) {
  if (model.empty()) return;
  size_t q = url->path.find('?');
  std::string query = q == std::string::npos ? "" : url->path.substr(q + 1);
  if (QueryHasKey(query, "model") || QueryHasKey(query, "deployment")) return;
  if (q == std::string::npos) {
    url->path += "?";
  } else if (!query.empty() && query.back() != '&') {
    url->path += "&";
  }
  url->path += "model=" + PercentEncode(model);
}

}  // namespace voxterm
