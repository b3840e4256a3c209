//! `chokepoint size-stockpile`: the smallest initial size of a stockpile mitigation that keeps an end use's
//! probability of any shortfall at or below a target, by bisection over sizes on common random numbers (see
//! `crate::sizing` for why bisection is valid, and for the time-to-survive figure).
//!
//! Without `--with`, each size is the variant `Scenario::with_stockpile_size`. With `--with`, the other
//! mitigations are applied too (`Scenario::variant`), and the stockpile's size is set on that variant's
//! specification, which `Model::new` validates again; the two give the same model when nothing else is applied
//! (a test below checks it).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use chokepoint_engine::compare::smallest_passing;
use chokepoint_engine::stats::Proportion;
use chokepoint_engine::{Model, Param, RunConfig, Unit};
use chokepoint_scenario::{Cost, Scenario};

use super::compare::variant_failure;
use super::run::OutputFolder;
use crate::cli::SizeStockpileArgs;
use crate::comparison::{CostJson, FileDigest, OptionSpec};
use crate::failure::Failure;
use crate::output;
use crate::progress::TrialProgress;
use crate::scenario_source;
use crate::sizing::{
    Evaluation, EvaluationJson, Question, SizingDocument, SizingResult, SizingScenario, SizingSettings, meets,
    scaled_cost, time_to_survive,
};
use crate::staged_files::StagedFiles;
use crate::summary_json::{SCHEMA_VERSION, Tool, rng_name, to_json_text, warnings};
use crate::table::{ReportFormat, number, percent, thousands};

/// The file `size-stockpile` writes.
pub const SIZING_FILE: &str = "sizing.json";

