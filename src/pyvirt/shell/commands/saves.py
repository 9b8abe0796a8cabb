"""Saving and restoring domains: save, restore, managedsave, managedsave-remove, save-image-*."""

from __future__ import annotations

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..editor import edit_object
from ..jobs import run_job
from ..options import ParsedCommand
from ..util import lookup_domain, opt_string, read_file
from ..xmlout import print_xml
from . import command
from .domain import _fail


def _save_flags(cmd: ParsedCommand) -> int:
    from pyvirt.enums import DomainSaveRestoreFlags as S

    flags = 0
    for opt, bit in (("bypass-cache", S.BYPASS_CACHE), ("running", S.RUNNING),
                     ("paused", S.PAUSED), ("reset-nvram", S.RESET_NVRAM)):
        if cmd.cmd.option(opt) and cmd.flag(opt):
            flags |= int(bit)
    return flags


def _no_save_flags(cmd: ParsedCommand, context: str, api: str) -> None:
    """pyvirt's save/restore calls take no flags yet: refuse instead of silently ignoring."""
    if _save_flags(cmd):
        raise CommandError(context, f"pyvirt's {api} does not accept --bypass-cache, "
                                    "--running, --paused or --reset-nvram yet")


@command("save")
def cmd_save(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    path = opt_string(cmd, "file")
    xml = read_file(opt_string(cmd, "xml")) if cmd.has("xml") else None
    name = dom.name
    _no_save_flags(cmd, f"Failed to save domain '{name}' to {path}", "Domain.save()")
    dom = lookup_domain(ctl, cmd)  # virsh's job thread looks the domain up again (seen at -d 0)
    try:
        run_job(ctl, dom, "Save", cmd.flag("verbose"), lambda: dom.save(path, xml))
    except VirtError as exc:
        raise _fail(f"Failed to save domain '{name}' to {path}", exc) from None
    ctl.print_extra(f"\nDomain '{name}' saved to {path}\n")
    return True


@command("restore")
def cmd_restore(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(opt_string(cmd, "xml")) if cmd.has("xml") else None
    _no_save_flags(cmd, f"Failed to restore domain from {path}", "Connection.restore()")
    try:
        ctl.conn.restore(path, xml)
    except VirtError as exc:
        raise _fail(f"Failed to restore domain from {path}", exc) from None
    ctl.print_extra(f"Domain restored from {path}\n")
    return True


@command("managedsave")
def cmd_managedsave(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    name = dom.name
    dom = lookup_domain(ctl, cmd)  # virsh's job thread looks the domain up again (seen at -d 0)
    try:
        flags = _save_flags(cmd)
        run_job(ctl, dom, "Managedsave", cmd.flag("verbose"), lambda: dom.managed_save(flags=flags))
    except VirtError as exc:
        raise _fail(f"Failed to save domain '{name}' state", exc) from None
    ctl.print_extra(f"\nDomain '{name}' state saved by libvirt\n")
    return True


@command("managedsave-remove")
def cmd_managedsave_remove(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    name = dom.name
    try:
        has = dom.has_managed_save
    except VirtError as exc:
        raise _fail("Failed to check for domain managed save image", exc) from None
    if not has:
        ctl.print_extra(f"Domain '{name}' has no manage save image; removal skipped")
        return True
    try:
        dom.managed_save_remove()
    except VirtError as exc:
        raise _fail(f"Failed to remove managed save image for domain '{name}'", exc) from None
    ctl.print_extra(f"Removed managedsave image for domain '{name}'")
    return True


@command("save-image-dumpxml")
def cmd_save_image_dumpxml(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    return print_xml(ctl, cmd, ctl.conn.save_image_xml(path, secure=cmd.flag("security-info")))


@command("save-image-define")
def cmd_save_image_define(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(opt_string(cmd, "xml"))
    if cmd.flag("running") or cmd.flag("paused"):
        raise CommandError(f"Failed to update {path}",
                           "pyvirt's Connection.define_save_image_xml() does not accept --running or --paused yet")
    try:
        ctl.conn.define_save_image_xml(path, xml)
    except VirtError as exc:
        raise _fail(f"Failed to update {path}", exc) from None
    ctl.print_extra(f"State file {path} updated.\n")
    return True


@command("save-image-edit")
def cmd_save_image_edit(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    original = ctl.conn.save_image_xml(path, secure=True)
    return edit_object(ctl, original, lambda t: ctl.conn.define_save_image_xml(path, t),
                       f"Saved image {path} XML configuration not changed.\n",
                       lambda _r: f"State file {path} edited.\n")
