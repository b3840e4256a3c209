#!/usr/bin/env python3
"""The CLI's speed and memory targets, measured: `chokepoint run` timed and sampled, binaries alternating.

Usage: cli.py [--trials N] [--runs R] [--scenario PATH] [--threads J] [--every SECONDS] BINARY [BINARY ...]
       cli.py --self-test

Runs `BINARY run [SCENARIO] --trials N --quiet --out DIR` R times for each binary given, the binaries alternating
(on a shared machine, a ratio between versions measured in the same minutes is worth more than any one timing),
each in a fresh scratch folder deleted after. For every run it records the wall time, the CPU time (user and
system, of the process and its threads), the peak resident memory as the kernel counts it (`ru_maxrss`, what
`/usr/bin/time -v` prints as "Maximum resident set size"), and from `run.json` the seconds spent simulating
(`simulation_s`) and so the seconds after the last batch (`wall_time_s - simulation_s`: the last batch's files, the
summaries, the report). Every `--every` seconds it samples `/proc/PID/status`, and reports the highest resident
memory (`VmRSS`) while simulating and after, the phase that sets the peak. It prints each run, then each binary's
median and range, and each binary's median wall time over the first's. Peak memory includes the binary's own
mapped pages: two copies of the same file measured 47 and 51 MiB at 2,000 trials, so read differences of a few MiB
as noise.

The targets (README.md, "Performance"): 100,000 trials of the default scenario in under 5 s of wall time
(`--trials 100000`), and 10,000,000 trials within 1 GiB (`--trials 10000000 --runs 1`, half an hour here).
Standard library only; Linux (it reads /proc).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MIB = 1024 * 1024


def resident_bytes(status_text):
    """`VmRSS` of a `/proc/PID/status` text, in bytes, or None when the process has none (a zombie)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            number, unit = line.split()[1:3]
            assert unit == "kB", line
            return int(number) * 1024
    return None


def phases(samples, simulation_s):
    """The highest resident memory while simulating and after, from `(seconds since start, bytes)` samples; a
    phase without a sample is None. The first `simulation_s` seconds of a run are counted as simulating (loading
    the scenario, a fraction of a second, with them)."""
    during = [b for s, b in samples if s <= simulation_s]
    after = [b for s, b in samples if s > simulation_s]
    return (max(during) if during else None, max(after) if after else None)


def measure(binary, scenario, trials, threads, every):
    """One run of `binary`: a dict of its figures. Fails with the run's own stderr if it does not succeed."""
    scratch = Path(tempfile.mkdtemp(prefix="chokepoint-cli-"))
    try:
        command = [binary, "run"] + ([scenario] if scenario else [])
        command += ["--trials", str(trials), "--quiet", "--out", str(scratch / "out")]
        if threads:
            command += ["--threads", str(threads)]
        with open(scratch / "stderr", "w+b") as stderr:
            start = time.monotonic()
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
            samples, done = [], threading.Event()

            def sample():
                # Every `every` seconds until the run ends; a process gone (or a zombie) gives no sample.
                while not done.wait(every):
                    try:
                        resident = resident_bytes(Path(f"/proc/{process.pid}/status").read_text())
                    except OSError:
                        resident = None
                    if resident is not None:
                        samples.append((time.monotonic() - start, resident))

            sampler = threading.Thread(target=sample)
            sampler.start()
            # The child's own resource usage (`wait4`), not that of every child this script has waited for.
            _, status, usage = os.wait4(process.pid, 0)
            wall = time.monotonic() - start
            done.set()
            sampler.join()
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode != 0:
                stderr.seek(0)
                raise RuntimeError(f"{' '.join(command)} exited with {process.returncode}:\n"
                                   f"{stderr.read().decode(errors='replace')}")
        reports = sorted((scratch / "out").rglob("run.json"))
        if len(reports) != 1:
            raise RuntimeError(f"expected one run.json under {scratch / 'out'}, found {len(reports)}")
        report = json.loads(reports[0].read_text())
        during, after = phases(samples, report["simulation_s"])
        return {
            "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss * 1024 / MIB,
            "simulation_s": report["simulation_s"],
            "after_s": report["wall_time_s"] - report["simulation_s"],
            "simulating_mib": during / MIB if during is not None else None,
            "after_mib": after / MIB if after is not None else None,
        }
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# Figure, title, format. "sim" is the simulation (`simulation_s`), "after" what follows it; RSS the highest
# resident memory sampled in that phase.
COLUMNS = [("wall_s", "wall s", "{:.2f}"), ("cpu_s", "CPU s", "{:.2f}"), ("peak_mib", "peak MiB", "{:.0f}"),
           ("simulation_s", "sim s", "{:.2f}"), ("after_s", "after s", "{:.2f}"),
           ("simulating_mib", "RSS sim MiB", "{:.0f}"), ("after_mib", "after MiB", "{:.0f}")]
