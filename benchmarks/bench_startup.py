"""Start-up cost: import pyvirt, open test:///default, list domains; pyvirsh vs virsh.

Every figure is the median of N fresh processes (a start-up cost only shows in a new
interpreter). Two bytecode situations are measured, because they differ by a factor of
two and both happen:

* ``cached``: compiled bytecode is available (an installed package; here a private
  ``PYTHONPYCACHEPREFIX`` warmed by one run first);
* ``source``: no bytecode at all, every module compiled at import (what a checkout run with
  ``PYTHONDONTWRITEBYTECODE=1`` pays, as in this team's environment).

Printed: in-process import / open / list times, the whole-process wall time of
``pyvirsh -c test:///default list`` (the script on PATH, so including any launcher shim,
and the same entry point started directly by the interpreter), ``virsh -c test:///default
list``, the bare interpreter as the floor, and the ratios. Target: import + open + list
under 60 ms with cached bytecode.

Usage: ``python3 benchmarks/bench_startup.py [-n RUNS]``
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PROBE = r"""
import json, time
t0 = time.perf_counter()
import pyvirt
t1 = time.perf_counter()
conn = pyvirt.open("test:///default")
t2 = time.perf_counter()
names = [d.name for d in conn.list_domains()]
t3 = time.perf_counter()
assert names == ["test"], names
print(json.dumps({"import": t1 - t0, "open": t2 - t1, "list": t3 - t2, "total": t3 - t0}))
"""

DIRECT_PYVIRSH = "import sys; from pyvirt.shell.main import entry; sys.argv[0] = 'pyvirsh'; sys.exit(entry())"


def _env(mode: str, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    if mode == "cached":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = prefix
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def _wall(cmd: list[str], env: dict[str, str], runs: int) -> float | None:
    """Median wall time of ``cmd`` (seconds), or None when it cannot run."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            print(f"  ! {' '.join(cmd)} failed: {proc.stderr.decode(errors='replace').strip()[:200]}")
            return None
    return statistics.median(times)


def _probe(env: dict[str, str], runs: int) -> dict[str, float]:
    samples: dict[str, list[float]] = {}
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
        for key, value in json.loads(out.stdout).items():
            samples.setdefault(key, []).append(value)
    return {key: statistics.median(values) for key, values in samples.items()}


def _ms(value: float | None) -> str:
    return "   n/a" if value is None else f"{value * 1e3:6.1f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7, help="processes per figure (median)")
    args = parser.parse_args()
    runs = max(1, args.runs)
    virsh = shutil.which("virsh")
    pyvirsh = shutil.which("pyvirsh")
    with tempfile.TemporaryDirectory(prefix="pyvirt-pyc-") as prefix:
        print(f"median of {runs} fresh processes, milliseconds; python {sys.version.split()[0]}")
        figures: dict[str, dict[str, float | None]] = {}
        for mode in ("cached", "source"):
            env = _env(mode, prefix)
            if mode == "cached":  # warm the private bytecode cache
                subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, check=True)
                if pyvirsh:
                    subprocess.run([pyvirsh, "-c", "test:///default", "list"], env=env, capture_output=True)
            probe = _probe(env, runs)
            row: dict[str, float | None] = dict(probe)
            row["python"] = _wall([sys.executable, "-c", "pass"], env, runs)
            row["pyvirsh"] = _wall([pyvirsh, "-c", "test:///default", "list"], env, runs) if pyvirsh else None
            row["pyvirsh_direct"] = _wall(
                [sys.executable, "-c", DIRECT_PYVIRSH, "-c", "test:///default", "list"], env, runs
            )
            figures[mode] = row
        virsh_wall = _wall([virsh, "-c", "test:///default", "list"], dict(os.environ), runs) if virsh else None

    print(f"{'':34}{'cached':>10}{'source':>10}")
    labels = [
        ("import pyvirt", "import"),
        ("open(test:///default)", "open"),
        ("list_domains()", "list"),
        ("import + open + list", "total"),
        ("python -c pass (floor)", "python"),
        ("pyvirsh ... list (PATH script)", "pyvirsh"),
        ("pyvirsh ... list (python -c entry)", "pyvirsh_direct"),
    ]
    for label, key in labels:
        print(f"{label:34}{_ms(figures['cached'][key]):>10}{_ms(figures['source'][key]):>10}")
    print(f"{'virsh -c test:///default list':34}{_ms(virsh_wall):>10}")
    cached = figures["cached"]
    print("ratios (cached bytecode):")
    print(f"  pyvirsh / virsh (PATH script)      {_ratio(cached['pyvirsh'], virsh_wall)}")
    print(f"  pyvirsh / virsh (python -c entry)  {_ratio(cached['pyvirsh_direct'], virsh_wall)}")
    total = cached["total"]
    print(f"  import+open+list / 60 ms target    {_ratio(total, 0.060)}")
    print("ratios (no bytecode):")
    print(f"  pyvirsh / virsh (PATH script)      {_ratio(figures['source']['pyvirsh'], virsh_wall)}")


if __name__ == "__main__":
    main()
