//! A file read whole and cut into pieces parsed on every core, each column typed by the
//! pack's inputs; a file with quotes read by the `csv` crate.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use jiuzhu_policy::columnar::{Column, Texts};
use jiuzhu_policy::hash::FastMap;
use jiuzhu_policy::testing::parse_input;
use jiuzhu_policy::{Engine, Entity, InputType, Value};

use super::*;

/// A CSV file read whole: its header's columns and where its body starts.
pub(super) struct Raw {
    pub(super) name: &'static str,
    pub(super) data: Vec<u8>,
    pub(super) columns: HashMap<String, usize>,
    pub(super) width: usize,
    pub(super) body: usize,
}

pub(super) fn read_raw(dir: &Path, name: &'static str) -> Result<Raw> {
    let path = dir.join(name);
    let data = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    let start = if data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let end = memchr::memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i);
    let header = std::str::from_utf8(&data[start..end])
        .map_err(|_| anyhow::anyhow!("{name}:1: the header is not UTF-8"))?
        .trim_end_matches('\r');
    if header.trim().is_empty() {
        bail!("{name}:1: no header");
    }
    let names: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    Ok(Raw {
        name,
        columns: names
            .iter()
            .enumerate()
            .map(|(i, c)| (c.to_string(), i))
            .collect(),
        width: names.len(),
        body: (end + 1).min(data.len()),
        data,
    })
}

impl Raw {
    pub(super) fn col(&self, c: &str) -> Result<usize> {
        self.columns
            .get(c)
            .copied()
            .with_context(|| format!("{}: missing column {c}", self.name))
    }

    /// The body cut at line ends into pieces of about `piece` bytes.
    pub(super) fn pieces(&self, piece: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut lo = self.body;
        while lo < self.data.len() {
            let hi = match self.data.get(lo + piece..) {
                Some(rest) => {
                    memchr::memchr(b'\n', rest).map_or(self.data.len(), |i| lo + piece + i + 1)
                }
                None => self.data.len(),
            };
            out.push((lo, hi));
            lo = hi;
        }
        out
    }
}

/// Builds one typed column from text cells.
pub(super) struct ColumnBuilder {
    pub(super) ty: InputType,
    pub(super) num: Vec<rust_decimal::Decimal>,
    pub(super) flag: Vec<bool>,
    /// Text as codes into `dict`, each distinct text once (by `interned`).
    pub(super) codes: Vec<u32>,
    pub(super) dict: Vec<Arc<str>>,
    pub(super) date: Vec<NaiveDate>,
    pub(super) interned: FastMap<Box<[u8]>, u32>,
}

impl ColumnBuilder {
    pub(super) fn new(ty: InputType) -> ColumnBuilder {
        ColumnBuilder {
            ty,
            num: Vec::new(),
            flag: Vec::new(),
            codes: Vec::new(),
            dict: Vec::new(),
            date: Vec::new(),
            interned: FastMap::default(),
        }
    }

    pub(super) fn push(&mut self, cell: &[u8]) -> Result<(), String> {
        match self.ty {
            InputType::Text => {
                let t = cell.trim_ascii();
                let code = match self.interned.get(t) {
                    Some(c) => *c,
                    None => {
                        let s = std::str::from_utf8(t).map_err(|_| "not UTF-8".to_string())?;
                        self.dict.push(s.into());
                        let c = self.dict.len() as u32 - 1;
                        self.interned.insert(t.into(), c);
                        c
                    }
                };
                self.codes.push(code);
                return Ok(());
            }
            InputType::Bool => match cell {
                b"0" => {
                    self.flag.push(false);
                    return Ok(());
                }
                b"1" => {
                    self.flag.push(true);
                    return Ok(());
                }
                _ => {}
            },
            InputType::Money => {
                if let Some(fen) = plain_fen(cell) {
                    self.num.push(rust_decimal::Decimal::new(fen, 2));
                    return Ok(());
                }
            }
            InputType::Int
                if !cell.is_empty() && cell.len() < 16 && cell.iter().all(u8::is_ascii_digit) =>
            {
                let n = cell.iter().fold(0i64, |n, c| n * 10 + (c - b'0') as i64);
                self.num.push(rust_decimal::Decimal::from(n));
                return Ok(());
            }
            _ => {}
        }
        let cell = std::str::from_utf8(cell).map_err(|_| "not UTF-8".to_string())?;
        match parse_input(self.ty, cell)? {
            Value::Num(x) => self.num.push(x),
            Value::Bool(x) => self.flag.push(x),
            Value::Date(x) => self.date.push(x),
            // Text took the first branch.
            Value::Text(_) => {}
        }
        Ok(())
    }

