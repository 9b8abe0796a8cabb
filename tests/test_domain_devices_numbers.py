"""Device numbers libvirt 9.0 reads with its C readers, compared live (libvirt-python on
``test:///<node/>``; skipped when libvirt-python is absent).

libvirt reads each of these with virXMLPropUInt/Int/ULongLong, virStrToLong_ui(p) or
virXPathULongLong (leading blanks and a sign accepted, trailing ones refused, range checked,
base 10 or any C base) and writes the value back in plain decimal (a 0 often meaning
"unset", left out), so the input spelling never survives. pyvirt reads them with one
table (``_num_rules`` in ``src/core/domain_devices.pyx``); every case here sweeps the same
spellings and asserts both refuse with the same code and message, or both write the probed
devices the same way. Also: a disk's startupPolicy (its names, refused on network disks,
'requisite' only on removable drives), a controller with no type (an IDE controller), a
vsock's CID (auto, >= 3) and the video sizes only QXL takes.
"""

from __future__ import annotations

import pytest
from test_domain_devices_gaps import NUMBERS, same

#: more spellings: C bases, the C int and unsigned int edges, a word
SPELLINGS = [*NUMBERS, "2147483647", "-2", "-4294967295", "9", "08", "abc"]

DISK = "<disk type='file' device='disk'>{0}<source file='/a'/><target dev='vda' bus='virtio'/>{1}</disk>"

NUMBER_CASES = {
    # disks
    "disk-iothread": (DISK.format("<driver name='qemu' type='raw' iothread='{v}'/>", ""), ("disk",)),
    "disk-queues": (DISK.format("<driver name='qemu' type='raw' queues='{v}'/>", ""), ("disk",)),
    "geometry-cyls": (DISK.format("", "<geometry cyls='{v}' heads='2' secs='3'/>"), ("disk",)),
    "geometry-heads": (DISK.format("", "<geometry cyls='1' heads='{v}' secs='3'/>"), ("disk",)),
    "geometry-secs": (DISK.format("", "<geometry cyls='1' heads='2' secs='{v}'/>"), ("disk",)),
    "blockio-logical": (DISK.format("", "<blockio logical_block_size='{v}'/>"), ("disk",)),
    "blockio-physical": (DISK.format("", "<blockio physical_block_size='{v}'/>"), ("disk",)),
    "disk-boot-order": (DISK.format("", "<boot order='{v}'/>"), ("disk",)),
    "iotune": (DISK.format("", "<iotune><total_bytes_sec>{v}</total_bytes_sec></iotune>"), ("disk",)),
    "iotune-iops-max": (DISK.format("", "<iotune><read_iops_sec_max>{v}</read_iops_sec_max></iotune>"),
                        ("disk",)),
    # controllers
    "controller-ports": ("<controller type='virtio-serial' index='0' ports='{v}'/>",
                         ("controller[@type='virtio-serial']",)),
    "controller-vectors": ("<controller type='virtio-serial' index='0' vectors='{v}'/>",
                           ("controller[@type='virtio-serial']",)),
    "controller-queues": ("<controller type='scsi' index='0' model='virtio-scsi'><driver queues='{v}'/></controller>",
                          ("controller[@type='scsi']",)),
    "controller-iothread": ("<controller type='scsi' index='0' model='virtio-scsi'><driver iothread='{v}'/>"
                            "</controller>", ("controller[@type='scsi']",)),
    # character devices
    "serial-port": ("<serial type='pty'><target port='{v}'/></serial>", ("serial", "console")),
    "parallel-port": ("<parallel type='pty'><target port='{v}'/></parallel>", ("parallel",)),
    "console-port": ("<console type='pty'><target type='virtio' port='{v}'/></console>", ("console",)),
    "guestfwd-port": ("<channel type='pty'><target type='guestfwd' address='10.0.2.1' port='{v}'/></channel>",
                      ("channel",)),
    # network interfaces
    "nic-mtu": ("<interface type='user'><model type='virtio'/><mtu size='{v}'/></interface>", ("interface",)),
    "nic-rx-queue-size": ("<interface type='user'><model type='virtio'/><driver rx_queue_size='{v}'/></interface>",
                          ("interface",)),
    "nic-tx-queue-size": ("<interface type='vhostuser'><mac address='52:54:00:00:00:01'/>"
                          "<source type='unix' path='/tmp/s' mode='client'/><model type='virtio'/>"
                          "<driver tx_queue_size='{v}'/></interface>", ("interface",)),
    "nic-boot-order": ("<interface type='user'><model type='virtio'/><boot order='{v}'/></interface>",
                       ("interface",)),
    # video
    "video-vram": ("<video><model type='qxl' vram='{v}'/></video>", ("video",)),
    "video-ram": ("<video><model type='qxl' ram='{v}'/></video>", ("video",)),
    "video-vgamem": ("<video><model type='qxl' vgamem='{v}'/></video>", ("video",)),
    "video-vram64": ("<video><model type='qxl' vram64='{v}'/></video>", ("video",)),
    "video-heads": ("<video><model type='qxl' heads='{v}'/></video>", ("video",)),
    "video-vga-vram": ("<video><model type='vga' vram='{v}'/></video>", ("video",)),
    "video-virtio-ram": ("<video><model type='virtio' ram='{v}'/></video>", ("video",)),
    # host device sources
    "hostdev-pci-bus": ("<hostdev mode='subsystem' type='pci'><source><address domain='0' bus='{v}' slot='1' "
                        "function='0'/></source></hostdev>", ("hostdev",)),
    "hostdev-usb-bus": ("<hostdev mode='subsystem' type='usb'><source><address bus='{v}' device='2'/></source>"
                        "</hostdev>", ("hostdev",)),
    "hostdev-usb-device": ("<hostdev mode='subsystem' type='usb'><source><address bus='1' device='{v}'/></source>"
                           "</hostdev>", ("hostdev",)),
    "hostdev-scsi-bus": ("<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/>"
                         "<address bus='{v}' target='0' unit='0'/></source></hostdev>", ("hostdev",)),
    "hostdev-scsi-target": ("<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/>"
                            "<address bus='0' target='{v}' unit='0'/></source></hostdev>", ("hostdev",)),
    "hostdev-scsi-unit": ("<hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host0'/>"
                          "<address bus='0' target='0' unit='{v}'/></source></hostdev>", ("hostdev",)),
    # the memory balloon, RNG, vsock
    "balloon-period": ("<memballoon model='virtio'><stats period='{v}'/></memballoon>", ("memballoon",)),
    "rng-bytes": ("<rng model='virtio'><rate bytes='{v}' period='1000'/><backend model='random'>/dev/random"
                  "</backend></rng>", ("rng",)),
    "rng-period": ("<rng model='virtio'><rate bytes='1' period='{v}'/><backend model='random'>/dev/random"
                   "</backend></rng>", ("rng",)),
    "vsock-cid": ("<vsock model='virtio'><cid auto='no' address='{v}'/></vsock>", ("vsock",)),
    "vsock-cid-alone": ("<vsock model='virtio'><cid address='{v}'/></vsock>", ("vsock",)),
}  # fmt: skip


