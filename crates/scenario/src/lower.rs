//! Lowering: raw entities into the engine's [`ModelSpec`], resolving names to indices, converting units and
//! filling defaults, with every check reported against the key to change.
//!
//! Lowering never stops early: a value that is refused is reported and replaced by a placeholder so that the
//! remaining checks still run. The spec is only handed on when no error was reported, so placeholders never reach
//! the engine.

use std::collections::BTreeMap;
use std::ops::Range;

use chokepoint_engine::{
    Allocation, Class, DisruptionKind, DisruptionSpec, EndUseSpec, LinkSpec, MaterialSpec, ModelSpec, Node, Param,
    ParamError, StageSpec, StockWeeks, Unit, Unmet,
};
use toml::Spanned;

use crate::date::Date;
use crate::diagnostic::{Diagnostic, a, did_you_mean, list, number};
use crate::document::{Document, Entity};
use crate::raw::{Field, RawDist, RawParam, RawQuantities, RawStock, RawWordOrList};

/// Weeks per month: a month is a twelfth of a 52-week year.
pub(crate) const WEEKS_PER_MONTH: f64 = 52.0 / 12.0;
/// Weeks per day.
pub(crate) const WEEKS_PER_DAY: f64 = 1.0 / 7.0;
/// The longest horizon accepted, in periods (about 1,900 years of weeks): longer ones are typos.
pub(crate) const MAX_PERIODS: f64 = 100_000.0;

/// What a scenario lowers to.
#[derive(Debug)]
pub(crate) struct Lowered {
    pub name: String,
    pub description: String,
    pub spec: ModelSpec,
    /// Per stage: the path and span of its capacity key, for warnings about the baseline.
    pub capacity_keys: Vec<(String, Option<Range<usize>>)>,
    /// The calendar date of week 0, if given.
    pub start_date: Option<Date>,
    /// Per end use: its display unit and loss values, resolved.
    pub end_use_values: Vec<crate::EndUseValues>,
    pub loss: crate::LossMeasure,
}

/// A key holding a duration, in its three unit forms (`_weeks`, `_days`, `_months`).
pub(crate) struct DurationKey<'a> {
    /// What the duration is, for messages ("lead time").
    pub what: &'a str,
    pub forms: [(&'a str, &'a Field<RawParam>); 3],
}

/// Names defined in the file, by kind, with their index in file order.
#[derive(Debug, Default)]
pub(crate) struct Names {
    pub materials: BTreeMap<String, usize>,
    pub stages: BTreeMap<String, usize>,
    pub end_uses: BTreeMap<String, usize>,
    pub disruptions: BTreeMap<String, usize>,
}

/// The kinds of names a reference can resolve to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Material,
    Stage,
    EndUse,
    /// A stage or an end use.
    Customer,
    Disruption,
}

impl Kind {
    fn code(self) -> &'static str {
        match self {
            Self::Material => "unknown-material",
            Self::Stage => "unknown-stage",
            Self::EndUse => "unknown-end-use",
            Self::Customer => "unknown-customer",
            Self::Disruption => "unknown-disruption",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Material => "material",
            Self::Stage => "stage",
            Self::EndUse => "end use",
            Self::Customer => "stage or end use",
            Self::Disruption => "disruption",
        }
    }

    fn home(self) -> &'static str {
        match self {
            Self::Material => "[materials]",
            Self::Stage => "[stages]",
            Self::EndUse => "[end_uses]",
            Self::Customer => "[stages] or [end_uses]",
            Self::Disruption => "[disruptions]",
        }
    }
}

/// The lowering context: the document, the names it defines, and the diagnostics found so far.
pub(crate) struct Lower<'d> {
    pub doc: &'d Document,
    pub names: Names,
    pub diags: Vec<Diagnostic>,
    /// Unit of each material (`None` when the material could not be read).
    pub material_units: Vec<Option<Unit>>,
    /// Resolved inputs and outputs of each stage, and intensities of each end use, with the key's span.
    pub stage_inputs: Vec<Vec<(usize, Range<usize>)>>,
    pub stage_outputs: Vec<Vec<usize>>,
    pub end_use_inputs: Vec<Vec<(usize, Range<usize>)>>,
    /// Length of the horizon in years, once `[horizon]` is read (for bounds on what grows over it).
    pub horizon_years: f64,
}

