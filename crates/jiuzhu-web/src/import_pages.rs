//! Roster import (名册导入) from the browser and the API: a county approver or the city
//! administrator uploads `households`, `persons` and `supporters` (CSV or XLSX) or one
//! `roster.xlsx`, and the roster goes through the same checks and batches as
//! `jiuzhu import registry`, limited to the importer's region. The report lists every
//! refused row with its file, line, column and reason, identity numbers masked.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Query, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use jiuzhu_app::roster::ImportError;
use jiuzhu_app::roster::{ImportOptions, ImportReport};
use jiuzhu_domain::{EvidenceSource, mask_ids_in};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::AppState;
use crate::auth::{ApiUser, PageUser, SignedIn};
use crate::error::{ErrorBody, WebError};
use crate::forms::read_upload;
use crate::i18n::Lang;
use crate::pages::{Nav, nav};

use crate::pages::PageResult;

/// Refused rows shown on the page; the count says how many there were in all.
const SHOWN: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/import", get(import_page).post(import_submit))
        .route("/api/v1/rosters", post(api_import))
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::forms::UPLOAD_LIMIT,
        ))
}

/// Why an upload could not be imported at all (nothing was written).
enum Refused {
    /// The upload itself: a missing or unreadable file, a missing column, a bad date.
    Upload(String),
    Db(jiuzhu_db::DbError),
}

/// Imports the uploaded files (`(stem, file name, bytes)`, the stem one of households,
/// persons, supporters or roster) into the importer's region. The import runs as a task of
/// its own: a client that goes away does not stop it half-way nor leave its files behind.
async fn run_import(
    state: &AppState,
    u: &SignedIn,
    files: Vec<(String, String, Vec<u8>)>,
    as_of: &str,
    source: &str,
) -> Result<ImportReport, Refused> {
    let as_of =
        jiuzhu_domain::parse_date(as_of).map_err(|e| Refused::Upload(format!("as_of: {e}")))?;
    let source = EvidenceSource::parse(if source.is_empty() {
        "declared"
    } else {
        source
    })
    .map_err(|e| Refused::Upload(format!("source: {e}")))?;
    let names: Vec<&str> = files.iter().map(|(_, n, _)| n.as_str()).collect();
    let opts = ImportOptions {
        as_of,
        source,
        actor: u.actor(),
        batch: 20_000,
        scope: u.scope_region.to_string(),
        label: Some(format!("upload: {}", names.join(", "))),
    };
    let db = state.db.clone();
    tokio::spawn(async move { import_files(&db, files, &opts).await })
        .await
        .map_err(|e| Refused::Upload(format!("the import stopped: {e}")))?
}

async fn import_files(
    db: &jiuzhu_db::Db,
    files: Vec<(String, String, Vec<u8>)>,
    opts: &ImportOptions,
) -> Result<ImportReport, Refused> {
    // The uploaded files become a roster folder of their own, readable by this user
    // only, removed afterwards.
    let dir = std::env::temp_dir().join(format!(
        "jiuzhu-roster-{}-{}",
        std::process::id(),
        crate::auth::new_token()
    ));
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Refused::Upload(e.to_string()))?;
    }
    let result = async {
        for (stem, file_name, bytes) in &files {
            let ext = std::path::Path::new(file_name)
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            match (stem.as_str(), ext.as_str()) {
                ("roster", "xlsx") => {}
                ("households" | "persons" | "supporters", "csv" | "xlsx") => {}
                ("households" | "persons" | "supporters" | "roster", _) => {
                    return Err(Refused::Upload(format!(
                        "{stem}: {file_name} is not a {} file",
                        if stem == "roster" {
                            ".xlsx"
                        } else {
                            ".csv or .xlsx"
                        }
                    )));
                }
                _ => continue,
            }
            std::fs::write(dir.join(format!("{stem}.{ext}")), bytes)
                .map_err(|e| Refused::Upload(format!("{stem}: {e}")))?;
        }
        jiuzhu_app::roster::import_dir(db, &dir, opts, &mut |_| {})
            .await
            .map_err(|e| match e {
                ImportError::Db(e) => Refused::Db(e),
                ImportError::Missing(_, what) => Refused::Upload(format!(
                    "{what}: choose a CSV or XLSX file (or one roster.xlsx with a sheet {what})"
                )),
                e => Refused::Upload(mask_ids_in(&e.to_string())),
            })
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

#[derive(Template, WebTemplate)]
#[template(path = "import.html")]
struct ImportTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    today: String,
    scope: String,
    message: String,
    report: Option<ReportOut>,
    shown: Vec<String>,
}