pub fn size_stockpile(args: &SizeStockpileArgs) -> Result<(), Failure> {
    let settings = &args.settings;
    let loaded = scenario_source::load(&args.scenario)?;
    super::print_warnings(&loaded);
    let scenario = &loaded.scenario;
    let spec = scenario.model.spec();
    let Some(end_use) = spec.end_uses.iter().position(|e| e.name == args.end_use) else {
        let known: Vec<&str> = spec.end_uses.iter().map(|e| e.name.as_str()).collect();
        let suggestion = chokepoint_scenario::did_you_mean(&args.end_use, known.iter().copied())
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        return Err(Failure::Usage(format!(
            "unknown end use `{}` in `--end-use`{suggestion}; the scenario has {}",
            args.end_use,
            known.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        )));
    };
    let sizer = Sizer::new(scenario, &args.stockpile, &args.with)?;
    let file_size = sizer.file_size;
    let max_size = match args.max_size {
        Some(x) => x,
        None if file_size > 0.0 => 10.0 * file_size,
        None => {
            return Err(Failure::Usage(format!(
                "stockpile `{}` has size 0 in the file: give the largest size to search with `--max-size`",
                args.stockpile
            )));
        }
    };
    let step = args.step.unwrap_or(max_size / 1000.0);
    if step >= max_size {
        return Err(Failure::Usage(format!(
            "`--step {}` must be smaller than the largest size searched ({})",
            number(step),
            number(max_size)
        )));
    }
    crate::output_paths::check_memory(&scenario.model, settings.trials)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let out_dir = match &settings.out {
        Some(dir) => dir.clone(),
        None => crate::output_paths::scenario_folder(Path::new("out"), &scenario.name)?.join("sizing"),
    };
    let folder = OutputFolder::create(&out_dir)?;

    // Both ends, about log2(range / step) midpoints, and the step below the answer.
    let expected = 3 + ((max_size / step).log2().ceil().max(0.0) as u64);
    let progress = TrialProgress::new(settings.trials * expected, settings.progress);
    let config =
        RunConfig { trials: settings.trials, seed: settings.seed, threads: settings.threads.resolve(), bands: false };
    let mut evaluations: Vec<Evaluation> = Vec::new();
    let mut error: Option<Failure> = None;
    let mut evaluate = |size: f64, evaluations: &mut Vec<Evaluation>| -> Option<Proportion> {
        if let Some(e) = evaluations.iter().find(|e| e.size == size) {
            return Some(e.short);
        }
        let offset = (evaluations.len() as u64).min(expected - 1) * settings.trials;
        let result = sizer.model(scenario, size).and_then(|model| {
            chokepoint_engine::run(&model, &config, &|done| progress.record(offset + done))
                .context("could not run the trials")
                .map_err(Failure::from)
        });
        match result {
            Ok(results) => {
                let k = results.end_use(end_use).filter(|o| o.short_periods > 0).count();
                let short = Proportion::new(k, results.trials);
                evaluations.push(Evaluation { size, short });
                Some(short)
            }
            Err(e) => {
                error.get_or_insert(e);
                None
            }
        }
    };
    let target = args.max_shortfall_probability;
    let found = smallest_passing(0.0, max_size, step, |size| {
        evaluate(size, &mut evaluations).is_some_and(|short| meets(&short, target))
    });
    let next_smaller = found.filter(|&s| s > 0.0).map(|s| (s - step).max(0.0));
    if let Some(smaller) = next_smaller {
        evaluate(smaller, &mut evaluations);
    }
    progress.finish();
    if let Some(e) = error {
        return Err(e);
    }
    let lookup = |size: f64| evaluations.iter().find(|e| e.size == size).copied();
    let years = scenario.horizon_years();
    let at = found.unwrap_or(max_size);
    let achieved = lookup(at).context("the size found was evaluated")?;
    let material = &spec.materials[sizer.material];
    let result = SizingResult {
        found: found.is_some(),
        size: found,
        p_any_short: (&achieved.short).into(),
        next_smaller: next_smaller.and_then(lookup).map(|e| EvaluationJson::new(&e, target)),
        stockpile_cost: found.and_then(|s| scaled_cost(&sizer.cost, s, file_size, years)),
        with_cost: CostJson::new(&sizer.with_cost, years),
        time_to_survive: found.map(|s| time_to_survive(&sizer.variant, sizer.index, s)),
        evaluations: evaluations.len(),
    };
    let document = SizingDocument {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        scenario: SizingScenario {
            name: scenario.name.clone(),
            sha256: loaded.sha256.clone(),
            bases: loaded.bases.iter().map(FileDigest::of).collect(),
        },
        run: SizingSettings {
            seed: settings.seed,
            trials: settings.trials,
            rng: rng_name(),
            periods: spec.periods,
            period_weeks: spec.period_weeks,
            horizon_years: years,
        },
        question: Question {
            stockpile: args.stockpile.clone(),
            material: material.name.clone(),
            unit: unit_name(material.unit),
            end_use: args.end_use.clone(),
            max_shortfall_probability: target,
            with: args.with.clone(),
            file_size,
            min_size: 0.0,
            max_size,
            step,
        },
        result,
        evaluations: evaluations.iter().map(|e| EvaluationJson::new(e, target)).collect(),
        warnings: warnings(&loaded),
    };
    let text = to_json_text(&document)?;
    let mut files = StagedFiles::new(&out_dir);
    output::write_text(&mut files, SIZING_FILE, &text)?;
    files.commit()?;
    folder.keep();
    match settings.report {
        ReportFormat::Table => super::print_stdout(&render(&document, &out_dir))?,
        ReportFormat::Json => super::print_stdout(&text)?,
    }
    if found.is_none() {
        return Err(Failure::TargetNotMet(format!(
            "even the largest size searched, {} {}, leaves P(any shortfall of `{}`) at {}, above the target {}; \
             raise `--max-size`",
            number(max_size),
            document.question.unit,
            args.end_use,
            percent(achieved.short.p),
            percent(target)
        )));
    }
    Ok(())
}

