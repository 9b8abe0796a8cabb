"""Enumerated values libvirt 9.0 refuses that the rows of ``conf.domain.enums`` now cover.

<bootmenu enable> is among them too. Found by the mutation differential (``python3 -m tests.conformance.mutation_fuzz 7 600``):
disk <driver type> formats, <master startport> numbers, RNG models and backend counts, graphics <listen type>, device <address type>, character device
types (presented to the host, and of the target), hostdev ``mode`` and CPU <model fallback>.
Each document is defined in live libvirt 9.0 (the oracle, ``test:///<empty node>``) and read
by pyvirt: both must accept it, or both refuse it with the same code and message (also when
the document breaks two rules: the error libvirt reads first wins).
"""

from __future__ import annotations

import pytest
from conformance.domain_oracle import compare_text, oracle_result

from pyvirt.conf.domain import DomainDef
from pyvirt.errors import VirtError

pytest.importorskip("libvirt", reason="libvirt-python (the oracle) is not installed")

HEAD = "<domain type='kvm'><name>enum</name><memory>1048576</memory><os><type arch='x86_64'>hvm</type></os>"


RNG_TWO = "<rng model='virtio'><backend model='random'/><backend model='random'/></rng>"


def os_body(inner: str) -> str:
    return HEAD.replace("</os>", inner + "</os>") + "</domain>"


def devices(inner: str) -> str:
    return HEAD + "<devices>" + inner + "</devices></domain>"


def disk_driver(attrs: str, target: str = "") -> str:
    return devices(f"<disk type='file'><driver name='qemu' {attrs}/><source file='/a'/>"
                   f"<target dev='vda' bus='virtio' {target}/></disk>")


def cpu_topology(attrs: str) -> str:
    return HEAD + f"<cpu><topology {attrs}/></cpu></domain>"


def cpu_feature(policy: str) -> str:
    return HEAD + f"<cpu><model>qemu64</model><feature policy='{policy}' name='vmx'/></cpu></domain>"


def uhci(master: str, more: str = "") -> str:
    return devices(f"<controller type='usb' index='0' model='ich9-ehci1'/><controller type='usb' index='0' "
                   f"model='ich9-uhci1'><master {master}/>{more}</controller>")


def cpu(attrs: str, model: str) -> str:
    return HEAD + f"<cpu {attrs}><model {model}>qemu64</model></cpu></domain>"


