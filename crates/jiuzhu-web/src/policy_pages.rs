//! The policy pages: a shipped pack's programs, parameters (with each value's history and
//! legal reference) and variables (with their formulas), readable by any signed-in user.

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use jiuzhu_policy::pack::ParamValues;

use crate::AppState;
use crate::auth::PageUser;
use crate::error::WebError;
use crate::i18n::Lang;
use crate::pages::{Nav, PageError, nav};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/policy",
            get(|| async {
                Redirect::to(&format!("/policy/{}", jiuzhu_policy::shipped::NAMES[0]))
            }),
        )
        .route("/policy/{pack}", get(pack_page))
        .route("/ranking", get(ranking_page))
        .route("/ranking/export.xlsx", get(ranking_export))
        .route("/simulate", get(simulate_page))
}

struct ProgramRow {
    code: String,
    label: String,
    department: String,
    eligible: String,
    amount: String,
    period: String,
}

struct ParameterRow {
    name: String,
    label: String,
    unit: String,
    reference: String,
    illustrative: bool,
    regional: bool,
    history: Vec<(String, String)>,
}

struct VariableRow {
    name: String,
    label: String,
    entity: String,
    formula: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "policy.html")]
struct PolicyTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    packs: Vec<(&'static str, String)>,
    pack_name: String,
    pack_label: String,
    version: String,
    reference: String,
    programs: Vec<ProgramRow>,
    parameters: Vec<ParameterRow>,
    variables: Vec<VariableRow>,
}

/// A pack's label in the user's language (English where no Chinese is written).
fn label_in(lang: Lang, l: &jiuzhu_policy::pack::Label) -> String {
    if lang == Lang::Zh && !l.zh.is_empty() {
        l.zh.clone()
    } else {
        l.en.clone()
    }
}

/// A parameter with every dated value, a table's rows on one line, and its regional values.
fn parameter_row(p: &jiuzhu_policy::pack::Parameter, lang: Lang) -> ParameterRow {
    let mut history: Vec<(String, String)> = match &p.values {
        ParamValues::Scalar(v) => v
            .iter()
            .map(|(d, x)| (d.to_string(), x.normalize().to_string()))
            .collect(),
        ParamValues::Table(v) => v
            .iter()
            .map(|(d, t)| {
                let rows: Vec<String> = t
                    .iter()
                    .map(|(r, cols)| {
                        format!(
                            "{r}: {}",
                            cols.iter()
                                .map(|(c, x)| format!("{c}={}", x.normalize()))
                                .collect::<Vec<_>>()
                                .join(" ")
                        )
                    })
                    .collect();
                (d.to_string(), rows.join("; "))
            })
            .collect(),
    };
    for (region, values) in &p.by_region {
        history.extend(
            values
                .iter()
                .map(|(d, x)| (format!("{region} {d}"), x.normalize().to_string())),
        );
    }
    ParameterRow {
        name: p.name.clone(),
        label: label_in(lang, &p.label),
        unit: lang.unit(&p.unit),
        reference: p.reference.clone(),
        illustrative: p.illustrative,
        regional: p.regional,
        history,
    }
}

