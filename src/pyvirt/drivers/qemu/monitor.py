"""QMP client: one connection to one QEMU's monitor socket, shared by many threads.

Why this shape: the driver issues commands from any API thread while QEMU pushes events at any
time, and a monitor round trip is on the path of nearly every API call. Whoever holds the
monitor's I/O lock reads the socket:

* a caller that finds the I/O lock free sends its command and reads the reply itself (no thread
  hand-off: the round trip costs what a bare socket costs, plus the decoding);
* while nobody is executing, a watcher thread waits on the socket with epoll (one-shot, disarmed
  while a caller reads) so events and EOF are seen at once;
* a caller that finds another thread reading sends its command and sleeps on its own lock until
  the reader hands it the reply with its id; so commands from several threads may be in flight.

Framing and JSON decoding happen in the compiled core (``pyvirt._core.qmp``).

Stable API (relied on by the QEMU driver):

``Monitor.connect(path, *, on_event=None, on_eof=None, timeout=30.0, name=None) -> Monitor``
    Connect to the Unix socket ``path`` (retrying while QEMU has not created it yet, up to
    ``timeout`` seconds), read the greeting, negotiate ``qmp_capabilities``, start the threads.
``Monitor.from_socket(sock, *, on_event=None, on_eof=None, timeout=30.0, name=None)``
    The same over an already connected socket (a socketpair end, an fd passed to QEMU).
``monitor.execute(name, arguments=None, timeout=DEFAULT_TIMEOUT) -> dict | list | ...``
    Run a command and return its ``return`` value. A QMP error raises ``InternalError``
    ("internal error: unable to execute QEMU command 'x': <desc>") with ``.qmp_class`` set to
    QEMU's error class. No reply within ``timeout`` raises ``OperationTimeoutError``; the caller
    never hangs (sending is time-boxed too). After EOF every call raises ``InternalError``
    "End of file from qemu monitor (vm='<name>')".
``monitor.command_passthrough(json_text, timeout=...) -> str``
    libvirt's ``qemu-monitor-command``: send a raw JSON command, return QEMU's reply as compact
    JSON text (an error reply is returned, not raised). ``human_passthrough(text) -> str`` runs
    an HMP command through ``human-monitor-command``.
``monitor.flush_events(timeout=...) -> bool``
    Wait until every event received so far has been handed to ``on_event``.
``monitor.close()``
    Idempotent; does not call ``on_eof``.

Events: ``on_event(name: str, data: dict, timestamp: float | None)`` is called from a dispatcher
thread, one event at a time, in the order QEMU sent them. QEMU sends the events a command causes
before that command's reply (``STOP`` before ``stop``'s return), but the callback runs on its own
thread, so it may still be running when ``execute`` returns: call ``flush_events()`` when the
caller needs the callback to have seen them. ``on_eof()`` is called once, on the same thread,
after the last event, as soon as the peer closes the socket (QEMU exited or was killed), or when
the stream becomes unusable (garbage from QEMU, a command cut short): ``monitor.error`` says
which. Callbacks may call ``execute`` (they never run on a thread that reads the socket).
"""

from __future__ import annotations

import errno
import itertools
import json
import os
import queue
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from pyvirt._core import qmp
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError, virt_error

__all__ = ["DEFAULT_TIMEOUT", "Monitor", "EventCallback", "EofCallback"]

DEFAULT_TIMEOUT = 30.0
_RECV_SIZE = 256 * 1024

EventCallback = Callable[[str, dict, "float | None"], None]
EofCallback = Callable[[], None]

_KIND_RETURN = qmp.KIND_RETURN
_KIND_ERROR = qmp.KIND_ERROR
_KIND_EVENT = qmp.KIND_EVENT
_FLUSH = object()
_ARMED = int(select.EPOLLIN | select.EPOLLONESHOT)
_SEND_FLAGS = int(socket.MSG_DONTWAIT | socket.MSG_NOSIGNAL)
_DONTWAIT = int(socket.MSG_DONTWAIT)
_EOF = object()


def _qemu_error(code: int, detail: str) -> VirtError:
    return virt_error(code, detail, domain=ErrorDomain.QEMU)


