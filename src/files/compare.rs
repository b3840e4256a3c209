//! The tables of `chokepoint compare`: `compare.csv`, `paired_differences.parquet` and `paired_losses.parquet`, and
//! the names of every file it writes (`compare_run.json`'s record is `documents::compare_record`).
//! `docs/output-schema.md` describes every column.

use std::io::Write;

use polars::prelude::*;

use chokepoint_analysis::outcome::VariantOutcome;

use crate::documents::compare::{ChangeJson, CompareDocument, EffectJson, PairedJson};
use crate::files::tables::{batches, label_column, parquet, schema, trial_column};

pub const COMPARE_CSV_FILE: &str = "compare.csv";
pub const COMPARE_JSON_FILE: &str = "compare.json";
pub const PAIRED_DIFFERENCES_FILE: &str = "paired_differences.parquet";
pub const PAIRED_LOSSES_FILE: &str = "paired_losses.parquet";
pub const COMPARE_RUN_FILE: &str = "compare_run.json";

/// Columns of `paired_differences.parquet`.
pub fn paired_differences_schema() -> Schema {
    use DataType::{Boolean, Float64, String, UInt64};
    schema(&[
        ("option", String),
        ("end_use", String),
        ("trial", UInt64),
        ("baseline_units_short", Float64),
        ("option_units_short", Float64),
        ("units_short_avoided", Float64),
        ("baseline_short_or_late", Boolean),
        ("option_short_or_late", Boolean),
        ("baseline_max_delay_weeks", Float64),
        ("option_max_delay_weeks", Float64),
        ("max_delay_weeks_avoided", Float64),
        ("baseline_loss", Float64),
        ("option_loss", Float64),
        ("loss_avoided", Float64),
    ])
}

/// Writes `paired_differences.parquet`: one row per option, end use and trial, in that order.
pub fn write_paired_differences<W: Write>(
    w: W,
    end_uses: &[String],
    baseline: &VariantOutcome,
    options: &[(String, &VariantOutcome)],
) -> anyhow::Result<()> {
    let mut writer = parquet(w, &paired_differences_schema())?;
    for (name, option) in options {
        for (e, end_use) in end_uses.iter().enumerate() {
            let (base, opt) = (&baseline.end_uses[e], &option.end_uses[e]);
            for trials in batches(baseline.trials) {
                let pair = |column: &str, b: &[f64], o: &[f64]| {
                    let (b, o) = (&b[trials.clone()], &o[trials.clone()]);
                    [
                        Column::new(format!("baseline_{column}").into(), b),
                        Column::new(format!("option_{column}").into(), o),
                        Column::new(
                            format!("{column}_avoided").into(),
                            b.iter().zip(o).map(|(b, o)| b - o).collect::<Vec<f64>>(),
                        ),
                    ]
                };
                let [b_short, o_short, short_avoided] = pair("units_short", &base.units_short, &opt.units_short);
                let [b_delay, o_delay, delay_avoided] =
                    pair("max_delay_weeks", &base.max_delay_weeks, &opt.max_delay_weeks);
                let [b_loss, o_loss, loss_avoided] = pair("loss", &base.loss, &opt.loss);
                let columns = vec![
                    label_column("option", name, trials.len()),
                    label_column("end_use", end_use, trials.len()),
                    trial_column(trials.start as u64..trials.end as u64),
                    b_short,
                    o_short,
                    short_avoided,
                    Column::new("baseline_short_or_late".into(), &base.short_or_late[trials.clone()]),
                    Column::new("option_short_or_late".into(), &opt.short_or_late[trials.clone()]),
                    b_delay,
                    o_delay,
                    delay_avoided,
                    b_loss,
                    o_loss,
                    loss_avoided,
                ];
                writer.write_batch(&DataFrame::new(trials.len(), columns)?)?;
            }
        }
    }
    writer.finish()?;
    Ok(())
}

/// Writes `paired_losses.parquet`: one row per option and trial, the loss over every end use of the baseline and
/// of the option in that trial.
pub fn write_paired_losses<W: Write>(
    w: W,
    baseline: &VariantOutcome,
    options: &[(String, &VariantOutcome)],
) -> anyhow::Result<()> {
    use DataType::{Float64, String, UInt64};
    let columns = [
        ("option", String),
        ("trial", UInt64),
        ("baseline_loss", Float64),
        ("option_loss", Float64),
        ("loss_avoided", Float64),
    ];
    let mut writer = parquet(w, &schema(&columns))?;
    for (name, option) in options {
        for trials in batches(baseline.trials) {
            let (b, o) = (&baseline.loss[trials.clone()], &option.loss[trials.clone()]);
            let columns = vec![
                label_column("option", name, trials.len()),
                trial_column(trials.start as u64..trials.end as u64),
                Column::new("baseline_loss".into(), b),
                Column::new("option_loss".into(), o),
                Column::new("loss_avoided".into(), b.iter().zip(o).map(|(b, o)| b - o).collect::<Vec<f64>>()),
            ];
            writer.write_batch(&DataFrame::new(trials.len(), columns)?)?;
        }
    }
    writer.finish()?;
    Ok(())
}

