//! `chokepoint._native`: the extension behind the `chokepoint` Python package.
//!
//! Each function reads a scenario through `chokepoint-scenario-files` (as the binary does), runs the engine or an
//! analysis of `chokepoint-analysis` with the GIL released and Ctrl-C honoured ([`interrupt`]), and returns a
//! dict of plain values and [`arrow::ArrowTable`]s, which the pure-Python layer (`chokepoint/__init__.py`) turns
//! into result objects with polars DataFrames. The tables of a run are those of `chokepoint-tables`, the very
//! columns of the binary's files. No polars in here: Arrow arrays cross over through the C stream interface.

mod analysis_tables;
mod arrow;
mod interrupt;
mod source;

use std::ops::Range;
use std::path::PathBuf;

use chokepoint_analysis::AnalysisError;
use chokepoint_analysis::comparison::{Comparison, OptionKind, OptionSpec, options_of};
use chokepoint_analysis::evppi::{Choice, EvppiPlan, EvppiQuestion, PlanError};
use chokepoint_analysis::flows::{self, FlowsError};
use chokepoint_analysis::loss::{LossWeights, TrialLosses};
use chokepoint_analysis::outcome::VariantOutcome;
use chokepoint_analysis::parameters::{require_some, select};
use chokepoint_analysis::portfolio::{self, Objective, ObjectiveKind, PortfolioQuestion, confirmation_seed};
use chokepoint_analysis::sizing::{self, SizingQuestion, SizingTarget};
use chokepoint_analysis::sobol::{self, SobolQuestion};
use chokepoint_analysis::sweep as sweeps;
use chokepoint_analysis::tornado::{self, TornadoQuestion};
use chokepoint_analysis::variants::VariantRunner;
use chokepoint_analysis::worlds as two_level;
use chokepoint_engine::report::summarize_run;
use chokepoint_engine::stats::{Proportion, Summary};
use chokepoint_engine::{RunConfig, RunError, RunResults};
use chokepoint_scenario::{Parameter, Scope, VariantError};
use chokepoint_scenario_files::sweep::{PointError, SweepScenario};
use chokepoint_scenario_files::{LoadError, LoadedScenario, NamedOptions, OptionInput, OptionWord, add_option_files};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use chokepoint_analysis::limits::{
    MAX_BOOTSTRAP, MAX_EVPPI_SAMPLES, MAX_PORTFOLIOS, MAX_RESULTS_BYTES, MAX_SOBOL_SAMPLES, MAX_THREADS, MAX_TRIALS,
};

use crate::arrow::ArrowTable;
use crate::interrupt::interruptible;
use crate::source::{
    ChokepointError, ScenarioError, UsageError, analysis_error, load, load_error, source, variant_error, warnings,
};

/// Rows per record batch of the per-trial tables (as the binary's Parquet row groups).
const BATCH_ROWS: usize = 1 << 17;

fn batches(trials: usize) -> impl Iterator<Item = Range<usize>> {
    (0..trials).step_by(BATCH_ROWS).map(move |start| start..(start + BATCH_ROWS).min(trials))
}

/// The settings of a run, checked as the CLI checks them; as there, a run never uses more threads than trials
/// (0 takes one per available core).
fn config(trials: u64, seed: u64, threads: usize, bands: bool) -> PyResult<RunConfig> {
    if !(1..=MAX_TRIALS).contains(&trials) {
        return Err(UsageError::new_err(format!("trials must be between 1 and {MAX_TRIALS}, not {trials}")));
    }
    if threads > MAX_THREADS {
        return Err(UsageError::new_err(format!(
            "{threads} threads is more than the {MAX_THREADS} allowed (0 takes one per available core)"
        )));
    }
    let at_most = usize::try_from(trials).unwrap_or(usize::MAX);
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get()).min(at_most)
    } else {
        threads.min(at_most)
    };
    Ok(RunConfig { trials, seed, threads, bands, first_trial: 0 })
}

/// Refuses a size argument `name` above `max` (as the CLI's flags, `docs/cli.md`, "Limits").
fn at_most(name: &str, value: usize, max: u64) -> PyResult<()> {
    if u64::try_from(value).is_ok_and(|v| v <= max) {
        return Ok(());
    }
    Err(UsageError::new_err(format!("{name}={value} is more than the {max} allowed")))
}

/// Refuses a study of `trials` trials in all (computed saturating) above [`MAX_TRIALS`], and one whose memory
/// `bytes` passes [`MAX_RESULTS_BYTES`]; `what` names it.
fn study_within_limits(what: &str, trials: u64, bytes: u128) -> PyResult<()> {
    if trials > MAX_TRIALS {
        return Err(UsageError::new_err(format!("{what} would run more than the {MAX_TRIALS} trials allowed")));
    }
    if bytes > MAX_RESULTS_BYTES {
        return Err(UsageError::new_err(format!(
            "{what} would need {:.1} GiB, more than the limit of 8 GiB",
            bytes as f64 / f64::from(1u32 << 30)
        )));
    }
    Ok(())
}

/// Refuses, as the CLI does, a comparison of `variants` variants (the baseline and each option) whose kept values
/// of every variant, with one run's per-trial results, would not fit in [`MAX_RESULTS_BYTES`].
fn check_comparison_memory(model: &chokepoint_engine::Model, variants: usize, trials: u64) -> PyResult<()> {
    let per_trial = chokepoint_analysis::limits::comparison_bytes_per_trial(model, variants);
    let what = format!("a comparison of {variants} variants of {trials} trials");
    study_within_limits(&what, 0, per_trial.saturating_mul(u128::from(trials)))
}

/// Refuses, before any trial runs, a trial count whose per-trial results would not fit in [`MAX_RESULTS_BYTES`],
/// naming the most trials that would.
fn check_memory(model: &chokepoint_engine::Model, trials: u64) -> PyResult<()> {
    check_memory_of(model, "trials", trials)
}

