"""libvirt's generic domain parse, applied in place to the parsed tree.

The steps follow libvirt's order so that the first error reported is the one libvirt
reports: top-level values (type, name, uuid, memory, vcpus, os) are checked and normalised,
then defaults are filled in, implicit devices added, and children put in canonical order.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from ..._core import xmlcore
from ..._core.xmlcore import add, child, children, permute
from ..._core.xmlcore import get as aget
from ..._core.xmlcore import set as aset
from ...errors import ErrorDomain, ErrorNumber, virt_error
from ..units import LLONG_MAX, parse_scaled, to_kib
from ..values import canonical_uuid, format_bitmap, generate_uuid, parse_bitmap, uint_prop
from .address import normalize_all
from .attrs import set_after, set_first
from .devices import post_parse_devices
from .enums import RULES as ENUM_RULES
from .enums import enum_error
from .tables import canonical_order, drop_unknown

D = ErrorDomain.DOMAIN

VIRT_TYPES = frozenset(
    "none qemu kqemu kvm xen lxc uml openvz test vmware hyperv vbox phyp parallels bhyve vz hvf".split()
)
OS_TYPES = frozenset("hvm xen linux exe uml xenpvh".split())
#: the test driver's capabilities list i686 first: libvirt's default guest arch there
DEFAULT_ARCH = "i686"
ARCHES = frozenset(
    "none alpha armv6l armv7l armv7b aarch64 cris i686 ia64 lm32 loongarch64 m68k microblaze "
    "microblazeel mips mipsel mips64 mips64el openrisc parisc parisc64 ppc ppc64 ppc64le ppcemb "
    "riscv32 riscv64 s390 s390x sh4 sh4eb sparc sparc64 unicore32 x86_64 xtensa xtensaeb".split()
)
LOCKFAILURE_ACTIONS = frozenset("poweroff restart pause ignore".split())
LIFECYCLE = {
    "on_poweroff": ("destroy", frozenset("destroy restart rename-restart preserve".split())),
    "on_reboot": ("restart", frozenset("destroy restart rename-restart preserve".split())),
    "on_crash": (
        "destroy",
        frozenset("destroy restart rename-restart preserve coredump-destroy coredump-restart".split()),
    ),
}


def err(code: int, detail: str | None = None, domain: int = D) -> Exception:
    return virt_error(code, detail, domain=domain)


def post_parse(root: etree._Element, **options: Any) -> dict[str, list[etree._Element]]:
    """Check, normalise and complete the definition rooted at ``root``.

    One C walk indexes every element by path; each step below runs only when the elements
    it concerns are present, so a small document pays for little more than parse and format.
    """
    # libvirt's rules never see names it does not know: they go first
    drop_unknown(root)
    # every element as written, by path, and the first enumerated value libvirt would refuse
    # (one C walk; the error is raised at the point of libvirt's parse where it checks them)
    idx, bad_enum = xmlcore.index_checked(root, ENUM_RULES)
    _domain_type(root)
    _identity(root, idx)
    _memory(idx)
    _vcpus(root, idx)
    os_type = _os(idx)
    if bad_enum is not None:
        raise enum_error(bad_enum)
    _lifecycle(root, idx)
    if "clock" not in idx:
        add(root, "clock", None, (("offset", "utc"),))
    if "iothreads" in idx or "iothreadids" in idx:
        _iothreads(root)
    _bitmaps(idx)
    if "cpu" in idx:
        _cpu(root)
    if "features/hyperv" in idx:
        _features(root)
    devs = idx.get("devices")
    if devs:
        devices = devs[0]
        normalize_all(devices)  # first, so later steps read canonical numbers
        post_parse_devices(root, devices, os_type, idx["os/type"][0].get("arch", ""))
    else:
        devices = etree.SubElement(root, "devices")
        if "graphics" in idx:  # unreachable: graphics live in <devices>; kept for clarity
            pass
    _memory_totals(root, idx)
    _scaled(idx)
    _os_details(root, idx)
    if "cpu/numa" in idx:
        _numa_order(idx)
        if "cpu/numa/cell/distances" in idx:
            _numa_distances(idx)
    if "numatune" in idx or "vcpu" in idx:
        _placement(root)
    memnodes = idx.get("numatune/memnode")
    if memnodes and len(memnodes) > 1:
        tune = idx["numatune"][0]
        ordered = sorted(memnodes, key=lambda m: uint_prop(aget(m, "cellid", "0"), "cellid", "memnode"))
        if ordered != memnodes:
            permute(tune, memnodes, ordered)
    if "cputune" in idx:
        _pins(root)
        if "cputune/vcpusched" in idx or "cputune/iothreadsched" in idx:
            _scheds(idx["cputune"][0])
    if "metadata" in idx:
        _metadata(root)
    for label in idx.get("seclabel", ()):
        _seclabel(label)
    if "devices/filesystem" in idx:
        _filesystem_modes(devices)
    _boot(root, os_type, devices, idx)
    canonical_order(root)
    for nic in idx.get("devices/interface", ()):
        if aget(nic, "type") == "hostdev":
            drv, mac = child(nic, "driver"), child(nic, "mac")
            if drv is not None and mac is not None:
                mac.addnext(drv)  # written with the host device part, before <source>
    if root.nsmap or "metadata" in idx:
        etree.cleanup_namespaces(root)
    return idx


def _domain_type(root: etree._Element) -> None:
    vtype = aget(root, "type")
    if vtype is None:
        raise err(ErrorNumber.INTERNAL_ERROR, "missing domain type attribute")
    if vtype not in VIRT_TYPES:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"invalid domain type {vtype}")


def _identity(root: etree._Element, idx: dict[str, list[etree._Element]]) -> None:
    names = idx.get("name")
    name = (names[0].text or "") if names else ""
    if not name.strip():
        raise err(ErrorNumber.NO_NAME)
    if "/" in name:
        raise err(ErrorNumber.XML_ERROR, f"name {name} cannot contain '/'")
    uuids = idx.get("uuid")
    uuid = uuids[0] if uuids else None
    if uuid is None:
        add(root, "uuid", generate_uuid())
    else:
        text = uuid.text or ""
        canonical = canonical_uuid(text)
        if canonical != text:
            uuid.text = canonical  # a text write replaces the node: only when it changes


def _scaled_kib(el: etree._Element, what: str) -> int:
    return to_kib(
        parse_scaled(el.text, aget(el, "unit"), what=what, default_scale=1024, limit=LLONG_MAX)
    )


_KIB_UNITS = frozenset({None, "KiB", "k", "K", "kib"})


def _memory(idx: dict[str, list[etree._Element]]) -> None:
    for tag in ("maxMemory", "memory", "currentMemory"):
        els = idx.get(tag)
        if not els:
            continue
        el = els[0]
        text = el.text
        unit = aget(el, "unit")
        if unit in _KIB_UNITS and text is not None and text.isdigit() and text[0] != "0" and len(text) < 16:
            if unit != "KiB":
                aset(el, "unit", "KiB")  # already KiB: the common case needs no arithmetic
            continue
        kib = _scaled_kib(el, f"./{tag}[1]")
        el.text = str(kib)
        aset(el, "unit", "KiB")


def _vcpus(root: etree._Element, idx: dict[str, list[etree._Element]]) -> None:
    els = idx.get("vcpu")
    el = els[0] if els else None
    if el is None:
        el = add(root, "vcpu", "1")
    else:
        text = el.text or ""
        if not text.isdigit() or int(text) > 0xFFFFFFFF:
            raise err(ErrorNumber.XML_ERROR, "maximum vcpus count must be an integer")
        if int(text) == 0:
            raise err(ErrorNumber.INTERNAL_ERROR, "CPU IDs in <numa> exceed the <vcpu> count")
        current = aget(el, "current")
        if current is not None and uint_prop(current, "current", "vcpu") > int(text):
            raise err(
                ErrorNumber.CONFIG_UNSUPPORTED,
                "maximum vCPU count must not be less than current vCPU count",
            )
    if aget(el, "placement") is None:
        aset(el, "placement", "static")


def _os(idx: dict[str, list[etree._Element]]) -> str:
    types = idx.get("os/type")
    type_el = types[0] if types else None
    if type_el is None or not (type_el.text or "").strip():
        raise err(ErrorNumber.XML_ERROR, "an os <type> must be specified")
    os_type = type_el.text.strip()
    if os_type not in OS_TYPES:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown OS type '{os_type}'")
    if type_el.text != os_type:
        type_el.text = os_type  # 'linux' stays as written: libvirt's alias of 'xen'
    if os_type == "linux":
        os_type = "xen"
    arch = aget(type_el, "arch")
    if arch is None:
        set_first(type_el, [("arch", DEFAULT_ARCH)])
    elif arch not in ARCHES:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"Unknown architecture {arch}")
    return os_type


def _boot(
    root: etree._Element, os_type: str, devices: etree._Element, idx: dict[str, list[etree._Element]]
) -> None:
    if os_type != "hvm" or "bootloader" in idx or "os/boot" in idx:
        return
    for key in BOOT_PATHS:
        if key in idx:
            return
    os_el = idx["os"][0]
    add(os_el, "boot", None, (("dev", "hd"),))


def _lifecycle(root: etree._Element, idx: dict[str, list[etree._Element]]) -> None:
    lockfailure = idx.get("on_lockfailure")
    if lockfailure and (lockfailure[0].text or "").strip() not in LOCKFAILURE_ACTIONS:
        raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown on_lockfailure action: {lockfailure[0].text}")
    for tag, (default, allowed) in LIFECYCLE.items():
        els = idx.get(tag)
        el = els[0] if els else None
        if el is None:
            add(root, tag, default)
        elif (el.text or "").strip() not in allowed:
            raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"unknown {tag} action: {el.text}")


def _iothreads(root: etree._Element) -> None:
    count_el = child(root, "iothreads")
    ids_el = child(root, "iothreadids")
    count = int(count_el.text) if count_el is not None and (count_el.text or "").strip().isdigit() else 0
    ids = [] if ids_el is None else children(ids_el, "iothread")
    if count > len(ids):
        if ids_el is None:
            return
        used = {uint_prop(aget(i, "id", "0"), "id", "iothread") for i in ids}
        nxt = 1
        for _ in range(count - len(ids)):
            while nxt in used:
                nxt += 1
            used.add(nxt)
            ids_el.append(etree.Element("iothread", id=str(nxt)))
    elif count_el is None and ids:
        count_el = etree.Element("iothreads")
        count_el.text = str(len(ids))
        root.append(count_el)
    elif count_el is not None and len(ids) > count:
        count_el.text = str(len(ids))


#: attributes holding a CPU or NUMA node set, as (element path, attribute)
BITMAP_ATTRS: tuple[tuple[str, str], ...] = (
    ("vcpu", "cpuset"),
    ("cputune/vcpupin", "cpuset"),
    ("cputune/emulatorpin", "cpuset"),
    ("cputune/iothreadpin", "cpuset"),
    ("cputune/vcpusched", "vcpus"),
    ("cputune/iothreadsched", "iothreads"),
    ("cputune/cachetune", "vcpus"),
    ("cputune/memorytune", "vcpus"),
    ("numatune/memory", "nodeset"),
    ("numatune/memnode", "nodeset"),
    ("cpu/numa/cell", "cpus"),
    ("memoryBacking/hugepages/page", "nodeset"),
)


_BITMAP_PATHS = frozenset(path for path, _ in BITMAP_ATTRS if path != "vcpu")


#: set as written -> libvirt's spelling (sets repeat across documents: '0-1', '1,3')
_BITMAP_SPELLED: dict[str, str] = {}


def _bitmaps(idx: dict[str, list[etree._Element]]) -> None:
    vcpus = idx.get("vcpu")
    if idx.keys().isdisjoint(_BITMAP_PATHS) and not (vcpus and aget(vcpus[0], "cpuset") is not None):
        return
    for path, attr in BITMAP_ATTRS:
        for el in idx.get(path, ()):
            raw = aget(el, attr)
            if raw is None:
                continue
            text = _BITMAP_SPELLED.get(raw)
            if text is None:
                bits = parse_bitmap(raw)
                if not bits:
                    raise err(ErrorNumber.CONFIG_UNSUPPORTED, f"Invalid value of '{attr}': {raw}")
                text = format_bitmap(bits)
                if len(_BITMAP_SPELLED) < 4096:
                    _BITMAP_SPELLED[raw] = text
            if text != raw:
                aset(el, attr, text)


def _cpu(root: etree._Element) -> None:
    cpu = child(root, "cpu")
    if cpu is None:
        return
    if not cpu.attrib and not len(cpu):
        root.remove(cpu)
        return
    model = child(cpu, "model")
    mode = aget(cpu, "mode")
    has_name = model is not None and bool((model.text or "").strip())
    if model is not None and not has_name and mode in ("host-model", "host-passthrough", "maximum"):
        if not model.attrib or set(model.attrib) <= {"fallback"}:
            cpu.remove(model)
            model = None
    if has_name:
        if mode is None:
            _attrs_first(cpu, [("mode", "custom")])
            mode = "custom"
        if mode == "custom" and aget(cpu, "match") is None:
            _attrs_after(cpu, "mode", [("match", "exact")])
        if aget(model, "fallback") is None:
            _attrs_first(model, [("fallback", "allow")])
    elif mode in (None, "custom") and child(cpu, "feature") is not None:
        raise err(
            ErrorNumber.XML_ERROR,
            "Non-empty feature list specified without CPU model",
            domain=ErrorDomain.CPU,
        )
    phys = child(cpu, "maxphysaddr")
    if phys is not None and aget(phys, "mode") == "passthrough":
        phys.attrib.pop("limit", None)  # a limit applies to emulated address widths only
    for feature in children(cpu, "feature"):
        if aget(feature, "policy") is None:
            _attrs_first(feature, [("policy", "require")])
    topo = child(cpu, "topology")
    if topo is not None and aget(topo, "dies") is None:
        _attrs_after(topo, "sockets", [("dies", "1")])
    numa = child(cpu, "numa")
    if numa is not None:
        for i, cell in enumerate(numa.iterfind("cell")):
            if aget(cell, "id") is None:
                _attrs_first(cell, [("id", str(i))])
            mem = aget(cell, "memory")
            if mem is not None:
                kib = to_kib(
                    parse_scaled(mem, aget(cell, "unit"), what="./@memory", default_scale=1024, limit=LLONG_MAX)
                )
                aset(cell, "memory", str(kib))
                aset(cell, "unit", "KiB")


def _attrs_first(el: etree._Element, pairs: list[tuple[str, str]]) -> None:
    set_first(el, pairs)


def _attrs_after(el: etree._Element, after: str, pairs: list[tuple[str, str]]) -> None:
    set_after(el, after, pairs)


def _features(root: etree._Element) -> None:
    feats = child(root, "features")
    if feats is None:
        return
    hv = child(feats, "hyperv")
    if hv is not None and aget(hv, "mode") is None:
        aset(hv, "mode", "custom")


def _memory_totals(root: etree._Element, idx: dict[str, list[etree._Element]]) -> None:
    """libvirt infers <memory> from the NUMA cells (plus memory devices) only when absent."""
    mem = child(root, "memory")
    if mem is None or mem.text == "0":
        cells = idx.get("cpu/numa/cell", ())
        total = sum(int(aget(c, "memory", "0")) for c in cells)
        if total:
            for size in idx.get("devices/memory/target/size", ()):
                if size is not None:
                    total += to_kib(
                        parse_scaled(size.text, aget(size, "unit"), what="./target/size", default_scale=1024)
                    )
            if mem is None:
                mem = add(root, "memory", None, (("unit", "KiB"),))
            mem.text = str(total)
            aset(mem, "unit", "KiB")
    if mem is None:
        return
    cur = child(root, "currentMemory")
    if cur is None:
        add(root, "currentMemory", mem.text, (("unit", "KiB"),))
    elif int(cur.text or 0) > int(mem.text or 0) or cur.text == "0":
        cur.text = mem.text


#: elements holding a scaled size that libvirt writes back in one unit: (path, unit, scale)
SCALED_ELEMENTS: tuple[tuple[str, str, int], ...] = (
    ("features/pcihole64", "KiB", 1024),
    ("devices/controller/pcihole64", "KiB", 1024),
    ("features/hpt/maxpagesize", "KiB", 1024),
    ("memtune/hard_limit", "KiB", 1024),
    ("memtune/soft_limit", "KiB", 1024),
    ("memtune/swap_hard_limit", "KiB", 1024),
    ("memtune/min_guarantee", "KiB", 1024),
    ("devices/disk/driver/metadata_cache/max_size", "bytes", 1),
    ("devices/disk/source/metadata_cache/max_size", "bytes", 1),
    ("devices/disk/backingStore/format/metadata_cache/max_size", "bytes", 1),
    ("devices/disk/backingStore/backingStore/format/metadata_cache/max_size", "bytes", 1),
    ("devices/memory/target/size", "KiB", 1024),
    ("devices/memory/target/requested", "KiB", 1024),
    ("devices/memory/target/block", "KiB", 1024),
    ("devices/memory/target/label/size", "KiB", 1024),
    ("devices/memory/source/pagesize", "KiB", 1024),
    ("devices/memory/source/alignsize", "KiB", 1024),
)

_SCALED_PATHS = frozenset(path for path, _, _ in SCALED_ELEMENTS) | {"memoryBacking/hugepages/page"}


def _scaled(idx: dict[str, list[etree._Element]]) -> None:
    if idx.keys().isdisjoint(_SCALED_PATHS):  # iterates the small set, not every path
        return
    for path, unit, scale in SCALED_ELEMENTS:
        for el in idx.get(path, ()):
            nbytes = parse_scaled(el.text, aget(el, "unit"), what=f"./{path.rsplit('/', 1)[-1]}[1]",
                                  default_scale=scale)
            value = nbytes if scale == 1 else to_kib(nbytes)
            el.text = str(value)
            aset(el, "unit", unit)
    for page in idx.get("memoryBacking/hugepages/page", ()):
        size = aget(page, "size")
        if size is not None:
            kib = to_kib(parse_scaled(size, aget(page, "unit"), what="./@size", default_scale=1024))
            aset(page, "size", str(kib))
            aset(page, "unit", "KiB")


def _os_details(root: etree._Element, idx: dict[str, list[etree._Element]]) -> None:
    loaders = idx.get("os/loader")
    loader = loaders[0] if loaders else None
    if loader is not None and aget(loader, "type") is None and (loader.text or "").strip():
        if child(root, "os").get("firmware") is None:
            aset(loader, "type", "rom")
    for key in BOOT_PATHS:
        for boot in idx.get(key, ()):
            lp = aget(boot, "loadparm")
            if lp is not None:
                aset(boot, "loadparm", lp.upper())


BOOT_PATHS = ("devices/disk/boot", "devices/interface/boot", "devices/hostdev/boot",
              "devices/redirdev/boot", "devices/filesystem/boot")


def _numa_order(idx: dict[str, list[etree._Element]]) -> None:
    numas = idx.get("cpu/numa")
    if not numas:
        return
    numa = numas[0]
    cells = children(numa, "cell")
    keyed = sorted(cells, key=lambda c: uint_prop(aget(c, "id", "0"), "id", "cell"))
    if keyed != cells:
        for c in cells:
            numa.remove(c)
        for c in keyed:
            numa.append(c)


def _placement(root: etree._Element) -> None:
    vcpu = child(root, "vcpu")
    tune = child(root, "numatune")
    mem = child(tune, "memory") if tune is not None else None
    if vcpu is not None and aget(vcpu, "placement") == "auto":
        if mem is None:
            if tune is None:
                tune = etree.Element("numatune")
                root.append(tune)
            mem = etree.Element("memory", mode="strict", placement="auto")
            tune.insert(0, mem)
        elif aget(mem, "placement") is None and aget(mem, "nodeset") is None:
            aset(mem, "placement", "auto")
    if mem is not None:
        if aget(mem, "placement") == "auto":
            mem.attrib.pop("nodeset", None)
            if vcpu is not None and aget(vcpu, "placement") in (None, "static") and aget(vcpu, "cpuset") is None:
                aset(vcpu, "placement", "auto")
        if aget(mem, "mode") is None:
            _attrs_first(mem, [("mode", "strict")])


def _filesystem_modes(devices: etree._Element) -> None:
    for fs in children(devices, "filesystem"):
        for name in ("fmode", "dmode"):
            raw = aget(fs, name)
            if raw is not None:
                try:
                    aset(fs, name, f"{int(raw, 8):04o}")
                except ValueError:
                    pass


def _pins(root: etree._Element) -> None:
    """libvirt writes pinning per vCPU / iothread id, in id order."""
    tune = child(root, "cputune")
    if tune is None:
        return
    for tag, key in (("vcpupin", "vcpu"), ("iothreadpin", "iothread")):
        pins = tune.findall(tag)
        if len(pins) < 2:
            continue
        ordered = sorted(pins, key=lambda p: uint_prop(aget(p, key, "0"), key, tag))
        if ordered != pins:
            anchor = pins[0].getprevious()
            for p in pins:
                tune.remove(p)
            for p in reversed(ordered):
                if anchor is None:
                    tune.insert(0, p)
                else:
                    anchor.addnext(p)


def _metadata(root: etree._Element) -> None:
    """Only namespaced elements survive, one per namespace (the first one written)."""
    meta = child(root, "metadata")
    if meta is None:
        return
    last: dict[str, etree._Element] = {}
    for kid in list(meta):
        ns = etree.QName(kid).namespace if isinstance(kid.tag, str) else None
        if ns is None:
            meta.remove(kid)
            continue
        if ns in last:
            meta.remove(kid)
        else:
            last[ns] = kid


#: libvirt's distance of a NUMA node to itself
LOCAL_DISTANCE = 10


def _numa_distances(idx: dict[str, list[etree._Element]]) -> None:
    """Complete the distance matrix as libvirt does: symmetric, 10 on the diagonal."""
    cells = idx["cpu/numa"][0].findall("cell")
    ids = [int(aget(c, "id", "0")) for c in cells]
    dist: dict[tuple[int, int], str] = {}
    for cid, cell in zip(ids, cells, strict=True):
        for sib in cell.iterfind("distances/sibling"):
            dist[(cid, uint_prop(aget(sib, "id", "0"), "id", "sibling"))] = aget(sib, "value", "")
    for (a, b), v in list(dist.items()):
        dist.setdefault((b, a), v)
    for cid in ids:
        dist.setdefault((cid, cid), str(LOCAL_DISTANCE))
    for cid, cell in zip(ids, cells, strict=True):
        old = child(cell, "distances")
        if old is not None:
            cell.remove(old)
        new = etree.SubElement(cell, "distances")
        for other in sorted(b for (a, b) in dist if a == cid):
            etree.SubElement(new, "sibling", id=str(other), value=dist[(cid, other)])


def _scheds(tune: etree._Element) -> None:
    """libvirt keeps scheduling per vCPU / iothread and writes one element for each, by id."""
    for tag, attr in (("vcpusched", "vcpus"), ("iothreadsched", "iothreads")):
        scheds = children(tune, tag)
        if not scheds:
            continue
        per_id: dict[int, etree._Element] = {}
        for sched in scheds:
            for i in sorted(parse_bitmap(aget(sched, attr, "")) or ()):
                per_id[i] = sched
        anchor = scheds[-1]
        for i in sorted(per_id, reverse=True):
            src = per_id[i]
            new = etree.Element(tag)
            for k, v in src.attrib.items():
                aset(new, k, str(i) if k == attr else v)
            anchor.addnext(new)
        for sched in scheds:
            tune.remove(sched)


def _seclabel(label: etree._Element) -> None:
    """An inactive definition keeps no runtime labels: no imagelabel, no dynamic label."""
    for img in children(label, "imagelabel"):
        label.remove(img)
    if aget(label, "type", "dynamic") == "dynamic":
        for lab in children(label, "label"):
            label.remove(lab)
