"""chokepoint from Python: Monte Carlo runs of supply-disruption scenarios, and the analyses built on them.

Every function takes a *scenario*:

* ``None``: the default scenario, ``rare_earths_2025``, compiled into the package;
* a :class:`pathlib.Path` (any ``os.PathLike``), or a ``str`` without a line break: the path of a TOML file;
* a ``str`` with a line break: the TOML text itself, named ``<text>`` in diagnostics.

Bases (``scenario.base``) resolve as in the CLI: relative to the folder of the file that names them, and only
within the folder of the scenario file (for text, the current folder). A scenario that is refused raises
:class:`ScenarioError`, whose message is exactly the ``file:line:col`` text the CLI prints; its warnings are issued
as :class:`ScenarioWarning`.

Every function also takes ``settings``: ``KEY=VALUE`` texts applied to the scenario in order before it runs, as
the CLI's ``--set`` (``settings=["horizon.years=2"]``; one string is one setting). Their problems are reported like
the scenario's, pointing into the setting itself, named ``settings[1]``, ``settings[2]``, ...

Tables come back as polars DataFrames with the very columns, types and values of the CLI's files (``run`` writes
``trials.parquet``, ``stage_losses.parquet``, ``bands.parquet``, ``backlog_bands.parquet`` and ``summary.csv``;
``sweep`` returns the columns of ``sweep.parquet``, ``sensitivity`` those of ``tornado.parquet`` and
``sobol.parquet``, ``worlds`` those of ``worlds.parquet``, ``trace`` those of ``flows.parquet``; ``compare`` and ``optimize`` with ``evppi=True`` the
value-of-information section of ``compare.json`` and ``optimize.json`` as two tables); they cross from Rust through the Arrow C stream interface, without files. ``result.arrow[name]``
is the same table for any reader of the Arrow PyCapsule interface (``pyarrow.table(...)``, DuckDB);
``df.to_pandas()`` gives pandas.

Trials run with the GIL released; Ctrl-C stops them at the next chunk of trials and raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import operator
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional, Sequence, Union

import polars as pl

from . import _native
from ._native import ChokepointError, ScenarioError, UsageError

__all__ = [
    "ChokepointError",
    "ScenarioError",
    "UsageError",
    "ScenarioWarning",
    "ScenarioInfo",
    "RunResult",
    "ComparisonResult",
    "SizingResult",
    "OptimizeResult",
    "SweepResult",
    "SensitivityResult",
    "WorldsResult",
    "TraceResult",
    "ValueOfInformation",
    "validate",
    "run",
    "compare",
    "size_stockpile",
    "optimize",
    "sweep",
    "sensitivity",
    "worlds",
    "trace",
    "__version__",
]

__version__: str = _native.VERSION

#: What the functions accept as a scenario (see the module's documentation).
ScenarioLike = Union[str, "os.PathLike[str]", None]


class ScenarioWarning(UserWarning):
    """A warning about a scenario that was accepted (the CLI prints these on stderr)."""


#: Settings as the functions take them: one ``KEY=VALUE`` text, or a sequence of them.
SettingsLike = Union[str, Iterable[str]]


def _source(scenario: ScenarioLike, settings: SettingsLike = ()) -> dict[str, Any]:
    """The keyword arguments that name `scenario`, and the settings applied to it, to the extension."""
    if isinstance(settings, str):
        settings = [settings]
    settings = list(settings)
    for setting in settings:
        if not isinstance(setting, str):
            raise TypeError(f"settings are KEY=VALUE texts, not {type(setting).__name__}")
    if scenario is None:
        return {"settings": settings}
    if isinstance(scenario, os.PathLike):
        return {"path": os.fspath(scenario), "settings": settings}
    if isinstance(scenario, str):
        return {"text" if "\n" in scenario else "path": scenario, "settings": settings}
    raise TypeError(f"a scenario is a path, TOML text or None, not {type(scenario).__name__}")


#: Options as the functions take them: one name or file, or a sequence of them.
OptionsLike = Union[str, "os.PathLike[str]", Iterable[Union[str, "os.PathLike[str]"]]]


def _names(values: OptionsLike, what: str) -> list[str]:
    """A list of words: names, or paths of files of mitigations (ending in ``.toml``); a single string or path is
    one word (not its characters)."""
    if isinstance(values, (str, os.PathLike)):
        values = [values]
    words = []
    for value in values:
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise TypeError(f"{what} are names or paths, not {type(value).__name__}")
        words.append(value)
    return words


# The arguments that count something (or seed it): whole numbers of 0 or more, checked here so that a wrong one is
# named (the extension's conversion said only "can't convert negative int to unsigned").
_COUNTS = frozenset({
    "trials", "seed", "threads", "samples", "bootstrap", "worlds", "evppi_samples", "evppi_trials",
    "exhaustive_limit", "max_evaluations",
})


def _call(native: Any, **kwargs: Any) -> Any:
    """Calls the extension's ``native`` with ``kwargs``, its counts checked and named first."""
    for name in _COUNTS & kwargs.keys():
        value = kwargs[name]
        if value is None and name == "worlds":
            continue
        if isinstance(value, bool):
            raise TypeError(f"{name} must be an int, not bool {value!r}")
        try:
            count = operator.index(value)
        except TypeError:
            raise TypeError(f"{name} must be an int, not {type(value).__name__} {value!r}") from None
        if count < 0:
            raise UsageError(f"{name} must be 0 or more, not {count}")
        kwargs[name] = count
    return native(**kwargs)


