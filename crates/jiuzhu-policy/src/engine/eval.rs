//! Evaluating one household on a date, each value computed once and kept, with the
//! parameters and branches used recorded for the explanation.

use crate::expr::{BinOp, Expr};
use crate::pack::Entity;
use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, BTreeSet};

use super::explain::{op_word, say, show};
use super::*;

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
    pub(crate) dated: &'d Dated<'d>,
    pub(crate) hh: &'h Household,
    pub(crate) cache: [Vec<Vec<Option<Value>>>; 3],
    pub(crate) used_params: BTreeSet<usize>,
    /// (branch, outcome) of every `if` evaluated so far.
    pub(crate) taken: BTreeSet<(u32, bool)>,
}

pub(crate) fn num(v: Value) -> Decimal {
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

    pub(crate) fn input(&self, ent: Entity, row: usize, i: usize) -> Result<Value, EvalError> {
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

    pub(crate) fn var(&mut self, ent: Entity, row: usize, slot: usize) -> Result<Value, EvalError> {
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

    pub(crate) fn reference(
        &mut self,
        ent: Entity,
        row: usize,
        r: Ref,
    ) -> Result<Value, EvalError> {
        match r {
            Ref::Input(i) => self.input(ent, row, i),
            Ref::Var(i) => self.var(ent, row, i),
        }
    }

    /// The household's region code ("" when the pack names no region input).
    pub(crate) fn region(&self) -> String {
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

    pub(crate) fn fail<T>(msg: impl Into<String>) -> Result<T, EvalError> {
        Err(EvalError {
            variable: String::new(),
            msg: msg.into(),
        })
    }

    pub(crate) fn param(&mut self, p: usize) -> Result<&ParamAt<'_>, EvalError> {
        self.used_params.insert(p);
        match &self.dated.values[p] {
            Some(v) => Ok(v),
            None => Self::fail(format!(
                "parameter {} has no value on {}",
                self.dated.engine.pack.parameters[p].name, self.dated.date
            )),
        }
    }

    pub(crate) fn eval(&mut self, c: &C, ent: Entity, row: usize) -> Result<Value, EvalError> {
        Ok(match c {
            C::Const(v) => v.clone(),
            C::Own(r) => self.reference(ent, row, *r)?,
            C::Household(r) => self.reference(Entity::Household, 0, *r)?,
            C::Param(p) => self.param_number(*p)?,
            C::Table(p, r, k) => self.table_cell(*p, r, k, ent, row)?,
            C::Neg(a) => Value::Num(-num(self.eval(a, ent, row)?)),
            C::Not(a) => Value::Bool(self.eval(a, ent, row)? != Value::Bool(true)),
            C::Bin(op, a, b) => self.binary(*op, a, b, ent, row)?,
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
            C::Agg(agg, g, inner) => self.aggregate(*agg, *g, inner.as_deref())?,
        })
    }

    /// A scalar or regional parameter's value on the date (for the household's region).
    fn param_number(&mut self, p: usize) -> Result<Value, EvalError> {
        let region = self.region();
        Ok(match self.param(p)? {
            ParamAt::Scalar(_, x) => Value::Num(*x),
            ParamAt::Regional(regions, default) => Value::Num(
                regional(regions, *default, &region)
                    .ok_or(())
                    .or_else(|_| {
                        Self::fail(format!(
                            "parameter {} has no value for region {region} on {}",
                            self.dated.engine.pack.parameters[p].name, self.dated.date
                        ))
                    })?,
            ),
            ParamAt::Table(..) => return Self::fail("table used as a number"),
        })
    }

    /// One cell of a table parameter, by the row and column keys evaluated here.
    fn table_cell(
        &mut self,
        p: usize,
        r: &C,
        k: &C,
        ent: Entity,
        row: usize,
    ) -> Result<Value, EvalError> {
        let (rk, ck) = (key(&self.eval(r, ent, row)?), key(&self.eval(k, ent, row)?));
        let name = self.dated.engine.pack.parameters[p].name.clone();
        match self.param(p)? {
            ParamAt::Table(_, t) => match t.get(&rk).and_then(|cols| cols.get(&ck)) {
                Some(x) => Ok(Value::Num(*x)),
                None => Self::fail(format!(
                    "table {name} has no entry for row {rk:?}, column {ck:?}"
                )),
            },
            ParamAt::Scalar(..) | ParamAt::Regional(..) => Self::fail("number used as a table"),
        }
    }

    /// A binary operation: `and` and `or` short-circuit; arithmetic is checked.
    fn binary(
        &mut self,
        op: BinOp,
        a: &C,
        b: &C,
        ent: Entity,
        row: usize,
    ) -> Result<Value, EvalError> {
        if matches!(op, BinOp::And | BinOp::Or) {
            let left = self.eval(a, ent, row)? == Value::Bool(true);
            if (op == BinOp::And && !left) || (op == BinOp::Or && left) {
                return Ok(Value::Bool(left));
            }
            return Ok(Value::Bool(self.eval(b, ent, row)? == Value::Bool(true)));
        }
        let (x, y) = (self.eval(a, ent, row)?, self.eval(b, ent, row)?);
        let checked = |r: Option<Decimal>| {
            r.map(Value::Num)
                .ok_or(())
                .or_else(|_| Self::fail("overflow"))
        };
        match op {
            BinOp::Eq => Ok(Value::Bool(x == y)),
            BinOp::Ne => Ok(Value::Bool(x != y)),
            _ => {
                let (x, y) = (num(x), num(y));
                match op {
                    BinOp::Add => checked(x.checked_add(y)),
                    BinOp::Sub => checked(x.checked_sub(y)),
                    BinOp::Mul => checked(x.checked_mul(y)),
                    BinOp::Div if y.is_zero() => Self::fail("division by zero"),
                    BinOp::Div => checked(x.checked_div(y)),
                    BinOp::Lt => Ok(Value::Bool(x < y)),
                    BinOp::Le => Ok(Value::Bool(x <= y)),
                    BinOp::Gt => Ok(Value::Bool(x > y)),
                    BinOp::Ge => Ok(Value::Bool(x >= y)),
                    _ => unreachable!("handled above"),
                }
            }
        }
    }

    /// `count`, `sum`, `any` or `all` over the household's members or supporters.
    fn aggregate(&mut self, agg: Agg, g: Entity, inner: Option<&C>) -> Result<Value, EvalError> {
        let n = match g {
            Entity::Person => self.hh.members.len(),
            Entity::Supporter => self.hh.supporters.len(),
            Entity::Household => 1,
        };
        Ok(match agg {
            Agg::Count => Value::Num(Decimal::from(n)),
            Agg::Sum => {
                let mut s = Decimal::ZERO;
                for r in 0..n {
                    s += num(self.eval(inner.expect("sum has a body"), g, r)?);
                }
                Value::Num(s)
            }
            Agg::Any | Agg::All => {
                let want_any = agg == Agg::Any;
                for r in 0..n {
                    let v =
                        self.eval(inner.expect("any/all has a body"), g, r)? == Value::Bool(true);
                    if v == want_any {
                        return Ok(Value::Bool(want_any));
                    }
                }
                Value::Bool(!want_any)
            }
        })
    }

    /// The comparisons that decide a household flag variable (through `and`, `or`, `not`
    /// and flag variables), each with both sides, whether it held, and by how much.
    pub fn conditions(&mut self, variable: &str) -> Result<Vec<Condition>, EvalError> {
        let mut out = Vec::new();
        self.collect_conditions(variable, &mut out, 0, (true, true))?;
        // A variable reached twice (veto behind both dibao and tekun) is listed once.
        let mut seen = std::collections::HashSet::new();
        out.retain(|c| seen.insert((c.variable.clone(), c.condition.clone())));
        Ok(out)
    }

    pub(crate) fn collect_conditions(
        &mut self,
        variable: &str,
        out: &mut Vec<Condition>,
        depth: usize,
        (for_household, decisive): (bool, bool),
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
        // Each sub-formula with whether its holding counts for the household (`not` turns
        // it) and whether it decides alone: every `and` that must hold and every `or` that
        // must not keeps each part decisive; below the others a part neither needs to
        // hold nor suffices.
        let mut stack = vec![(&v.formula, for_household, decisive)];
        while let Some((e, pos, dec)) = stack.pop() {
            match e {
                Expr::Not(a) => stack.push((a, !pos, dec)),
                Expr::Bin(op @ (BinOp::And | BinOp::Or), a, b) => {
                    let dec = dec && ((*op == BinOp::And) == pos);
                    stack.push((b, pos, dec));
                    stack.push((a, pos, dec));
                }
                Expr::Name(n) if engine.household_var(n).is_some() => {
                    self.collect_conditions(n, out, depth + 1, (pos, dec))?
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
                    let said = |zh: bool| {
                        let label = |n: &str| engine.label_of(n, zh);
                        let value = |x: &Expr, v: Decimal| match x {
                            Expr::Num(_) => String::new(),
                            _ => format!(" {}", v.normalize()),
                        };
                        format!(
                            "{}{}{}{}{}{}",
                            say(a, &label, zh),
                            value(a, l),
                            if zh { "，" } else { ", " },
                            op_word(*op, zh).trim_start(),
                            say(b, &label, zh),
                            value(b, r),
                        )
                    };
                    out.push(Condition {
                        for_household: pos,
                        decisive: dec,
                        said_zh: said(true),
                        said_en: said(false),
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
                        label_zh: engine.label_of(name, true).unwrap_or_default(),
                        label_en: engine.label_of(name, false).unwrap_or_default(),
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
                        label_zh: par.label.zh.clone(),
                        label_en: par.label.en.clone(),
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
