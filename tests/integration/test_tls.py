"""wss:// with a throw-away CA: verified chains pass, everything else is refused with the reason."""

from conftest import one_line


def test_wss_with_the_ca_file_works(mock, run, tls):
    m = mock(tls=tls)
    r = run(["--text", "--url", m.url("wss", "localhost"), "--ca-file", tls.ca], input="over tls\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: over tls\n"
    assert m.violations() == []


def test_ca_file_from_the_config(mock, run, tls, tmp_path):
    m = mock(tls=tls)
    config = tmp_path / "c.json"
    config.write_text('{"ca_file": "%s", "url": "%s"}' % (tls.ca, m.url("wss", "localhost")))
    r = run(["--text", "--config", str(config)], input="x\n")
    assert r.returncode == 0, r.stderr


def test_unknown_ca_is_refused(mock, run, tls):
    m = mock(tls=tls)
    r = run(["--text", "--url", m.url("wss", "localhost")], input="x\n")
    assert r.returncode == 3
    line = one_line(r.stderr)
    assert "TLS handshake with localhost:%d failed" % m.port in line
    assert "certificate" in line.lower()


def test_wrong_host_name_is_refused(mock, run, tls):
    m = mock(tls=tls)  # the certificate is for "localhost" only
    r = run(["--text", "--url", m.url("wss", "127.0.0.1"), "--ca-file", tls.ca], input="x\n")
    assert r.returncode == 3
    line = one_line(r.stderr)
    assert "TLS handshake" in line
    assert "hostname" in line.lower() or "host name" in line.lower() or "mismatch" in line.lower()


def test_plain_ws_to_a_tls_server_fails_cleanly(mock, run, tls):
    m = mock(tls=tls)
    r = run(["--text", "--url", m.url("ws", "localhost")], input="x\n")
    assert r.returncode == 3
    one_line(r.stderr)