/// Builds the variants of a sizing study.
struct Sizer {
    stockpile: String,
    with: Vec<String>,
    /// The variant with `with` and the stockpile applied at its file size.
    variant: Model,
    /// The stockpile's index in `variant`'s stockpiles.
    index: usize,
    material: usize,
    file_size: f64,
    cost: Cost,
    with_cost: Cost,
}

impl Sizer {
    fn new(scenario: &Scenario, stockpile: &str, with: &[String]) -> Result<Self, Failure> {
        // Refuses a name that is not a stockpile with the scenario's own message.
        scenario.with_stockpile_size(stockpile, 0.0).map_err(variant_failure)?;
        let mut with_cost = Cost::default();
        for name in with {
            if name == stockpile {
                return Err(Failure::Usage(format!("`--with {name}` names the stockpile being sized")));
            }
            scenario.variant(&[name.as_str()]).map_err(variant_failure)?;
            with_cost = with_cost + OptionSpec::of(scenario, name).map_or(Cost::default(), |o| o.cost);
        }
        let names: Vec<&str> = with.iter().map(String::as_str).chain([stockpile]).collect();
        let variant = scenario.variant(&names).map_err(variant_failure)?;
        let stockpiles = &variant.spec().mitigations.stockpiles;
        let index = stockpiles
            .iter()
            .position(|s| s.name == stockpile)
            .with_context(|| format!("stockpile `{stockpile}` is missing from its own variant"))?;
        let (material, file_size) = (stockpiles[index].material, stockpiles[index].initial.central());
        let cost = scenario.mitigations.iter().find(|m| m.name == stockpile).map_or(Cost::default(), |m| m.cost);
        Ok(Self {
            stockpile: stockpile.to_owned(),
            with: with.to_vec(),
            variant,
            index,
            material,
            file_size,
            cost,
            with_cost,
        })
    }

    /// The model at `size`.
    fn model(&self, scenario: &Scenario, size: f64) -> Result<Model, Failure> {
        if self.with.is_empty() {
            return scenario.with_stockpile_size(&self.stockpile, size).map_err(variant_failure);
        }
        let mut spec = self.variant.spec().clone();
        spec.mitigations.stockpiles[self.index].initial =
            Param::constant(size).map_err(|e| Failure::Usage(format!("size {size}: {e}")))?;
        Model::new(spec).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            Failure::Runtime(anyhow::anyhow!("the sized variant is not a valid model: {}", list.join("; ")))
        })
    }
}

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Tonne => "t",
        Unit::Item => "unit",
    }
}

