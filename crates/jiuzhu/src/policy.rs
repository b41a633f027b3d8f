//! `jiuzhu policy run | eval | test`: the policy engine from the command line.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use jiuzhu_policy::pack::{self, Files};
use jiuzhu_policy::testing::{parse_input, run_tests};
use jiuzhu_policy::{Engine, Entity, Household, Value};

/// A pack by shipped name or folder path, with its parents resolved the same way.
pub fn load_engine(pack_arg: &str) -> Result<Engine> {
    let dir = PathBuf::from(pack_arg);
    let (files, base) = if let Some(files) = jiuzhu_policy::shipped::files(pack_arg) {
        (files, None)
    } else if dir.is_dir() {
        (read_folder(&dir)?, dir.parent().map(Path::to_path_buf))
    } else {
        bail!(
            "no pack {pack_arg:?}: not a shipped pack ({}) nor a folder",
            jiuzhu_policy::shipped::NAMES.join(", ")
        );
    };
    let parent = |name: &str| -> Option<Files> {
        jiuzhu_policy::shipped::files(name)
            .or_else(|| base.as_ref().and_then(|b| read_folder(&b.join(name)).ok()))
    };
    let pack = pack::load(&files, &parent).map_err(pack_errors)?;
    Engine::new(pack).map_err(pack_errors)
}

fn pack_errors(errors: Vec<jiuzhu_policy::PackError>) -> anyhow::Error {
    anyhow::anyhow!(
        "the pack has {} error(s):\n{}",
        errors.len(),
        errors
            .iter()
            .map(|e| format!("  {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    )
}

fn read_folder(dir: &Path) -> Result<Files> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .to_string_lossy()
                    .into_owned();
                out.push((
                    rel,
                    std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?,
                ));
            }
        }
    }
    Ok(out)
}

/// `jiuzhu policy test PACK`: runs the pack's test cases; exit 1 when one fails.
pub fn test(pack_arg: &str) -> Result<bool> {
    let engine = load_engine(pack_arg)?;
    let results = run_tests(&engine);
    let mut failed = 0;
    for r in &results {
        if r.failures.is_empty() {
            println!("ok    {}", r.name);
        } else {
            failed += 1;
            println!("FAIL  {} ({})", r.name, r.origin);
            for f in &r.failures {
                println!("      {f}");
            }
        }
    }
    println!(
        "{} passed, {failed} failed ({} {})",
        results.len() - failed,
        engine.pack.name,
        engine.pack.version
    );
    Ok(failed == 0)
}