impl<'d> Lower<'d> {
    pub(crate) fn new(doc: &'d Document) -> Self {
        // The first entity of a name wins: a stage a mitigation adds under a name already taken is reported as
        // `duplicate-name` without taking the name over.
        let index = |names: Vec<&str>| {
            let mut map = BTreeMap::new();
            for (i, n) in names.into_iter().enumerate() {
                map.entry(n.to_owned()).or_insert(i);
            }
            map
        };
        let names = Names {
            materials: index(doc.materials.iter().map(|e| e.name.as_str()).collect()),
            stages: index(doc.stages.iter().map(|e| e.name.as_str()).collect()),
            end_uses: index(doc.end_uses.iter().map(|e| e.name.as_str()).collect()),
            disruptions: index(doc.disruptions.iter().map(|e| e.name.as_str()).collect()),
        };
        Self {
            doc,
            names,
            diags: Vec::new(),
            material_units: Vec::new(),
            stage_inputs: Vec::new(),
            stage_outputs: Vec::new(),
            end_use_inputs: Vec::new(),
            horizon_years: 0.0,
        }
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Reports a required key that is absent (unless it was present and already refused).
    pub(crate) fn missing<T>(&mut self, e: &Entity<T>, who: &str, key: &str, example: &str) {
        if e.broken(key) {
            return;
        }
        self.push(
            Diagnostic::error("missing-key", format!("{}.{key}", e.path), format!("{who} has no `{key}`"))
                .at(Some(e.name_span.clone()))
                .help(format!("add `{key} = {example}` to {}", table_ref(&e.path))),
        );
    }

    /// Resolves a name of `kind`. A name that is unknown is reported at its span; `as_key` says whether the name
    /// is itself a key (as in `inputs`) rather than a value (as in `from = "..."`). Stages and end uses come back
    /// as their [`Node`]; materials and disruptions come back as their index wrapped in `Node::Stage`.
    pub(crate) fn resolve(
        &mut self,
        kind: Kind,
        name: &Spanned<String>,
        key: &str,
        who: &str,
        as_key: bool,
    ) -> Option<Node> {
        let n = name.get_ref().as_str();
        let stage = self.names.stages.get(n).copied();
        let end_use = self.names.end_uses.get(n).copied();
        let found = match kind {
            Kind::Material => self.names.materials.get(n).map(|&i| Node::Stage(i)),
            Kind::Stage => stage.map(Node::Stage),
            Kind::EndUse => end_use.map(Node::EndUse),
            Kind::Customer if stage.is_some() && end_use.is_some() => None,
            Kind::Customer => stage.map(Node::Stage).or(end_use.map(Node::EndUse)),
            Kind::Disruption => self.names.disruptions.get(n).map(|&i| Node::Stage(i)),
        };
        if found.is_some() {
            return found;
        }
        if kind == Kind::Customer && stage.is_some() && end_use.is_some() {
            // Both a stage and an end use: reported once as `duplicate-name`.
            return None;
        }
        let candidates: Vec<&str> = match kind {
            Kind::Material => self.names.materials.keys().map(String::as_str).collect(),
            Kind::Stage => self.names.stages.keys().map(String::as_str).collect(),
            Kind::EndUse => self.names.end_uses.keys().map(String::as_str).collect(),
            Kind::Customer => self.names.stages.keys().chain(self.names.end_uses.keys()).map(String::as_str).collect(),
            Kind::Disruption => self.names.disruptions.keys().map(String::as_str).collect(),
        };
        let (noun, home) = (kind.noun(), kind.home());
        let message = match (kind, stage, end_use) {
            (Kind::Stage, None, Some(_)) => format!("{who} names `{n}` as a stage, but `{n}` is an end use"),
            (Kind::EndUse, Some(_), None) => format!("{who} names `{n}` as an end use, but `{n}` is a stage"),
            _ => format!("{who} refers to {noun} `{n}`, which is not defined"),
        };
        let help = match (did_you_mean(n, candidates.iter().copied()), as_key) {
            (Some(s), true) => format!("rename `{key}` to `{s}`"),
            (Some(s), false) => format!("set `{key}` to {} under {home} (did you mean `{s}`?)", a(noun)),
            (None, _) if candidates.is_empty() => format!("define `{n}` under {home}"),
            (None, true) => format!("define `{n}` under {home}, or use one of {}", list(&candidates)),
            (None, false) => format!("set `{key}` to one of {} (the names under {home})", list(&candidates)),
        };
        self.push(Diagnostic::error(kind.code(), key, message).at(Some(name.span())).help(help));
        None
    }

    /// Resolves a material name to its index.
    pub(crate) fn material(&mut self, name: &Spanned<String>, key: &str, who: &str, as_key: bool) -> Option<usize> {
        match self.resolve(Kind::Material, name, key, who, as_key) {
            Some(Node::Stage(i) | Node::EndUse(i)) => Some(i),
            None => None,
        }
    }

    /// Converts a raw parameter, reporting bad distribution parameters.
    pub(crate) fn param(&mut self, raw: &Spanned<RawParam>, key: &str) -> Option<Param> {
        let span = Some(raw.span());
        let (form, result) = match raw.get_ref() {
            RawParam::Const(v) => {
                if v.is_finite() {
                    return self.bounded(Param::Const(*v), raw.span(), key);
                }
                self.push(
                    Diagnostic::error("invalid-value", key, format!("`{key}` is {v}, not a finite number"))
                        .at(span)
                        .help(format!("give `{key}` a finite value")),
                );
                return None;
            }
            RawParam::Dist(d) => match d {
                RawDist::Uniform { min, max } => ("uniform", Param::uniform(*min, *max)),
                RawDist::Triangular { min, mode, max } => ("triangular", Param::triangular(*min, *mode, *max)),
                RawDist::Pert { min, mode, max } => ("pert", Param::pert(*min, *mode, *max)),
                RawDist::Normal { mean, sd, min, max } => (
                    "normal",
                    Param::normal(*mean, *sd, min.unwrap_or(f64::NEG_INFINITY), max.unwrap_or(f64::INFINITY)),
                ),
                RawDist::Lognormal { mu, sigma, median, p90 } => match (mu, sigma, median, p90) {
                    (Some(mu), Some(sigma), None, None) => ("lognormal", Param::lognormal(*mu, *sigma)),
                    (None, None, Some(median), Some(p90)) => ("lognormal", Param::lognormal_median_p90(*median, *p90)),
                    _ => {
                        self.push(
                            Diagnostic::error(
                                "invalid-distribution",
                                key,
                                format!("the lognormal distribution of `{key}` mixes or lacks its parameters"),
                            )
                            .at(span)
                            .help(format!(
                                "give `{key}` either `{{ lognormal = {{ median = .., p90 = .. }} }}` or \
                                 `{{ lognormal = {{ mu = .., sigma = .. }} }}`"
                            )),
                        );
                        return None;
                    }
                },
                RawDist::Choice { values, weights } => {
                    let weights = weights.clone().unwrap_or_else(|| vec![1.0; values.len()]);
                    ("choice", Param::choice(values.clone(), weights))
                }
            },
        };
        match result {
            Ok(p) => self.bounded(p, raw.span(), key),
            Err(e) => {
                let help = match &e {
                    ParamError::NotFinite => format!("use finite numbers in `{key}`"),
                    ParamError::EmptyRange { .. } => format!("make `min` less than `max` in `{key}`"),
                    ParamError::ModeOutOfRange { .. } => format!("move `mode` between `min` and `max` in `{key}`"),
                    ParamError::NotPositive { name, .. } => format!("make `{name}` positive in `{key}`"),
                    ParamError::P90NotAboveMedian { .. } => format!("make `p90` greater than `median` in `{key}`"),
                    ParamError::BadChoice => {
                        format!("give `{key}` at least one value and one non-negative weight per value")
                    }
                    ParamError::EmptyTruncation { .. } => format!("widen `min` and `max` of `{key}` around `mean`"),
                };
                self.push(
                    Diagnostic::error(
                        "invalid-distribution",
                        key,
                        format!("`{key}` is not a valid {form} distribution: {e}"),
                    )
                    .at(span)
                    .help(help),
                );
                None
            }
        }
    }

    /// `p`, or `None` (reported as `value-too-large`) when it can leave [-MAX_MAGNITUDE, MAX_MAGNITUDE].
    fn bounded(&mut self, p: Param, span: Range<usize>, key: &str) -> Option<Param> {
        let (lo, hi) = practical_range(&p);
        if lo >= -MAX_MAGNITUDE && hi <= MAX_MAGNITUDE {
            return Some(p);
        }
        let message = match &p {
            Param::Const(v) => {
                format!("`{key}` is {}, beyond the largest magnitude a scenario number may have", number(*v))
            }
            _ => format!(
                "`{key}` can reach {}, beyond the largest magnitude a scenario number may have",
                number(if hi > MAX_MAGNITUDE { hi } else { lo })
            ),
        };
        self.push(Diagnostic::error("value-too-large", key, message).at(Some(span)).help(format!(
            "keep `{key}` within ±{} (10^15, so that sums over trials stay finite): use a larger unit, or a \
             narrower distribution",
            number(MAX_MAGNITUDE)
        )));
        None
    }

    /// Reports `key` when a rate that starts at most at `start` and grows by at most `growth` a year (and is
    /// multiplied by at most `multiplier`) can exceed [`MAX_MAGNITUDE`] a year by the end of the horizon.
    fn check_growth_bound(&mut self, key: &str, span: Range<usize>, start: f64, growth: f64, multiplier: f64) {
        let years = self.horizon_years.max(0.0);
        let log = projected_log(start, growth, multiplier, years);
        if !(log > MAX_MAGNITUDE.ln()) {
            return;
        }
        let mut reasons = vec![format!("up to {} a year at the start", number(start))];
        if growth > 0.0 {
            reasons.push(format!("growth of up to {} a year over {} years", number(growth), number(years)));
        }
        if multiplier > 1.0 {
            reasons.push(format!("demand shocks multiplying it by up to {}", number(multiplier)));
        }
        self.push(
            Diagnostic::error(
                "value-too-large",
                key,
                format!(
                    "`{key}` can reach about 1e{:.0} a year by the end of the horizon ({}), beyond the bound of \
                     {} a year",
                    log / std::f64::consts::LN_10,
                    reasons.join(", "),
                    number(MAX_MAGNITUDE)
                ),
            )
            .at(Some(span))
            .help(format!(
                "lower `{key}`, its growth or the multipliers applied to it so that it stays within 10^15 a year"
            )),
        );
    }

    /// An optional parameter with a default; a refused value becomes the default (and is reported).
    pub(crate) fn param_or(&mut self, raw: &Field<RawParam>, key: &str, default: f64) -> Param {
        raw.as_ref().and_then(|r| self.param(r, key)).unwrap_or(Param::Const(default))
    }

    /// Reports a parameter that can take values below `floor` (0 for most quantities).
    pub(crate) fn at_least(&mut self, p: &Param, span: Range<usize>, key: &str, what: &str) {
        let lo = p.min();
        if lo >= 0.0 {
            return;
        }
        let (message, help) = match p {
            Param::Const(v) => (
                format!("`{key}` is {}, but {what} cannot be negative", number(*v)),
                format!("make `{key}` zero or positive"),
            ),
            Param::Normal { min, .. } if min.is_infinite() => (
                format!("`{key}` is a normal distribution without `min`, so it can be negative, but {what} cannot"),
                format!("add `min = 0` to the normal distribution of `{key}`"),
            ),
            _ => (
                format!("`{key}` can be as low as {}, but {what} cannot be negative", number(lo)),
                format!("raise the lowest value of `{key}` to zero or more"),
            ),
        };
        self.push(Diagnostic::error("negative-value", key, message).at(Some(span)).help(help));
    }

    /// Reports a parameter that can leave [0, 1]. `code` is `probability-out-of-range` for probabilities.
    pub(crate) fn unit_interval(&mut self, code: &'static str, p: &Param, span: Range<usize>, key: &str, what: &str) {
        let (lo, hi) = (p.min(), p.max());
        if lo >= 0.0 && hi <= 1.0 {
            return;
        }
        let message = match p {
            Param::Const(v) => format!("`{key}` is {}, but {what} must lie between 0 and 1", number(*v)),
            _ => format!("`{key}` ranges from {} to {}, but {what} must lie between 0 and 1", number(lo), number(hi)),
        };
        let help = if p.is_constant() {
            format!("set `{key}` to a value from 0 to 1")
        } else {
            format!("bound the distribution of `{key}` within [0, 1] (a `uniform`, `pert` or `triangular` works)")
        };
        self.push(Diagnostic::error(code, key, message).at(Some(span)).help(help));
    }

    /// A non-negative parameter with a default.
    pub(crate) fn non_negative_or(&mut self, raw: &Field<RawParam>, key: &str, what: &str, default: f64) -> Param {
        let p = self.param_or(raw, key, default);
        if let Some(r) = raw {
            self.at_least(&p, r.span(), key, what);
        }
        p
    }

    /// A duration given in one of its unit forms, converted to weeks and checked to be non-negative. Two forms at
    /// once are reported. Returns the parameter, its key and span, or `None` when absent or refused.
    pub(crate) fn duration(&mut self, path: &str, d: &DurationKey<'_>) -> Option<(Param, String, Range<usize>)> {
        let given: Vec<(usize, &str, &Spanned<RawParam>)> =
            d.forms.iter().enumerate().filter_map(|(i, (k, f))| f.as_ref().map(|f| (i, *k, f))).collect();
        let (&(unit, key, raw), rest) = given.split_first()?;
        for (_, other, r) in rest {
            self.push(
                Diagnostic::error(
                    "conflicting-keys",
                    format!("{path}.{other}"),
                    format!("`{path}` gives the {} twice, as `{key}` and as `{other}`", d.what),
                )
                .at(Some(r.span()))
                .help(format!("remove `{path}.{other}` or `{path}.{key}`: give one unit only")),
            );
        }
        let key = format!("{path}.{key}");
        let p = self.param(raw, &key)?;
        self.at_least(&p, raw.span(), &key, &a(d.what));
        let factor = [1.0, WEEKS_PER_DAY, WEEKS_PER_MONTH].get(unit).copied().unwrap_or(1.0);
        Some((if factor == 1.0 { p } else { p.scaled(factor) }, key, raw.span()))
    }

    /// Quantities per material (`inputs`, `outputs`, `intensity`): resolves names and checks that each quantity is
    /// positive. Returns `(material, quantity, span of the name)` for the names that resolve.
    pub(crate) fn quantities(&mut self, q: &RawQuantities, path: &str, who: &str) -> Vec<(usize, f64, Range<usize>)> {
        let mut out = Vec::new();
        for (name, qty) in &q.0 {
            let key = format!("{path}.{}", name.get_ref());
            let v = *qty.get_ref();
            if !(v > 0.0 && v.is_finite() && v <= MAX_MAGNITUDE) {
                self.push(
                    Diagnostic::error(
                        "invalid-value",
                        key.as_str(),
                        format!("`{key}` is {}, but a quantity per unit must be positive and at most 1e15", number(v)),
                    )
                    .at(Some(qty.span()))
                    .help(format!("set `{key}` to a positive quantity of at most 1e15, or remove it")),
                );
            }
            if let Some(m) = self.material(name, &key, who, true) {
                out.push((m, v, name.span()));
            }
        }
        out
    }

    /// An end use's intensities: each a param (constant or drawn once per trial) whose values are positive and at
    /// most 1e15.
    pub(crate) fn intensities(
        &mut self,
        q: &crate::raw::RawIntensities,
        path: &str,
        who: &str,
    ) -> Vec<(usize, Param, Range<usize>)> {
        let mut out = Vec::new();
        for (name, raw) in &q.0 {
            let key = format!("{path}.{}", name.get_ref());
            // A refused number is reported by `param`; the material still counts as used, so that links to it are
            // not reported as well (the scenario is refused anyway).
            let p = self.param(raw, &key).unwrap_or(Param::Const(1.0));
            let (low, high) = (p.min(), p.max());
            if !(low > 0.0 && high.is_finite() && high <= MAX_MAGNITUDE) {
                let verb = if p.is_constant() { "is" } else { "can be" };
                let value = if low > 0.0 { number(high) } else { number(low) };
                self.push(
                    Diagnostic::error(
                        "invalid-value",
                        key.as_str(),
                        format!("`{key}` {verb} {value}, but a quantity per unit must be positive and at most 1e15"),
                    )
                    .at(Some(raw.span()))
                    .help(format!("set `{key}` to a positive quantity of at most 1e15, or remove it")),
                );
            }
            if let Some(m) = self.material(name, &key, who, true) {
                out.push((m, p, name.span()));
            }
        }
        out
    }

    /// Initial and target stock in weeks of normal use.
    pub(crate) fn stock(&mut self, raw: &Field<RawStock>, path: &str) -> StockWeeks {
        let Some(raw) = raw else { return StockWeeks::none() };
        let s = raw.get_ref();
        let initial = self.non_negative_or(&s.initial, &format!("{path}.initial"), "a stock", 0.0);
        let target = self.non_negative_or(&s.target, &format!("{path}.target"), "a stock", 0.0);
        StockWeeks { initial, target }
    }

    /// A string that must be one of `allowed`; reports others with a suggestion.
    pub(crate) fn choice<'a>(&mut self, raw: &Spanned<String>, key: &str, allowed: &[&'a str]) -> Option<&'a str> {
        let v = raw.get_ref().as_str();
        if let Some(a) = allowed.iter().find(|a| **a == v) {
            return Some(a);
        }
        let help = match did_you_mean(v, allowed.iter().copied()) {
            Some(s) => format!("set `{key}` to `\"{s}\"`"),
            None => format!("set `{key}` to one of {}", list(allowed)),
        };
        self.push(
            Diagnostic::error(
                "invalid-value",
                key,
                format!("`{key}` is `\"{v}\"`, which is not one of {}", list(allowed)),
            )
            .at(Some(raw.span()))
            .help(help),
        );
        None
    }

    /// Checks a required, non-empty region code.
    pub(crate) fn region<T>(&mut self, e: &Entity<T>, raw: &Field<String>, who: &str) -> String {
        match raw {
            None => {
                self.missing(e, who, "region", "\"CN\"");
                String::new()
            }
            Some(r) if r.get_ref().trim().is_empty() => {
                self.push(
                    Diagnostic::error(
                        "invalid-value",
                        format!("{}.region", e.path),
                        format!("{who} has an empty region"),
                    )
                    .at(Some(r.span()))
                    .help(format!("set `{}.region` to a region code such as \"CN\" or \"EU\"", e.path)),
                );
                String::new()
            }
            Some(r) => r.get_ref().clone(),
        }
    }
}

