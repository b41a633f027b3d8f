//! jiuzhu's web front: server-rendered pages in Simplified Chinese (English switchable) and
//! the JSON API under `/api/v1` with its OpenAPI document at `/api/openapi.json`.
//!
//! One [`AppState`] is built once; the signed-in user and their scope come from extractors
//! in [`auth`]; every household query goes through `jiuzhu_db` with that scope.

pub mod api;
pub mod auth;
pub mod case_api;
pub mod case_pages;
pub mod contract;
pub mod error;
pub mod export;
pub mod extract;
pub mod forms;
pub mod i18n;
pub mod import_pages;
pub mod monitor_api;
pub mod monitor_pages;
pub mod pages;
pub mod pdf;
pub mod policy_pages;
pub mod security;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use jiuzhu_db::Db;

/// Settings of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    /// Sessions end after this long without a request.
    pub idle_timeout: Duration,
    /// Wrong passwords in a row that lock an account.
    pub max_failed_logins: i64,
    /// How long a locked account stays locked.
    pub lockout: Duration,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// The rule set run each month for the month before (None: no scheduled runs).
    pub monitor_rules: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed (none: the peer's address).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            idle_timeout: Duration::from_secs(30 * 60),
            max_failed_logins: 5,
            lockout: Duration::from_secs(30 * 60),
            secure_cookies: false,
            monitor_rules: Some("standard".into()),
            trusted_proxies: Vec::new(),
        }
    }
}

/// Everything a handler needs, built once.
pub struct App {
    pub db: Db,
    pub config: Config,
    /// Working days for deadlines (the shipped holiday calendar).
    pub calendar: jiuzhu_domain::calendar::WorkCalendar,
    /// Failed sign-ins under names that have no active account, counted like real ones,
    /// so "locked" does not tell which names exist.
    pub unknown_logins: auth::Throttle,
    /// Tries of the online status page per ID number and per address.
    pub status_tries: auth::Throttle,
}

/// The shared application state.
#[derive(Clone)]
pub struct AppState(pub Arc<App>);

impl std::ops::Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}

/// The whole application: pages, API, static files, security headers.
pub fn router(db: Db, config: Config) -> Router {
    let state = AppState(Arc::new(App {
        db,
        config,
        calendar: jiuzhu_domain::calendar::WorkCalendar::shipped(),
        unknown_logins: auth::Throttle::default(),
        status_tries: auth::Throttle::default(),
    }));
    Router::new()
        .merge(pages::routes())
        .merge(monitor_pages::routes())
        .merge(import_pages::routes())
        .merge(case_pages::routes())
        .merge(case_api::routes())
        .merge(monitor_api::routes())
        .merge(policy_pages::routes())
        .merge(api::routes())
        .layer(axum::middleware::from_fn(error::api_errors_as_json))
        .layer(axum::middleware::from_fn(pages::in_page_lang))
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

/// The importer of a department feed: the city administrator imports any feed, anyone
/// else only their department's, each within their region.
pub fn feed_importer(u: &auth::SignedIn) -> jiuzhu_app::monitoring::Importer<'_> {
    jiuzhu_app::monitoring::Importer {
        department: (u.role != jiuzhu_domain::Role::CityAdmin)
            .then_some(u.user.department.as_str()),
        scope: &u.scope,
    }
}

/// Serves until Ctrl-C or SIGTERM; returns when the listener stops.
pub async fn serve(db: Db, config: Config, addr: &str) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    tokio::spawn(sweep_idle_sessions(db.clone(), config.idle_timeout));
    if let Some(rules) = config.monitor_rules.clone() {
        tokio::spawn(monthly_monitoring(db.clone(), rules));
    }
    tokio::spawn(supervise_deadlines(db.clone()));
    let app = router(db, config);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
}

/// Deletes sessions idle past the timeout, every few minutes. (A session is also refused
/// on its next request once idle; this keeps abandoned ones from piling up.)
async fn sweep_idle_sessions(db: Db, idle: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        let cutoff = jiuzhu_db::time_text(
            chrono::Utc::now() - chrono::Duration::from_std(idle).unwrap_or_default(),
        );
        if let Err(e) = jiuzhu_db::sessions::delete_idle(&db, &cutoff).await {
            tracing::warn!("sweeping idle sessions: {e}");
        }
    }
}

/// The monthly cross-check (月度比对): once an hour, if the rule set has not run on schedule
/// for last month, run it over the registry and the stored feeds. Runs are recorded, so a
/// restart does not run a month twice, and a finding is never raised twice.
async fn monthly_monitoring(db: Db, rules: String) {
    let set = match jiuzhu_monitor::load_rule_set(&rules) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("monitoring rule set {rules}: {e}; no scheduled runs");
            return;
        }
    };
    let calendar = jiuzhu_domain::calendar::WorkCalendar::shipped();
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let today = jiuzhu_db::today();
        let Ok(month) = jiuzhu_monitor::Month::parse(&today.format("%Y-%m").to_string()) else {
            continue;
        };
        let last = month.previous();
        match jiuzhu_db::monitoring::scheduled_run_exists(&db, &set.name, &last.label()).await {
            Ok(true) => continue,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!("monitoring schedule: {e}");
                continue;
            }
        }
        let actor = jiuzhu_db::audit::Actor::system("schedule:monitor");
        let calendar = jiuzhu_app::calendar::in_force(&db, &calendar).await;
        match jiuzhu_app::grants::run_month(&db, &actor, &set, last, "schedule", today, &calendar)
            .await
        {
            Ok((r, granted)) => tracing::info!(
                "monitoring {} for {}: {} findings, {} new alerts, {granted} grants proposed",
                set.name,
                last.label(),
                r.findings,
                r.new_alerts
            ),
            Err(e) => tracing::error!("monitoring {} for {}: {e}", set.name, last.label()),
        }
    }
}

/// 超时通报: once an hour, every open item past its deadline that has not been notified gets
/// a supervision notice on its timeline (and the audit log), which the deadline board shows.
async fn supervise_deadlines(db: Db) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        if let Err(e) = jiuzhu_app::supervision::notify_overdue(&db).await {
            tracing::warn!("deadline supervision: {e}");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
