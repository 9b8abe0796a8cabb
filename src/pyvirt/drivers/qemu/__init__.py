"""The QEMU driver (``qemu:///system``, ``qemu:///session``, ``qemu:///embed?root=DIR``).

``QemuDriver`` is imported lazily so that argv generation (:mod:`.command`) can be used
without loading the process and monitor machinery.
"""

from __future__ import annotations

from typing import Any

__all__ = ["QemuDriver"]


def __getattr__(name: str) -> Any:
    if name == "QemuDriver":
        from .driver import QemuDriver

        return QemuDriver
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
