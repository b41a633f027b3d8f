//! Verification (居民家庭经济状况核对): for a household's members and legally obliged
//! supporters, every feed row about them, and where those rows contradict the declared
//! evidence, with the evidence a caseworker can accept (source: verified).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use jiuzhu_db::Db;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::feeds::{self as dbfeeds, FoundRow};
use jiuzhu_db::households::{self, HouseholdRecord, NewEvidence, Scope, Subject};
use jiuzhu_db::verification;
use jiuzhu_domain::{EvidenceKind, EvidenceSource, Money};
use serde::{Deserialize, Serialize};

use crate::AppError;
use crate::monitoring::feed_types;

/// Rows of one feed about one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub feed: String,
    pub label: String,
    pub columns: Vec<String>,
    /// Each row with the date of its snapshot.
    pub rows: Vec<(String, Vec<String>)>,
}

/// What was found about one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonFindings {
    pub id_number: String,
    pub name: String,
    /// `member` or `supporter`.
    pub role: String,
    pub person_id: Option<i64>,
    pub sources: Vec<Source>,
}

/// Evidence the report proposes in place of what was declared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub kind: String,
    /// None for household evidence.
    pub person_id: Option<i64>,
    pub value: String,
}

/// A contradiction between department data and the declared evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contradiction {
    pub id_number: String,
    pub name: String,
    pub feed: String,
    pub message_zh: String,
    pub message_en: String,
    pub proposal: Option<Proposal>,
}

/// A verification report, frozen when made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub household_code: String,
    pub as_of: String,
    pub purpose: String,
    pub authorisation_id: i64,
    pub feeds_queried: Vec<String>,
    pub persons: Vec<PersonFindings>,
    pub contradictions: Vec<Contradiction>,
}

fn declared(rec: &HouseholdRecord, kind: EvidenceKind, person: Option<i64>) -> Option<Money> {
    rec.evidence
        .iter()
        .find(|e| {
            e.kind == kind.code()
                && e.person_id == person
                && e.valid_to.is_none()
                && e.ended_at.is_none()
        })
        .and_then(|e| {
            Money::parse(&e.value)
                .ok()
                .or_else(|| e.value.parse::<i64>().ok().map(Money::from_yuan))
        })
}

fn declared_count(rec: &HouseholdRecord, kind: EvidenceKind) -> i64 {
    rec.evidence
        .iter()
        .find(|e| {
            e.kind == kind.code()
                && e.person_id.is_none()
                && e.valid_to.is_none()
                && e.ended_at.is_none()
        })
        .and_then(|e| e.value.parse().ok())
        .unwrap_or(0)
}

fn cell<'a>(s: &'a Source, row: &'a [String], col: &str) -> Option<&'a str> {
    s.columns
        .iter()
        .position(|c| c == col)
        .and_then(|i| row.get(i))
        .map(String::as_str)
}

