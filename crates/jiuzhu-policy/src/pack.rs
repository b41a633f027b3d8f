//! Policy packs (政策包): folders of TOML files holding parameters, inputs, variables,
//! programs, outputs and tests. A pack may extend another; the child's definitions replace
//! the parent's of the same name. Loading checks everything it can and names the file and
//! line of each problem.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use toml::Spanned;

use crate::expr::{self, Expr};

/// Where a definition came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A problem in a pack, at a place.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {msg}")]
pub struct PackError {
    pub origin: Origin,
    pub msg: String,
}

pub(crate) fn error(origin: &Origin, msg: impl Into<String>) -> PackError {
    PackError {
        origin: origin.clone(),
        msg: msg.into(),
    }
}

/// The entities a quantity can belong to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Entity {
    Household,
    Person,
    Supporter,
}

/// The type of an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputType {
    Money,
    Number,
    Int,
    Bool,
    Text,
    Date,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Label {
    #[serde(default)]
    pub zh: String,
    #[serde(default)]
    pub en: String,
}

/// A table parameter's value: row → column → number.
pub type Table = BTreeMap<String, BTreeMap<String, Decimal>>;

/// A parameter's values by date: a number, or a table of numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValues {
    Scalar(Vec<(NaiveDate, Decimal)>),
    Table(Vec<(NaiveDate, Table)>),
}

/// A parameter (参数): dated values with a unit, labels and a legal reference.
#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: String,
    pub unit: String,
    pub label: Label,
    pub reference: String,
    /// True when no published value was found and the value only illustrates.
    pub illustrative: bool,
    pub values: ParamValues,
    /// Values by region code prefix (a county's own standard), each dated; the longest
    /// prefix of a household's region wins over `values`.
    pub by_region: BTreeMap<String, Vec<(NaiveDate, Decimal)>>,
    /// The parameter takes its value from the household's region (`by_region` may be
    /// filled at run time, e.g. from params.csv).
    pub regional: bool,
    pub origin: Origin,
}

/// A value the caller supplies (from the registry or a file).
#[derive(Clone, Debug)]
pub struct Input {
    pub name: String,
    pub entity: Entity,
    pub ty: InputType,
    pub label: Label,
    pub origin: Origin,
}

/// A computed quantity of an entity.
#[derive(Clone, Debug)]
pub struct Variable {
    pub name: String,
    pub entity: Entity,
    pub formula: Expr,
    pub source: String,
    pub label: Label,
    pub unit: String,
    pub origin: Origin,
}

/// A program (救助事项): which variable decides eligibility and which gives the amount.
#[derive(Clone, Debug)]
pub struct Program {
    pub code: String,
    pub label: Label,
    pub department: String,
    pub eligible: String,
    pub amount: String,
    pub period: String,
    pub origin: Origin,
}

/// A column of `jiuzhu policy run`'s output.
#[derive(Clone, Debug)]
pub struct Output {
    pub name: String,
    pub decimals: u32,
    pub origin: Origin,
}

/// A test case: a household, a date, and expected values.
#[derive(Clone, Debug)]
pub struct TestCase {
    pub name: String,
    pub date: NaiveDate,
    pub household: BTreeMap<String, toml::Value>,
    pub members: Vec<BTreeMap<String, toml::Value>>,
    pub supporters: Vec<BTreeMap<String, toml::Value>>,
    pub expect: BTreeMap<String, toml::Value>,
    /// Values of regional parameters for the case's region.
    pub region: BTreeMap<String, toml::Value>,
    pub origin: Origin,
}

