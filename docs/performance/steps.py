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

Needs valgrind, objdump and addr2line (binutils). Takes about a minute after the build. Standard library only.
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
    print("self-test passed")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="scenarios/rare_earths_2025.toml")
    parser.add_argument("--trials", type=int, default=64)
    parser.add_argument("--binary", help="a chokepoint-instructions built with line tables (default: build one)")
    parser.add_argument("--depth", type=int, default=1, help="levels of functions below the step (default 1)")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return
    binary = args.binary
    if binary is None:
        subprocess.run(["cargo", "build", "--locked", "--quiet", "--profile", "profiling", "-p",
                        "chokepoint-instructions"], cwd=REPO, check=True)
        binary = str(REPO / "target/profiling/chokepoint-instructions")
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "callgrind.out"
        subprocess.run(["valgrind", "--tool=callgrind", "--dump-instr=yes", f"--callgrind-out-file={out}", binary,
                        args.scenario, str(args.trials)], cwd=REPO, check=True, capture_output=True)
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
        kinds[kind(*instructions.get(address, ("?", "")))] += cost[address]
    inside = sum(steps.values())
    print(f"{args.scenario}, {args.trials} trials: {inside / args.trials:,.0f} instructions per trial in the trials' "
          f"steps\n({outside:,} in all outside them: loading the scenario, starting the pool)\n")
    print(f"{'step':<66} {'per trial':>12} {'share':>7}")
    for step, count in steps.most_common():
        if count / inside >= 0.001:
            print(f"{step:<66} {count / args.trials:>12,.0f} {100 * count / inside:>6.1f}%")
    print(f"\n{'kind of instruction (in the steps)':<66} {'':>12} {'share':>7}")
    for name, count in kinds.most_common():
        print(f"{name:<66} {'':>12} {100 * count / inside:>6.1f}%")


if __name__ == "__main__":
    sys.exit(main())
