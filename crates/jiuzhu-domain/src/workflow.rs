//! Approval paths (审核审批流程): the steps of each program in order, the deciding
//! department, the deadline in working days and the approving level, from
//! `data/workflows.toml`. Pure: what a step needs before it can be completed is checked
//! here, so pages, API and tests share one rule.

use std::collections::BTreeSet;

use serde::Deserialize;

/// A step of an approval path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StepKind {
    Accept,
    Investigate,
    Appraise,
    Verify,
    Review,
    Notice,
    Approve,
    Decide,
}

impl StepKind {
    pub const ALL: [StepKind; 8] = [
        StepKind::Accept,
        StepKind::Investigate,
        StepKind::Appraise,
        StepKind::Verify,
        StepKind::Review,
        StepKind::Notice,
        StepKind::Approve,
        StepKind::Decide,
    ];

    pub fn code(self) -> &'static str {
        match self {
            StepKind::Accept => "accept",
            StepKind::Investigate => "investigate",
            StepKind::Appraise => "appraise",
            StepKind::Verify => "verify",
            StepKind::Review => "review",
            StepKind::Notice => "notice",
            StepKind::Approve => "approve",
            StepKind::Decide => "decide",
        }
    }

    pub fn parse(s: &str) -> Option<StepKind> {
        StepKind::ALL.into_iter().find(|k| k.code() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            StepKind::Accept => "受理",
            StepKind::Investigate => "入户调查",
            StepKind::Appraise => "民主评议",
            StepKind::Verify => "经济状况核对",
            StepKind::Review => "审核",
            StepKind::Notice => "公示",
            StepKind::Approve => "审批",
            StepKind::Decide => "决定",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            StepKind::Accept => "acceptance",
            StepKind::Investigate => "home investigation",
            StepKind::Appraise => "democratic appraisal",
            StepKind::Verify => "verification",
            StepKind::Review => "review",
            StepKind::Notice => "public notice",
            StepKind::Approve => "approval",
            StepKind::Decide => "decision",
        }
    }
}

/// The six areas of the home-investigation form (入户调查六个方面).
pub const INVESTIGATION_AREAS: [(&str, &str); 6] = [
    ("living", "家庭生活状况"),
    ("income", "收入状况"),
    ("property", "财产状况"),
    ("expenditure", "刚性支出"),
    ("health", "健康与劳动能力"),
    ("housing", "居住状况"),
];

/// Days a public notice (公示) stays up before the case can go on.
pub const NOTICE_DAYS: i64 = 7;

/// A program's approval path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workflow {
    pub program: String,
    pub department: String,
    pub deadline_days: u32,
    /// `county` or `township`.
    pub approval: String,
    pub steps: Vec<StepKind>,
    pub green_channel: bool,
    pub paperwork_days: u32,
}

#[derive(Deserialize)]
struct File {
    program: Vec<Raw>,
    #[serde(default)]
    change: Vec<RawChange>,
    #[serde(default)]
    review_months: std::collections::BTreeMap<String, u32>,
    #[serde(default)]
    phase_out: PhaseOut,
}

#[derive(Deserialize, Default)]
struct PhaseOut {
    #[serde(default)]
    months: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChange {
    kind: String,
    deadline_days: u32,
    approval: String,
    steps: Vec<String>,
}

/// A change to a recipient's benefit (动态管理) and its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// review, adjust, suspend, terminate, phase_out or convert.
    pub kind: String,
    pub deadline_days: u32,
    pub approval: String,
    pub steps: Vec<StepKind>,
}

/// Kinds of change, with their labels.
pub const CHANGE_KINDS: [(&str, &str, &str); 6] = [
    ("review", "定期核查", "periodic review"),
    ("adjust", "调整救助金额", "adjustment"),
    ("suspend", "暂停发放", "suspension"),
    ("terminate", "终止救助", "termination"),
    ("phase_out", "就业渐退", "phase-out after finding work"),
    ("convert", "低保转特困", "dibao to tekun"),
];

