"""The core's table-driven passes against their plain versions, over the domain corpus.

``xmlcore.canonical_order_table`` (compiled per-tag tables) must reorder and prune exactly as
``xmlcore.canonical_order`` (per-path tables), and ``xmlcore.index_checked`` must index as
``xmlcore.index`` and report the enum error ``check_enums`` raises (or none).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from lxml import etree

from pyvirt._core import xmlcore
from pyvirt.conf.domain import enums
from pyvirt.conf.domain.tables import ORDER_TABLE, PRUNED_PATHS, RANK_BY_PATH
from pyvirt.errors import VirtError

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("PYVIRT_CORPUS", REPO.parent / "shared" / "corpus" / "libvirt-9.0.0"))
PATHS = sorted((CORPUS / "qemuxml2argv").glob("*.xml"))

pytestmark = pytest.mark.skipif(not PATHS, reason=f"libvirt corpus not found at {CORPUS}")


def _parse(path: Path) -> etree._Element | None:
    try:
        return xmlcore.parse(path.read_bytes())
    except xmlcore.ParseFailure:
        return None


def _shuffle(root: etree._Element, seed: int) -> None:
    rnd = random.Random(seed)
    for el in list(root.iter()):
        kids = list(el)
        if len(kids) > 1:
            rnd.shuffle(kids)
            for k in kids:
                el.append(k)


def test_order_tables_agree_on_shuffled_corpus() -> None:
    """Ordering and pruning by compiled tables (without known-name sets) equal the per-path
    reference walk."""
    table = xmlcore.compile_order(RANK_BY_PATH, PRUNED_PATHS)
    checked = 0
    for n, path in enumerate(PATHS):
        a = _parse(path)
        if a is None:
            continue
        _shuffle(a, n)
        b = etree.fromstring(etree.tostring(a))
        for el in xmlcore.canonical_order(a, RANK_BY_PATH, PRUNED_PATHS):
            el.getparent().remove(el)
        xmlcore.canonical_order_table(b, table)
        assert etree.tostring(a) == etree.tostring(b), path.name
        checked += 1
    assert checked > 400


def _names(root: etree._Element) -> list[str]:
    out = []
    for el in root.iter():
        if isinstance(el.tag, str):
            path = "/".join(str(a.tag) for a in reversed(list(el.iterancestors()))) + "/" + el.tag
            out.append(path)
            out.extend(f"{path}@{name}" for name in el.attrib)
    return sorted(out)


def test_known_names_keep_every_corpus_name() -> None:
    """Every plain element and attribute of the corpus documents (written for libvirt, and
    written by it) is known: only the namespaced hypervisor extensions under <domain> go."""
    paths = PATHS + sorted((CORPUS / "qemuxml2xmlout").glob("*.xml"))
    for path in paths:
        a = _parse(path)
        if a is None or a.tag != "domain":
            continue
        for el in list(a):
            if isinstance(el.tag, str) and el.tag.startswith("{"):
                a.remove(el)
        before = _names(a)
        _apply_tables(a)
        assert _names(a) == before, path.name


def _apply_tables(root: etree._Element) -> None:
    xmlcore.drop_unknown(root, ORDER_TABLE)
    xmlcore.canonical_order_table(root, ORDER_TABLE)


UNKNOWN = """<domain type='test' bogus='1'>
  <name>a</name>
  <nope><deep/></nope>
  <os x='1'><type>hvm</type><nope/></os>
  <metadata><m:x xmlns:m='urn:m' any='1'><m:y/></m:x></metadata>
  <devices>
    <disk type='file' device='disk' unknown='u'>
      <source file='/a' k='1'><zz/></source>
      <target dev='vda'/>
      <backingStore type='file'><source file='/b' j='2'/>
        <backingStore type='file' m='1'><source file='/c'/><qq/></backingStore>
      </backingStore>
      <x:ext xmlns:x='urn:x'/>
    </disk>
  </devices>
</domain>"""

KEPT = """<domain type='test'>
  <name>a</name>
  <metadata><m:x xmlns:m='urn:m' any='1'><m:y/></m:x></metadata>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/a'/>
      <backingStore type='file'><source file='/b'/>
        <backingStore type='file'><source file='/c'/></backingStore>
      </backingStore>
      <target dev='vda'/>
    </disk>
  </devices>
</domain>"""


def _plain(text: str) -> bytes:
    parser = etree.XMLParser(remove_blank_text=True)
    return etree.tostring(etree.fromstring(text, parser), method="c14n")


def test_unknown_names_are_dropped_at_every_depth() -> None:
    root = xmlcore.parse(UNKNOWN)
    _apply_tables(root)
    assert _plain(etree.tostring(root).decode()) == _plain(KEPT)


def test_dropping_keeps_held_element_objects_valid() -> None:
    root = xmlcore.parse(UNKNOWN)
    held = root.find("devices/disk/backingStore/backingStore/qq")
    deep = root.find("nope/deep")
    _apply_tables(root)
    assert _plain(etree.tostring(root).decode()) == _plain(KEPT)
    assert held.tag == "qq" and held.getparent() is None
    assert deep.tag == "deep" and deep.getparent().tag == "nope"


def _python_enum_error(idx: dict[str, list[etree._Element]]) -> str | None:
    try:
        enums.check_enums(idx)
    except VirtError as exc:
        return f"{exc.code} {exc}"
    return None


def test_index_checked_matches_index_and_check_enums() -> None:
    for path in PATHS:
        root = _parse(path)
        if root is None:
            continue
        plain = xmlcore.index(root)
        idx, broken = xmlcore.index_checked(root, enums.RULES)
        assert {k: len(v) for k, v in idx.items()} == {k: len(v) for k, v in plain.items()}
        expected = _python_enum_error(plain)
        got = None
        if broken is not None:
            exc = enums.enum_error(broken)
            got = f"{exc.code} {exc}"  # type: ignore[attr-defined]
        assert got == expected, path.name


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("<domain><devices><disk type='x'/><input type='y'/></devices></domain>", "'disk'"),
        ("<domain><devices><hostdev mode='capabilities' type='storage'/></devices></domain>", None),
        ("<domain><devices><hostdev type='bogus'/></devices></domain>", "bogus"),
        ("<domain><clock offset='utc'/><cpu mode='nope'/></domain>", "nope"),
    ],
)
def test_index_checked_edge_cases(text: str, word: str | None) -> None:
    root = xmlcore.parse(text)
    _, broken = xmlcore.index_checked(root, enums.RULES)
    if word is None:
        assert broken is None
    else:
        assert broken is not None and word in str(enums.enum_error(broken))


def test_insertion_order_matches_python_reference() -> None:
    from pyvirt._core.domain_devices import insertion_order_py

    rnd = random.Random(7)
    for _ in range(2000):
        n = rnd.randint(0, 9)
        keys = [
            (rnd.choice(["usb", "scsi", None, "ide"]), rnd.choice([None, 0, 1, 2, 3]), rnd.random() < 0.3)
            for _ in range(n)
        ]
        assert xmlcore.insertion_order(keys) == insertion_order_py(keys), keys


def test_insertion_order_refuses_huge_index() -> None:
    with pytest.raises(OverflowError):
        xmlcore.insertion_order([("pci", 2**70, False)])
