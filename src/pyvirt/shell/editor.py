"""Editing through ``$VISUAL``/``$EDITOR`` and virsh's "Failed. Try again?" re-edit loop."""

from __future__ import annotations

import os
import subprocess
import tempfile

from pyvirt.errors import VirtError

from .control import CommandError, Control
from .util import lib_message


def edit_text(ctl: Control, text: str, suffix: str) -> str | None:
    """Let the user edit text in $VISUAL/$EDITOR (default vi); None when the editor failed."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    fd, path = tempfile.mkstemp(prefix="virsh", suffix=suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        rc = subprocess.call(f"{editor} {path}", shell=True)
        if rc != 0:
            raise CommandError(f"{editor} {path}: editor exited with status {rc}")
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass


_EDIT_FAILED = object()


def edit_retry(ctl: Control, define, text: str, suffix: str, relax=None):
    """Apply edited text with ``define``; on failure ask virsh's question on a terminal.

    Without a terminal virsh only says "Failed." (virsh 9.0 then goes on to claim success;
    pyvirsh reports the failure instead).  Returns define's result or ``_EDIT_FAILED``.
    """
    import sys

    while True:
        try:
            return define(text)
        except VirtError as exc:
            if not sys.stdin.isatty():
                ctl.error("Failed.")
                return _EDIT_FAILED
            ctl.error(lib_message(exc))
        choices = "[y,n,i,f,?]" if relax else "[y,n,f,?]"
        while True:
            ctl.print(f"\rFailed. Try again? {choices}: ")
            ctl.out.flush()
            answer = sys.stdin.readline().strip().lower()[:1]
            if answer == "?":
                ctl.print("y - yes, start editor again\nn - no, throw away my changes\n")
                if relax:
                    ctl.print("i - turn off validation and try to redefine again\n")
                ctl.print("f - force, try to redefine again\n? - print this help\n")
                continue
            if answer in ("y", "n", "f") or (relax and answer == "i"):
                break
        ctl.print("\r\n")
        if answer == "n" or answer == "":
            return _EDIT_FAILED
        if answer == "y":
            edited = edit_text(ctl, text, suffix)
            if edited is None:
                return _EDIT_FAILED
            text = edited
        elif answer == "i" and relax:
            define = relax


def inactive_xml(obj) -> str:
    """The persistent XML, falling back to the live one where the driver rejects the flag
    (virsh does the same for networks and pools)."""
    from pyvirt.errors import ErrorNumber

    try:
        return obj.xml(inactive=True)
    except VirtError as exc:
        if exc.code != ErrorNumber.INVALID_ARG:
            raise
        return obj.xml()


def edit_object(ctl: Control, original: str, define, unchanged: str, edited) -> bool:
    """The shared edit flow: $EDITOR, 'not changed', redefine with virsh's re-edit prompt."""
    text = edit_text(ctl, original, ".xml")
    if text is None:
        return False
    if text == original:
        ctl.print_extra(unchanged)
        return True
    result = edit_retry(ctl, define, text, ".xml")
    if result is _EDIT_FAILED:
        return False
    ctl.print_extra(edited(result))
    return True
