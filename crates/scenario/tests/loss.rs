//! Units, loss values, the start date and mitigation triggers, as the scenario crate resolves them.

use chokepoint_engine::Unmet;
use chokepoint_scenario::{Date, LossUnit, Scenario, ValueBasis};

mod base_files;
use base_files::resolve;

/// `small_chain.toml` with `extra` laid over it (an overlay given as text, origin in `tests/data/valid/`).
fn over_small_chain(extra: &str) -> Scenario {
    let text = format!("[scenario]\nname = \"overlay\"\nbase = \"small_chain.toml\"\n{extra}");
    match chokepoint_scenario::parse_with("tests/data/valid/overlay.toml", &text, &mut resolve) {
        Ok(s) => s,
        Err(d) => panic!("{}", d.render()),
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn without_any_value_the_loss_counts_weeks_of_demand() {
    let s = over_small_chain("");
    assert_eq!(s.loss.unit, LossUnit::WeeksOfDemand);
    assert_eq!(s.start_date, None);
    let ev = &s.end_uses[0];
    assert_eq!((ev.name.as_str(), ev.unit.as_str(), ev.basis), ("ev_motors", "units", ValueBasis::WeeksOfDemand));
    // A week of demand not built counts 1: 1,000,000 motors a year is 19,230.8 a week.
    assert!(close(ev.value_per_unit_short * 1e6 / 52.0, 1.0));
    assert_eq!(ev.cost_per_unit_week_late, 0.0, "lost demand is never late");
    let f35 = &s.end_uses[1];
    assert_eq!(s.model.spec().end_uses[1].unmet, Unmet::Backlog);
    assert!(close(f35.value_per_unit_short, 52.0 / 150.0));
    assert!(close(f35.cost_per_unit_week_late, 52.0 / 150.0 / 52.0), "a unit a year late counts as a unit lost");
}

#[test]
fn own_values_win_and_class_values_fill_the_rest() {
    let s = over_small_chain(
        r#"
[horizon]
start_date = 2025-04-04

[loss]
value_per_week_of_demand_usd = { defense = 5.2e9, essential = 1e8 }
late_week_cost_share = 0.01

[end_uses.ev_motors]
region = "JP"
demand_units_per_year = 1_000_000
intensity = { magnet = 0.002 }
priority = "essential"
unit = "motors"
value_per_unit_short_usd = 400
"#,
    );
    assert_eq!(s.loss.unit, LossUnit::Usd);
    assert_eq!(s.start_date, Date::new(2025, 4, 4));
    let ev = &s.end_uses[0];
    assert_eq!((ev.unit.as_str(), ev.value_per_unit_short, ev.basis), ("motors", 400.0, ValueBasis::Own));
    let f35 = &s.end_uses[1];
    // $5.2 bn per week of demand over 150 / 52 aircraft a week: $1.8 bn per aircraft; 1 % of it per week late.
    assert!(close(f35.value_per_unit_short, 5.2e9 / (150.0 / 52.0)));
    assert!(close(f35.cost_per_unit_week_late, 0.01 * f35.value_per_unit_short));
    assert_eq!(f35.basis, ValueBasis::Class);
}

#[test]
fn a_triggered_mitigation_counts_from_its_disruption() {
    let s = over_small_chain(
        r#"
[mitigations.ferrite]
kind = "substitution"
end_use = "ev_motors"
share = 0.2
lag_weeks = 26
trigger = "cn_embargo"

[mitigations.reserve]
kind = "stockpile"
material = "dy_oxide"
serves = ["jp_magnets"]
initial_t = 20
max_release_t_per_week = 2
release_while = "cn_licensing"

[mitigations.new_mine]
kind = "alternate_supply"
trigger = "cn_licensing"

[mitigations.new_mine.stages.au_mine]
region = "AU"
capacity_t_per_year = 2000
online_week = 52
outputs = { ionic_clay = 1.0 }

[[mitigations.new_mine.links]]
from = "au_mine"
to = "cn_separation"
material = "ionic_clay"
share = 0.2
"#,
    );
    let disruption = |name: &str| s.model.spec().disruptions.iter().position(|d| d.name == name);
    let m = s.variant(&["ferrite", "reserve", "new_mine"]).expect("the variant builds");
    let spec = m.spec();
    assert_eq!(spec.mitigations.demand_switches[0].trigger, disruption("cn_embargo"));
    assert_eq!(spec.mitigations.stockpiles[0].release_while, disruption("cn_licensing"));
    let mine = spec.stages.iter().find(|st| st.name == "au_mine").expect("the new stage");
    assert_eq!(mine.online_trigger, disruption("cn_licensing"));
    assert!(spec.stages.iter().filter(|st| st.name != "au_mine").all(|st| st.online_trigger.is_none()));
}
