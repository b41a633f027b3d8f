//! A household's verification (核对): authorisations with their scans, the query, the frozen report and its findings accepted as evidence.

use super::*;

pub struct AuthView {
    pub id: i64,
    pub signer_name: String,
    pub signer_id_number: String,
    pub scope: String,
    pub signed_on: String,
    pub scan_name: String,
    pub scan_sha256: String,
    pub recorded_by: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "verification.html")]
pub(super) struct VerificationTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    household_id: i64,
    household_code: String,
    /// (person id, name and masked ID number) of each current member.
    members: Vec<(i64, String)>,
    auths: Vec<AuthView>,
    reports: Vec<verification::Report>,
    can_verify: bool,
    today: String,
    message: String,
}

pub(super) async fn render_verification(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    message: String,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    let mut rec = households::get(&state.db, &u.scope, id)
        .await?
        .ok_or(WebError::NotFound)?;
    crate::views::names_for_viewer(&mut rec, u.role.sees_full_names());
    let auths = verification::authorisations(&state.db, &u.scope, id).await?;
    let t = VerificationTemplate {
        lang: u.lang,
        title: format!("{} {}", u.lang.t("verification"), rec.household.code),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        household_id: id,
        household_code: rec.household.code.clone(),
        members: rec
            .current_members()
            .map(|m| {
                (
                    m.person_id,
                    format!("{} {}", m.name, mask_id_str(&m.id_number)),
                )
            })
            .collect(),
        auths: auths
            .into_iter()
            .map(|a| AuthView {
                id: a.id,
                signer_name: crate::views::name_for(&a.signer_name, u.role.sees_full_names()),
                signer_id_number: mask_id_str(&a.signer_id_number),
                scope: a.scope,
                signed_on: a.signed_on,
                scan_name: a.scan_name,
                scan_sha256: a.scan_sha256,
                recorded_by: a.recorded_by,
            })
            .collect(),
        reports: verification::reports(&state.db, &u.scope, id).await?,
        can_verify: u.role.can_write_registry(),
        today: jiuzhu_db::today().to_string(),
        message,
    };
    Ok(t.into_response())
}

pub(super) async fn verification_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<MessageQuery>,
) -> PageResult {
    render_verification(&state, &u, id, q.message).await
}

pub(super) async fn invalid_or(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    r: jiuzhu_app::Result<()>,
) -> PageResult {
    answer(
        u.lang,
        r,
        |()| format!("/households/{id}/verification"),
        |m| render_verification(state, u, id, m),
    )
    .await
}

/// The authorisation form's upload (signer, name, scope, date, scan), its CSRF token
/// checked; shared by the household's verification page and the case page.
pub(crate) async fn authorisation_form(
    u: &SignedIn,
    m: Multipart,
) -> Result<verification::NewAuthorisation, PageError> {
    let up = read_upload(m).await?;
    u.check_csrf(&field(&up.fields, "csrf"))?;
    let (scan_name, scan_type, scan) = up.files.into_iter().next().unwrap_or_default();
    Ok(verification::NewAuthorisation {
        signer_name: field(&up.fields, "signer_name"),
        signer_person_id: field(&up.fields, "signer").trim().parse().unwrap_or(0),
        scope: field(&up.fields, "scope"),
        signed_on: field(&up.fields, "signed_on"),
        scan_name,
        scan_type,
        scan,
    })
}

pub(super) async fn authorisation_submit(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
    m: Multipart,
) -> PageResult {
    let a = authorisation_form(&u, m).await?;
    let r = jiuzhu_app::authorisations::record(&state.db, &u.acting(), id, &a).await;
    invalid_or(&state, &u, id, r.map(drop)).await
}

pub(super) async fn authorisation_scan(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let (name, ty, bytes) = jiuzhu_app::authorisations::scan(&state.db, &u.acting(), id)
        .await
        .map_err(WebError::from)?;
    Ok(inline_file(&name, ty, bytes))
}

#[derive(Deserialize)]
pub(super) struct VerifyForm {
    #[serde(default)]
    authorisation: String,
    #[serde(default)]
    purpose: String,
}

