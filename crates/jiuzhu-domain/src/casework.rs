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
