#!/usr/bin/env python3
"""Where the engine's instructions go: callgrind's count of every instruction, attributed to the model's steps.

Usage: steps.py [--scenario PATH] [--trials N] [--binary PATH] [--depth D]
       steps.py --self-test

Builds `chokepoint-instructions` with the `profiling` profile (release code with line tables), unless `--binary`
names one, and runs it under valgrind's callgrind on one thread (`--trials` trials of `--scenario`, by default 64
of scenarios/rare_earths_2025.toml, as `.ci/instructions` does). The period loop is inlined into one function, so
callgrind's per-function totals cannot tell its steps apart; instead every executed instruction's inline chain
(`addr2line -i`) is followed out to the outermost function of `crates/engine/src/trial.rs` (or `trial/*.rs`,
`runner.rs`) below `simulate_group` and `period`: the step of `docs/model.md` it belongs to (`capacity`,
`orders_upstream`, `production_and_shipping`, ...), and with `--depth 2` the function within that step
(`ship`, `export_controls`, an `arrivals.rs` function). Instructions with no such frame (loading the scenario,
starting the pool) are counted apart. It prints each step's instructions per trial and share of the trials'
instructions, then the kinds of those instructions: 256-bit vector, other vector or scalar floating point,
moves and address arithmetic, compares and branches, other integer.

With `--time`, the same attribution of where the time goes rather than the instructions: `perf record -e
cpu-clock` samples the run (the kernel's clock, which works where a virtual machine hides the hardware counters),
3,000 trials unless `--trials` says otherwise, and each step's share of the samples and its microseconds per trial
are printed. Instructions repeat exactly from run to run; samples do not, and a sample lands on the instruction
after one that waited, so read shares of the time to about a percentage point.

Needs valgrind, objdump and addr2line (binutils), and perf for `--time`. Takes about a minute after the build.
Standard library only.
"""
import argparse
import collections
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ENGINE = "crates/engine/src/"
# Frames that wrap the steps rather than being one.
WRAPPERS = {"simulate_group", "period", "with_simd", "simulate_lanes", "simulate"}
FN = re.compile(r"^(?: {0,4})(?:pub(?:\([a-z]+\))? )?fn (\w+)")


def parse_callgrind(text, object_name):
    """Self cost per instruction address of `object_name`, from callgrind output written with --dump-instr=yes.

    Positions are `instr line`; an address is absolute (0x...), relative to the previous one (+N, -N) or the same
    (*). The line after a `calls=` line is the inclusive cost of a call, not the caller's own, and is skipped.
    """
    objects, current, last, after_call = {}, None, 0, False
    cost = collections.Counter()
    for line in text.splitlines():
        if line.startswith("ob="):
            m = re.match(r"ob=\((\d+)\)(?: (.*))?", line)
            if m.group(2):
                objects[m.group(1)] = m.group(2)
            current = objects.get(m.group(1), "")
            continue
        if line.startswith("calls="):
            after_call = True
            continue
        if not line or line[0] not in "0123456789+-*":
            continue
        parts = line.split()
        token = parts[0]
        if token == "*":
            address = last
        elif token[0] in "+-":
            step = int(token[1:], 16) if token[1:].startswith("0x") else int(token[1:])
            address = last + step if token[0] == "+" else last - step
        else:
            address = int(token, 16) if token.startswith("0x") else int(token)
        last = address
        if after_call:
            after_call = False
            continue
        if current.endswith(object_name) and len(parts) >= 3:
            cost[address] += int(parts[2])
    return cost


def kind(mnemonic, operands):
    """The kind of one instruction, as objdump (AT&T syntax) prints it."""
    if "ymm" in operands:
        return "256-bit vector"
    if "xmm" in operands:
        return "128-bit vector or scalar floating point"
    if mnemonic.startswith("j"):
        return "compares and branches"
    if mnemonic.startswith(("cmp", "test")):
        return "compares and branches"
    if mnemonic.startswith(("mov", "lea", "push", "pop")):
        return "moves and address arithmetic"
    return "other integer"


def functions_of(path):
    """The function each line of a source file is in: the nearest `fn` above it, at item or impl indentation."""
    names, current = {}, None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = FN.match(line)
        if m:
            current = m.group(1)
        names[number] = current
    return names


def step_of(chain, sources, depth):
    """The step an inline chain (innermost frame first, `file:line` each) belongs to, or None outside the engine."""
    frames = []
    for frame in chain:
        m = re.match(r"(.*/" + re.escape(ENGINE) + r"(.*\.rs)):(\d+)", frame)
        if not m:
            continue
        path, short, line = Path(m.group(1)), m.group(2), int(m.group(3))
        if path not in sources:
            sources[path] = functions_of(path) if path.exists() else {}
        name = sources[path].get(line)
        if name is None or name in WRAPPERS:
            continue
        module = short.removesuffix(".rs").replace("/", "::")
        frames.append(name if module == "trial" else f"{module}::{name}")
    # Only work done for a trial: the outermost frame in the trial's code or the runner's (the plan's compilation
    # and the parameters' samplers, built once when the scenario loads, are not).
    if not frames or not frames[-1].startswith(("trial::", "runner::")) and "::" in frames[-1]:
        return None
    outer = frames[::-1]
    # The same function inlined into itself (a helper called twice) is one level.
    levels = [name for i, name in enumerate(outer) if i == 0 or name != outer[i - 1]]
    return " > ".join(levels[:depth])


