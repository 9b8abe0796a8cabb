"""virsh's command table: groups, commands and their option definitions, and ``help`` rendering.

The table (``catalog.json``) is generated from the reference virsh by ``catalog_gen``; it is the
interface pyvirsh promises to keep, so the help texts, option names, kinds and positional order
are data, not code.  Rendering follows virsh's help layout (NAME / SYNOPSIS / DESCRIPTION /
OPTIONS with a 15-column option field).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class OptDef:
    """One option of a command: ``kind`` is bool, string, number, data or argv."""

    name: str
    kind: str
    required: bool
    positional: bool
    help: str
    spec: str

    @property
    def takes_value(self) -> bool:
        return self.kind != "bool"


@dataclass(frozen=True)
class CommandDef:
    name: str
    help: str
    desc: str
    synopsis: str
    group: str
    opts: tuple[OptDef, ...] = field(default_factory=tuple)
    aliases: dict[str, str] = field(default_factory=dict)  # hidden old names -> option

    def option(self, name: str) -> OptDef | None:
        for opt in self.opts:
            if opt.name == name:
                return opt
        return None


@dataclass(frozen=True)
class GroupDef:
    name: str
    keyword: str
    commands: tuple[str, ...]


class Catalog:
    """The loaded table, indexed for lookups by command name and group keyword."""

    def __init__(self, data: dict) -> None:
        self.groups: list[GroupDef] = []
        self.commands: dict[str, CommandDef] = {}
        for group in data["groups"]:
            self.groups.append(GroupDef(group["name"], group["keyword"], tuple(group["commands"])))
            for cname in group["commands"]:
                raw = data["commands"][cname]
                opts = tuple(
                    OptDef(o["name"], o["kind"], o["required"], o["positional"], o["help"], o["spec"])
                    for o in raw["opts"]
                )
                self.commands[cname] = CommandDef(
                    cname, raw["help"], raw["desc"], raw["synopsis"], group["keyword"], opts,
                    dict(raw.get("aliases", {})),
                )

    def command(self, name: str) -> CommandDef | None:
        return self.commands.get(name)

    def group(self, name: str) -> GroupDef | None:
        for group in self.groups:
            if name in (group.name, group.keyword):
                return group
        return None

    # -- help rendering -------------------------------------------------------------------
    def command_help(self, cmd: CommandDef) -> str:
        out = [f"  NAME\n    {cmd.name} - {cmd.help}\n", f"\n  SYNOPSIS\n    {cmd.synopsis}\n"]
        if cmd.desc:
            out.append(f"\n  DESCRIPTION\n    {cmd.desc}\n")
        if cmd.opts:
            out.append("\n  OPTIONS\n")
            for opt in cmd.opts:
                out.append(f"    {opt.spec:<15}  {opt.help}\n")
        out.append("\n")
        return "".join(out)

    def group_help(self, group: GroupDef) -> str:
        lines = [f" {group.name} (help keyword '{group.keyword}'):\n"]
        for cname in group.commands:
            lines.append(f"    {cname:<30} {self.commands[cname].help}\n")
        return "".join(lines)

    def global_help(self) -> str:
        parts = ["Grouped commands:\n\n"]
        for group in self.groups:
            parts.append(self.group_help(group))
            parts.append("\n")
        return "".join(parts)


@cache
def load() -> Catalog:
    """The catalog shipped with pyvirsh (parsed once per process)."""
    text = resources.files(__package__).joinpath("catalog.json").read_text(encoding="utf-8")
    return Catalog(json.loads(text))