/// As [`check_memory`], for the trials of one run given by the argument `name`.
fn check_memory_of(model: &chokepoint_engine::Model, name: &str, trials: u64) -> PyResult<()> {
    let bytes = chokepoint_engine::results_bytes(model, trials);
    if bytes <= MAX_RESULTS_BYTES {
        return Ok(());
    }
    let per_trial = chokepoint_engine::results_bytes(model, 1).max(1);
    Err(UsageError::new_err(format!(
        "{name}={trials} would need {:.1} GiB for the per-trial results of scenario `{}` ({per_trial} bytes a trial), \
         more than the limit of 8 GiB: give {name}={} or fewer",
        bytes as f64 / f64::from(1u32 << 30),
        model.spec().name,
        MAX_RESULTS_BYTES / per_trial
    )))
}

/// The most trials `trace` takes, as the CLI's `--trials` of `chokepoint trace`.
const MAX_TRACE_TRIALS: u64 = 100_000;

/// Refuses, before any trial runs, a trace whose weekly values (held until they are summarised) would not fit in
/// [`MAX_RESULTS_BYTES`], as the CLI does.
fn check_trace_memory(model: &chokepoint_engine::Model, trials: u64) -> PyResult<()> {
    if trials == 0 || trials > MAX_TRACE_TRIALS {
        return Err(UsageError::new_err(format!("trials={trials} is not in 1..={MAX_TRACE_TRIALS}")));
    }
    let per_trial = flows::values_bytes(model, 1).max(1);
    let bytes = per_trial * u128::from(trials);
    if bytes <= MAX_RESULTS_BYTES {
        return Ok(());
    }
    Err(UsageError::new_err(format!(
        "trials={trials} would need {:.1} GiB for the traced weekly values of scenario `{}` ({per_trial} bytes a \
         trial), more than the limit of 8 GiB: give trials={} or fewer",
        bytes as f64 / f64::from(1u32 << 30),
        model.spec().name,
        MAX_RESULTS_BYTES / per_trial
    )))
}

fn run_error(e: RunError) -> PyErr {
    ChokepointError::new_err(format!("could not run the trials: {e}"))
}

/// The options `words` name (a mitigation or package of the scenario, or a file ending in `.toml` whose mitigations
/// and packages are added to it, as the CLI's `--mitigation NAME|FILE`), each once, in order (then every one, with
/// `all`). The files added are recorded in `loaded.overlays`.
fn named_options(loaded: &mut LoadedScenario, words: Vec<String>, all: bool) -> PyResult<Vec<OptionSpec>> {
    let words: Vec<OptionWord> = words.into_iter().map(OptionWord::from_word).collect();
    let named = add_option_files(&mut loaded.scenario, &words).map_err(load_error)?;
    let mut specs = options_of(&loaded.scenario, &named.names, all).map_err(variant_error)?;
    for spec in &mut specs {
        spec.source = named.defined_by.iter().find(|(n, _)| *n == spec.name).map(|(_, f)| f.clone());
    }
    loaded.overlays.extend(named.overlays);
    Ok(specs)
}

/// Statistics of a distribution as a dict (`n`, `mean`, `sd`, `se`, `ci95_low`, ..., `cvar95`).
fn summary_dict<'py>(py: Python<'py>, s: &Summary) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("n", s.n)?;
    for (k, v) in [
        ("mean", s.mean),
        ("sd", s.sd),
        ("se", s.se),
        ("ci95_low", s.ci95_low),
        ("ci95_high", s.ci95_high),
        ("min", s.min),
        ("p5", s.p5),
        ("p50", s.p50),
        ("p95", s.p95),
        ("p99", s.p99),
        ("max", s.max),
        ("cvar95", s.cvar95),
    ] {
        d.set_item(k, v)?;
    }
    Ok(d)
}

/// A proportion with its Wilson interval as a dict (`k`, `n`, `p`, `ci95_low`, `ci95_high`).
fn proportion_dict<'py>(py: Python<'py>, p: &Proportion) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("k", p.k)?;
    d.set_item("n", p.n)?;
    d.set_item("p", p.p)?;
    d.set_item("ci95_low", p.ci95_low)?;
    d.set_item("ci95_high", p.ci95_high)?;
    Ok(d)
}

/// What every result says about its scenario.
fn scenario_dict<'py>(py: Python<'py>, loaded: &LoadedScenario) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("origin", &loaded.origin)?;
    d.set_item("name", &loaded.scenario.name)?;
    d.set_item("sha256", &loaded.sha256)?;
    let bases: Vec<(String, String)> = loaded.bases.iter().map(|b| (b.origin.clone(), b.sha256.clone())).collect();
    d.set_item("bases", bases)?;
    d.set_item("warnings", warnings(loaded))?;
    d.set_item("mitigations", &loaded.applied)?;
    let overlays: Vec<(String, String)> =
        loaded.overlays.iter().map(|o| (o.origin.clone(), o.sha256.clone())).collect();
    d.set_item("overlays", overlays)?;
    d.set_item("settings", &loaded.settings)?;
    Ok(d)
}

/// Reads and checks a scenario; returns what it holds.
#[pyfunction]
#[pyo3(signature = (*, path = None, text = None, settings = Vec::new()))]
fn validate<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    settings: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let source = source(path, text)?;
    let loaded = py.detach(|| load(source, &settings))?;
    let scenario = &loaded.scenario;
    let spec = scenario.model.spec();
    let d = scenario_dict(py, &loaded)?;
    d.set_item("stages", spec.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>())?;
    d.set_item("links", spec.links.len())?;
    d.set_item("end_uses", spec.end_uses.iter().map(|e| e.name.clone()).collect::<Vec<_>>())?;
    d.set_item("disruptions", spec.disruptions.len())?;
    d.set_item("periods", spec.periods)?;
    d.set_item("period_weeks", spec.period_weeks)?;
    d.set_item("available_mitigations", scenario.mitigations.iter().map(|m| m.name.clone()).collect::<Vec<_>>())?;
    d.set_item("packages", scenario.packages.iter().map(|p| p.name.clone()).collect::<Vec<_>>())?;
    Ok(d)
}

