//! Evaluating the variables of a pack over a whole population, column by column.

use std::sync::Arc;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::engine::{Agg, C, Dated, ParamAt, Ref, Value, idx, key};
use crate::expr::BinOp;
use crate::pack::Entity;

use super::*;

/// The evaluation of a population on one date.
pub struct PopulationEvaluation<'d> {
    pub(crate) dated: &'d Dated<'d>,
    pub(crate) pop: &'d Population,
    pub(crate) cache: [Vec<Option<Ev>>; 3],
    pub(crate) messages: Vec<String>,
}

/// A failed row: which household row, which variable, why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("household row {row}: {variable}: {msg}")]
pub struct RowError {
    pub row: usize,
    pub variable: String,
    pub msg: String,
}

impl<'d> Dated<'d> {
    /// Evaluates variables over a whole population, on demand.
    pub fn evaluate_population(&'d self, pop: &'d Population) -> PopulationEvaluation<'d> {
        let e = self.engine;
        PopulationEvaluation {
            dated: self,
            pop,
            cache: [
                vec![None; e.vars[0].len()],
                vec![None; e.vars[1].len()],
                vec![None; e.vars[2].len()],
            ],
            messages: Vec::new(),
        }
    }
}

impl PopulationEvaluation<'_> {
    /// A household variable over every household, or the first row that failed.
    pub fn household(&mut self, slot: usize) -> Result<Arc<Column>, RowError> {
        let ev = self.var(Entity::Household, slot).map_err(|m| RowError {
            row: 0,
            variable: self.dated.engine.vars[0][slot].0.clone(),
            msg: m,
        })?;
        if let Some(errs) = &ev.err
            && let Some((row, code)) = errs.iter().enumerate().find(|(_, c)| **c != 0)
        {
            let msg = self.messages[*code as usize - 1].clone();
            let (variable, msg) = msg
                .split_once('\u{0}')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .unwrap_or_default();
            return Err(RowError { row, variable, msg });
        }
        Ok(ev.col)
    }

    pub(crate) fn error(&mut self, variable: &str, msg: String) -> u32 {
        self.messages.push(format!("{variable}\u{0}{msg}"));
        self.messages.len() as u32
    }

    pub(crate) fn var(&mut self, ent: Entity, slot: usize) -> Result<Ev, String> {
        if let Some(v) = &self.cache[idx(ent)][slot] {
            return Ok(v.clone());
        }
        let engine = self.dated.engine;
        let (name, c, _) = &engine.vars[idx(ent)][slot];
        let v = self.eval(c, ent, name)?;
        self.cache[idx(ent)][slot] = Some(v.clone());
        Ok(v)
    }

    pub(crate) fn reference(&mut self, ent: Entity, r: Ref) -> Result<Ev, String> {
        match r {
            Ref::Input(i) => Ok(Ev {
                col: self.pop.inputs[idx(ent)][i].clone(),
                err: None,
            }),
            Ref::Var(i) => self.var(ent, i),
        }
    }

    /// A constant or parameter stays one value; anything else becomes a column.
    pub(crate) fn operand(&mut self, c: &C, ent: Entity, name: &str) -> Result<Opd, String> {
        match c {
            C::Const(v) => Ok(Opd::Scalar(v.clone())),
            C::Param(p) => match &self.dated.values[*p] {
                Some(ParamAt::Scalar(_, x)) => Ok(Opd::Scalar(Value::Num(*x))),
                Some(ParamAt::Regional(..)) => Ok(Opd::Col(self.eval(c, ent, name)?)),
                _ => Err(format!(
                    "parameter {} has no value on {}",
                    self.dated.engine.pack.parameters[*p].name, self.dated.date
                )),
            },
            _ => Ok(Opd::Col(self.eval(c, ent, name)?)),
        }
    }

    pub(crate) fn num_map(
        &mut self,
        a: &Ev,
        name: &str,
        f: impl Fn(Decimal) -> Result<Decimal, &'static str>,
    ) -> Ev {
        let mut errs: Vec<u32> = a.err.as_deref().cloned().unwrap_or_default();
        let mut out = Vec::with_capacity(a.col.len());
        let mut failed: Vec<(usize, &'static str)> = Vec::new();
        for (i, x) in nums(&a.col).iter().enumerate() {
            match f(*x) {
                Ok(v) => out.push(v),
                Err(m) => {
                    out.push(Decimal::ZERO);
                    failed.push((i, m));
                }
            }
        }
        if !failed.is_empty() {
            errs.resize(out.len(), 0);
            for (i, m) in failed {
                if errs[i] == 0 {
                    errs[i] = self.error(name, m.to_string());
                }
            }
        }
        Ev {
            col: Arc::new(Column::Num(out)),
            err: if errs.is_empty() {
                None
            } else {
                Some(Arc::new(errs))
            },
        }
    }

    pub(crate) fn eval(&mut self, c: &C, ent: Entity, name: &str) -> Result<Ev, String> {
        let n = self.pop.rows(ent);
        Ok(match c {
            C::Const(v) => Ev {
                col: Arc::new(Column::broadcast(v, n)),
                err: None,
            },
            C::Own(r) => self.reference(ent, *r)?,
            C::Household(r) => {
                let h = self.reference(Entity::Household, *r)?;
                let parents = self.pop.parents(ent);
                Ev {
                    col: Arc::new(h.col.gather(parents)),
                    err: h
                        .err
                        .map(|e| Arc::new(parents.iter().map(|p| e[*p as usize]).collect())),
                }
            }
            C::Param(p) => self.param(p, ent, name)?,
            C::Table(p, r, k) => self.table(p, r, k, ent, name)?,
            C::Neg(a) => {
                let a = self.eval(a, ent, name)?;
                Ev {
                    col: Arc::new(Column::Num(nums(&a.col).iter().map(|x| -*x).collect())),
                    err: a.err,
                }
            }
            C::Not(a) => {
                let a = self.eval(a, ent, name)?;
                Ev {
                    col: Arc::new(Column::Bool(bools(&a.col).iter().map(|x| !*x).collect())),
                    err: a.err,
                }
            }
            C::Bin(op, a, b) => self.binary(op, a, b, ent, name)?,
            C::If(_, c0, a, b) => self.conditional(c0, a, b, ent, name)?,
            C::Max(cs) => self.extremum(true, cs, ent, name)?,
            C::Min(cs) => self.extremum(false, cs, ent, name)?,
            C::Round(a, places) => {
                let a = self.eval(a, ent, name)?;
                let p = *places;
                self.num_map(&a, name, |x| {
                    Ok(x.round_dp_with_strategy(p, RoundingStrategy::MidpointAwayFromZero))
                })
            }
            C::Age(a) => {
                let a = self.eval(a, ent, name)?;
                let on = self.dated.date;
                let col = match &*a.col {
                    Column::Date(d) => d
                        .iter()
                        .map(|b| Decimal::from(jiuzhu_domain::age_on(*b, on)))
                        .collect(),
                    _ => return Err("age() of something that is not a date".into()),
                };
                Ev {
                    col: Arc::new(Column::Num(col)),
                    err: a.err,
                }
            }
            C::Agg(agg, g, inner) => self.aggregate(agg, g, inner, name)?,
        })
    }

    /// A parameter's value on the date: one for all, or each household's by its region.
    pub(crate) fn param(&mut self, p: &usize, ent: Entity, name: &str) -> Result<Ev, String> {
        let n = self.pop.rows(ent);
        Ok(match &self.dated.values[*p] {
            Some(ParamAt::Scalar(_, x)) => Ev {
                col: Arc::new(Column::Num(vec![*x; n])),
                err: None,
            },
            Some(ParamAt::Regional(regions, default)) => {
                // Each household's value by its region, then carried to its members.
                let engine = self.dated.engine;
                let pname = engine.pack.parameters[*p].name.clone();
                let regions_col = engine.region_input.map(|i| self.pop.inputs[0][i].clone());
                let h = self.pop.households;
                // Looked up once per distinct region.
                let (dict, codes) = match regions_col.as_deref() {
                    Some(Column::Text(t)) => (t.dict.as_slice(), Some(t.codes.as_slice())),
                    _ => (&[][..], None),
                };
                let mut memo: Vec<Option<Option<Decimal>>> = vec![None; dict.len()];
                let mut out = Vec::with_capacity(h);
                let mut errs = vec![0u32; h];
                for (i, err) in errs.iter_mut().enumerate() {
                    let code = codes.map(|c| c[i] as usize);
                    let region: &str = code.map_or("", |c| &dict[c]);
                    let found = match code {
                        Some(c) => *memo[c].get_or_insert_with(|| {
                            crate::engine::regional(regions, *default, region)
                        }),
                        None => crate::engine::regional(regions, *default, region),
                    };
                    match found {
                        Some(x) => out.push(x),
                        None => {
                            out.push(Decimal::ZERO);
                            self.messages.push(format!("{name}\u{0}parameter {pname} has no value for region {region} on {}", self.dated.date));
                            *err = self.messages.len() as u32;
                        }
                    }
                }
                let any = errs.iter().any(|e| *e != 0);
                let ev = Ev {
                    col: Arc::new(Column::Num(out)),
                    err: any.then(|| Arc::new(errs)),
                };
                if ent == Entity::Household {
                    ev
                } else {
                    let parents = self.pop.parents(ent);
                    Ev {
                        col: Arc::new(ev.col.gather(parents)),
                        err: ev
                            .err
                            .map(|e| Arc::new(parents.iter().map(|p| e[*p as usize]).collect())),
                    }
                }
            }
            _ => {
                return Err(format!(
                    "parameter {} has no value on {}",
                    self.dated.engine.pack.parameters[*p].name, self.dated.date
                ));
            }
        })
    }

    /// A table parameter looked up by two cells of each row (memoised by cell value).
    pub(crate) fn table(
        &mut self,
        p: &usize,
        r: &C,
        k: &C,
        ent: Entity,
        name: &str,
    ) -> Result<Ev, String> {
        let n = self.pop.rows(ent);
        Ok({
            let table = match &self.dated.values[*p] {
                Some(ParamAt::Table(_, t)) => *t,
                _ => {
                    return Err(format!(
                        "parameter {} has no value on {}",
                        self.dated.engine.pack.parameters[*p].name, self.dated.date
                    ));
                }
            };
            let (rv, kv) = (self.eval(r, ent, name)?, self.eval(k, ent, name)?);
            // Lookups are memoised by cell value: a table has a handful of keys.
            let mut memo: KeyMap<Result<Decimal, String>> = KeyMap::default();
            let mut out = Vec::with_capacity(n);
            let mut errs = merge(&rv.err, &kv.err)
                .as_deref()
                .cloned()
                .unwrap_or_else(|| vec![0; n]);
            let pname = self.dated.engine.pack.parameters[*p].name.clone();
            for (i, err) in errs.iter_mut().enumerate() {
                let found = memo.entry((cell_key(&rv.col, i), cell_key(&kv.col, i))).or_insert_with(|| {
                let (a, b) = (key(&rv.col.get(i)), key(&kv.col.get(i)));
                table
                    .get(&a)
                    .and_then(|cols| cols.get(&b))
                    .copied()
                    .ok_or_else(|| format!("{name}\u{0}table {pname} has no entry for row {a:?}, column {b:?}"))
            });
                match found {
                    Ok(x) => out.push(*x),
                    Err(m) => {
                        out.push(Decimal::ZERO);
                        if *err == 0 {
                            self.messages.push(m.clone());
                            *err = self.messages.len() as u32;
                        }
                    }
                }
            }
            let any = errs.iter().any(|e| *e != 0);
            Ev {
                col: Arc::new(Column::Num(out)),
                err: any.then(|| Arc::new(errs)),
            }
        })
    }

    /// An arithmetic, comparison or logical operation, column by column.
    pub(crate) fn binary(
        &mut self,
        op: &BinOp,
        a: &C,
        b: &C,
        ent: Entity,
        name: &str,
    ) -> Result<Ev, String> {
        let n = self.pop.rows(ent);
        Ok({
            let (a, b) = (self.operand(a, ent, name)?, self.operand(b, ent, name)?);
            let err = merge(a.errs(), b.errs());
            match op {
                BinOp::And | BinOp::Or => logical(*op == BinOp::And, &a, &b, n),
                BinOp::Eq | BinOp::Ne => {
                    let ne = *op == BinOp::Ne;
                    let col = match (a.texts(), b.texts()) {
                        // Text against a constant: compared once per dictionary entry.
                        ((dict, Some(codes)), ([x], None)) | (([x], None), (dict, Some(codes))) => {
                            let eq: Vec<bool> = dict.iter().map(|d| (**d == **x) != ne).collect();
                            codes.iter().map(|c| eq[*c as usize]).collect()
                        }
                        _ => (0..n).map(|i| a.same(&b, i) != ne).collect(),
                    };
                    Ev {
                        col: Arc::new(Column::Bool(col)),
                        err,
                    }
                }
                BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                    let (av, bv) = (a.nv(), b.nv());
                    let cmp = |f: fn(std::cmp::Ordering) -> bool| -> Vec<bool> {
                        (0..n).map(|i| f(dcmp(av.at(i), bv.at(i)))).collect()
                    };
                    let col = match op {
                        BinOp::Lt => cmp(std::cmp::Ordering::is_lt),
                        BinOp::Le => cmp(std::cmp::Ordering::is_le),
                        BinOp::Gt => cmp(std::cmp::Ordering::is_gt),
                        _ => cmp(std::cmp::Ordering::is_ge),
                    };
                    Ev {
                        col: Arc::new(Column::Bool(col)),
                        err,
                    }
                }
                _ => {
                    let mut out = Vec::with_capacity(n);
                    let mut failed = Vec::new();
                    let (av, bv) = (a.nv(), b.nv());
                    for i in 0..n {
                        let (x, y) = (av.at(i), bv.at(i));
                        let r = match op {
                            BinOp::Add => x.checked_add(y).ok_or("overflow"),
                            BinOp::Sub => x.checked_sub(y).ok_or("overflow"),
                            BinOp::Mul => x.checked_mul(y).ok_or("overflow"),
                            _ if y.is_zero() => Err("division by zero"),
                            _ => x.checked_div(y).ok_or("overflow"),
                        };
                        match r {
                            Ok(v) => out.push(v),
                            Err(m) => {
                                out.push(Decimal::ZERO);
                                failed.push((i, m));
                            }
                        }
                    }
                    let mut err = err;
                    if !failed.is_empty() {
                        let mut e = err.as_deref().cloned().unwrap_or_else(|| vec![0; n]);
                        for (i, m) in failed {
                            if e[i] == 0 {
                                e[i] = self.error(name, m.to_string());
                            }
                        }
                        err = Some(Arc::new(e));
                    }
                    Ev {
                        col: Arc::new(Column::Num(out)),
                        err,
                    }
                }
            }
        })
    }

    /// `if(c, a, b)`, each row taking its branch.
    pub(crate) fn conditional(
        &mut self,
        c0: &C,
        a: &C,
        b: &C,
        ent: Entity,
        name: &str,
    ) -> Result<Ev, String> {
        let n = self.pop.rows(ent);
        Ok({
            let c0 = self.eval(c0, ent, name)?;
            let (a, b) = (self.operand(a, ent, name)?, self.operand(b, ent, name)?);
            let cond = bools(&c0.col);
            let pick = |i: usize| if cond[i] { &a } else { &b };
            let col = match (a.kind(), b.kind()) {
                (Kind::Num, Kind::Num) => {
                    let (av, bv) = (a.nv(), b.nv());
                    Column::Num(
                        (0..n)
                            .map(|i| if cond[i] { av.at(i) } else { bv.at(i) })
                            .collect(),
                    )
                }
                (Kind::Bool, Kind::Bool) => Column::Bool((0..n).map(|i| pick(i).flag(i)).collect()),
                (Kind::Text, Kind::Text) => {
                    // The two dictionaries side by side; the codes of the branch taken.
                    let ((da, ca), (db, cb)) = (a.texts(), b.texts());
                    let off = da.len() as u32;
                    let mut dict = da.to_vec();
                    dict.extend_from_slice(db);
                    let codes = (0..n)
                        .map(|i| {
                            if cond[i] {
                                ca.map_or(0, |c| c[i])
                            } else {
                                off + cb.map_or(0, |c| c[i])
                            }
                        })
                        .collect();
                    Column::Text(Texts { dict, codes })
                }
                (Kind::Date, Kind::Date) => Column::Date((0..n).map(|i| pick(i).date(i)).collect()),
                _ => return Err("if(): branches of different types".into()),
            };
            let err = if c0.err.is_none() && a.errs().is_none() && b.errs().is_none() {
                None
            } else {
                let at = |e: &Errs, i: usize| e.as_ref().map(|e| e[i]).unwrap_or(0);
                Some(Arc::new(
                    (0..n)
                        .map(|i| {
                            let ec = at(&c0.err, i);
                            if ec != 0 { ec } else { at(pick(i).errs(), i) }
                        })
                        .collect(),
                ))
            };
            Ev {
                col: Arc::new(col),
                err,
            }
        })
    }

    /// `max(…)` or `min(…)` of its operands, row by row.
    pub(crate) fn extremum(
        &mut self,
        max: bool,
        cs: &[C],
        ent: Entity,
        name: &str,
    ) -> Result<Ev, String> {
        let n = self.pop.rows(ent);
        Ok({
            let ops = cs
                .iter()
                .map(|x| self.operand(x, ent, name))
                .collect::<Result<Vec<_>, _>>()?;
            let views: Vec<Nv> = ops.iter().map(Opd::nv).collect();
            let col = (0..n)
                .map(|i| {
                    let mut best = views[0].at(i);
                    for o in &views[1..] {
                        let v = o.at(i);
                        // As Ord::max (the later one when equal) and Ord::min (the earlier).
                        let take = if max {
                            dcmp(v, best).is_ge()
                        } else {
                            dcmp(v, best).is_lt()
                        };
                        if take {
                            best = v;
                        }
                    }
                    best
                })
                .collect();
            let err = ops.iter().fold(None, |acc, o| merge(&acc, o.errs()));
            Ev {
                col: Arc::new(Column::Num(col)),
                err,
            }
        })
    }

    /// A household's count, sum, any or all over its members or supporters.
    pub(crate) fn aggregate(
        &mut self,
        agg: &Agg,
        g: &Entity,
        inner: &Option<Box<C>>,
        name: &str,
    ) -> Result<Ev, String> {
        Ok({
            let parents = self.pop.parents(*g).to_vec();
            let households = self.pop.households;
            match agg {
                Agg::Count => {
                    let mut out = vec![Decimal::ZERO; households];
                    for p in &parents {
                        out[*p as usize] += Decimal::ONE;
                    }
                    Ev {
                        col: Arc::new(Column::Num(out)),
                        err: None,
                    }
                }
                _ => {
                    let v = self.eval(inner.as_deref().expect("aggregate has a body"), *g, name)?;
                    let mut err = None;
                    if let Some(e) = &v.err {
                        let mut h = vec![0u32; households];
                        for (i, p) in parents.iter().enumerate() {
                            if h[*p as usize] == 0 {
                                h[*p as usize] = e[i];
                            }
                        }
                        err = Some(Arc::new(h));
                    }
                    let col = match agg {
                        Agg::Sum => {
                            let mut out = vec![Decimal::ZERO; households];
                            for (x, p) in nums(&v.col).iter().zip(&parents) {
                                out[*p as usize] += *x;
                            }
                            Column::Num(out)
                        }
                        _ => {
                            let any = *agg == Agg::Any;
                            let mut out = vec![!any; households];
                            for (x, p) in bools(&v.col).iter().zip(&parents) {
                                if *x == any {
                                    out[*p as usize] = any;
                                }
                            }
                            Column::Bool(out)
                        }
                    };
                    Ev {
                        col: Arc::new(col),
                        err,
                    }
                }
            }
        })
    }
}
