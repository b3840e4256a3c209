"""compare, size_stockpile, optimize, sweep, sensitivity and worlds give the CLI's answers for the same scenario,
seed and trials."""

from __future__ import annotations

import json

import polars as pl
import pytest

import chokepoint
from conftest import SCENARIOS
from frames import assert_identical

MITIGATIONS = SCENARIOS / "mitigations_2025.toml"


def test_compare_equals_the_cli(cli, tmp_path):
    out = tmp_path / "compare"
    cli("compare", str(MITIGATIONS), "-m", "us_dy_tb_stockpile", "-m", "gbd_thrifting", "-n", "200", "-s", "4",
        "-q", "-o", str(out))
    result = chokepoint.compare(MITIGATIONS, ["us_dy_tb_stockpile", "gbd_thrifting"], trials=200, seed=4)
    assert_identical(result.paired_losses, pl.read_parquet(out / "paired_losses.parquet"), "paired_losses")
    document = json.loads((out / "compare.json").read_text())
    # The document lists the options by rank; the table keeps the order given, with the rank in a column.
    by_name = {o["name"]: o for o in document["options"]}
    assert result.option_names == ["us_dy_tb_stockpile", "gbd_thrifting"]
    assert sorted(by_name) == sorted(result.option_names)
    for row in result.options.iter_rows(named=True):
        option = by_name[row["option"]]
        assert (row["kind"], row["mitigation_kind"]) == (option["kind"], option["mitigation_kind"])
        assert row["rank"] == option["rank"] and row["rank_by_value"] == option["rank_by_value"]
        assert row["loss_avoided"] == option["loss_avoided"]["avoided_mean"]
        assert row["loss_avoided_ci95_low"] == option["loss_avoided"]["ci95_low"]
        assert row["p_better"] == option["loss_avoided"]["p_better"]["p"]
        assert row["effect"] == option["loss_avoided"]["effect"]
        assert row["cost_usd"] == option["cost"]["total_usd"]
    assert result.baseline_loss["mean"] == document["options"][0]["loss_avoided"]["baseline_mean"]
    assert result.end_uses.height == len(document["end_uses"]) * 2


def test_compare_needs_an_option():
    with pytest.raises(chokepoint.UsageError, match="no option to compare"):
        chokepoint.compare(MITIGATIONS, trials=10)
    with pytest.raises(chokepoint.UsageError, match="did you mean"):
        chokepoint.compare(MITIGATIONS, "gbd_thrifing", trials=10)


def test_studies_beyond_the_clis_limits_are_refused_before_they_run():
    # Each of these ran for minutes (or grew memory) where the CLI refuses it at once.
    with pytest.raises(chokepoint.UsageError, match="more than the limit"):
        chokepoint.compare(MITIGATIONS, all=True, trials=1_000_000, threads=1)
    huge = dict(evppi=True, evppi_samples=10_000, evppi_trials=100_000, trials=10, threads=1)
    with pytest.raises(chokepoint.UsageError, match="allowed|limit"):
        chokepoint.compare(MITIGATIONS, ["lynas_hre_expansion"], **huge)
    with pytest.raises(chokepoint.UsageError, match="limit"):
        chokepoint.optimize(MITIGATIONS, budget_usd=1e12, candidates=["lynas_hre_expansion", "gbd_thrifting"], **huge)
    with pytest.raises(chokepoint.UsageError, match="max_evaluations"):
        chokepoint.optimize(MITIGATIONS, budget_usd=1e8, max_evaluations=0, trials=10, threads=1)


def test_size_stockpile_equals_the_cli(cli, tmp_path):
    done = cli("size-stockpile", str(MITIGATIONS), "--stockpile", "smco_alloy_reserve", "--end-use", "f35_aircraft",
               "--max-late-probability", "0.01", "-n", "200", "-q", "--format", "json", "-o", str(tmp_path / "s"))
    expected = json.loads(done.stdout)["result"]
    result = chokepoint.size_stockpile(MITIGATIONS, stockpile="smco_alloy_reserve", end_use="f35_aircraft",
                                       max_shortfall_probability=0.01, trials=200)
    assert result.found and result.size == expected["size"]
    assert result.at["short_or_late"]["k"] == expected["at"]["p_short_or_late"]["k"]
    assert result.next_smaller["size"] == expected["next_smaller"]["size"]
    assert result.cost_usd == expected["stockpile_cost"]["total_usd"]
    assert result.time_to_survive == expected["time_to_survive"]
    assert result.evaluations.height == expected["evaluations"]


