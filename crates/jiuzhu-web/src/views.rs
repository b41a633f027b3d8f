//! View types for pages and the API: separate from database rows, with ID numbers and
//! phone numbers masked and codes turned into labels in the user's language.

use jiuzhu_db::audit::AuditRow;
use jiuzhu_db::households::{Evidence, HouseholdRecord, HouseholdSummary, Member, Supporter};
use jiuzhu_domain::{
    EvidenceKind, EvidenceSource, HealthCategory, Hukou, Money, Relation, SupporterStatus,
    mask_id_str, mask_name, mask_phone,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Lang;

fn label<T>(
    parsed: Result<T, jiuzhu_domain::ParseEnumError>,
    lang: Lang,
    zh: fn(T) -> &'static str,
    en: fn(T) -> &'static str,
    raw: &str,
) -> String {
    match parsed {
        Ok(v) => match lang {
            Lang::Zh => zh(v).to_string(),
            Lang::En => en(v).to_string(),
        },
        Err(_) => raw.to_string(),
    }
}

/// A person's name as a viewer sees it: in full, or masked (张三丰 → 张**) for the roles
/// that may not see full names (`Role::sees_full_names`).
pub fn name_for(name: &str, full_names: bool) -> String {
    if full_names {
        name.to_string()
    } else {
        mask_name(name)
    }
}

/// Masks the names of a household's members and supporters for a viewer who may not see
/// full names; does nothing for one who may.
pub fn names_for_viewer(rec: &mut HouseholdRecord, full_names: bool) {
    if full_names {
        return;
    }
    for m in &mut rec.members {
        m.name = mask_name(&m.name);
    }
    for s in &mut rec.supporters {
        s.name = mask_name(&s.name);
    }
}

/// Department codes (comma separated) as their names: `public_security,health` →
/// 公安局、卫健委; an unknown code is shown as written.
pub fn departments_label(codes: &str, lang: Lang) -> String {
    codes
        .split([',', '/'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            jiuzhu_domain::workflow::DEPARTMENTS
                .iter()
                .find(|(code, _, _)| *code == c)
                .map_or(c, |(_, zh, en)| if lang == Lang::Zh { zh } else { en })
        })
        .collect::<Vec<_>>()
        .join(if lang == Lang::Zh { "、" } else { ", " })
}

pub fn hukou_label(code: &str, lang: Lang) -> String {
    label(
        Hukou::parse(code),
        lang,
        Hukou::label_zh,
        Hukou::label_en,
        code,
    )
}

pub fn relation_label(code: &str, lang: Lang) -> String {
    label(
        Relation::parse(code),
        lang,
        Relation::label_zh,
        Relation::label_en,
        code,
    )
}

pub fn source_label(code: &str, lang: Lang) -> String {
    label(
        EvidenceSource::parse(code),
        lang,
        EvidenceSource::label_zh,
        EvidenceSource::label_en,
        code,
    )
}

pub fn status_label(code: &str, lang: Lang) -> String {
    label(
        SupporterStatus::parse(code),
        lang,
        SupporterStatus::label_zh,
        SupporterStatus::label_en,
        code,
    )
}

pub fn kind_label(code: &str, lang: Lang) -> String {
    label(
        EvidenceKind::parse(code),
        lang,
        EvidenceKind::label_zh,
        EvidenceKind::label_en,
        code,
    )
}

fn sex_label(code: &str, lang: Lang) -> &'static str {
    match (code, lang) {
        ("M", Lang::Zh) => "男",
        ("F", Lang::Zh) => "女",
        ("M", Lang::En) => "male",
        ("F", Lang::En) => "female",
        _ => "",
    }
}

fn yuan(fen: i64, lang: Lang) -> String {
    let m = Money::from_fen(fen);
    match lang {
        Lang::Zh => format!("{m} 元"),
        Lang::En => format!("¥{m}"),
    }
}

