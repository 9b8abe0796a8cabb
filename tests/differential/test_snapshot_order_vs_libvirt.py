"""Snapshot listing order: pyvirt's test driver against libvirt 9.0's, for every listing mode.

Both sides build the same snapshot tree (fan-outs made by reverting between creates, deletes
that move children up, a redefine that moves a snapshot to another parent) and then list it
every way the API allows: from the domain (plain, roots, topological, with leaf filters) and
from each snapshot (children, descendants, with and without topological), through the
names call and the objects call. Orders must be identical, except for listings from the
domain that are neither roots nor topological: libvirt walks a hash table there, whose order
changes with every process (its hash is seeded at random), so only the set is compared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import pyvirt

libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")

NODE = """<node>
  <domain type='test'>
    <name>vm</name>
    <uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>
    <memory>1048576</memory>
    <vcpu>1</vcpu>
    <os><type>hvm</type></os>
  </domain>
</node>
"""

TOPO = libvirt.VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL
ROOTS = libvirt.VIR_DOMAIN_SNAPSHOT_LIST_ROOTS
DESC = libvirt.VIR_DOMAIN_SNAPSHOT_LIST_DESCENDANTS
LEAVES = libvirt.VIR_DOMAIN_SNAPSHOT_LIST_LEAVES
NO_LEAVES = libvirt.VIR_DOMAIN_SNAPSHOT_LIST_NO_LEAVES

#: ordered listings from the domain
DOMAIN_FLAGS = [TOPO, ROOTS, ROOTS | TOPO, LEAVES | TOPO, NO_LEAVES | TOPO, ROOTS | LEAVES, ROOTS | NO_LEAVES]
#: listings from the domain that libvirt takes from its hash walk (only the set is compared)
UNORDERED_FLAGS = [0, LEAVES, NO_LEAVES]
#: listings from each snapshot (bit 0 is DESCENDANTS there)
CHILD_FLAGS = [0, TOPO, DESC, DESC | TOPO, LEAVES, NO_LEAVES, DESC | LEAVES, DESC | NO_LEAVES | TOPO]


class Oracle:
    """libvirt-python's side of a scenario."""

    def __init__(self, uri: str) -> None:
        self.conn = libvirt.open(uri)
        self.dom = self.conn.lookupByName("vm")

    def create(self, name: str) -> None:
        self.dom.snapshotCreateXML(f"<domainsnapshot><name>{name}</name></domainsnapshot>")

    def revert(self, name: str) -> None:
        self.dom.revertToSnapshot(self.dom.snapshotLookupByName(name))

    def delete(self, name: str, flags: int = 0) -> None:
        self.dom.snapshotLookupByName(name).delete(flags)

    def xml(self, name: str) -> str:
        return str(self.dom.snapshotLookupByName(name).getXMLDesc(libvirt.VIR_DOMAIN_XML_SECURE))

    def redefine(self, xml: str) -> None:
        self.dom.snapshotCreateXML(xml, libvirt.VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE)

    def names(self) -> list[str]:
        return sorted(self.dom.snapshotListNames(0))

    def listings(self, flags: int) -> tuple[list[str], list[str]]:
        return (list(self.dom.snapshotListNames(flags)),
                [s.getName() for s in self.dom.listAllSnapshots(flags)])

    def child_listings(self, name: str, flags: int) -> tuple[list[str], list[str]]:
        snap = self.dom.snapshotLookupByName(name)
        return list(snap.listChildrenNames(flags)), [s.getName() for s in snap.listAllChildren(flags)]

    def close(self) -> None:
        self.conn.close()


