//! The documents of an item (受理通知书 … 终止通知书) as printable pages and PDFs, and the notice list as XLSX.

use super::*;

#[derive(Template, WebTemplate)]
#[template(path = "document.html")]
pub(super) struct DocumentTemplate {
    lang: Lang,
    title: String,
    blocks: Vec<crate::pdf::Block>,
}

/// The fields a document is written from.
pub(super) struct DocumentFields {
    kind: String,
    title: String,
    number: String,
    applicant: String,
    household_code: String,
    region_name: String,
    program: String,
    date: String,
    amount: String,
    reason: String,
    receipt_sha256: String,
    areas: Vec<(String, String)>,
    staff: String,
    notice: Vec<String>,
    deadline: String,
}

/// The text of an official document, the same for the printable page and the PDF.
pub(super) fn document_blocks(d: &DocumentFields) -> Vec<crate::pdf::Block> {
    use crate::pdf::Block::{Paragraph as P, Right, Title};
    let mut b = vec![Title(d.title.clone()), Right(d.number.clone())];
    let review = "如对本决定不服，可以自收到本决定之日起六十日内依法申请行政复议，或者六个月内依法提起行政诉讼。";
    match d.kind.as_str() {
        "acceptance" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "您（户号 {}，{}）申请的{}，经审查材料齐全、符合法定形式，本机关于 {} 予以受理，将在 {} 前作出决定。",
                d.household_code, d.region_name, d.program, d.date, d.deadline
            )));
            if !d.notice.is_empty() {
                b.push(P("请补充以下材料（一次性告知）：".into()));
                for (k, n) in d.notice.iter().enumerate() {
                    b.push(P(format!("{}. {n}", k + 1)));
                }
            }
        }
        "non_acceptance" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "您申请的{}，经审查，决定不予受理。理由：{}。{review}",
                d.program, d.reason
            )));
        }
        "investigation" => {
            b.push(P(format!(
                "户号 {} · {} · {} · 调查日期 {}",
                d.household_code, d.region_name, d.program, d.date
            )));
            for (area, text) in &d.areas {
                b.push(P(format!("{area}：{text}")));
            }
            b.push(P(format!("调查人员：{}", d.staff)));
        }
        "decision" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "经审核审批，决定给予您家庭（户号 {}，{}）{}，金额 {} 元，自 {} 起执行。",
                d.household_code, d.region_name, d.program, d.amount, d.date
            )));
            b.push(P(format!(
                "计算依据见政策引擎计算凭证，凭证摘要 SHA-256：{}，可随时复算。",
                d.receipt_sha256
            )));
            b.push(P(review.into()));
        }
        "termination" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "经核查，您家庭（户号 {}，{}）已不再符合{}条件，决定自 {} 起停止（暂停）发放。{review}",
                d.household_code, d.region_name, d.program, d.date
            )));
            b.push(P(format!("凭证摘要 SHA-256：{}", d.receipt_sha256)));
        }
        "refusal" => {
            b.push(P(format!("{}：", d.applicant)));
            b.push(P(format!(
                "您申请的{}，经审核审批，决定不予批准。理由：{}。{review}",
                d.program, d.reason
            )));
        }
        _ => {}
    }
    b.push(Right(d.date.clone()));
    b
}

#[derive(Deserialize, Default)]
pub(super) struct DocumentQuery {
    #[serde(default)]
    format: String,
}

