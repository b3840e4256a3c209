//! Mitigations and packages: `[mitigations.NAME]` lowered into the engine's mitigation specs or into changes of
//! the model's stages, links and end uses, and `[packages.NAME]` checked against the mitigations they list.
//!
//! A mitigation is never part of the baseline. A variant is built by applying mitigations in order ([`Plan`]):
//! the new stages and links of an `alternate_supply` or `recycling` join the document ([`variant_document`]) and
//! are lowered like the file's own, so that every check points at the mitigation's keys; the shares of the links
//! they join are scaled ([`scale_shares`]); the other kinds are lowered by [`apply`] after the graph.

use std::ops::Range;

use chokepoint_engine::{
    Class, DemandSwitchSpec, EndUseSpec, IntensityChangeSpec, Mitigations, Node, Param, StageSpec, StockWeeks,
    StockpileSpec, Unit,
};
use toml::Spanned;

use crate::cost::Cost;
use crate::diagnostic::{Diagnostic, did_you_mean, list, number};
use crate::document::Document;
use crate::kind::{MITIGATION_WORDS, MitigationKind};
use crate::lower::context::{DurationKey, Kind, Lower, LoweredLink, allocation, check_name, classes};
use crate::lower::kind_keys::KindKeys;
use crate::raw::{Entity, Field, RawMitigation, RawParam};

/// Which mitigations a variant applies, in order, as indices into the document's mitigations; and, for
/// sizing, a constant initial size for one of them (a stockpile).
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan {
    pub applied: Vec<usize>,
    pub stockpile_size: Option<(usize, f64)>,
}

/// The key name used in messages for the table form of `stages` (new stages).
const NEW_STAGES: &str = "stages.NAME";

/// Keys of a mitigation that only some kinds allow, with the kinds that allow them.
const KIND_KEYS: KindKeys<27> = KindKeys {
    entities: "mitigations",
    spelled: new_stages_spelled,
    keys: [
        ("material", &["stockpile", "thrifting"]),
        ("materials", &["thrifting"]),
        ("serves", &["stockpile"]),
        ("initial_t", &["stockpile"]),
        ("initial_units", &["stockpile"]),
        ("release_to", &["stockpile"]),
        ("max_release_t_per_week", &["stockpile"]),
        ("max_release_units_per_week", &["stockpile"]),
        ("rebuild_t_per_week", &["stockpile"]),
        ("rebuild_units_per_week", &["stockpile"]),
        ("end_use", &["thrifting", "substitution"]),
        ("reduction", &["thrifting"]),
        ("share", &["substitution"]),
        ("lag_weeks", &["thrifting", "substitution"]),
        ("lag_days", &["thrifting", "substitution"]),
        ("lag_months", &["thrifting", "substitution"]),
        ("ramp_weeks", &["thrifting", "substitution"]),
        ("ramp_days", &["thrifting", "substitution"]),
        ("ramp_months", &["thrifting", "substitution"]),
        ("stages", &["allocation", "buffer", "thrifting"]),
        ("end_uses", &["buffer"]),
        ("order", &["allocation"]),
        ("inventory_weeks", &["buffer"]),
        (NEW_STAGES, &["alternate_supply", "recycling"]),
        ("links", &["alternate_supply", "recycling"]),
        ("trigger", &["thrifting", "substitution", "alternate_supply", "recycling"]),
        ("release_while", &["stockpile"]),
    ],
};

/// The table form of `stages` is named `stages` in paths, and described as a table of new stages.
fn new_stages_spelled(key: &'static str) -> Option<(&'static str, &'static str)> {
    (key == NEW_STAGES).then_some(("stages", "`stages` as a table of new stages"))
}

/// The span of each key of [`KIND_KEYS`] that `raw` gives, in the table's order.
fn kind_key_spans(raw: &RawMitigation) -> [Option<Range<usize>>; 27] {
    fn s<T>(f: &Field<T>) -> Option<Range<usize>> {
        f.as_ref().map(Spanned::span)
    }
    [
        s(&raw.material),
        s(&raw.materials),
        s(&raw.serves),
        s(&raw.initial_t),
        s(&raw.initial_units),
        s(&raw.release_to),
        s(&raw.max_release_t_per_week),
        s(&raw.max_release_units_per_week),
        s(&raw.rebuild_t_per_week),
        s(&raw.rebuild_units_per_week),
        s(&raw.end_use),
        s(&raw.reduction),
        s(&raw.share),
        s(&raw.lag_weeks),
        s(&raw.lag_days),
        s(&raw.lag_months),
        s(&raw.ramp_weeks),
        s(&raw.ramp_days),
        s(&raw.ramp_months),
        s(&raw.stages),
        s(&raw.end_uses),
        s(&raw.order),
        s(&raw.inventory_weeks),
        raw.new_stages_span.clone(),
        raw.new_links_span.clone(),
        s(&raw.trigger),
        s(&raw.release_while),
    ]
}

/// The kind of a mitigation, when its `kind` names one.
pub(crate) fn kind_of(raw: &RawMitigation) -> Option<MitigationKind> {
    MitigationKind::from_word(raw.kind.as_ref()?.get_ref())
}

