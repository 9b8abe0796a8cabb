"""Domain XML -> QEMU argv, checked against libvirt's expected command lines.

libvirt's qemuxml2argv data pairs an input document with the argv libvirt 9.0 builds. pyvirt
does not aim at byte equality (no fd passing, no secrets, different option order), so each
case compares the *facts* of both command lines: guest name, uuid, memory, vCPUs, machine,
every ``-device`` driver and id, every storage and format node, net back ends, character
devices, kernel boot options. Unsupported documents must fail with CONFIG_UNSUPPORTED naming
the element. A last group hands generated argvs to the real QEMU to prove it accepts them.
"""

from __future__ import annotations

import collections
import json
import os
import shlex
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from pyvirt.conf import DomainDef
from pyvirt.drivers.qemu import command
from pyvirt.drivers.qemu.command import CommandContext, build_command, prepare_definition
from pyvirt.errors import ConfigUnsupportedError, ErrorNumber

# documents whose argv facts pyvirt reproduces (chosen to cover every device family)
MATCHING = """
audio-default-nographics audio-default-vnc blkdeviotune boot-floppy boot-floppy-q35
boot-menu-enable boot-menu-enable-with-timeout boot-order console-compat disk-aio
disk-blockio disk-cdrom disk-cdrom-tray disk-copy_on_read disk-detect-zeroes
disk-error-policy disk-floppy disk-floppy-q35 disk-geometry disk-network-nbd disk-order
disk-rotation disk-sata-device disk-scsi-disk-split disk-shared disk-usb-device genid-auto
graphics-vnc-no-listen-attr graphics-vnc-sasl graphics-vnc-socket
graphics-vnc-socket-new-cmdline machine-smm-off machine-smm-on misc-no-reboot mlock-off
panic panic-no-address q35-multifunction serial-file-chardev serial-many-chardev
serial-pty-chardev serial-tcp-chardev serial-tcp-telnet-chardev video-bochs-display-device
video-qxl-device-vram64 watchdog-device watchdog-dump watchdog-injectnmi
x86_64-default-cpu-tcg-q35-4.2 x86_64-pc-graphics x86_64-pc-headless x86_64-q35-graphics
""".split()

# documents using something the driver refuses, and the element the error must name
UNSUPPORTED = {
    "hostdev-pci-address": "<hostdev>",
    "graphics-spice-sasl": "spice",
    "fs9p-ccw": "<filesystem>",
    "disk-network-rbd": "rbd",
    "hostdev-scsi-lsi": "<hostdev>",
    "disk-transient": "transient",
    "encrypted-disk": "encryption",
    "hugepages-default": "hugepages",
    "firmware-manual-efi-nvram-template": "pflash",
}


# ---------------------------------------------------------------------------------------------
# reading both argvs into comparable facts


def _argv_from_args_file(text: str) -> list[str]:
    tokens = shlex.split(text.replace("\\\n", " "))
    start = next(i for i, t in enumerate(tokens) if "qemu-system" in t)
    return tokens[start:]


