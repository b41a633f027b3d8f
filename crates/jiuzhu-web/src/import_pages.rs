//! Roster import (名册导入) from the browser: a county approver or the city administrator
//! uploads `households`, `persons` and `supporters` (CSV or XLSX) or one `roster.xlsx`,
//! and the roster goes through the same checks and batches as `jiuzhu import registry`,
//! limited to the importer's region. The report lists every refused row with its file,
//! line, column and reason, identity numbers masked.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiuzhu_domain::{EvidenceSource, mask_ids_in};
use jiuzhu_roster::import::ImportError;
use jiuzhu_roster::{ImportOptions, ImportReport};

use crate::AppState;
use crate::auth::{PageUser, SignedIn};
use crate::error::WebError;
use crate::forms::read_upload;
use crate::i18n::Lang;
use crate::pages::{Nav, PageError, nav};

type PageResult = Result<Response, PageError>;

/// Refused rows shown on the page; the count says how many there were in all.
const SHOWN: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new().route("/import", get(import_page).post(import_submit))
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
    report: Option<ReportView>,
}

/// What an import did, for the page.
struct ReportView {
    read: [usize; 3],
    households_added: usize,
    households_existing: usize,
    persons_added: usize,
    persons_existing: usize,
    supporters_added: usize,
    evidence_added: usize,
    refused: usize,
    /// `file:line: column: reason`, identity numbers masked.
    errors: Vec<String>,
}

impl From<&ImportReport> for ReportView {
    fn from(r: &ImportReport) -> Self {
        ReportView {
            read: r.rows_read,
            households_added: r.households_added,
            households_existing: r.households_existing,
            persons_added: r.persons_added,
            persons_existing: r.persons_existing,
            supporters_added: r.supporters_added,
            evidence_added: r.evidence_added,
            refused: r.errors.len(),
            errors: r
                .errors
                .iter()
                .take(SHOWN)
                .map(|e| mask_ids_in(&e.to_string()))
                .collect(),
        }
    }
}

async fn render(
    state: &AppState,
    u: &SignedIn,
    message: String,
    report: Option<ReportView>,
) -> PageResult {
    let t = ImportTemplate {
        lang: u.lang,
        title: u.lang.t("roster_import").into(),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        today: jiuzhu_db::today().to_string(),
        scope: u.scope_region.to_string(),
        message,
        report,
    };
    Ok(t.into_response())
}

async fn import_page(State(state): State<AppState>, PageUser(u): PageUser) -> PageResult {
    u.require(u.role.can_import())?;
    render(&state, &u, String::new(), None).await
}

/// The file names a roster folder holds, by form field.
const FIELDS: [&str; 4] = ["households", "persons", "supporters", "roster"];

async fn import_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    m: Multipart,
) -> PageResult {
    let up = read_upload(m).await?;
    u.check_csrf(&up.field("csrf"))?;
    u.require(u.role.can_import())?;
    let refuse = |message: String| async {
        let mut r = render(&state, &u, message, None).await?;
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
        Ok::<Response, PageError>(r)
    };
    let as_of = match jiuzhu_domain::parse_date(&up.field("as_of")) {
        Ok(d) => d,
        Err(e) => return refuse(format!("as_of: {e}")).await,
    };
    let source = match EvidenceSource::parse(&up.field("source")) {
        Ok(s) => s,
        Err(e) => return refuse(format!("source: {e}")).await,
    };
    // The uploaded files become a roster folder of their own, removed afterwards.
    let dir = std::env::temp_dir().join(format!(
        "jiuzhu-roster-{}-{}",
        std::process::id(),
        crate::auth::new_token()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| WebError::Internal(e.to_string()))?;
    let result = async {
        for (field, (file_name, _, bytes)) in up.file_fields.iter().zip(&up.files) {
            let Some(stem) = FIELDS.iter().find(|f| *f == field) else {
                continue;
            };
            let ext = std::path::Path::new(file_name)
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            let ext = match (*stem, ext.as_str()) {
                ("roster", "xlsx") | (_, "csv") | (_, "xlsx") => ext,
                _ => {
                    return Err(format!(
                        "{field}: {file_name} is neither a .csv nor an .xlsx file"
                    ));
                }
            };
            std::fs::write(dir.join(format!("{stem}.{ext}")), bytes)
                .map_err(|e| format!("{field}: {e}"))?;
        }
        let opts = ImportOptions {
            as_of,
            source,
            actor: u.actor(),
            batch: 20_000,
            scope: u.scope_region.to_string(),
        };
        match jiuzhu_roster::import_dir(&state.db, &dir, &opts, &mut |_| {}).await {
            Ok(report) => Ok(Ok(report)),
            Err(ImportError::Db(e)) => Ok(Err(e)),
            Err(ImportError::Missing(_, what)) => Err(format!(
                "{what}: choose a CSV or XLSX file (or one roster.xlsx with a sheet {what})"
            )),
            Err(e) => Err(mask_ids_in(&e.to_string())),
        }
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    match result {
        Ok(Ok(report)) => render(&state, &u, String::new(), Some((&report).into())).await,
        Ok(Err(e)) => Err(WebError::from(e).into()),
        Err(message) => refuse(message).await,
    }
}
