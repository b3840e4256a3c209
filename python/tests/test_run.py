"""`chokepoint.run` gives the CLI's tables bit for bit, for the same scenario, seed and trials."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

import chokepoint
from conftest import ROOT, SCENARIOS
from frames import assert_identical

PARQUET_TABLES = ("trials", "stage_losses", "bands", "backlog_bands")


def cli_tables(cli, out: Path, *args: str) -> dict[str, pl.DataFrame]:
    cli("run", *args, "--out", str(out), "--quiet", "--format", "json")
    tables = {name: pl.read_parquet(out / f"{name}.parquet") for name in PARQUET_TABLES}
    tables["summary"] = pl.read_csv(out / "summary.csv", infer_schema=False)
    return tables


def check_against_cli(result: chokepoint.RunResult, expected: dict[str, pl.DataFrame]) -> None:
    for name in PARQUET_TABLES:
        assert_identical(getattr(result, name), expected[name], name)
    # summary.csv is text: read it back with the package's types (floats are written in their shortest exact form,
    # so the bits survive the text).
    summary = result.summary
    assert summary.columns == expected["summary"].columns
    assert_identical(summary, expected["summary"].cast(summary.schema, strict=True), "summary")


@pytest.mark.parametrize(
    ("scenario", "args", "mitigations"),
    [
        (None, [], []),
        (SCENARIOS / "mitigations_2025.toml", ["--mitigation", "us_dy_tb_stockpile", "-m", "gbd_thrifting"],
         ["us_dy_tb_stockpile", "gbd_thrifting"]),
        (SCENARIOS / "myanmar_outage.toml", [], []),
    ],
    ids=["embedded", "mitigations", "myanmar-outage"],
)
def test_run_equals_the_cli_bit_for_bit(cli, tmp_path, scenario, args, mitigations):
    path_args = [str(scenario)] if scenario else []
    expected = cli_tables(cli, tmp_path / "out", *path_args, "--trials", "300", "--seed", "42", *args)
    result = chokepoint.run(scenario, trials=300, seed=42, threads=2, mitigations=mitigations)
    check_against_cli(result, expected)
    assert result.trial_count == 300 and result.seed == 42
    assert result.scenario.mitigations == mitigations


def test_results_do_not_depend_on_threads_and_text_equals_path(monkeypatch):
    path = SCENARIOS / "quota_2010.toml"
    one = chokepoint.run(path, trials=130, seed=3, threads=1)
    # Text names its base relative to the current folder.
    monkeypatch.chdir(SCENARIOS)
    text = chokepoint.run(path.read_text(), trials=130, seed=3, threads=3)
    assert text.scenario.origin == "<text>" and one.scenario.origin == str(path)
    assert text.scenario.sha256 == one.scenario.sha256
    for name in (*PARQUET_TABLES, "summary"):
        assert_identical(getattr(text, name), getattr(one, name), name)


def test_tables_reach_pyarrow_through_the_capsule_interface():
    result = chokepoint.run(trials=70, seed=5)
    table = pa.table(result.arrow["trials"])
    assert table.num_rows == result.trials.height == len(result.arrow["trials"])
    assert table.column_names == result.trials.columns == result.arrow["trials"].columns
    assert pl.from_arrow(table).equals(result.trials)
    # The stream can be read again.
    assert pa.table(result.arrow["trials"]).equals(table)


def test_settings_are_checked_as_the_cli_checks_them():
    with pytest.raises(chokepoint.UsageError, match="trials must be between 1"):
        chokepoint.run(trials=0)
    with pytest.raises(chokepoint.UsageError, match="more than the limit of 8 GiB"):
        chokepoint.run(trials=100_000_000)
    with pytest.raises(chokepoint.UsageError, match="1024"):
        chokepoint.run(trials=10, threads=5000)
    with pytest.raises(chokepoint.UsageError, match="no_such_thing"):
        chokepoint.run(SCENARIOS / "mitigations_2025.toml", trials=10, mitigations="no_such_thing")
    # A count of the wrong sign or type is named (the extension's conversion did not say which).
    for counts in ({"trials": -5}, {"seed": -1}, {"threads": -1}):
        (name,) = counts
        with pytest.raises(chokepoint.UsageError, match=f"{name} must be 0 or more"):
            chokepoint.run(**{"trials": 10, **counts})
    with pytest.raises(TypeError, match="trials must be an int, not float"):
        chokepoint.run(trials=1e4)
    with pytest.raises(chokepoint.UsageError, match="samples must be 0 or more"):
        chokepoint.sensitivity(method="sobol", samples=-4, trials=10)


RESERVE = """
[mitigations.dy_reserve]
kind = "stockpile"
description = "a Dy oxide reserve for the magnet maker"
material = "dy_oxide"
serves = ["jp_magnets"]
initial_t = 20
max_release_t_per_week = 2
cost = { one_off_usd = 1e6, per_year_usd = 2.5e5 }
"""


def test_a_file_of_mitigations_applies_as_in_the_cli(cli, tmp_path):
    overlay = tmp_path / "dy_reserve.toml"
    overlay.write_text(RESERVE)
    scenario = ROOT / "tests" / "data" / "valid" / "small_chain_mitigations.toml"
    expected = cli_tables(cli, tmp_path / "out", str(scenario), "-m", str(overlay), "--trials", "200", "--seed", "8")
    result = chokepoint.run(scenario, trials=200, seed=8, mitigations=overlay)
    check_against_cli(result, expected)
    assert result.scenario.mitigations == ["dy_reserve"]
    assert [origin for origin, _ in result.scenario.overlays] == [str(overlay)]
    plain = chokepoint.run(scenario, trials=200, seed=8)
    assert not plain.trials.equals(result.trials), "the reserve changes something"
    compared = chokepoint.compare(scenario, [overlay], trials=50)
    assert compared.option_names == ["dy_reserve"] and compared.scenario.overlays == result.scenario.overlays


def test_settings_are_the_clis_set(cli, tmp_path):
    setting = "disruptions.escalation.duration_weeks=26"
    expected = cli_tables(cli, tmp_path / "out", "--set", setting, "--trials", "200", "--seed", "5")
    result = chokepoint.run(settings=[setting], trials=200, seed=5, threads=2)
    check_against_cli(result, expected)
    assert result.scenario.settings == [setting]
    # The setting changes the run: without it the trials differ.
    plain = chokepoint.run(trials=200, seed=5, threads=2)
    assert plain.scenario.settings == []
    assert not plain.trials.equals(result.trials)
