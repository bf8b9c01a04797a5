"""cmake --install into a prefix, as a user would: a stripped binary, the manual page where man
finds it, and completions where bash, zsh and fish load them from."""

import os
import shutil
import subprocess

import pytest

from conftest import BIN

BUILD = os.path.dirname(os.path.abspath(BIN))


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    prefix = tmp_path_factory.mktemp("prefix")
    r = subprocess.run(["cmake", "--install", BUILD, "--prefix", str(prefix)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return prefix


def shell_env(prefix):
    """A user who installed into prefix: its bin on PATH, its share where data is looked for."""
    return {"PATH": "%s:%s" % (prefix / "bin", os.environ["PATH"]), "HOME": str(prefix),
            "LANG": "C", "XDG_DATA_DIRS": str(prefix / "share")}


def test_the_binary_is_installed_stripped(prefix):
    binary = prefix / "bin" / "voxterm"
    r = subprocess.run([str(binary), "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "voxterm" in r.stdout
    sections = subprocess.run(["readelf", "-S", "-W", str(binary)], capture_output=True,
                              text=True, check=True).stdout
    assert ".symtab" not in sections and ".debug_info" not in sections
    assert binary.stat().st_size < os.path.getsize(BIN)


@pytest.mark.skipif(shutil.which("man") is None, reason="needs man (man-db)")
def test_man_finds_the_manual_page(prefix):
    env = dict(shell_env(prefix), MANPATH=str(prefix / "share" / "man"), MANWIDTH="100")
    r = subprocess.run(["man", "-P", "cat", "voxterm"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    page = r.stdout
    assert "voxterm - talk with an OpenAI Realtime model from a terminal" in page
    for flag in ("--turn-per-input", "--no-speak", "--echo aec|aec-speex|gate|half-duplex|off",
                 "devices --test", "EXIT STATUS"):
        assert flag in page, flag
    # groff's own check: no warning of any kind.
    r = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z",
                        str(prefix / "share" / "man" / "man1" / "voxterm.1")],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == ""


BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


@pytest.mark.skipif(not os.path.exists(BASH_COMPLETION), reason="needs bash-completion")
def test_bash_completes_from_the_installed_file(prefix):
    # As an interactive bash does: bash-completion loads voxterm's file on first use, from
    # XDG_DATA_DIRS; then Tab is the completion function.
    script = """
source %s
_completion_loader voxterm
complete -p voxterm
COMP_WORDS=(voxterm --dia); COMP_CWORD=1; _voxterm; echo "[${COMPREPLY[*]}]"
COMP_WORDS=(voxterm --vad ''); COMP_CWORD=2; _voxterm; echo "[${COMPREPLY[*]}]"
COMP_WORDS=(voxterm dev); COMP_CWORD=1; _voxterm; echo "[${COMPREPLY[*]}]"
COMP_WORDS=(voxterm devices --js); COMP_CWORD=2; _voxterm; echo "[${COMPREPLY[*]}]"
""" % BASH_COMPLETION
    r = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True,
                       env=shell_env(prefix))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "complete -F _voxterm voxterm"
    assert lines[1:] == ["[--dialect]", "[server semantic off]", "[devices]", "[--json]"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="needs fish")
def test_fish_completes_from_the_installed_file(prefix):
    # fish finds it in XDG_DATA_DIRS' fish/vendor_completions.d, for a command on PATH.
    r = subprocess.run(["fish", "-c",
                        "complete -C 'voxterm --dia'; complete -C 'voxterm --echo '"],
                       capture_output=True, text=True, env=shell_env(prefix))
    assert r.returncode == 0, r.stderr
    lines = [line.split("\t")[0] for line in r.stdout.splitlines()]
    assert lines == ["--dialect", "aec", "aec-speex", "gate", "half-duplex", "off"]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="needs zsh")
def test_zsh_finds_the_completion_in_its_fpath(prefix):
    site = prefix / "share" / "zsh" / "site-functions"
    script = ("fpath=(%s $fpath); autoload -Uz compinit; compinit -u -d %s/.zcompdump; "
              "print -r -- $_comps[voxterm]" % (site, prefix))
    r = subprocess.run(["zsh", "-f", "-c", script], capture_output=True, text=True,
                       env=shell_env(prefix))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "_voxterm"
    assert subprocess.run(["zsh", "-n", str(site / "_voxterm")]).returncode == 0