pub(super) async fn verify_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, f): Posted<VerifyForm>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let auth: i64 = f.authorisation.parse().unwrap_or(0);
    let r = jiuzhu_app::verification::verify(
        &state.db,
        &u.scope,
        &u.actor(),
        id,
        auth,
        f.purpose.trim(),
        jiuzhu_db::today(),
    )
    .await;
    match r {
        Ok(report) => Ok(Redirect::to(&format!("/verification/{report}")).into_response()),
        Err(e) => invalid_or(&state, &u, id, Err(e)).await,
    }
}

pub struct SourceView {
    pub label: String,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
}

pub struct PersonView {
    pub name: String,
    pub id_number: String,
    pub role: String,
    pub sources: Vec<SourceView>,
}

#[derive(Template, WebTemplate)]
#[template(path = "verification_report.html")]
pub(super) struct ReportTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    stored: verification::Report,
    household_code: String,
    feeds_queried: String,
    persons: Vec<PersonView>,
    contradictions: Vec<(usize, jiuzhu_app::verification::Contradiction)>,
    can_accept: bool,
    message: String,
    feed_names: std::collections::HashMap<String, String>,
}

impl ReportTemplate {
    /// A feed's label (its name where none is declared).
    fn feed(&self, name: &str) -> String {
        self.feed_names
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.into())
    }
}

pub(super) async fn render_report(
    state: &AppState,
    u: &SignedIn,
    id: i64,
    message: String,
) -> PageResult {
    let (stored, r) = jiuzhu_app::verification::view_report(&state.db, &u.acting(), id)
        .await
        .map_err(WebError::from)?;
    let feed_names: std::collections::HashMap<String, String> =
        jiuzhu_app::monitoring::feed_types(&state.db)
            .await?
            .into_iter()
            .map(|t| {
                let label = u.lang.pick(&t.label_zh, &t.label_en).to_string();
                (t.name, label)
            })
            .collect();
    let persons = r
        .persons
        .iter()
        .map(|p| PersonView {
            name: crate::views::name_for(&p.name, u.role.sees_full_names()),
            id_number: mask_id_str(&p.id_number),
            role: p.role.clone(),
            sources: p
                .sources
                .iter()
                .map(|s| SourceView {
                    label: feed_names
                        .get(&s.label)
                        .cloned()
                        .unwrap_or_else(|| s.label.clone()),
                    columns: s
                        .columns
                        .iter()
                        .map(|c| {
                            jiuzhu_domain::describe::key_label(c, u.lang == Lang::Zh)
                                .map_or_else(|| c.clone(), str::to_string)
                        })
                        .collect(),
                    // Every ID and mobile number in a department's row is shown masked,
                    // whatever its column is called.
                    rows: s
                        .rows
                        .iter()
                        .map(|(d, cells)| {
                            (d.clone(), cells.iter().map(|c| mask_ids_in(c)).collect())
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let t = ReportTemplate {
        lang: u.lang,
        title: format!("{} #{id}", u.lang.t("verification_report")),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        household_code: r.household_code.clone(),
        feeds_queried: r
            .feeds_queried
            .iter()
            .map(|f| feed_names.get(f).cloned().unwrap_or_else(|| f.clone()))
            .collect::<Vec<_>>()
            .join(u.lang.pick("、", ", ")),
        persons,
        contradictions: r
            .contradictions
            .iter()
            .cloned()
            .map(|mut c| {
                c.name = crate::views::name_for(&c.name, u.role.sees_full_names());
                c
            })
            .enumerate()
            .collect(),
        can_accept: u.role.can_write_registry(),
        stored,
        message,
        feed_names,
    };
    Ok(t.into_response())
}

pub(super) async fn report_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    render_report(&state, &u, id, String::new()).await
}

pub(super) async fn accept_submit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Posted(u, pairs): Posted<Vec<(String, String)>>,
) -> PageResult {
    u.require(u.role.can_write_registry())?;
    let picked: Vec<usize> = pairs
        .iter()
        .filter(|(k, _)| k == "finding")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    if picked.is_empty() {
        return render_report(&state, &u, id, "finding: select at least one".into()).await;
    }
    match jiuzhu_app::verification::accept(&state.db, &u.scope, &u.actor(), id, &picked).await {
        Ok(ids) => {
            render_report(
                &state,
                &u,
                id,
                format!("{} {}", u.lang.t("accepted_n"), ids.len()),
            )
            .await
        }
        Err(jiuzhu_app::AppError::Invalid(m)) => render_report(&state, &u, id, m.to_string()).await,
        Err(e) => Err(e.into()),
    }
}
