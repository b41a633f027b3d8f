//! `jiuzhu import registry`, `jiuzhu demo` and `jiuzhu households`: rosters into the
//! registry, the demo population, and the registry listed for scripts.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Subcommand;
use jiuzhu_app::accounts::{self, UserForm};
use jiuzhu_app::roster::{ImportOptions, ImportReport, Progress};
use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_domain::{EvidenceSource, Role};

use crate::{DbArg, bar, open};

#[derive(Subcommand)]
pub(crate) enum ImportWhat {
    /// A household roster: households, persons and supporters as CSV or XLSX in DIR.
    Registry {
        dir: PathBuf,
        #[command(flatten)]
        db: DbArg,
        /// The date from which the roster's facts hold (default: today).
        #[arg(long)]
        as_of: Option<String>,
        /// declared, verified or home_visit.
        #[arg(long, default_value = "declared")]
        source: String,
        /// Households per transaction. Each commit writes every index page the batch
        /// touched, so fewer, larger batches write less (bench/README.md).
        #[arg(long, default_value_t = 20_000)]
        batch: usize,
    },
}

pub(crate) async fn import(what: ImportWhat) -> Result<()> {
    let ImportWhat::Registry {
        dir,
        db,
        as_of,
        source,
        batch,
    } = what;
    let db = open(&db.db).await?;
    let as_of = match as_of {
        Some(s) => jiuzhu_domain::parse_date(&s).map_err(|e| anyhow::anyhow!("--as-of: {e}"))?,
        None => jiuzhu_db::today(),
    };
    let source = EvidenceSource::parse(&source).map_err(|e| anyhow::anyhow!("--source: {e}"))?;
    let opts = ImportOptions {
        as_of,
        source,
        actor: Actor::system("cli:import"),
        batch,
        scope: String::new(),
        label: None,
    };
    let started = Instant::now();
    let bar = bar(0, "registering households");
    let report = match jiuzhu_app::roster::import_dir(&db, &dir, &opts, &mut |p: Progress| {
        bar.set_length(p.households_total as u64);
        bar.set_position(p.households_done as u64);
    })
    .await
    {
        Ok(r) => r,
        // A file refused whole (not text, a missing column, a missing file): the
        // roster's own fault, said in one line, like refused rows (status 2).
        Err(
            e @ (jiuzhu_app::roster::ImportError::Table(_)
            | jiuzhu_app::roster::ImportError::Missing(..)),
        ) => {
            bar.finish_and_clear();
            eprintln!("{e}");
            db.close().await;
            std::process::exit(2);
        }
        Err(e) => return Err(e.into()),
    };
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    print_report(&report, secs);
    db.close().await;
    if !report.errors.is_empty() {
        std::process::exit(2);
    }
    Ok(())
}

/// `jiuzhu households`: one line per household, for scripts.
pub(crate) async fn households(db: DbArg, limit: i64, format: String) -> Result<()> {
    let db = open(&db.db).await?;
    let q = jiuzhu_db::households::SearchQuery {
        limit,
        ..Default::default()
    };
    let (rows, _) =
        jiuzhu_db::households::search(&db, &jiuzhu_db::households::Scope::everything(), &q).await?;
    for r in rows {
        match format.as_str() {
            "names" => println!("{}", r.head_name),
            "codes" => println!("{}", r.code),
            // For scripts that drive the intake page (the head's ID number).
            "ids" => println!("{}", r.head_id_number),
            other => bail!("unknown --format {other}: names, codes or ids"),
        }
    }
    db.close().await;
    Ok(())
}

pub(crate) fn print_report(r: &ImportReport, secs: f64) {
    for e in &r.errors {
        eprintln!("{e}");
    }
    let [h, p, s] = r.rows_read;
    println!("read {h} households, {p} persons, {s} supporters");
    println!(
        "added {} households, {} persons, {} supporters, {} evidence records; already registered: {} households, {} persons",
        r.households_added,
        r.persons_added,
        r.supporters_added,
        r.evidence_added,
        r.households_existing,
        r.persons_existing
    );
    let rate = if secs > 0.0 {
        r.persons_added as f64 / secs
    } else {
        0.0
    };
    println!(
        "{} rows refused; {secs:.2} s (every row read and checked after {:.2} s, beside the writing), {rate:.0} persons/s",
        r.errors.len(),
        r.read_seconds
    );
}