/// The document of a variant: `doc` with the new stages and links of each applied `alternate_supply` and
/// `recycling`, marked with the mitigation that adds them.
pub(crate) fn variant_document(doc: &Document, plan: &Plan) -> Document {
    let mut out = doc.clone();
    for &m in &plan.applied {
        let Some(raw) = doc.mitigations.get(m).and_then(|e| e.raw.as_ref()) else { continue };
        if !matches!(kind_of(raw), Some(MitigationKind::AlternateSupply | MitigationKind::Recycling)) {
            continue;
        }
        out.stages.extend(raw.new_stages.iter().cloned().map(|mut s| {
            s.added_by = Some(m);
            s
        }));
        out.links.extend(raw.new_links.iter().cloned().map(|mut l| {
            l.added_by = Some(m);
            l
        }));
    }
    out
}

/// Scales shares for each applied mitigation in turn: when its links into one customer and material take a total
/// share `s`, the links already there (the file's, and those of mitigations applied before) are scaled by
/// `1 - s`, so that the shares still sum to 1. Links scaled to nothing (`s = 1`) are marked `replaced`.
pub(crate) fn scale_shares(lower: &mut Lower<'_>, links: &mut [LoweredLink], plan: &Plan) {
    let doc = lower.doc;
    for (k, &m) in plan.applied.iter().enumerate() {
        let mut groups: Vec<(Node, usize, f64, usize)> = Vec::new();
        for (i, l) in links.iter().enumerate() {
            let (Some(to), Some(material), true, Some(true)) =
                (l.to, l.material, l.share_ok, l.added_by.map(|a| a == m))
            else {
                continue;
            };
            match groups.iter_mut().find(|g| g.0 == to && g.1 == material) {
                Some(g) => g.2 += l.spec.share,
                None => groups.push((to, material, l.spec.share, i)),
            }
        }
        let earlier = &plan.applied[..k];
        for (to, material, s, first) in groups {
            if s > 1.0 + 1e-6 {
                let name = doc.mitigations.get(m).map_or("?", |e| e.name.as_str());
                let material_name = doc.materials.get(material).map_or("?", |x| x.name.as_str());
                let customer = customer_name(doc, to);
                let l = &links[first];
                lower.push(
                    Diagnostic::error(
                        "shares-do-not-sum-to-one",
                        format!("{}.share", l.path),
                        format!(
                            "the links mitigation `{name}` adds into `{customer}` for `{material_name}` take shares \
                             summing to {}, more than 1",
                            number(s)
                        ),
                    )
                    .at(l.share_span.clone())
                    .help(format!(
                        "lower the shares of the links of `mitigations.{name}` into `{customer}`: they take a share \
                         s of its supply and the existing links are scaled by 1 - s"
                    )),
                );
                // The sum is reported once, here, not again by the graph checks.
                for l in links
                    .iter_mut()
                    .filter(|l| l.added_by == Some(m) && l.to == Some(to) && l.material == Some(material))
                {
                    l.share_ok = false;
                }
                continue;
            }
            let factor = (1.0 - s).max(0.0);
            for l in links.iter_mut() {
                let existing = l.added_by.is_none_or(|a| earlier.contains(&a));
                if existing && l.to == Some(to) && l.material == Some(material) {
                    l.spec.share *= factor;
                    l.replaced = factor <= 1e-9;
                }
            }
        }
    }
}

fn customer_name(doc: &Document, node: Node) -> &str {
    match node {
        Node::Stage(s) => doc.stages.get(s).map_or("?", |x| x.name.as_str()),
        Node::EndUse(u) => doc.end_uses.get(u).map_or("?", |x| x.name.as_str()),
    }
}

/// Lowers the applied mitigations: stockpiles, intensity changes and demand switches for the engine, and the
/// allocation and buffer policies written into `stages` and `end_uses` (in order: a later one wins).
pub(crate) fn apply(
    lower: &mut Lower<'_>,
    plan: &Plan,
    stages: &mut [StageSpec],
    end_uses: &mut [EndUseSpec],
) -> Mitigations {
    let doc = lower.doc;
    let mut out = Mitigations::default();
    for &m in &plan.applied {
        let Some(e) = doc.mitigations.get(m) else { continue };
        let Some(raw) = &e.raw else { continue };
        let who = format!("mitigation `{}`", e.name);
        let path = e.path.as_str();
        let kind = match &raw.kind {
            None => {
                lower.missing(e, &who, "kind", "\"stockpile\"");
                None
            }
            Some(k) => lower.choice(k, &format!("{path}.kind"), MITIGATION_WORDS),
        };
        check_cost(lower, e, raw);
        // `choice` gives back only words of MITIGATION_WORDS, each the word of one kind.
        let Some((word, kind)) = kind.and_then(|w| MitigationKind::from_word(w).map(|k| (w, k))) else { continue };
        KIND_KEYS.check(lower, path, &who, word, kind_key_spans(raw));
        let size = plan.stockpile_size.filter(|(i, _)| *i == m).map(|(_, s)| s);
        match kind {
            MitigationKind::Stockpile => {
                if let Some(s) = stockpile(lower, e, raw, &who, size) {
                    out.stockpiles.push(s);
                }
            }
            MitigationKind::Thrifting => out.intensity_changes.extend(thrifting(lower, e, raw, &who)),
            MitigationKind::Substitution => {
                if let Some(s) = substitution(lower, e, raw, &who) {
                    out.demand_switches.push(s);
                }
            }
            MitigationKind::Allocation => allocation_policy(lower, e, raw, &who, stages),
            MitigationKind::Buffer => buffer(lower, e, raw, &who, stages, end_uses),
            MitigationKind::AlternateSupply | MitigationKind::Recycling => {
                // New capacity built in response to a disruption: its stages' online weeks count from the onset.
                if let Some(d) = disruption_ref(lower, e, &raw.trigger, "trigger", &who) {
                    for new in &raw.new_stages {
                        if let Some(stage) = stages.iter_mut().find(|s| s.name == new.name) {
                            stage.online_trigger = Some(d);
                        }
                    }
                }
                if raw.new_stages.is_empty() && raw.new_links.is_empty() {
                    lower.push(
                        Diagnostic::error("missing-key", format!("{path}.links"), format!("{who} adds no supply"))
                            .at(Some(e.name_span.clone()))
                            .help(format!(
                                "add new stages as `[{path}.stages.NAME]` tables and their links as \
                                 `[[{path}.links]]`"
                            )),
                    );
                }
            }
        }
    }
    out
}