def _frames(tables: Mapping[str, Any]) -> dict[str, pl.DataFrame]:
    """Each Arrow table of the extension as a polars DataFrame."""
    return {name: pl.DataFrame(table) for name, table in tables.items()}

def _evppi(enabled: bool, params: Union[str, Iterable[str]], samples: int, trials: int) -> dict[str, Any]:
    return {
        "evppi": enabled,
        "evppi_params": _names(params, "evppi_params"),
        "evppi_samples": samples,
        "evppi_trials": trials,
    }


@dataclass(frozen=True)
class ScenarioInfo:
    """What a scenario is and where it came from.

    ``origin`` is the file as named (``<embedded>/rare_earths_2025.toml`` for the default, ``<text>`` for text);
    ``sha256`` the digest of its bytes; ``bases`` the files it is laid over, as ``(origin, sha256)`` pairs;
    ``warnings`` each warning as the CLI renders it; ``mitigations`` those applied to the run, in order;
    ``overlays`` the files of mitigations added to the scenario, as ``(origin, sha256)`` pairs; ``settings`` the
    ``KEY=VALUE`` settings applied to it, in order.
    """

    origin: str
    name: str
    sha256: str
    bases: list[tuple[str, str]]
    warnings: list[str]
    mitigations: list[str]
    overlays: list[tuple[str, str]]
    settings: list[str]
    #: Filled by :func:`validate` only.
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def _of(cls, d: Mapping[str, Any], details: Optional[dict[str, Any]] = None) -> "ScenarioInfo":
        for text in d["warnings"]:
            warnings.warn(text, ScenarioWarning, stacklevel=3)
        return cls(
            origin=d["origin"],
            name=d["name"],
            sha256=d["sha256"],
            bases=[tuple(b) for b in d["bases"]],
            warnings=list(d["warnings"]),
            mitigations=list(d["mitigations"]),
            overlays=[tuple(o) for o in d["overlays"]],
            settings=list(d["settings"]),
            details=details or {},
        )