#: name -> (document, what libvirt does: "refuses" or "accepts")
CASES: dict[str, tuple[str, str]] = {
    # -- the boot menu -----------------------------------------------------------------------
    "bootmenu-yes": (os_body("<bootmenu enable='yes'/>"), "accepts"),
    "bootmenu-empty": (os_body("<bootmenu enable=''/>"), "refuses"),
    "bootmenu-on": (os_body("<bootmenu enable='on'/>"), "refuses"),
    "bootmenu-after-boot-dev": (os_body("<boot dev='bogus'/><bootmenu enable='x'/>"), "refuses"),
    "bootmenu-after-loader": (os_body("<loader type='bogus'/><bootmenu enable='x'/>"), "refuses"),
    # -- disk image formats ------------------------------------------------------------------
    "disk-format-qcow2": (disk_driver("type='qcow2'"), "accepts"),
    "disk-format-vmdk": (disk_driver("type='vmdk'"), "accepts"),
    "disk-format-unknown": (disk_driver("type='pci'"), "refuses"),
    "disk-format-none": (disk_driver("type='none'"), "refuses"),
    "disk-format-luks": (disk_driver("type='luks'"), "refuses"),
    "disk-format-empty": (disk_driver("type=''"), "refuses"),
    "disk-format-upper-case": (disk_driver("type='RAW'"), "refuses"),
    "disk-format-after-cache": (disk_driver("type='pci' cache='bogus'"), "refuses"),
    "disk-format-after-target-bus": (disk_driver("type='pci'", "bus='bogus'"), "refuses"),
    # -- graphics listens --------------------------------------------------------------------
    "listen-address": (devices("<graphics type='vnc'><listen type='address' address='127.0.0.1'/></graphics>"),
                       "accepts"),
    "listen-none": (devices("<graphics type='spice'><listen type='none'/></graphics>"), "accepts"),
    "listen-vnc-unknown": (devices("<graphics type='vnc'><listen type='bogus'/></graphics>"), "refuses"),
    "listen-spice-empty": (devices("<graphics type='spice'><listen type=''/></graphics>"), "refuses"),
    "listen-rdp-unknown": (devices("<graphics type='rdp'><listen type='bogus'/></graphics>"), "refuses"),
    # -- device addresses --------------------------------------------------------------------
    "address-pci": (devices("<interface type='user'><address type='pci' bus='0' slot='3'/></interface>"),
                    "accepts"),
    "address-leading-zero": (devices("<interface type='user'><address type='010'/></interface>"), "refuses"),
    "address-padded": (devices("<interface type='user'><address type=' 1 '/></interface>"), "refuses"),
    "address-none": (devices("<memballoon model='virtio'><address type='none'/></memballoon>"), "refuses"),
    "address-disk": (devices("<disk type='file'><source file='/a'/><target dev='vda'/>"
                             "<address type='bogus'/></disk>"), "refuses"),
    "address-serial": (devices("<serial type='pty'><address type='bogus'/></serial>"), "refuses"),
    "address-after-disk-format": (devices("<disk type='file'><driver name='qemu' type='pci'/>"
                                          "<source file='/a'/><target dev='vda'/><address type='bogus'/></disk>"),
                                  "refuses"),
    # -- character devices -------------------------------------------------------------------
    "chardev-nmdm": (devices("<serial type='nmdm'/>"), "accepts"),
    "chardev-unknown": (devices("<serial type='bogus'/>"), "refuses"),
    "chardev-upper-case": (devices("<console type='PTY'/>"), "refuses"),
    "chardev-channel-empty": (devices("<channel type=''/>"), "refuses"),
    "chardev-parallel-unknown": (devices("<parallel type='bogus'/>"), "refuses"),
    "chardev-target-serial": (devices("<serial type='pty'><target type='yes'/></serial>"), "refuses"),
    "chardev-target-console": (devices("<console type='pty'><target type='isa-serial'/></console>"), "refuses"),
    "chardev-target-channel": (devices("<channel type='pty'><target type='bogus'/></channel>"), "refuses"),
    "chardev-type-before-target": (devices("<serial type='bogus'><target type='yes'/></serial>"), "refuses"),
    # -- host devices ------------------------------------------------------------------------
    "hostdev-mode-unknown": (devices("<hostdev mode='bogus' type='usb'/>"), "refuses"),
    "hostdev-mode-empty": (devices("<hostdev mode='' type='usb'/>"), "refuses"),
    "hostdev-mode-before-type": (devices("<hostdev mode='bogus' type='bogus'/>"), "refuses"),
    # -- USB companions' start ports (a C unsigned int) -------------------------------------
    "startport-zero": (uhci("startport='0'"), "accepts"),
    "startport-letters": (uhci("startport='x'"), "refuses"),
    "startport-empty": (uhci("startport=''"), "refuses"),
    "startport-too-large": (uhci("startport='4294967296'"), "refuses"),
    "startport-minus-zero": (uhci("startport='-0'"), "refuses"),
    "startport-hex": (uhci("startport='0x1'"), "refuses"),
    "startport-before-address": (uhci("startport='x'", "<address type='bogus'/>"), "refuses"),
    "startport-any-device": (devices("<interface type='user'><master startport='x'/></interface>"), "refuses"),
    # -- random number generators ------------------------------------------------------------
    "rng-transitional": (devices("<rng model='virtio-transitional'><backend model='random'/></rng>"), "accepts"),
    "rng-builtin": (devices("<rng model='virtio'><backend model='builtin'/></rng>"), "accepts"),
    "rng-model-unknown": (devices("<rng model='bogus'><backend model='random'/></rng>"), "refuses"),
    "rng-model-empty": (devices("<rng model=''><backend model='random'/></rng>"), "refuses"),
    "rng-backend-unknown": (devices("<rng model='virtio'><backend model='bogus'/></rng>"), "refuses"),
    "rng-model-before-backend": (devices("<rng model='bogus'><backend model='bogus'/></rng>"), "refuses"),
    "rng-model-before-address": (devices("<rng model='bogus'><backend model='random'/>"
                                         "<address type='bogus'/></rng>"), "refuses"),
    "rng-two-backends": (devices(RNG_TWO), "refuses"),
    "rng-no-backend": (devices("<rng model='virtio'/>"), "refuses"),
    "rng-model-before-count": (devices("<rng model='bogus'><backend model='random'/><backend model='random'/></rng>"),
                               "refuses"),
    "rng-count-before-backend-model": (devices("<rng model='virtio'><backend model='bogus'/>"
                                               "<backend model='random'/></rng>"), "refuses"),
    "rng-count-before-address": (devices("<rng model='virtio'><backend model='random'/><backend model='random'/>"
                                         "<address type='bogus'/></rng>"), "refuses"),
    "rng-count-after-memballoon": (devices(RNG_TWO + "<memballoon model='bogus'/>"), "refuses"),
    "rng-count-after-chardev": (devices("<serial type='bogus'/>" + RNG_TWO), "refuses"),
    "rng-count-after-earlier-rng": (devices("<rng model='virtio'><backend model='bogus'/></rng>" + RNG_TWO),
                                    "refuses"),
    "rng-count-before-later-rng": (devices(RNG_TWO + "<rng model='bogus'><backend model='random'/></rng>"),
                                   "refuses"),
    "rng-count-before-panic": (devices(RNG_TWO + "<panic model='isa'><address type='bogus'/></panic>"),
                               "refuses"),
    "rng-count-before-sysinfo": (HEAD + "<devices>" + RNG_TWO + "</devices><sysinfo type='bogus'/></domain>",
                                 "refuses"),
    # -- CPU model fallback ------------------------------------------------------------------
    "fallback-forbid": (cpu("", "fallback='forbid'"), "accepts"),
    "fallback-unknown": (cpu("", "fallback='bogus'"), "refuses"),
    "fallback-host-model": (cpu("mode='host-model'", "fallback='bogus'"), "refuses"),
    "fallback-after-match": (cpu("match='bogus'", "fallback='bogus'"), "refuses"),
    # -- CPU topology numbers and feature policies ---------------------------------------------
    "topology-cores-letters": (cpu_topology("sockets='1' cores='x' threads='1'"), "refuses"),
    "topology-threads-negative": (cpu_topology("sockets='1' cores='1' threads='-1'"), "refuses"),
    "topology-cores-too-large": (cpu_topology("sockets='1' cores='4294967296' threads='1'"), "refuses"),
    "topology-dies-before-cores": (cpu_topology("sockets='1' dies='w' cores='z' threads='x'"), "refuses"),
    "topology-sockets-first": (cpu_topology("threads='x' sockets='y' cores='z' dies='w'"), "refuses"),
    "topology-after-fallback": (cpu("", "fallback='bogus'").replace("</model>", "</model><topology sockets='1' "
                                                                   "cores='x' threads='1'/>"), "refuses"),
    "feature-policy-optional": (cpu_feature("optional"), "accepts"),
    "feature-policy-unknown": (cpu_feature("bogus"), "refuses"),
    "feature-policy-empty": (cpu_feature(""), "refuses"),
    "feature-policy-host-passthrough": (HEAD + "<cpu mode='host-passthrough'><feature policy='bogus' name='vmx'/>"
                                        "</cpu></domain>", "refuses"),
    "feature-policy-after-topology": (HEAD + "<cpu><model>qemu64</model><topology sockets='1' cores='x' "
                                      "threads='1'/><feature policy='bogus' name='vmx'/></cpu></domain>", "refuses"),
    # -- audio backends ------------------------------------------------------------------------
    "audio-dbus": (devices("<audio id='1' type='dbus'/>"), "accepts"),
    "audio-type-unknown": (devices("<audio id='1' type='pipewire'/>"), "refuses"),
    "audio-id-letters": (devices("<audio id='x' type='none'/>"), "refuses"),
    "audio-id-empty": (devices("<audio id='' type='none'/>"), "refuses"),
    "audio-type-before-id": (devices("<audio id='x' type='bogus'/>"), "refuses"),
    # -- panic devices -------------------------------------------------------------------------
    "panic-s390": (devices("<panic model='s390'/>"), "accepts"),
    "panic-model-unknown": (devices("<panic model='pvpanic'/>"), "refuses"),
    "panic-model-empty": (devices("<panic model=''/>"), "refuses"),
    "panic-address-before-model": (devices("<panic model='abc'><address type='bogus'/></panic>"), "refuses"),
    # -- vsock models --------------------------------------------------------------------------
    "vsock-transitional": (devices("<vsock model='virtio-transitional'/>"), "accepts"),
    "vsock-model-signed": (devices("<vsock model='+1'/>"), "refuses"),
    "vsock-model-empty": (devices("<vsock model=''/>"), "refuses"),
    "vsock-model-before-address": (devices("<vsock model='bogus'><address type='bogus'/></vsock>"), "refuses"),
    # -- repeats: libvirt reads the first element only ----------------------------------------
    "first-address-broken": (devices("<interface type='user'><address type='bogus'/><address type='pci'/>"
                                     "</interface>"), "refuses"),
}

