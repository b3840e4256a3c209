//! Weekly flows of traced trials (`chokepoint trace`): what each stage shipped, received and made, what each
//! end use built, and indices against the same trial without disruptions or against the normal flow, summarised
//! across trials.
//!
//! The *export index* of a stage's output that a disruption covers (a licensed or embargoed material leaving its
//! region) is observed per link, on common random numbers: trial `i` is simulated as given and again with every
//! disruption removed (the other random draws are keyed by name, so they are the same), and
//!
//! `export index = 1 + (shipped − shipped without disruptions) / normal flow`,
//!
//! all three on the covered links only: 1 when the disruption leaves those exports as they would have been, about
//! 0 when nothing leaves. It counts a licensed shipment when it leaves the exporter, before its licence review.
//! (Earlier versions took the shipments from the stage's totals, to every customer, which took in the exporter's
//! domestic sales: China's Sm oxide, whose covered exports are small beside its domestic sales, read −5 to 7. A
//! ratio to the shipments without disruptions is undefined in weeks when those are 0, which lumpy orders make
//! common.)
//! The *import index* of a stage input that covered links supply is its receipts (arrivals, after licence review
//! and transit, from every supplier of the input) over its normal weekly receipts (the baseline's flow on every
//! link into the input): 1 at the normal rate, 0 when nothing arrives, above 1 while the stage restocks. (An index
//! of the gap over the covered links' normal flow, as for exports, is not bounded below where that flow is small
//! beside the input's other supplies: it read −1.6 to −3.5 for plants with little normal flow.)
//! The *throughput index* of a stage is its throughput over the same trial's throughput without disruptions.
//! The *cleared export index* is observed directly, per link: what clears export control on the covered links
//! in a week (the week shipped plus any licence review: what customs would record as exported) over their
//! normal weekly flow. The *region cleared export index* is the same over every covered link from a region's
//! stages to end uses, summed over materials: a country's controlled exports of finished goods together (China's
//! licensed magnets, all grades), which is what customs series of a product class count.
//!
//! The normal flow of every index is the run rate at the start of the horizon ([`Model::start_link_flow`]): a
//! plant still to come online is not in it, its customers buying its share from the others, as they do in the
//! trials. (Measured at nameplate shares instead, a line whose customers also buy from plants due later read
//! above 1 with no disruption at all: China's traction grades at 1.10 in the first month of an undisturbed
//! `licensing_2025`, whose EV makers' 8 % share from Neo Narva and MP comes online from late 2025.)
//! `docs/validation.md` uses them; `docs/output-schema.md` describes the files.
//!
//! [`trace`] is the entry point: it simulates the trials one after the other on one thread (traces are large);
//! trial `i` is trial `i` of a run with the same seed, so its outcome is the one `trials.parquet` reports.

use std::ops::ControlFlow;

use chokepoint_engine::outcome::Trace;
use chokepoint_engine::stats::quantile_sorted;
use chokepoint_engine::trial::{Scratch, simulate};
use chokepoint_engine::{Model, ModelError, Node};

/// Why the flows could not be traced.
#[derive(Debug, thiserror::Error)]
pub enum FlowsError {
    /// The model without its disruptions, against which the indices are taken, is not valid.
    #[error("the model without its disruptions is not valid: {}", list(.0))]
    CalmModel(Vec<ModelError>),
    /// No trials to trace: there is nothing to summarise.
    #[error("no trials to trace")]
    NoTrials,
    /// The caller's progress callback asked to stop ([`trace_cancellable`]).
    #[error("cancelled")]
    Cancelled,
}

fn list(errors: &[ModelError]) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// The weekly flows of `trials` trials of `model` from `seed`, each also simulated with every disruption removed
/// (the same trial on common random numbers), summarised across trials per series and period. It holds
/// [`values_bytes`] of weekly values until they are summarised: callers with untrusted trial counts check that
/// first.
pub fn trace(model: &Model, seed: u64, trials: usize) -> Result<Flows, FlowsError> {
    trace_cancellable(model, seed, trials, &|_| ControlFlow::Continue(()))
}

