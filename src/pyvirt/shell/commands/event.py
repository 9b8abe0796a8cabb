"""``event``: wait for domain events and print them as virsh does."""

from __future__ import annotations

import queue
import time

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..options import ParsedCommand
from ..util import int_option, lookup_domain
from . import command

EVENT_NAMES = [
    "lifecycle", "reboot", "rtc-change", "watchdog", "io-error", "graphics", "io-error-reason",
    "control-error", "block-job", "disk-change", "tray-change", "pm-wakeup", "pm-suspend",
    "balloon-change", "pm-suspend-disk", "device-removed", "block-job-2", "tunable",
    "agent-lifecycle", "device-added", "migration-iteration", "job-completed",
    "device-removal-failed", "metadata-change", "block-threshold", "memory-failure",
    "memory-device-size-change",
]

LIFECYCLE = [
    ("Defined", ["Added", "Updated", "Renamed", "Snapshot"]),
    ("Undefined", ["Removed", "Renamed"]),
    ("Started", ["Booted", "Migrated", "Restored", "Snapshot", "Event wakeup"]),
    ("Suspended", ["Paused", "Migrated", "I/O Error", "Watchdog", "Restored", "Snapshot",
                   "API error", "Post-copy", "Post-copy Error"]),
    ("Resumed", ["Unpaused", "Migrated", "Snapshot", "Post-copy", "Post-copy Error"]),
    ("Stopped", ["Shutdown", "Destroyed", "Crashed", "Migrated", "Saved", "Failed", "Snapshot"]),
    ("Shutdown", ["Finished", "Finished after guest request", "Finished after host request"]),
    ("PMSuspended", ["Memory", "Disk"]),
    ("Crashed", ["Panicked", "Crashloaded"]),
]


def lifecycle_text(event: int, detail: int) -> str:
    if 0 <= event < len(LIFECYCLE):
        name, details = LIFECYCLE[event]
        return f"{name} {details[detail] if 0 <= detail < len(details) else 'unknown'}"
    return "unknown unknown"


def describe(kind: int, ev) -> str:
    dom = ev.domain.name
    if kind == 0:
        return f"event 'lifecycle' for domain '{dom}': {lifecycle_text(int(ev.event), int(ev.detail))}\n"
    return f"event '{EVENT_NAMES[kind]}' for domain '{dom}'\n"


def _stamp() -> str:
    now = time.time()
    local = time.localtime(now)
    return time.strftime("%Y-%m-%d %H:%M:%S", local) + f".{int(now * 1000) % 1000:03d}" + time.strftime("%z", local)


@command("event")
def cmd_event(ctl: Control, cmd: ParsedCommand) -> bool:
    for a, b in (("list", "all"), ("list", "event"), ("all", "event")):
        if cmd.has(a) and cmd.has(b):
            raise CommandError(f"Options --{a} and --{b} are mutually exclusive")
    if cmd.flag("list"):
        ctl.print("".join(f"{name}\n" for name in EVENT_NAMES))
        return True
    name = cmd.get("event")
    if not cmd.flag("all") and not name:
        raise CommandError("one of --list, --all, or --event <type> is required")
    kinds = list(range(len(EVENT_NAMES)))
    if name:
        if name not in EVENT_NAMES:
            raise CommandError(f"unknown event type {name}")
        kinds = [EVENT_NAMES.index(name)]
    timeout = int_option(cmd, "timeout")
    if timeout is not None and timeout < 1:
        raise CommandError(f"invalid timeout {timeout}")
    dom = lookup_domain(ctl, cmd) if cmd.has("domain") else None
    registrations = [(lambda cb, k=kind: ctl.conn.register_event(cb, k, dom), kind) for kind in kinds]
    return wait_for_events(ctl, cmd, registrations, ctl.conn.deregister_event, describe,
                           strict=bool(name))


def wait_for_events(ctl: Control, cmd: ParsedCommand, registrations, deregister, describe,
                    *, strict: bool = True) -> bool:
    """Register the callbacks, print events as they come, stop after one (or with --loop at the
    timeout or Ctrl-C); virsh's closing lines and result (a timed-out wait fails silently)."""
    timeout = int_option(cmd, "timeout")
    loop = cmd.flag("loop")
    stamp = cmd.flag("timestamp")
    received: queue.Queue = queue.Queue()
    ids = []
    timed_out = False
    try:
        for register, kind in registrations:
            try:
                ids.append(register(lambda ev, k=kind: received.put((k, ev))))
            except VirtError:
                if strict:
                    raise
        count = 0
        deadline = None if timeout is None else time.monotonic() + timeout
        outcome = None
        try:
            while True:
                wait = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    kind, ev = received.get(timeout=0.2 if wait is None else min(wait, 0.2))
                except queue.Empty:
                    if deadline is not None and time.monotonic() >= deadline:
                        outcome = "event loop timed out\n"
                        break
                    continue
                ctl.print((f"{_stamp()}: " if stamp else "") + describe(kind, ev))
                ctl.out.flush()
                count += 1
                if not loop:
                    break
        except KeyboardInterrupt:
            outcome = "event loop interrupted\n"
        if outcome:
            ctl.print(outcome)
        ctl.print(f"events received: {count}\n")
        timed_out = outcome == "event loop timed out\n"
    finally:
        for cid in ids:
            try:
                deregister(cid)
            except VirtError:
                pass
    return not timed_out  # virsh fails a wait that ended by timeout, silently


NET_LIFECYCLE = ["Defined", "Undefined", "Started", "Stopped"]
POOL_LIFECYCLE = ["Defined", "Undefined", "Started", "Stopped", "Created", "Deleted"]


def _object_event(ctl: Control, cmd: ParsedCommand, names: list[str], opt: str, lookup,
                  register, deregister, describe) -> bool:
    if cmd.flag("list"):
        ctl.print("".join(f"{n}\n" for n in names))
        return True
    name = cmd.get("event")
    if not name:
        raise CommandError("either --list or --event <type> is required")
    if name not in names:
        raise CommandError(f"unknown event type {name}")
    timeout = int_option(cmd, "timeout")
    if timeout is not None and timeout < 1:
        raise CommandError(f"invalid timeout {timeout}")
    obj = lookup(ctl, cmd) if cmd.has(opt) else None
    kind = names.index(name)
    return wait_for_events(ctl, cmd, [(lambda cb: register(cb, obj, kind), kind)], deregister,
                           describe)


@command("net-event")
def cmd_net_event(ctl: Control, cmd: ParsedCommand) -> bool:
    from .network import lookup_network

    def describe(kind: int, ev) -> str:
        state = NET_LIFECYCLE[int(ev.event)] if 0 <= int(ev.event) < 4 else "unknown"
        return f"event 'lifecycle' for network {ev.network.name}: {state}\n"

    return _object_event(ctl, cmd, ["lifecycle"], "network", lookup_network,
                         ctl.conn.register_network_event, ctl.conn.deregister_network_event, describe)


@command("pool-event")
def cmd_pool_event(ctl: Control, cmd: ParsedCommand) -> bool:
    from .storage import lookup_pool

    def describe(kind: int, ev) -> str:
        if kind == 1:
            return f"event 'refresh' for storage pool {ev.pool.name}\n"
        state = POOL_LIFECYCLE[int(ev.event)] if 0 <= int(ev.event) < 6 else "unknown"
        return f"event 'lifecycle' for storage pool {ev.pool.name}: {state}\n"

    return _object_event(ctl, cmd, ["lifecycle", "refresh"], "pool", lookup_pool,
                         ctl.conn.register_storage_pool_event, ctl.conn.deregister_storage_pool_event,
                         describe)
