//! Compiling a pack's formulas: names resolved, and types inferred with cycles found.

use crate::expr::{BinOp, Expr};
use crate::pack::{Entity, Pack, PackError, ParamValues, error};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeSet, HashMap};

use super::explain::show;
use super::*;

pub(crate) struct Compiler<'a> {
    pub(crate) pack: &'a Pack,
    pub(crate) inputs: &'a [Vec<(String, Ty)>; 3],
    pub(crate) var_entity: HashMap<&'a str, Entity>,
    pub(crate) var_index: &'a [HashMap<String, usize>; 3],
    pub(crate) param_index: HashMap<&'a str, usize>,
    /// The variable being compiled and the branches numbered so far; `None` compiles
    /// without numbering (expressions outside the variables).
    pub(crate) branches: Option<std::cell::RefCell<(String, Vec<String>)>>,
}

impl Compiler<'_> {
    pub(crate) fn lookup(&self, ent: Entity, name: &str) -> Option<Ref> {
        if let Some(i) = self.inputs[idx(ent)].iter().position(|(n, _)| n == name) {
            return Some(Ref::Input(i));
        }
        self.var_index[idx(ent)].get(name).map(|i| Ref::Var(*i))
    }

    pub(crate) fn compile(&self, e: &Expr, ent: Entity) -> Result<C, String> {
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

    pub(crate) fn call(&self, f: &str, args: &[Expr], ent: Entity) -> Result<C, String> {
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
                let id = self.number_branch(&args[0]);
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
                self.table(args, ent)?
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

    /// Numbers an `if` of the variable being compiled ("variable: if(condition)", the same
    /// condition twice told apart by "#2"); outside the variables, [`NO_BRANCH`].
    fn number_branch(&self, condition: &Expr) -> u32 {
        let Some(b) = &self.branches else {
            return NO_BRANCH;
        };
        let mut b = b.borrow_mut();
        let mut text = format!("{}: if({})", b.0, show(condition));
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

    /// `table(parameter, row, column)`: the parameter must be a table.
    fn table(&self, args: &[Expr], ent: Entity) -> Result<C, String> {
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
        Ok(C::Table(
            pi,
            Box::new(self.compile(&args[1], ent)?),
            Box::new(self.compile(&args[2], ent)?),
        ))
    }
}

/// Type inference with cycle detection over the compiled variables.
pub(crate) struct Typer<'a> {
    pub(crate) vars: &'a Vars,
    pub(crate) inputs: &'a [Vec<(String, Ty)>; 3],
    pub(crate) state: [Vec<Option<Option<Ty>>>; 3],
}

impl Typer<'_> {
    pub(crate) fn var(&mut self, ent: Entity, i: usize) -> Result<Ty, String> {
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

    pub(crate) fn reference(&mut self, ent: Entity, r: Ref) -> Result<Ty, String> {
        match r {
            Ref::Input(i) => Ok(self.inputs[idx(ent)][i].1),
            Ref::Var(i) => self.var(ent, i),
        }
    }

    pub(crate) fn ty(&mut self, c: &C, ent: Entity) -> Result<Ty, String> {
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

/// Per entity: variable name → slot, and each variable's entity; a name defined twice
/// (or shadowing an input) is an error.
pub(super) fn index_variables<'p>(
    pack: &'p Pack,
    inputs: &[Vec<(String, Ty)>; 3],
    errors: &mut Vec<PackError>,
) -> ([HashMap<String, usize>; 3], HashMap<&'p str, Entity>) {
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
    (var_index, var_entity)
}

impl Compiler<'_> {
    /// Every variable compiled in pack order (a variable that fails compiles to zero so the
    /// slots stay aligned), with its origin.
    pub(super) fn variables(
        &self,
        errors: &mut Vec<PackError>,
    ) -> (Vars, [Vec<crate::pack::Origin>; 3]) {
        let mut vars: Vars = Default::default();
        let mut origins: [Vec<crate::pack::Origin>; 3] = Default::default();
        for v in &self.pack.variables {
            if self.var_index[idx(v.entity)].get(&v.name) != Some(&vars[idx(v.entity)].len()) {
                continue;
            }
            if let Some(b) = &self.branches {
                b.borrow_mut().0 = v.name.clone();
            }
            let c = match self.compile(&v.formula, v.entity) {
                Ok(c) => c,
                Err(m) => {
                    errors.push(error(&v.origin, format!("{}: {m}", v.name)));
                    C::Const(Value::Num(Decimal::ZERO))
                }
            };
            vars[idx(v.entity)].push((v.name.clone(), c, Ty::Num));
            origins[idx(v.entity)].push(v.origin.clone());
        }
        (vars, origins)
    }
}

/// Infers every variable's type in place; a cycle or a type error is reported at the
/// variable's origin.
pub(super) fn type_variables(
    vars: &mut Vars,
    inputs: &[Vec<(String, Ty)>; 3],
    origins: &[Vec<crate::pack::Origin>; 3],
    errors: &mut Vec<PackError>,
) {
    let mut typer = Typer {
        vars,
        inputs,
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

/// Each program's eligibility and amount name a household variable of the right type;
/// each output is a household variable.
pub(super) fn check_programs_and_outputs(
    pack: &Pack,
    var_index: &[HashMap<String, usize>; 3],
    vars: &Vars,
    errors: &mut Vec<PackError>,
) {
    let typed = errors.is_empty();
    for p in &pack.programs {
        for (what, name, ty) in [
            ("eligible", &p.eligible, Ty::Bool),
            ("amount", &p.amount, Ty::Num),
        ] {
            match var_index[0].get(name) {
                Some(i) if typed && vars[0][*i].2 != ty => errors.push(error(
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
}

/// Parameters' dates increase; regional parameters are set together for every region,
/// and the pack names the household input that holds the region.
pub(super) fn check_parameters(
    pack: &Pack,
    region_input: Option<usize>,
    errors: &mut Vec<PackError>,
) {
    for p in &pack.parameters {
        let dates: Vec<NaiveDate> = match &p.values {
            ParamValues::Scalar(v) => v.iter().map(|x| x.0).collect(),
            ParamValues::Table(v) => v.iter().map(|x| x.0).collect(),
        };
        if dates.windows(2).any(|w| w[0] >= w[1]) {
            errors.push(error(&p.origin, format!("{}: dates must increase", p.name)));
        }
    }
    // Every region that has a value of one regional parameter needs all of them (a
    // county's standards are set together); a default value covers a region too.
    let regionals: Vec<&crate::pack::Parameter> =
        pack.parameters.iter().filter(|p| p.regional).collect();
    let mut regions: BTreeSet<&str> = BTreeSet::new();
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
    if region_input.is_none() {
        for p in &regionals {
            errors.push(error(
                &p.origin,
                format!(
                    "{} varies by region, but [pack] names no text household input as region_input",
                    p.name
                ),
            ));
        }
    }
}
