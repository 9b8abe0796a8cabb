"""Untrusted XML is safe: no entity expansion, no DTD or external entity loads, no network,
a size cap and a depth cap -- each attack is rejected with a clear VirtError.

"No file read" is proven with a named pipe as the target: opening a FIFO for reading is
visible to a watcher that keeps trying a non-blocking open of the write end (it only succeeds
while somebody has the FIFO open for reading). "No network" is proven with a local HTTP
server that counts connections.
"""

from __future__ import annotations

import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyvirt.conf.network import NetworkDef
from pyvirt.conf.snapshot import SnapshotDef
from pyvirt.conf.storage import StoragePoolDef
from pyvirt.errors import ErrorNumber, VirtError

MODELS = [NetworkDef, StoragePoolDef, SnapshotDef]


class FifoWatch:
    """A FIFO plus a thread that records whether anybody opened it for reading."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.opened = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.002)
                continue
            self.opened += 1
            try:
                os.write(fd, b'<!ENTITY leaked "SECRET-FROM-FIFO">')
            except OSError:
                pass
            os.close(fd)

    def settle(self) -> int:
        time.sleep(0.05)
        return self.opened

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[FifoWatch]:
    watch = FifoWatch(tmp_path / "target")
    yield watch
    watch.close()


class _Counter(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY leaked "SECRET-FROM-HTTP">')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_url() -> Iterator[tuple[str, type[_Counter]]]:
    handler = type("Counter", (_Counter,), {"hits": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/x", handler
    server.shutdown()
    server.server_close()


def _rejected(cls: type, text: str) -> VirtError:
    with pytest.raises(VirtError) as info:
        cls.from_xml(text)
    err = info.value
    assert err.code == ErrorNumber.XML_DETAIL
    assert "SECRET" not in err.message
    return err


@pytest.mark.parametrize("cls", MODELS)
def test_billion_laughs(cls: type) -> None:
    tag = cls.TAG
    levels = ['<!ENTITY l0 "ha">'] + [
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    ]
    text = f'<?xml version="1.0"?><!DOCTYPE {tag} [{"".join(levels)}]><{tag}><name>&l9;</name></{tag}>'
    start = time.monotonic()
    err = _rejected(cls, text)
    assert time.monotonic() - start < 2.0  # nothing was expanded
    assert "DTD" in err.message or "entit" in err.message


@pytest.mark.parametrize("cls", MODELS)
def test_external_entity_file(cls: type, fifo: FifoWatch) -> None:
    tag = cls.TAG
    text = f'<!DOCTYPE {tag} [<!ENTITY e SYSTEM "file://{fifo.path}">]><{tag}><name>&e;</name></{tag}>'
    _rejected(cls, text)
    assert fifo.settle() == 0, "the parser opened the external entity's file"


def test_external_parameter_entity_file(fifo: FifoWatch) -> None:
    text = f'<!DOCTYPE network [<!ENTITY % p SYSTEM "file://{fifo.path}"> %p;]><network><name>a</name></network>'
    _rejected(NetworkDef, text)
    assert fifo.settle() == 0, "the parser opened the parameter entity's file"


def test_external_entity_file_content_never_leaks(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT")
    text = f'<!DOCTYPE network [<!ENTITY e SYSTEM "file://{secret}">]><network><name>&e;</name></network>'
    err = _rejected(NetworkDef, text)
    assert "SECRET-CONTENT" not in err.message


def test_dtd_file_not_loaded(fifo: FifoWatch) -> None:
    text = f'<!DOCTYPE network SYSTEM "file://{fifo.path}"><network><name>a</name></network>'
    err = _rejected(NetworkDef, text)
    assert fifo.settle() == 0, "the parser opened the external DTD"
    assert "DTD" in err.message


def test_external_entity_http(http_url: tuple[str, type[_Counter]]) -> None:
    url, handler = http_url
    text = f'<!DOCTYPE network [<!ENTITY e SYSTEM "{url}">]><network><name>&e;</name></network>'
    _rejected(NetworkDef, text)
    text = f'<!DOCTYPE network [<!ENTITY % p SYSTEM "{url}"> %p;]><network><name>a</name></network>'
    _rejected(NetworkDef, text)
    time.sleep(0.05)
    assert handler.hits == 0, "the parser made a network request"


def test_dtd_http_not_loaded(http_url: tuple[str, type[_Counter]]) -> None:
    url, handler = http_url
    text = f'<!DOCTYPE network SYSTEM "{url}"><network><name>a</name></network>'
    _rejected(NetworkDef, text)
    time.sleep(0.05)
    assert handler.hits == 0


def test_oversized_document() -> None:
    filler = "x" * (10 * 1024 * 1024)
    text = f"<network><name>a</name><metadata><x:a xmlns:x='http://x/'>{filler}</x:a></metadata></network>"
    err = _rejected(NetworkDef, text)
    assert "limit" in err.message


def test_document_just_under_the_cap_parses() -> None:
    # the cap is on size, not on ordinary large documents
    filler = "x" * (1024 * 1024)
    text = f"<network><name>a</name><metadata><x:a xmlns:x='http://x/'>{filler}</x:a></metadata></network>"
    assert NetworkDef.from_xml(text).name == "a"


def test_excessive_depth() -> None:
    depth = 5000
    text = "<network><name>a</name><metadata>" + "<x>" * depth + "</x>" * depth + "</metadata></network>"
    err = _rejected(NetworkDef, text)
    assert "depth" in err.message.lower()


def test_entity_reference_without_dtd_is_rejected() -> None:
    err = _rejected(NetworkDef, "<network><name>&undefined;</name></network>")
    assert "undefined" in err.message.lower() or "entity" in err.message.lower()


def test_predefined_entities_still_work() -> None:
    net = NetworkDef.from_xml("<network><name>a&amp;b&lt;c</name></network>")
    assert net.name == "a&b<c"


# ---------------------------------------------------------------------------------------------
# hostile but well-formed documents: only VirtError, never a Python exception


def _corpus_docs() -> dict[str, list[str]]:
    import os

    root = Path(os.environ.get("PYVIRT_CORPUS", Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "libvirt-9.0.0"))
    docs: dict[str, list[str]] = {}
    for kind, folders in {
        "network": ("networkxml2xmlin", "networkxml2xmlout"),
        "pool": ("storagepoolxml2xmlin", "storagepoolxml2xmlout"),
        "volume": ("storagevolxml2xmlin", "storagevolxml2xmlout"),
        "snapshot": ("snapshotxml2xmlin", "snapshotxml2xmlout"),
    }.items():
        docs[kind] = [p.read_text() for f in folders for p in sorted((root / f).glob("*.xml"))]
    return docs


def test_mutated_documents_raise_only_virt_errors() -> None:
    import copy
    import random

    from lxml import etree

    from pyvirt.conf.interface import InterfaceDef
    from pyvirt.conf.nodedev import NodeDeviceDef
    from pyvirt.conf.storage import StorageVolDef

    docs = _corpus_docs()
    if not any(docs.values()):
        pytest.skip("libvirt corpus not available")
    docs["interface"] = [
        "<interface type='bridge' name='br0'><start mode='onboot'/><mtu size='1500'/><protocol family='ipv4'>"
        "<dhcp peerdns='no'/><ip address='1.2.3.4' prefix='24'/><route gateway='1.2.3.1'/></protocol>"
        "<bridge stp='off' delay='0'><interface type='ethernet' name='eth0'><mac address='aa:bb:cc:dd:ee:ff'/>"
        "</interface><interface type='bond' name='bond0'><bond mode='802.3ad'><miimon freq='100'/>"
        "<interface type='ethernet' name='eth1'/></bond></interface></bridge></interface>"
    ]
    docs["device"] = [
        "<device><name>scsi_host1</name><parent>computer</parent><capability type='scsi_host'><host>1</host>"
        "<capability type='fc_host'><wwnn>2000000012341234</wwnn><wwpn>1000000012341234</wwpn></capability>"
        "</capability></device>"
    ]
    calls = {
        "network": lambda t: NetworkDef.from_xml(t).to_xml(),
        "pool": lambda t: StoragePoolDef.from_xml(t).to_xml(),
        "volume": lambda t: StorageVolDef.from_xml(t, pool="dir").to_xml(),
        "snapshot": lambda t: SnapshotDef.from_xml(t, redefine=True, internal=True).to_xml(),
        "interface": lambda t: InterfaceDef.from_xml(t).to_xml(),
        "device": lambda t: NodeDeviceDef.from_xml(t).to_xml(),
    }
    junk = ("", "x", "-1", "99999999999999999999", "0x", "::", "1.2.3.4/99", "é", "yes", "\t")
    rng = random.Random(5)
    for kind, texts in docs.items():
        for _ in range(150):
            root = etree.fromstring(rng.choice(texts).encode(), etree.XMLParser(remove_blank_text=True))
            for _ in range(rng.randint(1, 4)):
                el = rng.choice(list(root.iter()))
                roll = rng.random()
                if roll < 0.3 and el is not root:
                    el.getparent().remove(el)
                elif roll < 0.7 and el.attrib:
                    el.set(rng.choice(sorted(el.attrib)), rng.choice(junk))
                elif roll < 0.85:
                    el.text = rng.choice(junk)
                elif el is not root:
                    el.getparent().append(copy.deepcopy(el))
            text = etree.tostring(root).decode()
            try:
                calls[kind](text)
            except VirtError:
                pass  # a clear, libvirt-style error: fine