/// Changes, review intervals by category (months) and the phase-out period (months).
pub fn shipped_changes() -> (Vec<Change>, std::collections::BTreeMap<String, u32>, u32) {
    let f: File = toml::from_str(SHIPPED).expect("the shipped workflows parse");
    let changes = f
        .change
        .into_iter()
        .map(|c| Change {
            steps: c
                .steps
                .iter()
                .map(|s| StepKind::parse(s).expect("shipped change steps are known"))
                .collect(),
            kind: c.kind,
            deadline_days: c.deadline_days,
            approval: c.approval,
        })
        .collect();
    (changes, f.review_months, f.phase_out.months)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    code: String,
    department: String,
    deadline_days: u32,
    approval: String,
    steps: Vec<String>,
    #[serde(default)]
    green_channel: bool,
    #[serde(default)]
    paperwork_days: u32,
}

/// The shipped approval paths.
pub const SHIPPED: &str = include_str!("../data/workflows.toml");

/// Parses approval paths; an error names the program and the field.
pub fn parse(text: &str) -> Result<Vec<Workflow>, String> {
    let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut seen = BTreeSet::new();
    f.program
        .into_iter()
        .map(|r| {
            if !seen.insert(r.code.clone()) {
                return Err(format!("program {}: listed twice", r.code));
            }
            let steps = r
                .steps
                .iter()
                .map(|s| {
                    StepKind::parse(s)
                        .ok_or_else(|| format!("program {}: steps: unknown step {s:?}", r.code))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if steps.first() != Some(&StepKind::Accept) || steps.last() != Some(&StepKind::Decide) {
                return Err(format!(
                    "program {}: steps must start with accept and end with decide",
                    r.code
                ));
            }
            if steps.iter().collect::<BTreeSet<_>>().len() != steps.len() {
                return Err(format!("program {}: steps: a step appears twice", r.code));
            }
            if r.approval != "county" && r.approval != "township" {
                return Err(format!(
                    "program {}: approval must be county or township",
                    r.code
                ));
            }
            Ok(Workflow {
                program: r.code,
                department: r.department,
                deadline_days: r.deadline_days,
                approval: r.approval,
                steps,
                green_channel: r.green_channel,
                paperwork_days: r.paperwork_days,
            })
        })
        .collect()
}

/// The shipped paths.
pub fn shipped() -> Vec<Workflow> {
    parse(SHIPPED).expect("the shipped workflows parse")
}

/// How an application reaches the platform (the codes of [`crate::casework::Channel`]).
pub const CHANNELS: &[&str] = crate::casework::Channel::CODES;

/// Departments (部门) that decide programs.
pub const DEPARTMENTS: [(&str, &str, &str); 12] = [
    ("civil_affairs", "民政局", "civil affairs"),
    ("medical_insurance", "医保局", "medical insurance"),
    ("education", "教育局", "education"),
    ("housing", "住建局", "housing"),
    ("hrss", "人力社保局", "human resources and social security"),
    ("disability_federation", "残联", "disability federation"),
    ("public_security", "公安局", "public security"),
    ("health", "卫健委", "health commission"),
    ("justice", "司法局", "justice"),
    (
        "natural_resources",
        "自然资源和规划局",
        "natural resources and planning",
    ),
    ("market_regulation", "市场监管局", "market regulation"),
    ("housing_fund", "住房公积金中心", "housing provident fund"),
];

/// Whether `code` is a department of [`DEPARTMENTS`].
pub fn is_department(code: &str) -> bool {
    DEPARTMENTS.iter().any(|(c, _, _)| *c == code)
}

/// What a step's form holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepInput {
    /// The six areas of the investigation, by code.
    pub areas: Vec<(String, String)>,
    /// Staff who took part (investigation: at least two).
    pub staff: Vec<String>,
    /// Attachments (photos, records) by file name.
    pub attachments: Vec<String>,
    /// The record or opinion of the step.
    pub opinion: String,
}

/// Why a step's form is incomplete (退回补正): every missing item, named.
/// What a step's form lacks: the field, why in English, and in Chinese.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    pub field: String,
    pub en: String,
    pub zh: String,
}

