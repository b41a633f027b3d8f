//! Decision receipts (决定回执): everything a result was computed from — the pack's files,
//! the date, the inputs — with the result, its explanation and a hash, so that years
//! later the same engine replays it to the same bytes and the decision can be defended.

use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::engine::{Engine, Household};
use crate::pack::{self, Entity, Files};

/// Builds one entity's row from a JSON object of named values (strings, whole numbers,
/// booleans; numbers with decimals must be strings so they stay exact).
fn row(
    engine: &Engine,
    e: Entity,
    v: Option<&Json>,
    what: &str,
) -> Result<Vec<crate::Value>, String> {
    let mut m = std::collections::BTreeMap::new();
    if let Some(obj) = v.and_then(|v| v.as_object()) {
        for (k, v) in obj {
            let t = match v {
                Json::String(s) => toml::Value::String(s.clone()),
                Json::Bool(b) => toml::Value::Boolean(*b),
                Json::Number(n) if n.is_i64() => {
                    toml::Value::Integer(n.as_i64().unwrap_or_default())
                }
                other => {
                    return Err(format!(
                        "{what}.{k}: write {other} as a string so it stays exact"
                    ));
                }
            };
            m.insert(k.clone(), t);
        }
    }
    crate::testing::row(engine, e, &m).map_err(|m| format!("{what}: {m}"))
}

/// A household from JSON: `{"household": {...}, "members": [{...}], "supporters": [{...}]}`.
pub fn household_from_json(engine: &Engine, input: &Json) -> Result<Household, String> {
    let list = |key: &str| {
        input
            .get(key)
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default()
    };
    Ok(Household {
        inputs: row(
            engine,
            Entity::Household,
            input.get("household"),
            "household",
        )?,
        members: list("members")
            .iter()
            .enumerate()
            .map(|(i, m)| row(engine, Entity::Person, Some(m), &format!("members[{i}]")))
            .collect::<Result<_, _>>()?,
        supporters: list("supporters")
            .iter()
            .enumerate()
            .map(|(i, m)| {
                row(
                    engine,
                    Entity::Supporter,
                    Some(m),
                    &format!("supporters[{i}]"),
                )
            })
            .collect::<Result<_, _>>()?,
    })
}

