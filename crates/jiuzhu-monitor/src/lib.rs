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

pub mod feeds;
pub mod tables;

/// A rule: its name, its SQL (selecting `subject` and optionally `finding`), and what an
/// alert from it means.
#[derive(Clone, Debug)]
pub struct Rule {
    pub name: String,
    pub sql: String,
    pub meta: RuleMeta,
}

/// What a rule's alerts are about and what to do with them (`[rules.NAME]` in rules.toml).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    /// `person` (the subject is an ID number) or `household` (a household number).
    #[serde(default = "person")]
    pub subject: String,
    /// `high`, `medium` or `low`.
    #[serde(default = "medium")]
    pub severity: String,
    /// Suggested action: `outreach` (走访), `recheck` (复核), `suspend` (暂停), `assist` (救助).
    #[serde(default = "recheck")]
    pub action: String,
    #[serde(default)]
    pub label_zh: String,
    #[serde(default)]
    pub label_en: String,
    /// Working days the township has to close the alert.
    #[serde(default = "ten")]
    pub deadline_days: u32,
    /// A rule that grants directly: the program whose one-off amount the policy engine
    /// computes for the subject (无感智办), e.g. `temporary`.
    #[serde(default)]
    pub grants: Option<String>,
}

fn person() -> String {
    "person".into()
}
fn medium() -> String {
    "medium".into()
}
fn recheck() -> String {
    "recheck".into()
}
fn ten() -> u32 {
    10
}

impl RuleMeta {
    fn for_rule(name: &str) -> RuleMeta {
        RuleMeta {
            subject: person(),
            severity: medium(),
            action: recheck(),
            label_zh: name.to_string(),
            label_en: name.to_string(),
            deadline_days: ten(),
            grants: None,
        }
    }

    fn check(&self, rule: &str) -> Result<(), MonitorError> {
        let bad = |field: &str, v: &str, allowed: &str| {
            Err(MonitorError::Invalid(format!(
                "rules.toml: [rules.{rule}] {field} = {v:?}: use one of {allowed}"
            )))
        };
        if !["person", "household"].contains(&self.subject.as_str()) {
            return bad("subject", &self.subject, "person, household");
        }
        if !["high", "medium", "low"].contains(&self.severity.as_str()) {
            return bad("severity", &self.severity, "high, medium, low");
        }
        if !["outreach", "recheck", "suspend", "assist"].contains(&self.action.as_str()) {
            return bad("action", &self.action, "outreach, recheck, suspend, assist");
        }
        Ok(())
    }
}

/// A set of rules with the values of their parameters, and county values that replace
/// them for the population of that county.
#[derive(Clone, Debug)]
pub struct RuleSet {
    pub name: String,
    pub rules: Vec<Rule>,
    pub params: BTreeMap<String, String>,
    /// County code (6 digits) → parameter values in force there.
    pub counties: BTreeMap<String, BTreeMap<String, String>>,
}

type Params = BTreeMap<String, String>;

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

macro_rules! rule_files {
    ($($path:literal),* $(,)?) => {
        vec![$(($path.rsplit('/').next().unwrap().to_string(), include_str!(concat!("../rules/", $path)).to_string())),*]
    };
}

/// Names of the rule sets shipped with the binary.
pub const SHIPPED: &[&str] = &["workload-m", "standard"];

/// The files of a shipped rule set.
pub fn shipped_files(name: &str) -> Option<Vec<(String, String)>> {
    match name {
        "workload-m" => Some(rule_files!(
            "workload-m/rules.toml",
            "workload-m/large_medical.sql",
            "workload-m/breadwinner_death.sql",
            "workload-m/new_severe_disability.sql",
            "workload-m/incarcerated_recipient.sql",
            "workload-m/vehicle_purchase.sql",
            "workload-m/unemployment_registered.sql"
        )),
        "standard" => Some(rule_files!(
            "standard/rules.toml",
            "workload-m/large_medical.sql",
            "workload-m/breadwinner_death.sql",
            "workload-m/new_severe_disability.sql",
            "workload-m/incarcerated_recipient.sql",
            "workload-m/vehicle_purchase.sql",
            "workload-m/unemployment_registered.sql",
            "standard/income_drop.sql",
            "standard/disease_diagnosis.sql",
            "standard/wage_base_above_line.sql",
            "standard/property_bought.sql",
            "standard/college_entry.sql",
            "standard/medical_grant.sql"
        )),
        _ => None,
    }
}

