"""One command for a machine with a GPU: the CUDA tests, the engine bench and one batched paper cell.

Run from the repository root (about 8 minutes on one data-centre GPU)::

    python benchmarks/gpu_check.py --budget 480

It prints a table: each part, its status, its wall time and the line that matters from its
output. Each part runs in its own process with a time limit (a share of ``--budget``), so
one slow part cannot take the others' time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

PARTS = [
    ("CUDA tests", [sys.executable, "-m", "pytest", "-q", "-m", "cuda", "tests/test_cuda.py",
                    "tests/test_invariants.py"], 0.15),
    ("bench (per step)", [sys.executable, "-m", "gft", "bench", "--device", "cuda", "--skip-accuracy",
                          "--repeats", "3"], 0.25),
    ("bench (batched, cv=None)", [sys.executable, "-m", "gft", "bench", "--device", "cuda", "--batched",
                                  "--cv", "0"], 0.3),
    ("paper cell (gft-r, friedman1-d5, batched)", [sys.executable, "-m", "gft", "run", "--setting",
                                                  "friedman1-d5", "--method", "gft", "gft-r", "--preset",
                                                  "paper", "--trials", "5", "--device", "cuda", "--out"], 0.3),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=float, default=480.0, help="seconds for all parts (default 480)")
    args = parser.parse_args(argv)
    out_dir = tempfile.mkdtemp(prefix="gft-gpu-check-")
    rows, failed = [], 0
    for name, cmd, share in PARTS:
        cmd = cmd + [out_dir] if cmd[-1] == "--out" else cmd
        start = time.perf_counter()
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=share * args.budget)
            status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
            text = proc.stdout + proc.stderr
        except subprocess.TimeoutExpired as err:
            status, text = "time limit", (err.stdout or b"").decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
        failed += status != "ok"
        lines = [l for l in text.splitlines() if l.strip()]
        rows.append((name, status, time.perf_counter() - start, lines[-1] if lines else ""))
        print(f"\n## {name}\n" + "\n".join(lines[-25:]), flush=True)
    print("\n| part | status | seconds | last line |\n|---|---|---|---|")
    for name, status, seconds, last in rows:
        print(f"| {name} | {status} | {seconds:.0f} | {last[:120]} |")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
