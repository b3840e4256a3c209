//! `chokepoint size-stockpile`: the smallest initial size of a stockpile mitigation that meets a target for an
//! end use (P(short or late) at most p, or a quantile of the longest delay at most some weeks), by bisection over
//! sizes on common random numbers (the analysis library's `sizing`, which says why bisection is valid), with the
//! time that size covers.

use std::fmt::Write as _;
use std::path::Path;

use chokepoint_analysis::sizing::{self, SizingQuestion, SizingTarget, expected_runs};
use chokepoint_analysis::variants::VariantRunner;

use crate::cli::SizeStockpileArgs;
use crate::documents::compare::CostJson;
use crate::documents::header::{RunHeader, ScenarioHeader};
use crate::documents::sizing::{EvaluationJson, Question, SizingDocument, SizingResult, TargetJson};
use crate::documents::summary::{SCHEMA_VERSION, Tool, WarningJson, to_json_text, unit_name, warnings};
use crate::failure::Failure;
use crate::files::staged::StagedFiles;
use crate::files::tables;
use crate::options::analysis_failure;
use crate::render::progress::TrialProgress;
use crate::render::table::{self, ReportFormat, TERMINAL_COLUMNS, number, percent, thousands};

/// The file `size-stockpile` writes.
pub const SIZING_FILE: &str = "sizing.json";

pub fn size_stockpile(args: &SizeStockpileArgs) -> Result<(), Failure> {
    let settings = &args.settings;
    let loaded = super::open_scenario(&args.scenario, &args.set)?;
    let scenario = &loaded.scenario;
    let spec = scenario.model.spec();
    let question = SizingQuestion {
        stockpile: args.stockpile.clone(),
        end_use: args.end_use.clone(),
        target: args.target,
        with: args.with.clone(),
        max_size: args.max_size,
        step: args.step,
    };
    // Check the question before creating anything: the range, for the progress bar's length.
    let sizer = sizing::Sizer::new(scenario, &question.stockpile, &question.with).map_err(analysis_failure)?;
    let (max_size, step) = sizing::search_range(&question, sizer.file_size).map_err(analysis_failure)?;
    crate::files::folders::check_memory(&scenario.model, settings.trials)
        .map_err(|e| Failure::Usage(format!("{e:#}")))?;
    let (out_dir, folder) = super::output_folder(settings, &scenario.name, "sizing")?;
    let progress = TrialProgress::new(settings.trials * expected_runs(max_size, step), settings.progress);
    let config = settings.run_config();
    let record = |done| progress.record(done);
    let mut runner = VariantRunner::new(config, &record);
    let answer = sizing::size_stockpile(scenario, &question, &mut runner);
    progress.finish();
    let answer = answer.map_err(analysis_failure)?;
    let years = scenario.horizon_years();
    let material = &spec.materials[answer.material];
    let document = SizingDocument {
        schema_version: SCHEMA_VERSION,
        tool: Tool::this(),
        scenario: ScenarioHeader { bases: ScenarioHeader::bases_of(&loaded), ..ScenarioHeader::of(&loaded) },
        run: RunHeader::of(&loaded, settings.seed, settings.trials),
        question: Question {
            stockpile: args.stockpile.clone(),
            material: material.name.clone(),
            unit: unit_name(material.unit).to_owned(),
            end_use: args.end_use.clone(),
            target: args.target.into(),
            with: args.with.clone(),
            file_size: answer.file_size,
            min_size: 0.0,
            max_size: answer.max_size,
            step: answer.step,
        },
        result: SizingResult {
            found: answer.size.is_some(),
            size: answer.size,
            at: (&answer.at).into(),
            next_smaller: answer.next_smaller.as_ref().map(Into::into),
            stockpile_cost: answer.cost.map(|c| CostJson::new(&c, years)),
            with_cost: CostJson::new(&answer.with_cost, years),
            time_to_survive: answer.time_to_survive.as_ref().map(Into::into),
            evaluations: answer.evaluations.len(),
        },
        evaluations: answer.evaluations.iter().map(Into::into).collect(),
        warnings: warnings(&loaded).into_iter().chain(not_monotone(&answer, &args.stockpile)).collect(),
    };
    let text = to_json_text(&document)?;
    let mut files = StagedFiles::new(&out_dir);
    tables::write_text(&mut files, SIZING_FILE, &text)?;
    files.commit()?;
    folder.keep();
    match settings.report {
        ReportFormat::Table => super::print_stdout(&render(&document, &out_dir))?,
        ReportFormat::Json => super::print_stdout(&text)?,
    }
    if answer.size.is_none() {
        // A stockpile that releases only for other classes helps the end use at most through its suppliers: a
        // larger size is not the fix.
        let sized = &sizer.variant.spec().mitigations.stockpiles[sizer.index];
        let class = spec.end_uses[answer.end_use].class;
        let advice = if sized.release_classes.contains(&class) {
            "raise `--max-size`".to_owned()
        } else {
            let classes: Vec<&str> = sized.release_classes.iter().map(|c| c.name()).collect();
            format!(
                "`{}` releases only for {} demand and `{}` is {}, so a larger size helps it only through the \
                 stages it serves: another stockpile, or this one releasing to {}, is what could",
                args.stockpile,
                classes.join(" and "),
                args.end_use,
                class.name(),
                class.name()
            )
        };
        return Err(Failure::TargetNotMet(format!(
            "even the largest size searched, {} {}, leaves {} of `{}`, which misses the target; {advice}",
            number(answer.max_size),
            document.question.unit,
            measured(&document.result.at, args.target),
            args.end_use,
        )));
    }
    Ok(())
}

