//! Reforms (政策调整): parameter changes from a date, written as TOML, applied to a pack
//! to simulate a population before and after.
//!
//! ```toml
//! name = "dibao standard +5% from 2026-12-01"
//! [[change]]
//! parameter = "dibao_standard_monthly"
//! from = "2026-12-01"
//! scale = "1.05"        # or: value = "1200.00"
//! ```

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;

use crate::pack::{Pack, ParamValues};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reform {
    pub name: String,
    #[serde(rename = "change")]
    pub changes: Vec<Change>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub parameter: String,
    pub from: String,
    /// Multiply the value in force on `from` (every region's own value too); money is
    /// rounded to the fen, half up.
    pub scale: Option<String>,
    /// Or set this value everywhere.
    pub value: Option<String>,
}

/// Parses a reform file; errors name the line.
pub fn parse(text: &str) -> Result<Reform, String> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(1);
        format!("line {line}: {}", e.message())
    })
}

fn new_value(old: Decimal, scale: Option<Decimal>, value: Option<Decimal>) -> Decimal {
    match (scale, value) {
        (_, Some(v)) => v,
        (Some(s), None) => {
            (old * s).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        }
        (None, None) => old,
    }
}

fn insert(
    values: &mut Vec<(NaiveDate, Decimal)>,
    from: NaiveDate,
    scale: Option<Decimal>,
    value: Option<Decimal>,
) {
    let old = values
        .iter()
        .rev()
        .find(|(d, _)| *d <= from)
        .map(|(_, x)| *x);
    if old.is_none() && value.is_none() {
        return;
    }
    let v = new_value(old.unwrap_or_default(), scale, value);
    values.retain(|(d, _)| *d != from);
    values.push((from, v));
    values.sort_by_key(|(d, _)| *d);
}

/// Applies the reform's changes to `pack`.
pub fn apply(pack: &mut Pack, reform: &Reform) -> Result<(), String> {
    for (i, c) in reform.changes.iter().enumerate() {
        let at = |m: String| format!("change {}: {m}", i + 1);
        let from = jiuzhu_domain::parse_date(&c.from).map_err(|e| at(format!("from: {e}")))?;
        let dec = |s: &Option<String>, what: &str| -> Result<Option<Decimal>, String> {
            s.as_deref()
                .map(|t| {
                    t.trim()
                        .parse::<Decimal>()
                        .map_err(|_| at(format!("{what}: {t:?} is not a number")))
                })
                .transpose()
        };
        let (scale, value) = (dec(&c.scale, "scale")?, dec(&c.value, "value")?);
        if scale.is_some() == value.is_some() {
            return Err(at("give either scale or value".into()));
        }
        let p = pack
            .parameters
            .iter_mut()
            .find(|p| p.name == c.parameter)
            .ok_or_else(|| at(format!("no parameter {}", c.parameter)))?;
        match &mut p.values {
            ParamValues::Scalar(v) => insert(v, from, scale, value),
            ParamValues::Table(_) => {
                return Err(at(format!(
                    "{} is a table; change its cells in a pack instead",
                    c.parameter
                )));
            }
        }
        for v in p.by_region.values_mut() {
            insert(v, from, scale, value);
        }
    }
    Ok(())
}
