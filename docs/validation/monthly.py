#!/usr/bin/env python3
"""Monthly means of chosen series of a `chokepoint trace` folder, as a Markdown table (docs/validation.md).

Usage: monthly.py FLOWS_CSV SERIES:NODE[:MATERIAL] ... [--months N] [--every K]

A month is 52/12 weeks, month 1 starting at week 0; each cell is the mean over the month's weeks of the
series' weekly mean across traced trials. Standard library only.
"""
import csv
import sys
from collections import defaultdict

MONTH_WEEKS = 52.0 / 12.0


def monthly_means(path, specs):
    """The monthly means of each `SERIES:NODE[:MATERIAL]` in `specs` of the flows file `path`, as a dict from
    spec to the list of months' means (month 1 first)."""
    weekly = defaultdict(list)  # spec -> [(week, mean)]
    wanted = {}
    for s in specs:
        parts = s.split(":")
        wanted[(parts[0], parts[1], parts[2] if len(parts) > 2 else "")] = s
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            key = (row["series"], row["node"], row["material"])
            if key in wanted:
                weekly[wanted[key]].append((float(row["week"]), float(row["mean"])))
    columns = {}
    for s in specs:
        by_month = defaultdict(list)
        for week, mean in weekly[s]:
            by_month[int(week // MONTH_WEEKS)].append(mean)
        columns[s] = [sum(v) / len(v) for _, v in sorted(by_month.items())]
    return columns


def main(argv):
    months, every, specs, path = None, 1, [], None
    args = iter(argv)
    for a in args:
        if a == "--months":
            months = int(next(args))
        elif a == "--every":
            every = int(next(args))
        elif path is None:
            path = a
        else:
            specs.append(a)
    by_spec = monthly_means(path, specs)
    cols = [by_spec[s] for s in specs]
    n = min(len(c) for c in cols)
    if months:
        n = min(n, months)
    print("| month | " + " | ".join(specs) + " |")
    print("|---:|" + "---:|" * len(specs))
    for m in range(0, n, every):
        print(f"| {m + 1} | " + " | ".join(f"{c[m]:.2f}" for c in cols) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