/// Compares what was found with what was declared (pure; used by [`verify`]).
pub fn contradictions(rec: &HouseholdRecord, persons: &[PersonFindings]) -> Vec<Contradiction> {
    let mut out = Vec::new();
    let mut vehicle_total = Money::from_fen(0);
    let mut vehicles = Vec::new();
    let mut houses = 0i64;
    let mut house_list = Vec::new();
    for p in persons.iter().filter(|p| p.role == "member") {
        for s in &p.sources {
            match s.feed.as_str() {
                "vehicles" => {
                    for (_, row) in &s.rows {
                        let price = cell(s, row, "price")
                            .and_then(|v| Money::parse(v).ok())
                            .unwrap_or(Money::from_fen(0));
                        vehicle_total = vehicle_total.checked_add(price).unwrap_or(vehicle_total);
                        vehicles.push(format!("{} {}", cell(s, row, "plate").unwrap_or(""), price));
                    }
                }
                "real_estate" => {
                    houses += s.rows.len() as i64;
                    house_list.extend(
                        s.rows
                            .iter()
                            .map(|(_, r)| cell(s, r, "certificate").unwrap_or("").to_string()),
                    );
                }
                "social_insurance" | "pensions" => out.extend(income_above_declared(rec, p, s)),
                _ => out.extend(status_contradiction(rec, p, s)),
            }
        }
    }
    let declared_vehicle =
        declared(rec, EvidenceKind::PropertyVehicle, None).unwrap_or(Money::from_fen(0));
    if vehicle_total > declared_vehicle {
        out.push(Contradiction {
            id_number: String::new(),
            name: String::new(),
            feed: "vehicles".into(),
            message_zh: format!(
                "登记车辆 {}，合计 {vehicle_total} 元，申报车辆价值 {declared_vehicle} 元",
                vehicles.join("、")
            ),
            message_en: format!(
                "vehicles {} worth {vehicle_total} registered; {declared_vehicle} declared",
                vehicles.join(", ")
            ),
            proposal: Some(Proposal {
                kind: EvidenceKind::PropertyVehicle.code().into(),
                person_id: None,
                value: vehicle_total.to_string(),
            }),
        });
    }
    let declared_houses = declared_count(rec, EvidenceKind::PropertyHouses);
    if houses > declared_houses {
        out.push(Contradiction {
            id_number: String::new(),
            name: String::new(),
            feed: "real_estate".into(),
            message_zh: format!(
                "不动产登记 {houses} 套（{}），申报 {declared_houses} 套",
                house_list.join("、")
            ),
            message_en: format!(
                "{houses} properties registered ({}); {declared_houses} declared",
                house_list.join(", ")
            ),
            proposal: Some(Proposal {
                kind: EvidenceKind::PropertyHouses.code().into(),
                person_id: None,
                value: houses.to_string(),
            }),
        });
    }
    out
}

/// A contradiction about person `p` found in source `s`.
fn about(
    p: &PersonFindings,
    s: &Source,
    message_zh: String,
    message_en: String,
    proposal: Option<Proposal>,
) -> Contradiction {
    Contradiction {
        id_number: p.id_number.clone(),
        name: p.name.clone(),
        feed: s.feed.clone(),
        message_zh,
        message_en,
        proposal,
    }
}

/// A wage base or pension, in its latest reported month, above the declared monthly
/// income: proposed as the verified income.
fn income_above_declared(
    rec: &HouseholdRecord,
    p: &PersonFindings,
    s: &Source,
) -> Option<Contradiction> {
    let (col, kind, zh, en) = if s.feed == "pensions" {
        ("amount", EvidenceKind::IncomePension, "养老金", "pension")
    } else {
        (
            "wage_base",
            EvidenceKind::IncomeWage,
            "社保缴费基数",
            "wage base",
        )
    };
    // The latest month reported.
    let (month, amount) = s
        .rows
        .iter()
        .filter_map(|(_, r)| Some((cell(s, r, "month")?, Money::parse(cell(s, r, col)?).ok()?)))
        .max_by(|a, b| a.0.cmp(b.0))?;
    let have = declared(rec, kind, p.person_id).unwrap_or(Money::from_fen(0));
    (amount > have).then(|| {
        about(
            p,
            s,
            format!("{month} {zh} {amount} 元，高于申报的月收入 {have} 元"),
            format!("{en} {amount} in {month} is above the declared {have} a month"),
            p.person_id.map(|pid| Proposal {
                kind: kind.code().to_string(),
                person_id: Some(pid),
                value: amount.to_string(),
            }),
        )
    })
}

