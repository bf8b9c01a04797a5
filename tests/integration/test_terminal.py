"""What a person sees in a real terminal: voxterm in tmux panes (tmux renders what voxterm
writes as a terminal would, and capture-pane reads the screen back), with real PortAudio over the
private PulseAudio of test_portaudio.py, against the mock."""

import os
import shlex
import shutil
import subprocess
import time

import pytest

from conftest import BIN, clean_env
from test_portaudio import Pulse, pulse, raw  # noqa: F401  (pulse is a fixture)
from test_voice import tone

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None or shutil.which("pulseaudio") is None,
                                reason="needs tmux and pulseaudio")


class Tmux:
    """A tmux server of its own, one window of the given size running one command."""

    def __init__(self, tmp_path, env, args, width, height=12, after=""):
        """after: shell words after voxterm's command (a pipe: "| tee x")."""
        self.socket = str(tmp_path / "tmux.sock")
        command = "env -i %s %s %s" % (
            " ".join(shlex.quote("%s=%s" % kv) for kv in env.items()),
            " ".join(shlex.quote(a) for a in [BIN] + args), after)
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height),
                  command + "; echo EXIT=$?; sleep 30")

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.socket, "-f", "/dev/null"] + list(args),
                              capture_output=True, text=True, timeout=10)

    def screen(self):
        return self.tmux("capture-pane", "-p").stdout

    def wait_for(self, text, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if text in self.screen():
                return True
            time.sleep(0.1)
        return False

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def close(self):
        self.tmux("kill-server")


@pytest.fixture
def terminal(tmp_path):
    made = []
    yield lambda *args, **kwargs: made.append(Tmux(tmp_path, *args, **kwargs)) or made[-1]
    for t in made:
        t.close()


def status_lines(screen):
    return [line for line in screen.splitlines() if "\u25cf" in line]


def test_the_status_line_never_piles_up_in_a_narrow_pane_and_follows_a_resize(
        pulse, mock, tmp_path, terminal):
    mic = tmp_path / "mic.raw"
    mic.write_bytes(raw(tone(60000)))
    pulse.devices(str(mic), str(tmp_path / "played.raw"))
    m = mock()
    env = dict(clean_env(tmp_path, extra=dict(pulse.env, NO_COLOR="1")), TERM="xterm-256color")
    t = terminal(env, ["--ptt", "--url", m.url()], width=40)
    assert t.wait_for("press space"), t.screen()
    t.keys("Space")  # a take: the meter moves with the tone, and the line is redrawn
    assert t.wait_for("recording"), t.screen()
    time.sleep(2)
    screen = t.screen()
    assert len(status_lines(screen)) == 1, screen
    assert all(len(line) < 40 for line in screen.splitlines()), screen
    t.keys("Escape")  # the take dropped: back to the long hint, cut to the width
    assert t.wait_for("press space"), t.screen()
    t.tmux("resize-window", "-x", "28")
    time.sleep(1.5)
    screen = t.screen()
    lines = status_lines(screen)
    assert len(lines) == 1, screen
    assert len(lines[0]) < 28 and lines[0].endswith("\u2026"), screen
    t.keys("q")