/// The report on stdout.
fn render(doc: &SizingDocument, out_dir: &Path) -> String {
    let q = &doc.question;
    let r = &doc.result;
    let u = q.unit;
    let mut text = String::new();
    let with = if q.with.is_empty() { String::new() } else { format!(" with {}", q.with.join(", ")) };
    let _ = writeln!(
        text,
        "{} · sizing `{}` ({}, {u}){with} so that P(any shortfall of `{}`) <= {} · {} trials per size · seed {}\n",
        doc.scenario.name,
        q.stockpile,
        q.material,
        q.end_use,
        percent(q.max_shortfall_probability),
        thousands(doc.run.trials),
        doc.run.seed
    );
    let p = |x: &crate::summary_json::ProportionJson| {
        format!("{} [{}, {}]", percent(x.p), percent(x.ci95_low), percent(x.ci95_high))
    };
    match r.size {
        Some(size) => {
            let note = if size == 0.0 { " (the target is met without this stockpile)" } else { "" };
            let _ = writeln!(
                text,
                "smallest size:              {} {u}{note} (file: {} {u})",
                number(size),
                number(q.file_size)
            );
            let _ = writeln!(text, "P(any shortfall) there:     {} (Wilson 95% CI)", p(&r.p_any_short));
            match &r.next_smaller {
                Some(e) => {
                    let _ = writeln!(
                        text,
                        "one step smaller, {} {u}:  {} (misses the target)",
                        number(e.size),
                        p(&e.p_any_short)
                    );
                }
                None => {
                    let _ = writeln!(text, "one step smaller:           none (0 is the smallest size)");
                }
            }
            match &r.stockpile_cost {
                Some(c) => {
                    let _ = writeln!(
                        text,
                        "cost over {} years:         ${} (${} one-off, scaled from the file's size, + ${} a year)",
                        number(c.horizon_years),
                        number(c.total_usd),
                        number(c.one_off_usd),
                        number(c.per_year_usd)
                    );
                }
                None => {
                    let _ = writeln!(
                        text,
                        "cost:                       - (the file's size is 0, so its cost cannot be scaled)"
                    );
                }
            }
            if !q.with.is_empty() {
                let _ = writeln!(
                    text,
                    "cost of {}:    ${} over the horizon",
                    q.with.join(", "),
                    number(r.with_cost.total_usd)
                );
            }
            if let Some(t) = &r.time_to_survive {
                let weeks = |w: Option<f64>| w.map_or_else(|| "-".to_owned(), number);
                let _ = writeln!(
                    text,
                    "covers:                     {} weeks of the served customers' normal use ({} {u}/week), {} weeks of \
                     the part bound for the classes it releases to ({} {u}/week), {} weeks at its largest release rate",
                    weeks(t.weeks_of_normal_use),
                    number(t.normal_use_per_week),
                    weeks(t.weeks_of_release_class_use),
                    number(t.release_class_use_per_week),
                    weeks(t.weeks_at_max_release_rate),
                );
            }
        }
        None => {
            let _ = writeln!(
                text,
                "not found: at the largest size searched, {} {u}, P(any shortfall) is {}",
                number(q.max_size),
                p(&r.p_any_short)
            );
        }
    }
    let _ = writeln!(
        text,
        "evaluations:                {} (bisection over [{}, {}] {u} to a step of {} {u}, same trials at every size)",
        r.evaluations,
        number(q.min_size),
        number(q.max_size),
        number(q.step)
    );
    let _ = writeln!(text, "\nOutputs in {}", out_dir.display());
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario_source::{LoadedScenario, ScenarioSource};

    fn small_chain_mitigations() -> LoadedScenario {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid/small_chain_mitigations.toml");
        scenario_source::load(&ScenarioSource::File(path)).expect("the test scenario loads")
    }

    #[test]
    fn setting_the_size_on_the_spec_gives_the_scenarios_own_sized_variant() {
        let loaded = small_chain_mitigations();
        let scenario = &loaded.scenario;
        let sizer = Sizer::new(scenario, "dy_reserve", &[]).unwrap();
        assert_eq!(sizer.file_size, 20.0);
        let by_scenario = scenario.with_stockpile_size("dy_reserve", 7.5).unwrap();
        let mut spec = sizer.variant.spec().clone();
        spec.mitigations.stockpiles[sizer.index].initial = Param::constant(7.5).unwrap();
        let by_spec = Model::new(spec).unwrap();
        assert_eq!(by_spec.spec(), by_scenario.spec());
    }

    #[test]
    fn with_names_are_checked() {
        let loaded = small_chain_mitigations();
        let scenario = &loaded.scenario;
        assert!(matches!(Sizer::new(scenario, "dy_reserve", &["nope".to_owned()]), Err(Failure::Usage(_))));
        assert!(matches!(Sizer::new(scenario, "more_stock", &[]), Err(Failure::Usage(_))));
        let sizer = Sizer::new(scenario, "dy_reserve", &["more_stock".to_owned()]).unwrap();
        assert_eq!(sizer.with_cost.per_year_usd, 3e5);
        let model = sizer.model(scenario, 3.0).unwrap();
        assert_eq!(model.spec().mitigations.stockpiles[sizer.index].initial, Param::Const(3.0));
    }
}