def validate(scenario: ScenarioLike = None, *, settings: SettingsLike = ()) -> ScenarioInfo:
    """Reads and checks a scenario, as ``chokepoint validate`` does, without running it.

    Returns what it holds in ``details``: ``stages`` and ``end_uses`` (names), ``links`` and ``disruptions``
    (counts), ``periods`` and ``period_weeks``, ``available_mitigations`` and ``packages`` (names). Raises
    :class:`ScenarioError` with the CLI's rendered diagnostics when the scenario is refused.
    """
    d = _native.validate(**_source(scenario, settings))
    keys = (
        "stages",
        "end_uses",
        "links",
        "disruptions",
        "periods",
        "period_weeks",
        "available_mitigations",
        "packages",
    )
    return ScenarioInfo._of(d, {k: d[k] for k in keys})


@dataclass(frozen=True)
class RunResult:
    """The tables of a run, as DataFrames with the columns of the CLI's files (``docs/output-schema.md``).

    ``trials``: one row per end use and trial (``trials.parquet``); ``stage_losses``: one row per stage and trial;
    ``bands`` and ``backlog_bands``: the fan-chart quantiles; ``summary``: one row per end use and statistic
    (``summary.csv``). ``arrow`` holds the same tables for readers of the Arrow PyCapsule interface.
    """

    scenario: ScenarioInfo
    seed: int
    trial_count: int
    periods: int
    period_weeks: float
    loss_unit: str
    trials: pl.DataFrame
    stage_losses: pl.DataFrame
    bands: pl.DataFrame
    backlog_bands: pl.DataFrame
    summary: pl.DataFrame
    arrow: Mapping[str, Any]


def run(
    scenario: ScenarioLike = None,
    *,
    settings: SettingsLike = (),
    trials: int = 10_000,
    seed: int = 1,
    threads: int = 0,
    mitigations: OptionsLike = (),
) -> RunResult:
    """Runs the trials of a scenario, as ``chokepoint run`` does, and returns its tables.

    ``mitigations`` names mitigations or packages of the scenario to apply, in order, or files of them (a path
    ending in ``.toml``, whose every mitigation and package is applied), as ``--mitigation NAME|FILE``.
    ``threads=0`` takes one worker per core; results do not depend on it. The same scenario, seed and trials give
    the CLI's values bit for bit.
    """
    d = _call(
        _native.run,
        **_source(scenario, settings),
        trials=trials,
        seed=seed,
        threads=threads,
        mitigations=_names(mitigations, "mitigations"),
    )
    frames = _frames(d["tables"])
    return RunResult(
        scenario=ScenarioInfo._of(d["scenario"]),
        seed=d["seed"],
        trial_count=d["trials"],
        periods=d["periods"],
        period_weeks=d["period_weeks"],
        loss_unit=d["loss_unit"],
        arrow=dict(d["tables"]),
        **frames,
    )


@dataclass(frozen=True)
class ValueOfInformation:
    """What knowing one uncertain parameter before choosing would be worth on average (the expected value of
    perfect partial information, EVPPI), for the choice of a comparison or of a portfolio search: the
    ``value_of_information`` section of ``compare.json`` or ``optimize.json`` (``--evppi``).

    ``expected`` holds each option's mean metric on current information (plus its cost when ``net_of_cost``), and
    ``best`` the option chosen on it. ``parameters`` has one row per parameter valued, most valuable first: the
    estimate in the metric's unit with its 95 % bootstrap interval, the bootstrap estimate of its upward ``bias``
    (a value within it of zero is not worth researching on this evidence) and ``switch_share``, the share of outer
    samples in which knowing the parameter changes the best option. ``samples`` has one row per parameter and outer
    sample: the value drawn (in the key's unit) and the option best when it is known.
    """

    net_of_cost: bool
    outer_samples: int
    trials_per_run: int
    trial_count: int
    bootstrap: int
    best: str
    expected: dict[str, float]
    parameters: pl.DataFrame
    samples: pl.DataFrame
    arrow: Mapping[str, Any]

    @classmethod
    def _of(cls, d: Optional[Mapping[str, Any]]) -> Optional["ValueOfInformation"]:
        if d is None:
            return None
        d = dict(d)
        tables = d.pop("tables")
        d["trial_count"] = d.pop("trials")
        d["expected"] = dict(d["expected"])
        return cls(**d, arrow=dict(tables), **_frames(tables))


