"""Azure OpenAI: the GA endpoint (/openai/v1/realtime?model=DEPLOYMENT, key in api-key) is the
way; the preview URL with --dialect beta stays for old deployments (docs/config.md)."""

from conftest import one_line

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
    r = run(["--text", "--azure", "--url", m.url(path="/openai/v1/realtime?model=from-url")],
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


def test_a_url_that_does_not_fit_its_dialect_draws_a_warning(mock, run):
    # Azure answers the first with 401 and the second with "Unknown parameter: 'session.type'";
    # voxterm says why before it tries (the mock, not being Azure, accepts both).
    m = mock("--key", KEY)
    env = {"AZURE_OPENAI_API_KEY": KEY}
    r = run(["--text", "--azure", "--url", m.url(path="/openai/v1/realtime?api-version=2025-08-28"),
             "--model", "d"], input="hi\n", key=None, env=env)
    assert r.returncode == 0, r.stderr
    assert one_line(r.stderr) == ("voxterm: warning: --url: Azure's GA endpoint (/openai/v1/realtime) takes no "
                                  "api-version (Azure answers 401)")
    r = run(["--text", "--azure", "--url", m.url(path="/openai/realtime?api-version=2025-04-01-preview&deployment=d")],
            input="hi\n", key=None, env=env)
    assert one_line(r.stderr) == ("voxterm: warning: --url: Azure's preview URL (/openai/realtime) speaks the beta "
                                  "dialect: use /openai/v1/realtime, or --dialect beta")
    # The documented ways draw none.
    r = run(["--text", "--azure", "--url", m.url(path="/openai/v1/realtime"), "--model", "d"], input="hi\n",
            key=None, env=env)
    assert r.returncode == 0 and r.stderr == "", r.stderr
