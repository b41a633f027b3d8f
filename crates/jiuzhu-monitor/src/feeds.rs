//! Department feeds (部门数据): declared types with typed columns, and files (CSV, XLSX,
//! Parquet) read into checked rows. Each cell is normalised to text by its type (dates ISO,
//! money with two decimals), so a stored snapshot compares byte for byte and loads into
//! Arrow columns of the declared types. A bad row names its file, line, column and reason.

use std::path::Path;

use jiuzhu_domain::{IdNumber, Money};
use jiuzhu_roster::table::Table;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The type of a feed column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// A resident ID number, checked (GB 11643).
    IdNumber,
    /// A date, stored as `YYYY-MM-DD`.
    Date,
    /// An amount in yuan, stored with two decimals.
    Money,
    Integer,
    Text,
}

impl ColumnType {
    pub fn parse(s: &str) -> Option<ColumnType> {
        Some(match s {
            "id_number" => ColumnType::IdNumber,
            "date" => ColumnType::Date,
            "money" => ColumnType::Money,
            "integer" => ColumnType::Integer,
            "text" => ColumnType::Text,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            ColumnType::IdNumber => "id_number",
            ColumnType::Date => "date",
            ColumnType::Money => "money",
            ColumnType::Integer => "integer",
            ColumnType::Text => "text",
        }
    }

    /// The cell as stored, or why it is refused.
    pub fn normalise(self, raw: &str) -> Result<String, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err("empty".into());
        }
        match self {
            ColumnType::IdNumber => IdNumber::parse(raw)
                .map(|id| id.as_str().to_string())
                .map_err(|e| e.to_string()),
            ColumnType::Date => parse_date(raw)
                .map(|d| d.to_string())
                .ok_or_else(|| format!("not a date (YYYY-MM-DD): {raw:?}")),
            ColumnType::Money => Money::parse(raw)
                .map(|m| m.to_string())
                .map_err(|e| e.to_string()),
            ColumnType::Integer => raw
                .parse::<i64>()
                .map(|i| i.to_string())
                .map_err(|_| format!("not a whole number: {raw:?}")),
            ColumnType::Text => Ok(raw.to_string()),
        }
    }
}

/// `YYYY-MM-DD`, also `YYYY/MM/DD`, `YYYYMMDD` and a timestamp whose first ten characters
/// are a date, as department systems export them.
fn parse_date(raw: &str) -> Option<chrono::NaiveDate> {
    let head = raw.get(..10).unwrap_or(raw);
    chrono::NaiveDate::parse_from_str(head, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(head, "%Y/%m/%d"))
        .or_else(|_| chrono::NaiveDate::parse_from_str(raw, "%Y%m%d"))
        .ok()
        .filter(|_| raw.len() == 10 || raw.len() == 8 || raw.as_bytes().get(10) == Some(&b' '))
}

/// A column of a feed type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: ColumnType,
}

/// A feed type: what a department sends, with its columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedType {
    pub name: String,
    pub label_zh: String,
    pub label_en: String,
    /// The codes of the departments that deliver it, comma separated (`public_security,health`):
    /// only their handlers and the city administrator import it (none: the administrator only).
    pub department: String,
    /// `events` (every snapshot adds rows) or `full` (the latest snapshot is the register).
    pub kind: String,
    pub id_column: String,
    pub columns: Vec<FeedColumn>,
    /// Rows are about anyone in the city, not checked against the importer's region.
    #[serde(default)]
    pub city_wide: bool,
}

#[derive(Deserialize)]
struct ShippedFeeds {
    feed: Vec<ShippedFeed>,
}

#[derive(Deserialize)]
struct ShippedFeed {
    name: String,
    label_zh: String,
    label_en: String,
    department: String,
    kind: String,
    id_column: String,
    columns: Vec<(String, String)>,
    #[serde(default)]
    city_wide: bool,
}

/// The feed types shipped with the binary (`feeds.toml`).
pub fn builtin_types() -> Vec<FeedType> {
    let shipped: ShippedFeeds =
        toml::from_str(include_str!("../feeds.toml")).expect("feeds.toml is valid");
    shipped
        .feed
        .into_iter()
        .map(|f| {
            let columns = f
                .columns
                .into_iter()
                .map(|(name, ty)| FeedColumn {
                    ty: ColumnType::parse(&ty).expect("feeds.toml column types are known"),
                    name,
                })
                .collect();
            FeedType {
                name: f.name,
                label_zh: f.label_zh,
                label_en: f.label_en,
                department: f.department,
                kind: f.kind,
                id_column: f.id_column,
                columns,
                city_wide: f.city_wide,
            }
        })
        .collect()
}

