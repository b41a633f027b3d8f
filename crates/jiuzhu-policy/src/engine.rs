//! Compiling a pack (names resolved, types and cycles checked) and evaluating households
//! exactly, with the values and parameters used kept for the explanation.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::expr::{BinOp, Expr};
use crate::pack::{Entity, InputType, Pack, PackError, ParamValues, error};

/// A value in the engine: exact decimals, flags, text, dates.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Num(Decimal),
    Bool(bool),
    Text(Arc<str>),
    Date(NaiveDate),
}

impl Value {
    /// The value as JSON: numbers as exact decimal text, flags as booleans.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Num(d) => serde_json::Value::String(d.normalize().to_string()),
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Text(t) => serde_json::Value::String(t.to_string()),
            Value::Date(d) => serde_json::Value::String(d.to_string()),
        }
    }

    /// Appends the value as [`Value::format`] writes it, without allocating for numbers.
    pub fn write_to(&self, decimals: u32, out: &mut Vec<u8>) {
        match self {
            Value::Num(d) => write_decimal(*d, decimals, out),
            other => out.extend_from_slice(other.format(decimals).as_bytes()),
        }
    }

    /// Written with `decimals` places (numbers, rounded half away from zero), 0/1 for flags.
    pub fn format(&self, decimals: u32) -> String {
        match self {
            Value::Num(d) => {
                let mut r =
                    d.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
                r.rescale(decimals);
                r.to_string()
            }
            Value::Bool(b) => (if *b { "1" } else { "0" }).to_string(),
            Value::Text(t) => t.to_string(),
            Value::Date(d) => d.to_string(),
        }
    }
}

