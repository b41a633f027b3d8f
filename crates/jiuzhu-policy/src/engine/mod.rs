//! Compiling a pack (names resolved, types and cycles checked) and evaluating households
//! exactly, with the values and parameters used kept for the explanation.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::expr::{BinOp, Expr};
use crate::pack::{Entity, InputType, Pack, PackError, ParamValues};

mod compile;
mod eval;
mod explain;

use compile::Compiler;
pub use eval::{Dated, Evaluation, Household};
pub(crate) use eval::{ParamAt, key, regional};
pub use explain::{Condition, ProgramResult, Trace, TraceParameter, TraceValue, has_amount};

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

/// Per entity (household, person, supporter): each variable's name, compiled formula and type.
pub(crate) type Vars = [Vec<(String, C, Ty)>; 3];

/// A compiled pack.
pub struct Engine {
    pub pack: Pack,
    /// Per entity (household, person, supporter): input names in the order callers supply them.
    pub(crate) inputs: [Vec<(String, Ty)>; 3],
    pub(crate) vars: Vars,
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

impl Engine {
    /// Compiles `pack`: every name resolved, every formula typed, no cycles.
    pub fn new(pack: Pack) -> Result<Engine, Vec<PackError>> {
        let mut errors = Vec::new();
        let mut inputs: [Vec<(String, Ty)>; 3] = Default::default();
        for i in &pack.inputs {
            inputs[idx(i.entity)].push((i.name.clone(), Ty::of(i.ty)));
        }
        let (var_index, var_entity) = compile::index_variables(&pack, &inputs, &mut errors);
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
        let (mut vars, origins) = compiler.variables(&mut errors);
        if errors.is_empty() {
            compile::type_variables(&mut vars, &inputs, &origins, &mut errors);
        }
        compile::check_programs_and_outputs(&pack, &var_index, &vars, &mut errors);
        let region_input = pack
            .region_input
            .as_ref()
            .and_then(|n| inputs[0].iter().position(|(i, t)| i == n && *t == Ty::Text));
        compile::check_parameters(&pack, region_input, &mut errors);
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

    /// The label the pack gives a variable, input or parameter (or a text value such as a
    /// status), in Chinese when `zh`; `None` where it gives none.
    pub fn label_of(&self, name: &str, zh: bool) -> Option<String> {
        let pack = &self.pack;
        let label = pack
            .variables
            .iter()
            .find(|v| v.name == name)
            .map(|v| &v.label)
            .or_else(|| {
                pack.inputs
                    .iter()
                    .find(|i| i.name == name)
                    .map(|i| &i.label)
            })
            .or_else(|| {
                pack.parameters
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| &p.label)
            })?;
        let text = if zh { &label.zh } else { &label.en };
        (!text.is_empty()).then(|| text.clone())
    }
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
