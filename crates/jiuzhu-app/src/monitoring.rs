//! Monitoring over the platform's database (监测预警): feed types and their immutable
//! snapshots stored by `jiuzhu-db`, department files imported into them, and the monthly
//! run: the monitored population and the counting snapshots read from the store, the rules
//! run by `jiuzhu-monitor` over them, the alerts not raised before stored.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::feeds::{self as dbfeeds, FeedTypeRecord, NewSnapshot};
use jiuzhu_db::households::Scope;
use jiuzhu_db::monitoring::{self, NewAlert, NewRun};
use jiuzhu_domain::calendar::WorkCalendar;
use jiuzhu_monitor::feeds::{self, FeedColumn, FeedType, RowError};
use jiuzhu_monitor::tables::{Member, Tables};
use jiuzhu_monitor::{Month, RuleSet};

use crate::AppError;

/// A feed type as stored.
pub fn record_of(ft: &FeedType) -> FeedTypeRecord {
    FeedTypeRecord {
        name: ft.name.clone(),
        label_zh: ft.label_zh.clone(),
        label_en: ft.label_en.clone(),
        department: ft.department.clone(),
        kind: ft.kind.clone(),
        id_column: ft.id_column.clone(),
        columns: serde_json::to_string(&ft.columns).expect("columns serialise"),
        builtin: false,
        city_wide: ft.city_wide,
    }
}

/// A stored feed type.
pub fn type_of(r: &FeedTypeRecord) -> crate::Result<FeedType> {
    let columns: Vec<FeedColumn> = serde_json::from_str(&r.columns)
        .map_err(|e| AppError::invalid(format!("feed type {}: columns: {e}", r.name)))?;
    Ok(FeedType {
        name: r.name.clone(),
        label_zh: r.label_zh.clone(),
        label_en: r.label_en.clone(),
        department: r.department.clone(),
        kind: r.kind.clone(),
        id_column: r.id_column.clone(),
        columns,
        city_wide: r.city_wide,
    })
}

/// Stores the built-in feed types missing from the database.
pub async fn ensure_feed_types(db: &Db) -> crate::Result<usize> {
    let records: Vec<FeedTypeRecord> = feeds::builtin_types().iter().map(record_of).collect();
    Ok(dbfeeds::ensure_builtin(db, &records).await?)
}

/// Every feed type in the database.
pub async fn feed_types(db: &Db) -> crate::Result<Vec<FeedType>> {
    dbfeeds::types(db).await?.iter().map(type_of).collect()
}

/// Declares a feed type after checking it.
pub async fn declare_feed_type(db: &Db, actor: &Actor, ft: &FeedType) -> crate::Result<()> {
    ft.check().map_err(AppError::invalid)?;
    Ok(dbfeeds::declare(db, actor, &record_of(ft)).await?)
}

/// What a feed import did.
#[derive(Debug)]
pub struct FeedImport {
    pub snapshot_id: i64,
    pub rows: usize,
    pub rejected: Vec<RowError>,
}

/// Who imports a feed: a department's handler (their department and region), or the
/// administrator or operator (any feed; their region, the whole country for the CLI).
pub struct Importer<'a> {
    /// `Some(code)`: a department's handler, who imports only that department's feeds.
    pub department: Option<&'a str>,
    pub scope: &'a Scope,
}

