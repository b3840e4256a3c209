//! The names of the scenario and of its entities: `[scenario]`, `snake_case` names, a stage and an end use that
//! share one.

use crate::diagnostic::Diagnostic;
use crate::lower::context::{Lower, MAX_SCENARIO_NAME, check_name, clip, is_identifier};
use crate::raw::Entity;

/// Names must be `snake_case` identifiers, and a stage and an end use cannot share one.
pub(super) fn check_names(lower: &mut Lower<'_>) {
    let doc = lower.doc;
    let all = doc
        .materials
        .iter()
        .map(|e| (&e.name, &e.name_span, "materials"))
        .chain(doc.stages.iter().map(|e| (&e.name, &e.name_span, "stages")))
        .chain(doc.end_uses.iter().map(|e| (&e.name, &e.name_span, "end_uses")))
        .chain(doc.disruptions.iter().map(|e| (&e.name, &e.name_span, "disruptions")));
    for (name, span, section) in all {
        if let Some(d) = check_name(section, name, span) {
            lower.push(d);
        }
    }
    for (i, e) in doc.stages.iter().enumerate() {
        // `names.stages` holds the first stage of each name.
        let Some(first) = lower.names.stages.get(&e.name).filter(|&&f| f != i).and_then(|&f| doc.stages.get(f)) else {
            continue;
        };
        let by = |x: &Entity<crate::raw::RawStage>| {
            x.added_by.and_then(|m| doc.mitigations.get(m)).map(|m| format!("mitigation `{}`", m.name))
        };
        let first_by = by(first).unwrap_or_else(|| "[stages]".to_owned());
        lower.push(
            Diagnostic::error(
                "duplicate-name",
                e.path.as_str(),
                format!(
                    "`{}` names two stages: {} adds one that {first_by} already defines",
                    e.name,
                    by(e).unwrap_or_default()
                ),
            )
            .at(Some(e.name_span.clone()))
            .help(format!(
                "rename `{}`: stage names are unique across the scenario and the mitigations applied",
                e.path
            )),
        );
    }
    for e in &doc.end_uses {
        if let Some(&s) = lower.names.stages.get(&e.name) {
            let stage_span = doc.stages.get(s).map(|s| s.name_span.clone());
            let later = if stage_span.as_ref().is_some_and(|s| s.start > e.name_span.start) {
                stage_span
            } else {
                Some(e.name_span.clone())
            };
            lower.push(
                Diagnostic::error(
                    "duplicate-name",
                    format!("end_uses.{}", e.name),
                    format!("`{}` names both a stage and an end use", e.name),
                )
                .at(later)
                .help(format!(
                    "rename `stages.{0}` or `end_uses.{0}`: a link's `to` could not tell them apart",
                    e.name
                )),
            );
        }
    }
}

pub(super) fn scenario(lower: &mut Lower<'_>) -> (String, String) {
    let Some(e) = &lower.doc.scenario else {
        lower.push(
            Diagnostic::error("missing-key", "scenario", "the file has no [scenario] table")
                .help("add a `[scenario]` table with `name = \"...\"` at the top of the file"),
        );
        return (String::new(), String::new());
    };
    let Some(raw) = &e.raw else { return (String::new(), String::new()) };
    let description = raw.description.as_ref().map(|d| d.get_ref().clone()).unwrap_or_default();
    match &raw.name {
        Some(n) if n.get_ref().trim().is_empty() => {
            lower.push(
                Diagnostic::error("invalid-value", "scenario.name", "the scenario name is empty")
                    .at(Some(n.span()))
                    .help("set `scenario.name` to a short identifier used in outputs"),
            );
            (String::new(), description)
        }
        Some(n) if !is_identifier(n.get_ref()) || n.get_ref().len() > MAX_SCENARIO_NAME => {
            // The name becomes a folder name (`out/<name>`, `batch --out DIR/<name>`): anything but a plain
            // identifier could point elsewhere (`../x`, `/tmp/x`) or be refused by the file system.
            let name = n.get_ref();
            let suggestion: String = name
                .trim()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' })
                .take(MAX_SCENARIO_NAME)
                .collect();
            let suggestion = suggestion.trim_matches('_');
            let suggestion = if suggestion.starts_with(|c: char| c.is_ascii_lowercase()) {
                suggestion.to_owned()
            } else {
                format!("s_{suggestion}").trim_end_matches('_').to_owned()
            };
            lower.push(
                Diagnostic::error(
                    "invalid-value",
                    "scenario.name",
                    format!(
                        "the scenario name `{}` is not a snake_case name of at most {MAX_SCENARIO_NAME} characters \
                         (lowercase letters, digits and `_`, starting with a letter)",
                        clip(name, 80)
                    ),
                )
                .at(Some(n.span()))
                .help(format!(
                    "rename `scenario.name`, for example to `\"{suggestion}\"`: it names the output folder \
                     `out/<name>`"
                )),
            );
            (String::new(), description)
        }
        Some(n) => (n.get_ref().clone(), description),
        None => {
            lower.missing(e, "the scenario", "name", "\"my_scenario\"");
            (String::new(), description)
        }
    }
}