/// Appends `d` rounded half away from zero to `decimals` places, with exactly that many.
pub fn write_decimal(d: Decimal, decimals: u32, out: &mut Vec<u8>) {
    let m = if d.scale() <= decimals {
        // No rounding needed: scale the mantissa up (exact, no allocation).
        d.mantissa() * 10i128.pow(decimals - d.scale())
    } else {
        let mut r = d.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
        r.rescale(decimals);
        r.mantissa()
    };
    if m < 0 {
        out.push(b'-');
    }
    let mut digits = [0u8; 40];
    let mut len = 0;
    // Digits by u64 division where the mantissa fits (always, for amounts): i128 division
    // is a library call that cost more than the rest of writing a result row.
    let mut n = m.unsigned_abs();
    while n > u64::MAX as u128 {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    let mut n = n as u64;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
        if n == 0 {
            break;
        }
    }
    while len <= decimals as usize {
        digits[len] = b'0';
        len += 1;
    }
    for i in (0..len).rev() {
        out.push(digits[i]);
        if i == decimals as usize && decimals > 0 {
            out.push(b'.');
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ty {
    Num,
    Bool,
    Text,
    Date,
}

impl Ty {
    fn of(t: InputType) -> Ty {
        match t {
            InputType::Money | InputType::Number | InputType::Int => Ty::Num,
            InputType::Bool => Ty::Bool,
            InputType::Text => Ty::Text,
            InputType::Date => Ty::Date,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Ty::Num => "a number",
            Ty::Bool => "a flag",
            Ty::Text => "text",
            Ty::Date => "a date",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ref {
    Input(usize),
    Var(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Agg {
    Sum,
    Count,
    Any,
    All,
}

#[derive(Clone, Debug)]
pub(crate) enum C {
    Const(Value),
    Own(Ref),
    Household(Ref),
    Param(usize),
    Table(usize, Box<C>, Box<C>),
    Neg(Box<C>),
    Not(Box<C>),
    Bin(BinOp, Box<C>, Box<C>),
    /// The branch's number in [`Engine::branches`] (`NO_BRANCH` outside variables).
    If(u32, Box<C>, Box<C>, Box<C>),
    Max(Vec<C>),
    Min(Vec<C>),
    Round(Box<C>, u32),
    Age(Box<C>),
    Agg(Agg, Entity, Option<Box<C>>),
}

/// The number of an `if` compiled outside the pack's variables (not counted for coverage).
pub(crate) const NO_BRANCH: u32 = u32::MAX;

pub(crate) fn idx(e: Entity) -> usize {
    match e {
        Entity::Household => 0,
        Entity::Person => 1,
        Entity::Supporter => 2,
    }
}

/// A compiled pack.
pub struct Engine {
    pub pack: Pack,
    /// Per entity (household, person, supporter): input names in the order callers supply them.
    pub(crate) inputs: [Vec<(String, Ty)>; 3],
    pub(crate) vars: [Vec<(String, C, Ty)>; 3],
    /// Per entity: name → variable slot.
    var_index: [HashMap<String, usize>; 3],
    /// The household input holding the region code (for regional parameters).
    pub(crate) region_input: Option<usize>,
    params: Vec<usize>,
    /// Every `if` of the variables' formulas, numbered in compile order: "variable: if(condition)".
    branches: Vec<String>,
}

/// An error while evaluating a household: which variable, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {msg}")]
pub struct EvalError {
    pub variable: String,
    pub msg: String,
}

struct Compiler<'a> {
    pack: &'a Pack,
    inputs: &'a [Vec<(String, Ty)>; 3],
    var_entity: HashMap<&'a str, Entity>,
    var_index: &'a [HashMap<String, usize>; 3],
    param_index: HashMap<&'a str, usize>,
    /// The variable being compiled and the branches numbered so far; `None` compiles
    /// without numbering (expressions outside the variables).
    branches: Option<std::cell::RefCell<(String, Vec<String>)>>,
}

impl Compiler<'_> {
    fn lookup(&self, ent: Entity, name: &str) -> Option<Ref> {
        if let Some(i) = self.inputs[idx(ent)].iter().position(|(n, _)| n == name) {
            return Some(Ref::Input(i));
        }
        self.var_index[idx(ent)].get(name).map(|i| Ref::Var(*i))
    }

    fn compile(&self, e: &Expr, ent: Entity) -> Result<C, String> {
        Ok(match e {
            Expr::Num(n) => C::Const(Value::Num(*n)),
            Expr::Text(t) => C::Const(Value::Text(t.as_str().into())),
            Expr::Bool(b) => C::Const(Value::Bool(*b)),
            Expr::Name(name) => {
                if let Some(r) = self.lookup(ent, name) {
                    C::Own(r)
                } else if let Some(rest) = name
                    .strip_prefix("household.")
                    .filter(|_| ent != Entity::Household)
                {
                    C::Household(
                        self.lookup(Entity::Household, rest)
                            .ok_or_else(|| format!("unknown household quantity {rest:?}"))?,
                    )
                } else if let Some(p) = self.param_index.get(name.as_str()) {
                    if matches!(self.pack.parameters[*p].values, ParamValues::Table(_)) {
                        return Err(format!("{name} is a table: use table({name}, row, column)"));
                    }
                    C::Param(*p)
                } else if let Some(other) = self.var_entity.get(name.as_str()) {
                    return Err(
                        format!("{name} belongs to the {other:?} entity, not {ent:?}")
                            .to_lowercase(),
                    );
                } else {
                    return Err(format!("unknown name {name:?}"));
                }
            }
            Expr::Neg(a) => C::Neg(Box::new(self.compile(a, ent)?)),
            Expr::Not(a) => C::Not(Box::new(self.compile(a, ent)?)),
            Expr::Bin(op, a, b) => C::Bin(
                *op,
                Box::new(self.compile(a, ent)?),
                Box::new(self.compile(b, ent)?),
            ),
            Expr::Call(f, args) => self.call(f, args, ent)?,
        })
    }

    fn call(&self, f: &str, args: &[Expr], ent: Entity) -> Result<C, String> {
        let arity = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                Err(format!("{f}() takes {n} arguments, got {}", args.len()))
            }
        };
        let group = |e: &Expr| -> Result<Entity, String> {
            if ent != Entity::Household {
                return Err(format!(
                    "{f}() over a group is only for household quantities"
                ));
            }
            match e {
                Expr::Name(n) if n == "members" => Ok(Entity::Person),
                Expr::Name(n) if n == "supporters" => Ok(Entity::Supporter),
                _ => Err(format!(
                    "{f}(): the first argument is members or supporters"
                )),
            }
        };
        Ok(match f {
            "if" => {
                arity(3)?;
                let id = match &self.branches {
                    Some(b) => {
                        let mut b = b.borrow_mut();
                        let mut text = format!("{}: if({})", b.0, show(&args[0]));
                        // The same condition twice in one formula: told apart by number.
                        let twin = format!("{text} #");
                        let twins =
                            b.1.iter()
                                .filter(|t| **t == text || t.starts_with(&twin))
                                .count();
                        if twins > 0 {
                            text = format!("{text} #{}", twins + 1);
                        }
                        b.1.push(text);
                        b.1.len() as u32 - 1
                    }
                    None => NO_BRANCH,
                };
                C::If(
                    id,
                    Box::new(self.compile(&args[0], ent)?),
                    Box::new(self.compile(&args[1], ent)?),
                    Box::new(self.compile(&args[2], ent)?),
                )
            }
            "max" | "min" => {
                if args.len() < 2 {
                    return Err(format!("{f}() takes two or more arguments"));
                }
                let cs = args
                    .iter()
                    .map(|a| self.compile(a, ent))
                    .collect::<Result<Vec<_>, _>>()?;
                if f == "max" { C::Max(cs) } else { C::Min(cs) }
            }
            "round" => {
                arity(2)?;
                let Expr::Num(n) = &args[1] else {
                    return Err("round(x, places): places must be a whole number".into());
                };
                let places = u32::try_from(n.mantissa())
                    .ok()
                    .filter(|_| n.scale() == 0)
                    .ok_or("round(x, places): places must be a whole number")?;
                C::Round(Box::new(self.compile(&args[0], ent)?), places)
            }
            "age" => {
                arity(1)?;
                C::Age(Box::new(self.compile(&args[0], ent)?))
            }
            "table" => {
                arity(3)?;
                let Expr::Name(p) = &args[0] else {
                    return Err("table(parameter, row, column): name a table parameter".into());
                };
                let pi = *self
                    .param_index
                    .get(p.as_str())
                    .ok_or_else(|| format!("unknown parameter {p:?}"))?;
                if !matches!(self.pack.parameters[pi].values, ParamValues::Table(_)) {
                    return Err(format!("{p} is not a table"));
                }
                C::Table(
                    pi,
                    Box::new(self.compile(&args[1], ent)?),
                    Box::new(self.compile(&args[2], ent)?),
                )
            }
            "sum" | "any" | "all" => {
                arity(2)?;
                let g = group(&args[0])?;
                let agg = match f {
                    "sum" => Agg::Sum,
                    "any" => Agg::Any,
                    _ => Agg::All,
                };
                C::Agg(agg, g, Some(Box::new(self.compile(&args[1], g)?)))
            }
            "count" => {
                arity(1)?;
                C::Agg(Agg::Count, group(&args[0])?, None)
            }
            _ => return Err(format!("unknown function {f}()")),
        })
    }
}

/// Type inference with cycle detection over the compiled variables.
struct Typer<'a> {
    vars: &'a [Vec<(String, C, Ty)>; 3],
    inputs: &'a [Vec<(String, Ty)>; 3],
    state: [Vec<Option<Option<Ty>>>; 3],
}

impl Typer<'_> {
    fn var(&mut self, ent: Entity, i: usize) -> Result<Ty, String> {
        match self.state[idx(ent)][i] {
            Some(Some(t)) => return Ok(t),
            Some(None) => return Err(format!("{} depends on itself", self.vars[idx(ent)][i].0)),
            None => {}
        }
        self.state[idx(ent)][i] = Some(None);
        let c = self.vars[idx(ent)][i].1.clone();
        let t = self
            .ty(&c, ent)
            .map_err(|m| format!("{}: {m}", self.vars[idx(ent)][i].0))?;
        self.state[idx(ent)][i] = Some(Some(t));
        Ok(t)
    }

    fn reference(&mut self, ent: Entity, r: Ref) -> Result<Ty, String> {
        match r {
            Ref::Input(i) => Ok(self.inputs[idx(ent)][i].1),
            Ref::Var(i) => self.var(ent, i),
        }
    }

    fn ty(&mut self, c: &C, ent: Entity) -> Result<Ty, String> {
        let want = |t: Ty, w: Ty, what: &str| {
            if t == w {
                Ok(())
            } else {
                Err(format!("{what} must be {}, not {}", w.name(), t.name()))
            }
        };
        Ok(match c {
            C::Const(Value::Num(_)) | C::Param(_) | C::Table(..) => {
                if let C::Table(_, a, b) = c {
                    self.ty(a, ent)?;
                    self.ty(b, ent)?;
                }
                Ty::Num
            }
            C::Const(Value::Bool(_)) => Ty::Bool,
            C::Const(Value::Text(_)) => Ty::Text,
            C::Const(Value::Date(_)) => Ty::Date,
            C::Own(r) => self.reference(ent, *r)?,
            C::Household(r) => self.reference(Entity::Household, *r)?,
            C::Neg(a) => {
                want(self.ty(a, ent)?, Ty::Num, "the operand of '-'")?;
                Ty::Num
            }
            C::Not(a) => {
                want(self.ty(a, ent)?, Ty::Bool, "the operand of 'not'")?;
                Ty::Bool
            }
            C::Bin(op, a, b) => {
                let (ta, tb) = (self.ty(a, ent)?, self.ty(b, ent)?);
                match op {
                    BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                        want(ta, Ty::Num, &format!("the left of '{}'", op.symbol()))?;
                        want(tb, Ty::Num, &format!("the right of '{}'", op.symbol()))?;
                        Ty::Num
                    }
                    BinOp::And | BinOp::Or => {
                        want(ta, Ty::Bool, &format!("the left of '{}'", op.symbol()))?;
                        want(tb, Ty::Bool, &format!("the right of '{}'", op.symbol()))?;
                        Ty::Bool
                    }
                    BinOp::Eq | BinOp::Ne => {
                        want(tb, ta, &format!("both sides of '{}'", op.symbol()))?;
                        Ty::Bool
                    }
                    _ => {
                        want(ta, Ty::Num, &format!("the left of '{}'", op.symbol()))?;
                        want(tb, Ty::Num, &format!("the right of '{}'", op.symbol()))?;
                        Ty::Bool
                    }
                }
            }
            C::If(_, c0, a, b) => {
                want(self.ty(c0, ent)?, Ty::Bool, "the condition of if()")?;
                let ta = self.ty(a, ent)?;
                want(self.ty(b, ent)?, ta, "both branches of if()")?;
                ta
            }
            C::Max(cs) | C::Min(cs) => {
                for x in cs {
                    want(self.ty(x, ent)?, Ty::Num, "arguments of max()/min()")?;
                }
                Ty::Num
            }
            C::Round(a, _) => {
                want(self.ty(a, ent)?, Ty::Num, "the argument of round()")?;
                Ty::Num
            }
            C::Age(a) => {
                want(self.ty(a, ent)?, Ty::Date, "the argument of age()")?;
                Ty::Num
            }
            C::Agg(agg, g, inner) => {
                let t = match inner {
                    Some(x) => self.ty(x, *g)?,
                    None => Ty::Num,
                };
                match agg {
                    Agg::Sum => {
                        want(t, Ty::Num, "the summed quantity")?;
                        Ty::Num
                    }
                    Agg::Count => Ty::Num,
                    Agg::Any | Agg::All => {
                        want(t, Ty::Bool, "the condition of any()/all()")?;
                        Ty::Bool
                    }
                }
            }
        })
    }
}

impl Engine {
    /// Compiles `pack`: every name resolved, every formula typed, no cycles.
    pub fn new(pack: Pack) -> Result<Engine, Vec<PackError>> {
        let mut errors = Vec::new();
        let mut inputs: [Vec<(String, Ty)>; 3] = Default::default();
        for i in &pack.inputs {
            inputs[idx(i.entity)].push((i.name.clone(), Ty::of(i.ty)));
        }
        let mut var_index: [HashMap<String, usize>; 3] = Default::default();
        let mut var_entity = HashMap::new();
        for v in &pack.variables {
            let m = &mut var_index[idx(v.entity)];
            if m.contains_key(&v.name) || inputs[idx(v.entity)].iter().any(|(n, _)| *n == v.name) {
                errors.push(error(&v.origin, format!("{} is defined twice", v.name)));
                continue;
            }
            let n = m.len();
            m.insert(v.name.clone(), n);
            var_entity.insert(v.name.as_str(), v.entity);
        }
        let param_index: HashMap<&str, usize> = pack
            .parameters
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.as_str(), i))
            .collect();
        let compiler = Compiler {
            pack: &pack,
            inputs: &inputs,
            var_entity,
            var_index: &var_index,
            param_index,
            branches: Some(Default::default()),
        };
        let mut vars: [Vec<(String, C, Ty)>; 3] = Default::default();
        let mut origins: [Vec<crate::pack::Origin>; 3] = Default::default();
        for v in &pack.variables {
            if var_index[idx(v.entity)].get(&v.name) != Some(&vars[idx(v.entity)].len()) {
                continue;
            }
            if let Some(b) = &compiler.branches {
                b.borrow_mut().0 = v.name.clone();
            }
            match compiler.compile(&v.formula, v.entity) {
                Ok(c) => {
                    vars[idx(v.entity)].push((v.name.clone(), c, Ty::Num));
                    origins[idx(v.entity)].push(v.origin.clone());
                }
                Err(m) => {
                    errors.push(error(&v.origin, format!("{}: {m}", v.name)));
                    vars[idx(v.entity)].push((
                        v.name.clone(),
                        C::Const(Value::Num(Decimal::ZERO)),
                        Ty::Num,
                    ));
                    origins[idx(v.entity)].push(v.origin.clone());
                }
            }
        }
        if errors.is_empty() {
            let mut typer = Typer {
                vars: &vars,
                inputs: &inputs,
                state: [
                    vec![None; vars[0].len()],
                    vec![None; vars[1].len()],
                    vec![None; vars[2].len()],
                ],
            };
            let mut types: [Vec<Ty>; 3] = Default::default();
            for e in [Entity::Household, Entity::Person, Entity::Supporter] {
                for (i, origin) in origins[idx(e)].iter().enumerate() {
                    match typer.var(e, i) {
                        Ok(t) => types[idx(e)].push(t),
                        Err(m) => {
                            errors.push(error(origin, m));
                            types[idx(e)].push(Ty::Num);
                        }
                    }
                }
            }
            for e in 0..3 {
                for (i, t) in types[e].iter().enumerate() {
                    vars[e][i].2 = *t;
                }
            }
        }
        for p in &pack.programs {
            for (what, name, ty) in [
                ("eligible", &p.eligible, Ty::Bool),
                ("amount", &p.amount, Ty::Num),
            ] {
                match var_index[0].get(name) {
                    Some(i) if errors.is_empty() && vars[0][*i].2 != ty => errors.push(error(
                        &p.origin,
                        format!("{}: {what} variable {name} must be {}", p.code, ty.name()),
                    )),
                    Some(_) => {}
                    None => errors.push(error(
                        &p.origin,
                        format!(
                            "{}: {what} names unknown household variable {name:?}",
                            p.code
                        ),
                    )),
                }
            }
        }
        for o in &pack.outputs {
            if !var_index[0].contains_key(&o.name) {
                errors.push(error(
                    &o.origin,
                    format!("output {:?} is not a household variable", o.name),
                ));
            }
        }
        for p in &pack.parameters {
            let dates: Vec<NaiveDate> = match &p.values {
                ParamValues::Scalar(v) => v.iter().map(|x| x.0).collect(),
                ParamValues::Table(v) => v.iter().map(|x| x.0).collect(),
            };
            if dates.windows(2).any(|w| w[0] >= w[1]) {
                errors.push(error(&p.origin, format!("{}: dates must increase", p.name)));
            }
        }
        let region_input = pack
            .region_input
            .as_ref()
            .and_then(|n| inputs[0].iter().position(|(i, t)| i == n && *t == Ty::Text));
        // Every region that has a value of one regional parameter needs all of them (a
        // county's standards are set together); a default value covers a region too.
        let regionals: Vec<&crate::pack::Parameter> =
            pack.parameters.iter().filter(|p| p.regional).collect();
        let mut regions: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
        for p in &regionals {
            regions.extend(p.by_region.keys().map(String::as_str));
        }
        for p in &regionals {
            let has_default = matches!(&p.values, ParamValues::Scalar(v) if !v.is_empty());
            for r in &regions {
                let covered = has_default || p.by_region.keys().any(|k| r.starts_with(k.as_str()));
                if !covered {
                    errors.push(error(
                        &p.origin,
                        format!(
                            "{} has no value for region {r}, which other regional parameters have",
                            p.name
                        ),
                    ));
                }
            }
        }
        for p in pack.parameters.iter().filter(|p| p.regional) {
            if region_input.is_none() {
                errors.push(error(&p.origin, format!("{} varies by region, but [pack] names no text household input as region_input", p.name)));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let params = (0..pack.parameters.len()).collect();
        let branches = compiler
            .branches
            .map(|b| b.into_inner().1)
            .unwrap_or_default();
        Ok(Engine {
            pack,
            inputs,
            vars,
            var_index,
            params,
            region_input,
            branches,
        })
    }

    /// The inputs an entity's rows must supply, in order.
    pub fn inputs(&self, e: Entity) -> impl Iterator<Item = (&str, InputType)> {
        self.pack
            .inputs
            .iter()
            .filter(move |i| i.entity == e)
            .map(|i| (i.name.as_str(), i.ty))
    }

    /// The parameter values in force on `date`.
    pub fn on(&self, date: NaiveDate) -> Result<Dated<'_>, EvalError> {
        let mut values = Vec::with_capacity(self.params.len());
        for p in &self.pack.parameters {
            let at = |v: &[(NaiveDate, Decimal)]| v.iter().rev().find(|(d, _)| *d <= date).copied();
            if p.regional {
                let default = match &p.values {
                    ParamValues::Scalar(v) => at(v),
                    ParamValues::Table(_) => None,
                };
                let mut regions: Vec<(&str, NaiveDate, Decimal)> = p
                    .by_region
                    .iter()
                    .filter_map(|(r, v)| at(v).map(|(d, x)| (r.as_str(), d, x)))
                    .collect();
                regions.sort_by_key(|(r, _, _)| std::cmp::Reverse(r.len()));
                values.push(Some(ParamAt::Regional(regions, default)));
                continue;
            }
            let found = match &p.values {
                ParamValues::Scalar(v) => v
                    .iter()
                    .rev()
                    .find(|(d, _)| *d <= date)
                    .map(|(d, x)| ParamAt::Scalar(*d, *x)),
                ParamValues::Table(v) => v
                    .iter()
                    .rev()
                    .find(|(d, _)| *d <= date)
                    .map(|(d, t)| ParamAt::Table(*d, t)),
            };
            match found {
                Some(f) => values.push(Some(f)),
                None => values.push(None),
            }
        }
        Ok(Dated {
            engine: self,
            date,
            values,
        })
    }

    /// This engine with regional parameter values set for one region from `from` (a test
    /// case's or a single household's county values).
    pub fn with_region_values(
        &self,
        region: &str,
        from: NaiveDate,
        values: &[(String, Decimal)],
    ) -> Result<Engine, String> {
        let mut pack = self.pack.clone();
        for (name, v) in values {
            pack.set_region_value(name, region, from, *v)?;
        }
        Engine::new(pack).map_err(|e| {
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    /// Compiles a formula over household quantities (for explanations).
    fn compile_household(&self, e: &Expr) -> Result<C, String> {
        let compiler = Compiler {
            pack: &self.pack,
            inputs: &self.inputs,
            var_entity: self
                .pack
                .variables
                .iter()
                .map(|v| (v.name.as_str(), v.entity))
                .collect(),
            var_index: &self.var_index,
            param_index: self
                .pack
                .parameters
                .iter()
                .enumerate()
                .map(|(i, p)| (p.name.as_str(), i))
                .collect(),
            branches: None,
        };
        compiler.compile(e, Entity::Household)
    }

    /// Every `if` of the pack's formulas as "variable: if(condition)", by branch number.
    pub fn branches(&self) -> &[String] {
        &self.branches
    }

    /// A household variable's slot, for repeated evaluation.
    pub fn household_var(&self, name: &str) -> Option<usize> {
        self.var_index[0].get(name).copied()
    }
}

pub(crate) enum ParamAt<'a> {
    Scalar(NaiveDate, Decimal),
    /// Values by region prefix (longest first) in force on the date, and the default.
    Regional(
        Vec<(&'a str, NaiveDate, Decimal)>,
        Option<(NaiveDate, Decimal)>,
    ),
    Table(NaiveDate, &'a crate::pack::Table),
}

/// A pack on one date.
pub struct Dated<'e> {
    pub engine: &'e Engine,
    pub date: NaiveDate,
    pub(crate) values: Vec<Option<ParamAt<'e>>>,
}

/// One household's inputs, in the order of [`Engine::inputs`] per entity.
#[derive(Clone, Debug, Default)]
pub struct Household {
    pub inputs: Vec<Value>,
    pub members: Vec<Vec<Value>>,
    pub supporters: Vec<Vec<Value>>,
}

/// The evaluation of one household: values are computed on demand and kept.
pub struct Evaluation<'d, 'h> {
    dated: &'d Dated<'d>,
    hh: &'h Household,
    cache: [Vec<Vec<Option<Value>>>; 3],
    used_params: BTreeSet<usize>,
    /// (branch, outcome) of every `if` evaluated so far.
    taken: BTreeSet<(u32, bool)>,
}

fn num(v: Value) -> Decimal {
    match v {
        Value::Num(n) => n,
        _ => Decimal::ZERO,
    }
}

/// The value of a regional parameter for `region`: the longest matching prefix, else the default.
pub(crate) fn regional(
    regions: &[(&str, NaiveDate, Decimal)],
    default: Option<(NaiveDate, Decimal)>,
    region: &str,
) -> Option<Decimal> {
    regions
        .iter()
        .find(|(r, _, _)| region.starts_with(r))
        .map(|(_, _, x)| *x)
        .or(default.map(|(_, x)| x))
}

pub(crate) fn key(v: &Value) -> String {
    match v {
        Value::Num(n) => n.normalize().to_string(),
        other => other.format(0),
    }
}

impl<'d> Dated<'d> {
    pub fn evaluate<'h>(&'d self, hh: &'h Household) -> Evaluation<'d, 'h> {
        let e = self.engine;
        Evaluation {
            dated: self,
            hh,
            cache: [
                vec![vec![None; e.vars[0].len()]],
                vec![vec![None; e.vars[1].len()]; hh.members.len()],
                vec![vec![None; e.vars[2].len()]; hh.supporters.len()],
            ],
            used_params: BTreeSet::new(),
            taken: BTreeSet::new(),
        }
    }
}

impl Evaluation<'_, '_> {
    /// (branch number, outcome) of every `if` evaluated so far (see [`Engine::branches`]).
    pub fn taken(&self) -> &BTreeSet<(u32, bool)> {
        &self.taken
    }

    /// A household variable by slot.
    pub fn household(&mut self, slot: usize) -> Result<Value, EvalError> {
        self.var(Entity::Household, 0, slot)
    }

    /// A household variable by name.
    pub fn get(&mut self, name: &str) -> Result<Value, EvalError> {
        let slot = self
            .dated
            .engine
            .household_var(name)
            .ok_or_else(|| EvalError {
                variable: name.into(),
                msg: "no such household variable".into(),
            })?;
        self.household(slot)
    }

    fn input(&self, ent: Entity, row: usize, i: usize) -> Result<Value, EvalError> {
        let values = match ent {
            Entity::Household => &self.hh.inputs,
            Entity::Person => &self.hh.members[row],
            Entity::Supporter => &self.hh.supporters[row],
        };
        values.get(i).cloned().ok_or_else(|| EvalError {
            variable: self.dated.engine.inputs[idx(ent)][i].0.clone(),
            msg: "input missing".into(),
        })
    }

    fn var(&mut self, ent: Entity, row: usize, slot: usize) -> Result<Value, EvalError> {
        if let Some(v) = &self.cache[idx(ent)][row][slot] {
            return Ok(v.clone());
        }
        let engine = self.dated.engine;
        let (name, c, _) = &engine.vars[idx(ent)][slot];
        let v = self.eval(c, ent, row).map_err(|mut e| {
            if e.variable.is_empty() {
                e.variable = name.clone();
            }
            e
        })?;
        self.cache[idx(ent)][row][slot] = Some(v.clone());
        Ok(v)
    }

    fn reference(&mut self, ent: Entity, row: usize, r: Ref) -> Result<Value, EvalError> {
        match r {
            Ref::Input(i) => self.input(ent, row, i),
            Ref::Var(i) => self.var(ent, row, i),
        }
    }

    /// The household's region code ("" when the pack names no region input).
    fn region(&self) -> String {
        match self
            .dated
            .engine
            .region_input
            .and_then(|i| self.hh.inputs.get(i))
        {
            Some(Value::Text(t)) => t.to_string(),
            _ => String::new(),
        }
    }

    fn fail<T>(msg: impl Into<String>) -> Result<T, EvalError> {
        Err(EvalError {
            variable: String::new(),
            msg: msg.into(),
        })
    }

    fn param(&mut self, p: usize) -> Result<&ParamAt<'_>, EvalError> {
        self.used_params.insert(p);
        match &self.dated.values[p] {
            Some(v) => Ok(v),
            None => Self::fail(format!(
                "parameter {} has no value on {}",
                self.dated.engine.pack.parameters[p].name, self.dated.date
            )),
        }
    }

    fn eval(&mut self, c: &C, ent: Entity, row: usize) -> Result<Value, EvalError> {
        Ok(match c {
            C::Const(v) => v.clone(),
            C::Own(r) => self.reference(ent, row, *r)?,
            C::Household(r) => self.reference(Entity::Household, 0, *r)?,
            C::Param(p) => {
                let region = self.region();
                match self.param(*p)? {
                    ParamAt::Scalar(_, x) => Value::Num(*x),
                    ParamAt::Regional(regions, default) => {
                        Value::Num(regional(regions, *default, &region).ok_or(()).or_else(
                            |_| {
                                Self::fail(format!(
                                    "parameter {} has no value for region {region} on {}",
                                    self.dated.engine.pack.parameters[*p].name, self.dated.date
                                ))
                            },
                        )?)
                    }
                    ParamAt::Table(..) => return Self::fail("table used as a number"),
                }
            }
            C::Table(p, r, k) => {
                let (rk, ck) = (key(&self.eval(r, ent, row)?), key(&self.eval(k, ent, row)?));
                let name = self.dated.engine.pack.parameters[*p].name.clone();
                match self.param(*p)? {
                    ParamAt::Table(_, t) => match t.get(&rk).and_then(|cols| cols.get(&ck)) {
                        Some(x) => Value::Num(*x),
                        None => {
                            return Self::fail(format!(
                                "table {name} has no entry for row {rk:?}, column {ck:?}"
                            ));
                        }
                    },
                    ParamAt::Scalar(..) | ParamAt::Regional(..) => {
                        return Self::fail("number used as a table");
                    }
                }
            }
            C::Neg(a) => Value::Num(-num(self.eval(a, ent, row)?)),
            C::Not(a) => Value::Bool(self.eval(a, ent, row)? != Value::Bool(true)),
            C::Bin(op, a, b) => {
                if matches!(op, BinOp::And | BinOp::Or) {
                    let left = self.eval(a, ent, row)? == Value::Bool(true);
                    if (*op == BinOp::And && !left) || (*op == BinOp::Or && left) {
                        return Ok(Value::Bool(left));
                    }
                    return Ok(Value::Bool(self.eval(b, ent, row)? == Value::Bool(true)));
                }
                let (x, y) = (self.eval(a, ent, row)?, self.eval(b, ent, row)?);
                match op {
                    BinOp::Eq => Value::Bool(x == y),
                    BinOp::Ne => Value::Bool(x != y),
                    _ => {
                        let (x, y) = (num(x), num(y));
                        match op {
                            BinOp::Add => Value::Num(
                                x.checked_add(y)
                                    .ok_or(())
                                    .or_else(|_| Self::fail("overflow"))?,
                            ),
                            BinOp::Sub => Value::Num(
                                x.checked_sub(y)
                                    .ok_or(())
                                    .or_else(|_| Self::fail("overflow"))?,
                            ),
                            BinOp::Mul => Value::Num(
                                x.checked_mul(y)
                                    .ok_or(())
                                    .or_else(|_| Self::fail("overflow"))?,
                            ),
                            BinOp::Div => {
                                if y.is_zero() {
                                    return Self::fail("division by zero");
                                }
                                Value::Num(
                                    x.checked_div(y)
                                        .ok_or(())
                                        .or_else(|_| Self::fail("overflow"))?,
                                )
                            }
                            BinOp::Lt => Value::Bool(x < y),
                            BinOp::Le => Value::Bool(x <= y),
                            BinOp::Gt => Value::Bool(x > y),
                            BinOp::Ge => Value::Bool(x >= y),
                            _ => unreachable!("handled above"),
                        }
                    }
                }
            }
            C::If(id, c0, a, b) => {
                let taken = self.eval(c0, ent, row)? == Value::Bool(true);
                if *id != NO_BRANCH {
                    self.taken.insert((*id, taken));
                }
                if taken {
                    self.eval(a, ent, row)?
                } else {
                    self.eval(b, ent, row)?
                }
            }
            C::Max(cs) | C::Min(cs) => {
                let mut best: Option<Decimal> = None;
                for x in cs {
                    let v = num(self.eval(x, ent, row)?);
                    best = Some(match (best, c) {
                        (None, _) => v,
                        (Some(b), C::Max(_)) => b.max(v),
                        (Some(b), _) => b.min(v),
                    });
                }
                Value::Num(best.unwrap_or_default())
            }
            C::Round(a, places) => Value::Num(
                num(self.eval(a, ent, row)?)
                    .round_dp_with_strategy(*places, RoundingStrategy::MidpointAwayFromZero),
            ),
            C::Age(a) => match self.eval(a, ent, row)? {
                Value::Date(d) => {
                    Value::Num(Decimal::from(jiuzhu_domain::age_on(d, self.dated.date)))
                }
                _ => return Self::fail("age() of something that is not a date"),
            },
            C::Agg(agg, g, inner) => {
                let n = match g {
                    Entity::Person => self.hh.members.len(),
                    Entity::Supporter => self.hh.supporters.len(),
                    Entity::Household => 1,
                };
                match agg {
                    Agg::Count => Value::Num(Decimal::from(n)),
                    Agg::Sum => {
                        let mut s = Decimal::ZERO;
                        for r in 0..n {
                            s +=
                                num(self.eval(inner.as_deref().expect("sum has a body"), *g, r)?);
                        }
                        Value::Num(s)
                    }
                    Agg::Any | Agg::All => {
                        let want_any = *agg == Agg::Any;
                        for r in 0..n {
                            let v =
                                self.eval(inner.as_deref().expect("any/all has a body"), *g, r)?
                                    == Value::Bool(true);
                            if v == want_any {
                                return Ok(Value::Bool(want_any));
                            }
                        }
                        Value::Bool(!want_any)
                    }
                }
            }
        })
    }

    /// The comparisons that decide a household flag variable (through `and`, `or`, `not`
    /// and flag variables), each with both sides, whether it held, and by how much.
    pub fn conditions(&mut self, variable: &str) -> Result<Vec<Condition>, EvalError> {
        let mut out = Vec::new();
        self.collect_conditions(variable, &mut out, 0)?;
        // A variable reached twice (veto behind both dibao and tekun) is listed once.
        let mut seen = std::collections::HashSet::new();
        out.retain(|c| seen.insert((c.variable.clone(), c.condition.clone())));
        Ok(out)
    }

    fn collect_conditions(
        &mut self,
        variable: &str,
        out: &mut Vec<Condition>,
        depth: usize,
    ) -> Result<(), EvalError> {
        let engine = self.dated.engine;
        let Some(v) = engine
            .pack
            .variables
            .iter()
            .find(|v| v.name == variable && v.entity == Entity::Household)
        else {
            return Ok(());
        };
        if depth > 8 {
            return Ok(());
        }
        let mut stack = vec![&v.formula];
        while let Some(e) = stack.pop() {
            match e {
                Expr::Not(a) => stack.push(a),
                Expr::Bin(BinOp::And | BinOp::Or, a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                Expr::Name(n) if engine.household_var(n).is_some() => {
                    self.collect_conditions(n, out, depth + 1)?
                }
                Expr::Bin(op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge), a, b) => {
                    let side = |ev: &mut Self, x: &Expr| -> Result<Decimal, EvalError> {
                        let c = engine.compile_household(x).map_err(|m| EvalError {
                            variable: variable.into(),
                            msg: m,
                        })?;
                        Ok(num(ev.eval(&c, Entity::Household, 0)?))
                    };
                    let (l, r) = (side(self, a)?, side(self, b)?);
                    let held = match op {
                        BinOp::Lt => l < r,
                        BinOp::Le => l <= r,
                        BinOp::Gt => l > r,
                        _ => l >= r,
                    };
                    out.push(Condition {
                        variable: variable.to_string(),
                        condition: format!("{} {} {}", show(a), op.symbol(), show(b)),
                        left: l.normalize().to_string(),
                        right: r.normalize().to_string(),
                        held,
                        difference: (l - r).normalize().to_string(),
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Every program of the pack for this household, in pack order.
    pub fn programs(&mut self) -> Result<Vec<ProgramResult>, EvalError> {
        let engine = self.dated.engine;
        let mut out = Vec::new();
        for p in &engine.pack.programs {
            let eligible = self.get(&p.eligible)? == Value::Bool(true);
            let amount = num(self.get(&p.amount)?);
            let conditions = self.conditions(&p.eligible)?;
            out.push(ProgramResult {
                conditions,
                code: p.code.clone(),
                label_zh: p.label.zh.clone(),
                label_en: p.label.en.clone(),
                department: p.department.clone(),
                period: p.period.clone(),
                eligible,
                amount: amount.normalize().to_string(),
            });
        }
        Ok(out)
    }

    /// The explanation: every value computed so far with its formula, and every parameter
    /// used with the date its value took effect and its reference.
    pub fn trace(&self) -> Trace {
        let engine = self.dated.engine;
        let pack = &engine.pack;
        let formula = |name: &str, e: Entity| {
            pack.variables
                .iter()
                .find(|v| v.name == name && v.entity == e)
                .map(|v| v.source.clone())
                .unwrap_or_default()
        };
        let entries = |e: Entity, row: usize| -> Vec<TraceValue> {
            engine.vars[idx(e)]
                .iter()
                .enumerate()
                .filter_map(|(i, (name, _, _))| {
                    self.cache[idx(e)][row][i].as_ref().map(|v| TraceValue {
                        name: name.clone(),
                        value: v.to_json(),
                        formula: formula(name, e),
                    })
                })
                .collect()
        };
        Trace {
            household: entries(Entity::Household, 0),
            members: (0..self.hh.members.len())
                .map(|r| entries(Entity::Person, r))
                .collect(),
            supporters: (0..self.hh.supporters.len())
                .map(|r| entries(Entity::Supporter, r))
                .collect(),
            parameters: self
                .used_params
                .iter()
                .map(|p| {
                    let par = &pack.parameters[*p];
                    let region = self.region();
                    let (since, value) = match &self.dated.values[*p] {
                        Some(ParamAt::Regional(regions, default)) => {
                            let found = regions
                                .iter()
                                .find(|(r, _, _)| region.starts_with(r))
                                .map(|(_, d, x)| (*d, *x))
                                .or(*default);
                            match found {
                                Some((d, x)) => (
                                    d.to_string(),
                                    serde_json::Value::String(x.normalize().to_string()),
                                ),
                                None => (String::new(), serde_json::Value::Null),
                            }
                        }
                        Some(ParamAt::Scalar(d, x)) => (
                            d.to_string(),
                            serde_json::Value::String(x.normalize().to_string()),
                        ),
                        Some(ParamAt::Table(d, t)) => (
                            d.to_string(),
                            serde_json::to_value(
                                t.iter()
                                    .map(|(r, cols)| {
                                        (
                                            r.clone(),
                                            cols.iter()
                                                .map(|(c, x)| {
                                                    (c.clone(), x.normalize().to_string())
                                                })
                                                .collect::<BTreeMap<_, _>>(),
                                        )
                                    })
                                    .collect::<BTreeMap<_, _>>(),
                            )
                            .unwrap_or_default(),
                        ),
                        None => (String::new(), serde_json::Value::Null),
                    };
                    TraceParameter {
                        name: par.name.clone(),
                        value,
                        since,
                        unit: par.unit.clone(),
                        reference: par.reference.clone(),
                        illustrative: par.illustrative,
                    }
                })
                .collect(),
        }
    }
}

/// One comparison behind a decision: `left op right`, whether it held, and `left - right`
/// (how far the household is from the threshold).
#[derive(Clone, Debug, Serialize)]
pub struct Condition {
    pub variable: String,
    pub condition: String,
    pub left: String,
    pub right: String,
    pub held: bool,
    pub difference: String,
}

/// A formula as the administrator would write it.
fn show(e: &Expr) -> String {
    match e {
        Expr::Num(n) => n.to_string(),
        Expr::Text(t) => format!("{t:?}"),
        Expr::Bool(b) => b.to_string(),
        Expr::Name(n) => n.clone(),
        Expr::Neg(a) => format!("-{}", show(a)),
        Expr::Not(a) => format!("not {}", show(a)),
        Expr::Bin(op, a, b) => {
            let paren = |x: &Expr| match x {
                Expr::Bin(..) => format!("({})", show(x)),
                _ => show(x),
            };
            format!("{} {} {}", paren(a), op.symbol(), paren(b))
        }
        Expr::Call(f, args) => format!(
            "{f}({})",
            args.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// A program's result for a household.
#[derive(Clone, Debug, Serialize)]
pub struct ProgramResult {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub department: String,
    pub period: String,
    pub eligible: bool,
    /// Exact decimal yuan.
    pub amount: String,
    /// The comparisons behind eligibility, with how far each is from its threshold.
    pub conditions: Vec<Condition>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceValue {
    pub name: String,
    pub value: serde_json::Value,
    pub formula: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceParameter {
    pub name: String,
    pub value: serde_json::Value,
    /// The date from which this value is in force.
    pub since: String,
    pub unit: String,
    pub reference: String,
    pub illustrative: bool,
}

/// Why a result is what it is.
#[derive(Clone, Debug, Serialize)]
pub struct Trace {
    pub household: Vec<TraceValue>,
    pub members: Vec<Vec<TraceValue>>,
    pub supporters: Vec<Vec<TraceValue>>,
    pub parameters: Vec<TraceParameter>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_like_format() {
        for (s, places, want) in [
            ("626.2916666", 2, "626.29"),
            ("999.5", 2, "999.50"),
            ("0", 2, "0.00"),
            ("100.5", 0, "101"),
            ("-0.005", 2, "-0.01"),
            ("0.05", 2, "0.05"),
            ("1800", 0, "1800"),
            ("-3.1", 1, "-3.1"),
        ] {
            let d: Decimal = s.parse().unwrap();
            let mut out = Vec::new();
            write_decimal(d, places, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want, "{s}");
            assert_eq!(Value::Num(d).format(places), want, "{s}");
        }
    }
}