/// The files of a rule set by name: a shipped one, or a folder of `.sql` and `rules.toml`.
pub fn load_rule_set(name_or_dir: &str) -> Result<RuleSet, MonitorError> {
    if let Some(files) = shipped_files(name_or_dir) {
        return RuleSet::from_files(name_or_dir, &files);
    }
    let dir = Path::new(name_or_dir);
    if !dir.is_dir() {
        return Err(MonitorError::Invalid(format!(
            "no rule set {name_or_dir:?}: not shipped ({}) nor a folder",
            SHIPPED.join(", ")
        )));
    }
    let mut files = Vec::new();
    let io = |e: std::io::Error| MonitorError::Invalid(format!("{}: {e}", dir.display()));
    for e in std::fs::read_dir(dir).map_err(io)? {
        let p = e.map_err(io)?.path();
        if p.extension().is_some_and(|x| x == "sql" || x == "toml") {
            files.push((
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned(),
                std::fs::read_to_string(&p).map_err(io)?,
            ));
        }
    }
    RuleSet::from_files(name_or_dir, &files)
}

fn param_text(path: &str, k: &str, v: toml::Value) -> Result<String, MonitorError> {
    match v {
        toml::Value::String(s) => Ok(s),
        toml::Value::Integer(i) => Ok(i.to_string()),
        other => Err(MonitorError::Invalid(format!(
            "{path}: {k}: write {other} as text"
        ))),
    }
}