/// Runs the trials of a scenario (with `mitigations` applied, in order) and returns its tables.
#[pyfunction]
#[pyo3(signature = (*, path = None, text = None, settings = Vec::new(), trials, seed, threads, mitigations))]
#[allow(clippy::too_many_arguments)]
fn run<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    settings: Vec<String>,
    trials: u64,
    seed: u64,
    threads: usize,
    mitigations: Vec<String>,
) -> PyResult<Bound<'py, PyDict>> {
    let config = config(trials, seed, threads, true)?;
    let mut loaded = load(source(path, text)?, &settings)?;
    if !mitigations.is_empty() {
        let specs = named_options(&mut loaded, mitigations, false)?;
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        loaded.scenario.model = loaded.scenario.variant(&names).map_err(variant_error)?;
        loaded.applied = specs.into_iter().map(|s| s.name).collect();
    }
    let scenario = &loaded.scenario;
    let model = &scenario.model;
    check_memory(model, trials)?;
    let results: RunResults =
        interruptible(py, |progress| chokepoint_engine::run_cancellable(model, &config, progress))?
            .map_err(run_error)?;
    let tables = py.detach(|| -> PyResult<_> {
        let summary = summarize_run(model, &results);
        let losses = TrialLosses::of(scenario, &results);
        let weeks = model.spec().period_weeks;
        let trials = ArrowTable::new(
            chokepoint_tables::TRIALS,
            (0..results.n_end_uses).flat_map(|e| {
                let (results, losses) = (&results, &losses);
                batches(results.trials)
                    .map(move |r| chokepoint_tables::trials_of_run(scenario, results, &losses.end_uses, e, r))
            }),
        )?;
        let stage_losses = ArrowTable::new(
            chokepoint_tables::STAGE_LOSSES,
            (0..results.n_stages).flat_map(|s| {
                let results = &results;
                batches(results.trials).map(move |r| chokepoint_tables::stage_losses_of_run(model, results, s, r))
            }),
        )?;
        let table_error = |e: chokepoint_tables::TableError| ChokepointError::new_err(e.to_string());
        let bands = ArrowTable::new(
            chokepoint_tables::BANDS,
            [chokepoint_tables::bands(&summary, weeks).map_err(table_error)?],
        )?;
        let backlog_bands = ArrowTable::new(
            chokepoint_tables::BACKLOG_BANDS,
            [chokepoint_tables::backlog_bands(&summary, weeks).map_err(table_error)?],
        )?;
        let summary_table = ArrowTable::new(
            chokepoint_tables::SUMMARY,
            [chokepoint_tables::summary(scenario, &summary, &losses.end_uses, &losses.trials)],
        )?;
        Ok([
            ("trials", trials),
            ("stage_losses", stage_losses),
            ("bands", bands),
            ("backlog_bands", backlog_bands),
            ("summary", summary_table),
        ])
    })?;
    drop(results);
    let d = PyDict::new(py);
    d.set_item("scenario", scenario_dict(py, &loaded)?)?;
    d.set_item("seed", seed)?;
    d.set_item("trials", trials)?;
    d.set_item("periods", model.spec().periods)?;
    d.set_item("period_weeks", model.spec().period_weeks)?;
    d.set_item("loss_unit", scenario.loss.unit.label())?;
    let t = PyDict::new(py);
    for (name, table) in tables {
        t.set_item(name, Py::new(py, table)?)?;
    }
    d.set_item("tables", t)?;
    Ok(d)
}

/// What a caller asked of the value of information (`evppi`, `evppi_params`, `evppi_samples`, `evppi_trials`).
struct EvppiAsked {
    params: Vec<String>,
    samples: usize,
    trials: u64,
}

impl EvppiAsked {
    /// The request, or `None` when neither `evppi` nor a parameter was given; refuses sizes the CLI refuses.
    fn of(enabled: bool, params: Vec<String>, samples: usize, trials: u64) -> PyResult<Option<Self>> {
        if !enabled && params.is_empty() {
            return Ok(None);
        }
        if samples < 2 {
            return Err(UsageError::new_err(format!("evppi_samples must be 2 or more, not {samples}")));
        }
        at_most("evppi_samples", samples, MAX_EVPPI_SAMPLES)?;
        if !(1..=MAX_TRIALS).contains(&trials) {
            return Err(UsageError::new_err(format!("evppi_trials must be between 1 and {MAX_TRIALS}, not {trials}")));
        }
        Ok(Some(Self { params, samples, trials }))
    }

    /// Refuses, as the CLI does, a value of information among `options` options whose per-trial values would not
    /// fit in memory.
    fn check_memory(&self, options: usize) -> PyResult<()> {
        let what = format!(
            "the value of information among {options} options with evppi_samples={} and evppi_trials={}",
            self.samples, self.trials
        );
        let bytes = chokepoint_analysis::evppi::memory_bytes(options, self.samples, self.trials, EVPPI_BOOTSTRAP);
        study_within_limits(&what, 0, bytes)
    }

    /// The plan for `choices`, with the package's words for what cannot be planned; refused, as the CLI refuses
    /// it, when it would run more than [`MAX_TRIALS`] trials or not fit in memory.
    fn plan(&self, scenario: &chokepoint_scenario::Scenario, choices: &[Choice]) -> PyResult<EvppiPlan> {
        check_memory_of(&scenario.model, "evppi_trials", self.trials)?;
        let plan = self.plan_unchecked(scenario, choices)?;
        let what = format!(
            "the value of information ({} parameters, evppi_samples={}, evppi_trials={})",
            plan.keys.len(),
            self.samples,
            self.trials
        );
        study_within_limits(&what, plan.trials(self.samples, self.trials), 0)?;
        self.check_memory(plan.options.len())?;
        Ok(plan)
    }

    fn plan_unchecked(&self, scenario: &chokepoint_scenario::Scenario, choices: &[Choice]) -> PyResult<EvppiPlan> {
        EvppiPlan::new(scenario, choices, &self.params).map_err(|e| match e {
            PlanError::Variant(v) => variant_error(v),
            PlanError::NothingToValue => UsageError::new_err(
                "the value of information values the knowledge parameters of the scenario, and it lists none: name \
                 parameters with `evppi_params=[KEY, ...]` (key paths or patterns such as \
                 `stages.*.inventory_weeks.initial`), or list them in `[uncertainty] knowledge`",
            ),
            PlanError::Unmatched { pattern } => UsageError::new_err(format!(
                "`{pattern}` of evppi_params matches no uncertain parameter drawn once per trial in the scenario or \
                 the options; `chokepoint sensitivity SCENARIO --list` lists them"
            )),
        })
    }