#: repeated elements whose later copy's bad value libvirt never reads
REPEATS_IGNORED: dict[str, str] = {
    "second-address": devices("<interface type='user'><address type='pci'/><address type='bogus'/></interface>"),
    "second-chardev-target": devices("<console type='pty'><target type='serial'/><target type='bogus'/></console>"),
    "second-topology": HEAD + "<cpu><topology sockets='1' cores='1' threads='1'/><topology sockets='1' cores='x' "
                              "threads='1'/></cpu></domain>",
    "second-cpu-model": HEAD + "<cpu><model>qemu64</model><model fallback='bogus'>x</model></cpu></domain>",
    "second-master": uhci("startport='1'", "<master startport='x'/>"),
    "second-video-model": devices("<video><model type='vga'/><model type='bogus'/></video>"),
    "second-disk-driver": devices("<disk type='file'><driver name='qemu' type='raw'/><driver type='bogus'/>"
                                  "<source file='/a'/><target dev='vda'/></disk>"),
    "second-disk-target": devices("<disk type='file'><source file='/a'/><target dev='vda'/>"
                                  "<target dev='vdb' bus='bogus'/></disk>"),
    "second-bootmenu": os_body("<bootmenu enable='yes'/><bootmenu enable='x'/>"),
}

#: documents both accept, where pyvirt's output still differs from libvirt's (a serial
#: isa-debug target adds no console, a parallel port's target type is not dropped, an empty
#: fallback is not written as "allow", a start port " +2" is not written as "2"): only the
#: acceptance is compared
ACCEPTED: dict[str, str] = {
    "chardev-target-isa-debug": devices("<serial type='pty'><target type='isa-debug'/></serial>"),
    "chardev-target-parallel-any": devices("<parallel type='pty'><target type='bogus'/></parallel>"),
    "fallback-empty": cpu("", "fallback=''"),
    "startport-plus": uhci("startport=' +2'"),
}


