//! The raw scenario: serde structs that mirror the file exactly, with spans, before any validation.
//!
//! Every struct denies unknown fields. Nearly every field is optional here so that one missing key does not hide
//! the others: the lowering step reports missing required keys itself, all at once. Enumerated strings (`unit`,
//! `period`, `priority`, `kind`, ...) stay strings here and are checked while lowering, so that a bad value gets
//! the `invalid-value` code and a suggestion. Distributions are externally tagged tables (`{ uniform = { .. } }`)
//! read by a hand-written visitor, never internally tagged or untagged enums, whose buffering loses spans.

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use toml::Spanned;

/// An optional spanned field.
pub(crate) type Field<T> = Option<Spanned<T>>;

/// Marks messages of errors raised inside a distribution, so that they get the `invalid-distribution` code.
pub(crate) const DISTRIBUTION_ERROR: &str = "distribution: ";

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawScenario {
    pub name: Field<String>,
    pub description: Field<String>,
    /// Path of the scenario this file is laid over, relative to this file.
    pub base: Field<String>,
    /// Entities of the base to drop, as `section.NAME`.
    pub remove: Field<Vec<Spanned<String>>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawHorizon {
    pub years: Field<f64>,
    pub weeks: Field<i64>,
    pub period: Field<String>,
    /// The calendar date of week 0, a TOML local date (`2025-04-04`).
    pub start_date: Field<toml::value::Datetime>,
}

/// `[loss]`: how shortfalls of different end uses are put on one scale, for end uses without values of their own.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a table such as `{ value_per_week_of_demand_usd = { defense = 5e8, essential = 2e7, other = 1e7 } }`"
)]
pub(crate) struct RawLoss {
    pub value_per_week_of_demand_usd: Field<RawClassValues>,
    pub late_week_cost_share: Field<f64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table such as `{ defense = 5e8, essential = 2e7, other = 1e7 }`")]
pub(crate) struct RawClassValues {
    pub defense: Field<f64>,
    pub essential: Field<f64>,
    pub other: Field<f64>,
}

/// `[uncertainty]`: which uncertain parameters are knowledge uncertainty (fixed for a whole world) rather than event
/// randomness (drawn per trial), and how many worlds `run` samples by default.
#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawUncertainty {
    /// Key paths (or patterns with `*` segments) of the parameters drawn once per world.
    pub knowledge: Field<Vec<Spanned<String>>>,
    /// Worlds `run` samples when `--worlds` is not given.
    pub worlds: Field<i64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawMaterial {
    pub unit: Field<String>,
    /// Documentation for readers of the file; the engine keeps no descriptions.
    pub description: Field<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawStage {
    pub region: Field<String>,
    pub capacity_t_per_year: Field<RawParam>,
    pub capacity_units_per_year: Field<RawParam>,
    pub capacity_growth_per_year: Field<RawParam>,
    pub online_week: Field<RawParam>,
    pub online_days: Field<RawParam>,
    pub online_months: Field<RawParam>,
    pub ramp_weeks: Field<RawParam>,
    pub ramp_days: Field<RawParam>,
    pub ramp_months: Field<RawParam>,
    pub inputs: Field<RawQuantities>,
    pub outputs: Field<RawQuantities>,
    pub inventory_weeks: Field<RawStock>,
    pub output_inventory_weeks: Field<RawStock>,
    pub allocation: Field<RawWordOrList>,
    /// Documentation for readers of the file; the engine keeps no descriptions.
    pub description: Field<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawStock {
    pub initial: Field<RawParam>,
    pub target: Field<RawParam>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawLink {
    pub from: Field<String>,
    pub to: Field<String>,
    pub material: Field<String>,
    pub share: Field<f64>,
    pub lead_time_weeks: Field<RawParam>,
    pub lead_time_days: Field<RawParam>,
    pub lead_time_months: Field<RawParam>,
    /// Documentation for readers of the file; the engine keeps no descriptions.
    pub description: Field<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawEndUse {
    pub region: Field<String>,
    pub demand_units_per_year: Field<RawParam>,
    pub growth_per_year: Field<RawParam>,
    pub intensity: Field<RawIntensities>,
    pub priority: Field<String>,
    pub unmet_demand: Field<String>,
    pub inventory_weeks: Field<RawStock>,
    /// The display unit of what is built (`"aircraft"`, `"MW"`).
    pub unit: Field<String>,
    pub value_per_unit_short_usd: Field<f64>,
    pub cost_per_unit_week_late_usd: Field<f64>,
    /// Documentation for readers of the file; the engine keeps no descriptions.
    pub description: Field<String>,
}

/// A disruption of any kind, flat: which keys a kind allows is checked while lowering.
#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawDisruption {
    pub kind: Field<String>,
    pub materials: Field<Vec<Spanned<String>>>,
    pub from_region: Field<String>,
    pub to_regions: Field<RawWordOrList>,
    pub to: Field<Vec<Spanned<String>>>,
    pub review_weeks: Field<RawParam>,
    pub review_days: Field<RawParam>,
    pub review_months: Field<RawParam>,
    pub denial_probability: Field<RawDenial>,
    pub grace_weeks: Field<RawParam>,
    pub severity: Field<RawParam>,
    pub stages: Field<Vec<Spanned<String>>>,
    pub end_uses: Field<Vec<Spanned<String>>>,
    pub multiplier: Field<RawParam>,
    pub onset_week: Field<RawParam>,
    pub onset_days: Field<RawParam>,
    pub onset_months: Field<RawParam>,
    pub hazard_per_year: Field<RawParam>,
    pub follows: Field<RawFollows>,
    pub two_state: Field<RawTwoState>,
    pub duration_weeks: Field<RawParam>,
    pub duration_days: Field<RawParam>,
    pub duration_months: Field<RawParam>,
    pub description: Field<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawDenial {
    pub defense: Field<RawParam>,
    pub essential: Field<RawParam>,
    pub other: Field<RawParam>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawFollows {
    pub disruption: Field<String>,
    pub probability: Field<RawParam>,
    pub lag_weeks: Field<RawParam>,
    pub lag_days: Field<RawParam>,
    pub lag_months: Field<RawParam>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawTwoState {
    pub start_probability_per_week: Field<f64>,
    pub end_probability_per_week: Field<f64>,
}

/// A mitigation of any kind, flat: which keys a kind allows is checked while lowering. The new stages and links
/// of `alternate_supply` and `recycling` (`[mitigations.NAME.stages.STAGE]`, `[[mitigations.NAME.links]]`) are
/// read as entities of their own by the document reader and kept in `new_stages` and `new_links`.
#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawMitigation {
    pub kind: Field<String>,
    pub description: Field<String>,
    pub cost: Field<RawCost>,
    pub material: Field<String>,
    /// Several materials, for a `thrifting` that cuts more than one input (Dy and Tb).
    pub materials: Field<Vec<Spanned<String>>>,
    pub serves: Field<Vec<Spanned<String>>>,
    pub initial_t: Field<RawParam>,
    pub initial_units: Field<RawParam>,
    pub release_to: Field<Vec<Spanned<String>>>,
    pub max_release_t_per_week: Field<RawParam>,
    pub max_release_units_per_week: Field<RawParam>,
    pub rebuild_t_per_week: Field<RawParam>,
    pub rebuild_units_per_week: Field<RawParam>,
    pub end_use: Field<String>,
    pub reduction: Field<RawParam>,
    pub share: Field<RawParam>,
    pub lag_weeks: Field<RawParam>,
    pub lag_days: Field<RawParam>,
    pub lag_months: Field<RawParam>,
    pub ramp_weeks: Field<RawParam>,
    pub ramp_days: Field<RawParam>,
    pub ramp_months: Field<RawParam>,
    /// The stages an `allocation` or `buffer` applies to (the table form of `stages` is in `new_stages`).
    pub stages: Field<Vec<Spanned<String>>>,
    pub end_uses: Field<Vec<Spanned<String>>>,
    pub order: Field<RawWordOrList>,
    pub inventory_weeks: Field<RawStock>,
    /// A disruption whose onset the mitigation's lag (or its new stages' online weeks) counts from.
    pub trigger: Field<String>,
    /// A stockpile releases only while this disruption is active.
    pub release_while: Field<String>,
    /// `[mitigations.NAME.stages.STAGE]` tables, with the span of the `stages` key.
    #[serde(skip)]
    pub new_stages: Vec<Entity<RawStage>>,
    #[serde(skip)]
    pub new_stages_span: Option<std::ops::Range<usize>>,
    /// `[[mitigations.NAME.links]]` tables, with the span of the `links` key.
    #[serde(skip)]
    pub new_links: Vec<Entity<RawLink>>,
    #[serde(skip)]
    pub new_links_span: Option<std::ops::Range<usize>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawCost {
    pub one_off_usd: Field<f64>,
    pub per_year_usd: Field<f64>,
}

/// `[markets.MATERIAL]` (or `[markets.defaults]`): a market's settings, each optional (defaults fill the rest).
#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawMarket {
    pub price_gain: Field<f64>,
    pub price_half_life_weeks: Field<f64>,
    pub demand_elasticity: Field<f64>,
    pub demand_lag_weeks: Field<f64>,
    pub precaution_gain: Field<f64>,
    pub precaution_window_weeks: Field<f64>,
    pub precaution_min: Field<f64>,
    pub precaution_max: Field<f64>,
    pub response_regions: Field<Vec<Spanned<String>>>,
    pub response_trigger_price: Field<f64>,
    pub response_lag_weeks: Field<f64>,
    pub response_growth_per_year: Field<f64>,
    pub response_max: Field<f64>,
    /// Documentation for readers of the file; the engine keeps no descriptions.
    pub description: Field<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RawPackage {
    pub mitigations: Field<Vec<Spanned<String>>>,
    pub description: Field<String>,
}

/// A number that may be uncertain: a constant or a distribution table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawParam {
    Const(f64),
    Dist(RawDist),
}

/// The distribution forms of the format, as written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawDist {
    Uniform { min: f64, max: f64 },
    Triangular { min: f64, mode: f64, max: f64 },
    Pert { min: f64, mode: f64, max: f64 },
    Normal { mean: f64, sd: f64, min: Option<f64>, max: Option<f64> },
    Lognormal { mu: Option<f64>, sigma: Option<f64>, median: Option<f64>, p90: Option<f64> },
    Choice { values: Vec<f64>, weights: Option<Vec<f64>> },
}

/// Names of the distribution forms, as keys of a distribution table.
pub(crate) const DISTRIBUTIONS: &[&str] = &["uniform", "triangular", "pert", "normal", "lognormal", "choice"];

#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct Range2 {
    min: f64,
    max: f64,
}

#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct Range3 {
    min: f64,
    mode: f64,
    max: f64,
}

#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct NormalForm {
    mean: f64,
    sd: f64,
    min: Option<f64>,
    max: Option<f64>,
}

#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct LognormalForm {
    mu: Option<f64>,
    sigma: Option<f64>,
    median: Option<f64>,
    p90: Option<f64>,
}

#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
struct ChoiceForm {
    values: Vec<f64>,
    weights: Option<Vec<f64>>,
}

/// Implements `Deserialize` for the structs below, whose derived implementation is generated as an inherent
/// function (`#[serde(remote = "Self")]`), so that each accepts only a table. The derived visitor alone would also
/// take an array and fill the fields in declaration order (`two_state = [0.002, 0.1]`,
/// `{ pert = [5000, 6000, 6500] }`), which silently reads something other than what the author may have meant.
macro_rules! tables_only {
    ($($name:ident: $expecting:literal,)*) => {$(
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct TableVisitor;
                impl<'de> Visitor<'de> for TableVisitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }

                    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<$name, A::Error> {
                        $name::deserialize(de::value::MapAccessDeserializer::new(map))
                    }
                }
                deserializer.deserialize_map(TableVisitor)
            }
        }
    )*};
}

