"""A QEMU that dies while the monitor greets it: always libvirt's internal error, never OSError.

QEMU can exit (bad argv, missing file, killed) between creating its monitor socket and answering
``qmp_capabilities``. Depending on the instant, the client sees EOF in the greeting, EPIPE when
it sends ``qmp_capabilities``, or ECONNRESET; each must come out as VIR_ERR_INTERNAL_ERROR
"qemu unexpectedly closed the monitor (vm='...')", with the socket released. Fake peers play
QEMU's part at each of those instants; no QEMU is needed.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pyvirt.drivers.qemu.monitor import Monitor
from pyvirt.errors import ErrorDomain, ErrorNumber, InternalError

pytestmark = pytest.mark.timeout(60)

GREETING = (
    b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""},'
    b' "capabilities": ["oob"]}}\r\n'
)
EXPECTED = "internal error: qemu unexpectedly closed the monitor (vm='fake')"


def _assert_qemu_died(call: Callable[[], Monitor]) -> None:
    with pytest.raises(InternalError) as info:
        call()
    err = info.value
    assert (err.code, err.domain) == (ErrorNumber.INTERNAL_ERROR, ErrorDomain.QEMU)
    assert err.message.startswith(EXPECTED), err.message


def _reset(sock: socket.socket) -> None:
    """Close a TCP socket abortively: the peer gets RST, i.e. ECONNRESET."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize("sent", [b"", GREETING[:17], GREETING], ids=["nothing", "half-greeting", "greeting"])
def test_peer_closing_during_the_greeting(sent: bytes) -> None:
    # with the whole greeting sent, the peer is gone before qmp_capabilities: EPIPE on send
    ours, qemu = socket.socketpair()
    qemu.sendall(sent)
    qemu.close()
    _assert_qemu_died(lambda: Monitor.from_socket(ours, timeout=5, name="fake"))
    assert ours.fileno() == -1  # the monitor owns the socket and released it


@pytest.fixture
def tcp_pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A connected TCP pair on loopback (Unix sockets cannot be reset)."""
    listener = socket.create_server(("127.0.0.1", 0))
    ours = socket.create_connection(listener.getsockname(), timeout=5)
    qemu, _ = listener.accept()
    listener.close()
    yield ours, qemu
    ours.close()
    qemu.close()


@pytest.mark.parametrize("sent", [GREETING[:17], GREETING], ids=["half-greeting", "greeting"])
def test_peer_resetting_during_the_greeting(tcp_pair: tuple[socket.socket, socket.socket], sent: bytes) -> None:
    ours, qemu = tcp_pair
    qemu.sendall(sent)
    _reset(qemu)
    _assert_qemu_died(lambda: Monitor.from_socket(ours, timeout=5, name="fake"))


def test_peer_resetting_instead_of_answering_capabilities(tcp_pair: tuple[socket.socket, socket.socket]) -> None:
    ours, qemu = tcp_pair
    qemu.sendall(GREETING)

    def die_on_command() -> None:
        qemu.settimeout(10)
        qemu.recv(4096)  # qmp_capabilities arrived; QEMU dies instead of answering
        _reset(qemu)

    peer = threading.Thread(target=die_on_command, daemon=True)
    peer.start()
    _assert_qemu_died(lambda: Monitor.from_socket(ours, timeout=5, name="fake"))
    peer.join(10)


@pytest.mark.parametrize("after_greeting", [False, True], ids=["mid-greeting", "after-greeting"])
def test_connect_to_a_qemu_that_dies_in_the_handshake(tmp_path: Path, after_greeting: bool) -> None:
    """Through Monitor.connect on a Unix path, as the driver does after spawning QEMU."""
    path = tmp_path / "mon.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve() -> None:
        listener.settimeout(10)
        conn, _ = listener.accept()
        conn.sendall(GREETING if after_greeting else GREETING[:30])
        conn.close()

    peer = threading.Thread(target=serve, daemon=True)
    peer.start()
    try:
        _assert_qemu_died(lambda: Monitor.connect(path, timeout=5, name="fake"))
    finally:
        peer.join(10)
        listener.close()


def test_a_healthy_peer_still_completes_the_handshake() -> None:
    """The control case: the same fake, answering, yields a working monitor."""
    ours, qemu = socket.socketpair()
    qemu.sendall(GREETING)

    def answer() -> None:
        qemu.settimeout(10)
        data = qemu.recv(4096)
        assert b"qmp_capabilities" in data
        qemu.sendall(b'{"return": {}, "id": 0}\r\n')

    peer = threading.Thread(target=answer, daemon=True)
    peer.start()
    mon = Monitor.from_socket(ours, timeout=5, name="fake")
    try:
        peer.join(10)
        assert mon.qemu_version == (7, 2, 0)
    finally:
        mon.close()
        qemu.close()
