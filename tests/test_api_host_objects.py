"""Host interfaces and node devices through the public API on the test driver."""

from __future__ import annotations

from pathlib import Path

import pytest

import pyvirt
from pyvirt.errors import ErrorDomain, ErrorNumber, VirtError

NODE = """<node>
  <interface type='ethernet' name='eth1'>
    <start mode='onboot'/>
    <mac address='aa:bb:cc:dd:ee:ff'/>
    <mtu size='1492'/>
    <protocol family='ipv4'>
      <ip address='192.168.0.5' prefix='24'/>
      <route gateway='192.168.0.1'/>
    </protocol>
  </interface>
  <device>
    <name>computer</name>
    <capability type='system'>
      <hardware><vendor>Libvirt</vendor><uuid>11111111-2222-3333-4444-555555555555</uuid></hardware>
    </capability>
  </device>
  <device>
    <name>scsi_host1</name>
    <parent>computer</parent>
    <capability type='scsi_host'>
      <host>1</host>
      <unique_id>0</unique_id>
      <capability type='fc_host'>
        <wwnn>2000000012341234</wwnn>
        <wwpn>1000000012341234</wwpn>
        <fabric_wwn>2000000043214321</fabric_wwn>
      </capability>
      <capability type='vport_ops'>
        <max_vports>127</max_vports>
        <vports>1</vports>
      </capability>
    </capability>
  </device>
  <device>
    <name>scsi_host11</name>
    <parent>scsi_host1</parent>
    <capability type='scsi_host'>
      <host>11</host>
      <unique_id>10</unique_id>
      <capability type='fc_host'>
        <wwnn>2000000034563456</wwnn>
        <wwpn>1000000034563456</wwpn>
        <fabric_wwn>2000000043214321</fabric_wwn>
      </capability>
    </capability>
  </device>
</node>
"""
ETH2 = "<interface type='ethernet' name='eth2'><mac address='aa:bb:cc:dd:ee:01'/></interface>"
VHBA = """<device><parent>{parent}</parent><capability type='scsi_host'>
<capability type='fc_host'><wwnn>2000000012341299</wwnn><wwpn>1000000012341299</wwpn></capability>
</capability></device>"""


@pytest.fixture
def node(tmp_path: Path) -> str:
    path = tmp_path / "node.xml"
    path.write_text(NODE)
    return f"test://{path}"


@pytest.fixture
def conn(node: str):
    with pyvirt.open(node) as c:
        yield c


# -- interfaces ----------------------------------------------------------------------------------


def test_node_file_interface(conn) -> None:
    eth1 = conn.lookup_interface("eth1")
    assert eth1.mac == "aa:bb:cc:dd:ee:ff"
    assert eth1.is_active()
    assert conn.lookup_interface_by_mac("AA:BB:CC:DD:EE:FF") == eth1  # MAC lookup ignores case
    xml = eth1.xml()
    assert "<mtu size='1492'/>" in xml and "<ip address='192.168.0.5' prefix='24'/>" in xml
    assert conn.list_interface_names() == ["eth1"] and conn.num_of_interfaces() == 1


def test_interface_life_cycle(conn) -> None:
    eth2 = conn.define_interface(ETH2)
    assert not eth2.is_active()
    assert conn.list_defined_interface_names() == ["eth2"]
    with pytest.raises(VirtError) as err:
        eth2.destroy()
    assert err.value.code == ErrorNumber.OPERATION_INVALID
    eth2.start()
    assert eth2.is_active()
    with pytest.raises(VirtError) as err:
        eth2.start()
    assert err.value.code == ErrorNumber.OPERATION_INVALID
    assert sorted(i.name for i in conn.list_interfaces(active=True)) == ["eth1", "eth2"]
    eth2.undefine()  # libvirt's test driver lets a running interface be undefined
    with pytest.raises(VirtError) as err:
        conn.lookup_interface("eth2")
    assert err.value.code == ErrorNumber.NO_INTERFACE
    assert err.value.message == "Interface not found: no interface with matching name 'eth2'"
    with pytest.raises(VirtError) as err:
        conn.lookup_interface_by_mac("aa:bb:cc:dd:ee:00")
    assert err.value.message.endswith("no interface with matching mac 'aa:bb:cc:dd:ee:00'")