/// `[stages.x]` for a named table, `` `links[3]` `` for an array element.
pub(crate) fn table_ref(path: &str) -> String {
    if path.contains('[') { format!("`{path}`") } else { format!("[{path}]") }
}

/// The largest magnitude of any number in a scenario, and of any rate (per year) it can reach over the horizon:
/// far above any real flow (world NdFeB output is about 3e5 t a year), and low enough that a run's sums of
/// squares over 10^8 trials and 10^5 periods stay finite.
pub const MAX_MAGNITUDE: f64 = 1e15;

/// The natural logarithm of `start × (1 + growth)^years × multiplier`, computed in logarithms so that the
/// projection itself cannot overflow (negative growth and multipliers below 1 count as none).
fn projected_log(start: f64, growth: f64, multiplier: f64, years: f64) -> f64 {
    start.max(0.0).ln() + years.max(0.0) * growth.max(0.0).ln_1p() + multiplier.max(1.0).ln()
}

/// The lowest and highest values a parameter takes in practice: its bounds, or, for a distribution unbounded on
/// one side, the point 10 standard deviations out (a probability below 1e-23 of going further).
pub(crate) fn practical_range(p: &Param) -> (f64, f64) {
    match *p {
        Param::Normal { mean, sd, min, max } => (min.max(mean - 10.0 * sd), max.min(mean + 10.0 * sd)),
        Param::LogNormal { mu, sigma } => (0.0, (mu + 10.0 * sigma).exp()),
        _ => (p.min(), p.max()),
    }
}