async fn pack_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path(name): Path<String>,
) -> Result<Response, PageError> {
    let engine = jiuzhu_policy::shipped_engine(&name)
        .ok_or(WebError::NotFound)?
        .map_err(|e| WebError::Internal(format!("shipped pack {name}: {e:?}")))?;
    let lang = u.lang;
    let pick = |l: &jiuzhu_policy::pack::Label| label_in(lang, l);
    let pack = &engine.pack;
    let parameters = pack
        .parameters
        .iter()
        .map(|p| parameter_row(p, lang))
        .collect();
    let t = PolicyTemplate {
        lang,
        title: lang.t("policy").into(),
        nav: Some(nav(&state, &u).await),
        packs: jiuzhu_policy::shipped::NAMES
            .iter()
            .map(|p| (*p, lang.unit(p)))
            .collect(),
        pack_name: pack.name.clone(),
        pack_label: pick(&pack.label),
        version: pack.version.clone(),
        reference: pack.reference.clone(),
        programs: pack
            .programs
            .iter()
            .map(|p| ProgramRow {
                code: p.code.clone(),
                label: pick(&p.label),
                department: lang.department(&p.department),
                eligible: p.eligible.clone(),
                amount: p.amount.clone(),
                period: lang.unit(&p.period),
            })
            .collect(),
        parameters,
        variables: pack
            .variables
            .iter()
            .map(|v| VariableRow {
                name: v.name.clone(),
                label: pick(&v.label),
                entity: lang.unit(&format!("{:?}", v.entity).to_lowercase()),
                formula: v.source.clone(),
            })
            .collect(),
    };
    Ok(t.into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct RankingQuery {
    #[serde(default)]
    region: String,
    #[serde(default)]
    hukou: String,
    disabled: Option<String>,
    #[serde(default)]
    circles: String,
    page: Option<usize>,
}

#[derive(Template, WebTemplate)]
#[template(path = "ranking.html")]
struct RankingTemplate {
    page: usize,
    pages: usize,
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    region: String,
    hukou: String,
    disabled: bool,
    circles: String,
    total: usize,
    failed: usize,
    pack: &'static str,
    rows: Vec<(usize, String, jiuzhu_app::prescription::Ranked, String)>,
}

/// The hardship ranking (困难指数排序) of a region inside the user's scope, hardest first,
/// filtered by the attributes a department targets.
/// Households ranked as the query asks, at most `limit`: (rank, index, household, region
/// name), with the region, how many were ranked and how many could not be evaluated.
type Ranked = Vec<(usize, String, jiuzhu_app::prescription::Ranked, String)>;
async fn ranked(
    state: &AppState,
    u: &crate::auth::SignedIn,
    q: &RankingQuery,
    limit: usize,
) -> Result<(String, usize, usize, Ranked), WebError> {
    let filter = jiuzhu_app::prescription::RankingFilter {
        region: q.region.clone(),
        hukou: q.hukou.clone(),
        disabled: q.disabled.is_some(),
        circles: q
            .circles
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect(),
    };
    let jiuzhu_app::prescription::Ranking {
        region,
        total,
        failed,
        rows: ranked,
    } = jiuzhu_app::prescription::ranking(&state.db, &u.acting(), &filter, limit)
        .await
        .map_err(WebError::from)?;
    let codes: Vec<String> = ranked.iter().map(|r| r.region_code.clone()).collect();
    let names = jiuzhu_db::regions::names(&state.db, &codes).await?;
    let rows = ranked
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let name = names.get(&r.region_code).cloned().unwrap_or_default();
            let index = r.index.round_dp(1).normalize().to_string();
            (i + 1, index, r, name)
        })
        .collect();
    Ok((region, total, failed, rows))
}

/// Rows of the ranking on one page.
const RANKING_PAGE: usize = 100;

/// The ranking with its filters as an XLSX file: every ranked household (names masked as on
/// the page), the export audited.
pub async fn ranking_export(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    axum::extract::Query(q): axum::extract::Query<RankingQuery>,
) -> Result<Response, PageError> {
    let (_, _, _, rows) = ranked(&state, &u, &q, crate::export::MAX_ROWS).await?;
    let l = u.lang;
    let heads: Vec<String> = [
        "hardship_index",
        "household_code",
        "head",
        "region",
        "hukou",
        "size",
        "status",
        "circle",
    ]
    .iter()
    .map(|k| l.t(k).to_string())
    .collect();
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|(_, index, r, name)| {
            vec![
                index.clone(),
                r.code.clone(),
                r.head.clone(),
                name.clone(),
                l.hukou(&r.hukou),
                r.size.to_string(),
                l.category(&r.status),
                r.circle.clone(),
            ]
        })
        .collect();
    let bytes = crate::export::workbook(&heads, &cells)?;
    jiuzhu_app::registry::record_list_export(
        &state.db,
        &u.acting(),
        "ranking.xlsx",
        serde_json::json!({"region": q.region, "hukou": q.hukou, "circles": q.circles, "rows": cells.len()}),
    )
    .await
    .map_err(WebError::from)?;
    Ok(crate::export::download("ranking.xlsx", bytes))
}

