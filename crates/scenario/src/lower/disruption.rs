//! Lowering `[disruptions.NAME]`: which keys each kind allows, its scope, its timing, and cycles of `follows`.

use std::ops::Range;

use chokepoint_engine::float_math::exp;
use chokepoint_engine::{
    Destinations, DisruptionKind, DisruptionSpec, FlowScope, ModelSpec, Node, Param, ParamShape, Timing,
};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, list};
use crate::kind::DISRUPTION_WORDS;
use crate::lower::context::{DurationKey, Kind, Lower, table_ref};
use crate::lower::kind_keys::{KindKeys, as_listed};
use crate::raw::{Entity, RawDisruption, RawWordOrList};

/// Keys of a disruption that only some kinds allow, with the kinds that allow them.
const KIND_KEYS: KindKeys<14> = KindKeys {
    entities: "disruptions",
    spelled: as_listed,
    keys: [
        ("materials", &["export_licensing", "embargo"]),
        ("from_region", &["export_licensing", "embargo"]),
        ("to_regions", &["export_licensing", "embargo"]),
        ("to", &["export_licensing", "embargo"]),
        ("review_weeks", &["export_licensing"]),
        ("review_days", &["export_licensing"]),
        ("review_months", &["export_licensing"]),
        ("denial_probability", &["export_licensing"]),
        ("grace_weeks", &["export_licensing"]),
        ("severity", &["embargo", "outage"]),
        ("stages", &["outage"]),
        ("end_uses", &["demand_shock"]),
        ("multiplier", &["demand_shock"]),
        ("two_state", &["outage"]),
    ],
};

/// The span of each key of [`KIND_KEYS`] that `raw` gives, in the table's order.
fn kind_key_spans(raw: &RawDisruption) -> [Option<Range<usize>>; 14] {
    [
        raw.materials.as_ref().map(Spanned::span),
        raw.from_region.as_ref().map(Spanned::span),
        raw.to_regions.as_ref().map(Spanned::span),
        raw.to.as_ref().map(Spanned::span),
        raw.review_weeks.as_ref().map(Spanned::span),
        raw.review_days.as_ref().map(Spanned::span),
        raw.review_months.as_ref().map(Spanned::span),
        raw.denial_probability.as_ref().map(Spanned::span),
        raw.grace_weeks.as_ref().map(Spanned::span),
        raw.severity.as_ref().map(Spanned::span),
        raw.stages.as_ref().map(Spanned::span),
        raw.end_uses.as_ref().map(Spanned::span),
        raw.multiplier.as_ref().map(Spanned::span),
        raw.two_state.as_ref().map(Spanned::span),
    ]
}

pub(crate) fn disruptions(lower: &mut Lower<'_>) -> Vec<DisruptionSpec> {
    let doc = lower.doc;
    let mut out = Vec::new();
    let mut parents: Vec<Option<(usize, Range<usize>)>> = Vec::new();
    for e in &doc.disruptions {
        let Some(raw) = &e.raw else {
            parents.push(None);
            continue;
        };
        let (spec, parent) = disruption(lower, e, raw);
        parents.push(parent);
        out.push(spec);
    }
    follows_cycles(lower, &parents);
    out
}

