//! Formulas: the small expression language administrators write in a pack.
//!
//! ```text
//! expr   := or
//! or     := and ("or" and)*          and := not ("and" not)*      not := "not" not | cmp
//! cmp    := sum (("<"|"<="|">"|">="|"=="|"!=") sum)?
//! sum    := prod (("+"|"-") prod)*   prod := unary (("*"|"/") unary)*
//! unary  := "-" unary | atom
//! atom   := number | "text" | true | false | name | name "(" args ")" | "(" expr ")"
//! ```
//! Names may contain dots (`veto.vehicle_limit`, `household.hukou`). Numbers are exact
//! decimals; there is no floating point anywhere in the engine.

use rust_decimal::Decimal;

/// A parsed formula.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Num(Decimal),
    Text(String),
    Bool(bool),
    Name(String),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(Decimal),
    Text(String),
    Ident(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

/// A syntax error with the character position in the formula.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at character {pos}: {msg}")]
pub struct SyntaxError {
    pub pos: usize,
    pub msg: String,
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, SyntaxError> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |pos: usize, msg: String| SyntaxError { pos: pos + 1, msg };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let n = text
                .parse::<Decimal>()
                .map_err(|_| err(start, format!("bad number {text:?}")))?;
            out.push((start, Tok::Num(n)));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            out.push((start, Tok::Ident(chars[start..i].iter().collect())));
            continue;
        }
        if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += 1;
            }
            if i == chars.len() {
                return Err(err(start, "unterminated text".into()));
            }
            out.push((start, Tok::Text(chars[start + 1..i].iter().collect())));
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op = match two.as_str() {
            "<=" | ">=" | "==" | "!=" => Some(two),
            _ => None,
        };
        if let Some(op) = op {
            out.push((start, Tok::Op(static_op(&op))));
            i += 2;
            continue;
        }
        let tok = match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '+' | '-' | '*' | '/' | '<' | '>' => Tok::Op(static_op(&c.to_string())),
            _ => return Err(err(start, format!("unexpected character {c:?}"))),
        };
        out.push((start, tok));
        i += 1;
    }
    Ok(out)
}

