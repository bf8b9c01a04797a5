"""wss:// with a throw-away CA: verified chains pass, everything else is refused with the reason."""

from conftest import one_line


def test_wss_with_the_ca_file_works(mock, run, tls):
    m = mock(tls=(tls.cert, tls.key))
    r = run(["--text", "--url", m.url("wss"), "--ca-file", tls.ca], input="over tls\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "You said: over tls\n"
    assert m.violations() == []


def test_ca_file_from_the_config(mock, run, tls, tmp_path):
    m = mock(tls=(tls.cert, tls.key))
    config = tmp_path / "c.json"
    config.write_text('{"ca_file": "%s", "url": "%s"}' % (tls.ca, m.url("wss")))
    r = run(["--text", "--config", str(config)], input="x\n")
    assert r.returncode == 0, r.stderr


def test_unknown_ca_is_refused(mock, run, tls):
    m = mock(tls=(tls.cert, tls.key))
    r = run(["--text", "--url", m.url("wss")], input="x\n")
    assert r.returncode == 3
    line = one_line(r.stderr)
    assert "TLS handshake with 127.0.0.1:%d failed: certificate not trusted" % m.port in line
    assert "--ca-file" in line


def test_certificate_for_another_host_is_refused(mock, run, tls):
    m = mock(tls=(tls.other_cert, tls.other_key))  # trusted CA, but for other.example
    r = run(["--text", "--url", m.url("wss"), "--ca-file", tls.ca], input="x\n")
    assert r.returncode == 3
    line = one_line(r.stderr)
    assert "TLS handshake" in line
    assert "the certificate is for another host" in line


def test_plain_ws_to_a_tls_server_fails_cleanly(mock, run, tls):
    m = mock(tls=(tls.cert, tls.key))
    r = run(["--text", "--url", m.url("ws")], input="x\n")
    assert r.returncode == 3
    one_line(r.stderr)
