//! Pieces shared by the documents of the studies (`sweep.json`, `sensitivity.json`, and the two-level and
//! value-of-information sections of `summary.json`, `compare.json` and `optimize.json`): the scenario as run, the
//! run's settings, paired differences, and parameters in words.

use chokepoint_engine::stats::Summary;
use chokepoint_scenario::{Parameter, Scope};
use serde::{Deserialize, Serialize};

use crate::documents::header::ScenarioHeader;
use crate::documents::summary::nan_if_null;
use crate::scenario_source::{LoadedScenario, SourceDigest};

/// The scenario a study ran: its name, the digests of its files, the mitigations applied to every run and the
/// `--set` settings.
pub fn study_scenario(loaded: &LoadedScenario, overlays: &[SourceDigest]) -> ScenarioHeader {
    ScenarioHeader {
        bases: ScenarioHeader::bases_of(loaded),
        overlays: ScenarioHeader::overlays_of(overlays),
        mitigations: Some(loaded.applied.clone()),
        ..ScenarioHeader::of(loaded)
    }
}

/// A mean of trial-by-trial differences, with its standard error and normal-theory 95 % interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct DifferenceJson {
    #[serde(deserialize_with = "nan_if_null")]
    pub mean: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub se: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_low: f64,
    #[serde(deserialize_with = "nan_if_null")]
    pub ci95_high: f64,
}

impl From<&Summary> for DifferenceJson {
    fn from(s: &Summary) -> Self {
        Self { mean: s.mean, se: s.se, ci95_low: s.ci95_low, ci95_high: s.ci95_high }
    }
}

/// An uncertain parameter, for documents: its key, unit, when it is drawn, and quantiles of its distribution in the
/// key's unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParameterJson {
    pub key: String,
    pub unit: String,
    /// `trial` or `event`.
    pub scope: String,
    /// Whether `[uncertainty] knowledge` names it.
    pub knowledge: bool,
    /// The distribution's 10th, 50th and 90th percentiles, in the key's unit.
    pub p10: f64,
    pub p50: f64,
    pub p90: f64,
}

impl ParameterJson {
    pub fn of(p: &Parameter, knowledge: bool) -> Self {
        let q = |x: f64| p.in_key_unit(chokepoint_analysis::quantile::quantile(&p.distribution, x));
        Self {
            key: p.key.clone(),
            unit: p.unit.clone(),
            scope: match p.scope {
                Scope::Trial => "trial",
                Scope::Event => "event",
            }
            .to_owned(),
            knowledge,
            p10: q(0.1),
            p50: q(0.5),
            p90: q(0.9),
        }
    }
}

/// A key shortened to at most `max` characters for a terminal table. Its longest segments (the names of stages,
/// end uses, disruptions) are shortened first, each keeping its start and end around a `…`, so that keys that
/// differ only in a name stay apart ("stages.us_defe…magnets.inventory_weeks.initial"); a key still too long then
/// keeps its first segment, `…`, and its end.
pub fn fit_key(key: &str, max: usize) -> String {
    /// The fewest characters a shortened segment keeps: two at each end around the `…`.
    const SHORTEST: usize = 5;
    let chars = |s: &str| s.chars().count();
    if chars(key) <= max {
        return key.to_owned();
    }
    let mut segments: Vec<String> = key.split('.').map(str::to_owned).collect();
    while chars(&segments.join(".")) > max {
        let excess = chars(&segments.join(".")) - max;
        let Some(longest) = (0..segments.len())
            .filter(|&i| chars(&segments[i]) > SHORTEST && !segments[i].contains('…'))
            .max_by_key(|&i| (chars(&segments[i]), std::cmp::Reverse(i)))
        else {
            break;
        };
        let segment = &segments[longest];
        let width = chars(segment).saturating_sub(excess).max(SHORTEST);
        let tail = (width - 1) / 2;
        let head: String = segment.chars().take(width - 1 - tail).collect();
        let end: String = segment.chars().skip(chars(segment) - tail).collect();
        segments[longest] = format!("{head}…{end}");
    }
    let shortened = segments.join(".");
    let n = chars(&shortened);
    if n <= max {
        return shortened;
    }
    let first = key.split('.').next().unwrap_or("");
    let keep = max.saturating_sub(chars(first) + 2);
    let tail: String = key.chars().skip(chars(key) - keep.min(chars(key))).collect();
    format!("{first}.…{tail}")
}

/// The kinds of parameters `keys` name, in words, for sentences: "stocks and denial rates".
pub fn kinds_in_words(keys: &[String]) -> String {
    const KINDS: &[(&str, &str)] = &[
        ("inventory_weeks", "stocks"),
        ("denial_probability", "denial rates"),
        ("review_", "licence review times"),
        ("lead_time", "lead times"),
        ("capacity_growth", "capacity growth"),
        ("capacity_", "capacities"),
        ("online_", "commissioning dates"),
        ("ramp_", "ramp-up times"),
        ("demand_units", "demand"),
        ("growth_per_year", "demand growth"),
        ("duration_", "disruption lengths"),
        ("onset_", "disruption dates"),
        ("hazard_per_year", "disruption rates"),
        ("follows.", "escalation odds and lags"),
        ("severity", "disruption severities"),
        ("multiplier", "demand surges"),
        ("initial_", "reserve sizes"),
        ("max_release", "release rates"),
        ("rebuild_", "rebuild rates"),
        ("reduction", "thrifting depth"),
        ("lag_", "response lags"),
        ("share", "substitution shares"),
    ];
    let mut words: Vec<&str> = Vec::new();
    for key in keys {
        let last = key.rsplit('.').next().unwrap_or(key);
        let found = KINDS
            .iter()
            .find(|(pattern, _)| key.contains(&format!(".{pattern}")) || last.starts_with(pattern))
            .map_or("other assumptions", |(_, w)| w);
        if !words.contains(&found) {
            words.push(found);
        }
    }
    match words.as_slice() {
        [] => "nothing".to_owned(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_kinds_read_as_words() {
        let keys = [
            "stages.a.inventory_weeks.initial".to_owned(),
            "end_uses.b.inventory_weeks.initial".to_owned(),
            "disruptions.c.denial_probability.other".to_owned(),
        ];
        assert_eq!(kinds_in_words(&keys), "stocks and denial rates");
        assert_eq!(kinds_in_words(&["links[3].lead_time_weeks".to_owned()]), "lead times");
        assert_eq!(kinds_in_words(&["stages.x.capacity_growth_per_year".to_owned()]), "capacity growth");
        let long = "mitigations.au_separation.stages.au_heavy_separation.online_week";
        // The longest segment first: 64 characters into 56.
        assert_eq!(fit_key(long, 56), "mitigations.au_separation.stages.au_he…ation.online_week");
        let shortest = fit_key(long, 40);
        assert!(shortest.chars().count() <= 40 && shortest.ends_with(".online_week"), "{shortest}");
        assert_eq!(fit_key("horizon.years", 40), "horizon.years");
        // Keys that differ only in a stage's name stay apart.
        let us = fit_key("stages.us_defense_magnets.inventory_weeks.initial", 46);
        let jp = fit_key("stages.jp_defense_magnets.inventory_weeks.initial", 46);
        assert_eq!(
            (us.as_str(), jp.as_str()),
            ("stages.us_defe…magnets.inventory_weeks.initial", "stages.jp_defe…magnets.inventory_weeks.initial")
        );
        // Too long even with every segment shortened: the first segment, `…` and the end.
        assert_eq!(fit_key("a.bbbbbbbbbb.cccccccccc", 8), "a.…ccccc");
    }
}
