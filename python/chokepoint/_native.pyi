"""Type stubs of the extension ``chokepoint._native`` (Rust). Call the functions of ``chokepoint`` instead: they
take a scenario path or text, apply the defaults and turn these dicts into result objects with DataFrames."""

from typing import Any, Optional, Sequence

VERSION: str
TEXT_ORIGIN: str

class ChokepointError(Exception):
    """Base class of chokepoint's errors: a scenario that cannot be read, or trials that cannot run."""

class ScenarioError(ChokepointError):
    """A scenario (or one of its bases) was refused; the message is every diagnostic as the CLI prints it."""

class UsageError(ChokepointError):
    """Arguments that do not fit the scenario: an unknown mitigation or end use, a question that cannot be
    answered."""

class ArrowTable:
    """An Arrow table held by the extension, read through the Arrow PyCapsule interface."""

    @property
    def columns(self) -> list[str]: ...
    def __len__(self) -> int: ...
    def __arrow_c_stream__(self, requested_schema: Optional[object] = None) -> object: ...

def validate(
    *, path: Optional[str] = None, text: Optional[str] = None, settings: Sequence[str] = ()
) -> dict[str, Any]: ...
def run(
    *,
    path: Optional[str] = None,
    text: Optional[str] = None,
    settings: Sequence[str] = (),
    trials: int,
    seed: int,
    threads: int,
    mitigations: Sequence[str],
) -> dict[str, Any]: ...
def compare(
    *,
    path: Optional[str] = None,
    text: Optional[str] = None,
    settings: Sequence[str] = (),
    options: Sequence[str],
    all: bool,
    trials: int,
    seed: int,
    threads: int,
    evppi: bool = False,
    evppi_params: Sequence[str] = (),
    evppi_samples: int = 16,
    evppi_trials: int = 500,
) -> dict[str, Any]: ...
def size_stockpile(
    *,
    path: Optional[str] = None,
    text: Optional[str] = None,
    settings: Sequence[str] = (),
    stockpile: str,
    end_use: str,
    max_shortfall_probability: Optional[float],
    max_delay_weeks: Optional[float],
    delay_quantile: float,
    with_: Sequence[str],
    max_size: Optional[float],
    step: Optional[float],
    trials: int,
    seed: int,
    threads: int,
) -> dict[str, Any]: ...
def optimize(
    *,
    path: Optional[str] = None,
    text: Optional[str] = None,
    settings: Sequence[str] = (),
    budget_usd: float,
    objective: str,
    candidates: Sequence[str],
    exhaustive_limit: int,
    max_evaluations: int,
    trials: int,
    seed: int,
    threads: int,
    evppi: bool = False,
    evppi_params: Sequence[str] = (),
    evppi_samples: int = 16,
    evppi_trials: int = 500,
) -> dict[str, Any]: ...
def sweep(
    *,
    path: Optional[str] = None,
    text: Optional[str] = None,
    settings: Sequence[str] = (),
    keys: Sequence[str],
    values: Sequence[Sequence[float]],
    zip: bool,
    mitigations: Sequence[str],
    trials: int,
    seed: int,
    threads: int,
) -> dict[str, Any]: ...
def sensitivity(
    *,
    path: Optional[str] = None,
    text: Optional[str] = None,
    settings: Sequence[str] = (),
    method: str,
    metric: str,
    params: Sequence[str],
    quantiles: tuple[float, float],
    samples: int,
    bootstrap: int,
    mitigations: Sequence[str],
    trials: int,
    seed: int,
    threads: int,
) -> dict[str, Any]: ...
def worlds(
    *,
    path: Optional[str] = None,
    text: Optional[str] = None,
    settings: Sequence[str] = (),
    worlds: Optional[int],
    mitigations: Sequence[str],
    trials: int,
    seed: int,
    threads: int,
) -> dict[str, Any]: ...
def trace(
    *,
    path: Optional[str] = None,
    text: Optional[str] = None,
    settings: Sequence[str] = (),
    mitigations: Sequence[str],
    trials: int,
    seed: int,
) -> dict[str, Any]: ...