fn disruption(
    lower: &mut Lower<'_>,
    e: &Entity<RawDisruption>,
    raw: &RawDisruption,
) -> (DisruptionSpec, Option<(usize, Range<usize>)>) {
    let who = format!("disruption `{}`", e.name);
    let path = e.path.as_str();
    let kind = match &raw.kind {
        None => {
            lower.missing(e, &who, "kind", "\"outage\"");
            None
        }
        Some(k) => lower.choice(k, &format!("{path}.kind"), DISRUPTION_WORDS),
    };
    if let Some(kind) = kind {
        KIND_KEYS.check(lower, path, &who, kind, kind_key_spans(raw));
    }
    let kind = match kind {
        Some("export_licensing") => {
            let scope = scope(lower, e, raw, &who);
            let review = DurationKey {
                what: "review time",
                forms: [
                    ("review_weeks", &raw.review_weeks),
                    ("review_days", &raw.review_days),
                    ("review_months", &raw.review_months),
                ],
            };
            let review_weeks = match lower.duration(path, &review) {
                Some((p, _, _)) => p,
                None => {
                    if raw.review_weeks.is_none() && raw.review_days.is_none() && raw.review_months.is_none() {
                        lower.missing(e, &who, "review_weeks", "{ lognormal = { median = 9, p90 = 20 } }");
                    }
                    Param::ZERO
                }
            };
            let denial = match &raw.denial_probability {
                None => [Param::ZERO, Param::ZERO, Param::ZERO],
                Some(d) => {
                    let d = d.get_ref();
                    let mut class = |field: &Option<Spanned<crate::raw::RawParam>>, name: &str| {
                        let key = format!("{path}.denial_probability.{name}");
                        let p = lower.param_or(field, &key, 0.0);
                        if let Some(f) = field {
                            lower.unit_interval("probability-out-of-range", &p, f.span(), &key, "a probability");
                        }
                        p
                    };
                    [class(&d.defense, "defense"), class(&d.essential, "essential"), class(&d.other, "other")]
                }
            };
            let key = format!("{path}.grace_weeks");
            let grace_weeks = lower.non_negative_or(&raw.grace_weeks, &key, "a grace period", 0.0);
            DisruptionKind::ExportLicensing { scope, review_weeks, denial, grace_weeks }
        }
        Some("embargo") => {
            let scope = scope(lower, e, raw, &who);
            let severity = severity(lower, raw, path);
            DisruptionKind::Embargo { scope, severity }
        }
        Some("outage") => {
            let stages = names(lower, e, &raw.stages, "stages", Kind::Stage, &who);
            let stages = stages.into_iter().filter_map(|n| if let Node::Stage(s) = n { Some(s) } else { None });
            DisruptionKind::Outage { stages: stages.collect(), severity: severity(lower, raw, path) }
        }
        Some(_) => {
            let end_uses = names(lower, e, &raw.end_uses, "end_uses", Kind::EndUse, &who);
            let end_uses = end_uses.into_iter().filter_map(|n| if let Node::EndUse(u) = n { Some(u) } else { None });
            let key = format!("{path}.multiplier");
            let multiplier = match &raw.multiplier {
                None => {
                    lower.missing(e, &who, "multiplier", "1.5");
                    Param::ONE
                }
                Some(m) => {
                    let p = lower.param(m, &key).unwrap_or(Param::ONE);
                    lower.at_least(&p, m.span(), &key, "a demand multiplier");
                    p
                }
            };
            DisruptionKind::DemandShock { end_uses: end_uses.collect(), multiplier }
        }
        None => DisruptionKind::DemandShock { end_uses: Vec::new(), multiplier: Param::ONE },
    };
    let (timing, parent) = timing(lower, e, raw, &who);
    (DisruptionSpec { name: e.name.clone(), kind, timing }, parent)
}

/// `severity`: a fraction in [0, 1], 1 by default.
fn severity(lower: &mut Lower<'_>, raw: &RawDisruption, path: &str) -> Param {
    let key = format!("{path}.severity");
    let p = lower.param_or(&raw.severity, &key, 1.0);
    if let Some(s) = &raw.severity {
        lower.unit_interval("invalid-value", &p, s.span(), &key, "a severity (the fraction cut)");
    }
    p
}

/// A required, non-empty array of names of `kind`.
fn names(
    lower: &mut Lower<'_>,
    e: &Entity<RawDisruption>,
    raw: &Option<Spanned<Vec<Spanned<String>>>>,
    key: &str,
    kind: Kind,
    who: &str,
) -> Vec<Node> {
    let path = &e.path;
    let Some(list) = raw else {
        lower.missing(e, who, key, "[\"name\"]");
        return Vec::new();
    };
    if list.get_ref().is_empty() {
        lower.push(
            Diagnostic::error("invalid-value", format!("{path}.{key}"), format!("`{path}.{key}` is empty"))
                .at(Some(list.span()))
                .help(format!("list at least one name in `{path}.{key}`")),
        );
    }
    list.get_ref()
        .iter()
        .enumerate()
        .filter_map(|(i, n)| lower.resolve(kind, n, &format!("{path}.{key}[{i}]"), who, false))
        .collect()
}

