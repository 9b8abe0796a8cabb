"""QEMU driver benchmark, QMP part: query-status through pyvirt's monitor, qemu.qmp and a raw socket.

Method: one QEMU 7.2 (TCG, ``-S``, no guest) with three QMP sockets, one per client, so all three
talk to the same process in the same run. Each client is measured in several interleaved rounds
(so background load from other users hits them alike); the figure reported is the median of the
round means, and the best round is shown too.

* round trip: one ``query-status`` at a time, wait for its reply, repeat.
* pipelined: N commands in flight at once (raw: written in one send; qemu.qmp: ``asyncio.gather``;
  pyvirt: THREADS threads each running ``execute`` in a loop, the way the driver's API threads
  share one monitor), throughput in commands per second.

Run: ``python3 benchmarks/bench_qemu.py [--rounds 7] [--count 500]``. Target: pyvirt's round
trip within 1.3x of the raw socket.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from pyvirt.drivers.qemu.monitor import Monitor  # noqa: E402

QEMU = os.environ.get("PYVIRT_QEMU", "/usr/bin/qemu-system-x86_64")
QUERY = b'{"execute":"query-status"}\r\n'
THREADS = 8


class RawClient:
    """The floor: a blocking socket, one line out, one line back, nothing else."""

    def __init__(self, path: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self._line()  # greeting
        self.sock.sendall(b'{"execute":"qmp_capabilities"}\r\n')
        self._line()

    def _line(self) -> bytes:
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        line, _, self.buf = self.buf.partition(b"\n")
        return line

    def roundtrip(self) -> None:
        self.sock.sendall(QUERY)
        self._line()

    def pipelined(self, n: int) -> None:
        self.sock.sendall(QUERY * n)
        for _ in range(n):
            self._line()

    def close(self) -> None:
        self.sock.close()


class PyvirtClient:
    def __init__(self, path: str) -> None:
        self.mon = Monitor.connect(path, timeout=10, name="bench")

    def roundtrip(self) -> None:
        self.mon.execute("query-status")

    def pipelined(self, n: int) -> None:
        per = n // THREADS

        def work() -> None:
            for _ in range(per):
                self.mon.execute("query-status")

        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    def close(self) -> None:
        self.mon.close()


class QemuQmpClient:
    """qemu.qmp is asyncio-only: each measurement runs inside its own event loop."""

    def __init__(self, path: str) -> None:
        from qemu.qmp import QMPClient

        self.loop = asyncio.new_event_loop()
        self.qmp = QMPClient("bench")
        self.loop.run_until_complete(self.qmp.connect(path))

    def roundtrip_batch(self, n: int) -> None:
        async def go() -> None:
            for _ in range(n):
                await self.qmp.execute("query-status")

        self.loop.run_until_complete(go())

    def pipelined(self, n: int) -> None:
        async def go() -> None:
            await asyncio.gather(*(self.qmp.execute("query-status") for _ in range(n)))

        self.loop.run_until_complete(go())

    def close(self) -> None:
        self.loop.run_until_complete(self.qmp.disconnect())
        self.loop.close()


def time_roundtrips(client: object, count: int) -> float:
    """Seconds per round trip, averaged over ``count``."""
    if isinstance(client, QemuQmpClient):
        t0 = time.perf_counter()
        client.roundtrip_batch(count)
        return (time.perf_counter() - t0) / count
    rt = client.roundtrip  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    for _ in range(count):
        rt()
    return (time.perf_counter() - t0) / count


def time_pipelined(client: object, count: int) -> float:
    """Commands per second with ``count`` in flight."""
    t0 = time.perf_counter()
    client.pipelined(count)  # type: ignore[attr-defined]
    return count / (time.perf_counter() - t0)


def start_qemu(workdir: Path, names: list[str]) -> subprocess.Popen[bytes]:
    argv = [QEMU, "-machine", "pc,accel=tcg", "-nodefaults", "-no-user-config", "-m", "64",
            "-display", "none", "-S"]
    for name in names:
        argv += ["-qmp", f"unix:{workdir / name},server=on,wait=off"]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not all((workdir / n).exists() for n in names):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise SystemExit(f"QEMU did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
        time.sleep(0.01)
    return proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--count", type=int, default=500, help="round trips per round")
    ap.add_argument("--pipeline", type=int, default=400, help="commands in flight")
    args = ap.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="pyvirt-bench-"))
    proc = start_qemu(workdir, ["raw.sock", "pyvirt.sock", "qemuqmp.sock"])
    clients: dict[str, object] = {}
    notes: list[str] = []
    try:
        clients["raw socket"] = RawClient(str(workdir / "raw.sock"))
        clients["pyvirt"] = PyvirtClient(str(workdir / "pyvirt.sock"))
        try:
            clients["qemu.qmp"] = QemuQmpClient(str(workdir / "qemuqmp.sock"))
        except ImportError:
            notes.append("qemu.qmp row skipped: the qemu.qmp package is not installed "
                         "(pip install qemu.qmp)")
        for client in clients.values():  # warm up
            time_roundtrips(client, 50)
        rt: dict[str, list[float]] = {k: [] for k in clients}
        tp: dict[str, list[float]] = {k: [] for k in clients}
        for _ in range(args.rounds):
            for name, client in clients.items():
                rt[name].append(time_roundtrips(client, args.count))
            for name, client in clients.items():
                tp[name].append(time_pipelined(client, args.pipeline))
    finally:
        for client in clients.values():
            try:
                client.close()  # type: ignore[attr-defined]
            except Exception:  # noqa: BLE001
                pass
        proc.kill()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)

    floor_rt = statistics.median(rt["raw socket"])
    floor_tp = statistics.median(tp["raw socket"])
    print(f"QMP query-status against one QEMU ({QEMU}), {args.rounds} rounds x {args.count} "
          f"round trips, {args.pipeline} pipelined; median of round means (best)")
    print(f"{'client':<12} {'round trip ms':>18} {'x raw':>7}   {'pipelined cmd/s':>20} {'raw/x':>7}")
    for name in clients:
        med, best = statistics.median(rt[name]), min(rt[name])
        tmed, tbest = statistics.median(tp[name]), max(tp[name])
        print(f"{name:<12} {med * 1e3:8.3f} ({best * 1e3:6.3f}) {med / floor_rt:7.2f}"
              f"   {tmed:9.0f} ({tbest:8.0f}) {floor_tp / tmed:7.2f}")
    ratio = statistics.median(rt["pyvirt"]) / floor_rt
    print(f"pyvirt round trip = {ratio:.2f}x raw socket (target <= 1.30x): "
          f"{'MET' if ratio <= 1.3 else 'NOT MET'}")
    for note in notes:
        print("note:", note)


if __name__ == "__main__":
    main()
