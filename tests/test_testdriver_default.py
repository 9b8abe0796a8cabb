"""test:///default: the objects it starts with (as the issue specifies them) and its host.

The exact XML, capabilities and sysinfo are compared with the live oracle in
tests/differential; here the values the issue names are checked, plus the sharing rules.
"""

from __future__ import annotations

import pytest
from lxml import etree

import pyvirt
from pyvirt import DomainState


@pytest.fixture
def conn():
    with pyvirt.open("test:///default") as c:
        yield c


def test_default_domain(conn) -> None:
    dom = conn.lookup_domain("test")
    assert dom.uuid == "6695eb01-f6a4-8304-79aa-97f2502e193f"
    assert dom.state()[0] == DomainState.RUNNING
    assert dom.id == 1
    info = dom.info()
    assert info.max_memory == 8 * 1024 * 1024
    assert info.memory == 2 * 1024 * 1024
    assert info.vcpus == 2
    assert dom.is_persistent()
    assert not dom.autostart
    assert not dom.has_managed_save
    assert dom.os_type == "linux"
    doc = etree.fromstring(dom.xml().encode())
    assert doc.get("id") == "1"
    assert doc.find("devices/disk/source").get("file") == "/guest/diskimage1"
    assert doc.find("devices/interface/mac").get("address") == "aa:bb:cc:dd:ee:ff"
    assert doc.find("devices/interface/target").get("dev") == "testnet0"
    assert [d.name for d in conn.list_domains()] == ["test"]


def test_default_node_info(conn) -> None:
    info = conn.node_info()
    assert (info.model, info.cpus, info.mhz) == ("i686", 16, 1400)
    assert info.memory == 3 * 1024 * 1024
    assert (info.nodes, info.sockets, info.cores, info.threads) == (2, 2, 2, 2)


def test_default_capabilities_describe_two_cells(conn) -> None:
    caps = etree.fromstring(conn.capabilities().encode())
    cells = caps.findall("host/topology/cells/cell")
    assert len(cells) == 2
    assert sum(len(c.findall("cpus/cpu")) for c in cells) == 16
    assert caps.findtext("host/cpu/arch") == "i686"
    assert sorted(g.findtext("os_type") for g in caps.findall("guest")) == ["hvm", "xen"]
    assert caps.findtext("host/secmodel/model") == "testSecurity"
    assert len(conn.cells_free_memory(0, 8)) == 2


def test_default_family_objects_loaded(conn) -> None:
    """Each family that exists loads its default objects through the node-file hooks."""
    from pyvirt.drivers.test.state import family_modules

    state = conn.driver.state
    loaded = {m.__name__.rsplit(".", 1)[1] for m in family_modules()}
    expected = {"networks": ("networks", "default"), "storage": ("pools", "default-pool")}
    for module, (attr, name) in expected.items():
        if module in loaded:
            assert [o.name for o in getattr(state, attr)] == [name]
    if "snapshots" in loaded:
        assert len(state.domains.by_name("test").snapshots) == 0


def test_lookup_by_id_after_restart_of_default_domain(conn) -> None:
    dom = conn.lookup_domain("test")
    dom.destroy()
    assert dom.id == -1
    dom.start()
    assert dom.id > 1
    assert conn.lookup_domain(dom.id) == dom


def test_version_numbers(conn) -> None:
    assert conn.version() == 2  # "TEST 0.0.2"
    assert conn.lib_version() == 9_000_000
    assert conn.type() == "TEST"
    assert conn.uri == "test:///default"
