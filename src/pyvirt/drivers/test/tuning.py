"""Tunables of the test driver's domains: memory limits, NUMA, bandwidth, perf, CPU pinning.

Each setter edits the definition the flags name (live, persistent, or the current one) and so
shows in the domain XML exactly where libvirt writes it (``<memtune>``, ``<numatune>``,
``<interface><bandwidth>``, ``<perf>``, ``<cputune>``); each getter reads it back with the
defaults libvirt reports for unset values.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from lxml import etree

from ...errors import ErrorDomain, ErrorNumber, virt_error
from .domains import JOB_TIMEOUT, TestDomains
from .state import check_flags, test_error

if TYPE_CHECKING:
    from ...conf import DomainDef
    from ...driver.refs import DomainRef
    from ...objects.domain import DomainObject
    from .state import TestState

__all__ = ["TestDomainTuning", "parse_bitmap", "format_bitmap", "MEMORY_UNLIMITED", "PERF_EVENTS"]

#: libvirt's VIR_DOMAIN_MEMORY_PARAM_UNLIMITED (what an unset memory limit reads as)
MEMORY_UNLIMITED = 9007199254740991
_MEMTUNE = ("hard_limit", "soft_limit", "swap_hard_limit")
_NUMA_MODES = ("strict", "preferred", "interleave", "restrictive")
_BANDWIDTH_IN = ("average", "peak", "burst", "floor")
_BANDWIDTH_OUT = ("average", "peak", "burst")
#: the order libvirt writes rate attributes in
_RATE_ATTRS = ("average", "peak", "floor", "burst")
#: children of <interface> written after <bandwidth>
_AFTER_BANDWIDTH = (
    "vlan", "port", "target", "guest", "model", "driver", "backend", "filterref", "tune",
    "teaming", "link", "mtu", "coalesce", "rom", "alias", "address", "acpi", "boot",
)  # fmt: skip
PERF_EVENTS = (
    "cmt", "mbmt", "mbml", "cpu_cycles", "instructions", "cache_references", "cache_misses",
    "branch_instructions", "branch_misses", "bus_cycles", "stalled_cycles_frontend",
    "stalled_cycles_backend", "ref_cpu_cycles", "cpu_clock", "task_clock", "page_faults",
    "context_switches", "cpu_migrations", "page_faults_min", "page_faults_maj",
    "alignment_faults", "emulation_faults",
)  # fmt: skip
_TOTAL_CPUTIME = 48772617035
#: the largest CPU id a bitmap may name (libvirt's VIR_DOMAIN_CPUMASK_LEN)
_CPUMASK_LEN = 1024


# -- bitmaps ("0-3,^2,8") ----------------------------------------------------------------------


def parse_bitmap(text: str, limit: int = _CPUMASK_LEN) -> set[int]:
    """libvirt's virBitmapParse: ranges, single ids and ``^`` exclusions."""
    bits: set[int] = set()
    excluded: set[int] = set()
    try:
        for part in text.replace(" ", "").split(","):
            if not part:
                raise ValueError
            target = excluded if part.startswith("^") else bits
            part = part.lstrip("^")
            lo, _, hi = part.partition("-")
            first, last = int(lo), int(hi) if hi else int(lo)
            if first < 0 or last < first or last >= limit:
                raise ValueError
            target.update(range(first, last + 1))
    except ValueError:
        raise virt_error(
            ErrorNumber.INVALID_ARG, f"Failed to parse bitmap '{text}'", domain=ErrorDomain.NONE
        ) from None
    return bits - excluded


def format_bitmap(bits: set[int] | list[int]) -> str:
    """libvirt's virBitmapFormat: sorted ids with runs collapsed ("0-2,5")."""
    out: list[str] = []
    ids = sorted(set(bits))
    i = 0
    while i < len(ids):
        j = i
        while j + 1 < len(ids) and ids[j + 1] == ids[j] + 1:
            j += 1
        out.append(str(ids[i]) if i == j else f"{ids[i]}-{ids[j]}")
        i = j + 1
    return ",".join(out)


