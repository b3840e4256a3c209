//! The model: materials, stages, links, end uses and disruptions, as plain specifications, and the validated,
//! compiled form the simulation runs on.
//!
//! Specifications refer to each other by index. [`Model::new`] checks every structural invariant (indices in
//! range, shares summing to one per customer and material, probabilities in [0, 1], an acyclic stage graph),
//! collects every violation, and compiles the flat arrays the period loop uses. A `Model` that exists is valid:
//! simulating it cannot fail.

use crate::baseline::{self, Baseline};
use crate::market::{self, MarketSpec};
use crate::param::Param;
use crate::plan::{self, Plan};

/// Priority class of a demand. Allocation serves classes in a stage's priority order; licensing denial
/// probabilities depend on the destination's class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Military end users (rated orders).
    Defense = 0,
    /// Essential civilian uses.
    Essential = 1,
    /// Everything else.
    Other = 2,
}

impl Class {
    /// All classes, highest priority first.
    pub const ALL: [Class; 3] = [Class::Defense, Class::Essential, Class::Other];

    /// The class's lowercase name, as in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Class::Defense => "defense",
            Class::Essential => "essential",
            Class::Other => "other",
        }
    }
}

/// The unit a material is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Metric tonnes.
    Tonne,
    /// Counted items (motors, aircraft).
    Item,
}

/// What happens to demand an end use cannot meet in a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unmet {
    /// It is lost.
    Lost,
    /// It is carried to the next period and built as soon as material allows.
    Backlog,
}

/// How a stage shares scarce output among the orders it received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Allocation {
    /// Serve classes in this order, each fully before the next; pro rata within a class.
    Priority(Vec<Class>),
    /// Pro rata across all orders, whatever their class.
    ProRata,
}

impl Allocation {
    /// Defense first, then essential, then other.
    pub fn defense_first() -> Self {
        Self::Priority(Class::ALL.to_vec())
    }
}

/// A material that flows through the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct MaterialSpec {
    /// The material's name, as the scenario gives it.
    pub name: String,
    /// The unit its quantities are in.
    pub unit: Unit,
}

/// Initial and target stock, in weeks of normal use.
#[derive(Debug, Clone, PartialEq)]
pub struct StockWeeks {
    /// Stock at the start of the horizon, in weeks of normal use.
    pub initial: Param,
    /// Stock the holder orders to keep, in weeks of normal use.
    pub target: Param,
}

impl StockWeeks {
    /// No stock.
    pub fn none() -> Self {
        Self { initial: Param::ZERO, target: Param::ZERO }
    }
}

/// A facility or group of facilities in one region.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSpec {
    /// The stage's name, as the scenario gives it.
    pub name: String,
    /// Region code (ISO country code or a bloc such as `EU`), used by export controls.
    pub region: String,
    /// Throughput per year at nameplate.
    pub capacity_per_year: Param,
    /// Compound growth of capacity per year (0.05 is 5 % a year).
    pub capacity_growth_per_year: Param,
    /// Week the stage starts producing (`None`: from the start).
    pub online_week: Option<Param>,
    /// Weeks from coming online to nameplate, ramping linearly.
    pub ramp_weeks: Param,
    /// A disruption whose first onset in the trial `online_week` counts from (a plant built in response to it);
    /// the stage never comes online in a trial where that disruption does not occur. `None`: counted from the
    /// start of the horizon.
    pub online_trigger: Option<usize>,
    /// Material consumed per unit of throughput.
    pub inputs: Vec<(usize, f64)>,
    /// Material made per unit of throughput (several outputs are co-products).
    pub outputs: Vec<(usize, f64)>,
    /// Stock of each input, in weeks of the input's normal use.
    pub input_stock: StockWeeks,
    /// Stock of each output, in weeks of the output's normal shipments.
    pub output_stock: StockWeeks,
    /// How the stage shares out its output among its customers' orders when it cannot fill them all.
    pub allocation: Allocation,
}

