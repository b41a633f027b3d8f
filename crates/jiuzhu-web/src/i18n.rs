//! Interface texts in Simplified Chinese (first) and English, chosen per user by cookie.

/// The interface language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_cookie(v: Option<&str>) -> Lang {
        match v {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }
    pub fn cookie(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
    /// The text for `key`; a missing key shows itself, and a test keeps every key present.
    pub fn t(self, key: &str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => "??",
        }
    }
}

/// (key, zh-CN, en)
pub const TEXTS: &[(&str, &str, &str)] = &[
    (
        "app",
        "救助 · 社会救助综合平台",
        "jiuzhu · social assistance platform",
    ),
    ("app_short", "救助", "jiuzhu"),
    ("switch_lang", "English", "中文"),
    ("sign_in", "登录", "Sign in"),
    ("sign_out", "退出", "Sign out"),
    ("username", "用户名", "User name"),
    ("password", "密码", "Password"),
    (
        "bad_login",
        "用户名或密码错误",
        "Wrong user name or password",
    ),
    (
        "locked",
        "连续输错密码，账号已锁定，请30分钟后再试",
        "Too many wrong passwords: the account is locked for 30 minutes",
    ),
    (
        "session_ended",
        "会话已超时或已退出，请重新登录",
        "Your session ended; please sign in again",
    ),
    ("home", "首页", "Home"),
    ("regions", "行政区划", "Regions"),
    ("households", "家庭档案", "Households"),
    ("new_household", "新增家庭", "New household"),
    ("users", "用户管理", "Users"),
    ("audit", "审计日志", "Audit log"),
    ("search", "查询", "Search"),
    (
        "search_hint",
        "身份证号、姓名或户号",
        "ID number, name or household number",
    ),
    ("region", "区划", "Region"),
    ("all", "全部", "All"),
    ("household_code", "户号", "Household no."),
    ("head", "户主", "Head"),
    ("id_number", "身份证号", "ID number"),
    ("name", "姓名", "Name"),
    ("phone", "电话", "Phone"),
    ("size", "人数", "Size"),
    ("hukou", "户籍性质", "Hukou"),
    ("address", "地址", "Address"),
    ("bank_name", "开户银行", "Bank"),
    ("bank_account", "银行账号", "Bank account"),
    ("members", "家庭成员", "Members"),
    ("relation", "与户主关系", "Relation to head"),
    ("sex", "性别", "Sex"),
    ("birth_date", "出生日期", "Birth date"),
    ("age", "年龄", "Age"),
    ("evidence", "佐证信息", "Evidence"),
    ("kind", "类别", "Kind"),
    ("value", "值", "Value"),
    ("source", "来源", "Source"),
    ("valid_from", "起始日期", "Valid from"),
    ("valid_to", "截止日期", "Valid to"),
    ("recorded", "录入", "Recorded"),
    ("note", "备注", "Note"),
    ("supporters", "赡养(抚养、扶养)义务人", "Supporters"),
    ("annual_income", "年收入", "Annual income"),
    ("status", "状况", "Status"),
    ("luxury", "大额财产", "Large assets"),
    ("audit_trail", "操作记录", "Audit trail"),
    ("when", "时间", "When"),
    ("who", "操作人", "Who"),
    ("action", "操作", "Action"),
    ("detail", "详情", "Detail"),
    ("edit", "修改", "Edit"),
    ("save", "保存", "Save"),
    ("cancel", "取消", "Cancel"),
    ("reveal", "查看完整", "Show in full"),
    ("as_of", "查看某日状态", "As of date"),
    ("show", "显示", "Show"),
    ("current", "当前", "Current"),
    ("ended", "已终止", "Ended"),
    ("add_member", "添加成员", "Add member"),
    ("end_member", "迁出/注销", "End membership"),
    ("record_evidence", "登记佐证", "Record evidence"),
    ("end", "终止", "End"),
    ("export_xlsx", "导出Excel", "Export to Excel"),
    ("total", "共", "Total"),
    ("prev", "上一页", "Previous"),
    ("next", "下一页", "Next"),
    ("no_results", "没有符合条件的家庭", "No household matches"),
    ("scope", "数据范围", "Scope"),
    ("role", "角色", "Role"),
    ("department", "部门", "Department"),
    ("active", "启用", "Active"),
    ("locked_until", "锁定至", "Locked until"),
    ("new_user", "新增用户", "New user"),
    ("display_name", "显示名", "Display name"),
    ("persons", "人口", "Persons"),
    ("verify_chain", "校验哈希链", "Verify hash chain"),
    (
        "chain_ok",
        "哈希链完整，未发现篡改",
        "Chain intact: no row altered or removed",
    ),
    (
        "chain_bad",
        "哈希链断裂：发现被篡改的记录",
        "Chain broken: a row was altered or removed",
    ),
    ("object", "对象", "Object"),
    ("from", "自", "From"),
    ("to", "至", "To"),
    (
        "forbidden",
        "您的角色无权进行此操作",
        "Your role may not do this",
    ),
    (
        "not_found",
        "未找到，或不在您的数据范围内",
        "Not found, or outside your scope",
    ),
    (
        "fix_errors",
        "请修改标出的错误后再保存",
        "Please correct the marked fields",
    ),
    ("welcome", "欢迎", "Welcome"),
    ("todo", "待办事项", "To do"),
    ("todo_none", "暂无待办。", "Nothing to do yet."),
    ("quick_search", "快速查询", "Quick search"),
    ("subregions", "下级区划", "Sub-regions"),
    ("region_code", "区划代码", "Region code"),
    ("household_count", "家庭数", "Households"),
    (
        "masked_note",
        "证件号、电话默认脱敏显示；查看完整信息将记入审计日志。",
        "ID and phone numbers are masked; showing one in full is recorded in the audit log.",
    ),
    (
        "password_new",
        "新密码（留空则不修改）",
        "New password (leave empty to keep)",
    ),
    ("unlock", "解除锁定", "Unlock"),
    (
        "csrf",
        "表单已失效，请刷新页面后重试",
        "The form expired; reload the page and try again",
    ),
    ("api_doc", "接口文档", "API document"),
    ("policy", "政策参数", "Policy"),
    ("programs", "救助事项", "Programs"),
    ("parameters", "参数", "Parameters"),
    ("variables", "计算项", "Variables"),
    ("label", "说明", "Label"),
    (
        "history",
        "取值历史（起始日期: 值）",
        "History (from: value)",
    ),
    ("unit", "单位", "Unit"),
    ("reference", "依据", "Reference"),
    ("illustrative", "示例值", "illustrative"),
    ("by_region", "按区县取值", "set per county"),
    ("entity", "对象", "Entity"),
    ("formula", "公式", "Formula"),
    ("eligible_var", "资格判定", "Eligibility"),
    ("amount_var", "金额", "Amount"),
    ("prescription", "政策研判", "Policy matching"),
    ("ranking", "困难指数排序", "Hardship ranking"),
    ("simulation", "政策调整测算", "Reform simulation"),
    ("scale", "倍数（如1.05）", "Scale (e.g. 1.05)"),
    ("new_value", "或新值", "Or a new value"),
    ("run_simulation", "测算", "Simulate"),
    ("by_county", "分区县结果", "By county"),
    ("eligible_before", "调整前符合", "Eligible before"),
    ("eligible_after", "调整后符合", "Eligible after"),
    ("cost_before", "调整前金额合计", "Total before"),
    ("cost_after", "调整后金额合计", "Total after"),
    ("period", "周期", "Period"),
    ("gain", "增加", "Gain"),
    ("lose", "减少", "Lose"),
    ("changed_households", "变化的家庭", "Households that change"),
    ("reason", "原因", "Reason"),
    ("hardship_index", "困难指数", "Hardship index"),
    ("urban", "城镇", "urban"),
    ("rural", "农村", "rural"),
    ("with_disabled", "有残疾成员", "with a disabled member"),
    ("circle", "信息圈", "Circle"),
    ("not_evaluated", "户无法计算", "could not be evaluated"),
    (
        "illustrative_values",
        "含示例参数，结果仅供参考",
        "uses illustrative values: for reference only",
    ),
    ("eligible", "符合", "eligible"),
    ("not_eligible", "不符合", "not eligible"),
    ("yuan", "元", "yuan"),
    ("condition", "条件", "Condition"),
    ("threshold", "标准", "Threshold"),
    ("difference", "差额", "Difference"),
    ("held", "成立", "Holds"),
    ("trace", "计算过程", "How it was computed"),
    ("alerts", "预警处置", "Alerts"),
    ("alert", "预警", "Alert"),
    ("rules", "预警规则", "Monitoring rules"),
    ("feeds", "部门数据", "Department feeds"),
    ("rule", "规则", "Rule"),
    ("assignee", "承办人", "Assignee"),
    ("overdue", "已超期", "Overdue"),
    ("subject", "对象", "Subject"),
    ("household", "家庭", "Household"),
    ("month", "月份", "Month"),
    ("severity", "等级", "Severity"),
    ("suggested_action", "建议措施", "Suggested action"),
    ("deadline", "办结时限", "Deadline"),
    ("assign_to", "分派给", "Assign to"),
    ("assign_selected", "分派所选", "Assign selected"),
    ("new", "新预警", "New"),
    ("assigned", "已分派", "Assigned"),
    ("investigating", "核查中", "Investigating"),
    ("closed", "已办结", "Closed"),
    ("high", "高", "High"),
    ("medium", "中", "Medium"),
    ("low", "低", "Low"),
    ("outreach", "主动走访", "Outreach"),
    ("recheck", "复核", "Re-check"),
    ("suspend", "暂停发放", "Suspend"),
    ("assist", "直接救助", "Assist"),
    ("assigned_n", "已分派", "Assigned"),
    ("outcome", "处置结果", "Outcome"),
    ("assign", "分派", "Assign"),
    ("start_investigation", "开始核查", "Start investigating"),
    ("close_alert", "办结", "Close"),
    (
        "auto_assist_note",
        "无感智办：以下救助由政策引擎按家庭现有数据计算，可直接进入一日审批。",
        "Automatic assistance: computed by the policy engine from the household's data, ready for one-day approval.",
    ),
    ("rule_sql", "规则SQL", "Rule SQL"),
    ("assistance_started", "已启动救助", "Assistance started"),
    ("benefit_adjusted", "已调整待遇", "Benefit adjusted"),
    ("suspended", "已暂停", "Suspended"),
    ("no_change", "无需变更", "No change needed"),
    ("false_alarm", "误报", "False alarm"),
    ("raised", "产生", "Raised"),
    ("open", "未办结", "Open"),
    ("false_share", "误报率", "False-alarm share"),
    ("run_now", "立即比对", "Run now"),
    ("runs", "比对记录", "Runs"),
    ("via", "方式", "How"),
    ("population", "监测人数", "Population"),
    ("findings", "条发现", "findings"),
    ("new_alerts", "条新预警", "new alerts"),
    ("run_done", "比对完成", "Run finished"),
    ("feed_type", "数据类型", "Feed type"),
    ("file", "文件", "File"),
    ("import", "导入", "Import"),
    ("feed_types", "数据类型", "Feed types"),
    ("columns", "字段", "Columns"),
    ("snapshots", "数据批次", "Snapshots"),
    ("declared", "自定义", "declared"),
    ("declare_feed", "新增数据类型", "Declare a feed type"),
    ("id_column", "身份证号字段", "ID number column"),
    ("declare", "新增", "Declare"),
    ("rows", "行数", "Rows"),
    ("refused", "拒收", "Refused"),
    ("snapshot", "数据批次", "Snapshot"),
    ("refused_rows", "拒收的行", "Refused rows"),
    ("line", "行号", "Line"),
    ("column", "字段", "Column"),
    ("verification", "经济状况核对", "Verification"),
    ("authorisations", "核对授权书", "Authorisations"),
    ("signer", "签署人", "Signer"),
    ("signed_on", "签署日期", "Signed on"),
    ("scan", "扫描件", "Scan"),
    (
        "record_authorisation",
        "登记授权书",
        "Record an authorisation",
    ),
    ("signer_name", "签署人姓名", "Signer's name"),
    (
        "default_auth_scope",
        "全体家庭成员及赡养（抚养、扶养）义务人的收入和财产",
        "Income and property of all members and obliged supporters",
    ),
    ("run_verification", "发起核对", "Verify"),
    ("authorisation", "授权书", "Authorisation"),
    ("purpose", "用途", "Purpose"),
    (
        "default_purpose",
        "最低生活保障申请核对",
        "Dibao application check",
    ),
    ("query_departments", "查询部门数据", "Query departments"),
    ("verification_reports", "核对报告", "Verification reports"),
    ("verification_report", "核对报告", "Verification report"),
    ("feeds_queried", "查询的数据", "Feeds queried"),
    ("contradictions", "与申报不符", "Contradictions"),
    (
        "no_contradictions",
        "未发现与申报不符的情况",
        "Nothing contradicts the declared evidence",
    ),
    (
        "accept_findings",
        "采纳为核实证据",
        "Accept as verified evidence",
    ),
    ("found", "查询结果", "Found"),
    ("member", "家庭成员", "member"),
    ("supporter", "赡养义务人", "supporter"),
    ("nothing_found", "未查到记录", "Nothing found"),
    ("accepted_n", "已采纳", "Accepted"),
    ("grants_proposed", "项无感智办救助待批", "grants proposed"),
    ("grant", "无感智办救助", "Automatic assistance"),
    ("program", "救助事项", "Program"),
    ("expense", "支出", "Expense"),
    ("proposed", "待审批", "Awaiting approval"),
    ("approved", "已批准", "Approved"),
    ("rejected", "已驳回", "Rejected"),
    ("receipt", "计算凭证", "Receipt"),
    ("approve", "批准", "Approve"),
    ("reject", "驳回", "Reject"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_templates_use_known_keys() {
        let mut keys: Vec<&str> = TEXTS.iter().map(|(k, _, _)| *k).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "duplicate key");
        // Every lang.t("...") in the templates names a key.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("lang.t(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                assert!(keys.contains(&key), "unknown text key {key:?}");
            }
        }
    }
}
