"""Data that drives the generic parse and the writer: libvirt's element order and defaults.

libvirt formats a domain from its parsed structure, so its output always lists known
elements in one fixed order and leaves out everything it does not know. These tables record
that order per parent element; the post-parse sorts (and prunes) children by them.
"""

from __future__ import annotations

from lxml import etree

#: children of <domain>, in libvirt's output order
DOMAIN_ORDER: tuple[str, ...] = (
    "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory",
    "currentMemory", "blkiotune", "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads",
    "iothreadids", "cputune", "numatune", "resource", "sysinfo", "bootloader",
    "bootloader_args", "os", "idmap", "features", "cpu", "clock", "on_poweroff", "on_reboot",
    "on_crash", "on_lockfailure", "pm", "perf", "devices", "seclabel", "keywrap",
    "launchSecurity",
)  # fmt: skip

#: device kinds inside <devices>, in libvirt's output order
DEVICE_KINDS: tuple[str, ...] = (
    "emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard",
    "serial", "parallel", "console", "channel", "input", "tpm", "graphics", "sound", "audio",
    "video", "hostdev", "redirdev", "redirfilter", "hub", "watchdog", "memballoon", "rng",
    "panic", "shmem", "memory", "iommu", "vsock", "crypto",
)  # fmt: skip

DEVICE_ORDER: dict[str, int] = {tag: i for i, tag in enumerate(DEVICE_KINDS)}

#: children of <os>
OS_ORDER: tuple[str, ...] = (
    "type", "firmware", "init", "initarg", "initenv", "initdir", "inituser", "initgroup",
    "loader", "nvram", "kernel", "initrd", "cmdline", "dtb", "acpi", "shim", "boot",
    "bootmenu", "smbios", "bios",
)  # fmt: skip

CHILD_ORDER: dict[str, tuple[str, ...]] = {
    "domain": DOMAIN_ORDER,
    "devices": DEVICE_KINDS,
    "os": OS_ORDER,
}


def insert_child(parent: etree._Element, child: etree._Element) -> None:
    """Insert ``child`` where libvirt's order puts it among ``parent``'s children."""
    order = CHILD_ORDER.get(parent.tag)
    if order is None or child.tag not in order:
        parent.append(child)
        return
    rank = order.index(child.tag)
    for existing in parent:
        tag = existing.tag
        if isinstance(tag, str) and tag in order and order.index(tag) > rank:
            existing.addprevious(child)
            return
    parent.append(child)