/// A member's status that the declaration does not show: a registered business without
/// business income, a death, a prison term not ended by a release.
fn status_contradiction(
    rec: &HouseholdRecord,
    p: &PersonFindings,
    s: &Source,
) -> Option<Contradiction> {
    if s.rows.is_empty() {
        return None;
    }
    match s.feed.as_str() {
        "business" if declared(rec, EvidenceKind::IncomeBusiness, p.person_id).is_none() => {
            Some(about(
                p,
                s,
                format!("登记有 {} 个市场主体，未申报经营性收入", s.rows.len()),
                format!(
                    "{} business registration(s), no business income declared",
                    s.rows.len()
                ),
                None,
            ))
        }
        "deaths" => Some(about(
            p,
            s,
            format!(
                "死亡登记 {}，仍为家庭成员",
                cell(s, &s.rows[0].1, "death_date").unwrap_or("")
            ),
            "registered as deceased but still a member".into(),
            None,
        )),
        "prison"
            if !p
                .sources
                .iter()
                .any(|o| o.feed == "prison_releases" && !o.rows.is_empty()) =>
        {
            Some(about(
                p,
                s,
                "正在服刑，仍计为共同生活成员".into(),
                "in prison but counted as a member living in the household".into(),
                None,
            ))
        }
        _ => None,
    }
}

/// Everyone the verification asks about: the household's members and its supporters.
fn people_of(rec: &HouseholdRecord) -> Vec<PersonFindings> {
    let mut people: Vec<PersonFindings> = rec
        .members
        .iter()
        .map(|m| PersonFindings {
            id_number: m.id_number.clone(),
            name: m.name.clone(),
            role: "member".into(),
            person_id: Some(m.person_id),
            sources: Vec::new(),
        })
        .collect();
    people.extend(rec.supporters.iter().map(|s| PersonFindings {
        id_number: s.id_number.clone(),
        name: s.name.clone(),
        role: "supporter".into(),
        person_id: None,
        sources: Vec::new(),
    }));
    people
}

/// Files each department row found under the person it is about, by feed.
async fn file_found(
    db: &Db,
    types: &[jiuzhu_monitor::feeds::FeedType],
    found: Vec<FoundRow>,
    people: &mut [PersonFindings],
) -> crate::Result<()> {
    // Rows of a full feed count only from its latest snapshot.
    let mut latest_full: BTreeMap<String, i64> = BTreeMap::new();
    for t in types.iter().filter(|t| t.kind == "full") {
        if let Some(s) = dbfeeds::counting_snapshots(db, &t.name, "full", "9999-12-31")
            .await?
            .first()
        {
            latest_full.insert(t.name.clone(), s.id);
        }
    }
    for FoundRow {
        feed_type,
        snapshot_id,
        as_of: snap_date,
        columns,
        id_number,
        cells,
    } in found
    {
        if let Some(latest) = latest_full.get(&feed_type)
            && *latest != snapshot_id
        {
            continue;
        }
        let columns: Vec<String> = serde_json::from_str(&columns).unwrap_or_default();
        let cells: Vec<String> = serde_json::from_str(&cells).unwrap_or_default();
        let label = types
            .iter()
            .find(|t| t.name == feed_type)
            .map(|t| t.label_zh.clone())
            .unwrap_or_else(|| feed_type.clone());
        for p in people.iter_mut().filter(|p| p.id_number == id_number) {
            match p.sources.iter_mut().find(|s| s.feed == feed_type) {
                Some(s) => s.rows.push((snap_date.clone(), cells.clone())),
                None => p.sources.push(Source {
                    feed: feed_type.clone(),
                    label: label.clone(),
                    columns: columns.clone(),
                    rows: vec![(snap_date.clone(), cells.clone())],
                }),
            }
        }
    }
    Ok(())
}

