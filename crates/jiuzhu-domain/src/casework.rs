//! The vocabulary of casework as types: how an application arrives ([`Channel`]), what is
//! done at a step ([`StepAction`]), what is recorded beside the steps ([`NoteAction`]),
//! what an item decides ([`ItemKind`]) and how an alert ends ([`Outcome`]). Front ends
//! parse a code once at the edge; use cases match on the enum, never on a string.

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            /// Every value, in the order of the vocabulary.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// Every code, in the order of the vocabulary.
            pub const CODES: &'static [&'static str] = &[$($code,)+];

            /// The code stored and sent over the API.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code,)+
                }
            }

            /// The value of a code, if it is one.
            pub fn parse(code: &str) -> Option<$name> {
                match code {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }

            pub fn label_zh(self) -> &'static str {
                match self {
                    $($name::$variant => $zh,)+
                }
            }

            pub fn label_en(self) -> &'static str {
                match self {
                    $($name::$variant => $en,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

vocabulary!(
    /// How an application reaches the platform: at the window, online, through a proxy,
    /// from a discovery report or from a monitoring alert (and, for changes to recipients,
    /// from the caseworker: `discovery`).
    Channel {
        Window = "window", "窗口受理", "at the window";
        Online = "online", "网上申请", "online";
        Proxy = "proxy", "代为申请", "by proxy";
        Discovery = "discovery", "主动发现", "discovery";
        Alert = "alert", "预警转办", "from an alert";
    }
);

vocabulary!(
    /// What is done at an item's current step.
    StepAction {
        Complete = "complete", "办结本环节", "complete";
        Return = "return", "退回", "send back";
        Refuse = "refuse", "不予受理或不予批准", "refuse";
    }
);

vocabulary!(
    /// What is recorded beside the steps, without moving the item.
    NoteAction {
        Opinion = "opinion", "协办意见", "co-handling opinion";
        Cohandle = "cohandle", "发起协办", "co-handling request";
        Objection = "objection", "公示异议", "objection";
        Answer = "answer", "异议答复", "answer to an objection";
        Transfer = "transfer", "转办", "transfer";
        OverdueNotice = "overdue_notice", "超时通报", "overdue notice";
    }
);

vocabulary!(
    /// What an item decides: a new grant, or a change to a recipient's benefit (动态管理).
    ItemKind {
        Grant = "grant", "新申请", "new application";
        Review = "review", "定期核查", "periodic review";
        Adjust = "adjust", "调整救助金额", "adjustment";
        Suspend = "suspend", "暂停发放", "suspension";
        Terminate = "terminate", "终止救助", "termination";
        PhaseOut = "phase_out", "就业渐退", "phase-out after finding work";
        Convert = "convert", "低保转特困", "dibao to tekun";
    }
);

vocabulary!(
    /// The documents an item issues as it goes (受理通知书 … 终止通知书).
    DocumentKind {
        Acceptance = "acceptance", "受理通知书", "Notice of acceptance";
        NonAcceptance = "non_acceptance", "不予受理告知书", "Notice of non-acceptance";
        Investigation = "investigation", "入户调查表", "Home investigation form";
        Decision = "decision", "审批决定书", "Decision";
        Termination = "termination", "终止（暂停）救助通知书", "Notice of termination";
        Refusal = "refusal", "不予批准通知书", "Notice of refusal";
    }
);

vocabulary!(
    /// How an alert's investigation ends.
    Outcome {
        AssistanceStarted = "assistance_started", "已启动救助", "assistance started";
        BenefitAdjusted = "benefit_adjusted", "已调整待遇", "benefit adjusted";
        Suspended = "suspended", "已暂停发放", "payments suspended";
        NoChange = "no_change", "核实无变化", "no change";
        FalseAlarm = "false_alarm", "误报", "false alarm";
    }
);

impl ItemKind {
    /// Changes (not new grants): the kinds a caseworker opens on a recipient.
    pub const CHANGES: [ItemKind; 6] = [
        ItemKind::Review,
        ItemKind::Adjust,
        ItemKind::Suspend,
        ItemKind::Terminate,
        ItemKind::PhaseOut,
        ItemKind::Convert,
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_are_refused() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.code()), Some(*c));
        }
        for k in ItemKind::ALL {
            assert_eq!(ItemKind::parse(&k.to_string()), Some(*k));
        }
        assert_eq!(StepAction::parse("Complete"), None);
        assert_eq!(
            NoteAction::parse("overdue_notice"),
            Some(NoteAction::OverdueNotice)
        );
        assert_eq!(Outcome::CODES.len(), Outcome::ALL.len());
        assert!(ItemKind::CHANGES.iter().all(|k| *k != ItemKind::Grant));
    }
}

