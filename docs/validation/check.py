#!/usr/bin/env python3
"""Checks the monthly tables of docs/validation.md against fresh traces, and (with variants.py) its variants' table.

Usage: check.py [--binary PATH] [--doc PATH] [--bless] [--jobs N]
       check.py --self-test

A table is checked when a marker precedes it (blank lines between are allowed):

    <!-- validation-columns: COL=NAME:SERIES:NODE[:MATERIAL] ... -->

COL is a 1-based column of the table, NAME the last part of the `--out out/validation/NAME` folder of a
`cargo run --release -- trace ...` command in one of the page's code blocks, and the rest a series of that trace as
`monthly.py` reads it. Each data row's month is the number its first cell starts with; the cell must be the
series' mean over that month, to two decimals, as `monthly.py` prints it. Columns not named (history) are left
alone. Each trace named runs once, with the page's arguments, in a scratch folder holding a copy of `scenarios/`.
A difference prints the cell, the page's value and the trace's, and the exit status is 1; `--bless` writes the
traces' values into the page instead. A malformed marker or a trace the page does not define is an error naming
the line. The variants' table is `variants.py`'s, run with `--check` (or `--bless`) after the monthly tables.
Standard library only.
"""
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monthly import monthly_means  # noqa: E402
from traces import each, scratch_scenarios, trace  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- validation-columns: (.*) -->$")
TRACE = "cargo run --release -- trace "


class PageError(Exception):
    """A problem with the page itself (a marker, a table, a trace it does not define), with its line."""


def traces(lines):
    """The page's trace commands, by the name of their output folder: {name: arguments after `trace`}."""
    found, in_block, command = {}, False, ""
    for line in lines:
        if line.startswith("```"):
            in_block = not in_block
            continue
        if not in_block:
            continue
        command += line.rstrip("\\").rstrip() + " " if line.endswith("\\") else line
        if line.endswith("\\"):
            continue
        if command.startswith(TRACE):
            args = shlex.split(command[len(TRACE):])
            out = args.index("--out")
            name = Path(args[out + 1]).name
            found[name] = args[:out] + args[out + 2:]
        command = ""
    return found


def tables(lines):
    """Each marked table: (marker line index, {column: (trace, spec)}, [(row line index, month, cells)])."""
    found = []
    for i, line in enumerate(lines):
        m = MARKER.match(line.strip())
        if not m:
            if line.strip().startswith("<!-- validation-columns"):
                raise PageError(f"line {i + 1}: a marker is `<!-- validation-columns: COL=NAME:SERIES:NODE ... -->`")
            continue
        columns = {}
        for item in m.group(1).split():
            col, _, rest = item.partition("=")
            name, _, spec = rest.partition(":")
            if not col.isdigit() or not name or spec.count(":") not in (1, 2):
                raise PageError(f"line {i + 1}: `{item}` is not COL=NAME:SERIES:NODE[:MATERIAL]")
            columns[int(col)] = (name, spec)
        j = i + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        if j + 1 >= len(lines) or not lines[j].startswith("|") or not lines[j + 1].startswith("|-"):
            raise PageError(f"line {i + 1}: no Markdown table follows the marker")
        rows = []
        j += 2
        while j < len(lines) and lines[j].startswith("|"):
            cells = [c.strip() for c in lines[j].strip().strip("|").split("|")]
            month = re.match(r"\d+", cells[0])
            if not month:
                raise PageError(f"line {j + 1}: the first cell `{cells[0]}` does not start with a month")
            rows.append((j, int(month.group()), cells))
            j += 1
        found.append((i, columns, rows))
    return found


def run_traces(binary, arguments, names, scratch, jobs):
    """The flows file of each trace named, run with the page's arguments (`scenarios/...` read from the scratch
    copy)."""
    scenarios = scratch_scenarios(scratch)

    def run(name):
        args = [scenarios / a[len("scenarios/"):] if a.startswith("scenarios/") else a for a in arguments[name]]
        return name, trace(binary, args, Path(scratch) / name)

    return dict(each(run, sorted(names), jobs))


def compare(lines, marked, flows, bless):
    """Differences between the page's cells and the traces' (line index, column, page, trace); with `bless`, the
    page's lines are changed in place instead."""
    differ = []
    for _, columns, rows in marked:
        means = {}
        for name, spec in columns.values():
            means.setdefault(name, set()).add(spec)
        series = {name: monthly_means(flows[name], sorted(specs)) for name, specs in means.items()}
        for j, month, cells in rows:
            for col, (name, spec) in columns.items():
                values = series[name][spec]
                want = f"{values[month - 1]:.2f}" if month <= len(values) else "(no such month)"
                if cells[col - 1] != want:
                    differ.append((j, col, cells[col - 1], want))
                    cells[col - 1] = want
            if bless:
                lines[j] = "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"
    return differ


