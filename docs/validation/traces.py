"""Traces for the checks of docs/validation.md (`check.py`, `variants.py`): a scratch copy of `scenarios/`, and
`chokepoint trace` runs in it, several at once. Standard library only."""
import shlex
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def scratch_scenarios(scratch):
    """A copy of the checkout's `scenarios/` in the folder `scratch` (overlays find their bases beside them), so
    that no trace writes into the checkout; its path."""
    scenarios = Path(scratch) / "scenarios"
    shutil.copytree(REPO / "scenarios", scenarios)
    return scenarios


def trace(binary, arguments, out):
    """Runs `BINARY trace ARGUMENTS -q --out OUT` and returns the path of its `flows.csv`; a failed trace ends the
    check with the command and its error."""
    command = [str(binary), "trace", *map(str, arguments), "-q", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"`{shlex.join(command)}` failed:\n{done.stderr}")
    return Path(out) / "flows.csv"


def each(function, items, jobs):
    """`function` of every item, `jobs` at a time, in the items' order."""
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(function, items))
