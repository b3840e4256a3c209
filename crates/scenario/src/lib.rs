//! chokepoint's scenario format: TOML in, a validated engine [`Model`] out, or every problem as a coded,
//! spanned [`Diagnostic`].
//!
//! This is the only code that knows TOML, and it does no file I/O. [`parse`] takes the text ([`parse_with`] also
//! takes a resolver that reads the bases an overlay names) and goes through three layers: each file is read into
//! raw serde structs with spans (`raw`, `document`) and laid over its base (`overlay`); the document is lowered
//! into the engine's `ModelSpec` with names resolved, units converted and defaults filled (`lower`, a folder: its
//! shared context, one module per section, the graph checks and the mitigations); and the spec is validated by
//! [`Model::new`]. Every check runs before the
//! engine's, with the position of the key to change, so the engine's own refusal should never be seen; if it is,
//! it is reported without a span (or at the mitigation that caused it).
//!
//! The scenario's [`Scenario::model`] is the baseline, without mitigations; [`Scenario::variant`] applies
//! mitigations and packages by name. Every mitigation and package is applied once at load time, so that a broken
//! one is reported with the rest. The format itself is documented in `docs/scenario-format.md`.

#![warn(missing_docs)]

mod cost;
mod date;
mod diagnostic;
mod document;
mod encoding;
mod kind;
mod lower;
mod overlay;
mod parameter;
mod raw;
mod setting;
mod uncertainty;

use std::fmt;

use chokepoint_engine::{Model, ModelError};

pub use cost::{Cost, MAX_AMOUNT};
pub use date::Date;
pub use diagnostic::{Diagnostic, Diagnostics, MAX_EXCERPT, Severity, Style, did_you_mean};
pub use encoding::{MAX_SCENARIO_BYTES, decode};
pub use kind::{DisruptionKindName, MitigationKind};
pub use lower::loss::{DEFAULT_LATE_WEEK_COST_SHARE, EndUseValues, LossMeasure, LossUnit, ValueBasis};
pub use overlay::Resolver;
pub use parameter::{Parameter, Scope, Site, StockEnd, key_matches};
pub use setting::Setting;
pub use uncertainty::{MAX_WORLDS, Uncertainty, can_be_knowledge};

use crate::document::Document;
use crate::lower::mitigation::Plan;
use crate::overlay::Sources;

/// Every diagnostic code, with what it means. Codes are stable: tools may match on them.
pub const CODES: &[(&str, &str)] = &[
    ("not-utf8", "the file is not UTF-8 text (Latin-1, UTF-16, a truncated character, a binary file)"),
    ("empty-file", "the file, or a base, defines nothing"),
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
    ("value-too-large", "a number beyond ±1e15, or a rate that can grow beyond 1e15 a year over the horizon"),
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
    ("key-not-allowed-for-kind", "a disruption or mitigation key that does not apply to its kind"),
    (
        "base-not-allowed",
        "`scenario.base` is not a relative path to a `.toml` file (absolute, a folder, another kind of file)",
    ),
    ("base-not-available", "`scenario.base` names a file that could not be read (or the scenario was given as text)"),
    ("cycle-in-bases", "a file is, through its bases, laid over itself"),
    ("unknown-entity", "`scenario.remove` names an entity the base does not define"),
    ("unknown-mitigation", "a package lists a mitigation that is not defined"),
    ("not-allowed-in-overlay", "an overlay added to a loaded scenario holds more than mitigations and packages"),
    ("unknown-parameter", "`uncertainty.knowledge` names no parameter of the scenario or its mitigations"),
    ("not-uncertain", "`uncertainty.knowledge` names a constant, or a parameter drawn per event"),
    ("capacity-below-baseline", "warning: a stage's normal throughput exceeds its capacity"),
];

/// The code of a problem the engine found that the scenario checks missed; it indicates a bug in this crate.
pub const ENGINE_REFUSED: &str = "engine-refused";

