"""Snapshots: pyvirt's test driver against libvirt 9.0's, operation by operation.

Both sides get a fresh ``test:///PATH`` state with the same domain, do the same calls and
must give the same XML, listings, trees, states, events and errors. Where pyvirt follows
libvirt's QEMU driver instead of the 9.0 test driver, exactly that aspect is set aside,
with the reason next to it:

* ``<inactiveDomain>``: the 9.0 test driver does not record the persistent configuration of
  a running domain (so it reverts it wrongly); pyvirt records and restores it.
* an inactive snapshot reverted with ``running``/``paused``: the 9.0 test driver sends the
  STARTED event but leaves the domain shut off; pyvirt starts it.
"""

from __future__ import annotations

import itertools
import re
import threading
from pathlib import Path

import pytest

import pyvirt
from pyvirt.errors import VirtError

libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")

UUID = "4dea22b3-1d52-d8f3-2516-782e98ab3fa0"


def domain_xml(memory_kib: int = 1048576) -> str:
    return f"""<domain type='test'>
  <name>vm</name>
  <uuid>{UUID}</uuid>
  <memory>{memory_kib}</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <source file='/images/vm.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='hdc' bus='ide'/>
      <readonly/>
    </disk>
  </devices>
</domain>"""


# -- the oracle's event loop (started once; libvirt needs it before a connection opens) ----------

_loop_started = False
_loop_lock = threading.Lock()


def _start_event_loop() -> None:
    global _loop_started
    with _loop_lock:
        if _loop_started:
            return
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _loop_started = True


