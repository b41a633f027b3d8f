//! Registering a roster (`jiuzhu import registry DIR`, `/import`): read and validate it with
//! `jiuzhu-roster` on a thread of its own, and write whole households in batches through
//! `jiuzhu-db` as they arrive.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::roster::{BatchOptions, Registrar, RosterHousehold};
use jiuzhu_domain::EvidenceSource;
use jiuzhu_domain::hash::FastSet;

use jiuzhu_roster::table::{self, Table, TableError};
use jiuzhu_roster::validate::{Known, RowError, Summary, validate_in_batches};

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The date from which imported facts hold.
    pub as_of: NaiveDate,
    pub source: EvidenceSource,
    pub actor: Actor,
    /// Households per transaction.
    pub batch: usize,
    /// The region (a code prefix) the importer may register in: households elsewhere are
    /// refused, and registered households elsewhere are not found. Empty: everywhere.
    pub scope: String,
    /// What the audit log names the import after; the folder when `None`.
    pub label: Option<String>,
}

/// Progress of the registration phase, for a progress bar.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub households_done: usize,
    pub households_total: usize,
    pub persons_done: usize,
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    pub rows_read: [usize; 3],
    pub households_added: usize,
    pub households_existing: usize,
    pub persons_added: usize,
    pub persons_existing: usize,
    pub supporters_added: usize,
    pub evidence_added: usize,
    pub errors: Vec<RowError>,
    /// Time from the start until every row was read and checked (the writing of the first
    /// batches goes on meanwhile).
    pub read_seconds: f64,
}

/// An import that could not run at all (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Table(#[from] TableError),
    #[error("{0}: not found (expected {1}.csv, {1}.xlsx or a sheet {1} in roster.xlsx)")]
    Missing(String, &'static str),
    #[error("the regions are not loaded; run `jiuzhu migrate` first")]
    NoRegions,
    #[error(transparent)]
    Db(#[from] jiuzhu_db::DbError),
    #[error("the roster check could not run: {0}")]
    Thread(String),
}

/// Reads the roster in `dir`, validates it, and registers the good rows. Validation runs on
/// a thread of its own and hands over each batch as soon as its households are complete,
/// so the writing of one batch goes on while the next is checked.
pub async fn import_dir(
    db: &Db,
    dir: &Path,
    opts: &ImportOptions,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<ImportReport, ImportError> {
    let started = std::time::Instant::now();
    let households = table::find(dir, "households")?
        .ok_or_else(|| ImportError::Missing(dir.display().to_string(), "households"))?;
    let persons = table::find(dir, "persons")?
        .ok_or_else(|| ImportError::Missing(dir.display().to_string(), "persons"))?;
    let supporters = table::find(dir, "supporters")?;
    if jiuzhu_db::regions::count(db).await? == 0 {
        return Err(ImportError::NoRegions);
    }
    let Lookups {
        villages,
        registered,
        foreign,
    } = lookups(db, &households, &persons, supporters.as_ref(), &opts.scope).await?;
    // At most: every household of the file, and every registered one the roster names.
    let estimate = households.len() + registered.len();

    let (tx, mut rx) = tokio::sync::mpsc::channel::<Handed>(1);
    let (as_of, batch, scope) = (opts.as_of, opts.batch, opts.scope.clone());
    let checker = std::thread::Builder::new()
        .name("roster-check".into())
        .spawn(move || {
            let known = Known {
                villages: &villages,
                registered_households: &registered,
                as_of,
                scope: &scope,
                foreign: &foreign,
            };
            let summary = validate_in_batches(
                &households,
                &persons,
                supporters.as_ref(),
                &known,
                batch,
                &mut |b| tx.blocking_send(Handed::Batch(b)).is_ok(),
            );
            let seconds = started.elapsed().as_secs_f64();
            // Nobody may be listening any more (the writing failed): nothing to do then.
            let _ = tx.blocking_send(Handed::Done(summary, seconds));
        })
        .map_err(|e| ImportError::Thread(e.to_string()))?;

    let mut report = ImportReport::default();
    let label = opts
        .label
        .clone()
        .unwrap_or_else(|| dir.display().to_string());
    let mut writer = BatchWriter::new(db, opts, &label)?;
    let mut finished = None;
    while let Some(handed) = rx.recv().await {
        match handed {
            Handed::Batch(b) => {
                if let Err(e) = writer.write(&b, &mut report).await {
                    // The checking thread stops at its next hand-over, which now fails.
                    drop(rx);
                    if let Err(panic) = checker.join() {
                        std::panic::resume_unwind(panic);
                    }
                    return Err(e.into());
                }
                progress(Progress {
                    households_done: writer.households_done,
                    households_total: estimate.max(writer.households_done),
                    persons_done: writer.persons_done,
                });
            }
            Handed::Done(summary, seconds) => finished = Some((summary, seconds)),
        }
    }
    finish(checker, finished, report)
}

/// The end of an import: the checking thread's summary joined into the writer's report,
/// or the thread's panic resumed.
fn finish(
    checker: std::thread::JoinHandle<()>,
    finished: Option<(Result<Summary, TableError>, f64)>,
    mut report: ImportReport,
) -> Result<ImportReport, ImportError> {
    match finished {
        Some((summary, seconds)) => {
            if let Err(panic) = checker.join() {
                std::panic::resume_unwind(panic);
            }
            let summary = summary?;
            report.rows_read = summary.rows_read;
            report.errors.extend(summary.errors);
            report
                .errors
                .sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
            report.read_seconds = seconds;
            Ok(report)
        }
        // The checking thread ended without its summary: it panicked.
        None => match checker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => Err(ImportError::Thread("the roster check ended early".into())),
        },
    }
}

/// What the check needs to know of the store: the roster's villages, the registered
/// households the roster names, and household numbers registered outside the scope.
struct Lookups {
    villages: HashMap<String, String>,
    registered: HashMap<String, (i64, String)>,
    foreign: FastSet<String>,
}

async fn lookups(
    db: &Db,
    households: &Table,
    persons: &Table,
    supporters: Option<&Table>,
    scope: &str,
) -> Result<Lookups, ImportError> {
    // Only the region codes the roster uses: a few thousand villages, not 620,000.
    let mut codes: Vec<String> = match households.column("region_code") {
        Some(c) => {
            let used: FastSet<&str> = households
                .rows()
                .map(|(_, r)| r.get(c))
                .filter(|c| c.len() == 12)
                .collect();
            used.into_iter().map(str::to_string).collect()
        }
        None => Vec::new(),
    };
    codes.sort_unstable();
    let villages: HashMap<String, String> = jiuzhu_db::regions::names(db, &codes).await?;
    let referenced = referenced_elsewhere(households, persons, supporters)?;
    let mut registered = jiuzhu_db::roster::household_ids(db, &referenced).await?;
    registered.retain(|_, (_, region)| region.starts_with(scope));
    // An importer limited to a region may not use a household number registered outside
    // it: the writer would add the file's members and supporters to that household.
    let mut foreign: FastSet<String> = FastSet::default();
    if !scope.is_empty() {
        let c = households.require("household_id")?;
        let mut listed: Vec<String> = households
            .rows()
            .map(|(_, r)| r.get(c).to_string())
            .collect();
        listed.sort_unstable();
        listed.dedup();
        for (code, (_, region)) in jiuzhu_db::roster::household_ids(db, &listed).await? {
            if !region.starts_with(scope) {
                foreign.insert(code);
            }
        }
    }
    Ok(Lookups {
        villages,
        registered,
        foreign,
    })
}

/// What the checking thread hands to the writer.
enum Handed {
    Batch(Vec<RosterHousehold>),
    Done(Result<Summary, TableError>, f64),
}

/// Registers batches one after another on one registrar, counting what they did.
struct BatchWriter<'a> {
    registrar: Registrar<'a>,
    opts: BatchOptions,
    households_done: usize,
    persons_done: usize,
}