/// A stored evidence value as a reader should see it.
pub fn evidence_value(kind: &str, value: &str, amount_fen: Option<i64>, lang: Lang) -> String {
    let Ok(k) = EvidenceKind::parse(kind) else {
        return value.to_string();
    };
    use jiuzhu_domain::EvidenceValueType as T;
    match k.value_type() {
        T::MoneyMonthly => format!(
            "{}{}",
            yuan(amount_fen.unwrap_or(0), lang),
            if lang == Lang::Zh { "/月" } else { " /month" }
        ),
        T::MoneyAnnual => format!(
            "{}{}",
            yuan(amount_fen.unwrap_or(0), lang),
            if lang == Lang::Zh { "/年" } else { " /year" }
        ),
        T::Money => yuan(amount_fen.unwrap_or(0), lang),
        T::Flag => (if value == "1" {
            if lang == Lang::Zh { "有" } else { "yes" }
        } else if lang == Lang::Zh {
            "无"
        } else {
            "no"
        })
        .to_string(),
        T::Count => value.to_string(),
        T::Code => match k {
            EvidenceKind::Health => value
                .parse::<u8>()
                .ok()
                .and_then(HealthCategory::from_code)
                .map(|h| {
                    if lang == Lang::Zh {
                        h.label_zh()
                    } else {
                        h.label_en()
                    }
                    .to_string()
                })
                .unwrap_or_else(|| value.to_string()),
            EvidenceKind::Disability => match value.split_once('-') {
                Some((c, g)) if lang == Lang::Zh => format!("第{c}类 {g}级"),
                Some((c, g)) => format!("category {c}, grade {g}"),
                None => value.to_string(),
            },
            _ => code_label(value, lang),
        },
    }
}

fn code_label(code: &str, lang: Lang) -> String {
    let zh = match code {
        "employed" => "就业",
        "unemployed" => "失业",
        "retired" => "退休",
        "unable" => "无劳动能力",
        "none" => "无",
        "preschool" => "学前",
        "primary" => "小学",
        "junior" => "初中",
        "senior" => "高中",
        "vocational" => "中职",
        "college" => "大学",
        other => other,
    };
    if lang == Lang::Zh {
        zh.to_string()
    } else {
        code.to_string()
    }
}

/// A household in a list.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdRow {
    pub id: i64,
    pub code: String,
    pub region_code: String,
    pub region_name: String,
    pub hukou: String,
    pub address: String,
    pub size: i64,
    pub head_name: String,
    /// Masked: `330326********123X`.
    pub head_id_number: String,
    /// Masked: `138****5678`.
    pub head_phone: String,
}

impl HouseholdRow {
    /// `full_names`: whether the viewer's role sees full names (else masked, 张**).
    pub fn from(
        s: &HouseholdSummary,
        region_name: String,
        lang: Lang,
        full_names: bool,
    ) -> HouseholdRow {
        HouseholdRow {
            id: s.id,
            code: s.code.clone(),
            region_code: s.region_code.clone(),
            region_name,
            hukou: hukou_label(&s.hukou, lang),
            address: s.address.clone(),
            size: s.size,
            head_name: name_for(&s.head_name, full_names),
            head_id_number: mask_id_str(&s.head_id_number),
            head_phone: mask_phone(&s.head_phone),
        }
    }
}

/// A member, masked.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub member_id: i64,
    pub person_id: i64,
    pub id_number: String,
    pub name: String,
    pub sex: String,
    pub birth_date: String,
    pub age: u32,
    pub phone: String,
    pub relation: String,
    pub relation_code: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

impl MemberView {
    pub fn from(m: &Member, today: chrono::NaiveDate, lang: Lang) -> MemberView {
        let age = jiuzhu_domain::parse_date(&m.birth_date)
            .map(|b| jiuzhu_domain::age_on(b, today))
            .unwrap_or(0);
        MemberView {
            member_id: m.member_id,
            person_id: m.person_id,
            id_number: mask_id_str(&m.id_number),
            name: m.name.clone(),
            sex: sex_label(&m.sex, lang).to_string(),
            birth_date: m.birth_date.clone(),
            age,
            phone: mask_phone(&m.phone),
            relation: relation_label(&m.relation, lang),
            relation_code: m.relation.clone(),
            valid_from: m.valid_from.clone(),
            valid_to: m.valid_to.clone(),
        }
    }
}

/// A piece of evidence as read.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    pub id: i64,
    /// The member it is about, or `None` for the household.
    pub person_id: Option<i64>,
    pub subject: String,
    pub kind: String,
    pub kind_label: String,
    pub value: String,
    pub value_label: String,
    pub source: String,
    pub valid_from: String,
    pub valid_to: Option<String>,
    pub note: String,
    pub recorded_at: String,
    pub recorded_by: String,
    pub ended_at: Option<String>,
}

