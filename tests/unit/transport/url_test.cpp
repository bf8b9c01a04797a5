#include "transport/url.h"

#include <catch2/catch.hpp>

using namespace voxterm;

TEST_CASE("URLs give scheme, host, port and path", "[url]") {
  auto url = ParseUrl("wss://api.openai.com/v1/realtime");
  REQUIRE(url.ok());
  CHECK(url->tls);
  CHECK(url->host == "api.openai.com");
  CHECK(url->port == 443);
  CHECK(url->path == "/v1/realtime");
  CHECK(url->HostHeader() == "api.openai.com");

  url = ParseUrl("ws://127.0.0.1:8080/v1/realtime?x=1");
  REQUIRE(url.ok());
  CHECK_FALSE(url->tls);
  CHECK(url->port == 8080);
  CHECK(url->path == "/v1/realtime?x=1");
  CHECK(url->HostHeader() == "127.0.0.1:8080");

  url = ParseUrl("ws://[::1]:9000");
  REQUIRE(url.ok());
  CHECK(url->host == "::1");
  CHECK(url->path == "/");
  CHECK(url->HostHeader() == "[::1]:9000");
}

TEST_CASE("bad URLs are refused with a reason", "[url]") {
  for (const char* bad :
       {"http://x/", "api.openai.com", "ws://", "ws://:80/", "ws://host:0/", "ws://host:65536/",
        "ws://host:12ab/", "ws://user:pw@host/", "ws://[::1/", "ws://host/a b", "ws://ho st/"}) {
    INFO(bad);
    auto url = ParseUrl(bad);
    CHECK_FALSE(url.ok());
    if (!url.ok()) CHECK(url.message().find("URL") != std::string::npos);
  }
}

TEST_CASE("the model goes into the query unless one is named", "[url]") {
  auto url = ParseUrl("wss://api.openai.com/v1/realtime");
  AddModelToQuery(&url.value(), "gpt-realtime");
  CHECK(url->path == "/v1/realtime?model=gpt-realtime");

  url = ParseUrl("ws://h/v1/realtime?a=1");
  AddModelToQuery(&url.value(), "my model/1");
  CHECK(url->path == "/v1/realtime?a=1&model=my%20model%2F1");

  url = ParseUrl("ws://h/v1/realtime?model=x");
  AddModelToQuery(&url.value(), "gpt-realtime");
  CHECK(url->path == "/v1/realtime?model=x");

  url = ParseUrl(
      "wss://r.openai.azure.com/openai/realtime?api-version=2025-04-01-preview&deployment=d");
  AddModelToQuery(&url.value(), "gpt-realtime");
  CHECK(url->path.find("model=") == std::string::npos);

  url = ParseUrl("ws://h/v1/realtime?");
  AddModelToQuery(&url.value(), "m");
  CHECK(url->path == "/v1/realtime?model=m");
}

TEST_CASE("the model the URL asks for: its model=, else its deployment=", "[url]") {
  auto url = ParseUrl("ws://h/v1/realtime?a=1");
  AddModelToQuery(&url.value(), "my model/1");
  CHECK(ModelInQuery(*url) == "my model/1");
  url = ParseUrl("ws://h/v1/realtime?model=gpt-x&a=1");
  AddModelToQuery(&url.value(), "gpt-realtime-2.1");  // the URL's model wins
  CHECK(ModelInQuery(*url) == "gpt-x");
  url = ParseUrl("wss://r.openai.azure.com/openai/realtime?api-version=v&deployment=d%2D1");
  CHECK(ModelInQuery(*url) == "d-1");
  url = ParseUrl("ws://h/v1/realtime");
  CHECK(ModelInQuery(*url).empty());
  url = ParseUrl("ws://h/v1/realtime?model=bad%2");  // a cut escape stays as it is
  CHECK(ModelInQuery(*url) == "bad%2");
}
