//! Reading workload P's files (params, households, persons, supporters) into a population
//! for the policy engine: each file is read whole and cut at line ends into pieces that
//! every core parses, then the pieces are put back in order. A file with a quoted field is
//! read by the `csv` crate instead (quotes can hide line ends). Any bad row stops the load
//! with every error listed as file:line: column: reason.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use jiuzhu_policy::columnar::{Column, Part, Population, Texts};
use jiuzhu_policy::hash::{FastMap, FastSet};
use jiuzhu_policy::testing::parse_input;
use jiuzhu_policy::{Engine, Entity, InputType, Value};

/// A population read from workload P's files, split for the cores.
pub struct Loaded {
    /// The pack with params.csv's county values.
    pub engine: Engine,
    /// Every household, person and supporter.
    pub pop: Population,
    /// The population cut into parts of [`PART`] households, evaluated one at a time.
    pub parts: Vec<Part>,
    pub ids: Vec<String>,
    /// Household rows sorted by household_id (byte order).
    pub order: Vec<u32>,
    /// Line of each household in households.csv.
    pub lines: Vec<usize>,
    /// County (first six digits of region_code) of each household.
    pub counties: Vec<String>,
}

impl Loaded {
    /// The part holding household row `r`, and the row's number within it.
    pub fn locate(&self, r: usize) -> (usize, usize) {
        let k = self.parts.partition_point(|p| p.lo <= r) - 1;
        (k, r - self.parts[k].lo)
    }
}

/// Households per part: their columns stay in the caches while they are evaluated.
const PART: usize = 16 << 10;

/// Bytes a piece holds, about: enough to amortise the hand-over, small enough to balance.
const PIECE: usize = 4 << 20;

/// `f(0..n)` on every core, tasks taken in order by whichever thread is free; the results
/// in task order.
pub fn par_map<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let done: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= n {
                break;
            }
            let v = f(k);
            *done[k].lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    std::thread::scope(|s| {
        for _ in 1..threads.min(n) {
            s.spawn(work);
        }
        work();
    });
    done.into_iter()
        .map(|d| {
            d.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every task ran: a panic in one would have ended the scope")
        })
        .collect()
}

/// A CSV file read whole: its header's columns and where its body starts.
struct Raw {
    name: &'static str,
    data: Vec<u8>,
    columns: HashMap<String, usize>,
    width: usize,
    body: usize,
}

