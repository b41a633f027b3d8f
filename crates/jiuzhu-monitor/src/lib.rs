//! Monitoring rules (监测预警规则) as data: each rule is a SQL query over the monitored
//! population and the department feeds, with named parameters (thresholds per county),
//! run by Apache DataFusion over Arrow. The SQL keeps to a portable subset (joins, GROUP
//! BY/HAVING, IN lists, ISO dates compared as text) so the same rule can run where the data
//! lives, on another SQL engine.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{Months, NaiveDate};
use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::prelude::{CsvReadOptions, SessionContext};

/// A rule: its name and its SQL, which selects one column, `subject`.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub sql: String,
}

/// A set of rules with the values of their parameters.
#[derive(Clone, Debug)]
pub struct RuleSet {
    pub name: String,
    pub rules: Vec<Rule>,
    pub params: BTreeMap<String, String>,
}

/// What can go wrong, named.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    #[error("{0}")]
    Invalid(String),
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

macro_rules! rule_files {
    ($dir:literal: $($file:literal),* $(,)?) => {
        vec![$(($file.to_string(), include_str!(concat!("../rules/", $dir, "/", $file)).to_string())),*]
    };
}

/// Names of the rule sets shipped with the binary.
pub const SHIPPED: &[&str] = &["workload-m"];

/// The files of a shipped rule set.
pub fn shipped_files(name: &str) -> Option<Vec<(String, String)>> {
    match name {
        "workload-m" => Some(rule_files!("workload-m":
            "rules.toml", "large_medical.sql", "breadwinner_death.sql", "new_severe_disability.sql",
            "incarcerated_recipient.sql", "vehicle_purchase.sql", "unemployment_registered.sql")),
        _ => None,
    }
}

impl RuleSet {
    /// A rule set from its files: one `NAME.sql` per rule, and `rules.toml` with parameters.
    pub fn from_files(name: &str, files: &[(String, String)]) -> Result<RuleSet, MonitorError> {
        let mut params = BTreeMap::new();
        let mut rules = Vec::new();
        for (path, text) in files {
            if path.ends_with("rules.toml") {
                let t: toml::Table = toml::from_str(text)
                    .map_err(|e| MonitorError::Invalid(format!("{path}: {}", e.message())))?;
                for (k, v) in t {
                    let v = match v {
                        toml::Value::String(s) => s,
                        toml::Value::Integer(i) => i.to_string(),
                        other => {
                            return Err(MonitorError::Invalid(format!(
                                "{path}: {k}: write {other} as text"
                            )));
                        }
                    };
                    params.insert(k, v);
                }
            } else if let Some(stem) = path.strip_suffix(".sql") {
                let stem = stem.rsplit('/').next().unwrap_or(stem);
                rules.push(Rule {
                    name: stem.to_string(),
                    sql: text.clone(),
                });
            }
        }
        rules.sort_by(|a, b| a.name.cmp(&b.name));
        if rules.is_empty() {
            return Err(MonitorError::Invalid(format!(
                "rule set {name} has no .sql rules"
            )));
        }
        Ok(RuleSet {
            name: name.to_string(),
            rules,
            params,
        })
    }

    /// The SQL of a rule with every `{parameter}` replaced; an unknown one is an error.
    fn sql(&self, rule: &Rule, month: &Month) -> Result<String, MonitorError> {
        let mut values = self.params.clone();
        values.insert("month_start".into(), month.start.to_string());
        values.insert("month_end".into(), month.end.to_string());
        values.insert("window_start".into(), month.window_start.to_string());
        let mut out = String::new();
        let mut rest = rule.sql.as_str();
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let end = rest[i..].find('}').ok_or_else(|| {
                MonitorError::Invalid(format!("rule {}: unclosed '{{'", rule.name))
            })?;
            let key = &rest[i + 1..i + end];
            let v = values.get(key).ok_or_else(|| {
                MonitorError::Invalid(format!("rule {}: unknown parameter {{{key}}}", rule.name))
            })?;
            if !v
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
            {
                return Err(MonitorError::Invalid(format!(
                    "rule {}: parameter {key} must be a number or a date",
                    rule.name
                )));
            }
            out.push_str(v);
            rest = &rest[i + end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// The evaluation month, and the twelve-month window ending with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Month {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub window_start: NaiveDate,
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
        })
    }
}

fn utf8() -> DataType {
    DataType::Utf8
}

fn money() -> DataType {
    DataType::Decimal128(18, 2)
}

