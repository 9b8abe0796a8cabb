"""The shell's state while it runs: the connection, flags, output and error reporting.

virsh's reporting rules, reproduced here: an error goes to stderr as ``error: <message>``
after stdout is flushed; every command that runs (successful or not) is followed by an empty
line on stdout unless ``-q`` was given; a failing command also reports the library error that
caused it.
"""

from __future__ import annotations

import sys
from typing import TextIO

from .catalog import Catalog


class CommandError(Exception):
    """A command failed: ``messages`` are printed as ``error:`` lines, in order."""

    def __init__(self, *messages: str) -> None:
        super().__init__(messages[0] if messages else "")
        self.messages = [m for m in messages if m is not None]


class Control:
    """Everything a command may use: the connection, options of the shell, output."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        uri: str | None = None,
        readonly: bool = False,
        quiet: bool = False,
        debug: int = -1,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.catalog = catalog
        self.uri = uri
        self.readonly = readonly
        self.quiet = quiet
        self.debug = debug
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.conn = None
        self.interactive = False
        self.stop = False  # set by quit/exit

    # -- output ----------------------------------------------------------------------------
    def print(self, text: str) -> None:
        """Write text to stdout as is (virsh's vshPrint)."""
        self.out.write(text)

    def print_extra(self, text: str) -> None:
        """Write text unless quiet (virsh's vshPrintExtra: headers, confirmations)."""
        if not self.quiet:
            self.out.write(text)

    def debug_log(self, level: int, text: str) -> None:
        """virsh's -d trace: shown on stdout when ``level`` is at least the chosen debug level
        (0 debug, 1 info, 2 notice, 3 warning, 4 error)."""
        if 0 <= self.debug <= level:
            self.out.write(text)

    def error(self, message: str) -> None:
        """Report ``error: message`` on stderr, after flushing stdout to keep the order."""
        self.out.flush()
        self.err.write(f"error: {message}\n")
        self.err.flush()

    # -- connection ------------------------------------------------------------------------
    def connect(self, uri: str | None, readonly: bool) -> None:
        """Open a connection, replacing the current one (raises VirtError on failure)."""
        import pyvirt

        opener = getattr(pyvirt, "open", None)
        if opener is None:  # the package may not re-export it (yet)
            from pyvirt.connection import open as opener
        conn = opener(uri, readonly=readonly)
        # pyvirt's local drivers have no keepalive, like libvirt's; virsh says so at -d <= 1
        self.debug_log(1, "Failed to setup keepalive on connection\n")
        self.close()
        self.conn = conn
        self.readonly = readonly
        self.uri = uri

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            except Exception:  # noqa: BLE001 - closing a dead connection must not fail the shell
                pass
            self.conn = None

    def require_conn(self):
        """The open connection, opening the default one on first use as virsh does."""
        if self.conn is None:
            from pyvirt.errors import VirtError

            try:
                self.connect(self.uri, self.readonly)
            except VirtError as exc:
                raise CommandError("failed to connect to the hypervisor", exc.message) from None
        return self.conn