class _Pending:
    """A command waiting for its reply: the caller sleeps on ``lock`` until a reader releases it.

    ``cid`` is the id sent with the command, or None for a command sent without one (matched by
    order). A caller that timed out leaves its entry in place so the late reply still finds it.
    """

    __slots__ = ("lock", "reply", "error", "cid")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.reply: qmp.Message | None = None
        self.error: VirtError | None = None
        self.cid: int | None = None


class Monitor:
    """A connected QMP monitor; build it with :meth:`connect`."""

    def __init__(self, sock: socket.socket, *, name: str | None,
                 on_event: EventCallback | None, on_eof: EofCallback | None) -> None:
        self._sock = sock
        self._fd = sock.fileno()
        self.name = name or "unknown"
        self._on_event = on_event
        self._on_eof = on_eof
        self._decoder = qmp.Decoder()
        self._ids = itertools.count(1)
        self._inflight: deque[_Pending] = deque()  # commands sent, in send order
        self._by_id: dict[int, _Pending] = {}
        self._free_ids: list[int] = []
        self._state = threading.Lock()    # guards _inflight/_by_id and the hang-up
        self._send_lock = threading.Lock()
        self._io_lock = threading.Lock()  # held by the one thread reading the socket
        self._poll = select.poll()        # used only by the I/O lock holder
        self._poll.register(self._fd, select.POLLIN)
        self._epoll: select.epoll | None = None
        self._wake_r = self._wake_w = -1
        self._eof_error: VirtError | None = None
        self._closing = False
        self._closed = False
        self._events: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.greeting: dict = {}
        self._watcher: threading.Thread | None = None
        self._dispatcher: threading.Thread | None = None

    # --- set-up -------------------------------------------------------------------------------

    @classmethod
    def connect(cls, path: str | os.PathLike[str], *, on_event: EventCallback | None = None,
                on_eof: EofCallback | None = None, timeout: float = DEFAULT_TIMEOUT,
                name: str | None = None) -> Monitor:
        """Connect, read the greeting, enter command mode and start the watcher."""
        deadline = time.monotonic() + timeout
        path = os.fspath(path)
        delay = 0.005
        while True:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            try:
                sock.settimeout(max(0.001, deadline - time.monotonic()))
                sock.connect(path)
                break
            except (FileNotFoundError, ConnectionRefusedError) as exc:
                sock.close()
                if time.monotonic() + delay >= deadline:
                    raise virt_error(ErrorNumber.SYSTEM_ERROR,
                                     f"monitor socket did not show up: {exc.strerror}",
                                     domain=ErrorDomain.QEMU) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.1)
            except OSError as exc:
                sock.close()
                raise virt_error(ErrorNumber.SYSTEM_ERROR,
                                 f"failed to connect to monitor socket: {exc.strerror or exc}",
                                 domain=ErrorDomain.QEMU) from None
        return cls.from_socket(sock, on_event=on_event, on_eof=on_eof,
                               timeout=max(0.0, deadline - time.monotonic()), name=name)

    @classmethod
    def from_socket(cls, sock: socket.socket, *, on_event: EventCallback | None = None,
                    on_eof: EofCallback | None = None, timeout: float = DEFAULT_TIMEOUT,
                    name: str | None = None) -> Monitor:
        """Take over an already connected stream socket (e.g. one end of a socketpair handed
        to QEMU as ``-chardev socket,fd=N``): handshake, then start the threads. The monitor owns
        the socket from now on and closes it, also when the handshake fails."""
        deadline = time.monotonic() + timeout
        mon = cls(sock, name=name, on_event=on_event, on_eof=on_eof)
        try:
            mon._handshake(deadline)
        except BaseException:
            mon._closing = mon._closed = True
            sock.close()
            raise
        sock.settimeout(None)
        mon._start_threads()
        return mon

    def _read_one(self, deadline: float, early: list[qmp.Message]) -> qmp.Message:
        """Synchronous read used during the handshake, before the threads exist."""
        while not early:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _qemu_error(ErrorNumber.OPERATION_TIMEOUT,
                                  "QEMU monitor did not send its greeting")
            try:
                self._sock.settimeout(remaining)
                data = self._sock.recv(_RECV_SIZE)
            except TimeoutError:
                continue
            except OSError as exc:
                raise self._handshake_failure("read from", exc) from None
            if not data:
                raise _qemu_error(ErrorNumber.INTERNAL_ERROR,
                                  f"qemu unexpectedly closed the monitor (vm='{self.name}')")
            try:
                early.extend(self._decoder.feed(data))
            except qmp.QMPProtocolError as exc:
                raise _qemu_error(ErrorNumber.INTERNAL_ERROR,
                                  f"QEMU monitor protocol error: {exc}") from None
        return early.pop(0)

    def _handshake_failure(self, what: str, exc: OSError) -> VirtError:
        """A socket error while QEMU is being greeted is libvirt's internal error, never a raw
        OSError: the peer hanging up (QEMU died during start-up: EPIPE, ECONNRESET) reads as
        "qemu unexpectedly closed the monitor", anything else names the failed read or write."""
        reason = exc.strerror or str(exc) or type(exc).__name__
        if exc.errno in (errno.EPIPE, errno.ECONNRESET, errno.ECONNABORTED, errno.ENOTCONN):
            text = f"qemu unexpectedly closed the monitor (vm='{self.name}'): {reason}"
        else:
            text = f"Unable to {what} monitor (vm='{self.name}'): {reason}"
        return _qemu_error(ErrorNumber.INTERNAL_ERROR, text)

    def _handshake(self, deadline: float) -> None:
        early: list[qmp.Message] = []
        greeting = self._read_one(deadline, early)
        if greeting.kind != qmp.KIND_GREETING:
            raise _qemu_error(ErrorNumber.INTERNAL_ERROR,
                              f"unexpected QMP greeting: {greeting.obj!r}")
        self.greeting = greeting.value
        try:
            self._sock.settimeout(max(0.001, deadline - time.monotonic()))
            self._sock.sendall(qmp.encode_command("qmp_capabilities", None, 0))
        except TimeoutError:
            raise _qemu_error(ErrorNumber.OPERATION_TIMEOUT,
                              "QEMU monitor did not accept qmp_capabilities") from None
        except OSError as exc:
            raise self._handshake_failure("write to", exc) from None
        while True:
            msg = self._read_one(deadline, early)
            if msg.kind == _KIND_EVENT:
                self._events.put(msg)
                continue
            if msg.kind == _KIND_ERROR:
                raise _qemu_error(ErrorNumber.INTERNAL_ERROR,
                                  f"unable to execute QEMU command 'qmp_capabilities': {msg.desc}")
            if msg.kind == _KIND_RETURN:
                break
        for msg in early:  # events that raced in behind the capabilities reply
            if msg.kind == _KIND_EVENT:
                self._events.put(msg)

    def _start_threads(self) -> None:
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._epoll = select.epoll()
        self._epoll.register(self._wake_r, select.EPOLLIN)
        self._epoll.register(self._fd, _ARMED)
        self._dispatcher = threading.Thread(target=self._dispatch_loop, daemon=True,
                                            name=f"qmp-events-{self.name}")
        self._watcher = threading.Thread(target=self._watch_loop, daemon=True,
                                         name=f"qmp-watch-{self.name}")
        self._dispatcher.start()
        self._watcher.start()

    # --- properties -----------------------------------------------------------------------------

    @property
    def qemu_version(self) -> tuple[int, int, int]:
        v = self.greeting.get("version", {}).get("qemu", {})
        return (v.get("major", 0), v.get("minor", 0), v.get("micro", 0))

    @property
    def closed(self) -> bool:
        """True once the monitor was closed locally or the peer hung up."""
        return self._closed or self._eof_error is not None

    @property
    def error(self) -> VirtError | None:
        """Why the monitor stopped working: EOF ("End of file from qemu monitor"), a read
        error, a protocol error (QEMU sent garbage) or a command cut short; None while usable.
        ``on_eof`` is called for each of these: the driver can tell them apart here."""
        return self._eof_error

    # --- commands ------------------------------------------------------------------------------

    def execute(self, name: str, arguments: dict | None = None,
                timeout: float | None = DEFAULT_TIMEOUT) -> Any:
        """Run QMP command ``name``; return its ``return`` value or raise a VirtError."""
        # an empty arguments object is what QEMU assumes anyway: don't pay ~5 us a byte for it
        msg = self._roundtrip(name, arguments or None, timeout)
        if msg.kind == _KIND_ERROR:
            err = _qemu_error(ErrorNumber.INTERNAL_ERROR,
                              f"unable to execute QEMU command '{name}': {msg.desc}")
            err.qmp_class = msg.error_class  # type: ignore[attr-defined]
            raise err
        return msg.value

    def command_passthrough(self, json_text: str, timeout: float | None = DEFAULT_TIMEOUT) -> str:
        """Send a raw JSON command (libvirt's qemu-monitor-command); return the raw reply."""
        try:
            cmd = json.loads(json_text)
        except ValueError as exc:
            raise _qemu_error(ErrorNumber.INTERNAL_ERROR,
                              f"cannot parse json {json_text}: {exc}") from None
        if not isinstance(cmd, dict) or not isinstance(cmd.get("execute"), str):
            raise _qemu_error(ErrorNumber.INTERNAL_ERROR,
                              f"cannot parse json {json_text}: not a QMP command object")
        msg = self._roundtrip(cmd["execute"], None, timeout, raw=cmd)
        return json.dumps(msg.obj, separators=(",", ":"))

    def human_passthrough(self, text: str, timeout: float | None = DEFAULT_TIMEOUT) -> str:
        """Run an HMP command line and return its text output."""
        out = self.execute("human-monitor-command", {"command-line": text}, timeout)
        return out if isinstance(out, str) else ""

    def _roundtrip(self, name: str, arguments: dict | None, timeout: float | None,
                   raw: dict | None = None) -> qmp.Message:
        """Send a command and return its reply (a return or an error message)."""
        if self._closed:
            raise _qemu_error(ErrorNumber.INTERNAL_ERROR, "QEMU monitor was closed")
        if self._eof_error is not None:
            raise self._eof_error
        pending = _Pending()
        deadline = None if timeout is None else time.monotonic() + timeout
        if self._io_lock.acquire(blocking=False):
            # fast path: nobody is reading, so this thread reads its own reply
            try:
                self._send_command(pending, name, arguments, raw, deadline)
                self._lead(pending, deadline, name, timeout)
            finally:
                self._release_io()
        else:
            self._send_command(pending, name, arguments, raw, deadline)
            if deadline is None:
                pending.lock.acquire()
            elif not pending.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise self._timeout_error(name, timeout)
        if pending.reply is not None:
            return pending.reply
        assert pending.error is not None
        raise pending.error

    def _timeout_error(self, name: str, timeout: float | None) -> VirtError:
        return _qemu_error(ErrorNumber.OPERATION_TIMEOUT,
                           f"QEMU monitor did not reply to '{name}' within {timeout:g} seconds")

    def _lead(self, pending: _Pending, deadline: float | None, name: str,
              timeout: float | None) -> None:
        """Holding the I/O lock, after sending: read until our reply (or an error) is in."""
        epoll = self._epoll
        if epoll is not None:
            epoll.modify(self._fd, 0)  # keep the watcher asleep while we read
        recv = self._sock.recv
        poll = self._poll.poll
        while pending.reply is None and pending.error is None:
            if deadline is None:
                ready = poll()
            else:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timeout_error(name, timeout)
                ready = poll(max(1, int(remaining * 1000 + 0.999)))
                if not ready:
                    continue
            try:
                chunk = recv(_RECV_SIZE, _DONTWAIT)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as exc:
                self._hang_up(self._read_failure(exc))
                break
            if not chunk or not self._consume(chunk):
                self._hang_up(None if not chunk else self._protocol_reason)
                break

    def _release_io(self) -> None:
        epoll = self._epoll
        if epoll is not None and self._eof_error is None and not self._closed:
            try:
                epoll.modify(self._fd, _ARMED)
            except (OSError, ValueError):
                pass
        self._io_lock.release()

    def _send_command(self, pending: _Pending, name: str, arguments: dict | None,
                      raw: dict | None, deadline: float | None) -> None:
        """Register ``pending`` and write its command.

        QEMU answers in-band commands strictly in the order it receives them, so a command sent
        while no other is in flight goes without an id and its reply (which then has no id) is
        matched by order, like libvirt does. Every command sent while others are in flight, and
        every passthrough command, carries an id and its reply is matched by id. (QEMU reads its
        monitor one byte per main-loop iteration, so each byte of a command costs ~5 us: the id
        is a measurable part of a round trip.)
        """
        with self._send_lock:
            with self._state:
                if self._closed:
                    raise _qemu_error(ErrorNumber.INTERNAL_ERROR, "QEMU monitor was closed")
                if self._eof_error is not None:
                    raise self._eof_error
                if self._inflight or raw is not None:
                    # ids are recycled once their reply is in, so they stay one or two digits
                    cid = self._free_ids.pop() if self._free_ids else next(self._ids)
                    pending.cid = cid
                    self._by_id[cid] = pending
                else:
                    cid = None
                self._inflight.append(pending)
            if raw is None:
                data = qmp.encode_command(name, arguments, cid)
            else:
                raw["id"] = cid
                data = (json.dumps(raw, separators=(",", ":")) + "\r\n").encode()
            try:
                self._write(data, deadline, name)
            except VirtError as exc:
                self._unsend(pending, getattr(exc, "bytes_sent", 0))
                raise
            except BaseException:  # interrupted mid-write: how much went out is unknown
                self._unsend(pending, len(data))
                raise

    def _unsend(self, pending: _Pending, sent: int) -> None:
        """A write failed: forget the command, or hang up if QEMU got part of it (the stream
        would be out of step: the next command would be glued to the partial one)."""
        if sent > 0:
            self._hang_up(f"QEMU monitor is broken: a command to '{self.name}' was cut short")
            return
        with self._state:
            try:
                self._inflight.remove(pending)
            except ValueError:
                pass
            if pending.cid is not None and self._by_id.pop(pending.cid, None) is not None:
                self._free_ids.append(pending.cid)

    def _write(self, data: bytes, deadline: float | None, name: str) -> None:
        """Write all of ``data`` (under the send lock). A peer that stops reading cannot block
        us past ``deadline``. Errors carry ``bytes_sent`` (what QEMU got before the failure)."""
        view = memoryview(data)
        total = len(data)
        sent = 0
        while sent < total:
            try:
                sent += self._sock.send(view[sent:], _SEND_FLAGS)
                continue
            except BlockingIOError:
                pass
            except OSError as exc:
                err = self._eof_error or _qemu_error(
                    ErrorNumber.INTERNAL_ERROR,
                    f"Unable to write to monitor: {exc.strerror or exc}")
                err.bytes_sent = sent  # type: ignore[attr-defined]
                raise err from None
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                err = _qemu_error(ErrorNumber.OPERATION_TIMEOUT,
                                  f"QEMU monitor did not accept '{name}' within the timeout")
                err.bytes_sent = sent  # type: ignore[attr-defined]
                raise err
            poller = select.poll()
            poller.register(self._fd, select.POLLOUT)
            poller.poll(None if remaining is None else max(1, int(remaining * 1000)))

    # --- reading (by the I/O lock holder) --------------------------------------------------------

    _protocol_reason: str | None = None

    def _consume(self, data: bytes) -> bool:
        """Decode received bytes; hand replies to their callers and queue events.

        False when the stream is corrupt (the reason is kept in ``_protocol_reason``).
        """
        try:
            msgs = self._decoder.feed(data)
        except qmp.QMPProtocolError as exc:
            self._protocol_reason = f"QEMU monitor protocol error: {exc}"
            return False
        for msg in msgs:
            kind = msg.kind
            if kind == _KIND_RETURN or kind == _KIND_ERROR:
                waiter = self._match(msg.id)
                if waiter is not None:
                    waiter.reply = msg
                    waiter.lock.release()
            elif kind == _KIND_EVENT:
                self._events.put(msg)
        return True

    def _match(self, cid: object) -> _Pending | None:
        """The command a reply answers: by id, or else the oldest command sent without one."""
        with self._state:
            inflight = self._inflight
            if cid is not None:
                waiter = self._by_id.pop(cid, None)  # type: ignore[call-overload]
                if waiter is None:
                    return None  # not ours (or already failed): drop it
                self._free_ids.append(cid)  # type: ignore[arg-type]
                if inflight[0] is waiter:
                    inflight.popleft()
                else:
                    inflight.remove(waiter)
                return waiter
            for waiter in inflight:
                if waiter.cid is None:
                    break
            else:
                return None
            if inflight[0] is waiter:
                inflight.popleft()
            else:
                inflight.remove(waiter)
            return waiter

    @staticmethod
    def _read_failure(exc: OSError) -> str | None:
        if exc.errno in (errno.ECONNRESET, errno.EBADF, errno.ENOTCONN, errno.EPIPE):
            return None
        return f"Unable to read from monitor: {exc.strerror or exc}"

    def _watch_loop(self) -> None:
        """Read whenever data arrives while no caller is reading (events, EOF, late replies)."""
        epoll = self._epoll
        assert epoll is not None
        fd, wake = self._fd, self._wake_r
        while True:
            try:
                ready = epoll.poll()
            except InterruptedError:
                continue
            except (OSError, ValueError):  # epoll closed under us
                return
            if any(rfd == wake for rfd, _ in ready) or self._closed:
                return
            with self._io_lock:
                if self._eof_error is not None:
                    return
                try:
                    chunk = self._sock.recv(_RECV_SIZE, _DONTWAIT)
                except (BlockingIOError, InterruptedError):
                    chunk = None  # a caller read it first
                except OSError as exc:
                    self._hang_up(self._read_failure(exc))
                    return
                if chunk is not None:
                    if not chunk:
                        self._hang_up(None)
                        return
                    if not self._consume(chunk):
                        self._hang_up(self._protocol_reason)
                        return
                try:
                    epoll.modify(fd, _ARMED)
                except (OSError, ValueError):
                    return

    def _hang_up(self, reason: str | None) -> None:
        """The stream ended (EOF, read error, garbage): fail every waiter, then signal EOF once."""
        err = _qemu_error(ErrorNumber.INTERNAL_ERROR,
                          reason or f"End of file from qemu monitor (vm='{self.name}')")
        with self._state:
            if self._eof_error is not None:
                return
            self._eof_error = err
            waiters = list(self._inflight)
            self._inflight.clear()
            self._by_id.clear()
        for waiter in waiters:
            waiter.error = err
            waiter.lock.release()
        self._events.put(_EOF)

    # --- event dispatch ----------------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while True:
            item = self._events.get()
            if item is _EOF:
                if not self._closing and self._on_eof is not None:
                    try:
                        self._on_eof()
                    except Exception:  # noqa: BLE001 - a callback bug must not kill dispatch
                        pass
                return
            if isinstance(item, tuple):  # flush marker: (_FLUSH, lock)
                item[1].release()
                continue
            if self._on_event is not None and not self._closing:
                try:
                    self._on_event(item.name, item.value, item.timestamp)
                except Exception:  # noqa: BLE001
                    pass

    def flush_events(self, timeout: float = DEFAULT_TIMEOUT) -> bool:
        """Block until every event received so far was dispatched; False on timeout."""
        if self._dispatcher is None or not self._dispatcher.is_alive():
            return True
        if threading.current_thread() is self._dispatcher:
            return True
        done = threading.Lock()
        done.acquire()
        self._events.put((_FLUSH, done))
        if done.acquire(timeout=timeout):
            return True
        return not self._dispatcher.is_alive()

    # --- teardown ------------------------------------------------------------------------------

    def close(self) -> None:
        """Disconnect. Pending commands fail; ``on_eof`` is not called."""
        with self._state:
            if self._closed:
                return
            self._closed = True
            self._closing = True
        if self._wake_w >= 0:
            os.write(self._wake_w, b"x")
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        current = threading.current_thread()
        if self._watcher is not None and self._watcher is not current:
            self._watcher.join(timeout=5)
        # wake anyone still waiting, and stop the dispatcher
        self._hang_up("QEMU monitor was closed")
        if self._dispatcher is not None and self._dispatcher is not current:
            self._dispatcher.join(timeout=5)
        with self._io_lock:  # a caller reading now sees the error and leaves
            self._sock.close()
            if self._epoll is not None:
                self._epoll.close()
            for fd in (self._wake_r, self._wake_w):
                if fd >= 0:
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"<Monitor {self.name} {state}>"
