//! A roster file as a table of text cells with line numbers, from CSV or XLSX.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};

/// A file that could not be read as a table at all.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("{file}: {reason}")]
    Unreadable { file: String, reason: String },
    #[error("{file}:{line}: {reason}")]
    Malformed {
        file: String,
        line: usize,
        reason: String,
    },
    #[error("{file}: missing required column {column:?} (header is line 1)")]
    MissingColumn { file: String, column: &'static str },
}

/// Rows of text with the header's column names; `line` counts the header as line 1.
#[derive(Debug, Default)]
pub struct Table {
    /// The file name shown in errors, e.g. `persons.csv`.
    pub file: String,
    pub columns: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// The index of a column, if the header has it.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The index of a required column.
    pub fn require(&self, name: &'static str) -> Result<usize, TableError> {
        self.column(name).ok_or_else(|| TableError::MissingColumn {
            file: self.file.clone(),
            column: name,
        })
    }

    /// Reads a CSV file (comma-separated, one header row): UTF-8 (with or without BOM), or
    /// GB18030/GBK as department and Excel exports often are, detected and transcoded.
    pub fn from_csv(path: &Path) -> Result<Table, TableError> {
        let file = file_name(path);
        let bytes = std::fs::read(path).map_err(|e| TableError::Unreadable {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        let bytes = utf8(bytes);
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut table = Table {
            file: file.clone(),
            ..Table::default()
        };
        let mut record = csv::StringRecord::new();
        let mut first = true;
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                    let reason = match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => {
                            "not UTF-8 text (save the file as UTF-8 CSV)".to_string()
                        }
                        _ => e.to_string(),
                    };
                    return Err(TableError::Malformed { file, line, reason });
                }
            }
            let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
            let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
            if first {
                table.columns = cells.iter().map(|c| c.to_lowercase()).collect();
                first = false;
                continue;
            }
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            if cells.len() != table.columns.len() {
                return Err(TableError::Malformed {
                    file,
                    line,
                    reason: format!(
                        "{} fields where the header has {}",
                        cells.len(),
                        table.columns.len()
                    ),
                });
            }
            table.rows.push((line, cells));
        }
        Ok(table)
    }

    /// Reads one sheet of an XLSX workbook; row 1 is the header.
    pub fn from_xlsx(path: &Path, sheet: Option<&str>) -> Result<Table, TableError> {
        let file = match sheet {
            Some(s) => format!("{}[{s}]", file_name(path)),
            None => file_name(path),
        };
        let unreadable = |reason: String| TableError::Unreadable {
            file: file.clone(),
            reason,
        };
        let mut book = open_workbook_auto(path).map_err(|e| unreadable(e.to_string()))?;
        let name = match sheet {
            Some(s) => s.to_string(),
            None => book
                .sheet_names()
                .first()
                .cloned()
                .ok_or_else(|| unreadable("the workbook has no sheet".into()))?,
        };
        let range = book
            .worksheet_range(&name)
            .map_err(|e| unreadable(e.to_string()))?;
        let mut table = Table {
            file: file.clone(),
            ..Table::default()
        };
        let start_row = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        for (i, row) in range.rows().enumerate() {
            let line = start_row + i + 1;
            let cells: Vec<String> = row.iter().map(cell_text).collect();
            if i == 0 {
                table.columns = cells.iter().map(|c| c.to_lowercase()).collect();
                while table.columns.last().is_some_and(|c| c.is_empty()) {
                    table.columns.pop();
                }
                continue;
            }
            if cells.iter().all(|c| c.is_empty()) {
                continue;
            }
            let mut cells = cells;
            cells.resize(table.columns.len(), String::new());
            table.rows.push((line, cells));
        }
        Ok(table)
    }
}

/// The file's bytes as UTF-8: as they are when valid UTF-8, else decoded as GB18030 (a
/// superset of GBK and GB2312). Bytes that fit neither stay and are reported as not UTF-8.
fn utf8(bytes: Vec<u8>) -> Vec<u8> {
    if std::str::from_utf8(&bytes).is_ok() {
        return bytes;
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(&bytes);
    if had_errors {
        bytes
    } else {
        text.into_owned().into_bytes()
    }
}

/// A cell as the text a clerk typed: integers without ".0", dates as YYYY-MM-DD.
fn cell_text(c: &Data) -> String {
    match c {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                // Shortest text that reads back as the same number, e.g. 1234.5.
                format!("{f}")
            }
        }
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => (if *b { "1" } else { "0" }).to_string(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|dt| dt.date().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) => s.get(..10).unwrap_or(s).to_string(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#ERROR {e:?}"),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Finds the table `name` in `dir`: `name.csv`, `name.xlsx`, or the sheet `name` of
/// `roster.xlsx`. `None` when absent.
pub fn find(dir: &Path, name: &str) -> Result<Option<Table>, TableError> {
    let csv = dir.join(format!("{name}.csv"));
    if csv.exists() {
        return Table::from_csv(&csv).map(Some);
    }
    let xlsx = dir.join(format!("{name}.xlsx"));
    if xlsx.exists() {
        return Table::from_xlsx(&xlsx, None).map(Some);
    }
    let book: PathBuf = dir.join("roster.xlsx");
    if book.exists() {
        let sheets = open_workbook_auto(&book)
            .map_err(|e| TableError::Unreadable {
                file: "roster.xlsx".into(),
                reason: e.to_string(),
            })?
            .sheet_names();
        if sheets.iter().any(|s| s == name) {
            return Table::from_xlsx(&book, Some(name)).map(Some);
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_csv_is_read_like_utf8() {
        let dir = std::env::temp_dir().join(format!("jiuzhu-gbk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "household_id,region_code,address\nH1,330326100201,平阳县昆阳镇1号\n";
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert!(
            std::str::from_utf8(&gbk).is_err(),
            "the test file is really GBK"
        );
        std::fs::write(dir.join("households.csv"), &gbk).unwrap();
        let t = Table::from_csv(&dir.join("households.csv")).unwrap();
        assert_eq!(t.rows[0].1[2], "平阳县昆阳镇1号");
        std::fs::write(dir.join("households.csv"), format!("\u{feff}{text}")).unwrap();
        let t = Table::from_csv(&dir.join("households.csv")).unwrap();
        assert_eq!(
            (t.columns[0].as_str(), t.rows[0].1[2].as_str()),
            ("household_id", "平阳县昆阳镇1号")
        );
        std::fs::remove_dir_all(dir).ok();
    }
}
