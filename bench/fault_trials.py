"""Fault trials: stop `healthcrawl harvest` at named moments many times and count how often
every invariant held afterwards (the harness of tests/faults, more trials than the suite runs).

    .venv/bin/python bench/fault_trials.py --trials 5 [--kinds kill@at-rename,term2@items] [--json OUT]

Kinds are `STOP@MOMENT` (tests/support/faults.py): STOP is `kill` (SIGKILL), `term` (one
SIGTERM) or `term2` (two, 50 ms apart); MOMENT is `items` (after a random 2..20 items),
`at-rename`, `indexing` or `report`. `startup` sends SIGTERM once the child catches it (exit 3
expected) and `disk` runs on a tmpfs of a random 100..420 KiB (root only; exit 1 and one line
expected), then gives it room. After each stop a normal run resumes, and the folder is checked
against one uninterrupted run of the same demo site: same items, no id twice, every WARC
readable with no torn member, index.cdxj equal to cdxj-indexer's, every pointer a 200
response of its URL with its payload. Prints one row per kind; `--json` writes them.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import support.faults as fault_kit  # noqa: E402

KINDS = ["kill@items", "kill@at-rename", "kill@indexing", "kill@report", "term@items", "term2@items",
         "term@report", "startup", "disk"]
ROTATE = ["-s", "ARCHIVE_MAX_SIZE=60000"]


def one_trial(kind: str, site: dict[str, Any], work: Path, rng: random.Random) -> dict[str, Any]:
    out = work / "out"
    t0 = time.monotonic()
    row: dict[str, Any] = {"kind": kind}
    if kind == "startup":
        child = fault_kit.start(site["slow"], out)
        fault_kit.wait_until(lambda: fault_kit.catches_sigterm(child.proc.pid), child, timeout=30)
        time.sleep(rng.uniform(0, 1.5))
        child.proc.send_signal(signal.SIGTERM)
        row.update(reached=True, code=child.wait(60), expected_code=3)
        row["one_line"] = "Traceback" not in child.stderr()
    elif kind == "disk":
        size = rng.randint(100, 420)
        mnt = work / "disk"
        mnt.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}k", "tmpfs", str(mnt)], check=True)
        try:
            out = mnt / "out"
            code, stdout, stderr = fault_kit.run(site["fast"], out, "-s", "LOG_LEVEL=WARNING")
            errors = [x for x in stderr.splitlines() if " ERROR: " in x or x.startswith("Traceback")]
            errors += [x for x in stdout.splitlines() if x.startswith("healthcrawl:")]
            row.update(reached=True, code=code, expected_code=1, size_kib=size, one_line=len(errors) == 1)
            subprocess.run(["mount", "-o", "remount,size=16m", str(mnt)], check=True)
            return _resume(row, site, out, t0)
        finally:
            subprocess.run(["umount", str(mnt)], capture_output=True)
    else:
        stop, at = kind.split("@")
        moment = f"items:{rng.randint(2, 20)}" if at == "items" else at
        specs = site["fast"] if at == "report" else site["slow"]
        trial = fault_kit.stop_at(specs, out, stop, moment, *ROTATE)
        row.update(reached=trial.reached, code=trial.code, moment=moment,
                   expected_code=-signal.SIGKILL if stop == "kill" else 3,
                   one_line="Traceback" not in trial.stderr)
    return _resume(row, site, out, t0)


def _resume(row: dict[str, Any], site: dict[str, Any], out: Path, t0: float) -> dict[str, Any]:
    code, _, stderr = fault_kit.run(site["fast"], out, *ROTATE)
    problems = fault_kit.check_invariants(out, site["reference"])
    if code != 0:
        problems.append(f"resume exit {code}")
    if "Traceback" in stderr:
        problems.append("resume printed a traceback")
    if row["reached"] and row["code"] != row["expected_code"]:
        problems.append(f"stopped run exit {row['code']}, expected {row['expected_code']}")
    if not row.get("one_line", True):
        problems.append("the stopped run printed more than one error line or a traceback")
    row.update(held=not problems, problems=problems, seconds=round(time.monotonic() - t0, 1))
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=3, help="trials per kind")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    from crawler.demo.server import DemoServer

    rng = random.Random(args.seed)
    rows: list[dict[str, Any]] = []
    root = Path(tempfile.mkdtemp(prefix="hc-fault-trials-"))
    try:
        with DemoServer(port=0) as server:
            site = {"fast": fault_kit.render(server.base_url, root / "fast"),
                    "slow": fault_kit.render(server.base_url, root / "slow", delay=0.1)}
            code, stdout, stderr = fault_kit.run(site["fast"], root / "reference")
            if code != 0:
                print(stdout + stderr, file=sys.stderr)
                return 1
            site["reference"] = fault_kit.item_lines(root / "reference")
            for kind in args.kinds.split(","):
                for n in range(args.trials):
                    work = root / f"{kind.replace('@', '-')}-{n}"
                    work.mkdir()
                    row = one_trial(kind, site, work, rng)
                    rows.append(row)
                    print(json.dumps(row, ensure_ascii=False), flush=True)
                    shutil.rmtree(work, ignore_errors=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"\n{'kind':<18}{'trials':>7}{'reached':>8}{'held':>6}")
    summary = {}
    for kind in dict.fromkeys(r["kind"] for r in rows):
        mine = [r for r in rows if r["kind"] == kind]
        summary[kind] = {"trials": len(mine), "reached": sum(r["reached"] for r in mine),
                         "held": sum(r["held"] for r in mine)}
        print(f"{kind:<18}{len(mine):>7}{summary[kind]['reached']:>8}{summary[kind]['held']:>6}")
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "trials": rows}, ensure_ascii=False, indent=1))
    return 0 if all(r["held"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
