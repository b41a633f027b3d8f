//! The `jiuzhu` binary: a thin command line over the library crates.

mod policy;
mod population;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use jiuzhu_app::accounts::{self, UserForm};
use jiuzhu_app::roster::register;
use jiuzhu_app::roster::{ImportOptions, ImportReport, Progress};
use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_domain::{EvidenceSource, Role};

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
struct DbArg {
    /// Database URL: sqlite://PATH (default sqlite://jiuzhu.db) or postgres://...
    #[arg(
        long,
        env = "JIUZHU_DATABASE_URL",
        default_value = "sqlite://jiuzhu.db"
    )]
    db: String,
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
        what: ImportWhat,
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
        what: UserWhat,
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
        what: PolicyWhat,
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
        what: FeedWhat,
    },
    /// Monitoring: run a rule set over department feeds.
    Monitor {
        #[command(subcommand)]
        what: MonitorWhat,
    },
    /// Working-day deadlines under the official holiday calendar.
    Calendar {
        #[command(subcommand)]
        what: CalendarWhat,
    },
    /// Check the audit log's hash chain.
    Audit {
        #[command(subcommand)]
        what: AuditWhat,
    },
}

#[derive(Subcommand)]
enum ImportWhat {
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

#[derive(Subcommand)]
enum UserWhat {
    /// Add a user; the password comes from standard input with --password-stdin, else it is generated and printed.
    Add {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// window_clerk, township_officer, county_approver, department_handler, village_worker, social_org, city_admin, auditor
        #[arg(long)]
        role: String,
        /// Region code of the user's scope (e.g. 3303 for Wenzhou, 330326 for Pingyang).
        #[arg(long)]
        scope: String,
        #[arg(long, default_value = "")]
        department: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Issue an API token for a machine client; printed once.
    Token {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "api")]
        name: String,
    },
}

