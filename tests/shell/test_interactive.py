"""Interactive mode (lines from stdin), completion, and the event command."""

from __future__ import annotations

import io
import threading
import time

import pytest

from pyvirt.shell import catalog
from pyvirt.shell.control import Control
from pyvirt.shell.interactive import Completer

from .harness import assert_same

URI = ["-c", "test:///default"]

SESSIONS = [
    "echo hi\nlist\nfoo\necho a; echo b\n\nquit\necho after\n",
    "dominfo x\ndomstate test\n",
    "cd /tmp\npwd\nconnect test:///default --readonly\ndestroy test\n",
    "snapshot-create-as test s1\nsnapshot-list test --name\nsnapshot-delete test s1\n",
    "echo 'unterminated\necho \"bad\nhelp uri\n",
]


@pytest.mark.parametrize("flags", [[], ["-q"], ["-r"]], ids=["plain", "quiet", "readonly"])
@pytest.mark.parametrize("session", SESSIONS)
def test_session(flags: list[str], session: str) -> None:
    assert_same([*flags, *URI], stdin=session)


@pytest.fixture()
def ctl():
    control = Control(catalog.load(), uri="test:///default")
    control.connect("test:///default", False)
    yield control
    control.close()


def test_complete_commands(ctl) -> None:
    got = Completer(ctl).candidates("snapshot-l", "snapshot-l")
    assert got == ["snapshot-list"]
    assert "dominfo" in Completer(ctl).candidates("", "")


def test_complete_options_skip_used(ctl) -> None:
    got = Completer(ctl).candidates("list --all --na", "--na")
    assert got == ["--name"]
    assert "--all" not in Completer(ctl).candidates("list --all --", "--")


def test_complete_domain_names(ctl) -> None:
    assert Completer(ctl).candidates("dominfo t", "t") == ["test"]
    assert Completer(ctl).candidates("dominfo --domain test ", "") == []


def test_complete_after_separator(ctl) -> None:
    assert Completer(ctl).candidates("list; dom", "dom") == sorted(
        n for n in catalog.load().commands if n.startswith("dom"))


def test_event_loop_prints_lifecycle_events() -> None:
    """Events from another connection of the same process reach ``event --loop``."""
    import pyvirt.connection as connection
    from pyvirt.shell.main import main

    out, err = io.StringIO(), io.StringIO()

    def act() -> None:
        time.sleep(0.5)
        conn = connection.open("test:///default")
        dom = conn.lookup_domain("test")
        dom.destroy()
        dom.start()
        conn.close()

    worker = threading.Thread(target=act)
    worker.start()
    import sys

    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        rc = main([*URI, "event --all --loop --timeout 2"])
    finally:
        sys.stdout, sys.stderr = saved
        worker.join()
    assert out.getvalue() == (
        "event 'lifecycle' for domain 'test': Stopped Destroyed\n"
        "event 'lifecycle' for domain 'test': Started Booted\n"
        "event loop timed out\nevents received: 2\n\n"
    )
    assert rc == 1  # virsh reports a wait that ended by timeout as a failure


def test_event_without_loop_stops_after_first() -> None:
    import sys

    import pyvirt.connection as connection
    from pyvirt.shell.main import main

    def act() -> None:
        time.sleep(0.5)
        conn = connection.open("test:///default")
        conn.lookup_domain("test").suspend()
        conn.close()

    worker = threading.Thread(target=act)
    worker.start()
    out = io.StringIO()
    saved = sys.stdout
    sys.stdout = out
    try:
        rc = main([*URI, "event --event lifecycle --timeout 5 --domain test"])
    finally:
        sys.stdout = saved
        worker.join()
    assert out.getvalue() == "event 'lifecycle' for domain 'test': Suspended Paused\nevents received: 1\n\n"
    assert rc == 0


def test_event_options_like_virsh() -> None:
    assert_same([*URI, "event --all --timeout 1; event --timeout 1; event --list; "
                 "event test --timeout 1 --event lifecycle; event --timeout 1 --event nosuch; "
                 "event --list --all"])


def test_terminal_completion_and_history(tmp_path) -> None:
    """On a real terminal: Tab completes domain names and options, Up recalls history, and the
    history file is written on exit."""
    import os
    import pty
    import select
    import sys

    pid, fd = pty.fork()
    if pid == 0:  # child: the shell on a pseudo-terminal
        os.environ["XDG_CACHE_HOME"] = str(tmp_path)
        os.execvp(sys.executable, [sys.executable, "-m", "pyvirt.shell.main", "-q", *URI])

    def read(expect: str, seconds: float = 10.0) -> str:
        """Output until ``expect`` shows up (or the time runs out)."""
        out, end = b"", time.time() + seconds
        while time.time() < end and expect.encode() not in out:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    out += os.read(fd, 4096)
                except OSError:
                    break
        return out.decode(errors="replace")

    try:
        assert read("virsh # ").endswith("virsh # ")
        os.write(fd, b"domstate t\t")
        assert read("domstate test").endswith("domstate test")
        os.write(fd, b" --rea\t")
        assert read("--reason").endswith("--reason")
        os.write(fd, b"\n")
        assert "running (" in read("virsh # ")
        os.write(fd, b"\x1b[A")  # Up: the previous line comes back
        assert "domstate test --reason" in read("domstate test --reason")
        os.write(fd, b"\x15quit\n")  # Ctrl-U clears it, then quit
        read("\n\n", 5)
    finally:
        os.waitpid(pid, 0)
        os.close(fd)
    history = (tmp_path / "pyvirsh" / "history").read_text()
    assert "domstate test --reason" in history


def test_net_and_pool_event_options_like_virsh() -> None:
    assert_same([*URI, "net-event --list; net-event --timeout 1 --event lifecycle; "
                 "net-event default --event lifecycle --timeout 1; pool-event --list; "
                 "pool-event --timeout 1 --event lifecycle; net-event --timeout 1; "
                 "pool-event --event nosuch --timeout 1; net-event --list --event lifecycle; "
                 "pool-event default-pool --event refresh --timeout 1"])


def test_net_event_loop_prints_lifecycle_events() -> None:
    import sys

    import pyvirt.connection as connection
    from pyvirt.shell.main import main

    def act() -> None:
        time.sleep(0.5)
        conn = connection.open("test:///default")
        net = conn.lookup_network_by_name("default")
        net.destroy()
        net.start()
        conn.close()

    worker = threading.Thread(target=act)
    worker.start()
    out = io.StringIO()
    saved = sys.stdout
    sys.stdout = out
    try:
        rc = main([*URI, "net-event --event lifecycle --loop --timeout 2"])
    finally:
        sys.stdout = saved
        worker.join()
    assert out.getvalue() == (
        "event 'lifecycle' for network default: Stopped\n"
        "event 'lifecycle' for network default: Started\n"
        "event loop timed out\nevents received: 2\n\n"
    )
    assert rc == 1
