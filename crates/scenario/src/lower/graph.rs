//! Checks on the stage graph as a whole: every customer's supply of each material (shares summing to one, at
//! least one supplier) and the absence of cycles among stages.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Range;

use chokepoint_engine::Node;

use crate::diagnostic::{Diagnostic, number};
use crate::lower::context::{Lower, LoweredLink};

/// Tolerance on the sum of shares.
const SHARE_TOLERANCE: f64 = 1e-6;

pub(crate) fn check(lower: &mut Lower<'_>, links: &[LoweredLink]) {
    shares(lower, links);
    cycles(lower, links);
}

/// Each material a stage or end use consumes needs suppliers whose shares sum to one.
fn shares(lower: &mut Lower<'_>, links: &[LoweredLink]) {
    let doc = lower.doc;
    // Links that could not be resolved could belong to any customer they do not rule out; their customers'
    // sums are not checked, so that one broken link is not reported twice.
    // Every lookup below is by key (a map or a flag per link), so that the checks stay linear in the size of
    // the graph: a chain of 100,000 stages is checked in well under a second.
    let mut readable = vec![false; doc.links.len()];
    for l in links {
        if let Some(r) = readable.get_mut(l.index) {
            *r = true;
        }
    }
    // Customers and materials of links that could not be resolved: `None` stands for "any".
    let mut any_unknown = doc.links_broken || readable.iter().any(|r| !r);
    let (mut unknown_customers, mut unknown_materials, mut unknown_pairs) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for l in links.iter().filter(|l| l.to.is_none() || l.material.is_none()) {
        match (l.to, l.material) {
            (None, None) => any_unknown = true,
            (Some(t), None) => {
                unknown_customers.insert(t);
            }
            (None, Some(m)) => {
                unknown_materials.insert(m);
            }
            (Some(t), Some(m)) => {
                unknown_pairs.insert((t, m));
            }
        }
    }
    let mut groups: BTreeMap<(Node, usize), Vec<&LoweredLink>> = BTreeMap::new();
    for l in links {
        if let (Some(t), Some(m)) = (l.to, l.material) {
            groups.entry((t, m)).or_default().push(l);
        }
    }

    let mut customers: Vec<(Node, usize, Range<usize>, String, String)> = Vec::new();
    for (s, inputs) in lower.stage_inputs.iter().enumerate() {
        let Some(stage) = doc.stages.get(s) else { continue };
        for (m, span) in inputs {
            customers.push((Node::Stage(s), *m, span.clone(), format!("stage `{}`", stage.name), stage.path.clone()));
        }
    }
    for (u, inputs) in lower.end_use_inputs.iter().enumerate() {
        let Some(end_use) = doc.end_uses.get(u) else { continue };
        for (m, span) in inputs {
            let who = format!("end use `{}`", end_use.name);
            customers.push((Node::EndUse(u), *m, span.clone(), who, end_use.path.clone()));
        }
    }
    for (node, m, span, who, path) in customers {
        let material = doc.materials.get(m).map_or("", |x| x.name.as_str());
        let customer = path.rsplit('.').next().unwrap_or("");
        let group: &[&LoweredLink] = groups.get(&(node, m)).map_or(&[], Vec::as_slice);
        let uncertain = any_unknown
            || unknown_customers.contains(&node)
            || unknown_materials.contains(&m)
            || unknown_pairs.contains(&(node, m))
            || group.iter().any(|l| !l.share_ok);
        if uncertain {
            continue;
        }
        let table = if matches!(node, Node::Stage(_)) { "inputs" } else { "intensity" };
        // The link pinned is the first in the file the user named, if it has one: files are laid out in the
        // order they were read (the named file, then its bases), so when an overlay's new link upsets a base's
        // shares, the error points at the overlay's link.
        let Some(first) = group.iter().min_by_key(|l| l.share_span.as_ref().map_or(usize::MAX, |s| s.start)) else {
            lower.push(
                Diagnostic::error(
                    "no-supplier",
                    format!("{path}.{table}.{material}"),
                    format!("{who} needs `{material}` but no link supplies it"),
                )
                .at(Some(span))
                .help(format!(
                    "add a `[[links]]` with `to = \"{customer}\"` and `material = \"{material}\"`, or remove \
                     `{path}.{table}.{material}`"
                )),
            );
            continue;
        };
        let sum: f64 = group.iter().map(|l| l.spec.share).sum();
        if (sum - 1.0).abs() > SHARE_TOLERANCE {
            let parts: Vec<String> = group
                .iter()
                .map(|l| {
                    let supplier = l.from.and_then(|s| doc.stages.get(s)).map_or("?", |s| s.name.as_str());
                    format!("{} from `{supplier}` ({})", l.path, number(l.spec.share))
                })
                .collect();
            let key = format!("{}.share", first.path);
            let help = if parts.len() == 1 {
                format!("set `{key}` to 1: it is the only link supplying `{material}` to `{customer}`")
            } else {
                format!("change the `share` of {} so that they sum to 1", join_and(&parts))
            };
            lower.push(
                Diagnostic::error(
                    "shares-do-not-sum-to-one",
                    key,
                    format!("shares of `{material}` into `{customer}` sum to {}, not 1", number(sum)),
                )
                .at(first.share_span.clone())
                .help(help),
            );
        }
    }
}