/// A warning when the sizes evaluated contradict a target falling with the size (see `sizing.rs`): also printed on
/// stderr, since the size found may then not be the smallest that meets the target.
fn not_monotone(answer: &sizing::SizingAnswer, stockpile: &str) -> Option<WarningJson> {
    let (met, missed) = answer.not_monotone()?;
    let warning = WarningJson {
        code: "not-monotone".to_owned(),
        key: format!("mitigations.{stockpile}"),
        message: format!(
            "the target is met at {} but missed at the larger {}: on these trials it does not fall steadily with \
             the size, so the size found meets it and one step smaller does not, but a smaller size may meet it too",
            number(met),
            number(missed)
        ),
        help: Some("look at every size evaluated in sizing.json; more trials smooth the share out".to_owned()),
    };
    crate::render::console::eprintln(&format!("{} {}", crate::render::console::warning_label(), warning.message));
    Some(warning)
}

/// What an evaluation measured, in words: "P(short or late) 1.4%" or "P95 of the longest delay 9 weeks".
fn measured(e: &EvaluationJson, target: SizingTarget) -> String {
    match target {
        SizingTarget::ShortOrLateProbability(_) => format!("P(short or late) at {}", percent(e.p_short_or_late.p)),
        SizingTarget::DelayQuantile { quantile, .. } => format!(
            "the P{} of the longest delay at {} weeks",
            number(quantile * 100.0),
            e.delay_quantile_weeks.map_or_else(|| "-".to_owned(), number)
        ),
    }
}

/// The target in words.
fn target_words(t: &TargetJson, end_use: &str) -> String {
    match *t {
        TargetJson::ShortOrLateProbability { max_probability } => {
            format!("P(`{end_use}` short or late) <= {}", percent(max_probability))
        }
        TargetJson::DelayQuantile { quantile, max_weeks } => format!(
            "P{} of the longest delay of a `{end_use}` unit <= {} weeks",
            number(quantile * 100.0),
            number(max_weeks)
        ),
    }
}