impl RuleSet {
    /// A rule set from its files: one `NAME.sql` per rule, and `rules.toml` with parameters
    /// (top-level values), `[rules.NAME]` tables describing each rule, and `[county.CODE]`
    /// tables with the values in force in one county.
    pub fn from_files(name: &str, files: &[(String, String)]) -> Result<RuleSet, MonitorError> {
        let mut params = BTreeMap::new();
        let mut counties = BTreeMap::new();
        let mut metas: BTreeMap<String, RuleMeta> = BTreeMap::new();
        let mut rules = Vec::new();
        for (path, text) in files {
            if path.ends_with("rules.toml") {
                let t: toml::Table = toml::from_str(text)
                    .map_err(|e| MonitorError::Invalid(format!("{path}: {}", e.message())))?;
                for (k, v) in t {
                    match (k.as_str(), v) {
                        ("rules", toml::Value::Table(t)) => {
                            for (rule, meta) in t {
                                let meta: RuleMeta =
                                    meta.try_into().map_err(|e: toml::de::Error| {
                                        MonitorError::Invalid(format!(
                                            "{path}: [rules.{rule}]: {}",
                                            e.message()
                                        ))
                                    })?;
                                meta.check(&rule)?;
                                metas.insert(rule, meta);
                            }
                        }
                        ("county", toml::Value::Table(t)) => {
                            for (code, values) in t {
                                if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                                    return Err(MonitorError::Invalid(format!(
                                        "{path}: [county.{code}]: a county code has 6 digits"
                                    )));
                                }
                                let toml::Value::Table(values) = values else {
                                    return Err(MonitorError::Invalid(format!(
                                        "{path}: county.{code} must be a table"
                                    )));
                                };
                                let mut m = BTreeMap::new();
                                for (k, v) in values {
                                    m.insert(k.clone(), param_text(path, &k, v)?);
                                }
                                counties.insert(code, m);
                            }
                        }
                        (_, v) => {
                            let v = param_text(path, &k, v)?;
                            params.insert(k, v);
                        }
                    }
                }
            } else if let Some(stem) = path.strip_suffix(".sql") {
                let stem = stem.rsplit('/').next().unwrap_or(stem);
                rules.push(Rule {
                    name: stem.to_string(),
                    sql: text.clone(),
                    meta: RuleMeta::for_rule(stem),
                });
            }
        }
        for rule in &mut rules {
            if let Some(m) = metas.remove(&rule.name) {
                rule.meta = m;
            }
        }
        if let Some(orphan) = metas.keys().next() {
            return Err(MonitorError::Invalid(format!(
                "rules.toml: [rules.{orphan}] describes a rule with no {orphan}.sql"
            )));
        }
        for (code, values) in &counties {
            if let Some(k) = values.keys().find(|k| !params.contains_key(*k)) {
                return Err(MonitorError::Invalid(format!(
                    "rules.toml: [county.{code}] {k}: no such parameter at the top level"
                )));
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
            counties,
        })
    }

    /// The rule named `name`.
    pub fn rule(&self, name: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.name == name)
    }

    /// The value of a parameter in a county (its own value, else the set's).
    pub fn param_in(&self, key: &str, county: &str) -> Option<&str> {
        self.counties
            .get(county)
            .and_then(|m| m.get(key))
            .or_else(|| self.params.get(key))
            .map(String::as_str)
    }

    /// The SQL of a rule with every `{parameter}` replaced; an unknown one is an error.
    pub fn sql(&self, rule: &Rule, month: &Month) -> Result<String, MonitorError> {
        self.sql_with(rule, month, None)
    }

    fn sql_with(
        &self,
        rule: &Rule,
        month: &Month,
        county: Option<&BTreeMap<String, String>>,
    ) -> Result<String, MonitorError> {
        let mut values = self.params.clone();
        if let Some(c) = county {
            values.extend(c.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        values.insert("month_start".into(), month.start.to_string());
        values.insert("month_end".into(), month.end.to_string());
        values.insert("window_start".into(), month.window_start.to_string());
        values.insert("prev_month_start".into(), month.prev_start.to_string());
        values.insert("prev_month_end".into(), month.prev_end.to_string());
        values.insert("month".into(), month.start.format("%Y-%m").to_string());
        values.insert(
            "prev_month".into(),
            month.prev_start.format("%Y-%m").to_string(),
        );
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

    /// Whether a county's values change this rule's SQL.
    fn varies_by_county(&self, rule: &Rule) -> bool {
        self.counties
            .values()
            .flat_map(|m| m.keys())
            .any(|k| rule.sql.contains(&format!("{{{k}}}")))
    }
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
        // (population filter, county values)
        let mut groups: Vec<(Option<String>, Option<&Params>)> = Vec::new();
        if population.is_some() && set.varies_by_county(rule) {
            let codes: Vec<String> = set
                .counties
                .keys()
                .map(|c| format!("region_code LIKE '{c}%'"))
                .collect();
            groups.push((Some(format!("NOT ({})", codes.join(" OR "))), None));
            for (code, values) in &set.counties {
                groups.push((Some(format!("region_code LIKE '{code}%'")), Some(values)));
            }
        } else {
            groups.push((None, None));
        }
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
                let subject = b.column_by_name("subject").ok_or_else(|| {
                    MonitorError::Invalid(format!("rule {}: selects no column subject", rule.name))
                })?;
                let subject = cast(subject, &DataType::Utf8).map_err(|e| err(e.into()))?;
                let subject = subject
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .expect("cast to Utf8");
                let finding = match b.column_by_name("finding") {
                    Some(c) => Some(cast(c, &DataType::Utf8).map_err(|e| err(e.into()))?),
                    None => None,
                };
                let finding = finding
                    .as_ref()
                    .map(|c| c.as_any().downcast_ref::<StringArray>().expect("Utf8"));
                let amount = match b.column_by_name("amount") {
                    Some(c) => Some(cast(c, &DataType::Utf8).map_err(|e| err(e.into()))?),
                    None => None,
                };
                let amount = amount
                    .as_ref()
                    .map(|c| c.as_any().downcast_ref::<StringArray>().expect("Utf8"));
                for i in 0..subject.len() {
                    if subject.is_valid(i) {
                        found.push(Finding {
                            rule: rule.name.clone(),
                            subject: subject.value(i).to_string(),
                            finding: finding
                                .filter(|f| f.is_valid(i))
                                .map(|f| f.value(i).to_string())
                                .unwrap_or_default(),
                            amount: amount
                                .filter(|a| a.is_valid(i))
                                .map(|a| a.value(i).to_string())
                                .unwrap_or_default(),
                        });
                    }
                }
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
            .sql(&set.rule("large_medical").unwrap().clone(), &m)
            .unwrap();
        assert!(
            sql.contains("'2025-11-01'") && sql.contains("> 20000.00"),
            "{sql}"
        );
        let bad = Rule {
            name: "x".into(),
            sql: "SELECT {nope}".into(),
            meta: RuleMeta::for_rule("x"),
        };
        assert!(
            set.sql(&bad, &m)
                .unwrap_err()
                .to_string()
                .contains("unknown parameter {nope}")
        );
    }
}
