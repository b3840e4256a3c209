//! Unit tests of lowering as a whole: defaults, units, distribution forms, names and stages, through `parse`.

use chokepoint_engine::{Destinations, DisruptionKind, ModelSpec, Node, Param, ParamShape, Timing, Unit, Unmet};

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
    assert_eq!(mine.capacity_growth_per_year, Param::ZERO);
    assert_eq!((mine.online_week.clone(), mine.ramp_weeks.clone()), (None, Param::ZERO));
    assert_eq!(mine.allocation, chokepoint_engine::Allocation::defense_first());
    assert_eq!(mine.output_stock, chokepoint_engine::StockWeeks::none());
    assert_eq!(lead(&spec, "mine"), Param::ZERO);
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
    assert_eq!(lead(&spec, "mine"), Param::fixed(2.0));
    assert_eq!(lead(&spec, "magnets"), Param::fixed(13.0));
    let ParamShape::Uniform { min, max } = lead(&spec, "motors").shape() else { panic!("a uniform lead time") };
    assert!(close(min, 1.0) && close(max, 2.0));
    assert_eq!(spec.stages[0].online_week, Some(Param::fixed(26.0)));
    assert_eq!(spec.stages[0].ramp_weeks, Param::fixed(3.0));
}

#[test]
fn every_distribution_form_lowers_to_its_param() {
    let forms = [
        ("3", Param::fixed(3.0)),
        ("{ uniform = { min = 1, max = 3 } }", Param::uniform(1.0, 3.0).unwrap()),
        ("{ triangular = { min = 1, mode = 2, max = 4 } }", Param::triangular(1.0, 2.0, 4.0).unwrap()),
        ("{ pert = { min = 1, mode = 2, max = 4 } }", Param::pert(1.0, 2.0, 4.0).unwrap()),
        ("{ normal = { mean = 10, sd = 2, min = 0 } }", Param::normal(10.0, 2.0, 0.0, f64::INFINITY).unwrap()),
        ("{ normal = { mean = 10, sd = 2, min = 0, max = 20 } }", Param::normal(10.0, 2.0, 0.0, 20.0).unwrap()),
        ("{ lognormal = { mu = 2.0, sigma = 0.5 } }", Param::lognormal(2.0, 0.5).unwrap()),
        ("{ lognormal = { median = 8, p90 = 26 } }", Param::lognormal_median_p90(8.0, 26.0).expect("valid")),
        (
            "{ choice = { values = [1, 2, 3], weights = [0.5, 0.3, 0.2] } }",
            Param::choice(vec![1.0, 2.0, 3.0], vec![0.5, 0.3, 0.2]).unwrap(),
        ),
        ("{ choice = { values = [1, 2] } }", Param::choice(vec![1.0, 2.0], vec![1.0, 1.0]).unwrap()),
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
    assert_eq!(spec.end_uses[0].intensity, vec![(2, Param::fixed(2.0))]);
    let to_end_use = spec.links.iter().find(|l| l.material == 2).expect("the motor link");
    assert_eq!((to_end_use.from, to_end_use.to), (2, Node::EndUse(0)));
    let to_stage = spec.links.iter().find(|l| l.material == 1).expect("the magnet link");
    assert_eq!((to_stage.from, to_stage.to), (1, Node::Stage(2)));

    let DisruptionKind::ExportLicensing { scope, review_weeks, denial, grace_weeks } = &spec.disruptions[0].kind else {
        panic!("licensing");
    };
    assert_eq!(*grace_weeks, Param::uniform(1.0, 3.0).unwrap());
    assert_eq!(scope.materials, vec![1, 0]);
    assert_eq!(scope.to, Destinations::Nodes(vec![Node::EndUse(0), Node::Stage(1)]));
    assert_eq!(*review_weeks, Param::fixed(9.0));
    assert_eq!(denial, &[Param::ONE, Param::ZERO, Param::ZERO]);
    assert!(matches!(spec.disruptions[0].timing, Timing::Window { .. }));
    let DisruptionKind::Outage { stages, severity } = &spec.disruptions[1].kind else { panic!("outage") };
    assert_eq!((stages.clone(), severity.clone()), (vec![2, 0], Param::ONE));
    let Timing::Follows { disruption, probability, lag_weeks, .. } = &spec.disruptions[1].timing else {
        panic!("follows");
    };
    assert_eq!((*disruption, probability, lag_weeks), (0, &Param::ONE, &Param::ZERO));
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
    assert_eq!(spec.stages[0].output_stock.initial, Param::fixed(3.0));
    assert_eq!(spec.stages[0].input_stock, chokepoint_engine::StockWeeks::none());
}

#[test]
fn an_initial_stock_of_a_stage_not_yet_online_is_a_warning_at_its_key() {
    let late = |online: &str, initial: &str| {
        BASE.replacen(
            "inputs = { ore = 2 }\n",
            &format!("inputs = {{ ore = 2 }}\nonline_week = {online}\ninventory_weeks = {{ {initial}target = 4 }}\n"),
            1,
        )
    };
    // Online from week 10 at the earliest: the initial stock changes nothing.
    let source = late("{ uniform = { min = 10, max = 20 } }", "initial = { uniform = { min = 2, max = 6 } }, ");
    let scenario = crate::parse("t.toml", &source).map_err(|d| d.render()).expect("valid");
    let [w] = scenario.warnings.as_slice() else { panic!("one warning: {:?}", scenario.warnings) };
    assert_eq!((w.code, w.key.as_str()), ("no-effect", "stages.magnets.inventory_weeks.initial"));
    assert!(w.message.contains("online from week 10 at the earliest"), "{}", w.message);
    assert_eq!(&source[w.span.clone().expect("a span")], "{ uniform = { min = 2, max = 6 } }");
    // Online at the start in some trials, an initial stock of 0, or none given: no warning.
    for source in
        [late("{ uniform = { min = 0, max = 20 } }", "initial = 3, "), late("10", "initial = 0, "), late("10", "")]
    {
        let scenario = crate::parse("t.toml", &source).map_err(|d| d.render()).expect("valid");
        assert!(scenario.warnings.is_empty(), "{source}: {:?}", scenario.warnings);
    }
}

#[test]
fn control_characters_never_reach_a_terminal_or_an_output() {
    // In a region: refused at its key.
    let source = BASE.replacen("region = \"JP\"", "region = \"J\\u001b[31mP\"", 1);
    let errors = crate::parse("t.toml", &source).expect_err("refused");
    let text = errors.render();
    assert!(text.contains("region holds control characters") && !text.contains('\u{1b}'), "{text}");
    // In a name a message quotes: written as an escape.
    let source = BASE.replacen("from = \"mine\"", "from = \"mi\\u001b[31mne\"", 1);
    let text = crate::parse("t.toml", &source).expect_err("refused").render();
    assert!(text.contains("mi\\u{1b}[31mne") && !text.contains('\u{1b}'), "{text}");
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