/// `jiuzhu policy eval`: one household from JSON, every program, optionally the trace.
pub fn eval(pack_arg: &str, date: NaiveDate, file: &Path, explain: bool) -> Result<()> {
    let engine = load_engine(pack_arg)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let to_map =
        |v: Option<&serde_json::Value>, what: &str| -> Result<BTreeMap<String, toml::Value>> {
            let mut m = BTreeMap::new();
            if let Some(obj) = v.and_then(|v| v.as_object()) {
                for (k, v) in obj {
                    let t = match v {
                        serde_json::Value::String(s) => toml::Value::String(s.clone()),
                        serde_json::Value::Bool(b) => toml::Value::Boolean(*b),
                        serde_json::Value::Number(n) if n.is_i64() => {
                            toml::Value::Integer(n.as_i64().unwrap_or_default())
                        }
                        other => bail!("{what}.{k}: write {other} as a string so it stays exact"),
                    };
                    m.insert(k.clone(), t);
                }
            }
            Ok(m)
        };
    let list = |key: &str| -> Vec<serde_json::Value> {
        json.get(key)
            .and_then(|v| v.as_array())
            .cloned()
            .unwrap_or_default()
    };
    let row = |e: Entity, m: &BTreeMap<String, toml::Value>, what: &str| {
        jiuzhu_policy::testing::row(&engine, e, m).map_err(|m| anyhow::anyhow!("{what}: {m}"))
    };
    let household = Household {
        inputs: row(
            Entity::Household,
            &to_map(json.get("household"), "household")?,
            "household",
        )?,
        members: list("members")
            .iter()
            .enumerate()
            .map(|(i, m)| {
                row(
                    Entity::Person,
                    &to_map(Some(m), "members")?,
                    &format!("members[{i}]"),
                )
            })
            .collect::<Result<_>>()?,
        supporters: list("supporters")
            .iter()
            .enumerate()
            .map(|(i, m)| {
                row(
                    Entity::Supporter,
                    &to_map(Some(m), "supporters")?,
                    &format!("supporters[{i}]"),
                )
            })
            .collect::<Result<_>>()?,
    };
    let dated = engine.on(date).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut ev = dated.evaluate(&household);
    let programs = ev.programs().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut outputs = serde_json::Map::new();
    for o in &engine.pack.outputs {
        let v = ev.get(&o.name).map_err(|e| anyhow::anyhow!("{e}"))?;
        outputs.insert(o.name.clone(), v.to_json());
    }
    let mut out = serde_json::json!({
        "pack": engine.pack.name, "version": engine.pack.version, "date": date.to_string(),
        "programs": programs, "outputs": outputs,
    });
    if explain {
        out["trace"] = serde_json::to_value(ev.trace())?;
    }
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// A CSV file as (line, fields) with its header's column positions.
struct Csv {
    name: String,
    columns: HashMap<String, usize>,
    rows: Vec<(usize, csv::StringRecord)>,
}

fn read_csv(dir: &Path, name: &str) -> Result<Csv> {
    let path = dir.join(name);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(&path)
        .with_context(|| format!("reading {}", path.display()))?;
    let columns = reader
        .headers()
        .with_context(|| format!("{name}: header"))?
        .iter()
        .enumerate()
        .map(|(i, c)| (c.trim().to_string(), i))
        .collect();
    let mut rows = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            anyhow::anyhow!(
                "{name}:{}: {e}",
                e.position().map(|p| p.line()).unwrap_or(0)
            )
        })?;
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        rows.push((line, rec));
    }
    Ok(Csv {
        name: name.to_string(),
        columns,
        rows,
    })
}

impl Csv {
    fn col(&self, c: &str) -> Result<usize> {
        self.columns
            .get(c)
            .copied()
            .with_context(|| format!("{}: missing column {c}", self.name))
    }
}

/// Reads one entity's inputs from a row: each input from the column of the same name.
fn inputs_of(
    engine: &Engine,
    e: Entity,
    csv: &Csv,
    extra: Option<(&Csv, usize)>,
    line: usize,
    rec: &csv::StringRecord,
    errors: &mut Vec<String>,
) -> Vec<Value> {
    let mut out = Vec::new();
    for (name, ty) in engine.inputs(e) {
        let (file, cell) = match csv.columns.get(name) {
            Some(i) => (&csv.name, rec.get(*i).unwrap_or("")),
            None => match extra.and_then(|(p, row)| p.columns.get(name).map(|i| (p, row, *i))) {
                Some((p, row, i)) => (&p.name, p.rows[row].1.get(i).unwrap_or("")),
                None => {
                    errors.push(format!("{}: no column {name} for input {name}", csv.name));
                    return out;
                }
            },
        };
        match parse_input(ty, cell) {
            Ok(v) => out.push(v),
            Err(m) => errors.push(format!("{file}:{line}: {name}: {m}")),
        }
    }
    out
}