fn static_op(s: &str) -> &'static str {
    ["<=", ">=", "==", "!=", "+", "-", "*", "/", "<", ">"]
        .into_iter()
        .find(|o| *o == s)
        .expect("known operator")
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    at: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(_, t)| t)
    }
    fn pos(&self) -> usize {
        self.toks
            .get(self.at)
            .map(|(p, _)| p + 1)
            .unwrap_or(self.len + 1)
    }
    fn err<T>(&self, msg: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            pos: self.pos(),
            msg: msg.into(),
        })
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).map(|(_, t)| t.clone());
        self.at += 1;
        t
    }
    fn keyword(&self, k: &str) -> bool {
        matches!(self.peek(), Some(Tok::Ident(s)) if s == k)
    }
    fn or(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            e = Expr::Bin(BinOp::Or, Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }
    fn and(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.not()?;
        while self.keyword("and") {
            self.at += 1;
            e = Expr::Bin(BinOp::And, Box::new(e), Box::new(self.not()?));
        }
        Ok(e)
    }
    fn not(&mut self) -> Result<Expr, SyntaxError> {
        if self.keyword("not") {
            self.at += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.cmp()
    }
    fn cmp(&mut self) -> Result<Expr, SyntaxError> {
        let left = self.sum()?;
        let op = match self.peek() {
            Some(Tok::Op("<")) => BinOp::Lt,
            Some(Tok::Op("<=")) => BinOp::Le,
            Some(Tok::Op(">")) => BinOp::Gt,
            Some(Tok::Op(">=")) => BinOp::Ge,
            Some(Tok::Op("==")) => BinOp::Eq,
            Some(Tok::Op("!=")) => BinOp::Ne,
            _ => return Ok(left),
        };
        self.at += 1;
        Ok(Expr::Bin(op, Box::new(left), Box::new(self.sum()?)))
    }
    fn sum(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.prod()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("+")) => BinOp::Add,
                Some(Tok::Op("-")) => BinOp::Sub,
                _ => return Ok(e),
            };
            self.at += 1;
            e = Expr::Bin(op, Box::new(e), Box::new(self.prod()?));
        }
    }
    fn prod(&mut self) -> Result<Expr, SyntaxError> {
        let mut e = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op("*")) => BinOp::Mul,
                Some(Tok::Op("/")) => BinOp::Div,
                _ => return Ok(e),
            };
            self.at += 1;
            e = Expr::Bin(op, Box::new(e), Box::new(self.unary()?));
        }
    }
    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if matches!(self.peek(), Some(Tok::Op("-"))) {
            self.at += 1;
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<Expr, SyntaxError> {
        match self.next() {
            Some(Tok::Num(n)) => Ok(Expr::Num(n)),
            Some(Tok::Text(s)) => Ok(Expr::Text(s)),
            Some(Tok::LParen) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    _ => {
                        self.at -= 1;
                        self.err("expected ')'")
                    }
                }
            }
            Some(Tok::Ident(name)) => match name.as_str() {
                "true" => Ok(Expr::Bool(true)),
                "false" => Ok(Expr::Bool(false)),
                "and" | "or" | "not" => {
                    self.at -= 1;
                    self.err(format!("unexpected '{name}'"))
                }
                _ if matches!(self.peek(), Some(Tok::LParen)) => {
                    self.at += 1;
                    let mut args = Vec::new();
                    if matches!(self.peek(), Some(Tok::RParen)) {
                        self.at += 1;
                        return Ok(Expr::Call(name, args));
                    }
                    loop {
                        args.push(self.or()?);
                        match self.next() {
                            Some(Tok::Comma) => continue,
                            Some(Tok::RParen) => return Ok(Expr::Call(name, args)),
                            _ => {
                                self.at -= 1;
                                return self.err("expected ',' or ')'");
                            }
                        }
                    }
                }
                _ => Ok(Expr::Name(name)),
            },
            Some(_) => {
                self.at -= 1;
                self.err("expected a value")
            }
            None => self.err("unexpected end of formula"),
        }
    }
}

/// Parses a formula.
pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        at: 0,
        len: src.chars().count(),
    };
    let e = p.or()?;
    if p.at < p.toks.len() {
        return p.err("unexpected text after the formula");
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Expr {
        Expr::Num(s.parse().unwrap())
    }

    #[test]
    fn precedence_and_calls() {
        let e = parse("a + b * 2 < max(c, 1.5) and not d").unwrap();
        let expected = Expr::Bin(
            BinOp::And,
            Box::new(Expr::Bin(
                BinOp::Lt,
                Box::new(Expr::Bin(
                    BinOp::Add,
                    Box::new(Expr::Name("a".into())),
                    Box::new(Expr::Bin(
                        BinOp::Mul,
                        Box::new(Expr::Name("b".into())),
                        Box::new(n("2")),
                    )),
                )),
                Box::new(Expr::Call(
                    "max".into(),
                    vec![Expr::Name("c".into()), n("1.5")],
                )),
            )),
            Box::new(Expr::Not(Box::new(Expr::Name("d".into())))),
        );
        assert_eq!(e, expected);
        assert_eq!(
            parse("household.hukou == \"rural\"").unwrap(),
            Expr::Bin(
                BinOp::Eq,
                Box::new(Expr::Name("household.hukou".into())),
                Box::new(Expr::Text("rural".into()))
            )
        );
        assert_eq!(
            parse("-(a - b)").unwrap(),
            Expr::Neg(Box::new(Expr::Bin(
                BinOp::Sub,
                Box::new(Expr::Name("a".into())),
                Box::new(Expr::Name("b".into()))
            )))
        );
    }

    #[test]
    fn errors_say_where() {
        assert_eq!(parse("a + ").unwrap_err().pos, 5);
        assert_eq!(parse("max(a b)").unwrap_err().msg, "expected ',' or ')'");
        assert_eq!(parse("a $ b").unwrap_err().pos, 3);
        assert!(parse("(a").is_err());
        assert!(parse("1.2.3").is_err());
        assert!(parse("\"open").is_err());
    }
}
