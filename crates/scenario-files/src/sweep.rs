//! The models of a sweep's points, for every front end (the binary's `sweep`, the Python package's `sweep`): the
//! scenario as read once, parsed again at each point with the fixed settings and each swept key at its value (a
//! setting like any other, so a value is refused at its key exactly as `--set` would be), the overlay files laid
//! over it and the mitigations applied.

use chokepoint_engine::Model;
use chokepoint_scenario::{Diagnostics, Setting, VariantError};

use crate::{OverlayFile, ScenarioText};

/// A scenario to sweep: what every point shares.
#[derive(Debug, Clone)]
pub struct SweepScenario {
    /// The scenario's bytes, read once (standard input cannot be read twice).
    pub text: ScenarioText,
    /// The settings of every point, named as the front end names them (`--set[N]`, `settings[N]`).
    pub settings: Vec<Setting>,
    /// The swept keys, in order.
    pub keys: Vec<String>,
    /// How the front end names a swept key's setting in diagnostics: `--vary` gives `--vary[1]`, `--vary[2]`, ...
    pub vary_name: String,
    /// Files of mitigations and packages laid over every point, in order.
    pub overlays: Vec<OverlayFile>,
    /// The mitigations and packages applied at every point, in order.
    pub applied: Vec<String>,
}

/// Why a point's model could not be built.
#[derive(Debug, thiserror::Error)]
pub enum PointError {
    /// A swept key that does not hold a number (a word, a table): a sweep varies numbers only.
    #[error("`{key}` does not hold a number ({reason}), so it cannot be swept")]
    NotANumber {
        /// The key as given.
        key: String,
        /// Why its value was refused, in the parser's words.
        reason: String,
    },
    /// The point's scenario, or an overlay file, was refused.
    #[error("the scenario was refused at this point")]
    Invalid(Diagnostics),
    /// The mitigations could not be applied.
    #[error(transparent)]
    Variant(VariantError),
}

/// A value as the text of a setting: whole numbers without a fraction (an integer key takes them), others as Rust
/// writes floats (always valid TOML).
pub fn value_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x:?}") }
}

impl SweepScenario {
    /// The settings of the point at `values` (one per key): the fixed settings, then each key at its value.
    pub fn settings_at(&self, values: &[f64]) -> Vec<Setting> {
        let mut settings = self.settings.clone();
        settings.extend(self.keys.iter().zip(values).enumerate().map(|(i, (k, v))| {
            Setting::new(format!("{}[{}]", self.vary_name, i + 1), format!("{k}={}", value_text(*v)))
        }));
        settings
    }

    /// The model of the point at `values`.
    pub fn model_at(&self, values: &[f64]) -> Result<Model, PointError> {
        let mut loaded = self
            .text
            .parse(&self.settings_at(values))
            .map_err(|d| self.not_a_number(&d).unwrap_or(PointError::Invalid(d)))?;
        for file in &self.overlays {
            loaded.scenario.add_overlay(&file.origin, &file.text).map_err(PointError::Invalid)?;
        }
        let names: Vec<&str> = self.applied.iter().map(String::as_str).collect();
        loaded.scenario.variant(&names).map_err(PointError::Variant)
    }

    /// A swept key's value refused for its type (the key holds no number), if that is why `d` refused the point.
    fn not_a_number(&self, d: &Diagnostics) -> Option<PointError> {
        let prefix = format!("{}[", self.vary_name);
        let item = d.items.iter().find(|i| {
            i.origin.as_deref().is_some_and(|o| o.starts_with(&prefix))
                && i.code == "invalid-value"
                && i.message.contains("has the wrong type")
                && !i.message.contains("expected an integer")
        })?;
        let k = item.origin.as_deref().and_then(|o| o.strip_prefix(&prefix)).and_then(|o| o.strip_suffix(']'));
        let key = k.and_then(|n| n.parse::<usize>().ok()).and_then(|n| self.keys.get(n - 1)).cloned();
        let reason = item.message.split_once(": ").map_or(item.message.as_str(), |(_, m)| m).to_owned();
        Some(PointError::NotANumber { key: key.unwrap_or_default(), reason })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScenarioSource;

    fn sweep_of(keys: &[&str]) -> SweepScenario {
        SweepScenario {
            text: crate::read(ScenarioSource::Embedded).unwrap(),
            settings: vec![Setting::new("--set[1]", "horizon.years=1")],
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
            vary_name: "--vary".to_owned(),
            overlays: Vec::new(),
            applied: Vec::new(),
        }
    }

    #[test]
    fn whole_numbers_are_written_without_a_fraction() {
        assert_eq!((value_text(3.0), value_text(0.25), value_text(-2.0)), ("3".into(), "0.25".into(), "-2".into()));
        assert_eq!(value_text(1e16), "1e16");
    }

    #[test]
    fn a_point_sets_each_key_after_the_fixed_settings() {
        let sweep = sweep_of(&["disruptions.cn_licensing_regime.duration_weeks"]);
        let settings = sweep.settings_at(&[26.0]);
        let texts: Vec<(&str, &str)> = settings.iter().map(|s| (s.origin.as_str(), s.text.as_str())).collect();
        assert_eq!(
            texts,
            [("--set[1]", "horizon.years=1"), ("--vary[1]", "disruptions.cn_licensing_regime.duration_weeks=26")]
        );
    }

    #[test]
    fn a_key_without_a_number_is_named() {
        let sweep = sweep_of(&["horizon.years", "stages.cn_light_mines.region"]);
        match sweep.model_at(&[1.0, 2.0]) {
            Err(PointError::NotANumber { key, reason }) => {
                assert_eq!(key, "stages.cn_light_mines.region");
                assert!(reason.contains("expected a string"), "{reason}");
            }
            other => panic!("expected NotANumber, got {other:?}"),
        }
    }
}
