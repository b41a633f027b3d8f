//! Operands of the column evaluator: a column or a constant, with per-row errors.

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::engine::Value;

use super::*;

/// Per-row error codes (0: none; otherwise 1 + index into the evaluation's messages).
pub(crate) type Errs = Option<Arc<Vec<u32>>>;

#[derive(Clone)]
pub(crate) struct Ev {
    pub(crate) col: Arc<Column>,
    pub(crate) err: Errs,
}

pub(crate) fn nums(c: &Column) -> &[Decimal] {
    match c {
        Column::Num(v) => v,
        _ => &[],
    }
}

pub(crate) fn bools(c: &Column) -> &[bool] {
    match c {
        Column::Bool(v) => v,
        _ => &[],
    }
}

/// `a and b`, `a or b`, row by row; the right side's error counts only where the left side
/// does not decide.
pub(crate) fn logical(and: bool, a: &Opd, b: &Opd, n: usize) -> Ev {
    let col: Vec<bool> = (0..n)
        .map(|i| {
            if and {
                a.flag(i) && b.flag(i)
            } else {
                a.flag(i) || b.flag(i)
            }
        })
        .collect();
    // The right side's error counts only where the left does not decide.
    let err = match (a.errs(), b.errs()) {
        (_, None) => a.errs().clone(),
        (ea, Some(eb)) => Some(Arc::new(
            (0..n)
                .map(|i| {
                    let ea = ea.as_ref().map(|e| e[i]).unwrap_or(0);
                    if ea != 0 {
                        ea
                    } else if a.flag(i) != and {
                        0
                    } else {
                        eb[i]
                    }
                })
                .collect(),
        )),
    };
    Ev {
        col: Arc::new(Column::Bool(col)),
        err,
    }
}

pub(crate) fn merge(a: &Errs, b: &Errs) -> Errs {
    match (a, b) {
        (None, None) => None,
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (Some(x), Some(y)) => Some(Arc::new(
            x.iter()
                .zip(y.iter())
                .map(|(p, q)| if *p != 0 { *p } else { *q })
                .collect(),
        )),
    }
}

/// An operand: one value for every row (a constant or parameter, never copied per row),
/// or a column.
pub(crate) enum Opd {
    Scalar(Value),
    Col(Ev),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Num,
    Bool,
    Text,
    Date,
}

pub(crate) const NO_ERRS: Errs = None;

impl Opd {
    pub(crate) fn errs(&self) -> &Errs {
        match self {
            Opd::Scalar(_) => &NO_ERRS,
            Opd::Col(e) => &e.err,
        }
    }
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Opd::Scalar(Value::Num(_)) => Kind::Num,
            Opd::Scalar(Value::Bool(_)) => Kind::Bool,
            Opd::Scalar(Value::Text(_)) => Kind::Text,
            Opd::Scalar(Value::Date(_)) => Kind::Date,
            Opd::Col(e) => match &*e.col {
                Column::Num(_) => Kind::Num,
                Column::Bool(_) => Kind::Bool,
                Column::Text(_) => Kind::Text,
                Column::Date(_) => Kind::Date,
            },
        }
    }
    pub(crate) fn num(&self, i: usize) -> Decimal {
        match self {
            Opd::Scalar(Value::Num(x)) => *x,
            Opd::Col(e) => match &*e.col {
                Column::Num(v) => v[i],
                _ => Decimal::ZERO,
            },
            _ => Decimal::ZERO,
        }
    }
    pub(crate) fn flag(&self, i: usize) -> bool {
        match self {
            Opd::Scalar(Value::Bool(x)) => *x,
            Opd::Col(e) => matches!(&*e.col, Column::Bool(v) if v[i]),
            _ => false,
        }
    }
    pub(crate) fn text(&self, i: usize) -> &str {
        match self {
            Opd::Scalar(Value::Text(x)) => x,
            Opd::Col(e) => match &*e.col {
                Column::Text(t) => t.get(i),
                _ => "",
            },
            _ => "",
        }
    }
    /// A text operand as a dictionary and codes (a constant: one entry, no codes).
    pub(crate) fn texts(&self) -> (&[Arc<str>], Option<&[u32]>) {
        match self {
            Opd::Scalar(Value::Text(x)) => (std::slice::from_ref(x), None),
            Opd::Col(e) => match &*e.col {
                Column::Text(t) => (&t.dict, Some(&t.codes)),
                _ => (&[], None),
            },
            _ => (&[], None),
        }
    }
    pub(crate) fn date(&self, i: usize) -> NaiveDate {
        match self {
            Opd::Scalar(Value::Date(x)) => *x,
            Opd::Col(e) => match &*e.col {
                Column::Date(v) => v[i],
                _ => NaiveDate::default(),
            },
            _ => NaiveDate::default(),
        }
    }
    /// Whether row `i` of both operands holds the same value.
    pub(crate) fn same(&self, other: &Opd, i: usize) -> bool {
        match (self.kind(), other.kind()) {
            (Kind::Num, Kind::Num) => self.num(i) == other.num(i),
            (Kind::Bool, Kind::Bool) => self.flag(i) == other.flag(i),
            (Kind::Text, Kind::Text) => self.text(i) == other.text(i),
            (Kind::Date, Kind::Date) => self.date(i) == other.date(i),
            _ => false,
        }
    }
}

/// Compares two decimals; of the same scale (the usual case: amounts in fen), by their
/// mantissas, without the general path's rescaling.
#[inline]
pub(crate) fn dcmp(a: Decimal, b: Decimal) -> std::cmp::Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(&b)
    }
}

/// The numbers of an operand, looked up once rather than per row.
#[derive(Clone, Copy)]
pub(crate) enum Nv<'a> {
    Scalar(Decimal),
    Col(&'a [Decimal]),
}

impl Nv<'_> {
    #[inline]
    pub(crate) fn at(self, i: usize) -> Decimal {
        match self {
            Nv::Scalar(x) => x,
            Nv::Col(v) => v[i],
        }
    }
}

impl Opd {
    pub(crate) fn nv(&self) -> Nv<'_> {
        match self {
            Opd::Scalar(Value::Num(x)) => Nv::Scalar(*x),
            Opd::Col(e) => match &*e.col {
                Column::Num(v) => Nv::Col(v),
                _ => Nv::Scalar(Decimal::ZERO),
            },
            _ => Nv::Scalar(Decimal::ZERO),
        }
    }
}