/// Imports a file as a snapshot of `feed_type` dated `as_of`: good rows go in, bad rows are
/// reported (file, line, column, reason) and do not; the snapshot and its rows are one
/// transaction, so a failure leaves no partial snapshot. A handler imports only the feeds
/// of their department; a row about a person registered only outside the importer's region
/// is refused, unless the feed is city-wide.
pub async fn import_feed(
    db: &Db,
    actor: &Actor,
    importer: &Importer<'_>,
    feed_type: &str,
    as_of: &str,
    path: &Path,
    display_name: Option<&str>,
) -> crate::Result<FeedImport> {
    let rec = dbfeeds::feed_type(db, feed_type)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("feed type {feed_type:?}")))?;
    let ft = type_of(&rec)?;
    if let Some(dept) = importer.department
        && !ft.delivered_by(dept)
    {
        return Err(AppError::Forbidden(format!(
            "feed_type: {} is delivered by {}, not by your department ({dept})",
            ft.name, ft.department
        )));
    }
    if chrono::NaiveDate::parse_from_str(as_of, "%Y-%m-%d").is_err() {
        return Err(AppError::invalid(format!(
            "as_of: not a date (YYYY-MM-DD): {as_of:?}"
        )));
    }
    let mut file = feeds::read(path, &ft).map_err(|e| AppError::invalid(e.to_string()))?;
    if let Some(name) = display_name {
        file.file = name.to_string();
        for r in &mut file.rejected {
            r.file = name.to_string();
        }
    }
    if !ft.city_wide && !importer.scope.prefix().is_empty() {
        refuse_outside(db, importer.scope, &ft, &mut file).await?;
    }
    let rows: Vec<(i64, String, String)> = file
        .rows
        .iter()
        .map(|r| {
            (
                r.line as i64,
                r.id_number.clone(),
                serde_json::to_string(&r.cells).expect("cells serialise"),
            )
        })
        .collect();
    let names: Vec<&str> = ft.columns.iter().map(|c| c.name.as_str()).collect();
    let snapshot = NewSnapshot {
        feed_type: ft.name.clone(),
        as_of: as_of.to_string(),
        file_name: file.file.clone(),
        format: file.format.to_string(),
        columns: serde_json::to_string(&names).expect("names serialise"),
        sha256: file.sha256.clone(),
        rejected: file.rejected.len(),
        report: serde_json::to_string(&file.rejected).expect("errors serialise"),
    };
    let snapshot_id = dbfeeds::insert_snapshot(db, actor, &snapshot, &rows).await?;
    Ok(FeedImport {
        snapshot_id,
        rows: rows.len(),
        rejected: file.rejected,
    })
}

/// Moves the rows about persons registered only outside `scope` to the refused rows.
async fn refuse_outside(
    db: &Db,
    scope: &Scope,
    ft: &FeedType,
    file: &mut feeds::FeedFile,
) -> crate::Result<()> {
    let ids: Vec<&str> = file.rows.iter().map(|r| r.id_number.as_str()).collect();
    let regions = jiuzhu_db::households::registered_regions(db, &ids).await?;
    let outside = |id: &str| {
        regions
            .get(id)
            .is_some_and(|rs| !rs.iter().any(|r| scope.contains(r)))
    };
    let (keep, refused): (Vec<_>, Vec<_>) = std::mem::take(&mut file.rows)
        .into_iter()
        .partition(|r| !outside(&r.id_number));
    file.rows = keep;
    for r in refused {
        file.rejected.push(RowError {
            file: file.file.clone(),
            line: r.line,
            column: ft.id_column.clone(),
            reason: format!(
                "the person {} is registered outside your region ({}); the feed is not city-wide",
                jiuzhu_domain::mask_id_str(&r.id_number),
                scope.prefix()
            ),
        });
    }
    file.rejected.sort_by_key(|e| e.line);
    Ok(())
}

/// A new alert of a granting rule: what the policy engine must decide on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantCandidate {
    pub alert_id: i64,
    pub household_id: i64,
    pub region_code: String,
    /// The program the rule grants (e.g. `temporary`).
    pub program: String,
    /// The expense behind it (the rule's `amount`), in yuan.
    pub expense: String,
}

/// What a monthly run did.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub run_id: i64,
    /// New alerts of rules that grant, for the policy engine.
    pub grants: Vec<GrantCandidate>,
    pub population: usize,
    pub findings: usize,
    pub new_alerts: i64,
    pub load_s: f64,
    pub rules_s: f64,
    pub store_s: f64,
}

/// The monitored population and every counting snapshot of the stored feeds, as the
/// engine's tables.
async fn load_tables(db: &Db, population: &[monitoring::PopulationRow]) -> crate::Result<Tables> {
    let members: Vec<Member> = population
        .iter()
        .map(|p| Member {
            id_number: p.id_number.clone(),
            household_code: p.household_code.clone(),
            region_code: p.region_code.clone(),
            category: p.category.clone(),
            main_laborer: p.main_laborer,
        })
        .collect();
    let mut tables = Tables::new(&members)?;
    for ft in feed_types(db).await? {
        let snaps = dbfeeds::counting_snapshots(db, &ft.name, &ft.kind, "9999-12-31").await?;
        let mut stored = Vec::with_capacity(snaps.len());
        for s in &snaps {
            let cols: Vec<String> = serde_json::from_str(&s.columns)
                .map_err(|e| AppError::invalid(format!("snapshot {}: {e}", s.id)))?;
            stored.push((cols, dbfeeds::rows_of(db, &[s.id]).await?));
        }
        tables.add_feed(&ft, &stored)?;
    }
    Ok(tables)
}