impl<'a> BatchWriter<'a> {
    fn new(db: &'a Db, opts: &ImportOptions, label: &str) -> Result<Self, jiuzhu_db::DbError> {
        Ok(BatchWriter {
            registrar: Registrar::new(db)?,
            opts: BatchOptions {
                as_of: opts.as_of,
                source: opts.source,
                actor: opts.actor.clone(),
                label: label.to_string(),
            },
            households_done: 0,
            persons_done: 0,
        })
    }

    async fn write(
        &mut self,
        batch: &[RosterHousehold],
        report: &mut ImportReport,
    ) -> Result<(), jiuzhu_db::DbError> {
        let out = self.registrar.insert_batch(batch, &self.opts).await?;
        report.households_added += out.households_added;
        report.households_existing += out.households_existing;
        report.persons_added += out.persons_added;
        report.persons_existing += out.persons_existing;
        report.supporters_added += out.supporters_added;
        report.evidence_added += out.evidence_added;
        report
            .errors
            .extend(out.refused.into_iter().map(|r| RowError {
                file: r.file.to_string(),
                line: r.line,
                column: r.column.to_string(),
                reason: r.reason,
            }));
        self.households_done += batch.len();
        self.persons_done += batch.iter().map(|h| h.members.len()).sum::<usize>();
        Ok(())
    }
}

/// Registers validated households in batches; used by the demo and by callers that hold
/// a whole population.
pub async fn register(
    db: &Db,
    households: &[RosterHousehold],
    opts: &ImportOptions,
    label: &str,
    report: &mut ImportReport,
    progress: &mut (dyn FnMut(Progress) + Send),
) -> Result<(), jiuzhu_db::DbError> {
    let mut writer = BatchWriter::new(db, opts, label)?;
    for batch in households.chunks(opts.batch.max(1)) {
        writer.write(batch, report).await?;
        progress(Progress {
            households_done: writer.households_done,
            households_total: households.len(),
            persons_done: writer.persons_done,
        });
    }
    Ok(())
}

/// Household numbers used by persons or supporters but absent from the households table.
fn referenced_elsewhere(
    households: &Table,
    persons: &Table,
    supporters: Option<&Table>,
) -> Result<Vec<String>, TableError> {
    let c = households.require("household_id")?;
    let in_file: FastSet<&str> = households.rows().map(|(_, r)| r.get(c)).collect();
    let mut out: FastSet<&str> = FastSet::default();
    for t in std::iter::once(persons).chain(supporters) {
        let c = t.require("household_id")?;
        for (_, r) in t.rows() {
            let code = r.get(c);
            if !code.is_empty() && !in_file.contains(code) {
                out.insert(code);
            }
        }
    }
    let mut out: Vec<String> = out.into_iter().map(str::to_string).collect();
    out.sort();
    Ok(out)
}
