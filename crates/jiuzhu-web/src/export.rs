//! Every list as an XLSX file: the rows a page shows (all of them, not only its page), under
//! the page's headings in the user's language, each export audited by the use case.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::error::WebError;

/// Rows written at most to one file (a bigger list is narrowed by its filters first).
pub const MAX_ROWS: usize = 100_000;

/// A workbook of one sheet: bold headings, then the rows, as text.
pub fn workbook(heads: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, WebError> {
    let fail = |e: rust_xlsxwriter::XlsxError| WebError::Internal(format!("xlsx: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in heads.iter().enumerate() {
        let c =
            u16::try_from(c).map_err(|_| WebError::Internal("xlsx: too many columns".into()))?;
        sheet
            .write_string_with_format(0, c, h, &bold)
            .map_err(fail)?;
        sheet
            .set_column_width(c, (h.chars().count() as f64 * 2.2).max(10.0))
            .map_err(fail)?;
    }
    for (r, row) in rows.iter().take(MAX_ROWS).enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet
                .write_string(r as u32 + 1, c as u16, cell)
                .map_err(fail)?;
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// The file as a download named `name`.
pub fn download(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