    pub(super) fn len(&self) -> usize {
        match self.ty {
            InputType::Bool => self.flag.len(),
            InputType::Text => self.codes.len(),
            InputType::Date => self.date.len(),
            _ => self.num.len(),
        }
    }

    pub(super) fn reserve(&mut self, n: usize) {
        match self.ty {
            InputType::Bool => self.flag.reserve(n),
            InputType::Text => self.codes.reserve(n),
            InputType::Date => self.date.reserve(n),
            _ => self.num.reserve(n),
        }
    }

    /// Appends the rows of a later piece.
    pub(super) fn append(&mut self, other: ColumnBuilder) {
        self.num.extend(other.num);
        self.flag.extend(other.flag);
        // The later piece's codes, renumbered into this dictionary.
        let remap: Vec<u32> = other
            .dict
            .iter()
            .map(|t| match self.interned.get(t.as_bytes()) {
                Some(c) => *c,
                None => {
                    self.dict.push(t.clone());
                    let c = self.dict.len() as u32 - 1;
                    self.interned.insert(t.as_bytes().into(), c);
                    c
                }
            })
            .collect();
        self.codes
            .extend(other.codes.iter().map(|c| remap[*c as usize]));
        self.date.extend(other.date);
    }

    pub(super) fn finish(self) -> Arc<Column> {
        Arc::new(match self.ty {
            InputType::Bool => Column::Bool(self.flag),
            InputType::Text => Column::Text(Texts {
                dict: self.dict,
                codes: self.codes,
            }),
            InputType::Date => Column::Date(self.date),
            _ => Column::Num(self.num),
        })
    }
}

/// An amount written plainly (digits, then at most two decimals) in fen; anything else
/// (a sign, spaces, a bad digit) goes the long way for its exact error.
pub(super) fn plain_fen(b: &[u8]) -> Option<i64> {
    let (int, frac) = match memchr::memchr(b'.', b) {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &b[..0]),
    };
    if int.is_empty() || int.len() > 15 || frac.len() > 2 {
        return None;
    }
    let mut fen: i64 = 0;
    for c in int.iter().chain(frac) {
        if !c.is_ascii_digit() {
            return None;
        }
        fen = fen * 10 + (c - b'0') as i64;
    }
    Some(
        fen * if frac.len() == 1 {
            10
        } else if frac.is_empty() {
            100
        } else {
            1
        },
    )
}

/// What to take from each row of a file.
pub(super) struct Spec {
    /// The household_id column.
    pub(super) key: usize,
    /// The region_code column (households only).
    pub(super) region: Option<usize>,
    /// (input name, type, column) of the entity's inputs.
    pub(super) inputs: Vec<(String, InputType, usize)>,
}

/// The rows of one piece of a file (or of a whole file read by the `csv` crate).
pub(super) struct Piece {
    /// Lines the piece spans (to number the next piece's lines).
    pub(super) lines: usize,
    /// Whether the piece's lines are numbered from the file's start (a file read whole).
    pub(super) absolute: bool,
    /// Runs of rows of one household: (household_id, rows, line within the piece).
    pub(super) runs: Vec<(String, u32, usize)>,
    /// region_code of each row, when the spec asks for it.
    pub(super) regions: Vec<Arc<str>>,
    pub(super) columns: Vec<ColumnBuilder>,
    /// (line, message) of each bad cell.
    pub(super) errors: Vec<(usize, String)>,
    /// A quoted field was met: the whole file is read again by the `csv` crate.
    pub(super) quoted: bool,
}

impl Piece {
    pub(super) fn new(spec: &Spec) -> Piece {
        Piece {
            lines: 0,
            absolute: false,
            runs: Vec::new(),
            regions: Vec::new(),
            columns: spec
                .inputs
                .iter()
                .map(|(_, ty, _)| ColumnBuilder::new(*ty))
                .collect(),
            errors: Vec::new(),
            quoted: false,
        }
    }

