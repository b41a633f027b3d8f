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
    /// `zh` or `en`, by the language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
    /// The label of a casework code the interface shows (an item or alert status, a
    /// channel, a step or note action, a program, an audit action) or of a role, in this
    /// language; the code itself where it is none of them. Departments and steps have codes
    /// of their own that overlap these (`education`, `review`): [`Lang::department`] and
    /// [`Lang::step`] name them.
    pub fn say(self, code: &str) -> String {
        if let Some(l) = jiuzhu_domain::casework::label_of(code, self == Lang::Zh) {
            return l.to_string();
        }
        match jiuzhu_domain::Role::parse(code) {
            Ok(r) => self.pick(r.label_zh(), r.label_en()).to_string(),
            Err(_) => code.to_string(),
        }
    }

    /// A value of the policy engine's trace as read: yes/no, a status by its label, a
    /// table as `行：列 值`.
    pub fn value(self, v: &serde_json::Value) -> String {
        match v {
            serde_json::Value::Bool(b) => self
                .pick(if *b { "是" } else { "否" }, if *b { "yes" } else { "no" })
                .into(),
            serde_json::Value::String(s) => self.category(s),
            serde_json::Value::Null => String::new(),
            serde_json::Value::Object(_) | serde_json::Value::Array(_) => {
                jiuzhu_domain::describe::describe(&v.to_string(), self == Lang::Zh)
            }
            other => other.to_string(),
        }
    }

    /// A household's assistance status or category as the policy engine and the registry
    /// code it (`dibao`, `tekun`, `edge`, `none`).
    pub fn category(self, code: &str) -> String {
        match code {
            "edge" => self.pick("低保边缘", "near-dibao").into(),
            "none" | "" => self.pick("无", "none").into(),
            _ => self.say(code),
        }
    }

    /// Urban or rural registration (户口性质).
    pub fn hukou(self, code: &str) -> String {
        jiuzhu_domain::registry::Hukou::parse(code)
            .map_or(code, |h| self.pick(h.label_zh(), h.label_en()))
            .to_string()
    }

    /// Who did something: a system actor by its label, a user by their name.
    pub fn actor(self, who: &str) -> String {
        jiuzhu_domain::describe::actor(who, self == Lang::Zh)
    }

    /// A unit, period or entity of the policy packs as read (`yuan/month` → 元/月).
    pub fn unit(self, code: &str) -> String {
        UNITS
            .iter()
            .find(|(c, _, _)| *c == code)
            .map_or(code, |(_, zh, en)| self.pick(zh, en))
            .to_string()
    }

    /// A department's name (its code where it is none).
    pub fn department(self, code: &str) -> String {
        jiuzhu_domain::workflow::DEPARTMENTS
            .iter()
            .find(|(c, _, _)| *c == code)
            .map_or(code, |(_, zh, en)| self.pick(zh, en))
            .to_string()
    }

    /// A step's name (its code where it is none).
    pub fn step(self, code: &str) -> String {
        jiuzhu_domain::workflow::StepKind::parse(code)
            .map_or(code, |k| self.pick(k.label_zh(), k.label_en()))
            .to_string()
    }

    /// The text for `key`; a missing key shows itself, and a test keeps every key present.
    pub fn t(self, key: &str) -> &'static str {
        match TEXTS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => self.pick(zh, en),
            None => "??",
        }
    }
}