impl FeedType {
    /// Checks a declared type: a lower-case name, known kind, unique column names, and an
    /// ID column of type id_number. Errors name the field.
    pub fn check(&self) -> Result<(), String> {
        let ident = |s: &str| {
            !s.is_empty()
                && s.len() <= 40
                && s.starts_with(|c: char| c.is_ascii_lowercase())
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if !ident(&self.name) {
            return Err(format!(
                "name: {:?} must be lower-case letters, digits and _ (starting with a letter)",
                self.name
            ));
        }
        if self.name == "population" {
            return Err("name: population is reserved for the monitored population".into());
        }
        if self.label_zh.trim().is_empty() {
            return Err("label_zh: required".into());
        }
        if let Some(d) = self
            .departments()
            .find(|d| !jiuzhu_domain::workflow::is_department(d))
        {
            return Err(format!("department: {d:?} is not a known department"));
        }
        if self.kind != "events" && self.kind != "full" {
            return Err(format!("kind: {:?} must be events or full", self.kind));
        }
        if self.columns.is_empty() {
            return Err("columns: at least one column".into());
        }
        let mut seen = std::collections::HashSet::new();
        for c in &self.columns {
            if !ident(&c.name) {
                return Err(format!("columns: bad column name {:?}", c.name));
            }
            if !seen.insert(c.name.as_str()) {
                return Err(format!("columns: {} appears twice", c.name));
            }
        }
        match self.columns.iter().find(|c| c.name == self.id_column) {
            Some(c) if c.ty == ColumnType::IdNumber => Ok(()),
            Some(_) => Err(format!(
                "id_column: {} must have type id_number",
                self.id_column
            )),
            None => Err(format!(
                "id_column: {} is not one of the columns",
                self.id_column
            )),
        }
    }

    /// The codes of the departments that deliver this feed.
    pub fn departments(&self) -> impl Iterator<Item = &str> {
        self.department
            .split([',', '/', '，'])
            .map(str::trim)
            .filter(|d| !d.is_empty())
    }

    /// Whether a handler of `department` delivers this feed.
    pub fn delivered_by(&self, department: &str) -> bool {
        !department.is_empty() && self.departments().any(|d| d == department)
    }

    /// Columns written as `name:type, name:type` (the form an administrator fills in).
    pub fn parse_columns(text: &str) -> Result<Vec<FeedColumn>, String> {
        text.split([',', '\n', '，'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|item| {
                let (name, ty) = item
                    .split_once(':')
                    .ok_or_else(|| format!("columns: {item:?} must be written name:type"))?;
                let ty = ColumnType::parse(ty.trim()).ok_or_else(|| {
                    format!(
                        "columns: {item:?}: type must be id_number, date, money, integer or text"
                    )
                })?;
                Ok(FeedColumn {
                    name: name.trim().to_lowercase(),
                    ty,
                })
            })
            .collect()
    }
}

/// A row refused on import.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    pub file: String,
    pub line: usize,
    pub column: String,
    pub reason: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.line, self.column, self.reason
        )
    }
}

/// An accepted row: its line, ID number and cells in the feed type's column order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedRow {
    pub line: usize,
    pub id_number: String,
    pub cells: Vec<String>,
}

/// A feed file read and checked.
#[derive(Debug)]
pub struct FeedFile {
    pub file: String,
    pub format: &'static str,
    pub sha256: String,
    pub rows: Vec<FeedRow>,
    pub rejected: Vec<RowError>,
}

/// Why a whole file is refused (nothing of it enters).
#[derive(Debug, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct FileError {
    pub file: String,
    pub reason: String,
}