/// Queries every feed for the household's current members and supporters under a recorded
/// authorisation, compares with the declared evidence, and freezes the report. Returns the
/// report's id. Refused (nothing queried) without an authorisation of this household.
pub async fn verify(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    household_id: i64,
    authorisation_id: i64,
    purpose: &str,
    as_of: NaiveDate,
) -> crate::Result<i64> {
    // No authorisation chosen refuses the form; one that is not this household's is a
    // reference to nothing (the store refuses both again where it queries).
    if authorisation_id <= 0 {
        return Err(AppError::invalid_zh(
            "authorisation",
            "choose the household's signed authorisation; department data cannot be queried without one",
            "请选择该户签署的授权书：没有授权书不能查询部门数据；尚未登记的，请先在本页登记授权书",
        ));
    }
    if !verification::authorisations(db, scope, household_id)
        .await?
        .iter()
        .any(|a| a.id == authorisation_id)
    {
        return Err(AppError::NotFound(format!(
            "authorisation {authorisation_id}"
        )));
    }
    let rec = households::get(db, scope, household_id)
        .await?
        .ok_or_else(|| AppError::NotFound("household".into()))?
        .as_of(as_of);
    let mut people = people_of(&rec);
    let ids: Vec<String> = people.iter().map(|p| p.id_number.clone()).collect();
    let found = dbfeeds::rows_for_verification(
        db,
        scope,
        actor,
        household_id,
        authorisation_id,
        purpose,
        &ids,
    )
    .await?;
    let types = feed_types(db).await?;
    file_found(db, &types, found, &mut people).await?;
    let report = Report {
        household_code: rec.household.code.clone(),
        as_of: as_of.to_string(),
        purpose: purpose.to_string(),
        authorisation_id,
        feeds_queried: types.iter().map(|t| t.name.clone()).collect(),
        contradictions: contradictions(&rec, &people),
        persons: people,
    };
    let json = serde_json::to_string(&report).expect("report serialises");
    Ok(verification::save_report(
        db,
        actor,
        household_id,
        authorisation_id,
        purpose,
        &as_of.to_string(),
        &json,
    )
    .await?)
}

/// Accepts the proposals of a report's contradictions (by index) into the household's
/// evidence, source verified, valid from the report's date. Returns evidence ids.
pub async fn accept(
    db: &Db,
    scope: &Scope,
    actor: &Actor,
    report_id: i64,
    indices: &[usize],
) -> crate::Result<Vec<i64>> {
    let stored = verification::report(db, scope, report_id)
        .await?
        .ok_or_else(|| AppError::NotFound("report".into()))?;
    let report: Report = serde_json::from_str(&stored.report)
        .map_err(|e| AppError::invalid(format!("report {report_id}: {e}")))?;
    let from = NaiveDate::parse_from_str(&report.as_of, "%Y-%m-%d")
        .map_err(|e| AppError::invalid(e.to_string()))?;
    let mut ids = Vec::new();
    for &i in indices {
        let c = report.contradictions.get(i).ok_or_else(|| {
            AppError::invalid(format!(
                "finding {i}: no such finding in report {report_id}"
            ))
        })?;
        let Some(p) = &c.proposal else {
            return Err(AppError::invalid(format!(
                "finding {i}: nothing to accept into the evidence; record it by hand"
            )));
        };
        let kind = EvidenceKind::parse(&p.kind).map_err(|e| AppError::invalid(e.to_string()))?;
        let value = kind.validate_value(&p.value).map_err(AppError::invalid)?;
        let e = NewEvidence {
            subject: p
                .person_id
                .map(Subject::Person)
                .unwrap_or(Subject::Household),
            kind,
            value,
            source: EvidenceSource::Verified,
            valid_from: from,
            note: format!("核对报告 #{report_id}: {}", c.message_zh),
        };
        ids.push(households::record_evidence(db, scope, actor, stored.household_id, &e).await?);
    }
    Ok(ids)
}

/// Verification report `id` of a household in `acting`'s region, as stored and as read, for
/// a user who may read the registry; the read of what departments hold is audited.
pub async fn view_report(
    db: &Db,
    acting: &crate::Acting,
    id: i64,
) -> crate::Result<(jiuzhu_db::verification::Report, Report)> {
    acting.require(acting.role.can_read_registry(), "read the registry")?;
    let stored = jiuzhu_db::verification::report(db, &acting.scope, id)
        .await?
        .ok_or_else(|| AppError::NotFound("verification report".into()))?;
    let report: Report = serde_json::from_str(&stored.report)
        .map_err(|e| AppError::Internal(format!("stored report {id}: {e}")))?;
    jiuzhu_db::audit::record(
        db,
        &acting.actor(),
        jiuzhu_db::audit::Entry::new("verification.view", "verification_report", id)
            .household(stored.household_id),
    )
    .await?;
    Ok((stored, report))
}

