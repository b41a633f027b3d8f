//! Rule sets: the rules' SQL and metadata, their parameters per county, and the SQL of a
//! rule for a month.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{MonitorError, Month};

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
    pub(crate) fn for_rule(name: &str) -> RuleMeta {
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

pub(crate) type Params = BTreeMap<String, String>;

/// The labels of the rule sets' parameters: (name, zh-CN, en).
pub const PARAM_LABELS: &[(&str, &str, &str)] = &[
    (
        "large_medical_threshold",
        "大额医疗支出线（元）",
        "large medical spending line (yuan)",
    ),
    (
        "vehicle_threshold",
        "车辆价格线（元）",
        "vehicle price line (yuan)",
    ),
    ("income_drop_ratio", "收入骤降比例", "income drop ratio"),
    (
        "wage_base_line",
        "缴费工资基数线（元）",
        "wage base line (yuan)",
    ),
    (
        "grant_medical_line",
        "自动临时救助的月自付医疗费线（元）",
        "monthly medical costs that trigger a grant (yuan)",
    ),
];

/// A parameter's label (`None` for one the table does not know).
pub fn param_label(name: &str, zh: bool) -> Option<&'static str> {
    PARAM_LABELS
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, l_zh, l_en)| if zh { *l_zh } else { *l_en })
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

    pub(crate) fn sql_with(
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
    pub(crate) fn varies_by_county(&self, rule: &Rule) -> bool {
        self.counties
            .values()
            .flat_map(|m| m.keys())
            .any(|k| rule.sql.contains(&format!("{{{k}}}")))
    }
}