    /// Runs `plan` on `metric` with the caller's seed and threads, Ctrl-C honoured, and returns the
    /// `value_of_information` entry of the result: the choice, its sizes and its two tables.
    #[allow(clippy::too_many_arguments)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        plan: &EvppiPlan,
        scenario: &chokepoint_scenario::Scenario,
        metric: Objective,
        net_of_cost: bool,
        seed: u64,
        threads: usize,
    ) -> PyResult<Bound<'py, PyDict>> {
        let config = config(self.trials, seed, threads, false)?;
        let question = EvppiQuestion { metric, outer: self.samples, bootstrap: EVPPI_BOOTSTRAP, seed };
        let weights = LossWeights::of(scenario);
        let answer = interruptible(py, |progress| {
            let mut runner = VariantRunner::cancellable(config, progress);
            plan.run(&question, &weights, &mut runner)
        })?
        .map_err(analysis_error)?;
        let d = PyDict::new(py);
        d.set_item("net_of_cost", net_of_cost)?;
        d.set_item("outer_samples", self.samples)?;
        d.set_item("trials_per_run", self.trials)?;
        d.set_item("trials", plan.trials(self.samples, self.trials))?;
        d.set_item("bootstrap", EVPPI_BOOTSTRAP)?;
        d.set_item("best", answer.options[answer.best].clone())?;
        let expected = PyDict::new(py);
        for (name, x) in answer.options.iter().zip(&answer.expected) {
            expected.set_item(name, *x)?;
        }
        d.set_item("expected", expected)?;
        let t = PyDict::new(py);
        t.set_item(
            "parameters",
            Py::new(py, ArrowTable::new(chokepoint_tables::EVPPI, [chokepoint_tables::evppi(&answer)])?)?,
        )?;
        t.set_item(
            "samples",
            Py::new(
                py,
                ArrowTable::new(chokepoint_tables::EVPPI_SAMPLES, [chokepoint_tables::evppi_samples(&answer)])?,
            )?,
        )?;
        d.set_item("tables", t)?;
        Ok(d)
    }
}

/// Bootstrap resamples of the value of information's interval and bias (as the CLI).
const EVPPI_BOOTSTRAP: usize = 200;

/// Compares mitigation options with the baseline on common random numbers.
#[pyfunction]
#[pyo3(signature = (*, path = None, text = None, settings = Vec::new(), options, all, trials, seed, threads, evppi = false, evppi_params = Vec::new(), evppi_samples = 16, evppi_trials = 500))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    settings: Vec<String>,
    options: Vec<String>,
    all: bool,
    trials: u64,
    seed: u64,
    threads: usize,
    evppi: bool,
    evppi_params: Vec<String>,
    evppi_samples: usize,
    evppi_trials: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let config = config(trials, seed, threads, false)?;
    let information = EvppiAsked::of(evppi, evppi_params, evppi_samples, evppi_trials)?;
    let mut loaded = load(source(path, text)?, &settings)?;
    let specs = named_options(&mut loaded, options, all)?;
    check_comparison_memory(&loaded.scenario.model, specs.len() + 1, trials)?;
    let scenario = &loaded.scenario;
    check_memory(&scenario.model, trials)?;
    if specs.is_empty() {
        return Err(UsageError::new_err(if all {
            format!("scenario `{}` defines no mitigation or package to compare", scenario.name)
        } else {
            "no option to compare: name a mitigation or package in `options`, or compare every one with `all=True`"
                .to_owned()
        }));
    }
    let models = specs
        .iter()
        .map(|o| scenario.variant(&[o.name.as_str()]).map_err(variant_error))
        .collect::<PyResult<Vec<_>>>()?;
    // The value of information is planned before any trial runs, so that a bad parameter fails fast.
    let information = match information {
        Some(asked) => {
            let (choices, net_of_cost) = Choice::of_comparison(scenario, &specs);
            let plan = asked.plan(scenario, &choices)?;
            Some((asked, plan, net_of_cost))
        }
        None => None,
    };
    let weights = LossWeights::of(scenario);
    let outcomes = interruptible(py, |progress| -> Result<Vec<VariantOutcome>, RunError> {
        let mut runner = VariantRunner::cancellable(config, progress);
        std::iter::once(&scenario.model)
            .chain(&models)
            .map(|m| Ok(VariantOutcome::of(&runner.run(m)?, &weights)))
            .collect()
    })?
    .map_err(run_error)?;
    let (baseline, options) = outcomes.split_first().expect("the baseline ran");
    let comparison = Comparison::new(scenario, &specs, baseline, options);
    let d = PyDict::new(py);
    d.set_item("scenario", scenario_dict(py, &loaded)?)?;
    d.set_item("seed", seed)?;
    d.set_item("trials", trials)?;
    d.set_item("loss_unit", comparison.loss_unit.label())?;
    d.set_item("horizon_years", comparison.horizon_years)?;
    d.set_item("baseline_loss", summary_dict(py, &comparison.baseline_loss)?)?;
    d.set_item("option_names", specs.iter().map(|s| s.name.clone()).collect::<Vec<_>>())?;
    let t = PyDict::new(py);
    t.set_item(
        "options",
        Py::new(py, ArrowTable::new(analysis_tables::OPTIONS, [analysis_tables::options(&specs, &comparison)])?)?,
    )?;
    t.set_item(
        "end_uses",
        Py::new(py, ArrowTable::new(analysis_tables::END_USES, [analysis_tables::end_uses(&specs, &comparison)])?)?,
    )?;
    let paired = specs.iter().zip(options).map(|(s, o)| analysis_tables::paired_losses(baseline, &s.name, o));
    t.set_item("paired_losses", Py::new(py, ArrowTable::new(analysis_tables::PAIRED_LOSSES, paired)?)?)?;
    d.set_item("tables", t)?;
    let value_of_information = match &information {
        Some((asked, plan, net_of_cost)) => {
            Some(asked.run(py, plan, scenario, Objective::Loss, *net_of_cost, seed, threads)?)
        }
        None => None,
    };
    d.set_item("value_of_information", value_of_information)?;
    Ok(d)
}