/// `jiuzhu policy run`: workload P's files in `dir` → `out` (household_id then the pack's
/// outputs, sorted by household_id). Any bad row stops the run with every error listed.
pub fn run(pack_arg: &str, date: NaiveDate, dir: &Path, out: &Path) -> Result<usize> {
    let engine = load_engine(pack_arg)?;
    if engine.pack.outputs.is_empty() {
        bail!("pack {} declares no [[output]] columns", engine.pack.name);
    }
    let params = read_csv(dir, "params.csv")?;
    let households = read_csv(dir, "households.csv")?;
    let persons = read_csv(dir, "persons.csv")?;
    let supporters = read_csv(dir, "supporters.csv")?;
    let mut errors = Vec::new();
    let county_col = params.col("county_code")?;
    let county: HashMap<&str, usize> = params
        .rows
        .iter()
        .enumerate()
        .map(|(i, (_, r))| (r.get(county_col).unwrap_or(""), i))
        .collect();
    let hid = households.col("household_id")?;
    let region = households.col("region_code")?;
    let mut index: HashMap<String, usize> = HashMap::with_capacity(households.rows.len());
    let mut list: Vec<(String, Household)> = Vec::with_capacity(households.rows.len());
    let mut lines = Vec::with_capacity(households.rows.len());
    for (line, rec) in &households.rows {
        let id = rec.get(hid).unwrap_or("").to_string();
        let code = rec.get(region).unwrap_or("");
        let Some(prow) = county.get(code.get(..6).unwrap_or("")) else {
            errors.push(format!(
                "households.csv:{line}: region_code: county {} has no row in params.csv",
                code.get(..6).unwrap_or(code)
            ));
            continue;
        };
        if index.insert(id.clone(), list.len()).is_some() {
            errors.push(format!(
                "households.csv:{line}: household_id: duplicate {id}"
            ));
            continue;
        }
        let inputs = inputs_of(
            &engine,
            Entity::Household,
            &households,
            Some((&params, *prow)),
            *line,
            rec,
            &mut errors,
        );
        list.push((
            id,
            Household {
                inputs,
                ..Household::default()
            },
        ));
        lines.push(*line);
    }
    for (csv, entity) in [(&persons, Entity::Person), (&supporters, Entity::Supporter)] {
        let col = csv.col("household_id")?;
        for (line, rec) in &csv.rows {
            let id = rec.get(col).unwrap_or("");
            let Some(&i) = index.get(id) else {
                errors.push(format!(
                    "{}:{line}: household_id: {id} is not in households.csv",
                    csv.name
                ));
                continue;
            };
            let values = inputs_of(&engine, entity, csv, None, *line, rec, &mut errors);
            let h = &mut list[i].1;
            if entity == Entity::Person {
                h.members.push(values)
            } else {
                h.supporters.push(values)
            }
        }
    }
    for ((id, h), line) in list.iter().zip(&lines) {
        if h.members.is_empty() {
            errors.push(format!(
                "households.csv:{line}: household {id} has no members in persons.csv"
            ));
        }
    }
    if !errors.is_empty() {
        errors.sort();
        bail!(
            "{} bad input row(s); nothing written:\n{}",
            errors.len(),
            errors
                .iter()
                .take(200)
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    list.sort_by(|a, b| a.0.cmp(&b.0));
    let dated = engine.on(date).map_err(|e| anyhow::anyhow!("{e}"))?;
    let slots: Vec<(usize, u32)> = engine
        .pack
        .outputs
        .iter()
        .map(|o| {
            (
                engine.household_var(&o.name).expect("checked at load"),
                o.decimals,
            )
        })
        .collect();
    // Two halves on the two cores; each returns its lines in order.
    let evaluate = |chunk: &[(String, Household)]| -> Result<Vec<u8>, String> {
        let mut buf = Vec::with_capacity(chunk.len() * 32);
        for (id, h) in chunk {
            let mut ev = dated.evaluate(h);
            buf.extend_from_slice(id.as_bytes());
            for (slot, decimals) in &slots {
                let v = ev
                    .household(*slot)
                    .map_err(|e| format!("household {id}: {e}"))?;
                buf.push(b',');
                buf.extend_from_slice(v.format(*decimals).as_bytes());
            }
            buf.push(b'\n');
        }
        Ok(buf)
    };
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(1);
    let chunk = list.len().div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<u8>, String>> = std::thread::scope(|s| {
        let handles: Vec<_> = list
            .chunks(chunk)
            .map(|c| s.spawn(move || evaluate(c)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("evaluation panicked".into()))
            })
            .collect()
    });
    let parts: Vec<Vec<u8>> = parts
        .into_iter()
        .collect::<Result<_, String>>()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let tmp = out.with_extension("csv.tmp");
    let mut file = std::io::BufWriter::new(
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
    );
    let header: Vec<&str> = std::iter::once("household_id")
        .chain(engine.pack.outputs.iter().map(|o| o.name.as_str()))
        .collect();
    writeln!(file, "{}", header.join(","))?;
    for p in parts {
        file.write_all(&p)?;
    }
    file.flush()?;
    drop(file);
    std::fs::rename(&tmp, out)?;
    Ok(list.len())
}
