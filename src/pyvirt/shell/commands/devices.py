"""Device hot-plug commands: attach-device, detach-device, update-device, detach-device-alias.

virsh reads the device XML itself and hands it to the library, so file errors are virsh's
and everything about the device (parsing included) is the driver's.
"""

from __future__ import annotations

from pyvirt.errors import VirtError

from ..control import CommandError, Control
from ..options import ParsedCommand
from ..util import lookup_domain, opt_string, read_file
from . import command
from .domain import _fail


def _impact_opts(cmd: ParsedCommand, *, persistent: bool = True) -> None:
    """virsh's exclusive-option checks, in its order, before the domain is looked up."""
    current = cmd.flag("current")
    if current and cmd.flag("live"):
        raise CommandError("Options --current and --live are mutually exclusive")
    if current and cmd.flag("config"):
        raise CommandError("Options --current and --config are mutually exclusive")
    if persistent and cmd.flag("persistent") and current:
        raise CommandError("Options --persistent and --current are mutually exclusive")


def _device_keywords(cmd: ParsedCommand, dom) -> dict:  # type: ignore[no-untyped-def]
    """--persistent is config, plus live when the domain runs; any option at all (even
    --current) selects the *Flags API, none the plain one -- as virsh chooses."""
    live, config = cmd.flag("live"), cmd.flag("config")
    if cmd.cmd.option("persistent") and cmd.flag("persistent"):
        config = True
        if dom.is_active():
            live = True
    if live or config or cmd.flag("current"):
        return {"live": live, "config": config}
    return {}


def _from_file(verb: str, past: str, method: str, *, force: bool = False):  # type: ignore[no-untyped-def]
    def handler(ctl: Control, cmd: ParsedCommand) -> bool:
        _impact_opts(cmd)
        dom = lookup_domain(ctl, cmd)
        path = opt_string(cmd, "file")
        xml = read_file(path)
        kwargs = _device_keywords(cmd, dom)
        if force:  # update-device always uses the flags API
            kwargs = {"live": kwargs.get("live", False), "config": kwargs.get("config", False),
                      "force": cmd.flag("force")}
        try:
            getattr(dom, method)(xml, **kwargs)
        except VirtError as exc:
            raise _fail(f"Failed to {verb} device from {path}", exc) from None
        ctl.print_extra(f"Device {past} successfully\n")
        return True

    return handler


command("attach-device")(_from_file("attach", "attached", "attach_device"))
command("detach-device")(_from_file("detach", "detached", "detach_device"))
command("update-device")(_from_file("update", "updated", "update_device", force=True))


@command("detach-device-alias")
def cmd_detach_device_alias(ctl: Control, cmd: ParsedCommand) -> bool:
    _impact_opts(cmd, persistent=False)
    dom = lookup_domain(ctl, cmd)
    alias = opt_string(cmd, "alias")
    try:
        dom.detach_device_alias(alias, live=cmd.flag("live"), config=cmd.flag("config"))
    except VirtError as exc:
        raise _fail(f"Failed to detach device with alias {alias}", exc) from None
    ctl.print_extra("Device detach request sent successfully\n")
    return True
