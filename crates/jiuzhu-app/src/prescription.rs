//! The household's prescription (救助大处方): every program of the city's pack evaluated on
//! the registry's evidence as it stood on the date shown, with the comparisons behind each
//! result and, folded, the full trace.

use std::sync::OnceLock;

use chrono::NaiveDate;
use jiuzhu_db::households::HouseholdRecord;
use jiuzhu_domain::Money;
use jiuzhu_policy::{Engine, ProgramResult, Trace};
use serde_json::{Value as Json, json};

/// The pack the registry is evaluated under.
pub const PACK: &str = "zhejiang-wenzhou";

pub(crate) fn engine() -> Result<&'static Engine, String> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| match jiuzhu_policy::shipped_engine(PACK) {
            Some(Ok(e)) => Ok(e),
            Some(Err(e)) => Err(format!("{e:?}")),
            None => Err(format!("no shipped pack {PACK}")),
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn yuan(fen: Option<i64>) -> String {
    Money::from_fen(fen.unwrap_or(0)).to_string()
}

/// The pack's inputs from the registry: the household's members, evidence and supporters
/// valid on the date (`rec` is already cut to that date). Evidence the pack does not use
/// (business and transfer income, disability grade, employment) is left out.
pub fn input_of(rec: &HouseholdRecord) -> Json {
    let household_amount = |kind: &str| {
        rec.evidence
            .iter()
            .find(|e| e.person_id.is_none() && e.kind == kind)
    };
    let h = &rec.household;
    let members: Vec<Json> = rec
        .members
        .iter()
        .map(|m| {
            let ev = |kind: &str| {
                rec.evidence
                    .iter()
                    .find(|e| e.person_id == Some(m.person_id) && e.kind == kind)
            };
            let money = |kind: &str| yuan(ev(kind).and_then(|e| e.amount_fen));
            json!({
                "birth_date": m.birth_date,
                "health": ev("health").map(|e| e.value.clone()).unwrap_or_else(|| "1".into()),
                "student": ev("schooling").is_some_and(|e| e.value != "none"),
                "declared_wage_monthly": money("income.wage"),
                "pension_monthly": money("income.pension"),
                "medical_oop_annual": money("expenditure.medical"),
                "tuition_annual": money("expenditure.tuition"),
                "pension_premium_annual": money("expenditure.pension_premium"),
                // "category-grade", e.g. "2-1"; 0 when not certified.
                "disability_grade": ev("disability").and_then(|e| e.value.split_once('-')).and_then(|(_, g)| g.parse::<i64>().ok()).unwrap_or(0),
                "schooling": ev("schooling").map(|e| e.value.clone()).unwrap_or_else(|| "none".into()),
                // The registry does not record self-care ability yet (a home-visit item).
                "self_care": "full",
            })
        })
        .collect();
    let supporters: Vec<Json> = rec
        .supporters
        .iter()
        .map(|s| json!({"annual_income": yuan(Some(s.annual_income_fen)), "status": s.status, "has_luxury": s.has_luxury}))
        .collect();
    json!({
        "household": {
            "region_code": h.region_code,
            "hukou": h.hukou,
            "has_land": household_amount("property.land").is_some_and(|e| e.value == "1"),
            "deposits": yuan(household_amount("property.deposits").and_then(|e| e.amount_fen)),
            "vehicle_value": yuan(household_amount("property.vehicle").and_then(|e| e.amount_fen)),
            "house_count": household_amount("property.houses").and_then(|e| e.value.parse::<i64>().ok()).unwrap_or(0),
            // Temporary assistance needs an application with the expense; none here.
            "sudden_expense": "0.00",
        },
        "members": members,
        "supporters": supporters,
    })
}

/// The evaluated prescription, or why it could not be computed.
pub struct Prescription {
    pub pack: String,
    pub version: String,
    pub date: String,
    pub illustrative: bool,
    pub programs: Vec<ProgramResult>,
    pub trace: Option<Trace>,
    pub error: Option<String>,
}