vocabulary!(
    /// Where a case item stands.
    ItemStatus {
        Open = "open", "未办结", "open";
        Approved = "approved", "已批准", "approved";
        Rejected = "rejected", "已驳回", "rejected";
        Withdrawn = "withdrawn", "已撤回", "withdrawn";
    }
);

vocabulary!(
    /// Where an alert stands.
    AlertStatus {
        New = "new", "新预警", "new";
        Assigned = "assigned", "已分派", "assigned";
        Investigating = "investigating", "核查中", "investigating";
        Closed = "closed", "已办结", "closed";
    }
);

vocabulary!(
    /// Where a proposed automatic grant stands.
    GrantStatus {
        Proposed = "proposed", "待审批", "awaiting approval";
        Approved = "approved", "已批准", "approved";
        Rejected = "rejected", "已驳回", "rejected";
    }
);

/// The Chinese label of an item status code (the code where it is none).
pub fn item_status_zh(code: &str) -> &str {
    ItemStatus::parse(code).map_or(code, |s| s.label_zh())
}

/// The Chinese label of an alert status code (the code where it is none).
pub fn alert_status_zh(code: &str) -> &str {
    AlertStatus::parse(code).map_or(code, |s| s.label_zh())
}

/// The Chinese label of a grant status code (the code where it is none).
pub fn grant_status_zh(code: &str) -> &str {
    GrantStatus::parse(code).map_or(code, |s| s.label_zh())
}

/// The programs of assistance by code: Chinese and English names.
pub const PROGRAMS: &[(&str, &str, &str)] = &[
    ("dibao", "最低生活保障", "minimum living guarantee"),
    (
        "dibao_single",
        "低保（单人户纳入）",
        "dibao for a member included alone",
    ),
    ("dibao_edge", "低保边缘家庭", "near-dibao household"),
    (
        "tekun",
        "特困人员救助供养",
        "support for people in extreme poverty",
    ),
    ("temporary", "临时救助", "temporary assistance"),
    ("medical", "医疗救助", "medical assistance"),
    ("education", "教育救助", "education assistance"),
    (
        "disability_living",
        "困难残疾人生活补贴",
        "living subsidy for poor disabled people",
    ),
    (
        "disability_nursing",
        "重度残疾人护理补贴",
        "nursing subsidy for severely disabled people",
    ),
];

/// A program's name, in Chinese when `chinese`; the code where it is not a known program.
pub fn program_label(code: &str, chinese: bool) -> &str {
    PROGRAMS
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or(code, |(_, zh, en)| if chinese { zh } else { en })
}

