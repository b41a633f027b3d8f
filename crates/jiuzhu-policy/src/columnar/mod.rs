//! Column-at-a-time evaluation of a whole population: each variable is computed once over
//! every household, person or supporter, as a column. Same formulas and the same exact
//! decimals as the one-household evaluator ([`crate::engine::Evaluation`]), which remains
//! the one that explains; a test checks the two agree.
//!
//! Errors are kept per row (division by zero, a table without the entry) and only count
//! where the value is used, so an error in the branch of an `if` that a row does not take
//! is no error, as in the one-household evaluator.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::engine::Value;
use crate::pack::Entity;

mod eval;
mod operand;

pub use eval::{PopulationEvaluation, RowError};
use operand::*;

/// One column of values.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    Num(Vec<Decimal>),
    Bool(Vec<bool>),
    Text(Texts),
    Date(Vec<NaiveDate>),
}

/// A text column as codes into a dictionary of its values: a row is a four-byte code, so
/// copying rows touches no reference count (shared counts made every thread wait on the
/// others), and a comparison is made once per distinct value. A value may appear twice in
/// the dictionary; equality is by content.
#[derive(Clone, Debug, Default)]
pub struct Texts {
    pub dict: Vec<Arc<str>>,
    pub codes: Vec<u32>,
}

impl Texts {
    /// Interns `values` (equal texts share one code).
    pub fn from_values(values: impl IntoIterator<Item = Arc<str>>) -> Texts {
        let mut t = Texts::default();
        let mut seen: HashMap<Arc<str>, u32> = HashMap::new();
        for v in values {
            let code = *seen.entry(v.clone()).or_insert_with(|| {
                t.dict.push(v);
                t.dict.len() as u32 - 1
            });
            t.codes.push(code);
        }
        t
    }

    /// The text of row `i`.
    pub fn get(&self, i: usize) -> &Arc<str> {
        &self.dict[self.codes[i] as usize]
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

impl PartialEq for Texts {
    fn eq(&self, other: &Texts) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Text(t) => t.len(),
            Column::Date(v) => v.len(),
        }
    }

    /// Appends one row as [`Value::format`] writes it.
    pub fn write_to(&self, i: usize, decimals: u32, out: &mut Vec<u8>) {
        match self {
            Column::Num(v) => crate::engine::write_decimal(v[i], decimals, out),
            Column::Bool(v) => out.push(if v[i] { b'1' } else { b'0' }),
            other => other.get(i).write_to(decimals, out),
        }
    }

    /// The value of one row.
    pub fn get(&self, i: usize) -> Value {
        match self {
            Column::Num(v) => Value::Num(v[i]),
            Column::Bool(v) => Value::Bool(v[i]),
            Column::Text(t) => Value::Text(t.get(i).clone()),
            Column::Date(v) => Value::Date(v[i]),
        }
    }

    fn broadcast(v: &Value, n: usize) -> Column {
        match v {
            Value::Num(x) => Column::Num(vec![*x; n]),
            Value::Bool(x) => Column::Bool(vec![*x; n]),
            Value::Text(x) => Column::Text(Texts {
                dict: vec![x.clone()],
                codes: vec![0; n],
            }),
            Value::Date(x) => Column::Date(vec![*x; n]),
        }
    }

    fn gather(&self, rows: &[u32]) -> Column {
        match self {
            Column::Num(v) => Column::Num(rows.iter().map(|r| v[*r as usize]).collect()),
            Column::Bool(v) => Column::Bool(rows.iter().map(|r| v[*r as usize]).collect()),
            Column::Text(t) => Column::Text(Texts {
                dict: t.dict.clone(),
                codes: rows.iter().map(|r| t.codes[*r as usize]).collect(),
            }),
            Column::Date(v) => Column::Date(rows.iter().map(|r| v[*r as usize]).collect()),
        }
    }
}

/// A cell as a cache key within one column: equal keys hold equal values (text by its
/// code, a number by its exact representation), so a memo keyed by it never mixes values up;
/// equal values may have different keys, which only costs a second lookup.
fn cell_key(c: &Column, i: usize) -> u128 {
    match c {
        Column::Num(v) => u128::from_le_bytes(v[i].serialize()),
        Column::Bool(v) => v[i] as u128,
        Column::Text(t) => t.codes[i] as u128,
        Column::Date(v) => chrono::Datelike::num_days_from_ce(&v[i]) as u32 as u128,
    }
}

type KeyMap<V> = crate::hash::FastMap<(u128, u128), V>;

/// A population's inputs by entity, in the order of `Engine::inputs`, and the household
/// row of each person and supporter.
#[derive(Clone, Debug, Default)]
pub struct Population {
    pub households: usize,
    pub inputs: [Vec<Arc<Column>>; 3],
    pub person_household: Vec<u32>,
    pub supporter_household: Vec<u32>,
}

/// A slice of a population by contiguous household rows, with the rows of their persons
/// and supporters, to be evaluated on its own (see [`Population::plan`]).
#[derive(Clone, Debug)]
pub struct Part {
    /// First household row, and one past the last.
    pub lo: usize,
    pub hi: usize,
    persons: Vec<u32>,
    supporters: Vec<u32>,
}

impl Population {
    /// Cuts the population into parts of `per` households (the last may be smaller), in one
    /// pass over the persons and supporters.
    pub fn plan(&self, per: usize) -> Vec<Part> {
        let per = per.max(1);
        let n = self.households.div_ceil(per).max(1);
        let bucket = |parents: &[u32]| -> Vec<Vec<u32>> {
            let mut out = vec![Vec::new(); n];
            for (i, p) in parents.iter().enumerate() {
                out[(*p as usize / per).min(n - 1)].push(i as u32);
            }
            out
        };
        let persons = bucket(&self.person_household);
        let supporters = bucket(&self.supporter_household);
        persons
            .into_iter()
            .zip(supporters)
            .enumerate()
            .map(|(k, (persons, supporters))| Part {
                lo: k * per,
                hi: ((k + 1) * per).min(self.households),
                persons,
                supporters,
            })
            .collect()
    }

    /// The part's rows as a population of their own, renumbered from 0.
    pub fn part(&self, p: &Part) -> Population {
        let hrows: Vec<u32> = (p.lo as u32..p.hi as u32).collect();
        let lo = p.lo as u32;
        Population {
            households: p.hi - p.lo,
            inputs: [
                self.inputs[0]
                    .iter()
                    .map(|c| Arc::new(c.gather(&hrows)))
                    .collect(),
                self.inputs[1]
                    .iter()
                    .map(|c| Arc::new(c.gather(&p.persons)))
                    .collect(),
                self.inputs[2]
                    .iter()
                    .map(|c| Arc::new(c.gather(&p.supporters)))
                    .collect(),
            ],
            person_household: p
                .persons
                .iter()
                .map(|i| self.person_household[*i as usize] - lo)
                .collect(),
            supporter_household: p
                .supporters
                .iter()
                .map(|i| self.supporter_household[*i as usize] - lo)
                .collect(),
        }
    }

    fn rows(&self, e: Entity) -> usize {
        match e {
            Entity::Household => self.households,
            Entity::Person => self.person_household.len(),
            Entity::Supporter => self.supporter_household.len(),
        }
    }
    fn parents(&self, e: Entity) -> &[u32] {
        match e {
            Entity::Person => &self.person_household,
            _ => &self.supporter_household,
        }
    }
}