/// `cost`: both amounts finite and not negative.
fn check_cost(lower: &mut Lower<'_>, e: &Entity<RawMitigation>, raw: &RawMitigation) {
    let Some(c) = &raw.cost else { return };
    let c = c.get_ref();
    for (field, name) in [(&c.one_off_usd, "one_off_usd"), (&c.per_year_usd, "per_year_usd")] {
        let Some(v) = field else { continue };
        let x = *v.get_ref();
        if x > crate::lower::context::MAX_MAGNITUDE && x.is_finite() {
            let key = format!("{}.cost.{name}", e.path);
            lower.push(
                Diagnostic::error(
                    "value-too-large",
                    key.as_str(),
                    format!("`{key}` is {}, beyond the largest amount a scenario may give (1e15)", number(x)),
                )
                .at(Some(v.span()))
                .help(format!("set `{key}` to an amount in US dollars of at most 1e15")),
            );
        } else if !(x.is_finite() && x >= 0.0) {
            let key = format!("{}.cost.{name}", e.path);
            lower.push(
                Diagnostic::error(
                    "negative-value",
                    key.as_str(),
                    format!("`{key}` is {}, but a cost cannot be negative", number(x)),
                )
                .at(Some(v.span()))
                .help(format!("set `{key}` to an amount in US dollars, zero or more")),
            );
        }
    }
}

/// The cost of a mitigation as written (both amounts default to 0).
pub(crate) fn cost_of(raw: &RawMitigation) -> Cost {
    let c = raw.cost.as_ref().map(Spanned::get_ref);
    let get = |f: Option<&Field<f64>>| f.and_then(|f| f.as_ref()).map_or(0.0, |v| *v.get_ref());
    Cost { one_off_usd: get(c.map(|c| &c.one_off_usd)), per_year_usd: get(c.map(|c| &c.per_year_usd)) }
}

/// An optional reference to a disruption (`trigger`, `release_while`), resolved to its index.
fn disruption_ref(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    field: &Field<String>,
    key: &str,
    who: &str,
) -> Option<usize> {
    let name = field.as_ref()?;
    match lower.resolve(Kind::Disruption, name, &format!("{}.{key}", e.path), who, false)? {
        Node::Stage(i) | Node::EndUse(i) => Some(i),
    }
}

/// A required name of `kind`, resolved.
fn required_name(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    field: &Field<String>,
    key: &str,
    kind: Kind,
    who: &str,
    example: &str,
) -> Option<(usize, Range<usize>)> {
    let Some(name) = field else {
        lower.missing(e, who, key, example);
        return None;
    };
    let span = name.span();
    match lower.resolve(kind, name, &format!("{}.{key}", e.path), who, false)? {
        Node::Stage(i) | Node::EndUse(i) => Some((i, span)),
    }
}

/// A list of names of `kind` (stages, end uses or both), resolved; an empty list is reported.
fn name_list(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    field: &Spanned<Vec<Spanned<String>>>,
    key: &str,
    kind: Kind,
    who: &str,
) -> Vec<(Node, Range<usize>)> {
    let path = &e.path;
    if field.get_ref().is_empty() {
        lower.push(
            Diagnostic::error("invalid-value", format!("{path}.{key}"), format!("`{path}.{key}` is empty"))
                .at(Some(field.span()))
                .help(format!("list at least one name in `{path}.{key}`")),
        );
    }
    field
        .get_ref()
        .iter()
        .enumerate()
        .filter_map(|(i, n)| lower.resolve(kind, n, &format!("{path}.{key}[{i}]"), who, false).map(|x| (x, n.span())))
        .collect()
}