/// A loaded scenario: its baseline model (no mitigation applied), its warnings, the mitigations and packages it
/// offers, and what is needed to build variants with them.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario's name (`[scenario] name`).
    pub name: String,
    /// The scenario's description (`[scenario] description`), empty when not given.
    pub description: String,
    /// The baseline: the scenario without any mitigation.
    pub model: Model,
    /// Warnings (such as `capacity-below-baseline`), those of the file named first, then those of its bases; render
    /// one with [`Scenario::render`], which knows every file's text.
    pub warnings: Vec<Diagnostic>,
    /// Mitigations and packages in file order (a base's first, then those an overlay adds).
    pub mitigations: Vec<MitigationInfo>,
    /// Packages of mitigations, in file order.
    pub packages: Vec<PackageInfo>,
    /// The disruptions in model order, described for reports.
    pub disruptions: Vec<DisruptionInfo>,
    /// The calendar date of week 0 (`[horizon] start_date`), if the scenario gives one.
    pub start_date: Option<Date>,
    /// Per end use, in model order: its display unit and loss values.
    pub end_uses: Vec<EndUseValues>,
    /// What the loss measure is counted in, and its `[loss]` settings.
    pub loss: LossMeasure,
    /// The parameters of `model` (constants included), named by their keys; replace them together with `model`
    /// (see [`Scenario::variant_parameters`]).
    pub parameters: Vec<Parameter>,
    /// `[uncertainty]`: which parameters are knowledge uncertainty.
    pub uncertainty: Uncertainty,
    doc: Document,
    sources: Sources,
}

/// A mitigation the scenario offers: `[mitigations.NAME]`.
#[derive(Debug, Clone, PartialEq)]
pub struct MitigationInfo {
    /// Its name (`NAME`).
    pub name: String,
    /// Its `kind`.
    pub kind: MitigationKind,
    /// Its `description`, empty when not given.
    pub description: String,
    /// Its `[mitigations.NAME.cost]`, zero where not given.
    pub cost: Cost,
}

/// A named combination of mitigations: `[packages.NAME]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageInfo {
    /// Its name (`NAME`).
    pub name: String,
    /// Its `description`, empty when not given.
    pub description: String,
    /// Its mitigations, in the order they are applied.
    pub members: Vec<String>,
    /// The sum of its members' costs.
    pub cost: Cost,
}

/// A disruption of the scenario, described for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct DisruptionInfo {
    /// Its name (`NAME` of `[disruptions.NAME]`).
    pub name: String,
    /// Its `kind`.
    pub kind: DisruptionKindName,
    /// Its `description`, empty when not given.
    pub description: String,
    /// One line in words: scope, severity and timing.
    pub summary: String,
}

/// Why a variant of a scenario could not be built.
#[derive(Debug, Clone)]
pub enum VariantError {
    /// A name that is neither a mitigation nor a package of the scenario.
    Unknown {
        /// The name as given.
        name: String,
        /// The scenario's mitigations and packages, for a did-you-mean.
        known: Vec<String>,
    },
    /// [`Scenario::with_stockpile_size`] was given a mitigation of another kind, or a package; `stockpiles` are
    /// the scenario's mitigations of kind `stockpile`.
    NotAStockpile {
        /// The name as given.
        name: String,
        /// The scenario's stockpiles.
        stockpiles: Vec<String>,
    },
    /// The mitigations, applied together, make a model that is not valid (every problem, at its key).
    Invalid(Diagnostics),
}

impl fmt::Display for VariantError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown { name, known } if known.is_empty() => {
                write!(
                    f,
                    "unknown mitigation `{name}`: the scenario defines no mitigation or package (the shipped \
                     mitigations are in scenarios/mitigations_2025.toml, laid over the default scenario)"
                )
            }
            Self::Unknown { name, known } => {
                let suggestion = diagnostic::did_you_mean(name, known.iter().map(String::as_str))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                write!(
                    f,
                    "unknown mitigation or package `{name}`{suggestion}; the scenario defines {}",
                    diagnostic::list(known)
                )
            }
            Self::NotAStockpile { name, stockpiles } => {
                let suggestion = diagnostic::did_you_mean(name, stockpiles.iter().map(String::as_str))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                write!(
                    f,
                    "`{name}` is not a mitigation of kind `stockpile`{suggestion}; the scenario's stockpiles are {}",
                    diagnostic::list(stockpiles)
                )
            }
            Self::Invalid(d) => {
                write!(f, "the variant is not a valid model ({} errors):\n{}", d.error_count(), d.render().trim_end())
            }
        }
    }
}

