//! Turning text and TOML into engine inputs, and running a pack's own test cases
//! (`jiuzhu policy test PACK`).

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use crate::engine::{Engine, Household, Value};
use crate::pack::{Entity, InputType, Origin, TestCase};

/// Parses one input as written in a CSV cell or JSON string.
pub fn parse_input(ty: InputType, raw: &str) -> Result<Value, String> {
    let raw = raw.trim();
    match ty {
        InputType::Money => {
            let m = jiuzhu_domain::Money::parse(raw).map_err(|e| format!("{raw:?}: {e}"))?;
            if m.is_negative() {
                return Err(format!("negative amount {raw}"));
            }
            Ok(Value::Num(Decimal::new(m.fen(), 2)))
        }
        InputType::Number => raw
            .parse::<Decimal>()
            .map(Value::Num)
            .map_err(|_| format!("{raw:?} is not a number")),
        InputType::Int => raw
            .parse::<i64>()
            .map(|i| Value::Num(Decimal::from(i)))
            .map_err(|_| format!("{raw:?} is not a whole number")),
        InputType::Bool => match raw {
            "1" | "true" => Ok(Value::Bool(true)),
            "0" | "false" => Ok(Value::Bool(false)),
            _ => Err(format!("expected 0 or 1, got {raw:?}")),
        },
        InputType::Text => Ok(Value::Text(raw.into())),
        InputType::Date => jiuzhu_domain::parse_date(raw)
            .map(Value::Date)
            .map_err(|e| e.to_string()),
    }
}

pub(crate) fn toml_text(v: &toml::Value) -> Result<String, String> {
    match v {
        toml::Value::String(s) => Ok(s.clone()),
        toml::Value::Integer(i) => Ok(i.to_string()),
        toml::Value::Boolean(b) => Ok((if *b { "1" } else { "0" }).to_string()),
        toml::Value::Datetime(d) => Ok(d.to_string()),
        toml::Value::Float(f) => Err(format!("write {f} as text so it stays exact")),
        other => Err(format!("unexpected {other}")),
    }
}

/// Builds one entity's input row from named values; every input must be present.
pub fn row(
    engine: &Engine,
    e: Entity,
    values: &BTreeMap<String, toml::Value>,
) -> Result<Vec<Value>, String> {
    for k in values.keys() {
        if !engine.inputs(e).any(|(n, _)| n == k) {
            return Err(format!("{k:?} is not an input of the {e:?} entity").to_lowercase());
        }
    }
    engine
        .inputs(e)
        .map(|(name, ty)| {
            let v = values
                .get(name)
                .ok_or_else(|| format!("input {name} missing"))?;
            parse_input(ty, &toml_text(v)?).map_err(|m| format!("{name}: {m}"))
        })
        .collect()
}

/// A test case's household as engine inputs.
pub fn household_of(engine: &Engine, t: &TestCase) -> Result<Household, String> {
    Ok(Household {
        inputs: row(engine, Entity::Household, &t.household)?,
        members: t
            .members
            .iter()
            .map(|m| row(engine, Entity::Person, m))
            .collect::<Result<_, _>>()?,
        supporters: t
            .supporters
            .iter()
            .map(|s| row(engine, Entity::Supporter, s))
            .collect::<Result<_, _>>()?,
    })
}

/// The outcome of one test case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub name: String,
    pub origin: Origin,
    /// Empty when the case passed.
    pub failures: Vec<String>,
    /// (branch, outcome) of the `if`s evaluated on the way to the expected values.
    pub taken: BTreeSet<(u32, bool)>,
}

/// Runs every test case of the engine's pack.
pub fn run_tests(engine: &Engine) -> Vec<CaseResult> {
    engine
        .pack
        .tests
        .iter()
        .map(|t| run_case(engine, t))
        .collect()
}

/// The engine with a case's (or a household's) regional values for its region.
pub fn with_region(
    engine: &Engine,
    household: &BTreeMap<String, toml::Value>,
    date: chrono::NaiveDate,
    values: &BTreeMap<String, toml::Value>,
) -> Result<Engine, String> {
    if values.is_empty() {
        return Err(String::new());
    }
    let key = engine
        .pack
        .region_input
        .clone()
        .ok_or("the pack has no region_input")?;
    let region = household
        .get(&key)
        .map(toml_text)
        .transpose()?
        .ok_or_else(|| format!("household has no {key}"))?;
    let parsed = values
        .iter()
        .map(|(k, v)| {
            let text = toml_text(v)?;
            let d = text
                .trim()
                .parse::<Decimal>()
                .map_err(|_| format!("{k}: {text:?} is not a number"))?;
            Ok((k.clone(), d))
        })
        .collect::<Result<Vec<_>, String>>()?;
    engine.with_region_values(&region, date, &parsed)
}

fn run_case(engine: &Engine, t: &TestCase) -> CaseResult {
    let owned;
    let engine = if t.region.is_empty() {
        engine
    } else {
        match with_region(engine, &t.household, t.date, &t.region) {
            Ok(e) => {
                owned = e;
                &owned
            }
            Err(m) => {
                return CaseResult {
                    name: t.name.clone(),
                    origin: t.origin.clone(),
                    failures: vec![format!("region values: {m}")],
                    taken: BTreeSet::new(),
                };
            }
        }
    };
    let mut failures = Vec::new();
    let mut taken = BTreeSet::new();
    let household = household_of(engine, t);
    match household {
        Err(m) => failures.push(format!("bad input: {m}")),
        Ok(h) => match engine.on(t.date) {
            Err(e) => failures.push(e.to_string()),
            Ok(dated) => {
                let mut ev = dated.evaluate(&h);
                for (name, expected) in &t.expect {
                    let got = match ev.get(name) {
                        Ok(v) => v,
                        Err(e) => {
                            failures.push(e.to_string());
                            continue;
                        }
                    };
                    let matches = match (&got, expected) {
                        (Value::Bool(b), toml::Value::Boolean(e)) => b == e,
                        (Value::Num(n), toml::Value::String(s)) => {
                            s.parse::<Decimal>().is_ok_and(|e| e == *n)
                        }
                        (Value::Num(n), toml::Value::Integer(i)) => Decimal::from(*i) == *n,
                        (Value::Text(a), toml::Value::String(s)) => a.as_ref() == s,
                        _ => false,
                    };
                    if !matches {
                        failures.push(format!(
                            "{name}: expected {expected}, got {}",
                            got.to_json()
                        ));
                    }
                }
                taken = ev.taken().clone();
            }
        },
    }
    CaseResult {
        name: t.name.clone(),
        origin: t.origin.clone(),
        failures,
        taken,
    }
}

/// The outcomes of `if`s that the cases took on the way to their expected values, by the
/// branch's text (the same in every pack that shares the formula).
pub fn taken_outcomes(engine: &Engine, results: &[CaseResult]) -> BTreeSet<(String, bool)> {
    results
        .iter()
        .flat_map(|r| r.taken.iter())
        .filter_map(|(id, b)| Some((engine.branches().get(*id as usize)?.clone(), *b)))
        .collect()
}

/// The outcomes of the pack's `if`s not in `taken`, as "variable: if(condition) is never
/// true|false in a test".
pub fn untaken_branches(engine: &Engine, taken: &BTreeSet<(String, bool)>) -> Vec<String> {
    engine
        .branches()
        .iter()
        .flat_map(|text| {
            [true, false]
                .into_iter()
                .filter(move |b| !taken.contains(&(text.clone(), *b)))
                .map(move |b| format!("{text} is never {b} in a test"))
        })
        .collect()
}
