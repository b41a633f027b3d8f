//! jiuzhu's web front: server-rendered pages in Simplified Chinese (English switchable) and
//! the JSON API under `/api/v1` with its OpenAPI document at `/api/openapi.json`.
//!
//! One [`AppState`] is built once; the signed-in user and their scope come from extractors
//! in [`auth`]; every household query goes through `jiuzhu_db` with that scope.

pub mod accounts;
pub mod api;
pub mod auth;
pub mod error;
pub mod i18n;
pub mod pages;
pub mod policy_pages;
pub mod prescription;
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
}

impl Default for Config {
    fn default() -> Config {
        Config {
            idle_timeout: Duration::from_secs(30 * 60),
            max_failed_logins: 5,
            lockout: Duration::from_secs(30 * 60),
            secure_cookies: false,
        }
    }
}

/// Everything a handler needs, built once.
pub struct App {
    pub db: Db,
    pub config: Config,
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
    let state = AppState(Arc::new(App { db, config }));
    Router::new()
        .merge(pages::routes())
        .merge(policy_pages::routes())
        .merge(api::routes())
        .layer(axum::middleware::from_fn(security::headers))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM; returns when the listener stops.
pub async fn serve(db: Db, config: Config, addr: &str) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    tokio::spawn(sweep_idle_sessions(db.clone(), config.idle_timeout));
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
