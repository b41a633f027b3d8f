//! Explaining an evaluation: the conditions behind a decision and the trace of every value.

use crate::expr::{BinOp, Expr};
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
    /// Whether the comparison holding counts for the household (false for an exclusion
    /// such as deposits over the limit, which counts against it).
    pub for_household: bool,
    /// Whether the comparison decides alone: a condition every part of which must hold
    /// (or must not). One inside an alternative (`not (a and b)`) is shown as holding or
    /// not, without a verdict.
    pub decisive: bool,
    /// The comparison said in words, names by their labels and values filled in:
    /// `存款 52000，超过 存款否决月数 × 低保月标准 × 家庭人数 48000`.
    pub said_zh: String,
    pub said_en: String,
}

impl Condition {
    /// Whether the household meets this condition as the decision needs it: held for a
    /// condition of eligibility, not held for an exclusion.
    pub fn met(&self) -> bool {
        self.held == self.for_household
    }
}

/// An operator as it is read, with its spaces: ` 超过 `, ` × `.
pub(crate) fn op_word(op: BinOp, zh: bool) -> &'static str {
    let pick = |a: &'static str, b: &'static str| if zh { a } else { b };
    match op {
        BinOp::Add => " + ",
        BinOp::Sub => " - ",
        BinOp::Mul => " × ",
        BinOp::Div => " ÷ ",
        BinOp::Lt => pick(" 低于 ", " below "),
        BinOp::Le => pick(" 不超过 ", " at most "),
        BinOp::Gt => pick(" 超过 ", " over "),
        BinOp::Ge => pick(" 不低于 ", " at least "),
        BinOp::Eq => pick(" 为 ", " is "),
        BinOp::Ne => pick(" 不为 ", " is not "),
        BinOp::And => pick(" 且 ", " and "),
        BinOp::Or => pick(" 或 ", " or "),
    }
}

/// A formula said for people: names by their labels (`label` gives a name's label in the
/// language), operators as words or signs of arithmetic, functions over members in words.
pub(crate) fn say(e: &Expr, label: &dyn Fn(&str) -> Option<String>, zh: bool) -> String {
    let pick = |a: &'static str, b: &'static str| if zh { a } else { b };
    let sub = |x: &Expr| match x {
        Expr::Bin(BinOp::Add | BinOp::Sub | BinOp::And | BinOp::Or, ..) => {
            format!("（{}）", say(x, label, zh))
        }
        _ => say(x, label, zh),
    };
    match e {
        Expr::Num(n) => n.normalize().to_string(),
        Expr::Text(t) => label(t).unwrap_or_else(|| t.clone()),
        Expr::Bool(b) => pick(if *b { "是" } else { "否" }, if *b { "yes" } else { "no" }).into(),
        Expr::Name(n) => label(n).unwrap_or_else(|| n.clone()),
        Expr::Neg(a) => format!("-{}", sub(a)),
        Expr::Not(a) => format!("{}{}", pick("非", "not "), sub(a)),
        Expr::Bin(op, a, b) => {
            let word = op_word(*op, zh);
            format!("{}{word}{}", sub(a), sub(b))
        }
        Expr::Call(f, args) => {
            let arg = |i: usize| args.get(i).map(|a| say(a, label, zh)).unwrap_or_default();
            let whose = |i: usize| match args.get(i) {
                Some(Expr::Name(c)) if c == "supporters" => pick("赡养人", "supporters'"),
                _ => pick("成员", "members'"),
            };
            match (f.as_str(), args.len()) {
                ("sum", 2) if zh => format!("各{}{}之和", whose(0), arg(1)),
                ("sum", 2) => format!("the sum of {} {}", whose(0), arg(1)),
                ("count", 1) => pick("人数", "number of members").into(),
                ("any", 2) => format!("{}{}", pick("有成员", "a member is "), arg(1)),
                ("all", 2) => format!("{}{}", pick("全部成员", "every member is "), arg(1)),
                ("max", 2) | ("min", 2) => format!(
                    "{}{}{}{}",
                    arg(0),
                    pick("与", " or "),
                    arg(1),
                    if f == "max" {
                        pick("中较大者", ", the larger")
                    } else {
                        pick("中较小者", ", the smaller")
                    }
                ),
                ("round", _) => arg(0),
                _ => show(e),
            }
        }
    }
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
    /// The pack's labels of the name (empty where it gives none).
    pub label_zh: String,
    pub label_en: String,
    pub value: serde_json::Value,
    pub formula: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceParameter {
    pub name: String,
    pub label_zh: String,
    pub label_en: String,
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