fn join_and(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Reports each cycle among stages once, on its first link in file order.
fn cycles(lower: &mut Lower<'_>, links: &[LoweredLink]) {
    let doc = lower.doc;
    let ns = doc.stages.len();
    let edges: Vec<(usize, usize, &LoweredLink)> = links
        .iter()
        .filter_map(|l| match (l.from, l.to) {
            (Some(f), Some(Node::Stage(t))) if f < ns && t < ns => Some((f, t, l)),
            _ => None,
        })
        .collect();
    // Edges out of and into each stage, as indices into `edges`, in file order.
    let (mut out_edges, mut in_edges) = (vec![Vec::new(); ns], vec![Vec::new(); ns]);
    for (k, &(f, t, _)) in edges.iter().enumerate() {
        out_edges[f].push(k);
        in_edges[t].push(k);
    }
    let mut alive = vec![true; ns];
    let mut from = 0;
    loop {
        prune(&mut alive, &edges, &out_edges, &in_edges);
        let Some(start) = alive[from..].iter().position(|&a| a).map(|i| i + from) else { break };
        from = start;
        // Every remaining stage has a successor among the remaining ones: walk until a stage repeats.
        let mut seen: BTreeMap<usize, usize> = BTreeMap::new();
        let mut walk: Vec<(usize, &LoweredLink)> = Vec::new();
        let mut v = start;
        let cycle = loop {
            if let Some(&at) = seen.get(&v) {
                break walk.get(at..).map(<[_]>::to_vec).unwrap_or_default();
            }
            seen.insert(v, walk.len());
            let next = out_edges[v].iter().map(|&k| edges[k]).find(|&(_, t, _)| alive.get(t) == Some(&true));
            let Some((_, t, l)) = next else {
                break Vec::new();
            };
            walk.push((v, l));
            v = t;
        };
        if cycle.is_empty() {
            if let Some(a) = alive.get_mut(start) {
                *a = false;
            }
            continue;
        }
        let name = |s: usize| doc.stages.get(s).map_or("?", |x| x.name.as_str());
        let mut names: Vec<String> = cycle.iter().map(|(s, _)| format!("`{}`", name(*s))).collect();
        names.push(names.first().cloned().unwrap_or_default());
        // Pinned on its first link in the file the user named (files are laid out in the order they were read:
        // an overlay's link that closes a cycle among its base's stages is where the error points).
        let position = |l: &LoweredLink| (l.to_span.as_ref().map_or(usize::MAX, |s| s.start), l.index);
        let Some(&(_, first)) = cycle.iter().min_by_key(|(_, l)| position(l)) else { continue };
        let mut members: Vec<&LoweredLink> = cycle.iter().map(|(_, l)| *l).collect();
        members.sort_unstable_by_key(|l| position(l));
        let listed: Vec<String> = members.iter().map(|l| l.path.clone()).collect();
        let (message, help) = if cycle.len() == 1 {
            (
                format!("{} goes from stage `{}` back to itself", first.what, name(first.from.unwrap_or(0))),
                format!("change `{}.to` to another stage or an end use", first.path),
            )
        } else {
            (
                format!("links form a cycle: {}", names.join(" → ")),
                format!("the stage graph must be acyclic: remove one of {}, or change its `to`", join_and(&listed)),
            )
        };
        let key = format!("{}.to", first.path);
        lower.push(Diagnostic::error("cycle-in-links", key, message).at(first.to_span.clone()).help(help));
        for (s, _) in cycle {
            if let Some(a) = alive.get_mut(s) {
                *a = false;
            }
        }
    }
}

/// Removes, repeatedly, stages without a predecessor or without a successor among the remaining stages: what is
/// left lies on or between cycles. Each removal visits only the stage's own edges.
fn prune(
    alive: &mut [bool],
    edges: &[(usize, usize, &LoweredLink)],
    out_edges: &[Vec<usize>],
    in_edges: &[Vec<usize>],
) {
    let n = alive.len();
    let (mut ins, mut outs) = (vec![0usize; n], vec![0usize; n]);
    let live = |alive: &[bool], s: usize| alive.get(s) == Some(&true);
    for &(f, t, _) in edges {
        if live(alive, f) && live(alive, t) {
            outs[f] += 1;
            ins[t] += 1;
        }
    }
    let mut queue: VecDeque<usize> = (0..n).filter(|&s| alive[s] && (ins[s] == 0 || outs[s] == 0)).collect();
    while let Some(s) = queue.pop_front() {
        if !alive[s] {
            continue;
        }
        alive[s] = false;
        for &k in &out_edges[s] {
            let t = edges[k].1;
            if live(alive, t) {
                ins[t] -= 1;
                if ins[t] == 0 {
                    queue.push_back(t);
                }
            }
        }
        for &k in &in_edges[s] {
            let f = edges[k].0;
            if live(alive, f) {
                outs[f] -= 1;
                if outs[f] == 0 {
                    queue.push_back(f);
                }
            }
        }
    }
}
