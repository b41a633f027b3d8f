//! `jiuzhu monitor run` and `jiuzhu feed`: monitoring rules over workload M's files or the
//! database, and department feeds' types, declarations and imports.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Subcommand;
use indicatif::ProgressBar;
use jiuzhu_db::audit::Actor;

use crate::{DbArg, open};

#[derive(Subcommand)]
pub(crate) enum MonitorWhat {
    /// Run every rule of a rule set over the CSV feeds in --input for --month; write alerts.csv.
    /// With --input and --out: over workload M's CSV files, writing alerts.csv. Without:
    /// over the database's population and feed snapshots, raising alerts there.
    Run {
        /// A shipped rule set (workload-m, standard) or a folder of NAME.sql rules and rules.toml.
        #[arg(long)]
        rules: String,
        /// YYYY-MM.
        #[arg(long)]
        month: String,
        #[arg(long, requires = "out")]
        input: Option<PathBuf>,
        #[arg(long, requires = "input")]
        out: Option<PathBuf>,
        /// Database URL for a run over the registry (default sqlite://jiuzhu.db).
        #[arg(
            long,
            env = "JIUZHU_DATABASE_URL",
            default_value = "sqlite://jiuzhu.db"
        )]
        db: String,
    },
}

#[derive(Subcommand)]
pub(crate) enum FeedWhat {
    /// List the feed types (built in and declared) with their columns.
    Types {
        #[command(flatten)]
        db: DbArg,
    },
    /// Import a CSV, XLSX or Parquet file as a dated snapshot of a feed.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// The feed type, e.g. medical.
        #[arg(long = "type")]
        feed_type: String,
        /// The date of the extract, YYYY-MM-DD.
        #[arg(long)]
        as_of: String,
        file: PathBuf,
    },
    /// Declare a new feed type.
    Declare {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        name: String,
        #[arg(long)]
        label: String,
        #[arg(long, default_value = "")]
        label_en: String,
        /// The codes of the departments that deliver it, comma separated (their handlers
        /// import it; none: only the city administrator).
        #[arg(long, default_value = "")]
        department: String,
        /// Rows are about anyone in the city: not checked against the importer's region.
        #[arg(long)]
        city_wide: bool,
        /// events (snapshots add rows) or full (the latest snapshot is the register).
        #[arg(long, default_value = "events")]
        kind: String,
        #[arg(long, default_value = "id_number")]
        id_column: String,
        /// Columns as name:type, comma-separated (types: id_number, date, money, integer, text).
        #[arg(long)]
        columns: String,
    },
}

pub(crate) async fn run(what: MonitorWhat) -> Result<()> {
    let MonitorWhat::Run {
        rules,
        month,
        input,
        out,
        db,
    } = what;
    let started = Instant::now();
    let set = jiuzhu_monitor::load_rule_set(&rules)?;
    let month = jiuzhu_monitor::Month::parse(&month)?;
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("running {} rules", set.rules.len()));
    spinner.enable_steady_tick(std::time::Duration::from_millis(200));
    if let (Some(input), Some(out)) = (input, out) {
        let alerts = jiuzhu_monitor::run(&input, &set, month).await?;
        spinner.finish_and_clear();
        std::fs::write(&out, jiuzhu_monitor::alerts_csv(&alerts))
            .with_context(|| format!("writing {}", out.display()))?;
        eprintln!(
            "jiuzhu-M alerts={} total_s={:.3} out={}",
            alerts.len(),
            started.elapsed().as_secs_f64(),
            out.display()
        );
        return Ok(());
    }
    let db = open(&db).await?;
    jiuzhu_app::monitoring::ensure_feed_types(&db).await?;
    let (r, granted) = jiuzhu_app::grants::run_month(
        &db,
        &Actor::system("cli:monitor"),
        &set,
        month,
        "manual",
        jiuzhu_db::today(),
        &jiuzhu_app::calendar::in_force(&db, &jiuzhu_domain::calendar::WorkCalendar::shipped())
            .await,
    )
    .await?;
    spinner.finish_and_clear();
    eprintln!(
        "run {}: population={} findings={} new_alerts={} grants={granted} load_s={:.3} rules_s={:.3} store_s={:.3} total_s={:.3}",
        r.run_id,
        r.population,
        r.findings,
        r.new_alerts,
        r.load_s,
        r.rules_s,
        r.store_s,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

pub(crate) async fn feed(what: FeedWhat) -> Result<()> {
    match what {
        FeedWhat::Types { db } => {
            let db = open(&db.db).await?;
            for t in jiuzhu_app::monitoring::feed_types(&db).await? {
                let cols: Vec<String> = t
                    .columns
                    .iter()
                    .map(|c| format!("{}:{}", c.name, c.ty.code()))
                    .collect();
                println!("{}\t{}\t{}\t{}", t.name, t.kind, t.label_zh, cols.join(","));
            }
            Ok(())
        }
        FeedWhat::Import {
            db,
            feed_type,
            as_of,
            file,
        } => {
            let db = open(&db.db).await?;
            let started = Instant::now();
            let everything = jiuzhu_db::households::Scope::everything();
            let operator = jiuzhu_app::monitoring::Importer {
                department: None,
                scope: &everything,
            };
            let r = jiuzhu_app::monitoring::import_feed(
                &db,
                &Actor::system("cli:feed"),
                &operator,
                &feed_type,
                &as_of,
                &file,
                None,
            )
            .await?;
            for e in &r.rejected {
                eprintln!("{e}");
            }
            println!(
                "snapshot {} of {feed_type} as of {as_of}: {} rows, {} refused, {:.2} s",
                r.snapshot_id,
                r.rows,
                r.rejected.len(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        FeedWhat::Declare {
            db,
            name,
            label,
            label_en,
            department,
            city_wide,
            kind,
            id_column,
            columns,
        } => {
            let db = open(&db.db).await?;
            let ft = jiuzhu_monitor::feeds::FeedType {
                name,
                label_en: if label_en.is_empty() {
                    label.clone()
                } else {
                    label_en
                },
                label_zh: label,
                department,
                kind,
                id_column,
                columns: jiuzhu_monitor::feeds::FeedType::parse_columns(&columns)
                    .map_err(anyhow::Error::msg)?,
                city_wide,
            };
            jiuzhu_app::monitoring::declare_feed_type(&db, &Actor::system("cli:feed"), &ft).await?;
            println!("declared feed type {}", ft.name);
            Ok(())
        }
    }
}