/// Sizes a stockpile mitigation so that an end use meets a target.
#[pyfunction]
#[pyo3(signature = (*, path = None, text = None, settings = Vec::new(), stockpile, end_use, max_shortfall_probability, max_delay_weeks, delay_quantile, with_, max_size, step, trials, seed, threads))]
#[allow(clippy::too_many_arguments)]
fn size_stockpile<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    settings: Vec<String>,
    stockpile: String,
    end_use: String,
    max_shortfall_probability: Option<f64>,
    max_delay_weeks: Option<f64>,
    delay_quantile: f64,
    with_: Vec<String>,
    max_size: Option<f64>,
    step: Option<f64>,
    trials: u64,
    seed: u64,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let config = config(trials, seed, threads, false)?;
    let target = match (max_shortfall_probability, max_delay_weeks) {
        (Some(_), Some(_)) => {
            return Err(UsageError::new_err("give max_shortfall_probability or max_delay_weeks, not both"));
        }
        (Some(p), None) if (0.0..1.0).contains(&p) => SizingTarget::ShortOrLateProbability(p),
        (Some(p), None) => return Err(UsageError::new_err(format!("`{p}` is not a probability in [0, 1)"))),
        (None, Some(w)) if w >= 0.0 && delay_quantile > 0.0 && delay_quantile < 1.0 => {
            SizingTarget::DelayQuantile { quantile: delay_quantile, max_weeks: w }
        }
        (None, Some(_)) => {
            return Err(UsageError::new_err(
                "max_delay_weeks must be 0 or more and delay_quantile a quantile in (0, 1)",
            ));
        }
        (None, None) => return Err(UsageError::new_err("give a target: max_shortfall_probability or max_delay_weeks")),
    };
    for (name, x) in [("max_size", max_size), ("step", step)] {
        if let Some(x) = x
            && !(x > 0.0 && x.is_finite())
        {
            return Err(UsageError::new_err(format!("{name} must be a positive number, not {x}")));
        }
    }
    let loaded = load(source(path, text)?, &settings)?;
    let scenario = &loaded.scenario;
    check_memory(&scenario.model, trials)?;
    let question = SizingQuestion { stockpile, end_use, target, with: with_, max_size, step };
    let answer = interruptible(py, |progress| {
        let mut runner = VariantRunner::cancellable(config, progress);
        sizing::size_stockpile(scenario, &question, &mut runner)
    })?
    .map_err(analysis_error)?;
    let spec = scenario.model.spec();
    let years = scenario.horizon_years();
    let material = &spec.materials[answer.material];
    let evaluation = |e: &sizing::Evaluation| -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("size", e.size)?;
        d.set_item("short_or_late", proportion_dict(py, &e.short_or_late)?)?;
        d.set_item("delay_quantile_weeks", e.delay_quantile_weeks)?;
        d.set_item("meets_target", e.meets_target)?;
        Ok(d)
    };
    let d = PyDict::new(py);
    d.set_item("scenario", scenario_dict(py, &loaded)?)?;
    d.set_item("seed", seed)?;
    d.set_item("trials", trials)?;
    d.set_item("stockpile", &question.stockpile)?;
    d.set_item("end_use", &question.end_use)?;
    d.set_item("material", &material.name)?;
    d.set_item("unit", chokepoint_tables::unit_name(material.unit))?;
    d.set_item("found", answer.size.is_some())?;
    d.set_item("size", answer.size)?;
    d.set_item("file_size", answer.file_size)?;
    d.set_item("max_size", answer.max_size)?;
    d.set_item("step", answer.step)?;
    d.set_item("at", evaluation(&answer.at)?)?;
    d.set_item("next_smaller", answer.next_smaller.as_ref().map(evaluation).transpose()?)?;
    d.set_item("cost_usd", answer.cost.map(|c| c.total_usd(years)))?;
    d.set_item("with_cost_usd", answer.with_cost.total_usd(years))?;
    let survive = match &answer.time_to_survive {
        Some(t) => {
            let s = PyDict::new(py);
            s.set_item("normal_use_per_week", t.normal_use_per_week)?;
            s.set_item("weeks_of_normal_use", t.weeks_of_normal_use)?;
            s.set_item("release_class_use_per_week", t.release_class_use_per_week)?;
            s.set_item("weeks_of_release_class_use", t.weeks_of_release_class_use)?;
            s.set_item("weeks_at_max_release_rate", t.weeks_at_max_release_rate)?;
            Some(s)
        }
        None => None,
    };
    d.set_item("time_to_survive", survive)?;
    let t = PyDict::new(py);
    t.set_item(
        "evaluations",
        Py::new(py, ArrowTable::new(analysis_tables::EVALUATIONS, [analysis_tables::evaluations(&answer)])?)?,
    )?;
    d.set_item("tables", t)?;
    Ok(d)
}

/// An objective as the CLI's `--objective` spells it.
fn objective_kind(text: &str) -> PyResult<(ObjectiveKind, &str)> {
    ObjectiveKind::parse(text).map_err(UsageError::new_err)
}