@dataclass(frozen=True)
class ComparisonResult:
    """Options compared with the baseline on common random numbers (``chokepoint compare``).

    ``options``: one row per option (loss avoided with its paired interval, effect, ranks, cost-effectiveness);
    ``end_uses``: one row per end use and option; ``paired_losses``: one row per option and trial (the columns of
    ``paired_losses.parquet``). ``baseline_loss`` holds the statistics of the baseline's loss per trial.
    ``value_of_information`` is there when asked for (``evppi=True``).
    """

    scenario: ScenarioInfo
    seed: int
    trial_count: int
    loss_unit: str
    horizon_years: float
    option_names: list[str]
    baseline_loss: dict[str, float]
    options: pl.DataFrame
    end_uses: pl.DataFrame
    paired_losses: pl.DataFrame
    arrow: Mapping[str, Any]
    value_of_information: Optional[ValueOfInformation] = None


def compare(
    scenario: ScenarioLike = None,
    options: OptionsLike = (),
    *,
    settings: SettingsLike = (),
    all: bool = False,
    trials: int = 10_000,
    seed: int = 1,
    threads: int = 0,
    evppi: bool = False,
    evppi_params: Union[str, Iterable[str]] = (),
    evppi_samples: int = 16,
    evppi_trials: int = 500,
) -> ComparisonResult:
    """Compares mitigation options (names of mitigations or packages, or files of them ending in ``.toml``) with
    the baseline, as ``chokepoint compare``.

    With ``all=True`` every mitigation and package of the scenario is an option as well. Every variant runs the
    same trials with the same seed, so trial ``i`` sees the same disruptions in each.

    With ``evppi=True`` (or ``evppi_params``), as ``compare --evppi``: the value of knowing each knowledge parameter
    of the scenario (``[uncertainty] knowledge``, or the keys and ``*`` patterns of ``evppi_params``) before choosing
    between doing nothing and each option, net of its cost when the loss is in US dollars; ``evppi_samples`` outer
    values of each, ``evppi_trials`` trials per option and value, on the same seed.
    """
    d = _call(
        _native.compare,
        **_source(scenario, settings),
        options=_names(options, "options"),
        all=all,
        trials=trials,
        seed=seed,
        threads=threads,
        **_evppi(evppi, evppi_params, evppi_samples, evppi_trials),
    )
    return ComparisonResult(
        scenario=ScenarioInfo._of(d["scenario"]),
        seed=d["seed"],
        trial_count=d["trials"],
        loss_unit=d["loss_unit"],
        horizon_years=d["horizon_years"],
        option_names=list(d["option_names"]),
        baseline_loss=dict(d["baseline_loss"]),
        arrow=dict(d["tables"]),
        **_frames(d["tables"]),
        value_of_information=ValueOfInformation._of(d["value_of_information"]),
    )


@dataclass(frozen=True)
class SizingResult:
    """The smallest stockpile that meets a target (``chokepoint size-stockpile``).

    ``size`` is ``None`` when even ``max_size`` does not meet it (``found`` is then ``False``); ``at`` describes the
    size found (or ``max_size``) and ``next_smaller`` the size one ``step`` below. ``evaluations`` has one row per
    size run, in the order run. Costs are totals over the horizon, in US dollars.
    """

    scenario: ScenarioInfo
    seed: int
    trial_count: int
    stockpile: str
    end_use: str
    material: str
    unit: str
    found: bool
    size: Optional[float]
    file_size: float
    max_size: float
    step: float
    at: dict[str, Any]
    next_smaller: Optional[dict[str, Any]]
    cost_usd: Optional[float]
    with_cost_usd: float
    time_to_survive: Optional[dict[str, float]]
    evaluations: pl.DataFrame
    arrow: Mapping[str, Any]