/// The flows an export control or embargo covers.
fn scope(lower: &mut Lower<'_>, e: &Entity<RawDisruption>, raw: &RawDisruption, who: &str) -> FlowScope {
    let path = &e.path;
    let materials = match &raw.materials {
        None => {
            lower.missing(e, who, "materials", "[\"dy_oxide\"]");
            Vec::new()
        }
        Some(list) => {
            if list.get_ref().is_empty() {
                lower.push(
                    Diagnostic::error(
                        "invalid-value",
                        format!("{path}.materials"),
                        format!("`{path}.materials` is empty"),
                    )
                    .at(Some(list.span()))
                    .help(format!("list at least one material in `{path}.materials`")),
                );
            }
            list.get_ref()
                .iter()
                .enumerate()
                .filter_map(|(i, m)| lower.material(m, &format!("{path}.materials[{i}]"), who, false))
                .collect()
        }
    };
    let from_region = match &raw.from_region {
        None => {
            lower.missing(e, who, "from_region", "\"CN\"");
            String::new()
        }
        Some(r) => r.get_ref().clone(),
    };
    if let (Some(r), Some(t)) = (&raw.to_regions, &raw.to) {
        let second = if t.span().start > r.span().start { ("to", t.span()) } else { ("to_regions", r.span()) };
        lower.push(
            Diagnostic::error(
                "conflicting-keys",
                format!("{path}.{}", second.0),
                format!("{who} gives its destinations twice, as `to_regions` and as `to`"),
            )
            .at(Some(second.1))
            .help(format!("remove `{path}.to_regions` or `{path}.to`")),
        );
    }
    let to = match (&raw.to, &raw.to_regions) {
        (Some(_), _) => Destinations::Nodes(names(lower, e, &raw.to, "to", Kind::Customer, who)),
        (None, None) => Destinations::AllOther,
        (None, Some(r)) => match r.get_ref() {
            RawWordOrList::Word(w) => {
                if w != "all-other" {
                    let key = format!("{path}.to_regions");
                    lower.push(
                        Diagnostic::error(
                            "invalid-value",
                            key.as_str(),
                            format!("`{key}` is `\"{w}\"`, but the only word it takes is `\"all-other\"`"),
                        )
                        .at(Some(r.span()))
                        .help(format!(
                            "set `{key}` to \"all-other\" or to an array of region codes such as [\"US\", \"JP\"]"
                        )),
                    );
                }
                Destinations::AllOther
            }
            RawWordOrList::List(regions) => {
                if regions.is_empty() {
                    lower.push(
                        Diagnostic::error(
                            "invalid-value",
                            format!("{path}.to_regions"),
                            format!("`{path}.to_regions` is empty"),
                        )
                        .at(Some(r.span()))
                        .help(format!("list at least one region in `{path}.to_regions`, or write \"all-other\"")),
                    );
                }
                Destinations::Regions(regions.iter().map(|r| r.get_ref().clone()).collect())
            }
        },
    };
    FlowScope { materials, from_region, to }
}