pub async fn ranking_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    axum::extract::Query(q): axum::extract::Query<RankingQuery>,
) -> Result<Response, PageError> {
    let page = q.page.unwrap_or(1).max(1);
    let (region, total, failed, mut rows) = ranked(&state, &u, &q, page * RANKING_PAGE).await?;
    let rows: Ranked = rows.split_off(((page - 1) * RANKING_PAGE).min(rows.len()));
    let pages = total.div_ceil(RANKING_PAGE).max(1);
    Ok(RankingTemplate {
        lang: u.lang,
        title: u.lang.t("ranking").into(),
        nav: Some(nav(&state, &u).await),
        region,
        hukou: q.hukou,
        disabled: q.disabled.is_some(),
        circles: q.circles,
        total,
        failed,
        pack: jiuzhu_app::prescription::PACK,
        rows,
        page,
        pages,
    }
    .into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct SimulateQuery {
    parameter: Option<String>,
    #[serde(default)]
    from: String,
    #[serde(default)]
    scale: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    region: String,
}

type CountyRow = (
    String,
    String,
    usize,
    usize,
    usize,
    String,
    String,
    usize,
    usize,
    usize,
    String,
);

#[derive(Template, WebTemplate)]
#[template(path = "simulate.html")]
struct SimulateTemplate {
    lang: Lang,
    title: String,
    nav: Option<Nav>,
    parameters: Vec<(String, String)>,
    parameter: String,
    from: String,
    scale: String,
    value: String,
    region: String,
    pack: &'static str,
    ran: bool,
    error: Option<String>,
    failed: usize,
    counties: Vec<CountyRow>,
    changed_total: usize,
    changed: Vec<(String, String, String)>,
    county_names: std::collections::HashMap<String, String>,
    program_labels: std::collections::HashMap<String, String>,
}

impl SimulateTemplate {
    /// A county's name (all counties for the total).
    fn county(&self, code: &str) -> String {
        if code == "all" {
            return self.lang.pick("合计", "all").into();
        }
        self.county_names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.into())
    }

    fn program(&self, code: &str) -> String {
        self.program_labels
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.into())
    }
}

/// The pack's scalar parameters a reform can change: name and label in the user's language.
fn scalar_parameters(pack: &jiuzhu_policy::pack::Pack, lang: Lang) -> Vec<(String, String)> {
    pack.parameters
        .iter()
        .filter(|p| matches!(p.values, ParamValues::Scalar(_)))
        .map(|p| (p.name.clone(), label_in(lang, &p.label)))
        .collect()
}

/// Fills the simulation page with a comparison: a row per county and program, totals, and
/// the first 200 households that change.
fn show_comparison(
    t: &mut SimulateTemplate,
    pack: &jiuzhu_policy::pack::Pack,
    cmp: &jiuzhu_policy::simulation::Comparison,
    failed: usize,
) {
    let money = |d: rust_decimal::Decimal| jiuzhu_policy::Value::Num(d).format(2);
    let period = |code: &str| {
        pack.programs
            .iter()
            .find(|p| p.code == code)
            .map(|p| p.period.clone())
            .unwrap_or_default()
    };
    t.ran = true;
    t.failed = failed;
    let row = |county: &str, p: &str, s: &jiuzhu_policy::simulation::Stats| -> CountyRow {
        (
            county.to_string(),
            p.to_string(),
            s.households,
            s.eligible[0],
            s.eligible[1],
            money(s.cost[0]),
            money(s.cost[1]),
            s.gain,
            s.lose,
            s.circle_changed,
            period(p),
        )
    };
    t.counties = cmp
        .by_county
        .iter()
        .map(|((c, p), s)| row(c, p, s))
        .chain(cmp.totals.iter().map(|(p, s)| row("all", p, s)))
        .collect();
    t.changed_total = cmp.changed.len();
    t.changed = cmp
        .changed
        .iter()
        .take(200)
        .map(|c| (c.id.clone(), c.program.clone(), changed_reason(c, t.lang)))
        .collect();
}