class Side:
    """One implementation: a connection, the domain ``vm`` and its lifecycle events."""

    def __init__(self, kind: str, node: Path) -> None:
        self.kind = kind
        self.events: list[tuple[int, int]] = []
        self.marker = threading.Event()
        if kind == "libvirt":
            _start_event_loop()
            libvirt.registerErrorHandler(lambda *a: None, None)
            self.conn = libvirt.open(f"test://{node}")
            self.conn.domainEventRegisterAny(None, 0, self._lv_event, None)
        else:
            self.conn = pyvirt.open(f"test://{node}")
            self.conn.register_event(self._pv_event)

    def close(self) -> None:
        self.conn.close()

    # events ------------------------------------------------------------------------------------
    def _record(self, name: str, event: int, detail: int) -> None:
        if name == "marker":
            if event == 1:  # UNDEFINED: everything before it has been delivered
                self.marker.set()
            return
        self.events.append((int(event), int(detail)))

    def _lv_event(self, conn, dom, event, detail, opaque) -> None:  # noqa: ANN001
        self._record(dom.name(), event, detail)

    def _pv_event(self, ev) -> None:  # noqa: ANN001
        self._record(ev.domain.name, ev.event, ev.detail)

    def take_events(self) -> list[tuple[int, int]]:
        """Events so far, in order: a marker domain's define+undefine flushes the queue."""
        self.marker.clear()
        marker = "<domain type='test'><name>marker</name><memory>1024</memory><os><type>hvm</type></os></domain>"
        if self.kind == "libvirt":
            self.conn.defineXML(marker).undefine()
        else:
            self.conn.define_domain(marker).undefine()
        assert self.marker.wait(5.0), f"{self.kind}: events not delivered"
        out, self.events = self.events, []
        return out

    # domain ------------------------------------------------------------------------------------
    def define(self, xml: str) -> None:
        if self.kind == "libvirt":
            self.conn.defineXML(xml)
        else:
            self.conn.define_domain(xml)

    def dom(self):  # noqa: ANN201
        return self.conn.lookupByName("vm") if self.kind == "libvirt" else self.conn.lookup_domain("vm")

    def start(self) -> None:
        d = self.dom()
        d.create() if self.kind == "libvirt" else d.start()

    def destroy(self) -> None:
        self.dom().destroy()

    def suspend(self) -> None:
        self.dom().suspend()

    def state(self) -> tuple[int, int]:
        s = self.dom().state()
        return int(s[0]), int(s[1])

    def xml(self, inactive: bool = False) -> str:
        d = self.dom()
        if self.kind == "libvirt":
            return d.XMLDesc(2 if inactive else 0)
        return d.xml(inactive=inactive)

    # snapshots ---------------------------------------------------------------------------------
    def create(self, xml: str, flags: int = 0) -> str:
        d = self.dom()
        if self.kind == "libvirt":
            return d.snapshotCreateXML(xml, flags).getName()
        return d.create_snapshot(xml, flags=flags).name

    def snap(self, name: str):  # noqa: ANN201
        d = self.dom()
        return d.snapshotLookupByName(name) if self.kind == "libvirt" else d.lookup_snapshot(name)

    def snap_xml(self, name: str, flags: int = 0) -> str:
        s = self.snap(name)
        return s.getXMLDesc(flags) if self.kind == "libvirt" else s.xml(flags=flags)

    def list_names(self, flags: int) -> list[str]:
        d = self.dom()
        if self.kind == "libvirt":
            return [s.getName() for s in d.listAllSnapshots(flags)]
        return [s.name for s in d.snapshots(flags=flags)]

    def num(self, flags: int) -> int:
        d = self.dom()
        return d.snapshotNum(flags) if self.kind == "libvirt" else d.snapshot_count(flags=flags)

    def children(self, name: str, flags: int) -> list[str]:
        s = self.snap(name)
        if self.kind == "libvirt":
            return [c.getName() for c in s.listAllChildren(flags)]
        return [c.name for c in s.children(flags=flags)]

    def num_children(self, name: str, flags: int) -> int:
        s = self.snap(name)
        return s.numChildren(flags) if self.kind == "libvirt" else s.num_children(flags=flags)

    def parent(self, name: str) -> str | None:
        s = self.snap(name)
        try:
            return s.getParent().getName() if self.kind == "libvirt" else s.parent().name
        except (libvirt.libvirtError, VirtError):
            return None

    def current(self) -> str | None:
        d = self.dom()
        if self.kind == "libvirt":
            return d.snapshotCurrent().getName() if d.hasCurrentSnapshot() else None
        return d.current_snapshot().name if d.has_current_snapshot() else None

    def tree(self) -> tuple[dict[str, str | None], str | None]:
        names = self.list_names(0)
        return {n: self.parent(n) for n in names}, self.current()

    def revert(self, name: str, flags: int = 0) -> None:
        s = self.snap(name)
        if self.kind == "libvirt":
            self.dom().revertToSnapshot(s, flags)
        else:
            s.revert(flags=flags)

    def delete(self, name: str, flags: int = 0) -> None:
        s = self.snap(name)
        s.delete(flags) if self.kind == "libvirt" else s.delete(flags=flags)


def outcome(fn, *args) -> tuple:  # noqa: ANN001
    """What ``fn(*args)`` did: its result, or the error's (code, message)."""
    try:
        return ("ok", fn(*args))
    except libvirt.libvirtError as exc:
        return ("error", exc.get_error_code(), exc.get_error_message())
    except VirtError as exc:
        return ("error", int(exc.code), exc.message)


@pytest.fixture
def pair(tmp_path: Path):
    sides = []
    for kind in ("libvirt", "pyvirt"):
        node = tmp_path / f"{kind}.xml"
        node.write_text("<node/>\n")
        side = Side(kind, node)
        side.define(domain_xml())
        sides.append(side)
    yield sides
    for side in sides:
        side.close()


def normalise(xml: str) -> str:
    """Creation times differ by the clock; <inactiveDomain> is pyvirt-only (see module doc)."""
    xml = re.sub(r"<creationTime>\d+</creationTime>", "<creationTime>T</creationTime>", xml)
    return re.sub(r"  <inactiveDomain.*?</inactiveDomain>\n", "", xml, flags=re.S)


