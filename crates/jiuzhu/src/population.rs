//! Reading workload P's files (params, households, persons, supporters) into a population
//! for the policy engine: each file is read whole and cut at line ends into pieces that
//! every core parses, then the pieces are put back in order. A file with a quoted field is
//! read by the `csv` crate instead (quotes can hide line ends). Any bad row stops the load
//! with every error listed as file:line: column: reason.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use jiuzhu_policy::columnar::{Part, Population};
use jiuzhu_policy::hash::{FastMap, FastSet};
use jiuzhu_policy::testing::parse_input;
use jiuzhu_policy::{Engine, Entity, InputType, Value};

mod read;

use read::{Raw, Spec, inputs, read_all, read_raw};

/// A population read from workload P's files, split for the cores.
pub struct Loaded {
    /// The pack with params.csv's county values.
    pub engine: Engine,
    /// Every household, person and supporter.
    pub pop: Population,
    /// The population cut into parts of [`PART`] households, evaluated one at a time.
    pub parts: Vec<Part>,
    pub ids: Vec<String>,
    /// Household rows sorted by household_id (byte order).
    pub order: Vec<u32>,
    /// Line of each household in households.csv.
    pub lines: Vec<usize>,
    /// County (first six digits of region_code) of each household.
    pub counties: Vec<String>,
}

impl Loaded {
    /// The part holding household row `r`, and the row's number within it.
    pub fn locate(&self, r: usize) -> (usize, usize) {
        let k = self.parts.partition_point(|p| p.lo <= r) - 1;
        (k, r - self.parts[k].lo)
    }
}

/// Households per part: their columns stay in the caches while they are evaluated.
const PART: usize = 16 << 10;

/// Bytes a piece holds, about: enough to amortise the hand-over, small enough to balance.
const PIECE: usize = 4 << 20;

/// `f(0..n)` on every core, tasks taken in order by whichever thread is free; the results
/// in task order.
pub fn par_map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let done: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= n {
                break;
            }
            let v = f(k);
            *done[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    std::thread::scope(|s| {
        for _ in 1..threads.min(n) {
            s.spawn(work);
        }
        work();
    });
    done.into_iter()
        .map(|d| {
            d.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every task ran: a panic in one would have ended the scope")
        })
        .collect()
}

/// Reports each household id that stands twice, at the later of its lines.
fn duplicate_ids(ids: &[&str], order: &[u32], lines: &[usize], errors: &mut Vec<String>) {
    for w in order.windows(2) {
        let (a, b) = (w[0] as usize, w[1] as usize);
        if ids[a] == ids[b] {
            let line = lines[a].max(lines[b]);
            errors.push(format!(
                "households.csv:{line}: household_id: duplicate {}",
                ids[a]
            ));
        }
    }
}

/// Ties persons' and supporters' rows to their households (by `order`, the households in id
/// order); reports rows of an unknown household and households without members.
fn tie_to_households(
    pop: &mut Population,
    files: [read::Rows; 2],
    ids: &[&str],
    order: &[u32],
    lines: &[usize],
    errors: &mut Vec<String>,
) {
    // Tie persons' and supporters' rows to their households.
    let mut members = vec![0u32; ids.len()];
    let [persons, supporters] = files;
    for (rows, entity, file) in [
        (persons, Entity::Person, "persons.csv"),
        (supporters, Entity::Supporter, "supporters.csv"),
    ] {
        errors.extend(rows.errors);
        let mut parents = Vec::with_capacity(rows.count);
        for ((id, n, line), h) in rows.runs.iter().zip(resolve(&rows.runs, ids, order)) {
            match h {
                Some(h) => {
                    parents.extend(std::iter::repeat_n(h, *n as usize));
                    if entity == Entity::Person {
                        members[h as usize] += n;
                    }
                }
                None => errors.push(format!(
                    "{file}:{line}: household_id: {id} is not in households.csv"
                )),
            }
        }
        let at = if entity == Entity::Person { 1 } else { 2 };
        pop.inputs[at] = rows.columns;
        match entity {
            Entity::Person => pop.person_household = parents,
            _ => pop.supporter_household = parents,
        }
    }
    for (i, n) in members.iter().enumerate() {
        if *n == 0 {
            errors.push(format!(
                "households.csv:{}: household {} has no members in persons.csv",
                lines[i], ids[i]
            ));
        }
    }
}

