#include "transport/connect_diagnosis.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>

using namespace voxterm;

TEST_CASE("lws's certificate lines become sentences with the way out", "[diagnosis]") {
  CHECK(DescribeTlsProblem("lws_ssl_client_connect2: SSL error: unable to get local issuer "
                           "certificate (preverify_ok=0;err=20;depth=0)") ==
        "certificate not trusted: unable to get local issuer certificate (add its CA with "
        "--ca-file)");
  CHECK(DescribeTlsProblem("SSL error: self signed certificate (preverify_ok=0;err=18;depth=0)") ==
        "certificate not trusted: self signed certificate (add its CA with --ca-file)");
  CHECK(DescribeTlsProblem("SSL error: Hostname mismatch (preverify_ok=0;err=62;depth=0)") ==
        "the certificate is for another host: Hostname mismatch");
  CHECK(DescribeTlsProblem("SSL error: certificate has expired (preverify_ok=0;err=10;depth=0)") ==
        "certificate has expired");
}

TEST_CASE("the server's own error message is found in its body", "[diagnosis]") {
  CHECK(ServerErrorMessage(
            R"({"error":{"message":"Incorrect API key provided.","code":"invalid_api_key"}})") ==
        "Incorrect API key provided.");
  CHECK(ServerErrorMessage(R"({"message":"Forbidden by policy"})") == "Forbidden by policy");
  CHECK(ServerErrorMessage(R"({"error":"quota exceeded"})") == "quota exceeded");
  CHECK(ServerErrorMessage("<html>\n<h1>502 Bad Gateway</h1>") == "<html>");
  CHECK(ServerErrorMessage("") == "");
  CHECK(HttpReasonPhrase(401) == std::string("Unauthorized"));
  CHECK(HttpReasonPhrase(418) == std::string(""));
}

TEST_CASE("a redirect's target is named by its host, whatever form Location takes", "[diagnosis]") {
  CHECK(RedirectTarget("wss://evil.example:8443/v1/realtime?x=1", "api.openai.com") ==
        "evil.example:8443");
  CHECK(RedirectTarget("https://user:secret@evil.example/path", "api.openai.com") ==
        "evil.example");
  CHECK(RedirectTarget("//evil.example/v1", "api.openai.com") == "evil.example");
  CHECK(RedirectTarget("/v1/realtime?again=1", "api.openai.com") == "api.openai.com");
  CHECK(RedirectTarget("ws://[::1]:9/", "here") == "[::1]:9");
  CHECK(RedirectTarget("ws://evil\x1b[2J.example/", "here") == "evil\\x1b[2J.example");
  CHECK(RedirectTarget("", "here") == "");
}

TEST_CASE("a plain connect tells refused from listening", "[diagnosis]") {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const int port = ntohs(address.sin_port);

  CHECK(TcpConnectErrno("127.0.0.1", port) == ECONNREFUSED);  // bound, not listening
  REQUIRE(listen(listener, 1) == 0);
  CHECK(TcpConnectErrno("127.0.0.1", port) == 0);
  close(listener);
}

TEST_CASE("the code of OpenAI's error body", "[diagnosis]") {
  CHECK(
      ServerErrorCode(
          R"({"error":{"message":"m","type":"insufficient_quota","code":"insufficient_quota"}})") ==
      "insufficient_quota");
  CHECK(ServerErrorCode(R"({"error":{"message":"m","code":null}})").empty());
  // No code: the type says it (OpenAI's type-only bodies).
  CHECK(ServerErrorCode(R"({"error":{"message":"m","type":"insufficient_quota","code":null}})") ==
        "insufficient_quota");
  CHECK(ServerErrorCode(R"({"error":{"message":"m","type":"t","code":"c"}})") == "c");
  CHECK(ServerErrorCode(R"({"error":"plain"})").empty());
  CHECK(ServerErrorCode("<html>busy</html>").empty());
}

