//! The shared context of lowering: the document, the names it defines, the diagnostics found so far, and the
//! checks and conversions of values (parameters, durations, quantities, names) that every part of lowering uses.
//!
//! Every part of lowering (`stages`, `end_uses`, `links`, `disruption`, `mitigation`, ...) imports this module,
//! and it imports none of them.

use std::collections::BTreeMap;
use std::ops::Range;

use chokepoint_engine::float_math::{exp, ln, ln_1p};
use chokepoint_engine::{Allocation, Class, LinkSpec, Node, Param, ParamError, ParamShape, StockWeeks, Unit};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, a, did_you_mean, list, number};
use crate::document::Document;
use crate::raw::{Entity, Field, RawDist, RawParam, RawQuantities, RawStock, RawWordOrList};

/// Weeks per month: a month is a twelfth of a 52-week year.
pub(crate) const WEEKS_PER_MONTH: f64 = 52.0 / 12.0;
/// Weeks per day.
pub(crate) const WEEKS_PER_DAY: f64 = 1.0 / 7.0;
/// The longest horizon accepted, in periods (about 1,900 years of weeks): longer ones are typos.
pub(crate) const MAX_PERIODS: f64 = 100_000.0;

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
                    return self.bounded(Param::fixed(*v), raw.span(), key);
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
        let message = match p.shape() {
            ParamShape::Const(v) => {
                format!("`{key}` is {}, beyond the largest magnitude a scenario number may have", number(v))
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
    pub(crate) fn check_growth_bound(
        &mut self,
        key: &str,
        span: Range<usize>,
        start: f64,
        growth: f64,
        multiplier: f64,
    ) {
        let years = self.horizon_years.max(0.0);
        let log = projected_log(start, growth, multiplier, years);
        if !(log > ln(MAX_MAGNITUDE)) {
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
        raw.as_ref().and_then(|r| self.param(r, key)).unwrap_or(Param::fixed(default))
    }

    /// Reports a parameter that can take values below `floor` (0 for most quantities).
    pub(crate) fn at_least(&mut self, p: &Param, span: Range<usize>, key: &str, what: &str) {
        let lo = p.min();
        if lo >= 0.0 {
            return;
        }
        let (message, help) = match p.shape() {
            ParamShape::Const(v) => (
                format!("`{key}` is {}, but {what} cannot be negative", number(v)),
                format!("make `{key}` zero or positive"),
            ),
            ParamShape::Normal { min, .. } if min.is_infinite() => (
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
        let constant = match p.shape() {
            ParamShape::Const(v) => Some(v),
            _ => None,
        };
        self.in_unit_interval(code, constant, (p.min(), p.max()), span, key, what);
    }

    /// Reports a number that is not in [0, 1], as [`Lower::unit_interval`] reports a constant (which this number,
    /// not finite, may not be able to be).
    pub(crate) fn unit_interval_value(
        &mut self,
        code: &'static str,
        v: f64,
        span: Range<usize>,
        key: &str,
        what: &str,
    ) {
        self.in_unit_interval(code, Some(v), (v, v), span, key, what);
    }

    /// Reports a parameter (a `constant`, or a distribution from `lo` to `hi`) that can leave [0, 1].
    fn in_unit_interval(
        &mut self,
        code: &'static str,
        constant: Option<f64>,
        (lo, hi): (f64, f64),
        span: Range<usize>,
        key: &str,
        what: &str,
    ) {
        if lo >= 0.0 && hi <= 1.0 {
            return;
        }
        let message = match constant {
            Some(v) => format!("`{key}` is {}, but {what} must lie between 0 and 1", number(v)),
            None => {
                format!("`{key}` ranges from {} to {}, but {what} must lie between 0 and 1", number(lo), number(hi))
            }
        };
        let help = if constant.is_some() {
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
            let p = self.param(raw, &key).unwrap_or(Param::ONE);
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

    /// Checks a required, non-empty region code without control characters (it is printed in graphs and reports).
    pub(crate) fn region<T>(&mut self, e: &Entity<T>, raw: &Field<String>, who: &str) -> String {
        let Some(r) = raw else {
            self.missing(e, who, "region", "\"CN\"");
            return String::new();
        };
        let region = r.get_ref();
        let problem = if region.trim().is_empty() {
            format!("{who} has an empty region")
        } else if region.chars().any(char::is_control) {
            format!("{who}'s region holds control characters")
        } else {
            return region.clone();
        };
        self.push(
            Diagnostic::error("invalid-value", format!("{}.region", e.path), problem)
                .at(Some(r.span()))
                .help(format!("set `{}.region` to a region code such as \"CN\" or \"EU\"", e.path)),
        );
        String::new()
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
pub(crate) fn projected_log(start: f64, growth: f64, multiplier: f64, years: f64) -> f64 {
    ln(start.max(0.0)) + years.max(0.0) * ln_1p(growth.max(0.0)) + ln(multiplier.max(1.0))
}

/// The lowest and highest values a parameter takes in practice: its bounds, or, for a distribution unbounded on
/// one side, the point 10 standard deviations out (a probability below 1e-23 of going further).
pub(crate) fn practical_range(p: &Param) -> (f64, f64) {
    match p.shape() {
        ParamShape::Normal { mean, sd, min, max } => (min.max(mean - 10.0 * sd), max.min(mean + 10.0 * sd)),
        ParamShape::LogNormal { mu, sigma } => (0.0, exp(mu + 10.0 * sigma)),
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
pub(crate) fn is_identifier(name: &str) -> bool {
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

/// Growth rates must stay above -100 % a year.
pub(crate) fn check_growth(lower: &mut Lower<'_>, p: &Param, raw: &Field<RawParam>, key: &str) {
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
