//! Department feeds: types, declarations, imports, and a snapshot's rows.

use super::*;

pub struct FeedTypeRow {
    pub name: String,
    pub label: String,
    pub department: String,
    pub kind: String,
    pub columns: String,
    pub snapshots: usize,
    pub builtin: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "feeds.html")]
pub(super) struct FeedsTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    types: Vec<FeedTypeRow>,
    snapshots: Vec<(dbfeeds::Snapshot, String)>,
    can_import: bool,
    can_declare: bool,
    departments: Vec<(&'static str, &'static str, &'static str)>,
    today: String,
    message: String,
}

/// Snapshots as shown: when in China Standard Time, who by their label.
fn said(mut s: dbfeeds::Snapshot, lang: Lang) -> dbfeeds::Snapshot {
    s.imported_at = crate::views::short_time(&s.imported_at);
    s.imported_by = lang.actor(&s.imported_by);
    s
}

/// A feed type's label in `lang` (its name where none is declared).
async fn feed_label(state: &AppState, name: &str, lang: Lang) -> Result<String, WebError> {
    Ok(jiuzhu_app::monitoring::feed_types(&state.db)
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .map_or_else(
            || name.to_string(),
            |t| lang.pick(&t.label_zh, &t.label_en).to_string(),
        ))
}