def size_stockpile(
    scenario: ScenarioLike,
    *,
    settings: SettingsLike = (),
    stockpile: str,
    end_use: str,
    max_shortfall_probability: Optional[float] = None,
    max_delay_weeks: Optional[float] = None,
    delay_quantile: float = 0.95,
    with_: Union[str, Sequence[str]] = (),
    max_size: Optional[float] = None,
    step: Optional[float] = None,
    trials: int = 10_000,
    seed: int = 1,
    threads: int = 0,
) -> SizingResult:
    """Sizes the stockpile mitigation ``stockpile`` so that ``end_use`` meets a target, as ``chokepoint
    size-stockpile``.

    Give one target: ``max_shortfall_probability`` (P(short or late at all over the horizon) at most this, in
    [0, 1)), or ``max_delay_weeks`` (the ``delay_quantile`` across trials of the longest delay of a unit at most
    this many weeks; backlogged end uses). ``with_`` names mitigations or packages applied in every variant.
    """
    d = _call(
        _native.size_stockpile,
        **_source(scenario, settings),
        stockpile=stockpile,
        end_use=end_use,
        max_shortfall_probability=max_shortfall_probability,
        max_delay_weeks=max_delay_weeks,
        delay_quantile=delay_quantile,
        with_=_names(with_, "with_"),
        max_size=max_size,
        step=step,
        trials=trials,
        seed=seed,
        threads=threads,
    )
    tables = d.pop("tables")
    d["scenario"] = ScenarioInfo._of(d["scenario"])
    d["trial_count"] = d.pop("trials")
    return SizingResult(**d, arrow=dict(tables), **_frames(tables))


@dataclass(frozen=True)
class OptimizeResult:
    """The best set of mitigations within a budget (``chokepoint optimize``).

    ``best`` names the portfolio chosen and ``best_cost_usd`` its cost; ``confirmation`` its objective, the
    baseline's and the improvement, re-run on fresh draws (seed ``confirmation["seed"]``). ``portfolios`` has one
    row per portfolio run, in the order run (the first, empty, is the baseline); ``refused`` lists portfolios that
    could not be built, with the reason. ``value_of_information`` is there when asked for (``evppi=True``).
    """

    scenario: ScenarioInfo
    seed: int
    trial_count: int
    search: str
    within_budget: Optional[int]
    best: list[str]
    best_cost_usd: float
    confirmation: dict[str, Any]
    refused: list[tuple[str, str]]
    portfolios: pl.DataFrame
    arrow: Mapping[str, Any]
    value_of_information: Optional[ValueOfInformation] = None


def optimize(
    scenario: ScenarioLike,
    *,
    settings: SettingsLike = (),
    budget_usd: float,
    objective: str = "loss",
    candidates: OptionsLike = (),
    exhaustive_limit: int = 64,
    max_evaluations: int = 200,
    trials: int = 10_000,
    seed: int = 1,
    threads: int = 0,
    evppi: bool = False,
    evppi_params: Union[str, Iterable[str]] = (),
    evppi_samples: int = 16,
    evppi_trials: int = 500,
) -> OptimizeResult:
    """Searches the set of mitigations within ``budget_usd`` (total cost over the horizon) that makes
    ``objective`` smallest, as ``chokepoint optimize``.

    ``objective`` is ``"loss"`` (every end use, the scenario's loss measure), ``"short:END_USE"``,
    ``"delay:END_USE"`` or ``"units-short:END_USE"``. ``candidates`` (names, or files of mitigations ending in
    ``.toml``) defaults to every mitigation of the scenario. Every portfolio within the budget is run when there
    are at most ``exhaustive_limit``; above, a heuristic runs at most ``max_evaluations``.

    With ``evppi=True`` (or ``evppi_params``), as ``optimize --evppi``: the value of knowing each knowledge
    parameter before choosing among the frontier's best portfolios within the budget (at most six), on the
    objective; the options of :func:`compare`.
    """
    d = _call(
        _native.optimize,
        **_source(scenario, settings),
        budget_usd=budget_usd,
        objective=objective,
        candidates=_names(candidates, "candidates"),
        exhaustive_limit=exhaustive_limit,
        max_evaluations=max_evaluations,
        trials=trials,
        seed=seed,
        threads=threads,
        **_evppi(evppi, evppi_params, evppi_samples, evppi_trials),
    )
    tables = d.pop("tables")
    d["scenario"] = ScenarioInfo._of(d["scenario"])
    d["trial_count"] = d.pop("trials")
    d["refused"] = [tuple(r) for r in d["refused"]]
    d["value_of_information"] = ValueOfInformation._of(d["value_of_information"])
    return OptimizeResult(**d, arrow=dict(tables), **_frames(tables))


