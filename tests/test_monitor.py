"""The QMP monitor client against a real QEMU 7.2 (``-S``, no guest), plus a fake peer for hangs.

What QEMU really does is asserted on the wire with a raw socket (events a command causes come
before its reply); the monitor is then held to it: ordered events, replies matched by id across
threads, EOF noticed at once when QEMU dies, and a monitor that stops answering times out with
libvirt's error instead of hanging the caller.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from guest.qemu import QemuProcess, qemu_available

from pyvirt._core import qmp
from pyvirt.drivers.qemu.monitor import Monitor
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError

pytestmark = [
    pytest.mark.skipif(not qemu_available(), reason="qemu-system-x86_64 is not installed"),
    pytest.mark.timeout(120),
]


@pytest.fixture(scope="module")
def qemu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[QemuProcess]:
    workdir = tmp_path_factory.mktemp("qemu-monitor")
    with QemuProcess(workdir, ["-S"], qmp_sockets=("mon.sock", "raw.sock")) as proc:
        yield proc


@pytest.fixture
def monitor(qemu: QemuProcess) -> Iterator[Monitor]:
    mon = Monitor.connect(qemu.qmp_path, timeout=10, name="t")
    yield mon
    mon.close()


@pytest.fixture
def own_qemu(tmp_path: Path) -> Iterator[QemuProcess]:
    """A QEMU this test may kill."""
    with QemuProcess(tmp_path, ["-S"]) as proc:
        yield proc


class RawQMP:
    """A bare socket client, to observe what QEMU itself sends."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(10)
        self.sock.connect(str(path))
        self.dec = qmp.Decoder()
        self.queue: list[qmp.Message] = []
        assert self.next().kind == qmp.KIND_GREETING
        self.send("qmp_capabilities", "caps")
        assert self.next().kind == qmp.KIND_RETURN

    def send(self, name: str, cid: object) -> None:
        self.sock.sendall(qmp.encode_command(name, None, cid))

    def next(self) -> qmp.Message:
        while not self.queue:
            data = self.sock.recv(65536)
            assert data, "QEMU closed the monitor"
            self.queue.extend(self.dec.feed(data))
        return self.queue.pop(0)

    def until_reply(self, cid: object) -> list[qmp.Message]:
        seen = []
        while True:
            msg = self.next()
            seen.append(msg)
            if msg.kind in (qmp.KIND_RETURN, qmp.KIND_ERROR) and msg.id == cid:
                return seen

    def close(self) -> None:
        self.sock.close()


# --- against the real QEMU ------------------------------------------------------------------------

def test_greeting_and_query_status(monitor: Monitor) -> None:
    assert monitor.qemu_version >= (7, 0, 0)
    assert monitor.error is None and not monitor.closed
    status = monitor.execute("query-status")
    assert status["status"] in ("prelaunch", "paused")
    assert status["running"] is False


def test_qemu_sends_stop_before_the_reply_of_stop(qemu: QemuProcess) -> None:
    raw = RawQMP(qemu.sockets[1])
    try:
        raw.send("cont", "c1")
        cont = raw.until_reply("c1")
        raw.send("stop", "s1")
        stop = raw.until_reply("s1")
    finally:
        raw.close()
    assert [m.name for m in cont if m.kind == qmp.KIND_EVENT] == ["RESUME"]
    assert [(m.kind, m.name) for m in stop] == [(qmp.KIND_EVENT, "STOP"), (qmp.KIND_RETURN, None)]


def test_events_are_dispatched_in_order(monitor: Monitor, qemu: QemuProcess) -> None:
    seen: list[tuple[str, dict, float | None]] = []
    mon = Monitor.connect(qemu.sockets[1], on_event=lambda n, d, t: seen.append((n, d, t)),
                          timeout=10, name="events")
    try:
        for _ in range(3):
            mon.execute("cont")
            mon.execute("stop")
        assert mon.flush_events(10)
    finally:
        mon.close()
    assert [n for n, _, _ in seen] == ["RESUME", "STOP"] * 3
    stamps = [t for _, _, t in seen]
    assert all(t is not None for t in stamps) and stamps == sorted(stamps)