impl std::error::Error for VariantError {}

/// Parses and validates a scenario given as text. `origin` is the path shown in messages; `source` is the file's
/// text. A file with `scenario.base` cannot be loaded this way (`base-not-available`): use [`parse_with`].
pub fn parse(origin: &str, source: &str) -> Result<Scenario, Diagnostics> {
    load(origin, source, None, &[])
}

/// Parses and validates a scenario whose bases, if any, are read through `resolve`: given the origin of the file
/// naming a base and the path as written, it returns the base's origin (as shown in messages, and used to detect
/// cycles, so equal files should get equal origins) and its text, or a message saying why it cannot.
pub fn parse_with(origin: &str, source: &str, resolve: &mut Resolver<'_>) -> Result<Scenario, Diagnostics> {
    load(origin, source, Some(resolve), &[])
}

/// As [`parse_with`] (or [`parse`] without a resolver), with `settings` (`--set KEY=VALUE`) applied to the scenario
/// with its bases before it is lowered, in order. Each setting's text is a source of its own, named by its
/// `origin`, so that its problems point into it; they are checked like the file's own keys.
pub fn parse_with_settings(
    origin: &str,
    source: &str,
    resolve: Option<&mut Resolver<'_>>,
    settings: &[Setting],
) -> Result<Scenario, Diagnostics> {
    load(origin, source, resolve, settings)
}

fn load(
    origin: &str,
    source: &str,
    resolve: Option<&mut Resolver<'_>>,
    settings: &[Setting],
) -> Result<Scenario, Diagnostics> {
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let mut chain = vec![origin.to_owned()];
    let Some(mut doc) = overlay::load(&mut sources, origin, source, resolve, &mut chain, &mut diags) else {
        return Err(sources.diagnostics(diags, 0));
    };
    setting::apply(&mut doc, &mut sources, settings, &mut diags);
    // After a problem in reading, lowering still reports what it finds, but keys refused while reading are
    // missing from the model, so the engine is not asked.
    let read_ok = !has_errors(&diags);
    let baseline = build(&doc, &Plan::default(), read_ok);
    let mut warnings = Vec::new();
    match &baseline {
        Ok(built) => warnings.extend(built.warnings.iter().cloned()),
        Err(errors) => diags.extend(errors.iter().cloned()),
    }
    let mut parameters = validate_catalog(&doc, &mut diags, read_ok);
    if let Ok(built) = &baseline {
        parameters.splice(0..0, built.parameters.iter().cloned());
    }
    // Every parameter is known only when the baseline and every mitigation were built without an error.
    let complete = baseline.is_ok() && !has_errors(&diags);
    let uncertainty = uncertainty::resolve(&doc, &parameters, complete, &mut diags);
    let Ok(built) = baseline.map_err(|_| ()).and_then(|b| if has_errors(&diags) { Err(()) } else { Ok(b) }) else {
        return Err(sources.diagnostics(diags, 0));
    };
    let mut scenario = Scenario {
        name: built.name,
        description: built.description,
        model: built.model,
        warnings: sources.localize(warnings, 0),
        mitigations: Vec::new(),
        packages: Vec::new(),
        disruptions: Vec::new(),
        start_date: built.start_date,
        end_uses: built.end_use_values,
        loss: built.loss,
        parameters: built.parameters,
        uncertainty,
        doc,
        sources,
    };
    scenario.describe();
    Ok(scenario)
}

impl Scenario {
    /// Length of the horizon in years (52 weeks).
    pub fn horizon_years(&self) -> f64 {
        let spec = self.model.spec();
        spec.periods as f64 * spec.period_weeks / 52.0
    }

    /// The model with these mitigations and/or packages applied, in order (a package applies its members in its
    /// order; a mitigation named twice is applied once, where it first appears). `&[]` gives the baseline.
    pub fn variant(&self, names: &[&str]) -> Result<Model, VariantError> {
        self.build_variant(&self.plan(names)?).map(|b| b.model)
    }

