//! Explaining an evaluation: the conditions behind a decision and the trace of every value.

use crate::expr::Expr;
use serde::Serialize;

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
pub(crate) fn show(e: &Expr) -> String {
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

impl ProgramResult {
    /// Whether the result carries an amount to show: a program that pays nothing by itself
    /// (a status such as the near-dibao household, or a program paid case by case) says
    /// only that the household is eligible.
    pub fn pays(&self) -> bool {
        has_amount(&self.amount)
    }
}

/// Whether a decimal amount in yuan is other than zero.
pub fn has_amount(amount: &str) -> bool {
    amount
        .trim()
        .parse::<rust_decimal::Decimal>()
        .is_ok_and(|d| !d.is_zero())
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
mod amount_tests {
    #[test]
    fn only_an_amount_other_than_zero_is_shown() {
        for (a, shown) in [
            ("0", false),
            ("0.00", false),
            ("", false),
            ("81", true),
            ("0.01", true),
        ] {
            assert_eq!(super::has_amount(a), shown, "{a:?}");
        }
    }
}