def test_event_callback_may_issue_commands(qemu: QemuProcess) -> None:
    statuses: list[str] = []
    holder: dict[str, Monitor] = {}

    def on_event(name: str, data: dict, ts: float | None) -> None:
        statuses.append(holder["mon"].execute("query-status", timeout=5)["status"])

    mon = Monitor.connect(qemu.sockets[1], on_event=on_event, timeout=10, name="cb")
    holder["mon"] = mon
    try:
        mon.execute("cont")
        mon.execute("stop")
        assert mon.flush_events(10)
    finally:
        mon.close()
    assert len(statuses) == 2 and statuses[-1] == "paused"


def test_concurrent_execute_matches_replies_by_id(monitor: Monitor) -> None:
    # each thread runs a command whose reply has a distinctive shape, so a reply handed to the
    # wrong caller is caught
    checks = {
        "query-status": lambda r: "status" in r,
        "query-version": lambda r: "qemu" in r,
        "query-name": lambda r: isinstance(r, dict) and "status" not in r and "qemu" not in r,
        "query-target": lambda r: r.get("arch") == "x86_64",
        "query-kvm": lambda r: "enabled" in r,
        "query-commands": lambda r: isinstance(r, list) and len(r) > 50,
    }
    errors: list[str] = []
    barrier = threading.Barrier(len(checks))

    def work(name: str) -> None:
        barrier.wait()
        for _ in range(40):
            reply = monitor.execute(name, timeout=30)
            if not checks[name](reply):
                errors.append(f"{name} got {str(reply)[:80]}")

    threads = [threading.Thread(target=work, args=(n,)) for n in checks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_qmp_error_becomes_libvirt_internal_error(monitor: Monitor) -> None:
    with pytest.raises(VirtError) as info:
        monitor.execute("no-such-command")
    err = info.value
    assert err.code == ErrorNumber.INTERNAL_ERROR
    assert err.domain == ErrorDomain.QEMU
    assert str(err).startswith(
        "internal error: unable to execute QEMU command 'no-such-command': ")
    assert "no-such-command" in str(err).split(": ", 2)[2]
    assert err.qmp_class == "CommandNotFound"
    with pytest.raises(VirtError) as info:  # QEMU's class is kept for the driver to act on
        monitor.execute("qom-get", {"path": "/nonexistent", "property": "x"})
    assert info.value.qmp_class == "DeviceNotFound"
    assert "unable to execute QEMU command 'qom-get': " in str(info.value)
    assert monitor.execute("query-status")["running"] is False  # still usable


def test_command_passthrough(monitor: Monitor) -> None:
    reply = json.loads(monitor.command_passthrough('{"execute": "query-status"}'))
    assert reply["return"]["running"] is False and "id" in reply
    bad = json.loads(monitor.command_passthrough('{"execute":"nope","id":"mine"}'))
    assert bad["error"]["class"] == "CommandNotFound"  # returned, not raised
    for text in ("{not json", "[1]", '{"arguments": {}}'):
        with pytest.raises(VirtError) as info:
            monitor.command_passthrough(text)
        assert info.value.code == ErrorNumber.INTERNAL_ERROR


def test_human_passthrough(monitor: Monitor) -> None:
    assert "VM status" in monitor.human_passthrough("info status")


def test_eof_when_qemu_is_killed(own_qemu: QemuProcess) -> None:
    eof = threading.Event()
    mon = Monitor.connect(own_qemu.qmp_path, on_eof=eof.set, timeout=10, name="victim")
    try:
        assert mon.execute("query-status")
        # a command in flight when QEMU dies must fail with EOF, not wait for its timeout
        os.kill(own_qemu.pid, signal.SIGSTOP)
        result: dict[str, object] = {}

        def call() -> None:
            try:
                mon.execute("query-status", timeout=60)
            except VirtError as exc:
                result["err"] = exc

        t = threading.Thread(target=call)
        t.start()
        time.sleep(0.2)
        killed = time.monotonic()
        os.kill(own_qemu.pid, signal.SIGKILL)
        assert eof.wait(5)
        t.join(5)
        assert time.monotonic() - killed < 5
        assert "End of file from qemu monitor (vm='victim')" in str(result["err"])
        assert mon.closed
        assert "End of file" in str(mon.error)
        with pytest.raises(VirtError) as info:
            mon.execute("query-status")
        assert info.value.code == ErrorNumber.INTERNAL_ERROR
        assert "End of file from qemu monitor" in str(info.value)
    finally:
        mon.close()


def test_quit_reports_eof(own_qemu: QemuProcess) -> None:
    eof = threading.Event()
    mon = Monitor.connect(own_qemu.qmp_path, on_eof=eof.set, timeout=10)
    try:
        mon.execute("quit")
        assert eof.wait(5)
        assert own_qemu.proc is not None and own_qemu.proc.wait(10) == 0
    finally:
        mon.close()


def test_stopped_qemu_times_out_then_recovers(own_qemu: QemuProcess) -> None:
    mon = Monitor.connect(own_qemu.qmp_path, timeout=10)
    try:
        os.kill(own_qemu.pid, signal.SIGSTOP)
        t0 = time.monotonic()
        with pytest.raises(VirtError) as info:
            mon.execute("query-status", timeout=0.5)
        assert 0.4 < time.monotonic() - t0 < 3
        assert info.value.code == ErrorNumber.OPERATION_TIMEOUT
        assert str(info.value).startswith("Timed out during operation: ")
        os.kill(own_qemu.pid, signal.SIGCONT)
        # the late reply to the timed-out command is dropped; the next one gets its own
        assert mon.execute("query-version", timeout=10)["qemu"]["major"] >= 7
        assert "status" in mon.execute("query-status", timeout=10)
    finally:
        os.kill(own_qemu.pid, signal.SIGCONT)
        mon.close()


def test_close_is_quiet_and_final(qemu: QemuProcess) -> None:
    eof = threading.Event()
    mon = Monitor.connect(qemu.qmp_path, on_eof=eof.set, timeout=10)
    mon.close()
    mon.close()
    with pytest.raises(VirtError, match="closed"):
        mon.execute("query-status")
    assert not eof.wait(0.3)


def test_missing_socket_fails_fast(tmp_path: Path) -> None:
    t0 = time.monotonic()
    with pytest.raises(VirtError) as info:
        Monitor.connect(tmp_path / "absent.sock", timeout=0.3)
    assert time.monotonic() - t0 < 2
    assert info.value.code == ErrorNumber.SYSTEM_ERROR
    assert "monitor socket did not show up" in str(info.value)


# --- a fake peer, for what a healthy QEMU never does ------------------------------------------------

class FakePeer:
    """The far end of a socketpair speaking just enough QMP to get past the handshake."""

    def __init__(self, behaviour: str) -> None:
        self.ours, self.theirs = socket.socketpair()
        self.behaviour = behaviour
        self.received = b""
        self.commands: list[dict] = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.stop = threading.Event()
        self.thread.start()

    def run(self) -> None:
        s = self.theirs
        s.sendall(b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, '
                  b'"package": ""}, "capabilities": []}}\r\n')
        buf = b""
        while b"\n" not in buf:
            buf += s.recv(4096)
        s.sendall(b'{"return": {}, "id": 0}\r\n')
        if self.behaviour == "garbage":  # answer the first command with junk
            buf = b""
            while b"\n" not in buf:
                buf += s.recv(4096)
            s.sendall(b"this is not json\r\n")
        elif self.behaviour == "events":
            s.sendall(b"".join(b'{"event": "E%d", "data": {"n": %d}}\r\n' % (i, i)
                               for i in range(200)))
        if self.behaviour == "reverse2":  # answer commands two at a time, the second first
            self.answer_reversed(s)
            return
        if self.behaviour == "deaf":  # never reads again: our sends must not block forever
            self.stop.wait(30)
            return
        s.settimeout(0.2)
        while not self.stop.is_set():  # reads and ignores ("silent")
            try:
                data = s.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not data:
                return
            self.received += data

    def answer_reversed(self, s: socket.socket) -> None:
        dec = json.JSONDecoder()
        text = ""
        batch: list[dict] = []
        s.settimeout(0.2)
        while not self.stop.is_set():
            try:
                data = s.recv(65536)
            except TimeoutError:
                continue
            if not data:
                return
            text += data.decode()
            while text.strip():
                text = text.lstrip()
                try:
                    cmd, end = dec.raw_decode(text)
                except ValueError:
                    break
                text = text[end:]
                batch.append(cmd)
                self.commands.append(cmd)
            if len(batch) >= 2:
                for cmd in reversed(batch):
                    reply = {"return": {"echo": cmd["execute"]}}
                    if "id" in cmd:
                        reply["id"] = cmd["id"]
                    s.sendall(json.dumps(reply).encode() + b"\r\n")
                batch.clear()

    def monitor(self, **kw: object) -> Monitor:
        return Monitor.from_socket(self.ours, timeout=5, name="fake", **kw)  # type: ignore[arg-type]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.theirs.close()


@pytest.fixture
def peer_factory() -> Iterator[type[FakePeer]]:
    peers: list[FakePeer] = []

    def make(behaviour: str) -> FakePeer:
        p = FakePeer(behaviour)
        peers.append(p)
        return p

    yield make  # type: ignore[misc]
    for p in peers:
        p.close()


def test_silent_peer_times_out(peer_factory) -> None:  # type: ignore[no-untyped-def]
    mon = peer_factory("silent").monitor()
    try:
        for _ in range(2):
            t0 = time.monotonic()
            with pytest.raises(VirtError) as info:
                mon.execute("query-status", timeout=0.3)
            assert time.monotonic() - t0 < 2
            assert info.value.code == ErrorNumber.OPERATION_TIMEOUT
    finally:
        t0 = time.monotonic()
        mon.close()
        assert time.monotonic() - t0 < 2


def test_deaf_peer_cannot_block_a_sender(peer_factory) -> None:  # type: ignore[no-untyped-def]
    mon = peer_factory("deaf").monitor()
    try:
        big = {"command-line": "x" * (8 * 1024 * 1024)}  # far more than a socket buffer holds
        t0 = time.monotonic()
        with pytest.raises(VirtError) as info:
            mon.execute("human-monitor-command", big, timeout=0.5)
        assert time.monotonic() - t0 < 3
        assert info.value.code == ErrorNumber.OPERATION_TIMEOUT
        # part of the command went out: the stream is out of step, so the monitor hung up
        assert mon.closed
        with pytest.raises(VirtError, match="broken"):
            mon.execute("query-status", timeout=1)
    finally:
        mon.close()


def test_garbage_from_peer_hangs_up(peer_factory) -> None:  # type: ignore[no-untyped-def]
    eof = threading.Event()
    mon = peer_factory("garbage").monitor(on_eof=eof.set)
    try:
        with pytest.raises(VirtError) as info:
            mon.execute("query-status", timeout=5)
        assert info.value.code == ErrorNumber.INTERNAL_ERROR
        assert "protocol error" in str(info.value)
        assert eof.wait(5)
        assert mon.closed
        assert mon.error is not None and "protocol error" in str(mon.error)
    finally:
        mon.close()


def test_many_events_keep_their_order(peer_factory) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, int]] = []
    mon = peer_factory("events").monitor(on_event=lambda n, d, t: seen.append((n, d["n"])))
    try:
        deadline = time.monotonic() + 5
        while len(seen) < 200 and time.monotonic() < deadline:
            mon.flush_events(1)
            time.sleep(0.01)
        assert seen == [(f"E{i}", i) for i in range(200)]
    finally:
        mon.close()


