//! Households under `/api/v1/households`: list, create, read, update, members, evidence and
//! the audited reveal of a masked field.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiuzhu_app::registry::HouseholdForm;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::ApiUser;
use crate::error::{ErrorBody, WebError};
use crate::i18n::Lang;
use crate::pages::{SearchParams, household_rows, search_query};
use crate::views::{HouseholdRow, HouseholdView};

/// Query of the household list.
#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// An ID number (exact), a household number, or a name (prefix).
    q: Option<String>,
    /// A region code inside the caller's scope.
    #[param(schema_with = crate::contract::region)]
    region: Option<String>,
    /// 1-based page of 50.
    #[param(schema_with = crate::contract::page)]
    page: Option<i64>,
}

/// A page of households.
#[derive(Serialize, ToSchema)]
pub struct HouseholdPage {
    pub total: i64,
    pub page: i64,
    pub items: Vec<HouseholdRow>,
}

#[utoipa::path(get, path = "/api/v1/households", params(ListParams),
    responses((status = 200, body = HouseholdPage), (status = 401, body = ErrorBody)))]
pub(super) async fn list_households(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Query(p): Query<ListParams>,
) -> Result<Json<HouseholdPage>, WebError> {
    u.require(u.role.can_read_registry())?;
    crate::contract::check_page(p.page)?;
    crate::contract::check_region(p.region.as_deref())?;
    let params = SearchParams {
        q: p.q.unwrap_or_default(),
        region: p.region.unwrap_or_default(),
        page: p.page,
    };
    let (items, total) = household_rows(&state, &u, &search_query(&params, 50)).await?;
    Ok(Json(HouseholdPage {
        total,
        page: p.page.unwrap_or(1).max(1),
        items,
    }))
}

/// A person to register.
#[derive(Deserialize, ToSchema)]
pub struct PersonInput {
    #[schema(schema_with = crate::contract::id_number)]
    pub id_number: String,
    #[schema(schema_with = crate::contract::name)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = crate::contract::phone)]
    pub phone: String,
}

/// A household's own fields.
#[derive(Deserialize, ToSchema)]
pub struct HouseholdInput {
    /// Household number; generated when absent.
    #[schema(schema_with = crate::contract::household_code)]
    pub code: Option<String>,
    /// 12-digit village code.
    #[schema(schema_with = crate::contract::village)]
    pub region_code: String,
    /// `urban` or `rural`.
    #[schema(schema_with = crate::contract::hukou)]
    pub hukou: String,
    #[serde(default)]
    #[schema(schema_with = crate::contract::line)]
    pub address: String,
    #[serde(default)]
    #[schema(schema_with = crate::contract::line)]
    pub bank_name: String,
    /// Digits; on update, absent or empty keeps the stored account.
    #[serde(default)]
    #[schema(schema_with = crate::contract::bank_account)]
    pub bank_account: String,
}

/// A new household: its fields and its head.
#[derive(Deserialize, ToSchema)]
pub struct NewHouseholdInput {
    #[serde(flatten)]
    pub household: HouseholdInput,
    pub head: PersonInput,
}

/// The id of what was created.
#[derive(Serialize, ToSchema)]
pub struct Created {
    pub id: i64,
}

pub(super) fn invalid(field: &str, msg: impl std::fmt::Display) -> WebError {
    WebError::Invalid(format!("{field}: {msg}"))
}

/// The household's fields as sent, in the form the registry's use cases check (the same
/// checks as the page's form). The documented shape is held here: a phone with spaces
/// around it is not a phone the schema allows.
fn household_form(
    b: &HouseholdInput,
    head: Option<&PersonInput>,
) -> Result<HouseholdForm, WebError> {
    if let Some(p) = head {
        crate::contract::check_phone(&p.phone)?;
    }
    Ok(HouseholdForm {
        head_id_number: head.map(|p| p.id_number.clone()).unwrap_or_default(),
        head_name: head.map(|p| p.name.clone()).unwrap_or_default(),
        head_phone: head.map(|p| p.phone.clone()).unwrap_or_default(),
        region_code: b.region_code.clone(),
        hukou: b.hukou.clone(),
        address: b.address.clone(),
        bank_name: b.bank_name.clone(),
        bank_account: b.bank_account.clone(),
    })
}