# -- XML -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("run_state", ["shutoff", "running", "paused"])
def test_snapshot_xml(pair, run_state: str) -> None:
    for side in pair:
        if run_state != "shutoff":
            side.start()
        if run_state == "paused":
            side.suspend()
        side.create("<domainsnapshot><name>s1</name><description>a &amp; b</description></domainsnapshot>")
        side.create("<domainsnapshot><name>s2</name><memory snapshot='no'/></domainsnapshot>")
    lv, pv = pair
    for name in ("s1", "s2"):
        assert normalise(pv.snap_xml(name)) == normalise(lv.snap_xml(name))
        assert normalise(pv.snap_xml(name, 1)) == normalise(lv.snap_xml(name, 1))


def test_redefined_snapshot_xml(pair) -> None:
    lv, pv = pair
    lv.start()
    lv.create("<domainsnapshot><name>s1</name></domainsnapshot>")
    saved = lv.snap_xml("s1")
    for side in pair:
        if side is pv:
            side.start()
        else:
            side.delete("s1")
        side.create(saved, 1)  # REDEFINE
    assert normalise(pv.snap_xml("s1")) == normalise(lv.snap_xml("s1"))
    assert pv.current() == lv.current() is None


# -- listing and the tree --------------------------------------------------------------------------


def build_tree(side: Side) -> None:
    """a -> b -> c, a -> d -> e (e shut off), f a second root made by redefinition."""
    side.start()
    side.create("<domainsnapshot><name>a</name></domainsnapshot>")
    side.create("<domainsnapshot><name>b</name></domainsnapshot>")
    side.create("<domainsnapshot><name>c</name></domainsnapshot>")
    side.revert("a")
    side.create("<domainsnapshot><name>d</name></domainsnapshot>")
    side.destroy()
    side.create("<domainsnapshot><name>e</name></domainsnapshot>")
    f = side.snap_xml("e").replace("<name>e</name>", "<name>f</name>")
    f = re.sub(r"  <parent>.*?</parent>\n", "", f, flags=re.S)
    side.create(f, 1)


def topological_ok(names: list[str], parents: dict[str, str | None]) -> bool:
    return all(parents[n] is None or parents[n] not in names or names.index(parents[n]) < names.index(n) for n in names)


def test_tree_and_list_filters(pair) -> None:
    for side in pair:
        build_tree(side)
    lv, pv = pair
    assert pv.tree() == lv.tree()
    parents = lv.tree()[0]
    for flags in range(1 << 11):  # every combination of libvirt's list bits
        want = outcome(lambda s, f: sorted(s.list_names(f)), lv, flags)
        got = outcome(lambda s, f: sorted(s.list_names(f)), pv, flags)
        assert got == want, f"listAllSnapshots(0x{flags:x})"
        assert outcome(pv.num, flags) == outcome(lv.num, flags), f"snapshotNum(0x{flags:x})"
        if flags & 1024 and got[0] == "ok":
            assert topological_ok(pv.list_names(flags), parents)


def test_children_filters(pair) -> None:
    for side in pair:
        build_tree(side)
    lv, pv = pair
    bits = [1, 4, 8, 2, 16, 32, 64, 128, 256, 512, 1024]
    combos = [0] + bits + [a | b for a, b in itertools.combinations(bits, 2)]
    for name in ("a", "b", "d", "f"):
        for flags in combos:
            kids = lambda s, n, f: sorted(s.children(n, f))  # noqa: E731
            assert outcome(kids, pv, name, flags) == outcome(kids, lv, name, flags), f"{name}.listAllChildren(0x{flags:x})"
            assert outcome(pv.num_children, name, flags) == outcome(
                lv.num_children, name, flags
            ), f"{name}.numChildren(0x{flags:x})"


@pytest.mark.parametrize(
    "steps",
    [
        [("d", 0)],
        [("a", 0)],
        [("e", 0), ("d", 0)],
        [("d", 1)],  # CHILDREN: the current one (e) is inside
        [("a", 4)],  # CHILDREN_ONLY
        [("b", 1), ("f", 0)],
        [("a", 1)],
    ],
    ids=lambda s: ",".join(f"{n}:{f}" for n, f in s),
)
def test_delete_moves_children_and_current(pair, steps) -> None:
    for side in pair:
        build_tree(side)
    lv, pv = pair
    for name, flags in steps:
        assert outcome(pv.delete, name, flags) == outcome(lv.delete, name, flags)
        assert pv.tree() == lv.tree()
        assert [normalise(pv.snap_xml(n)) for n in sorted(pv.tree()[0])] == [
            normalise(lv.snap_xml(n)) for n in sorted(lv.tree()[0])
        ]


