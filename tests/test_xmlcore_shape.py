"""The compiled canonical walk (pyvirt._core.shape) against the pure-Python reference walk.

Both walks must leave exactly the same tree: every shape of every format is applied, by each
walk, to a copy of every corpus input of that format and to hand-made edge cases (text tails,
comments, duplicates, unknown children, namespaced tags, normaliser hooks).
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
from lxml import etree

from pyvirt._core import shape as core
from pyvirt._core import xmlcore
from pyvirt.conf import _shape
from pyvirt.conf._shape import TEXT, VERBATIM, Shape, canonicalize_py, leaf
from pyvirt.conf.network import NETWORK_SHAPE
from pyvirt.conf.snapshot import SNAPSHOT_SHAPE
from pyvirt.conf.storage import POOL_SHAPE, VOL_SHAPE

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("PYVIRT_CORPUS", REPO.parent / "shared" / "corpus" / "libvirt-9.0.0"))

pytestmark = pytest.mark.skipif(not core.AVAILABLE, reason="libxml2 functions not bound")


def both(el: etree._Element, shape: Shape) -> tuple[bytes, bytes]:
    """(core result, Python result) of canonicalising copies of ``el``."""
    a, b = copy.deepcopy(el), copy.deepcopy(el)
    core.canonicalize(a, core.compile_shape(shape))
    canonicalize_py(b, shape)
    return etree.tostring(a), etree.tostring(b)


FORMATS = [
    ("networkxml2xmlin", NETWORK_SHAPE),
    ("storagepoolxml2xmlin", POOL_SHAPE),
    ("storagevolxml2xmlin", VOL_SHAPE),
    ("snapshotxml2xmlin", SNAPSHOT_SHAPE),
]
CASES = [
    (folder, shape, path.name)
    for folder, shape in FORMATS
    for path in sorted((CORPUS / folder).glob("*.xml"))
]


@pytest.mark.skipif(not CASES, reason=f"libvirt corpus not found at {CORPUS}")
@pytest.mark.parametrize(("folder", "shape", "name"), CASES, ids=[f"{c[0]}/{c[2]}" for c in CASES])
def test_corpus_documents_agree(folder: str, shape: Shape, name: str) -> None:
    root = xmlcore.parse((CORPUS / folder / name).read_bytes())
    fast, slow = both(root, shape)
    assert fast == slow


def _hook(value: str, el: etree._Element) -> str | None:
    return None if value == "drop" else value.upper()


EDGE = Shape(
    attrs={"a": None, "h": _hook},
    children=(
        ("first", leaf("x")),
        ("second", Shape(children=(("inner", TEXT),), keep_text=True)),
        ("{urn:x}ns", VERBATIM),
        ("plain", None),
        ("rep", TEXT),
    ),
    multi=("rep",),
)


@pytest.mark.parametrize(
    "text",
    [
        "<r a='1' b='2' h='v'><second>keep<inner y='1'>t</inner>tail</second><first x='1' z='2'/></r>",
        "<r h='drop'>lead<plain>t</plain> tail <first/><!-- c --><first x='dup'/><unknown/></r>",
        "<r><rep>1</rep><rep>2</rep><second>   <inner/></second><x:ns xmlns:x='urn:x' q='1'><k/></x:ns></r>",
        "<r><second><?pi x?><inner>a<b/>c</inner></second><plain q='1'>text</plain></r>",
        "<r>just text</r>",
    ],
)
def test_edge_cases_agree(text: str) -> None:
    root = etree.fromstring(text)
    fast, slow = both(root, EDGE)
    assert fast == slow


def test_unknown_dropped_and_order_restored() -> None:
    root = etree.fromstring("<r b='1' a='2'><rep/><zzz/><second/><first/></r>")
    core.canonicalize(root, core.compile_shape(EDGE))
    assert [c.tag for c in root] == ["first", "second", "rep"]
    assert dict(root.attrib) == {"a": "2"}


def test_keep_unknown_puts_unknown_last() -> None:
    shape = Shape(children=(("a", None), ("b", None)), keep_unknown=True)
    root = etree.fromstring("<r z='1'><zz/><b/><a/></r>")
    core.canonicalize(root, core.compile_shape(shape))
    assert [c.tag for c in root] == ["a", "b", "zz"]
    assert root.get("z") == "1"


def test_proxies_survive_reordering() -> None:
    root = etree.fromstring("<r><second/><first x='1'/></r>")
    held = root[1]
    core.canonicalize(root, core.compile_shape(EDGE))
    assert root[0] is held and held.get("x") == "1"


def test_dispatch_uses_core() -> None:
    assert _shape.USE_CORE or os.environ.get("PYVIRT_PURE_SHAPE")
