"""Saving and restoring domains: save, restore, managedsave, managedsave-remove, save-image-*, dump."""

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


def _save_kwargs(cmd: ParsedCommand) -> dict[str, bool]:
    """The save/restore keywords of the public API from virsh's options (those it has)."""
    kwargs = {}
    for opt, key in (("bypass-cache", "bypass_cache"), ("running", "running"), ("paused", "paused")):
        if cmd.cmd.option(opt):
            kwargs[key] = cmd.flag(opt)
    return kwargs


def _no_reset_nvram(cmd: ParsedCommand, context: str, api: str) -> None:
    """pyvirt's restore has no RESET_NVRAM keyword yet: refuse instead of silently ignoring."""
    if cmd.cmd.option("reset-nvram") and cmd.flag("reset-nvram"):
        raise CommandError(context, f"pyvirt's {api} does not accept --reset-nvram yet")


@command("save")
def cmd_save(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    path = opt_string(cmd, "file")
    xml = read_file(opt_string(cmd, "xml")) if cmd.has("xml") else None
    name = dom.name
    kwargs = _save_kwargs(cmd)
    dom = lookup_domain(ctl, cmd)  # virsh's job thread looks the domain up again (seen at -d 0)
    try:
        run_job(ctl, dom, "Save", cmd.flag("verbose"), lambda: dom.save(path, xml=xml, **kwargs))
    except VirtError as exc:
        raise _fail(f"Failed to save domain '{name}' to {path}", exc) from None
    ctl.print_extra(f"\nDomain '{name}' saved to {path}\n")
    return True


@command("restore")
def cmd_restore(ctl: Control, cmd: ParsedCommand) -> bool:
    path = opt_string(cmd, "file")
    xml = read_file(opt_string(cmd, "xml")) if cmd.has("xml") else None
    _no_reset_nvram(cmd, f"Failed to restore domain from {path}", "Connection.restore()")
    try:
        ctl.conn.restore(path, xml=xml, **_save_kwargs(cmd))
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
        kwargs = _save_kwargs(cmd)
        run_job(ctl, dom, "Managedsave", cmd.flag("verbose"), lambda: dom.managed_save(**kwargs))
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
    try:
        ctl.conn.define_save_image_xml(path, xml, running=cmd.flag("running"), paused=cmd.flag("paused"))
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


_DUMP_FORMATS = {"elf": 0, "kdump-zlib": 1, "kdump-lzo": 2, "kdump-snappy": 3, "win-dmp": 4}


@command("dump")
def cmd_dump(ctl: Control, cmd: ParsedCommand) -> bool:
    dom = lookup_domain(ctl, cmd)
    name = dom.name
    path = opt_string(cmd, "file")
    fmt = 0
    if cmd.has("format"):
        if not cmd.flag("memory-only"):
            raise CommandError("--format only works with --memory-only")
        text = cmd.get("format")
        if text not in _DUMP_FORMATS:
            raise CommandError(f"format '{text}' is not supported, expecting 'kdump-zlib', "
                               "'kdump-lzo', 'kdump-snappy', 'win-dmp' or 'elf'")
        fmt = _DUMP_FORMATS[text]
    kwargs = {key: cmd.flag(opt) for opt, key in (("live", "live"), ("crash", "crash"), ("bypass-cache", "bypass_cache"),
                                                  ("reset", "reset"), ("memory-only", "memory_only"))}
    try:
        run_job(ctl, dom, "Dump", cmd.flag("verbose"), lambda: dom.core_dump(path, format=fmt, **kwargs))
    except VirtError as exc:
        raise _fail(f"Failed to core dump domain '{name}' to {path}", exc) from None
    ctl.print_extra(f"\nDomain '{name}' dumped to {path}\n")
    return True