/// The report on stdout, within [`TERMINAL_COLUMNS`]: a heading, then one labelled field per line, long values
/// wrapped under their field.
fn render(doc: &SizingDocument, out_dir: &Path) -> String {
    let q = &doc.question;
    let r = &doc.result;
    let u = &q.unit;
    let mut text = String::new();
    let with = if q.with.is_empty() { String::new() } else { format!(" with {}", q.with.join(", ")) };
    text.push_str(&table::wrap(
        &format!(
            "{} · sizing `{}` ({}, {u}){with} so that {} · {} trials per size · seed {}",
            doc.scenario.name,
            q.stockpile,
            q.material,
            target_words(&q.target, &q.end_use),
            thousands(doc.run.trials),
            doc.run.seed
        ),
        TERMINAL_COLUMNS,
    ));
    text.push('\n');
    let p = |e: &EvaluationJson| {
        let x = &e.p_short_or_late;
        let delay = match (q.target, e.delay_quantile_weeks) {
            (TargetJson::DelayQuantile { quantile, .. }, Some(w)) => {
                format!("P{} longest delay {} weeks; ", number(quantile * 100.0), number(w))
            }
            _ => String::new(),
        };
        format!("{delay}P(short or late) {} [{}, {}]", percent(x.p), percent(x.ci95_low), percent(x.ci95_high))
    };
    let mut field = |label: &str, value: String| text.push_str(&labelled(label, &value));
    match r.size {
        Some(size) => {
            let note = if size == 0.0 { " (the target is met without this stockpile)" } else { "" };
            field("smallest size", format!("{} {u}{note} (file: {} {u})", number(size), number(q.file_size)));
            field("there", format!("{} (Wilson 95% CI)", p(&r.at)));
            match &r.next_smaller {
                Some(e) => {
                    field(&format!("one step smaller, {} {u}", number(e.size)), format!("{} (misses the target)", p(e)))
                }
                None => field("one step smaller", "none (0 is the smallest size)".to_owned()),
            }
            match &r.stockpile_cost {
                Some(c) => field(
                    &format!("cost over {} years", number(c.horizon_years)),
                    format!(
                        "${} (${} one-off, scaled from the file's size, + ${} a year)",
                        number(c.total_usd),
                        number(c.one_off_usd),
                        number(c.per_year_usd)
                    ),
                ),
                None => field("cost", "- (the file's size is 0, so its cost cannot be scaled)".to_owned()),
            }
            if !q.with.is_empty() {
                field(
                    &format!("cost of {}", q.with.join(", ")),
                    format!("${} over the horizon", number(r.with_cost.total_usd)),
                );
            }
            if let Some(t) = &r.time_to_survive {
                let weeks = |w: Option<f64>| w.map_or_else(|| "-".to_owned(), number);
                field(
                    "covers",
                    format!(
                        "{} weeks of the served customers' normal use ({} {u}/week), {} weeks of the part bound for \
                         the classes it releases to ({} {u}/week), {} weeks at its largest release rate",
                        weeks(t.weeks_of_normal_use),
                        number(t.normal_use_per_week),
                        weeks(t.weeks_of_release_class_use),
                        number(t.release_class_use_per_week),
                        weeks(t.weeks_at_max_release_rate),
                    ),
                );
            }
        }
        None => field("not found", format!("at the largest size searched, {} {u}: {}", number(q.max_size), p(&r.at))),
    }
    field(
        "evaluations",
        format!(
            "{} (bisection over [{}, {}] {u} to a step of {} {u}, same trials at every size)",
            r.evaluations,
            number(q.min_size),
            number(q.max_size),
            number(q.step)
        ),
    );
    let _ = writeln!(text, "\nOutputs in {}", out_dir.display());
    text
}

/// Width of the labels of the sizing report.
const LABEL: usize = 26;

/// `label:` padded to [`LABEL`] columns, then `value` wrapped within [`TERMINAL_COLUMNS`] under itself; a label
/// longer than that takes a line of its own.
fn labelled(label: &str, value: &str) -> String {
    let head = format!("{label}:");
    let body = table::wrap(value, TERMINAL_COLUMNS - LABEL);
    let indent = " ".repeat(LABEL);
    let mut out = String::new();
    let mut lines = body.lines();
    if head.chars().count() < LABEL {
        out.push_str(&format!("{head:<LABEL$}{}\n", lines.next().unwrap_or("")));
    } else {
        out.push_str(&head);
        out.push('\n');
    }
    for line in lines {
        out.push_str(&indent);
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_as_words() {
        let p = TargetJson::ShortOrLateProbability { max_probability: 0.01 };
        assert_eq!(target_words(&p, "f35"), "P(`f35` short or late) <= 1.0%");
        let d = TargetJson::DelayQuantile { quantile: 0.95, max_weeks: 8.0 };
        assert_eq!(target_words(&d, "f35"), "P95 of the longest delay of a `f35` unit <= 8 weeks");
    }
}