class Pyvirt:
    """pyvirt's side of the same scenario, through its public API."""

    def __init__(self, uri: str) -> None:
        self.conn = pyvirt.open(uri)
        self.dom = self.conn.lookup_domain("vm")

    def create(self, name: str) -> None:
        self.dom.create_snapshot(f"<domainsnapshot><name>{name}</name></domainsnapshot>")

    def revert(self, name: str) -> None:
        self.dom.lookup_snapshot(name).revert()

    def delete(self, name: str, flags: int = 0) -> None:
        self.dom.lookup_snapshot(name).delete(flags=flags)

    def xml(self, name: str) -> str:
        return str(self.dom.lookup_snapshot(name).xml(secure=True))

    def redefine(self, xml: str) -> None:
        self.dom.create_snapshot(xml, redefine=True)

    def names(self) -> list[str]:
        return sorted(self.dom.snapshot_names())

    def listings(self, flags: int) -> tuple[list[str], list[str]]:
        return self.dom.snapshot_names(flags=flags), [s.name for s in self.dom.snapshots(flags=flags)]

    def child_listings(self, name: str, flags: int) -> tuple[list[str], list[str]]:
        snap = self.dom.lookup_snapshot(name)
        return snap.children_names(flags=flags), [s.name for s in snap.children(flags=flags)]

    def close(self) -> None:
        self.conn.close()


def fan_out(side: Any) -> None:
    """a -> {b -> {c, g}, d -> e, f, h}: siblings created at different times."""
    for name in "abc":
        side.create(name)
    side.revert("a")
    side.create("d")
    side.create("e")
    side.revert("a")
    side.create("f")
    side.revert("b")
    side.create("g")
    side.revert("a")
    side.create("h")


def delete_middle(side: Any) -> None:
    """Deleting d and b moves their children up to a, in front of a's other children."""
    fan_out(side)
    side.delete("d")
    side.delete("b")


def delete_root(side: Any) -> None:
    """Deleting the root makes its children roots; then a second tree grows beside them."""
    fan_out(side)
    side.delete("a")
    side.revert("e")
    side.create("i")
    side.revert("f")
    side.create("j")


def delete_children(side: Any) -> None:
    """--children and --children-only prune subtrees; new snapshots land where current is."""
    fan_out(side)
    side.delete("b", libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY)
    side.create("k")
    side.delete("d", libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN)
    side.revert("f")
    side.create("l")
    side.revert("b")
    side.create("m")


def redefine_moves(side: Any) -> None:
    """Redefining an existing snapshot under another parent puts it first among its new siblings."""
    fan_out(side)
    xml = side.xml("g")
    side.redefine(re.sub(r"<parent>\s*<name>b</name>", "<parent>\n    <name>d</name>", xml, count=1))
    xml = side.xml("f")
    side.redefine(xml)  # same parent: libvirt still relinks it at the front


SCENARIOS: dict[str, Callable[[Any], None]] = {
    "fan_out": fan_out,
    "delete_middle": delete_middle,
    "delete_root": delete_root,
    "delete_children": delete_children,
    "redefine_moves": redefine_moves,
}


@pytest.fixture()
def sides(tmp_path: Path) -> Any:
    node = tmp_path / "node.xml"
    node.write_text(NODE)
    uri = f"test://{node}"
    made = [Oracle(uri), Pyvirt(uri)]
    yield made
    for side in made:
        side.close()


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_listing_orders_match(sides: Any, scenario: str) -> None:
    oracle, mine = sides
    SCENARIOS[scenario](oracle)
    SCENARIOS[scenario](mine)
    names = oracle.names()
    assert mine.names() == names
    for flags in DOMAIN_FLAGS:
        assert mine.listings(flags) == oracle.listings(flags), f"domain listing, flags={flags:#x}"
    for flags in UNORDERED_FLAGS:
        theirs = [sorted(x) for x in oracle.listings(flags)]
        assert [sorted(x) for x in mine.listings(flags)] == theirs, f"domain listing, flags={flags:#x}"
    for name in names:
        for flags in CHILD_FLAGS:
            assert mine.child_listings(name, flags) == oracle.child_listings(name, flags), (
                f"children of {name}, flags={flags:#x}"
            )


def test_plain_listing_is_a_permutation_in_creation_order(sides: Any) -> None:
    """The plain listing has no order in libvirt (hash walk); pyvirt's is creation order."""
    oracle, mine = sides
    fan_out(oracle)
    fan_out(mine)
    plain_names, plain_objects = mine.listings(0)
    assert sorted(plain_names) == oracle.names()
    assert plain_names == plain_objects == list("abcdefgh")