    /// The model of [`Scenario::variant`] with its parameters, named by their keys (constants included).
    pub fn variant_parameters(&self, names: &[&str]) -> Result<(Model, Vec<Parameter>), VariantError> {
        self.build_variant(&self.plan(names)?).map(|b| (b.model, b.parameters))
    }

    /// The plan of a variant: mitigations and packages by name, in order, each mitigation once.
    fn plan(&self, names: &[&str]) -> Result<Plan, VariantError> {
        let mut plan = Plan::default();
        for name in names {
            let members = match self.doc.mitigations.iter().position(|m| m.name == *name) {
                Some(m) => vec![m],
                None => match self.packages.iter().find(|p| p.name == *name) {
                    Some(p) => p
                        .members
                        .iter()
                        .filter_map(|n| self.doc.mitigations.iter().position(|m| m.name == *n))
                        .collect(),
                    None => return Err(VariantError::Unknown { name: (*name).to_owned(), known: self.known() }),
                },
            };
            for m in members {
                if !plan.applied.contains(&m) {
                    plan.applied.push(m);
                }
            }
        }
        Ok(plan)
    }

    /// The model with stockpile mitigation `name` applied and its initial size set to the constant `size` (in the
    /// unit of its material: tonnes, or items), for sizing studies.
    pub fn with_stockpile_size(&self, name: &str, size: f64) -> Result<Model, VariantError> {
        let Some(m) = self.doc.mitigations.iter().position(|m| m.name == name) else {
            if self.packages.iter().any(|p| p.name == name) {
                return Err(VariantError::NotAStockpile { name: name.to_owned(), stockpiles: self.stockpiles() });
            }
            return Err(VariantError::Unknown { name: name.to_owned(), known: self.known() });
        };
        let raw = self.doc.mitigations[m].raw.as_ref();
        if raw.and_then(lower::mitigation::kind_of) != Some(MitigationKind::Stockpile) {
            return Err(VariantError::NotAStockpile { name: name.to_owned(), stockpiles: self.stockpiles() });
        }
        if !(size.is_finite() && size >= 0.0) {
            let d = Diagnostic::error(
                "invalid-value",
                format!("mitigations.{name}.initial"),
                format!(
                    "the size {} given for stockpile `{name}` is not an amount of zero or more",
                    diagnostic::number(size)
                ),
            )
            .help("give a finite size of zero or more, in the unit of the stockpile's material");
            return Err(VariantError::Invalid(self.sources.diagnostics(vec![d], 0)));
        }
        self.build_variant(&Plan { applied: vec![m], stockpile_size: Some((m, size)) }).map(|b| b.model)
    }

