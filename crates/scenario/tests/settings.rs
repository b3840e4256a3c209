//! `--set KEY=VALUE`: settings change the scenario before it is lowered and are checked like the file; and the
//! scenario's parameters, named by their keys, with `[uncertainty]`.
//!
//! Bad settings are a corpus like the bad scenarios: each `tests/data/settings/NN-name.set` holds one setting per
//! line, applied to `tests/data/valid/small_chain.toml` (or to the file a first line `# base: PATH` names), and its
//! rendered diagnostics are compared with `NN-name.diag`. Run with `CHOKEPOINT_BLESS=1` to write them.

mod base_files;
use base_files::{repo_root, resolve};

use chokepoint_engine::{Class, DisruptionKind, Param, Timing};
use chokepoint_scenario::{Diagnostics, Scenario, Scope, Setting, Site};

const SMALL_CHAIN: &str = "tests/data/valid/small_chain.toml";
const WITH_MITIGATIONS: &str = "tests/data/valid/small_chain_mitigations.toml";

fn load_file(origin: &str, settings: &[&str]) -> Result<Scenario, Diagnostics> {
    let text = std::fs::read_to_string(repo_root().join(origin)).expect("the fixture exists");
    let settings: Vec<Setting> =
        settings.iter().enumerate().map(|(i, s)| Setting::new(format!("--set[{}]", i + 1), *s)).collect();
    chokepoint_scenario::parse_with_settings(origin, &text, Some(&mut resolve), &settings)
}

fn load(settings: &[&str]) -> Scenario {
    load_file(SMALL_CHAIN, settings).unwrap_or_else(|d| panic!("{settings:?} refused:\n{}", d.render()))
}

#[test]
fn a_setting_changes_the_model_as_the_file_would() {
    let s = load(&[
        "stages.cn_mines.capacity_t_per_year=5500",
        "disruptions.cn_licensing.duration_weeks=26",
        "links[1].lead_time_days={ uniform = { min = 14, max = 28 } }",
        "end_uses.ev_motors.inventory_weeks.target=3",
        "horizon.years=1",
    ]);
    let spec = s.model.spec();
    assert_eq!(spec.stages[0].capacity_per_year, Param::fixed(5500.0));
    let Timing::Window { duration_weeks, .. } = &spec.disruptions[0].timing else { panic!("a window") };
    assert_eq!(*duration_weeks, Param::fixed(26.0));
    assert_eq!(spec.links[1].lead_time_weeks, Param::uniform(2.0, 4.0).unwrap(), "days are converted");
    assert_eq!(spec.end_uses[0].stock.target, Param::fixed(3.0));
    assert_eq!(spec.end_uses[0].stock.initial, Param::fixed(2.0), "the rest of the table is kept");
    assert_eq!(spec.periods, 52);
}

#[test]
fn settings_reach_into_distributions_and_later_ones_win() {
    let s = load(&[
        "stages.cn_mines.capacity_t_per_year.pert.mode=6200",
        "disruptions.cn_licensing.denial_probability.essential=0.3",
        "disruptions.cn_licensing.denial_probability.essential=0.4",
        "horizon.period=month",
    ]);
    let spec = s.model.spec();
    assert_eq!(spec.stages[0].capacity_per_year, Param::pert(5000.0, 6200.0, 6500.0).unwrap());
    let DisruptionKind::ExportLicensing { denial, .. } = &spec.disruptions[0].kind else { panic!("licensing") };
    assert_eq!(denial[Class::Essential as usize], Param::fixed(0.4));
    assert!((spec.period_weeks - 52.0 / 12.0).abs() < 1e-12, "a bare word is a string");
}

