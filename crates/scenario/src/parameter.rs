//! The parameters of a model, named by the scenario key that gives them (`stages.lynas_malaysia.capacity_t_per_year`,
//! `links[12].lead_time_weeks`, `disruptions.cn_licensing.denial_probability.other`), and their substitution.
//!
//! A parameter is a [`Param`] of the model's specification (a constant or a distribution), found at one or more
//! [`Site`]s. Its name is the dotted key of the scenario that sets it, as the user would write it in `--set` or in
//! `[uncertainty] knowledge`: the entity's path (`stages.NAME`, `mitigations.NAME.stages.NAME`, `links[N]` for the
//! N-th link of the scenario with its bases, counted from 0, `mitigations.NAME.links[K]` for a mitigation's) and
//! the key as written (`online_months` when the file gives months). A key that sets several sites is one parameter:
//! a thrifting's `reduction` (one draw shared by every stage it names) and a buffer's `inventory_weeks` (drawn for
//! each stage it names: substituting it sets every one of them to the same value). Where a buffer mitigation sets a
//! stock, the stock is named by the buffer's key, not the stage's.
//!
//! Values in the model are in its units (durations in weeks); [`Parameter::scale`] converts a value of the key's
//! unit (days, months) into the model's. A parameter's [`Scope`] says when the engine draws it: once per trial, or
//! for every event or shipment (a licence review; the severity and duration of each event of a hazard-timed
//! disruption). The parameters of one disruption draw from that disruption's one random stream, in a fixed order,
//! so replacing one of them by a constant shifts the draws of the others (see `docs/model.md`).

use std::collections::{HashMap, VecDeque};

use chokepoint_engine::{Class, DisruptionKind, ModelSpec, Node, Param, Timing, Unit};

use crate::document::Document;
use crate::kind::MitigationKind;
use crate::lower::mitigation::{Plan, kind_of};
use crate::raw::{Field, RawParam};

/// Which end of a stock a parameter sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StockEnd {
    /// The stock at the start of the horizon, in weeks of use.
    Initial,
    /// The stock the holder restocks towards, in weeks of use.
    Target,
}

/// Where a parameter sits in a [`ModelSpec`]: the kind of parameter and the index of its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Site {
    /// A stage's capacity per year.
    StageCapacity(usize),
    /// A stage's capacity growth per year.
    StageGrowth(usize),
    /// The week a new stage (of an `alternate_supply` or `recycling`) comes online.
    StageOnline(usize),
    /// The weeks a new stage takes to ramp up to its capacity.
    StageRamp(usize),
    /// One end of a stage's stock of inputs.
    StageInputStock(usize, StockEnd),
    /// One end of a stage's stock of outputs.
    StageOutputStock(usize, StockEnd),
    /// A link's lead time.
    LinkLeadTime(usize),
    /// An end use's demand per year.
    EndUseDemand(usize),
    /// An end use's demand growth per year.
    EndUseGrowth(usize),
    /// One end of an end use's stock.
    EndUseStock(usize, StockEnd),
    /// An export licensing's review time.
    DisruptionReview(usize),
    /// An export licensing's probability of denying a licence to a class.
    DisruptionDenial(usize, Class),
    /// An embargo's or outage's severity, or a demand shock's multiplier.
    DisruptionEffect(usize),
    /// A disruption's onset week (a window timing).
    DisruptionOnset(usize),
    /// A disruption's duration.
    DisruptionDuration(usize),
    /// A disruption's rate of onsets per year (a hazard timing).
    DisruptionHazard(usize),
    /// The probability that a disruption follows the one it names in `follows`.
    DisruptionFollowProbability(usize),
    /// The lag between a followed disruption's onset and this one's.
    DisruptionLag(usize),
    /// A stockpile's initial size.
    StockpileInitial(usize),
    /// A stockpile's largest release per week.
    StockpileRelease(usize),
    /// A stockpile's rebuilding per week.
    StockpileRebuild(usize),
    /// A thrifting's reduction of an intensity.
    IntensityReduction(usize),
    /// The week a thrifting starts (its lag).
    IntensityStart(usize),
    /// The weeks a thrifting takes to reach its full reduction.
    IntensityRamp(usize),
    /// The share of an end use's demand a substitution moves to another technology.
    SwitchShare(usize),
    /// The week a substitution starts (its lag).
    SwitchStart(usize),
    /// The weeks a substitution takes to reach its full share.
    SwitchRamp(usize),
}