/// A quantity of a material in the key that names its unit: `{stem}_t{suffix}` or `{stem}_units{suffix}`.
/// `default`: the value when neither is given (`None`: required).
#[expect(clippy::too_many_arguments, reason = "one call per quantity key; a struct would only rename them")]
fn quantity(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    who: &str,
    material: Option<(usize, Unit)>,
    forms: (&Field<RawParam>, &Field<RawParam>),
    stem: &str,
    what: &str,
    default: Option<f64>,
) -> Param {
    let path = e.path.as_str();
    let (suffix, stem) = stem.split_once('*').map_or(("", stem), |(a, b)| (b, a));
    let (tk, uk) = (format!("{stem}_t{suffix}"), format!("{stem}_units{suffix}"));
    let given = match forms {
        (Some(t), Some(u)) => {
            let (second, span) = if u.span().start > t.span().start { (&uk, u.span()) } else { (&tk, t.span()) };
            lower.push(
                Diagnostic::error(
                    "conflicting-keys",
                    format!("{path}.{second}"),
                    format!("{who} gives its {what} twice, as `{tk}` and `{uk}`"),
                )
                .at(Some(span))
                .help(format!("keep only the key that matches the unit of the material: `{tk}` or `{uk}`")),
            );
            Some((Unit::Tonne, &tk, t))
        }
        (Some(t), None) => Some((Unit::Tonne, &tk, t)),
        (None, Some(u)) => Some((Unit::Item, &uk, u)),
        (None, None) => None,
    };
    let right = |u: Unit| if u == Unit::Item { &uk } else { &tk };
    let Some((key_unit, key, raw)) = given else {
        if let Some(d) = default {
            return Param::fixed(d);
        }
        if !e.broken(&tk) && !e.broken(&uk) {
            let key = right(material.map_or(Unit::Tonne, |(_, u)| u));
            lower.missing(e, who, key, "10");
        }
        return Param::ZERO;
    };
    if let Some((m, u)) = material
        && u != key_unit
    {
        let name = lower.doc.materials.get(m).map_or("?", |x| x.name.as_str());
        let words = |u: Unit| if u == Unit::Item { "units" } else { "tonnes" };
        lower.push(
            Diagnostic::error(
                "unit-mismatch",
                format!("{path}.{key}"),
                format!("`{key}` counts {}, but `{name}` is counted in {}", words(key_unit), words(u)),
            )
            .at(Some(raw.span()))
            .help(format!("rename `{path}.{key}` to `{}`", right(u))),
        );
    }
    let full = format!("{path}.{key}");
    let p = lower.param(raw, &full).unwrap_or(Param::ZERO);
    lower.at_least(&p, raw.span(), &full, &crate::diagnostic::a(what));
    p
}

/// Whether `node` uses material `m`, reporting it at `span` when it does not.
fn check_uses(lower: &mut Lower<'_>, node: Node, m: usize, span: Range<usize>, key: &str, who: &str) -> bool {
    let doc = lower.doc;
    let (uses, table) = match node {
        Node::Stage(s) => (lower.stage_inputs.get(s).is_some_and(|i| i.iter().any(|(x, _)| *x == m)), "inputs"),
        Node::EndUse(u) => (lower.end_use_inputs.get(u).is_some_and(|i| i.iter().any(|(x, _)| *x == m)), "intensity"),
    };
    if !uses {
        let material = doc.materials.get(m).map_or("?", |x| x.name.as_str());
        let customer = customer_name(doc, node);
        let section = if matches!(node, Node::Stage(_)) { "stages" } else { "end_uses" };
        lower.push(
            Diagnostic::error(
                "customer-does-not-use",
                key,
                format!("{who} names `{customer}`, which does not use `{material}`"),
            )
            .at(Some(span))
            .help(format!("change `{key}`, or add `{material}` to `{section}.{customer}.{table}`")),
        );
    }
    uses
}

fn stockpile(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    raw: &RawMitigation,
    who: &str,
    size: Option<f64>,
) -> Option<StockpileSpec> {
    let path = e.path.as_str();
    let material = required_name(lower, e, &raw.material, "material", Kind::Material, who, "\"dy_oxide\"");
    let unit = material.as_ref().and_then(|(m, _)| lower.material_units.get(*m).copied().flatten().map(|u| (*m, u)));
    let serves = match &raw.serves {
        None => {
            lower.missing(e, who, "serves", "[\"us_magnet_makers\"]");
            Vec::new()
        }
        Some(list) => name_list(lower, e, list, "serves", Kind::Customer, who),
    };
    if let Some((m, _)) = material {
        for (i, (node, span)) in serves.iter().enumerate() {
            check_uses(lower, *node, m, span.clone(), &format!("{path}.serves[{i}]"), who);
        }
    }
    let mut initial =
        quantity(lower, e, who, unit, (&raw.initial_t, &raw.initial_units), "initial", "stockpile size", None);
    if let Some(size) = size {
        initial = Param::fixed(size);
    }
    let max_release = quantity(
        lower,
        e,
        who,
        unit,
        (&raw.max_release_t_per_week, &raw.max_release_units_per_week),
        "max_release*_per_week",
        "release rate",
        None,
    );
    let rebuild = quantity(
        lower,
        e,
        who,
        unit,
        (&raw.rebuild_t_per_week, &raw.rebuild_units_per_week),
        "rebuild*_per_week",
        "rebuild rate",
        Some(0.0),
    );
    let release_classes = match &raw.release_to {
        None => Class::ALL.to_vec(),
        Some(list) => nonempty_classes(lower, list, &format!("{path}.release_to")),
    };
    Some(StockpileSpec {
        name: e.name.clone(),
        material: material?.0,
        serves: serves.into_iter().map(|(n, _)| n).collect(),
        initial,
        release_classes,
        max_release_per_week: max_release,
        rebuild_per_week: rebuild,
        release_while: disruption_ref(lower, e, &raw.release_while, "release_while", who),
    })
}

/// A list of priority classes, each once, not empty.
fn nonempty_classes(lower: &mut Lower<'_>, list: &Spanned<Vec<Spanned<String>>>, key: &str) -> Vec<Class> {
    if list.get_ref().is_empty() {
        lower.push(
            Diagnostic::error("invalid-value", key, format!("`{key}` is empty"))
                .at(Some(list.span()))
                .help(format!("list at least one of `defense`, `essential` and `other` in `{key}`, or remove it")),
        );
    }
    classes(lower, list.get_ref(), key)
}

