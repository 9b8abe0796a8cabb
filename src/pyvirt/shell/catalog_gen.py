"""Developer tool: regenerate ``catalog.json`` (virsh's command and option table) from a real virsh.

pyvirsh must accept exactly the commands and options virsh 9.0 accepts and print the same
``help``; the table that drives both is the interface, so it is read from the reference
virsh itself instead of being typed by hand.  For every command this records the group, the
one-line help, the description and each option's name, kind (bool, string, number, data,
argv), whether it is required and whether it can be given positionally.  virsh's help does not
show which options take positional data, so that is learnt by probing the parser with
``CMD --help DATA... --OPT v`` (``--help`` makes virsh parse without running anything).

Run: ``python -m pyvirt.shell.catalog_gen > src/pyvirt/shell/catalog.json``
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

_GROUP = re.compile(r"^ (.+) \(help keyword '([^']+)'\):$")
_CMD = re.compile(r"^    (\S+)\s+(.*)$")
_OPT = re.compile(r"^    (\[--[\w-]+\] <\w+>|--[\w-]+ <\w+>|--[\w-]+|<[\w-]+>)(?:\s+(.*))?$")


def _virsh(*args: str) -> tuple[str, str, int]:
    proc = subprocess.run(["virsh", *args], capture_output=True, text=True)
    return proc.stdout, proc.stderr, proc.returncode


def _groups() -> list[dict]:
    out, _, _ = _virsh("help")
    groups: list[dict] = []
    for line in out.splitlines():
        m = _GROUP.match(line)
        if m:
            groups.append({"name": m.group(1), "keyword": m.group(2), "commands": []})
            continue
        m = _CMD.match(line)
        if m and groups:
            groups[-1]["commands"].append([m.group(1), m.group(2)])
    return groups


def _command(name: str) -> dict:
    out, _, _ = _virsh("help", name)
    lines = out.split("\n")
    synopsis = lines[lines.index("  SYNOPSIS") + 1].strip()
    desc = ""
    if "  DESCRIPTION" in lines:
        start = lines.index("  DESCRIPTION") + 1
        end = lines.index("  OPTIONS") if "  OPTIONS" in lines else len(lines)
        while end > start and lines[end - 1] == "":
            end -= 1
        desc = "\n".join(lines[start:end])[4:]
    opts = []
    if "  OPTIONS" in lines:
        for line in lines[lines.index("  OPTIONS") + 1:]:
            if not line:
                break
            m = _OPT.match(line)
            if not m:
                opts[-1]["help"] += "\n" + line  # a help text spanning lines
                continue
            spec, text = m.group(1), m.group(2) or ""
            oname = re.search(r"[\w-]+", spec).group(0).lstrip("-")
            if spec.startswith("<"):
                kind = "argv"
            elif " " not in spec:
                kind = "bool"
            elif spec.startswith("["):
                kind = "number" if spec.endswith("<number>") else "data"
            else:
                kind = "number" if spec.endswith("<number>") else "string"
            if kind == "data" and (f"[--{oname}] <string>]..." in synopsis
                                   or f"{{[--{oname}] <string>}}..." in synopsis):
                kind = "argv"
            required = (f"<{oname}>" in synopsis.split(" ")
                        or f"<{oname}>..." in synopsis.split(" ")
                        or f"{{[--{oname}] <string>}}..." in synopsis)
            if kind == "number" and spec.startswith("["):
                required = True
            opts.append({"name": oname, "kind": kind, "required": required, "spec": spec,
                         "positional": kind in ("data", "argv"), "help": text})
    _probe_positional(name, opts)
    return {"name": name, "desc": desc, "synopsis": synopsis, "opts": opts,
            "aliases": _probe_aliases(name, opts)}


def _probe_positional(name: str, opts: list[dict]) -> None:
    if name == "help":
        opts[0]["positional"] = True
        return
    valued = [o for o in opts if o["kind"] not in ("bool", "argv")]
    for index, opt in enumerate(valued):
        if opt["kind"] == "data":
            continue
        count = index + 1
        while count > 0:
            data = [f"p{i}" for i in range(count)]
            _, err, _ = _virsh("-c", "test:///default", name, "--help", *data, f"--{opt['name']}", "v")
            m = re.search(r"unexpected data 'p(\d+)'", err)
            if m:
                count = int(m.group(1))
                continue
            opt["positional"] = "already seen" in err
            break
        else:
            opt["positional"] = False


# Hidden alias options are not shown by help; these are the names libvirt has used for them
# (renamed options and underscore spellings), probed for every command.
_ALIAS_GUESSES = ("persistent", "str", "delete-snapshots", "sourcetype", "type", "xml", "bytes",
                  "current", "live", "config", "mode", "desturi", "inactive", "timeout")


def _probe_aliases(name: str, opts: list[dict]) -> dict[str, str]:
    """Hidden aliases of a command: alias name -> target option name."""
    if name == "help":
        return {}
    known = {o["name"] for o in opts}
    guesses = [g for g in _ALIAS_GUESSES if g not in known]
    guesses += [o["name"].replace("-", "_") for o in opts if "-" in o["name"]]
    aliases: dict[str, str] = {}
    for guess in guesses:
        _, err, _ = _virsh("-c", "test:///default", name, "--help", f"--{guess}=x")
        if "doesn't support option" in err:
            continue
        m = re.search(r"invalid '=' after option --([\w-]+)", err)
        if m:
            aliases[guess] = m.group(1)
            continue
        _, err, _ = _virsh("-c", "test:///default", name, "--help", f"--{guess}")
        m = re.search(r"expected syntax: --([\w-]+) <", err)
        if m:
            aliases[guess] = m.group(1)
    return aliases


def main() -> None:
    groups = _groups()
    catalog = {"groups": [], "commands": {}}
    for group in groups:
        catalog["groups"].append({"name": group["name"], "keyword": group["keyword"],
                                  "commands": [c for c, _ in group["commands"]]})
        for cname, chelp in group["commands"]:
            entry = _command(cname)
            entry["help"] = chelp
            catalog["commands"][cname] = entry
            print(cname, file=sys.stderr)
    json.dump(catalog, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
