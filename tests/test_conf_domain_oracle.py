"""Small hand-written documents, each aimed at one rule of libvirt's generic parse, compared
live with libvirt (define + dumpxml --inactive on a test driver with an empty node).

The corpus covers what libvirt's own tests cover; these probes pin the individual rules
(insertion orders, index assignment, console/serial aliasing, defaults per model, errors),
so a regression names the rule. Skipped without libvirt-python.
"""

from __future__ import annotations

import pytest
from conformance.domain_oracle import compare_text

HEAD = "<domain type='qemu'><name>probe</name><memory>1024</memory><os><type>hvm</type></os>"


def disk(device: str, dev: str, bus: str | None = None, extra: str = "") -> str:
    bus_attr = f" bus='{bus}'" if bus else ""
    return f"<disk type='file' device='{device}'><source file='/{dev}'/><target dev='{dev}'{bus_attr}/>{extra}</disk>"


PROBES = {
    "defaults": "",
    "device-kind-order": "<devices><rng model='virtio'><backend model='random'/></rng>"
    "<memballoon model='virtio'/><watchdog model='i6300esb'/><video><model type='vga'/></video>"
    "<sound model='ich6'/><graphics type='spice'/><input type='tablet'/><channel type='pty'>"
    "<target type='virtio' name='org.x'/></channel><console type='pty'/><parallel type='pty'/>"
    "<serial type='pty'/><interface type='user'/><controller type='usb'/>"
    + disk("disk", "hda") + "<emulator>/bin/q</emulator></devices>",
    "controller-index-and-order": "<devices><controller type='usb'/><controller type='usb' index='0'/>"
    "<controller type='scsi' index='3'/><controller type='scsi' index='1'/><controller type='scsi'/>"
    "<controller type='pci' model='pcie-root'/><controller type='pci' model='pcie-root-port'/></devices>",
    "disk-insertion-order": "<devices>" + disk("disk", "sdb", "scsi") + disk("disk", "sda", "scsi")
    + disk("disk", "sdz", "scsi") + disk("disk", "hdb", "ide") + disk("disk", "vdb", "virtio")
    + disk("disk", "hdx", "ide") + "</devices>",
    "disk-bus-and-drive-address": "<devices>" + disk("disk", "sdp") + disk("floppy", "fdb")
    + disk("cdrom", "hdc") + disk("disk", "sdb", "sata") + disk("disk", "sdc", "usb") + "</devices>",
    "serial-ports": "<devices><serial type='pty'/><serial type='pty'><target port='3'/></serial>"
    "<serial type='pty'/><console type='pty'/><console type='pty'><target type='virtio'/></console></devices>",
    "console-makes-serial": "<devices><console type='pty'><target port='3'/></console></devices>",
    "console-virtio-first": "<devices><console type='pty'><target type='virtio' port='5'/></console>"
    "<serial type='pty'/></devices>",
    "graphics-vnc": "<devices><graphics type='vnc'/><graphics type='vnc' port='5901'/>"
    "<graphics type='vnc' listen='1.2.3.4'/><graphics type='vnc' socket='/tmp/s'/>"
    "<graphics type='vnc'><listen type='network' network='default'/></graphics></devices>",
    "graphics-spice": "<devices><graphics type='spice' port='5903' tlsPort='5904' autoport='no' "
    "listen='127.0.0.1'/><graphics type='spice' autoport='yes'/><graphics type='spice' port='5900'/>"
    "<graphics type='spice' autoport='no'/></devices>",
    "video-models": "<devices><video><model type='qxl'/></video><video><model type='vga'/></video>"
    "<video><model type='virtio'/></video><video><model type='bochs'/></video><video/></devices>",
    "video-primary-moves-first": "<devices><video><model type='vga'/></video>"
    "<video><model type='qxl' primary='yes'/></video></devices>",
    "inputs": "<devices><input type='mouse'/><input type='keyboard' bus='usb'/><input type='tablet'/></devices>",
    "cpu-custom": "<cpu><model>x</model><topology sockets='1' cores='2' threads='1'/></cpu>",
    "cpu-host-model": "<cpu mode='host-model'><model fallback='allow'/></cpu>",
    "numa-memory": "<vcpu>4</vcpu><cpu><numa><cell cpus='2-3' memory='1' unit='GiB' id='1'/>"
    "<cell id='0' cpus='0-1' memory='1048576'/></numa></cpu>",
    "nodesets": "<vcpu>4</vcpu><cputune><vcpupin vcpu='1' cpuset='1-4,^2'/><vcpupin vcpu='0' cpuset='0,1,2'/>"
    "</cputune><numatune><memory mode='strict' nodeset='1-2,5-7,^6'/></numatune>",
    "iothreads": "<iothreads>3</iothreads><iothreadids><iothread id='5'/></iothreadids>",
    "hostdevs": "<devices><hostdev mode='subsystem' type='pci'><source><address domain='0' bus='6' "
    "slot='7' function='0'/></source></hostdev><hostdev mode='subsystem' type='scsi'><source>"
    "<adapter name='scsi_host0'/><address bus='0' target='0' unit='0'/></source></hostdev></devices>",
    "addresses": "<devices><interface type='user'><mac address='52:54:00:00:00:01'/><address type='pci' "
    "slot='18' function='2' multifunction='on'/></interface><interface type='user'><mac "
    "address='52:54:00:00:00:02'/><address type='ccw' cssid='0xfe' devno='10'/></interface></devices>",
    "chardev-sources": "<devices><channel type='unix'><source mode='bind'/><target type='virtio' name='a'/>"
    "</channel><serial type='tcp'><source host='h' service='1'/></serial></devices>",
    "metadata": "<metadata><a:x xmlns:a='urn:a'/><plain/><a:y xmlns:a='urn:a'/></metadata>",
    # rejected documents: the error code must match
    "bad-mac": "<devices><interface type='user'><mac address='zz'/></interface></devices>",
    "multicast-mac": "<devices><interface type='user'><mac address='01:00:00:00:00:00'/></interface></devices>",
    "bad-uuid": "<uuid>zz</uuid>",
    "bad-unit": "<currentMemory unit='xx'>1</currentMemory>",
    "duplicate-target": "<devices>" + disk("disk", "vda") + disk("disk", "vda") + "</devices>",
    "bad-enum": "<devices><disk type='foo' device='disk'><source file='/a'/><target dev='vda'/></disk></devices>",
    "bad-vcpus": "<vcpu current='3'>2</vcpu>",
    "bad-lifecycle": "<on_crash>foo</on_crash>",
    "bad-os-type": "",
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_agrees_with_libvirt(libvirt_oracle: object, name: str) -> None:
    body = PROBES[name]
    text = HEAD + body + "</domain>"
    if name == "bad-os-type":
        text = text.replace("<type>hvm</type>", "<type>xxx</type>")
    outcome = compare_text(libvirt_oracle, text, name)
    assert outcome.agree, outcome.reason
