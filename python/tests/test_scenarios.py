"""Scenarios are named, read and refused as the CLI names, reads and refuses them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import chokepoint
from conftest import SCENARIOS

BAD = """[scenario]
name = 3
"""


def test_a_refused_scenario_raises_the_cli_text(cli, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(BAD)
    done = cli("validate", str(path), check=False)
    assert done.returncode == 2
    with pytest.raises(chokepoint.ScenarioError) as raised:
        chokepoint.validate(path)
    assert str(raised.value) == done.stderr
    assert isinstance(raised.value, chokepoint.ChokepointError)


def test_text_is_named_text_in_diagnostics():
    with pytest.raises(chokepoint.ScenarioError, match=r"--> <text>:2:8"):
        chokepoint.run(BAD)


def test_scenarios_are_paths_text_or_the_default():
    default = chokepoint.validate()
    assert default.origin == "<embedded>/rare_earths_2025.toml" and default.name == "rare_earths_2025"
    as_path = chokepoint.validate(SCENARIOS / "rare_earths_2025.toml")
    as_str = chokepoint.validate(str(SCENARIOS / "rare_earths_2025.toml"))
    as_text = chokepoint.validate((SCENARIOS / "rare_earths_2025.toml").read_text())
    assert as_path.sha256 == as_str.sha256 == as_text.sha256 == default.sha256
    assert as_text.origin == "<text>"
    assert len(default.details["end_uses"]) == default.details["end_uses"].__len__() > 0
    with pytest.raises(TypeError):
        chokepoint.validate(42)


def test_bases_resolve_as_in_the_cli(tmp_path, monkeypatch):
    overlay = SCENARIOS / "myanmar_outage.toml"
    info = chokepoint.validate(overlay)
    assert [origin for origin, _ in info.bases] == [str(SCENARIOS / "rare_earths_2025.toml")]
    # Text names its base relative to the current folder, and within it.
    monkeypatch.chdir(SCENARIOS)
    assert chokepoint.validate(overlay.read_text()).bases == [("rare_earths_2025.toml", info.bases[0][1])]
    monkeypatch.chdir(tmp_path)
    with pytest.raises(chokepoint.ScenarioError, match="rare_earths_2025.toml"):
        chokepoint.validate(overlay.read_text())


def test_a_base_outside_the_scenario_folder_is_refused(cli, tmp_path):
    shutil.copy(SCENARIOS / "rare_earths_2025.toml", tmp_path / "rare_earths_2025.toml")
    inner = tmp_path / "inner"
    inner.mkdir()
    path = inner / "overlay.toml"
    path.write_text((SCENARIOS / "myanmar_outage.toml").read_text().replace(
        'base = "rare_earths_2025.toml"', 'base = "../rare_earths_2025.toml"'))
    done = cli("validate", str(path), check=False)
    assert done.returncode == 2 and "outside the scenario's folder" in done.stderr
    with pytest.raises(chokepoint.ScenarioError) as raised:
        chokepoint.validate(path)
    assert str(raised.value) == done.stderr


def test_a_missing_file_is_a_chokepoint_error(tmp_path):
    with pytest.raises(chokepoint.ChokepointError, match="could not read scenario"):
        chokepoint.validate(tmp_path / "missing.toml")


def test_warnings_are_issued_as_scenario_warnings(cli, tmp_path):
    # A stage whose baseline throughput exceeds its capacity is accepted with a warning.
    small = (Path(__file__).resolve().parents[2] / "tests" / "data" / "valid" / "small_chain.toml").read_text()
    path = tmp_path / "tight.toml"
    path.write_text(small.replace("capacity_t_per_year = 5000", "capacity_t_per_year = 100", 1))
    done = cli("validate", str(path))
    with pytest.warns(chokepoint.ScenarioWarning) as caught:
        info = chokepoint.validate(path)
    assert len(info.warnings) == 1 and "capacity-below-baseline" in info.warnings[0]
    assert info.warnings[0] in done.stderr
    assert [str(c.message) for c in caught] == info.warnings


def test_a_refused_setting_raises_the_cli_text_naming_the_setting(cli):
    setting = "stages.cn_mines.capacity_t_per_yr=5"
    done = cli("run", "--set", setting, "--out", "never-written", check=False)
    assert done.returncode == 2 and "--> --set[1]:1:8" in done.stderr
    with pytest.raises(chokepoint.ScenarioError) as raised:
        chokepoint.validate(settings=setting)
    assert str(raised.value) == done.stderr.replace("--set[1]", "settings[1]")
