# cython: language_level=3, boundscheck=False, wraparound=False
"""QMP framing and decoding: bytes from a QEMU monitor socket in, classified messages out.

Why in the core: every reply and event of every guest passes through here, so the per-message
cost (line splitting, JSON decoding, classification) is kept to a few C calls. The module knows
nothing of sockets or threads; ``pyvirt.drivers.qemu.monitor`` drives it.

QEMU writes one compact JSON object per line, terminated by CRLF. ``Decoder.feed`` accepts any
chunking of that stream (several messages per read, a message split over reads, LF or CRLF) and
returns the complete messages in order. A line longer than ``MAX_LINE`` (10 MiB, libvirt's
limit) raises ``FrameTooLarge`` instead of buffering without bound.

JSON decoding uses orjson when it is importable (measured ~2x faster than the json module's C
scanner on small replies, ~1.5x on the 470 KiB schema), else the json module's C scanner called
directly (3x faster than ``json.loads``, which adds regex whitespace handling per call).
orjson's one difference, integers beyond 64 bits decoded as floats, cannot arise: QEMU's numbers
are int64, uint64 or double (QNum).
"""

import json as _json
from json.decoder import JSONDecoder as _JSONDecoder

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - depends on the host
    _orjson = None

cdef object _scan_once = _JSONDecoder().scan_once
cdef object _orjson_loads = _orjson.loads if _orjson is not None else None
cdef object _dumps = _json.JSONEncoder(separators=(",", ":")).encode
from json.encoder import encode_basestring_ascii as _enc_str

MAX_LINE = 10 * 1024 * 1024

KIND_GREETING = 0
KIND_RETURN = 1
KIND_ERROR = 2
KIND_EVENT = 3
KIND_COMMAND = 4
KIND_OTHER = 5

KIND_NAMES = ("greeting", "return", "error", "event", "command", "other")

HAVE_ORJSON = _orjson is not None


class QMPProtocolError(ValueError):
    """The peer sent something that is not QMP (bad JSON, not an object). The stream is unusable."""


class FrameTooLarge(QMPProtocolError):
    """A line exceeded the size cap; the buffered bytes were dropped."""


cdef class Message:
    """One QMP message from the server, classified.

    kind:        KIND_GREETING / KIND_RETURN / KIND_ERROR / KIND_EVENT (KIND_COMMAND for a
                 client's ``execute``, as found in recorded sessions; KIND_OTHER otherwise)
    id:          the command id a return/error answers (None when absent)
    value:       return value; greeting's "QMP" object; event data ({} when absent);
                 the error object for errors
    name:        event name, or command name for KIND_COMMAND
    error_class: QMP error class ("GenericError", "CommandNotFound", ...)
    desc:        QMP error description
    timestamp:   event time in seconds since the epoch (float), None when absent
    obj:         the whole decoded object
    """

    @property
    def kind_name(self):
        return KIND_NAMES[self.kind]

    def __repr__(self):
        if self.kind == KIND_EVENT:
            return f"<QMP event {self.name} {self.value!r}>"
        if self.kind == KIND_ERROR:
            return f"<QMP error id={self.id!r} {self.error_class}: {self.desc}>"
        return f"<QMP {KIND_NAMES[self.kind]} id={self.id!r} {self.value!r}>"


cdef Message _classify(object obj):
    cdef Message m
    cdef object v
    if type(obj) is not dict:
        raise QMPProtocolError(f"QMP message is not a JSON object: {str(obj)[:200]!r}")
    m = Message.__new__(Message)
    m.obj = obj
    m.id = (<dict>obj).get("id")
    v = (<dict>obj).get("return", _MISSING)
    if v is not _MISSING:
        m.kind = KIND_RETURN
        m.value = v
        return m
    v = (<dict>obj).get("event", _MISSING)
    if v is not _MISSING:
        m.kind = KIND_EVENT
        m.name = v
        m.value = (<dict>obj).get("data", None)
        if m.value is None:
            m.value = {}
        ts = (<dict>obj).get("timestamp")
        if type(ts) is dict:
            try:
                m.timestamp = ts["seconds"] + ts.get("microseconds", 0) / 1e6
            except (KeyError, TypeError):
                m.timestamp = None
        return m
    v = (<dict>obj).get("error", _MISSING)
    if v is not _MISSING:
        m.kind = KIND_ERROR
        m.value = v
        if type(v) is dict:
            m.error_class = (<dict>v).get("class")
            m.desc = (<dict>v).get("desc")
        else:
            m.desc = str(v)
        return m
    v = (<dict>obj).get("QMP", _MISSING)
    if v is not _MISSING:
        m.kind = KIND_GREETING
        m.value = v
        return m
    v = (<dict>obj).get("execute", _MISSING)
    if v is _MISSING:
        v = (<dict>obj).get("exec-oob", _MISSING)
    if v is not _MISSING:
        m.kind = KIND_COMMAND
        m.name = v
        m.value = (<dict>obj).get("arguments")
        return m
    m.kind = KIND_OTHER
    m.value = obj
    return m


cdef object _MISSING = object()