/// The lag and ramp of a thrifting or substitution, in weeks (both default to 0).
fn lag_and_ramp(lower: &mut Lower<'_>, path: &str, raw: &RawMitigation) -> (Param, Param) {
    let lag = DurationKey {
        what: "lag",
        forms: [("lag_weeks", &raw.lag_weeks), ("lag_days", &raw.lag_days), ("lag_months", &raw.lag_months)],
    };
    let ramp = DurationKey {
        what: "ramp",
        forms: [("ramp_weeks", &raw.ramp_weeks), ("ramp_days", &raw.ramp_days), ("ramp_months", &raw.ramp_months)],
    };
    let lag = lower.duration(path, &lag).map_or(Param::ZERO, |(p, _, _)| p);
    let ramp = lower.duration(path, &ramp).map_or(Param::ZERO, |(p, _, _)| p);
    (lag, ramp)
}

/// A required fraction in [0, 1].
fn fraction(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    field: &Field<RawParam>,
    key: &str,
    who: &str,
    what: &str,
) -> Param {
    let Some(raw) = field else {
        lower.missing(e, who, key, "{ uniform = { min = 0.3, max = 0.6 } }");
        return Param::ZERO;
    };
    let full = format!("{}.{key}", e.path);
    let p = lower.param(raw, &full).unwrap_or(Param::ZERO);
    lower.unit_interval("invalid-value", &p, raw.span(), &full, what);
    p
}

/// Reports that `path` gives both `one` and `other` (at `other`'s span), of which it may give only one.
fn conflicting(lower: &mut Lower<'_>, path: &str, one: &str, other: &str, span: Range<usize>) {
    lower.push(
        Diagnostic::error(
            "conflicting-keys",
            format!("{path}.{other}"),
            format!("`{path}` gives both `{one}` and `{other}`"),
        )
        .at(Some(span))
        .help(format!("keep one of `{path}.{one}` and `{path}.{other}`")),
    );
}

fn thrifting(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    raw: &RawMitigation,
    who: &str,
) -> Vec<IntensityChangeSpec> {
    let path = e.path.as_str();
    // Where: one end use, or a list of stages (e.g. the magnet makers' Dy and Tb per tonne of magnet).
    let nodes: Vec<(Node, Range<usize>)> = match (&raw.end_use, &raw.stages) {
        (Some(_), Some(list)) => {
            conflicting(lower, path, "end_use", "stages", list.span());
            Vec::new()
        }
        (None, Some(list)) => name_list(lower, e, list, "stages", Kind::Stage, who),
        _ => required_name(lower, e, &raw.end_use, "end_use", Kind::EndUse, who, "\"ev_traction_motors\"")
            .map(|(u, span)| vec![(Node::EndUse(u), span)])
            .unwrap_or_default(),
    };
    // What: one material, or a list.
    let materials: Vec<(usize, Range<usize>)> = match (&raw.material, &raw.materials) {
        (Some(_), Some(list)) => {
            conflicting(lower, path, "material", "materials", list.span());
            Vec::new()
        }
        (None, Some(list)) => list
            .get_ref()
            .iter()
            .enumerate()
            .filter_map(|(k, name)| {
                let key = format!("{path}.materials[{k}]");
                lower.resolve(Kind::Material, name, &key, who, false).map(|n| match n {
                    Node::Stage(i) | Node::EndUse(i) => (i, name.span()),
                })
            })
            .collect(),
        _ => required_name(lower, e, &raw.material, "material", Kind::Material, who, "\"ht_magnet\"")
            .into_iter()
            .collect(),
    };
    let material_key = if raw.materials.is_some() { "materials" } else { "material" };
    for (node, _) in &nodes {
        for (m, span) in &materials {
            check_uses(lower, *node, *m, span.clone(), &format!("{path}.{material_key}"), who);
        }
    }
    let reduction =
        fraction(lower, e, &raw.reduction, "reduction", who, "a reduction (the fraction of the intensity removed)");
    let (start_week, ramp_weeks) = lag_and_ramp(lower, path, raw);
    let trigger = disruption_ref(lower, e, &raw.trigger, "trigger", who);
    let mut out = Vec::new();
    for (node, _) in &nodes {
        for (m, _) in &materials {
            out.push(IntensityChangeSpec {
                name: e.name.clone(),
                node: *node,
                material: *m,
                reduction: reduction.clone(),
                start_week: start_week.clone(),
                ramp_weeks: ramp_weeks.clone(),
                trigger,
            });
        }
    }
    out
}

fn substitution(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    raw: &RawMitigation,
    who: &str,
) -> Option<DemandSwitchSpec> {
    let path = e.path.as_str();
    let end_use = required_name(lower, e, &raw.end_use, "end_use", Kind::EndUse, who, "\"ev_traction_motors\"");
    let share = fraction(lower, e, &raw.share, "share", who, "a share of demand");
    let (start_week, ramp_weeks) = lag_and_ramp(lower, path, raw);
    let trigger = disruption_ref(lower, e, &raw.trigger, "trigger", who);
    Some(DemandSwitchSpec { name: e.name.clone(), end_use: end_use?.0, share, start_week, ramp_weeks, trigger })
}

