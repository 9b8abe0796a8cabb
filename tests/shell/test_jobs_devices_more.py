"""Job and monitor commands (domjobinfo, domjobabort, qemu-monitor-command) and the
device-XML builders (attach-disk, ...) against real virsh on test:///default: libvirt 9.0's
test driver refuses these calls, so pyvirsh must print the same errors, in the same order."""

from __future__ import annotations

import pytest

from .harness import assert_same

URI = ["-c", "test:///default"]

SCRIPTS = {
    "domjobinfo": "domjobinfo test; domjobinfo test --completed; domjobinfo nope; "
                  "domjobinfo test --keep-completed; domjobinfo nope --keep-completed; "
                  "domjobinfo test --anystats; domjobinfo test --rawstats; "
                  "domjobinfo test --completed --keep-completed; domjobinfo nope --completed; domjobinfo",
    "domjobabort": "domjobabort test; domjobabort nope; domjobabort; destroy test; domjobabort test",
    "qemu-monitor-command": "qemu-monitor-command test info; qemu-monitor-command test --hmp info; "
                            "qemu-monitor-command test '{\"execute\":\"x\"}' --pretty; "
                            "qemu-monitor-command nope x; qemu-monitor-command test --pretty --hmp x; "
                            "qemu-monitor-command test --return-value x; qemu-monitor-command test --hmp --return-value x; "
                            "qemu-monitor-command nope --hmp --pretty x; qemu-monitor-command test --pass-fds x y; "
                            "qemu-monitor-command test --hmp info registers; "
                            "qemu-monitor-command test query-x '\"a\":1'; qemu-monitor-command test",
    "readonly": "connect test:///default --readonly; domjobabort test; qemu-monitor-command test x; "
                "domjobinfo test; domjobinfo test --completed",
}


_D = "attach-disk test /tmp/a.img vdb --print-xml"
SCRIPTS.update({
    "attach-disk-print-xml": f"{_D}; {_D} --driver qemu --subdriver qcow2 --cache none --mode readonly "
                             "--type cdrom --targetbus sata; "
                             f"{_D} --sourcetype file --serial S1 --wwn 0x5000c50015ea71ac --alias ua-d --iothread 2 --io native; "
                             f"{_D} --mode shareable --rawio --address pci:0000.00.05.0; "
                             "attach-disk test /tmp/a.img sdb --print-xml --address scsi:0.0.1 --type lun; "
                             "attach-disk nope /tmp/a.img vdb --print-xml; attach-disk test /dev/null vdb --print-xml; "
                             "attach-disk test /dev/loop0 vdb --print-xml; attach-disk test /tmp vdb --print-xml; "
                             f"{_D} --sourcetype bogus; {_D} --sourcetype block; {_D} --driver file; {_D} --address bogus; "
                             f"{_D} --targetbus usb --address usb:1.2; {_D} --subdriver raw; "
                             "attach-disk test '' vdb --print-xml; "
                             f"{_D} --persistent; attach-disk test a.img vdb --print-xml --cache writeback --io threads "
                             "--serial 'a<b'; attach-disk test a sdb --print-xml --address pci:0000.00.05.0; "
                             "attach-disk test a hdb --print-xml --address ide:0.0.1; "
                             "attach-disk test a sdb --print-xml --address usb:1.2; "
                             "attach-disk test a xdb --print-xml --address pci:0.0.5.0; "
                             "attach-disk test a vdb --print-xml --address ccw:0.0.0005; "
                             "attach-disk test a vdb --type floppy --print-xml --wwn bad; "
                             "attach-disk test a vdb --print-xml --iothread x; "
                             "attach-disk test a vdb --print-xml --address pci:0.0.5",
    "attach-disk": "attach-disk test /tmp/a.img vdb; attach-disk test /tmp/a.img vdb --mode bogus; "
                   "attach-disk nope /tmp/a.img vdb --mode bogus; attach-disk test /tmp/a.img vdb --config; "
                   "attach-disk nope a vdb; attach-disk test a vdb --current --live; attach-disk test a vdb --persistent; "
                   "attach-disk test a vdb --live; attach-disk test a vdb --current; destroy test; "
                   "attach-disk test a vdb --persistent",
})


# virsh 9.0 loses the domain after detach-disk (later commands fail to find it): one per script
for _i, _s in enumerate(["detach-disk test vda", "detach-disk test vda --print-xml", "detach-disk test vdz",
                         "detach-disk nope vda", "detach-disk test vda --config", "detach-disk test vda --persistent",
                         "detach-disk test /guest/diskimage1 --print-xml", "detach-disk test vda --current --live",
                         "detach-disk test vda --config --print-xml", "detach-disk test vda --live",
                         "destroy test; detach-disk test vda --persistent --print-xml"]):
    SCRIPTS[f"detach-disk-{_i}"] = _s


_I = "attach-interface test network default"
SCRIPTS.update({
    "attach-interface-print-xml": f"{_I} --print-xml; attach-interface test bridge br0 --print-xml --target vnet0 "
                                  "--mac 52:54:00:11:22:33 --model virtio --script /bin/s --alias ua-n; "
                                  "attach-interface test bogus x --print-xml; "
                                  f"{_I} --print-xml --mac bad; {_I} --print-xml --inbound x; "
                                  "attach-interface test user x --print-xml; "
                                  "attach-interface test network 'a<b' --print-xml; "
                                  f"{_I} --print-xml --inbound 100,200,300 --outbound 5; "
                                  f"{_I} --print-xml --inbound 100,,300,7 --outbound 0; "
                                  "attach-interface nope bogus x; "
                                  f"{_I} --print-xml --model ''; attach-interface nope network default --print-xml",
    "attach-interface": f"{_I}; {_I} --config; attach-interface nope network default; {_I} --persistent; "
                        f"{_I} --current --live; {_I} --live; destroy test; {_I} --persistent",
})


for _i, _s in enumerate(["detach-interface test network", "detach-interface test network --print-xml",
                         "detach-interface test network --mac aa:bb:cc:dd:ee:ff --print-xml",
                         "detach-interface test network --mac 00:11:22:33:44:55", "detach-interface test bridge",
                         "detach-interface nope network", "detach-interface test network --config",
                         "detach-interface test bogus", "detach-interface test network --mac AA:BB:CC:DD:EE:FF --print-xml",
                         "detach-interface test network --persistent", "detach-interface test network --current --live"]):
    SCRIPTS[f"detach-interface-{_i}"] = _s


SCRIPTS["net-dhcp-leases"] = ("net-dhcp-leases default; net-dhcp-leases default --mac aa:bb:cc:dd:ee:ff; "
                              "net-dhcp-leases nope; net-dhcp-leases default --mac bad; net-dhcp-leases; "
                              "net-dhcp-leases default --mac ''")


@pytest.mark.parametrize("quiet", [False, True], ids=["plain", "quiet"])
@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_default_driver(name: str, quiet: bool) -> None:
    assert_same([*(["-q"] if quiet else []), *URI, SCRIPTS[name]])