pub(super) async fn document_page(
    State(state): State<AppState>,
    PageUser(u): PageUser,
    Path((id, kind)): Path<(i64, String)>,
    Query(q): Query<DocumentQuery>,
) -> PageResult {
    let item = cases::item(&state.db, id)
        .await?
        .ok_or(WebError::NotFound)?;
    if !(u.scope.contains(&item.region_code) || item.taken_by == u.user.username)
        || !u.role.can_read_registry()
    {
        return Err(WebError::NotFound.into());
    }
    let events = cases::events(&state.db, id).await?;
    if !documents_of(&item, &events, u.lang)
        .iter()
        .any(|(k, _)| *k == kind)
    {
        return Err(WebError::NotFound.into());
    }
    let app = cases::application(&state.db, item.application_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let find = |step: &str, action: &str| {
        events
            .iter()
            .rev()
            .find(|e| e.step == step && e.action == action)
            .and_then(|e| {
                serde_json::from_str::<serde_json::Value>(&e.data)
                    .ok()
                    .map(|d| (e.at.clone(), d))
            })
    };
    let (date, reason, areas, staff) = match kind.as_str() {
        "non_acceptance" => {
            let (at, d) = find("accept", "refuse").unwrap_or_default();
            (
                at,
                d["reason"].as_str().unwrap_or_default().to_string(),
                vec![],
                String::new(),
            )
        }
        "refusal" => {
            let (at, d) = find("approve", "refuse").unwrap_or_default();
            (
                at,
                d["reason"].as_str().unwrap_or_default().to_string(),
                vec![],
                String::new(),
            )
        }
        "investigation" => {
            let (at, d) = find("investigate", "complete").unwrap_or_default();
            let areas = workflow::INVESTIGATION_AREAS
                .iter()
                .map(|(c, label)| {
                    (
                        label.to_string(),
                        d["areas"][c].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            let staff = d["staff"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                })
                .unwrap_or_default();
            (at, String::new(), areas, staff)
        }
        "decision" | "termination" => (
            item.closed_at.clone().unwrap_or_default(),
            String::new(),
            vec![],
            String::new(),
        ),
        _ => (
            find("accept", "complete")
                .map(|(at, _)| at)
                .unwrap_or_default(),
            String::new(),
            vec![],
            String::new(),
        ),
    };
    let region_name = jiuzhu_db::regions::get(&state.db, &item.region_code)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    jiuzhu_db::audit::record(
        &state.db,
        &u.actor(),
        jiuzhu_db::audit::Entry {
            action: "case.document",
            object_type: "case_item",
            object_id: id.to_string(),
            household_id: Some(item.household_id),
            detail: json!({"kind": kind}),
        },
    )
    .await?;
    let fields = DocumentFields {
        title: documents_of(&item, &events, u.lang)
            .into_iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, l)| l)
            .unwrap_or_default(),
        number: format!("{}-{}", app.code, item.id),
        applicant: format!(
            "{}（{}）",
            crate::views::name_for(&app.applicant_name, u.role.sees_full_names()),
            mask_id_str(&app.applicant_id_number)
        ),
        household_code: item.household_code.clone(),
        region_name,
        program: program_label(&item.program, u.lang),
        date: date.get(..10).unwrap_or(&date).to_string(),
        amount: item
            .amount_fen
            .map(|f| Money::from_fen(f).to_string())
            .unwrap_or_default(),
        reason,
        receipt_sha256: item.receipt_sha256.clone().unwrap_or_default(),
        areas,
        staff,
        notice: serde_json::from_str(&app.notice).unwrap_or_default(),
        deadline: item.deadline.clone(),
        kind,
    };
    let blocks = document_blocks(&fields);
    if q.format == "pdf" {
        let name = format!("{}-{}.pdf", fields.number, fields.kind);
        return Ok((
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            crate::pdf::render(&blocks),
        )
            .into_response());
    }
    let t = DocumentTemplate {
        lang: u.lang,
        title: fields.title.clone(),
        blocks,
    };
    Ok(t.into_response())
}

/// 公示名单 as XLSX: items in public notice in the user's scope. The list shows the head's
/// name, the masked ID number, the village and the program; no address, phone, health or
/// disability.
pub(super) async fn notice_xlsx(
    State(state): State<AppState>,
    PageUser(u): PageUser,
) -> PageResult {
    u.require(u.role.can_read_registry())?;
    let items: Vec<Item> = cases::queue(&state.db, &u.scope, Some("civil_affairs"), true)
        .await?
        .into_iter()
        .filter(|i| i.current_step() == Some("notice"))
        .collect();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let err = |e: rust_xlsxwriter::XlsxError| WebError::Internal(e.to_string());
    for (c, h) in [
        "申请编号",
        "姓名",
        "身份证号",
        "村（社区）",
        "救助事项",
        "公示起",
        "公示止",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(0, c as u16, *h).map_err(err)?;
    }
    for (r, i) in items.iter().enumerate() {
        let app = cases::application(&state.db, i.application_id)
            .await?
            .ok_or(WebError::NotFound)?;
        let village = jiuzhu_db::regions::get(&state.db, &i.region_code)
            .await?
            .map(|r| r.name)
            .unwrap_or_default();
        let from = i.notice_from.clone().unwrap_or_default();
        let until = NaiveDate::parse_from_str(&from, "%Y-%m-%d")
            .map(|d| (d + chrono::Duration::days(workflow::NOTICE_DAYS)).to_string())
            .unwrap_or_default();
        let row = (r + 1) as u32;
        for (c, v) in [
            app.code,
            crate::views::name_for(&app.applicant_name, u.role.sees_full_names()),
            mask_id_str(&app.applicant_id_number),
            village,
            program_label(&i.program, Lang::Zh),
            from,
            until,
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(row, c as u16, v).map_err(err)?;
        }
    }
    let bytes = book.save_to_buffer().map_err(err)?;
    jiuzhu_db::audit::record(
        &state.db,
        &u.actor(),
        jiuzhu_db::audit::Entry {
            action: "case.notice_list",
            object_type: "export",
            object_id: "notice.xlsx".into(),
            household_id: None,
            detail: json!({"rows": items.len()}),
        },
    )
    .await?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"notice.xlsx\"".to_string(),
            ),
        ],
        bytes,
    )
        .into_response())
}
