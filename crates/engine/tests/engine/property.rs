//! Property tests on random small graphs: mass balance and 0 <= shortfall <= demand, whatever the graph,
//! parameters and disruptions.

use chokepoint_engine::outcome::Trace;
use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{
    Allocation, Class, Destinations, DisruptionKind, DisruptionSpec, FlowScope, ModelSpec, Node, Param, Timing, Unmet,
};
use proptest::prelude::*;

use crate::invariants::check_mass_balance;
use crate::support::*;

const REGIONS: [&str; 3] = ["CN", "US", "JP"];

fn shares(weights: &[f64]) -> Vec<f64> {
    let total: f64 = weights.iter().sum();
    let mut v: Vec<f64> = weights.iter().map(|w| w / total).collect();
    let head: f64 = v[..v.len() - 1].iter().sum();
    let last = v.len() - 1;
    v[last] = 1.0 - head;
    v
}

#[derive(Debug, Clone)]
struct Shape {
    mines: Vec<(usize, f64, f64)>,             // region, capacity factor, output stock weeks
    mids: Vec<(usize, f64, f64, f64, bool)>,   // region, capacity factor, input stock weeks, yield, pro rata
    ends: Vec<(usize, f64, f64, bool, usize)>, // region, demand/yr, stock weeks, backlog, class
    mine_weights: Vec<f64>,
    mid_weights: Vec<f64>,
    leads: Vec<f64>,
    disruptions: Vec<(u8, usize, f64, f64, f64)>, // kind, target, onset, duration, severity
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        prop::collection::vec((0..3usize, 0.3..3.0f64, 0.0..4.0f64), 1..4),
        prop::collection::vec((0..3usize, 0.3..3.0f64, 0.0..12.0f64, 0.2..1.0f64, any::<bool>()), 1..4),
        prop::collection::vec((0..3usize, 10.0..10_000.0f64, 0.0..12.0f64, any::<bool>(), 0..3usize), 1..4),
        prop::collection::vec(0.1..1.0f64, 3),
        prop::collection::vec(0.1..1.0f64, 3),
        prop::collection::vec(0.0..8.0f64, 24),
        prop::collection::vec((0..5u8, 0..3usize, 0.0..60.0f64, 0.0..40.0f64, 0.0..1.0f64), 0..5),
    )
        .prop_map(|(mines, mids, ends, mine_weights, mid_weights, leads, disruptions)| Shape {
            mines,
            mids,
            ends,
            mine_weights,
            mid_weights,
            leads,
            disruptions,
        })
}

fn build(sh: &Shape) -> ModelSpec {
    let materials = vec![material("ore"), material("part")];
    let (nm, nk) = (sh.mines.len(), sh.mids.len());
    let total_demand: f64 = sh.ends.iter().map(|e| e.1).sum();
    let mut stages = Vec::new();
    for (i, &(r, f, w)) in sh.mines.iter().enumerate() {
        let mut s = stage(&format!("mine{i}"), REGIONS[r], total_demand * 2.0 * f, vec![], vec![(0, 1.0)]);
        s.output_stock = weeks(w, w);
        stages.push(s);
    }
    for (i, &(r, f, w, y, pro)) in sh.mids.iter().enumerate() {
        let mut s = stage(&format!("mid{i}"), REGIONS[r], total_demand * f / y, vec![(0, 1.0)], vec![(1, y)]);
        s.input_stock = weeks(w, w);
        if pro {
            s.allocation = Allocation::ProRata;
        }
        stages.push(s);
    }
    let mut links = Vec::new();
    let mut lead = sh.leads.iter().cycle();
    let ms = shares(&sh.mine_weights[..nm]);
    for k in 0..nk {
        for (i, &share) in ms.iter().enumerate() {
            links.push(link(i, Node::Stage(nm + k), 0, share, *lead.next().unwrap()));
        }
    }
    let ks = shares(&sh.mid_weights[..nk]);
    let mut end_uses = Vec::new();
    for (e, &(r, d, w, backlog, class)) in sh.ends.iter().enumerate() {
        let mut eu = end_use(&format!("end{e}"), REGIONS[r], d, vec![(1, 1.0)], weeks(w, w));
        eu.unmet = if backlog { Unmet::Backlog } else { Unmet::Lost };
        eu.class = Class::ALL[class];
        end_uses.push(eu);
        for (k, &share) in ks.iter().enumerate() {
            links.push(link(nm + k, Node::EndUse(e), 1, share, *lead.next().unwrap()));
        }
    }
    let disruptions = sh
        .disruptions
        .iter()
        .enumerate()
        .map(|(i, &(kind, target, onset, duration, sev))| {
            let scope = FlowScope { materials: vec![0, 1], from_region: "CN".into(), to: Destinations::AllOther };
            let kind = match kind {
                0 => DisruptionKind::Embargo { scope, severity: c(sev) },
                1 => DisruptionKind::ExportLicensing {
                    scope,
                    review_weeks: Param::uniform(0.0, 20.0 * sev).unwrap(),
                    denial: [c(sev), c(sev * 0.5), c(sev * 0.2)],
                    grace_weeks: c(0.0),
                },
                2 => DisruptionKind::Outage { stages: vec![target % nm], severity: c(sev) },
                3 => DisruptionKind::Outage { stages: vec![nm + target % nk], severity: c(sev) },
                _ => DisruptionKind::DemandShock {
                    end_uses: vec![target % sh.ends.len()],
                    multiplier: c(1.0 + 2.0 * sev),
                },
            };
            let timing = if i % 2 == 0 {
                Timing::Window { onset_weeks: c(onset), duration_weeks: c(duration) }
            } else {
                Timing::Hazard { rate_per_year: c(sev * 2.0), duration_weeks: c(duration) }
            };
            DisruptionSpec { name: format!("d{i}"), kind, timing }
        })
        .collect();
    ModelSpec {
        name: "random".into(),
        period_weeks: 1.0,
        periods: 80,
        materials,
        stages,
        links,
        end_uses,
        disruptions,
        mitigations: Default::default(),
        markets: Vec::new(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_graphs_balance_mass_and_bound_shortfall(sh in shape(), seed in any::<u64>()) {
        let m = model(build(&sh));
        let mut scratch = Scratch::new(&m);
        let mut tr = Trace::default();
        for trial in 0..3 {
            simulate(&m, seed, trial, &mut scratch, Some(&mut tr));
            let worst = check_mass_balance(&m, &tr);
            prop_assert!(worst < 1e-9, "residual {}", worst);
            for o in &scratch.outcome().end_uses {
                prop_assert!(o.units_short >= 0.0);
                prop_assert!(o.units_short <= o.demand * (1.0 + 1e-12) + 1e-9);
                prop_assert!(o.share_met.is_finite() && (0.0..=1.0).contains(&o.share_met));
            }
            prop_assert!(scratch.outcome().stage_throughput_lost.iter().all(|x| x.is_finite() && *x >= 0.0));
        }
    }
}
