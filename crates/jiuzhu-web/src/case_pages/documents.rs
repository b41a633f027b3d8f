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
    let d = jiuzhu_app::cases::documents::document(&state.db, &u.acting(), id, &kind)
        .await
        .map_err(WebError::from)?;
    let fields = DocumentFields {
        title: u
            .lang
            .pick(d.kind.label_zh(), d.kind.label_en())
            .to_string(),
        number: format!("{}-{}", d.application.code, d.item.id),
        applicant: format!(
            "{}（{}）",
            crate::views::name_for(&d.application.applicant_name, u.role.sees_full_names()),
            mask_id_str(&d.application.applicant_id_number)
        ),
        household_code: d.item.household_code.clone(),
        region_name: d.region_name,
        program: program_label(&d.item.program, u.lang),
        date: d.issued_at.get(..10).unwrap_or(&d.issued_at).to_string(),
        amount: d
            .item
            .amount_fen
            .map(|f| Money::from_fen(f).to_string())
            .unwrap_or_default(),
        reason: d.reason,
        receipt_sha256: d.item.receipt_sha256.clone().unwrap_or_default(),
        areas: d
            .areas
            .iter()
            .map(|(a, f)| (a.to_string(), f.clone()))
            .collect(),
        staff: d.staff.join("、"),
        notice: serde_json::from_str(&d.application.notice).unwrap_or_default(),
        deadline: d.item.deadline.clone(),
        kind: d.kind.code().to_string(),
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
    let rows = jiuzhu_app::cases::documents::notice_list(&state.db, &u.acting())
        .await
        .map_err(WebError::from)?;
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
    for (r, n) in rows.into_iter().enumerate() {
        let row = (r + 1) as u32;
        for (c, v) in [
            n.application_code,
            n.name,
            n.id_number,
            n.village,
            program_label(&n.program, Lang::Zh),
            n.from,
            n.until,
        ]
        .iter()
        .enumerate()
        {
            sheet.write_string(row, c as u16, v).map_err(err)?;
        }
    }
    let bytes = book.save_to_buffer().map_err(err)?;
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