def test_size_stockpile_checks_its_target():
    with pytest.raises(chokepoint.UsageError, match="give a target"):
        chokepoint.size_stockpile(MITIGATIONS, stockpile="smco_alloy_reserve", end_use="f35_aircraft", trials=10)
    with pytest.raises(chokepoint.UsageError, match=r"\[0, 1\)"):
        chokepoint.size_stockpile(MITIGATIONS, stockpile="smco_alloy_reserve", end_use="f35_aircraft",
                                  max_shortfall_probability=1.0, trials=10)


def test_optimize_equals_the_cli(cli, tmp_path):
    candidates = ["smco_alloy_reserve", "defense_first_allocation", "gbd_thrifting"]
    args = [a for c in candidates for a in ("-m", c)]
    done = cli("optimize", str(MITIGATIONS), "--budget", "150M", *args, "-n", "200", "-q", "--format", "json",
               "-o", str(tmp_path / "optimize"))
    expected = json.loads(done.stdout)
    result = chokepoint.optimize(MITIGATIONS, budget_usd=150e6, candidates=candidates, trials=200)
    assert result.best == expected["best"]["members"]
    assert result.best_cost_usd == expected["best"]["cost_usd"]
    best = result.portfolios.filter(pl.col("best"))
    assert best["objective"].to_list() == [expected["best"]["objective"]["mean"]]
    assert result.confirmation["objective"]["mean"] == expected["confirmation"]["portfolio"]["objective"]["mean"]
    assert result.portfolios.filter(pl.col("best"))["portfolio"].to_list() == ["+".join(expected["best"]["members"])]
    with pytest.raises(chokepoint.UsageError, match="not an objective"):
        chokepoint.optimize(MITIGATIONS, budget_usd=1e6, objective="shortage", trials=10)


def test_sweep_equals_the_cli(cli, tmp_path):
    out = tmp_path / "sweep"
    small = SCENARIOS.parent / "tests" / "data" / "valid" / "small_chain.toml"
    cli("sweep", str(small), "--vary", "disruptions.cn_licensing.duration_weeks=8,52", "--vary",
        "end_uses.ev_motors.inventory_weeks.initial=2,6", "--set", "horizon.years=2", "-n", "60", "-s", "3", "-q",
        "-o", str(out))
    result = chokepoint.sweep(
        small,
        vary={"disruptions.cn_licensing.duration_weeks": [8, 52], "end_uses.ev_motors.inventory_weeks.initial": [2, 6]},
        settings="horizon.years=2",
        trials=60,
        seed=3,
    )
    assert_identical(result.table, pl.read_parquet(out / "sweep.parquet"), "sweep")
    assert result.points == [[8.0, 2.0], [8.0, 6.0], [52.0, 2.0], [52.0, 6.0]]
    assert result.scenario.settings == ["horizon.years=2"]
    zipped = chokepoint.sweep(small, vary={"horizon.years": [1, 2], "disruptions.cn_licensing.duration_weeks": [8, 52]},
                              zip=True, trials=10)
    assert zipped.points == [[1.0, 8.0], [2.0, 52.0]]


def test_sweep_refuses_keys_without_a_number_and_values_a_key_refuses():
    small = SCENARIOS.parent / "tests" / "data" / "valid" / "small_chain.toml"
    with pytest.raises(chokepoint.UsageError, match="does not hold a number"):
        chokepoint.sweep(small, vary={"stages.cn_mines.region": [1, 2]}, trials=10)
    with pytest.raises(chokepoint.ScenarioError, match=r"vary\[1\]"):
        chokepoint.sweep(small, vary={"horizon.years": [-1]}, trials=10)
    with pytest.raises(chokepoint.UsageError, match="pairs"):
        chokepoint.sweep(small, vary={"horizon.years": [1, 2], "disruptions.cn_licensing.duration_weeks": [8]},
                         zip=True, trials=10)
    with pytest.raises(TypeError, match="mapping"):
        chokepoint.sweep(small, vary=["horizon.years"], trials=10)


