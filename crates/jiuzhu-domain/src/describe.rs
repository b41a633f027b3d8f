//! The details kept beside case events, alert steps and audit entries (JSON objects) said
//! as sentences for people: each key by its label, each coded value by the label of its
//! code, amounts in fen as yuan, empty values left out. One table of labels for every key
//! the platform writes; a test keeps them Chinese.

use crate::casework::{DocumentKind, label_of};
use crate::registry::{Hukou, Relation};
use crate::role::Role;
use crate::workflow::{DEPARTMENTS, INVESTIGATION_AREAS, StepKind};
use serde_json::Value;

/// (key, zh-CN, en) for every key of the details the platform records.
pub const DETAIL_KEYS: &[(&str, &str, &str)] = &[
    ("action", "操作", "action"),
    ("active", "启用", "active"),
    ("address", "住址", "address"),
    ("after_len", "修改后长度", "length after"),
    ("alert", "预警", "alert"),
    ("amount", "金额（元）", "amount (yuan)"),
    ("amount_fen", "金额", "amount"),
    ("annual_income", "年收入", "annual income"),
    ("answer", "答复", "answer"),
    ("areas", "入户调查", "home investigation"),
    ("as_of", "截至", "as of"),
    ("assignee", "承办人", "assignee"),
    ("attachments", "附件", "attachments"),
    ("authorisation", "授权书", "authorisation"),
    ("before_len", "修改前长度", "length before"),
    ("birth_date", "出生日期", "date of birth"),
    ("category", "救助类别", "category"),
    ("channel", "申请渠道", "channel"),
    ("circles", "核对范围", "circles"),
    ("columns", "列", "columns"),
    ("data", "内容", "content"),
    ("deadline", "办理时限", "deadline"),
    (
        "declared_wage_monthly",
        "申报月工资",
        "declared monthly wage",
    ),
    ("department", "部门", "department"),
    ("deposits", "存款", "deposits"),
    ("disability_grade", "残疾等级", "disability grade"),
    ("disabled", "残疾人", "disabled"),
    ("display_name", "姓名", "name"),
    ("eligible", "符合条件", "eligible"),
    ("ended", "结束", "ended"),
    ("evidence_added", "新增佐证", "evidence added"),
    ("expense_fen", "费用", "expense"),
    ("expires_at", "有效期至", "expires"),
    ("feed_type", "数据类型", "feed type"),
    ("field", "字段", "field"),
    ("file", "文件", "file"),
    ("files", "附件数", "files"),
    ("findings", "发现", "findings"),
    ("first", "首条", "first"),
    ("from", "原", "from"),
    ("grant", "临时救助", "grant"),
    ("has_land", "有承包地", "has land"),
    ("has_luxury", "有高档消费", "luxury consumption"),
    ("head_id_number", "户主身份证号", "head's ID number"),
    ("head_person_id", "户主", "head of household"),
    ("health", "健康状况", "health"),
    ("house_count", "房产套数", "houses"),
    ("household", "家庭", "household"),
    ("households", "户数", "households"),
    ("households_added", "新增家庭", "households added"),
    ("hukou", "户口性质", "hukou"),
    ("id", "编号", "number"),
    ("id_column", "身份证号列", "ID number column"),
    ("id_number", "身份证号", "ID number"),
    ("kind", "类型", "kind"),
    ("label_zh", "中文名称", "Chinese name"),
    ("last", "末条", "last"),
    (
        "medical_oop_annual",
        "年自付医疗费",
        "medical costs paid a year",
    ),
    ("month", "月份", "month"),
    ("name", "名称", "name"),
    ("new", "新增", "new"),
    ("note", "说明", "note"),
    ("notified_by", "通报人", "notified by"),
    ("objection", "异议", "objection"),
    ("opinion", "意见", "opinion"),
    ("outcome", "处置结果", "outcome"),
    ("password_changed", "已改密码", "password changed"),
    ("pension_monthly", "月养老金", "monthly pension"),
    (
        "pension_premium_annual",
        "年缴养老保险费",
        "pension premium a year",
    ),
    ("person_id", "人员", "person"),
    ("persons", "人数", "persons"),
    ("persons_added", "新增人员", "persons added"),
    ("phase_out_until", "渐退期至", "phase-out until"),
    ("population", "人口", "population"),
    ("program", "救助项目", "programme"),
    ("programs", "救助项目", "programmes"),
    ("purpose", "用途", "purpose"),
    ("q", "查询", "search"),
    ("reason", "理由", "reason"),
    ("region", "区域", "region"),
    ("region_code", "区域", "region"),
    ("rejected", "拒收", "rejected"),
    ("relation", "与户主关系", "relation"),
    ("report", "核对报告", "verification report"),
    ("request", "协办事项", "request"),
    ("role", "角色", "role"),
    ("rows", "行数", "rows"),
    ("rule_set", "规则集", "rule set"),
    ("scan", "扫描件", "scan"),
    ("schooling", "在学", "schooling"),
    ("scan_sha256", "扫描件摘要", "scan digest"),
    ("scope", "授权范围", "scope"),
    ("scope_region", "管辖区域", "scope"),
    ("self_care", "生活自理", "self-care"),
    ("sha256", "文件摘要", "digest"),
    ("signed_on", "签署日期", "signed on"),
    ("signer", "签署人", "signer"),
    ("source", "来源", "source"),
    ("staff", "调查人员", "staff"),
    ("status", "状态", "status"),
    ("step", "环节", "step"),
    ("student", "学生", "student"),
    ("sudden_expense", "突发支出", "sudden expense"),
    ("supporters_added", "新增赡养人", "supporters added"),
    ("taken_region", "受理地", "taken at"),
    ("text", "内容", "text"),
    ("to", "改为", "to"),
    ("tuition_annual", "年学费", "tuition a year"),
    ("unlocked", "已解锁", "unlocked"),
    ("user_id", "用户", "user"),
    ("username", "用户名", "user name"),
    ("valid_from", "起始日期", "valid from"),
    ("valid_to", "截止日期", "valid to"),
    ("value", "值", "value"),
    ("vehicle_value", "车辆价值", "vehicle value"),
    ("via", "方式", "via"),
    ("admit_date", "录取日期", "admitted on"),
    ("area", "面积", "area"),
    ("capital", "注册资本", "registered capital"),
    ("cert_date", "发证日期", "certified on"),
    ("certificate", "证书号", "certificate"),
    ("credit_code", "统一社会信用代码", "credit code"),
    ("death_date", "死亡日期", "date of death"),
    ("disease", "疾病", "disease"),
    ("grade", "等级", "grade"),
    ("out_of_pocket", "个人自付", "out of pocket"),
    ("plate", "车牌", "plate"),
    ("price", "价格", "price"),
    ("reg_date", "登记日期", "registered on"),
    ("release_date", "释放日期", "released on"),
    ("school", "学校", "school"),
    ("settle_date", "结算日期", "settled on"),
    ("severity", "严重程度", "severity"),
    ("total_cost", "总费用", "total cost"),
    ("wage_base", "缴费工资基数", "wage base"),
];