/// The longest scenario name: it names a folder, and file systems limit a name to 255 bytes.
pub(crate) const MAX_SCENARIO_NAME: usize = 100;

/// `text`, cut to at most `max` characters with `…` when longer, for a message that quotes it.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// Whether a name is a `snake_case` identifier.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The `invalid-value` error for `section.name` at `span` when the name is not a `snake_case` identifier, with a
/// name to rename it to.
pub(crate) fn check_name(section: &str, name: &str, span: &Range<usize>) -> Option<Diagnostic> {
    if is_identifier(name) {
        return None;
    }
    let suggestion: String =
        name.trim().chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    Some(
        Diagnostic::error(
            "invalid-value",
            format!("{section}.{name}"),
            format!("`{name}` is not a snake_case name (lowercase letters, digits and `_`, starting with a letter)"),
        )
        .at(Some(span.clone()))
        .help(format!("rename `{section}.{name}`, for example to `{suggestion}`")),
    )
}

/// Lowers the whole document with the mitigations of `plan` applied (none for the baseline). `None` when any
/// error was found (they are in `lower.diags`).
pub(crate) fn lower(lower: &mut Lower<'_>, plan: &crate::mitigation::Plan) -> Option<Lowered> {
    let doc = lower.doc;
    check_names(lower);
    let (name, description) = scenario(lower);
    let (period_weeks, periods) = horizon(lower);
    let start_date = start_date(lower);
    lower.horizon_years = periods as f64 * period_weeks / 52.0;
    let materials = materials(lower);
    let (stages, capacity_keys) = stages(lower);
    let end_uses = end_uses(lower);
    let (end_use_values, loss) = crate::loss::resolve(lower, &end_uses);
    if doc.end_uses.is_empty() {
        lower.push(
            Diagnostic::error(
                "missing-key",
                "end_uses",
                "the scenario defines no end use, so there is nothing to simulate",
            )
            .help("add at least one `[end_uses.NAME]` table with its demand and material intensity"),
        );
    }
    let mut links = links(lower);
    let disruptions = crate::disruption::disruptions(lower);
    check_demand_shocks(lower, &end_uses, &disruptions);
    crate::mitigation::scale_shares(lower, &mut links, plan);
    crate::graph::check(lower, &links);
    let (mut stages, mut end_uses) = (stages, end_uses);
    let mitigations = crate::mitigation::apply(lower, plan, &mut stages, &mut end_uses);
    let markets = crate::market::markets(lower, &stages);
    let counts = [materials.len(), stages.len(), end_uses.len(), disruptions.len(), links.len()];
    let spec = ModelSpec {
        name: name.clone(),
        period_weeks,
        periods,
        materials,
        stages,
        // Links whose share went to nothing (a mitigation took the whole supply) are left out.
        links: links.into_iter().filter(|l| !l.replaced).map(|l| l.spec).collect(),
        end_uses,
        disruptions,
        mitigations,
        markets,
    };
    let failed = lower.diags.iter().any(|d| d.severity == crate::Severity::Error)
        || [doc.materials.len(), doc.stages.len(), doc.end_uses.len(), doc.disruptions.len(), doc.links.len()]
            != counts;
    (!failed).then_some(Lowered { name, description, spec, capacity_keys, start_date, end_use_values, loss })
}

/// `[horizon] start_date`: a TOML local date.
fn start_date(lower: &mut Lower<'_>) -> Option<Date> {
    let raw = lower.doc.horizon.as_ref()?.raw.as_ref()?.start_date.as_ref()?;
    let value = raw.get_ref();
    let date = match (value.date, value.time, value.offset) {
        (Some(d), None, None) => Date::new(i32::from(d.year), d.month, d.day),
        _ => None,
    };
    if date.is_none() {
        lower.push(
            Diagnostic::error(
                "invalid-value",
                "horizon.start_date",
                format!("`horizon.start_date` is `{value}`, which is not a calendar date"),
            )
            .at(Some(raw.span()))
            .help("set `horizon.start_date` to the date of week 0 as a TOML date, such as `start_date = 2025-04-04`"),
        );
    }
    date
}

