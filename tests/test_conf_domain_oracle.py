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


# richer documents on a KVM x86_64 guest: one feature area each
KVM_HEAD = (
    "<domain type='kvm'><name>probe</name><memory>1048576</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type>{os}</os>"
)
KVM_PROBES = {
 'fs': "<devices><filesystem type='mount' accessmode='mapped'><driver type='path' wrpolicy='immediate'/><source dir='/a'/><target dir='t'/><readonly/></filesystem><filesystem type='ram'><source usage='1024' units='KiB'/><target dir='r'/></filesystem></devices>",
 'sound': "<devices><sound model='ich6'><codec type='micro'/></sound><sound model='es1370'/></devices>",
 'hub-redir': "<devices><controller type='usb' model='piix3-uhci'/><hub type='usb'/><redirdev bus='usb' type='spicevmc'/><redirdev bus='usb' type='tcp'><source mode='connect' host='localhost' service='4000'/></redirdev></devices>",
 'smartcard': "<devices><smartcard mode='host-certificates'><certificate>a</certificate><certificate>b</certificate><certificate>c</certificate></smartcard></devices>",
 'rng': "<devices><rng model='virtio'><rate bytes='1234' period='2000'/><backend model='egd' type='tcp'><source mode='connect' host='1.2.3.4' service='1234'/></backend></rng></devices>",
 'tpm': "<devices><tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm0'/></backend></tpm></devices>",
 'tpm-emu': "<devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices>",
 'balloon': "<devices><memballoon model='virtio' autodeflate='on'><stats period='10'/></memballoon></devices>",
 'panic': "<devices><panic model='hyperv'/></devices>",
 'shmem': "<devices><shmem name='s'><model type='ivshmem-plain'/><size unit='M'>4</size></shmem></devices>",
 'iommu': "<devices><iommu model='intel'><driver intremap='on' caching_mode='on'/></iommu></devices>",
 'vsock': "<devices><vsock model='virtio'><cid auto='yes'/></vsock></devices>",
 'features': "<features><acpi/><apic eoi='on'/><pae/><hap state='on'/><hyperv><relaxed state='on'/><vapic state='on'/><spinlocks state='on' retries='4096'/></hyperv><kvm><hidden state='on'/></kvm><vmport state='off'/><smm state='on'/><ioapic driver='kvm'/></features>",
 'clock': "<clock offset='localtime'><timer name='rtc' tickpolicy='catchup'/><timer name='pit' tickpolicy='delay'/><timer name='hpet' present='no'/></clock>",
 'clock-variable': "<clock offset='variable' adjustment='123' basis='utc'/>",
 'pm-perf': "<pm><suspend-to-disk enabled='no'/><suspend-to-mem enabled='yes'/></pm><perf><event name='cmt' enabled='yes'/></perf>",
 'seclabel': "<seclabel type='dynamic' model='selinux' relabel='yes'/><seclabel type='none' model='dac'/>",
 'seclabel-static': "<seclabel type='static' model='dac' relabel='no'><label>1:1</label></seclabel>",
 'memtune': "<memtune><hard_limit unit='G'>1</hard_limit><soft_limit>1000</soft_limit><swap_hard_limit unit='M'>2000</swap_hard_limit></memtune>",
 'blkiotune': "<blkiotune><weight>800</weight><device><path>/dev/sda</path><weight>400</weight><read_bytes_sec>1000</read_bytes_sec></device></blkiotune>",
 'membacking': "<memoryBacking><hugepages><page size='2' unit='M'/></hugepages><nosharepages/><locked/><source type='memfd'/><access mode='shared'/><allocation mode='immediate' threads='4'/></memoryBacking>",
 'sysinfo': "<sysinfo type='smbios'><bios><entry name='vendor'>V</entry><entry name='date'>01/01/2020</entry></bios><system><entry name='manufacturer'>M</entry></system></sysinfo>",
 'os-direct': "",
 'bootmenu': "",
 'resource': "<resource><partition>/machine/x</partition></resource>",
 'cputune': "<vcpu>4</vcpu><cputune><shares>2048</shares><period>1000000</period><quota>-1</quota><emulatorpin cpuset='1-3'/><emulator_period>1000</emulator_period></cputune>",
 'genid': "<genid>e9392370-2917-565e-692b-d057f46512d6</genid>",
 'title': "<title>T</title><description>D &amp; x</description>",
 'interface-network': "<devices><interface type='network'><mac address='52:54:00:11:22:33'/><source network='default' portgroup='pg'/><model type='virtio'/><driver name='vhost' queues='4' txmode='iothread' ioeventfd='on' event_idx='off'><host csum='off'/><guest tso4='off'/></driver><link state='down'/><mtu size='1500'/><boot order='1'/></interface></devices>",
 'interface-bridge': "<devices><interface type='bridge'><mac address='52:54:00:11:22:34'/><source bridge='br0'/><virtualport type='openvswitch'/><vlan><tag id='42'/></vlan><bandwidth><inbound average='1000'/></bandwidth><target dev='vnet7'/><model type='e1000'/></interface></devices>",
 'interface-direct': "<devices><interface type='direct'><mac address='52:54:00:11:22:35'/><source dev='eth0' mode='vepa'/></interface></devices>",
 'interface-ethernet': "<devices><interface type='ethernet'><mac address='52:54:00:11:22:36'/><ip address='192.168.1.2' prefix='24'/><route address='0.0.0.0' gateway='192.168.1.1'/><script path='/bin/true'/></interface></devices>",
 'disk-network': "<devices><disk type='network' device='disk'><driver name='qemu' type='raw'/><source protocol='nbd' name='x'><host name='h' port='10809'/></source><target dev='vda' bus='virtio'/></disk><disk type='network' device='cdrom'><source protocol='iscsi' name='iqn.x/1'><host name='h'/><auth username='u'><secret type='iscsi' usage='s'/></auth></source><target dev='hdc' bus='ide'/></disk></devices>",
 'disk-opts': "<devices><disk type='file' device='disk' snapshot='external'><driver name='qemu' type='qcow2' cache='none' io='native' discard='unmap' detect_zeroes='on'/><source file='/a.qcow2'/><backingStore type='file'><format type='raw'/><source file='/b.raw'/></backingStore><target dev='vda' bus='virtio'/><iotune><total_bytes_sec>1000</total_bytes_sec></iotune><serial>S1</serial><boot order='2'/><shareable/></disk></devices>",
 'disk-block-lun': "<devices><disk type='block' device='lun' sgio='unfiltered' rawio='yes'><source dev='/dev/sdb'/><target dev='sda' bus='scsi'/></disk></devices>",
 'disk-volume': "<devices><disk type='volume' device='disk'><source pool='p' volume='v'/><target dev='vdb'/></disk></devices>",
 'disk-usb-sd': "<devices><disk type='file' device='disk'><source file='/u'/><target dev='sda' bus='usb' removable='on'/></disk></devices>",
 'controllers-models': "<devices><controller type='scsi' model='virtio-scsi'><driver queues='4'/></controller><controller type='virtio-serial' ports='16' vectors='4'/><controller type='usb' model='qemu-xhci' ports='15'/><controller type='ide'/><controller type='sata'/></devices>",
 'chardevs': "<devices><serial type='file'><source path='/tmp/s' append='on'/><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial><serial type='udp'><source mode='bind' host='0.0.0.0' service='2222'/><source mode='connect' host='1.2.3.4' service='2223'/></serial><parallel type='file'><source path='/tmp/p'/></parallel><channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel><channel type='pty'><target type='virtio'/></channel></devices>",
 'graphics-more': "<devices><graphics type='vnc' port='5900' autoport='no' keymap='en-us' sharePolicy='force-shared' passwd='p'/><graphics type='sdl' display=':0' fullscreen='yes'/><graphics type='spice' autoport='yes'><channel name='main' mode='secure'/><image compression='auto_glz'/><clipboard copypaste='no'/><gl enable='no'/></graphics></devices>",
 'hostdev-usb': "<devices><hostdev mode='subsystem' type='usb' managed='yes'><source startupPolicy='optional'><vendor id='0x1234'/><product id='0xbeef'/></source><boot order='2'/></hostdev></devices>",
 'hostdev-mdev': "<devices><hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='c2177883-f1bb-47f0-914d-32a22e3a8804'/></source></hostdev></devices>",
 'memory-dimm': "<maxMemory slots='16' unit='KiB'>4194304</maxMemory><vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0-1' memory='1048576'/></numa></cpu><devices><memory model='dimm'><target><size unit='MiB'>512</size><node>0</node></target></memory></devices>",
 'cpu-features': "<cpu mode='custom' match='minimum' check='partial'><model fallback='forbid'>Haswell</model><vendor>Intel</vendor><topology sockets='1' dies='1' cores='2' threads='2'/><cache mode='passthrough'/><feature policy='require' name='vmx'/><feature name='pcid'/></cpu><vcpu>4</vcpu>",
 'lifecycle-all': "<on_poweroff>preserve</on_poweroff><on_reboot>destroy</on_reboot><on_crash>coredump-restart</on_crash><on_lockfailure>poweroff</on_lockfailure>",
 'vcpus-detail': "<vcpu current='2'>4</vcpu><vcpus><vcpu id='0' enabled='yes' hotpluggable='no' order='1'/><vcpu id='1' enabled='yes' hotpluggable='yes' order='2'/><vcpu id='2' enabled='no' hotpluggable='yes'/><vcpu id='3' enabled='no' hotpluggable='yes'/></vcpus>",
}

