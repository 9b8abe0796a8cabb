"""test:///PATH.xml: custom <node> files, file= includes, the test: namespace, node facts.

Where libvirt-python is installed, the loaded state is also compared with libvirt's own test
driver reading the very same file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import pyvirt
from pyvirt import DomainState
from pyvirt.errors import ErrorNumber, VirtError

NS = "xmlns:test='http://libvirt.org/schemas/domain/test/1.0'"


def dom(name: str, uuid_tail: str, extra: str = "") -> str:
    return (
        f"<domain type='test' {NS}><name>{name}</name>"
        f"<uuid>12345678-1234-1234-1234-{uuid_tail:0>12}</uuid>"
        f"<memory>524288</memory><vcpu>1</vcpu><os><type>hvm</type></os>{extra}"
        f"<devices><interface type='network'><mac address='52:54:00:00:00:{uuid_tail[-2:]:0>2}'/>"
        "<source network='default'/></interface></devices></domain>"
    )


NODE = f"""<node>
  <cpu>
    <mhz>2000</mhz>
    <model>i686</model>
    <nodes>1</nodes>
    <sockets>2</sockets>
    <cores>4</cores>
    <threads>1</threads>
    <active>6</active>
  </cpu>
  <memory>8192000</memory>
  {dom("running", "1")}
  {dom("paused", "2", "<test:runstate>3</test:runstate>")}
  {dom("off", "3", "<test:runstate>5</test:runstate>")}
  {dom("saved", "4", "<test:runstate>5</test:runstate><test:hasmanagedsave/>")}
  {dom("transient", "5", "<test:transient/>")}
  <domain file='included-domain.xml'/>