impl EvidenceView {
    pub fn from(e: &Evidence, rec: &HouseholdRecord, lang: Lang) -> EvidenceView {
        let subject = match e.person_id {
            None => (if lang == Lang::Zh {
                "家庭"
            } else {
                "household"
            })
            .to_string(),
            Some(pid) => rec
                .members
                .iter()
                .find(|m| m.person_id == pid)
                .map(|m| m.name.clone())
                .unwrap_or_default(),
        };
        EvidenceView {
            id: e.id,
            person_id: e.person_id,
            subject,
            kind: e.kind.clone(),
            kind_label: kind_label(&e.kind, lang),
            value: e.value.clone(),
            value_label: evidence_value(&e.kind, &e.value, e.amount_fen, lang),
            source: source_label(&e.source, lang),
            valid_from: e.valid_from.clone(),
            valid_to: e.valid_to.clone(),
            note: e.note.clone(),
            recorded_at: short_time(&e.recorded_at),
            recorded_by: e.recorded_by.clone(),
            ended_at: e.ended_at.as_deref().map(short_time),
        }
    }
}

/// A supporter, masked.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SupporterView {
    pub id: i64,
    pub id_number: String,
    pub name: String,
    pub relation: String,
    pub annual_income: String,
    pub status: String,
    pub has_luxury: bool,
    pub valid_from: String,
    pub valid_to: Option<String>,
}

impl SupporterView {
    pub fn from(s: &Supporter, lang: Lang) -> SupporterView {
        SupporterView {
            id: s.id,
            id_number: mask_id_str(&s.id_number),
            name: s.name.clone(),
            relation: s.relation.clone(),
            annual_income: Money::from_fen(s.annual_income_fen).to_string(),
            status: status_label(&s.status, lang),
            has_luxury: s.has_luxury,
            valid_from: s.valid_from.clone(),
            valid_to: s.valid_to.clone(),
        }
    }
}

/// A household with its members, evidence and supporters, masked.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: i64,
    pub code: String,
    pub region_code: String,
    pub region_path: Vec<String>,
    pub hukou: String,
    pub hukou_code: String,
    pub address: String,
    pub bank_name: String,
    /// Masked like a phone number.
    pub bank_account: String,
    pub as_of: Option<String>,
    pub members: Vec<MemberView>,
    pub evidence: Vec<EvidenceView>,
    pub supporters: Vec<SupporterView>,
}

impl HouseholdView {
    pub fn from(
        rec: &HouseholdRecord,
        region_path: Vec<String>,
        as_of: Option<chrono::NaiveDate>,
        today: chrono::NaiveDate,
        lang: Lang,
    ) -> HouseholdView {
        let h = &rec.household;
        HouseholdView {
            id: h.id,
            code: h.code.clone(),
            region_code: h.region_code.clone(),
            region_path,
            hukou: hukou_label(&h.hukou, lang),
            hukou_code: h.hukou.clone(),
            address: h.address.clone(),
            bank_name: h.bank_name.clone(),
            bank_account: mask_phone(&h.bank_account),
            as_of: as_of.map(|d| d.to_string()),
            members: rec
                .members
                .iter()
                .map(|m| MemberView::from(m, as_of.unwrap_or(today), lang))
                .collect(),
            evidence: rec
                .evidence
                .iter()
                .map(|e| EvidenceView::from(e, rec, lang))
                .collect(),
            supporters: rec
                .supporters
                .iter()
                .map(|s| SupporterView::from(s, lang))
                .collect(),
        }
    }
}

/// An audit row as shown.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub ip: String,
    pub action: String,
    pub object: String,
    pub household_id: Option<i64>,
    pub detail: String,
}

impl AuditView {
    pub fn from(r: &AuditRow) -> AuditView {
        AuditView {
            id: r.id,
            at: short_time(&r.at),
            actor: r.actor.clone(),
            role: r.role.clone(),
            ip: r.ip.clone(),
            action: r.action.clone(),
            object: format!("{} {}", r.object_type, r.object_id),
            household_id: r.household_id,
            detail: r.detail.clone(),
        }
    }

    /// The row as a page shows it: what it is about and its detail said in `lang`
    /// (`家庭名单 3303`, `理由：材料不全`); the API keeps the stored codes and JSON.
    pub fn said(r: &AuditRow, lang: Lang) -> AuditView {
        let chinese = lang == Lang::Zh;
        AuditView {
            object: jiuzhu_domain::describe::object(&r.object_type, &r.object_id, chinese),
            actor: jiuzhu_domain::describe::actor(&r.actor, chinese),
            detail: jiuzhu_domain::describe::describe(&r.detail, chinese),
            ..AuditView::from(r)
        }
    }
}

/// A stored UTC time shown in China Standard Time, to the second.
pub fn short_time(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| {
            (t.with_timezone(&chrono::Utc) + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| s.to_string())
}
