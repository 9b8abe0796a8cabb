"""The core's read helper and address respelling against their lxml / Python references.

``xmlcore.find_all`` must match lxml's ``findall``, and the C respelling of device addresses
(``domain_devices.normalize_all``) must leave the same tree (or raise the same error) as the
Python path it short-cuts (``normalize_address_python``), on every corpus domain and on
hand-made spellings at the edges of its fast path.
"""

from __future__ import annotations

import copy
import itertools
import os
from pathlib import Path

import pytest
from lxml import etree

from pyvirt._core import domain_devices, xmlcore
from pyvirt.errors import VirtError

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("PYVIRT_CORPUS", REPO.parent / "shared" / "corpus" / "libvirt-9.0.0"))


def _corpus_roots() -> list[etree._Element]:
    paths = sorted((CORPUS / "qemuxml2argv").glob("*.xml"))
    if not paths:
        pytest.skip(f"no corpus at {CORPUS}")
    return [xmlcore.parse(p.read_bytes()) for p in paths]


PATHS = [("devices", "disk"), ("devices", None), (None, "address"), ("cpu", "numa", "cell"),
         ("devices", "disk", "source", "host"), ("os", "boot"), ("nosuch",)]  # fmt: skip


def test_find_all_matches_lxml_findall_on_corpus() -> None:
    for root in _corpus_roots():
        for steps in PATHS:
            expected = root.findall("/".join("*" if s is None else s for s in steps))
            assert xmlcore.find_all(root, steps) == expected


def test_find_all_skips_namespaced_names_and_keeps_document_order() -> None:
    root = etree.fromstring(
        "<r xmlns:q='urn:q'><a><b n='1'/></a><q:a><b n='x'/></q:a><a/><a><b n='2'/><q:b/><b n='3'/></a></r>"
    )
    assert [e.get("n") for e in xmlcore.find_all(root, ("a", "b"))] == ["1", "2", "3"]
    assert [e.get("n") for e in xmlcore.find_all(root, (None, "b"))] == ["1", "x", "2", "3"]
    assert xmlcore.find_all(root, ()) == []


def _respelled(xml: str, *, core: bool) -> tuple[str, object]:
    """The devices element after the respelling, or the error it raised (code, message):
    ``core`` the C path with its fallback (normalize_all), else the general Python path
    alone on each device address."""
    devices = etree.fromstring(xml)
    try:
        if core:
            domain_devices.normalize_all(devices)
        else:
            for addr in devices.findall("*/address"):
                domain_devices.normalize_address_python(addr)
        return etree.tostring(devices, encoding="unicode"), None
    except VirtError as exc:
        return "", (exc.code, str(exc))


VALUES = ["0", "00", "7", "017", "08", "0x1f", "0X1F", "0x", "0x20", "31", "32", "255", "256",
          " 1", "1 ", "+1", "-1", "", "1_0", "0xffffffffffffffff", "123456789012345678", "abc"]  # fmt: skip


@pytest.mark.parametrize("atype", ["pci", "drive", "virtio-serial", "ccid", "dimm", "spapr-vio", "isa", "ccw", "usb"])
def test_core_respelling_equals_python_path(atype: str) -> None:
    names = [spec[0] for spec in domain_devices.ADDRESS_FORMATS.get(atype, (("port", "", 0, None),))]
    cases = []
    for name, value in itertools.product(names, VALUES):
        cases.append({name: value})
    cases += [dict.fromkeys(names, "0"), dict.fromkeys(names, "0x0"), {}, dict.fromkeys(names, "1")]
    for attrs in cases:
        attr_text = "".join(f" {k}='{v}'" for k, v in attrs.items())
        xml = f"<devices><disk><address type='{atype}'{attr_text}/></disk><video/><x><address{attr_text}/></x></devices>"
        assert _respelled(xml, core=True) == _respelled(xml, core=False), xml


def test_core_respelling_equals_python_path_on_corpus() -> None:
    for root in _corpus_roots():
        devices = root.find("devices")
        if devices is None:
            continue
        xml = etree.tostring(copy.deepcopy(devices), encoding="unicode")
        assert _respelled(xml, core=True) == _respelled(xml, core=False)


@pytest.mark.parametrize("name", ["uid", "fid"])
def test_pci_with_zpci_respelled_as_python_path(name: str) -> None:
    xml = "<devices><hostdev><address type='pci' slot='0x01'><zpci uid='1' fid='2'/></address></hostdev></devices>"
    out, err = _respelled(xml, core=True)
    assert err is None and "uid=\"0x0001\"" in out and "fid=\"0x00000002\"" in out
    assert (out, err) == _respelled(xml, core=False)
    for value, slot in itertools.product(VALUES, ("0x01", "0", "0x20", "x")):
        xml = f"<devices><hostdev><address type='pci' slot='{slot}'><zpci {name}='{value}' q='1'/></address></hostdev></devices>"
        assert _respelled(xml, core=True) == _respelled(xml, core=False), xml
