//! A roster file as a table of text cells with line numbers, from CSV or XLSX.
//!
//! The cells live end to end in one text, each found by its span: a file without quotes
//! is that text itself (its cells are slices of the file, nothing is copied), so reading
//! 320,000 persons allocates a handful of buffers, not a `String` per cell.

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

/// Rows of text with the header's column names; a row's line counts the header as line 1.
/// Every row has one cell per column.
#[derive(Debug, Default)]
pub struct Table {
    /// The file name shown in errors, e.g. `persons.csv`.
    pub file: String,
    pub columns: Vec<String>,
    /// The cells' text: the file itself, or the cells end to end.
    text: String,
    /// Each cell's `[start, end)` in `text`, row after row, `columns.len()` to a row.
    spans: Vec<[u32; 2]>,
    /// Each row's line.
    lines: Vec<u32>,
    /// The file held bytes that are neither UTF-8 nor GB18030; they were read as U+FFFD,
    /// and a row with such a cell is refused ([`Table::undecodable_cell`]).
    undecodable: bool,
}

/// The cells of one row.
#[derive(Clone, Copy, Debug)]
pub struct Cells<'t> {
    text: &'t str,
    spans: &'t [[u32; 2]],
}

impl<'t> Cells<'t> {
    /// Cell `c` of the row (panics when the table has fewer columns).
    pub fn get(&self, c: usize) -> &'t str {
        let [s, e] = self.spans[c];
        &self.text[s as usize..e as usize]
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &'t str> + '_ {
        (0..self.spans.len()).map(|c| self.get(c))
    }
}

/// The largest text a table holds: spans are 32-bit.
const MAX_TEXT: usize = u32::MAX as usize;

impl Table {
    /// An empty table with these columns (names as given).
    pub fn new(file: impl Into<String>, columns: Vec<String>) -> Table {
        Table {
            file: file.into(),
            columns,
            ..Table::default()
        }
    }

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

    /// The number of rows (the header not counted).
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Row `r`'s line in the file.
    pub fn line(&self, r: usize) -> usize {
        self.lines[r] as usize
    }

    /// Row `r`'s cells.
    /// Whether the file held bytes of no known encoding (read as U+FFFD).
    pub fn undecodable(&self) -> bool {
        self.undecodable
    }

    /// The first cell of row `r` that held bytes of no known encoding, if the file had any.
    pub fn undecodable_cell(&self, r: usize) -> Option<usize> {
        if !self.undecodable {
            return None;
        }
        let row = self.row(r);
        (0..self.columns.len()).find(|&c| row.get(c).contains(char::REPLACEMENT_CHARACTER))
    }