/// (object type, zh-CN, en) for what audit entries are about.
pub const OBJECT_TYPES: &[(&str, &str, &str)] = &[
    ("alert", "预警", "alert"),
    ("api_token", "接口令牌", "API token"),
    ("application", "申请", "application"),
    ("authorisation", "授权书", "authorisation"),
    ("case_item", "事项", "case"),
    ("evidence", "佐证", "evidence"),
    ("export", "导出", "export"),
    ("feed_snapshot", "数据批次", "feed snapshot"),
    ("feed_type", "数据类型", "feed type"),
    ("grant", "临时救助", "grant"),
    ("household", "家庭", "household"),
    ("household_list", "家庭名单", "household list"),
    ("member", "家庭成员", "member"),
    ("monitor_run", "监测运行", "monitoring run"),
    ("person", "人员", "person"),
    ("roster", "名册", "roster"),
    ("setting", "设置", "setting"),
    ("user", "用户", "user"),
    ("verification_report", "核对报告", "verification report"),
];

/// What an audit entry is about, said: `家庭 1234`.
pub fn object(object_type: &str, object_id: &str, chinese: bool) -> String {
    let label = OBJECT_TYPES
        .iter()
        .find(|(t, _, _)| *t == object_type)
        .map_or(object_type, |(_, zh, en)| if chinese { zh } else { en });
    format!("{label} {object_id}").trim().to_string()
}

/// The platform's own actors (command line, scheduler): (actor, zh-CN, en).
pub const SYSTEM_ACTORS: &[(&str, &str, &str)] = &[
    ("cli:demo", "演示数据（命令行）", "demo data (command line)"),
    (
        "cli:feed",
        "部门数据导入（命令行）",
        "feed import (command line)",
    ),
    (
        "cli:import",
        "名册导入（命令行）",
        "roster import (command line)",
    ),
    (
        "cli:monitor",
        "监测运行（命令行）",
        "monitoring run (command line)",
    ),
    (
        "cli:user",
        "用户管理（命令行）",
        "user management (command line)",
    ),
    ("demo", "演示数据", "demo data"),
    ("schedule:monitor", "定时监测", "scheduled monitoring"),
    ("schedule:supervision", "定时督办", "scheduled supervision"),
];

/// Who did something, said: a system actor by its label, a user by their name.
pub fn actor(who: &str, chinese: bool) -> String {
    SYSTEM_ACTORS
        .iter()
        .find(|(a, _, _)| *a == who)
        .map_or(who, |(_, zh, en)| if chinese { zh } else { en })
        .to_string()
}

/// The label of a detail's key; `None` for a key the table does not know.
pub fn key_label(key: &str, chinese: bool) -> Option<&'static str> {
    DETAIL_KEYS
        .iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, zh, en)| if chinese { *zh } else { *en })
}