fn stock(s: &chokepoint_engine::StockWeeks, end: StockEnd) -> &Param {
    match end {
        StockEnd::Initial => &s.initial,
        StockEnd::Target => &s.target,
    }
}

fn stock_mut(s: &mut chokepoint_engine::StockWeeks, end: StockEnd) -> &mut Param {
    match end {
        StockEnd::Initial => &mut s.initial,
        StockEnd::Target => &mut s.target,
    }
}

impl Site {
    /// The parameter at this site of `spec`, if the site exists there.
    pub fn get(self, spec: &ModelSpec) -> Option<&Param> {
        let m = &spec.mitigations;
        Some(match self {
            Site::StageCapacity(s) => &spec.stages.get(s)?.capacity_per_year,
            Site::StageGrowth(s) => &spec.stages.get(s)?.capacity_growth_per_year,
            Site::StageOnline(s) => spec.stages.get(s)?.online_week.as_ref()?,
            Site::StageRamp(s) => &spec.stages.get(s)?.ramp_weeks,
            Site::StageInputStock(s, end) => stock(&spec.stages.get(s)?.input_stock, end),
            Site::StageOutputStock(s, end) => stock(&spec.stages.get(s)?.output_stock, end),
            Site::LinkLeadTime(l) => &spec.links.get(l)?.lead_time_weeks,
            Site::EndUseDemand(e) => &spec.end_uses.get(e)?.demand_per_year,
            Site::EndUseGrowth(e) => &spec.end_uses.get(e)?.growth_per_year,
            Site::EndUseStock(e, end) => stock(&spec.end_uses.get(e)?.stock, end),
            Site::DisruptionReview(d) => match &spec.disruptions.get(d)?.kind {
                DisruptionKind::ExportLicensing { review_weeks, .. } => review_weeks,
                _ => return None,
            },
            Site::DisruptionDenial(d, class) => match &spec.disruptions.get(d)?.kind {
                DisruptionKind::ExportLicensing { denial, .. } => &denial[class as usize],
                _ => return None,
            },
            Site::DisruptionEffect(d) => match &spec.disruptions.get(d)?.kind {
                DisruptionKind::Embargo { severity, .. } | DisruptionKind::Outage { severity, .. } => severity,
                DisruptionKind::DemandShock { multiplier, .. } => multiplier,
                DisruptionKind::ExportLicensing { .. } => return None,
            },
            Site::DisruptionOnset(d) => match &spec.disruptions.get(d)?.timing {
                Timing::Window { onset_weeks, .. } => onset_weeks,
                _ => return None,
            },
            Site::DisruptionDuration(d) => match &spec.disruptions.get(d)?.timing {
                Timing::Window { duration_weeks, .. }
                | Timing::Hazard { duration_weeks, .. }
                | Timing::Follows { duration_weeks, .. } => duration_weeks,
                Timing::TwoState { .. } => return None,
            },
            Site::DisruptionHazard(d) => match &spec.disruptions.get(d)?.timing {
                Timing::Hazard { rate_per_year, .. } => rate_per_year,
                _ => return None,
            },
            Site::DisruptionFollowProbability(d) => match &spec.disruptions.get(d)?.timing {
                Timing::Follows { probability, .. } => probability,
                _ => return None,
            },
            Site::DisruptionLag(d) => match &spec.disruptions.get(d)?.timing {
                Timing::Follows { lag_weeks, .. } => lag_weeks,
                _ => return None,
            },
            Site::StockpileInitial(k) => &m.stockpiles.get(k)?.initial,
            Site::StockpileRelease(k) => &m.stockpiles.get(k)?.max_release_per_week,
            Site::StockpileRebuild(k) => &m.stockpiles.get(k)?.rebuild_per_week,
            Site::IntensityReduction(k) => &m.intensity_changes.get(k)?.reduction,
            Site::IntensityStart(k) => &m.intensity_changes.get(k)?.start_week,
            Site::IntensityRamp(k) => &m.intensity_changes.get(k)?.ramp_weeks,
            Site::SwitchShare(k) => &m.demand_switches.get(k)?.share,
            Site::SwitchStart(k) => &m.demand_switches.get(k)?.start_week,
            Site::SwitchRamp(k) => &m.demand_switches.get(k)?.ramp_weeks,
        })
    }