    pub fn row(&self, r: usize) -> Cells<'_> {
        let w = self.columns.len();
        Cells {
            text: &self.text,
            spans: &self.spans[r * w..(r + 1) * w],
        }
    }

    /// Cell `c` of row `r`.
    pub fn cell(&self, r: usize, c: usize) -> &str {
        self.row(r).get(c)
    }

    /// Every row with its line, in file order.
    pub fn rows(&self) -> impl Iterator<Item = (usize, Cells<'_>)> + '_ {
        (0..self.len()).map(|r| (self.line(r), self.row(r)))
    }

    /// Appends a row: its cells are copied as given, missing ones empty, extra ones dropped.
    pub fn push_row<'c>(
        &mut self,
        line: usize,
        cells: impl IntoIterator<Item = &'c str>,
    ) -> Result<(), TableError> {
        let w = self.columns.len();
        let mut n = 0;
        for c in cells.into_iter().take(w) {
            let start = self.text.len();
            self.text.push_str(c);
            self.push_span(start, self.text.len())?;
            n += 1;
        }
        for _ in n..w {
            self.push_span(self.text.len(), self.text.len())?;
        }
        self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        Ok(())
    }

    fn push_span(&mut self, start: usize, end: usize) -> Result<(), TableError> {
        if end > MAX_TEXT {
            return Err(self.too_large());
        }
        self.spans.push([start as u32, end as u32]);
        Ok(())
    }

    fn too_large(&self) -> TableError {
        TableError::Unreadable {
            file: self.file.clone(),
            reason: "larger than 4 GiB of text; split the file".into(),
        }
    }

    /// Reads a CSV file (comma-separated, one header row): UTF-8 (with or without BOM), or
    /// GB18030/GBK as department and Excel exports often are, detected and transcoded.
    /// Cells are trimmed; blank lines and rows of empty cells are skipped.
    pub fn from_csv(path: &Path) -> Result<Table, TableError> {
        let file = file_name(path);
        let bytes = std::fs::read(path).map_err(|e| TableError::Unreadable {
            file: file.clone(),
            reason: e.to_string(),
        })?;
        let mut table = Table::new(file, Vec::new());
        let not_text = || TableError::Unreadable {
            file: file_name(path),
            reason: "not a text file: save the roster as CSV (UTF-8) or XLSX".into(),
        };
        if memchr::memchr(0, &bytes).is_some() {
            return Err(not_text());
        }
        let text = match utf8(bytes) {
            Ok(text) => text,
            // Neither UTF-8 nor GB18030: a few bad bytes refuse their rows (read as
            // U+FFFD in the encoding they spoil least); a file mostly so is not text.
            Err(bytes) => {
                let (text, bad) = lossy(&bytes);
                if bad > 16 && bad * 100 > text.chars().count() {
                    return Err(not_text());
                }
                table.undecodable = true;
                text
            }
        };
        if plain(text.as_bytes()) {
            table.read_plain(text)?;
        } else {
            table.read_quoted(text.into_bytes())?;
        }
        Ok(table)
    }

    /// A CSV text without quotes, whose every `\r` ends a line before `\n`: lines are split
    /// at `\n` and cells at `,`, and the cells are spans of the text itself.
    fn read_plain(&mut self, text: String) -> Result<(), TableError> {
        if text.len() > MAX_TEXT {
            return Err(self.too_large());
        }
        let bytes = text.as_bytes();
        let mut pos = if bytes.starts_with(b"\xEF\xBB\xBF") {
            3
        } else {
            0
        };
        let mut line = 0;
        let mut cells: Vec<[u32; 2]> = Vec::new();
        while pos < bytes.len() {
            line += 1;
            let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            let mut stop = end;
            if stop > pos && bytes[stop - 1] == b'\r' {
                stop -= 1;
            }
            let start = pos;
            pos = end + 1;
            if stop == start {
                continue; // a blank line, as the csv reader skips it
            }
            cells.clear();
            let mut s = start;
            for comma in memchr::memchr_iter(b',', &bytes[start..stop])
                .map(|i| start + i)
                .chain([stop])
            {
                cells.push(trimmed(&text, s, comma));
                s = comma + 1;
            }
            self.take_record(line, &text, &cells)?;
        }
        self.text = text;
        Ok(())
    }

    /// A CSV file with quotes (or not text): read by the `csv` crate, cells copied end to
    /// end into the table's text. Lines are counted here: the reader's own line numbers
    /// run one short after a CRLF line end or a blank line.
    fn read_quoted(&mut self, bytes: Vec<u8>) -> Result<(), TableError> {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut lines = LineCounter::default();
        let mut record = csv::StringRecord::new();
        let mut text = String::new();
        let mut cells: Vec<[u32; 2]> = Vec::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(e) => {
                    let line = e
                        .position()
                        .map_or(0, |p| lines.line_at(bytes, p.byte() as usize));
                    let reason = match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => {
                            "not UTF-8 text (save the file as UTF-8 CSV)".to_string()
                        }
                        _ => e.to_string(),
                    };
                    return Err(TableError::Malformed {
                        file: self.file.clone(),
                        line,
                        reason,
                    });
                }
            }
            let line = record
                .position()
                .map_or(0, |p| lines.line_at(bytes, p.byte() as usize));
            cells.clear();
            for c in record.iter() {
                let start = text.len();
                text.push_str(c.trim());
                if text.len() > MAX_TEXT {
                    return Err(self.too_large());
                }
                cells.push([start as u32, text.len() as u32]);
            }
            self.take_record(line, &text, &cells)?;
        }
        self.text = text;
        Ok(())
    }

    /// Takes one CSV record, its cells spans of `text`: as the header when there is none
    /// yet, else as a row unless every cell is empty.
    fn take_record(
        &mut self,
        line: usize,
        text: &str,
        cells: &[[u32; 2]],
    ) -> Result<(), TableError> {
        if self.columns.is_empty() {
            self.columns = cells
                .iter()
                .map(|&[s, e]| text[s as usize..e as usize].to_lowercase())
                .collect();
            return Ok(());
        }
        if cells.iter().all(|[s, e]| s == e) {
            return Ok(());
        }
        if cells.len() != self.columns.len() {
            return Err(TableError::Malformed {
                file: self.file.clone(),
                line,
                reason: format!(
                    "{} fields where the header has {}",
                    cells.len(),
                    self.columns.len()
                ),
            });
        }
        self.spans.extend_from_slice(cells);
        self.lines.push(u32::try_from(line).unwrap_or(u32::MAX));
        Ok(())
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
        let mut table = Table::new(file.clone(), Vec::new());
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
            table.push_row(line, cells.iter().map(String::as_str))?;
        }
        Ok(table)
    }
}

