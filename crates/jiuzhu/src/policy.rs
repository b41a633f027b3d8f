//! `jiuzhu policy run | eval | test`: the policy engine from the command line.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::population::{Loaded, load_population, par_map};
use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use jiuzhu_policy::columnar::Column;
use jiuzhu_policy::pack::{self, Files};
use jiuzhu_policy::simulation::{Comparison, Outcome, Stats};
use jiuzhu_policy::testing::run_tests;
use jiuzhu_policy::{Engine, Value};

/// A pack by shipped name or folder path, with its parents resolved the same way.
pub fn load_engine(pack_arg: &str) -> Result<Engine> {
    engine_of(&load_chain(pack_arg)?, 0)
}

/// The engine of the `i`-th pack of a chain (0: the pack itself, then what it extends).
fn engine_of(chain: &[(String, Files)], i: usize) -> Result<Engine> {
    let parent = |name: &str| {
        chain
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f.clone())
    };
    let pack = pack::load(&chain[i].1, &parent).map_err(pack_errors)?;
    Engine::new(pack).map_err(pack_errors)
}

pub(crate) fn pack_errors(errors: Vec<jiuzhu_policy::PackError>) -> anyhow::Error {
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
    let chain = load_chain(pack_arg)?;
    let engine = engine_of(&chain, 0)?;
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
    // Branch coverage: each outcome of each if() taken by a case of this pack or of a pack
    // it extends (whose cases test the formulas it brings, under its own values).
    let mut taken = jiuzhu_policy::testing::taken_outcomes(&engine, &results);
    for i in 1..chain.len() {
        let ancestor = engine_of(&chain, i)?;
        taken.extend(jiuzhu_policy::testing::taken_outcomes(
            &ancestor,
            &run_tests(&ancestor),
        ));
    }
    let untaken = jiuzhu_policy::testing::untaken_branches(&engine, &taken);
    let outcomes = 2 * engine.branches().len();
    println!(
        "branches: {} of {outcomes} outcomes of if() taken by the cases of {}",
        outcomes - untaken.len(),
        chain
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for u in &untaken {
        println!("      untaken: {u}");
    }
    Ok(failed == 0)
}

/// The files of a pack by shipped name or folder, with those of the packs it extends.
pub fn load_chain(pack_arg: &str) -> Result<Vec<(String, Files)>> {
    let dir = PathBuf::from(pack_arg);
    let (files, base) = match jiuzhu_policy::shipped::files(pack_arg) {
        Some(f) => (f, None),
        None if dir.is_dir() => (read_folder(&dir)?, dir.parent().map(Path::to_path_buf)),
        None => bail!("no pack {pack_arg:?}: not a shipped pack nor a folder"),
    };
    let parent = |name: &str| -> Option<Files> {
        jiuzhu_policy::shipped::files(name)
            .or_else(|| base.as_ref().and_then(|b| read_folder(&b.join(name)).ok()))
    };
    pack::chain(&files, &parent).map_err(|e| anyhow::anyhow!("{e}"))
}

/// `jiuzhu policy eval`: one household from JSON, every program with the comparisons
/// behind it, optionally the trace; optionally a receipt that can be replayed.
pub fn eval(
    pack_arg: &str,
    date: NaiveDate,
    file: &Path,
    explain: bool,
    receipt: Option<&Path>,
) -> Result<()> {
    let engine = load_engine(pack_arg)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let input: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let out = jiuzhu_policy::receipt::evaluate(&engine, date, &input, explain)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    if let Some(path) = receipt {
        let r = jiuzhu_policy::receipt::issue(&load_chain(pack_arg)?, date, &input)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        std::fs::write(path, r).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// `jiuzhu policy replay RECEIPT`: true when the receipt recomputes to the same bytes.
pub fn replay(path: &Path) -> Result<bool> {
    use jiuzhu_policy::receipt::Replay;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(
        match jiuzhu_policy::receipt::replay(&text).map_err(|e| anyhow::anyhow!("{e}"))? {
            Replay::Identical => {
                println!("identical: the receipt replays to the same bytes");
                true
            }
            Replay::Tampered => {
                println!("TAMPERED: the receipt does not match its hash");
                false
            }
            Replay::Differs(_) => {
                println!("DIFFERS: this engine computes the receipt differently");
                false
            }
        },
    )
}

/// `jiuzhu policy run`: workload P's files in `dir` → `out` (household_id then the pack's
/// outputs, sorted by household_id). Any bad row stops the run with every error listed,
/// and nothing is written.
pub fn run(pack_arg: &str, date: NaiveDate, dir: &Path, out: &Path) -> Result<RunSummary> {
    let started = std::time::Instant::now();
    let engine = load_engine(pack_arg)?;
    if engine.pack.outputs.is_empty() {
        bail!("pack {} declares no [[output]] columns", engine.pack.name);
    }
    let loaded = load_population(&engine, date, dir)?;
    let load_s = started.elapsed().as_secs_f64();
    let engine = &loaded.engine;
    let slots: Vec<usize> = engine
        .pack
        .outputs
        .iter()
        .map(|o| engine.household_var(&o.name).expect("checked at load"))
        .collect();
    let columns = evaluate_parts(engine, date, &loaded, &slots)?;
    let compute_s = started.elapsed().as_secs_f64() - load_s;
    let ids = &loaded.ids;
    let tmp = out.with_extension("csv.tmp");
    let mut file = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
    );
    let header: Vec<&str> = std::iter::once("household_id")
        .chain(engine.pack.outputs.iter().map(|o| o.name.as_str()))
        .collect();
    writeln!(file, "{}", header.join(","))?;
    let decimals: Vec<u32> = engine.pack.outputs.iter().map(|o| o.decimals).collect();
    // Each part's lines are written in row order on every core; then copied out in id
    // order (reading the columns in id order directly missed the caches on every value).
    let text = par_map(loaded.parts.len(), |k| {
        let part = &loaded.parts[k];
        let mut bytes = Vec::with_capacity((part.hi - part.lo) * 48);
        let mut starts = Vec::with_capacity(part.hi - part.lo + 1);
        for (i, id) in ids[part.lo..part.hi].iter().enumerate() {
            starts.push(bytes.len());
            bytes.extend_from_slice(id.as_bytes());
            for (col, d) in columns[k].iter().zip(&decimals) {
                bytes.push(b',');
                col.write_to(i, *d, &mut bytes);
            }
            bytes.push(b'\n');
        }
        starts.push(bytes.len());
        (bytes, starts)
    });
    for &r in &loaded.order {
        let (k, i) = loaded.locate(r as usize);
        let (bytes, starts) = &text[k];
        file.write_all(&bytes[starts[i]..starts[i + 1]])?;
    }
    file.flush()?;
    drop(file);
    std::fs::rename(&tmp, out)?;
    let total_s = started.elapsed().as_secs_f64();
    Ok(RunSummary {
        households: ids.len(),
        load_s,
        compute_s,
        write_s: total_s - load_s - compute_s,
        total_s,
    })
}

/// Evaluates household variables `slots` part by part, on every core: each part's inputs
/// are gathered, evaluated and dropped by the thread that takes it, so the intermediate
/// columns stay small and their memory is reused. The first failing household (in row
/// order) is reported with its line.
pub fn evaluate_parts(
    engine: &Engine,
    date: NaiveDate,
    loaded: &Loaded,
    slots: &[usize],
) -> Result<Vec<Vec<std::sync::Arc<Column>>>> {
    let dated = engine.on(date).map_err(|e| anyhow::anyhow!("{e}"))?;
    let results = par_map(loaded.parts.len(), |k| {
        let part = &loaded.parts[k];
        let pop = loaded.pop.part(part);
        let mut ev = dated.evaluate_population(&pop);
        slots
            .iter()
            .map(|slot| {
                ev.household(*slot)
                    .map_err(|e| (part.lo + e.row, format!("{}: {}", e.variable, e.msg)))
            })
            .collect::<Result<Vec<_>, _>>()
    });
    results
        .into_iter()
        .map(|r| {
            r.map_err(|(row, msg)| {
                anyhow::anyhow!(
                    "households.csv:{}: household {}: {msg}",
                    loaded.lines[row],
                    loaded.ids[row]
                )
            })
        })
        .collect()
}

/// What `policy run` did, in the peers' summary format.
pub struct RunSummary {
    pub households: usize,
    pub load_s: f64,
    pub compute_s: f64,
    pub write_s: f64,
    pub total_s: f64,
}

impl std::fmt::Display for RunSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "jiuzhu-P households={} load_s={:.3} compute_s={:.3} write_s={:.3} total_s={:.3}",
            self.households, self.load_s, self.compute_s, self.write_s, self.total_s
        )
    }
}