# -- revert ----------------------------------------------------------------------------------------


def prepare(side: Side, start: str) -> None:
    side.create("<domainsnapshot><name>off</name></domainsnapshot>")
    side.start()
    side.create("<domainsnapshot><name>on</name></domainsnapshot>")
    side.suspend()
    side.create("<domainsnapshot><name>pa</name></domainsnapshot>")
    side.destroy()
    if start != "shutoff":
        side.start()
    if start == "paused":
        side.suspend()
    side.take_events()


@pytest.mark.parametrize("start", ["shutoff", "running", "paused"])
@pytest.mark.parametrize("target", ["off", "on", "pa"])
@pytest.mark.parametrize("flags", [0, 1, 2, 4, 5, 6, 3], ids=lambda f: f"flags{f}")
def test_revert_states_and_events(pair, start: str, target: str, flags: int) -> None:
    for side in pair:
        prepare(side, start)
    lv, pv = pair
    want = outcome(lv.revert, target, flags)
    got = outcome(pv.revert, target, flags)
    assert got == want
    assert pv.take_events() == lv.take_events()
    if want[0] == "ok" and target == "off" and flags & 3:
        # libvirt 9.0's test driver announces STARTED but leaves the domain shut off; pyvirt
        # starts it (see the module docstring), so only the events are compared here
        assert pv.state()[0] in (1, 3)
    else:
        assert pv.state() == lv.state()
    assert pv.current() == lv.current()


def memory_of(xml: str) -> int:
    return int(re.search(r"<memory unit='KiB'>(\d+)</memory>", xml).group(1))


def test_revert_running_definitions(pair) -> None:
    """define A, start, define B (config only), snapshot s1, define C, revert to s1."""
    for side in pair:
        side.define(domain_xml(1000 * 1024))
        side.start()
        side.define(domain_xml(2000 * 1024))
        side.create("<domainsnapshot><name>s1</name></domainsnapshot>")
        side.define(domain_xml(3000 * 1024))
        side.revert("s1")
    lv, pv = pair
    assert pv.state() == lv.state()
    assert memory_of(pv.xml()) == memory_of(lv.xml()) == 1000 * 1024  # live: A on both
    # the persistent configuration is where pyvirt parts from libvirt 9.0's test driver, which
    # has no <inactiveDomain> to restore from: pyvirt restores B, as libvirt's QEMU driver does
    assert memory_of(pv.xml(inactive=True)) == 2000 * 1024
    for side in pair:
        side.destroy()
    assert memory_of(pv.xml()) == 2000 * 1024


def test_revert_shutoff_definition(pair) -> None:
    """define A, snapshot s0, define B, revert: A on both."""
    for side in pair:
        side.define(domain_xml(1000 * 1024))
        side.create("<domainsnapshot><name>s0</name></domainsnapshot>")
        side.define(domain_xml(2000 * 1024))
        side.revert("s0")
    lv, pv = pair
    assert pv.state() == lv.state()
    assert pv.xml(inactive=True) == lv.xml(inactive=True)


# -- errors ----------------------------------------------------------------------------------------


