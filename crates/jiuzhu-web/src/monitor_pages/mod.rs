//! Monitoring pages: the alert inbox (filters, bulk assignment), an alert's page (its life
//! from new to closed, the household's prescription), the rule page (statistics per rule,
//! runs, run on demand), feeds (types, snapshots, imports with their reports, declaring a
//! type) and a household's verification (authorisations, reports, accepting findings).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use jiuzhu_db::audit::{self};
use jiuzhu_db::monitoring::{self, AlertFilter};
use jiuzhu_db::{feeds as dbfeeds, households, verification};
use jiuzhu_domain::{mask_id_str, mask_ids_in};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{PageUser, SignedIn};
use crate::error::WebError;
use crate::forms::{Posted, answer};
use crate::forms::{field, inline_file, read_upload};
use crate::i18n::Lang;
use crate::pages::{Nav, PageError, nav};

use crate::pages::PageResult;

mod alerts;
mod feeds;
mod rules;
mod verify;

pub(crate) use verify::authorisation_form;

use self::alerts::*;
use self::feeds::*;
use self::rules::*;
use self::verify::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(alerts_page))
        .route("/alerts/export.xlsx", get(alerts_export))
        .route("/alerts/bulk", post(alerts_bulk))
        .route("/alerts/{id}", get(alert_page).post(alert_step))
        .route("/alerts/{id}/grant", post(grant_decide))
        .route("/rules", get(rules_page))
        .route("/rules/export.xlsx", get(rules_export))
        .route("/rules/run", post(rules_run))
        .route("/feeds", get(feeds_page))
        .route(
            "/feeds/import",
            post(feeds_import).layer(axum::extract::DefaultBodyLimit::max(
                crate::forms::UPLOAD_LIMIT,
            )),
        )
        .route("/feeds/types", post(feeds_declare))
        .route("/feeds/snapshots/{id}", get(snapshot_page))
        .route("/households/{id}/verification", get(verification_page))
        .route(
            "/households/{id}/authorisations",
            post(authorisation_submit),
        )
        .route("/authorisations/{id}/scan", get(authorisation_scan))
        .route("/households/{id}/verify", post(verify_submit))
        .route("/verification/{id}", get(report_page))
        .route("/verification/{id}/accept", post(accept_submit))
}

impl From<jiuzhu_monitor::MonitorError> for WebError {
    fn from(e: jiuzhu_monitor::MonitorError) -> WebError {
        match e {
            jiuzhu_monitor::MonitorError::Invalid(m) => WebError::Invalid(m),
            jiuzhu_monitor::MonitorError::Forbidden(_) => WebError::Forbidden,
            other => WebError::Internal(other.to_string()),
        }
    }
}

impl From<jiuzhu_app::AppError> for PageError {
    fn from(e: jiuzhu_app::AppError) -> PageError {
        PageError(e.into())
    }
}

impl From<jiuzhu_monitor::MonitorError> for PageError {
    fn from(e: jiuzhu_monitor::MonitorError) -> PageError {
        PageError(e.into())
    }
}

/// The rule set the platform runs (its rules' labels and metadata), parsed once.
fn rule_set() -> &'static jiuzhu_monitor::RuleSet {
    static SET: std::sync::OnceLock<jiuzhu_monitor::RuleSet> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        jiuzhu_monitor::load_rule_set("standard").expect("the shipped standard rule set loads")
    })
}

fn rule_label(set: &jiuzhu_monitor::RuleSet, rule: &str, lang: Lang) -> String {
    set.rule(rule)
        .map(|r| match lang {
            Lang::Zh => r.meta.label_zh.clone(),
            Lang::En => r.meta.label_en.clone(),
        })
        .unwrap_or_else(|| rule.to_string())
}

/// An alert as a list shows it: the subject's ID number masked.
pub struct AlertRow {
    pub id: i64,
    pub rule: String,
    pub rule_label: String,
    pub subject: String,
    pub household_id: Option<i64>,
    pub household_code: String,
    pub region_code: String,
    /// The region's name (its code where none is stored), shown with the code on hover.
    pub region_name: String,
    pub month: String,
    pub severity: String,
    pub action: String,
    pub status: String,
    pub assignee: String,
    pub deadline: String,
    pub overdue: bool,
    pub outcome: String,
    pub note: String,
    pub finding: String,
}

/// Names the regions of alert rows (their codes stay where no name is stored).
async fn name_regions(db: &jiuzhu_db::Db, rows: &mut [AlertRow]) -> Result<(), WebError> {
    let codes: Vec<String> = rows.iter().map(|r| r.region_code.clone()).collect();
    let names = jiuzhu_db::regions::names(db, &codes).await?;
    for r in rows.iter_mut() {
        if let Some(n) = names.get(&r.region_code) {
            r.region_name = n.clone();
        }
    }
    Ok(())
}

fn alert_row(
    a: &monitoring::Alert,
    set: &jiuzhu_monitor::RuleSet,
    lang: Lang,
    today: &str,
) -> AlertRow {
    AlertRow {
        id: a.id,
        rule: a.rule.clone(),
        rule_label: rule_label(set, &a.rule, lang),
        subject: if a.subject_kind == "person" {
            mask_id_str(&a.subject)
        } else {
            a.subject.clone()
        },
        household_id: a.household_id,
        household_code: a.household_code.clone().unwrap_or_default(),
        region_code: a.region_code.clone(),
        region_name: a.region_code.clone(),
        month: a.month.clone(),
        severity: a.severity.clone(),
        action: a.action.clone(),
        status: a.status.clone(),
        assignee: a.assignee.clone().unwrap_or_default(),
        deadline: a.deadline.clone(),
        overdue: a.overdue(today),
        outcome: a.outcome.clone().unwrap_or_default(),
        note: a.note.clone(),
        finding: a.finding.clone(),
    }
}