/// `jiuzhu simulate`: a population under the pack and under a reform, by county: eligible
/// households and monthly cost before and after, households that gain, lose or change
/// circle; and the list of changed households with the reason.
pub fn simulate(
    pack_arg: &str,
    date: NaiveDate,
    dir: &Path,
    reform_path: &Path,
    out_dir: &Path,
) -> Result<()> {
    let engine = load_engine(pack_arg)?;
    let text = std::fs::read_to_string(reform_path)
        .with_context(|| format!("reading {}", reform_path.display()))?;
    let reform = jiuzhu_policy::reform::parse(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", reform_path.display()))?;
    let loaded = load_population(&engine, date, dir)?;
    let base = &loaded.engine;
    let mut pack = base.pack.clone();
    jiuzhu_policy::reform::apply(&mut pack, &reform)
        .map_err(|e| anyhow::anyhow!("{}: {e}", reform_path.display()))?;
    let reformed = Engine::new(pack).map_err(pack_errors)?;
    // Columns: each program's eligible and amount, then the circle if the pack has one.
    let mut names: Vec<String> = Vec::new();
    for p in &base.pack.programs {
        names.push(p.eligible.clone());
        names.push(p.amount.clone());
    }
    let circle = base.household_var("circle").map(|_| "circle".to_string());
    names.extend(circle.clone());
    let slots: Vec<usize> = names
        .iter()
        .map(|n| base.household_var(n).expect("program variables exist"))
        .collect();
    let before = evaluate_parts(base, date, &loaded, &slots)?;
    let after = evaluate_parts(&reformed, date, &loaded, &slots)?;
    let value = |cols: &Vec<Vec<std::sync::Arc<Column>>>, k: usize, r: usize| -> Value {
        let (part, i) = loaded.locate(r);
        cols[part][k].get(i)
    };
    let programs: Vec<String> = base.pack.programs.iter().map(|p| p.code.clone()).collect();
    let outcome = |cols: &Vec<Vec<std::sync::Arc<Column>>>, r: usize| Outcome {
        eligible: (0..programs.len())
            .map(|k| value(cols, 2 * k, r) == Value::Bool(true))
            .collect(),
        amount: (0..programs.len())
            .map(|k| match value(cols, 2 * k + 1, r) {
                Value::Num(n) => n,
                _ => rust_decimal::Decimal::ZERO,
            })
            .collect(),
        circle: circle
            .as_ref()
            .map(|_| value(cols, names.len() - 1, r).format(0)),
    };
    let mut cmp = Comparison::default();
    for r in 0..loaded.ids.len() {
        cmp.add(
            &loaded.ids[r],
            &loaded.counties[r],
            &programs,
            &outcome(&before, r),
            &outcome(&after, r),
        );
    }
    cmp.finish();
    println!("reform: {}", reform.name);
    write_comparison(&cmp, &base.pack, out_dir)
}

/// Prints the comparison by county and writes `counties.csv` and `changes.csv`.
fn write_comparison(cmp: &Comparison, pack: &jiuzhu_policy::Pack, out_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let money = |d: rust_decimal::Decimal| Value::Num(d).format(2);
    let mut counties = String::from(
        "county,program,period,households,eligible_before,eligible_after,total_before,total_after,gain,lose,circle_changed\n",
    );
    println!(
        "{:<8} {:<18} {:>10} {:>9} {:>9} {:>14} {:>14} {:>7} {:>7} {:>7}",
        "county",
        "program",
        "households",
        "elig.bef",
        "elig.aft",
        "total before",
        "total after",
        "gain",
        "lose",
        "circle"
    );
    let line = |county: &str, program: &str, st: &Stats| {
        format!(
            "{county:<8} {program:<18} {:>10} {:>9} {:>9} {:>14} {:>14} {:>7} {:>7} {:>7}",
            st.households,
            st.eligible[0],
            st.eligible[1],
            money(st.cost[0]),
            money(st.cost[1]),
            st.gain,
            st.lose,
            st.circle_changed
        )
    };
    // Totals are per the program's period (monthly, annual, once).
    let period = |code: &str| {
        pack.programs
            .iter()
            .find(|p| p.code == code)
            .map(|p| p.period.clone())
            .unwrap_or_default()
    };
    for ((county, program), st) in &cmp.by_county {
        counties.push_str(&format!(
            "{county},{program},{},{},{},{},{},{},{},{},{}\n",
            period(program),
            st.households,
            st.eligible[0],
            st.eligible[1],
            money(st.cost[0]),
            money(st.cost[1]),
            st.gain,
            st.lose,
            st.circle_changed
        ));
        println!("{}", line(county, program, st));
    }
    for (program, st) in &cmp.totals {
        println!("{}", line("all", program, st));
    }
    std::fs::write(out_dir.join("counties.csv"), counties)?;
    let mut out = String::from(
        "household_id,county,program,eligible_before,eligible_after,amount_before,amount_after,circle_before,circle_after,reason\n",
    );
    for c in &cmp.changed {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\n",
            c.id,
            c.county,
            c.program,
            c.eligible[0] as u8,
            c.eligible[1] as u8,
            Value::Num(c.amount[0]).format(0),
            Value::Num(c.amount[1]).format(0),
            c.circle[0],
            c.circle[1],
            c.reason
        ));
    }
    std::fs::write(out_dir.join("changes.csv"), out)?;
    println!(
        "{} changed household(s); written {} and {}",
        cmp.changed.len(),
        out_dir.join("counties.csv").display(),
        out_dir.join("changes.csv").display()
    );
    Ok(())
}

