//! The stage graph of a scenario as Graphviz DOT or Mermaid text.
//!
//! Stages and end uses are grouped by region; stages are boxes and end uses a distinct shape; every link is
//! labelled with its material and the customer's share; links covered by a disruption (export licensing or
//! embargo) are dashed red and name the disruptions.

use std::collections::BTreeMap;
use std::fmt::Write;

use chokepoint_engine::{LinkSpec, Model, Node, Unit};

use crate::documents::summary::stage_unit;
use crate::render::table::number as quantity;

/// Graph notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Notation {
    /// Graphviz DOT (`dot -Tsvg`).
    Dot,
    /// Mermaid flowchart (renders in GitHub Markdown).
    Mermaid,
}

/// Renders the stage graph of `model`.
pub fn render(model: &Model, notation: Notation) -> String {
    match notation {
        Notation::Dot => dot(model),
        Notation::Mermaid => mermaid(model),
    }
}

/// Nodes grouped by region, regions in alphabetical order, nodes in scenario order within a region.
fn by_region(model: &Model) -> BTreeMap<&str, Vec<Node>> {
    let spec = model.spec();
    let mut regions: BTreeMap<&str, Vec<Node>> = BTreeMap::new();
    for (s, stage) in spec.stages.iter().enumerate() {
        regions.entry(&stage.region).or_default().push(Node::Stage(s));
    }
    for (e, end_use) in spec.end_uses.iter().enumerate() {
        regions.entry(&end_use.region).or_default().push(Node::EndUse(e));
    }
    regions
}

fn node_id(node: Node) -> String {
    match node {
        Node::Stage(s) => format!("s{s}"),
        Node::EndUse(e) => format!("e{e}"),
    }
}

/// The text of a node: its name, and its capacity or demand per year (central values).
fn node_lines(model: &Model, node: Node) -> [String; 2] {
    let spec = model.spec();
    match node {
        Node::Stage(s) => {
            let stage = &spec.stages[s];
            let unit = if stage_unit(model, s) == "unit" { "units" } else { "t" };
            [stage.name.clone(), format!("{} {unit}/yr", quantity(stage.capacity_per_year.central()))]
        }
        Node::EndUse(e) => {
            let end_use = &spec.end_uses[e];
            [
                end_use.name.clone(),
                format!("{} · {} units/yr", end_use.class.name(), quantity(end_use.demand_per_year.central())),
            ]
        }
    }
}

/// The label of a link: material and share, then the disruptions covering it.
fn link_lines<'m>(model: &'m Model, l: usize, link: &LinkSpec) -> (String, Vec<&'m str>) {
    let spec = model.spec();
    let material = &spec.materials[link.material];
    let unit = match material.unit {
        Unit::Tonne => "",
        Unit::Item => " (units)",
    };
    let label = format!("{}{unit} {}", material.name, share(link.share));
    let disruptions = model.disruptions_on_link(l).iter().map(|&d| spec.disruptions[d].name.as_str()).collect();
    (label, disruptions)
}

fn share(x: f64) -> String {
    let pct = x * 100.0;
    if (pct - pct.round()).abs() < 1e-9 { format!("{pct:.0}%") } else { format!("{pct:.1}%") }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot(model: &Model) -> String {
    let spec = model.spec();
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", dot_escape(&spec.name));
    out.push_str("  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for (i, (region, nodes)) in by_region(model).into_iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{i} {{");
        let _ = writeln!(out, "    label=\"{}\"; style=rounded; color=gray50;", dot_escape(region));
        for node in nodes {
            let [name, detail] = node_lines(model, node);
            let shape = match node {
                Node::Stage(_) => "shape=box, style=rounded",
                Node::EndUse(_) => "shape=doubleoctagon, style=filled, fillcolor=lightyellow",
            };
            let _ = writeln!(
                out,
                "    {} [label=\"{}\\n{}\", {shape}];",
                node_id(node),
                dot_escape(&name),
                dot_escape(&detail)
            );
        }
        out.push_str("  }\n");
    }
    for (l, link) in spec.links.iter().enumerate() {
        let (label, disruptions) = link_lines(model, l, link);
        let from = node_id(Node::Stage(link.from));
        let to = node_id(link.to);
        if disruptions.is_empty() {
            let _ = writeln!(out, "  {from} -> {to} [label=\"{}\"];", dot_escape(&label));
        } else {
            let _ = writeln!(
                out,
                "  {from} -> {to} [label=\"{}\\n{}\", style=dashed, color=red, fontcolor=red];",
                dot_escape(&label),
                dot_escape(&disruptions.join(", "))
            );
        }
    }
    out.push_str("}\n");
    out
}

fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;")
}

fn mermaid(model: &Model) -> String {
    let spec = model.spec();
    let mut out = String::from("flowchart LR\n");
    for (i, (region, nodes)) in by_region(model).into_iter().enumerate() {
        let _ = writeln!(out, "  subgraph region{i}[\"{}\"]", mermaid_escape(region));
        for node in nodes {
            let [name, detail] = node_lines(model, node);
            let text = format!("{}<br/>{}", mermaid_escape(&name), mermaid_escape(&detail));
            match node {
                Node::Stage(_) => {
                    let _ = writeln!(out, "    {}[\"{text}\"]", node_id(node));
                }
                Node::EndUse(_) => {
                    let _ = writeln!(out, "    {}([\"{text}\"])", node_id(node));
                }
            }
        }
        out.push_str("  end\n");
    }
    let mut disrupted = Vec::new();
    for (l, link) in spec.links.iter().enumerate() {
        let (label, disruptions) = link_lines(model, l, link);
        let from = node_id(Node::Stage(link.from));
        let to = node_id(link.to);
        if disruptions.is_empty() {
            let _ = writeln!(out, "  {from} -->|\"{}\"| {to}", mermaid_escape(&label));
        } else {
            let text = format!("{}<br/>{}", mermaid_escape(&label), mermaid_escape(&disruptions.join(", ")));
            let _ = writeln!(out, "  {from} -.->|\"{text}\"| {to}");
            disrupted.push(l);
        }
    }
    // Links are numbered in the order they were declared above, which is the scenario's order.
    for l in disrupted {
        let _ = writeln!(out, "  linkStyle {l} stroke:#d62728,stroke-width:2px,stroke-dasharray:5 5");
    }
    out.push_str("  classDef endUse fill:#fff7d6,stroke:#b58900\n");
    let end_uses: Vec<String> = (0..spec.end_uses.len()).map(|e| node_id(Node::EndUse(e))).collect();
    if !end_uses.is_empty() {
        let _ = writeln!(out, "  class {} endUse", end_uses.join(","));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_read_as_percentages() {
        assert_eq!(share(1.0), "100%");
        assert_eq!(share(0.95), "95%");
        assert_eq!(share(0.333), "33.3%");
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(dot_escape(r#"a "b" \c"#), r#"a \"b\" \\c"#);
        assert_eq!(mermaid_escape(r#"a "b""#), "a #quot;b#quot;");
    }
}