/// [`trace`], reporting the trials traced so far to `progress` after each one; when it answers
/// `ControlFlow::Break`, the trace stops with [`FlowsError::Cancelled`] (a caller's Ctrl-C).
pub fn trace_cancellable(
    model: &Model,
    seed: u64,
    trials: usize,
    progress: &dyn Fn(u64) -> ControlFlow<()>,
) -> Result<Flows, FlowsError> {
    if trials == 0 {
        return Err(FlowsError::NoTrials);
    }
    let mut calm_spec = model.spec().clone();
    calm_spec.disruptions.clear();
    let calm = Model::new(calm_spec).map_err(FlowsError::CalmModel)?;

    let series = series_of(model);
    let periods = model.periods();
    // values[k][t * trials + i]
    let mut values = vec![vec![0.0; periods * trials]; series.len()];
    let (mut scratch, mut calm_scratch) = (Scratch::new(model), Scratch::new(&calm));
    let (mut tr, mut calm_tr) = (Trace::default(), Trace::default());
    for i in 0..trials {
        simulate(model, seed, i as u64, &mut scratch, Some(&mut tr));
        simulate(&calm, seed, i as u64, &mut calm_scratch, Some(&mut calm_tr));
        for (k, s) in series.iter().enumerate() {
            for t in 0..periods {
                values[k][t * trials + i] = value(s, &tr, &calm_tr, t);
            }
        }
        if progress(i as u64 + 1).is_break() {
            return Err(FlowsError::Cancelled);
        }
    }
    let stats: Vec<Vec<WeekStats>> =
        values.iter_mut().map(|v| v.chunks_exact_mut(trials).map(WeekStats::of).collect()).collect();
    Ok(Flows { series, period_weeks: model.spec().period_weeks, stats })
}

/// The bytes [`trace`] holds for the weekly values of `trials` trials of `model` before it summarises them: one
/// `f64` per series, period and trial.
pub fn values_bytes(model: &Model, trials: u64) -> u128 {
    series_of(model).len() as u128 * model.periods() as u128 * u128::from(trials) * 8
}

/// What a series measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// A stage's shipments of one output, per week.
    Shipped {
        /// The stage, by index.
        stage: usize,
        /// The output, by slot in the stage's outputs.
        slot: usize,
    },
    /// A stage's receipts of one input, per week.
    Received {
        /// The stage, by index.
        stage: usize,
        /// The input, by slot in the stage's inputs.
        slot: usize,
    },
    /// A stage's throughput, per week.
    Throughput {
        /// The stage, by index.
        stage: usize,
    },
    /// A stage's throughput over the same trial's throughput without disruptions.
    ThroughputIndex {
        /// The stage, by index.
        stage: usize,
    },
    /// 1 + (what leaves on the covered links ([`Series::links`]) − what leaves on them in the same trial
    /// without disruptions) / `normal`, their normal weekly flow (see the module documentation).
    ExportIndex {
        /// The covered links' normal weekly flow (above 0).
        normal: f64,
    },
    /// What clears export control on the covered links ([`Series::links`]: one stage output's, or a region's
    /// to end uses), over their normal weekly flow `normal`.
    ClearedExportIndex {
        /// The covered links' normal weekly flow (above 0).
        normal: f64,
    },
    /// Receipts of a stage input that covered links supply (arrivals: after licence review and transit) over
    /// `normal`, the baseline's weekly flow on every link into the input.
    ImportIndex {
        /// The stage, by index.
        stage: usize,
        /// The input, by slot in the stage's inputs.
        slot: usize,
        /// The normal weekly flow on every link into the input (above 0).
        normal: f64,
    },
    /// An end use's units built, per week.
    Built {
        /// The end use, by index.
        end_use: usize,
    },
    /// An end use's units required (new demand plus backlog), per week.
    Required {
        /// The end use, by index.
        end_use: usize,
    },
    /// Built over required.
    ShareMet {
        /// The end use, by index.
        end_use: usize,
    },
    /// The price index of market `market` (1 = normal), at the end of the week.
    PriceIndex {
        /// The market, by index.
        market: usize,
    },
}