    /// The parameter at this site of `spec`, to change it.
    pub fn get_mut(self, spec: &mut ModelSpec) -> Option<&mut Param> {
        let m = &mut spec.mitigations;
        Some(match self {
            Site::StageCapacity(s) => &mut spec.stages.get_mut(s)?.capacity_per_year,
            Site::StageGrowth(s) => &mut spec.stages.get_mut(s)?.capacity_growth_per_year,
            Site::StageOnline(s) => spec.stages.get_mut(s)?.online_week.as_mut()?,
            Site::StageRamp(s) => &mut spec.stages.get_mut(s)?.ramp_weeks,
            Site::StageInputStock(s, end) => stock_mut(&mut spec.stages.get_mut(s)?.input_stock, end),
            Site::StageOutputStock(s, end) => stock_mut(&mut spec.stages.get_mut(s)?.output_stock, end),
            Site::LinkLeadTime(l) => &mut spec.links.get_mut(l)?.lead_time_weeks,
            Site::EndUseDemand(e) => &mut spec.end_uses.get_mut(e)?.demand_per_year,
            Site::EndUseGrowth(e) => &mut spec.end_uses.get_mut(e)?.growth_per_year,
            Site::EndUseStock(e, end) => stock_mut(&mut spec.end_uses.get_mut(e)?.stock, end),
            Site::DisruptionReview(d) => match &mut spec.disruptions.get_mut(d)?.kind {
                DisruptionKind::ExportLicensing { review_weeks, .. } => review_weeks,
                _ => return None,
            },
            Site::DisruptionDenial(d, class) => match &mut spec.disruptions.get_mut(d)?.kind {
                DisruptionKind::ExportLicensing { denial, .. } => &mut denial[class as usize],
                _ => return None,
            },
            Site::DisruptionEffect(d) => match &mut spec.disruptions.get_mut(d)?.kind {
                DisruptionKind::Embargo { severity, .. } | DisruptionKind::Outage { severity, .. } => severity,
                DisruptionKind::DemandShock { multiplier, .. } => multiplier,
                DisruptionKind::ExportLicensing { .. } => return None,
            },
            Site::DisruptionOnset(d) => match &mut spec.disruptions.get_mut(d)?.timing {
                Timing::Window { onset_weeks, .. } => onset_weeks,
                _ => return None,
            },
            Site::DisruptionDuration(d) => match &mut spec.disruptions.get_mut(d)?.timing {
                Timing::Window { duration_weeks, .. }
                | Timing::Hazard { duration_weeks, .. }
                | Timing::Follows { duration_weeks, .. } => duration_weeks,
                Timing::TwoState { .. } => return None,
            },
            Site::DisruptionHazard(d) => match &mut spec.disruptions.get_mut(d)?.timing {
                Timing::Hazard { rate_per_year, .. } => rate_per_year,
                _ => return None,
            },
            Site::DisruptionFollowProbability(d) => match &mut spec.disruptions.get_mut(d)?.timing {
                Timing::Follows { probability, .. } => probability,
                _ => return None,
            },
            Site::DisruptionLag(d) => match &mut spec.disruptions.get_mut(d)?.timing {
                Timing::Follows { lag_weeks, .. } => lag_weeks,
                _ => return None,
            },
            Site::StockpileInitial(k) => &mut m.stockpiles.get_mut(k)?.initial,
            Site::StockpileRelease(k) => &mut m.stockpiles.get_mut(k)?.max_release_per_week,
            Site::StockpileRebuild(k) => &mut m.stockpiles.get_mut(k)?.rebuild_per_week,
            Site::IntensityReduction(k) => &mut m.intensity_changes.get_mut(k)?.reduction,
            Site::IntensityStart(k) => &mut m.intensity_changes.get_mut(k)?.start_week,
            Site::IntensityRamp(k) => &mut m.intensity_changes.get_mut(k)?.ramp_weeks,
            Site::SwitchShare(k) => &mut m.demand_switches.get_mut(k)?.share,
            Site::SwitchStart(k) => &mut m.demand_switches.get_mut(k)?.start_week,
            Site::SwitchRamp(k) => &mut m.demand_switches.get_mut(k)?.ramp_weeks,
        })
    }
}

/// When the engine draws a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Once per trial (a stage's capacity, a link's lead time, a denial probability, an embargo's duration).
    Trial,
    /// Anew for every event or shipment (a licence review; the severity and duration of each event of a
    /// hazard-timed disruption): part of a trial's event randomness.
    Event,
}

