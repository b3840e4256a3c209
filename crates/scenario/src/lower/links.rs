//! Links (`[[links]]`): who supplies whom with which material, with what share and lead time.

use chokepoint_engine::{LinkSpec, Node, Param};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, list, number};
use crate::lower::context::{DurationKey, Kind, Lower, LoweredLink};

pub(super) fn links(lower: &mut Lower<'_>) -> Vec<LoweredLink> {
    let doc = lower.doc;
    let mut out = Vec::new();
    for (index, e) in doc.links.iter().enumerate() {
        let who = e.what.clone();
        let path = e.path.as_str();
        let Some(raw) = &e.raw else { continue };
        let from = match &raw.from {
            None => {
                lower.missing(e, &who, "from", "\"supplier_stage\"");
                None
            }
            Some(f) => match lower.resolve(Kind::Stage, f, &format!("{path}.from"), &who, false) {
                Some(Node::Stage(s)) => Some(s),
                _ => None,
            },
        };
        let to = match &raw.to {
            None => {
                lower.missing(e, &who, "to", "\"customer\"");
                None
            }
            Some(t) => lower.resolve(Kind::Customer, t, &format!("{path}.to"), &who, false),
        };
        let material = match &raw.material {
            None => {
                lower.missing(e, &who, "material", "\"ndpr_oxide\"");
                None
            }
            Some(m) => lower.material(m, &format!("{path}.material"), &who, false),
        };
        let (share, share_ok) = match &raw.share {
            None => {
                lower.missing(e, &who, "share", "1.0");
                (1.0, false)
            }
            Some(s) => {
                let v = *s.get_ref();
                let ok = v > 0.0 && v <= 1.0;
                if !ok {
                    lower.push(
                        Diagnostic::error(
                            "invalid-value",
                            format!("{path}.share"),
                            format!("`{path}.share` is {}, but a share must be above 0 and at most 1", number(v)),
                        )
                        .at(Some(s.span()))
                        .help(format!("set `{path}.share` to the customer's normal fraction from this supplier")),
                    );
                }
                (v, ok)
            }
        };
        let lead = DurationKey {
            what: "lead time",
            forms: [
                ("lead_time_weeks", &raw.lead_time_weeks),
                ("lead_time_days", &raw.lead_time_days),
                ("lead_time_months", &raw.lead_time_months),
            ],
        };
        let lead_time_weeks = lower.duration(path, &lead).map_or(Param::ZERO, |(p, _, _)| p);

        // The supplier must make the material and the customer must use it.
        if let (Some(m), Some(mat)) = (material, &raw.material) {
            let material_name = mat.get_ref();
            if let (Some(s), Some(f)) = (from, &raw.from)
                && let Some(outputs) = lower.stage_outputs.get(s)
                && doc.stages.get(s).is_some_and(|st| st.raw.is_some() && !st.broken("outputs"))
                && !outputs.contains(&m)
            {
                let names: Vec<&str> =
                    outputs.iter().filter_map(|&o| doc.materials.get(o).map(|x| x.name.as_str())).collect();
                let supplier = f.get_ref();
                lower.push(
                    Diagnostic::error(
                        "supplier-does-not-make",
                        format!("{path}.material"),
                        format!("{who} ships `{material_name}` from stage `{supplier}`, which does not make it"),
                    )
                    .at(Some(mat.span()))
                    .help(format!(
                        "set `{path}.material` to an output of `{supplier}` ({}), or add `{material_name}` to \
                         `stages.{supplier}.outputs`",
                        list(&names)
                    )),
                );
            }
            let used = match to {
                Some(Node::Stage(s)) => {
                    doc.stages.get(s).filter(|st| !st.broken("inputs")).and_then(|st| st.raw.as_ref()).map(|_| {
                        (lower.stage_inputs.get(s).is_some_and(|i| i.iter().any(|(x, _)| *x == m)), "stages", "inputs")
                    })
                }
                Some(Node::EndUse(u)) => {
                    doc.end_uses.get(u).filter(|eu| !eu.broken("intensity")).and_then(|eu| eu.raw.as_ref()).map(|_| {
                        (
                            lower.end_use_inputs.get(u).is_some_and(|i| i.iter().any(|(x, _)| *x == m)),
                            "end_uses",
                            "intensity",
                        )
                    })
                }
                None => None,
            };
            if let (Some((false, section, table)), Some(t)) = (used, &raw.to) {
                let customer = t.get_ref();
                lower.push(
                    Diagnostic::error(
                        "customer-does-not-use",
                        format!("{path}.material"),
                        format!("{who} ships `{material_name}` to `{customer}`, which does not use it"),
                    )
                    .at(Some(mat.span()))
                    .help(format!(
                        "add `{material_name}` to `{section}.{customer}.{table}`, or change `{path}.material` or \
                         `{path}.to`"
                    )),
                );
            }
        }
        out.push(LoweredLink {
            spec: LinkSpec {
                from: from.unwrap_or(0),
                to: to.unwrap_or(Node::Stage(0)),
                material: material.unwrap_or(0),
                share,
                lead_time_weeks,
            },
            index,
            path: e.path.clone(),
            what: who,
            added_by: e.added_by,
            replaced: false,
            from,
            to,
            material,
            share_ok,
            share_span: raw.share.as_ref().map(Spanned::span),
            to_span: raw.to.as_ref().map(Spanned::span),
        });
    }
    out
}