/// A loaded pack, parents merged in.
#[derive(Clone, Debug, Default)]
pub struct Pack {
    pub name: String,
    pub version: String,
    pub label: Label,
    pub reference: String,
    /// The household input holding the region code, for regional parameters.
    pub region_input: Option<String>,
    pub parameters: Vec<Parameter>,
    pub inputs: Vec<Input>,
    pub variables: Vec<Variable>,
    pub programs: Vec<Program>,
    pub outputs: Vec<Output>,
    pub tests: Vec<TestCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    pack: Option<PackMeta>,
    #[serde(default)]
    parameter: Vec<Spanned<ParamDoc>>,
    #[serde(default)]
    input: Vec<Spanned<InputDoc>>,
    #[serde(default)]
    variable: Vec<Spanned<VarDoc>>,
    #[serde(default)]
    program: Vec<Spanned<ProgramDoc>>,
    #[serde(default)]
    output: Vec<Spanned<OutputDoc>>,
    #[serde(default)]
    test: Vec<Spanned<TestDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackMeta {
    name: String,
    version: String,
    #[serde(default)]
    label: Label,
    #[serde(default)]
    reference: String,
    extends: Option<String>,
    /// The household input holding the region code, for regional parameters.
    region_input: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamDoc {
    name: String,
    unit: String,
    #[serde(default)]
    label: Label,
    reference: String,
    #[serde(default)]
    illustrative: bool,
    #[serde(default)]
    values: BTreeMap<String, toml::Value>,
    #[serde(default)]
    by_region: BTreeMap<String, BTreeMap<String, toml::Value>>,
    #[serde(default)]
    regional: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InputDoc {
    name: String,
    entity: Entity,
    #[serde(rename = "type")]
    ty: InputType,
    #[serde(default)]
    label: Label,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VarDoc {
    name: String,
    entity: Entity,
    formula: String,
    #[serde(default)]
    label: Label,
    #[serde(default)]
    unit: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProgramDoc {
    code: String,
    #[serde(default)]
    label: Label,
    department: String,
    eligible: String,
    amount: String,
    period: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutputDoc {
    name: String,
    #[serde(default)]
    decimals: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestDoc {
    name: String,
    date: String,
    #[serde(default)]
    household: BTreeMap<String, toml::Value>,
    #[serde(default)]
    members: Vec<BTreeMap<String, toml::Value>>,
    #[serde(default)]
    supporters: Vec<BTreeMap<String, toml::Value>>,
    expect: BTreeMap<String, toml::Value>,
    #[serde(default)]
    region: BTreeMap<String, toml::Value>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn date(origin: &Origin, s: &str) -> Result<NaiveDate, PackError> {
    jiuzhu_domain::parse_date(s).map_err(|e| error(origin, format!("bad date {s:?}: {e}")))
}

/// A decimal written in TOML: text ("0.6") or an integer; floats are refused because
/// their binary value is not the decimal the administrator wrote.
pub(crate) fn decimal(origin: &Origin, v: &toml::Value) -> Result<Decimal, PackError> {
    match v {
        toml::Value::String(s) => s
            .trim()
            .parse::<Decimal>()
            .map_err(|_| error(origin, format!("{s:?} is not a number"))),
        toml::Value::Integer(i) => Ok(Decimal::from(*i)),
        toml::Value::Float(f) => Err(error(
            origin,
            format!("write decimals as text, e.g. \"{f}\", so they stay exact"),
        )),
        other => Err(error(origin, format!("expected a number, found {other}"))),
    }
}

fn param_values(
    origin: &Origin,
    values: &BTreeMap<String, toml::Value>,
    regional: bool,
) -> Result<ParamValues, PackError> {
    if values.is_empty() {
        if regional {
            return Ok(ParamValues::Scalar(Vec::new()));
        }
        return Err(error(origin, "a parameter needs at least one dated value"));
    }
    let is_table = values.values().next().is_some_and(|v| v.is_table());
    if is_table {
        let mut out = Vec::new();
        for (d, v) in values {
            let table = v.as_table().ok_or_else(|| {
                error(
                    origin,
                    format!("value of {d} must be a table like the others"),
                )
            })?;
            let mut rows = BTreeMap::new();
            for (row, cols) in table {
                let cols = cols.as_table().ok_or_else(|| {
                    error(
                        origin,
                        format!("row {row:?} of {d} must be a table of columns"),
                    )
                })?;
                let mut m = BTreeMap::new();
                for (col, v) in cols {
                    m.insert(col.clone(), decimal(origin, v)?);
                }
                rows.insert(row.clone(), m);
            }
            out.push((date(origin, d)?, rows));
        }
        Ok(ParamValues::Table(out))
    } else {
        let mut out = Vec::new();
        for (d, v) in values {
            out.push((date(origin, d)?, decimal(origin, v)?));
        }
        Ok(ParamValues::Scalar(out))
    }
}

/// The files of one pack folder: (path relative to the folder, text).
pub type Files = Vec<(String, String)>;

/// Loads a pack from its files; `parent` supplies the files of a pack it extends.
pub fn load(files: &Files, parent: &dyn Fn(&str) -> Option<Files>) -> Result<Pack, Vec<PackError>> {
    load_depth(files, parent, 0)
}

fn load_depth(
    files: &Files,
    parent: &dyn Fn(&str) -> Option<Files>,
    depth: usize,
) -> Result<Pack, Vec<PackError>> {
    let mut errors = Vec::new();
    let mut pack = Pack::default();
    let mut meta: Option<(PackMeta, Origin)> = None;
    let mut sorted: Vec<&(String, String)> =
        files.iter().filter(|(p, _)| p.ends_with(".toml")).collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut own = Pack::default();
    for (path, text) in sorted {
        if let Some(m) = read_file(path, text, &mut own, &mut errors) {
            meta = Some((
                m,
                Origin {
                    file: path.clone(),
                    line: 1,
                },
            ));
        }
    }
    let Some((meta, meta_origin)) = meta else {
        errors.push(PackError {
            origin: Origin {
                file: "pack.toml".into(),
                line: 1,
            },
            msg: "no [pack] table (name, version) in any file".into(),
        });
        return Err(errors);
    };
    if let Some(parent_name) = &meta.extends {
        if depth > 8 {
            errors.push(error(&meta_origin, "packs extend each other in a loop"));
            return Err(errors);
        }
        match parent(parent_name) {
            Some(files) => match load_depth(&files, parent, depth + 1) {
                Ok(p) => {
                    // Tests stay with the pack that wrote them.
                    pack = Pack {
                        tests: Vec::new(),
                        ..p
                    };
                }
                Err(mut e) => errors.append(&mut e),
            },
            None => errors.push(error(
                &meta_origin,
                format!("extends unknown pack {parent_name:?}"),
            )),
        }
    }
    pack.name = meta.name;
    pack.version = meta.version;
    pack.label = meta.label;
    pack.reference = meta.reference;
    if meta.region_input.is_some() {
        pack.region_input = meta.region_input;
    }
    merge(&mut pack.parameters, own.parameters, |p| p.name.clone());
    merge(&mut pack.inputs, own.inputs, |p| p.name.clone());
    merge(&mut pack.variables, own.variables, |p| p.name.clone());
    merge(&mut pack.programs, own.programs, |p| p.code.clone());
    if !own.outputs.is_empty() {
        pack.outputs = own.outputs;
    }
    pack.tests = own.tests;
    if errors.is_empty() {
        Ok(pack)
    } else {
        Err(errors)
    }
}

/// A pack file's `[[variable]]` tables, each formula parsed.
fn read_variables(
    docs: Vec<Spanned<VarDoc>>,
    at: &dyn Fn(std::ops::Range<usize>) -> Origin,
    own: &mut Pack,
    errors: &mut Vec<PackError>,
) {
    for v in docs {
        let origin = at(v.span());
        let v = v.into_inner();
        match expr::parse(&v.formula) {
            Ok(formula) => own.variables.push(Variable {
                name: v.name,
                entity: v.entity,
                formula,
                source: v.formula,
                label: v.label,
                unit: v.unit,
                origin,
            }),
            Err(e) => errors.push(error(&origin, format!("formula of {}: {e}", v.name))),
        }
    }
}

/// A pack file's `[[test]]` tables, each with its date.
fn read_tests(
    docs: Vec<Spanned<TestDoc>>,
    at: &dyn Fn(std::ops::Range<usize>) -> Origin,
    own: &mut Pack,
    errors: &mut Vec<PackError>,
) {
    for t in docs {
        let origin = at(t.span());
        let t = t.into_inner();
        match date(&origin, &t.date) {
            Ok(d) => own.tests.push(TestCase {
                name: t.name,
                date: d,
                household: t.household,
                members: t.members,
                supporters: t.supporters,
                expect: t.expect,
                region: t.region,
                origin,
            }),
            Err(e) => errors.push(e),
        }
    }
}

/// Reads one file of a pack into `own` (its errors into `errors`); returns its `[pack]`
/// table if it has one.
fn read_file(
    path: &str,
    text: &str,
    own: &mut Pack,
    errors: &mut Vec<PackError>,
) -> Option<PackMeta> {
    let doc: FileDoc = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(1);
            errors.push(PackError {
                origin: Origin {
                    file: path.to_string(),
                    line,
                },
                msg: e.message().to_string(),
            });
            return None;
        }
    };
    let at = |span: std::ops::Range<usize>| Origin {
        file: path.to_string(),
        line: line_of(text, span.start),
    };
    for p in doc.parameter {
        match parameter(at(p.span()), p.into_inner()) {
            Ok(p) => own.parameters.push(p),
            Err(e) => errors.push(e),
        }
    }
    for i in doc.input {
        let origin = at(i.span());
        let i = i.into_inner();
        own.inputs.push(Input {
            name: i.name,
            entity: i.entity,
            ty: i.ty,
            label: i.label,
            origin,
        });
    }
    read_variables(doc.variable, &at, own, errors);
    for p in doc.program {
        let origin = at(p.span());
        let p = p.into_inner();
        own.programs.push(Program {
            code: p.code,
            label: p.label,
            department: p.department,
            eligible: p.eligible,
            amount: p.amount,
            period: p.period,
            origin,
        });
    }
    for o in doc.output {
        let origin = at(o.span());
        let o = o.into_inner();
        own.outputs.push(Output {
            name: o.name,
            decimals: o.decimals,
            origin,
        });
    }
    read_tests(doc.test, &at, own, errors);
    doc.pack
}

/// One `[[parameter]]`: its values by date, and by region where it varies by region.
fn parameter(origin: Origin, p: ParamDoc) -> Result<Parameter, PackError> {
    let regional = p.regional || !p.by_region.is_empty();
    let values = param_values(&origin, &p.values, regional)?;
    let mut by_region = BTreeMap::new();
    for (region, values) in &p.by_region {
        if jiuzhu_domain::RegionCode::parse(region).is_err() {
            return Err(error(
                &origin,
                format!("{}: {region:?} is not a region code", p.name),
            ));
        }
        let mut v = Vec::new();
        for (d, x) in values {
            v.push((date(&origin, d)?, decimal(&origin, x)?));
        }
        by_region.insert(region.clone(), v);
    }
    Ok(Parameter {
        name: p.name,
        unit: p.unit,
        label: p.label,
        reference: p.reference,
        illustrative: p.illustrative,
        values,
        by_region,
        regional,
        origin,
    })
}

impl Pack {
    /// Sets a regional parameter's value for `region` from `from` (e.g. a county's row of
    /// params.csv), replacing a value the region had from that date.
    pub fn set_region_value(
        &mut self,
        name: &str,
        region: &str,
        from: NaiveDate,
        value: Decimal,
    ) -> Result<(), String> {
        let p = self
            .parameters
            .iter_mut()
            .find(|p| p.name == name)
            .ok_or_else(|| format!("no parameter {name}"))?;
        if !p.regional {
            return Err(format!("parameter {name} does not vary by region"));
        }
        let values = p.by_region.entry(region.to_string()).or_default();
        values.retain(|(d, _)| *d != from);
        values.push((from, value));
        values.sort_by_key(|(d, _)| *d);
        Ok(())
    }
}

/// Child definitions replace the parent's of the same name; new ones are appended.
fn merge<T>(into: &mut Vec<T>, child: Vec<T>, key: impl Fn(&T) -> String) {
    for c in child {
        match into.iter().position(|p| key(p) == key(&c)) {
            Some(i) => into[i] = c,
            None => into.push(c),
        }
    }
}

/// The files of a pack and of every pack it extends, nearest first, by pack name.
pub fn chain(
    files: &Files,
    parent: &dyn Fn(&str) -> Option<Files>,
) -> Result<Vec<(String, Files)>, PackError> {
    let mut out: Vec<(String, Files)> = Vec::new();
    let mut current = files.clone();
    loop {
        let meta = current
            .iter()
            .filter(|(p, _)| p.ends_with(".toml"))
            .find_map(|(_, text)| {
                toml::from_str::<toml::Table>(text)
                    .ok()
                    .and_then(|t| t.get("pack").and_then(|p| p.as_table()).cloned())
            });
        let origin = Origin {
            file: "pack.toml".into(),
            line: 1,
        };
        let meta = meta.ok_or_else(|| error(&origin, "no [pack] table"))?;
        let name = meta
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        if out.iter().any(|(n, _)| *n == name) || out.len() > 8 {
            return Err(error(&origin, "packs extend each other in a loop"));
        }
        let extends = meta
            .get("extends")
            .and_then(|v| v.as_str())
            .map(String::from);
        out.push((name, current));
        match extends {
            None => return Ok(out),
            Some(p) => {
                current = parent(&p)
                    .ok_or_else(|| error(&origin, format!("extends unknown pack {p:?}")))?
            }
        }
    }
}