impl Scope {
    /// `per trial` or `per event`, for tables.
    pub fn words(self) -> &'static str {
        match self {
            Scope::Trial => "per trial",
            Scope::Event => "per event",
        }
    }
}

/// One parameter of a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// The scenario key that sets it, such as `stages.lynas_malaysia.capacity_t_per_year`.
    pub key: String,
    /// Where it sits in the model (several sites for a key that sets several entities).
    pub sites: Vec<Site>,
    /// Its value in the model's units (weeks for durations): a constant or a distribution.
    pub distribution: Param,
    /// Model units per unit of the key: 1, or 1/7 for a key in days, 52/12 for a key in months.
    pub scale: f64,
    /// The unit of the key's values, for tables (`t/yr`, `weeks`, `months`, `share`, ...).
    pub unit: String,
    /// Whether it is drawn once per trial or anew for every event.
    pub scope: Scope,
}

impl Parameter {
    /// Whether the parameter is a distribution rather than a constant.
    pub fn is_uncertain(&self) -> bool {
        !self.distribution.is_constant()
    }

    /// Whether the engine draws the parameter from a stream it shares with other draws (those of one disruption:
    /// its timing, severity and denial probabilities come from the disruption's one stream, in a fixed order), so
    /// that fixing it to a constant shifts the others' draws.
    pub fn shares_stream(&self) -> bool {
        self.sites.iter().any(|s| {
            matches!(
                s,
                Site::DisruptionReview(_)
                    | Site::DisruptionDenial(..)
                    | Site::DisruptionEffect(_)
                    | Site::DisruptionOnset(_)
                    | Site::DisruptionDuration(_)
                    | Site::DisruptionHazard(_)
                    | Site::DisruptionFollowProbability(_)
                    | Site::DisruptionLag(_)
            )
        })
    }

    /// A value in the model's units, in the key's unit.
    pub fn in_key_unit(&self, model_value: f64) -> f64 {
        model_value / self.scale
    }

    /// Sets every site of the parameter in `spec` to `value` (in the model's units).
    pub fn assign(&self, spec: &mut ModelSpec, value: &Param) {
        for site in &self.sites {
            if let Some(p) = site.get_mut(spec) {
                *p = value.clone();
            }
        }
    }
}

/// Whether `key` matches `pattern`: dotted segments compared one by one, where a pattern segment `*` matches any
/// one segment and `NAME[*]` matches `NAME[N]` for any N.
pub fn key_matches(pattern: &str, key: &str) -> bool {
    let (p, k): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), key.split('.').collect());
    p.len() == k.len()
        && p.iter().zip(&k).all(|(p, k)| {
            *p == "*"
                || p == k
                || p.strip_suffix("[*]").is_some_and(|name| {
                    k.strip_prefix(name)
                        .and_then(|rest| rest.strip_prefix('['))
                        .and_then(|rest| rest.strip_suffix(']'))
                        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                })
        })
}

/// The key form given among a duration's three (`_weeks`/`_week`, `_days`, `_months`), with its scale and unit.
fn duration_key(forms: [(&str, &Field<RawParam>); 3]) -> (String, f64, &'static str) {
    const SCALES: [(f64, &str); 3] = [
        (1.0, "weeks"),
        (crate::lower::context::WEEKS_PER_DAY, "days"),
        (crate::lower::context::WEEKS_PER_MONTH, "months"),
    ];
    forms
        .iter()
        .zip(SCALES)
        .find(|((_, f), _)| f.is_some())
        .map_or((forms[0].0.to_owned(), 1.0, "weeks"), |((k, _), (scale, unit))| ((*k).to_owned(), scale, unit))
}

/// Collects the parameters of one model as they are named.
struct Namer<'a> {
    spec: &'a ModelSpec,
    out: Vec<Parameter>,
    /// Where each key is in `out`, so that naming stays linear in the number of sites (a chain of 20,000 stages
    /// took minutes with a search of `out`). Only looked up, never iterated, so the order is `out`'s.
    position: HashMap<String, usize>,
}