/// One weekly series: what it is called in the files, and what it measures.
#[derive(Debug, Clone)]
pub struct Series {
    /// The series' name in the files (`shipped`, `export_index`, ...).
    pub series: &'static str,
    /// The stage, end use or region it is of, or the material of a market's price index.
    pub node: String,
    /// The material, or `""` for series in units of throughput or of end-use items.
    pub material: String,
    /// What it measures.
    pub measure: Measure,
    /// The links a per-link measure sums over (empty for the others).
    pub links: Vec<usize>,
}

/// Every series of `model`: per stage its shipments, receipts, throughput and throughput index, its export
/// indices per covered output and its import index per covered input; per exporting region its cleared export
/// index to end uses; per end use its builds, requirement and share met; per market (named by its material) its
/// price index.
pub fn series_of(model: &Model) -> Vec<Series> {
    let spec = model.spec();
    let material = |m: usize| spec.materials[m].name.clone();
    // The normal flow of the indices: the run rate at the start of the horizon, before any disruption.
    let normal_flow = model.start_link_flow();
    let covered = |l: usize| !model.disruptions_on_link(l).is_empty();
    let mut out = Vec::new();
    for (s, st) in spec.stages.iter().enumerate() {
        let node = || st.name.clone();
        for (slot, &(m, _)) in st.outputs.iter().enumerate() {
            out.push(Series {
                series: "shipped",
                node: node(),
                material: material(m),
                measure: Measure::Shipped { stage: s, slot },
                links: Vec::new(),
            });
        }
        for (slot, &(m, _)) in st.inputs.iter().enumerate() {
            out.push(Series {
                series: "received",
                node: node(),
                material: material(m),
                measure: Measure::Received { stage: s, slot },
                links: Vec::new(),
            });
        }
        out.push(Series {
            series: "throughput",
            node: node(),
            material: String::new(),
            measure: Measure::Throughput { stage: s },
            links: Vec::new(),
        });
        out.push(Series {
            series: "throughput_index",
            node: node(),
            material: String::new(),
            measure: Measure::ThroughputIndex { stage: s },
            links: Vec::new(),
        });
        for &(m, _) in &st.outputs {
            let links: Vec<usize> = (0..spec.links.len())
                .filter(|&l| spec.links[l].from == s && spec.links[l].material == m && covered(l))
                .collect();
            let normal: f64 = links.iter().map(|&l| normal_flow[l]).sum();
            if normal > 0.0 {
                out.push(Series {
                    series: "export_index",
                    node: node(),
                    material: material(m),
                    measure: Measure::ExportIndex { normal },
                    links: links.clone(),
                });
                out.push(Series {
                    series: "cleared_export_index",
                    node: node(),
                    material: material(m),
                    measure: Measure::ClearedExportIndex { normal },
                    links,
                });
            }
        }
        for (slot, &(m, _)) in st.inputs.iter().enumerate() {
            let into = |l: usize| spec.links[l].to == Node::Stage(s) && spec.links[l].material == m;
            let is_covered = (0..spec.links.len()).any(|l| into(l) && covered(l));
            let normal: f64 = (0..spec.links.len()).filter(|&l| into(l)).map(|l| normal_flow[l]).sum();
            if is_covered && normal > 0.0 {
                out.push(Series {
                    series: "import_index",
                    node: node(),
                    material: material(m),
                    measure: Measure::ImportIndex { stage: s, slot, normal },
                    links: Vec::new(),
                });
            }
        }
    }
    out.extend(region_cleared_exports(model, &normal_flow));
    for (e, eu) in spec.end_uses.iter().enumerate() {
        for (series, measure) in [
            ("built", Measure::Built { end_use: e }),
            ("required", Measure::Required { end_use: e }),
            ("share_met", Measure::ShareMet { end_use: e }),
        ] {
            out.push(Series { series, node: eu.name.clone(), material: String::new(), measure, links: Vec::new() });
        }
    }
    for (j, market) in spec.markets.iter().enumerate() {
        out.push(Series {
            series: "price_index",
            node: material(market.material),
            material: String::new(),
            measure: Measure::PriceIndex { market: j },
            links: Vec::new(),
        });
    }
    out
}

