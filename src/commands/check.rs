//! `chokepoint check`: evaluate thresholds on the documents of an output folder, for CI pipelines.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use super::optimize::OPTIMIZE_RUN_FILE;
use super::sensitivity::SENSITIVITY_RUN_FILE;
use super::size_stockpile::SIZING_FILE;
use super::sweep::SWEEP_RUN_FILE;
use crate::documents::check::{Outcome, Threshold, evaluate};
use crate::failure::Failure;
use crate::files::compare::{COMPARE_JSON_FILE, COMPARE_RUN_FILE};
use crate::files::optimize::OPTIMIZE_JSON_FILE;
use crate::files::sensitivity::SENSITIVITY_JSON_FILE;
use crate::files::sweep::SWEEP_JSON_FILE;
use crate::files::tables::{RUN_JSON_FILE, SUMMARY_JSON_FILE};

/// The documents `check` reads, in the order it looks for them in a folder: one per command that writes an output
/// folder (`run`, `compare`, `size-stockpile`, `optimize`, `sweep`, `sensitivity`); a folder holds one of them.
/// Each with the record its set of files is committed with, last (`files/staged.rs`); `sizing.json` is a set of
/// one file.
const DOCUMENTS: &[(&str, Option<&str>)] = &[
    (SUMMARY_JSON_FILE, Some(RUN_JSON_FILE)),
    (COMPARE_JSON_FILE, Some(COMPARE_RUN_FILE)),
    (SIZING_FILE, None),
    (OPTIMIZE_JSON_FILE, Some(OPTIMIZE_RUN_FILE)),
    (SWEEP_JSON_FILE, Some(SWEEP_RUN_FILE)),
    (SENSITIVITY_JSON_FILE, Some(SENSITIVITY_RUN_FILE)),
];

/// The file that marks a `chokepoint batch` output folder.
const BATCH_MARKER: &str = "batch_summary.csv";

pub fn check(out_dir: &Path, thresholds: &[Threshold]) -> Result<(), Failure> {
    let batch = document_in(out_dir).is_none() && out_dir.join(BATCH_MARKER).is_file();
    if !batch && document_in(out_dir).is_none() {
        return Err(Failure::Runtime(anyhow::anyhow!(
            "`{}` holds none of {} (the output of `run`, `compare`, `size-stockpile`, `optimize`, `sweep` or \
             `sensitivity`) and no {BATCH_MARKER} (the output of `batch`)",
            out_dir.display(),
            DOCUMENTS.iter().map(|(document, _)| *document).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut report = String::new();
    let mut crossed = 0;
    for threshold in thresholds {
        let (document, skip) = if batch {
            let scenario = &threshold.path[0];
            let folder = out_dir.join(scenario);
            match document_in(&folder).filter(|_| is_plain_name(scenario)) {
                Some(path) => (read(&path)?, 1),
                None => return Err(Failure::Usage(unknown_scenario(out_dir, threshold, scenario))),
            }
        } else {
            (read(&document_in(out_dir).unwrap_or_default())?, 0)
        };
        let outcome = evaluate(&document, threshold, skip).map_err(|e| {
            Failure::Usage(format!("`--fail-if '{threshold}'`: `{}` names no number: {}", e.at, e.message))
        })?;
        let line = match outcome {
            Outcome::Value { value, crossed: true } => {
                crossed += 1;
                format!("crossed  {threshold}: {} = {value}\n", threshold.path.join("."))
            }
            Outcome::Value { value, crossed: false } => {
                format!("ok       {threshold}: {} = {value}\n", threshold.path.join("."))
            }
            Outcome::Null => format!("ok       {threshold}: {} is null (not applicable)\n", threshold.path.join(".")),
        };
        report.push_str(&line);
    }
    super::print_stdout(&report)?;
    if crossed > 0 {
        let s = if thresholds.len() == 1 { "" } else { "s" };
        return Err(Failure::ThresholdCrossed(format!(
            "{crossed} of {} threshold{s} crossed in `{}`",
            thresholds.len(),
            out_dir.display()
        )));
    }
    Ok(())
}

/// The first of [`DOCUMENTS`] in `folder`.
fn document_in(folder: &Path) -> Option<PathBuf> {
    DOCUMENTS.iter().map(|(document, _)| folder.join(document)).find(|p| p.is_file())
}

/// Whether `name` is one folder name (a batch path's first segment never leaves the batch folder).
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != ".." && name != "." && !name.contains(['/', '\\'])
}

/// Reads the document at `path`, refusing one whose set of files has no record: an interrupted run's new files
/// without it, which `report` and `batch` treat as no run either.
fn read(path: &Path) -> Result<Value, Failure> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    if let Some(&(_, Some(record))) = DOCUMENTS.iter().find(|(document, _)| *document == name) {
        let folder = path.parent().unwrap_or(Path::new("."));
        if !folder.join(record).is_file() {
            return Err(Failure::Runtime(anyhow::anyhow!(
                "`{}` holds `{name}` but no `{record}`, which is written last: the command that wrote it did not \
                 finish, so its files may be incomplete; run it again",
                folder.display()
            )));
        }
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("could not read `{}`", path.display()))?;
    Ok(serde_json::from_str(&text).with_context(|| format!("`{}` is not valid JSON", path.display()))?)
}

/// The usage error for a batch path whose first segment is not a scenario of the batch.
fn unknown_scenario(out_dir: &Path, threshold: &Threshold, scenario: &str) -> String {
    let mut known: Vec<String> = std::fs::read_dir(out_dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| document_in(&e.path()).is_some())
                .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    known.sort();
    let suggestion = chokepoint_scenario::did_you_mean(scenario, known.iter().map(String::as_str))
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default();
    let listed: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    format!(
        "`--fail-if '{threshold}'`: `{}` is a batch folder, whose paths start with a scenario name, and it holds no \
         scenario `{scenario}`{suggestion}; its scenarios are {}",
        out_dir.display(),
        if listed.is_empty() { "none".to_owned() } else { listed.join(", ") }
    )
}
