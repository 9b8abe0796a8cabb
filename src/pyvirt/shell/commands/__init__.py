"""The command implementations, one module per virsh group, registered by name.

A command is ``fn(ctl, cmd) -> bool``: it prints its output through ``ctl``, returns whether
it succeeded, and raises :class:`~pyvirt.shell.control.CommandError` (or lets a
``VirtError`` escape) to report a failure the way virsh does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..control import Control
    from ..options import ParsedCommand

Handler = Callable[["Control", "ParsedCommand"], bool]

REGISTRY: dict[str, Handler] = {}
NO_CONNECT: set[str] = set()

_MODULES = ("misc", "host", "domain", "saves", "devices", "stats", "guestops", "monitor", "tune", "event", "snapshot", "network", "storage", "iface", "nodedev")


def command(*names: str, connect: bool = True) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the implementation of virsh commands ``names``."""

    def register(fn: Handler) -> Handler:
        for name in names:
            REGISTRY[name] = fn
            if not connect:
                NO_CONNECT.add(name)
        return fn

    return register


def load_all() -> dict[str, Handler]:
    """Import every command module (each registers itself) and return the registry."""
    import importlib

    for module in _MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return REGISTRY
