//! Small hand-built models for the engine's tests.

use chokepoint_engine::{
    Allocation, Class, DisruptionKind, DisruptionSpec, EndUseSpec, LinkSpec, MaterialSpec, Model, ModelSpec, Node,
    Param, StageSpec, StockWeeks, Timing, Unit, Unmet,
};

pub fn c(x: f64) -> Param {
    Param::fixed(x)
}

pub fn weeks(initial: f64, target: f64) -> StockWeeks {
    StockWeeks { initial: c(initial), target: c(target) }
}

pub fn material(name: &str) -> MaterialSpec {
    MaterialSpec { name: name.into(), unit: Unit::Tonne }
}

pub fn stage(
    name: &str,
    region: &str,
    capacity_per_year: f64,
    inputs: Vec<(usize, f64)>,
    outputs: Vec<(usize, f64)>,
) -> StageSpec {
    StageSpec {
        name: name.into(),
        region: region.into(),
        capacity_per_year: c(capacity_per_year),
        capacity_growth_per_year: c(0.0),
        online_week: None,
        ramp_weeks: c(0.0),
        online_trigger: None,
        inputs,
        outputs,
        input_stock: StockWeeks::none(),
        output_stock: StockWeeks::none(),
        allocation: Allocation::defense_first(),
    }
}

pub fn link(from: usize, to: Node, material: usize, share: f64, lead_weeks: f64) -> LinkSpec {
    LinkSpec { from, to, material, share, lead_time_weeks: c(lead_weeks) }
}

pub fn end_use(
    name: &str,
    region: &str,
    demand_per_year: f64,
    intensity: Vec<(usize, f64)>,
    stock: StockWeeks,
) -> EndUseSpec {
    EndUseSpec {
        name: name.into(),
        region: region.into(),
        demand_per_year: c(demand_per_year),
        growth_per_year: c(0.0),
        intensity: intensity.into_iter().map(|(m, q)| (m, c(q))).collect(),
        class: Class::Other,
        unmet: Unmet::Lost,
        stock,
    }
}

/// One mine in `region` supplying one end use in `to_region` directly: `demand_per_week` units of one tonne,
/// the end use holding `buffer_weeks` of stock, lead time `lead_weeks`, mine capacity `cap_factor` x demand.
pub fn single_chain(
    demand_per_week: f64,
    buffer_weeks: f64,
    lead_weeks: f64,
    cap_factor: f64,
    periods: usize,
) -> ModelSpec {
    ModelSpec {
        name: "single-chain".into(),
        period_weeks: 1.0,
        periods,
        materials: vec![material("ore")],
        stages: vec![stage("mine", "CN", demand_per_week * 52.0 * cap_factor, vec![], vec![(0, 1.0)])],
        links: vec![link(0, Node::EndUse(0), 0, 1.0, lead_weeks)],
        end_uses: vec![end_use(
            "plant",
            "US",
            demand_per_week * 52.0,
            vec![(0, 1.0)],
            weeks(buffer_weeks, buffer_weeks),
        )],
        disruptions: vec![],
        mitigations: Default::default(),
        markets: Vec::new(),
    }
}

/// A window disruption with constant onset and duration.
pub fn window(name: &str, kind: DisruptionKind, onset: f64, duration: f64) -> DisruptionSpec {
    DisruptionSpec {
        name: name.into(),
        kind,
        timing: Timing::Window { onset_weeks: c(onset), duration_weeks: c(duration) },
    }
}