/// Searches the best set of mitigations within a budget.
#[pyfunction]
#[pyo3(signature = (*, path = None, text = None, settings = Vec::new(), budget_usd, objective, candidates, exhaustive_limit, max_evaluations, trials, seed, threads, evppi = false, evppi_params = Vec::new(), evppi_samples = 16, evppi_trials = 500))]
#[allow(clippy::too_many_arguments)]
fn optimize<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    settings: Vec<String>,
    budget_usd: f64,
    objective: String,
    candidates: Vec<String>,
    exhaustive_limit: usize,
    max_evaluations: usize,
    trials: u64,
    seed: u64,
    threads: usize,
    evppi: bool,
    evppi_params: Vec<String>,
    evppi_samples: usize,
    evppi_trials: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let config = config(trials, seed, threads, false)?;
    at_most("exhaustive_limit", exhaustive_limit, MAX_PORTFOLIOS)?;
    if max_evaluations == 0 {
        return Err(UsageError::new_err("max_evaluations must be 1 or more, not 0"));
    }
    at_most("max_evaluations", max_evaluations, MAX_PORTFOLIOS)?;
    let information = EvppiAsked::of(evppi, evppi_params, evppi_samples, evppi_trials)?;
    if let Some(asked) = &information {
        // Its options are known once the frontier is: at most the six best portfolios, checked before the search.
        asked.check_memory(chokepoint_analysis::evppi::PORTFOLIO_CHOICES)?;
    }
    if !(budget_usd.is_finite() && (0.0..=chokepoint_scenario::MAX_AMOUNT).contains(&budget_usd)) {
        return Err(UsageError::new_err(format!("`{budget_usd}` is not a budget: give US dollars of zero or more")));
    }
    let (kind, end_use) = objective_kind(&objective)?;
    let mut loaded = load(source(path, text)?, &settings)?;
    let all = candidates.is_empty();
    let mut specs = named_options(&mut loaded, candidates, all)?;
    let scenario = &loaded.scenario;
    check_memory(&scenario.model, trials)?;
    if all {
        // By default the candidates are the mitigations; packages are combinations the search makes itself.
        specs.retain(|c| matches!(c.kind, OptionKind::Mitigation { .. }));
    }
    if specs.is_empty() {
        return Err(UsageError::new_err(format!("scenario `{}` has no mitigation to choose from", scenario.name)));
    }
    let objective = Objective::resolve(scenario, kind, end_use).map_err(analysis_error)?;
    let question = PortfolioQuestion {
        candidates: specs,
        budget_usd,
        objective,
        exhaustive_limit,
        max_evaluations: max_evaluations.max(1),
        confirmation_seed: confirmation_seed(seed),
    };
    let answer = interruptible(py, |progress| -> Result<_, AnalysisError> {
        let mut runner = VariantRunner::cancellable(config, progress);
        portfolio::optimize(scenario, &question, &mut runner)
    })?
    .map_err(analysis_error)?;
    let best = &answer.evaluated[answer.best];
    let d = PyDict::new(py);
    d.set_item("scenario", scenario_dict(py, &loaded)?)?;
    d.set_item("seed", seed)?;
    d.set_item("trials", trials)?;
    d.set_item(
        "search",
        match answer.search {
            portfolio::Search::Exhaustive => "exhaustive",
            portfolio::Search::Heuristic => "heuristic",
        },
    )?;
    d.set_item("within_budget", answer.within_budget)?;
    d.set_item("best", best.members.iter().map(|&i| question.candidates[i].name.clone()).collect::<Vec<_>>())?;
    d.set_item("best_cost_usd", best.cost_usd)?;
    let c = PyDict::new(py);
    c.set_item("seed", question.confirmation_seed)?;
    c.set_item("objective", summary_dict(py, &answer.confirmation.objective)?)?;
    c.set_item("baseline", summary_dict(py, &answer.confirmation_baseline)?)?;
    c.set_item("improvement", summary_dict(py, &answer.confirmation.improvement.avoided)?)?;
    d.set_item("confirmation", c)?;
    let refused: Vec<(String, String)> = answer
        .refused
        .iter()
        .map(|(m, reason)| (analysis_tables::portfolio_name(&question, m), reason.clone()))
        .collect();
    d.set_item("refused", refused)?;
    let t = PyDict::new(py);
    t.set_item(
        "portfolios",
        Py::new(py, ArrowTable::new(analysis_tables::PORTFOLIOS, [analysis_tables::portfolios(&question, &answer)])?)?,
    )?;
    d.set_item("tables", t)?;
    // As `optimize --evppi`: the choice among the frontier's best portfolios within the budget, on the objective.
    let value_of_information = match information {
        Some(asked) => {
            let plan = asked.plan(scenario, &Choice::of_portfolios(&question, &answer))?;
            Some(asked.run(py, &plan, scenario, question.objective, false, seed, threads)?)
        }
        None => None,
    };
    d.set_item("value_of_information", value_of_information)?;
    Ok(d)
}

/// Runs the scenario at every point of a grid (or, with `zip`, a list) of values of some of its keys, each point
/// on the same seed and trials, as `chokepoint sweep`.
#[pyfunction]
#[pyo3(signature = (*, path = None, text = None, settings = Vec::new(), keys, values, zip, mitigations, trials, seed, threads))]
#[allow(clippy::too_many_arguments)]
fn sweep<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    settings: Vec<String>,
    keys: Vec<String>,
    values: Vec<Vec<f64>>,
    zip: bool,
    mitigations: Vec<String>,
    trials: u64,
    seed: u64,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let config = config(trials, seed, threads, false)?;
    if let Some((i, key)) = keys.iter().enumerate().find(|(i, k)| keys[..*i].contains(k)) {
        return Err(UsageError::new_err(format!("`{key}` is swept twice (key {} of `vary`): give it once", i + 1)));
    }
    let scenario_text = chokepoint_scenario_files::read(source(path, text)?).map_err(load_error)?;
    let fixed = chokepoint_scenario_files::numbered_settings("settings", &settings);
    let mut loaded = scenario_text.parse(&fixed).map_err(|d| load_error(LoadError::Invalid(Box::new(d))))?;
    let mut named = NamedOptions::default();
    let mut overlays = Vec::new();
    for word in mitigations.into_iter().map(OptionWord::from_word) {
        let input = OptionInput::read(&word).map_err(load_error)?;
        named.add(&mut loaded.scenario, &input).map_err(load_error)?;
        if let OptionInput::Overlay { file, .. } = input {
            overlays.push(file);
        }
    }
    let specs = options_of(&loaded.scenario, &named.names, false).map_err(variant_error)?;
    let applied: Vec<String> = specs.iter().map(|s| s.name.clone()).collect();
    loaded.applied.clone_from(&applied);
    loaded.overlays.extend(named.overlays);
    let points = sweeps::points(&values, zip).map_err(analysis_error)?;
    let scenario = &loaded.scenario;
    check_memory(&scenario.model, trials)?;
    let end_uses: Vec<String> = scenario.model.spec().end_uses.iter().map(|e| e.name.clone()).collect();
    let weights = LossWeights::of(scenario);
    let sweep_scenario = SweepScenario {
        text: scenario_text,
        settings: fixed,
        keys: keys.clone(),
        vary_name: "vary".to_owned(),
        overlays,
        applied,
    };
    let answer = interruptible(py, |progress| -> Result<_, AnalysisError> {
        let mut runner = VariantRunner::cancellable(config, progress);
        let mut build = |point: &[f64]| sweep_scenario.model_at(point).map_err(point_error);
        sweeps::sweep(&points, &mut build, &weights, &mut runner)
    })?
    .map_err(analysis_error)?;
    let table = chokepoint_tables::sweep(&end_uses, &answer);
    let key_values: Vec<Vec<f64>> =
        (0..keys.len()).map(|k| chokepoint_tables::sweep_key_values(&answer, &table, k)).collect();
    let d = PyDict::new(py);
    d.set_item("scenario", scenario_dict(py, &loaded)?)?;
    d.set_item("seed", seed)?;
    d.set_item("trials", trials)?;
    d.set_item("keys", keys)?;
    d.set_item("points", points)?;
    d.set_item("key_values", key_values)?;
    let t = PyDict::new(py);
    t.set_item("table", Py::new(py, ArrowTable::new(chokepoint_tables::SWEEP, [table])?)?)?;
    d.set_item("tables", t)?;
    Ok(d)
}