def _pyvirt_message(text: str) -> str:
    try:
        DomainDef.from_xml(text).to_xml(inactive=True)
    except VirtError as exc:
        return exc.message
    return ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_libvirt(libvirt_oracle: object, name: str) -> None:
    text, expected = CASES[name]
    want_xml, _, want_message = oracle_result(libvirt_oracle, text)
    assert (want_xml is None) == (expected == "refuses"), f"libvirt {want_message or 'accepts'}: the case is stale"
    outcome = compare_text(libvirt_oracle, text, name)
    assert outcome.agree, outcome.reason
    if want_xml is None:
        assert _pyvirt_message(text) == want_message


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_like_libvirt(libvirt_oracle: object, name: str) -> None:
    text = ACCEPTED[name]
    want_xml, _, want_message = oracle_result(libvirt_oracle, text)
    assert want_xml is not None, f"libvirt {want_message}: the case is stale"
    assert _pyvirt_message(text) == ""


#: one broken value per device kind (a kind without a row of its own: a bad address type)
BROKEN_DEVICE = {
    "disk": "<disk type='bogus'><target dev='vda'/></disk>",
    "controller": "<controller type='bogus'/>",
    "filesystem": "<filesystem type='mount'><source dir='/a'/><target dir='b'/><address type='bogus'/></filesystem>",
    "interface": "<interface type='bogus'/>",
    "smartcard": "<smartcard mode='host'><address type='bogus'/></smartcard>",
    "serial": "<serial type='bogus1'/>",
    "parallel": "<parallel type='bogus2'/>",
    "console": "<console type='bogus3'/>",
    "channel": "<channel type='bogus4'/>",
    "input": "<input type='bogus' bus='usb'/>",
    "tpm": "<tpm model='tpm-tis'><backend type='emulator'/><address type='bogus'/></tpm>",
    "graphics": "<graphics type='bogus'/>",
    "sound": "<sound model='bogus'/>",
    "audio": "<audio id='1' type='bogus'/>",
    "video": "<video><model type='bogus'/></video>",
    "hostdev": "<hostdev mode='bogus'/>",
    "redirdev": "<redirdev bus='usb' type='spicevmc'><address type='bogus'/></redirdev>",
    "hub": "<hub type='usb'><address type='bogus'/></hub>",
    "watchdog": "<watchdog model='bogus'/>",
    "memballoon": "<memballoon model='bogus'/>",
    "rng": "<rng model='bogus'><backend model='random'/></rng>",
    "rng-backends": RNG_TWO,
    "nvram": "<nvram><address type='bogus'/></nvram>",
    "panic": "<panic model='isa'><address type='bogus'/></panic>",
    "shmem": "<shmem name='a'><address type='bogus'/></shmem>",
    "memory": "<memory model='dimm'><target><size unit='KiB'>1024</size></target><address type='bogus'/></memory>",
    "iommu": "<iommu model='intel'><address type='bogus'/></iommu>",
    "vsock": "<vsock model='bogus'/>",
}


def test_device_kinds_in_libvirts_read_order(libvirt_oracle: object) -> None:
    """Two devices of different kinds, each broken, in either document order: the error is
    the one of the kind libvirt reads first (enums.DEVICE_READ_ORDER), as libvirt reports."""
    wrong = []
    for first, one in BROKEN_DEVICE.items():
        for second, other in BROKEN_DEVICE.items():
            if first == second:
                continue
            text = devices(one + other)
            _, _, want = oracle_result(libvirt_oracle, text)
            got = _pyvirt_message(text)
            if got != want:
                wrong.append(f"{first} then {second}: libvirt {want!r}, pyvirt {got!r}")
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("name", sorted(REPEATS_IGNORED))
def test_repeat_not_read(libvirt_oracle: object, name: str) -> None:
    """A bad value in a repeat of an element libvirt reads once is not refused."""
    text = REPEATS_IGNORED[name]
    want_xml, _, want_message = oracle_result(libvirt_oracle, text)
    assert want_xml is not None, f"libvirt {want_message}: the case is stale"
    assert _pyvirt_message(text) == ""