/// A customer of a link: a stage or an end use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    /// A stage, by its index in `ModelSpec::stages`.
    Stage(usize),
    /// An end use, by its index in `ModelSpec::end_uses`.
    EndUse(usize),
}

/// A supply relationship for one material.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkSpec {
    /// Supplier stage.
    pub from: usize,
    /// Customer.
    pub to: Node,
    /// The material carried, by its index in `ModelSpec::materials`.
    pub material: usize,
    /// The customer's normal share of this material from this supplier.
    pub share: f64,
    /// Transit lead time in weeks (sampled once per trial).
    pub lead_time_weeks: Param,
}

/// A final demand.
#[derive(Debug, Clone, PartialEq)]
pub struct EndUseSpec {
    /// The end use's name, as the scenario gives it.
    pub name: String,
    /// Region where it is built (a destination for export controls).
    pub region: String,
    /// Units per year at the start of the horizon.
    pub demand_per_year: Param,
    /// Compound growth of demand per year.
    pub growth_per_year: Param,
    /// Material per unit built: a constant, or a distribution drawn once per trial on its own stream.
    pub intensity: Vec<(usize, Param)>,
    /// The class of its demand, which allocation by priority and stockpile releases go by.
    pub class: Class,
    /// What happens to demand it cannot meet in the period it arises: lost, or carried as a backlog.
    pub unmet: Unmet,
    /// Stock of each input material, in weeks of normal use.
    pub stock: StockWeeks,
}

/// Which destinations a flow-scoped disruption covers.
#[derive(Debug, Clone, PartialEq)]
pub enum Destinations {
    /// Every region other than the source region.
    AllOther,
    /// Customers located in these regions.
    Regions(Vec<String>),
    /// These customers.
    Nodes(Vec<Node>),
}

/// The flows an export control or embargo covers.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowScope {
    /// The materials covered, by index in `ModelSpec::materials`.
    pub materials: Vec<usize>,
    /// The region whose exports are covered (the region of the supplying stages).
    pub from_region: String,
    /// The destinations covered.
    pub to: Destinations,
}

/// What a disruption does while it is active.
#[derive(Debug, Clone, PartialEq)]
pub enum DisruptionKind {
    /// Shipments need a licence: each waits a review time and may be denied by destination class.
    ExportLicensing {
        /// The flows that need a licence.
        scope: FlowScope,
        /// Review time per shipment, in weeks (sampled per shipment).
        review_weeks: Param,
        /// Probability a shipment is denied, per destination class (sampled once per trial).
        denial: [Param; 3],
        /// Weeks after each onset during which shipments still clear without review or denial: goods declared or
        /// licensed before the regime took effect (sampled once per trial; rounded to whole periods).
        grace_weeks: Param,
    },
    /// Each covered link is capped at `1 - severity` (sampled per event) of its normal flow; what is held back
    /// stays with the exporter.
    Embargo {
        /// The flows embargoed.
        scope: FlowScope,
        /// Fraction of the normal flow held back, between 0 and 1.
        severity: Param,
    },
    /// The stages lose a fraction (`severity`) of their capacity.
    Outage {
        /// The stages affected, by index in `ModelSpec::stages`.
        stages: Vec<usize>,
        /// Fraction of capacity lost, between 0 and 1.
        severity: Param,
    },
    /// End-use demand is multiplied by `multiplier`.
    DemandShock {
        /// The end uses affected, by index in `ModelSpec::end_uses`.
        end_uses: Vec<usize>,
        /// Factor on their demand while the shock lasts.
        multiplier: Param,
    },
}