/// A sweep's point that could not be built, as the analysis reports it.
fn point_error(e: PointError) -> AnalysisError {
    match e {
        PointError::NotANumber { key, reason } => AnalysisError::Question(format!(
            "`{key}` does not hold a number ({reason}), so it cannot be swept: a sweep varies numeric keys \
             (capacities, stocks, durations, probabilities). To compare other values, call `chokepoint.run` with \
             `settings=\"{key}=VALUE\"` once per value"
        )),
        PointError::Invalid(d) => AnalysisError::Variant(VariantError::Invalid(d)),
        PointError::Variant(v) => AnalysisError::Variant(v),
    }
}

/// The sensitivity of a metric to the scenario's uncertain parameters: a tornado (each parameter at a low and a
/// high quantile, the others as drawn) and/or variance-based (Sobol) indices, as `chokepoint sensitivity`.
#[pyfunction]
#[pyo3(signature = (*, path = None, text = None, settings = Vec::new(), method, metric, params, quantiles, samples, bootstrap, mitigations, trials, seed, threads))]
#[allow(clippy::too_many_arguments)]
fn sensitivity<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    settings: Vec<String>,
    method: String,
    metric: String,
    params: Vec<String>,
    quantiles: (f64, f64),
    samples: usize,
    bootstrap: usize,
    mitigations: Vec<String>,
    trials: u64,
    seed: u64,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let config = config(trials, seed, threads, false)?;
    let (run_tornado, run_sobol) = match method.as_str() {
        "tornado" => (true, false),
        "sobol" => (false, true),
        "both" => (true, true),
        other => {
            return Err(UsageError::new_err(format!(
                "`{other}` is not a method: give \"tornado\", \"sobol\" or \"both\""
            )));
        }
    };
    let (low, high) = quantiles;
    if !(0.0 <= low && low < high && high <= 1.0) {
        return Err(UsageError::new_err(format!(
            "({low}, {high}) are not two quantiles (low, high) with 0 <= low < high <= 1, such as (0.1, 0.9)"
        )));
    }
    if run_sobol && samples < 2 {
        return Err(UsageError::new_err(format!("a Sobol design needs at least 2 samples, not {samples}")));
    }
    if run_sobol {
        at_most("samples", samples, MAX_SOBOL_SAMPLES)?;
        at_most("bootstrap", bootstrap, MAX_BOOTSTRAP)?;
    }
    let (kind, end_use) = objective_kind(&metric)?;
    let mut loaded = load(source(path, text)?, &settings)?;
    let specs = named_options(&mut loaded, mitigations, false)?;
    loaded.apply(specs.into_iter().map(|s| s.name).collect()).map_err(variant_error)?;
    let scenario = &loaded.scenario;
    let chosen = select(&scenario.parameters, &params).map_err(analysis_error)?;
    require_some(&chosen, &scenario.name).map_err(analysis_error)?;
    let metric = Objective::resolve(scenario, kind, end_use).map_err(analysis_error)?;
    if run_tornado {
        check_memory(&scenario.model, trials)?;
    }
    // Sobol factors are drawn once per trial; parameters drawn per event belong to the trial's events.
    let factors: Vec<&Parameter> = chosen.iter().copied().filter(|p| p.scope == Scope::Trial).collect();
    let in_events: Vec<String> = chosen.iter().filter(|p| p.scope == Scope::Event).map(|p| p.key.clone()).collect();
    if run_sobol {
        let what = format!("a Sobol design of {} parameters and {samples} samples", factors.len());
        let bytes = sobol::memory_bytes(factors.len(), samples, bootstrap);
        study_within_limits(&what, sobol::trials(factors.len(), samples), bytes)?;
    }
    let weights = LossWeights::of(scenario);
    let tornado_answer = if run_tornado {
        let question = TornadoQuestion { metric, low_quantile: low, high_quantile: high };
        let answer = interruptible(py, |progress| -> Result<_, AnalysisError> {
            let mut runner = VariantRunner::cancellable(config, progress);
            tornado::tornado(&scenario.model, &chosen, &question, &weights, &mut runner)
        })?;
        Some(answer.map_err(analysis_error)?)
    } else {
        None
    };
    let sobol_answer = if run_sobol {
        let question = SobolQuestion { metric, base_samples: samples, bootstrap, seed, threads };
        let answer = interruptible(py, |progress| {
            sobol::sobol_cancellable(&scenario.model, &factors, &question, &weights, progress)
        })?;
        Some(answer.map_err(analysis_error)?)
    } else {
        None
    };
    let d = PyDict::new(py);
    d.set_item("scenario", scenario_dict(py, &loaded)?)?;
    d.set_item("seed", seed)?;
    d.set_item("trials", trials)?;
    d.set_item("parameters", chosen.iter().map(|p| p.key.clone()).collect::<Vec<_>>())?;
    d.set_item("in_events", in_events)?;
    let t = PyDict::new(py);
    if let Some(answer) = &tornado_answer {
        d.set_item("base", summary_dict(py, &answer.base)?)?;
        t.set_item(
            "tornado",
            Py::new(py, ArrowTable::new(chokepoint_tables::TORNADO, [chokepoint_tables::tornado(answer)])?)?,
        )?;
    }
    if let Some(answer) = &sobol_answer {
        d.set_item("sobol_mean", answer.mean)?;
        d.set_item("sobol_variance", answer.variance)?;
        d.set_item("sobol_evaluations", answer.evaluations)?;
        t.set_item(
            "sobol",
            Py::new(py, ArrowTable::new(chokepoint_tables::SOBOL, [chokepoint_tables::sobol(answer)])?)?,
        )?;
    }
    d.set_item("tables", t)?;
    Ok(d)
}

