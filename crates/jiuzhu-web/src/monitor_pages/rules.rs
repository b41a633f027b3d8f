//! Rule statistics (raised, closed, false alarms per rule), runs, and a run started by hand.

use super::*;

pub struct StatsRow {
    pub rule: String,
    pub label: String,
    pub severity: String,
    pub action: String,
    pub raised: i64,
    pub open: i64,
    pub closed: i64,
    pub false_alarms: i64,
    pub false_share: String,
    pub overdue: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "rules.html")]
pub(super) struct RulesTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    csrf: String,
    stats: Vec<StatsRow>,
    runs: Vec<monitoring::Run>,
    params: Vec<(String, String)>,
    counties: Vec<(String, String, String)>,
    can_run: bool,
    last_month: String,
    message: String,
}

#[derive(Deserialize, Default)]
pub(super) struct MessageQuery {
    #[serde(default)]
    pub(super) message: String,
}

pub(super) async fn rules_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Query(q): Query<MessageQuery>,
) -> PageResult {
    u.require(u.role.can_read_alerts())?;
    let today = jiuzhu_db::today();
    let set = rule_set();
    let stats = monitoring::rule_stats(&state.db, &u.scope, &today.to_string()).await?;
    let rows = set
        .rules
        .iter()
        .map(|r| {
            let s = stats
                .iter()
                .find(|s| s.rule == r.name)
                .cloned()
                .unwrap_or_default();
            StatsRow {
                rule: r.name.clone(),
                label: rule_label(set, &r.name, u.lang),
                severity: r.meta.severity.clone(),
                action: r.meta.action.clone(),
                raised: s.raised,
                open: s.open,
                closed: s.closed,
                false_alarms: s.false_alarms,
                false_share: s
                    .false_alarm_permille()
                    .map(|p| format!("{}.{}%", p / 10, p % 10))
                    .unwrap_or_else(|| "—".into()),
                overdue: s.overdue,
            }
        })
        .collect();
    let prev = jiuzhu_monitor::Month::parse(&today.format("%Y-%m").to_string())
        .map(|m| m.previous().label())
        .unwrap_or_default();
    let zh = u.lang == Lang::Zh;
    let param =
        |k: &String| jiuzhu_monitor::param_label(k, zh).map_or_else(|| k.clone(), str::to_string);
    let county_codes: Vec<String> = set.counties.keys().cloned().collect();
    let county_names = jiuzhu_db::regions::names(&state.db, &county_codes).await?;
    let mut runs = monitoring::runs(&state.db, 20).await?;
    for r in &mut runs {
        r.finished_at = crate::views::short_time(&r.finished_at);
        r.started_by = u.lang.actor(&r.started_by);
        r.via = match r.via.as_str() {
            "schedule" => u.lang.t("via_schedule").into(),
            "manual" => u.lang.t("via_manual").into(),
            other => other.into(),
        };
    }
    let t = RulesTemplate {
        lang: u.lang,
        title: u.lang.t("rules").into(),
        nav: Some(nav(&state, &u).await),
        csrf: u.csrf.clone().unwrap_or_default(),
        stats: rows,
        runs,
        params: set
            .params
            .iter()
            .map(|(k, v)| (param(k), v.clone()))
            .collect(),
        counties: set
            .counties
            .iter()
            .flat_map(|(c, m)| {
                let county = county_names.get(c).cloned().unwrap_or_else(|| c.clone());
                m.iter()
                    .map(move |(k, v)| (county.clone(), k.clone(), v.clone()))
            })
            .map(|(c, k, v)| (c, param(&k), v))
            .collect(),
        can_run: u.role.can_admin_monitoring(),
        last_month: prev,
        message: q.message,
    };
    Ok(t.into_response())
}

/// The rules' figures (raised, open, closed, false alarms, overdue) as an XLSX file.
pub(super) async fn rules_export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> Result<axum::response::Response, crate::pages::PageError> {
    u.require(u.role.can_read_alerts())?;
    let today = jiuzhu_db::today();
    let set = rule_set();
    let stats = monitoring::rule_stats(&state.db, &u.scope, &today.to_string()).await?;
    let l = u.lang;
    let heads: Vec<String> = [
        "rule",
        "severity",
        "suggested_action",
        "raised",
        "open",
        "closed",
        "false_alarm",
        "false_share",
        "overdue",
    ]
    .iter()
    .map(|k| l.t(k).to_string())
    .collect();
    let cells: Vec<Vec<String>> = set
        .rules
        .iter()
        .map(|r| {
            let s = stats
                .iter()
                .find(|s| s.rule == r.name)
                .cloned()
                .unwrap_or_default();
            vec![
                rule_label(set, &r.name, l),
                l.t(&r.meta.severity).to_string(),
                l.t(&r.meta.action).to_string(),
                s.raised.to_string(),
                s.open.to_string(),
                s.closed.to_string(),
                s.false_alarms.to_string(),
                s.false_alarm_permille()
                    .map(|p| format!("{}.{}%", p / 10, p % 10))
                    .unwrap_or_else(|| "—".into()),
                s.overdue.to_string(),
            ]
        })
        .collect();
    let bytes = crate::export::workbook(&heads, &cells)?;
    jiuzhu_app::registry::record_list_export(
        &state.db,
        &u.acting(),
        "rules.xlsx",
        serde_json::json!({"rows": cells.len()}),
    )
    .await
    .map_err(WebError::from)?;
    Ok(crate::export::download("rules.xlsx", bytes))
}

#[derive(Deserialize)]
pub(super) struct RunForm {
    month: String,
}

pub(super) async fn rules_run(
    State(state): State<AppState>,
    Posted(u, f): Posted<RunForm>,
) -> PageResult {
    u.require(u.role.can_admin_monitoring())?;
    let message = match jiuzhu_monitor::Month::parse(f.month.trim()) {
        Err(e) => format!("month: {e}"),
        Ok(month) => {
            let (r, granted) = jiuzhu_app::grants::run_month(
                &state.db,
                &u.actor(),
                rule_set(),
                month,
                "manual",
                jiuzhu_db::today(),
                &crate::case_pages::calendar(&state).await,
            )
            .await?;
            format!(
                "{} {}: {} {}, {} {}, {granted} {}",
                u.lang.t("run_done"),
                month.label(),
                r.findings,
                u.lang.t("findings"),
                r.new_alerts,
                u.lang.t("new_alerts"),
                u.lang.t("grants_proposed")
            )
        }
    };
    Ok(Redirect::to(&format!(
        "/rules?message={}",
        url::form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>()
    ))
    .into_response())
}