def _cpumap_bits(cpumap: bytes | list[bool] | tuple[bool, ...]) -> set[int]:
    if isinstance(cpumap, bytes | bytearray):
        return {i for i in range(len(cpumap) * 8) if cpumap[i // 8] >> (i % 8) & 1}
    return {i for i, on in enumerate(cpumap) if on}


def _child(parent: etree._Element, tag: str) -> etree._Element:
    """``parent``'s child ``tag``, created where libvirt's order puts it."""
    el = parent.find(tag)
    if el is None:
        from ...conf.domain.tables import insert_child

        el = etree.Element(tag)
        insert_child(parent, el)
    return el


def _drop_if_empty(el: etree._Element) -> None:
    if len(el) == 0 and not el.attrib and el.getparent() is not None:
        el.getparent().remove(el)


def _find_net(definition: DomainDef, device: str) -> etree._Element:
    """virDomainNetFind: by MAC address when ``device`` is one, else by target name."""
    devices = definition.element.find("devices")
    nets = [] if devices is None else list(devices.iterchildren("interface"))
    looks_like_mac = device.count(":") == 5
    for net in nets:
        if looks_like_mac:
            mac = net.find("mac")
            if mac is not None and (mac.get("address") or "").lower() == device.lower():
                return net
        else:
            target = net.find("target")
            if target is not None and target.get("dev") == device:
                return net
    raise virt_error(ErrorNumber.INVALID_ARG, f"'{device}' is not a known interface", domain=ErrorDomain.DOMAIN)


def _validate(params: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """virTypedParamsValidate: an unknown field is VIR_ERR_ARGUMENT_UNSUPPORTED."""
    for key in params:
        if key not in allowed:
            raise virt_error(ErrorNumber.ARGUMENT_UNSUPPORTED, f"parameter '{key}' not supported")


class TestDomainTuning:
    """Tunable-parameter calls of the test driver (needs ``self._state`` and ``self._obj``)."""

    _state: TestState

    def _obj(self, dom: DomainRef) -> DomainObject:  # provided by TestDomains
        raise NotImplementedError

    def _host_cpus(self) -> int:
        info = self._state.node_info
        return info.nodes * info.sockets * info.cores * info.threads

    # -- memory limits -----------------------------------------------------------------------------

    def domain_get_memory_parameters(self, dom: DomainRef, flags: int = 0) -> dict[str, int]:
        check_flags(flags, 1 | 2 | 4, "testDomainGetMemoryParameters")
        definition, _ = TestDomains._one_def(self._obj(dom), flags & 3)
        return _memtune(definition)

    def domain_set_memory_parameters(self, dom: DomainRef, params: dict[str, int], flags: int = 0) -> None:
        check_flags(flags, 3, "testDomainSetMemoryParameters")
        _validate(params, _MEMTUNE)
        obj = self._obj(dom)
        with obj.job("modify", timeout=JOB_TIMEOUT):
            definition, _ = TestDomains._one_def(obj, flags)
            current = _memtune(obj.definition)
            if "hard_limit" in params or "swap_hard_limit" in params:
                hard = params.get("hard_limit", current["hard_limit"])
                swap = params.get("swap_hard_limit", current["swap_hard_limit"])
                if hard > swap:
                    raise test_error(
                        ErrorNumber.INVALID_ARG,
                        "memory hard_limit tunable value must be lower than or equal to swap_hard_limit",
                    )
            with obj.lock:
                memtune = _child(definition.element, "memtune")
                for key in _MEMTUNE:  # keep libvirt's element order
                    if key not in params:
                        continue
                    el = memtune.find(key)
                    if el is not None:
                        memtune.remove(el)
                    if int(params[key]) < MEMORY_UNLIMITED:
                        el = etree.Element(key, unit="KiB")
                        el.text = str(int(params[key]))
                        later = [memtune.find(k) for k in _MEMTUNE[_MEMTUNE.index(key) + 1 :]]
                        anchor = next((e for e in later if e is not None), None)
                        if anchor is not None:
                            anchor.addprevious(el)
                        else:
                            memtune.append(el)
                _drop_if_empty(memtune)

    # -- NUMA --------------------------------------------------------------------------------------

    def domain_get_numa_parameters(self, dom: DomainRef, flags: int = 0) -> dict[str, Any]:
        check_flags(flags, 1 | 2 | 4, "testDomainGetNumaParameters")
        definition, _ = TestDomains._one_def(self._obj(dom), flags & 3)
        memory = definition.element.find("numatune/memory")
        if memory is None:
            return {"numa_mode": 0, "numa_nodeset": ""}
        mode = memory.get("mode", "strict")
        return {"numa_mode": _NUMA_MODES.index(mode) if mode in _NUMA_MODES else 0,
                "numa_nodeset": memory.get("nodeset", "")}  # fmt: skip

    def domain_set_numa_parameters(self, dom: DomainRef, params: dict[str, Any], flags: int = 0) -> None:
        check_flags(flags, 3, "testDomainSetNumaParameters")
        _validate(params, ("numa_mode", "numa_nodeset"))
        mode: int | None = None
        nodeset: set[int] | None = None
        if "numa_mode" in params:
            mode = int(params["numa_mode"])
            if mode < 0 or mode >= len(_NUMA_MODES):
                raise test_error(ErrorNumber.INVALID_ARG, f"unsupported numatune mode: '{mode}'")
        if "numa_nodeset" in params:
            nodeset = parse_bitmap(str(params["numa_nodeset"]))
            if not nodeset:
                raise test_error(
                    ErrorNumber.OPERATION_INVALID, f"Invalid nodeset of 'numatune': {params['numa_nodeset']}"
                )
        obj = self._obj(dom)
        with obj.job("modify", timeout=JOB_TIMEOUT):
            definition, live = TestDomains._one_def(obj, flags)
            existing = definition.element.find("numatune/memory")
            if live and mode is not None and existing is not None:
                if existing.get("mode", "strict") != _NUMA_MODES[mode]:
                    raise test_error(ErrorNumber.OPERATION_INVALID, "can't change numatune mode for running domain")
            with obj.lock:
                memory = _child(_child(definition.element, "numatune"), "memory")
                if mode is not None:
                    memory.set("mode", _NUMA_MODES[mode])
                elif memory.get("mode") is None:
                    memory.set("mode", "strict")
                if nodeset is not None:
                    memory.set("nodeset", format_bitmap(nodeset))

    # -- interface bandwidth ---------------------------------------------------------------------

    def domain_get_interface_parameters(self, dom: DomainRef, device: str, flags: int = 0) -> dict[str, int]:
        check_flags(flags, 1 | 2 | 4, "testDomainGetInterfaceParameters")
        definition, _ = TestDomains._one_def(self._obj(dom), flags & 3)
        net = _find_net(definition, device)
        out: dict[str, int] = {}
        for direction, keys in (("inbound", _BANDWIDTH_IN), ("outbound", _BANDWIDTH_OUT)):
            el = net.find(f"bandwidth/{direction}")
            for key in keys:
                out[f"{direction}.{key}"] = int(el.get(key, "0")) if el is not None else 0
        return out

    def domain_set_interface_parameters(
        self, dom: DomainRef, device: str, params: dict[str, int], flags: int = 0
    ) -> None:
        check_flags(flags, 3, "testDomainSetInterfaceParameters")
        allowed = tuple(f"inbound.{k}" for k in _BANDWIDTH_IN) + tuple(f"outbound.{k}" for k in _BANDWIDTH_OUT)
        _validate(params, allowed)
        obj = self._obj(dom)
        with obj.job("modify", timeout=JOB_TIMEOUT):
            definition, _ = TestDomains._one_def(obj, flags)
            net = _find_net(definition, device)
            with obj.lock:
                for direction, keys in (("inbound", _BANDWIDTH_IN), ("outbound", _BANDWIDTH_OUT)):
                    rate = {k: int(params.get(f"{direction}.{k}", 0)) for k in keys}
                    mandatory = ("average", "floor") if direction == "inbound" else ("average",)
                    specified = any(f"{direction}.{k}" in params for k in mandatory)
                    keep = any(rate[k] for k in mandatory)
                    if not keep and not specified:
                        continue
                    bandwidth = net.find("bandwidth")
                    if bandwidth is None:
                        bandwidth = etree.Element("bandwidth")
                        anchor = next((c for c in net if isinstance(c.tag, str) and c.tag in _AFTER_BANDWIDTH), None)
                        if anchor is not None:
                            anchor.addprevious(bandwidth)
                        else:
                            net.append(bandwidth)
                    old = bandwidth.find(direction)
                    if old is not None:
                        bandwidth.remove(old)
                    if keep:
                        el = etree.Element(direction)
                        for attr in _RATE_ATTRS:
                            if rate.get(attr):
                                el.set(attr, str(rate[attr]))
                        if direction == "inbound":
                            bandwidth.insert(0, el)
                        else:
                            bandwidth.append(el)
                    if len(bandwidth) == 0:
                        net.remove(bandwidth)

    # -- perf events -------------------------------------------------------------------------------

    def domain_get_perf_events(self, dom: DomainRef, flags: int = 0) -> dict[str, bool]:
        check_flags(flags, 1 | 2 | 4, "testDomainGetPerfEvents")
        definition, _ = TestDomains._one_def(self._obj(dom), flags & 3)
        enabled = {
            e.get("name"): e.get("enabled") == "yes" for e in definition.element.findall("perf/event")
        }
        return {name: enabled.get(name, False) for name in PERF_EVENTS}

    def domain_set_perf_events(self, dom: DomainRef, params: dict[str, bool], flags: int = 0) -> None:
        check_flags(flags, 3, "testDomainSetPerfEvents")
        _validate(params, PERF_EVENTS)
        obj = self._obj(dom)
        with obj.job("modify", timeout=JOB_TIMEOUT):
            definition, _ = TestDomains._one_def(obj, flags)
            with obj.lock:
                perf = _child(definition.element, "perf")
                state = {e.get("name"): e.get("enabled") for e in perf.findall("event")}
                for name, value in params.items():
                    state[name] = "yes" if value else "no"
                for e in list(perf):
                    perf.remove(e)
                for name in PERF_EVENTS:
                    if name in state:
                        etree.SubElement(perf, "event", name=name, enabled=state[name])

    # -- CPU pinning -------------------------------------------------------------------------------

    def domain_pin_vcpu(self, dom: DomainRef, vcpu: int, cpumap: Any, flags: int = 0) -> None:
        """virDomainPinVcpuFlags (the test driver pins the live definition only)."""
        check_flags(flags, 0, "testDomainPinVcpuFlags")
        obj = self._obj(dom)
        with obj.job("modify", timeout=JOB_TIMEOUT):
            if not obj.is_active():
                raise test_error(ErrorNumber.OPERATION_INVALID, "cannot pin vcpus on an inactive domain")
            definition = obj.definition
            if vcpu < 0 or vcpu >= definition.vcpus:
                raise test_error(ErrorNumber.INVALID_ARG, f"requested vcpu '{vcpu}' is not present in the domain")
            bits = _cpumap_bits(cpumap)
            with obj.lock:
                cputune = _child(definition.element, "cputune")
                for pin in cputune.findall("vcpupin"):
                    if pin.get("vcpu") == str(vcpu):
                        cputune.remove(pin)
                pin = etree.Element("vcpupin", vcpu=str(vcpu), cpuset=format_bitmap(bits))
                later = [p for p in cputune.findall("vcpupin") if int(p.get("vcpu", "0")) > vcpu]
                anchor = later[0] if later else next(
                    (c for c in cputune if isinstance(c.tag, str) and c.tag not in _BEFORE_VCPUPIN
                     and c.tag != "vcpupin"), None)  # fmt: skip
                if anchor is not None:
                    anchor.addprevious(pin)
                else:
                    cputune.append(pin)

    def domain_get_vcpu_pin_info(self, dom: DomainRef, flags: int = 0) -> list[set[int]]:
        """The host CPUs each vCPU (up to the maximum) may run on."""
        check_flags(flags, 3, "testDomainGetVcpuPinInfo")
        definition, _ = TestDomains._one_def(self._obj(dom), flags)
        return [self._vcpu_mask(definition, i) for i in range(definition.max_vcpus)]

    def _vcpu_mask(self, definition: DomainDef, vcpu: int) -> set[int]:
        for pin in definition.element.findall("cputune/vcpupin"):
            if pin.get("vcpu") == str(vcpu):
                return parse_bitmap(pin.get("cpuset", ""))
        cpuset = definition.element.find("vcpu")
        if cpuset is not None and cpuset.get("cpuset"):
            return parse_bitmap(cpuset.get("cpuset", ""))
        return set(range(self._host_cpus()))

    def domain_pin_emulator(self, dom: DomainRef, cpumap: Any, flags: int = 0) -> None:
        check_flags(flags, 3, "testDomainPinEmulator")
        bits = _cpumap_bits(cpumap)
        obj = self._obj(dom)
        with obj.job("modify", timeout=JOB_TIMEOUT):
            definition, _ = TestDomains._one_def(obj, flags)
            if not bits:
                raise test_error(ErrorNumber.INVALID_ARG, "Empty cpu list for pinning")
            with obj.lock:
                cputune = _child(definition.element, "cputune")
                pin = cputune.find("emulatorpin")
                if pin is None:
                    pin = etree.Element("emulatorpin")
                    anchor = next(
                        (c for c in cputune if isinstance(c.tag, str) and c.tag in _AFTER_EMULATORPIN), None
                    )
                    if anchor is not None:
                        anchor.addprevious(pin)
                    else:
                        cputune.append(pin)
                pin.set("cpuset", format_bitmap(bits))

    def domain_get_emulator_pin_info(self, dom: DomainRef, flags: int = 0) -> set[int]:
        check_flags(flags, 3, "testDomainGetEmulatorPinInfo")
        definition, _ = TestDomains._one_def(self._obj(dom), flags)
        pin = definition.element.find("cputune/emulatorpin")
        if pin is not None:
            return parse_bitmap(pin.get("cpuset", ""))
        cpuset = definition.element.find("vcpu")
        if cpuset is not None and cpuset.get("cpuset"):
            return parse_bitmap(cpuset.get("cpuset", ""))
        return set(range(self._host_cpus()))

    def domain_get_iothread_info(self, dom: DomainRef, flags: int = 0) -> list[tuple[int, set[int]]]:
        """Each <iothread id=...>: its <iothreadpin> cpuset, else the domain's <vcpu cpuset>,
        else every CPU of the *real* host -- libvirt's test driver asks the host here too."""
        check_flags(flags, 3, "testDomainGetIOThreadInfo")
        definition, _ = TestDomains._one_def(self._obj(dom), flags)
        root = definition.element
        vcpu = root.find("vcpu")
        fallback = (parse_bitmap(vcpu.get("cpuset", "")) if vcpu is not None and vcpu.get("cpuset")
                    else set(range(os.cpu_count() or 1)))
        pins = {pin.get("iothread"): pin.get("cpuset", "") for pin in root.findall("cputune/iothreadpin")}
        ids = [int(t.get("id", "")) for t in root.findall("iothreadids/iothread") if t.get("id", "").isdigit()]
        count_text = (root.findtext("iothreads") or "").strip()
        wanted = int(count_text) if count_text.isdigit() else 0
        candidate = 1
        while len(ids) < wanted:  # libvirt numbers the IOThreads <iothreadids> leaves out
            if candidate not in ids:
                ids.append(candidate)
            candidate += 1
        result = []
        for ident in ids:
            pin = pins.get(str(ident))
            result.append((ident, parse_bitmap(pin) if pin else set(fallback)))
        return result

    # -- block I/O weights and throttling ------------------------------------------------------

    def domain_get_blkio_parameters(self, dom: DomainRef, flags: int = 0) -> dict[str, Any]:
        check_flags(flags, 1 | 2 | 4, "testDomainGetBlkioParameters")
        definition, _ = TestDomains._one_def(self._obj(dom), flags & 3)
        tune = definition.element.find("blkiotune")
        weight = tune.findtext("weight") if tune is not None else None
        out: dict[str, Any] = {"weight": int(weight) if weight else 0}
        devices = [] if tune is None else tune.findall("device")
        for key, field in _BLKIO_DEVICE_FIELDS:
            parts = []
            for dev in devices:
                value = dev.findtext(field)
                if value and int(value):
                    parts += [dev.findtext("path") or "", value]
            out[key] = ",".join(parts)
        return out

    def domain_set_blkio_parameters(self, dom: DomainRef, params: dict[str, Any], flags: int = 0) -> None:
        check_flags(flags, 3, "testDomainSetBlkioParameters")
        _validate(params, ("weight",) + tuple(k for k, _ in _BLKIO_DEVICE_FIELDS))
        updates: list[tuple[str, str, int]] = []  # (path, element, value)
        for key, field in _BLKIO_DEVICE_FIELDS:
            if key in params:
                items = str(params[key]).split(",") if params[key] else []
                if len(items) % 2:
                    raise virt_error(
                        ErrorNumber.INVALID_ARG,
                        f"unable to parse blkio device '{key}' '{params[key]}'",
                        domain=ErrorDomain.DOMAIN,
                    )
                for path, value in zip(items[::2], items[1::2], strict=True):
                    try:
                        number = int(value)
                    except ValueError:
                        raise virt_error(
                            ErrorNumber.INVALID_ARG,
                            f"invalid value '{value}' for parameter '{key}' of device '{path}'",
                            domain=ErrorDomain.DOMAIN,
                        ) from None
                    updates.append((path, field, number))
        obj = self._obj(dom)
        with obj.job("modify", timeout=JOB_TIMEOUT):
            definition, _ = TestDomains._one_def(obj, flags)
            with obj.lock:
                tune = _child(definition.element, "blkiotune")
                if "weight" in params:
                    weight = tune.find("weight")
                    if weight is None:
                        weight = etree.Element("weight")
                        tune.insert(0, weight)
                    weight.text = str(int(params["weight"]))
                for path, field, number in updates:
                    dev = next((d for d in tune.findall("device") if d.findtext("path") == path), None)
                    if dev is None:
                        dev = etree.SubElement(tune, "device")
                        etree.SubElement(dev, "path").text = path
                    old = dev.find(field)
                    if old is not None:
                        dev.remove(old)
                    if number:
                        el = etree.Element(field)
                        el.text = str(number)
                        order = [f for _, f in _BLKIO_DEVICE_FIELDS]
                        later = [dev.find(f) for f in order[order.index(field) + 1 :]]
                        anchor = next((e for e in later if e is not None), None)
                        if anchor is not None:
                            anchor.addprevious(el)
                        else:
                            dev.append(el)
                    if len(dev) == 1:  # only <path> left
                        tune.remove(dev)
                _drop_if_empty(tune)

    def domain_get_block_io_tune(self, dom: DomainRef, disk: str, flags: int = 0) -> dict[str, Any]:
        check_flags(flags, 1 | 2 | 4, "testDomainGetBlockIoTune")
        definition, _ = TestDomains._one_def(self._obj(dom), flags & 3)
        el = _disk_for_tune(definition, disk, "disk '{}' was not found in the domain config")
        iotune = el.find("iotune")
        out: dict[str, Any] = {}
        for key in _IOTUNE_FIELDS:
            text = iotune.findtext(key) if iotune is not None else None
            if key == "group_name":
                out[key] = text or ""
            else:
                out[key] = int(text) if text else 0
        return out

    def domain_set_block_io_tune(self, dom: DomainRef, disk: str, params: dict[str, Any], flags: int = 0) -> None:
        check_flags(flags, 3, "testDomainSetBlockIoTune")
        _validate(params, _IOTUNE_FIELDS)
        obj = self._obj(dom)
        with obj.job("modify", timeout=JOB_TIMEOUT):
            definition, _ = TestDomains._one_def(obj, flags)
            el = _disk_for_tune(definition, disk, "disk '{}' was not found in the domain config")
            current = {k: v for k, v in self.domain_get_block_io_tune(dom, disk, flags).items()}
            for key, value in params.items():
                if key != "group_name" and int(value) > _IOTUNE_MAX:
                    raise test_error(
                        ErrorNumber.ARGUMENT_UNSUPPORTED,
                        f"block I/O throttle limit value must be no more than {_IOTUNE_MAX}",
                    )
                current[key] = value if key == "group_name" else int(value)
            for suffix in ("bytes_sec", "iops_sec", "bytes_sec_max", "iops_sec_max"):
                total = current[f"total_{suffix}"]
                if total and (current[f"read_{suffix}"] or current[f"write_{suffix}"]):
                    raise test_error(
                        ErrorNumber.INVALID_ARG,
                        f"total and read/write of {suffix} cannot be set at the same time",
                    )
            for kind in ("total", "read", "write"):
                for unit in ("bytes_sec", "iops_sec"):
                    if current[f"{kind}_{unit}"] > current[f"{kind}_{unit}_max"]:
                        raise test_error(
                            ErrorNumber.INVALID_ARG,
                            f"{kind}_{unit} cannot be set higher than {kind}_{unit}_max ",
                        )
            with obj.lock:
                old = el.find("iotune")
                if old is not None:
                    el.remove(old)
                values = [(k, current[k]) for k in _IOTUNE_FIELDS if current[k]]
                if values:
                    iotune = etree.Element("iotune")
                    for key, value in values:
                        etree.SubElement(iotune, key).text = str(value)
                    anchor = None
                    for tag in ("target", "geometry", "blockio"):
                        found = el.find(tag)
                        if found is not None:
                            anchor = found
                    if anchor is not None:
                        anchor.addnext(iotune)
                    else:
                        el.append(iotune)

    # -- CPU statistics ----------------------------------------------------------------------------

    def domain_get_cpu_stats(
        self, dom: DomainRef, start_cpu: int = -1, ncpus: int = 1, flags: int = 0
    ) -> list[dict[str, int]]:
        """Total (start_cpu -1) or per-CPU time counters, the test driver's fixed figures."""
        check_flags(flags, 4, "testDomainGetCPUStats")
        obj = self._obj(dom)
        if not obj.is_active():
            raise virt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", domain=ErrorDomain.DOMAIN)
        if start_cpu == -1:
            return [{"cpu_time": _TOTAL_CPUTIME, "user_time": 5540000000, "system_time": 6460000000}]
        total = self._state.node_info.cores
        if start_cpu >= total:
            raise test_error(
                ErrorNumber.INVALID_ARG, f"start_cpu {start_cpu} larger than maximum of {total - 1}"
            )
        per = _TOTAL_CPUTIME // total
        return [
            {"cpu_time": per + i, "vcpu_time": per + i - 1234567890}
            for i in range(start_cpu, min(total, start_cpu + ncpus))
        ]

    def domain_get_cpu_stats_count(self, dom: DomainRef, flags: int = 0) -> int:
        check_flags(flags, 4, "testDomainGetCPUStats")
        if not self._obj(dom).is_active():
            raise virt_error(ErrorNumber.OPERATION_INVALID, "domain is not running", domain=ErrorDomain.DOMAIN)
        return self._state.node_info.cores


_BLKIO_DEVICE_FIELDS = (
    ("device_weight", "weight"),
    ("device_read_iops_sec", "read_iops_sec"),
    ("device_write_iops_sec", "write_iops_sec"),
    ("device_read_bytes_sec", "read_bytes_sec"),
    ("device_write_bytes_sec", "write_bytes_sec"),
)
_IOTUNE_FIELDS = (
    "total_bytes_sec", "read_bytes_sec", "write_bytes_sec", "total_iops_sec", "read_iops_sec",
    "write_iops_sec", "total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max",
    "total_iops_sec_max", "read_iops_sec_max", "write_iops_sec_max", "size_iops_sec", "group_name",
    "total_bytes_sec_max_length", "read_bytes_sec_max_length", "write_bytes_sec_max_length",
    "total_iops_sec_max_length", "read_iops_sec_max_length", "write_iops_sec_max_length",
)  # fmt: skip
#: the test driver's ceiling for any throttle value
_IOTUNE_MAX = 1_000_000_000_000_000


def _disk_for_tune(definition: DomainDef, name: str, message: str) -> etree._Element:
    """virDomainDiskByName(allow_prefix): a disk by target name or source path."""
    devices = definition.element.find("devices")
    for disk in [] if devices is None else devices.iterchildren("disk"):
        target, source = disk.find("target"), disk.find("source")
        if target is not None and target.get("dev") == name:
            return disk
        if source is not None and name in (source.get("file"), source.get("dev")):
            return disk
    raise test_error(ErrorNumber.INVALID_ARG, message.format(name))


#: <cputune> children libvirt writes before <vcpupin>
_BEFORE_VCPUPIN = ("shares", "period", "quota", "global_period", "global_quota")
#: <cputune> children libvirt writes after <emulatorpin>
_AFTER_EMULATORPIN = (
    "iothreadpin", "emulator_period", "emulator_quota", "iothread_period", "iothread_quota",
    "vcpusched", "iothreadsched", "emulatorsched", "cachetune", "memorytune",
)  # fmt: skip


def _memtune(definition: DomainDef) -> dict[str, int]:
    from ...conf.units import parse_scaled, to_kib  # the conf layer's unit conversion

    out = {}
    for key in _MEMTUNE:
        el = definition.element.find(f"memtune/{key}")
        if el is None or el.text is None:
            out[key] = MEMORY_UNLIMITED
            continue
        out[key] = to_kib(parse_scaled(el.text, el.get("unit"), what=key, default_scale=1024))
    return out