fn allocation_policy(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    raw: &RawMitigation,
    who: &str,
    stages: &mut [StageSpec],
) {
    let targets = match &raw.stages {
        None => {
            lower.missing(e, who, "stages", "[\"us_magnet_makers\"]");
            Vec::new()
        }
        Some(list) => name_list(lower, e, list, "stages", Kind::Stage, who),
    };
    let Some(order) = &raw.order else {
        lower.missing(e, who, "order", "[\"defense\", \"essential\", \"other\"]");
        return;
    };
    let policy = allocation(lower, order, &format!("{}.order", e.path));
    for (node, _) in targets {
        if let Node::Stage(s) = node
            && let Some(stage) = stages.get_mut(s)
        {
            stage.allocation = policy.clone();
        }
    }
}

fn buffer(
    lower: &mut Lower<'_>,
    e: &Entity<RawMitigation>,
    raw: &RawMitigation,
    who: &str,
    stages: &mut [StageSpec],
    end_uses: &mut [EndUseSpec],
) {
    let path = e.path.as_str();
    if raw.stages.is_none() && raw.end_uses.is_none() && !e.broken("stages") && !e.broken("end_uses") {
        lower.push(
            Diagnostic::error("missing-key", format!("{path}.stages"), format!("{who} names no stage or end use"))
                .at(Some(e.name_span.clone()))
                .help(format!("add `stages = [...]` or `end_uses = [...]` to [{path}]")),
        );
    }
    let mut targets = Vec::new();
    if let Some(list) = &raw.stages {
        targets.extend(name_list(lower, e, list, "stages", Kind::Stage, who));
    }
    if let Some(list) = &raw.end_uses {
        targets.extend(name_list(lower, e, list, "end_uses", Kind::EndUse, who));
    }
    let stock: StockWeeks = match &raw.inventory_weeks {
        None => {
            lower.missing(e, who, "inventory_weeks", "{ initial = 8, target = 8 }");
            return;
        }
        Some(_) => lower.stock(&raw.inventory_weeks, &format!("{path}.inventory_weeks")),
    };
    for (node, _) in targets {
        match node {
            Node::Stage(s) => {
                if let Some(stage) = stages.get_mut(s) {
                    if stage.inputs.is_empty() {
                        stage.output_stock = stock.clone();
                    } else {
                        stage.input_stock = stock.clone();
                    }
                }
            }
            Node::EndUse(u) => {
                if let Some(end_use) = end_uses.get_mut(u) {
                    end_use.stock = stock.clone();
                }
            }
        }
    }
}

/// Checks mitigation and package names, and each package's list. Returns each package's members as indices
/// into the document's mitigations, or `None` where the list has a problem (already reported).
pub(crate) fn check_catalog(doc: &Document, diags: &mut Vec<Diagnostic>) -> Vec<Option<Vec<usize>>> {
    let names = doc
        .mitigations
        .iter()
        .map(|e| (&e.name, &e.name_span, "mitigations"))
        .chain(doc.packages.iter().map(|e| (&e.name, &e.name_span, "packages")));
    for (name, span, section) in names {
        if let Some(d) = check_name(section, name, span) {
            diags.push(d);
        }
    }
    let mitigation_names: Vec<&str> = doc.mitigations.iter().map(|e| e.name.as_str()).collect();
    let mut out = Vec::new();
    for p in &doc.packages {
        if mitigation_names.contains(&p.name.as_str()) {
            diags.push(
                Diagnostic::error(
                    "duplicate-name",
                    format!("packages.{}", p.name),
                    format!("`{}` names both a mitigation and a package", p.name),
                )
                .at(Some(p.name_span.clone()))
                .help(format!("rename `packages.{}`: variants are requested by name", p.name)),
            );
        }
        let who = format!("package `{}`", p.name);
        let Some(raw) = &p.raw else {
            out.push(None);
            continue;
        };
        let Some(listed) = &raw.mitigations else {
            if !p.broken("mitigations") {
                diags.push(
                    Diagnostic::error(
                        "missing-key",
                        format!("{}.mitigations", p.path),
                        format!("{who} has no `mitigations`"),
                    )
                    .at(Some(p.name_span.clone()))
                    .help(format!("add `mitigations = [\"a\", \"b\"]` to [{}]", p.path)),
                );
            }
            out.push(None);
            continue;
        };
        let key = format!("{}.mitigations", p.path);
        let mut ok = true;
        if listed.get_ref().is_empty() {
            ok = false;
            diags.push(
                Diagnostic::error("invalid-value", key.as_str(), format!("`{key}` is empty"))
                    .at(Some(listed.span()))
                    .help(format!("list at least one mitigation in `{key}`")),
            );
        }
        let mut members = Vec::new();
        for (i, name) in listed.get_ref().iter().enumerate() {
            let n = name.get_ref().as_str();
            let item_key = format!("{key}[{i}]");
            match doc.mitigations.iter().position(|m| m.name == n) {
                Some(m) if members.contains(&m) => {
                    ok = false;
                    diags.push(
                        Diagnostic::error("invalid-value", item_key.as_str(), format!("{who} lists `{n}` twice"))
                            .at(Some(name.span()))
                            .help(format!("remove `{item_key}`")),
                    );
                }
                Some(m) => members.push(m),
                None => {
                    ok = false;
                    let is_package = doc.packages.iter().any(|x| x.name == n);
                    let message = if is_package {
                        format!("{who} lists package `{n}`, but a package lists mitigations only")
                    } else {
                        format!("{who} lists mitigation `{n}`, which is not defined")
                    };
                    let help = match did_you_mean(n, mitigation_names.iter().copied()) {
                        Some(s) if !is_package => format!("set `{item_key}` to a mitigation (did you mean `{s}`?)"),
                        _ if is_package => format!("list the mitigations of `packages.{n}` instead of `{n}`"),
                        _ if mitigation_names.is_empty() => format!("define `{n}` under [mitigations]"),
                        _ => format!("set `{item_key}` to one of {}", list(&mitigation_names)),
                    };
                    diags.push(
                        Diagnostic::error("unknown-mitigation", item_key.as_str(), message)
                            .at(Some(name.span()))
                            .help(help),
                    );
                }
            }
        }
        out.push(ok.then_some(members));
    }
    out
}