impl Namer<'_> {
    fn add(&mut self, key: String, site: Site, scale: f64, unit: &str, scope: Scope) {
        let Some(p) = site.get(self.spec) else { return };
        match self.position.get(&key) {
            Some(&i) => self.out[i].sites.push(site),
            None => {
                self.position.insert(key.clone(), self.out.len());
                self.out.push(Parameter {
                    key,
                    sites: vec![site],
                    distribution: p.clone(),
                    scale,
                    unit: unit.to_owned(),
                    scope,
                });
            }
        }
    }

    fn stock(&mut self, prefix: &str, site: impl Fn(StockEnd) -> Site) {
        for (end, word) in [(StockEnd::Initial, "initial"), (StockEnd::Target, "target")] {
            self.add(format!("{prefix}.{word}"), site(end), 1.0, "weeks of use", Scope::Trial);
        }
    }
}

/// The parameters of `spec`, lowered from `doc` (a variant document, with the new stages and links of the plan's
/// mitigations) with the mitigations of `plan` applied. Constants are included; [`Parameter::is_uncertain`] tells
/// them apart. Order: stages, links, end uses, disruptions, then the mitigations' own parameters.
pub(crate) fn name_parameters(doc: &Document, plan: &Plan, spec: &ModelSpec) -> Vec<Parameter> {
    let mut n = Namer { spec, out: Vec::new(), position: HashMap::new() };
    // Stocks a buffer mitigation sets: the last one applied wins, as in lowering.
    let mut buffered_stages: Vec<(usize, String)> = Vec::new();
    let mut buffered_end_uses: Vec<(usize, String)> = Vec::new();
    for &m in &plan.applied {
        let Some(e) = doc.mitigations.get(m) else { continue };
        let Some(raw) = e.raw.as_ref().filter(|r| kind_of(r) == Some(MitigationKind::Buffer)) else { continue };
        let names = |f: &Field<Vec<toml::Spanned<String>>>| -> Vec<String> {
            f.as_ref().map(|l| l.get_ref().iter().map(|s| s.get_ref().clone()).collect()).unwrap_or_default()
        };
        for name in names(&raw.stages) {
            if let Some(s) = spec.stages.iter().position(|x| x.name == name) {
                buffered_stages.retain(|(x, _)| *x != s);
                buffered_stages.push((s, format!("{}.inventory_weeks", e.path)));
            }
        }
        for name in names(&raw.end_uses) {
            if let Some(u) = spec.end_uses.iter().position(|x| x.name == name) {
                buffered_end_uses.retain(|(x, _)| *x != u);
                buffered_end_uses.push((u, format!("{}.inventory_weeks", e.path)));
            }
        }
    }
    let unit_of = |material: usize| spec.materials.get(material).map_or(Unit::Tonne, |m| m.unit);
    for (s, stage) in spec.stages.iter().enumerate() {
        let Some(e) = doc.stages.get(s).filter(|e| e.name == stage.name) else { continue };
        let Some(raw) = &e.raw else { continue };
        let path = &e.path;
        let items = stage.outputs.first().is_some_and(|&(m, _)| unit_of(m) == Unit::Item);
        let (capacity, unit) =
            if items { ("capacity_units_per_year", "units/yr") } else { ("capacity_t_per_year", "t/yr") };
        n.add(format!("{path}.{capacity}"), Site::StageCapacity(s), 1.0, unit, Scope::Trial);
        n.add(format!("{path}.capacity_growth_per_year"), Site::StageGrowth(s), 1.0, "/yr", Scope::Trial);
        let (key, scale, unit) = duration_key([
            ("online_week", &raw.online_week),
            ("online_days", &raw.online_days),
            ("online_months", &raw.online_months),
        ]);
        n.add(format!("{path}.{key}"), Site::StageOnline(s), scale, unit, Scope::Trial);
        let (key, scale, unit) = duration_key([
            ("ramp_weeks", &raw.ramp_weeks),
            ("ramp_days", &raw.ramp_days),
            ("ramp_months", &raw.ramp_months),
        ]);
        n.add(format!("{path}.{key}"), Site::StageRamp(s), scale, unit, Scope::Trial);
        let buffer = buffered_stages.iter().find(|(x, _)| *x == s).map(|(_, k)| k.clone());
        if stage.inputs.is_empty() {
            let own = if raw.output_inventory_weeks.is_some() { "output_inventory_weeks" } else { "inventory_weeks" };
            let prefix = buffer.unwrap_or_else(|| format!("{path}.{own}"));
            n.stock(&prefix, |end| Site::StageOutputStock(s, end));
        } else {
            let prefix = buffer.unwrap_or_else(|| format!("{path}.inventory_weeks"));
            n.stock(&prefix, |end| Site::StageInputStock(s, end));
            n.stock(&format!("{path}.output_inventory_weeks"), |end| Site::StageOutputStock(s, end));
        }
    }
    // Links: the spec leaves out links a mitigation took the whole supply of, so they are matched by their ends.
    let node_name = |node: Node| match node {
        Node::Stage(s) => spec.stages.get(s).map(|x| x.name.as_str()),
        Node::EndUse(e) => spec.end_uses.get(e).map(|x| x.name.as_str()),
    };
    // The document's links by their ends, each in document order: a spec link takes the first one not yet taken.
    fn get(f: &Option<toml::Spanned<String>>) -> Option<&str> {
        f.as_ref().map(|x| x.get_ref().as_str())
    }
    type Ends<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);
    let mut by_ends: HashMap<Ends, VecDeque<usize>> = HashMap::new();
    for (i, e) in doc.links.iter().enumerate() {
        if let Some(r) = &e.raw {
            by_ends.entry((get(&r.from), get(&r.to), get(&r.material))).or_default().push_back(i);
        }
    }
    for (l, link) in spec.links.iter().enumerate() {
        let ends = (
            spec.stages.get(link.from).map(|x| x.name.as_str()),
            node_name(link.to),
            spec.materials.get(link.material).map(|x| x.name.as_str()),
        );
        let Some(i) = by_ends.get_mut(&ends).and_then(VecDeque::pop_front) else { continue };
        let e = &doc.links[i];
        let Some(raw) = &e.raw else { continue };
        let path = if e.added_by.is_some() { e.path.clone() } else { format!("links[{i}]") };
        let (key, scale, unit) = duration_key([
            ("lead_time_weeks", &raw.lead_time_weeks),
            ("lead_time_days", &raw.lead_time_days),
            ("lead_time_months", &raw.lead_time_months),
        ]);
        n.add(format!("{path}.{key}"), Site::LinkLeadTime(l), scale, unit, Scope::Trial);
    }
    for (u, end_use) in spec.end_uses.iter().enumerate() {
        let Some(e) = doc.end_uses.get(u).filter(|e| e.name == end_use.name) else { continue };
        let path = &e.path;
        n.add(format!("{path}.demand_units_per_year"), Site::EndUseDemand(u), 1.0, "units/yr", Scope::Trial);
        n.add(format!("{path}.growth_per_year"), Site::EndUseGrowth(u), 1.0, "/yr", Scope::Trial);
        let buffer = buffered_end_uses.iter().find(|(x, _)| *x == u).map(|(_, k)| k.clone());
        let prefix = buffer.unwrap_or_else(|| format!("{path}.inventory_weeks"));
        n.stock(&prefix, |end| Site::EndUseStock(u, end));
    }
    for (d, disruption) in spec.disruptions.iter().enumerate() {
        let Some(e) = doc.disruptions.get(d).filter(|e| e.name == disruption.name) else { continue };
        let Some(raw) = &e.raw else { continue };
        let path = &e.path;
        let hazard = matches!(disruption.timing, Timing::Hazard { .. });
        let per_event = if hazard { Scope::Event } else { Scope::Trial };
        match &disruption.kind {
            DisruptionKind::ExportLicensing { .. } => {
                let (key, scale, unit) = duration_key([
                    ("review_weeks", &raw.review_weeks),
                    ("review_days", &raw.review_days),
                    ("review_months", &raw.review_months),
                ]);
                n.add(format!("{path}.{key}"), Site::DisruptionReview(d), scale, unit, Scope::Event);
                for class in Class::ALL {
                    let key = format!("{path}.denial_probability.{}", class.name());
                    n.add(key, Site::DisruptionDenial(d, class), 1.0, "probability", Scope::Trial);
                }
            }
            DisruptionKind::Embargo { .. } | DisruptionKind::Outage { .. } => {
                n.add(format!("{path}.severity"), Site::DisruptionEffect(d), 1.0, "share", per_event);
            }
            DisruptionKind::DemandShock { .. } => {
                n.add(format!("{path}.multiplier"), Site::DisruptionEffect(d), 1.0, "×", per_event);
            }
        }
        let (key, scale, unit) = duration_key([
            ("duration_weeks", &raw.duration_weeks),
            ("duration_days", &raw.duration_days),
            ("duration_months", &raw.duration_months),
        ]);
        n.add(format!("{path}.{key}"), Site::DisruptionDuration(d), scale, unit, per_event);
        match &disruption.timing {
            Timing::Window { .. } => {
                let (key, scale, unit) = duration_key([
                    ("onset_week", &raw.onset_week),
                    ("onset_days", &raw.onset_days),
                    ("onset_months", &raw.onset_months),
                ]);
                n.add(format!("{path}.{key}"), Site::DisruptionOnset(d), scale, unit, Scope::Trial);
            }
            Timing::Hazard { .. } => {
                n.add(format!("{path}.hazard_per_year"), Site::DisruptionHazard(d), 1.0, "/yr", Scope::Trial);
            }
            Timing::Follows { .. } => {
                n.add(
                    format!("{path}.follows.probability"),
                    Site::DisruptionFollowProbability(d),
                    1.0,
                    "probability",
                    Scope::Trial,
                );
                let follows = raw.follows.as_ref().map(|f| f.get_ref());
                let none = None;
                let (key, scale, unit) = duration_key([
                    ("lag_weeks", follows.map_or(&none, |f| &f.lag_weeks)),
                    ("lag_days", follows.map_or(&none, |f| &f.lag_days)),
                    ("lag_months", follows.map_or(&none, |f| &f.lag_months)),
                ]);
                n.add(format!("{path}.follows.{key}"), Site::DisruptionLag(d), scale, unit, Scope::Trial);
            }
            Timing::TwoState { .. } => {}
        }
    }
    let mitigation = |name: &str| doc.mitigations.iter().find(|e| e.name == name);
    let m = &spec.mitigations;
    for (k, sp) in m.stockpiles.iter().enumerate() {
        let Some(e) = mitigation(&sp.name) else { continue };
        let items = unit_of(sp.material) == Unit::Item;
        let (u, unit, rate) = if items { ("units", "units", "units/week") } else { ("t", "t", "t/week") };
        let path = &e.path;
        n.add(format!("{path}.initial_{u}"), Site::StockpileInitial(k), 1.0, unit, Scope::Trial);
        n.add(format!("{path}.max_release_{u}_per_week"), Site::StockpileRelease(k), 1.0, rate, Scope::Trial);
        n.add(format!("{path}.rebuild_{u}_per_week"), Site::StockpileRebuild(k), 1.0, rate, Scope::Trial);
    }
    let lag_and_ramp = |n: &mut Namer<'_>, name: &str, start: Site, ramp: Site| {
        let Some(e) = mitigation(name) else { return };
        let Some(raw) = &e.raw else { return };
        let path = &e.path;
        let (key, scale, unit) =
            duration_key([("lag_weeks", &raw.lag_weeks), ("lag_days", &raw.lag_days), ("lag_months", &raw.lag_months)]);
        n.add(format!("{path}.{key}"), start, scale, unit, Scope::Trial);
        let (key, scale, unit) = duration_key([
            ("ramp_weeks", &raw.ramp_weeks),
            ("ramp_days", &raw.ramp_days),
            ("ramp_months", &raw.ramp_months),
        ]);
        n.add(format!("{path}.{key}"), ramp, scale, unit, Scope::Trial);
    };
    for (k, ic) in m.intensity_changes.iter().enumerate() {
        if let Some(e) = mitigation(&ic.name) {
            n.add(format!("{}.reduction", e.path), Site::IntensityReduction(k), 1.0, "share", Scope::Trial);
        }
        lag_and_ramp(&mut n, &ic.name, Site::IntensityStart(k), Site::IntensityRamp(k));
    }
    for (k, ds) in m.demand_switches.iter().enumerate() {
        if let Some(e) = mitigation(&ds.name) {
            n.add(format!("{}.share", e.path), Site::SwitchShare(k), 1.0, "share", Scope::Trial);
        }
        lag_and_ramp(&mut n, &ds.name, Site::SwitchStart(k), Site::SwitchRamp(k));
    }
    n.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_whole_segments() {
        assert!(key_matches("stages.*.inventory_weeks.initial", "stages.cn_mines.inventory_weeks.initial"));
        assert!(!key_matches("stages.*.inventory_weeks", "stages.cn_mines.inventory_weeks.initial"));
        assert!(key_matches("links[*].lead_time_weeks", "links[12].lead_time_weeks"));
        assert!(!key_matches("links[*].lead_time_weeks", "links[].lead_time_weeks"));
        assert!(key_matches("disruptions.x.denial_probability.*", "disruptions.x.denial_probability.other"));
        assert!(!key_matches("stages.a.capacity_t_per_year", "stages.ab.capacity_t_per_year"));
    }
}