@pytest.mark.parametrize("value", SPELLINGS)
@pytest.mark.parametrize("case", sorted(NUMBER_CASES))
def test_device_numbers(libvirt_oracle: object, case: str, value: str) -> None:
    body, tags = NUMBER_CASES[case]
    same(libvirt_oracle, body.format(v=value), *tags)


def test_first_refused_number_is_of_the_kind_parsed_first(libvirt_oracle: object) -> None:
    # a video listed before a disk: libvirt parses the disks first
    same(libvirt_oracle, "<video><model type='qxl' vram='x'/></video>" + DISK.format("", "<boot order='0'/>"),
         "disk", "video")  # fmt: skip
    # one disk: geometry left out for a 0 is still read whole
    same(libvirt_oracle, DISK.format("", "<geometry cyls='0' heads='x' secs='3'/>"), "disk")


@pytest.mark.parametrize("policy", ["optional", "mandatory", "requisite", "default", "", "bogus"])
@pytest.mark.parametrize(
    "disk",
    [
        "<disk type='network' device='disk'><source protocol='nbd' name='x' startupPolicy='{p}'><host name='h'/>"
        "</source><target dev='vda' bus='virtio'/></disk>",
        "<disk type='network' device='cdrom'><source protocol='http' name='x' startupPolicy='{p}'><host name='h'/>"
        "</source><target dev='hdc' bus='ide'/></disk>",
        "<disk type='file' device='disk'><source file='/a' startupPolicy='{p}'/><target dev='vda' bus='virtio'/>"
        "</disk>",
        "<disk type='file' device='cdrom'><source file='/a' startupPolicy='{p}'/><target dev='hdc' bus='ide'/>"
        "</disk>",
        "<disk type='volume' device='disk'><source pool='p' volume='v' startupPolicy='{p}'/>"
        "<target dev='vda' bus='virtio'/></disk>",
    ],
)  # fmt: skip
def test_disk_startup_policy(libvirt_oracle: object, disk: str, policy: str) -> None:
    same(libvirt_oracle, disk.format(p=policy), "disk")


@pytest.mark.parametrize(
    "devices",
    [
        "<controller index='0'/>",
        "<controller index='1'/>",
        "<controller/>",
        "<controller index='0' model='piix3'/>",
        "<controller index='0'/><controller type='ide' index='0'/>",
    ],
)
def test_controller_without_type_is_ide(libvirt_oracle: object, devices: str) -> None:
    same(libvirt_oracle, devices, "controller")


@pytest.mark.parametrize(
    "devices",
    [
        "<vsock model='virtio'/>",
        "<vsock model='virtio'><cid auto='yes'/></vsock>",
        "<vsock model='virtio'><cid auto='yes' address='2'/></vsock>",
        "<vsock model='virtio'><cid address='3'/></vsock>",
        "<video><model type='virtio' vram64='8'/></video>",
        "<video><model type='virtio' vgamem='8'/></video>",
        "<video><model type='vga' ram='8'/></video>",
        "<video><model type='virtio' ram='8' vram64='8'/></video>",
    ],
)
def test_vsock_cid_and_qxl_only_video_sizes(libvirt_oracle: object, devices: str) -> None:
    same(libvirt_oracle, devices, "vsock", "video")


@pytest.mark.parametrize(
    "devices",
    [
        DISK.format("", "<blockio logical_block_size='0' physical_block_size='0'/>"),
        DISK.format(
            "<driver queues='0'/>", "<iotune><total_bytes_sec>0</total_bytes_sec></iotune>"
        ),
        DISK.format(
            "", "<iotune><total_bytes_sec>0</total_bytes_sec><group_name>g</group_name></iotune>"
        ),
        DISK.format(
            "",
            "<iotune><total_bytes_sec> 5</total_bytes_sec><read_bytes_sec>x</read_bytes_sec></iotune>",
        ),
        "<interface type='user'><model type='virtio'/><mtu size='0'/><driver rx_queue_size='0'/></interface>",
    ],
)
def test_zeros_left_out_and_the_elements_they_empty(libvirt_oracle: object, devices: str) -> None:
    same(libvirt_oracle, devices, "disk", "interface")