def self_test():
    """The checker finds a changed cell and names a malformed marker's line."""
    page = [
        "```",
        "cargo run --release -- trace scenarios/x.toml --trials 2 \\",
        "  --seed 1 --out out/validation/x",
        "```",
        "", "<!-- validation-columns: 2=x:share_met:e 3=x:price_index:m -->", "",
        "| month | share | price | history |", "|---:|---:|---:|---:|", "| 1 (Apr) | 0.50 | 1.25 | 7 |",
        "| 2 | 0.75 | 2.00 | |",
    ]
    assert traces(page) == {"x": ["scenarios/x.toml", "--trials", "2", "--seed", "1"]}, traces(page)
    marked = tables(page)
    assert [(i, c) for i, c, _ in marked] == [(5, {2: ("x", "share_met:e"), 3: ("x", "price_index:m")})], marked
    with tempfile.TemporaryDirectory() as scratch:
        flows = Path(scratch) / "flows.csv"
        rows = ["series,node,material,week,mean,p5,p50,p95"]
        for week in range(9):
            rows.append(f"share_met,e,,{week},{0.5 if week < 5 else 0.75},0,0,0")
            rows.append(f"price_index,m,,{week},{1.25 if week < 5 else 2.0},0,0,0")
        flows.write_text("\n".join(rows) + "\n")
        assert compare(list(page), tables(page), {"x": flows}, bless=False) == []
        changed = list(page)
        changed[10] = "| 2 | 0.75 | 2.01 | |"
        assert compare(changed, tables(changed), {"x": flows}, bless=False) == [(10, 3, "2.01", "2.00")]
        compare(changed, tables(changed), {"x": flows}, bless=True)
        assert changed == page, changed
    for bad in ("<!-- validation-columns: two=x:a:b -->", "<!-- validation-columns 2=x:a:b -->"):
        try:
            tables(["", bad])
        except PageError as error:
            assert str(error).startswith("line 2:"), error
        else:
            raise AssertionError(f"{bad} was accepted")
    print("check.py self-test: ok")


def main(argv):
    binary, doc, bless, jobs = REPO / "target/release/chokepoint", REPO / "docs/validation.md", False, 2
    args = iter(argv)
    for a in args:
        if a == "--binary":
            binary = Path(next(args)).resolve()
        elif a == "--doc":
            doc = Path(next(args)).resolve()
        elif a == "--bless":
            bless = True
        elif a == "--jobs":
            jobs = int(next(args))
        elif a == "--self-test":
            self_test()
            return 0
        else:
            raise SystemExit(__doc__)
    lines = doc.read_text().split("\n")
    try:
        arguments, marked = traces(lines), tables(lines)
        if not marked:
            raise PageError("no marked table")
        names = {name for _, columns, _ in marked for name, _ in columns.values()}
        for i, columns, _ in marked:
            for name, _ in columns.values():
                if name not in arguments:
                    raise PageError(f"line {i + 1}: no trace on the page writes out/validation/{name}")
    except PageError as error:
        print(f"{doc}: {error}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="validation-") as scratch:
        flows = run_traces(binary, arguments, names, Path(scratch), jobs)
        differ = compare(lines, marked, flows, bless)
    if bless:
        doc.write_text("\n".join(lines))
    else:
        for j, col, page, trace in differ:
            print(f"{doc}:{j + 1}: column {col}: the page has {page}, the trace gives {trace}", file=sys.stderr)
        if differ:
            print(f"{len(differ)} cells differ; `python3 docs/validation/check.py --bless` writes them",
                  file=sys.stderr)
    cells = sum(len(columns) * len(rows) for _, columns, rows in marked)
    print(f"{doc.name}: {len(marked)} monthly tables, {cells} cells from {len(names)} traces"
          + (", written" if bless else f", {len(differ)} differ"))
    variants = [sys.executable, str(Path(__file__).with_name("variants.py")), "--binary", str(binary),
                "--doc", str(doc), "--jobs", str(jobs), "--bless" if bless else "--check"]
    status = subprocess.run(variants).returncode
    return 1 if (differ and not bless) or status != 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
