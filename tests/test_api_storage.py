"""Storage pools and volumes through the public API on the test driver."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import pyvirt
from pyvirt.enums import StoragePoolEventType, StoragePoolState
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError

POOL_UUID = "dfe224cb-28fb-8dd0-c4b2-64eb3f0f4566"
GIB100 = 100 * 1024**3
NODE = f"""<node>
  <pool type='dir'>
    <name>default-pool</name>
    <uuid>{POOL_UUID}</uuid>
    <target><path>/default-pool</path></target>
  </pool>
  <pool type='logical'>
    <name>lvm</name>
    <source><name>vg0</name><format type='lvm2'/></source>
    <target><path>/dev/vg0</path></target>
    <volume><name>lv1</name><capacity unit='G'>1</capacity><allocation unit='G'>1</allocation></volume>
  </pool>
</node>
"""
P2 = "<pool type='dir'><name>p2</name><target><path>/p2</path></target></pool>"


def vol_xml(name: str = "v1", cap_mib: int = 10, alloc_mib: int = 5) -> str:
    return (
        f"<volume><name>{name}</name><capacity unit='M'>{cap_mib}</capacity>"
        f"<allocation unit='M'>{alloc_mib}</allocation><target><format type='raw'/></target></volume>"
    )


@pytest.fixture
def node(tmp_path: Path) -> str:
    path = tmp_path / "node.xml"
    path.write_text(NODE)
    return f"test://{path}"


@pytest.fixture
def conn(node: str):
    with pyvirt.open(node) as c:
        yield c


@pytest.fixture
def p2(conn):
    pool = conn.define_storage_pool(P2)
    pool.start()
    return pool


def test_node_file_pools(conn) -> None:
    pool = conn.lookup_storage_pool("default-pool")
    assert conn.lookup_storage_pool(POOL_UUID) == pool
    info = pool.info()
    assert info == (StoragePoolState.RUNNING, GIB100, 0, GIB100)
    assert pool.is_active() and pool.is_persistent() and not pool.autostart
    xml = pool.xml()
    assert f"<capacity unit='bytes'>{GIB100}</capacity>" in xml
    lvm = conn.lookup_storage_pool("lvm")
    assert lvm.volume_names() == ["lv1"]
    lv = lvm.lookup_volume("lv1")
    assert lv.path() == "/dev/vg0/lv1" and lv.key == "/dev/vg0/lv1"
    assert lvm.info().allocation == 1024**3  # the node file's volume is charged to its pool


def test_pool_life_cycle_and_events(conn) -> None:
    got: list[tuple[str, int]] = []
    lock = threading.Lock()

    def cb(ev) -> None:
        with lock:
            got.append((ev.pool.name, int(ev.event)))

    conn.register_storage_pool_event(cb)
    pool = conn.define_storage_pool(P2)
    assert pool.info().state == StoragePoolState.INACTIVE
    assert pool.info().capacity == GIB100  # set on define, as libvirt's test driver
    with pytest.raises(VirtError) as err:
        pool.num_of_volumes()
    assert err.value.code == ErrorNumber.OPERATION_INVALID
    assert err.value.message.endswith("storage pool 'p2' is not active")
    pool.build()
    pool.start()
    for call in (pool.start, pool.build, pool.undefine, pool.delete):
        with pytest.raises(VirtError) as err:
            call()
        assert err.value.message.endswith("storage pool 'p2' is active")
    pool.destroy()
    pool.delete()
    pool.undefine()
    with pytest.raises(VirtError) as err:
        conn.lookup_storage_pool("p2")
    assert err.value.code == ErrorNumber.NO_STORAGE_POOL
    assert err.value.message == "Storage pool not found: no storage pool with matching name 'p2'"
    assert conn.driver.state.events.flush(5.0)
    E = StoragePoolEventType
    assert got == [("p2", e) for e in (E.DEFINED, E.CREATED, E.STARTED, E.STOPPED, E.DELETED, E.UNDEFINED)]


def test_transient_pool(conn) -> None:
    pool = conn.create_storage_pool(P2.replace("p2", "p3"))
    assert pool.is_active() and not pool.is_persistent()
    with pytest.raises(VirtError) as err:
        pool.autostart = True
    assert err.value.code == ErrorNumber.INVALID_ARG
    pool.destroy()
    assert "p3" not in [p.name for p in conn.list_storage_pools()]


def test_clashes(conn) -> None:
    with pytest.raises(VirtError) as err:
        conn.define_storage_pool(P2.replace("p2", "default-pool"))
    assert err.value.code == ErrorNumber.OPERATION_FAILED
    assert f"pool 'default-pool' already exists with uuid {POOL_UUID}" in err.value.message
    with pytest.raises(VirtError) as err:
        conn.create_storage_pool(P2.replace("p2", "default-pool"))
    assert err.value.code == ErrorNumber.OPERATION_FAILED


def test_list_filters(conn, p2) -> None:
    conn.define_storage_pool(P2.replace("p2", "p4").replace("/p2", "/p4"))
    names = lambda **kw: sorted(p.name for p in conn.list_storage_pools(**kw))  # noqa: E731
    assert names() == ["default-pool", "lvm", "p2", "p4"]
    assert names(active=False) == ["p4"]
    assert names(types=["logical"]) == ["lvm"]
    assert names(types=["dir"], active=True) == ["default-pool", "p2"]
    assert sorted(conn.list_storage_pool_names()) == ["default-pool", "lvm", "p2"]
    assert conn.list_defined_storage_pool_names() == ["p4"]
    assert conn.num_of_storage_pools() == 3 and conn.num_of_defined_storage_pools() == 1


def test_volume_life_cycle(conn, p2) -> None:
    vol = p2.create_volume(vol_xml())
    assert vol.name == "v1" and vol.key == "/p2/v1" and vol.path() == "/p2/v1"
    assert tuple(vol.info()) == (0, 10 * 1024**2, 5 * 1024**2)
    xml = vol.xml()
    assert "<key>/p2/v1</key>" in xml and "<path>/p2/v1</path>" in xml
    assert p2.info().allocation == 5 * 1024**2
    assert p2.info().available == GIB100 - 5 * 1024**2
    with pytest.raises(VirtError) as err:
        p2.create_volume(vol_xml())
    assert err.value.code == ErrorNumber.OPERATION_FAILED
    clone = p2.create_volume(vol_xml("v2"), clone_from=vol)
    assert sorted(p2.volume_names()) == ["v1", "v2"] and p2.num_of_volumes() == 2
    assert sorted(v.name for v in p2.volumes()) == ["v1", "v2"]
    assert conn.lookup_storage_volume_by_key("/p2/v2") == clone
    assert conn.lookup_storage_volume_by_path("/p2/v1") == vol
    assert vol.pool() == p2
    vol.delete()
    assert p2.info().allocation == 5 * 1024**2
    with pytest.raises(VirtError) as err:
        vol.info()
    assert err.value.code == ErrorNumber.NO_STORAGE_VOL
    assert err.value.message == "Storage volume not found: no storage vol with matching name 'v1'"
    with pytest.raises(VirtError) as err:
        conn.lookup_storage_volume_by_key("nope")
    assert err.value.code == ErrorNumber.NO_STORAGE_VOL


def test_volume_too_big(p2) -> None:
    with pytest.raises(VirtError) as err:
        p2.create_volume(vol_xml("huge", cap_mib=200 * 1024, alloc_mib=200 * 1024))
    assert err.value.code == ErrorNumber.INTERNAL_ERROR
    assert "Not enough free space in pool for volume 'huge'" in err.value.message


def test_volumes_need_running_pool(conn, p2) -> None:
    p2.create_volume(vol_xml())
    p2.destroy()
    with pytest.raises(VirtError) as err:
        p2.volumes()
    assert err.value.code == ErrorNumber.OPERATION_INVALID
    with pytest.raises(VirtError):
        conn.lookup_storage_volume_by_path("/p2/v1")  # inactive pools are not searched
    p2.start()
    assert p2.volume_names() == ["v1"]


def test_find_pool_sources(conn) -> None:
    logical = conn.find_storage_pool_sources("logical")
    assert "<name>testvg1</name>" in logical and "<name>testvg2</name>" in logical
    netfs = conn.find_storage_pool_sources("netfs", "<source><host name='nas'/></source>")
    assert "<host name='nas'/>" in netfs and "<dir path='/testshare'/>" in netfs
    with pytest.raises(VirtError) as err:
        conn.find_storage_pool_sources("netfs")
    assert err.value.code == ErrorNumber.INVALID_ARG
    with pytest.raises(VirtError) as err:
        conn.find_storage_pool_sources("iscsi")
    assert err.value.code == ErrorNumber.NO_SUPPORT


def test_read_only_connection(node: str) -> None:
    with pyvirt.open(node, readonly=True) as ro:
        pool = ro.lookup_storage_pool("default-pool")
        for call, api in (
            (lambda: ro.define_storage_pool(P2), "virStoragePoolDefineXML"),
            (pool.destroy, "virStoragePoolDestroy"),
            (lambda: pool.create_volume(vol_xml()), "virStorageVolCreateXML"),
            (lambda: ro.lookup_storage_pool("lvm").lookup_volume("lv1").delete(), "virStorageVolDelete"),
            (pool.refresh, "virStoragePoolRefresh"),
            (lambda: ro.find_storage_pool_sources("logical"), "virConnectFindStoragePoolSources"),
        ):
            with pytest.raises(VirtError) as err:
                call()
            assert err.value.code == ErrorNumber.OPERATION_DENIED
            assert err.value.domain == ErrorDomain.STORAGE
            assert err.value.message == f"operation forbidden: read only access prevents {api}"
        assert pool.is_active()


def test_refresh_event(conn) -> None:
    from pyvirt.enums import StoragePoolEventID

    got = []
    pool = conn.lookup_storage_pool("default-pool")
    conn.register_storage_pool_event(lambda ev: got.append(ev.pool.name), pool, StoragePoolEventID.REFRESH)
    pool.refresh()
    conn.lookup_storage_pool("lvm").refresh()  # another pool: not delivered
    pool.destroy()  # a life-cycle event: not delivered to a refresh callback
    assert conn.driver.state.events.flush(5.0)
    assert got == ["default-pool"]