/// Names must be `snake_case` identifiers, and a stage and an end use cannot share one.
fn check_names(lower: &mut Lower<'_>) {
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

fn scenario(lower: &mut Lower<'_>) -> (String, String) {
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

/// Period length in weeks and the number of periods.
fn horizon(lower: &mut Lower<'_>) -> (f64, usize) {
    let default = (1.0, 156);
    let Some(e) = &lower.doc.horizon else { return default };
    let Some(raw) = &e.raw else { return default };
    let period_weeks = match &raw.period {
        None => 1.0,
        Some(p) => match lower.choice(p, "horizon.period", &["week", "month"]) {
            Some("month") => WEEKS_PER_MONTH,
            _ => 1.0,
        },
    };
    let weeks = match (&raw.years, &raw.weeks) {
        (Some(y), Some(w)) => {
            lower.push(
                Diagnostic::error(
                    "conflicting-keys",
                    "horizon.weeks",
                    "the horizon gives its length twice, as `years` and as `weeks`",
                )
                .at(Some(w.span()))
                .help("remove `horizon.weeks` or `horizon.years`"),
            );
            Some((*y.get_ref() * 52.0, "horizon.years", y.span()))
        }
        (Some(y), None) => Some((*y.get_ref() * 52.0, "horizon.years", y.span())),
        (None, Some(w)) => Some((*w.get_ref() as f64, "horizon.weeks", w.span())),
        (None, None) => None,
    };
    let Some((weeks, key, span)) = weeks else { return (period_weeks, (3.0 * 52.0 / period_weeks).round() as usize) };
    let periods = (weeks / period_weeks).round();
    if periods.is_nan() || periods < 1.0 {
        let value = if key == "horizon.years" { number(weeks / 52.0) } else { number(weeks) };
        lower.push(
            Diagnostic::error("empty-horizon", key, format!("`{key}` is {value}, which leaves no period to simulate"))
                .at(Some(span))
                .help(format!(
                    "set `{key}` to at least one period (one {})",
                    if period_weeks == 1.0 { "week" } else { "month" }
                )),
        );
        return (period_weeks, 1);
    }
    if periods > MAX_PERIODS {
        lower.push(
            Diagnostic::error(
                "invalid-value",
                key,
                format!("`{key}` gives {} periods, more than the {} allowed", number(periods), number(MAX_PERIODS)),
            )
            .at(Some(span))
            .help(format!("shorten `{key}`")),
        );
        return (period_weeks, 1);
    }
    (period_weeks, periods as usize)
}

fn materials(lower: &mut Lower<'_>) -> Vec<MaterialSpec> {
    let doc = lower.doc;
    let mut out = Vec::new();
    for e in &doc.materials {
        let unit = e.raw.as_ref().and_then(|raw| match &raw.unit {
            None => {
                lower.missing(e, &format!("material `{}`", e.name), "unit", "\"t\"");
                None
            }
            Some(u) => match lower.choice(u, &format!("{}.unit", e.path), &["t", "unit"]) {
                Some("t") => Some(Unit::Tonne),
                Some(_) => Some(Unit::Item),
                None => None,
            },
        });
        lower.material_units.push(unit);
        out.push(MaterialSpec { name: e.name.clone(), unit: unit.unwrap_or(Unit::Tonne) });
    }
    out
}

fn unit_words(unit: Unit) -> (&'static str, &'static str, &'static str) {
    match unit {
        Unit::Tonne => ("tonnes", "capacity_t_per_year", "t/yr"),
        Unit::Item => ("units", "capacity_units_per_year", "units/yr"),
    }
}

/// The unit a stage's throughput is counted in (that of its outputs), for warnings.
pub(crate) fn stage_rate_unit(lower: &Lower<'_>, stage: usize) -> &'static str {
    let unit = lower
        .stage_outputs
        .get(stage)
        .and_then(|o| o.first())
        .and_then(|&m| lower.material_units.get(m).copied().flatten());
    unit_words(unit.unwrap_or(Unit::Tonne)).2
}

type CapacityKeys = Vec<(String, Option<Range<usize>>)>;

fn stages(lower: &mut Lower<'_>) -> (Vec<StageSpec>, CapacityKeys) {
    let doc = lower.doc;
    let mut out = Vec::new();
    let mut capacity_keys = Vec::new();
    for e in &doc.stages {
        let who = format!("stage `{}`", e.name);
        let path = e.path.as_str();
        let Some(raw) = &e.raw else {
            lower.stage_inputs.push(Vec::new());
            lower.stage_outputs.push(Vec::new());
            capacity_keys.push((String::new(), None));
            continue;
        };
        let region = lower.region(e, &raw.region, &who);

        // Outputs, and the one unit they share.
        let outputs = match &raw.outputs {
            None => {
                lower.missing(e, &who, "outputs", "{ ndpr_oxide = 1.0 }");
                Vec::new()
            }
            Some(o) => {
                if o.get_ref().0.is_empty() {
                    lower.push(
                        Diagnostic::error("invalid-value", format!("{path}.outputs"), format!("{who} has no outputs"))
                            .at(Some(o.span()))
                            .help(format!("list at least one material in `{path}.outputs`")),
                    );
                }
                lower.quantities(o.get_ref(), &format!("{path}.outputs"), &who)
            }
        };
        let mut unit: Option<(Unit, String)> = None;
        for (m, _, span) in &outputs {
            let (Some(Some(u)), Some(name)) = (lower.material_units.get(*m).copied(), doc.materials.get(*m)) else {
                continue;
            };
            match &unit {
                None => unit = Some((u, name.name.clone())),
                Some((first, first_name)) if *first != u => {
                    let msg = format!(
                        "{who} makes `{first_name}` in {} and `{}` in {}, but all outputs of a stage share one unit",
                        unit_words(*first).0,
                        name.name,
                        unit_words(u).0
                    );
                    let help =
                        format!("split `{path}` into one stage per unit, or change `materials.{}.unit`", name.name);
                    lower.push(
                        Diagnostic::error("unit-mismatch", format!("{path}.outputs.{}", name.name), msg)
                            .at(Some(span.clone()))
                            .help(help),
                    );
                }
                Some(_) => {}
            }
        }

        // Capacity, in the key that matches the outputs' unit.
        let capacity = match (&raw.capacity_t_per_year, &raw.capacity_units_per_year) {
            (Some(t), Some(u)) => {
                let second = if u.span().start > t.span().start {
                    ("capacity_units_per_year", u)
                } else {
                    ("capacity_t_per_year", t)
                };
                lower.push(
                    Diagnostic::error(
                        "conflicting-keys",
                        format!("{path}.{}", second.0),
                        format!(
                            "{who} gives its capacity twice, as `capacity_t_per_year` and `capacity_units_per_year`"
                        ),
                    )
                    .at(Some(second.1.span()))
                    .help(format!("keep only the key that matches the unit of `{path}.outputs`")),
                );
                Some((Unit::Tonne, "capacity_t_per_year", t))
            }
            (Some(t), None) => Some((Unit::Tonne, "capacity_t_per_year", t)),
            (None, Some(u)) => Some((Unit::Item, "capacity_units_per_year", u)),
            (None, None) => {
                if !e.broken("capacity_t_per_year") && !e.broken("capacity_units_per_year") {
                    let key = unit.as_ref().map_or("capacity_t_per_year", |(u, _)| unit_words(*u).1);
                    lower.push(
                        Diagnostic::error("missing-key", format!("{path}.{key}"), format!("{who} has no capacity"))
                            .at(Some(e.name_span.clone()))
                            .help(format!(
                                "add `{key} = ...` to {} (`capacity_t_per_year` for tonnes, \
                                 `capacity_units_per_year` for counted items)",
                                table_ref(path)
                            )),
                    );
                }
                None
            }
        };
        let capacity_per_year = match capacity {
            Some((key_unit, key, raw_cap)) => {
                if let Some((u, first_name)) = &unit
                    && *u != key_unit
                {
                    let right = unit_words(*u).1;
                    lower.push(
                        Diagnostic::error(
                            "unit-mismatch",
                            format!("{path}.{key}"),
                            format!(
                                "`{key}` counts {}, but {who} makes `{first_name}`, which is counted in {}",
                                unit_words(key_unit).0,
                                unit_words(*u).0
                            ),
                        )
                        .at(Some(raw_cap.span()))
                        .help(format!("rename `{path}.{key}` to `{right}`")),
                    );
                }
                let full = format!("{path}.{key}");
                capacity_keys.push((full.clone(), Some(raw_cap.span())));
                let p = lower.param(raw_cap, &full).unwrap_or(Param::Const(0.0));
                lower.at_least(&p, raw_cap.span(), &full, "a capacity");
                p
            }
            None => {
                capacity_keys.push((String::new(), None));
                Param::Const(0.0)
            }
        };
        let growth_key = format!("{path}.capacity_growth_per_year");
        let capacity_growth_per_year = lower.param_or(&raw.capacity_growth_per_year, &growth_key, 0.0);
        check_growth(lower, &capacity_growth_per_year, &raw.capacity_growth_per_year, &growth_key);
        if let Some((_, key, raw_cap)) = capacity {
            let growth = practical_range(&capacity_growth_per_year).1;
            let start = practical_range(&capacity_per_year).1;
            lower.check_growth_bound(&format!("{path}.{key}"), raw_cap.span(), start, growth, 1.0);
        }
        let online = DurationKey {
            what: "online week",
            forms: [
                ("online_week", &raw.online_week),
                ("online_days", &raw.online_days),
                ("online_months", &raw.online_months),
            ],
        };
        let online_week = lower.duration(path, &online).map(|(p, _, _)| p);
        let ramp = DurationKey {
            what: "ramp",
            forms: [("ramp_weeks", &raw.ramp_weeks), ("ramp_days", &raw.ramp_days), ("ramp_months", &raw.ramp_months)],
        };
        let ramp_weeks = lower.duration(path, &ramp).map_or(Param::Const(0.0), |(p, _, _)| p);

        let inputs = match &raw.inputs {
            None => Vec::new(),
            Some(i) => lower.quantities(i.get_ref(), &format!("{path}.inputs"), &who),
        };
        let has_inputs = raw.inputs.as_ref().is_some_and(|i| !i.get_ref().0.is_empty());
        let (input_stock, output_stock) = if has_inputs {
            (
                lower.stock(&raw.inventory_weeks, &format!("{path}.inventory_weeks")),
                lower.stock(&raw.output_inventory_weeks, &format!("{path}.output_inventory_weeks")),
            )
        } else {
            if let (Some(_), Some(o)) = (&raw.inventory_weeks, &raw.output_inventory_weeks) {
                lower.push(
                    Diagnostic::error(
                        "conflicting-keys",
                        format!("{path}.output_inventory_weeks"),
                        format!(
                            "{who} has no inputs, so `inventory_weeks` is already its output stock, and \
                             `output_inventory_weeks` gives it again"
                        ),
                    )
                    .at(Some(o.span()))
                    .help(format!("remove `{path}.output_inventory_weeks` or `{path}.inventory_weeks`")),
                );
            }
            let (field, key) = match &raw.output_inventory_weeks {
                Some(_) => (&raw.output_inventory_weeks, "output_inventory_weeks"),
                None => (&raw.inventory_weeks, "inventory_weeks"),
            };
            (StockWeeks::none(), lower.stock(field, &format!("{path}.{key}")))
        };
        let allocation = match &raw.allocation {
            None => Allocation::defense_first(),
            Some(a) => allocation(lower, a, &format!("{path}.allocation")),
        };
        lower.stage_inputs.push(inputs.iter().map(|(m, _, s)| (*m, s.clone())).collect());
        lower.stage_outputs.push(outputs.iter().map(|(m, _, _)| *m).collect());
        out.push(StageSpec {
            name: e.name.clone(),
            region,
            capacity_per_year,
            capacity_growth_per_year,
            online_week,
            ramp_weeks,
            online_trigger: None,
            inputs: inputs.into_iter().map(|(m, q, _)| (m, q)).collect(),
            outputs: outputs.into_iter().map(|(m, q, _)| (m, q)).collect(),
            input_stock,
            output_stock,
            allocation,
        });
    }
    (out, capacity_keys)
}

/// An end use's demand, grown over the horizon and multiplied by every demand shock that can cover it at once,
/// must stay within [`MAX_MAGNITUDE`] a year. Each end use is checked alone (with growth, in
/// [`Lower::check_growth_bound`]) as it is lowered; this adds the shocks. Overlapping shocks add their extra
/// demand, so the sum of their largest multipliers bounds the product.
fn check_demand_shocks(lower: &mut Lower<'_>, end_uses: &[EndUseSpec], disruptions: &[DisruptionSpec]) {
    let doc = lower.doc;
    let mut multipliers = vec![0.0; end_uses.len()];
    for d in disruptions {
        if let DisruptionKind::DemandShock { end_uses: covered, multiplier } = &d.kind {
            for &u in covered {
                if let Some(m) = multipliers.get_mut(u) {
                    *m += practical_range(multiplier).1.max(0.0);
                }
            }
        }
    }
    // End uses that could not be read are not in `end_uses`: their indices would not match the document's.
    if end_uses.len() != doc.end_uses.len() {
        return;
    }
    for ((spec, e), m) in end_uses.iter().zip(&doc.end_uses).zip(multipliers) {
        let Some(d) = e.raw.as_ref().and_then(|r| r.demand_units_per_year.as_ref()) else { continue };
        if m <= 1.0 {
            continue;
        }
        let key = format!("{}.demand_units_per_year", e.path);
        let (start, growth) = (practical_range(&spec.demand_per_year).1, practical_range(&spec.growth_per_year).1);
        // Already reported without the shocks, if too large then.
        if !(projected_log(start, growth, 1.0, lower.horizon_years) > MAX_MAGNITUDE.ln()) {
            lower.check_growth_bound(&key, d.span(), start, growth, m);
        }
    }
}

/// Growth rates must stay above -100 % a year.
fn check_growth(lower: &mut Lower<'_>, p: &Param, raw: &Field<RawParam>, key: &str) {
    if let Some(r) = raw
        && p.min() <= -1.0
    {
        lower.push(
            Diagnostic::error(
                "invalid-value",
                key,
                format!("`{key}` can be {} or lower, but growth must stay above -1 (-100 % a year)", number(p.min())),
            )
            .at(Some(r.span()))
            .help(format!("keep `{key}` above -1 (0.05 is 5 % a year)")),
        );
    }
}

pub(crate) fn allocation(lower: &mut Lower<'_>, raw: &Spanned<RawWordOrList>, key: &str) -> Allocation {
    match raw.get_ref() {
        RawWordOrList::Word(w) => {
            match lower.choice(&Spanned::new(raw.span(), w.clone()), key, &["priority", "pro_rata"]) {
                Some("pro_rata") => Allocation::ProRata,
                _ => Allocation::defense_first(),
            }
        }
        RawWordOrList::List(items) => {
            let mut order = classes(lower, items, key);
            // Classes left out are served last, in the default order.
            order.extend(Class::ALL.iter().filter(|c| !order.contains(c)).collect::<Vec<_>>());
            Allocation::Priority(order)
        }
    }
}

/// The priority classes listed in `key`, in order; an unknown or repeated one is an error and left out.
pub(crate) fn classes(lower: &mut Lower<'_>, items: &[Spanned<String>], key: &str) -> Vec<Class> {
    let mut out = Vec::new();
    for item in items {
        let class = match lower.choice(item, key, &["defense", "essential", "other"]) {
            Some("defense") => Class::Defense,
            Some("essential") => Class::Essential,
            Some(_) => Class::Other,
            None => continue,
        };
        if out.contains(&class) {
            lower.push(
                Diagnostic::error("invalid-value", key, format!("`{key}` lists `{}` twice", class.name()))
                    .at(Some(item.span()))
                    .help(format!("list each class once in `{key}`")),
            );
        } else {
            out.push(class);
        }
    }
    out
}

fn end_uses(lower: &mut Lower<'_>) -> Vec<EndUseSpec> {
    let doc = lower.doc;
    let mut out = Vec::new();
    for e in &doc.end_uses {
        let who = format!("end use `{}`", e.name);
        let path = e.path.as_str();
        let Some(raw) = &e.raw else {
            lower.end_use_inputs.push(Vec::new());
            continue;
        };
        let region = lower.region(e, &raw.region, &who);
        let demand_key = format!("{path}.demand_units_per_year");
        let demand_per_year = match &raw.demand_units_per_year {
            None => {
                lower.missing(e, &who, "demand_units_per_year", "1000");
                Param::Const(0.0)
            }
            Some(d) => {
                let p = lower.param(d, &demand_key).unwrap_or(Param::Const(0.0));
                lower.at_least(&p, d.span(), &demand_key, "a demand");
                p
            }
        };
        let growth_key = format!("{path}.growth_per_year");
        let growth_per_year = lower.param_or(&raw.growth_per_year, &growth_key, 0.0);
        check_growth(lower, &growth_per_year, &raw.growth_per_year, &growth_key);
        if let Some(d) = &raw.demand_units_per_year {
            let (start, growth) = (practical_range(&demand_per_year).1, practical_range(&growth_per_year).1);
            lower.check_growth_bound(&demand_key, d.span(), start, growth, 1.0);
        }
        let intensity = match &raw.intensity {
            None => {
                lower.missing(e, &who, "intensity", "{ magnet = 0.002 }");
                Vec::new()
            }
            Some(i) => {
                if i.get_ref().0.is_empty() {
                    lower.push(
                        Diagnostic::error(
                            "invalid-value",
                            format!("{path}.intensity"),
                            format!("{who} uses no material"),
                        )
                        .at(Some(i.span()))
                        .help(format!("list at least one material in `{path}.intensity`")),
                    );
                }
                lower.intensities(i.get_ref(), &format!("{path}.intensity"), &who)
            }
        };
        let class = match &raw.priority {
            None => Class::Other,
            Some(p) => match lower.choice(p, &format!("{path}.priority"), &["defense", "essential", "other"]) {
                Some("defense") => Class::Defense,
                Some("essential") => Class::Essential,
                _ => Class::Other,
            },
        };
        let unmet = match &raw.unmet_demand {
            None => Unmet::Lost,
            Some(u) => match lower.choice(u, &format!("{path}.unmet_demand"), &["lost", "backlog"]) {
                Some("backlog") => Unmet::Backlog,
                _ => Unmet::Lost,
            },
        };
        let stock = lower.stock(&raw.inventory_weeks, &format!("{path}.inventory_weeks"));
        lower.end_use_inputs.push(intensity.iter().map(|(m, _, s)| (*m, s.clone())).collect());
        out.push(EndUseSpec {
            name: e.name.clone(),
            region,
            demand_per_year,
            growth_per_year,
            intensity: intensity.into_iter().map(|(m, q, _)| (m, q)).collect(),
            class,
            unmet,
            stock,
        });
    }
    out
}

/// A link as lowered, with what the graph checks need to point at.
#[derive(Debug)]
pub(crate) struct LoweredLink {
    pub spec: LinkSpec,
    /// Position of the link in the (merged) document's links.
    pub index: usize,
    /// Its path (`links[3]`, `mitigations.x.links[0]`) and its name in messages ("link 3").
    pub path: String,
    pub what: String,
    /// The mitigation that adds it, for a variant.
    pub added_by: Option<usize>,
    /// Whether a mitigation took its whole share (it is then left out of the model).
    pub replaced: bool,
    /// Supplier, customer and material, where they resolved.
    pub from: Option<usize>,
    pub to: Option<Node>,
    pub material: Option<usize>,
    /// Whether the share is valid (in (0, 1]).
    pub share_ok: bool,
    pub share_span: Option<Range<usize>>,
    pub to_span: Option<Range<usize>>,
}

fn links(lower: &mut Lower<'_>) -> Vec<LoweredLink> {
    let doc = lower.doc;
    let mut out = Vec::new();
    for (index, e) in doc.links.iter().enumerate() {
        let who = e.what.clone();
        let path = e.path.as_str();
        let Some(raw) = &e.raw else { continue };
        let from = match &raw.from {
            None => {
                lower.missing(e, &who, "from", "\"supplier_stage\"");
                None
            }
            Some(f) => match lower.resolve(Kind::Stage, f, &format!("{path}.from"), &who, false) {
                Some(Node::Stage(s)) => Some(s),
                _ => None,
            },
        };
        let to = match &raw.to {
            None => {
                lower.missing(e, &who, "to", "\"customer\"");
                None
            }
            Some(t) => lower.resolve(Kind::Customer, t, &format!("{path}.to"), &who, false),
        };
        let material = match &raw.material {
            None => {
                lower.missing(e, &who, "material", "\"ndpr_oxide\"");
                None
            }
            Some(m) => lower.material(m, &format!("{path}.material"), &who, false),
        };
        let (share, share_ok) = match &raw.share {
            None => {
                lower.missing(e, &who, "share", "1.0");
                (1.0, false)
            }
            Some(s) => {
                let v = *s.get_ref();
                let ok = v > 0.0 && v <= 1.0;
                if !ok {
                    lower.push(
                        Diagnostic::error(
                            "invalid-value",
                            format!("{path}.share"),
                            format!("`{path}.share` is {}, but a share must be above 0 and at most 1", number(v)),
                        )
                        .at(Some(s.span()))
                        .help(format!("set `{path}.share` to the customer's normal fraction from this supplier")),
                    );
                }
                (v, ok)
            }
        };
        let lead = DurationKey {
            what: "lead time",
            forms: [
                ("lead_time_weeks", &raw.lead_time_weeks),
                ("lead_time_days", &raw.lead_time_days),
                ("lead_time_months", &raw.lead_time_months),
            ],
        };
        let lead_time_weeks = lower.duration(path, &lead).map_or(Param::Const(0.0), |(p, _, _)| p);

        // The supplier must make the material and the customer must use it.
        if let (Some(m), Some(mat)) = (material, &raw.material) {
            let material_name = mat.get_ref();
            if let (Some(s), Some(f)) = (from, &raw.from)
                && let Some(outputs) = lower.stage_outputs.get(s)
                && doc.stages.get(s).is_some_and(|st| st.raw.is_some() && !st.broken("outputs"))
                && !outputs.contains(&m)
            {
                let names: Vec<&str> =
                    outputs.iter().filter_map(|&o| doc.materials.get(o).map(|x| x.name.as_str())).collect();
                let supplier = f.get_ref();
                lower.push(
                    Diagnostic::error(
                        "supplier-does-not-make",
                        format!("{path}.material"),
                        format!("{who} ships `{material_name}` from stage `{supplier}`, which does not make it"),
                    )
                    .at(Some(mat.span()))
                    .help(format!(
                        "set `{path}.material` to an output of `{supplier}` ({}), or add `{material_name}` to \
                         `stages.{supplier}.outputs`",
                        list(&names)
                    )),
                );
            }
            let used = match to {
                Some(Node::Stage(s)) => {
                    doc.stages.get(s).filter(|st| !st.broken("inputs")).and_then(|st| st.raw.as_ref()).map(|_| {
                        (lower.stage_inputs.get(s).is_some_and(|i| i.iter().any(|(x, _)| *x == m)), "stages", "inputs")
                    })
                }
                Some(Node::EndUse(u)) => {
                    doc.end_uses.get(u).filter(|eu| !eu.broken("intensity")).and_then(|eu| eu.raw.as_ref()).map(|_| {
                        (
                            lower.end_use_inputs.get(u).is_some_and(|i| i.iter().any(|(x, _)| *x == m)),
                            "end_uses",
                            "intensity",
                        )
                    })
                }
                None => None,
            };
            if let (Some((false, section, table)), Some(t)) = (used, &raw.to) {
                let customer = t.get_ref();
                lower.push(
                    Diagnostic::error(
                        "customer-does-not-use",
                        format!("{path}.material"),
                        format!("{who} ships `{material_name}` to `{customer}`, which does not use it"),
                    )
                    .at(Some(mat.span()))
                    .help(format!(
                        "add `{material_name}` to `{section}.{customer}.{table}`, or change `{path}.material` or \
                         `{path}.to`"
                    )),
                );
            }
        }
        out.push(LoweredLink {
            spec: LinkSpec {
                from: from.unwrap_or(0),
                to: to.unwrap_or(Node::Stage(0)),
                material: material.unwrap_or(0),
                share,
                lead_time_weeks,
            },
            index,
            path: e.path.clone(),
            what: who,
            added_by: e.added_by,
            replaced: false,
            from,
            to,
            material,
            share_ok,
            share_span: raw.share.as_ref().map(Spanned::span),
            to_span: raw.to.as_ref().map(Spanned::span),
        });
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use chokepoint_engine::{Destinations, DisruptionKind, ModelSpec, Node, Param, Timing, Unit, Unmet};

    /// A mine, a magnet plant and a motor plant feeding one end use: the scenario the unit tests of lowering and
    /// of mitigations (`crate::mitigation`) add their tables to.
    pub(crate) const BASE: &str = r#"
[scenario]
name = "t"

[materials.ore]
unit = "t"

[materials.magnet]
unit = "t"

[materials.motor]
unit = "unit"

[stages.mine]
region = "CN"
capacity_t_per_year = 1000
outputs = { ore = 1 }

[stages.magnets]
region = "JP"
capacity_t_per_year = 500
inputs = { ore = 2 }
outputs = { magnet = 1 }

[stages.motors]
region = "DE"
capacity_units_per_year = 100000
inputs = { magnet = 0.002 }
outputs = { motor = 1 }

[[links]]
from = "mine"
to = "magnets"
material = "ore"
share = 1.0

[[links]]
from = "magnets"
to = "motors"
material = "magnet"
share = 1.0

[[links]]
from = "motors"
to = "cars"
material = "motor"
share = 1.0

[end_uses.cars]
region = "DE"
demand_units_per_year = 20000
intensity = { motor = 2 }
"#;

    fn spec(extra: &str) -> ModelSpec {
        let source = format!("{BASE}\n{extra}");
        match crate::parse("t.toml", &source) {
            Ok(s) => s.model.spec().clone(),
            Err(d) => panic!("{}", d.render()),
        }
    }

    /// The lead time of the link with supplier `from`.
    fn lead(spec: &ModelSpec, from: &str) -> Param {
        let s = spec.stages.iter().position(|s| s.name == from).expect("the stage exists");
        spec.links.iter().find(|l| l.from == s).expect("the link exists").lead_time_weeks.clone()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn defaults_fill_what_the_file_leaves_out() {
        let spec = spec("");
        assert_eq!((spec.period_weeks, spec.periods), (1.0, 156));
        let mine = &spec.stages[0];
        assert_eq!(mine.capacity_growth_per_year, Param::Const(0.0));
        assert_eq!((mine.online_week.clone(), mine.ramp_weeks.clone()), (None, Param::Const(0.0)));
        assert_eq!(mine.allocation, chokepoint_engine::Allocation::defense_first());
        assert_eq!(mine.output_stock, chokepoint_engine::StockWeeks::none());
        assert_eq!(lead(&spec, "mine"), Param::Const(0.0));
        let cars = &spec.end_uses[0];
        assert_eq!((cars.class, cars.unmet), (chokepoint_engine::Class::Other, Unmet::Lost));
        assert_eq!(spec.materials[2].unit, Unit::Item);
    }

    #[test]
    fn durations_and_periods_are_converted_to_weeks() {
        let spec = spec("[horizon]\nyears = 2\nperiod = \"month\"\n");
        assert!(close(spec.period_weeks, 52.0 / 12.0));
        assert_eq!(spec.periods, 24);
        let spec = self::spec("[horizon]\nweeks = 10\n");
        assert_eq!(spec.periods, 10);

        let source = BASE
            .replacen("share = 1.0\n", "share = 1.0\nlead_time_days = 14\n", 1)
            .replacen(
                "material = \"magnet\"\nshare = 1.0\n",
                "material = \"magnet\"\nshare = 1.0\nlead_time_months = 3\n",
                1,
            )
            .replacen(
                "material = \"motor\"\nshare = 1.0\n",
                "material = \"motor\"\nshare = 1.0\nlead_time_days = { uniform = { min = 7, max = 14 } }\n",
                1,
            )
            .replacen("outputs = { ore = 1 }\n", "outputs = { ore = 1 }\nonline_months = 6\nramp_days = 21\n", 1);
        let spec = crate::parse("t.toml", &source).map_err(|d| d.render()).expect("valid").model.spec().clone();
        assert_eq!(lead(&spec, "mine"), Param::Const(2.0));
        assert_eq!(lead(&spec, "magnets"), Param::Const(13.0));
        let Param::Uniform { min, max } = lead(&spec, "motors") else { panic!("a uniform lead time") };
        assert!(close(min, 1.0) && close(max, 2.0));
        assert_eq!(spec.stages[0].online_week, Some(Param::Const(26.0)));
        assert_eq!(spec.stages[0].ramp_weeks, Param::Const(3.0));
    }

    #[test]
    fn every_distribution_form_lowers_to_its_param() {
        let forms = [
            ("3", Param::Const(3.0)),
            ("{ uniform = { min = 1, max = 3 } }", Param::Uniform { min: 1.0, max: 3.0 }),
            ("{ triangular = { min = 1, mode = 2, max = 4 } }", Param::Triangular { min: 1.0, mode: 2.0, max: 4.0 }),
            ("{ pert = { min = 1, mode = 2, max = 4 } }", Param::Pert { min: 1.0, mode: 2.0, max: 4.0 }),
            (
                "{ normal = { mean = 10, sd = 2, min = 0 } }",
                Param::Normal { mean: 10.0, sd: 2.0, min: 0.0, max: f64::INFINITY },
            ),
            (
                "{ normal = { mean = 10, sd = 2, min = 0, max = 20 } }",
                Param::Normal { mean: 10.0, sd: 2.0, min: 0.0, max: 20.0 },
            ),
            ("{ lognormal = { mu = 2.0, sigma = 0.5 } }", Param::LogNormal { mu: 2.0, sigma: 0.5 }),
            ("{ lognormal = { median = 8, p90 = 26 } }", Param::lognormal_median_p90(8.0, 26.0).expect("valid")),
            (
                "{ choice = { values = [1, 2, 3], weights = [0.5, 0.3, 0.2] } }",
                Param::Choice { values: vec![1.0, 2.0, 3.0], weights: vec![0.5, 0.3, 0.2] },
            ),
            ("{ choice = { values = [1, 2] } }", Param::Choice { values: vec![1.0, 2.0], weights: vec![1.0, 1.0] }),
        ];
        for (text, expected) in forms {
            let source = BASE.replacen("share = 1.0\n", &format!("share = 1.0\nlead_time_weeks = {text}\n"), 1);
            let spec = crate::parse("t.toml", &source).map_err(|d| d.render()).expect("valid").model.spec().clone();
            assert_eq!(lead(&spec, "mine"), expected, "{text}");
        }
    }

    #[test]
    fn names_resolve_to_indices_in_file_order() {
        let spec = spec(
            r#"
[disruptions.licence]
kind = "export_licensing"
materials = ["magnet", "ore"]
from_region = "CN"
to = ["cars", "magnets"]
review_weeks = 9
denial_probability = { defense = 1 }
grace_weeks = { uniform = { min = 1, max = 3 } }
onset_week = 4
duration_weeks = 10

[disruptions.fire]
kind = "outage"
stages = ["motors", "mine"]
follows = { disruption = "licence" }
duration_weeks = 2

[disruptions.boom]
kind = "demand_shock"
end_uses = ["cars"]
multiplier = 1.2
hazard_per_year = 0.5
duration_weeks = 8
"#,
        );
        let names: Vec<&str> = spec.stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["mine", "magnets", "motors"]);
        assert_eq!(spec.stages[1].inputs, vec![(0, 2.0)]);
        assert_eq!(spec.stages[2].outputs, vec![(2, 1.0)]);
        assert_eq!(spec.end_uses[0].intensity, vec![(2, Param::Const(2.0))]);
        let to_end_use = spec.links.iter().find(|l| l.material == 2).expect("the motor link");
        assert_eq!((to_end_use.from, to_end_use.to), (2, Node::EndUse(0)));
        let to_stage = spec.links.iter().find(|l| l.material == 1).expect("the magnet link");
        assert_eq!((to_stage.from, to_stage.to), (1, Node::Stage(2)));

        let DisruptionKind::ExportLicensing { scope, review_weeks, denial, grace_weeks } = &spec.disruptions[0].kind
        else {
            panic!("licensing");
        };
        assert_eq!(*grace_weeks, Param::uniform(1.0, 3.0).unwrap());
        assert_eq!(scope.materials, vec![1, 0]);
        assert_eq!(scope.to, Destinations::Nodes(vec![Node::EndUse(0), Node::Stage(1)]));
        assert_eq!(*review_weeks, Param::Const(9.0));
        assert_eq!(denial, &[Param::Const(1.0), Param::Const(0.0), Param::Const(0.0)]);
        assert!(matches!(spec.disruptions[0].timing, Timing::Window { .. }));
        let DisruptionKind::Outage { stages, severity } = &spec.disruptions[1].kind else { panic!("outage") };
        assert_eq!((stages.clone(), severity.clone()), (vec![2, 0], Param::Const(1.0)));
        let Timing::Follows { disruption, probability, lag_weeks, .. } = &spec.disruptions[1].timing else {
            panic!("follows");
        };
        assert_eq!((*disruption, probability, lag_weeks), (0, &Param::Const(1.0), &Param::Const(0.0)));
        assert!(matches!(&spec.disruptions[2].kind, DisruptionKind::DemandShock { end_uses, .. } if *end_uses == [0]));
        assert!(matches!(spec.disruptions[2].timing, Timing::Hazard { .. }));
    }

    #[test]
    fn a_stage_without_inputs_keeps_its_inventory_as_output_stock() {
        let source = BASE.replacen(
            "outputs = { ore = 1 }\n",
            "outputs = { ore = 1 }\ninventory_weeks = { initial = 3, target = 5 }\n",
            1,
        );
        let spec = crate::parse("t.toml", &source).map_err(|d| d.render()).expect("valid").model.spec().clone();
        assert_eq!(spec.stages[0].output_stock.initial, Param::Const(3.0));
        assert_eq!(spec.stages[0].input_stock, chokepoint_engine::StockWeeks::none());
    }

    #[test]
    fn a_stage_over_capacity_is_a_warning_at_its_capacity_key() {
        let source = BASE.replacen("capacity_t_per_year = 500", "capacity_t_per_year = 50", 1);
        let scenario = crate::parse("t.toml", &source).map_err(|d| d.render()).expect("valid");
        let [w] = scenario.warnings.as_slice() else { panic!("one warning: {:?}", scenario.warnings) };
        assert_eq!((w.code, w.key.as_str()), ("capacity-below-baseline", "stages.magnets.capacity_t_per_year"));
        assert!(w.message.contains("80 t/yr") && w.message.contains("short by 30 t/yr"), "{}", w.message);
        let span = w.span.clone().expect("a span");
        assert_eq!(&source[span], "50");
    }
}