# The closed-form scenario is short by design: its capacity warning is expected.
@pytest.mark.filterwarnings("ignore::chokepoint.ScenarioWarning")
def test_sensitivity_equals_the_cli(cli, tmp_path):
    out = tmp_path / "sensitivity"
    linear = SCENARIOS.parent / "tests" / "data" / "valid" / "linear_shortfall.toml"
    cli("sensitivity", str(linear), "--metric", "units-short:motors", "--method", "both", "-n", "30", "--samples",
        "64", "-q", "-o", str(out))
    result = chokepoint.sensitivity(linear, method="both", metric="units-short:motors", trials=30, samples=64)
    assert_identical(result.tornado, pl.read_parquet(out / "tornado.parquet"), "tornado")
    assert_identical(result.sobol, pl.read_parquet(out / "sobol.parquet"), "sobol")
    # The closed form: demand swings units short by +800, capacity by -400 (tests/cli/studies.rs).
    assert result.tornado["key"].to_list() == ["end_uses.motors.demand_units_per_year",
                                                "stages.maker.capacity_t_per_year"]
    assert abs(result.tornado["swing"][0] - 800.0) < 1e-6
    assert result.sobol_evaluations == 64 * 5
    only_tornado = chokepoint.sensitivity(linear, metric="units-short:motors", trials=10)
    assert only_tornado.sobol is None and only_tornado.tornado.height == 2
    with pytest.raises(chokepoint.UsageError, match="not a method"):
        chokepoint.sensitivity(linear, method="morris", trials=10)
    with pytest.raises(chokepoint.UsageError, match="matches no uncertain parameter"):
        chokepoint.sensitivity(linear, params="stages.nowhere.*", trials=10)
    # Sizes the CLI refuses, refused alike before anything runs (they panicked or grew memory without bound).
    for size in ({"samples": 10**12}, {"samples": 2**64 - 1}, {"bootstrap": 2**64 - 1}):
        with pytest.raises(chokepoint.UsageError, match="allowed"):
            chokepoint.sensitivity(linear, method="sobol", metric="units-short:motors", trials=10, **size)


def test_worlds_equal_the_cli(cli, tmp_path):
    out = tmp_path / "worlds"
    small = SCENARIOS.parent / "tests" / "data" / "valid" / "small_chain.toml"
    knowledge = ('uncertainty.knowledge=["stages.*.inventory_weeks.initial", "disruptions.*.denial_probability.*", '
                 '"disruptions.cn_licensing.duration_weeks"]')
    cli("run", str(small), "-n", "20", "--worlds", "6", "--world-trials", "40", "--set", knowledge, "-s", "2", "-q",
        "-o", str(out))
    result = chokepoint.worlds(small, worlds=6, trials=40, seed=2, settings=knowledge)
    assert_identical(result.table, pl.read_parquet(out / "worlds.parquet"), "worlds")
    assert result.world_count == 6 and len(result.knowledge) == 3
    with pytest.raises(chokepoint.UsageError, match="worlds=N"):
        chokepoint.worlds(small, settings=knowledge, trials=10)
    with pytest.raises(chokepoint.UsageError, match="knowledge"):
        chokepoint.worlds(small, worlds=2, trials=10)
    with pytest.raises(chokepoint.UsageError, match="allowed"):
        chokepoint.worlds(small, worlds=10**12, trials=10, settings=knowledge)


def _voi_equals_the_section(v: chokepoint.ValueOfInformation, section: dict) -> None:
    """The package's value of information against the `value_of_information` section of the CLI's JSON: every
    number exactly (JSON keeps a float's shortest round-trip text, so equal floats read back equal)."""
    assert v.best == section["best"] and v.net_of_cost == section["net_of_cost"]
    assert (v.outer_samples, v.trials_per_run, v.trial_count) == (
        section["outer_samples"], section["trials_per_run"], section["trials"])
    assert v.expected == {o["name"]: o["expected"] for o in section["options"]}
    rows = v.parameters.to_dicts()
    assert [r["key"] for r in rows] == [p["key"] for p in section["parameters"]]
    for row, p in zip(rows, section["parameters"]):
        for column in ("unit", "evppi", "ci95_low", "ci95_high", "bias", "switch_share"):
            assert row[column] == p[column], (p["key"], column)
        samples = v.samples.filter(pl.col("key") == p["key"]).sort("sample")
        assert samples["value"].to_list() == p["outer_values"]
        assert samples["best"].to_list() == p["best_by_sample"]