cdef object _loads(object line, bint use_orjson):
    """Decode one JSON text (bytes) or raise QMPProtocolError."""
    cdef object text, obj
    cdef Py_ssize_t end, n
    if use_orjson:
        try:
            return _orjson_loads(line)
        except Exception:
            pass  # fall through: the json module decides, and words the error
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QMPProtocolError(f"QMP message is not UTF-8: {exc}") from None
    try:
        n = len(text)
        end = 0
        while end < n and text[end] in " \t\r\n":
            end += 1
        obj, end = _scan_once(text, end)
    except StopIteration:
        raise QMPProtocolError(f"malformed JSON from QEMU: {text[:200]!r}") from None
    except ValueError as exc:
        raise QMPProtocolError(f"malformed JSON from QEMU ({exc}): {text[:200]!r}") from None
    while end < n:
        if text[end] not in " \t\r\n":
            raise QMPProtocolError(f"trailing data after JSON from QEMU: {text[:200]!r}")
        end += 1
    return obj


def classify(obj):
    """Classify an already decoded QMP object."""
    return _classify(obj)


def decode_line(line, *, bint use_orjson=HAVE_ORJSON):
    """Decode and classify one complete message (bytes, without or with its terminator)."""
    return _classify(_loads(bytes(line), use_orjson and HAVE_ORJSON))


cdef inline bint _blank(const unsigned char[:] view, Py_ssize_t start, Py_ssize_t end) noexcept:
    cdef Py_ssize_t i
    cdef unsigned char c
    for i in range(start, end):
        c = view[i]
        if c != 32 and c != 9 and c != 13 and c != 10:
            return False
    return True


cdef class Decoder:
    """Incremental QMP stream decoder: ``feed(bytes) -> list[Message]``.

    After a QMPProtocolError the stream is out of step: the caller should drop the connection
    (libvirt does the same).
    """

    def __init__(self, Py_ssize_t max_line=MAX_LINE, *, backend="auto"):
        if backend not in ("auto", "orjson", "json"):
            raise ValueError(f"unknown JSON backend {backend!r}")
        if backend == "orjson" and not HAVE_ORJSON:
            raise ValueError("orjson is not installed")
        self._buf = bytearray()
        self.max_line = max_line
        self._orjson = HAVE_ORJSON and backend != "json"

    @property
    def backend(self):
        return "orjson" if self._orjson else "json"

    @property
    def buffered(self):
        """Bytes of an incomplete line held back for the next feed."""
        return len(self._buf)

    def reset(self):
        self._buf = bytearray()

    cdef int _emit(self, object chunk, Py_ssize_t start, Py_ssize_t end, list out) except -1:
        # chunk[start:end] is one line without its LF
        cdef const unsigned char[:] view = chunk
        while end > start and view[end - 1] == 13:
            end -= 1
        if end - start > self.max_line:
            raise FrameTooLarge(
                f"QEMU monitor reply exceeds buffer size ({self.max_line} bytes)")
        if start == end or _blank(view, start, end):
            return 0
        if start == 0 and end == len(chunk):
            line = chunk
        else:
            line = chunk[start:end]
        out.append(_classify(_loads(line, self._orjson)))
        return 0

    def feed(self, data):
        """Add received bytes; return the messages completed by them, in stream order."""
        cdef list out = []
        cdef Py_ssize_t nl, start, n
        cdef object chunk
        if not isinstance(data, bytes):
            data = bytes(data)
        n = len(data)
        if n == 0:
            return out
        nl = data.find(b"\n")
        if nl < 0:
            if len(self._buf) + n > self.max_line:
                self._buf = bytearray()
                raise FrameTooLarge(
                    f"QEMU monitor reply exceeds buffer size ({self.max_line} bytes)")
            self._buf += data
            return out
        if self._buf:
            # finish the pending line with the head of this read
            self._buf += data[:nl]
            chunk = bytes(self._buf)
            self._buf = bytearray()
            self._emit(chunk, 0, len(chunk), out)
            start = nl + 1
        else:
            self._emit(data, 0, nl, out)
            start = nl + 1
        while start < n:
            nl = data.find(b"\n", start)
            if nl < 0:
                if n - start > self.max_line:
                    raise FrameTooLarge(
                        f"QEMU monitor reply exceeds buffer size ({self.max_line} bytes)")
                self._buf += data[start:]
                break
            self._emit(data, start, nl, out)
            start = nl + 1
        return out


cdef dict _prefix_cache = {}


def encode_command(str name, arguments=None, id=None):
    """One QMP command as bytes ready to send: ``{"execute":..,"arguments":..,"id":..}`` CRLF.

    The ``{"execute":"name"`` prefix is cached per command name (the driver uses a few dozen).
    """
    cdef bytes prefix = _prefix_cache.get(name)
    cdef bytes out
    if prefix is None:
        prefix = ('{"execute":' + _enc_str(name)).encode("ascii")
        if len(_prefix_cache) < 4096:
            _prefix_cache[name] = prefix
    out = prefix
    if arguments is not None:
        out += b',"arguments":' + (<str>_dumps(arguments)).encode("ascii")
    if id is not None:
        if type(id) is int:
            out += b',"id":%d}\r\n' % id
        else:
            out += b',"id":' + (<str>_dumps(id)).encode("ascii") + b"}\r\n"
    else:
        out += b"}\r\n"
    return out