/// Evaluates every program for `rec` (already cut to `date`).
pub fn prescribe(rec: &HouseholdRecord, date: NaiveDate) -> Prescription {
    let mut p = Prescription {
        pack: PACK.into(),
        version: String::new(),
        date: date.to_string(),
        illustrative: false,
        programs: Vec::new(),
        trace: None,
        error: None,
    };
    let run = || -> Result<(Vec<ProgramResult>, Trace, &'static Engine), String> {
        let engine = engine()?;
        let household = jiuzhu_policy::receipt::household_from_json(engine, &input_of(rec))?;
        let dated = engine.on(date).map_err(|e| e.to_string())?;
        let mut ev = dated.evaluate(&household);
        let programs = ev.programs().map_err(|e| e.to_string())?;
        Ok((programs, ev.trace(), engine))
    };
    match run() {
        Ok((programs, trace, engine)) => {
            p.version = engine.pack.version.clone();
            p.illustrative = trace.parameters.iter().any(|t| t.illustrative);
            p.programs = programs;
            p.trace = Some(trace);
        }
        Err(e) => p.error = Some(e),
    }
    p
}

/// What the hardship ranking shows of a household.
pub struct Ranked {
    pub id: i64,
    pub code: String,
    pub region_code: String,
    pub hukou: String,
    pub head: String,
    pub size: usize,
    pub disabled: bool,
    pub index: rust_decimal::Decimal,
    pub status: String,
    pub circle: String,
}

/// Hardship index, status and circle of each household (records as they stand today);
/// households that cannot be evaluated are skipped and counted.
pub fn rank(records: &[HouseholdRecord], date: NaiveDate) -> Result<(Vec<Ranked>, usize), String> {
    let engine = engine()?;
    let dated = engine.on(date).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(records.len());
    let mut failed = 0;
    for rec in records {
        let Ok(household) = jiuzhu_policy::receipt::household_from_json(engine, &input_of(rec))
        else {
            failed += 1;
            continue;
        };
        let mut ev = dated.evaluate(&household);
        let (Ok(index), Ok(status), Ok(circle)) =
            (ev.get("hardship_index"), ev.get("status"), ev.get("circle"))
        else {
            failed += 1;
            continue;
        };
        out.push(Ranked {
            id: rec.household.id,
            code: rec.household.code.clone(),
            region_code: rec.household.region_code.clone(),
            hukou: rec.household.hukou.clone(),
            head: rec
                .members
                .iter()
                .find(|m| m.relation == "head")
                .map(|m| m.name.clone())
                .unwrap_or_default(),
            size: rec.members.len(),
            disabled: rec.evidence.iter().any(|e| e.kind == "disability"),
            index: match index {
                jiuzhu_policy::Value::Num(n) => n,
                _ => rust_decimal::Decimal::ZERO,
            },
            status: status.format(0),
            circle: circle.format(0),
        });
    }
    Ok((out, failed))
}