@dataclass(frozen=True)
class SweepResult:
    """The scenario at every point of a grid of values of some of its keys (``chokepoint sweep``), each point run on
    the same seed and trials, so that the change from one point to the next is the keys' doing, not noise.

    ``keys`` names the swept keys in order and ``points`` their values at each point (the first key varying
    slowest). ``table`` has the columns of ``sweep.parquet``: one row per point, end use (empty for the loss) and
    metric (``loss``, ``short_or_late``, ``units_short``, ``max_delay_weeks``), each key's value in a column named
    by the key, the level (``mean``, ``ci95_low``, ``ci95_high``) and the paired change from the first point
    (``change_from_first``, ``change_ci95_low``, ``change_ci95_high``). ``arrow["table"]`` is the same table
    without the keys' columns.
    """

    scenario: ScenarioInfo
    seed: int
    trial_count: int
    keys: list[str]
    points: list[list[float]]
    table: pl.DataFrame
    arrow: Mapping[str, Any]


def sweep(
    scenario: ScenarioLike,
    *,
    vary: Mapping[str, Sequence[float]],
    zip: bool = False,
    settings: SettingsLike = (),
    mitigations: OptionsLike = (),
    trials: int = 10_000,
    seed: int = 1,
    threads: int = 0,
) -> SweepResult:
    """Runs ``scenario`` at every combination of the values in ``vary`` (a mapping from a numeric key, as
    ``settings`` names keys, to its values), or with ``zip=True`` at the i-th value of every key together, each
    point on the same ``seed`` and ``trials``, as ``chokepoint sweep --vary KEY=V1,V2,...``.

    ``settings`` apply to every point before the swept keys; ``mitigations`` (names, or files of mitigations
    ending in ``.toml``) are applied at every point. A key that does not hold a number raises
    :class:`UsageError`; a value the key refuses raises :class:`ScenarioError` pointing at ``vary[N]``.
    """
    if isinstance(vary, (str, bytes)) or not isinstance(vary, Mapping):
        raise TypeError("vary is a mapping from a key to its values, such as {'horizon.years': [1, 2, 3]}")
    keys = list(vary)
    values = []
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"the keys of vary are texts, not {type(key).__name__}")
        given = vary[key]
        if isinstance(given, (str, bytes)):
            raise TypeError(f"the values of `{key}` are numbers, not a text")
        values.append([float(v) for v in given])
    d = _call(
        _native.sweep,
        **_source(scenario, settings),
        keys=keys,
        values=values,
        zip=zip,
        mitigations=_names(mitigations, "mitigations"),
        trials=trials,
        seed=seed,
        threads=threads,
    )
    tables = d.pop("tables")
    table = pl.DataFrame(tables["table"])
    key_values = d.pop("key_values")
    # As sweep.parquet: each key's value in a column named by the key, after `point`.
    for k, key in enumerate(d["keys"]):
        table.insert_column(1 + k, pl.Series(key, key_values[k], dtype=pl.Float64))
    return SweepResult(
        scenario=ScenarioInfo._of(d["scenario"]),
        seed=d["seed"],
        trial_count=d["trials"],
        keys=d["keys"],
        points=[list(p) for p in d["points"]],
        table=table,
        arrow=dict(tables),
    )