</node>
"""


def write_node(tmp_path: Path, text: str = NODE) -> Path:
    (tmp_path / "included-domain.xml").write_text(dom("included", "6", "<test:runstate>5</test:runstate>"))
    path = tmp_path / "node.xml"
    path.write_text(text)
    return path


def snapshot(conn) -> dict[str, tuple]:
    out = {}
    for d in conn.list_domains():
        state, reason = d.state()
        out[d.name] = (int(state), int(reason), d.id, d.is_persistent(), d.has_managed_save)
    return out


def test_node_file_domains_and_run_states(tmp_path: Path) -> None:
    with pyvirt.open(f"test://{write_node(tmp_path)}") as conn:
        got = snapshot(conn)
        assert set(got) == {"running", "paused", "off", "saved", "transient", "included"}
        assert got["running"][:2] == (DomainState.RUNNING, 0)
        assert got["paused"][0] == DomainState.PAUSED
        assert got["off"][:3] == (DomainState.SHUTOFF, 0, -1)
        assert got["saved"][4] is True
        assert got["transient"][3] is False
        assert got["included"][0] == DomainState.SHUTOFF
        active_ids = sorted(v[2] for v in got.values() if v[2] != -1)
        assert active_ids == [1, 2, 3]
        # a persistent running domain from a file has a separate config ready
        running = conn.lookup_domain("running")
        running.set_memory(262144, config=True)
        assert "262144" in running.xml(inactive=True) and "262144" not in running.xml()


def test_node_facts(tmp_path: Path) -> None:
    with pyvirt.open(f"test://{write_node(tmp_path)}") as conn:
        info = conn.node_info()
        assert (info.mhz, info.nodes, info.sockets, info.cores, info.threads) == (2000, 1, 2, 4, 1)
        assert info.cpus == 6  # <active> caps nodes*sockets*cores*threads
        assert info.memory == 8192000


def test_same_as_libvirt(tmp_path: Path) -> None:
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
    libvirt.registerErrorHandler(lambda *a: None, None)
    path = write_node(tmp_path)
    theirs = libvirt.open(f"test://{path}")
    try:
        expected = {}
        for d in theirs.listAllDomains():
            expected[d.name()] = (*d.state(), d.ID(), bool(d.isPersistent()), bool(d.hasManagedSaveImage(0)))
        xml = {d.name(): (d.XMLDesc(0), d.XMLDesc(2)) for d in theirs.listAllDomains()}
        info = theirs.getInfo()
    finally:
        theirs.close()
    with pyvirt.open(f"test://{path}") as conn:
        assert snapshot(conn) == expected
        for name, (live, inactive) in xml.items():
            d = conn.lookup_domain(name)
            assert (d.xml(), d.xml(inactive=True)) == (live, inactive), name
        ours = conn.node_info()
        assert [ours.model, ours.memory // 1024, *ours[2:]] == info


@pytest.mark.parametrize(
    "body, code, text",
    [
        ("<notnode/>", ErrorNumber.XML_ERROR, "Root element is not 'node'"),
        ("<node><cpu><mhz>fast</mhz></cpu></node>", ErrorNumber.XML_ERROR, "invalid node cpu mhz value"),
        (f"<node>{dom('x', '7', '<test:runstate>99</test:runstate>')}</node>", ErrorNumber.XML_ERROR, "out of range"),
        (f"<node>{dom('x', '7', '<test:runstate>abc</test:runstate>')}</node>", ErrorNumber.XML_ERROR, "invalid runstate"),
        (
            f"<node>{dom('x', '7', '<test:transient/><test:runstate>5</test:runstate>')}</node>",
            ErrorNumber.XML_ERROR,
            "transient domain cannot have runstate 'shutoff'",
        ),
        (
            f"<node>{dom('x', '7', '<test:hasmanagedsave/>')}</node>",
            ErrorNumber.XML_ERROR,
            "managedsave data can only have runstate 'shutoff'",
        ),
        ("<node><domain file='missing.xml'/></node>", ErrorNumber.XML_ERROR, "failed to parse xml document"),
        ("<node><auth><user password='p'></user></auth></node>", ErrorNumber.XML_ERROR, "missing username"),
        ("<node><broken", ErrorNumber.XML_DETAIL, ""),
    ],
)
def test_bad_node_files(tmp_path: Path, body: str, code: ErrorNumber, text: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(body)
    with pytest.raises(VirtError) as info:
        pyvirt.open(f"test://{path}")
    assert info.value.code == code
    assert text in info.value.message


def test_duplicate_domain_names_in_node(tmp_path: Path) -> None:
    a = dom("twin", "8")
    b = dom("twin", "9")
    path = tmp_path / "dup.xml"
    path.write_text(f"<node>{a}{b}</node>")
    with pytest.raises(VirtError) as info:
        pyvirt.open(f"test://{path}")
    assert info.value.code == ErrorNumber.OPERATION_FAILED


def test_auth_users(tmp_path: Path) -> None:
    path = tmp_path / "auth.xml"
    path.write_text("<node><auth><user password='secret'>alice</user><user>bob</user></auth></node>")
    with pytest.raises(VirtError) as info:
        pyvirt.open(f"test://{path}")
    assert info.value.code == ErrorNumber.AUTH_FAILED
    with pytest.raises(VirtError):
        pyvirt.open(f"test://{path}", auth=("alice", "wrong"))
    with pyvirt.open(f"test://{path}", auth=("alice", "secret")) as conn:
        assert conn.list_domains() == []
    with pyvirt.open(f"test://{path}", auth=("bob", None)) as conn:
        assert conn.is_alive()


def test_snapshot_elements_reach_the_snapshot_family(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Predefined <test:domainsnapshot> documents (inline or file=) are handed to the hook."""
    from pyvirt.drivers.test import state as state_mod

    received: list[tuple[str, list[str]]] = []
    real = state_mod.call_hooks

    def spy(hook: str, *args) -> None:
        if hook == "load_domain_snapshots":
            _, obj, elements, _ = args
            received.append((obj.name, [e.findtext("name") for e in elements]))
        real(hook, *args)

    monkeypatch.setattr("pyvirt.drivers.test.domains.call_hooks", spy)
    (tmp_path / "snap2.xml").write_text("<domainsnapshot><name>s2</name></domainsnapshot>")
    body = dom(
        "withsnaps",
        "a",
        "<test:runstate>5</test:runstate>"
        "<test:domainsnapshot><name>s1</name></test:domainsnapshot>"
        "<test:domainsnapshot file='snap2.xml'/>",
    )
    path = tmp_path / "snaps.xml"
    path.write_text(f"<node>{body}</node>")
    try:
        conn = pyvirt.open(f"test://{path}")
    except VirtError:
        conn = None  # the snapshot family may reject these minimal documents
    if conn is not None:
        conn.close()
    assert received == [("withsnaps", ["s1", "s2"])]