/// The timing: exactly one of a window, a hazard, `follows` or `two_state`, with a duration except for
/// `two_state`. Returns the parent disruption of `follows`, with the span of its name.
fn timing(
    lower: &mut Lower<'_>,
    e: &Entity<RawDisruption>,
    raw: &RawDisruption,
    who: &str,
) -> (Timing, Option<(usize, Range<usize>)>) {
    let path = e.path.as_str();
    let onset_key = DurationKey {
        what: "onset",
        forms: [("onset_week", &raw.onset_week), ("onset_days", &raw.onset_days), ("onset_months", &raw.onset_months)],
    };
    let onset_given = onset_key.forms.iter().find_map(|(k, f)| f.as_ref().map(|f| (*k, f.span())));
    let given: Vec<(&str, Range<usize>)> = [
        onset_given,
        raw.hazard_per_year.as_ref().map(|h| ("hazard_per_year", h.span())),
        raw.follows.as_ref().map(|f| ("follows", f.span())),
        raw.two_state.as_ref().map(|t| ("two_state", t.span())),
    ]
    .into_iter()
    .flatten()
    .collect();
    let timing_keys = ["onset_week", "onset_days", "onset_months", "hazard_per_year", "follows", "two_state"];
    let Some((first, _)) = given.first().cloned() else {
        if !timing_keys.iter().any(|k| e.broken(k)) {
            lower.push(
                Diagnostic::error("timing-missing", path, format!("{who} has no timing"))
                    .at(Some(e.name_span.clone()))
                    .help(format!(
                        "add one of `onset_week`, `hazard_per_year`, `follows` or `two_state` (outages only) to {}",
                        table_ref(path)
                    )),
            );
        }
        return (Timing::Window { onset_weeks: Param::ZERO, duration_weeks: Param::ZERO }, None);
    };
    for (other, span) in given.iter().skip(1) {
        lower.push(
            Diagnostic::error(
                "conflicting-timing",
                format!("{path}.{other}"),
                format!("{who} has two timings, `{first}` and `{other}`"),
            )
            .at(Some(span.clone()))
            .help(format!("keep one of `{path}.{first}` and `{path}.{other}`")),
        );
    }
    let duration_key = DurationKey {
        what: "duration",
        forms: [
            ("duration_weeks", &raw.duration_weeks),
            ("duration_days", &raw.duration_days),
            ("duration_months", &raw.duration_months),
        ],
    };
    let duration = lower.duration(path, &duration_key);
    let duration_given = duration_key.forms.iter().find_map(|(k, f)| f.as_ref().map(|f| (*k, f.span())));
    let duration_broken = ["duration_weeks", "duration_days", "duration_months"].iter().any(|k| e.broken(k));
    if first == "two_state" {
        if let Some((key, span)) = duration_given {
            lower.push(
                Diagnostic::error(
                    "conflicting-timing",
                    format!("{path}.{key}"),
                    format!("`{key}` does not apply to the `two_state` timing of {who}"),
                )
                .at(Some(span))
                .help(format!(
                    "remove `{path}.{key}`: a two-state outage ends with probability `end_probability_per_week`"
                )),
            );
        }
    } else if duration_given.is_none() && !duration_broken {
        lower.missing(e, who, "duration_weeks", "{ pert = { min = 4, mode = 12, max = 52 } }");
    }
    let duration_weeks = duration.map_or(Param::ZERO, |(p, _, _)| p);
    match first {
        "hazard_per_year" => {
            let key = format!("{path}.hazard_per_year");
            let rate_per_year = lower.non_negative_or(&raw.hazard_per_year, &key, "a hazard rate", 0.0);
            (Timing::Hazard { rate_per_year, duration_weeks }, None)
        }
        "follows" => follows(lower, raw, path, who, duration_weeks),
        "two_state" => {
            let (mut p, mut q) = (0.0, 0.0);
            if let Some(t) = &raw.two_state {
                let t = t.get_ref();
                let key = format!("{path}.two_state");
                for (field, name, out) in [
                    (&t.start_probability_per_week, "start_probability_per_week", &mut p),
                    (&t.end_probability_per_week, "end_probability_per_week", &mut q),
                ] {
                    match field {
                        None => lower.push(
                            Diagnostic::error(
                                "missing-key",
                                format!("{key}.{name}"),
                                format!("the `two_state` timing of {who} has no `{name}`"),
                            )
                            .at(raw.two_state.as_ref().map(Spanned::span))
                            .help(format!("add `{name}` (a probability per week) to `{key}`")),
                        ),
                        Some(v) => {
                            *out = *v.get_ref();
                            let k = format!("{key}.{name}");
                            lower.unit_interval_value("probability-out-of-range", *out, v.span(), &k, "a probability");
                            if !out.is_finite() {
                                *out = 0.0;
                            }
                        }
                    }
                }
            }
            (Timing::TwoState { start_per_week: p, end_per_week: q }, None)
        }
        _ => {
            let onset = lower.duration(path, &onset_key).map_or(Param::ZERO, |(p, _, _)| p);
            (Timing::Window { onset_weeks: onset, duration_weeks }, None)
        }
    }
}