/// The feeds of workload M and their columns.
fn feeds() -> Vec<(&'static str, Schema)> {
    let f = |n: &str, t: DataType| Field::new(n, t, false);
    vec![
        (
            "population",
            Schema::new(vec![
                f("id_number", utf8()),
                f("household_id", utf8()),
                f("region_code", utf8()),
                f("category", utf8()),
                f("is_main_laborer", DataType::Int64),
            ]),
        ),
        (
            "medical",
            Schema::new(vec![
                f("id_number", utf8()),
                f("settle_date", utf8()),
                f("total_cost", money()),
                f("out_of_pocket", money()),
            ]),
        ),
        (
            "deaths",
            Schema::new(vec![f("id_number", utf8()), f("death_date", utf8())]),
        ),
        (
            "disability",
            Schema::new(vec![
                f("id_number", utf8()),
                f("category", DataType::Int64),
                f("grade", DataType::Int64),
                f("cert_date", utf8()),
            ]),
        ),
        (
            "prison",
            Schema::new(vec![f("id_number", utf8()), f("admit_date", utf8())]),
        ),
        (
            "vehicles",
            Schema::new(vec![
                f("id_number", utf8()),
                f("plate", utf8()),
                f("price", money()),
                f("reg_date", utf8()),
            ]),
        ),
        (
            "unemployment",
            Schema::new(vec![f("id_number", utf8()), f("reg_date", utf8())]),
        ),
    ]
}

/// Runs every rule over the CSV feeds in `dir` for `month`: distinct (rule, subject) pairs,
/// sorted by rule then subject (byte order).
pub async fn run(
    dir: &Path,
    set: &RuleSet,
    month: Month,
) -> Result<Vec<(String, String)>, MonitorError> {
    let ctx = SessionContext::new();
    for (name, schema) in feeds() {
        let path = dir.join(format!("{name}.csv"));
        if !path.exists() {
            return Err(MonitorError::Invalid(format!(
                "{}: missing",
                path.display()
            )));
        }
        let schema = Arc::new(schema);
        ctx.register_csv(
            name,
            &path.to_string_lossy(),
            CsvReadOptions::new().has_header(true).schema(&schema),
        )
        .await
        .map_err(|e| MonitorError::Feed {
            file: format!("{name}.csv"),
            source: e,
        })?;
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for rule in &set.rules {
        let sql = set.sql(rule, &month)?;
        let err = |e| MonitorError::Rule {
            rule: rule.name.clone(),
            source: e,
        };
        let batches = ctx
            .sql(&sql)
            .await
            .map_err(err)?
            .collect()
            .await
            .map_err(err)?;
        let mut subjects: Vec<String> = Vec::new();
        for b in batches {
            let col = cast(b.column(0), &DataType::Utf8).map_err(|e| err(e.into()))?;
            let col = col
                .as_any()
                .downcast_ref::<StringArray>()
                .expect("cast to Utf8");
            subjects.extend(
                (0..col.len())
                    .filter(|i| col.is_valid(*i))
                    .map(|i| col.value(i).to_string()),
            );
        }
        subjects.sort();
        subjects.dedup();
        out.extend(subjects.into_iter().map(|s| (rule.name.clone(), s)));
    }
    out.sort();
    Ok(out)
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
mod tests {
    use super::*;

    #[test]
    fn the_month_and_its_window() {
        let m = Month::parse("2026-10").unwrap();
        assert_eq!(
            (
                m.start.to_string(),
                m.end.to_string(),
                m.window_start.to_string()
            ),
            (
                "2026-10-01".into(),
                "2026-10-31".into(),
                "2025-11-01".into()
            )
        );
        assert_eq!(
            Month::parse("2024-02").unwrap().end.to_string(),
            "2024-02-29"
        );
        assert!(Month::parse("2026-13").is_err() && Month::parse("2026-1").is_err());
    }

    #[test]
    fn parameters_are_substituted_and_checked() {
        let set = RuleSet::from_files("workload-m", &shipped_files("workload-m").unwrap()).unwrap();
        assert_eq!(set.rules.len(), 6);
        let m = Month::parse("2026-10").unwrap();
        let sql = set
            .sql(
                &set.rules
                    .iter()
                    .find(|r| r.name == "large_medical")
                    .unwrap()
                    .clone(),
                &m,
            )
            .unwrap();
        assert!(
            sql.contains("'2025-11-01'") && sql.contains("> 20000.00"),
            "{sql}"
        );
        let bad = Rule {
            name: "x".into(),
            sql: "SELECT {nope}".into(),
        };
        assert!(
            set.sql(&bad, &m)
                .unwrap_err()
                .to_string()
                .contains("unknown parameter {nope}")
        );
    }
}