/// When a disruption is active.
#[derive(Debug, Clone, PartialEq)]
pub enum Timing {
    /// One window: onset (weeks from the start) and duration (weeks), each sampled per trial.
    Window {
        /// Weeks from the start of the horizon to the onset.
        onset_weeks: Param,
        /// How long the window lasts, in weeks.
        duration_weeks: Param,
    },
    /// Events arrive as a Poisson process with this rate per year; each lasts a sampled duration, and the
    /// next can only start after the previous one ends (an alternating renewal process).
    Hazard {
        /// Events per year while no event is under way (sampled once per trial).
        rate_per_year: Param,
        /// How long each event lasts, in weeks (sampled per event).
        duration_weeks: Param,
    },
    /// A two-state Markov process, on from the start: each week an inactive process starts with probability
    /// `start_per_week` and an active one ends with probability `end_per_week`.
    TwoState {
        /// Probability per week that an inactive process becomes active.
        start_per_week: f64,
        /// Probability per week that an active process becomes inactive.
        end_per_week: f64,
    },
    /// Follows another disruption: with `probability`, starts `lag_weeks` after the other's first onset.
    Follows {
        /// The disruption followed, by index in `ModelSpec::disruptions`.
        disruption: usize,
        /// Probability that this one follows, in a trial where the other occurs.
        probability: Param,
        /// Weeks from the other's first onset to this one's onset.
        lag_weeks: Param,
        /// How long it lasts, in weeks.
        duration_weeks: Param,
    },
}

/// A stochastic disruption.
#[derive(Debug, Clone, PartialEq)]
pub struct DisruptionSpec {
    /// The disruption's name, as the scenario gives it; it keys the disruption's random streams.
    pub name: String,
    /// What it does while active.
    pub kind: DisruptionKind,
    /// When it is active.
    pub timing: Timing,
}

/// A strategic reserve of one material that can be released to the customers it serves.
#[derive(Debug, Clone, PartialEq)]
pub struct StockpileSpec {
    /// The stockpile's name, as the scenario gives it; it keys the stockpile's random streams.
    pub name: String,
    /// The material held, by index in `ModelSpec::materials`.
    pub material: usize,
    /// Customers (stages or end uses that use `material`) it may release to.
    pub serves: Vec<Node>,
    /// Size at the start, in the material's unit.
    pub initial: Param,
    /// Released only for demand of these classes.
    pub release_classes: Vec<Class>,
    /// Most it releases per week, across all customers.
    pub max_release_per_week: Param,
    /// Most it buys back per week while below its initial size, from the served customers' surplus stock
    /// (customers order the rebuild quantity from their suppliers). 0 disables rebuilding.
    pub rebuild_per_week: Param,
    /// Released only while this disruption is active (`None`: whenever its customers are short).
    pub release_while: Option<usize>,
}

/// After a lag, a stage or an end use needs less of an input per unit of throughput (thrifting, e.g.
/// grain-boundary diffusion cutting the Dy and Tb per tonne of magnet). Changes that share a name share their
/// random draws, so one mitigation acting on several nodes or materials draws its lag and depth once.
#[derive(Debug, Clone, PartialEq)]
pub struct IntensityChangeSpec {
    /// The change's name; changes that share it share their random draws.
    pub name: String,
    /// The stage or end use whose intensity falls.
    pub node: Node,
    /// The input material whose intensity falls, by index in `ModelSpec::materials`.
    pub material: usize,
    /// Fraction of the intensity removed at full effect (0.3 = 30 % less).
    pub reduction: Param,
    /// Week the change starts taking effect.
    pub start_week: Param,
    /// Weeks from start to full effect, linearly.
    pub ramp_weeks: Param,
    /// A disruption whose first onset in the trial `start_week` counts from; the change never starts in a trial
    /// where that disruption does not occur. `None`: counted from the start of the horizon.
    pub trigger: Option<usize>,
}

/// After a lag, a share of an end use's demand switches to a technology that needs none of the graph's
/// materials (ferrite magnets, induction motors).
#[derive(Debug, Clone, PartialEq)]
pub struct DemandSwitchSpec {
    /// The switch's name; it keys the switch's random streams.
    pub name: String,
    /// The end use whose demand switches, by index in `ModelSpec::end_uses`.
    pub end_use: usize,
    /// Share of demand switched at full effect (the cap).
    pub share: Param,
    /// Week the switch starts taking effect.
    pub start_week: Param,
    /// Weeks from start to full effect, linearly.
    pub ramp_weeks: Param,
    /// As for [`IntensityChangeSpec::trigger`].
    pub trigger: Option<usize>,
}