TEST_CASE("account and model errors are fatal, rate limits are not", "[diagnosis]") {
  for (const char* code : {"invalid_api_key", "insufficient_quota", "account_deactivated",
                           "billing_hard_limit_reached", "credit_balance_exhausted"}) {
    INFO(code);
    CHECK(ClassifyServerError(code, 0, "", "m") == FatalError::kAccount);  // an error event
    CHECK(ClassifyServerError(code, 429, "", "m") == FatalError::kAccount);
  }
  CHECK(ClassifyServerError("model_not_found", 404, "", "m") == FatalError::kModel);
  CHECK(ClassifyServerError("invalid_model", 0, "", "m") == FatalError::kModel);
  // 429 is "slow down" unless the body says the quota is gone.
  CHECK(ClassifyServerError("rate_limit_exceeded", 429, "", "m") == FatalError::kNone);
  CHECK(ClassifyServerError("", 429, "", "m") == FatalError::kNone);
  CHECK(ClassifyServerError("", 401, "", "m") == FatalError::kAccount);
  CHECK(ClassifyServerError("", 403, "", "m") == FatalError::kAccount);
  // A 400 or 404 is about the model when it names it.
  CHECK(ClassifyServerError("", 404, "The model `gpt-x` does not exist", "gpt-x") ==
        FatalError::kModel);
  CHECK(ClassifyServerError("", 400, "bad request", "gpt-x") == FatalError::kNone);
  CHECK(ClassifyServerError("", 0, "gpt-x is busy", "gpt-x") ==
        FatalError::kNone);  // an event: by code only
  CHECK(ClassifyServerError("server_error", 500, "", "m") == FatalError::kNone);
}

TEST_CASE("a refused model is named as a whole token, and only in a refusal", "[diagnosis]") {
  CHECK(NamesModel("The model `gpt-realtime-2.1` does not exist", "gpt-realtime-2.1"));
  CHECK(NamesModel("Invalid model: gpt-realtime-2.1.", "gpt-realtime-2.1"));
  CHECK(NamesModel("gpt-realtime-2.1", "gpt-realtime-2.1"));
  CHECK_FALSE(NamesModel("The model gpt-realtime-2.10 does not exist", "gpt-realtime-2.1"));
  CHECK_FALSE(NamesModel("The model gpt-realtime-2.1-mini does not exist", "gpt-realtime-2.1"));
  CHECK_FALSE(NamesModel("The model xgpt-realtime-2.1 does not exist", "gpt-realtime-2.1"));
  CHECK_FALSE(NamesModel("anything", ""));
  // A 404 naming the model is a refusal of it; a 400 only with a code or type that says so.
  CHECK(ClassifyServerError("", 404, "The model gpt-realtime-2.1 does not exist",
                            "gpt-realtime-2.1") == FatalError::kModel);
  CHECK(ClassifyServerError("", 404, "The model gpt-realtime-2.10 does not exist",
                            "gpt-realtime-2.1") == FatalError::kNone);
  CHECK(ClassifyServerError("invalid_request_error", 400,
                            "Unsupported content type for gpt-realtime-2.1",
                            "gpt-realtime-2.1") == FatalError::kNone);
  CHECK(ClassifyServerError("not_found_error", 400, "No such model gpt-realtime-2.1",
                            "gpt-realtime-2.1") == FatalError::kModel);
  CHECK(ClassifyServerError("", 400, "gpt-realtime-2.1", "gpt-realtime-2.1") == FatalError::kNone);
}

TEST_CASE("a refused transcription model is told from the session's", "[diagnosis]") {
  CHECK(ClassifyServerError(
            "invalid_model", 0, "Invalid transcription model 'gpt-live-transcribe'.",
            "gpt-realtime-2.1", "gpt-live-transcribe") == FatalError::kTranscriptionModel);
  CHECK(ClassifyServerError("model_not_found", 0, "The model gpt-realtime-2.1 does not exist",
                            "gpt-realtime-2.1", "gpt-live-transcribe") == FatalError::kModel);
  // Neither named: the session's model, as before.
  CHECK(ClassifyServerError("invalid_model", 0, "Invalid model.", "gpt-realtime-2.1",
                            "gpt-live-transcribe") == FatalError::kModel);
  // Type-only: classified by the type (ServerErrorCode gives the type when the code is null).
  CHECK(ClassifyServerError("insufficient_quota", 429, "You exceeded your current quota", "m") ==
        FatalError::kAccount);
}