/// Writes `compare.csv`: one row per end use and option, in end-use order, then rank.
pub fn write_compare_csv<W: Write>(w: W, doc: &CompareDocument) -> anyhow::Result<()> {
    let rows: Vec<(&crate::documents::compare::EndUseJson, &EffectJson)> =
        doc.end_uses.iter().flat_map(|e| e.options.iter().map(move |o| (e, o))).collect();
    let kind = |option: &str| doc.options.iter().find(|o| o.name == option).map_or("", |o| o.kind.as_str());
    let finite = |x: f64| x.is_finite().then_some(x);
    let f64s = |name: &str, f: &dyn Fn(&EffectJson) -> f64| {
        Column::new(name.into(), rows.iter().map(|(_, o)| finite(f(o))).collect::<Vec<Option<f64>>>())
    };
    let strings = |name: &str, f: &dyn Fn(&crate::documents::compare::EndUseJson, &EffectJson) -> String| {
        Column::new(name.into(), rows.iter().map(|(e, o)| f(e, o)).collect::<Vec<String>>())
    };
    let paired = |stem: &str, f: &dyn Fn(&EffectJson) -> &PairedJson| {
        [
            f64s(&format!("baseline_{stem}"), &|o| f(o).baseline_mean),
            f64s(&format!("option_{stem}"), &|o| f(o).option_mean),
            f64s(&format!("{stem}_avoided"), &|o| f(o).avoided_mean),
            f64s(&format!("{stem}_avoided_se"), &|o| f(o).se),
            f64s(&format!("{stem}_avoided_ci95_low"), &|o| f(o).ci95_low),
            f64s(&format!("{stem}_avoided_ci95_high"), &|o| f(o).ci95_high),
        ]
    };
    let mut columns = vec![
        strings("end_use", &|e, _| e.name.clone()),
        strings("class", &|e, _| e.class.clone()),
        strings("unit", &|e, _| e.unit.clone()),
        strings("unmet_demand", &|e, _| e.unmet_demand.clone()),
        strings("option", &|_, o| o.option.clone()),
        strings("option_kind", &|_, o| kind(&o.option).to_owned()),
        Column::new("rank".into(), rows.iter().map(|(_, o)| o.rank as u64).collect::<Vec<_>>()),
        strings("effect", &|_, o| effect_word(o.effect).to_owned()),
    ];
    columns.extend(paired("units_short", &|o| &o.units_short_avoided));
    columns.push(f64s("units_short_unpaired_se", &|o| o.units_short_avoided.unpaired_se));
    columns.push(f64s("p_better", &|o| o.units_short_avoided.p_better.p));
    columns.push(f64s("p_worse", &|o| o.units_short_avoided.p_worse.p));
    let change = |stem: &str, f: &dyn Fn(&EffectJson) -> &ChangeJson| {
        [
            f64s(&format!("baseline_{stem}"), &|o| f(o).baseline.p),
            f64s(&format!("option_{stem}"), &|o| f(o).option.p),
            f64s(&format!("delta_{stem}"), &|o| f(o).delta),
            f64s(&format!("delta_{stem}_ci95_low"), &|o| f(o).ci95_low),
            f64s(&format!("delta_{stem}_ci95_high"), &|o| f(o).ci95_high),
        ]
    };
    columns.extend(change("p_short_or_late", &|o| &o.p_short_or_late));
    columns.extend(paired("max_delay_weeks", &|o| &o.max_delay_weeks_avoided));
    columns.extend(paired("backlog_unit_weeks", &|o| &o.backlog_unit_weeks_avoided));
    columns.extend(paired("loss", &|o| &o.loss_avoided));
    columns.push(f64s("delta_cvar95_units_short", &|o| o.delta_cvar95_units_short));
    columns.push(f64s("cost_usd", &|o| o.cost_usd));
    columns.push(Column::new(
        "cost_per_unit_short_avoided_usd".into(),
        rows.iter().map(|(_, o)| o.cost_per_unit_short_avoided_usd.map(|c| c.point)).collect::<Vec<Option<f64>>>(),
    ));
    columns.push(Column::new(
        "cost_per_unit_week_late_avoided_usd".into(),
        rows.iter().map(|(_, o)| o.cost_per_unit_week_late_avoided_usd.map(|c| c.point)).collect::<Vec<Option<f64>>>(),
    ));
    let mut df = DataFrame::new(rows.len(), columns)?;
    CsvWriter::new(w).include_header(true).finish(&mut df)?;
    Ok(())
}

fn effect_word(e: crate::documents::compare::Effect) -> &'static str {
    match e {
        crate::documents::compare::Effect::Better => "better",
        crate::documents::compare::Effect::Worse => "worse",
        crate::documents::compare::Effect::None => "none",
    }
}