tables_only! {
    RawScenario: "a table with `name`, `description`, `base` and `remove`",
    RawHorizon: "a table such as `{ years = 3, period = \"week\" }`",
    RawMaterial: "a table such as `{ unit = \"t\" }`",
    RawStage: "a table of stage keys (`region`, `capacity_t_per_year`, `outputs`, ...)",
    RawStock: "a table such as `{ initial = 4, target = 6 }`",
    RawLink: "a table of link keys (`from`, `to`, `material`, `share`, ...)",
    RawEndUse: "a table of end-use keys (`region`, `demand_units_per_year`, ...)",
    RawDisruption: "a table of disruption keys (`kind`, a scope and a timing)",
    RawDenial: "a table such as `{ defense = 1.0, essential = 0.2, other = 0.1 }`",
    RawFollows: "a table such as `{ disruption = \"licensing\", probability = 0.3 }`",
    RawTwoState: "a table such as `{ start_probability_per_week = 0.01, end_probability_per_week = 0.2 }`",
    RawMitigation: "a table of mitigation keys (`kind`, `description`, `cost`, ...)",
    RawCost: "a table such as `{ one_off_usd = 2e8, per_year_usd = 5e6 }`",
    RawPackage: "a table such as `{ mitigations = [\"a\", \"b\"] }`",
    RawUncertainty: "a table such as `{ knowledge = [\"stages.*.inventory_weeks.initial\"], worlds = 200 }`",
    RawMarket: "a table of market keys (`price_gain`, `demand_elasticity`, ...)",
    Range2: "a table such as `{ min = 1, max = 3 }`",
    Range3: "a table such as `{ min = 1, mode = 2, max = 4 }`",
    NormalForm: "a table such as `{ mean = 10, sd = 2 }`",
    LognormalForm: "a table such as `{ median = 8, p90 = 26 }` or `{ mu = 2, sigma = 0.5 }`",
    ChoiceForm: "a table such as `{ values = [1, 2], weights = [0.7, 0.3] }`",
}