@dataclass(frozen=True)
class SensitivityResult:
    """Which uncertain parameters drive a metric (``chokepoint sensitivity``).

    ``parameters`` lists the keys studied. ``tornado`` (with ``method`` ``"tornado"`` or ``"both"``) has the
    columns of ``tornado.parquet``: one row per parameter, largest swing first, with the metric at the parameter's
    low and high quantile and the paired swing between them; ``base`` is the metric of the scenario as it is.
    ``sobol`` (``"sobol"`` or ``"both"``) has the columns of ``sobol.parquet``: the first-order and total indices
    with bootstrap intervals, the parameters drawn per trial by total index, then ``events`` (the randomness of the
    trial's events, where the parameters drawn per event, listed in ``in_events``, belong).
    """

    scenario: ScenarioInfo
    seed: int
    trial_count: int
    parameters: list[str]
    in_events: list[str]
    base: Optional[dict[str, float]]
    tornado: Optional[pl.DataFrame]
    sobol: Optional[pl.DataFrame]
    sobol_mean: Optional[float]
    sobol_variance: Optional[float]
    sobol_evaluations: Optional[int]
    arrow: Mapping[str, Any]


def sensitivity(
    scenario: ScenarioLike = None,
    *,
    method: str = "tornado",
    metric: str = "loss",
    params: Union[str, Iterable[str]] = (),
    quantiles: tuple[float, float] = (0.1, 0.9),
    samples: int = 256,
    bootstrap: int = 200,
    settings: SettingsLike = (),
    mitigations: OptionsLike = (),
    trials: int = 10_000,
    seed: int = 1,
    threads: int = 0,
) -> SensitivityResult:
    """How much each uncertain parameter moves ``metric``, as ``chokepoint sensitivity``: ``method`` is
    ``"tornado"`` (each parameter at its ``quantiles``, ``trials`` trials a run), ``"sobol"`` (variance-based
    indices from ``samples`` base samples, ``samples × (parameters + 3)`` trials, with ``bootstrap`` resamples for
    the intervals) or ``"both"``. ``metric`` is ``"loss"``, ``"short:END_USE"``, ``"delay:END_USE"`` or
    ``"units-short:END_USE"``; ``params`` are keys or patterns with ``*`` segments (default: every uncertain
    parameter).
    """
    if isinstance(params, str):
        params = [params]
    d = _call(
        _native.sensitivity,
        **_source(scenario, settings),
        method=method,
        metric=metric,
        params=list(params),
        quantiles=(float(quantiles[0]), float(quantiles[1])),
        samples=samples,
        bootstrap=bootstrap,
        mitigations=_names(mitigations, "mitigations"),
        trials=trials,
        seed=seed,
        threads=threads,
    )
    tables = d.pop("tables")
    frames = _frames(tables)
    return SensitivityResult(
        scenario=ScenarioInfo._of(d["scenario"]),
        seed=d["seed"],
        trial_count=d["trials"],
        parameters=d["parameters"],
        in_events=d["in_events"],
        base=d.get("base"),
        tornado=frames.get("tornado"),
        sobol=frames.get("sobol"),
        sobol_mean=d.get("sobol_mean"),
        sobol_variance=d.get("sobol_variance"),
        sobol_evaluations=d.get("sobol_evaluations"),
        arrow=dict(tables),
    )