def _snapshot_node(tmp_path: Path, active: str) -> Path:
    snap = (
        "<test:domainsnapshot><name>s1</name><state>shutoff</state><creationTime>1</creationTime>"
        f"{active}<domain><uuid>12345678-1234-1234-1234-00000000000b</uuid></domain>"
        "</test:domainsnapshot>"
    )
    path = tmp_path / "snapnode.xml"
    path.write_text(f"<node>{dom('withsnap', 'b', '<test:runstate>5</test:runstate>' + snap)}</node>")
    return path


def _open_outcome(opener, uri: str, error_type: type, error_fields) -> tuple:
    try:
        conn = opener(uri)
    except error_type as exc:
        return ("error", *error_fields(exc))
    conn.close()
    return ("ok",)


@pytest.mark.parametrize("active", ["", "<active/>", "<active>x</active>", "<active>0</active>", "<active>1</active>"])
def test_snapshot_active_element_as_libvirt(tmp_path: Path, active: str) -> None:
    """A node file's snapshots are internal metadata: libvirt requires a numeric <active>."""
    path = _snapshot_node(tmp_path, active)
    uri = f"test://{path}"
    ours = _open_outcome(pyvirt.open, uri, VirtError, lambda e: (int(e.code), int(e.domain), e.message))
    if not active:
        assert ours == ("error", ErrorNumber.INTERNAL_ERROR, 35, "internal error: Could not find 'active' element")
    libvirt = pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")
    libvirt.registerErrorHandler(lambda *a: None, None)
    theirs = _open_outcome(
        libvirt.open, uri, libvirt.libvirtError,
        lambda e: (e.get_error_code(), e.get_error_domain(), e.get_error_message()),
    )
    assert ours == theirs


def test_snapshot_active_marks_current(tmp_path: Path) -> None:
    with pyvirt.open(f"test://{_snapshot_node(tmp_path, '<active>1</active>')}") as conn:
        assert conn.lookup_domain("withsnap").current_snapshot().name == "s1"
    with pyvirt.open(f"test://{_snapshot_node(tmp_path, '<active>0</active>')}") as conn:
        assert not conn.lookup_domain("withsnap").has_current_snapshot()


def _host_objects(conn: pyvirt.Connection) -> dict[str, list[tuple[str, ...]]]:
    """Every network, pool, interface and node device with the facts a caller sees."""
    return {
        "networks": [(n.name, n.uuid, str(n.is_active()), n.xml()) for n in conn.list_networks()],
        "pools": [(p.name, p.uuid, str(p.is_active()), p.xml()) for p in conn.list_storage_pools()],
        "interfaces": [(i.name, i.mac, str(i.is_active()), i.xml()) for i in conn.list_interfaces()],
        "nodedevs": [(d.name, d.xml()) for d in conn.list_node_devices()],
    }


def test_default_objects_parsed_on_first_use_equal_eager_ones(tmp_path: Path) -> None:
    """test:///default parses its network, pool, interface and devices on first use; the
    result must be what loading the same document from a node file (parsed at once) gives."""
    from pyvirt.drivers.test.defaults import DEFAULT_NODE_XML

    path = tmp_path / "default-copy.xml"
    path.write_text(DEFAULT_NODE_XML)
    with pyvirt.open(f"test://{path}") as eager, pyvirt.open("test:///default") as lazy:
        expected = _host_objects(eager)
        assert all(expected.values())
        assert _host_objects(lazy) == expected
        # lookups by name and uuid answer before and after the definition is parsed
        assert lazy.lookup_network("default").name == "default"
        assert lazy.lookup_storage_pool(expected["pools"][0][1]).name == "default-pool"


def test_default_open_leaves_other_families_unparsed() -> None:
    """Opening test:///default and listing domains needs only the domain XML model."""
    import subprocess
    import sys

    code = (
        "import sys, pyvirt\n"
        "c = pyvirt.open('test:///default'); c.list_domains()\n"
        "print(sorted(m for m in ('pyvirt.conf.network', 'pyvirt.conf.storage', 'pyvirt.conf.interface',"
        " 'pyvirt.conf.nodedev', 'importlib.metadata') if m in sys.modules))\n"
        "print([n.name for n in c.list_networks()], [p.name for p in c.list_storage_pools()])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded, names = out.splitlines()
    assert "pyvirt.conf.network" not in loaded and "pyvirt.conf.storage" not in loaded
    assert "pyvirt.conf.interface" not in loaded and "pyvirt.conf.nodedev" not in loaded
    assert "importlib.metadata" not in loaded
    assert names == "['default'] ['default-pool']"