def test_errors_match(pair) -> None:
    for side in pair:
        side.start()
        side.create("<domainsnapshot><name>a</name></domainsnapshot>")
        side.create("<domainsnapshot><name>b</name></domainsnapshot>")
    lv, pv = pair
    saved_a = lv.snap_xml("a")
    cases = {
        "lookup missing": lambda s: s.snap("nope"),
        "parent of root": lambda s: s.snap("a").getParent() if s.kind == "libvirt" else s.snap("a").parent(),
        "duplicate": lambda s: s.create("<domainsnapshot><name>a</name></domainsnapshot>"),
        "unknown disk": lambda s: s.create("<domainsnapshot><disks><disk name='vdz'/></disks></domainsnapshot>"),
        "disk twice": lambda s: s.create(
            "<domainsnapshot><disks><disk name='vda'/><disk name='vda'/></disks></domainsnapshot>"
        ),
        "disk mode": lambda s: s.create(
            "<domainsnapshot><disks><disk name='vda' snapshot='no'/></disks></domainsnapshot>"
        ),
        "current needs redefine": lambda s: s.create("<domainsnapshot/>", 2),
        "redefine+halt": lambda s: s.create("<domainsnapshot/>", 1 | 8),
        "redefine+no_metadata": lambda s: s.create("<domainsnapshot/>", 1 | 4),
        "reuse_ext": lambda s: s.create("<domainsnapshot/>", 32),
        "redefine no name": lambda s: s.create("<domainsnapshot><state>running</state></domainsnapshot>", 1),
        "redefine no time": lambda s: s.create(
            "<domainsnapshot><name>x</name><state>running</state></domainsnapshot>", 1
        ),
        "redefine cycle": lambda s: s.create(
            saved_a.replace("<creationTime>", "<parent><name>b</name></parent><creationTime>", 1), 1
        ),
        "redefine self parent": lambda s: s.create(
            saved_a.replace("<creationTime>", "<parent><name>a</name></parent><creationTime>", 1), 1
        ),
        "redefine missing parent": lambda s: s.create(
            saved_a.replace("<name>a</name>", "<name>z</name>", 1).replace(
                "<creationTime>", "<parent><name>q</name></parent><creationTime>", 1
            ),
            1,
        ),
        "redefine offline": lambda s: s.create(
            saved_a.replace("<state>running</state>", "<state>shutoff</state>").replace(
                "<memory snapshot='internal'/>", "<memory snapshot='no'/>"
            ),
            1,
        ),
        "list flag": lambda s: s.list_names(1 << 11),
        "children flag": lambda s: s.children("a", 1 << 11),
        "xml flag": lambda s: s.snap_xml("a", 2),
        "revert both": lambda s: s.revert("a", 3),
        "revert flag": lambda s: s.revert("a", 8),
        "delete both": lambda s: s.delete("a", 1 | 4),
        "bad root": lambda s: s.create("<foo/>"),
    }
    for label, call in cases.items():
        got, want = outcome(call, pv), outcome(call, lv)
        if want[0] == "error":
            assert got == want, label
        else:
            assert got[0] == "ok", label


def test_default_domain_snapshot_xml() -> None:
    """test:///default's domain ``test``: the same snapshot document (bar time and
    <inactiveDomain>, see the module docstring)."""
    libvirt.registerErrorHandler(lambda *a: None, None)
    lv = libvirt.open("test:///default")
    with pyvirt.open("test:///default") as pv:
        a = lv.lookupByName("test").snapshotCreateXML("<domainsnapshot><name>diff-default</name></domainsnapshot>")
        b = pv.lookup_domain("test").create_snapshot(name="diff-default")
        try:
            assert normalise(b.xml()) == normalise(a.getXMLDesc(0))
        finally:
            a.delete(0)
            b.delete()
    lv.close()


NODE_WITH_SNAPSHOTS = """<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <domain type='test'>
    <name>vm</name>
    <uuid>{uuid}</uuid>
    <memory>1048576</memory>
    <os><type>hvm</type></os>
    <devices>
      <disk type='file' device='disk'><source file='/images/vm.qcow2'/><target dev='vda' bus='virtio'/></disk>
    </devices>
    <test:runstate>5</test:runstate>
    <test:domainsnapshot>
      <name>s1</name>
      <state>shutoff</state>
      <creationTime>1000</creationTime>
      <memory snapshot='no'/>
      <active>0</active>
      <domain type='test'>
        <name>vm</name><uuid>{uuid}</uuid><memory>1048576</memory><os><type>hvm</type></os>
        <devices>
          <disk type='file' device='disk'><source file='/images/vm.qcow2'/><target dev='vda' bus='virtio'/></disk>
        </devices>
      </domain>
    </test:domainsnapshot>
    <test:domainsnapshot>
      <name>s2</name>
      <description>second</description>
      <state>running</state>
      <parent><name>s1</name></parent>
      <creationTime>2000</creationTime>
      <domain type='test'>
        <name>vm</name><uuid>{uuid}</uuid><memory>524288</memory><os><type>hvm</type></os>
        <devices>
          <disk type='file' device='disk'><source file='/images/vm.qcow2'/><target dev='vda' bus='virtio'/></disk>
        </devices>
      </domain>
      <active>1</active>
    </test:domainsnapshot>
  </domain>
</node>
"""


