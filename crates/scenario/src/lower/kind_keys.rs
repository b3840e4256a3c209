//! Keys that only some kinds of a disruption or mitigation take (a disruption's `severity`, a mitigation's
//! `serves`), and the `key-not-allowed-for-kind` error for one given to an entity of a kind that does not take it.

use std::ops::Range;

use crate::diagnostic::{Diagnostic, list};
use crate::lower::context::Lower;

/// The `N` keys of one section that only some kinds take, with the kinds that take each.
pub(crate) struct KindKeys<const N: usize> {
    /// The entities of the section in the plural, for help lines ("disruptions").
    pub entities: &'static str,
    /// Each key as help lines list it, with the kinds that take it.
    pub keys: [(&'static str, &'static [&'static str]); N],
    /// A key's name in the path of the error and its words in the message, for keys written otherwise than
    /// listed (a mitigation's table of new stages); `None` for the key itself, in backticks.
    pub spelled: fn(&'static str) -> Option<(&'static str, &'static str)>,
}

impl<const N: usize> KindKeys<N> {
    /// Reports every key of `spans` (the span of each key of [`Self::keys`] where the entity gives it, in the
    /// same order) that `kind` does not take, for the entity `who` at `path`.
    pub(crate) fn check(
        &self,
        lower: &mut Lower<'_>,
        path: &str,
        who: &str,
        kind: &str,
        spans: [Option<Range<usize>>; N],
    ) {
        for ((key, allowed), span) in self.keys.iter().zip(spans) {
            let Some(span) = span else { continue };
            if allowed.contains(&kind) {
                continue;
            }
            let takes: Vec<&str> =
                self.keys.iter().filter(|(_, kinds)| kinds.contains(&kind)).map(|(k, _)| *k).collect();
            let (shown, what) = match (self.spelled)(key) {
                Some((shown, what)) => (shown, what.to_owned()),
                None => (*key, format!("`{key}`")),
            };
            lower.push(
                Diagnostic::error(
                    "key-not-allowed-for-kind",
                    format!("{path}.{shown}"),
                    format!("{what} does not apply to {who}, of kind `{kind}`"),
                )
                .at(Some(span))
                .help(format!(
                    "remove `{path}.{shown}` (it applies to {}); {} of kind `{kind}` take {}",
                    list(allowed),
                    self.entities,
                    list(&takes)
                )),
            );
        }
    }
}

/// Every key is written as listed.
pub(crate) fn as_listed(_: &'static str) -> Option<(&'static str, &'static str)> {
    None
}

#[cfg(test)]
mod tests {
    use crate::lower::tests::BASE;

    /// The `key-not-allowed-for-kind` error of `extra` laid over the base scenario, as (key, message, help).
    fn error(extra: &str) -> (String, String, String) {
        let source = format!("{BASE}\n{extra}");
        let Err(all) = crate::parse("t.toml", &source) else { panic!("refused") };
        let d = all
            .items
            .iter()
            .find(|d| d.code == "key-not-allowed-for-kind")
            .unwrap_or_else(|| panic!("{}", all.render()));
        (d.key.clone(), d.message.clone(), d.help.clone().unwrap_or_default())
    }

    #[test]
    fn a_disruption_key_of_another_kind_is_refused_with_the_keys_its_kind_takes() {
        let (key, message, help) = error(
            "[disruptions.d]\nkind = \"demand_shock\"\nend_uses = [\"cars\"]\nmultiplier = 1.5\nseverity = 0.5\n\
             probability_per_year = 0.1\nduration_weeks = 4\n",
        );
        assert_eq!(key, "disruptions.d.severity");
        assert_eq!(message, "`severity` does not apply to disruption `d`, of kind `demand_shock`");
        assert!(help.starts_with("remove `disruptions.d.severity` (it applies to `embargo` and `outage`)"), "{help}");
        assert!(help.ends_with("disruptions of kind `demand_shock` take `end_uses` and `multiplier`"), "{help}");
    }

    #[test]
    fn a_table_of_new_stages_is_named_as_such_for_a_kind_without_it() {
        let (key, message, help) = error(
            "[mitigations.m]\nkind = \"allocation\"\norder = [\"defense\"]\n\
             [mitigations.m.stages.plant]\nregion = \"US\"\n",
        );
        assert_eq!(key, "mitigations.m.stages");
        assert_eq!(message, "`stages` as a table of new stages does not apply to mitigation `m`, of kind `allocation`");
        assert!(help.starts_with("remove `mitigations.m.stages`"), "{help}");
    }
}