fn follows(
    lower: &mut Lower<'_>,
    raw: &RawDisruption,
    path: &str,
    who: &str,
    duration_weeks: Param,
) -> (Timing, Option<(usize, Range<usize>)>) {
    let key = format!("{path}.follows");
    let Some(f) = &raw.follows else {
        return (Timing::Window { onset_weeks: Param::ZERO, duration_weeks }, None);
    };
    let span = f.span();
    let f = f.get_ref();
    let parent = match &f.disruption {
        None => {
            lower.push(
                Diagnostic::error(
                    "missing-key",
                    format!("{key}.disruption"),
                    format!("`{key}` does not say which disruption {who} follows"),
                )
                .at(Some(span))
                .help(format!("add `disruption = \"NAME\"` to `{key}`")),
            );
            None
        }
        Some(name) => match lower.resolve(Kind::Disruption, name, &format!("{key}.disruption"), who, false) {
            Some(Node::Stage(d) | Node::EndUse(d)) => Some((d, name.span())),
            None => None,
        },
    };
    let probability_key = format!("{key}.probability");
    let probability = lower.param_or(&f.probability, &probability_key, 1.0);
    if let Some(p) = &f.probability {
        lower.unit_interval("probability-out-of-range", &probability, p.span(), &probability_key, "a probability");
    }
    let lag = DurationKey {
        what: "lag",
        forms: [("lag_weeks", &f.lag_weeks), ("lag_days", &f.lag_days), ("lag_months", &f.lag_months)],
    };
    let lag_weeks = lower.duration(&key, &lag).map_or(Param::ZERO, |(p, _, _)| p);
    let disruption = parent.as_ref().map_or(0, |(d, _)| *d);
    (Timing::Follows { disruption, probability, lag_weeks, duration_weeks }, parent)
}

/// Reports each cycle of `follows` once, on the `follows.disruption` of its first member in file order.
fn follows_cycles(lower: &mut Lower<'_>, parents: &[Option<(usize, Range<usize>)>]) {
    let doc = lower.doc;
    let n = parents.len();
    let mut reported = vec![false; n];
    for start in 0..n {
        // Walk up from `start`; a cycle shows as a disruption met twice within n steps.
        let mut chain = vec![start];
        let mut v = start;
        let cycle = loop {
            let Some(Some((p, _))) = parents.get(v) else { break None };
            if let Some(at) = chain.iter().position(|&c| c == *p) {
                break Some(chain.split_off(at));
            }
            if chain.len() > n {
                break None;
            }
            chain.push(*p);
            v = *p;
        };
        let Some(cycle) = cycle else { continue };
        if cycle.iter().any(|&c| reported.get(c) == Some(&true)) {
            continue;
        }
        for &c in &cycle {
            if let Some(r) = reported.get_mut(c) {
                *r = true;
            }
        }
        let Some(&first) = cycle.iter().min() else { continue };
        let name = |d: usize| doc.disruptions.get(d).map_or("?", |x| x.name.as_str());
        let span = parents.get(first).and_then(|p| p.as_ref()).map(|(_, s)| s.clone());
        let key = format!("disruptions.{}.follows.disruption", name(first));
        let (message, help) = if cycle.len() == 1 {
            (
                format!("disruption `{}` follows itself", name(first)),
                format!("set `{key}` to another disruption, or give `{}` another timing", name(first)),
            )
        } else {
            // Start the description at `first`: `a` follows `b`, which follows `c`, which follows `a`.
            let at = cycle.iter().position(|&c| c == first).unwrap_or(0);
            let ordered: Vec<usize> = cycle.iter().cycle().skip(at).take(cycle.len()).copied().collect();
            let mut text = format!("`{}` follows", name(first));
            for (i, d) in ordered.iter().skip(1).enumerate() {
                text.push_str(&format!("{} `{}`", if i == 0 { "" } else { ", which follows" }, name(*d)));
            }
            text.push_str(&format!(", which follows `{}`", name(first)));
            (
                format!("disruptions follow each other in a cycle: {text}"),
                format!("give one of {} a timing of its own instead of `follows` (for example `{key}`)", {
                    let names: Vec<&str> = ordered.iter().map(|&d| name(d)).collect();
                    list(&names)
                }),
            )
        };
        lower.push(Diagnostic::error("cycle-in-follows", key, message).at(span).help(help));
    }
}