/// Reads a feed file by its extension (`.csv`, `.xlsx`, `.parquet`) and checks every row
/// against the type. A missing column refuses the file; a bad cell refuses its row.
pub fn read(path: &Path, ft: &FeedType) -> Result<FeedFile, FileError> {
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let err = |reason: String| FileError {
        file: file.clone(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let (format, table) = match ext.as_str() {
        "csv" => (
            "csv",
            Table::from_csv(path).map_err(|e| err(strip(&file, e.to_string())))?,
        ),
        "xlsx" => (
            "xlsx",
            Table::from_xlsx(path, None).map_err(|e| err(strip(&file, e.to_string())))?,
        ),
        "parquet" => ("parquet", parquet_table(&file, bytes).map_err(err)?),
        other => {
            return Err(err(format!(
                "unknown format {other:?}: use .csv, .xlsx or .parquet"
            )));
        }
    };
    let (rows, rejected) = check(&table, ft).map_err(err)?;
    Ok(FeedFile {
        file,
        format,
        sha256,
        rows,
        rejected,
    })
}

fn strip(file: &str, msg: String) -> String {
    msg.strip_prefix(&format!("{file}: "))
        .map(str::to_string)
        .unwrap_or(msg)
}

/// Checks the rows of a table against a feed type.
pub fn check(table: &Table, ft: &FeedType) -> Result<(Vec<FeedRow>, Vec<RowError>), String> {
    let mut index = Vec::with_capacity(ft.columns.len());
    for c in &ft.columns {
        let i = table
            .column(&c.name)
            .ok_or_else(|| format!("missing required column {:?} (header is line 1)", c.name))?;
        index.push(i);
    }
    let id_pos = ft
        .columns
        .iter()
        .position(|c| c.name == ft.id_column)
        .ok_or_else(|| format!("the type has no column {}", ft.id_column))?;
    let mut rows = Vec::with_capacity(table.len());
    let mut rejected = Vec::new();
    'rows: for (line, raw) in table.rows() {
        let mut cells = Vec::with_capacity(index.len());
        for (c, &i) in ft.columns.iter().zip(&index) {
            match c.ty.normalise(raw.get(i)) {
                Ok(v) => cells.push(v),
                Err(reason) => {
                    rejected.push(RowError {
                        file: table.file.clone(),
                        line,
                        column: c.name.clone(),
                        reason,
                    });
                    continue 'rows;
                }
            }
        }
        rows.push(FeedRow {
            line,
            id_number: cells[id_pos].clone(),
            cells,
        });
    }
    Ok((rows, rejected))
}

/// A Parquet file as a table of text cells; rows are numbered as if line 1 were a header.
fn parquet_table(file: &str, bytes: Vec<u8>) -> Result<Table, String> {
    use datafusion::arrow::array::{Array, StringArray};
    use datafusion::arrow::compute::cast;
    use datafusion::arrow::datatypes::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let columns: Vec<String> = reader
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().to_lowercase())
        .collect();
    let reader = reader
        .build()
        .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    let mut table = Table::new(file, columns);
    let mut line = 1;
    for batch in reader {
        let batch = batch.map_err(|e| format!("reading Parquet: {e}"))?;
        let texts: Vec<StringArray> = batch
            .columns()
            .iter()
            .map(|c| {
                cast(c, &DataType::Utf8).map(|a| {
                    a.as_any()
                        .downcast_ref::<StringArray>()
                        .expect("cast to Utf8")
                        .clone()
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|e| format!("a column cannot be read as text: {e}"))?;
        for r in 0..batch.num_rows() {
            line += 1;
            let cells = texts
                .iter()
                .map(|a| if a.is_valid(r) { a.value(r) } else { "" });
            table.push_row(line, cells).map_err(|e| e.to_string())?;
        }
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn medical() -> FeedType {
        builtin_types()
            .into_iter()
            .find(|f| f.name == "medical")
            .unwrap()
    }

    #[test]
    fn builtin_types_are_valid() {
        let types = builtin_types();
        assert!(types.len() >= 13);
        for t in &types {
            t.check().unwrap_or_else(|e| panic!("{}: {e}", t.name));
        }
    }

    #[test]
    fn cells_are_normalised_or_refused_with_the_column() {
        let mut t = Table::new(
            "medical.csv",
            ["id_number", "settle_date", "total_cost", "out_of_pocket"]
                .map(String::from)
                .to_vec(),
        );
        for (line, cells) in [
            (2, ["11010519491231002X", "2026/10/03", "100", "20.5"]),
            (3, ["110105194912310021", "2026-10-03", "1", "1"]),
            (4, ["11010519491231002X", "2026-10-32", "1", "1"]),
            (5, ["11010519491231002X", "2026-10-01", "1.234", "1"]),
        ] {
            t.push_row(line, cells).unwrap();
        }
        let (rows, bad) = check(&t, &medical()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].cells,
            ["11010519491231002X", "2026-10-03", "100.00", "20.50"]
        );
        let where_: Vec<(usize, &str)> = bad.iter().map(|e| (e.line, e.column.as_str())).collect();
        assert_eq!(
            where_,
            [(3, "id_number"), (4, "settle_date"), (5, "total_cost")]
        );
        let mut missing = t;
        missing.columns[3] = "oop".into();
        assert!(
            check(&missing, &medical())
                .unwrap_err()
                .contains("\"out_of_pocket\"")
        );
    }

    #[test]
    fn declared_types_are_checked_by_field() {
        let mut t = medical();
        t.name = "Medical".into();
        assert!(t.check().unwrap_err().starts_with("name:"));
        let mut t = medical();
        t.id_column = "plate".into();
        assert!(t.check().unwrap_err().starts_with("id_column:"));
        let cols = FeedType::parse_columns("id_number:id_number, amount:money").unwrap();
        assert_eq!(cols[1].ty, ColumnType::Money);
        assert!(
            FeedType::parse_columns("a:float")
                .unwrap_err()
                .contains("type must be")
        );
    }
}