/// Mitigations that need the engine's help (others, such as new capacity, recycling, allocation and buffer
/// policies, are expressed with stages, links and their settings).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mitigations {
    /// Strategic stockpiles.
    pub stockpiles: Vec<StockpileSpec>,
    /// Reductions of material intensity (thrifting).
    pub intensity_changes: Vec<IntensityChangeSpec>,
    /// Demand switching away from the graph's materials.
    pub demand_switches: Vec<DemandSwitchSpec>,
}

/// The whole scenario, by index.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// The scenario's name.
    pub name: String,
    /// Length of one period in weeks (1 for weekly periods).
    pub period_weeks: f64,
    /// Number of periods simulated.
    pub periods: usize,
    /// Materials; other specs name them by index in this list.
    pub materials: Vec<MaterialSpec>,
    /// Stages; [`Node::Stage`] and other specs name them by index in this list.
    pub stages: Vec<StageSpec>,
    /// Supply links between stages and from stages to end uses.
    pub links: Vec<LinkSpec>,
    /// End uses (final demand); [`Node::EndUse`] names them by index in this list.
    pub end_uses: Vec<EndUseSpec>,
    /// Disruptions; triggers and `Timing::Follows` name them by index in this list.
    pub disruptions: Vec<DisruptionSpec>,
    /// Mitigations the engine models itself (stockpiles, thrifting, demand switching).
    pub mitigations: Mitigations,
    /// Markets, one per material that has one (`market.rs`); empty: prices are not modelled.
    pub markets: Vec<MarketSpec>,
}

/// A structural problem in a [`ModelSpec`]. The scenario layer reports the same problems with source spans;
/// these are the engine's own guarantees.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// An index that points past the end of the list it refers to.
    #[error("{what} {index} refers to {target} {target_index}, which does not exist")]
    BadIndex {
        /// The kind of item that holds the index (`"link"`, say).
        what: &'static str,
        /// The item's own index.
        index: usize,
        /// The kind of item it refers to.
        target: &'static str,
        /// The index it refers to.
        target_index: usize,
    },
    /// A customer's supplier shares of one material do not add up to 1.
    #[error("shares of `{material}` into `{customer}` sum to {sum}, not 1")]
    SharesDoNotSumToOne {
        /// The customer's name.
        customer: String,
        /// The material's name.
        material: String,
        /// What the shares add up to.
        sum: f64,
    },
    /// A customer uses a material that no link brings it.
    #[error("`{customer}` needs `{material}` but no link supplies it")]
    NoSupplier {
        /// The customer's name.
        customer: String,
        /// The material's name.
        material: String,
    },
    /// A link carries a material its supplier does not make.
    #[error("link {link}: `{supplier}` does not make `{material}`")]
    SupplierDoesNotMake {
        /// The link's index.
        link: usize,
        /// The supplier's name.
        supplier: String,
        /// The material's name.
        material: String,
    },
    /// A link carries a material its customer does not use.
    #[error("link {link}: `{customer}` does not use `{material}`")]
    CustomerDoesNotUse {
        /// The link's index.
        link: usize,
        /// The customer's name.
        customer: String,
        /// The material's name.
        material: String,
    },
    /// The links between stages form a cycle, through the stages named.
    #[error("the stage graph has a cycle through {0:?}")]
    Cycle(Vec<String>),
    /// A value out of its range, or an inconsistent setting, on a named item.
    #[error("{what} `{name}`: {message}")]
    Invalid {
        /// The kind of item (`"stage"`, say).
        what: &'static str,
        /// The item's name.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// No period to simulate, or a period length that is not positive.
    #[error("the horizon must have at least one period and a positive period length")]
    EmptyHorizon,
}

/// A validated, compiled model.
#[derive(Debug, Clone)]
pub struct Model {
    pub(crate) spec: ModelSpec,
    pub(crate) plan: Plan,
    pub(crate) baseline: Baseline,
}

