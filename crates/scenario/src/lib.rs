//! chokepoint's scenario format: TOML in, a validated engine [`Model`] out, or every problem as a coded,
//! spanned [`Diagnostic`].
//!
//! This is the only code that knows TOML. [`parse`] takes the text (no file I/O here) and goes through three
//! layers: the document is read into raw serde structs with spans (`raw`, `document`), lowered into
//! the engine's `ModelSpec` with names resolved, units converted and defaults filled (`lower`, `disruption`,
//! `graph`), and validated by [`Model::new`]. Every check runs before the engine's, with the position of the key
//! to change, so the engine's own refusal should never be seen; if it is, it is reported without a span. The
//! format itself is documented in `docs/scenario-format.md`.

mod diagnostic;
mod disruption;
mod document;
mod graph;
mod lower;
mod raw;

use chokepoint_engine::{Model, ModelError};

pub use diagnostic::{Diagnostic, Diagnostics, Severity};

/// Every diagnostic code, with what it means. Codes are stable: tools may match on them.
pub const CODES: &[(&str, &str)] = &[
    ("toml-syntax", "the file is not valid TOML"),
    ("unknown-key", "a key the format does not define (often a typo)"),
    ("missing-key", "a required key is absent"),
    ("invalid-value", "a value of the wrong type, an unknown word, or a number out of its range"),
    ("conflicting-keys", "two keys give the same thing (two units of one duration, `to` and `to_regions`, ...)"),
    ("duplicate-name", "a stage and an end use share a name"),
    ("unknown-material", "a reference to a material that is not defined"),
    ("unknown-stage", "a reference to a stage that is not defined"),
    ("unknown-end-use", "a reference to an end use that is not defined"),
    ("unknown-customer", "a link or disruption destination that is neither a stage nor an end use"),
    ("unknown-disruption", "`follows` names a disruption that is not defined"),
    ("unit-mismatch", "a key's unit (`_t_`, `_units_`) does not match its material's, or a stage's outputs mix units"),
    ("negative-value", "a capacity, demand, stock, lead time, duration or rate that can be negative"),
    ("probability-out-of-range", "a probability that can leave [0, 1]"),
    ("invalid-distribution", "a distribution with bad parameters (min > max, mode outside, sigma <= 0, ...)"),
    ("supplier-does-not-make", "a link ships a material its supplier does not make"),
    ("customer-does-not-use", "a link ships a material its customer does not use"),
    ("shares-do-not-sum-to-one", "the shares of one customer's suppliers of one material do not sum to 1"),
    ("no-supplier", "a stage or end use needs a material that no link supplies"),
    ("cycle-in-links", "the links form a cycle among stages"),
    ("cycle-in-follows", "disruptions follow each other in a cycle"),
    ("empty-horizon", "the horizon holds no period"),
    ("timing-missing", "a disruption has no timing"),
    ("conflicting-timing", "a disruption has more than one timing, or a duration with `two_state`"),
    ("key-not-allowed-for-kind", "a disruption key that does not apply to its kind"),
    ("capacity-below-baseline", "warning: a stage's normal throughput exceeds its capacity"),
];

/// The code of a problem the engine found that the scenario checks missed; it indicates a bug in this crate.
pub const ENGINE_REFUSED: &str = "engine-refused";

/// A loaded scenario: its validated model and any warnings.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub model: Model,
    /// Warnings (such as `capacity-below-baseline`), sorted by position.
    pub warnings: Vec<Diagnostic>,
}

/// Parses and validates a scenario. `origin` is the path shown in messages; `source` is the file's text.
pub fn parse(origin: &str, source: &str) -> Result<Scenario, Diagnostics> {
    let fail = |mut items: Vec<Diagnostic>| {
        diagnostic::sort(&mut items);
        Diagnostics { origin: origin.to_owned(), source: source.to_owned(), items }
    };
    let mut diags = Vec::new();
    let Some(doc) = document::read(source, &mut diags) else { return Err(fail(diags)) };
    let mut lowering = lower::Lower::new(&doc);
    let lowered = lower::lower(&mut lowering);
    diags.append(&mut lowering.diags);
    let Some(lowered) = lowered.filter(|_| diags.iter().all(|d| d.severity != Severity::Error)) else {
        return Err(fail(diags));
    };
    let model = match Model::new(lowered.spec) {
        Ok(model) => model,
        Err(errors) => {
            diags.extend(errors.iter().map(engine_error));
            return Err(fail(diags));
        }
    };
    for deficit in &model.baseline().over_capacity {
        let stage = model.spec().stages.get(deficit.stage).map_or("?", |s| s.name.as_str());
        let (key, span) = lowered.capacity_keys.get(deficit.stage).cloned().unwrap_or_default();
        let unit = lower::stage_rate_unit(&lowering, deficit.stage);
        let n = diagnostic::number;
        diags.push(
            Diagnostic::warning(
                "capacity-below-baseline",
                key.as_str(),
                format!(
                    "stage `{stage}` must carry {} {unit} to meet normal demand, but its capacity is {} {unit} \
                     (short by {} {unit})",
                    n(deficit.throughput_per_year),
                    n(deficit.capacity_per_year),
                    n(deficit.deficit_per_year())
                ),
            )
            .at(span)
            .help(format!(
                "raise `{key}` to at least {}, or lower the demand that flows through `{stage}`",
                n(deficit.throughput_per_year)
            )),
        );
    }
    diagnostic::sort(&mut diags);
    Ok(Scenario { name: lowered.name, description: lowered.description, model, warnings: diags })
}

/// An engine refusal, without a span: the scenario checks should have caught it first.
fn engine_error(e: &ModelError) -> Diagnostic {
    let code = match e {
        ModelError::SharesDoNotSumToOne { .. } => "shares-do-not-sum-to-one",
        ModelError::NoSupplier { .. } => "no-supplier",
        ModelError::SupplierDoesNotMake { .. } => "supplier-does-not-make",
        ModelError::CustomerDoesNotUse { .. } => "customer-does-not-use",
        ModelError::Cycle(_) => "cycle-in-links",
        ModelError::EmptyHorizon => "empty-horizon",
        _ => ENGINE_REFUSED,
    };
    Diagnostic::error(code, "", e.to_string())
        .help("the scenario checks missed this problem; please report it with the scenario file")
}