/// Reads params, households, persons and supporters; any bad row stops with every error.
pub fn load_population(engine: &Engine, date: NaiveDate, dir: &Path) -> Result<Loaded> {
    let params = read_raw(dir, "params.csv")?;
    let priced = with_params(engine, &params, date)?;
    let engine = &priced;
    let (households, persons, supporters) = read_files(dir)?;
    let spec = |raw: &Raw, e: Entity| -> Result<Spec> {
        Ok(Spec {
            key: raw.col("household_id")?,
            region: if e == Entity::Household {
                Some(raw.col("region_code")?)
            } else {
                None
            },
            inputs: inputs(engine, e, raw)?,
        })
    };
    let files = [
        (&households, spec(&households, Entity::Household)?),
        (&persons, spec(&persons, Entity::Person)?),
        (&supporters, spec(&supporters, Entity::Supporter)?),
    ];
    let mut rows = read_all(&files, PIECE)?.into_iter();
    let (hh, persons, supporters) = (
        rows.next().context("households")?,
        rows.next().context("persons")?,
        rows.next().context("supporters")?,
    );
    drop(files);
    let counties: FastSet<&str> = param_rows(&params)
        .map(|(_, fields)| {
            fields
                .get(params.col("county_code").unwrap_or(0))
                .copied()
                .unwrap_or("")
        })
        .collect();
    let mut errors = hh.errors;
    let (ids, regions, lines) = priced_households(&hh.runs, &hh.regions, &counties, &mut errors);
    // Household rows in id order: for the output, for duplicates, and to find the
    // household of a person whose rows do not follow the households file's order.
    let order = id_order(&ids);
    duplicate_ids(&ids, &order, &lines, &mut errors);
    let mut pop = Population {
        households: ids.len(),
        ..Population::default()
    };
    pop.inputs[0] = hh.columns;
    tie_to_households(
        &mut pop,
        [persons, supporters],
        &ids,
        &order,
        &lines,
        &mut errors,
    );
    refuse_bad_rows(errors)?;
    let parts = pop.plan(PART);
    Ok(Loaded {
        engine: priced,
        parts,
        pop,
        counties: regions
            .iter()
            .map(|r| r.get(..6).unwrap_or(r).to_string())
            .collect(),
        ids: ids.into_iter().map(String::from).collect(),
        order,
        lines,
    })
}

/// Households, persons and supporters read whole; the largest file on another core.
fn read_files(dir: &Path) -> Result<(Raw, Raw, Raw)> {
    let (persons, households, supporters) = std::thread::scope(|s| {
        let persons = s.spawn(|| read_raw(dir, "persons.csv"));
        let households = read_raw(dir, "households.csv");
        let supporters = read_raw(dir, "supporters.csv");
        let persons = persons
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("reading persons.csv panicked")));
        (persons, households, supporters)
    });
    Ok((households?, persons?, supporters?))
}

/// The households whose county has parameters: ids, region codes and lines (repeated
/// ids within a run and unpriced counties added to `errors`).
fn priced_households<'r>(
    runs: &'r [(String, u32, usize)],
    region_of_row: &'r [Arc<str>],
    counties: &FastSet<&str>,
    errors: &mut Vec<String>,
) -> (Vec<&'r str>, Vec<&'r str>, Vec<usize>) {
    let mut ids: Vec<&str> = Vec::with_capacity(runs.len());
    let mut regions: Vec<&str> = Vec::with_capacity(runs.len());
    let mut lines: Vec<usize> = Vec::with_capacity(runs.len());
    // Whether a region's county has parameters, once per region (they are interned).
    let mut priced_region: FastMap<*const u8, bool> = FastMap::default();
    let mut row = 0;
    for (id, n, line) in runs {
        let code: &str = region_of_row.get(row).map_or("", |r| r);
        row += *n as usize;
        for k in 1..*n as usize {
            errors.push(format!(
                "households.csv:{}: household_id: duplicate {id}",
                line + k
            ));
        }
        let county = code.get(..6).unwrap_or(code);
        if !*priced_region
            .entry(code.as_ptr())
            .or_insert_with(|| counties.contains(county))
        {
            errors.push(format!(
                "households.csv:{line}: region_code: county {county} has no row in params.csv"
            ));
            continue;
        }
        ids.push(id);
        regions.push(code);
        lines.push(*line);
    }
    (ids, regions, lines)
}