#[utoipa::path(post, path = "/api/v1/households", request_body = NewHouseholdInput,
    responses((status = 201, body = Created), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn create_household(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    crate::extract::JsonBody(b): crate::extract::JsonBody<NewHouseholdInput>,
) -> Result<Response, WebError> {
    let acting = u.acting();
    jiuzhu_app::registry::check_placement(&state.db, &acting, None, &b.household.region_code)
        .await?;
    let form = household_form(&b.household, Some(&b.head))?;
    let code = b.household.code.as_deref();
    let id = jiuzhu_app::registry::register_household(&state.db, &u.acting(), &form, code).await?;
    Ok((StatusCode::CREATED, Json(Created { id })).into_response())
}

/// Query of one household.
#[derive(Deserialize, IntoParams)]
pub struct AsOfParams {
    /// Show the household as it stood on this date (YYYY-MM-DD).
    #[param(schema_with = crate::contract::date)]
    as_of: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/households/{id}", params(("id" = i64, Path), AsOfParams),
    responses((status = 200, body = HouseholdView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn get_household(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    Query(p): Query<AsOfParams>,
) -> Result<Json<HouseholdView>, WebError> {
    let as_of = p
        .as_of
        .as_deref()
        .map(|s| jiuzhu_domain::parse_date(s).map_err(|e| invalid("as_of", e)))
        .transpose()?;
    let jiuzhu_app::registry::HouseholdShown {
        shown, as_of, path, ..
    } = jiuzhu_app::registry::view_household(&state.db, &u.acting(), id, as_of, Some("api"))
        .await?;
    Ok(Json(HouseholdView::from(
        &shown,
        path,
        as_of,
        jiuzhu_db::today(),
        u.lang,
    )))
}

#[utoipa::path(put, path = "/api/v1/households/{id}", params(("id" = i64, Path)), request_body = HouseholdInput,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn update_household(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    crate::extract::JsonBody(b): crate::extract::JsonBody<HouseholdInput>,
) -> Result<StatusCode, WebError> {
    jiuzhu_app::registry::check_placement(&state.db, &u.acting(), Some(id), &b.region_code).await?;
    let form = household_form(&b, None)?;
    jiuzhu_app::registry::update_household(&state.db, &u.acting(), id, &form).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member to add.
#[derive(Deserialize, ToSchema)]
pub struct MemberInput {
    pub person: PersonInput,
    /// head, spouse, child, parent, grandchild, grandparent, sibling, child_in_law, other.
    #[schema(schema_with = crate::contract::relation)]
    pub relation: String,
    /// YYYY-MM-DD; today when absent.
    #[schema(schema_with = crate::contract::date_or_null)]
    pub valid_from: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/households/{id}/members", params(("id" = i64, Path)), request_body = MemberInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn add_member(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    crate::extract::JsonBody(b): crate::extract::JsonBody<MemberInput>,
) -> Result<Response, WebError> {
    crate::contract::check_phone(&b.person.phone)?;
    if b.valid_from.as_deref() == Some("") {
        return Err(invalid(
            "valid_from",
            "a date YYYY-MM-DD, or null for today",
        ));
    }
    let form = jiuzhu_app::registry::MemberForm {
        id_number: b.person.id_number,
        name: b.person.name,
        phone: b.person.phone,
        relation: b.relation,
        valid_from: b.valid_from.unwrap_or_default(),
    };
    let mid = jiuzhu_app::registry::add_member(&state.db, &u.acting(), id, &form).await?;
    Ok((StatusCode::CREATED, Json(Created { id: mid })).into_response())
}

/// A member's corrected name and phone.
#[derive(Deserialize, ToSchema)]
pub struct MemberUpdate {
    #[schema(schema_with = crate::contract::name)]
    pub name: String,
    #[serde(default)]
    #[schema(schema_with = crate::contract::phone)]
    pub phone: String,
}

#[utoipa::path(put, path = "/api/v1/households/{id}/members/{person_id}", params(("id" = i64, Path), ("person_id" = i64, Path)), request_body = MemberUpdate,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn update_member(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path((id, person_id)): Path<(i64, i64)>,
    crate::extract::JsonBody(b): crate::extract::JsonBody<MemberUpdate>,
) -> Result<StatusCode, WebError> {
    crate::contract::check_phone(&b.phone)?;
    let acting = u.acting();
    jiuzhu_app::registry::update_person(&state.db, &acting, id, person_id, &b.name, Some(&b.phone))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Evidence to record; the current record of the same kind is ended where this begins.
#[derive(Deserialize)]
pub struct EvidenceInput {
    /// `household` or a member's person id.
    pub subject: String,
    /// e.g. income.wage, property.vehicle, health.
    pub kind: String,
    /// Money as yuan ("2300.00"), counts, flags (0/1) or codes.
    pub value: String,
    /// declared, verified or home_visit.
    pub source: String,
    pub valid_from: Option<String>,
    #[serde(default)]
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/households/{id}/evidence", params(("id" = i64, Path)), request_body = EvidenceInput,
    responses((status = 201, body = Created), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub(super) async fn record_evidence(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    crate::extract::JsonBody(b): crate::extract::JsonBody<EvidenceInput>,
) -> Result<Response, WebError> {
    if b.valid_from.as_deref() == Some("") {
        return Err(invalid(
            "valid_from",
            "a date YYYY-MM-DD, or null for today",
        ));
    }
    let form = jiuzhu_app::registry::EvidenceForm {
        subject: b.subject,
        kind: b.kind,
        value: b.value,
        source: b.source,
        valid_from: b.valid_from.unwrap_or_default(),
        note: b.note,
    };
    let eid = jiuzhu_app::registry::record_evidence(&state.db, &u.acting(), id, &form).await?;
    Ok((StatusCode::CREATED, Json(Created { id: eid })).into_response())
}

/// Which value to show in full.
#[derive(Deserialize)]
pub struct RevealInput {
    /// id_number, phone or bank_account.
    pub field: String,
    /// The member, for id_number and phone.
    pub person_id: Option<i64>,
}

crate::contract::schema_type!(EvidenceInput);
crate::contract::schema_type!(RevealInput);

/// The full value; the read is in the audit log.
#[derive(Serialize, ToSchema)]
pub struct RevealOutput {
    pub value: String,
}

#[utoipa::path(post, path = "/api/v1/households/{id}/reveal", params(("id" = i64, Path)), request_body = RevealInput,
    responses((status = 200, body = RevealOutput), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(super) async fn reveal(
    State(state): State<AppState>,
    ApiUser(u): ApiUser,
    Path(id): Path<i64>,
    crate::extract::JsonBody(b): crate::extract::JsonBody<RevealInput>,
) -> Result<Json<RevealOutput>, WebError> {
    let (_, value) =
        jiuzhu_app::registry::reveal(&state.db, &u.acting(), id, b.person_id, &b.field).await?;
    Ok(Json(RevealOutput { value }))
}

/// A household list as an XLSX ledger (台账), masked, written a row at a time into a
/// constant-memory worksheet (rows go to a temporary file, so a city's list fits).
pub struct HouseholdSheet {
    book: rust_xlsxwriter::Workbook,
    rows: u32,
}

impl HouseholdSheet {
    const HEADS: [&'static str; 8] = [
        "household_code",
        "head",
        "id_number",
        "phone",
        "size",
        "region",
        "hukou",
        "address",
    ];
    const WIDTHS: [f64; 8] = [14.0, 10.0, 20.0, 14.0, 6.0, 24.0, 8.0, 36.0];

    pub fn new(lang: Lang) -> Result<HouseholdSheet, rust_xlsxwriter::XlsxError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (c, (h, w)) in Self::HEADS.iter().zip(Self::WIDTHS).enumerate() {
            sheet.set_column_width(c as u16, w)?;
            sheet.write_string_with_format(0, c as u16, lang.t(h), &bold)?;
        }
        Ok(HouseholdSheet { book, rows: 0 })
    }

    pub fn push(&mut self, r: &HouseholdRow) -> Result<(), rust_xlsxwriter::XlsxError> {
        let row = self.rows + 1;
        let sheet = self.book.worksheet_from_index(0)?;
        sheet.write_string(row, 0, &r.code)?;
        sheet.write_string(row, 1, &r.head_name)?;
        sheet.write_string(row, 2, &r.head_id_number)?;
        sheet.write_string(row, 3, &r.head_phone)?;
        sheet.write_number(row, 4, r.size as f64)?;
        sheet.write_string(row, 5, &r.region_name)?;
        sheet.write_string(row, 6, &r.hukou)?;
        sheet.write_string(row, 7, &r.address)?;
        self.rows = row;
        Ok(())
    }

    /// The number of households written so far.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    pub fn finish(mut self) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        self.book.save_to_buffer()
    }
}
