//! Monitoring rules (监测预警规则) as data: each rule is a SQL query over the monitored
//! population and the department feeds, with named parameters (thresholds per county),
//! run by Apache DataFusion over Arrow. The SQL keeps to a portable subset (joins, GROUP
//! BY/HAVING, IN lists, ISO dates compared as text) so the same rule can run where the data
//! lives, on another SQL engine.

use std::path::Path;
use std::sync::Arc;

use chrono::{Months, NaiveDate};
use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{CsvReadOptions, SessionContext};

pub mod feeds;
mod rules;
pub mod tables;

pub use rules::{
    PARAM_LABELS, Rule, RuleMeta, RuleSet, SHIPPED, load_rule_set, param_label, shipped_files,
};

/// One finding: a rule, its subject, and what distinguishes this finding from another of
/// the same rule about the same subject (empty when the rule selects no `finding`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Finding {
    pub rule: String,
    pub subject: String,
    pub finding: String,
    /// The optional `amount` column (a granting rule's expense); empty when none.
    pub amount: String,
}

/// What can go wrong, named.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("{0}")]
    Invalid(String),
    /// The user may not do this (a feed of another department).
    #[error("{0}")]
    Forbidden(String),
    #[error("rule {rule}: {source}")]
    Rule {
        rule: String,
        source: datafusion::error::DataFusionError,
    },
    #[error("{file}: {source}")]
    Feed {
        file: String,
        source: datafusion::error::DataFusionError,
    },
}

/// The evaluation month, and the twelve-month window ending with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Month {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub window_start: NaiveDate,
    pub prev_start: NaiveDate,
    pub prev_end: NaiveDate,
}

impl Month {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Month, MonitorError> {
        let start = NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 7)
            .ok_or_else(|| MonitorError::Invalid(format!("month {s:?}: expected YYYY-MM")))?;
        let next = start + Months::new(1);
        Ok(Month {
            start,
            end: next.pred_opt().expect("a day before"),
            window_start: start - Months::new(11),
            prev_start: start - Months::new(1),
            prev_end: start.pred_opt().expect("a day before"),
        })
    }

    /// The month before this one.
    pub fn previous(&self) -> Month {
        Month::parse(&self.prev_start.format("%Y-%m").to_string()).expect("a valid month")
    }

    /// `YYYY-MM`.
    pub fn label(&self) -> String {
        self.start.format("%Y-%m").to_string()
    }
}

/// The Arrow type of a feed column: money as DECIMAL(18,2), dates as ISO text.
pub fn arrow_type(ty: feeds::ColumnType) -> DataType {
    match ty {
        feeds::ColumnType::Money => DataType::Decimal128(18, 2),
        feeds::ColumnType::Integer => DataType::Int64,
        _ => DataType::Utf8,
    }
}

/// The columns of the monitored population, as rules see them.
pub fn population_schema() -> Schema {
    let f = |n: &str, t: DataType| Field::new(n, t, false);
    Schema::new(vec![
        f("id_number", DataType::Utf8),
        f("household_id", DataType::Utf8),
        f("region_code", DataType::Utf8),
        f("category", DataType::Utf8),
        f("is_main_laborer", DataType::Int64),
    ])
}

/// The Arrow schema of a feed type.
pub fn feed_schema(ft: &feeds::FeedType) -> Schema {
    Schema::new(
        ft.columns
            .iter()
            .map(|c| Field::new(&c.name, arrow_type(c.ty), false))
            .collect::<Vec<_>>(),
    )
}

/// The six feeds of workload M, the files `run` reads.
const WORKLOAD_M_FEEDS: &[&str] = &[
    "medical",
    "deaths",
    "disability",
    "prison",
    "vehicles",
    "unemployment",
];

/// Runs every rule over the CSV files in `dir` (`population.csv`, the six feeds of workload
/// M, and any other built-in feed as `NAME.csv`, empty when absent) for `month`: distinct (rule, subject) pairs, sorted by rule then subject
/// (byte order).
pub async fn run(
    dir: &Path,
    set: &RuleSet,
    month: Month,
) -> Result<Vec<(String, String)>, MonitorError> {
    let ctx = SessionContext::new();
    let types = feeds::builtin_types();
    let mut tables = vec![("population".to_string(), population_schema())];
    for ft in &types {
        let path = dir.join(format!("{}.csv", ft.name));
        if WORKLOAD_M_FEEDS.contains(&ft.name.as_str()) || path.exists() {
            tables.push((ft.name.clone(), feed_schema(ft)));
        } else {
            // Another built-in feed without a file: an empty table, so rules still plan.
            let err = |e| MonitorError::Feed {
                file: ft.name.clone(),
                source: e,
            };
            let empty =
                datafusion::datasource::MemTable::try_new(Arc::new(feed_schema(ft)), vec![vec![]])
                    .map_err(err)?;
            ctx.register_table(&ft.name, Arc::new(empty)).map_err(err)?;
        }
    }
    for (name, schema) in tables {
        let path = dir.join(format!("{name}.csv"));
        if !path.exists() {
            return Err(MonitorError::Invalid(format!(
                "{}: missing",
                path.display()
            )));
        }
        let schema = Arc::new(schema);
        ctx.register_csv(
            &name,
            &path.to_string_lossy(),
            CsvReadOptions::new().has_header(true).schema(&schema),
        )
        .await
        .map_err(|e| MonitorError::Feed {
            file: format!("{name}.csv"),
            source: e,
        })?;
    }
    let findings = run_context(&ctx, set, month).await?;
    let mut out: Vec<(String, String)> =
        findings.into_iter().map(|f| (f.rule, f.subject)).collect();
    out.dedup();
    Ok(out)
}