/// The household row of each run of rows of a persons or supporters file. They usually
/// follow the households' order, perhaps skipping some: look a few rows ahead of the
/// last one found; the others are sorted and merged with the households in id order.
fn resolve(runs: &[(String, u32, usize)], ids: &[&str], order: &[u32]) -> Vec<Option<u32>> {
    let mut out = vec![None; runs.len()];
    let mut misses = Vec::new();
    let mut cur = 0;
    for (k, (id, _, _)) in runs.iter().enumerate() {
        let ahead = ids.get(cur..(cur + 16).min(ids.len())).unwrap_or(&[]);
        match ahead.iter().position(|h| *h == id.as_str()) {
            Some(i) => {
                cur += i;
                out[k] = Some(cur as u32);
            }
            None => misses.push(k),
        }
    }
    misses.sort_unstable_by(|a, b| runs[*a].0.cmp(&runs[*b].0));
    let mut j = 0;
    for k in misses {
        let id = runs[k].0.as_str();
        while j < order.len() && ids[order[j] as usize] < id {
            j += 1;
        }
        if j < order.len() && ids[order[j] as usize] == id {
            out[k] = Some(order[j]);
        }
    }
    out
}

/// Any bad row stops the load, with every error (the first 200 shown) in line order.
fn refuse_bad_rows(mut errors: Vec<String>) -> Result<()> {
    if errors.is_empty() {
        return Ok(());
    }
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

/// Row numbers of `ids` sorted by id in byte order: by the first eight bytes as a number,
/// then by the whole id where those are equal.
fn id_order(ids: &[&str]) -> Vec<u32> {
    let prefix = |id: &str| {
        let mut b = [0u8; 8];
        let n = id.len().min(8);
        b[..n].copy_from_slice(&id.as_bytes()[..n]);
        u64::from_be_bytes(b)
    };
    let mut keyed: Vec<(u64, u32)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (prefix(id), i as u32))
        .collect();
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| ids[a.1 as usize].cmp(ids[b.1 as usize]))
    });
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The data rows of a small file as (line, fields).
fn param_rows(raw: &Raw) -> impl Iterator<Item = (usize, Vec<&str>)> {
    raw.data[raw.body..]
        .split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(i, l)| {
            let l = std::str::from_utf8(l).ok()?.trim_end_matches('\r');
            (!l.trim().is_empty()).then(|| (i + 2, l.split(',').map(str::trim).collect()))
        })
}

/// The pack with params.csv's county values set as its regional parameters (each column but
/// county_code names one), in force from the evaluation date.
fn with_params(engine: &Engine, params: &Raw, date: NaiveDate) -> Result<Engine> {
    let county_col = params.col("county_code")?;
    let mut pack = engine.pack.clone();
    let mut errors = Vec::new();
    let mut names: Vec<(&String, &usize)> = params
        .columns
        .iter()
        .filter(|(n, _)| n.as_str() != "county_code")
        .collect();
    names.sort_by_key(|(_, i)| **i);
    for (name, col) in names {
        if !pack
            .parameters
            .iter()
            .any(|p| p.name == *name && p.regional)
        {
            bail!(
                "params.csv: column {name} is not a regional parameter of pack {}",
                pack.name
            );
        }
        for (line, fields) in param_rows(params) {
            let county = fields.get(county_col).copied().unwrap_or("");
            match parse_input(InputType::Money, fields.get(*col).copied().unwrap_or("")) {
                Ok(Value::Num(v)) => {
                    if let Err(m) = pack.set_region_value(name, county, date, v) {
                        errors.push(format!("params.csv:{line}: {name}: {m}"));
                    }
                }
                Ok(_) => {}
                Err(m) => errors.push(format!("params.csv:{line}: {name}: {m}")),
            }
        }
    }
    if !errors.is_empty() {
        errors.sort();
        bail!(
            "{} bad input row(s); nothing written:\n{}",
            errors.len(),
            errors
                .iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Engine::new(pack).map_err(crate::policy::pack_errors)
}

#[cfg(test)]
mod tests;