KVM_OS = {'os-direct':"<kernel>/k</kernel><initrd>/i</initrd><cmdline>c</cmdline><dtb>/d</dtb>",'bootmenu':"<boot dev='cdrom'/><boot dev='hd'/><bootmenu enable='yes' timeout='3000'/><bios useserial='yes' rebootTimeout='0'/><smbios mode='host'/>"}


@pytest.mark.parametrize("name", sorted(KVM_PROBES))
def test_kvm_probe_agrees_with_libvirt(libvirt_oracle: object, name: str) -> None:
    text = KVM_HEAD.format(os=KVM_OS.get(name, "")) + KVM_PROBES[name] + "</domain>"
    outcome = compare_text(libvirt_oracle, text, name)
    assert outcome.agree, outcome.reason


# a q35 guest: (os attributes, os children, body) per probe; three need a whole document
Q35_HEAD = (
    "<domain type='kvm'><name>probe</name><memory>1048576</memory>"
    "<os{osattr}><type arch='x86_64' machine='q35'>hvm</type>{os}</os>"
)
Q35_PROBES = {
 'loader-pflash': ("", "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE.fd</loader><nvram>/var/lib/nvram.fd</nvram>", ""),
 'loader-secure': ("", "<loader readonly='yes' secure='yes' type='pflash'>/c.fd</loader><nvram template='/t.fd'>/n.fd</nvram>", "<features><smm state='on'/></features>"),
 'firmware-efi': (" firmware='efi'", "", ""),
 'firmware-efi-features': (" firmware='efi'", "<firmware><feature enabled='yes' name='secure-boot'/></firmware>", ""),
 'exe': ("", "", ""),
 'xen-pv': ("", "", ""),
 'mem-nvdimm': ("", "", "<maxMemory slots='16' unit='KiB'>8388608</maxMemory><vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0-1' memory='1048576'/></numa></cpu><devices><memory model='nvdimm'><source><path>/tmp/nv</path></source><target><size unit='KiB'>524288</size><node>0</node><label><size unit='KiB'>128</size></label></target></memory></devices>"),
 'mem-virtio': ("", "", "<maxMemory slots='16' unit='KiB'>8388608</maxMemory><vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0-1' memory='1048576'/></numa></cpu><devices><memory model='virtio-mem'><target><size unit='KiB'>1048576</size><node>0</node><block unit='KiB'>2048</block><requested unit='KiB'>524288</requested></target></memory></devices>"),
 'nics': ("", "", "<devices><interface type='server'><mac address='52:54:00:00:00:01'/><source address='192.168.0.1' port='5558'/></interface><interface type='mcast'><mac address='52:54:00:00:00:02'/><source address='230.0.0.1' port='5558'/></interface><interface type='udp'><mac address='52:54:00:00:00:03'/><source address='192.168.0.1' port='5558'><local address='127.0.0.1' port='5555'/></source></interface><interface type='vhostuser'><mac address='52:54:00:00:00:04'/><source type='unix' path='/tmp/vh' mode='server'/><model type='virtio'/></interface><interface type='network'><mac address='52:54:00:00:00:05'/><source network='n'/><model type='virtio'/><driver name='qemu'/><rom bar='off'/></interface></devices>"),
 'inputs-more': ("", "", "<devices><input type='passthrough' bus='virtio'><source evdev='/dev/input/event1'/></input><input type='evdev'><source dev='/dev/input/event2' grab='all' repeat='on'/></input><input type='keyboard' bus='virtio'/></devices>"),
 'audio': ("", "", "<devices><sound model='ich9'><audio id='1'/></sound><audio id='1' type='spice'/></devices>"),
 'graphics-egl': ("", "", "<devices><graphics type='egl-headless'><gl rendernode='/dev/dri/renderD128'/></graphics><graphics type='dbus'/></devices>"),
 'chardevs-more': ("", "", "<devices><channel type='spiceport'><source channel='org.x'/><target type='virtio' name='org.x'/></channel><channel type='qemu-vdagent'><source><clipboard copypaste='yes'/></source><target type='virtio' name='com.redhat.spice.0'/></channel><serial type='nmdm'><source master='/dev/nmdm0A' slave='/dev/nmdm0B'/></serial><console type='null'/></devices>"),
 'vcpu-cpuset': ("", "", "<vcpu placement='static' cpuset='1-4,^3,6'>2</vcpu>"),
 'sched': ("", "", "<vcpu>4</vcpu><cputune><vcpusched vcpus='0-1' scheduler='fifo' priority='5'/><emulatorsched scheduler='idle'/></cputune>"),
 'sev': ("", "", "<launchSecurity type='sev'><policy>0x0003</policy><cbitpos>47</cbitpos><reducedPhysBits>1</reducedPhysBits></launchSecurity>"),
 'keywrap': ("", "", "<keywrap><cipher name='aes' state='off'/><cipher name='dea' state='on'/></keywrap>"),
 'hyperv-more': ("", "", "<features><hyperv mode='passthrough'/></features><clock offset='localtime'><timer name='hypervclock' present='yes'/></clock>"),
 'hyperv-custom': ("", "", "<features><hyperv><relaxed state='on'/><vpindex state='on'/><synic state='on'/><stimer state='on'><direct state='on'/></stimer><reset state='on'/><vendor_id state='on' value='KVM Hv'/><frequencies state='on'/></hyperv></features>"),
 'kvm-features': ("", "", "<features><kvm><hidden state='on'/><hint-dedicated state='on'/><poll-control state='on'/></kvm><pmu state='off'/><vmcoreinfo state='on'/><msrs unknown='ignore'/></features>"),
 'cpu-passthrough': ("", "", "<cpu mode='host-passthrough' check='none' migratable='on'><cache level='3' mode='emulate'/><feature policy='disable' name='svm'/></cpu>"),
 'cpu-maxphysaddr': ("", "", "<cpu mode='host-passthrough'><maxphysaddr mode='passthrough' limit='39'/></cpu>"),
 'numa-distances': ("", "", "<vcpu>4</vcpu><cpu><numa><cell id='0' cpus='0-1' memory='524288'><distances><sibling id='0' value='10'/><sibling id='1' value='20'/></distances></cell><cell id='1' cpus='2-3' memory='524288'/></numa></cpu>"),
 'numa-hmat': ("", "", "<vcpu>4</vcpu><cpu><numa><cell id='0' cpus='0-3' memory='1048576' discard='yes'><cache level='1' associativity='direct' policy='writeback'><size value='10' unit='KiB'/><line value='8' unit='B'/></cache></cell><interconnects><latency initiator='0' target='0' type='access' value='5'/></interconnects></numa></cpu>"),
 'disk-misc': ("", "", "<devices><disk type='file' device='floppy'><source file='/f'/><target dev='fda'/></disk><disk type='dir' device='disk'><source dir='/d'/><target dev='hdb'/></disk><disk type='nvme' device='disk'><source type='pci' managed='yes' namespace='1'><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source><target dev='vdc' bus='virtio'/></disk></devices>"),
 'disk-geometry': ("", "", "<devices><disk type='file' device='disk'><source file='/a'/><target dev='hda'/><geometry cyls='16383' heads='16' secs='63' trans='lba'/><blockio logical_block_size='512' physical_block_size='4096'/><wwn>0x5000c50015ea71ad</wwn><vendor>V</vendor><product>P</product></disk></devices>"),
 'disk-encryption': ("", "", "<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/a'><encryption format='luks'><secret type='passphrase' uuid='0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f'/></encryption></source><target dev='vda' bus='virtio'/></disk></devices>"),
 'controllers-pci': ("", "", "<devices><controller type='pci' index='0' model='pcie-root'/><controller type='pci' model='pcie-root-port'><model name='pcie-root-port'/><target chassis='1' port='0x10'/></controller><controller type='pci' model='pcie-to-pci-bridge'/><controller type='pci' model='pcie-expander-bus'><target busNr='252'><node>0</node></target></controller></devices><vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0-1' memory='1048576'/></numa></cpu>"),
 'usb-controllers': ("", "", "<devices><controller type='usb' index='0' model='ich9-ehci1'/><controller type='usb' index='0' model='ich9-uhci1'><master startport='0'/></controller><hub type='usb'><address type='usb' bus='0' port='1'/></hub><input type='tablet' bus='usb'><address type='usb' bus='0' port='1.1'/></input></devices>"),
 'dup-mac': ("", "", "<devices><interface type='user'><mac address='52:54:00:00:00:01'/></interface><interface type='user'><mac address='52:54:00:00:00:01'/></interface></devices>"),
 'disk-no-source': ("", "", "<devices><disk type='file' device='cdrom'><target dev='hdc'/></disk><disk type='block' device='disk'><target dev='vda'/></disk></devices>"),
 'hostdev-dup-addr': ("", "", "<devices><hostdev mode='subsystem' type='pci'><source><address domain='0' bus='6' slot='7' function='0'/></source><address type='pci' slot='5'/></hostdev><interface type='user'><mac address='52:54:00:00:00:09'/><address type='pci' slot='5'/></interface></devices>"),
 'bad-memory-neg': ("", "", "<currentMemory>-5</currentMemory>"),
 'bad-name-slash': ("", "", ""),
 'idmap': ("", "", "<idmap><uid start='0' target='1000' count='10'/><gid start='0' target='1000' count='10'/></idmap>"),
 'on-lockfailure-bad': ("", "", "<on_lockfailure>foo</on_lockfailure>"),
 'clock-timezone': ("", "", "<clock offset='timezone' timezone='Europe/Paris'/>"),
 'clock-bad-timer': ("", "", "<clock offset='utc'><timer name='foo'/></clock>"),
 'pm-bad': ("", "", "<pm><suspend-to-mem enabled='maybe'/></pm>"),
}

