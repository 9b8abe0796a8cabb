"""Differences from libvirt's generic domain parse that the corpus does not reach, closed.

Each document is defined in live libvirt 9.0 (``test:///<empty node>``, the oracle) and read
by pyvirt (``DomainDef.from_xml``): both refuse it with the same code *and message*, or both
accept it and write the same inactive XML (compared as ``domain_oracle.canonical``). The
areas:

* children libvirt refuses where it reads every child (``<features>``, ``<hyperv>``, an
  enabled ``<stimer>``, ``<kvm>``, ``<xen>``, ``<capabilities>``, an emulated TPM's
  ``<active_pcr_banks>``), and which error wins when a document has another one too;
* controller ``index`` spellings (libvirt reads a base-10 C int and writes it back plainly);
* more than one ``<devices>`` (or ``<features>``): libvirt reads them as one, so its
  single-device counts span all of them;
* default ports of network hosts at every level of a disk's backing chain;
* node-set and scaled-size errors in libvirt's wording, and the errors of libvirt's
  post-parse (a disk with no target) coming after those of its parse.
"""

from __future__ import annotations

import pytest
from conformance.domain_oracle import compare_text, oracle_result

from pyvirt.conf.domain import DomainDef
from pyvirt.errors import VirtError

HEAD = "<domain type='kvm'><name>gap</name><memory>1048576</memory><os><type arch='x86_64'>hvm</type></os>"
UNKNOWN = "<pyvirtUnknown/>"


def doc(body: str) -> str:
    return HEAD + body + "</domain>"


def doc_with(before_os: str, body: str) -> str:
    """A document with ``before_os`` among the top-level elements libvirt reads first."""
    return (
        "<domain type='kvm'><name>gap</name><memory>1048576</memory>" + before_os
        + "<os><type arch='x86_64'>hvm</type></os>" + body + "</domain>"
    )


def tpm(banks: str, backend: str = "type='emulator' version='2.0'") -> str:
    return f"<tpm model='tpm-crb'><backend {backend}><active_pcr_banks>{banks}</active_pcr_banks></backend></tpm>"


def devices(*items: str) -> str:
    return "<devices>" + "".join(items) + "</devices>"


NO_TARGET_DISK = "<disk type='file'><source file='/a.img'/></disk>"
BAD_TPM = tpm("<sha256/>" + UNKNOWN)

