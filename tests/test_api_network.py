"""Virtual networks through the public API on the test driver."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import pyvirt
from pyvirt.enums import NetworkEventType
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError

DEFAULT_UUID = "dd8fe884-6c02-601e-7551-cca97df1c5df"
NODE = f"""<node>
  <network>
    <name>default</name>
    <uuid>{DEFAULT_UUID}</uuid>
    <bridge name='virbr0'/>
    <forward/>
    <ip address='192.168.122.1' netmask='255.255.255.0'>
      <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>
    </ip>
  </network>
</node>
"""
N2 = "<network><name>n2</name><uuid>0fd362db-838f-4e0d-bfed-49ae41fe7e54</uuid><bridge name='virbr9'/></network>"


@pytest.fixture
def node(tmp_path: Path) -> str:
    path = tmp_path / "node.xml"
    path.write_text(NODE)
    return f"test://{path}"


@pytest.fixture
def conn(node: str):
    with pyvirt.open(node) as c:
        yield c


class Events:
    def __init__(self, conn) -> None:
        self.conn = conn
        self.got: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        conn.register_network_event(self._cb)

    def _cb(self, ev) -> None:
        with self.lock:
            self.got.append((ev.network.name, int(ev.event)))

    def take(self) -> list[tuple[str, int]]:
        assert self.conn.driver.state.events.flush(5.0)
        with self.lock:
            out, self.got = self.got, []
        return out


def test_node_file_network_is_running_and_persistent(conn) -> None:
    net = conn.lookup_network("default")
    assert net.uuid == DEFAULT_UUID
    assert net.is_active() and net.is_persistent()
    assert net.autostart is False
    assert net.bridge_name() == "virbr0"
    xml = net.xml()
    assert "<forward mode='nat'/>" in xml  # a bare <forward/> means NAT
    assert conn.lookup_network(DEFAULT_UUID) == net


def test_define_start_stop_undefine_with_events(conn) -> None:
    ev = Events(conn)
    net = conn.define_network(N2)
    assert not net.is_active() and net.is_persistent()
    assert conn.list_defined_network_names() == ["n2"]
    assert conn.num_of_defined_networks() == 1 and conn.num_of_networks() == 1
    net.start()
    assert net.is_active()
    with pytest.raises(VirtError) as err:
        net.start()
    assert err.value.code == ErrorNumber.OPERATION_INVALID
    assert err.value.message.endswith("Network 'n2' is already running")
    with pytest.raises(VirtError) as err:
        net.undefine()
    assert err.value.message.endswith("Network 'n2' is still running")
    net.destroy()
    net.undefine()
    with pytest.raises(VirtError) as err:
        conn.lookup_network("n2")
    assert err.value.code == ErrorNumber.NO_NETWORK
    assert err.value.message == "Network not found: no network with matching name 'n2'"
    assert ev.take() == [
        ("n2", NetworkEventType.DEFINED),
        ("n2", NetworkEventType.STARTED),
        ("n2", NetworkEventType.STOPPED),
        ("n2", NetworkEventType.UNDEFINED),
    ]


def test_transient_network_disappears_on_destroy(conn) -> None:
    net = conn.create_network(N2)
    assert net.is_active() and not net.is_persistent()
    net.destroy()
    assert [n.name for n in conn.list_networks()] == ["default"]


def test_name_and_uuid_clashes(conn) -> None:
    with pytest.raises(VirtError) as err:
        conn.define_network(f"<network><name>n5</name><uuid>{DEFAULT_UUID}</uuid></network>")
    assert err.value.code == ErrorNumber.OPERATION_FAILED
    assert f"network 'default' is already defined with uuid {DEFAULT_UUID}" in err.value.message
    with pytest.raises(VirtError) as err:
        conn.define_network("<network><name>default</name></network>")
    assert f"network 'default' already exists with uuid {DEFAULT_UUID}" in err.value.message
    assert err.value.domain == ErrorDomain.NETWORK


def test_redefine_running_network_keeps_running_definition(conn) -> None:
    conn.define_network(N2).start()
    conn.define_network(N2.replace("virbr9", "virbr8"))
    net = conn.lookup_network("n2")
    assert net.bridge_name() == "virbr9"  # running with the old definition
    net.destroy()
    net.start()
    # libvirt's test driver never applies the pending definition; neither does pyvirt's
    assert net.bridge_name() == "virbr9"


def test_list_filters(conn) -> None:
    conn.define_network(N2)
    names = lambda **kw: sorted(n.name for n in conn.list_networks(**kw))  # noqa: E731
    assert names() == ["default", "n2"]
    assert names(active=True) == ["default"]
    assert names(active=False) == ["n2"]
    assert names(persistent=True) == ["default", "n2"]
    assert names(persistent=False) == []
    conn.lookup_network("n2").autostart = True
    assert names(autostart=True) == ["n2"]
    assert names(autostart=False) == ["default"]
    with pytest.raises(VirtError) as err:
        conn.list_networks(flags=64)
    assert err.value.code == ErrorNumber.INVALID_ARG


def test_xml_flags_and_bad_xml(conn) -> None:
    with pytest.raises(VirtError) as err:
        conn.lookup_network("default").xml(inactive=True)
    assert "unsupported flags (0x1)" in err.value.message  # as libvirt's test driver
    with pytest.raises(VirtError) as err:
        conn.define_network("<network><name>broken")
    assert err.value.code == ErrorNumber.XML_DETAIL
    with pytest.raises(VirtError):
        conn.define_network("<network/>")


def test_missing_bridge(conn) -> None:
    net = conn.define_network("<network><name>nobr</name></network>")
    with pytest.raises(VirtError) as err:
        net.bridge_name()
    assert err.value.code == ErrorNumber.INTERNAL_ERROR


def test_stale_handle(conn) -> None:
    net = conn.define_network(N2)
    net.undefine()
    with pytest.raises(VirtError) as err:
        net.is_active()
    assert err.value.code == ErrorNumber.NO_NETWORK


def test_read_only_connection(node: str) -> None:
    with pyvirt.open(node, readonly=True) as ro:
        net = ro.lookup_network("default")
        assert net.is_active()
        for call, api in (
            (lambda: ro.define_network(N2), "virNetworkDefineXML"),
            (net.destroy, "virNetworkDestroy"),
            (net.undefine, "virNetworkUndefine"),
        ):
            with pytest.raises(VirtError) as err:
                call()
            assert err.value.code == ErrorNumber.OPERATION_DENIED
            assert err.value.domain == ErrorDomain.NETWORK
            assert err.value.message == f"operation forbidden: read only access prevents {api}"
        assert net.is_active()


def test_update_dhcp_hosts(conn) -> None:
    net = conn.lookup_network("default")
    host = "<host mac='00:16:3E:77:E2:ED' name='foo' ip='192.168.122.10'/>"
    net.update(3, 4, host)  # ADD_LAST, IP_DHCP_HOST
    assert "<host mac='00:16:3e:77:e2:ed' name='foo' ip='192.168.122.10'/>" in net.xml()
    with pytest.raises(VirtError) as err:
        net.update(3, 4, host)
    assert err.value.code == ErrorNumber.OPERATION_INVALID
    assert "there is an existing dhcp host entry" in err.value.message
    net.update(1, 4, "<host mac='00:16:3e:77:e2:ed' name='bar' ip='192.168.122.11'/>")  # MODIFY
    assert "name='bar'" in net.xml() and "name='foo'" not in net.xml()
    net.update(2, 4, "<host mac='00:16:3e:77:e2:ed'/>")  # DELETE
    assert "<host " not in net.xml()
    with pytest.raises(VirtError) as err:
        net.update(2, 4, "<host mac='00:16:3e:77:e2:ed'/>")
    assert "couldn't locate a matching dhcp host entry" in err.value.message


def test_update_refusals_change_nothing(conn) -> None:
    net = conn.lookup_network("default")
    before = net.xml()
    for args, code in (
        ((3, 1, "<bridge name='x'/>"), ErrorNumber.OPERATION_UNSUPPORTED),
        ((1, 5, "<range start='192.168.122.3' end='192.168.122.4'/>"), ErrorNumber.OPERATION_UNSUPPORTED),
        ((3, 4, "<foo/>"), ErrorNumber.XML_ERROR),
        ((0, 4, "<host mac='00:16:3e:77:e2:ed'/>"), ErrorNumber.OPERATION_UNSUPPORTED),
    ):
        with pytest.raises(VirtError) as err:
            net.update(*args)
        assert err.value.code == code, args
    with pytest.raises(VirtError) as err:
        net.update(3, 4, "<host mac='00:16:3e:77:e2:ed'/>", index=7)
    assert "no <ip> element found at index 7" in err.value.message
    assert net.xml() == before


def test_update_config_of_transient_is_refused(conn) -> None:
    net = conn.create_network(N2.replace("<bridge name='virbr9'/>", "<bridge name='virbr9'/><ip address='10.1.0.1' netmask='255.255.255.0'/>"))
    with pytest.raises(VirtError) as err:
        net.update(3, 5, "<range start='10.1.0.2' end='10.1.0.9'/>", flags=2)
    assert err.value.message.endswith("cannot change persistent config of a transient network")
    net.update(3, 5, "<range start='10.1.0.2' end='10.1.0.9'/>")
    assert "<range start='10.1.0.2' end='10.1.0.9'/>" in net.xml()


def test_async_network_and_pool_events(tmp_path: Path) -> None:
    import asyncio

    node = tmp_path / "node.xml"
    node.write_text(NODE.replace("</node>", "<pool type='dir'><name>p</name><target><path>/p</path></target></pool></node>"))

    async def main() -> list[tuple[str, int]]:
        with pyvirt.open(f"test://{node}") as conn:
            seen: list[tuple[str, int]] = []
            async with conn.network_events() as nets, conn.storage_pool_events() as pools:
                await asyncio.to_thread(lambda: conn.define_network(N2).start())
                await asyncio.to_thread(lambda: conn.lookup_storage_pool("p").destroy())
                for _ in range(2):
                    ev = await nets.get(5.0)
                    seen.append((ev.network.name, int(ev.event)))
                ev = await pools.get(5.0)
                seen.append((ev.pool.name, int(ev.event)))
            return seen

    from pyvirt.enums import StoragePoolEventType

    assert asyncio.run(main()) == [
        ("n2", NetworkEventType.DEFINED),
        ("n2", NetworkEventType.STARTED),
        ("p", StoragePoolEventType.STOPPED),
    ]
