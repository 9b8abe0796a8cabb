"""QMP framing and decoding in the compiled core (pyvirt._core.qmp).

Hand-made streams exercise the framing rules (chunking, CRLF/LF, the size cap, bad input); the
recorded QEMU sessions in libvirt's corpus are the decoding test vectors: every recorded message
must decode, classify by its top-level key, and every recorded reply must carry the id of the
command just before it.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from pyvirt._core import qmp

BACKENDS = ["json"] + (["orjson"] if qmp.HAVE_ORJSON else [])

GREETING = (b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, '
            b'"package": ""}, "capabilities": ["oob"]}}\r\n')
STOP = b'{"timestamp": {"seconds": 1700000000, "microseconds": 250000}, "event": "STOP"}\r\n'
RETURN = b'{"return": {"status": "paused", "running": false}, "id": 7}\r\n'
ERROR = (b'{"id": "x-9", "error": {"class": "CommandNotFound", '
         b'"desc": "The command nope has not been found"}}\r\n')
STREAM = GREETING + STOP + RETURN + ERROR


@pytest.fixture(params=BACKENDS)
def decoder(request: pytest.FixtureRequest) -> qmp.Decoder:
    return qmp.Decoder(backend=request.param)


def test_classifies_each_kind(decoder: qmp.Decoder) -> None:
    greeting, stop, ret, err = decoder.feed(STREAM)
    assert greeting.kind == qmp.KIND_GREETING
    assert greeting.value["version"]["qemu"]["minor"] == 2
    assert stop.kind == qmp.KIND_EVENT and stop.name == "STOP" and stop.value == {}
    assert stop.timestamp == pytest.approx(1700000000.25)
    assert ret.kind == qmp.KIND_RETURN and ret.id == 7
    assert ret.value == {"status": "paused", "running": False}
    assert err.kind == qmp.KIND_ERROR and err.id == "x-9"
    assert err.error_class == "CommandNotFound"
    assert err.desc == "The command nope has not been found"
    assert decoder.buffered == 0


def test_event_data_is_passed_through(decoder: qmp.Decoder) -> None:
    (msg,) = decoder.feed(b'{"event": "DEVICE_DELETED", "data": {"device": "net0", '
                          b'"path": "/machine/peripheral/net0"}, "timestamp": '
                          b'{"seconds": 5, "microseconds": 1}}\n')
    assert msg.name == "DEVICE_DELETED"
    assert msg.value == {"device": "net0", "path": "/machine/peripheral/net0"}


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64, 1000])
def test_any_chunking_gives_the_same_messages(decoder: qmp.Decoder, chunk: int) -> None:
    whole = [m.obj for m in qmp.Decoder().feed(STREAM)]
    got = []
    for i in range(0, len(STREAM), chunk):
        got.extend(m.obj for m in decoder.feed(STREAM[i:i + chunk]))
    assert got == whole
    assert decoder.buffered == 0


def test_partial_line_is_held_until_completed(decoder: qmp.Decoder) -> None:
    assert decoder.feed(RETURN[:10]) == []
    assert decoder.buffered == 10
    assert decoder.feed(RETURN[10:-2]) == []
    (msg,) = decoder.feed(RETURN[-2:] + STOP[:5])
    assert msg.id == 7
    assert decoder.buffered == 5


def test_lf_and_crlf_and_blank_lines(decoder: qmp.Decoder) -> None:
    msgs = decoder.feed(b'{"return": 1, "id": 1}\n\r\n  \n{"return": 2, "id": 2}\r\n')
    assert [(m.id, m.value) for m in msgs] == [(1, 1), (2, 2)]


def test_oversize_partial_line_is_refused_not_buffered() -> None:
    dec = qmp.Decoder(max_line=1024)
    dec.feed(b'{"return": "' + b"a" * 1000)
    with pytest.raises(qmp.FrameTooLarge):
        dec.feed(b"a" * 100)
    assert dec.buffered == 0


def test_oversize_complete_line_is_refused() -> None:
    dec = qmp.Decoder(max_line=1024)
    with pytest.raises(qmp.FrameTooLarge):
        dec.feed(b'{"return": "' + b"a" * 2000 + b'"}\r\n')


def test_default_cap_is_ten_mebibytes() -> None:
    assert qmp.MAX_LINE == 10 * 1024 * 1024
    dec = qmp.Decoder()
    big = b'{"return": "' + b"a" * (9 * 1024 * 1024) + b'", "id": 1}\r\n'
    (msg,) = dec.feed(big)  # just under the cap: accepted
    assert len(msg.value) == 9 * 1024 * 1024
    with pytest.raises(qmp.FrameTooLarge):
        for _ in range(12):  # 12 MiB without a newline, fed in 1 MiB reads
            dec.feed(b"b" * (1024 * 1024))
    assert dec.buffered == 0


@pytest.mark.parametrize("line", [
    b'{"return": \r\n',          # truncated
    b'[1, 2]\r\n',               # not an object
    b'"QMP"\r\n',
    b'{"return": 1} x\r\n',      # trailing garbage
    b'\xff\xfe{}\r\n',           # not UTF-8
])
def test_malformed_input_raises_protocol_error(decoder: qmp.Decoder, line: bytes) -> None:
    with pytest.raises(qmp.QMPProtocolError):
        decoder.feed(line)


def test_unicode_and_big_numbers(decoder: qmp.Decoder) -> None:
    (msg,) = decoder.feed('{"return": {"name": "d\u00e9j\u00e0 \U0001f600", '
                          '"size": 18446744073709551615}, "id": 1}\r\n'.encode())
    assert msg.value == {"name": "d\u00e9j\u00e0 \U0001f600", "size": 18446744073709551615}


def test_numbers_beyond_64_bits_with_the_json_backend() -> None:
    # QEMU's numbers are int64/uint64/double, so this never comes from QEMU (orjson would make
    # it a float); the json backend keeps it exact
    (msg,) = qmp.Decoder(backend="json").feed(b'{"return": {"n": 123456789012345678901234567890}}\r\n')
    assert msg.value == {"n": 123456789012345678901234567890}


@pytest.mark.parametrize("name,args,cid", [
    ("query-status", None, 1),
    ("device_add", {"driver": "virtio-net-pci", "id": "net\u00e91", "bus": "pci.0"}, 42),
    ("human-monitor-command", {"command-line": "info \"x\"\n"}, "libvirt-3"),
    ("qmp_capabilities", None, None),
])
def test_encode_command_is_one_json_line(name: str, args: dict | None, cid: object) -> None:
    data = qmp.encode_command(name, args, cid)
    assert data.endswith(b"\r\n") and data.count(b"\n") == 1
    obj = json.loads(data)
    expected: dict = {"execute": name}
    if args is not None:
        expected["arguments"] = args
    if cid is not None:
        expected["id"] = cid
    assert obj == expected
    (msg,) = qmp.Decoder().feed(data)  # a recorded client command classifies as a command
    assert msg.kind == qmp.KIND_COMMAND and msg.name == name and msg.id == cid


# --- recorded QEMU sessions from libvirt's test suite --------------------------------------------

def split_json_documents(text: str) -> list[object]:
    dec = json.JSONDecoder()
    out, i, n = [], 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return out
        obj, i = dec.raw_decode(text, i)
        out.append(obj)


def expected_kind(obj: dict) -> int:
    for key, kind in (("return", qmp.KIND_RETURN), ("event", qmp.KIND_EVENT),
                      ("error", qmp.KIND_ERROR), ("QMP", qmp.KIND_GREETING),
                      ("execute", qmp.KIND_COMMAND)):
        if key in obj:
            return kind
    return qmp.KIND_OTHER


def replies_files(corpus: Path) -> list[Path]:
    files = sorted((corpus / "qemucaps").glob("*.replies"))
    if not files:
        pytest.skip("no qemucaps/*.replies in the corpus")
    return files


@pytest.mark.parametrize("backend", BACKENDS)
def test_recorded_sessions_decode_and_pair_by_id(corpus: Path, backend: str) -> None:
    rng = random.Random(5)
    total = 0
    for path in replies_files(corpus):
        docs = split_json_documents(path.read_text())
        stream = b"".join(json.dumps(d).encode() + b"\r\n" for d in docs)
        dec = qmp.Decoder(backend=backend)
        msgs: list[qmp.Message] = []
        pos = 0
        while pos < len(stream):  # arbitrary read sizes, as a socket delivers them
            step = rng.choice((1, 17, 500, 4096, 65536))
            msgs.extend(dec.feed(stream[pos:pos + step]))
            pos += step
        assert dec.buffered == 0
        assert len(msgs) == len(docs), path.name
        last_command_id = None
        replies = 0
        for doc, msg in zip(docs, msgs, strict=True):
            assert msg.obj == doc
            assert msg.kind == expected_kind(doc), (path.name, doc)
            if msg.kind == qmp.KIND_COMMAND:
                assert last_command_id is None, f"{path.name}: two commands without a reply"
                last_command_id = msg.id
                assert msg.name == doc["execute"]
            elif msg.kind in (qmp.KIND_RETURN, qmp.KIND_ERROR):
                assert msg.id == last_command_id, (path.name, doc)
                assert msg.id == doc.get("id")
                if msg.kind == qmp.KIND_ERROR:
                    assert msg.desc == doc["error"]["desc"]
                    assert msg.error_class == doc["error"]["class"]
                else:
                    assert msg.value == doc["return"]
                last_command_id = None
                replies += 1
        assert replies > 40, path.name
        total += replies
    assert total > 150


def test_recorded_monitor_replies(corpus: Path) -> None:
    files = sorted((corpus / "qemumonitorjson").glob("*.json"))
    if not files:
        pytest.skip("no qemumonitorjson/*.json in the corpus")
    for path in files:
        (doc,) = split_json_documents(path.read_text())
        line = json.dumps(doc).encode() + b"\r\n"
        (msg,) = qmp.Decoder().feed(line)
        assert msg.kind == qmp.KIND_RETURN, path.name
        assert msg.id == doc.get("id")
        assert msg.value == doc["return"]
        # the same reply pretty-printed on one line with tabs/spaces inside is still one message
        (again,) = qmp.Decoder().feed(json.dumps(doc, indent=None, separators=(", ", ": "))
                                      .encode() + b"\n")
        assert again.obj == msg.obj