#[cfg(test)]
mod tests {
    use jiuzhu_db::households::{Evidence, Household, Member};

    use super::*;

    fn household(evidence: Vec<Evidence>) -> HouseholdRecord {
        HouseholdRecord {
            household: Household {
                id: 1,
                code: "H1".into(),
                region_code: "330326001001".into(),
                hukou: "rural".into(),
                address: String::new(),
                bank_name: String::new(),
                bank_account: String::new(),
                created_at: String::new(),
                updated_at: String::new(),
            },
            members: vec![Member {
                member_id: 1,
                person_id: 7,
                id_number: "330326199001011234".into(),
                name: "张三".into(),
                sex: "M".into(),
                birth_date: "1990-01-01".into(),
                phone: String::new(),
                relation: "head".into(),
                valid_from: "2026-01-01".into(),
                valid_to: None,
            }],
            evidence,
            supporters: vec![],
        }
    }

    fn wage(value: &str) -> Evidence {
        Evidence {
            id: 1,
            person_id: Some(7),
            kind: EvidenceKind::IncomeWage.code().into(),
            value: value.into(),
            amount_fen: None,
            source: "declared".into(),
            valid_from: "2026-01-01".into(),
            valid_to: None,
            note: String::new(),
            recorded_at: String::new(),
            recorded_by: String::new(),
            ended_at: None,
            ended_by: None,
        }
    }

    fn source(feed: &str, columns: &[&str], rows: &[&[&str]]) -> Source {
        Source {
            feed: feed.into(),
            label: feed.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: rows
                .iter()
                .map(|r| {
                    (
                        "2026-11-01".to_string(),
                        r.iter().map(|c| c.to_string()).collect(),
                    )
                })
                .collect(),
        }
    }

    fn member(sources: Vec<Source>) -> Vec<PersonFindings> {
        vec![PersonFindings {
            id_number: "330326199001011234".into(),
            name: "张三".into(),
            role: "member".into(),
            person_id: Some(7),
            sources,
        }]
    }

    #[test]
    fn each_kind_of_department_row_that_contradicts_the_declaration_is_found() {
        let rec = household(vec![wage("1000.00")]);
        let found = contradictions(
            &rec,
            &member(vec![
                // The latest month's wage base counts, above the declared 1,000 a month.
                source(
                    "social_insurance",
                    &["month", "wage_base"],
                    &[&["2026-09", "900.00"], &["2026-10", "3200.00"]],
                ),
                source("business", &["name"], &[&["张三小吃店"]]),
                source("deaths", &["death_date"], &[&["2026-10-03"]]),
                source("prison", &["from"], &[&["2026-05-01"]]),
            ]),
        );
        let feeds: Vec<&str> = found.iter().map(|c| c.feed.as_str()).collect();
        assert_eq!(feeds, ["social_insurance", "business", "deaths", "prison"]);
        let wage = &found[0];
        assert!(wage.message_zh.contains("3200.00") && wage.message_zh.contains("2026-10"));
        assert_eq!(
            wage.proposal,
            Some(Proposal {
                kind: EvidenceKind::IncomeWage.code().into(),
                person_id: Some(7),
                value: "3200.00".into(),
            })
        );
        assert!(found[2].message_zh.contains("2026-10-03"));
    }

    #[test]
    fn rows_that_agree_with_the_declaration_raise_nothing() {
        let rec = household(vec![wage("3500.00")]);
        let found = contradictions(
            &rec,
            &member(vec![
                source(
                    "social_insurance",
                    &["month", "wage_base"],
                    &[&["2026-10", "3200.00"]],
                ),
                source("business", &["name"], &[]),
                source("prison", &["from"], &[&["2026-05-01"]]),
                source("prison_releases", &["released"], &[&["2026-09-01"]]),
            ]),
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