#[test]
fn settings_change_a_base_through_its_overlay_and_mitigations_too() {
    let s = load_file(
        WITH_MITIGATIONS,
        &[
            // `cn_mines` is defined in the base only.
            "stages.cn_mines.capacity_t_per_year=5800",
            // `jp_magnets` is replaced by the overlay: the overlay's table is the one changed.
            "stages.jp_magnets.capacity_t_per_year=3600",
            "mitigations.au_separation.stages.au_heavy_separation.online_week=30",
            "mitigations.dy_reserve.initial_t=25",
        ],
    )
    .unwrap_or_else(|d| panic!("{}", d.render()));
    let spec = s.model.spec();
    assert_eq!(spec.stages[0].capacity_per_year, Param::fixed(5800.0));
    assert_eq!(spec.stages[2].capacity_per_year, Param::fixed(3600.0));
    let (au, _) = s.variant_parameters(&["au_separation"]).expect("the variant builds");
    let stage = au.spec().stages.iter().find(|x| x.name == "au_heavy_separation").expect("added");
    assert_eq!(stage.online_week, Some(Param::fixed(30.0)));
    let reserve = s.variant(&["dy_reserve"]).expect("the variant builds");
    assert_eq!(reserve.spec().mitigations.stockpiles[0].initial, Param::fixed(25.0));
}

#[test]
fn a_removed_entity_cannot_be_set() {
    let Err(d) = load_file(WITH_MITIGATIONS, &["disruptions.munitions_surge.multiplier=2"]) else {
        panic!("a removed disruption was set")
    };
    let text = d.render();
    assert!(text.contains("names disruption `munitions_surge`, which the scenario does not define"), "{text}");
    assert!(text.contains("--> --set[1]:1:13"), "{text}");
}

#[test]
fn parameters_are_named_by_their_keys() {
    let s = load(&[]);
    let find = |key: &str| s.parameters.iter().find(|p| p.key == key).unwrap_or_else(|| panic!("no `{key}`"));
    let capacity = find("stages.cn_mines.capacity_t_per_year");
    assert!(capacity.is_uncertain());
    assert_eq!((capacity.sites.as_slice(), capacity.scope), (&[Site::StageCapacity(0)][..], Scope::Trial));
    let lead = find("links[1].lead_time_days");
    assert!((lead.scale - 1.0 / 7.0).abs() < 1e-12 && lead.unit == "days");
    assert_eq!(lead.in_key_unit(3.0), 21.0);
    assert!(!find("links[2].lead_time_days").is_uncertain(), "a constant is a parameter, not an uncertain one");
    assert_eq!(find("disruptions.cn_licensing.review_weeks").scope, Scope::Event, "drawn per shipment");
    assert_eq!(find("disruptions.mine_fire.severity").scope, Scope::Event, "drawn per event of a hazard");
    assert_eq!(find("disruptions.cn_licensing.denial_probability.other").scope, Scope::Trial);
    assert_eq!(find("disruptions.cn_embargo.follows.lag_months").scale, 52.0 / 12.0);
    find("end_uses.ev_motors.growth_per_year");
    find("stages.jp_magnets.inventory_weeks.initial");
    find("stages.cn_mines.inventory_weeks.initial");
    // Every site of every parameter holds the parameter's distribution.
    for p in &s.parameters {
        for site in &p.sites {
            assert_eq!(site.get(s.model.spec()), Some(&p.distribution), "{}", p.key);
        }
    }
}