async fn render(
    state: &AppState,
    u: &SignedIn,
    message: String,
    report: Option<ReportOut>,
) -> PageResult {
    let shown = report
        .iter()
        .flat_map(|r| r.refused.iter().take(SHOWN))
        .map(|e| format!("{}:{}: {}: {}", e.file, e.line, e.column, e.reason))
        .collect();
    let t = ImportTemplate {
        lang: u.lang,
        title: u.lang.t("roster_import").into(),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        today: jiuzhu_db::today().to_string(),
        scope: u.scope_region.to_string(),
        message,
        report,
        shown,
    };
    Ok(t.into_response())
}

async fn import_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_import())?;
    render(&state, &u, String::new(), None).await
}

async fn import_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    m: Multipart,
) -> PageResult {
    // The role first: nobody else's upload is read into memory.
    u.require(u.role.can_import())?;
    let up = read_upload(m).await?;
    u.check_csrf(&up.field("csrf"))?;
    let (as_of, source) = (up.field("as_of"), up.field("source"));
    let files = up
        .file_fields
        .into_iter()
        .zip(up.files)
        .map(|(field, (name, _, bytes))| (field, name, bytes))
        .collect();
    match run_import(&state, &u, files, &as_of, &source).await {
        Ok(report) => render(&state, &u, String::new(), Some(report.into())).await,
        Err(Refused::Db(e)) => Err(WebError::from(e).into()),
        Err(Refused::Upload(message)) => {
            let mut r = render(&state, &u, message, None).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

/// What a roster import did.
#[derive(Serialize, ToSchema)]
#[schema(as = RosterReport)]
pub struct ReportOut {
    /// Rows read from the households, persons and supporters files.
    pub rows_read: [usize; 3],
    pub households_added: usize,
    pub households_existing: usize,
    pub persons_added: usize,
    pub persons_existing: usize,
    pub supporters_added: usize,
    pub evidence_added: usize,
    /// Every refused row, by file and line; identity numbers masked.
    pub refused: Vec<RefusedRow>,
}

/// A refused row: the file (`households.csv`, `roster.xlsx[persons]`, ...), its line (the
/// header is line 1), the column and the reason.
#[derive(Serialize, ToSchema)]
pub struct RefusedRow {
    pub file: String,
    pub line: usize,
    pub column: String,
    pub reason: String,
}

impl From<ImportReport> for ReportOut {
    fn from(r: ImportReport) -> Self {
        ReportOut {
            rows_read: r.rows_read,
            households_added: r.households_added,
            households_existing: r.households_existing,
            persons_added: r.persons_added,
            persons_existing: r.persons_existing,
            supporters_added: r.supporters_added,
            evidence_added: r.evidence_added,
            refused: r
                .errors
                .into_iter()
                .map(|e| RefusedRow {
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    reason: mask_ids_in(&e.reason),
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
pub struct RosterParams {
    /// The date from which the roster's facts hold, YYYY-MM-DD.
    #[param(format = Date, example = "2026-12-01")]
    as_of: String,
    /// declared (default), verified or home_visit.
    #[serde(default)]
    #[param(schema_with = crate::contract::evidence_source)]
    source: String,
}

#[utoipa::path(post, path = "/api/v1/rosters", params(RosterParams),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        description = "a roster.xlsx with the sheets households, persons and (optionally) supporters"),
    responses((status = 200, body = ReportOut), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn api_import(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<RosterParams>,
    body: axum::body::Body,
) -> Result<Json<ReportOut>, WebError> {
    // The role first: nobody else's upload is read into memory.
    u.require(u.role.can_import())?;
    let body = axum::body::to_bytes(body, crate::forms::UPLOAD_LIMIT)
        .await
        .map_err(|e| WebError::Invalid(format!("the roster could not be read: {e}")))?;
    let files = vec![("roster".to_string(), "roster.xlsx".to_string(), body.into())];
    match run_import(&state, &u, files, &p.as_of, &p.source).await {
        Ok(report) => Ok(Json(report.into())),
        Err(Refused::Db(e)) => Err(e.into()),
        Err(Refused::Upload(message)) => Err(WebError::Invalid(message)),
    }
}

#[derive(OpenApi)]
#[openapi(paths(api_import), components(schemas(ReportOut, RefusedRow)))]
pub struct RosterDoc;