/// Per exporting region, the cleared export index of everything it sells to end uses under export control: every
/// covered link from one of its stages to an end use, whatever the material (in the rare-earth graph, China's
/// licensed magnet grades together, the series customs report). Only where those links' materials share one
/// unit, so that their flows add up.
fn region_cleared_exports(model: &Model, normal_flow: &[f64]) -> Vec<Series> {
    let spec = model.spec();
    let mut regions: Vec<&str> = spec.stages.iter().map(|st| st.region.as_str()).collect();
    regions.sort_unstable();
    regions.dedup();
    let mut out = Vec::new();
    for region in regions {
        let links: Vec<usize> = (0..spec.links.len())
            .filter(|&l| {
                let link = &spec.links[l];
                spec.stages[link.from].region == region
                    && matches!(link.to, Node::EndUse(_))
                    && !model.disruptions_on_link(l).is_empty()
            })
            .collect();
        let Some(&first) = links.first() else { continue };
        let unit = spec.materials[spec.links[first].material].unit;
        if links.iter().any(|&l| spec.materials[spec.links[l].material].unit != unit) {
            continue;
        }
        let normal: f64 = links.iter().map(|&l| normal_flow[l]).sum();
        if normal > 0.0 {
            out.push(Series {
                series: "region_cleared_export_index",
                node: region.to_string(),
                material: String::new(),
                measure: Measure::ClearedExportIndex { normal },
                links,
            });
        }
    }
    out
}

/// The value of series `series` in period `t` of a trial traced as given (`tr`) and without disruptions (`calm`).
pub fn value(series: &Series, tr: &Trace, calm: &Trace, t: usize) -> f64 {
    let measure = series.measure;
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            a / b
        } else if a > 0.0 {
            f64::INFINITY
        } else {
            1.0
        }
    };
    match measure {
        Measure::Shipped { stage, slot } => tr.stages[t][stage].shipped[slot],
        Measure::Received { stage, slot } => tr.stages[t][stage].received[slot],
        Measure::Throughput { stage } => tr.stages[t][stage].throughput,
        Measure::ThroughputIndex { stage } => ratio(tr.stages[t][stage].throughput, calm.stages[t][stage].throughput),
        Measure::ExportIndex { normal } => {
            let shipped = |trace: &Trace| series.links.iter().map(|&l| trace.link_shipped[t][l]).sum::<f64>();
            1.0 + (shipped(tr) - shipped(calm)) / normal
        }
        Measure::ClearedExportIndex { normal } => {
            series.links.iter().map(|&l| tr.link_cleared[t][l]).sum::<f64>() / normal
        }
        Measure::ImportIndex { stage, slot, normal } => tr.stages[t][stage].received[slot] / normal,
        Measure::Built { end_use } => tr.built[t][end_use],
        Measure::Required { end_use } => tr.required[t][end_use],
        Measure::ShareMet { end_use } => ratio(tr.built[t][end_use], tr.required[t][end_use]),
        Measure::PriceIndex { market } => tr.market_price[t][market],
    }
}

/// One series in one week, across trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WeekStats {
    /// The mean across trials.
    pub mean: f64,
    /// The 5th percentile.
    pub p5: f64,
    /// The median.
    pub p50: f64,
    /// The 95th percentile.
    pub p95: f64,
}