#[test]
fn mitigations_name_their_own_parameters_and_the_stocks_they_set() {
    let text = std::fs::read_to_string(repo_root().join(WITH_MITIGATIONS)).expect("the fixture exists");
    let s = chokepoint_scenario::parse_with(WITH_MITIGATIONS, &text, &mut resolve).expect("valid");
    let names: Vec<String> = s.mitigations.iter().map(|m| m.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let (model, parameters) = s.variant_parameters(&names).expect("every mitigation together");
    let keys: Vec<&str> = parameters.iter().map(|p| p.key.as_str()).collect();
    for expected in [
        "mitigations.dy_reserve.rebuild_t_per_week",
        "mitigations.au_separation.stages.au_heavy_separation.online_week",
        "mitigations.au_separation.links[0].lead_time_weeks",
    ] {
        assert!(keys.contains(&expected), "no `{expected}` in {keys:?}");
    }
    for p in &parameters {
        for site in &p.sites {
            assert_eq!(site.get(model.spec()), Some(&p.distribution), "{}", p.key);
        }
    }
    // A buffer sets the stocks of the stages and end uses it names: one key, several sites; the stages' own keys
    // are gone from the variant.
    let buffer = parameters.iter().find(|p| p.key == "mitigations.more_stock.inventory_weeks.initial").expect("named");
    assert_eq!(buffer.sites.len(), 3, "{:?}", buffer.sites);
    assert!(!keys.contains(&"stages.jp_magnets.inventory_weeks.initial"));
    assert!(parameters.iter().filter(|p| p.key.starts_with("disruptions.")).all(|p| p.shares_stream()));
    assert!(parameters.iter().filter(|p| p.key.starts_with("stages.")).all(|p| !p.shares_stream()));
}

#[test]
fn knowledge_patterns_are_checked_against_the_parameters() {
    let s =
        load(&["uncertainty.knowledge=[\"stages.*.inventory_weeks.initial\", \"disruptions.*.denial_probability.*\"]"]);
    let knowledge: Vec<&str> =
        s.parameters.iter().filter(|p| s.uncertainty.is_knowledge(p)).map(|p| p.key.as_str()).collect();
    assert_eq!(
        knowledge,
        ["stages.jp_magnets.inventory_weeks.initial", "disruptions.cn_licensing.denial_probability.other"],
        "constants and per-event parameters are never knowledge"
    );
}

#[test]
fn every_bad_setting_renders_as_its_snapshot() {
    let dir = repo_root().join("tests/data/settings");
    let bless = std::env::var("CHOKEPOINT_BLESS").is_ok_and(|v| v == "1");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/data/settings exists")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "set"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "the corpus has {} files", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("readable");
        let base = text.lines().next().and_then(|l| l.strip_prefix("# base: ")).unwrap_or(SMALL_CHAIN);
        let settings: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
        let rendered = match load_file(base, &settings) {
            Ok(_) => {
                failures.push(format!("{}: accepted", path.display()));
                continue;
            }
            Err(d) => d.render(),
        };
        let snapshot = path.with_extension("diag");
        if bless {
            std::fs::write(&snapshot, &rendered).expect("writable");
        } else if std::fs::read_to_string(&snapshot).unwrap_or_default() != rendered {
            failures.push(format!("{}: differs from its snapshot:\n{rendered}", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}\n(set CHOKEPOINT_BLESS=1 to update the snapshots)", failures.join("\n"));
}

#[test]
fn a_setting_changes_one_market_or_the_defaults_of_every_market() {
    const MARKETS: &str = "scenarios/licensing_2025.toml";
    let base = load_file(MARKETS, &[]).unwrap_or_else(|d| panic!("{}", d.render()));
    let set = load_file(MARKETS, &["markets.dy_oxide.demand_lag_weeks=77", "markets.defaults.price_gain=33"])
        .unwrap_or_else(|d| panic!("{}", d.render()));
    let (before, after) = (&base.model.spec().markets, &set.model.spec().markets);
    assert_eq!(before.len(), after.len());
    assert!(!after.is_empty(), "{MARKETS} has markets");
    let dy = base.model.spec().materials.iter().position(|m| m.name == "dy_oxide").expect("Dy oxide");
    for (b, a) in before.iter().zip(after) {
        let lag = if a.material == dy { 77.0 } else { b.demand_lag_weeks };
        assert_eq!(a.demand_lag_weeks, lag, "material {}", a.material);
        assert_eq!(a.price_gain, 33.0, "the defaults reach every market that does not set its own");
        assert_eq!(a.price_half_life_weeks, b.price_half_life_weeks, "the rest is kept");
    }
}