@dataclass(frozen=True)
class WorldsResult:
    """A two-level study (``chokepoint run --worlds N --world-trials T``): what we do not know (the scenario's
    ``[uncertainty] knowledge`` parameters, drawn once per world) apart from what is random (drawn in every trial).

    ``knowledge`` lists the knowledge parameters' keys. ``table`` has the columns of ``worlds.parquet``: one row per
    world and quantity, ``knowledge`` (a parameter's value in that world, ``name`` its key) or a metric over the
    world's trials (``loss`` with an empty name; ``short_or_late``, ``units_short``, ``max_delay_weeks`` with
    ``name`` the end use), so that ``table.filter(pl.col("quantity") == "short_or_late")`` gives each end use's
    probability in every world.
    """

    scenario: ScenarioInfo
    seed: int
    trial_count: int
    world_count: int
    knowledge: list[str]
    table: pl.DataFrame
    arrow: Mapping[str, Any]


def worlds(
    scenario: ScenarioLike = None,
    *,
    worlds: Optional[int] = None,
    settings: SettingsLike = (),
    mitigations: OptionsLike = (),
    trials: int = 500,
    seed: int = 1,
    threads: int = 0,
) -> WorldsResult:
    """Runs ``worlds`` worlds (default: the scenario's ``[uncertainty] worlds``), each drawing the knowledge
    parameters once and running ``trials`` trials on the same seed, as ``chokepoint run --worlds N
    --world-trials T``. The knowledge parameters are the scenario's ``[uncertainty] knowledge`` (set them with
    ``settings='uncertainty.knowledge=[...]'``).
    """
    d = _call(
        _native.worlds,
        **_source(scenario, settings),
        worlds=worlds,
        mitigations=_names(mitigations, "mitigations"),
        trials=trials,
        seed=seed,
        threads=threads,
    )
    tables = d.pop("tables")
    return WorldsResult(
        scenario=ScenarioInfo._of(d["scenario"]),
        seed=d["seed"],
        trial_count=d["trials"],
        world_count=d["worlds"],
        knowledge=d["knowledge"],
        table=pl.DataFrame(tables["table"]),
        arrow=dict(tables),
    )


@dataclass(frozen=True)
class TraceResult:
    """The weekly flows of a few trials (``chokepoint trace``), each simulated as given and again without the
    scenario's disruptions on the same random draws.

    ``flows`` has the columns of ``flows.parquet``: one row per series, node, material and week, with the mean, p5,
    p50 and p95 across the traced trials. The series are what each stage shipped, received and made, each end use's
    builds, requirement and share met, each market's price index, and the indices of ``docs/output-schema.md``:
    ``export_index`` and ``throughput_index`` against the same trials without disruptions,
    ``cleared_export_index``, ``region_cleared_export_index`` and ``import_index`` against the run rate at the start
    of the horizon.
    """

    scenario: ScenarioInfo
    seed: int
    trial_count: int
    flows: pl.DataFrame
    arrow: Mapping[str, Any]


def trace(
    scenario: ScenarioLike = None,
    *,
    settings: SettingsLike = (),
    mitigations: OptionsLike = (),
    trials: int = 200,
    seed: int = 1,
) -> TraceResult:
    """Traces ``trials`` trials of ``scenario`` week by week, each also without its disruptions, as ``chokepoint
    trace`` (whose ``--with NAME`` is ``mitigations``). Trials run one after the other on one thread (traces are
    large); trial ``i`` is trial ``i`` of :func:`run` with the same seed. At most 100,000 trials, and no more than
    fit 8 GiB of weekly values (:class:`UsageError` otherwise, before anything runs).
    """
    d = _call(
        _native.trace,
        **_source(scenario, settings),
        mitigations=_names(mitigations, "mitigations"),
        trials=trials,
        seed=seed,
    )
    tables = d.pop("tables")
    return TraceResult(
        scenario=ScenarioInfo._of(d["scenario"]),
        seed=d["seed"],
        trial_count=d["trials"],
        flows=pl.DataFrame(tables["flows"]),
        arrow=dict(tables),
    )
