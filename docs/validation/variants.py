#!/usr/bin/env python3
"""The table of `quota_2010.toml`'s pieces taken one at a time (docs/validation.md, "Each piece alone").

Usage: variants.py [--binary PATH] [--check | --bless] [--doc PATH] [--jobs N]

Each row is `chokepoint trace scenarios/quota_2010.toml --trials 200 --seed 1` with the row's changes (`--set`
keys, or a copy of the scenario with its markets changed), read as monthly means (`monthly.py`) of the Japanese
and European motor-grade lines and the ex-China SmCo alloy makers (throughput as a share of the same trials
without the quota) and of Dy oxide's price index, over the 36 months of the horizon. The columns:

- lowest (month): the lowest monthly value, rounded to two decimals, and the first month it is reached;
- back (within 1 %): the first month from which the line, rounded to two decimals, stays at 1.00 or above to
  month 36, and in brackets the first month from which it stays at 0.99 or above (within 1 % below normal); when
  it is not back at 1.00 by month 36, "not within 36:" and its month-36 value, with the bracket if it is within
  1 % from some month;
- the Dy price: its highest monthly value and the first month of it, and its value at month 36 ("–" without
  markets).

Without an option it prints the rows; `--check` compares them with the table in the document (exit status 1 and
the differing rows when they differ) and `--bless` writes them into it. Traces run in a scratch folder holding a
copy of `scenarios/`, never in the checkout. Standard library only.
"""
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from monthly import monthly_means  # noqa: E402
from traces import each, scratch_scenarios, trace  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SCENARIO = "quota_2010.toml"
TRACE = ["--trials", "200", "--seed", "1"]
HEADER = "| variant | Japanese line: lowest (month) |"
JP, EU, SMCO, DY = (
    "throughput_index:jp_motor_magnets",
    "throughput_index:eu_motor_magnets",
    "throughput_index:exchina_smco_alloy",
    "price_index:dy_oxide",
)
MONTHS = 36
LEGAL_CUT = "disruptions.export_quota.severity={triangular={min=0.3,mode=0.4,max=0.5}}"
THRIFTED = ["dy_oxide", "tb_oxide", "ndpr_oxide", "ndpr_metal", "sm_oxide", "sm_metal"]


def no_growth(scenarios):
    """`--set` arguments that stop every end use of the default scenario (the quota scenario's base) growing."""
    text = (scenarios / "rare_earths_2025.toml").read_text()
    names = re.findall(r"^\[end_uses\.([a-z0-9_]+)\]", text, flags=re.M)
    return [a for name in names for a in ("--set", f"end_uses.{name}.growth_per_year=0")]


def without_markets(scenarios):
    """A copy of the scenario without its `[markets...]` tables (they end the file), as `quota_2010_nomarkets.toml`."""
    text = (scenarios / SCENARIO).read_text()
    start = re.search(r"^\[markets[.\]]", text, flags=re.M).start()
    rest = text[start:]
    assert not re.search(r"^\[(?!markets[.\]])", rest, flags=re.M), "tables follow [markets] in the scenario"
    copy = scenarios / "quota_2010_nomarkets.toml"
    copy.write_text(text[:start])
    return copy.name


# (label, how to build the trace's arguments from the scratch scenarios folder): the scenario file and extra args.
ROWS = [
    ("2010 graph, legal 30-50 % cut for 156 weeks",
     lambda s: (SCENARIO, ["--set", LEGAL_CUT, "--set", "disruptions.export_quota.duration_weeks=156"])),
    ("2010 graph, cut net of smuggling, for 156 weeks (`duration_weeks=156`)",
     lambda s: (SCENARIO, ["--set", "disruptions.export_quota.duration_weeks=156"])),
    ("the same with no demand growth (every end use's `growth_per_year=0`)",
     lambda s: (SCENARIO, ["--set", "disruptions.export_quota.duration_weeks=156"] + no_growth(s))),
    ("2010 graph, legal 30-50 % cut, binding 56-78 weeks",
     lambda s: (SCENARIO, ["--set", LEGAL_CUT])),
    ("**as shipped**: 2010 graph, cut net of smuggling, binding 56-78 weeks",
     lambda s: (SCENARIO, [])),
    ("as shipped, severity 0.15 (the smuggling reading of China Daily and CREIA)",
     lambda s: (SCENARIO, ["--set", "disruptions.export_quota.severity=0.15"])),
    ("as shipped, severity 0.40 (no leakage)",
     lambda s: (SCENARIO, ["--set", "disruptions.export_quota.severity=0.4"])),
    ("as shipped, binding 56 weeks (to the price peak)",
     lambda s: (SCENARIO, ["--set", "disruptions.export_quota.duration_weeks=56"])),
    ("as shipped, binding 78 weeks (to the end of 2011)",
     lambda s: (SCENARIO, ["--set", "disruptions.export_quota.duration_weeks=78"])),
    ("as shipped, binding 26 weeks (to the end of 2010, as the aggregate customs data alone would allow)",
     lambda s: (SCENARIO, ["--set", "disruptions.export_quota.duration_weeks=26"])),
    ("as shipped, binding 104 weeks (to mid-2012)",
     lambda s: (SCENARIO, ["--set", "disruptions.export_quota.duration_weeks=104"])),
    ("as shipped, no thrifting (oxide and metal `demand_lag_weeks` 100,000)",
     lambda s: (SCENARIO, [a for m in THRIFTED for a in ("--set", f"markets.{m}.demand_lag_weeks=100000")])),
    ("as shipped, markets off",
     lambda s: (without_markets(s), [])),
    ("as shipped, Solvay's Sm stock online as in 2025",
     lambda s: (SCENARIO, ["--set", "stages.fr_solvay_sm_oxide.online_week={uniform={min=32,max=52}}",
                           "--set", "stages.fr_solvay_sm_oxide.ramp_weeks=13"])),
]