impl WeekStats {
    /// Statistics of `values` (reordered in place); the mean is summed in trial order first.
    pub fn of(values: &mut [f64]) -> Self {
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        values.sort_by(f64::total_cmp);
        Self {
            mean,
            p5: quantile_sorted(values, 0.05),
            p50: quantile_sorted(values, 0.5),
            p95: quantile_sorted(values, 0.95),
        }
    }
}

/// The summarised flows: `stats[k][t]` for series `k` and period `t`.
#[derive(Debug, Clone)]
pub struct Flows {
    /// Every series, in the order of [`series_of`].
    pub series: Vec<Series>,
    /// The length of a period, in weeks.
    pub period_weeks: f64,
    /// `stats[k][t]`: series `k` in period `t`, across trials.
    pub stats: Vec<Vec<WeekStats>>,
}

#[cfg(test)]
mod tests {
    use chokepoint_engine::outcome::StagePeriod;

    use super::*;

    #[test]
    fn week_stats_are_order_free_quantiles() {
        let mut v = vec![4.0, 1.0, 3.0, 2.0, 5.0];
        let w = WeekStats::of(&mut v);
        assert_eq!((w.mean, w.p50), (3.0, 3.0));
        assert!((w.p5 - 1.2).abs() < 1e-12 && (w.p95 - 4.8).abs() < 1e-12);
    }

    fn per_link(measure: Measure, links: Vec<usize>) -> Series {
        Series { series: "index", node: "stage".into(), material: "oxide".into(), measure, links }
    }

    /// A trace of two periods on three links, whose shipments in period 1 are `shipped` and clearances `cleared`.
    fn links_trace(shipped: [f64; 3], cleared: [f64; 3]) -> Trace {
        Trace {
            link_shipped: vec![vec![99.0; 3], shipped.to_vec()],
            link_cleared: vec![vec![99.0; 3], cleared.to_vec()],
            ..Trace::default()
        }
    }

    #[test]
    fn export_index_is_one_plus_the_gap_on_the_covered_links_over_their_normal_flow() {
        // Links 0 and 2 are covered, their normal flow 10 a week; link 1 (a domestic sale) is not in the index.
        let series = per_link(Measure::ExportIndex { normal: 10.0 }, vec![0, 2]);
        let tr = links_trace([3.0, 100.0, 4.0], [0.0; 3]);
        let calm = links_trace([5.0, 1.0, 7.0], [0.0; 3]);
        // 1 + ((3 + 4) - (5 + 7)) / 10
        assert_eq!(value(&series, &tr, &calm, 1), 0.5);
        assert_eq!(value(&series, &tr, &tr, 1), 1.0, "no disruption, no gap");
    }

    #[test]
    fn cleared_export_index_is_what_clears_on_the_covered_links_over_their_normal_flow() {
        let series = per_link(Measure::ClearedExportIndex { normal: 8.0 }, vec![0, 2]);
        let tr = links_trace([0.0; 3], [2.0, 50.0, 4.0]);
        // (2 + 4) / 8, whatever the trial without disruptions cleared.
        assert_eq!(value(&series, &tr, &links_trace([0.0; 3], [9.0; 3]), 1), 0.75);
    }

    #[test]
    fn throughput_index_is_against_the_same_trial_without_disruptions() {
        let stages = |throughput: [f64; 2]| Trace {
            stages: vec![throughput.iter().map(|&t| StagePeriod { throughput: t, ..StagePeriod::default() }).collect()],
            ..Trace::default()
        };
        let index = |stage| per_link(Measure::ThroughputIndex { stage }, Vec::new());
        let (tr, calm) = (stages([3.0, 0.0]), stages([4.0, 0.0]));
        assert_eq!(value(&index(0), &tr, &calm, 0), 0.75);
        assert_eq!(value(&index(1), &tr, &calm, 0), 1.0, "0 over 0 is no change");
        assert_eq!(value(&index(1), &stages([0.0, 1.0]), &calm, 0), f64::INFINITY);
    }
}
