"""The files voxterm writes: private, never through a symbolic link, one output per file, and a
failed write reported once and in the exit code."""

import os
import resource
import signal
import subprocess
import wave

import pytest

from conftest import BIN, clean_env, one_line


def quiet_wav(path, ms=300):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(24000)
        w.writeframes(b"\0\0" * (24 * ms))
    return str(path)


def outputs(tmp_path, names):
    """The flags of a spoken conversation that writes every kind of output into names."""
    return ["--input-file", quiet_wav(tmp_path / "mic.wav"), "--log-events", names["log"], "--stats",
            names["stats"], "--output-file", names["out"], "--record", names["record"]]


def test_outputs_are_created_private(mock, run, tmp_path):
    m = mock()
    names = {k: str(tmp_path / ("%s.file" % k)) for k in ("log", "stats", "out", "record")}
    umask = os.umask(0o022)  # what voxterm inherits: the files would be 0644 without care
    try:
        r = run(["--url", m.url()] + outputs(tmp_path, names), timeout=30)
    finally:
        os.umask(umask)
    assert r.returncode == 0, r.stderr
    for path in names.values():
        assert os.stat(path).st_mode & 0o777 == 0o600, path


@pytest.mark.parametrize("flag", ["log", "stats", "out", "record"])
def test_a_symbolic_link_at_an_output_is_refused(run, tmp_path, flag):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "link"
    link.symlink_to(victim)
    names = {k: str(tmp_path / ("%s.file" % k)) for k in ("log", "stats", "out", "record")}
    names[flag] = str(link)
    r = run(["--url", "ws://127.0.0.1:1/"] + outputs(tmp_path, names), timeout=30)
    assert r.returncode == 2
    assert one_line(r.stderr).endswith("%s: is a symbolic link (refused)" % link)
    assert victim.read_text() == "precious\n"


@pytest.mark.parametrize("first,second", [("log", "stats"), ("out", "record"), ("log", "out"),
                                          ("stats", "record")])
def test_two_outputs_on_one_path_are_refused(run, tmp_path, first, second):
    existing = tmp_path / "same"
    existing.write_text("precious\n")
    names = {k: str(tmp_path / ("%s.file" % k)) for k in ("log", "stats", "out", "record")}
    names[first] = str(existing)
    names[second] = os.path.join(str(tmp_path), ".", "same")  # another spelling of the same file
    r = run(["--url", "ws://127.0.0.1:1/"] + outputs(tmp_path, names), timeout=30)
    assert r.returncode == 2
    assert "are the same file" in one_line(r.stderr)
    assert existing.read_text() == "precious\n"


def test_the_input_file_is_not_an_output(run, tmp_path):
    mic = quiet_wav(tmp_path / "mic.wav")
    before = open(mic, "rb").read()
    r = run(["--url", "ws://127.0.0.1:1/", "--input-file", mic, "--record", mic, "--output-file", "/dev/null"],
            timeout=30)
    assert r.returncode == 2
    assert "are the same file" in one_line(r.stderr)
    assert open(mic, "rb").read() == before


@pytest.mark.parametrize("flag", ["--log-events", "--stats"])
def test_a_full_disk_is_reported_once_and_in_the_exit_code(mock, run, flag):
    m = mock()
    r = run(["--text", flag, "/dev/full", "--url", m.url()], input="one\ntwo\n")
    assert r.stdout == "You said: one\nYou said: two\n"  # the conversation went on
    assert one_line(r.stderr) == "voxterm: error: %s /dev/full: No space left on device" % flag
    assert r.returncode == 1


def small_file_limit():
    """Files may grow to 4 KiB, and writing past that fails (EFBIG) rather than killing voxterm: a
    disk that fills up during the conversation."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


@pytest.mark.parametrize("flag", ["--output-file", "--record"])
def test_a_full_disk_under_audio_is_reported_once_and_in_the_exit_code(mock, tmp_path, flag):
    m = mock()
    wav = tmp_path / "full.wav"
    out = ["--output-file", "/dev/null"] if flag == "--record" else []
    r = subprocess.run([BIN, "--url", m.url(), "--input-file", quiet_wav(tmp_path / "mic.wav", 2500), flag, str(wav)]
                       + out, input="hello\n", capture_output=True, text=True, env=clean_env(tmp_path), timeout=60,
                       preexec_fn=small_file_limit)
    assert "assistant: You said: hello" in r.stdout  # the conversation went on
    assert one_line(r.stderr) == "voxterm: error: %s %s: File too large" % (flag, wav)
    assert r.returncode == 1
    # A file that fails at once fails at the start, in one line too.
    r = subprocess.run([BIN, "--url", "ws://127.0.0.1:1/", "--input-file", quiet_wav(tmp_path / "mic.wav"), flag,
                        "/dev/full"] + out, capture_output=True, text=True, env=clean_env(tmp_path), timeout=60)
    assert one_line(r.stderr) == "voxterm: error: %s /dev/full: No space left on device" % flag
    assert r.returncode == 2