pub(super) async fn render_feeds(state: &AppState, u: &SignedIn, message: String) -> PageResult {
    u.require(u.role.can_import_feeds() || u.role.can_read_alerts())?;
    let snapshots = dbfeeds::snapshots(&state.db, None).await?;
    let types: Vec<FeedTypeRow> = jiuzhu_app::monitoring::feed_types(&state.db)
        .await?
        .into_iter()
        .zip(dbfeeds::types(&state.db).await?)
        .map(|(t, rec)| FeedTypeRow {
            snapshots: snapshots.iter().filter(|s| s.feed_type == t.name).count(),
            label: match u.lang {
                Lang::Zh => t.label_zh.clone(),
                Lang::En => t.label_en.clone(),
            },
            columns: t
                .columns
                .iter()
                .map(|c| format!("{}:{}", c.name, c.ty.code()))
                .collect::<Vec<_>>()
                .join(", "),
            name: t.name,
            department: crate::views::departments_label(&t.department, u.lang),
            kind: match t.kind.as_str() {
                "events" => u.lang.t("feed_events").into(),
                "full" => u.lang.t("feed_full").into(),
                other => other.into(),
            },
            builtin: rec.builtin,
        })
        .collect();
    let labels: std::collections::HashMap<String, String> = types
        .iter()
        .map(|t| (t.name.clone(), t.label.clone()))
        .collect();
    let snapshots: Vec<(dbfeeds::Snapshot, String)> = snapshots
        .into_iter()
        .take(100)
        .map(|s| {
            let label = labels.get(&s.feed_type).cloned().unwrap_or_default();
            (said(s, u.lang), label)
        })
        .collect();
    let t = FeedsTemplate {
        lang: u.lang,
        title: u.lang.t("feeds").into(),
        nav: Some(nav(state, u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        types,
        snapshots,
        can_import: u.role.can_import_feeds(),
        can_declare: u.role.can_admin_monitoring(),
        departments: jiuzhu_domain::workflow::DEPARTMENTS.to_vec(),
        today: jiuzhu_db::today().to_string(),
        message,
    };
    Ok(t.into_response())
}

pub(super) async fn feeds_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<MessageQuery>,
) -> PageResult {
    render_feeds(&state, &u, q.message).await
}

pub(super) async fn feeds_import(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    m: Multipart,
) -> PageResult {
    let up = read_upload(m).await?;
    u.check_csrf(&field(&up.fields, "csrf"))?;
    u.require(u.role.can_import_feeds())?;
    let Some((name, _, bytes)) = up.files.into_iter().next() else {
        return render_feeds(
            &state,
            &u,
            "file: choose a CSV, XLSX or Parquet file".into(),
        )
        .await;
    };
    let ext = std::path::Path::new(&name)
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let tmp = std::env::temp_dir().join(format!(
        "jiuzhu-upload-{}-{}.{ext}",
        std::process::id(),
        crate::auth::new_token()
    ));
    std::fs::write(&tmp, &bytes).map_err(|e| WebError::Internal(e.to_string()))?;
    let result = jiuzhu_app::monitoring::import_feed(
        &state.db,
        &u.actor(),
        &crate::feed_importer(&u),
        &field(&up.fields, "feed_type"),
        field(&up.fields, "as_of").trim(),
        &tmp,
        Some(&name),
    )
    .await;
    let _ = std::fs::remove_file(&tmp);
    match result {
        Ok(r) => Ok(Redirect::to(&format!("/feeds/snapshots/{}", r.snapshot_id)).into_response()),
        Err(
            e @ (jiuzhu_app::AppError::Invalid(_)
            | jiuzhu_app::AppError::Conflict(_)
            | jiuzhu_app::AppError::Blocked(_)),
        ) => {
            let message = match e {
                jiuzhu_app::AppError::Invalid(f) | jiuzhu_app::AppError::Blocked(f) => {
                    f.message_in(u.lang == Lang::Zh)
                }
                e => e.to_string(),
            };
            let mut r = render_feeds(&state, &u, message).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(jiuzhu_app::AppError::Forbidden(m)) => {
            let mut r = render_feeds(&state, &u, m).await?;
            *r.status_mut() = axum::http::StatusCode::FORBIDDEN;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub(super) struct DeclareForm {
    name: String,
    label_zh: String,
    #[serde(default)]
    label_en: String,
    #[serde(default)]
    department: String,
    kind: String,
    id_column: String,
    columns: String,
    #[serde(default)]
    city_wide: String,
}

pub(super) async fn feeds_declare(
    State(state): State<AppState>,
    Posted(u, f): Posted<DeclareForm>,
) -> PageResult {
    u.require(u.role.can_admin_monitoring())?;
    let result = async {
        let ft = jiuzhu_monitor::feeds::FeedType {
            name: f.name.trim().to_string(),
            label_en: if f.label_en.trim().is_empty() {
                f.label_zh.trim().to_string()
            } else {
                f.label_en.trim().to_string()
            },
            label_zh: f.label_zh.trim().to_string(),
            department: f.department.trim().to_string(),
            kind: f.kind.clone(),
            id_column: f.id_column.trim().to_string(),
            columns: jiuzhu_monitor::feeds::FeedType::parse_columns(&f.columns)
                .map_err(jiuzhu_monitor::MonitorError::Invalid)?,
            city_wide: f.city_wide == "1",
        };
        jiuzhu_app::monitoring::declare_feed_type(&state.db, &u.actor(), &ft).await
    }
    .await;
    // A name already taken is refused like any other field of the form.
    let result = result.map_err(|e| match e {
        jiuzhu_app::AppError::Conflict(m) => jiuzhu_app::AppError::invalid(m),
        e => e,
    });
    answer(
        u.lang,
        result,
        |()| "/feeds".to_string(),
        |m| render_feeds(&state, &u, m),
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "snapshot.html")]
pub(super) struct SnapshotTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    s: dbfeeds::Snapshot,
    feed_label: String,
    refused: Vec<jiuzhu_monitor::feeds::RowError>,
}

pub(super) async fn snapshot_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    u.require(u.role.can_import_feeds() || u.role.can_read_alerts())?;
    let s = dbfeeds::snapshot(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    let refused = serde_json::from_str(&s.report).unwrap_or_default();
    let t = SnapshotTemplate {
        lang: u.lang,
        title: format!("{} #{id}", u.lang.t("snapshot")),
        nav: Some(nav(&state, &u).await),
        feed_label: feed_label(&state, &s.feed_type, u.lang).await?,
        s: said(s, u.lang),
        refused,
    };
    Ok(t.into_response())
}