#[cfg(test)]
mod tests {
    use chokepoint_engine::{Allocation, Class, ModelSpec, Node, Param, StockWeeks};

    use crate::lower::tests::BASE;
    use crate::{Scenario, VariantError};

    fn scenario(extra: &str) -> Scenario {
        // The end use of `BASE`, made essential.
        match crate::parse("t.toml", &format!("{BASE}priority = \"essential\"\n\n{extra}")) {
            Ok(s) => s,
            Err(d) => panic!("{}", d.render()),
        }
    }

    fn variant(s: &Scenario, names: &[&str]) -> ModelSpec {
        s.variant(names).unwrap_or_else(|e| panic!("{e}")).spec().clone()
    }

    #[test]
    fn the_baseline_applies_no_mitigation() {
        let s =
            scenario("[mitigations.m]\nkind = \"buffer\"\nstages = [\"magnets\"]\ninventory_weeks = { initial = 9 }\n");
        assert_eq!(s.model.spec().mitigations, chokepoint_engine::Mitigations::default());
        assert_eq!(s.model.spec().stages[1].input_stock, StockWeeks::none());
        assert_eq!(variant(&s, &[]), *s.model.spec());
    }

    #[test]
    fn a_stockpile_lowers_with_its_defaults_and_its_unit() {
        let s = scenario(
            r#"
[mitigations.ore_reserve]
kind = "stockpile"
material = "ore"
serves = ["magnets"]
initial_t = { uniform = { min = 10, max = 20 } }
max_release_t_per_week = 3
cost = { one_off_usd = 1e6, per_year_usd = 2e4 }

[mitigations.motor_reserve]
kind = "stockpile"
material = "motor"
serves = ["cars"]
initial_units = 500
release_to = ["essential", "defense"]
max_release_units_per_week = 50
rebuild_units_per_week = 5
"#,
        );
        let m = variant(&s, &["ore_reserve", "motor_reserve"]).mitigations;
        let ore = &m.stockpiles[0];
        assert_eq!((ore.material, ore.serves.as_slice()), (0, &[Node::Stage(1)][..]));
        assert_eq!(ore.initial, Param::uniform(10.0, 20.0).unwrap());
        assert_eq!(ore.release_classes, Class::ALL.to_vec());
        assert_eq!((ore.max_release_per_week.clone(), ore.rebuild_per_week.clone()), (Param::fixed(3.0), Param::ZERO));
        let motor = &m.stockpiles[1];
        assert_eq!((motor.material, motor.serves.as_slice()), (2, &[Node::EndUse(0)][..]));
        assert_eq!(motor.release_classes, [Class::Essential, Class::Defense]);
        assert_eq!(motor.rebuild_per_week, Param::fixed(5.0));
        assert_eq!(s.mitigations[0].cost.total_usd(3.0), 1.06e6);
        let sized = s.with_stockpile_size("motor_reserve", 80.0).expect("valid");
        assert_eq!(sized.spec().mitigations.stockpiles[0].initial, Param::fixed(80.0));
        assert_eq!(sized.spec().mitigations.stockpiles.len(), 1);
    }

    #[test]
    fn new_supply_scales_the_links_it_joins() {
        let s = scenario(
            r#"
[mitigations.second_mine]
kind = "alternate_supply"

[mitigations.second_mine.stages.au_mine]
region = "AU"
capacity_t_per_year = 400
online_months = 12
ramp_weeks = { uniform = { min = 10, max = 20 } }
outputs = { ore = 1 }

[[mitigations.second_mine.links]]
from = "au_mine"
to = "magnets"
material = "ore"
share = 0.25
lead_time_weeks = 6

[mitigations.recycled]
kind = "recycling"

[mitigations.recycled.stages.scrap]
region = "JP"
capacity_t_per_year = 50
capacity_growth_per_year = 0.3
outputs = { ore = 1 }

[[mitigations.recycled.links]]
from = "scrap"
to = "magnets"
material = "ore"
share = 0.2
"#,
        );
        assert_eq!(s.mitigations[1].kind, crate::kind::MitigationKind::Recycling);
        let spec = variant(&s, &["second_mine", "recycled"]);
        let names: Vec<&str> = spec.stages.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["mine", "magnets", "motors", "au_mine", "scrap"]);
        assert_eq!(spec.stages[3].online_week, Some(Param::fixed(52.0)));
        let share = |from: usize| spec.links.iter().find(|l| l.from == from).map(|l| l.share).expect("a link");
        // Applied in order: the mine's 1 becomes 0.75, then 0.75 x 0.8 = 0.6; the second mine's 0.25 x 0.8.
        assert!((share(0) - 0.6).abs() < 1e-12);
        assert!((share(3) - 0.2).abs() < 1e-12);
        assert!((share(4) - 0.2).abs() < 1e-12);