/// Whether a CSV text can be split at `\n` and `,` alone: it has no quote, and every `\r`
/// comes before a `\n` (the csv reader ends a line at a lone `\r` too).
fn plain(bytes: &[u8]) -> bool {
    memchr::memchr(b'"', bytes).is_none()
        && memchr::memchr_iter(b'\r', bytes).all(|i| bytes.get(i + 1) == Some(&b'\n'))
}

/// Counts lines up to a record as a file moves on: a line ends at `\n`, or at a `\r` not
/// followed by one.
#[derive(Default)]
struct LineCounter {
    /// The line of the byte at `at` (less one).
    ends: usize,
    at: usize,
}

impl LineCounter {
    /// The line of the record the csv reader places at `pos`: the reader places it just
    /// after the first byte of the previous line end, so line-end bytes are skipped first.
    /// Positions only grow.
    fn line_at(&mut self, bytes: &[u8], pos: usize) -> usize {
        let start = pos
            + bytes[pos.min(bytes.len())..]
                .iter()
                .take_while(|b| matches!(b, b'\r' | b'\n'))
                .count();
        let start = start.max(self.at).min(bytes.len());
        for i in self.at..start {
            match bytes[i] {
                b'\n' => self.ends += 1,
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => self.ends += 1,
                _ => {}
            }
        }
        self.at = start;
        self.ends + 1
    }
}

/// The span of `text[start..end]` without its leading and trailing white space.
fn trimmed(text: &str, start: usize, end: usize) -> [u32; 2] {
    let cell = &text[start..end];
    let inner = cell.trim();
    let lead = cell.len() - cell.trim_start().len();
    let s = start + lead;
    [s as u32, (s + inner.len()) as u32]
}

/// The file's bytes as UTF-8 text: as they are when valid UTF-8, else decoded as GB18030
/// (a superset of GBK and GB2312). Bytes that fit neither are given back.
fn utf8(bytes: Vec<u8>) -> Result<String, Vec<u8>> {
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            let bytes = e.into_bytes();
            let (text, _, had_errors) = encoding_rs::GB18030.decode(&bytes);
            if had_errors {
                Err(bytes)
            } else {
                Ok(text.into_owned())
            }
        }
    }
}

/// Bytes that are neither UTF-8 nor GB18030 as text, in whichever of the two leaves fewer
/// undecodable sequences (each becomes U+FFFD), and how many there are.
fn lossy(bytes: &[u8]) -> (String, usize) {
    let as_utf8 = String::from_utf8_lossy(bytes).into_owned();
    let (gb, _, _) = encoding_rs::GB18030.decode(bytes);
    let count = |t: &str| {
        t.chars()
            .filter(|&c| c == char::REPLACEMENT_CHARACTER)
            .count()
    };
    let (u, g) = (count(&as_utf8), count(&gb));
    if u <= g {
        (as_utf8, u)
    } else {
        (gb.into_owned(), g)
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
mod tests;
