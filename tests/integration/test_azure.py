"""Azure OpenAI: the GA endpoint (/openai/v1/realtime?model=DEPLOYMENT, key in api-key) is the
way; the preview URL with --dialect beta stays for old deployments (docs/config.md)."""

KEY = "az-test-key-1234567890"


def test_the_ga_endpoint_gets_the_deployment_and_the_api_key(mock, run):
    m = mock("--key", KEY)  # refuses (401) any other key, in api-key or Authorization
    r = run(["--text", "--azure", "--url", m.url(path="/openai/v1/realtime"), "--model", "my-realtime"],
            input="hi\n", key=None, env={"AZURE_OPENAI_API_KEY": KEY})
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: hi\n"
    (connect,) = m.connects()
    assert connect["path"] == "/openai/v1/realtime?model=my-realtime"
    assert connect["dialect"] == "ga"
    headers = connect["headers"]
    assert headers["api-key"] == "<redacted>"
    assert "authorization" not in headers
    assert "openai-beta" not in headers
    assert m.events()[0]["session"]["type"] == "realtime"  # the GA session
    assert m.violations() == []


def test_the_deployment_can_be_in_the_url(mock, run):
    m = mock("--key", KEY)
    r = run(["--text", "--azure", "--url", m.url(path="/openai/v1/realtime?model=from-url"), "--model", "ignored"],
            input="hi\n", key=None, env={"AZURE_OPENAI_API_KEY": KEY})
    assert r.returncode == 0, r.stderr
    assert m.connects()[0]["path"] == "/openai/v1/realtime?model=from-url"


def test_the_legacy_preview_url_with_the_beta_dialect(mock, run):
    m = mock("--key", KEY)
    path = "/openai/realtime?api-version=2025-04-01-preview&deployment=my-realtime"
    r = run(["--text", "--azure", "--dialect", "beta", "--url", m.url(path=path)], input="hi\n", key=None,
            env={"AZURE_OPENAI_API_KEY": KEY})
    assert r.returncode == 0, r.stderr
    (connect,) = m.connects()
    assert connect["path"] == path  # deployment= names the model: no model= added
    assert connect["dialect"] == "beta"
    assert connect["headers"]["openai-beta"] == "realtime=v1"
    assert connect["headers"]["api-key"] == "<redacted>"
    assert "type" not in m.events()[0]["session"]  # the flat beta session
    assert m.violations() == []