        // A new supplier that takes the whole share replaces the existing link.
        let s = scenario(
            r#"
[mitigations.swap]
kind = "alternate_supply"

[mitigations.swap.stages.au_mine]
region = "AU"
capacity_t_per_year = 1000
outputs = { ore = 1 }

[[mitigations.swap.links]]
from = "au_mine"
to = "magnets"
material = "ore"
share = 1
"#,
        );
        let spec = variant(&s, &["swap"]);
        assert!(spec.links.iter().all(|l| l.from != 0), "the mine's link is gone");
        assert_eq!(spec.links.len(), 3);
    }

    #[test]
    fn thrifting_and_substitution_convert_their_durations() {
        let s = scenario(
            r#"
[mitigations.lighter]
kind = "thrifting"
end_use = "cars"
material = "motor"
reduction = { pert = { min = 0.3, mode = 0.4, max = 0.6 } }
lag_months = 12
ramp_days = 70

[mitigations.switch]
kind = "substitution"
end_use = "cars"
share = 0.25
lag_weeks = 20
"#,
        );
        let m = variant(&s, &["lighter", "switch"]).mitigations;
        let t = &m.intensity_changes[0];
        assert_eq!((t.node, t.material), (Node::EndUse(0), 2));
        assert_eq!(t.reduction, Param::pert(0.3, 0.4, 0.6).unwrap());
        assert_eq!((t.start_week.clone(), t.ramp_weeks.clone()), (Param::fixed(52.0), Param::fixed(10.0)));
        let d = &m.demand_switches[0];
        assert_eq!((d.end_use, d.share.clone()), (0, Param::fixed(0.25)));
        assert_eq!((d.start_week.clone(), d.ramp_weeks.clone()), (Param::fixed(20.0), Param::ZERO));
    }

    #[test]
    fn policies_set_allocation_and_stocks_and_the_later_one_wins() {
        let s = scenario(
            r#"
[mitigations.fair]
kind = "allocation"
stages = ["magnets", "motors"]
order = "pro_rata"

[mitigations.civil_first]
kind = "allocation"
stages = ["magnets"]
order = ["essential"]

[mitigations.stock]
kind = "buffer"
stages = ["mine", "magnets"]
end_uses = ["cars"]
inventory_weeks = { initial = 6, target = 8 }

[packages.both]
mitigations = ["fair", "civil_first"]
"#,
        );
        let spec = variant(&s, &["both"]);
        let order = Allocation::Priority(vec![Class::Essential, Class::Defense, Class::Other]);
        assert_eq!(spec.stages[1].allocation, order);
        assert_eq!(spec.stages[2].allocation, Allocation::ProRata);
        let spec = variant(&s, &["civil_first", "fair"]);
        assert_eq!(spec.stages[1].allocation, Allocation::ProRata);

        let spec = variant(&s, &["stock"]);
        let stock = StockWeeks { initial: Param::fixed(6.0), target: Param::fixed(8.0) };
        assert_eq!(spec.stages[0].output_stock, stock, "a stage without inputs holds output stock");
        assert_eq!(spec.stages[0].input_stock, StockWeeks::none());
        assert_eq!(spec.stages[1].input_stock, stock);
        assert_eq!(spec.end_uses[0].stock, stock);
    }

    #[test]
    fn a_broken_mitigation_is_reported_at_load_time() {
        let source = format!(
            "{BASE}\n[mitigations.bad]\nkind = \"thrifting\"\nend_use = \"cars\"\nmaterial = \"ore\"\nreduction = 0.5\n"
        );
        let Err(d) = crate::parse("t.toml", &source) else { panic!("refused") };
        let codes: Vec<&str> = d.items.iter().map(|i| i.code).collect();
        assert_eq!(codes, ["customer-does-not-use"]);
        assert_eq!(d.items[0].key, "mitigations.bad.material");
    }

    #[test]
    fn an_overlay_adds_mitigations_to_a_loaded_scenario() {
        let mut s = scenario("");
        let overlay = "[scenario]\nbase = \"t.toml\"\n\n[mitigations.stock]\nkind = \"buffer\"\nend_uses = [\"cars\"]\n\
                       inventory_weeks = { initial = 4 }\n\n[packages.all]\nmitigations = [\"stock\"]\n";
        assert_eq!(s.add_overlay("o.toml", overlay).expect("valid"), ["stock", "all"]);
        assert_eq!(variant(&s, &["all"]).end_uses[0].stock.initial, Param::fixed(4.0));

        let bad = "[stages.extra]\nregion = \"US\"\n\n[mitigations.x]\nkind = \"buffer\"\nend_uses = [\"truck\"]\n\
                   inventory_weeks = { initial = 4 }\n";
        let Err(d) = s.add_overlay("bad.toml", bad) else { panic!("refused") };
        let codes: Vec<&str> = d.items.iter().map(|i| i.code).collect();
        assert_eq!(codes, ["not-allowed-in-overlay", "unknown-end-use"]);
        assert!(d.render().contains("--> bad.toml:1:9"), "{}", d.render());
        assert_eq!(s.mitigations.len(), 1, "a refused overlay changes nothing");
        assert!(matches!(s.variant(&["x"]), Err(VariantError::Unknown { .. })));
    }
}