def test_replies_are_matched_by_id_under_concurrency(peer_factory) -> None:  # type: ignore[no-untyped-def]
    # The peer answers in pairs, the second command first: only correct id matching (and order
    # matching for the one command sent without an id) gives each caller its own reply.
    peer = peer_factory("reverse2")
    mon = peer.monitor()
    results: dict[str, object] = {}

    def call(name: str) -> None:
        results[name] = mon.execute(name, timeout=10)

    try:
        first = threading.Thread(target=call, args=("cmd-a",))
        first.start()
        deadline = time.monotonic() + 5
        while not peer.commands and time.monotonic() < deadline:
            time.sleep(0.01)
        call("cmd-b")
        first.join(10)
        assert results == {"cmd-a": {"echo": "cmd-a"}, "cmd-b": {"echo": "cmd-b"}}
        # the lone first command went without an id; the one sent while it was in flight had one
        assert "id" not in peer.commands[0] and "id" in peer.commands[1]
    finally:
        mon.close()


def test_replies_never_go_to_the_wrong_caller_under_timeouts(own_qemu: QemuProcess) -> None:
    """Threads hammer one monitor while QEMU is frozen and thawed, so many commands time out and
    their replies arrive late: every reply that is returned must still answer its own command."""
    mon = Monitor.connect(own_qemu.qmp_path, timeout=10)
    shapes = {
        "query-status": lambda r: "status" in r,
        "query-version": lambda r: "qemu" in r,
        "query-target": lambda r: r.get("arch") == "x86_64",
        "query-kvm": lambda r: "enabled" in r,
    }
    stop = threading.Event()
    wrong: list[str] = []
    counts = {"ok": 0, "timeout": 0}

    def work(name: str) -> None:
        while not stop.is_set():
            try:
                reply = mon.execute(name, timeout=0.05)
            except VirtError as exc:
                assert exc.code == ErrorNumber.OPERATION_TIMEOUT, exc
                counts["timeout"] += 1
                continue
            counts["ok"] += 1
            if not shapes[name](reply):
                wrong.append(f"{name} got {str(reply)[:60]}")

    threads = [threading.Thread(target=work, args=(n,)) for n in shapes]
    for t in threads:
        t.start()
    try:
        for _ in range(6):
            time.sleep(0.15)
            os.kill(own_qemu.pid, signal.SIGSTOP)
            time.sleep(0.1)
            os.kill(own_qemu.pid, signal.SIGCONT)
        time.sleep(0.2)
    finally:
        stop.set()
        os.kill(own_qemu.pid, signal.SIGCONT)
        for t in threads:
            t.join(10)
    try:
        assert wrong == []
        assert counts["ok"] > 50 and counts["timeout"] > 0, counts
        assert "status" in mon.execute("query-status", timeout=10)  # still in step afterwards
    finally:
        mon.close()


def test_close_releases_a_caller_waiting_without_timeout(own_qemu: QemuProcess) -> None:
    mon = Monitor.connect(own_qemu.qmp_path, timeout=10)
    os.kill(own_qemu.pid, signal.SIGSTOP)
    errors: list[VirtError] = []

    def call() -> None:
        try:
            mon.execute("query-status", timeout=None)
        except VirtError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(2)]  # one reads, one waits
    try:
        for t in threads:
            t.start()
        time.sleep(0.3)
        t0 = time.monotonic()
        mon.close()
        for t in threads:
            t.join(5)
        assert not any(t.is_alive() for t in threads)
        assert time.monotonic() - t0 < 5
        assert len(errors) == 2
        assert all(e.code == ErrorNumber.INTERNAL_ERROR for e in errors)
    finally:
        os.kill(own_qemu.pid, signal.SIGCONT)