/// The units, periods and entities the policy packs use: (code, zh-CN, en).
pub const UNITS: &[(&str, &str, &str)] = &[
    ("/1", "比例", "share"),
    ("house", "套", "houses"),
    ("month", "月", "months"),
    (
        "months of the standard",
        "个月低保标准",
        "months of the standard",
    ),
    ("points", "分", "points"),
    ("standard", "倍低保标准", "times the dibao standard"),
    ("year", "岁/年", "years"),
    ("yuan", "元", "yuan"),
    ("yuan, once", "元（一次性）", "yuan, once"),
    ("yuan/month", "元/月", "yuan a month"),
    ("yuan/person/month", "元/人/月", "yuan a person a month"),
    ("yuan/year", "元/年", "yuan a year"),
    ("annual", "按年", "a year"),
    ("monthly", "按月", "a month"),
    ("once", "一次性", "once"),
    ("status", "身份认定", "a status"),
    ("household", "家庭", "household"),
    ("person", "个人", "person"),
    ("supporter", "赡养（抚养、扶养）人", "supporter"),
    ("rp1", "RP-1 基准测算", "RP-1 benchmark"),
    ("national", "国家规定", "national rules"),
    ("zhejiang-wenzhou", "浙江温州", "Zhejiang, Wenzhou"),
];

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
    ("administrator_only", "仅管理员导入", "administrator only"),
    ("api_tokens", "接口令牌", "API tokens"),
    ("no_tokens", "没有接口令牌", "No API tokens"),
    ("created_on", "签发日期", "Issued"),
    ("expires_on", "到期日期", "Expires"),
    ("token_active", "有效", "active"),
    ("token_expired", "已过期", "expired"),
    ("token_revoked", "已吊销", "revoked"),
    ("revoke", "吊销", "Revoke"),
    (
        "too_many_tries",
        "尝试次数过多，请30分钟后再试，或到窗口办理",
        "Too many tries; try again in 30 minutes or visit the window",
    ),
    (
        "city_wide",
        "全市范围（不按导入人辖区核对）",
        "city-wide (rows not checked against the importer's region)",
    ),
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
    ("identifier", "标识符", "Identifier"),
    (
        "simulate_scale_or_value",
        "请填写“倍数”或“新值”其中一项（不能都空，也不能都填）。",
        "Give either a scale or a new value (one of them, not both).",
    ),
    (
        "simulate_not_a_number",
        "“倍数”和“新值”须为数字，例如 1.1 或 1050。",
        "The scale and the new value must be numbers, such as 1.1 or 1050.",
    ),
    ("step_now", "当前环节", "current step"),
    ("case_history", "办理记录", "Record of what was done"),
    ("via_schedule", "定时", "scheduled"),
    ("via_manual", "手动", "by hand"),
    ("feed_events", "事件（逐条新增）", "events (rows added)"),
    (
        "feed_full",
        "全量（整表替换）",
        "full (whole table replaced)",
    ),
    (
        "pack_identifiers",
        "标识符和公式按政策包原文显示，供规则维护人员核对；依据原文照录。",
        "Identifiers and formulas are shown as the pack writes them, for those who maintain the rules; references are quoted as written.",
    ),
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
    ("held", "结论", "Verdict"),
    ("met", "符合", "met"),
    (
        "holds",
        "成立（须与其他条件合看）",
        "holds (read with the others)",
    ),
    (
        "does_not_hold",
        "不成立（须与其他条件合看）",
        "does not hold (read with the others)",
    ),
    ("not_met", "不符合", "not met"),
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
    ("select_all", "全选", "Select all"),
    ("todo_cases", "待我办理的事项", "Cases waiting for me"),
    (
        "authorisation_needed",
        "受理前须登记申请人签署的核对授权书：在此登记后即可完成受理。",
        "Acceptance needs the applicant's signed authorisation: record it here, then complete acceptance.",
    ),
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
    ("roster_import", "名册导入", "Roster import"),
    (
        "roster_import_help",
        "上传家庭、人口和义务人三个文件（CSV 或 XLSX），或一个含三个工作表的 roster.xlsx。每一行都经校验，拒收的行注明文件、行号、列和原因；已登记的家庭和人员不会重复登记。只能导入本辖区的家庭：",
        "Upload the households, persons and supporters files (CSV or XLSX), or one roster.xlsx with those three sheets. Every row is checked; each refused row is listed with its file, line, column and reason; what is registered already is not registered again. Only households of your region can be imported:",
    ),
    (
        "roster_workbook",
        "或整个名册工作簿",
        "or the whole roster workbook",
    ),
    ("source_declared", "申报", "declared"),
    (
        "source_verified",
        "部门核实",
        "verified from department data",
    ),
    ("source_home_visit", "入户调查", "found on a home visit"),
    ("import_report", "导入结果", "Import report"),
    (
        "rows_read",
        "读取行数（家庭/人口/义务人）",
        "Rows read (households / persons / supporters)",
    ),
    ("households_added", "新增家庭", "Households added"),
    ("persons_added", "新增人员", "Persons added"),
    ("supporters_added", "新增义务人", "Supporters added"),
    ("evidence_added", "新增证据记录", "Evidence records added"),
    (
        "already_registered",
        "已登记（家庭/人员）",
        "Already registered (households / persons)",
    ),
    (
        "more_refused",
        "仅列出前 500 行。",
        "Only the first 500 are listed.",
    ),
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
    ("intake", "一门受理", "One-door intake"),
    ("applicant_id", "申请人身份证号", "Applicant's ID number"),
    ("lookup", "查找", "Look up"),
    (
        "routed_elsewhere",
        "户籍不在本辖区，事项将转至",
        "Registered elsewhere: the items go to",
    ),
    ("channel", "受理渠道", "Channel"),
    ("channel_window", "窗口", "At a window"),
    ("channel_proxy", "代办", "By proxy"),
    ("channel_online", "网上申请", "Online"),
    ("channel_discovery", "主动发现", "Discovery report"),
    ("channel_alert", "预警转办", "From an alert"),
    ("proxy_name", "代办人姓名", "Proxy's name"),
    ("proxy_id", "代办人身份证号", "Proxy's ID number"),
    ("source_ref", "来源编号", "Source"),
    ("already_open", "已有在办申请", "Already open in"),
    (
        "whatever_applies",
        "按政策研判结果全部申请（应享尽享）",
        "Whatever applies",
    ),
    (
        "green_channel",
        "绿色通道（先救助后补材料）",
        "Green channel (aid first, paperwork after)",
    ),
    ("none_yet", "尚未签署", "none yet"),
    ("take_application", "受理", "Take the application"),
    ("application", "申请", "Application"),
    ("applicant", "申请人", "Applicant"),
    ("taken_by", "受理人", "Taken by"),
    ("one_time_notice", "一次性告知", "One-time notice"),
    ("items", "救助事项", "Items"),
    ("current_step", "当前环节", "Current step"),
    ("my_applications", "我受理的申请", "Applications I took"),
    ("case_queue", "部门待办", "Department queue"),
    ("include_closed", "含已办结", "include closed"),
    ("notice_list", "公示名单", "Public notice list"),
    ("deadline_board", "时限督办", "Deadline board"),
    ("notify_overdue", "超时通报", "Send overdue notices"),
    ("due_soon", "即将到期", "Due soon"),
    ("staff", "调查人员", "Staff"),
    ("photos", "照片", "Photos"),
    ("opinion", "意见", "Opinion"),
    ("attachments", "附件", "Attachments"),
    ("notice_period", "公示期", "Notice period"),
    (
        "verify_step_hint",
        "需先完成家庭经济状况核对：",
        "Needs a verification report first:",
    ),
    ("complete_step", "完成本环节", "Complete this step"),
    ("send_back", "退回", "Send back"),
    ("refuse", "不予受理/不予批准", "Refuse"),
    ("objection", "异议", "Objection"),
    ("answer", "答复", "Answer"),
    ("transfer_to", "转办至", "Transfer to"),
    ("transfer", "转办", "Transfer"),
    ("documents", "文书", "Documents"),
    ("print", "打印", "Print"),
    ("calendar", "节假日安排", "Holiday calendar"),
    (
        "calendar_hint",
        "每行一天：日期 holiday 名称（放假）或 日期 workday 名称（调休上班）；year 行表示该年安排完整。",
        "One line a day: DATE holiday NAME, or DATE workday NAME (a make-up working day); a year line marks a complete year.",
    ),
    (
        "intake_not_found",
        "未找到该身份证号的家庭，请先登记家庭",
        "No household with this ID number: register it first",
    ),
    ("withdrawn", "已撤回", "Withdrawn"),
    ("new_application", "受理申请", "Take an application"),
    ("apply_online", "网上申请救助", "Apply online"),
    (
        "apply_not_matched",
        "身份证号、姓名与登记的手机号不一致，请到窗口办理",
        "ID number, name and the phone on record do not match: please apply at a window",
    ),
    ("submit_application", "提交申请", "Submit"),
    ("application_status", "办理进度查询", "Application status"),
    (
        "status_not_found",
        "未查到该申请：请核对申请编号（受理回执上的 SQ 开头编号）和申请人身份证号",
        "No such application: check the application number (SQ…, on the receipt) and the applicant's ID number",
    ),
    (
        "status_needs_code",
        "请填写申请编号（受理回执上的 SQ 开头编号）",
        "Enter the application number (SQ…, on the receipt)",
    ),
    ("changes", "动态管理", "Changes"),
    ("reviews_due", "待定期核查", "Reviews due"),
    (
        "consent",
        "已取得本人同意（低保转特困）",
        "Consent recorded (dibao to tekun)",
    ),
    ("start_change", "发起", "Start"),
    ("change_kind", "变更类型", "Change"),
    ("category", "救助类别", "Category"),
    ("last_decision", "上次决定", "Last decision"),
    ("start_review", "发起核查", "Start review"),
    ("cohandle_with", "请求协办部门", "Ask to co-handle"),
    ("request", "事由", "Request"),
    ("cohandle", "协办", "Co-handling"),
    ("cohandle_opinion", "协办意见", "Co-handling opinion"),
    (
        "delegated_counties",
        "委托乡镇审批的县（市、区）",
        "Counties delegating approval to townships",
    ),
    ("take_from_alert", "据此受理申请", "Take an application"),
    (
        "sudden_expense",
        "突发支出金额（临时救助）",
        "Sudden expense (temporary assistance)",
    ),
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