def load_segments(readelf_text):
    """The loadable segments of `readelf -lW` output, as (file offset, virtual address, size in the file)."""
    segments = []
    for line in readelf_text.splitlines():
        fields = line.split()
        if fields and fields[0] == "LOAD":
            segments.append((int(fields[1], 16), int(fields[2], 16), int(fields[4], 16)))
    return segments


def parse_perf_samples(script_text, binary_path, segments):
    """Samples per virtual address of `binary_path`, from `perf script -F ip,dso --show-mmap-events` output: a
    sample's address in memory is turned into a file offset through the binary's executable mapping, and that into
    the address objdump and addr2line use through the segment holding it. Returns (samples by address, samples
    elsewhere: the kernel, the C library)."""
    mappings, samples, elsewhere = [], collections.Counter(), 0
    mmap = re.compile(r"PERF_RECORD_MMAP2? .*\[0x([0-9a-f]+)\((0x[0-9a-f]+)\) @ (0x[0-9a-f]+|0) .*\]: r-xp (\S+)")
    for line in script_text.splitlines():
        m = mmap.search(line)
        if m:
            if m.group(4) == binary_path:
                mappings.append((int(m.group(1), 16), int(m.group(2), 16), int(m.group(3), 16)))
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[1].startswith("("):
            continue
        ip, dso = int(fields[0], 16), fields[1].strip("()")
        if dso != binary_path:
            elsewhere += 1
            continue
        for start, size, offset in mappings:
            if start <= ip < start + size:
                at = ip - start + offset
                for file_offset, address, length in segments:
                    if file_offset <= at < file_offset + length:
                        samples[at - file_offset + address] += 1
                        break
                break
    return samples, elsewhere