/// One line in words on a disruption's scope, severity and timing, for reports.
pub(crate) fn summary(spec: &ModelSpec, d: &DisruptionSpec) -> String {
    let names = |v: &[usize], of: &dyn Fn(usize) -> Option<String>| {
        let v: Vec<String> = v.iter().filter_map(|&i| of(i)).collect();
        list(&v)
    };
    let material = |i: usize| spec.materials.get(i).map(|m| m.name.clone());
    let stage = |i: usize| spec.stages.get(i).map(|s| s.name.clone());
    let end_use = |i: usize| spec.end_uses.get(i).map(|e| e.name.clone());
    let flows = |scope: &FlowScope| {
        let to = match &scope.to {
            Destinations::AllOther => "every other region".to_owned(),
            Destinations::Regions(r) => list(r),
            Destinations::Nodes(nodes) => {
                let v: Vec<String> = nodes
                    .iter()
                    .filter_map(|n| match *n {
                        Node::Stage(s) => stage(s),
                        Node::EndUse(u) => end_use(u),
                    })
                    .collect();
                list(&v)
            }
        };
        format!("{} from {} to {to}", names(&scope.materials, &material), scope.from_region)
    };
    let what = match &d.kind {
        DisruptionKind::ExportLicensing { scope, review_weeks, denial, grace_weeks } => format!(
            "export licences for {}; review {} weeks per shipment; denial probability defense {}, essential {}, \
             other {}{}",
            flows(scope),
            words(review_weeks),
            words(&denial[0]),
            words(&denial[1]),
            words(&denial[2]),
            if grace_weeks.is_constant() && grace_weeks.central() == 0.0 {
                String::new()
            } else {
                format!("; shipments clear without a licence for {} weeks after the onset", words(grace_weeks))
            }
        ),
        DisruptionKind::Embargo { scope, severity } => {
            format!("embargo cutting {} of the flows of {}", words(severity), flows(scope))
        }
        DisruptionKind::Outage { stages, severity } => {
            format!("outage of {} of the capacity of {}", words(severity), names(stages, &stage))
        }
        DisruptionKind::DemandShock { end_uses, multiplier } => {
            format!("demand of {} multiplied by {}", names(end_uses, &end_use), words(multiplier))
        }
    };
    let when = match &d.timing {
        Timing::Window { onset_weeks, duration_weeks } => {
            format!("from week {} for {} weeks", words(onset_weeks), words(duration_weeks))
        }
        Timing::Hazard { rate_per_year, duration_weeks } => {
            format!("{} events a year, each for {} weeks", words(rate_per_year), words(duration_weeks))
        }
        Timing::TwoState { start_per_week, end_per_week } => {
            let share = if start_per_week + end_per_week > 0.0 {
                start_per_week / (start_per_week + end_per_week)
            } else {
                0.0
            };
            format!(
                "on and off: starts with probability {} and ends with probability {} a week ({} of the time in the \
                 long run)",
                crate::diagnostic::number(*start_per_week),
                crate::diagnostic::number(*end_per_week),
                percent(share)
            )
        }
        Timing::Follows { disruption, probability, lag_weeks, duration_weeks } => format!(
            "with probability {}, {} weeks after `{}` starts, for {} weeks",
            words(probability),
            words(lag_weeks),
            spec.disruptions.get(*disruption).map_or("?", |x| x.name.as_str()),
            words(duration_weeks)
        ),
    };
    format!("{what}; {when}")
}

fn percent(x: f64) -> String {
    format!("{} %", crate::diagnostic::number((x * 1000.0).round() / 10.0))
}

/// A parameter in words: `3`, `2–6`, `4–20 (mode 10)`, `8 ± 2`, `median 9`, `5 or 52`.
pub(crate) fn words(p: &Param) -> String {
    let n = |x: f64| crate::diagnostic::number((x * 1e4).round() / 1e4);
    match p.shape() {
        ParamShape::Const(v) => n(v),
        ParamShape::Uniform { min, max } => format!("{}–{}", n(min), n(max)),
        ParamShape::Triangular { min, mode, max } | ParamShape::Pert { min, mode, max } => {
            format!("{}–{} (mode {})", n(min), n(max), n(mode))
        }
        ParamShape::Normal { mean, sd, .. } => format!("{} ± {}", n(mean), n(sd)),
        ParamShape::LogNormal { mu, .. } => format!("median {}", n(exp(mu))),
        ParamShape::Choice { values, .. } => {
            let v: Vec<String> = values.iter().map(|v| n(*v)).collect();
            match v.as_slice() {
                [init @ .., last] if !init.is_empty() => format!("{} or {last}", init.join(", ")),
                _ => v.join(""),
            }
        }
    }
}