/// Every program, the outputs, and (with `explain`) the trace, as JSON.
pub fn evaluate(
    engine: &Engine,
    date: chrono::NaiveDate,
    input: &Json,
    explain: bool,
) -> Result<Json, String> {
    // `"region_values": {"name": "value"}` sets regional parameters for the household's
    // region (as params.csv does for `policy run`).
    let owned;
    let engine = match input.get("region_values").and_then(|v| v.as_object()) {
        Some(values) if !values.is_empty() => {
            let to_toml = |o: &serde_json::Map<String, Json>| -> Result<std::collections::BTreeMap<String, toml::Value>, String> {
                o.iter()
                    .map(|(k, v)| match v {
                        Json::String(s) => Ok((k.clone(), toml::Value::String(s.clone()))),
                        Json::Number(n) if n.is_i64() => Ok((k.clone(), toml::Value::Integer(n.as_i64().unwrap_or_default()))),
                        other => Err(format!("region_values.{k}: write {other} as a string")),
                    })
                    .collect()
            };
            let household = to_toml(
                input
                    .get("household")
                    .and_then(|h| h.as_object())
                    .ok_or("no household")?,
            )?;
            owned = crate::testing::with_region(engine, &household, date, &to_toml(values)?)?;
            &owned
        }
        _ => engine,
    };
    let household = household_from_json(engine, input)?;
    let dated = engine.on(date).map_err(|e| e.to_string())?;
    let mut ev = dated.evaluate(&household);
    let programs = ev.programs().map_err(|e| e.to_string())?;
    let mut outputs = serde_json::Map::new();
    for o in &engine.pack.outputs {
        outputs.insert(
            o.name.clone(),
            ev.get(&o.name).map_err(|e| e.to_string())?.to_json(),
        );
    }
    let mut out = json!({
        "pack": engine.pack.name, "version": engine.pack.version, "date": date.to_string(),
        "programs": programs, "outputs": outputs,
    });
    if explain {
        out["trace"] = serde_json::to_value(ev.trace()).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Issues a receipt for one household under the pack `chain` (the pack's files first, then
/// those of the packs it extends, as from [`pack::chain`]).
pub fn issue(
    chain: &[(String, Files)],
    date: chrono::NaiveDate,
    input: &Json,
) -> Result<String, String> {
    let parent = |name: &str| {
        chain
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
    };
    let (_, files) = chain.first().ok_or("no pack")?;
    let pack = pack::load(files, &parent).map_err(|e| {
        e.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let engine = Engine::new(pack).map_err(|e| {
        e.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    issue_with(&engine, chain, date, input)
}

/// [`issue`] with the engine already compiled from `chain` (a server issuing many receipts
/// compiles the pack once; `replay` recompiles from the stored files either way).
pub fn issue_with(
    engine: &Engine,
    chain: &[(String, Files)],
    date: chrono::NaiveDate,
    input: &Json,
) -> Result<String, String> {
    let result = evaluate(engine, date, input, true)?;
    let mut pack_files = serde_json::Map::new();
    for (name, files) in chain {
        let mut sorted: Vec<&(String, String)> = files.iter().collect();
        sorted.sort();
        pack_files.insert(
            name.clone(),
            Json::Object(
                sorted
                    .into_iter()
                    .map(|(p, t)| (p.clone(), Json::String(t.clone())))
                    .collect(),
            ),
        );
    }
    let digest = sha256(&serde_json::to_string(&pack_files).map_err(|e| e.to_string())?);
    let mut receipt = json!({
        "receipt": 1,
        "pack": {"name": engine.pack.name, "version": engine.pack.version, "digest": digest},
        "pack_files": pack_files,
        "date": date.to_string(),
        "input": input,
        "result": result,
    });
    let body = serde_json::to_string_pretty(&receipt).map_err(|e| e.to_string())?;
    receipt["hash"] = Json::String(sha256(&body));
    serde_json::to_string_pretty(&receipt).map_err(|e| e.to_string())
}

/// What a replay found.
#[derive(Debug, PartialEq, Eq)]
pub enum Replay {
    /// The receipt is intact and recomputing it gives the same bytes.
    Identical,
    /// The receipt was altered after it was issued (its hash does not match).
    Tampered,
    /// Recomputing gives other bytes: the engine computes differently now.
    Differs(String),
}

/// Recomputes a receipt from its own pack files, date and inputs.
pub fn replay(receipt: &str) -> Result<Replay, String> {
    let mut r: Json = serde_json::from_str(receipt).map_err(|e| format!("not a receipt: {e}"))?;
    let hash = r
        .get("hash")
        .and_then(|h| h.as_str())
        .ok_or("the receipt has no hash")?
        .to_string();
    r.as_object_mut().ok_or("not a receipt")?.remove("hash");
    if sha256(&serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?) != hash {
        return Ok(Replay::Tampered);
    }
    let name = r["pack"]["name"]
        .as_str()
        .ok_or("receipt without pack name")?
        .to_string();
    let files = r["pack_files"]
        .as_object()
        .ok_or("receipt without pack files")?;
    let to_files = |v: &Json| -> Files {
        v.as_object()
            .map(|o| {
                o.iter()
                    .map(|(p, t)| (p.clone(), t.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut chain: Vec<(String, Files)> = vec![(
        name.clone(),
        to_files(files.get(&name).ok_or("pack files missing")?),
    )];
    chain.extend(
        files
            .iter()
            .filter(|(n, _)| **n != name)
            .map(|(n, v)| (n.clone(), to_files(v))),
    );
    let date = jiuzhu_domain::parse_date(r["date"].as_str().ok_or("receipt without date")?)
        .map_err(|e| e.to_string())?;
    let again = issue(&chain, date, &r["input"])?;
    if again == receipt {
        Ok(Replay::Identical)
    } else {
        Ok(Replay::Differs(again))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> Json {
        json!({"household": {"region_code": "330326100201", "hukou": "urban", "has_land": 0, "deposits": "0.00",
               "vehicle_value": "0.00", "house_count": 1},
               "region_values": {"dibao_standard_monthly": "1100.00", "urban_min_wage_monthly": "2010.00",
               "rural_disposable_income_annual": "30105.00"},
               "members": [{"birth_date": "1980-01-01", "health": 5, "student": 0, "declared_wage_monthly": "999.50",
               "pension_monthly": "0.00", "medical_oop_annual": "0.00", "tuition_annual": "0.00", "pension_premium_annual": "0.00"}]})
    }

    fn chain() -> Vec<(String, Files)> {
        let files = crate::shipped::files("rp1").unwrap();
        pack::chain(&files, &crate::shipped::files).unwrap()
    }

    #[test]
    fn a_receipt_replays_to_the_same_bytes_and_detects_tampering() {
        let date = jiuzhu_domain::parse_date("2026-11-01").unwrap();
        let receipt = issue(&chain(), date, &input()).unwrap();
        assert_eq!(
            receipt,
            issue(&chain(), date, &input()).unwrap(),
            "issuing is deterministic"
        );
        let r: Json = serde_json::from_str(&receipt).unwrap();
        assert_eq!(r["result"]["programs"][0]["amount"], "101");
        assert_eq!(r["pack"]["version"], "1.0.0");
        assert!(
            r["result"]["trace"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "labour.coefficient")
        );
        assert_eq!(replay(&receipt).unwrap(), Replay::Identical);
        // Someone raises the amount in the stored receipt: the hash no longer matches.
        let forged = receipt.replacen("\"amount\": \"101\"", "\"amount\": \"901\"", 1);
        assert_ne!(forged, receipt);
        assert_eq!(replay(&forged).unwrap(), Replay::Tampered);
        // The pack in force later has another standard; the receipt still replays with its own.
        let mut later = chain();
        for f in later[0].1.iter_mut().filter(|f| f.0 == "parameters.toml") {
            f.1 =
                f.1.replace("\"2020-01-01\" = \"0.6\"", "\"2020-01-01\" = \"0.7\"");
        }
        assert_ne!(issue(&later, date, &input()).unwrap(), receipt);
        assert_eq!(replay(&receipt).unwrap(), Replay::Identical);
    }
}