def self_test():
    text = "\n".join([
        "positions: instr line",
        "events: Ir",
        "ob=(1) /x/chokepoint-instructions",
        "fn=(1) f",
        "0x10 3 5",
        "+2 * 7",
        "* * 1",
        "calls=1 0x99 0",
        "+4 0 1000",
        "-1 0 2",
        "ob=(2) /lib/libc.so.6",
        "0x20 1 9",
        "ob=(1)",
        "0x30 1 4",
    ])
    cost = parse_callgrind(text, "chokepoint-instructions")
    assert cost == {0x10: 5, 0x12: 8, 0x15: 2, 0x30: 4}, cost
    assert kind("vaddpd", "%ymm1,%ymm2,%ymm3") == "256-bit vector"
    assert kind("vaddsd", "%xmm1,%xmm2,%xmm3") == "128-bit vector or scalar floating point"
    assert kind("jae", "1234 <f+0x10>") == "compares and branches"
    assert kind("lea", "(%rax,%rbx,8),%rcx") == "moves and address arithmetic"
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / ENGINE / "trial.rs"
        source.parent.mkdir(parents=True)
        source.write_text("fn period() {\n    ship();\n}\nfn ship() {\n    x\n}\nfn export_controls() {\n    y\n}\n")
        chain = [f"{source}:8", f"{source}:5", f"{source}:2", "/rustc/core/src/iter.rs:10"]
        assert step_of(chain, {}, 1) == "ship"
        assert step_of(chain, {}, 2) == "ship > export_controls"
        assert step_of(["/rustc/core/src/iter.rs:10"], {}, 1) is None
        plan = Path(scratch) / ENGINE / "plan.rs"
        plan.write_text("fn compile() {\n    x\n}\n")
        assert step_of([f"{source}:5", f"{plan}:2"], {}, 1) is None
    segments = load_segments(
        "  LOAD 0x000000 0x0000000000000000 0x0000000000000000 0x0719e0 0x0719e0 R   0x1000\n"
        "  LOAD 0x0719e0 0x00000000000729e0 0x00000000000729e0 0x238000 0x238000 R E 0x1000\n")
    assert segments == [(0, 0, 0x719E0), (0x719E0, 0x729E0, 0x238000)], segments
    script = "\n".join([
        " x 1 1.0: PERF_RECORD_MMAP2 1/1: [0x5632a95a7000(0x239000) @ 0x71000 fe:00 5 6]: "
        "r-xp /b/chokepoint-instructions",
        " x 1 1.0: PERF_RECORD_MMAP2 1/1: [0x7f0000000000(0x1000) @ 0 fe:00 5 6]: r-xp /lib/libc.so.6",
        "     5632a95a79e0 (/b/chokepoint-instructions)",
        "     5632a95a79e0 (/b/chokepoint-instructions)",
        "     7f0000000010 (/lib/libc.so.6)",
        " ffffffff8161bd47 ([kernel.kallsyms])",
    ])
    samples, elsewhere = parse_perf_samples(script, "/b/chokepoint-instructions", segments)
    # 0x5632a95a79e0 is 0x9e0 into the mapping of file offset 0x71000: offset 0x719e0, the text's first address.
    assert samples == {0x729E0: 2} and elsewhere == 2, (samples, elsewhere)
    print("self-test passed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="scenarios/rare_earths_2025.toml")
    parser.add_argument("--trials", type=int, help="trials (default 64, or 3,000 with --time)")
    parser.add_argument("--binary", help="a chokepoint-instructions built with line tables (default: build one)")
    parser.add_argument("--depth", type=int, default=1, help="levels of functions below the step (default 1)")
    parser.add_argument("--time", action="store_true", help="where the time goes (perf samples), not instructions")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return
    trials = args.trials or (3000 if args.time else 64)
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--locked", "--quiet", "--profile", "profiling", "-p",
                        "chokepoint-instructions"], cwd=REPO, check=True)
        binary = str(REPO / "target/profiling/chokepoint-instructions")
    binary = str(Path(binary).resolve())
    frequency = 4000
    with tempfile.TemporaryDirectory() as scratch:
        if args.time:
            data = Path(scratch) / "perf.data"
            subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", str(frequency), "-o", str(data), binary,
                            args.scenario, str(trials)], cwd=REPO, check=True, capture_output=True)
            script = subprocess.run(["perf", "script", "-i", str(data), "-F", "ip,dso", "--show-mmap-events"],
                                    capture_output=True, text=True, check=True).stdout
            segments = load_segments(subprocess.run(["readelf", "-lW", binary], capture_output=True, text=True,
                                                    check=True).stdout)
            cost, _ = parse_perf_samples(script, binary, segments)
        else:
            out = Path(scratch) / "callgrind.out"
            subprocess.run(["valgrind", "--tool=callgrind", "--dump-instr=yes", f"--callgrind-out-file={out}",
                            binary, args.scenario, str(trials)], cwd=REPO, check=True, capture_output=True)
            cost = parse_callgrind(out.read_text(), Path(binary).name)
    disassembly = subprocess.run(["objdump", "-d", "--no-show-raw-insn", binary], capture_output=True, text=True,
                                 check=True).stdout
    instructions = {}
    for line in disassembly.splitlines():
        m = re.match(r"\s+([0-9a-f]+):\s+(\S+)\s*(.*)", line)
        if m:
            instructions[int(m.group(1), 16)] = (m.group(2), m.group(3))
    addresses = sorted(cost)
    located = subprocess.run(["addr2line", "-i", "-a", "-e", binary] + [hex(a) for a in addresses],
                             capture_output=True, text=True, check=True).stdout
    chains, current = {}, None
    for line in located.splitlines():
        if line.startswith("0x"):
            current = int(line, 16)
            chains[current] = []
        elif current is not None:
            chains[current].append(line)
    sources, steps, kinds = {}, collections.Counter(), collections.Counter()
    outside = 0
    for address in addresses:
        step = step_of(chains.get(address, []), sources, args.depth)
        if step is None:
            outside += cost[address]
            continue
        steps[step] += cost[address]
        if not args.time:
            kinds[kind(*instructions.get(address, ("?", "")))] += cost[address]
    inside = sum(steps.values())
    if args.time:
        # A sample stands for 1/frequency seconds of one thread's time.
        per_trial = 1e6 / frequency / trials
        print(f"{args.scenario}, {trials} trials: {inside * per_trial:,.0f} µs per trial in the trials' steps "
              f"({inside:,} samples)\n({outside:,} samples outside them: loading the scenario, the pool)\n")
        print(f"{'step':<66} {'µs a trial':>12} {'share':>7}")
    else:
        per_trial = 1 / trials
        print(f"{args.scenario}, {trials} trials: {inside * per_trial:,.0f} instructions per trial in the trials' "
              f"steps\n({outside:,} in all outside them: loading the scenario, starting the pool)\n")
        print(f"{'step':<66} {'per trial':>12} {'share':>7}")
    for step, count in steps.most_common():
        if count / inside >= 0.001:
            figure = f"{count * per_trial:>12,.1f}" if args.time else f"{count * per_trial:>12,.0f}"
            print(f"{step:<66} {figure} {100 * count / inside:>6.1f}%")
    if args.time:
        return
    print(f"\n{'kind of instruction (in the steps)':<66} {'':>12} {'share':>7}")
    for name, count in kinds.most_common():
        print(f"{name:<66} {'':>12} {100 * count / inside:>6.1f}%")


if __name__ == "__main__":
    sys.exit(main())