/// What each audit action means, in Chinese and English (the audit log stores the code).
pub const AUDIT_ACTIONS: &[(&str, &str, &str)] = &[
    ("alert.advance", "预警办理", "alert moved a step"),
    ("alert.view", "查看预警", "alert viewed"),
    ("application.create", "受理申请", "application taken"),
    ("auth.failed", "登录失败", "sign-in failed"),
    ("auth.locked", "账号锁定", "account locked"),
    (
        "auth.refused_locked",
        "锁定期间拒绝登录",
        "sign-in refused while locked",
    ),
    ("auth.sign_in", "登录", "signed in"),
    ("auth.sign_out", "退出登录", "signed out"),
    (
        "authorisation.record",
        "登记核对授权书",
        "authorisation recorded",
    ),
    (
        "authorisation.scan",
        "查看授权书扫描件",
        "authorisation scan viewed",
    ),
    ("case.document", "查看文书", "document viewed"),
    ("case.note", "办理记录", "case note"),
    ("case.notice_list", "导出公示名单", "notice list exported"),
    ("case.step", "办理环节", "case step"),
    ("evidence.end", "终止证据", "evidence ended"),
    ("evidence.record", "登记证据", "evidence recorded"),
    ("feed.declare", "新增数据类型", "feed type declared"),
    ("feed.import", "导入部门数据", "feed imported"),
    ("grant.approve", "批准自动救助", "automatic grant approved"),
    ("grant.propose", "提出自动救助", "automatic grant proposed"),
    ("grant.reject", "驳回自动救助", "automatic grant rejected"),
    (
        "household.category",
        "变更救助类别",
        "assistance category changed",
    ),
    (
        "household.category_bulk",
        "批量变更救助类别",
        "assistance categories changed in bulk",
    ),
    ("household.create", "新增家庭", "household registered"),
    ("household.export", "导出家庭名单", "households exported"),
    ("list.export", "导出列表", "list exported"),
    ("household.hukou", "变更户籍性质", "hukou changed"),
    (
        "household.main_laborer",
        "变更主要劳动力",
        "main labourer changed",
    ),
    ("household.ranking", "查看困难排序", "ranking viewed"),
    ("household.update", "修改家庭信息", "household updated"),
    ("household.view", "查看家庭", "household viewed"),
    ("import.batch", "批量导入", "roster batch imported"),
    ("intake.from_alert", "预警转受理", "intake from an alert"),
    ("member.add", "增加成员", "member added"),
    ("member.end", "成员减少", "member ended"),
    ("monitor.run", "监测比对", "monitoring run"),
    ("person.update", "更正个人信息", "person corrected"),
    ("policy.simulate", "政策模拟", "policy simulated"),
    (
        "sensitive.reveal",
        "查看敏感信息",
        "sensitive data revealed",
    ),
    ("setting.update", "修改设置", "setting changed"),
    ("token.create", "创建接口令牌", "API token created"),
    ("token.revoke", "吊销接口令牌", "API token revoked"),
    ("user.create", "新增用户", "user created"),
    ("user.update", "修改用户", "user updated"),
    (
        "verification.query",
        "查询部门数据",
        "department data queried",
    ),
    (
        "verification.report",
        "生成核对报告",
        "verification report made",
    ),
    (
        "verification.view",
        "查看核对报告",
        "verification report viewed",
    ),
];

/// The label of any code of the casework vocabularies, programs and audit actions, in
/// Chinese when `chinese`; `None` when the code is none of them.
pub fn label_of(code: &str, chinese: bool) -> Option<&'static str> {
    let pick = |zh: &'static str, en: &'static str| if chinese { zh } else { en };
    macro_rules! try_vocabulary {
        ($($v:ident),+) => {
            $(if let Some(x) = $v::parse(code) {
                return Some(pick(x.label_zh(), x.label_en()));
            })+
        };
    }
    try_vocabulary!(
        ItemStatus,
        AlertStatus,
        Channel,
        StepAction,
        NoteAction,
        ItemKind,
        Outcome
    );
    PROGRAMS
        .iter()
        .chain(AUDIT_ACTIONS)
        .find(|(c, _, _)| *c == code)
        .map(|(_, zh, en)| pick(zh, en))
}

#[cfg(test)]
mod label_tests {
    use super::*;

    #[test]
    fn every_code_has_a_chinese_label() {
        for code in ItemStatus::CODES
            .iter()
            .chain(AlertStatus::CODES)
            .chain(Channel::CODES)
            .chain(NoteAction::CODES)
            .chain(Outcome::CODES)
        {
            let zh = label_of(code, true).unwrap();
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}: {zh}"
            );
        }
        assert_eq!(label_of("household.view", true), Some("查看家庭"));
        assert_eq!(label_of("dibao", false), Some("minimum living guarantee"));
        assert_eq!(label_of("no-such-code", true), None);
        // One code, one meaning: the vocabularies `label_of` reads share no code.
        let mut seen = std::collections::BTreeSet::new();
        for code in ItemStatus::CODES
            .iter()
            .chain(AlertStatus::CODES)
            .chain(Channel::CODES)
            .chain(StepAction::CODES)
            .chain(NoteAction::CODES)
            .chain(ItemKind::CODES)
            .chain(Outcome::CODES)
            .chain(PROGRAMS.iter().chain(AUDIT_ACTIONS).map(|(c, _, _)| c))
        {
            assert!(seen.insert(*code), "{code} stands in two vocabularies");
        }
    }
}