/// Compares the population under the pack and under `reform`, on `date`.
pub fn simulate(
    records: &[HouseholdRecord],
    date: NaiveDate,
    reform: &jiuzhu_policy::reform::Reform,
) -> Result<(jiuzhu_policy::simulation::Comparison, Vec<i64>), String> {
    use jiuzhu_policy::simulation::{Comparison, Outcome};
    let base = engine()?;
    let mut pack = base.pack.clone();
    jiuzhu_policy::reform::apply(&mut pack, reform)?;
    let reformed = Engine::new(pack).map_err(|e| {
        e.iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let programs: Vec<String> = base.pack.programs.iter().map(|p| p.code.clone()).collect();
    let (d0, d1) = (
        base.on(date).map_err(|e| e.to_string())?,
        reformed.on(date).map_err(|e| e.to_string())?,
    );
    let outcome = |dated: &jiuzhu_policy::Dated, h: &jiuzhu_policy::Household| -> Option<Outcome> {
        let mut ev = dated.evaluate(h);
        let mut o = Outcome {
            eligible: Vec::new(),
            amount: Vec::new(),
            circle: ev.get("circle").ok().map(|c| c.format(0)),
        };
        for p in &dated.engine.pack.programs {
            o.eligible
                .push(ev.get(&p.eligible).ok()? == jiuzhu_policy::Value::Bool(true));
            o.amount.push(match ev.get(&p.amount).ok()? {
                jiuzhu_policy::Value::Num(n) => n,
                _ => rust_decimal::Decimal::ZERO,
            });
        }
        Some(o)
    };
    let mut cmp = Comparison::default();
    let mut failed = Vec::new();
    for rec in records {
        let Ok(h) = jiuzhu_policy::receipt::household_from_json(base, &input_of(rec)) else {
            failed.push(rec.household.id);
            continue;
        };
        match (outcome(&d0, &h), outcome(&d1, &h)) {
            (Some(b), Some(a)) => {
                cmp.add(
                    &rec.household.code,
                    rec.household.region_code.get(..6).unwrap_or(""),
                    &programs,
                    &b,
                    &a,
                );
            }
            _ => failed.push(rec.household.id),
        }
    }
    cmp.finish();
    Ok((cmp, failed))
}

/// What a hardship ranking is asked for: a region inside the user's scope (empty: the
/// scope's own), and the attributes a department targets.
#[derive(Clone, Debug, Default)]
pub struct RankingFilter {
    pub region: String,
    /// `urban` or `rural`; empty for both.
    pub hukou: String,
    pub disabled: bool,
    /// Circles (圈层) to keep; empty for all.
    pub circles: Vec<String>,
}

/// The hardest households first: the first `shown`, with the number that matched and the
/// number the engine could not evaluate.
pub struct Ranking {
    pub region: String,
    pub total: usize,
    pub failed: usize,
    pub rows: Vec<Ranked>,
}

/// The hardship ranking (困难指数排序) of a region inside `acting`'s scope, for a user who
/// may read the registry: names masked for a role that may not see them in full, and the
/// read of the region's households audited.
pub async fn ranking(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    filter: &RankingFilter,
    shown: usize,
) -> crate::Result<Ranking> {
    acting.require(acting.role.can_read_registry(), "read the registry")?;
    let region = if filter.region.trim().is_empty() {
        acting.region.clone()
    } else {
        filter.region.trim().to_string()
    };
    let records = jiuzhu_db::households::population(db, &acting.scope, &region).await?;
    let today = jiuzhu_db::today();
    let (mut ranked, failed) = rank(&records, today).map_err(crate::AppError::Internal)?;
    ranked.retain(|r| {
        (filter.hukou.is_empty() || r.hukou == filter.hukou)
            && (!filter.disabled || r.disabled)
            && (filter.circles.is_empty() || filter.circles.contains(&r.circle))
    });
    ranked.sort_by(|a, b| b.index.cmp(&a.index).then_with(|| a.code.cmp(&b.code)));
    let total = ranked.len();
    jiuzhu_db::audit::record(
        db,
        &acting.actor(),
        jiuzhu_db::audit::Entry::new("household.ranking", "household_list", region.clone()).detail(json!({"hukou": filter.hukou, "disabled": filter.disabled, "circles": filter.circles.join(","), "rows": total})),
    )
    .await?;
    ranked.truncate(shown);
    if !acting.role.sees_full_names() {
        for r in &mut ranked {
            r.head = jiuzhu_domain::mask_name(&r.head);
        }
    }
    Ok(Ranking {
        region,
        total,
        failed,
        rows: ranked,
    })
}

/// A reform simulated over the households of `region` inside `acting`'s scope, for a user
/// who may read the registry: the comparison and the households the engine could not
/// evaluate, or why the reform does not apply (`Ok(Err(..))`). A run reads every
/// household of the region: it is audited.
pub async fn simulate_region(
    db: &jiuzhu_db::Db,
    acting: &crate::Acting,
    region: &str,
    date: NaiveDate,
    reform: &jiuzhu_policy::reform::Reform,
    asked: Json,
) -> crate::Result<Result<(jiuzhu_policy::simulation::Comparison, Vec<i64>), String>> {
    acting.require(acting.role.can_read_registry(), "read the registry")?;
    let records = jiuzhu_db::households::population(db, &acting.scope, region).await?;
    let result = simulate(&records, date, reform);
    if result.is_ok() {
        let mut detail = asked;
        detail["reform"] = reform.name.clone().into();
        detail["households"] = records.len().into();
        jiuzhu_db::audit::record(
            db,
            &acting.actor(),
            jiuzhu_db::audit::Entry::new("policy.simulate", "household_list", region)
                .detail(detail),
        )
        .await?;
    }
    Ok(result)
}
