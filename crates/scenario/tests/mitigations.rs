//! Overlays and mitigations end to end: a base plus an overlay with one mitigation of each kind parses, every
//! variant runs, the empty variant reproduces the baseline bit for bit, and the shipped mitigation overlay of the
//! default scenario loads and runs.

use std::fs;

use chokepoint_engine::{Allocation, Model, Node, Param, RunConfig, RunResults, run};
use chokepoint_scenario::{Scenario, VariantError};

mod base_files;
use base_files::{repo_root, resolve};

fn load(origin: &str) -> Scenario {
    let text = fs::read_to_string(repo_root().join(origin)).expect("the fixture exists");
    match chokepoint_scenario::parse_with(origin, &text, &mut resolve) {
        Ok(s) => s,
        Err(d) => panic!("{}", d.render()),
    }
}

fn runs(model: &Model, trials: u64) -> RunResults {
    let config = RunConfig { trials, seed: 11, threads: 1, bands: false, first_trial: 0 };
    run(model, &config, &|_| {}).expect("the run starts")
}

const OVERLAY: &str = "tests/data/valid/small_chain_mitigations.toml";

#[test]
fn an_overlay_replaces_removes_and_adds_over_its_base() {
    let s = load(OVERLAY);
    assert_eq!(s.name, "small_chain_mitigations");
    let spec = s.model.spec();
    assert_eq!(spec.periods, 52, "[horizon] years overrides the base's");
    assert!((s.horizon_years() - 1.0).abs() < 1e-12);
    let disruptions: Vec<&str> = s.disruptions.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(disruptions, ["cn_licensing", "cn_embargo", "mine_fire", "jp_quake"]);
    // The replaced stage keeps its place and takes the overlay's keys, all of them.
    assert_eq!(spec.stages[2].name, "jp_magnets");
    assert_eq!(spec.stages[2].capacity_per_year, Param::fixed(3500.0));
    assert_eq!(spec.stages[2].capacity_growth_per_year, Param::ZERO);
    // The baseline applies no mitigation.
    assert_eq!(spec.stages.len(), 3);
    assert_eq!(spec.mitigations, chokepoint_engine::Mitigations::default());
    let kinds: Vec<(&str, &str)> = s.mitigations.iter().map(|m| (m.name.as_str(), m.kind.as_str())).collect();
    assert_eq!(
        kinds,
        [
            ("dy_reserve", "stockpile"),
            ("au_separation", "alternate_supply"),
            ("magnet_recycling", "recycling"),
            ("gbd", "thrifting"),
            ("ferrite_motors", "substitution"),
            ("pro_rata", "allocation"),
            ("more_stock", "buffer"),
        ]
    );
    let package = &s.packages[0];
    assert_eq!(package.members, ["dy_reserve", "more_stock"]);
    assert_eq!((package.cost.one_off_usd, package.cost.per_year_usd), (5.2e6, 5e5));
    assert!((package.cost.total_usd(s.horizon_years()) - 5.7e6).abs() < 1e-6);
    let licensing = &s.disruptions[0];
    assert_eq!(licensing.kind.as_str(), "export_licensing");
    assert!(
        licensing.summary.contains("`dy_oxide` and `tb_oxide` from CN to every other region"),
        "{}",
        licensing.summary
    );
    assert!(licensing.summary.contains("from week 0–52"), "{}", licensing.summary);
}

#[test]
fn every_mitigation_and_package_runs() {
    let s = load(OVERLAY);
    let names: Vec<String> =
        s.mitigations.iter().map(|m| m.name.clone()).chain(s.packages.iter().map(|p| p.name.clone())).collect();
    for name in &names {
        let model = s.variant(&[name]).unwrap_or_else(|e| panic!("{name}: {e}"));
        let results = runs(&model, 8);
        assert_eq!(results.trials, 8, "{name}");
    }
}

#[test]
fn alternate_supply_scales_the_existing_shares() {
    let s = load(OVERLAY);
    let model = s.variant(&["au_separation", "magnet_recycling"]).expect("valid");
    let spec = model.spec();
    let stage = |n: &str| spec.stages.iter().position(|x| x.name == n).expect("the stage exists");
    let material = |n: &str| spec.materials.iter().position(|x| x.name == n).expect("the material exists");
    let share = |from: &str, to: Node, m: &str| {
        spec.links.iter().find(|l| l.from == stage(from) && l.to == to && l.material == material(m)).map(|l| l.share)
    };
    let jp = Node::Stage(stage("jp_magnets"));
    assert_eq!(share("cn_separation", jp, "dy_oxide"), Some(0.7));
    assert_eq!(share("au_heavy_separation", jp, "dy_oxide"), Some(0.3));
    assert_eq!(share("cn_separation", jp, "ndpr_oxide"), Some(1.0), "other materials are untouched");
    let ev = Node::EndUse(0);
    assert!((share("jp_magnets", ev, "magnet").expect("kept") - 0.9).abs() < 1e-12);
    assert_eq!(share("jp_magnet_recycling", ev, "magnet"), Some(0.1));
    let au = &spec.stages[stage("au_heavy_separation")];
    assert_eq!(au.online_week, Some(Param::uniform(20.0, 40.0).unwrap()));
}

