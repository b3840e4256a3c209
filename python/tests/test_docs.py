"""The Python blocks of docs/python.md (in order) and the README's notebook cell run from the repository's root, so
the pages cannot drift from the package."""

from __future__ import annotations

import re

import chokepoint

from conftest import ROOT

BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def test_the_python_page_runs(monkeypatch, capsys):
    blocks = BLOCK.findall((ROOT / "docs" / "python.md").read_text())
    assert len(blocks) >= 3, "docs/python.md has lost its example"
    monkeypatch.chdir(ROOT)
    # A plot goes nowhere: no display is needed.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace: dict = {"__name__": "__docs__"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"docs/python.md (block {i + 1})", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "ev_traction_motors" in printed and "p_three_or_more" in printed
    assert namespace["table"].columns == ["end_use", *namespace["overlays"]]
    if namespace["plt"] is not None:
        assert len(namespace["fig"].axes[0].patches) == len(namespace["overlays"]) * namespace["table"].height


def test_the_readme_cell_runs(monkeypatch):
    blocks = BLOCK.findall((ROOT / "README.md").read_text())
    assert len(blocks) == 1, "the README's tour has one notebook cell"
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "__readme__"}
    exec(compile(blocks[0], "README.md", "exec"), namespace)
    assert namespace["result"].trials.height == 2000 * len(chokepoint.validate().details["end_uses"])
