//! One-door intake and online approval (一门受理、协同办理): the clerk's intake page, the
//! application with its one-time notice, department queues, the case page with its steps,
//! timeline and documents, the supervisor's deadline board, and the holiday calendar an
//! administrator edits.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use jiuzhu_app::cases::{NoteRequest, StepRequest, program_of_category, workflows};
use jiuzhu_db::cases::{self, Item};
use jiuzhu_db::households;
use jiuzhu_domain::calendar::WorkCalendar;
use jiuzhu_domain::workflow::{self, StepInput};
use jiuzhu_domain::{Money, Role, mask_id_str};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{PageUser, SignedIn};
use crate::error::WebError;
use crate::forms::{NoFields, Posted, answer};
use crate::forms::{field, form_pairs, inline_file, read_upload};
use crate::i18n::Lang;
use crate::pages::{Nav, nav};

mod applications;
mod calendar;
mod case;
mod changes;
mod documents;
mod intake;
mod online;
mod queues;

use self::applications::*;
use self::calendar::*;
use self::case::*;
use self::changes::*;
use self::documents::*;
use self::intake::*;
use self::online::*;
use self::queues::*;

use crate::pages::PageResult;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/intake", get(intake_page).post(intake_submit))
        .route("/applications", get(my_applications))
        .route("/applications/{id}", get(application_page))
        .route("/cases", get(queue_page))
        .route("/cases/board", get(board_page).post(board_notify))
        .route("/cases/notice.xlsx", get(notice_xlsx))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/step", post(step_submit))
        .route("/cases/{id}/note", post(note_submit))
        .route("/cases/{id}/authorisation", post(authorisation_submit))
        .route("/cases/{id}/documents/{kind}", get(document_page))
        .route("/case-files/{id}", get(case_file))
        .route("/admin/calendar", get(calendar_page).post(calendar_submit))
        .route("/admin/delegation", post(delegation_submit))
        .route("/apply", get(apply_page).post(apply_submit))
        .route(
            "/households/{id}/changes",
            get(change_page).post(change_submit),
        )
        .route("/cases/reviews", get(reviews_page))
        .route("/cases/reviews/export.xlsx", get(reviews_export))
        .route("/status", get(status_page).post(status_submit))
}

/// The calendar in force: the administrator's edited copy, else the shipped one.
pub async fn calendar(state: &AppState) -> WorkCalendar {
    jiuzhu_app::calendar::in_force(&state.db, &state.calendar).await
}

fn program_label(code: &str, lang: Lang) -> String {
    jiuzhu_domain::casework::program_label(code, lang == Lang::Zh).to_string()
}

fn department_label(code: &str, lang: Lang) -> String {
    lang.department(code)
}

fn step_label(code: &str, lang: Lang) -> String {
    lang.step(code)
}

/// green, amber (three working days or fewer left) or red (past the deadline).
pub fn deadline_colour(item: &Item, today: NaiveDate, cal: &WorkCalendar) -> &'static str {
    if item.status != "open" {
        return "done";
    }
    let today_s = today.to_string();
    // On the green channel, once aid is decided the paperwork deadline is the one that counts.
    let deadline = match (&item.paperwork_deadline, item.amount_fen) {
        (Some(p), Some(_)) if item.green_channel => p.as_str(),
        _ => item.deadline.as_str(),
    };
    if deadline < today_s.as_str() {
        "red"
    } else if deadline <= cal.add_working_days(today, 3).to_string().as_str() {
        "amber"
    } else {
        "green"
    }
}

/// An item as lists show it.
pub struct ItemRow {
    pub id: i64,
    pub application_id: i64,
    pub application_code: String,
    pub household_id: i64,
    pub household_code: String,
    pub program: String,
    pub program_label: String,
    pub department: String,
    pub region_code: String,
    pub status: String,
    pub step: String,
    pub step_label: String,
    pub deadline: String,
    pub colour: &'static str,
    pub taken_by: String,
    pub amount: String,
    pub green_channel: bool,
}

fn item_row(i: &Item, lang: Lang, today: NaiveDate, cal: &WorkCalendar) -> ItemRow {
    ItemRow {
        id: i.id,
        application_id: i.application_id,
        application_code: i.application_code.clone(),
        household_id: i.household_id,
        household_code: i.household_code.clone(),
        program: i.program.clone(),
        program_label: program_label(&i.program, lang),
        department: department_label(&i.department, lang),
        region_code: i.region_code.clone(),
        status: i.status.clone(),
        step: i.current_step().unwrap_or_default().to_string(),
        step_label: i
            .current_step()
            .map(|s| step_label(s, lang))
            .unwrap_or_default(),
        deadline: i.deadline.clone(),
        colour: deadline_colour(i, today, cal),
        taken_by: i.taken_by.clone(),
        amount: i
            .amount_fen
            .map(|f| Money::from_fen(f).to_string())
            .unwrap_or_default(),
        green_channel: i.green_channel,
    }
}