def test_interface_transactions(conn) -> None:
    conn.interface_change_begin()
    with pytest.raises(VirtError) as err:
        conn.interface_change_begin()
    assert err.value.message.endswith("there is another transaction running.")
    conn.define_interface(ETH2)
    conn.interface_change_rollback()
    assert [i.name for i in conn.list_interfaces()] == ["eth1"]
    with pytest.raises(VirtError) as err:
        conn.interface_change_commit()
    assert err.value.message.endswith("no transaction running, nothing to be committed.")
    conn.interface_change_begin()
    conn.define_interface(ETH2)
    conn.interface_change_commit()
    assert sorted(i.name for i in conn.list_interfaces()) == ["eth1", "eth2"]
    with pytest.raises(VirtError) as err:
        conn.interface_change_rollback()
    assert err.value.message.endswith("no transaction running, nothing to rollback.")


def test_bad_interface_xml(conn) -> None:
    with pytest.raises(VirtError):
        conn.define_interface("<interface type='bogus' name='x'/>")
    with pytest.raises(VirtError) as err:
        conn.lookup_interface("eth1").xml(inactive=True)
    assert err.value.code == ErrorNumber.INVALID_ARG  # libvirt's test driver has no inactive XML


# -- node devices --------------------------------------------------------------------------------


def test_node_devices_listing(conn) -> None:
    assert conn.list_node_device_names() == ["computer", "scsi_host1", "scsi_host11"]
    assert conn.num_of_node_devices("scsi_host") == 2
    assert conn.list_node_device_names("system") == ["computer"]
    assert sorted(d.name for d in conn.list_node_devices(caps=["fc_host"])) == ["scsi_host1", "scsi_host11"]
    assert [d.name for d in conn.list_node_devices(caps=["vports"])] == ["scsi_host1"]
    assert conn.list_node_devices(caps=["pci"]) == []


def test_node_device_properties(conn) -> None:
    host = conn.lookup_node_device("scsi_host1")
    assert host.parent() == "computer"
    assert host.capabilities() == ["scsi_host"] and host.num_of_capabilities() == 1
    assert "<wwnn>2000000012341234</wwnn>" in host.xml()
    assert conn.lookup_node_device("computer").parent() is None
    with pytest.raises(VirtError) as err:
        conn.lookup_node_device("nope")
    assert err.value.code == ErrorNumber.NO_NODE_DEVICE
    assert err.value.message == "Node device not found: no node device with matching name 'nope'"


def test_create_and_destroy_vhba(conn) -> None:
    dev = conn.create_node_device(VHBA.format(parent="scsi_host1"))
    assert dev.name == "scsi_host12"
    xml = dev.xml()
    assert "<wwnn>2000000012341299</wwnn>" in xml and "<wwpn>1000000012341299</wwpn>" in xml
    assert dev.parent() == "scsi_host1"
    dev.destroy()
    with pytest.raises(VirtError) as err:
        dev.xml()
    assert err.value.code == ErrorNumber.NO_NODE_DEVICE


def test_create_vhba_needs_vport_parent(conn) -> None:
    with pytest.raises(VirtError) as err:
        conn.create_node_device(VHBA.format(parent="computer"))
    assert err.value.code == ErrorNumber.INTERNAL_ERROR
    assert "Parent device computer is not capable of vport operations" in err.value.message


def test_read_only_connection(node: str) -> None:
    with pyvirt.open(node, readonly=True) as ro:
        eth1 = ro.lookup_interface("eth1")
        host = ro.lookup_node_device("scsi_host11")
        for call, api, domain in (
            (eth1.destroy, "virInterfaceDestroy", ErrorDomain.INTERFACE),
            (lambda: ro.define_interface(ETH2), "virInterfaceDefineXML", ErrorDomain.INTERFACE),
            (host.destroy, "virNodeDeviceDestroy", ErrorDomain.NODEDEV),
            (lambda: ro.create_node_device(VHBA.format(parent="scsi_host1")), "virNodeDeviceCreateXML", ErrorDomain.NODEDEV),
        ):
            with pytest.raises(VirtError) as err:
                call()
            assert err.value.code == ErrorNumber.OPERATION_DENIED
            assert err.value.domain == domain
            assert err.value.message == f"operation forbidden: read only access prevents {api}"
        assert eth1.is_active()
        assert ro.lookup_node_device("scsi_host11") == host


def test_node_device_events(conn) -> None:
    from pyvirt.enums import NodeDeviceEventType

    got = []
    conn.register_node_device_event(lambda ev: got.append((ev.device.name, int(ev.event))))
    dev = conn.create_node_device(VHBA.format(parent="scsi_host1"))
    dev.destroy()
    assert conn.driver.state.events.flush(5.0)
    assert got == [("scsi_host12", NodeDeviceEventType.CREATED), ("scsi_host12", NodeDeviceEventType.DELETED)]