#[derive(Subcommand)]
pub(crate) enum PolicyWhat {
    /// Evaluate workload P's files (params, households, persons, supporters CSV) into a results CSV.
    Run {
        /// A shipped pack name (rp1) or a pack folder.
        #[arg(long)]
        pack: String,
        /// Evaluation date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Evaluate one household (JSON) under every program of the pack and print JSON.
    Eval {
        #[arg(long)]
        pack: String,
        #[arg(long)]
        date: String,
        #[arg(long)]
        household: PathBuf,
        /// Include the trace: every value with its formula, every parameter with its date and reference.
        #[arg(long)]
        explain: bool,
        /// Also write a receipt (pack files, date, inputs, result, trace, hash) to this file.
        #[arg(long)]
        receipt: Option<PathBuf>,
    },
    /// Recompute a receipt and check it gives the same bytes; exit 1 if not.
    Replay { receipt: PathBuf },
    /// Run a pack's test cases.
    Test {
        /// A shipped pack name or a pack folder.
        pack: String,
    },
}

pub(crate) fn command(what: PolicyWhat) -> Result<()> {
    match what {
        PolicyWhat::Run {
            pack,
            date,
            input,
            out,
        } => {
            let date =
                jiuzhu_domain::parse_date(&date).map_err(|e| anyhow::anyhow!("--date: {e}"))?;
            let summary = run(&pack, date, &input, &out)?;
            eprintln!("{summary} out={}", out.display());
            Ok(())
        }
        PolicyWhat::Eval {
            pack,
            date,
            household,
            explain,
            receipt,
        } => {
            let date =
                jiuzhu_domain::parse_date(&date).map_err(|e| anyhow::anyhow!("--date: {e}"))?;
            eval(&pack, date, &household, explain, receipt.as_deref())
        }
        PolicyWhat::Replay { receipt } => {
            if !replay(&receipt)? {
                std::process::exit(1);
            }
            Ok(())
        }
        PolicyWhat::Test { pack } => {
            if !test(&pack)? {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