#: name -> (document, what libvirt does: "refuses" or "accepts"); the expectation only makes
#: sure each case still tests what it is named for
CASES: dict[str, tuple[str, str]] = {
    # -- refused children, one per path, and their conditions ---------------------------------
    "features": (doc("<features><acpi/>" + UNKNOWN + "</features>"), "refuses"),
    "hyperv-custom": (doc("<features><hyperv mode='custom'>" + UNKNOWN + "</hyperv></features>"), "refuses"),
    "hyperv-passthrough": (doc("<features><hyperv mode='passthrough'>" + UNKNOWN + "</hyperv></features>"), "refuses"),
    "stimer-on": (doc("<features><hyperv mode='custom'><stimer state='on'><direct state='on'/>" + UNKNOWN
                      + "</stimer></hyperv></features>"), "refuses"),
    "stimer-off-children-unread": (doc("<features><hyperv mode='custom'><stimer state='off'>" + UNKNOWN
                                       + "<direct state='on'/></stimer></hyperv></features>"), "accepts"),
    "kvm": (doc("<features><kvm><hidden state='on'/>" + UNKNOWN + "</kvm></features>"), "refuses"),
    "kvm-second": (doc("<features><kvm/><kvm>" + UNKNOWN + "</kvm></features>"), "refuses"),
    "xen": (doc("<features><xen>" + UNKNOWN + "</xen></features>"), "refuses"),
    "capabilities": (doc("<features><capabilities policy='default'>" + UNKNOWN + "</capabilities></features>"),
                     "refuses"),
    "capabilities-no-policy": (doc("<features><capabilities>" + UNKNOWN + "</capabilities></features>"), "refuses"),
    "pcr-banks": (doc(devices(BAD_TPM)), "refuses"),
    "pcr-banks-tpm-1.2": (doc(devices(tpm(UNKNOWN, "type='emulator' version='1.2'"))), "refuses"),
    "pcr-banks-second-element": (doc(devices("<tpm model='tpm-crb'><backend type='emulator' version='2.0'>"
                                             "<active_pcr_banks><sha1/></active_pcr_banks><active_pcr_banks>"
                                             + UNKNOWN + "</active_pcr_banks></backend></tpm>")), "refuses"),
    "pcr-banks-second-tpm": (doc(devices(tpm("<sha1/>"), BAD_TPM)), "refuses"),
    "features-namespaced-unknown": (doc("<features><x:foo xmlns:x='urn:x'/></features>"), "refuses"),
    "features-namespaced-known": (doc("<features><x:acpi xmlns:x='urn:x'/><apic/></features>"), "accepts"),
    "hyperv-namespaced-known": (doc("<features><hyperv mode='custom'><x:relaxed xmlns:x='urn:x' state='on'/>"
                                    "</hyperv></features>"), "accepts"),
    "pcr-bank-namespaced-known": (doc(devices(tpm("<x:sha1 xmlns:x='urn:x'/>"))), "accepts"),
    "features-second-element": (doc("<features><acpi/></features><features>" + UNKNOWN + "</features>"), "refuses"),
    "features-two-elements-merged": (doc("<features><acpi/></features><features><apic/></features>"), "accepts"),
    "hyperv-before-feature": (doc("<features><hyperv mode='custom'><bar/></hyperv>" + UNKNOWN + "</features>"),
                              "refuses"),
    # -- which error wins: libvirt parses these before <features> ...
    "features-after-memory": ("<domain type='kvm'><name>gap</name><memory>x</memory><os><type>hvm</type></os>"
                              "<features>" + UNKNOWN + "</features></domain>", "refuses"),
    "features-after-vcpu-placement": (doc_with("<vcpu placement='bad'>1</vcpu>", "<features>" + UNKNOWN + "</features>"),
                                      "refuses"),
    "features-after-cpu-mode": (doc("<cpu mode='bad'/><features>" + UNKNOWN + "</features>"), "refuses"),
    "features-after-cpu-features": (doc("<cpu><feature name='x'/></cpu><features>" + UNKNOWN + "</features>"),
                                    "refuses"),
    "features-after-numa-cell": (doc("<vcpu>2</vcpu><cpu><numa><cell cpus='0-1' memory='bad'/></numa></cpu>"
                                     "<features>" + UNKNOWN + "</features>"), "refuses"),
    "features-after-vcpupin": (doc("<vcpu>2</vcpu><cputune><vcpupin vcpu='0' cpuset='bad'/></cputune>"
                                   "<features>" + UNKNOWN + "</features>"), "refuses"),
    "features-after-memtune": (doc("<memtune><hard_limit>bad</hard_limit></memtune><features>" + UNKNOWN
                                   + "</features>"), "refuses"),
    # ... and these after it
    "features-before-on-poweroff": (doc("<on_poweroff>bad</on_poweroff><features>" + UNKNOWN + "</features>"),
                                    "refuses"),
    "features-before-on-lockfailure": (doc("<on_lockfailure>bad</on_lockfailure><features>" + UNKNOWN
                                           + "</features>"), "refuses"),
    "features-before-clock": (doc("<clock offset='bad'/><features>" + UNKNOWN + "</features>"), "refuses"),
    "features-before-pm": (doc("<pm><suspend-to-mem enabled='bad'/></pm><features>" + UNKNOWN + "</features>"),
                           "refuses"),
    "features-before-disk-type": (doc("<features>" + UNKNOWN + "</features>" + devices("<disk type='bad'/>")),
                                  "refuses"),
    "features-before-no-target": (doc("<features>" + UNKNOWN + "</features>" + devices(NO_TARGET_DISK)), "refuses"),
    "features-before-two-watchdogs": (doc("<features>" + UNKNOWN + "</features>" + devices(
        "<watchdog model='i6300esb'/><watchdog model='i6300esb'/>")), "refuses"),
    # -- the TPM's refusal among the devices: after these ...
    "pcr-banks-after-watchdog-model": (doc(devices("<watchdog model='bad'/>", BAD_TPM)), "refuses"),
    "pcr-banks-after-memballoon-model": (doc(devices("<memballoon model='bad'/>", BAD_TPM)), "refuses"),
    "pcr-banks-after-video-model": (doc(devices("<video><model type='bad'/></video>", BAD_TPM)), "refuses"),
    "pcr-banks-after-hostdev-type": (doc(devices("<hostdev mode='subsystem' type='bad'/>", BAD_TPM)), "refuses"),
    "pcr-banks-after-two-watchdogs": (doc(devices("<watchdog model='i6300esb'/>", BAD_TPM,
                                                  "<watchdog model='i6300esb'/>")), "refuses"),
    "pcr-banks-after-two-memballoons": (doc(devices("<memballoon model='virtio'/>", BAD_TPM,
                                                    "<memballoon model='none'/>")), "refuses"),
    "pcr-banks-after-on-crash": (doc("<on_crash>bad</on_crash>" + devices(BAD_TPM)), "refuses"),
    # ... before these
    "pcr-banks-before-no-target": (doc(devices(NO_TARGET_DISK, BAD_TPM)), "refuses"),
    "pcr-banks-before-two-nvram": (doc(devices("<nvram/>", BAD_TPM, "<nvram/>")), "refuses"),
    "pcr-banks-before-two-iommu": (doc(devices("<iommu model='intel'/><iommu model='intel'/>", BAD_TPM)), "refuses"),
    "pcr-banks-before-two-vsock": (doc(devices("<vsock model='virtio'/><vsock model='virtio'/>", BAD_TPM)),
                                   "refuses"),
    "pcr-banks-before-two-redirfilters": (doc(devices("<redirfilter/><redirfilter/>", BAD_TPM)), "refuses"),
    "pcr-banks-before-shmem-size": (doc(devices("<shmem name='x'><size>bad</size></shmem>", BAD_TPM)), "refuses"),
    # -- controller index spellings -----------------------------------------------------------
    **{
        f"controller-index-{label}": (doc(devices(f"<controller type='scsi' index='{raw}'/>")), want)
        for label, raw, want in (
            ("01", "01", "accepts"), ("00", "00", "accepts"), ("08", "08", "accepts"),
            ("plus", "+1", "accepts"), ("minus-zero", "-0", "accepts"), ("blank-plus", " +1", "accepts"),
            ("tab", "&#9;2", "accepts"), ("hex", "0x1", "refuses"), ("hex-zero", "0x0", "refuses"),
            ("trailing-blank", "1 ", "refuses"), ("int-overflow", "2147483648", "refuses"),
            ("long-overflow", "99999999999999999999", "refuses"), ("negative", "-1", "refuses"),
            ("int-underflow", "-2147483649", "refuses"), ("arabic-digit", "\u0663", "refuses"),
            ("sign-blank", "+ 1", "refuses"), ("empty", "", "refuses"),
        )
    },
    "controller-index-duplicate-01": (doc(devices("<controller type='scsi' index='1'/>"
                                                  "<controller type='scsi' index='01'/>")), "refuses"),
    "controller-index-duplicate-pci": (doc(devices("<controller type='pci' index='0' model='pci-root'/>"
                                                   "<controller type='pci' index='1' model='pci-bridge'/>"
                                                   "<controller type='pci' index='01' model='pci-bridge'/>")),
                                       "refuses"),
    "controller-index-duplicate-virtio-serial": (doc(devices("<controller type='virtio-serial' index='0'/>"
                                                             "<controller type='virtio-serial' index='00'/>")),
                                                 "refuses"),
    "controller-index-assigned-after-01": (doc(devices("<controller type='scsi' index='01'/>"
                                                       "<controller type='scsi'/><controller type='scsi'/>")),
                                           "accepts"),
    "controller-index-order": (doc(devices("<controller type='usb' index='02'/><controller type='usb' index='1'/>")),
                               "accepts"),
    "controller-index-drive-address": (doc(devices(
        "<disk type='file' device='disk'><source file='/a'/><target dev='sdb' bus='scsi'/></disk>",
        "<controller type='scsi' index='00'/>")), "accepts"),
    # -- two <devices> ------------------------------------------------------------------------
    **{
        f"two-devices-{label}": (doc(devices(first) + devices(second)), want)
        for label, first, second, want in (
            ("watchdogs", "<watchdog model='i6300esb'/>", "<watchdog model='ib700'/>", "refuses"),
            ("memballoons", "<memballoon model='virtio'/>", "<memballoon model='none'/>", "refuses"),
            ("nvram", "<nvram/>", "<nvram/>", "refuses"),
            ("iommu", "<iommu model='intel'/>", "<iommu model='intel'/>", "refuses"),
            ("vsock", "<vsock model='virtio'/>", "<vsock model='virtio'/>", "refuses"),
            ("redirfilters", "<redirfilter><usbdev allow='yes'/></redirfilter>",
             "<redirfilter><usbdev allow='no'/></redirfilter>", "refuses"),
            ("controllers", "<controller type='scsi' index='0'/>", "<controller type='scsi' index='0'/>", "refuses"),
            ("disk-type", "", "<disk type='bad'/>", "refuses"),
            ("disks", "<disk type='file' device='disk'><source file='/a'/><target dev='vda' bus='virtio'/></disk>",
             "<disk type='file' device='disk'><source file='/b'/><target dev='vdb' bus='virtio'/></disk>", "accepts"),
            ("emulators", "<emulator>/a</emulator>", "<emulator>/b</emulator>", "accepts"),
            ("serials", "<serial type='pty'/>", "<serial type='pty'/>", "accepts"),
            ("console", "", "<console type='pty'/>", "accepts"),
            ("graphics", "", "<graphics type='vnc'/>", "accepts"),
            ("videos", "<video><model type='vga'/></video>", "<video><model type='qxl'/></video>", "accepts"),
            ("input", "", "<input type='tablet' bus='usb'/>", "accepts"),
            ("interface", "", "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>", "accepts"),
            ("hostdev", "", "<hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/>"
             "<product id='0xbeef'/></source></hostdev>", "accepts"),
            ("filesystem", "", "<filesystem type='mount'><source dir='/a'/><target dir='b'/></filesystem>", "accepts"),
            ("smartcard", "", "<smartcard mode='passthrough' type='spicevmc'/>", "accepts"),
            ("shmem", "", "<shmem name='x'/>", "accepts"),
            ("rng", "", "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>", "accepts"),
            ("sound", "", "<sound model='ich6'/>", "accepts"),
            ("panics", "<panic model='isa'/>", "<panic model='hyperv'/>", "accepts"),
            ("tpms", "<tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm>",
             "<tpm model='tpm-tis'><backend type='emulator' version='2.0'/></tpm>", "accepts"),
        )
    },
    "one-devices-two-emulators": (doc(devices("<emulator>/a</emulator><emulator>/b</emulator>")), "accepts"),
    "one-devices-two-memballoons": (doc(devices("<memballoon model='virtio'/><memballoon model='none'/>")),
                                    "refuses"),
    "single-device-order-memballoon-nvram": (doc(devices("<nvram/><nvram/><memballoon model='virtio'/>"
                                                         "<memballoon model='virtio'/>")), "refuses"),
    "single-device-order-nvram-redirfilter": (doc(devices("<redirfilter/><redirfilter/><nvram/><nvram/>")),
                                              "refuses"),
    "single-device-order-redirfilter-iommu": (doc(devices("<iommu model='intel'/><iommu model='intel'/>"
                                                          "<redirfilter/><redirfilter/>")), "refuses"),
    "single-device-order-iommu-vsock": (doc(devices("<vsock model='virtio'/><vsock model='virtio'/>"
                                                    "<iommu model='intel'/><iommu model='intel'/>")), "refuses"),
    "single-device-after-shmem-size": (doc(devices("<iommu model='intel'/><iommu model='intel'/>"
                                                   "<shmem name='x'><size>bad</size></shmem>")), "refuses"),
    # -- network hosts of a backing chain -----------------------------------------------------
    "backing-chain-ports": (doc(devices(
        "<disk type='network' device='disk'><driver name='qemu' type='qcow2'/>"
        "<source protocol='http' name='/a.qcow2'><host name='h1'/></source>"
        "<backingStore type='network'><format type='qcow2'/>"
        "<source protocol='https' name='/b.qcow2'><host name='h2'/><host name='h3' port='99'/></source>"
        "<backingStore type='network'><format type='raw'/>"
        "<source protocol='nbd' name='c'><host name='h4'/><host transport='unix' socket='/s'/></source>"
        "<backingStore type='network'><format type='raw'/>"
        "<source protocol='gluster' name='v/d'><host name='h5'/></source><backingStore/></backingStore>"
        "</backingStore></backingStore><target dev='vda' bus='virtio'/></disk>")), "accepts"),
    "backing-chain-ports-below-a-file": (doc(devices(
        "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/a.qcow2'/>"
        "<backingStore type='network'><format type='qcow2'/>"
        "<source protocol='ftp' name='/b.qcow2'><host name='h2'/></source></backingStore>"
        "<target dev='vda' bus='virtio'/></disk>")), "accepts"),
    # -- node sets and scaled sizes in libvirt's words ----------------------------------------
    **{
        f"bitmap-{label}": (doc(body), want)
        for label, body, want in (
            ("vcpu-malformed", "<vcpu cpuset='bad'>1</vcpu>", "refuses"),
            ("vcpu-excluded-range", "<vcpu cpuset='0-3,^0-3'>1</vcpu>", "refuses"),
            ("vcpu-empty", "<vcpu cpuset='0,^0'>1</vcpu>", "refuses"),
            ("vcpupin-malformed", "<vcpu>2</vcpu><cputune><vcpupin vcpu='0' cpuset='bad'/></cputune>", "refuses"),
            ("numatune-malformed", "<numatune><memory nodeset='bad'/></numatune>", "refuses"),
            ("vcpusched-empty", "<cputune><vcpusched vcpus='0,^0' scheduler='fifo' priority='1'/></cputune>",
             "refuses"),
            ("iothreadsched-empty", "<iothreads>1</iothreads><cputune><iothreadsched iothreads='0,^0' "
             "scheduler='fifo' priority='1'/></cputune>", "refuses"),
            ("cachetune-malformed", "<cputune><cachetune vcpus='bad'><cache id='0' level='3' type='both' "
             "size='3' unit='MiB'/></cachetune></cputune>", "refuses"),
            ("memorytune-malformed", "<cputune><memorytune vcpus='bad'><node id='0' bandwidth='50'/>"
             "</memorytune></cputune>", "refuses"),
            ("tunes-empty-dropped", "<vcpu>4</vcpu><cputune><shares>5</shares><cachetune vcpus='0,^0'>"
             "<cache id='0' level='3' type='both' size='3' unit='MiB'/></cachetune><memorytune vcpus='0,^0'>"
             "<node id='0' bandwidth='50'/></memorytune><cachetune vcpus='1'><cache id='0' level='3' "
             "type='both' size='3' unit='MiB'/></cachetune></cputune>", "accepts"),
            ("numa-cell-empty", "<cpu><numa><cell id='0' cpus='0,^0' memory='1024'/></numa></cpu>", "accepts"),
        )
    },
    **{
        f"scaled-{label}": (doc(body), "refuses")
        for label, body in (
            ("memtune-hard-limit", "<memtune><hard_limit>bad</hard_limit></memtune>"),
            ("memtune-order", "<memtune><swap_hard_limit>bad</swap_hard_limit><min_guarantee>bad</min_guarantee>"
             "</memtune>"),
            ("hpt-maxpagesize", "<features><hpt resizing='enabled'><maxpagesize>bad</maxpagesize></hpt></features>"),
            ("controller-pcihole64", "<devices><controller type='pci' index='0' model='pci-root'>"
             "<pcihole64>bad</pcihole64></controller></devices>"),
            ("driver-metadata-cache", "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'>"
             "<metadata_cache><max_size>bad</max_size></metadata_cache></driver><source file='/a'/>"
             "<target dev='vda'/></disk></devices>"),
            ("memory-device-source-first", "<maxMemory slots='4'>4194304</maxMemory><cpu><numa>"
             "<cell cpus='0' memory='1048576'/></numa></cpu><devices><memory model='nvdimm'><source>"
             "<path>/a</path><alignsize>bad</alignsize></source><target><size>1048576</size><node>0</node>"
             "<label><size>bad</size></label></target></memory></devices>"),
        )
    },
    # -- libvirt's post-parse errors come after its whole parse -------------------------------
    "no-target-after-memtune": (doc("<memtune><hard_limit>bad</hard_limit></memtune>" + devices(NO_TARGET_DISK)),
                                "refuses"),
    "no-target-after-two-iommu": (doc(devices(NO_TARGET_DISK, "<iommu model='intel'/><iommu model='intel'/>")),
                                  "refuses"),
    "no-target-after-shmem-size": (doc(devices(NO_TARGET_DISK, "<shmem name='x'><size>bad</size></shmem>")),
                                   "refuses"),
    "unknown-drive-name-after-redirfilters": (doc(devices(
        "<disk type='file'><source file='/a'/><target dev='xx'/></disk>", "<redirfilter/><redirfilter/>")),
        "refuses"),
}


def _pyvirt_message(text: str) -> str | None:
    try:
        DomainDef.from_xml(text)
    except VirtError as exc:
        return exc.message
    return None


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_libvirt(libvirt_oracle: object, name: str) -> None:
    text, expected = CASES[name]
    want_xml, _, want_message = oracle_result(libvirt_oracle, text)
    assert (want_xml is None) == (expected == "refuses"), f"libvirt {want_message or 'accepts'}: the case is stale"
    outcome = compare_text(libvirt_oracle, text, name)
    assert outcome.agree, outcome.reason
    if want_xml is None:
        assert _pyvirt_message(text) == want_message