/// The demo's monitored population (categories, main labourers), a month of department
/// feeds, and the standard rule set run over it, so the alert inbox has work.
async fn demo_monitoring(
    db: &Db,
    population: &[jiuzhu_db::roster::RosterHousehold],
    seed: u64,
    as_of: chrono::NaiveDate,
) -> Result<()> {
    let actor = Actor::system("cli:demo");
    let cats = jiuzhu_app::demo::categories(population, seed, as_of);
    jiuzhu_db::monitoring::enrol_bulk(db, &actor, &as_of.to_string(), &cats).await?;
    jiuzhu_app::monitoring::ensure_feed_types(db).await?;
    let month = jiuzhu_monitor::Month::parse("2026-10")?;
    let rows = jiuzhu_app::demo::seed_feeds(db, &actor, month, seed).await?;
    let set = jiuzhu_monitor::load_rule_set("standard")?;
    let (r, granted) = jiuzhu_app::grants::run_month(
        db,
        &actor,
        &set,
        month,
        "manual",
        jiuzhu_db::today(),
        &jiuzhu_app::calendar::in_force(db, &jiuzhu_domain::calendar::WorkCalendar::shipped())
            .await,
    )
    .await?;
    eprintln!(
        "demo: {} households in the monitored population, {rows} feed rows, {} alerts and {granted} automatic grants for {}",
        cats.len(),
        r.new_alerts,
        month.label()
    );
    Ok(())
}

/// The demo population and one user per role, whose sign-in details are printed.
pub(crate) async fn add_demo(db: &Db, households: usize, seed: u64) -> Result<()> {
    if households == 0 {
        return Ok(());
    }
    let villages = jiuzhu_db::regions::villages_under(db, "3303").await?;
    if villages.is_empty() {
        bail!("no Wenzhou villages in the region table");
    }
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let started = Instant::now();
    let bar = bar(households as u64, "demo households");
    let (population, report) =
        jiuzhu_app::demo::register_population(db, "3303", households, seed, as_of, &mut |p| {
            bar.set_position(p.households_done as u64)
        })
        .await?;
    bar.finish_and_clear();
    eprintln!(
        "demo: {} households, {} persons, {} supporters in {:.1} s",
        report.households_added,
        report.persons_added,
        report.supporters_added,
        started.elapsed().as_secs_f64()
    );
    demo_monitoring(db, &population, seed, as_of).await?;
    // Scopes: Pingyang county (平阳县) and its first township and village.
    let county = "330326";
    let township = villages
        .iter()
        .find(|(c, _)| c.starts_with(county))
        .map(|(c, _)| c[..9].to_string())
        .unwrap_or_else(|| county.into());
    let village = villages
        .iter()
        .find(|(c, _)| c.starts_with(&township))
        .map(|(c, _)| c.clone())
        .unwrap_or_else(|| township.clone());
    let mut rng = jiuzhu_roster::demo::Rng::new(seed.wrapping_add(0xD3_40));
    let users: [(&str, Role, &str, &str); 8] = [
        ("clerk", Role::WindowClerk, county, ""),
        ("township", Role::TownshipOfficer, &township, ""),
        ("county", Role::CountyApprover, county, ""),
        (
            "medical",
            Role::DepartmentHandler,
            county,
            "medical_insurance",
        ),
        ("village", Role::VillageWorker, &village, ""),
        ("charity", Role::SocialOrganisation, "3303", ""),
        ("admin", Role::CityAdmin, "3303", ""),
        ("auditor", Role::Auditor, "3303", ""),
    ];
    let mut lines = Vec::new();
    for (name, role, scope, dept) in users {
        let password = format!("demo-{:08x}", rng.next_u64() as u32);
        let form = UserForm {
            username: name.into(),
            display_name: format!("演示{}", role.label_zh()),
            role: role.code().into(),
            scope_region: scope.into(),
            department: dept.into(),
            password: password.clone(),
        };
        match accounts::create_user(db, &Actor::system("cli:demo"), &form).await {
            Ok(_) => lines.push(format!(
                "  {name:<10} {password:<16} {:<10} {scope}",
                role.code()
            )),
            Err(jiuzhu_app::AppError::Conflict(_)) => lines.push(format!(
                "  {name:<10} (exists)         {:<10} {scope}",
                role.code()
            )),
            Err(e) => bail!("creating demo user {name}: {e}"),
        }
    }
    println!("demo users (user name, password, role, scope):");
    for l in lines {
        println!("{l}");
    }
    if std::io::stdout().is_terminal() {
        println!("passwords are shown once; change them for anything but a demo");
    }
    Ok(())
}