    /// One row from its fields.
    pub(super) fn row(
        &mut self,
        spec: &Spec,
        width: usize,
        fields: &[&[u8]],
        line: usize,
        regions: &mut FastMap<Box<[u8]>, Arc<str>>,
    ) {
        if fields.len() != width {
            self.errors.push((
                line,
                format!(
                    "expected {width} fields as in the header, found {}",
                    fields.len()
                ),
            ));
            return;
        }
        let id = fields[spec.key].trim_ascii();
        match self.runs.last_mut() {
            Some((last, n, _)) if last.as_bytes() == id => *n += 1,
            _ => self
                .runs
                .push((String::from_utf8_lossy(id).into_owned(), 1, line)),
        }
        if let Some(r) = spec.region {
            let code = fields[r].trim_ascii();
            let v = match regions.get(code) {
                Some(v) => v.clone(),
                None => {
                    let v: Arc<str> = String::from_utf8_lossy(code).into();
                    regions.insert(code.into(), v.clone());
                    v
                }
            };
            self.regions.push(v);
        }
        for ((name, _, i), b) in spec.inputs.iter().zip(self.columns.iter_mut()) {
            if let Err(m) = b.push(fields[*i]) {
                self.errors.push((line, format!("{name}: {m}")));
            }
        }
    }
}

/// Parses the lines of `data` (whole lines); stops early at a quote.
pub(super) fn parse_piece(data: &[u8], spec: &Spec, width: usize) -> Piece {
    let mut piece = Piece::new(spec);
    if memchr::memchr(b'"', data).is_some() {
        piece.quoted = true;
        return piece;
    }
    // Rows are at least 16 bytes in these files; reserving more than is used costs nothing
    // (untouched pages are never mapped).
    let rows = data.len() / 16 + 1;
    for c in &mut piece.columns {
        c.reserve(rows);
    }
    if spec.region.is_some() {
        piece.regions.reserve(rows);
    }
    let mut regions = FastMap::default();
    let mut fields: Vec<&[u8]> = Vec::with_capacity(width);
    let mut lines = 0;
    let mut from = 0;
    // One pass over the bytes: fields end at commas, rows at line ends (memchr's calls
    // cost more than they save on fields of a few bytes).
    for (i, &b) in data.iter().enumerate() {
        if b == b',' {
            fields.push(&data[from..i]);
            from = i + 1;
        } else if b == b'\n' {
            lines += 1;
            let last = &data[from..i];
            fields.push(last.strip_suffix(b"\r").unwrap_or(last));
            from = i + 1;
            if !(fields.len() == 1 && fields[0].is_empty()) {
                piece.row(spec, width, &fields, lines, &mut regions);
            }
            fields.clear();
        }
    }
    if from < data.len() {
        lines += 1;
        let last = &data[from..];
        fields.push(last.strip_suffix(b"\r").unwrap_or(last));
        if !(fields.len() == 1 && fields[0].is_empty()) {
            piece.row(spec, width, &fields, lines, &mut regions);
        }
    }
    piece.lines = lines;
    piece
}

/// The whole file through the `csv` crate (quoted fields), lines numbered from its start.
pub(super) fn parse_quoted(raw: &Raw, spec: &Spec) -> Result<Piece> {
    let mut piece = Piece::new(spec);
    piece.absolute = true;
    let mut regions = FastMap::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(&raw.data[..]);
    let mut rec = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => bail!(
                "{}:{}: {e}",
                raw.name,
                e.position().map(|p| p.line()).unwrap_or(0)
            ),
        }
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
        let fields: Vec<&[u8]> = rec.iter().collect();
        piece.row(spec, raw.width, &fields, line, &mut regions);
    }
    Ok(piece)
}

/// A file's rows put back together: typed columns, runs of households with their lines,
/// regions, and the errors as text.
pub(super) struct Rows {
    pub(super) columns: Vec<Arc<Column>>,
    pub(super) runs: Vec<(String, u32, usize)>,
    pub(super) regions: Vec<Arc<str>>,
    pub(super) count: usize,
    pub(super) errors: Vec<String>,
}