fn read_raw(dir: &Path, name: &'static str) -> Result<Raw> {
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
    fn col(&self, c: &str) -> Result<usize> {
        self.columns
            .get(c)
            .copied()
            .with_context(|| format!("{}: missing column {c}", self.name))
    }

    /// The body cut at line ends into pieces of about `piece` bytes.
    fn pieces(&self, piece: usize) -> Vec<(usize, usize)> {
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
struct ColumnBuilder {
    ty: InputType,
    num: Vec<rust_decimal::Decimal>,
    flag: Vec<bool>,
    /// Text as codes into `dict`, each distinct text once (by `interned`).
    codes: Vec<u32>,
    dict: Vec<Arc<str>>,
    date: Vec<NaiveDate>,
    interned: FastMap<Box<[u8]>, u32>,
}

impl ColumnBuilder {
    fn new(ty: InputType) -> ColumnBuilder {
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

    fn push(&mut self, cell: &[u8]) -> Result<(), String> {
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

    fn len(&self) -> usize {
        match self.ty {
            InputType::Bool => self.flag.len(),
            InputType::Text => self.codes.len(),
            InputType::Date => self.date.len(),
            _ => self.num.len(),
        }
    }

    fn reserve(&mut self, n: usize) {
        match self.ty {
            InputType::Bool => self.flag.reserve(n),
            InputType::Text => self.codes.reserve(n),
            InputType::Date => self.date.reserve(n),
            _ => self.num.reserve(n),
        }
    }

    /// Appends the rows of a later piece.
    fn append(&mut self, other: ColumnBuilder) {
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

    fn finish(self) -> Arc<Column> {
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
fn plain_fen(b: &[u8]) -> Option<i64> {
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
struct Spec {
    /// The household_id column.
    key: usize,
    /// The region_code column (households only).
    region: Option<usize>,
    /// (input name, type, column) of the entity's inputs.
    inputs: Vec<(String, InputType, usize)>,
}

/// The rows of one piece of a file (or of a whole file read by the `csv` crate).
struct Piece {
    /// Lines the piece spans (to number the next piece's lines).
    lines: usize,
    /// Whether the piece's lines are numbered from the file's start (a file read whole).
    absolute: bool,
    /// Runs of rows of one household: (household_id, rows, line within the piece).
    runs: Vec<(String, u32, usize)>,
    /// region_code of each row, when the spec asks for it.
    regions: Vec<Arc<str>>,
    columns: Vec<ColumnBuilder>,
    /// (line, message) of each bad cell.
    errors: Vec<(usize, String)>,
    /// A quoted field was met: the whole file is read again by the `csv` crate.
    quoted: bool,
}

impl Piece {
    fn new(spec: &Spec) -> Piece {
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
    fn row(
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
fn parse_piece(data: &[u8], spec: &Spec, width: usize) -> Piece {
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
fn parse_quoted(raw: &Raw, spec: &Spec) -> Result<Piece> {
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
struct Rows {
    columns: Vec<Arc<Column>>,
    runs: Vec<(String, u32, usize)>,
    regions: Vec<Arc<str>>,
    count: usize,
    errors: Vec<String>,
}

/// A file's pieces put back in order, but for the columns: each column's pieces, to be
/// concatenated (see [`concat`]).
fn assemble(raw: &Raw, spec: &Spec, pieces: Vec<Piece>) -> (Rows, Vec<Vec<ColumnBuilder>>) {
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
fn concat(pieces: Vec<ColumnBuilder>) -> Arc<Column> {
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
fn inputs(engine: &Engine, e: Entity, raw: &Raw) -> Result<Vec<(String, InputType, usize)>> {
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
fn read_all(files: &[(&Raw, Spec)], piece: usize) -> Result<Vec<Rows>> {
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

/// Reads params, households, persons and supporters; any bad row stops with every error.
pub fn load_population(engine: &Engine, date: NaiveDate, dir: &Path) -> Result<Loaded> {
    let params = read_raw(dir, "params.csv")?;
    let priced = with_params(engine, &params, date)?;
    let engine = &priced;
    // The largest file is read on another core.
    let (persons, households, supporters) = std::thread::scope(|s| {
        let persons = s.spawn(|| read_raw(dir, "persons.csv"));
        let households = read_raw(dir, "households.csv");
        let supporters = read_raw(dir, "supporters.csv");
        let persons = persons
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("reading persons.csv panicked")));
        (persons, households, supporters)
    });
    let (households, persons, supporters) = (households?, persons?, supporters?);
    let spec = |raw: &Raw, e: Entity| -> Result<Spec> {
        Ok(Spec {
            key: raw.col("household_id")?,
            region: if e == Entity::Household {
                Some(raw.col("region_code")?)
            } else {
                None
            },
            inputs: inputs(engine, e, raw)?,
        })
    };
    let files = [
        (&households, spec(&households, Entity::Household)?),
        (&persons, spec(&persons, Entity::Person)?),
        (&supporters, spec(&supporters, Entity::Supporter)?),
    ];
    let mut rows = read_all(&files, PIECE)?.into_iter();
    let (hh, persons, supporters) = (
        rows.next().context("households")?,
        rows.next().context("persons")?,
        rows.next().context("supporters")?,
    );
    drop(files);
    let counties: FastSet<&str> = param_rows(&params)
        .map(|(_, fields)| {
            fields
                .get(params.col("county_code").unwrap_or(0))
                .copied()
                .unwrap_or("")
        })
        .collect();

    let mut errors = hh.errors;
    let mut ids: Vec<&str> = Vec::with_capacity(hh.runs.len());
    let mut regions: Vec<&str> = Vec::with_capacity(hh.runs.len());
    let mut lines: Vec<usize> = Vec::with_capacity(hh.runs.len());
    // Whether a region's county has parameters, once per region (they are interned).
    let mut priced_region: FastMap<*const u8, bool> = FastMap::default();
    let mut row = 0;
    for (id, n, line) in &hh.runs {
        let code: &str = hh.regions.get(row).map_or("", |r| r);
        row += *n as usize;
        for k in 1..*n as usize {
            errors.push(format!(
                "households.csv:{}: household_id: duplicate {id}",
                line + k
            ));
        }
        let county = code.get(..6).unwrap_or(code);
        if !*priced_region
            .entry(code.as_ptr())
            .or_insert_with(|| counties.contains(county))
        {
            errors.push(format!(
                "households.csv:{line}: region_code: county {county} has no row in params.csv"
            ));
            continue;
        }
        ids.push(id);
        regions.push(code);
        lines.push(*line);
    }
    // Household rows in id order: for the output, for duplicates, and to find the
    // household of a person whose rows do not follow the households file's order.
    let order = id_order(&ids);
    for w in order.windows(2) {
        let (a, b) = (w[0] as usize, w[1] as usize);
        if ids[a] == ids[b] {
            let line = lines[a].max(lines[b]);
            errors.push(format!(
                "households.csv:{line}: household_id: duplicate {}",
                ids[a]
            ));
        }
    }
    // The household row of each run of rows of a persons or supporters file. They usually
    // follow the households' order, perhaps skipping some: look a few rows ahead of the
    // last one found; the others are sorted and merged with the households in id order.
    let resolve = |runs: &[(String, u32, usize)]| -> Vec<Option<u32>> {
        let mut out = vec![None; runs.len()];
        let mut misses = Vec::new();
        let mut cur = 0;
        for (k, (id, _, _)) in runs.iter().enumerate() {
            let ahead = ids.get(cur..(cur + 16).min(ids.len())).unwrap_or(&[]);
            match ahead.iter().position(|h| *h == id.as_str()) {
                Some(i) => {
                    cur += i;
                    out[k] = Some(cur as u32);
                }
                None => misses.push(k),
            }
        }
        misses.sort_unstable_by(|a, b| runs[*a].0.cmp(&runs[*b].0));
        let mut j = 0;
        for k in misses {
            let id = runs[k].0.as_str();
            while j < order.len() && ids[order[j] as usize] < id {
                j += 1;
            }
            if j < order.len() && ids[order[j] as usize] == id {
                out[k] = Some(order[j]);
            }
        }
        out
    };
    let mut pop = Population {
        households: ids.len(),
        ..Population::default()
    };
    pop.inputs[0] = hh.columns;
    // Tie persons' and supporters' rows to their households.
    let mut members = vec![0u32; ids.len()];
    for (rows, entity, file) in [
        (persons, Entity::Person, "persons.csv"),
        (supporters, Entity::Supporter, "supporters.csv"),
    ] {
        errors.extend(rows.errors);
        let mut parents = Vec::with_capacity(rows.count);
        for ((id, n, line), h) in rows.runs.iter().zip(resolve(&rows.runs)) {
            match h {
                Some(h) => {
                    parents.extend(std::iter::repeat_n(h, *n as usize));
                    if entity == Entity::Person {
                        members[h as usize] += n;
                    }
                }
                None => errors.push(format!(
                    "{file}:{line}: household_id: {id} is not in households.csv"
                )),
            }
        }
        match entity {
            Entity::Person => {
                pop.inputs[1] = rows.columns;
                pop.person_household = parents;
            }
            _ => {
                pop.inputs[2] = rows.columns;
                pop.supporter_household = parents;
            }
        }
    }
    for (i, n) in members.iter().enumerate() {
        if *n == 0 {
            errors.push(format!(
                "households.csv:{}: household {} has no members in persons.csv",
                lines[i], ids[i]
            ));
        }
    }
    if !errors.is_empty() {
        errors.sort();
        bail!(
            "{} bad input row(s); nothing written:\n{}",
            errors.len(),
            errors
                .iter()
                .take(200)
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    let parts = pop.plan(PART);
    Ok(Loaded {
        engine: priced,
        parts,
        pop,
        counties: regions
            .iter()
            .map(|r| r.get(..6).unwrap_or(r).to_string())
            .collect(),
        ids: ids.into_iter().map(String::from).collect(),
        order,
        lines,
    })
}

/// Row numbers of `ids` sorted by id in byte order: by the first eight bytes as a number,
/// then by the whole id where those are equal.
fn id_order(ids: &[&str]) -> Vec<u32> {
    let prefix = |id: &str| {
        let mut b = [0u8; 8];
        let n = id.len().min(8);
        b[..n].copy_from_slice(&id.as_bytes()[..n]);
        u64::from_be_bytes(b)
    };
    let mut keyed: Vec<(u64, u32)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (prefix(id), i as u32))
        .collect();
    keyed.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| ids[a.1 as usize].cmp(ids[b.1 as usize]))
    });
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// The data rows of a small file as (line, fields).
fn param_rows(raw: &Raw) -> impl Iterator<Item = (usize, Vec<&str>)> {
    raw.data[raw.body..]
        .split(|b| *b == b'\n')
        .enumerate()
        .filter_map(|(i, l)| {
            let l = std::str::from_utf8(l).ok()?.trim_end_matches('\r');
            (!l.trim().is_empty()).then(|| (i + 2, l.split(',').map(str::trim).collect()))
        })
}

/// The pack with params.csv's county values set as its regional parameters (each column but
/// county_code names one), in force from the evaluation date.
fn with_params(engine: &Engine, params: &Raw, date: NaiveDate) -> Result<Engine> {
    let county_col = params.col("county_code")?;
    let mut pack = engine.pack.clone();
    let mut errors = Vec::new();
    let mut names: Vec<(&String, &usize)> = params
        .columns
        .iter()
        .filter(|(n, _)| n.as_str() != "county_code")
        .collect();
    names.sort_by_key(|(_, i)| **i);
    for (name, col) in names {
        if !pack
            .parameters
            .iter()
            .any(|p| p.name == *name && p.regional)
        {
            bail!(
                "params.csv: column {name} is not a regional parameter of pack {}",
                pack.name
            );
        }
        for (line, fields) in param_rows(params) {
            let county = fields.get(county_col).copied().unwrap_or("");
            match parse_input(InputType::Money, fields.get(*col).copied().unwrap_or("")) {
                Ok(Value::Num(v)) => {
                    if let Err(m) = pack.set_region_value(name, county, date, v) {
                        errors.push(format!("params.csv:{line}: {name}: {m}"));
                    }
                }
                Ok(_) => {}
                Err(m) => errors.push(format!("params.csv:{line}: {name}: {m}")),
            }
        }
    }
    if !errors.is_empty() {
        errors.sort();
        bail!(
            "{} bad input row(s); nothing written:\n{}",
            errors.len(),
            errors
                .iter()
                .map(|e| format!("  {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    Engine::new(pack).map_err(crate::policy::pack_errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_amounts_in_fen() {
        assert_eq!(plain_fen(b"1234.5"), Some(123_450));
        assert_eq!(plain_fen(b"1234.50"), Some(123_450));
        assert_eq!(plain_fen(b"7"), Some(700));
        assert_eq!(plain_fen(b"0.05"), Some(5));
        // Everything else takes the long way, which names the error.
        for odd in [
            &b"-1.00"[..],
            b"1.234",
            b" 1.00",
            b"1,0",
            b"",
            b".5",
            b"1e3",
        ] {
            assert_eq!(plain_fen(odd), None, "{}", String::from_utf8_lossy(odd));
        }
    }

    /// A file read in pieces of every size reads as it does whole: the same households with
    /// the same row counts and lines, the same values, the same errors at the same lines.
    #[test]
    fn any_cut_reads_like_the_whole_file() {
        let text = "household_id,amount,kind\n\
                    H1,1.00,a\nH1,2.50,b\nH2,3,a\n\nH3,x,c\r\nH3,4.05,a\nH3,5.00\nH4,6.00,b";
        let raw = Raw {
            name: "t.csv",
            data: text.as_bytes().to_vec(),
            columns: HashMap::from([
                ("household_id".into(), 0),
                ("amount".into(), 1),
                ("kind".into(), 2),
            ]),
            width: 3,
            body: 25,
        };
        let spec = || Spec {
            key: 0,
            region: None,
            inputs: vec![
                ("amount".into(), InputType::Money, 1),
                ("kind".into(), InputType::Text, 2),
            ],
        };
        let read = |piece: usize| {
            let rows = read_all(&[(&raw, spec())], piece).unwrap().remove(0);
            let texts = match &*rows.columns[1] {
                Column::Text(t) => (0..t.len())
                    .map(|i| t.get(i).to_string())
                    .collect::<Vec<_>>(),
                _ => panic!("kind is text"),
            };
            (
                rows.runs,
                rows.count,
                rows.columns[0].clone(),
                texts,
                rows.errors,
            )
        };
        let whole = read(1 << 20);
        assert_eq!(
            whole.0,
            [
                ("H1".to_string(), 2, 2),
                ("H2".into(), 1, 4),
                ("H3".into(), 2, 6),
                ("H4".into(), 1, 9)
            ]
        );
        assert_eq!(whole.1, 6);
        assert_eq!(whole.4.len(), 2, "{:?}", whole.4);
        assert!(whole.4[0].starts_with("t.csv:6: amount: "), "{:?}", whole.4);
        assert_eq!(
            whole.4[1],
            "t.csv:8: expected 3 fields as in the header, found 2"
        );
        for piece in 1..text.len() {
            assert_eq!(read(piece), whole, "pieces of {piece} bytes");
        }
    }

    #[test]
    fn pieces_cut_at_line_ends_and_number_lines() {
        let text = "a,b\n1,2\n\n3,4\r\n5,6";
        let raw = Raw {
            name: "t.csv",
            data: text.as_bytes().to_vec(),
            columns: HashMap::from([("a".into(), 0), ("b".into(), 1)]),
            width: 2,
            body: 4,
        };
        let spec = Spec {
            key: 0,
            region: None,
            inputs: vec![("b".into(), InputType::Int, 1)],
        };
        let p = parse_piece(&raw.data[raw.body..], &spec, 2);
        assert_eq!(p.lines, 4);
        let lines: Vec<usize> = p.runs.iter().map(|r| r.2).collect();
        assert_eq!(lines, [1, 3, 4]);
        let (rows, _) = assemble(&raw, &spec, vec![p]);
        assert_eq!(rows.runs.iter().map(|r| r.2).collect::<Vec<_>>(), [2, 4, 5]);
        // A piece of a file of whole lines ends with a line end.
        let p = parse_piece(b"1,2\n3,4\n", &spec, 2);
        assert_eq!(p.lines, 2);
        let p = parse_piece(b"1,2\n\"3\",4\n", &spec, 2);
        assert!(p.quoted);
    }
}
