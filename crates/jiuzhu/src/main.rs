//! The `jiuzhu` binary: a thin command line over the library crates.

mod audit;
mod calendar;
mod monitor;
mod policy;
mod population;
mod registry;
mod users;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use jiuzhu_db::Db;

#[derive(Parser)]
#[command(
    name = "jiuzhu",
    version,
    about = "救助 · comprehensive social assistance platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
pub(crate) struct DbArg {
    /// Database URL: sqlite://PATH (default sqlite://jiuzhu.db) or postgres://...
    #[arg(
        long,
        env = "JIUZHU_DATABASE_URL",
        default_value = "sqlite://jiuzhu.db"
    )]
    pub(crate) db: String,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI and API.
    Serve {
        #[command(flatten)]
        db: DbArg,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// On an empty database, add the demo population and demo users first.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (when served over HTTPS).
        #[arg(long)]
        secure_cookies: bool,
        /// A reverse proxy whose X-Forwarded-For is believed (repeatable; default none:
        /// the connecting address is the client's).
        #[arg(long = "trusted-proxy")]
        trusted_proxies: Vec<std::net::IpAddr>,
    },
    /// Create or update the schema and load the region tree.
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// Import data files.
    Import {
        #[command(subcommand)]
        what: registry::ImportWhat,
    },
    /// Add a synthetic Wenzhou population and one demo user per role.
    Demo {
        #[command(flatten)]
        db: DbArg,
        /// Number of households.
        #[arg(long, default_value_t = 20_000)]
        households: usize,
        /// Random seed: the same seed gives the same population.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        what: users::UserWhat,
    },
    /// List households (for scripts): one line each.
    Households {
        #[command(flatten)]
        db: DbArg,
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// `names`: the head's full name; `codes`: household numbers; `ids`: the head's ID number.
        #[arg(long, default_value = "codes")]
        format: String,
    },
    /// The policy engine: run a population, evaluate one household, test a pack.
    Policy {
        #[command(subcommand)]
        what: policy::PolicyWhat,
    },
    /// Simulate a reform: a population under the pack and under parameter changes, by county.
    Simulate {
        /// A shipped pack name (rp1) or a pack folder.
        #[arg(long)]
        pack: String,
        #[arg(long)]
        date: String,
        /// Workload P's files (params, households, persons, supporters CSV).
        #[arg(long)]
        input: PathBuf,
        /// The reform: a TOML file of parameter changes.
        #[arg(long)]
        reform: PathBuf,
        /// Folder for counties.csv and changes.csv.
        #[arg(long)]
        out: PathBuf,
    },
    /// Department feeds: types, declarations, imports.
    Feed {
        #[command(subcommand)]
        what: monitor::FeedWhat,
    },
    /// Monitoring: run a rule set over department feeds.
    Monitor {
        #[command(subcommand)]
        what: monitor::MonitorWhat,
    },
    /// Working-day deadlines under the official holiday calendar.
    Calendar {
        #[command(subcommand)]
        what: calendar::CalendarWhat,
    },
    /// Check the audit log's hash chain.
    Audit {
        #[command(subcommand)]
        what: audit::AuditWhat,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(cli))
}

/// Opens the database, applies migrations and loads the regions on first start.
async fn open(url: &str) -> Result<Db> {
    let db = Db::connect(url)
        .await
        .with_context(|| format!("opening {url}"))?;
    let report = jiuzhu_db::migrate::run(&db).await.context("migrating")?;
    jiuzhu_app::monitoring::ensure_feed_types(&db).await?;
    for m in &report.applied {
        eprintln!("applied migration {m}");
    }
    if jiuzhu_db::regions::count(&db).await? == 0 {
        let started = Instant::now();
        let bar = bar(0, "loading regions");
        let n = jiuzhu_db::regions::ensure_loaded(&db, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await?;
        bar.finish_and_clear();
        eprintln!(
            "loaded {n} regions ({}) in {:.1} s",
            jiuzhu_regions::SOURCE,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(db)
}

fn bar(len: u64, msg: &'static str) -> ProgressBar {
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    b.set_message(msg);
    b
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve {
            db,
            addr,
            demo,
            secure_cookies,
            trusted_proxies,
        } => {
            let db = open(&db.db).await?;
            if demo
                && jiuzhu_db::households::totals(&db, &jiuzhu_db::households::Scope::everything())
                    .await?
                    .households
                    == 0
            {
                registry::add_demo(&db, 20_000, 1).await?;
            }
            eprintln!("jiuzhu is running: open http://{addr}/ and sign in");
            let config = jiuzhu_web::Config {
                secure_cookies,
                trusted_proxies,
                ..Default::default()
            };
            jiuzhu_web::serve(db, config, &addr).await?;
            Ok(())
        }
        Command::Migrate { db } => {
            let db = open(&db.db).await?;
            eprintln!(
                "schema is current; {} regions loaded",
                jiuzhu_db::regions::count(&db).await?
            );
            db.close().await;
            Ok(())
        }
        Command::Import { what } => registry::import(what).await,
        Command::Demo {
            db,
            households,
            seed,
        } => {
            let db = open(&db.db).await?;
            registry::add_demo(&db, households, seed).await?;
            db.close().await;
            Ok(())
        }
        Command::User { what } => users::command(what).await,
        Command::Households { db, limit, format } => registry::households(db, limit, format).await,
        Command::Simulate {
            pack,
            date,
            input,
            reform,
            out,
        } => {
            let date =
                jiuzhu_domain::parse_date(&date).map_err(|e| anyhow::anyhow!("--date: {e}"))?;
            policy::simulate(&pack, date, &input, &reform, &out)
        }
        Command::Monitor { what } => monitor::run(what).await,
        Command::Feed { what } => monitor::feed(what).await,
        Command::Calendar { what } => calendar::command(what),
        Command::Policy { what } => policy::command(what),
        Command::Audit { what } => audit::command(what).await,
    }
}