WIDTH, LABEL = 12, 20


def cell(value, form):
    return "-" if value is None else form.format(value)


def row(label, figures):
    return f"{label:<{LABEL}}" + "".join(f" {cell(figures.get(key), form):>{WIDTH - 1}}" for key, _, form in COLUMNS)


def summary(runs):
    """Per figure, the median over the runs and the range, as two rows' worth of dicts."""
    medians, ranges = {}, {}
    for key, _, form in COLUMNS:
        values = [r[key] for r in runs if r[key] is not None]
        if values:
            medians[key] = statistics.median(values)
            ranges[key] = f"{form.format(min(values))}-{form.format(max(values))}"
    return medians, ranges


def self_test():
    status = "Name:\tchokepoint\nVmHWM:\t  300000 kB\nVmRSS:\t  123456 kB\nRssAnon:\t 100 kB\n"
    assert resident_bytes(status) == 123456 * 1024
    assert resident_bytes("Name:\tzombie\nState:\tZ (zombie)\n") is None
    assert phases([(0.5, 10), (1.0, 30), (2.0, 20), (3.0, 25)], 1.5) == (30, 25)
    assert phases([(0.5, 10)], 1.5) == (10, None)
    medians, ranges = summary([{k: v for k, v in zip([c[0] for c in COLUMNS], [3, 6, 100, 2, 1, None, 5])},
                               {k: v for k, v in zip([c[0] for c in COLUMNS], [1, 2, 300, 1, 0, None, 7])}])
    assert medians["wall_s"] == 2 and ranges["peak_mib"] == "100-300" and "simulating_mib" not in medians
    # A stand-in binary: writes a run.json as `chokepoint run` does, holding some memory for a moment.
    with tempfile.TemporaryDirectory() as scratch:
        fake = Path(scratch) / "fake-chokepoint"
        fake.write_text(
            f"#!{sys.executable}\n"
            "import json, sys, time, pathlib\n"
            "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1]) / 'scenario'\n"
            "out.mkdir(parents=True)\n"
            "held = b'x' * (64 * 1024 * 1024)\n"
            "time.sleep(0.3)\n"
            "(out / 'run.json').write_text(json.dumps({'simulation_s': 0.2, 'wall_time_s': 0.3}))\n"
        )
        fake.chmod(0o755)
        figures = measure(str(fake), None, 10, None, 0.05)
        assert figures["peak_mib"] >= 64, figures
        assert abs(figures["after_s"] - 0.1) < 1e-9, figures
        assert figures["wall_s"] >= 0.3, figures
        failing = Path(scratch) / "failing"
        failing.write_text("#!/bin/sh\necho refused >&2\nexit 2\n")
        failing.chmod(0o755)
        try:
            measure(str(failing), None, 10, None, 0.05)
        except RuntimeError as error:
            assert "exited with 2" in str(error) and "refused" in str(error), error
        else:
            raise AssertionError("a failing run was not reported")
    print("self-test passed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binaries", nargs="*", metavar="BINARY")
    parser.add_argument("--trials", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each binary, alternating (default 3)")
    parser.add_argument("--scenario", help="a scenario file (default: the embedded default scenario)")
    parser.add_argument("--threads", type=int, help="--threads for the runs (default: the binary's)")
    parser.add_argument("--every", type=float, default=0.5, help="seconds between memory samples (default 0.5)")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return 0
    if not args.binaries:
        parser.error("name at least one binary (e.g. target/release/chokepoint)")
    print(f"chokepoint run, {args.trials:,} trials, {args.scenario or 'the default scenario'}, "
          f"{args.runs} runs of each binary, alternating; load average {os.getloadavg()[0]:.1f}")
    print(f"{'':<{LABEL}}" + "".join(f" {title:>{WIDTH - 1}}" for _, title, _ in COLUMNS))
    runs = {binary: [] for binary in args.binaries}
    for round_ in range(args.runs):
        for binary in args.binaries:
            figures = measure(binary, args.scenario, args.trials, args.threads, args.every)
            runs[binary].append(figures)
            print(row(f"{Path(binary).name[:LABEL - 4]} #{round_ + 1}", figures), flush=True)
    print()
    first = None
    for binary in args.binaries:
        medians, ranges = summary(runs[binary])
        print(f"{binary}")
        print(row("  median", medians))
        if len(runs[binary]) > 1:
            print(f"{'  range':<{LABEL}}" + "".join(f" {ranges.get(key, '-'):>{WIDTH - 1}}" for key, _, _ in COLUMNS))
        if first is None:
            first = medians
        else:
            print(f"  median wall time {medians['wall_s'] / first['wall_s']:.3f}x the first binary's")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