/// A file's pieces put back in order, but for the columns: each column's pieces, to be
/// concatenated (see [`concat`]).
pub(super) fn assemble(
    raw: &Raw,
    spec: &Spec,
    pieces: Vec<Piece>,
) -> (Rows, Vec<Vec<ColumnBuilder>>) {
    let mut columns: Vec<Vec<ColumnBuilder>> = spec.inputs.iter().map(|_| Vec::new()).collect();
    let rows: usize = pieces
        .iter()
        .flat_map(|p| &p.runs)
        .map(|r| r.1 as usize)
        .sum();
    let mut runs: Vec<(String, u32, usize)> =
        Vec::with_capacity(pieces.iter().map(|p| p.runs.len()).sum());
    let mut regions = Vec::with_capacity(if spec.region.is_some() { rows } else { 0 });
    let mut errors = Vec::new();
    // The header is line 1.
    let mut base = 1;
    for piece in pieces {
        let offset = if piece.absolute { 0 } else { base };
        base += piece.lines;
        for (line, m) in piece.errors {
            errors.push(format!("{}:{}: {m}", raw.name, line + offset));
        }
        for (id, n, line) in piece.runs {
            match runs.last_mut() {
                // A household's rows that straddle two pieces.
                Some((last, k, _)) if *last == id => *k += n,
                _ => runs.push((id, n, line + offset)),
            }
        }
        regions.extend(piece.regions);
        for (c, p) in columns.iter_mut().zip(piece.columns) {
            c.push(p);
        }
    }
    let rows = Rows {
        count: rows,
        columns: Vec::new(),
        runs,
        regions,
        errors,
    };
    (rows, columns)
}

/// One column from its pieces, in order.
pub(super) fn concat(pieces: Vec<ColumnBuilder>) -> Arc<Column> {
    let mut pieces = pieces.into_iter();
    let Some(mut first) = pieces.next() else {
        return Arc::new(Column::Num(Vec::new()));
    };
    let rest: Vec<ColumnBuilder> = pieces.collect();
    first.reserve(rest.iter().map(ColumnBuilder::len).sum());
    for p in rest {
        first.append(p);
    }
    first.finish()
}

/// The column of each of an entity's inputs in its file.
pub(super) fn inputs(
    engine: &Engine,
    e: Entity,
    raw: &Raw,
) -> Result<Vec<(String, InputType, usize)>> {
    engine
        .inputs(e)
        .map(|(name, ty)| {
            let i = raw.columns.get(name).with_context(|| {
                format!("{}: missing column {name} (an input of the pack)", raw.name)
            })?;
            Ok((name.to_string(), ty, *i))
        })
        .collect()
}

/// Parses households, persons and supporters on every core.
pub(super) fn read_all(files: &[(&Raw, Spec)], piece: usize) -> Result<Vec<Rows>> {
    let tasks: Vec<(usize, usize, usize)> = files
        .iter()
        .enumerate()
        .flat_map(|(f, (raw, _))| {
            raw.pieces(piece)
                .into_iter()
                .map(move |(lo, hi)| (f, lo, hi))
        })
        .collect();
    let parsed = par_map(tasks.len(), |t| {
        let (f, lo, hi) = tasks[t];
        let (raw, spec) = &files[f];
        parse_piece(&raw.data[lo..hi], spec, raw.width)
    });
    let mut pieces: Vec<Vec<Piece>> = files.iter().map(|_| Vec::new()).collect();
    for ((f, _, _), p) in tasks.iter().zip(parsed) {
        pieces[*f].push(p);
    }
    let mut out = Vec::new();
    let mut columns = Vec::new();
    for ((raw, spec), pieces) in files.iter().zip(pieces) {
        let pieces = if pieces.iter().any(|p| p.quoted) {
            vec![parse_quoted(raw, spec)?]
        } else {
            pieces
        };
        let (rows, cols) = assemble(raw, spec, pieces);
        columns.extend(cols.into_iter().map(|c| (out.len(), Mutex::new(c))));
        out.push(rows);
    }
    // Every file's columns concatenated side by side.
    let joined = par_map(columns.len(), |k| {
        concat(std::mem::take(
            &mut *columns[k].1.lock().unwrap_or_else(|e| e.into_inner()),
        ))
    });
    for ((f, _), c) in columns.iter().zip(joined) {
        out[*f].columns.push(c);
    }
    Ok(out)
}