impl<'de> Deserialize<'de> for RawParam {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ParamVisitor)
    }
}

struct ParamVisitor;

impl<'de> Visitor<'de> for ParamVisitor {
    type Value = RawParam;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a distribution such as `{ uniform = { min = 1, max = 3 } }`")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawParam, E> {
        Ok(RawParam::Const(v as f64))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawParam, E> {
        Ok(RawParam::Const(v as f64))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawParam, E> {
        Ok(RawParam::Const(v))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawParam, A::Error> {
        let Some(form) = map.next_key::<String>()? else {
            return Err(de::Error::custom(format!(
                "{DISTRIBUTION_ERROR}an empty table is not a distribution; write one such as \
                 `{{ uniform = {{ min = 1, max = 3 }} }}`"
            )));
        };
        let dist = match form.as_str() {
            "uniform" => map.next_value::<Range2>().map(|r| RawDist::Uniform { min: r.min, max: r.max })?,
            "triangular" => {
                map.next_value::<Range3>().map(|r| RawDist::Triangular { min: r.min, mode: r.mode, max: r.max })?
            }
            "pert" => map.next_value::<Range3>().map(|r| RawDist::Pert { min: r.min, mode: r.mode, max: r.max })?,
            "normal" => map.next_value::<NormalForm>().map(|n| RawDist::Normal {
                mean: n.mean,
                sd: n.sd,
                min: n.min,
                max: n.max,
            })?,
            "lognormal" => map.next_value::<LognormalForm>().map(|l| RawDist::Lognormal {
                mu: l.mu,
                sigma: l.sigma,
                median: l.median,
                p90: l.p90,
            })?,
            "choice" => {
                map.next_value::<ChoiceForm>().map(|c| RawDist::Choice { values: c.values, weights: c.weights })?
            }
            other if other.starts_with("$__toml") => {
                return Err(de::Error::custom("invalid type: date, expected a number or a distribution"));
            }
            other => {
                return Err(de::Error::custom(format!(
                    "{DISTRIBUTION_ERROR}unknown distribution `{other}`, expected one of {}",
                    DISTRIBUTIONS.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", ")
                )));
            }
        };
        if let Some(extra) = map.next_key::<String>()? {
            return Err(de::Error::custom(format!(
                "{DISTRIBUTION_ERROR}a distribution table holds exactly one form, but `{form}` comes with `{extra}`"
            )));
        }
        Ok(RawParam::Dist(dist))
    }
}

/// Quantities per material (`inputs`, `outputs`, `intensity`), in file order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RawQuantities(pub Vec<(Spanned<String>, Spanned<f64>)>);

impl<'de> Deserialize<'de> for RawQuantities {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(QuantitiesVisitor)
    }
}

