"""Run one script through real virsh and through pyvirsh and compare stdout, stderr, exit code.

Each side runs the whole script in one process (pyvirt and libvirt keep their own state).
Only values that are volatile by nature are masked on both sides before comparing: the test
driver's CPU time (derived from the wall clock), snapshot creation times, and snapshot names
that libvirt derives from the creation time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data"
VIRSH = shutil.which("virsh")

_MASKS = [
    (re.compile(r"^(CPU time:\s+)\d+\.\d+s$", re.M), r"\1<cputime>"),
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"), "<time>"),
    (re.compile(r"<creationTime>\d+</creationTime>"), "<creationTime>T</creationTime>"),
    (re.compile(r"\b1[6-9]\d{8}\b"), "<epoch>"),
    (re.compile(r"\(Time: \d+\.\d+ ms\)"), "(Time: <ms>)"),
]


@dataclass
class Result:
    out: str
    err: str
    rc: int

    def masked(self) -> Result:
        out, err = self.out, self.err
        for pattern, repl in _MASKS:
            out = pattern.sub(repl, out)
            err = pattern.sub(repl, err)
        return Result(out, err, self.rc)


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("TZ", "UTC")
    env["LC_ALL"] = "C"
    env.pop("VIRSH_DEFAULT_CONNECT_URI", None)
    env.pop("LIBVIRT_DEFAULT_URI", None)
    if extra:
        env.update(extra)
    return env


def run_virsh(args: list[str], stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Real virsh; retried when it hangs (virsh 9.0's job watcher sometimes never wakes up
    after an instant save on the test driver)."""
    for attempt in range(3):
        try:
            proc = subprocess.run([VIRSH, *args], input=stdin if stdin is not None else "",
                                  capture_output=True, text=True, env=_env(env), cwd=DATA,
                                  timeout=15)
        except subprocess.TimeoutExpired:
            if attempt == 2:
                raise
            continue
        return Result(proc.stdout, proc.stderr, proc.returncode)
    raise AssertionError("unreachable")


def run_pyvirsh(args: list[str], stdin: str | None = None, env: dict[str, str] | None = None) -> Result:
    proc = subprocess.run([sys.executable, "-m", "pyvirt.shell.main", *args],
                          input=stdin if stdin is not None else "",
                          capture_output=True, text=True, env=_env(env), cwd=DATA, timeout=120)
    return Result(proc.stdout, proc.stderr, proc.returncode)


def compare(args: list[str], stdin: str | None = None, env: dict[str, str] | None = None) -> tuple[Result, Result]:
    """(virsh result, pyvirsh result), both masked."""
    return run_virsh(args, stdin, env).masked(), run_pyvirsh(args, stdin, env).masked()


def assert_same(args: list[str], stdin: str | None = None, env: dict[str, str] | None = None) -> None:
    expected, actual = compare(args, stdin, env)
    assert actual.out == expected.out, _diff("stdout", expected.out, actual.out)
    assert actual.err == expected.err, _diff("stderr", expected.err, actual.err)
    assert actual.rc == expected.rc, f"exit code: virsh {expected.rc}, pyvirsh {actual.rc}"


def _diff(what: str, expected: str, actual: str) -> str:
    import difflib

    lines = difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "virsh", "pyvirsh")
    return f"{what} differs:\n" + "".join(lines)
