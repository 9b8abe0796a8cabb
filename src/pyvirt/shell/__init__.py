"""pyvirsh: a virsh-compatible command shell over pyvirt's public API.

The shell mirrors virsh 9.0 byte for byte: the same command and option table (``catalog``),
the same script syntax (``lexer``), option binding (``options``), output layouts (``format``)
and error reporting (``control``).  Commands live in ``commands/``, one module per group.
"""

from __future__ import annotations

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run pyvirsh (the console-script entry point)."""
    from .main import main as _main

    return _main(argv)