/// Why a household's result changes, in `lang`: eligibility, amount, circle.
fn changed_reason(c: &jiuzhu_policy::simulation::Changed, lang: Lang) -> String {
    let mut said = Vec::new();
    match (c.eligible[0], c.eligible[1]) {
        (false, true) => said.push(lang.pick("新纳入", "becomes eligible").to_string()),
        (true, false) => said.push(lang.pick("不再符合", "no longer eligible").to_string()),
        _ => {}
    }
    let diff = c.amount[1] - c.amount[0];
    if !diff.is_zero() {
        let sign = if diff > rust_decimal::Decimal::ZERO {
            "+"
        } else {
            ""
        };
        said.push(format!(
            "{} {sign}{} {}",
            lang.pick("金额", "amount"),
            diff.normalize(),
            lang.t("yuan")
        ));
    }
    if c.circle[0] != c.circle[1] {
        said.push(format!(
            "{} {} → {}",
            lang.t("circle"),
            c.circle[0],
            c.circle[1]
        ));
    }
    said.join(lang.pick("；", "; "))
}

/// The reform simulation page: a parameter change from a date, over the registry's
/// households in the user's scope, by county, with the households that change.
pub async fn simulate_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    axum::extract::Query(q): axum::extract::Query<SimulateQuery>,
) -> Result<Response, PageError> {
    u.require(u.role.can_read_registry())?;
    let lang = u.lang;
    let engine = jiuzhu_policy::shipped_engine(jiuzhu_app::prescription::PACK)
        .ok_or(WebError::NotFound)?
        .map_err(|e| WebError::Internal(format!("{e:?}")))?;
    let parameters = scalar_parameters(&engine.pack, lang);
    let today = jiuzhu_db::today();
    let mut t = SimulateTemplate {
        lang,
        title: lang.t("simulation").into(),
        nav: Some(nav(&state, &u).await),
        parameter: q
            .parameter
            .clone()
            .unwrap_or_else(|| "dibao_standard_monthly".into()),
        parameters,
        from: if q.from.is_empty() {
            today.to_string()
        } else {
            q.from.clone()
        },
        scale: q.scale.clone(),
        value: q.value.clone(),
        region: if q.region.trim().is_empty() {
            u.scope_region.to_string()
        } else {
            q.region.trim().to_string()
        },
        pack: jiuzhu_app::prescription::PACK,
        ran: false,
        error: None,
        failed: 0,
        counties: Vec::new(),
        changed_total: 0,
        changed: Vec::new(),
        county_names: Default::default(),
        program_labels: Default::default(),
    };
    // The form's shape, said in the user's language before the reform is built: one of
    // scale and value, as a number.
    let given = |v: &str| !v.trim().is_empty();
    let number = |v: &str| v.trim().is_empty() || v.trim().parse::<rust_decimal::Decimal>().is_ok();
    let form_error = if q.parameter.is_none() {
        None
    } else if given(&q.scale) == given(&q.value) {
        Some(lang.t("simulate_scale_or_value"))
    } else if !number(&q.scale) || !number(&q.value) {
        Some(lang.t("simulate_not_a_number"))
    } else {
        None
    };
    if let Some(e) = form_error {
        t.error = Some(e.to_string());
    } else if let Some(parameter) = q.parameter {
        let reform = jiuzhu_policy::reform::Reform {
            name: format!("{parameter} from {}", t.from),
            changes: vec![jiuzhu_policy::reform::Change {
                parameter,
                from: t.from.clone(),
                scale: Some(q.scale.trim().to_string()).filter(|s| !s.is_empty()),
                value: Some(q.value.trim().to_string()).filter(|s| !s.is_empty()),
            }],
        };
        let date = jiuzhu_domain::parse_date(&t.from)
            .unwrap_or(today)
            .max(today);
        let asked = serde_json::json!({"scale": q.scale, "value": q.value});
        match jiuzhu_app::prescription::simulate_region(
            &state.db,
            &u.acting(),
            &t.region,
            date,
            &reform,
            asked,
        )
        .await
        .map_err(WebError::from)?
        {
            Err(e) => t.error = Some(e),
            Ok((cmp, failed)) => {
                show_comparison(&mut t, &engine.pack, &cmp, failed.len());
                let codes: Vec<String> = t.counties.iter().map(|r| r.0.clone()).collect();
                t.county_names = jiuzhu_db::regions::names(&state.db, &codes).await?;
                t.program_labels = engine
                    .pack
                    .programs
                    .iter()
                    .map(|p| (p.code.clone(), label_in(lang, &p.label)))
                    .collect();
            }
        }
    }
    Ok(t.into_response())
}
