"""The core's table-driven passes and the enum check of the post-parse, where the corpus is thin.

``xmlcore.canonical_order_table`` (compiled per-tag tables) must reorder and prune exactly as
a plain per-path reading of the rank tables does, on shuffled corpus documents;
``xmlcore.drop_unknown`` must keep every name the corpus uses and drop the others at any
depth; and ``DomainDef.from_xml`` must pick libvirt's enum error at the edges of the rows
(row order, capabilities-mode host devices, the CPU error domain).
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from lxml import etree

from pyvirt._core import xmlcore
from pyvirt.conf.domain import DomainDef
from pyvirt.conf.domain.tables import ORDER_TABLE, PRUNED_PATHS, RANK_BY_PATH
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError

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


def _reference_order(el: etree._Element, path: str = ".") -> None:
    """The rank tables read per path, in Python: children sorted stably by rank, a child
    without one keeping its place after the highest rank before it, and removed instead
    under a pruned path; then the same below every child."""
    rank = RANK_BY_PATH.get(path)
    if rank is not None:
        keyed = []
        last = -1
        for c in list(el):
            r = rank.get(c.tag) if isinstance(c.tag, str) and not c.tag.startswith("{") else None
            if r is None and path in PRUNED_PATHS:
                el.remove(c)
                continue
            key = last if r is None else r
            last = max(last, key)
            keyed.append((key, c))
        ordered = sorted(keyed, key=lambda kc: kc[0])
        if ordered != keyed:
            for _, c in ordered:
                el.append(c)
    for c in el:
        if isinstance(c.tag, str) and not c.tag.startswith("{"):
            _reference_order(c, c.tag if path == "." else f"{path}/{c.tag}")


def test_order_tables_agree_on_shuffled_corpus() -> None:
    """Ordering and pruning by compiled tables (without known-name sets) equal the per-path
    reading of the same ranks. Blank text is left out: the core links an unsorted parent's
    text before its elements, the reference moves it with the elements."""
    table = xmlcore.compile_order(RANK_BY_PATH, PRUNED_PATHS)
    parser = etree.XMLParser(remove_blank_text=True, remove_comments=True, resolve_entities=False)
    checked = 0
    for n, path in enumerate(PATHS):
        if _parse(path) is None:
            continue
        a = etree.fromstring(path.read_bytes(), parser)
        _shuffle(a, n)
        b = etree.fromstring(etree.tostring(a), parser)
        _reference_order(a)
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


DOMAIN = (
    "<domain type='kvm'><name>enums</name><memory unit='KiB'>1048576</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type></os>{}</domain>"
)


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        # the lower row wins (disk type before input type), not the earlier element
        ("<devices><input type='y' bus='usb'/><disk type='x' device='disk'/></devices>",
         ErrorNumber.XML_ERROR, "Invalid value for attribute 'type' in element 'disk': 'x'."),
        # a host device's mode defaults to subsystem: its type is checked
        ("<devices><hostdev type='bogus'/></devices>",
         ErrorNumber.CONFIG_UNSUPPORTED, "unknown host device source address type 'bogus'"),
        # the CPU rows report in the CPU error domain
        ("<clock offset='utc'/><cpu mode='nope'/>",
         ErrorNumber.CONFIG_UNSUPPORTED, "Invalid mode attribute 'nope'"),
    ],
)  # fmt: skip
def test_enum_errors_at_the_edges_of_the_rows(extra: str, code: int, message: str) -> None:
    with pytest.raises(VirtError) as info:
        DomainDef.from_xml(DOMAIN.format(extra))
    assert info.value.code == code and message in info.value.message
    if "cpu" in extra:
        assert info.value.domain == ErrorDomain.CPU


def test_capabilities_hostdev_types_are_not_subsystem_types() -> None:
    extra = ("<devices><hostdev mode='capabilities' type='storage'>"
             "<source><block>/dev/sdf1</block></source></hostdev></devices>")  # fmt: skip
    out = etree.fromstring(DomainDef.from_xml(DOMAIN.format(extra)).to_xml())
    assert out.find("devices/hostdev").get("type") == "storage"
