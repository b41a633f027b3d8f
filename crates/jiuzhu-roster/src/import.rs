//! `jiuzhu import registry DIR`: read, validate, and register a roster in batches.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDate;
use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::roster::{BatchOptions, Registrar, RosterHousehold};
use jiuzhu_domain::EvidenceSource;

use crate::table::{self, Table, TableError};
use crate::validate::{Known, RowError, validate};

/// How to import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The date from which imported facts hold.
    pub as_of: NaiveDate,
    pub source: EvidenceSource,
    pub actor: Actor,
    /// Households per transaction.
    pub batch: usize,
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
    /// Time spent reading and validating the files, before anything is written.
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
}

/// Reads the roster in `dir`, validates it, and registers the good rows.
pub async fn import_dir(
    db: &Db,
    dir: &Path,
    opts: &ImportOptions,
    progress: &mut dyn FnMut(Progress),
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
    // Only the region codes the roster uses: a few thousand villages, not 620,000.
    let mut codes: Vec<String> = match households.column("region_code") {
        Some(c) => households
            .rows
            .iter()
            .map(|(_, r)| r[c].clone())
            .filter(|c| c.len() == 12)
            .collect(),
        None => Vec::new(),
    };
    codes.sort_unstable();
    codes.dedup();
    let villages: HashMap<String, String> = jiuzhu_db::regions::names(db, &codes).await?;
    let referenced = referenced_elsewhere(&households, &persons, supporters.as_ref())?;
    let registered = jiuzhu_db::roster::household_ids(db, &referenced).await?;
    let known = Known {
        villages: &villages,
        registered_households: &registered,
        as_of: opts.as_of,
    };
    let validated = validate(&households, &persons, supporters.as_ref(), &known)?;
    let mut report = ImportReport {
        rows_read: validated.rows_read,
        errors: validated.errors,
        read_seconds: started.elapsed().as_secs_f64(),
        ..ImportReport::default()
    };
    let label = dir.display().to_string();
    register(
        db,
        &validated.households,
        opts,
        &label,
        &mut report,
        progress,
    )
    .await?;
    Ok(report)
}

/// Registers validated households in batches; used by the import and by the demo.
pub async fn register(
    db: &Db,
    households: &[RosterHousehold],
    opts: &ImportOptions,
    label: &str,
    report: &mut ImportReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), jiuzhu_db::DbError> {
    let batch_opts = BatchOptions {
        as_of: opts.as_of,
        source: opts.source,
        actor: opts.actor.clone(),
        label: label.to_string(),
    };
    let total = households.len();
    let mut done = 0;
    let mut persons_done = 0;
    let mut registrar = Registrar::new(db)?;
    for batch in households.chunks(opts.batch.max(1)) {
        let out = registrar.insert_batch(batch, &batch_opts).await?;
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
        done += batch.len();
        persons_done += batch.iter().map(|h| h.members.len()).sum::<usize>();
        progress(Progress {
            households_done: done,
            households_total: total,
            persons_done,
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
    let in_file: HashSet<&str> = households.rows.iter().map(|(_, r)| r[c].as_str()).collect();
    let mut out: HashSet<String> = HashSet::new();
    for t in std::iter::once(persons).chain(supporters) {
        let c = t.require("household_id")?;
        for (_, r) in &t.rows {
            if !in_file.contains(r[c].as_str()) && !r[c].is_empty() {
                out.insert(r[c].clone());
            }
        }
    }
    let mut out: Vec<String> = out.into_iter().collect();
    out.sort();
    Ok(out)
}