def lowest(values):
    rounded = [round(v, 2) for v in values]
    low = min(rounded)
    return f"{low:.2f} ({rounded.index(low) + 1})"


def first_month_staying(rounded, floor):
    """The first month from which every rounded value to month 36 is at least `floor`, or None."""
    month = None
    for m in range(len(rounded), 0, -1):
        if rounded[m - 1] < floor:
            break
        month = m
    return month


def back(values):
    rounded = [round(v, 2) for v in values]
    at_normal, within = first_month_staying(rounded, 1.0), first_month_staying(rounded, 0.99)
    bracket = f" ({within})" if within is not None else ""
    if at_normal is not None:
        return f"{at_normal}{bracket}"
    return f"not within {len(values)}: {values[-1]:.2f}{bracket}"


def price(values):
    if not values:
        return ["–", "–"]
    peak = max(values)
    return [f"{peak:.1f} ({values.index(peak) + 1})", f"{values[-1]:.1f}"]


def row(label, flows):
    series = monthly_means(flows, [JP, EU, SMCO, DY])
    for spec in (JP, EU, SMCO):
        if len(series[spec]) < MONTHS:
            raise SystemExit(f"{flows}: {spec} has {len(series[spec])} months, not {MONTHS}")
    jp, eu, smco = (series[s][:MONTHS] for s in (JP, EU, SMCO))
    cells = [label, lowest(jp), back(jp), back(eu), back(smco)] + price(series[DY][:MONTHS])
    return "| " + " | ".join(cells) + " |"


def compute(binary, jobs):
    with tempfile.TemporaryDirectory(prefix="variants-") as scratch:
        scenarios = scratch_scenarios(scratch)
        runs = [(label, *build(scenarios)) for label, build in ROWS]

        def run(i):
            label, scenario, extra = runs[i]
            flows = trace(binary, [scenarios / scenario, *TRACE, *extra], Path(scratch) / f"row{i}")
            return row(label, flows)

        return each(run, range(len(runs)), jobs)


def table_rows(lines):
    """Indices of the document's variant rows that this script computes: the table's rows after its first (an
    earlier version of the scenario, kept for comparison and not re-run)."""
    start = next(i for i, line in enumerate(lines) if line.startswith(HEADER))
    end = start + 2
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return list(range(start + 3, end))


def main(argv):
    binary, mode, doc, jobs = REPO / "target/release/chokepoint", "print", REPO / "docs/validation.md", 2
    args = iter(argv)
    for a in args:
        if a == "--binary":
            binary = Path(next(args)).resolve()
        elif a in ("--check", "--bless"):
            mode = a[2:]
        elif a == "--doc":
            doc = Path(next(args))
        elif a == "--jobs":
            jobs = int(next(args))
        else:
            raise SystemExit(__doc__)
    rows = compute(binary, jobs)
    if mode == "print":
        print("\n".join(rows))
        return 0
    lines = doc.read_text().split("\n")
    where = table_rows(lines)
    if len(where) != len(rows):
        print(f"{doc}: the variants' table has {len(where)} computed rows, this script {len(rows)}", file=sys.stderr)
        return 1
    if mode == "bless":
        for i, text in zip(where, rows):
            lines[i] = text
        doc.write_text("\n".join(lines))
        return 0
    differ = [(i, lines[i], text) for i, text in zip(where, rows) if lines[i] != text]
    for i, old, new in differ:
        print(f"{doc}:{i + 1}: the document has\n  {old}\nthe trace gives\n  {new}", file=sys.stderr)
    if differ:
        print(f"{len(differ)} rows differ; `python3 {Path(__file__).relative_to(REPO)} --bless` writes them",
              file=sys.stderr)
    print(f"{doc.name}: the variants' table, {len(rows)} rows from {len(rows)} traces, {len(differ)} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
