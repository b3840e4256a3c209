"""Shared fixtures: the repository's folders and the CLI binary the Python results are checked against."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


def cli_binary() -> Path:
    """The `chokepoint` binary of this checkout: $CHOKEPOINT_BIN, else the debug build in the target folder."""
    if "CHOKEPOINT_BIN" in os.environ:
        return Path(os.environ["CHOKEPOINT_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "chokepoint"


@pytest.fixture(scope="session")
def cli():
    """Runs the CLI with arguments; returns the completed process (stdout and stderr as text)."""
    binary = cli_binary()
    assert binary.is_file(), f"{binary} is missing: build it with `cargo build` (or set CHOKEPOINT_BIN)"

    def call(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(binary), *args], cwd=cwd, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}
        )
        if check and done.returncode != 0:
            raise AssertionError(f"chokepoint {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done

    return call