struct QuantitiesVisitor;

impl<'de> Visitor<'de> for QuantitiesVisitor {
    type Value = RawQuantities;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table of material names to numbers, such as `{ ndpr_oxide = 0.3 }`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawQuantities, A::Error> {
        let mut entries: Vec<(Spanned<String>, Spanned<f64>)> = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        entries.sort_by_key(|(k, _)| k.span().start);
        Ok(RawQuantities(entries))
    }
}

/// An end use's material intensities: material names to params (a number, or a distribution drawn once per
/// trial), in file order.
#[derive(Debug, Clone)]
pub(crate) struct RawIntensities(pub Vec<(Spanned<String>, Spanned<RawParam>)>);

impl<'de> Deserialize<'de> for RawIntensities {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(IntensitiesVisitor)
    }
}

struct IntensitiesVisitor;

impl<'de> Visitor<'de> for IntensitiesVisitor {
    type Value = RawIntensities;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a table of material names to numbers or distributions, such as `{ magnet = 0.002 }`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawIntensities, A::Error> {
        let mut entries: Vec<(Spanned<String>, Spanned<RawParam>)> = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        entries.sort_by_key(|(k, _)| k.span().start);
        Ok(RawIntensities(entries))
    }
}

/// A word or an array of words: `allocation` (`"priority"` or a class order) and `to_regions` (`"all-other"` or
/// region codes).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RawWordOrList {
    Word(String),
    List(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for RawWordOrList {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(WordOrListVisitor)
    }
}