#[test]
fn policies_stockpiles_and_demand_changes_lower_into_the_model() {
    let s = load(OVERLAY);
    let spec = s.variant(&["everything"]).expect("valid").spec().clone();
    let jp = spec.stages.iter().find(|x| x.name == "jp_magnets").expect("jp");
    assert_eq!(jp.allocation, Allocation::ProRata);
    assert_eq!(jp.input_stock.initial, Param::fixed(12.0));
    assert_eq!(spec.stages[0].output_stock.target, Param::fixed(12.0), "a stage without inputs: output stock");
    assert_eq!(spec.end_uses[1].stock.initial, Param::fixed(12.0));
    let m = &spec.mitigations;
    assert_eq!(m.stockpiles.len(), 1);
    assert_eq!(m.stockpiles[0].initial, Param::fixed(20.0));
    assert_eq!(m.stockpiles[0].release_classes, [chokepoint_engine::Class::Defense]);
    assert_eq!(m.stockpiles[0].serves, [Node::Stage(2)]);
    assert_eq!(m.intensity_changes[0].start_week, Param::uniform(52.0, 156.0).unwrap());
    assert_eq!(m.demand_switches[0].start_week, Param::fixed(104.0));
    assert_eq!(m.demand_switches[0].ramp_weeks, Param::fixed(52.0));

    let sized = s.with_stockpile_size("dy_reserve", 55.0).expect("valid");
    assert_eq!(sized.spec().mitigations.stockpiles[0].initial, Param::fixed(55.0));
    assert!(matches!(s.with_stockpile_size("gbd", 1.0), Err(VariantError::NotAStockpile { .. })));
    assert!(matches!(s.with_stockpile_size("dy_reserve", -1.0), Err(VariantError::Invalid(_))));
    let Err(e) = s.variant(&["dy_reserv"]) else { panic!("an unknown name") };
    assert!(e.to_string().contains("did you mean `dy_reserve`?"), "{e}");
}

#[test]
fn the_empty_variant_reproduces_the_baseline_exactly() {
    let s = load(OVERLAY);
    let baseline = runs(&s.model, 30);
    let variant = runs(&s.variant(&[]).expect("valid"), 30);
    assert_eq!(baseline.end_uses, variant.end_uses);
    assert_eq!(baseline.stage_throughput_lost, variant.stage_throughput_lost);
}

#[test]
fn a_base_cannot_be_read_from_text_alone() {
    let text = fs::read_to_string(repo_root().join(OVERLAY)).expect("the fixture exists");
    let Err(d) = chokepoint_scenario::parse("overlay.toml", &text) else { panic!("refused") };
    assert_eq!(d.items.len(), 1);
    assert_eq!(d.items[0].code, "base-not-available");
}

#[test]
fn the_shipped_mitigations_load_and_run() {
    let s = load("scenarios/mitigations_2025.toml");
    // The five candidates for planners (the Dy/Tb reserve is one stockpile per material), and possibly more.
    for name in [
        "us_dy_stockpile",
        "us_tb_stockpile",
        "lynas_hre_expansion",
        "gbd_thrifting",
        "defense_first_allocation",
        "auto_magnet_buffer",
    ] {
        assert!(s.mitigations.iter().any(|m| m.name == name), "{name} is missing");
    }
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    for m in &s.mitigations {
        assert!(!m.description.is_empty(), "{} has no description", m.name);
        assert!(m.cost.total_usd(s.horizon_years()) > 0.0, "{} has no cost", m.name);
    }
    let names: Vec<String> =
        s.mitigations.iter().map(|m| m.name.clone()).chain(s.packages.iter().map(|p| p.name.clone())).collect();
    for name in &names {
        let model = s.variant(&[name]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(runs(&model, 4).trials, 4, "{name}");
    }
    // The same overlay added to the default scenario loaded on its own gives the same mitigations.
    let base_text = fs::read_to_string(repo_root().join("scenarios/rare_earths_2025.toml")).expect("the default");
    let mut base = chokepoint_scenario::parse("scenarios/rare_earths_2025.toml", &base_text).expect("valid");
    let overlay = fs::read_to_string(repo_root().join("scenarios/mitigations_2025.toml")).expect("the overlay");
    let added = base.add_overlay("scenarios/mitigations_2025.toml", &overlay).expect("valid");
    assert_eq!(added.len(), names.len());
    assert_eq!(base.mitigations, s.mitigations);
}