def test_node_file_snapshots(tmp_path: Path) -> None:
    """Predefined ``<test:domainsnapshot>`` elements load the same tree, XML and current."""
    path = tmp_path / "node.xml"
    path.write_text(NODE_WITH_SNAPSHOTS.format(uuid=UUID))
    libvirt.registerErrorHandler(lambda *a: None, None)
    lv = Side("libvirt", path)
    pv = Side("pyvirt", path)
    try:
        assert pv.tree() == lv.tree() == ({"s1": None, "s2": "s1"}, "s2")
        for name in ("s1", "s2"):
            assert pv.snap_xml(name) == lv.snap_xml(name)
        assert outcome(pv.revert, "s2") == outcome(lv.revert, "s2")
        assert pv.state() == lv.state()
        assert pv.xml() == lv.xml()
    finally:
        lv.close()
        pv.close()


@pytest.mark.parametrize("run_state", ["shutoff", "running", "paused"])
@pytest.mark.parametrize("flags", [8, 64 | 128 | 256, 8 | 256], ids=["halt", "quiesce-atomic-live", "halt-live"])
def test_create_flags(pair, run_state: str, flags: int) -> None:
    for side in pair:
        if run_state != "shutoff":
            side.start()
        if run_state == "paused":
            side.suspend()
        side.take_events()
    lv, pv = pair
    xml = "<domainsnapshot><name>f</name></domainsnapshot>"
    assert outcome(pv.create, xml, flags) == outcome(lv.create, xml, flags)
    assert pv.take_events() == lv.take_events()
    assert pv.state() == lv.state()
    assert normalise(pv.snap_xml("f")) == normalise(lv.snap_xml("f"))


def test_transient_domain(pair) -> None:
    lv, pv = pair
    for side in pair:
        side.dom().undefine()
    lv.conn.createXML(domain_xml(), 0)
    pv.conn.create_domain(domain_xml())
    xml = "<domainsnapshot><name>t</name></domainsnapshot>"
    assert outcome(pv.create, xml, 8) == outcome(lv.create, xml, 8)  # halt: refused for transient
    assert outcome(pv.create, xml) == outcome(lv.create, xml)
    # a transient domain has no persistent configuration, so pyvirt records none either
    assert pv.snap_xml("t").count("<inactiveDomain") == 0
    assert normalise(pv.snap_xml("t")) == normalise(lv.snap_xml("t"))
    pv.destroy()
    lv.destroy()


def test_redefine_current_and_replace(pair) -> None:
    lv, pv = pair
    lv.start()
    lv.create("<domainsnapshot><name>a</name></domainsnapshot>")
    lv.create("<domainsnapshot><name>b</name></domainsnapshot>")
    saved = {n: lv.snap_xml(n) for n in ("a", "b")}
    pv.start()
    for side in pair:
        if side is lv:
            side.delete("b")
            side.delete("a")
        for name, flags in (("a", 1), ("b", 1 | 2)):
            side.create(saved[name], flags)
        described = saved["a"].replace("<name>a</name>", "<name>a</name>\n  <description>later</description>")
        side.create(described, 1 | 2)
    assert pv.tree() == lv.tree()
    for name in ("a", "b"):
        assert normalise(pv.snap_xml(name)) == normalise(lv.snap_xml(name))