/// A two-level study: `worlds` worlds, each drawing the scenario's knowledge parameters (`[uncertainty]
/// knowledge`) once and running `trials` trials, as `chokepoint run --worlds N --world-trials T`.
#[pyfunction]
#[pyo3(signature = (*, path = None, text = None, settings = Vec::new(), worlds, mitigations, trials, seed, threads))]
#[allow(clippy::too_many_arguments)]
fn worlds<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    settings: Vec<String>,
    worlds: Option<usize>,
    mitigations: Vec<String>,
    trials: u64,
    seed: u64,
    threads: usize,
) -> PyResult<Bound<'py, PyDict>> {
    let config = config(trials, seed, threads, false)?;
    let mut loaded = load(source(path, text)?, &settings)?;
    let specs = named_options(&mut loaded, mitigations, false)?;
    loaded.apply(specs.into_iter().map(|s| s.name).collect()).map_err(variant_error)?;
    let scenario = &loaded.scenario;
    let count = match worlds.or(scenario.uncertainty.worlds.and_then(|w| usize::try_from(w).ok())) {
        Some(n) => n,
        None => {
            return Err(UsageError::new_err(format!(
                "scenario `{}` gives no `[uncertainty] worlds`: give `worlds=N`",
                scenario.name
            )));
        }
    };
    at_most("worlds", count, chokepoint_scenario::MAX_WORLDS)?;
    study_within_limits(&format!("{count} worlds of {trials} trials"), two_level::trials(count, trials), 0)?;
    check_memory(&scenario.model, trials)?;
    let knowledge: Vec<&Parameter> =
        scenario.parameters.iter().filter(|p| scenario.uncertainty.is_knowledge(p)).collect();
    let weights = LossWeights::of(scenario);
    let answer = interruptible(py, |progress| -> Result<_, AnalysisError> {
        let mut runner = VariantRunner::cancellable(config, progress);
        two_level::worlds(&scenario.model, &knowledge, count, &weights, &mut runner)
    })?
    .map_err(analysis_error)?;
    let end_uses: Vec<String> = scenario.model.spec().end_uses.iter().map(|e| e.name.clone()).collect();
    let d = PyDict::new(py);
    d.set_item("scenario", scenario_dict(py, &loaded)?)?;
    d.set_item("seed", seed)?;
    d.set_item("trials", trials)?;
    d.set_item("worlds", answer.worlds)?;
    d.set_item("knowledge", answer.knowledge.clone())?;
    let t = PyDict::new(py);
    t.set_item(
        "table",
        Py::new(py, ArrowTable::new(chokepoint_tables::WORLDS, [chokepoint_tables::worlds(&answer, &end_uses)])?)?,
    )?;
    d.set_item("tables", t)?;
    Ok(d)
}

/// The weekly flows of a few trials, each also without the scenario's disruptions, as `chokepoint trace`.
#[pyfunction]
#[pyo3(signature = (*, path = None, text = None, settings = Vec::new(), mitigations, trials, seed))]
fn trace<'py>(
    py: Python<'py>,
    path: Option<PathBuf>,
    text: Option<String>,
    settings: Vec<String>,
    mitigations: Vec<String>,
    trials: u64,
    seed: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let mut loaded = load(source(path, text)?, &settings)?;
    let specs = named_options(&mut loaded, mitigations, false)?;
    loaded.apply(specs.into_iter().map(|s| s.name).collect()).map_err(variant_error)?;
    let model = &loaded.scenario.model;
    check_trace_memory(model, trials)?;
    let count = usize::try_from(trials).map_err(|_| UsageError::new_err(format!("trials={trials} is too many")))?;
    let traced = interruptible(py, |progress| flows::trace_cancellable(model, seed, count, progress))?;
    let traced = traced.map_err(|e| match e {
        FlowsError::CalmModel(_) => ChokepointError::new_err(format!("could not remove the disruptions: {e}")),
        FlowsError::NoTrials | FlowsError::Cancelled => UsageError::new_err(e.to_string()),
    })?;
    let d = PyDict::new(py);
    d.set_item("scenario", scenario_dict(py, &loaded)?)?;
    d.set_item("seed", seed)?;
    d.set_item("trials", trials)?;
    let t = PyDict::new(py);
    t.set_item("flows", Py::new(py, ArrowTable::new(chokepoint_tables::FLOWS, [chokepoint_tables::flows(&traced)])?)?)?;
    d.set_item("tables", t)?;
    Ok(d)
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ChokepointError", py.get_type::<ChokepointError>())?;
    m.add("ScenarioError", py.get_type::<ScenarioError>())?;
    m.add("UsageError", py.get_type::<UsageError>())?;
    m.add("TEXT_ORIGIN", source::TEXT_ORIGIN)?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<ArrowTable>()?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(size_stockpile, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(sensitivity, m)?)?;
    m.add_function(wrap_pyfunction!(worlds, m)?)?;
    m.add_function(wrap_pyfunction!(optimize, m)?)?;
    m.add_function(wrap_pyfunction!(trace, m)?)?;
    Ok(())
}