impl Model {
    /// Validates `spec`, collecting every structural problem, and compiles it.
    pub fn new(mut spec: ModelSpec) -> Result<Self, Vec<ModelError>> {
        let mut errors = Vec::new();
        check(&spec, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        // Links are kept grouped by customer and input material, so that the links into one input are a
        // contiguous range in every per-link array of the period loop. The order inside a group is the file's.
        let ns = spec.stages.len();
        let customer_slot = |l: &LinkSpec| match l.to {
            Node::Stage(s) => (s, spec.stages[s].inputs.iter().position(|&(m, _)| m == l.material).unwrap_or(0)),
            Node::EndUse(e) => {
                (ns + e, spec.end_uses[e].intensity.iter().position(|&(m, _)| m == l.material).unwrap_or(0))
            }
        };
        let mut keyed: Vec<((usize, usize), LinkSpec)> =
            spec.links.iter().map(|l| (customer_slot(l), l.clone())).collect();
        keyed.sort_by_key(|(k, _)| *k);
        spec.links = keyed.into_iter().map(|(_, l)| l).collect();
        let Some(plan) = plan::compile(&spec, &mut errors) else {
            return Err(errors);
        };
        let baseline = baseline::solve(&spec, &plan);
        Ok(Self { spec, plan, baseline })
    }

    /// The specification this model was built from.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    /// The baseline: normal flows and throughputs before any disruption.
    pub fn baseline(&self) -> &Baseline {
        &self.baseline
    }

    /// Normal flow on each link per period at the start of the horizon, at central values: as
    /// [`Baseline::link_flow`], except that customers source only from the suppliers producing at week 0 (a
    /// plant still to come online supplies nothing, its customers buying its share from their other suppliers).
    /// The run rate a disruption is measured against; computed on each call (the trials do not use it).
    pub fn start_link_flow(&self) -> Vec<f64> {
        baseline::solve_at_start(&self.spec, &self.plan)
    }

    /// Number of periods in the horizon.
    pub fn periods(&self) -> usize {
        self.spec.periods
    }

    /// Stage indices in topological order, suppliers first.
    pub fn topological_stages(&self) -> &[usize] {
        &self.plan.processing_order
    }

    /// The disruptions acting on link `link`.
    pub fn disruptions_on_link(&self, link: usize) -> &[usize] {
        &self.plan.link_disruptions[self.plan.links[link].controls.clone()]
    }
}

fn prob_ok(p: &Param) -> bool {
    p.min() >= 0.0 && p.max() <= 1.0
}

fn check(spec: &ModelSpec, errors: &mut Vec<ModelError>) {
    if spec.periods == 0 || !(spec.period_weeks > 0.0) {
        errors.push(ModelError::EmptyHorizon);
    }
    let (nm, ns, ne, nd) = (spec.materials.len(), spec.stages.len(), spec.end_uses.len(), spec.disruptions.len());
    let mut bad = |what, index, target, target_index, limit: usize| {
        if target_index >= limit {
            errors.push(ModelError::BadIndex { what, index, target, target_index });
            false
        } else {
            true
        }
    };
    let mut ok = true;
    for (i, s) in spec.stages.iter().enumerate() {
        for &(m, _) in s.inputs.iter().chain(&s.outputs) {
            ok &= bad("stage", i, "material", m, nm);
        }
        if let Some(d) = s.online_trigger {
            ok &= bad("stage", i, "disruption", d, nd);
        }
    }
    for (i, e) in spec.end_uses.iter().enumerate() {
        for &(m, _) in &e.intensity {
            ok &= bad("end use", i, "material", m, nm);
        }
    }
    for (i, l) in spec.links.iter().enumerate() {
        ok &= bad("link", i, "stage", l.from, ns);
        ok &= bad("link", i, "material", l.material, nm);
        match l.to {
            Node::Stage(s) => ok &= bad("link", i, "stage", s, ns),
            Node::EndUse(e) => ok &= bad("link", i, "end use", e, ne),
        }
    }
    for (i, d) in spec.disruptions.iter().enumerate() {
        match &d.kind {
            DisruptionKind::ExportLicensing { scope, .. } | DisruptionKind::Embargo { scope, .. } => {
                for &m in &scope.materials {
                    ok &= bad("disruption", i, "material", m, nm);
                }
                if let Destinations::Nodes(nodes) = &scope.to {
                    for n in nodes {
                        match *n {
                            Node::Stage(s) => ok &= bad("disruption", i, "stage", s, ns),
                            Node::EndUse(e) => ok &= bad("disruption", i, "end use", e, ne),
                        }
                    }
                }
            }
            DisruptionKind::Outage { stages, .. } => {
                for &s in stages {
                    ok &= bad("disruption", i, "stage", s, ns);
                }
            }
            DisruptionKind::DemandShock { end_uses, .. } => {
                for &e in end_uses {
                    ok &= bad("disruption", i, "end use", e, ne);
                }
            }
        }
        if let Timing::Follows { disruption, .. } = d.timing {
            ok &= bad("disruption", i, "disruption", disruption, nd);
        }
    }
    let mit = &spec.mitigations;
    for (i, sp) in mit.stockpiles.iter().enumerate() {
        ok &= bad("stockpile", i, "material", sp.material, nm);
        for n in &sp.serves {
            match *n {
                Node::Stage(s) => ok &= bad("stockpile", i, "stage", s, ns),
                Node::EndUse(e) => ok &= bad("stockpile", i, "end use", e, ne),
            }
        }
        if let Some(d) = sp.release_while {
            ok &= bad("stockpile", i, "disruption", d, nd);
        }
    }
    for (i, ic) in mit.intensity_changes.iter().enumerate() {
        match ic.node {
            Node::Stage(s) => ok &= bad("intensity change", i, "stage", s, ns),
            Node::EndUse(e) => ok &= bad("intensity change", i, "end use", e, ne),
        }
        ok &= bad("intensity change", i, "material", ic.material, nm);
        if let Some(d) = ic.trigger {
            ok &= bad("intensity change", i, "disruption", d, nd);
        }
    }
    for (i, ds) in mit.demand_switches.iter().enumerate() {
        ok &= bad("demand switch", i, "end use", ds.end_use, ne);
        if let Some(d) = ds.trigger {
            ok &= bad("demand switch", i, "disruption", d, nd);
        }
    }
    ok &= market::check(spec, errors);
    if !ok {
        return;
    }
    let invalid = |errors: &mut Vec<ModelError>, what, name: &str, message: String| {
        errors.push(ModelError::Invalid { what, name: name.to_owned(), message });
    };
    for s in &spec.stages {
        if s.capacity_per_year.min() < 0.0 {
            invalid(errors, "stage", &s.name, "capacity must not be negative".into());
        }
        if s.outputs.is_empty() {
            invalid(errors, "stage", &s.name, "a stage needs at least one output".into());
        }
        if s.inputs.iter().any(|&(_, q)| !(q > 0.0 && q.is_finite()))
            || s.outputs.iter().any(|&(_, q)| !(q > 0.0 && q.is_finite()))
        {
            invalid(errors, "stage", &s.name, "input and output quantities must be positive".into());
        }
        if s.ramp_weeks.min() < 0.0 || s.online_week.as_ref().is_some_and(|p| p.min() < 0.0) {
            invalid(errors, "stage", &s.name, "online week and ramp must not be negative".into());
        }
        for w in [&s.input_stock.initial, &s.input_stock.target, &s.output_stock.initial, &s.output_stock.target] {
            if w.min() < 0.0 {
                invalid(errors, "stage", &s.name, "stock weeks must not be negative".into());
            }
        }
    }
    for e in &spec.end_uses {
        if e.demand_per_year.min() < 0.0 {
            invalid(errors, "end use", &e.name, "demand must not be negative".into());
        }
        if e.growth_per_year.min() <= -1.0 {
            invalid(errors, "end use", &e.name, "growth must be above -100%".into());
        }
        if e.intensity.is_empty() || e.intensity.iter().any(|(_, q)| !(q.min() > 0.0 && q.max().is_finite())) {
            invalid(errors, "end use", &e.name, "an end use needs at least one positive intensity".into());
        }
    }
    for (i, l) in spec.links.iter().enumerate() {
        if !(l.share > 0.0 && l.share <= 1.0) {
            invalid(errors, "link", &i.to_string(), format!("share {} must be in (0, 1]", l.share));
        }
        if l.lead_time_weeks.min() < 0.0 {
            invalid(errors, "link", &i.to_string(), "lead time must not be negative".into());
        }
        if !spec.stages[l.from].outputs.iter().any(|&(m, _)| m == l.material) {
            errors.push(ModelError::SupplierDoesNotMake {
                link: i,
                supplier: spec.stages[l.from].name.clone(),
                material: spec.materials[l.material].name.clone(),
            });
        }
        let uses = match l.to {
            Node::Stage(s) => spec.stages[s].inputs.iter().any(|&(m, _)| m == l.material),
            Node::EndUse(e) => spec.end_uses[e].intensity.iter().any(|&(m, _)| m == l.material),
        };
        if !uses {
            errors.push(ModelError::CustomerDoesNotUse {
                link: i,
                customer: node_name(spec, l.to).to_owned(),
                material: spec.materials[l.material].name.clone(),
            });
        }
    }
    // Shares per customer and material.
    let mut customers: Vec<(Node, usize)> = Vec::new();
    for (s, st) in spec.stages.iter().enumerate() {
        customers.extend(st.inputs.iter().map(|&(m, _)| (Node::Stage(s), m)));
    }
    for (e, eu) in spec.end_uses.iter().enumerate() {
        customers.extend(eu.intensity.iter().map(|&(m, _)| (Node::EndUse(e), m)));
    }
    // The number of links and the sum of shares of each (customer, material), summed in link order; one pass
    // over the links, so that the check stays linear in the size of the graph.
    let mut supply: std::collections::BTreeMap<(Node, usize), (usize, f64)> = std::collections::BTreeMap::new();
    for l in &spec.links {
        let entry = supply.entry((l.to, l.material)).or_insert((0, 0.0));
        entry.0 += 1;
        entry.1 += l.share;
    }
    for (node, m) in customers {
        let (count, sum) = supply.get(&(node, m)).copied().unwrap_or((0, 0.0));
        let customer = node_name(spec, node).to_owned();
        let material = spec.materials[m].name.clone();
        if count == 0 {
            errors.push(ModelError::NoSupplier { customer, material });
        } else if (sum - 1.0).abs() > 1e-6 {
            errors.push(ModelError::SharesDoNotSumToOne { customer, material, sum });
        }
    }
    for sp in &mit.stockpiles {
        let uses = |n: &Node| match *n {
            Node::Stage(s) => spec.stages[s].inputs.iter().any(|&(m, _)| m == sp.material),
            Node::EndUse(e) => spec.end_uses[e].intensity.iter().any(|&(m, _)| m == sp.material),
        };
        if sp.serves.is_empty() || !sp.serves.iter().all(uses) {
            invalid(
                errors,
                "stockpile",
                &sp.name,
                "it must serve at least one customer, each using its material".into(),
            );
        }
        if sp.initial.min() < 0.0 || sp.max_release_per_week.min() < 0.0 || sp.rebuild_per_week.min() < 0.0 {
            invalid(errors, "stockpile", &sp.name, "size and rates must not be negative".into());
        }
    }
    for ic in &mit.intensity_changes {
        let uses = match ic.node {
            Node::Stage(s) => spec.stages[s].inputs.iter().any(|&(m, _)| m == ic.material),
            Node::EndUse(e) => spec.end_uses[e].intensity.iter().any(|&(m, _)| m == ic.material),
        };
        if !uses {
            invalid(errors, "intensity change", &ic.name, "the stage or end use does not use that material".into());
        }
        if !prob_ok(&ic.reduction) || ic.start_week.min() < 0.0 || ic.ramp_weeks.min() < 0.0 {
            invalid(errors, "intensity change", &ic.name, "reduction must lie in [0, 1], times not negative".into());
        }
    }
    for ds in &mit.demand_switches {
        if !prob_ok(&ds.share) || ds.start_week.min() < 0.0 || ds.ramp_weeks.min() < 0.0 {
            invalid(errors, "demand switch", &ds.name, "share must lie in [0, 1], times not negative".into());
        }
    }
    for d in &spec.disruptions {
        let name = &d.name;
        match &d.kind {
            DisruptionKind::ExportLicensing { review_weeks, denial, grace_weeks, .. } => {
                if review_weeks.min() < 0.0 {
                    invalid(errors, "disruption", name, "review time must not be negative".into());
                }
                if grace_weeks.min() < 0.0 {
                    invalid(errors, "disruption", name, "grace period must not be negative".into());
                }
                if !denial.iter().all(prob_ok) {
                    invalid(errors, "disruption", name, "denial probabilities must lie in [0, 1]".into());
                }
            }
            DisruptionKind::Embargo { severity, .. } | DisruptionKind::Outage { severity, .. } => {
                if !prob_ok(severity) {
                    invalid(errors, "disruption", name, "severity must lie in [0, 1]".into());
                }
            }
            DisruptionKind::DemandShock { multiplier, .. } => {
                if multiplier.min() < 0.0 {
                    invalid(errors, "disruption", name, "demand multiplier must not be negative".into());
                }
            }
        }
        match &d.timing {
            Timing::Window { onset_weeks, duration_weeks } => {
                if onset_weeks.min() < 0.0 || duration_weeks.min() < 0.0 {
                    invalid(errors, "disruption", name, "onset and duration must not be negative".into());
                }
            }
            Timing::Hazard { rate_per_year, duration_weeks } => {
                if rate_per_year.min() < 0.0 || duration_weeks.min() < 0.0 {
                    invalid(errors, "disruption", name, "rate and duration must not be negative".into());
                }
            }
            Timing::TwoState { start_per_week, end_per_week } => {
                if !(0.0..=1.0).contains(start_per_week) || !(0.0..=1.0).contains(end_per_week) {
                    invalid(errors, "disruption", name, "two-state probabilities must lie in [0, 1]".into());
                }
            }
            Timing::Follows { probability, lag_weeks, duration_weeks, .. } => {
                if !prob_ok(probability) {
                    invalid(errors, "disruption", name, "follow probability must lie in [0, 1]".into());
                }
                if lag_weeks.min() < 0.0 || duration_weeks.min() < 0.0 {
                    invalid(errors, "disruption", name, "lag and duration must not be negative".into());
                }
            }
        }
    }
}

/// The name of a node.
pub fn node_name(spec: &ModelSpec, node: Node) -> &str {
    match node {
        Node::Stage(s) => &spec.stages[s].name,
        Node::EndUse(e) => &spec.end_uses[e].name,
    }
}

/// The region of a node.
pub fn node_region(spec: &ModelSpec, node: Node) -> &str {
    match node {
        Node::Stage(s) => &spec.stages[s].region,
        Node::EndUse(e) => &spec.end_uses[e].region,
    }
}

/// Whether a flow-scoped disruption covers link `l`.
pub fn scope_covers(spec: &ModelSpec, scope: &FlowScope, l: &LinkSpec) -> bool {
    if !scope.materials.contains(&l.material) || spec.stages[l.from].region != scope.from_region {
        return false;
    }
    let region = node_region(spec, l.to);
    match &scope.to {
        Destinations::AllOther => region != scope.from_region,
        Destinations::Regions(regions) => regions.iter().any(|r| r == region),
        Destinations::Nodes(nodes) => nodes.contains(&l.to),
    }
}