#[derive(Subcommand)]
enum PolicyWhat {
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

#[derive(Subcommand)]
enum MonitorWhat {
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
enum FeedWhat {
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

#[derive(Subcommand)]
enum CalendarWhat {
    /// Print the date N working days after --from (make-up working days count, holidays do not).
    Due {
        #[arg(long)]
        from: String,
        #[arg(long)]
        working_days: u32,
        /// A calendar file in the format of the shipped one (default: the shipped calendar).
        #[arg(long)]
        calendar: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum AuditWhat {
    /// Recompute the hash chain; exit 1 if a row was altered or removed.
    Verify {
        #[command(flatten)]
        db: DbArg,
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
                add_demo(&db, 20_000, 1).await?;
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
        Command::Import {
            what:
                ImportWhat::Registry {
                    dir,
                    db,
                    as_of,
                    source,
                    batch,
                },
        } => {
            let db = open(&db.db).await?;
            let as_of = match as_of {
                Some(s) => {
                    jiuzhu_domain::parse_date(&s).map_err(|e| anyhow::anyhow!("--as-of: {e}"))?
                }
                None => jiuzhu_db::today(),
            };
            let source =
                EvidenceSource::parse(&source).map_err(|e| anyhow::anyhow!("--source: {e}"))?;
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
            let report =
                match jiuzhu_app::roster::import_dir(&db, &dir, &opts, &mut |p: Progress| {
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
        Command::Demo {
            db,
            households,
            seed,
        } => {
            let db = open(&db.db).await?;
            add_demo(&db, households, seed).await?;
            db.close().await;
            Ok(())
        }
        Command::User {
            what:
                UserWhat::Add {
                    db,
                    username,
                    display_name,
                    role,
                    scope,
                    department,
                    password_stdin,
                },
        } => {
            let db = open(&db.db).await?;
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                (s.trim_end_matches(['\n', '\r']).to_string(), false)
            } else {
                (
                    format!("jz-{}", &jiuzhu_app::credentials::new_token()[..16]),
                    true,
                )
            };
            let form = UserForm {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                role,
                scope_region: scope,
                department,
                password,
            };
            let id = accounts::create_user(&db, &Actor::system("cli:user"), &form)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("user {} created (id {id})", form.username);
            if generated {
                println!("password: {}", form.password);
            }
            db.close().await;
            Ok(())
        }
        Command::User {
            what: UserWhat::Token { db, username, name },
        } => {
            let db = open(&db.db).await?;
            let user = jiuzhu_db::users::by_username(&db, &username)
                .await?
                .with_context(|| format!("no user {username}"))?;
            let token = accounts::issue_token(&db, &Actor::system("cli:user"), user.id, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
            db.close().await;
            Ok(())
        }
        Command::Households { db, limit, format } => {
            let db = open(&db.db).await?;
            let q = jiuzhu_db::households::SearchQuery {
                limit,
                ..Default::default()
            };
            let (rows, _) =
                jiuzhu_db::households::search(&db, &jiuzhu_db::households::Scope::everything(), &q)
                    .await?;
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
        Command::Monitor {
            what:
                MonitorWhat::Run {
                    rules,
                    month,
                    input,
                    out,
                    db,
                },
        } => {
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
                &jiuzhu_app::calendar::in_force(
                    &db,
                    &jiuzhu_domain::calendar::WorkCalendar::shipped(),
                )
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
        Command::Feed { what } => feed_command(what).await,
        Command::Calendar {
            what:
                CalendarWhat::Due {
                    from,
                    working_days,
                    calendar,
                },
        } => {
            let from =
                jiuzhu_domain::parse_date(&from).map_err(|e| anyhow::anyhow!("--from: {e}"))?;
            let cal = match calendar {
                Some(path) => {
                    let text = std::fs::read_to_string(&path)
                        .with_context(|| format!("reading {}", path.display()))?;
                    jiuzhu_domain::calendar::WorkCalendar::parse(&text)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
                }
                None => jiuzhu_domain::calendar::WorkCalendar::shipped(),
            };
            let due = cal.add_working_days(from, working_days);
            for year in chrono::Datelike::year(&from)..=chrono::Datelike::year(&due) {
                if !cal.covers(year) {
                    eprintln!(
                        "warning: the calendar has no complete holiday arrangement for {year}; only weekends and the statutory holidays listed were skipped"
                    );
                }
            }
            println!("{due}");
            Ok(())
        }
        Command::Policy { what } => match what {
            PolicyWhat::Run {
                pack,
                date,
                input,
                out,
            } => {
                let date =
                    jiuzhu_domain::parse_date(&date).map_err(|e| anyhow::anyhow!("--date: {e}"))?;
                let summary = policy::run(&pack, date, &input, &out)?;
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
                policy::eval(&pack, date, &household, explain, receipt.as_deref())
            }
            PolicyWhat::Replay { receipt } => {
                if !policy::replay(&receipt)? {
                    std::process::exit(1);
                }
                Ok(())
            }
            PolicyWhat::Test { pack } => {
                if !policy::test(&pack)? {
                    std::process::exit(1);
                }
                Ok(())
            }
        },
        Command::Audit {
            what: AuditWhat::Verify { db },
        } => {
            let db = open(&db.db).await?;
            let v = jiuzhu_db::audit::verify(&db).await?;
            db.close().await;
            if v.ok {
                println!("audit chain intact: {} rows", v.rows);
                Ok(())
            } else {
                let (id, why) = v.first_bad.unwrap_or_default();
                println!("audit chain BROKEN at row {id}: {why}");
                std::process::exit(1);
            }
        }
    }
}

fn print_report(r: &ImportReport, secs: f64) {
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

async fn feed_command(what: FeedWhat) -> Result<()> {
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
async fn add_demo(db: &Db, households: usize, seed: u64) -> Result<()> {
    if households == 0 {
        return Ok(());
    }
    let villages = jiuzhu_db::regions::villages_under(db, "3303").await?;
    if villages.is_empty() {
        bail!("no Wenzhou villages in the region table");
    }
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    let started = Instant::now();
    let population = jiuzhu_roster::demo::generate(&villages, households, seed, as_of);
    let opts = ImportOptions {
        as_of,
        source: EvidenceSource::Declared,
        actor: Actor::system("cli:demo"),
        batch: 2000,
        scope: String::new(),
        label: None,
    };
    let bar = bar(households as u64, "demo households");
    let mut report = ImportReport::default();
    register(
        db,
        &population,
        &opts,
        &format!("demo seed {seed}"),
        &mut report,
        &mut |p: Progress| bar.set_position(p.households_done as u64),
    )
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
