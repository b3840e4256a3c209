//! `graph.json`: the stage graph of a run, as the report draws it.
//!
//! The other outputs hold numbers, not the shape of the supply chain, and a scenario file cannot always be read
//! again from the output folder (its `base` files may live elsewhere), so a run records here what `report.html`
//! needs to draw the graph and list the assumptions: stages, end uses, links (with the disruptions that cover
//! them), disruptions in words, and stockpiles. `docs/output-schema.md` describes every field.

use chokepoint_engine::{Model, Node};
use chokepoint_scenario::Scenario;
use serde::{Deserialize, Serialize};

use crate::documents::summary::{SCHEMA_VERSION, SummaryDocument, stage_unit};

/// The whole `graph.json` document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphDocument {
    pub schema_version: u32,
    /// Stages in scenario order.
    pub stages: Vec<GraphStage>,
    /// End uses in scenario order.
    pub end_uses: Vec<GraphEndUse>,
    /// Links in scenario order.
    pub links: Vec<GraphLink>,
    /// Disruptions in scenario order.
    pub disruptions: Vec<GraphDisruption>,
    /// Strategic stockpiles of the model that ran (none for a scenario's baseline).
    pub stockpiles: Vec<GraphStockpile>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphStage {
    pub name: String,
    pub region: String,
    /// Unit of throughput: `t` or `unit`.
    pub unit: String,
    /// Expected throughput lost as a share of the throughput the stage wanted (`stages[].mean_lost_share` of
    /// `summary.json`); `null` for a stage that wanted none.
    pub mean_lost_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphEndUse {
    pub name: String,
    pub region: String,
    /// Priority class: `defense`, `essential` or `other`.
    pub class: String,
    /// Expected share of demand not built: mean units short / mean units demanded; `null` without demand.
    pub mean_short_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphLink {
    /// Supplying stage.
    pub from: String,
    /// Customer: a stage or an end use (names are unique across both).
    pub to: String,
    pub material: String,
    /// The customer's sourcing share of this material from this supplier.
    pub share: f64,
    /// Disruptions (export licensing, embargo) that cover this link, in scenario order.
    pub disrupted_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphDisruption {
    pub name: String,
    /// `export_licensing`, `embargo`, `outage` or `demand_shock`.
    pub kind: String,
    /// The scenario's own `description` (may be empty).
    pub description: String,
    /// Scope, severity and timing in one line, generated from the parameters.
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphStockpile {
    pub name: String,
    pub material: String,
    /// Unit of the material: `t` or `unit`.
    pub unit: String,
    /// Initial level (the central value of its distribution), in `unit`.
    pub initial: f64,
}

impl GraphDocument {
    /// The graph of `model` (the model that ran, a variant of `scenario`), with the expected losses of `summary`.
    pub fn new(model: &Model, scenario: &Scenario, summary: &SummaryDocument) -> Self {
        let spec = model.spec();
        let stages = spec
            .stages
            .iter()
            .enumerate()
            .map(|(s, stage)| GraphStage {
                name: stage.name.clone(),
                region: stage.region.clone(),
                unit: stage_unit(model, s).to_owned(),
                mean_lost_share: summary.stages.get(s).and_then(|x| x.mean_lost_share),
            })
            .collect();
        let end_uses = spec
            .end_uses
            .iter()
            .enumerate()
            .map(|(e, end_use)| GraphEndUse {
                name: end_use.name.clone(),
                region: end_use.region.clone(),
                class: end_use.class.name().to_owned(),
                mean_short_share: summary
                    .end_uses
                    .get(e)
                    .filter(|x| x.mean_demand_units > 0.0)
                    .map(|x| x.units_short.mean / x.mean_demand_units),
            })
            .collect();
        let links = spec
            .links
            .iter()
            .enumerate()
            .map(|(l, link)| GraphLink {
                from: spec.stages[link.from].name.clone(),
                to: match link.to {
                    Node::Stage(s) => spec.stages[s].name.clone(),
                    Node::EndUse(e) => spec.end_uses[e].name.clone(),
                },
                material: spec.materials[link.material].name.clone(),
                share: link.share,
                disrupted_by: model.disruptions_on_link(l).iter().map(|&d| spec.disruptions[d].name.clone()).collect(),
            })
            .collect();
        let disruptions = spec
            .disruptions
            .iter()
            .map(|d| {
                let info = scenario.disruptions.iter().find(|i| i.name == d.name);
                GraphDisruption {
                    name: d.name.clone(),
                    kind: info.map_or("", |i| i.kind.as_str()).to_owned(),
                    description: info.map(|i| i.description.clone()).unwrap_or_default(),
                    summary: info.map(|i| i.summary.clone()).unwrap_or_default(),
                }
            })
            .collect();
        let stockpiles = spec
            .mitigations
            .stockpiles
            .iter()
            .enumerate()
            .map(|(k, sp)| {
                let material = &spec.materials[sp.material];
                GraphStockpile {
                    name: sp.name.clone(),
                    material: material.name.clone(),
                    unit: summary.stockpiles.get(k).map_or("t", |s| s.unit.as_str()).to_owned(),
                    initial: sp.initial.central(),
                }
            })
            .collect();
        Self { schema_version: SCHEMA_VERSION, stages, end_uses, links, disruptions, stockpiles }
    }
}