fn missing(field: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> Missing {
    Missing {
        field: field.into(),
        en: en.into(),
        zh: zh.into(),
    }
}

pub fn check_input(step: StepKind, input: &StepInput) -> Result<(), Vec<Missing>> {
    let mut missing = Vec::new();
    match step {
        StepKind::Investigate => {
            for (code, label) in INVESTIGATION_AREAS {
                if !input
                    .areas
                    .iter()
                    .any(|(c, v)| c == code && !v.trim().is_empty())
                {
                    missing.push(self::missing(
                        format!("areas.{code}"),
                        format!("{label} is not recorded"),
                        format!("入户调查的“{label}”未填写"),
                    ));
                }
            }
            let staff: BTreeSet<&str> = input
                .staff
                .iter()
                .map(|s| s.trim())
                .filter(|s| !s.is_empty())
                .collect();
            if staff.len() < 2 {
                missing.push(self::missing(
                    "staff",
                    "at least two staff must take part in a home investigation",
                    "入户调查须有两名以上工作人员参加：请填写参加人员",
                ));
            }
            if input.attachments.is_empty() {
                missing.push(self::missing(
                    "photos",
                    "attach at least one photo of the home",
                    "请至少上传一张入户照片",
                ));
            }
        }
        StepKind::Appraise => {
            if input.opinion.trim().is_empty() {
                missing.push(self::missing(
                    "opinion",
                    "record the democratic appraisal",
                    "请填写民主评议意见",
                ));
            }
            if input.attachments.is_empty() {
                missing.push(self::missing(
                    "attachments",
                    "attach the appraisal record",
                    "请上传民主评议记录",
                ));
            }
        }
        StepKind::Review | StepKind::Approve if input.opinion.trim().is_empty() => {
            missing.push(self::missing(
                "opinion",
                "give the opinion of this step",
                "请填写本环节的意见",
            ));
        }
        _ => {}
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_paths_are_valid_and_dibao_has_every_step() {
        let all = shipped();
        let dibao = all.iter().find(|w| w.program == "dibao").unwrap();
        assert_eq!(dibao.steps, StepKind::ALL);
        let temporary = all.iter().find(|w| w.program == "temporary").unwrap();
        assert!(temporary.green_channel && temporary.steps.len() < dibao.steps.len());
    }

    #[test]
    fn every_change_kind_has_a_path_ending_in_a_decision() {
        let (changes, review, phase_out) = shipped_changes();
        for (kind, _, _) in CHANGE_KINDS {
            let c = changes
                .iter()
                .find(|c| c.kind == kind)
                .unwrap_or_else(|| panic!("{kind}"));
            assert_eq!(
                (c.steps.first(), c.steps.last()),
                (Some(&StepKind::Accept), Some(&StepKind::Decide))
            );
        }
        let convert = changes.iter().find(|c| c.kind == "convert").unwrap();
        assert_eq!(
            convert.steps[1],
            StepKind::Notice,
            "dibao to tekun goes straight to the notice"
        );
        assert_eq!((review["dibao"], phase_out), (12, 6));
    }

    #[test]
    fn bad_paths_are_refused_by_name() {
        let bad = "[[program]]\ncode = \"x\"\ndepartment = \"d\"\ndeadline_days = 1\napproval = \"county\"\nsteps = [\"accept\", \"fly\", \"decide\"]\n";
        assert!(parse(bad).unwrap_err().contains("unknown step \"fly\""));
        let skip = bad.replace("\"fly\", ", "");
        assert!(parse(&skip).is_ok());
        let no_accept = bad.replace("\"accept\", \"fly\", ", "");
        assert!(parse(&no_accept).unwrap_err().contains("start with accept"));
    }

    #[test]
    fn an_investigation_needs_six_areas_two_staff_and_a_photo() {
        let mut input = StepInput {
            staff: vec!["张三".into(), "张三".into()],
            ..Default::default()
        };
        let missing = check_input(StepKind::Investigate, &input).unwrap_err();
        assert_eq!(missing.len(), 8, "{missing:?}");
        assert!(
            missing
                .iter()
                .all(|m| !m.zh.is_empty() && !m.field.is_empty())
        );
        input.areas = INVESTIGATION_AREAS
            .iter()
            .map(|(c, _)| (c.to_string(), "已核实".to_string()))
            .collect();
        input.staff.push("李四".into());
        input.attachments.push("home.jpg".into());
        assert_eq!(check_input(StepKind::Investigate, &input), Ok(()));
    }
}
