//! Materials (`[materials]`): their units.

use chokepoint_engine::{MaterialSpec, Unit};

use crate::lower::context::Lower;

pub(super) fn materials(lower: &mut Lower<'_>) -> Vec<MaterialSpec> {
    let doc = lower.doc;
    let mut out = Vec::new();
    for e in &doc.materials {
        let unit = e.raw.as_ref().and_then(|raw| match &raw.unit {
            None => {
                lower.missing(e, &format!("material `{}`", e.name), "unit", "\"t\"");
                None
            }
            Some(u) => match lower.choice(u, &format!("{}.unit", e.path), &["t", "unit"]) {
                Some("t") => Some(Unit::Tonne),
                Some(_) => Some(Unit::Item),
                None => None,
            },
        });
        lower.material_units.push(unit);
        out.push(MaterialSpec { name: e.name.clone(), unit: unit.unwrap_or(Unit::Tonne) });
    }
    out
}
