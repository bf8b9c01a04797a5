#include "transport/connect_diagnosis.h"

#include <netdb.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include "util/log.h"

namespace voxterm {

const char* HttpReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

std::string RedirectTarget(const std::string& location, const std::string& here) {
  size_t start;
  if (const size_t scheme = location.find("://"); scheme != std::string::npos) {
    start = scheme + 3;
  } else if (location.rfind("//", 0) == 0) {
    start = 2;  // a network-path reference: the scheme stays, the host changes
  } else {
    return location.empty() ? "" : here;
  }
  std::string authority = location.substr(start, location.find_first_of("/?#", start) - start);
  if (const size_t at = authority.rfind('@'); at != std::string::npos) authority.erase(0, at + 1);
  return Printable(authority, 100);
}

std::string ServerErrorMessage(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.c_str(), body.size());
  if (!doc.HasParseError() && doc.IsObject()) {
    // Through a const reference: clang finds != on mutable member iterators ambiguous in C++20.
    const rapidjson::Value& root = doc;
    auto error = root.FindMember("error");
    const bool has_error = error != root.MemberEnd();
    if (has_error && error->value.IsString()) return error->value.GetString();
    const rapidjson::Value* obj = has_error && error->value.IsObject() ? &error->value : &root;
    auto message = obj->FindMember("message");
    if (message != obj->MemberEnd() && message->value.IsString()) return message->value.GetString();
  }
  std::string line = body.substr(0, body.find('\n'));
  return line;
}

std::string ServerErrorCode(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(body.c_str(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return "";
  const rapidjson::Value& root = doc;
  auto error = root.FindMember("error");
  if (error == root.MemberEnd() || !error->value.IsObject()) return "";
  for (const char* key : {"code", "type"}) {
    auto value = error->value.FindMember(key);
    if (value != error->value.MemberEnd() && value->value.IsString() &&
        value->value.GetStringLength() > 0) {
      return std::string(value->value.GetString(), value->value.GetStringLength());
    }
  }
  return "";
}

namespace {

bool IsNameChar(char c) {
  return isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == ':' ||
         c == '/';
}

}  // namespace

bool NamesModel(std::string_view text, std::string_view model) {
  if (model.empty()) return false;
  for (size_t at = text.find(model); at != std::string_view::npos; at = text.find(model, at + 1)) {
    const size_t end = at + model.size();
    const bool starts = at == 0 || !IsNameChar(text[at - 1]);
    // A '.' (or ':') right after ends a sentence unless a name character follows it.
    size_t next = end;
    while (next < text.size() && (text[next] == '.' || text[next] == ':')) ++next;
    const bool ends = end == text.size() || !IsNameChar(text[end]) ||
                      ((text[end] == '.' || text[end] == ':') &&
                       (next == text.size() || !IsNameChar(text[next])));
    if (starts && ends) return true;
  }
  return false;
}

FatalError ClassifyServerError(std::string_view code, int http_status, std::string_view message,
                               std::string_view model, std::string_view transcription_model) {
  const auto which_model = [&] {
    return NamesModel(message, transcription_model) && !NamesModel(message, model)
               ? FatalError::kTranscriptionModel
               : FatalError::kModel;
  };
  if (code == "model_not_found" || code == "invalid_model") return which_model();
  if (code == "invalid_api_key" || code == "insufficient_quota" || code == "account_deactivated" ||
      code == "billing_hard_limit_reached" || code == "credit_balance_exhausted") {
    return FatalError::kAccount;
  }
  if (http_status == 401 || http_status == 403) return FatalError::kAccount;
  const bool not_found = code == "not_found_error" || code == "not_found";
  if ((http_status == 404 || (http_status == 400 && not_found)) &&
      (NamesModel(message, model) || NamesModel(message, transcription_model))) {
    return which_model();
  }
  return FatalError::kNone;
}

int TcpConnectErrno(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0)
    return EHOSTUNREACH;
  int error = ETIMEDOUT;
  for (addrinfo* a = found; a; a = a->ai_next) {
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    error = connect(fd, a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
    if (error == EINPROGRESS) {
      pollfd p = {fd, POLLOUT, 0};
      error = ETIMEDOUT;
      if (poll(&p, 1, 3000) == 1) {
        socklen_t len = sizeof error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
      }
    }
    close(fd);
    if (error == 0) break;
  }
  freeaddrinfo(found);
  return error;
}

std::string DescribeTlsProblem(const std::string& problem) {
  std::string text = problem;
  size_t start = text.find("SSL error: ");
  if (start != std::string::npos) text = text.substr(start + 11);
  size_t details = text.find(" (preverify_ok");
  if (details != std::string::npos) text = text.substr(0, details);
  if (text.find("issuer") != std::string::npos || text.find("self signed") != std::string::npos ||
      text.find("self-signed") != std::string::npos) {
    text = "certificate not trusted: " + text + " (add its CA with --ca-file)";
  } else if (text.find("mismatch") != std::string::npos) {
    text = "the certificate is for another host: " + text;
  }
  return text;
}

}  // namespace voxterm