struct WordOrListVisitor;

impl<'de> Visitor<'de> for WordOrListVisitor {
    type Value = RawWordOrList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or an array of strings")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawWordOrList, E> {
        Ok(RawWordOrList::Word(v.to_owned()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawWordOrList, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawWordOrList::List(items))
    }
}

/// One named table of the file (or one `[[links]]` element), as read.
#[derive(Debug, Clone)]
pub(crate) struct Entity<T> {
    /// The table's name (`cn_mines`), or `links[3]` for a link.
    pub name: String,
    /// Span of the name in `[stages.NAME]` (or of the `[[links]]` header).
    pub name_span: Range<usize>,
    /// Dotted path of the entity, such as `stages.cn_mines`.
    pub path: String,
    /// The entity in words, for messages: "stage `cn_mines`", "link 3".
    pub what: String,
    /// The raw struct, or `None` when the entity could not be read at all.
    pub raw: Option<T>,
    /// Keys whose values were refused, or that an unknown key probably misspells (already reported): their
    /// absence is not reported again.
    pub broken_keys: Vec<String>,
    /// For a stage or link of a mitigation applied to a variant: the index of that mitigation in the document.
    pub added_by: Option<usize>,
}

impl<T> Entity<T> {
    /// Whether `key` was present but refused while reading.
    pub(crate) fn broken(&self, key: &str) -> bool {
        self.broken_keys.iter().any(|k| k == key)
    }
}