def _pairs(argv: list[str]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    i = 1
    while i < len(argv):
        opt = argv[i]
        if i + 1 < len(argv) and (not argv[i + 1].startswith("-") or opt == "-append"):
            out.append((opt, argv[i + 1]))
            i += 2
        else:
            out.append((opt, None))
            i += 1
    return out


def _props(value: str) -> dict[str, object]:
    if value.startswith("{"):
        return json.loads(value)
    props: dict[str, object] = {}
    for n, part in enumerate(value.split(",")):
        if "=" in part:
            key, val = part.split("=", 1)
            props[key] = val
        elif n == 0:
            props["driver"] = part
    return props


def facts(argv: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[object]] = collections.defaultdict(list)
    for opt, val in _pairs(argv):
        if val is None:
            continue
        if opt == "-name":
            found["name"].append(_props("x," + val).get("guest"))
        elif opt == "-uuid":
            found["uuid"].append(val)
        elif opt == "-m":
            found["memory"].append(val.split(",")[0].replace("size=", ""))
        elif opt == "-smp":
            found["smp"].append(val.split(",")[0])
        elif opt == "-machine":
            found["machine"].append(val.split(",")[0])
        elif opt == "-device":
            p = _props(val)
            found["device"].append(p.get("driver"))
            if "id" in p:
                found["id"].append(p["id"])
            if "drive" in p:
                found["drive-of"].append((p.get("id"), p["drive"].split("-")[0]))
        elif opt == "-blockdev":
            p = _props(val)
            if "filename" in p:
                found["storage"].append((p["driver"], p["filename"]))
            elif p.get("driver") in ("raw", "qcow2"):
                found["format"].append((p["driver"], p["read-only"]))
        elif opt == "-netdev":
            found["netdev"].append(_props(val).get("type"))
        elif opt == "-chardev":
            p = _props(val)
            if p.get("id") != "charmonitor":
                found["chardev"].append((p.get("driver"), p.get("id")))
        elif opt in ("-kernel", "-initrd", "-append"):
            found[opt].append(val)
        elif opt == "-vnc":
            found["vnc"].append(val.split(",")[0])
    return {k: sorted(map(str, v)) for k, v in found.items()}


def _generate(xml: str, tmp: Path | None = None, **ctx: object) -> tuple[DomainDef, list[str]]:
    dom = DomainDef.from_xml(xml)
    prepare_definition(dom.element, live=False)
    prepare_definition(dom.element, live=True)
    context = CommandContext(monitor_path=str((tmp or Path("/tmp")) / "mon.sock"), run_dir=str(tmp or "/tmp"), kvm=False)
    for key, value in ctx.items():
        setattr(context, key, value)
    return dom, build_command(dom.element, context).argv


def _expected_args(corpus: Path, name: str) -> Path:
    latest = corpus / "qemuxml2argv" / f"{name}.x86_64-latest.args"
    return latest if latest.exists() else corpus / "qemuxml2argv" / f"{name}.args"


# ---------------------------------------------------------------------------------------------
# corpus comparison


@pytest.mark.parametrize("name", MATCHING)
def test_argv_facts_match_libvirt(corpus: Path, name: str) -> None:
    xml = (corpus / "qemuxml2argv" / f"{name}.xml").read_text()
    _dom, argv = _generate(xml)
    expected = facts(_argv_from_args_file(_expected_args(corpus, name).read_text()))
    got = facts(argv)
    # the live-only VNC port of autoport documents is allocated on this host, so compare
    # presence only for it
    if "vnc" in expected:
        assert "vnc" in got
        expected.pop("vnc")
        got.pop("vnc")
    assert got == expected


@pytest.mark.parametrize("name,element", sorted(UNSUPPORTED.items()))
def test_unsupported_documents_name_the_element(corpus: Path, name: str, element: str) -> None:
    path = corpus / "qemuxml2argv" / f"{name}.xml"
    if not path.exists():
        pytest.skip(f"{path.name} not in this corpus")
    with pytest.raises(ConfigUnsupportedError) as info:
        _generate(path.read_text())
    assert info.value.code == ErrorNumber.CONFIG_UNSUPPORTED
    assert element in info.value.message
    assert info.value.message.startswith("unsupported configuration: ")


# ---------------------------------------------------------------------------------------------
# targeted checks

BASE = """<domain type='{type}'>
  <name>{name}</name>
  <uuid>2f1c58e0-5d6e-4d55-9bb3-1a1f9b6c0001</uuid>
  <memory unit='KiB'>131072</memory>
  <currentMemory unit='KiB'>131072</currentMemory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64' machine='{machine}'>hvm</type>{os}</os>
  <features><acpi/></features>
  <devices>{devices}</devices>
</domain>"""


def doc(devices: str = "", *, type: str = "qemu", name: str = "g", machine: str = "pc", os: str = "") -> str:
    return BASE.format(type=type, name=name, machine=machine, os=os, devices=devices)


def option(argv: list[str], opt: str) -> list[str]:
    return [v for o, v in _pairs(argv) if o == opt and v is not None]


def devices_by_driver(argv: list[str]) -> dict[str, dict[str, object]]:
    return {str(p["driver"]): p for p in (_props(v) for v in option(argv, "-device"))}


def test_tcg_machine_and_basics() -> None:
    _dom, argv = _generate(doc(name="web,1"))
    assert option(argv, "-machine")[0].split(",")[:2] == ["pc", "accel=tcg"]
    assert option(argv, "-name") == ["guest=web,,1,debug-threads=on"]
    assert option(argv, "-m") == ["128"]
    assert option(argv, "-smp")[0].startswith("2,")
    assert option(argv, "-uuid") == ["2f1c58e0-5d6e-4d55-9bb3-1a1f9b6c0001"]
    for flag in ("-nodefaults", "-no-user-config", "-S"):
        assert flag in argv
    mon = option(argv, "-chardev")[0]
    assert mon.startswith("socket,id=charmonitor,path=") and "server=on" in mon
    assert option(argv, "-mon") == ["chardev=charmonitor,id=monitor,mode=control"]


def test_kvm_refused_without_hardware_support() -> None:
    with pytest.raises(ConfigUnsupportedError) as info:
        _generate(doc(type="kvm"), kvm=False)
    assert "does not support virt type 'kvm'" in info.value.message
    _dom, argv = _generate(doc(type="kvm"), kvm=True)
    assert "accel=kvm" in option(argv, "-machine")[0]


def test_kvm_probe_requires_cpu_flags() -> None:
    flags = Path("/proc/cpuinfo").read_text()
    has_vt = " vmx" in flags or " svm" in flags
    if has_vt and os.access("/dev/kvm", os.R_OK | os.W_OK):
        assert command.kvm_usable()
    else:
        assert not command.kvm_usable()


def test_direct_kernel_boot_and_boot_order(tmp_path: Path) -> None:
    os_xml = "<kernel>/k/vmlinux</kernel><initrd>/k/initrd.img</initrd><cmdline>console=ttyS0 quiet</cmdline><boot dev='cdrom'/><boot dev='hd'/>"
    disks = (
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/i/a.qcow2'/><target dev='vda' bus='virtio'/></disk>"
        "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='/i/c.iso'/><target dev='hdc' bus='ide'/><readonly/></disk>"
    )
    _dom, argv = _generate(doc(disks, os=os_xml))
    assert option(argv, "-kernel") == ["/k/vmlinux"]
    assert option(argv, "-initrd") == ["/k/initrd.img"]
    assert option(argv, "-append") == ["console=ttyS0 quiet"]
    devs = devices_by_driver(argv)
    assert devs["ide-cd"]["bootindex"] == 1
    assert devs["virtio-blk-pci"]["bootindex"] == 2
    formats = [_props(v) for v in option(argv, "-blockdev") if _props(v).get("driver") in ("qcow2", "raw")]
    assert {(f["driver"], f["read-only"]) for f in formats} == {("qcow2", False), ("raw", True)}


def test_disk_buses_cache_and_readonly() -> None:
    disks = (
        "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='none'/><source file='/i/s.img'/><target dev='sda' bus='sata'/></disk>"
        "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='writethrough'/><source file='/i/c.img'/><target dev='sdb' bus='scsi'/><readonly/></disk>"
        "<controller type='scsi' model='virtio-scsi'/>"
    )
    _dom, argv = _generate(doc(disks))
    devs = devices_by_driver(argv)
    assert devs["ahci"]["id"] == "sata0"
    assert devs["ide-hd"]["bus"] == "sata0.0" and devs["ide-hd"]["write-cache"] == "on"
    assert devs["scsi-hd"]["bus"] == "scsi0.0" and devs["scsi-hd"]["write-cache"] == "off"
    assert "virtio-scsi-pci" in devs
    nodes = [_props(v) for v in option(argv, "-blockdev")]
    direct = {n["node-name"]: n.get("cache") for n in nodes}
    assert {"direct": True, "no-flush": False} in direct.values()
    assert any(n.get("read-only") is True and n["driver"] == "raw" for n in nodes)


def test_serial_log_vnc_and_misc_devices(tmp_path: Path) -> None:
    devices = (
        f"<serial type='pty'><log file='{tmp_path}/serial.log' append='on'/><target port='0'/></serial>"
        f"<serial type='unix'><source mode='bind' path='{tmp_path}/s1.sock'/><target port='1'/></serial>"
        f"<graphics type='vnc'><listen type='socket' socket='{tmp_path}/vnc.sock'/></graphics>"
        "<video><model type='virtio'/></video>"
        "<input type='tablet' bus='usb'/>"
        "<watchdog model='i6300esb' action='poweroff'/>"
        "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>"
        "<panic model='isa'><address type='isa' iobase='0x505'/></panic>"
        "<interface type='user'><mac address='52:54:00:aa:bb:cc'/><model type='virtio'/></interface>"
    )
    _dom, argv = _generate(doc(devices), tmp_path)
    chardevs = option(argv, "-chardev")
    assert f"pty,id=charserial0,logfile={tmp_path}/serial.log,logappend=on" in chardevs
    assert f"socket,id=charserial1,path={tmp_path}/s1.sock,server=on,wait=off" in chardevs
    assert option(argv, "-vnc") == [f"vnc=unix:{tmp_path}/vnc.sock"]
    assert option(argv, "-watchdog-action") == ["poweroff"]
    devs = devices_by_driver(argv)
    assert devs["virtio-vga"]["addr"] == "0x2"
    assert devs["pvpanic"]["ioport"] == 0x505
    assert devs["virtio-rng-pci"]["rng"] == "objrng0"
    assert devs["virtio-net-pci"]["mac"] == "52:54:00:aa:bb:cc"
    assert devs["virtio-net-pci"]["netdev"] == "hostnet0"
    assert devs["usb-tablet"]["bus"] == "usb.0"
    assert {"qom-type": "rng-random", "id": "objrng0", "filename": "/dev/urandom"} in [json.loads(v) for v in option(argv, "-object")]


def test_q35_endpoints_sit_behind_root_ports() -> None:
    devices = "<disk type='file' device='disk'><source file='/i/a.img'/><target dev='vda' bus='virtio'/></disk><interface type='user'><model type='virtio'/></interface>"
    dom, argv = _generate(doc(devices, machine="q35"))
    devs = [_props(v) for v in option(argv, "-device")]
    ports = {d["id"] for d in devs if d["driver"] == "pcie-root-port"}
    blk = next(d for d in devs if d["driver"] == "virtio-blk-pci")
    assert blk["bus"] in ports and blk["addr"] == "0x0"
    assert any(d["driver"] == "qemu-xhci" for d in devs)
    # the aliases and addresses are recorded in the live definition
    xml = dom.to_xml()
    assert "<alias name='virtio-disk0'/>" in xml and "model='pcie-root-port'" in xml


def test_ide_on_q35_is_refused() -> None:
    with pytest.raises(ConfigUnsupportedError, match="IDE"):
        _generate(doc("<disk type='file' device='disk'><source file='/i/a.img'/><target dev='hda' bus='ide'/></disk>", machine="q35"))


def test_unknown_interface_type_is_refused() -> None:
    with pytest.raises(ConfigUnsupportedError, match="interface type='vhostuser'"):
        _generate(doc("<interface type='vhostuser'><source type='unix' path='/x' mode='client'/><model type='virtio'/></interface>"))


# ---------------------------------------------------------------------------------------------
# QEMU itself accepts what we generate


def _qemu_accepts(argv: list[str], mon: Path) -> str:
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while not mon.exists():
            if proc.poll() is not None:
                return proc.stderr.read().decode()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "QEMU never created its monitor socket"
            time.sleep(0.02)
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(mon))
            f = sock.makefile("rwb")
            f.readline()
            for cmd in ("qmp_capabilities", "query-status"):
                f.write(json.dumps({"execute": cmd}).encode() + b"\n")
                f.flush()
                reply = json.loads(f.readline())
                assert "return" in reply, reply
            assert reply["return"]["status"] == "prelaunch"
        return ""
    finally:
        proc.kill()
        proc.wait(10)


@pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="qemu-system-x86_64 not installed")
@pytest.mark.parametrize("machine", ["pc", "q35"])
def test_qemu_accepts_generated_argv(tmp_path: Path, machine: str) -> None:
    for name, fmt in (("a.qcow2", "qcow2"), ("b.raw", "raw")):
        subprocess.run(["qemu-img", "create", "-q", "-f", fmt, str(tmp_path / name), "16M"], check=True)
    cd_bus = "ide" if machine == "pc" else "sata"
    devices = (
        f"<disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='{tmp_path}/a.qcow2'/><target dev='vda' bus='virtio'/></disk>"
        f"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{tmp_path}/b.raw'/><target dev='sda' bus='scsi'/></disk>"
        f"<disk type='file' device='cdrom'><target dev='{'hdc' if cd_bus == 'ide' else 'sdc'}' bus='{cd_bus}'/><readonly/></disk>"
        "<controller type='scsi' model='virtio-scsi'/>"
        "<interface type='user'><model type='virtio'/></interface><interface type='user'><model type='e1000'/></interface>"
        f"<serial type='pty'><log file='{tmp_path}/serial.log'/></serial><console type='pty'/>"
        "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
        "<input type='tablet' bus='usb'/><input type='keyboard' bus='virtio'/>"
        f"<graphics type='vnc'><listen type='socket' socket='{tmp_path}/vnc.sock'/></graphics><video><model type='vga'/></video>"
        "<watchdog model='i6300esb'/><rng model='virtio'><backend model='random'>/dev/urandom</backend></rng><panic model='isa'/>"
    )
    _dom, argv = _generate(doc(devices, machine=machine, name=f"accept-{machine}"), tmp_path)
    error = _qemu_accepts(argv, tmp_path / "mon.sock")
    assert error == "", error


def test_tap_backed_interfaces() -> None:
    nics = (
        "<interface type='ethernet'><target dev='tapx1'/><model type='virtio'/></interface>"
        "<interface type='bridge'><source bridge='br9'/><model type='e1000'/></interface>"
    )
    dom, argv = _generate(doc(nics))
    netdevs = [json.loads(v) for v in option(argv, "-netdev")]
    assert netdevs[0] == {"type": "tap", "id": "hostnet0", "script": "no", "downscript": "no", "ifname": "tapx1"}
    assert netdevs[1]["type"] == "tap" and netdevs[1]["ifname"].startswith("vnet")
    assert command.tap_devices(dom.element) == [("tapx1", None), (netdevs[1]["ifname"], "br9")]