/// Runs every rule over the tables registered in `ctx` (`population` and the feeds):
/// distinct findings, sorted. A rule whose parameters have county values runs once per
/// such county over that county's population, and once over the rest.
pub async fn run_context(
    ctx: &SessionContext,
    set: &RuleSet,
    month: Month,
) -> Result<Vec<Finding>, MonitorError> {
    let by_county = set.rules.iter().any(|r| set.varies_by_county(r));
    let population = if by_county {
        let p = ctx
            .deregister_table("population")
            .map_err(|e| MonitorError::Feed {
                file: "population".into(),
                source: e,
            })?
            .ok_or_else(|| MonitorError::Invalid("no population table".into()))?;
        ctx.register_table("population_all", p.clone())
            .map_err(|e| MonitorError::Feed {
                file: "population".into(),
                source: e,
            })?;
        Some(p)
    } else {
        None
    };
    let mut out: Vec<Finding> = Vec::new();
    for rule in &set.rules {
        let err = |e| MonitorError::Rule {
            rule: rule.name.clone(),
            source: e,
        };
        let groups = county_groups(set, rule, population.is_some());
        let mut found: Vec<Finding> = Vec::new();
        for (filter, county) in groups {
            if population.is_some() {
                let _ = ctx.deregister_table("population").map_err(err)?;
                let view = ctx
                    .sql(&format!(
                        "SELECT * FROM population_all{}",
                        filter.map(|f| format!(" WHERE {f}")).unwrap_or_default()
                    ))
                    .await
                    .map_err(err)?
                    .into_view();
                ctx.register_table("population", view).map_err(err)?;
            }
            let sql = set.sql_with(rule, &month, county)?;
            let batches = ctx
                .sql(&sql)
                .await
                .map_err(err)?
                .collect()
                .await
                .map_err(err)?;
            for b in batches {
                findings_of(rule, &b, &mut found)?;
            }
        }
        out.extend(found);
    }
    if let Some(p) = population {
        let _ = ctx.deregister_table("population_all");
        let _ = ctx.deregister_table("population");
        let _ = ctx.register_table("population", p);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// The population filters a rule runs over, with the county values each uses: every county
/// with its own values, and the rest on the defaults (one group when nothing varies).
fn county_groups<'s>(
    set: &'s RuleSet,
    rule: &Rule,
    split: bool,
) -> Vec<(Option<String>, Option<&'s rules::Params>)> {
    if !(split && set.varies_by_county(rule)) {
        return vec![(None, None)];
    }
    let codes: Vec<String> = set
        .counties
        .keys()
        .map(|c| format!("region_code LIKE '{c}%'"))
        .collect();
    let mut groups = vec![(Some(format!("NOT ({})", codes.join(" OR "))), None)];
    for (code, values) in &set.counties {
        groups.push((Some(format!("region_code LIKE '{code}%'")), Some(values)));
    }
    groups
}

/// The findings of one batch of a rule's result: `subject`, and `finding` and `amount`
/// where the rule selects them.
fn findings_of(
    rule: &Rule,
    b: &datafusion::arrow::record_batch::RecordBatch,
    found: &mut Vec<Finding>,
) -> Result<(), MonitorError> {
    let text = |name: &str| -> Result<Option<Arc<dyn Array>>, MonitorError> {
        b.column_by_name(name)
            .map(|c| cast(c, &DataType::Utf8))
            .transpose()
            .map_err(|e| MonitorError::Rule {
                rule: rule.name.clone(),
                source: e.into(),
            })
    };
    let strings = |c: &Arc<dyn Array>| {
        c.as_any()
            .downcast_ref::<StringArray>()
            .expect("cast to Utf8")
            .clone()
    };
    let subject = text("subject")?.ok_or_else(|| {
        MonitorError::Invalid(format!("rule {}: selects no column subject", rule.name))
    })?;
    let subject = strings(&subject);
    let finding = text("finding")?.map(|c| strings(&c));
    let amount = text("amount")?.map(|c| strings(&c));
    let value = |c: &Option<StringArray>, i: usize| {
        c.as_ref()
            .filter(|c| c.is_valid(i))
            .map(|c| c.value(i).to_string())
            .unwrap_or_default()
    };
    for i in 0..subject.len() {
        if subject.is_valid(i) {
            found.push(Finding {
                rule: rule.name.clone(),
                subject: subject.value(i).to_string(),
                finding: value(&finding, i),
                amount: value(&amount, i),
            });
        }
    }
    Ok(())
}

/// `alerts.csv` as SPEC.md writes it.
pub fn alerts_csv(alerts: &[(String, String)]) -> String {
    let mut s = String::from("rule,subject\n");
    for (r, subject) in alerts {
        s.push_str(r);
        s.push(',');
        s.push_str(subject);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests;