/// An alert for each finding, placed in the household of its subject, its deadline counted
/// in working days from `today`.
fn alerts_of(
    set: &RuleSet,
    findings: &[jiuzhu_monitor::Finding],
    population: &[monitoring::PopulationRow],
    today: chrono::NaiveDate,
    calendar: &WorkCalendar,
) -> crate::Result<Vec<NewAlert>> {
    let by_person: HashMap<&str, &monitoring::PopulationRow> = population
        .iter()
        .map(|p| (p.id_number.as_str(), p))
        .collect();
    let by_household: HashMap<&str, &monitoring::PopulationRow> = population
        .iter()
        .map(|p| (p.household_code.as_str(), p))
        .collect();
    let mut alerts = Vec::with_capacity(findings.len());
    for f in findings {
        let rule = set
            .rule(&f.rule)
            .expect("findings come from the set's rules");
        let home = if rule.meta.subject == "household" {
            by_household.get(f.subject.as_str())
        } else {
            by_person.get(f.subject.as_str())
        };
        let Some(home) = home else {
            return Err(AppError::invalid(format!(
                "rule {}: subject {} is not in the population (a rule must select subjects of the population)",
                f.rule, f.subject
            )));
        };
        alerts.push(NewAlert {
            rule: f.rule.clone(),
            subject_kind: rule.meta.subject.clone(),
            subject: f.subject.clone(),
            finding: f.finding.clone(),
            household_id: Some(home.household_id),
            region_code: home.region_code.clone(),
            severity: rule.meta.severity.clone(),
            action: rule.meta.action.clone(),
            deadline: calendar
                .add_working_days(today, rule.meta.deadline_days)
                .to_string(),
        });
    }
    Ok(alerts)
}

/// The alerts a run raised whose rule grants a program: the candidates of automatic aid.
async fn grant_candidates(
    db: &Db,
    set: &RuleSet,
    run_id: i64,
    findings: &[jiuzhu_monitor::Finding],
) -> crate::Result<Vec<GrantCandidate>> {
    let mut grants = Vec::new();
    if set.rules.iter().any(|r| r.meta.grants.is_some()) {
        for a in monitoring::raised_by_run(db, run_id).await? {
            let Some(program) = set.rule(&a.rule).and_then(|r| r.meta.grants.clone()) else {
                continue;
            };
            let Some(f) = findings
                .iter()
                .find(|f| f.rule == a.rule && f.subject == a.subject && f.finding == a.finding)
            else {
                continue;
            };
            if let Some(hh) = a.household_id {
                grants.push(GrantCandidate {
                    alert_id: a.id,
                    household_id: hh,
                    region_code: a.region_code.clone(),
                    program,
                    expense: f.amount.clone(),
                });
            }
        }
    }
    Ok(grants)
}

/// Runs `set` for `month` over the registry's population (households with an assistance
/// category at the month's end) and the stored feeds (every snapshot of an event feed, the
/// latest of a full one), and raises the alerts not raised before. `today` starts the
/// deadlines (working days under `calendar`).
pub async fn run_month(
    db: &Db,
    actor: &Actor,
    set: &RuleSet,
    month: Month,
    via: &str,
    today: chrono::NaiveDate,
    calendar: &WorkCalendar,
) -> crate::Result<RunOutcome> {
    let started_at = jiuzhu_db::now_text();
    let t0 = Instant::now();
    let population = monitoring::population(db, &month.end.to_string()).await?;
    let tables = load_tables(db, &population).await?;
    let load_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let findings = tables.run(set, month).await?;
    let rules_s = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let alerts = alerts_of(set, &findings, &population, today, calendar)?;
    let run = NewRun {
        rule_set: set.name.clone(),
        month: month.label(),
        via: via.to_string(),
        population: population.len() as i64,
        started_at,
    };
    let (run_id, new_alerts) = monitoring::record_run(db, actor, &run, &alerts).await?;
    let grants = if new_alerts > 0 {
        grant_candidates(db, set, run_id, &findings).await?
    } else {
        Vec::new()
    };
    Ok(RunOutcome {
        run_id,
        grants,
        population: population.len(),
        findings: findings.len(),
        new_alerts,
        load_s,
        rules_s,
        store_s: t2.elapsed().as_secs_f64(),
    })
}