/// A detail (JSON text, as stored) as a sentence: `理由：材料不全；附件数：2`. Text that is
/// not a JSON object is returned as it is.
pub fn describe(detail: &str, chinese: bool) -> String {
    match serde_json::from_str::<Value>(detail) {
        Ok(Value::Object(map)) => sentence(&map, chinese),
        Ok(Value::String(s)) => s,
        _ => detail.to_string(),
    }
}

fn sentence(map: &serde_json::Map<String, Value>, chinese: bool) -> String {
    let (colon, sep) = if chinese {
        ("：", "；")
    } else {
        (": ", "; ")
    };
    let mut parts = Vec::new();
    for (key, value) in map {
        let Some(said) = value_of(key, value, chinese) else {
            continue;
        };
        let label = key_label(key, chinese)
            .or_else(|| area_label(key, chinese))
            .unwrap_or(key);
        parts.push(format!("{label}{colon}{said}"));
    }
    parts.join(sep)
}

fn area_label(key: &str, chinese: bool) -> Option<&'static str> {
    INVESTIGATION_AREAS
        .iter()
        .find(|(c, _)| *c == key)
        .map(|(c, zh)| if chinese { *zh } else { *c })
}

/// A value said for people; `None` when there is nothing to say (null, empty).
fn value_of(key: &str, value: &Value, chinese: bool) -> Option<String> {
    let yes_no = |b: bool| match (b, chinese) {
        (true, true) => "是",
        (false, true) => "否",
        (true, false) => "yes",
        (false, false) => "no",
    };
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(yes_no(*b).to_string()),
        Value::Number(n) if key.ends_with("_fen") => n.as_i64().map(|f| {
            let yuan = crate::money::Money::from_fen(f).to_string();
            if chinese {
                format!("{yuan} 元")
            } else {
                format!("{yuan} yuan")
            }
        }),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(code_label(key, s, chinese)),
        Value::Array(items) => {
            let said: Vec<String> = items
                .iter()
                .filter_map(|v| value_of(key, v, chinese))
                .collect();
            (!said.is_empty()).then(|| said.join(if chinese { "、" } else { ", " }))
        }
        Value::Object(map) => {
            let said = sentence(map, chinese);
            (!said.is_empty()).then(|| {
                if chinese {
                    format!("（{said}）")
                } else {
                    format!("({said})")
                }
            })
        }
    }
}

/// A coded value by its label, read by its key where codes of two vocabularies meet.
fn code_label(key: &str, code: &str, chinese: bool) -> String {
    let pick = |zh: &'static str, en: &'static str| if chinese { zh } else { en };
    let by_key = match key {
        "department" | "from" if DEPARTMENTS.iter().any(|(c, _, _)| *c == code) => DEPARTMENTS
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(_, zh, en)| pick(zh, en)),
        "step" => StepKind::parse(code).map(|k| pick(k.label_zh(), k.label_en())),
        "field" => key_label(code, chinese),
        "kind" => DocumentKind::parse(code).map(|k| pick(k.label_zh(), k.label_en())),
        "role" => Role::parse(code)
            .ok()
            .map(|r| pick(r.label_zh(), r.label_en())),
        "hukou" => Hukou::parse(code)
            .ok()
            .map(|h| pick(h.label_zh(), h.label_en())),
        "relation" => Relation::parse(code)
            .ok()
            .map(|r| pick(r.label_zh(), r.label_en())),
        _ => None,
    };
    by_key
        .or_else(|| label_of(code, chinese))
        .map_or_else(|| code.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_sentences() {
        let said = describe(
            r#"{"reason":"材料不全","files":2,"step":"accept","note":"","x":null}"#,
            true,
        );
        assert_eq!(said, "附件数：2；理由：材料不全；环节：受理");
        assert_eq!(
            describe(
                r#"{"department":"education","from":"civil_affairs","reason":"学费"}"#,
                true
            ),
            "部门：教育局；原：民政局；理由：学费"
        );
        assert_eq!(
            describe(
                r#"{"from":"new","to":"assigned","amount_fen":123456}"#,
                true
            ),
            "金额：1234.56 元；原：新预警；改为：已分派"
        );
        assert_eq!(
            describe(r#"{"areas":{"income":"无收入"},"opinion":"同意"}"#, true),
            "入户调查：（收入状况：无收入）；意见：同意"
        );
        assert_eq!(
            describe(r#"{"role":"auditor","active":true}"#, false),
            "active: yes; role: auditor"
        );
        assert_eq!(describe("not json", true), "not json");
        assert_eq!(describe("{}", true), "");
        assert_eq!(object("household_list", "3303", true), "家庭名单 3303");
        assert_eq!(actor("schedule:monitor", true), "定时监测");
        assert_eq!(actor("county", true), "county");
    }

    #[test]
    fn every_key_has_a_chinese_label_and_is_listed_once() {
        let mut seen = std::collections::BTreeSet::new();
        for (key, zh, en) in DETAIL_KEYS {
            assert!(seen.insert(*key), "{key} listed twice");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{key}: {zh}"
            );
            assert!(!en.is_empty(), "{key}");
        }
    }
}