    /// Adds the mitigations and packages of an overlay file, which may hold only `[scenario]` (its `name`,
    /// `description` and `base` are not used: the overlay is laid over this scenario as loaded), `[mitigations.*]`
    /// and `[packages.*]`. A mitigation or package with the name of one the scenario has replaces it. Every
    /// mitigation and package is checked as at load time; on any error the scenario is left as it was. Returns
    /// the names the overlay defines, mitigations first, in file order.
    pub fn add_overlay(&mut self, origin: &str, source: &str) -> Result<Vec<String>, Diagnostics> {
        let mut sources = self.sources.clone();
        let mut diags = Vec::new();
        let (top, padded) = sources.add(origin, source);
        let Some(over) = document::read(&padded, &mut diags) else { return Err(sources.diagnostics(diags, top)) };
        let mut refuse = |section: &str, span: Option<std::ops::Range<usize>>| {
            diags.push(
                Diagnostic::error(
                    "not-allowed-in-overlay",
                    section,
                    format!("`{section}` cannot be added to a scenario that is already loaded"),
                )
                .at(span)
                .help(format!(
                    "remove `{section}` from this overlay (it may hold only [scenario], [mitigations] and \
                     [packages]), or load the overlay as a scenario with `base` naming the scenario"
                )),
            );
        };
        if let Some(h) = &over.horizon {
            refuse("horizon", Some(h.name_span.clone()));
        }
        if let Some(l) = &over.loss {
            refuse("loss", Some(l.name_span.clone()));
        }
        if let Some(u) = &over.uncertainty {
            refuse("uncertainty", Some(u.name_span.clone()));
        }
        if let Some(r) = over.scenario.as_ref().and_then(|s| s.raw.as_ref()).and_then(|r| r.remove.as_ref()) {
            refuse("scenario.remove", Some(r.span()));
        }
        for (section, span) in [
            ("materials", overlay::first_span(&over.materials)),
            ("stages", overlay::first_span(&over.stages)),
            ("links", overlay::first_span(&over.links)),
            ("end_uses", overlay::first_span(&over.end_uses)),
            ("disruptions", overlay::first_span(&over.disruptions)),
            ("markets", overlay::first_span(&over.markets)),
        ] {
            if span.is_some() {
                refuse(section, span);
            }
        }
        let names: Vec<String> = over
            .mitigations
            .iter()
            .map(|e| e.name.clone())
            .chain(over.packages.iter().map(|e| e.name.clone()))
            .collect();
        let mut doc = self.doc.clone();
        overlay::lay(&mut doc.mitigations, over.mitigations);
        overlay::lay(&mut doc.packages, over.packages);
        let read_ok = !has_errors(&diags);
        validate_catalog(&doc, &mut diags, read_ok);
        if has_errors(&diags) {
            return Err(sources.diagnostics(diags, top));
        }
        self.doc = doc;
        self.sources = sources;
        self.describe();
        Ok(names)
    }

    /// Renders a diagnostic of this scenario (such as a warning) against the file it points into.
    pub fn render(&self, d: &Diagnostic) -> String {
        self.render_styled(d, Style::PLAIN)
    }

    /// [`Scenario::render`] in the terminal colours of `style`.
    pub fn render_styled(&self, d: &Diagnostic, style: Style) -> String {
        let files = &self.sources.files;
        let file = match &d.origin {
            None => files.first(),
            Some(o) => files.iter().find(|f| &f.origin == o),
        };
        file.map_or_else(
            || d.render_styled(d.origin.as_deref().unwrap_or(""), "", style),
            |f| d.render_styled(&f.origin, &f.text, style),
        )
    }

    /// The names of the mitigations of kind `stockpile`.
    fn stockpiles(&self) -> Vec<String> {
        self.mitigations.iter().filter(|m| m.kind == MitigationKind::Stockpile).map(|m| m.name.clone()).collect()
    }

    /// Every mitigation and package name.
    fn known(&self) -> Vec<String> {
        self.mitigations.iter().map(|m| m.name.clone()).chain(self.packages.iter().map(|p| p.name.clone())).collect()
    }

    fn build_variant(&self, plan: &Plan) -> Result<Built, VariantError> {
        build(&self.doc, plan, true).map_err(|d| VariantError::Invalid(self.sources.diagnostics(d, 0)))
    }

    /// Fills the descriptions of mitigations, packages and disruptions.
    fn describe(&mut self) {
        let doc = &self.doc;
        let text = |f: &raw::Field<String>| f.as_ref().map(|d| d.get_ref().clone()).unwrap_or_default();
        self.mitigations = doc
            .mitigations
            .iter()
            .filter_map(|e| {
                let raw = e.raw.as_ref()?;
                // Every mitigation was lowered when the scenario was loaded, so its kind is known.
                Some(MitigationInfo {
                    name: e.name.clone(),
                    kind: lower::mitigation::kind_of(raw)?,
                    description: text(&raw.description),
                    cost: lower::mitigation::cost_of(raw),
                })
            })
            .collect();
        self.packages = doc
            .packages
            .iter()
            .filter_map(|e| {
                let raw = e.raw.as_ref()?;
                let members: Vec<String> =
                    raw.mitigations.as_ref()?.get_ref().iter().map(|m| m.get_ref().clone()).collect();
                let cost = members
                    .iter()
                    .filter_map(|n| self.mitigations.iter().find(|m| m.name == *n))
                    .fold(Cost::default(), |sum, m| sum + m.cost);
                Some(PackageInfo { name: e.name.clone(), description: text(&raw.description), members, cost })
            })
            .collect();
        let spec = self.model.spec();
        self.disruptions = spec
            .disruptions
            .iter()
            .map(|d| {
                let description = doc
                    .disruptions
                    .iter()
                    .find(|e| e.name == d.name)
                    .and_then(|e| e.raw.as_ref())
                    .map(|r| text(&r.description))
                    .unwrap_or_default();
                DisruptionInfo {
                    name: d.name.clone(),
                    kind: DisruptionKindName::of(&d.kind),
                    description,
                    summary: lower::disruption::summary(spec, d),
                }
            })
            .collect();
    }
}

fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

/// A model built from a document, with the baseline's warnings.
struct Built {
    name: String,
    description: String,
    model: Model,
    warnings: Vec<Diagnostic>,
    start_date: Option<Date>,
    end_use_values: Vec<EndUseValues>,
    loss: LossMeasure,
    parameters: Vec<Parameter>,
}

/// Lowers `doc` with the mitigations of `plan` applied and, when `check_model`, validates the model. On failure,
/// every error (with global spans); an error only the engine found is pinned on the first mitigation applied.
fn build(doc: &Document, plan: &Plan, check_model: bool) -> Result<Built, Vec<Diagnostic>> {
    let variant;
    let doc = if plan.applied.is_empty() {
        doc
    } else {
        variant = lower::mitigation::variant_document(doc, plan);
        &variant
    };
    let mut lowering = lower::context::Lower::new(doc);
    let lowered = lower::lower(&mut lowering, plan);
    let mut diags = std::mem::take(&mut lowering.diags);
    let Some(lowered) = lowered.filter(|_| check_model && !has_errors(&diags)) else { return Err(diags) };
    let lower::Lowered { name, description, spec, capacity_keys, start_date, end_use_values, loss } = lowered;
    let model = match Model::new(spec) {
        Ok(model) => model,
        Err(errors) => {
            let span = plan.applied.first().and_then(|&m| doc.mitigations.get(m)).map(|e| e.name_span.clone());
            diags.extend(errors.iter().map(|e| engine_error(e).at(span.clone())));
            return Err(diags);
        }
    };
    for deficit in &model.baseline().over_capacity {
        let stage = model.spec().stages.get(deficit.stage).map_or("?", |s| s.name.as_str());
        let (key, span) = capacity_keys.get(deficit.stage).cloned().unwrap_or_default();
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
    let parameters = parameter::name_parameters(doc, plan, model.spec());
    Ok(Built { name, description, model, warnings: diags, start_date, end_use_values, loss, parameters })
}

/// Checks the names of mitigations and packages and the lists of packages, then applies each mitigation alone
/// and each package once, so that a broken mitigation is reported when the scenario is loaded. Problems already
/// reported (those of the baseline, found again in each variant) are not repeated. Returns the parameters the
/// mitigations bring (those named under `mitigations.`), for `[uncertainty]` to be checked against.
fn validate_catalog(doc: &Document, diags: &mut Vec<Diagnostic>, check_model: bool) -> Vec<Parameter> {
    let packages = lower::mitigation::check_catalog(doc, diags);
    let mut plans: Vec<Plan> = (0..doc.mitigations.len())
        .filter(|&m| doc.mitigations[m].raw.is_some())
        .map(|m| Plan { applied: vec![m], stockpile_size: None })
        .collect();
    plans.extend(
        packages.into_iter().flatten().filter(|m| m.len() > 1).map(|applied| Plan { applied, stockpile_size: None }),
    );
    let mut parameters: Vec<Parameter> = Vec::new();
    for plan in plans {
        match build(doc, &plan, check_model) {
            Ok(built) => {
                for p in built.parameters {
                    if p.key.starts_with("mitigations.") && !parameters.iter().any(|x| x.key == p.key) {
                        parameters.push(p);
                    }
                }
            }
            Err(found) => {
                for d in found {
                    if !diags.contains(&d) {
                        diags.push(d);
                    }
                }
            }
        }
    }
    parameters
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