SMALL_MITIGATIONS = SCENARIOS.parent / "tests" / "data" / "valid" / "small_chain_mitigations.toml"
SMALL_KNOWLEDGE = ('uncertainty.knowledge=["disruptions.*.denial_probability.*", '
                   '"mitigations.au_separation.stages.*.online_week"]')


def test_the_value_of_information_of_a_comparison_equals_the_cli(cli, tmp_path):
    out = tmp_path / "compare"
    cli("compare", str(SMALL_MITIGATIONS), "-m", "au_separation", "-m", "dy_reserve", "-n", "30", "--evppi",
        "--evppi-samples", "4", "--evppi-trials", "20", "--set", SMALL_KNOWLEDGE, "-q", "-o", str(out))
    section = json.loads((out / "compare.json").read_text())["value_of_information"]
    result = chokepoint.compare(SMALL_MITIGATIONS, ["au_separation", "dy_reserve"], settings=[SMALL_KNOWLEDGE],
                                trials=30, evppi=True, evppi_samples=4, evppi_trials=20)
    v = result.value_of_information
    assert v is not None and v.parameters.height >= 2
    assert list(v.expected) == ["nothing", "au_separation", "dy_reserve"]
    _voi_equals_the_section(v, section)
    assert v.samples.height == v.parameters.height * 4
    assert chokepoint.compare(SMALL_MITIGATIONS, "dy_reserve", trials=10).value_of_information is None


def test_the_value_of_information_of_a_portfolio_search_equals_the_cli(cli, tmp_path):
    out = tmp_path / "optimize"
    key = "disruptions.cn_licensing.duration_weeks"
    cli("optimize", str(SMALL_MITIGATIONS), "--budget", "10M", "-m", "dy_reserve", "-m", "more_stock", "-n", "20",
        "--evppi-param", key, "--evppi-samples", "3", "--evppi-trials", "10", "-q", "-o", str(out))
    section = json.loads((out / "optimize.json").read_text())["value_of_information"]
    result = chokepoint.optimize(SMALL_MITIGATIONS, budget_usd=10e6, candidates=["dy_reserve", "more_stock"],
                                 trials=20, evppi_params=key, evppi_samples=3, evppi_trials=10)
    v = result.value_of_information
    assert v is not None and v.parameters["key"].to_list() == [key]
    _voi_equals_the_section(v, section)


def test_the_value_of_information_names_what_it_cannot_value():
    with pytest.raises(chokepoint.UsageError, match="`stages.nowhere.ramp_weeks` of evppi_params matches no"):
        chokepoint.compare(SMALL_MITIGATIONS, "dy_reserve", trials=10, evppi_params=["stages.nowhere.ramp_weeks"])
    with pytest.raises(chokepoint.UsageError, match="lists none: name parameters with `evppi_params"):
        chokepoint.compare(SCENARIOS.parent / "tests" / "data" / "valid" / "small_chain_mitigations.toml",
                           "dy_reserve", settings=["uncertainty.knowledge=[]"], trials=10, evppi=True)
    with pytest.raises(chokepoint.UsageError, match="evppi_samples must be 2 or more"):
        chokepoint.compare(SMALL_MITIGATIONS, "dy_reserve", trials=10, evppi=True, evppi_samples=1)


def test_trace_equals_the_cli(cli, tmp_path):
    out = tmp_path / "trace"
    licensing = SCENARIOS / "licensing_2025.toml"
    cli("trace", str(licensing), "--trials", "12", "--seed", "4", "--set", "horizon.years=1", "-o", str(out))
    result = chokepoint.trace(licensing, trials=12, seed=4, settings="horizon.years=1")
    assert_identical(result.flows, pl.read_parquet(out / "flows.parquet"), "flows")
    assert result.trial_count == 12 and result.seed == 4
    # China's licensed magnets, all grades, clear export control below their run rate in the regime's first weeks.
    cleared = result.flows.filter(
        (pl.col("series") == "region_cleared_export_index") & (pl.col("node") == "CN") & (pl.col("week") < 4)
    )
    assert cleared.height == 4 and cleared["mean"].mean() < 0.95
    with pytest.raises(chokepoint.UsageError, match="not in 1..=100000"):
        chokepoint.trace(licensing, trials=0)
    with pytest.raises(chokepoint.UsageError, match="or fewer"):
        chokepoint.trace(None, trials=100_000)