/// A four-tier chain with co-products, two end uses of different classes, and every kind of disruption.
pub fn rich_chain(periods: usize) -> ModelSpec {
    use chokepoint_engine::{Destinations, FlowScope};
    let materials = vec![material("ore"), material("ndpr"), material("dy"), material("magnet")];
    let mut mine_cn = stage("mine_cn", "CN", 60_000.0, vec![], vec![(0, 1.0)]);
    mine_cn.output_stock = weeks(2.0, 2.0);
    mine_cn.capacity_per_year = Param::uniform(55_000.0, 65_000.0).unwrap();
    let mine_au = stage("mine_au", "AU", 30_000.0, vec![], vec![(0, 1.0)]);
    let mut sep = stage("sep_cn", "CN", 90_000.0, vec![(0, 1.0)], vec![(1, 0.2), (2, 0.02)]);
    sep.input_stock = weeks(4.0, 4.0);
    sep.allocation = Allocation::ProRata;
    let mut mag_cn = stage("magnets_cn", "CN", 10_000.0, vec![(1, 0.3), (2, 0.03)], vec![(3, 1.0)]);
    mag_cn.input_stock = weeks(6.0, 6.0);
    let mut mag_jp = stage("magnets_jp", "JP", 4_000.0, vec![(1, 0.3), (2, 0.03)], vec![(3, 1.0)]);
    mag_jp.input_stock = StockWeeks { initial: Param::triangular(4.0, 8.0, 12.0).unwrap(), target: c(8.0) };
    mag_jp.output_stock = weeks(1.0, 2.0);
    let stages = vec![mine_cn, mine_au, sep, mag_cn, mag_jp];
    let lead = Param::uniform(2.0, 6.0).unwrap();
    let links = vec![
        link(0, Node::Stage(2), 0, 0.7, 2.0),
        link(1, Node::Stage(2), 0, 0.3, 8.0),
        link(2, Node::Stage(3), 1, 1.0, 1.0),
        link(2, Node::Stage(3), 2, 1.0, 1.0),
        LinkSpec { lead_time_weeks: lead.clone(), ..link(2, Node::Stage(4), 1, 1.0, 0.0) },
        LinkSpec { lead_time_weeks: lead, ..link(2, Node::Stage(4), 2, 1.0, 0.0) },
        link(3, Node::EndUse(0), 3, 0.6, 4.0),
        link(4, Node::EndUse(0), 3, 0.4, 1.0),
        link(3, Node::EndUse(1), 3, 0.5, 6.0),
        link(4, Node::EndUse(1), 3, 0.5, 2.0),
    ];
    let mut ev = end_use("ev_motors", "EU", 4_000_000.0, vec![(3, 0.0015)], weeks(8.0, 8.0));
    ev.growth_per_year = Param::uniform(0.0, 0.1).unwrap();
    let mut f35 = end_use("f35", "US", 150.0, vec![(3, 0.02)], weeks(10.0, 10.0));
    f35.class = Class::Defense;
    f35.unmet = Unmet::Backlog;
    let scope = |materials: Vec<usize>| FlowScope { materials, from_region: "CN".into(), to: Destinations::AllOther };
    let disruptions = vec![
        DisruptionSpec {
            name: "licensing".into(),
            kind: DisruptionKind::ExportLicensing {
                scope: scope(vec![2, 3]),
                review_weeks: Param::lognormal_median_p90(8.0, 26.0).unwrap(),
                denial: [c(1.0), c(0.3), Param::uniform(0.1, 0.5).unwrap()],
                grace_weeks: c(0.0),
            },
            timing: Timing::Window { onset_weeks: Param::uniform(0.0, 20.0).unwrap(), duration_weeks: c(40.0) },
        },
        DisruptionSpec {
            name: "escalation".into(),
            kind: DisruptionKind::Embargo { scope: scope(vec![1, 2, 3]), severity: Param::uniform(0.4, 1.0).unwrap() },
            timing: Timing::Follows {
                disruption: 0,
                probability: c(0.5),
                lag_weeks: Param::uniform(4.0, 30.0).unwrap(),
                duration_weeks: c(20.0),
            },
        },
        DisruptionSpec {
            name: "mine_outage".into(),
            kind: DisruptionKind::Outage { stages: vec![0], severity: Param::uniform(0.3, 1.0).unwrap() },
            timing: Timing::Hazard { rate_per_year: c(0.5), duration_weeks: Param::uniform(4.0, 26.0).unwrap() },
        },
        DisruptionSpec {
            name: "jp_flaky".into(),
            kind: DisruptionKind::Outage { stages: vec![4], severity: c(0.5) },
            timing: Timing::TwoState { start_per_week: 0.02, end_per_week: 0.2 },
        },
        DisruptionSpec {
            name: "surge".into(),
            kind: DisruptionKind::DemandShock { end_uses: vec![1], multiplier: Param::uniform(1.5, 3.0).unwrap() },
            timing: Timing::Window { onset_weeks: c(30.0), duration_weeks: c(52.0) },
        },
    ];
    ModelSpec {
        name: "rich".into(),
        period_weeks: 1.0,
        periods,
        materials,
        stages,
        links,
        end_uses: vec![ev, f35],
        disruptions,
        mitigations: Default::default(),
        markets: Vec::new(),
    }
}

pub fn model(spec: ModelSpec) -> Model {
    match Model::new(spec) {
        Ok(m) => m,
        Err(e) => panic!("invalid test model: {e:?}"),
    }
}
