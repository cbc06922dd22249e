"""Explanation benchmark: what ``recover-check explain`` and the explained findings report cost.

    python benchmarks/explain.py [--runs 3] [--presets pr4139 design proposed]

For every counterexample the findings report shows (each finding on each preset), it times the
explanation alone (``invariants.explain.explain_outcome``: the violated clause, the step roles,
the nearest-run search and the knob replays) and reports the (state, position) pairs the
nearest-run search expanded. Then it times ``recover-check findings`` without and with
``--markdown`` (the report that carries the explanations), each as a fresh process. Figures are
medians of ``--runs`` runs, in seconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def explanation_times(presets, runs: int) -> list[tuple]:
    from invariants.catalog import decide
    from invariants.explain import explain_outcome
    from invariants.findings import FINDINGS

    rows = []
    for preset in presets:
        for finding in FINDINGS:
            shown = decide(finding, preset).counterexample
            if shown is None or shown.trace is None:
                continue
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                expl = explain_outcome(shown)
                times.append(time.perf_counter() - started)
            rows.append((finding.id, preset, len(shown.trace), statistics.median(times), expl.nearest.searched,
                         expl.nearest.distance, len(expl.blocking)))
    return rows


def command_time(args: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "explorer.cli", *args], cwd=ROOT, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--presets", nargs="+", default=["pr4139", "design", "proposed"])
    args = parser.parse_args()
    rows = explanation_times(args.presets, args.runs)
    print(f"{'cell':<16} {'steps':>5} {'seconds':>8} {'pairs':>7} {'distance':>8} {'blocking':>8}")
    for fid, preset, steps, seconds, pairs, distance, blocking in rows:
        print(f"{fid + ' ' + preset:<16} {steps:>5} {seconds:>8.3f} {pairs:>7,} {distance if distance is not None else '-':>8} "
              f"{blocking:>8}")
    print(f"{len(rows)} explanations, {sum(r[3] for r in rows):.2f} s in all (medians of {args.runs})")
    with tempfile.TemporaryDirectory() as tmp:
        plain = command_time(["findings", "--quiet"], args.runs)
        report = command_time(["findings", "--quiet", "--markdown", str(Path(tmp) / "r.md")], args.runs)
    print(f"findings: {plain:.1f} s; findings --markdown (explanations included): {report:.1f} s "
          f"(medians of {args.runs} processes)")


if __name__ == "__main__":
    main()