WHOLE = {
    "exe": "<domain type='lxc'><name>probe</name><memory>1024</memory><os><type>exe</type>"
    "<init>/bin/sh</init><initarg>-c</initarg><initenv name='A'>b</initenv></os><devices>"
    "<filesystem type='mount'><source dir='/r'/><target dir='/'/></filesystem>"
    "<console type='pty'/></devices></domain>",
    "xen-pv": "<domain type='xen'><name>probe</name><memory>1024</memory><os><type>linux</type>"
    "<kernel>/k</kernel></os><devices><disk type='file'><source file='/a'/><target dev='xvda'/>"
    "</disk><console type='pty'/><graphics type='vnc'/></devices></domain>",
}


@pytest.mark.parametrize("name", sorted(Q35_PROBES))
def test_q35_probe_agrees_with_libvirt(libvirt_oracle: object, name: str) -> None:
    osattr, os_children, body = Q35_PROBES[name]
    text = WHOLE.get(name) or Q35_HEAD.format(osattr=osattr, os=os_children) + body + "</domain>"
    if name == "bad-name-slash":
        text = text.replace("<name>probe</name>", "<name>a/b</name>")
    outcome = compare_text(libvirt_oracle, text, name)
    assert outcome.agree, outcome.reason


# a pc guest: devices and tunables of the third exploration round
PC_HEAD = (
    "<domain type='kvm'><name>probe</name><memory>1048576</memory>"
    "<os><type arch='x86_64' machine='pc'>hvm</type></os>"
)
PC_PROBES = {
 'lease': "<devices><lease><lockspace>s</lockspace><key>k</key><target path='/p' offset='1024'/></lease></devices>",
 'redirfilter': "<devices><controller type='usb'/><redirdev bus='usb' type='spicevmc'/><redirfilter><usbdev class='0x08' vendor='0x1234' product='0xbeef' version='2.0' allow='yes'/><usbdev allow='no'/></redirfilter></devices>",
 'watchdog': "<devices><watchdog model='ib700' action='poweroff'/><watchdog model='itco' action='dump'/></devices>",
 'panic-models': "<devices><panic model='isa'><address type='isa' iobase='0x505'/></panic></devices>",
 'rng-builtin': "<devices><rng model='virtio-non-transitional'><backend model='builtin'/></rng></devices>",
 'tpm-v': "<devices><tpm model='tpm-tis'><backend type='emulator' version='1.2'/></tpm></devices>",
 'sound-codecs': "<devices><sound model='ich6'><codec type='duplex'/><codec type='micro'/></sound></devices>",
 'video-accel': "<devices><video><model type='virtio' heads='1' primary='yes'><acceleration accel3d='yes'/><resolution x='800' y='600'/></model></video></devices>",
 'listens': "<devices><graphics type='vnc' port='5900' autoport='no'><listen type='address' address='127.0.0.1'/><listen type='network' network='n'/></graphics></devices>",
 'smartcard-tcp': "<devices><smartcard mode='passthrough' type='tcp'><source mode='connect' host='127.0.0.1' service='2001'/><protocol type='raw'/></smartcard></devices>",
 'memtune-swap': "<memtune><swap_hard_limit unit='KiB'>2000000</swap_hard_limit><min_guarantee>1</min_guarantee></memtune>",
 'numatune-memnode': "<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0' memory='524288'/><cell id='1' cpus='1' memory='524288'/></numa></cpu><numatune><memory mode='interleave' nodeset='0-1'/><memnode cellid='1' mode='strict' nodeset='0'/><memnode cellid='0' mode='preferred' nodeset='1'/></numatune>",
 'sysinfo-fwcfg': "<sysinfo type='fwcfg'><entry name='opt/com.example/name'>example value</entry></sysinfo>",
 'os-acpi': "",
 'uuid-upper': "<uuid>{C7A5FDBD-EDAF-9455-926A-D65C16DB1809}</uuid>",
 'uuid-upper2': "<uuid>C7A5FDBD-EDAF-9455-926A-D65C16DB1809</uuid>",
 'mem-space': "<currentMemory> 1024 </currentMemory>",
 'mac-upper': "<devices><interface type='user'><mac address='52:54:00:AA:BB:CC'/></interface></devices>",
 'ctrl-model-bad': "<devices><controller type='scsi' model='foo'/></devices>",
 'disk-bus-sd': "<devices><disk type='file' device='disk'><source file='/a'/><target dev='mmcblk0' bus='sd'/></disk></devices>",
 'disk-dev-bad': "<devices><disk type='file' device='disk'><source file='/a'/><target dev='hda' bus='ide'/><address type='drive' controller='0' bus='0' unit='1'/></disk><disk type='file' device='disk'><source file='/b'/><target dev='hdb' bus='ide'/></disk></devices>",
 'input-addr': "<devices><controller type='usb' model='piix3-uhci'/><input type='mouse' bus='usb'><address type='usb' bus='0' port='1'/></input></devices>",
 'iothread-disk': "<iothreads>2</iothreads><devices><disk type='file' device='disk'><driver name='qemu' type='raw' iothread='2'/><source file='/a'/><target dev='vda' bus='virtio'/></disk></devices>",
 'shmem-server': "<devices><shmem name='s'><model type='ivshmem-doorbell'/><server path='/tmp/sock'/><msi vectors='32' ioeventfd='on'/></shmem></devices>",
 'vsock-cid': "<devices><vsock model='virtio'><cid auto='no' address='4'/></vsock></devices>",
 'hub-input': "<devices><hub type='usb'/><input type='tablet' bus='usb'/></devices>",
 'cpu-numa-cpus-bad': "<vcpu>2</vcpu><cpu><numa><cell id='0' cpus='0-3' memory='524288'/></numa></cpu>",
 'hostdev-caps': "<devices><hostdev mode='capabilities' type='storage'><source><block>/dev/sdf1</block></source></hostdev></devices>",
 'blkio-dev': "<blkiotune><device><path>/dev/sda</path><read_iops_sec>100</read_iops_sec><write_bytes_sec>1000</write_bytes_sec></device></blkiotune>",
 'filesystem-virtiofs': "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking><devices><filesystem type='mount'><driver type='virtiofs' queue='1024'/><binary path='/usr/libexec/virtiofsd' xattr='on'><cache mode='always'/></binary><source dir='/p'/><target dir='tag'/></filesystem></devices>",
 'graphics-rdp': "<devices><graphics type='rdp' autoport='yes' multiUser='yes'/></devices>",
 'serial-usb': "<devices><controller type='usb' model='qemu-xhci'/><serial type='pty'><target type='usb-serial' port='0'><model name='usb-serial'/></target></serial></devices>",
}


@pytest.mark.parametrize("name", sorted(PC_PROBES))
def test_pc_probe_agrees_with_libvirt(libvirt_oracle: object, name: str) -> None:
    text = PC_HEAD + PC_PROBES[name] + "</domain>"
    if name == "os-acpi":
        text = text.replace(
            "</type></os>", "</type><acpi><table type='slic'>/a.dat</table></acpi><boot dev='network'/></os>"
        )
    outcome = compare_text(libvirt_oracle, text, name)
    assert outcome.agree, outcome.reason
