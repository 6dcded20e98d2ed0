//! The part of OData that Graph accepts on the endpoints Ward uses: a `$filter` parser and
//! evaluator over JSON, `$orderby`, `$select`. Parsing is bounded (input length and nesting).

use std::cmp::Ordering;

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// A bare token such as a datetime `2024-01-01T00:00:00Z` or a GUID.
    Bare(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(String, Op, Lit),
    /// `contains|startswith|endswith(path, 'lit')`
    Func(String, String, Lit),
    /// `path/any(v: expr)`; inside `expr` paths are relative to the element (`v` = element).
    Any(String, String, Box<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Comma,
    Colon,
    Str(String),
    Word(String),
}

const MAX_LEN: usize = 4096;
const MAX_DEPTH: usize = 32;

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    if s.len() > MAX_LEN {
        return Err("filter too long".into());
    }
    let mut out = Vec::new();
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '\'' => {
                let mut v = String::new();
                i += 1;
                loop {
                    if i >= cs.len() {
                        return Err("unterminated string literal".into());
                    }
                    if cs[i] == '\'' {
                        if i + 1 < cs.len() && cs[i + 1] == '\'' {
                            v.push('\'');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    v.push(cs[i]);
                    i += 1;
                }
                out.push(Tok::Str(v));
            }
            _ => {
                let start = i;
                while i < cs.len()
                    && !matches!(cs[i], ' ' | '\t' | '\n' | '\r' | '(' | ')' | ',' | '\'')
                {
                    i += 1;
                }
                let w: String = cs[start..i].iter().collect();
                if let Some(stripped) = w.strip_suffix(':') {
                    out.push(Tok::Word(stripped.to_string()));
                    out.push(Tok::Colon);
                } else {
                    out.push(Tok::Word(w));
                }
            }
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

pub fn parse_filter(s: &str) -> Result<Expr, String> {
    let toks = tokenize(s)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let e = p.or()?;
    if p.pos != p.toks.len() {
        return Err(format!("unexpected token at {}", p.pos));
    }
    Ok(e)
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(x)) if x.eq_ignore_ascii_case(w))
    }
    fn expect(&mut self, t: Tok) -> Result<(), String> {
        match self.next() {
            Some(x) if x == t => Ok(()),
            other => Err(format!("expected {t:?}, got {other:?}")),
        }
    }
    fn or(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("filter nested too deeply".into());
        }
        let mut l = self.and()?;
        while self.is_word("or") {
            self.pos += 1;
            let r = self.and()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        self.depth -= 1;
        Ok(l)
    }
    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.unary()?;
        while self.is_word("and") {
            self.pos += 1;
            let r = self.unary()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }
    fn unary(&mut self) -> Result<Expr, String> {
        if self.is_word("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if matches!(self.peek(), Some(Tok::LParen)) {
            self.pos += 1;
            let e = self.or()?;
            self.expect(Tok::RParen)?;
            return Ok(e);
        }
        let Some(Tok::Word(w)) = self.next() else {
            return Err("expected a property or function".into());
        };
        let lw = w.to_ascii_lowercase();
        if matches!(self.peek(), Some(Tok::LParen)) {
            // function call or lambda
            if let Some(path) = lw
                .strip_suffix("/any")
                .map(|_| w[..w.len() - 4].to_string())
            {
                self.pos += 1;
                let Some(Tok::Word(var)) = self.next() else {
                    return Err("expected lambda variable".into());
                };
                self.expect(Tok::Colon)?;
                let body = self.or()?;
                self.expect(Tok::RParen)?;
                return Ok(Expr::Any(path, var, Box::new(body)));
            }
            if matches!(lw.as_str(), "contains" | "startswith" | "endswith") {
                self.pos += 1;
                let Some(Tok::Word(path)) = self.next() else {
                    return Err("expected property".into());
                };
                self.expect(Tok::Comma)?;
                let lit = self.literal()?;
                self.expect(Tok::RParen)?;
                return Ok(Expr::Func(lw, path, lit));
            }
            return Err(format!("unsupported function {w}"));
        }
        let op = match self.next() {
            Some(Tok::Word(o)) => match o.to_ascii_lowercase().as_str() {
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "gt" => Op::Gt,
                "ge" => Op::Ge,
                "lt" => Op::Lt,
                "le" => Op::Le,
                _ => return Err(format!("unsupported operator {o}")),
            },
            other => return Err(format!("expected operator, got {other:?}")),
        };
        let lit = self.literal()?;
        Ok(Expr::Cmp(w, op, lit))
    }
    fn literal(&mut self) -> Result<Lit, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Lit::Str(s)),
            Some(Tok::Word(w)) => Ok(match w.as_str() {
                "true" => Lit::Bool(true),
                "false" => Lit::Bool(false),
                "null" => Lit::Null,
                _ => match w.parse::<f64>() {
                    Ok(n) if !w.contains('-') || w.starts_with('-') => Lit::Num(n),
                    _ => Lit::Bare(w),
                },
            }),
            other => Err(format!("expected literal, got {other:?}")),
        }
    }
}

/// Property paths referenced by the filter, in order of first appearance (for `InefficientFilter`).
pub fn referenced_props(e: &Expr) -> Vec<String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::And(a, b) | Expr::Or(a, b) => {
                walk(a, out);
                walk(b, out)
            }
            Expr::Not(a) => walk(a, out),
            Expr::Cmp(p, _, _) | Expr::Func(_, p, _) | Expr::Any(p, _, _) => {
                if !out.iter().any(|x| x.eq_ignore_ascii_case(p)) {
                    out.push(p.clone())
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out);
    out
}

/// `prop eq 'value'` conjuncts at the top level of the filter (for cheap pre-filtering).
pub fn top_level_equalities(e: &Expr) -> Vec<(String, String)> {
    match e {
        Expr::And(a, b) => {
            let mut v = top_level_equalities(a);
            v.extend(top_level_equalities(b));
            v
        }
        Expr::Cmp(p, Op::Eq, Lit::Str(s)) => vec![(p.clone(), s.clone())],
        _ => vec![],
    }
}

/// Every comparison `(path, op)` in the filter (top level and inside lambdas).
pub fn comparisons(e: &Expr) -> Vec<(String, Op)> {
    fn walk(e: &Expr, out: &mut Vec<(String, Op)>) {
        match e {
            Expr::And(a, b) | Expr::Or(a, b) => {
                walk(a, out);
                walk(b, out)
            }
            Expr::Not(a) | Expr::Any(_, _, a) => walk(a, out),
            Expr::Cmp(p, o, _) => out.push((p.clone(), *o)),
            Expr::Func(..) => {}
        }
    }
    let mut out = Vec::new();
    walk(e, &mut out);
    out
}

/// Resolve `a/b/c` inside a JSON object (case-insensitive keys, as Graph's property names are).
pub fn resolve<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path.split('/') {
        if seg.is_empty() {
            continue;
        }
        let o = cur.as_object()?;
        cur = o.get(seg).or_else(|| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(seg))
                .map(|(_, v)| v)
        })?;
    }
    Some(cur)
}

fn lit_text(l: &Lit) -> Option<String> {
    match l {
        Lit::Str(s) | Lit::Bare(s) => Some(s.clone()),
        Lit::Num(n) => Some(n.to_string()),
        Lit::Bool(b) => Some(b.to_string()),
        Lit::Null => None,
    }
}

/// Compare a JSON value with a literal; `None` when incomparable.
fn compare(v: &Value, l: &Lit) -> Option<Ordering> {
    match (v, l) {
        (Value::Null, Lit::Null) => Some(Ordering::Equal),
        (Value::Null, _) | (_, Lit::Null) => None,
        (Value::Bool(a), Lit::Bool(b)) => Some(a.cmp(b)),
        (Value::Number(a), Lit::Num(b)) => a.as_f64().and_then(|a| a.partial_cmp(b)),
        (Value::Number(a), Lit::Str(b)) => a
            .as_f64()
            .and_then(|a| b.parse::<f64>().ok().and_then(|b| a.partial_cmp(&b))),
        (Value::String(a), l) => {
            let b = lit_text(l)?;
            if let (Some(ta), Some(tb)) = (crate::util::parse_time(a), crate::util::parse_time(&b))
                && (matches!(l, Lit::Bare(_)) || a.len() >= 16)
            {
                return Some(ta.cmp(&tb));
            }
            Some(a.to_lowercase().cmp(&b.to_lowercase()))
        }
        _ => None,
    }
}

pub fn eval(e: &Expr, item: &Value) -> bool {
    match e {
        Expr::And(a, b) => eval(a, item) && eval(b, item),
        Expr::Or(a, b) => eval(a, item) || eval(b, item),
        Expr::Not(a) => !eval(a, item),
        Expr::Cmp(path, op, lit) => {
            let v = resolve(item, path).unwrap_or(&Value::Null);
            // A collection compared with eq matches when any member does (lenient, as Graph's
            // `categories eq 'x'`-style shortcuts are not supported anyway).
            let ord = compare(v, lit);
            match op {
                Op::Eq => ord == Some(Ordering::Equal),
                Op::Ne => ord != Some(Ordering::Equal),
                Op::Gt => ord == Some(Ordering::Greater),
                Op::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
                Op::Lt => ord == Some(Ordering::Less),
                Op::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
            }
        }
        Expr::Func(f, path, lit) => {
            let Some(s) = resolve(item, path).and_then(Value::as_str) else {
                return false;
            };
            let Some(n) = lit_text(lit) else { return false };
            let (s, n) = (s.to_lowercase(), n.to_lowercase());
            match f.as_str() {
                "contains" => s.contains(&n),
                "startswith" => s.starts_with(&n),
                "endswith" => s.ends_with(&n),
                _ => false,
            }
        }
        Expr::Any(path, var, body) => {
            let Some(arr) = resolve(item, path).and_then(Value::as_array) else {
                return false;
            };
            arr.iter().any(|el| eval_lambda(body, var, el))
        }
    }
}

/// Evaluate a lambda body where `var` names the element and `var/x` its property.
fn eval_lambda(e: &Expr, var: &str, el: &Value) -> bool {
    let strip = |p: &str| -> String {
        if p == var {
            String::new()
        } else {
            p.strip_prefix(&format!("{var}/")).unwrap_or(p).to_string()
        }
    };
    match e {
        Expr::And(a, b) => eval_lambda(a, var, el) && eval_lambda(b, var, el),
        Expr::Or(a, b) => eval_lambda(a, var, el) || eval_lambda(b, var, el),
        Expr::Not(a) => !eval_lambda(a, var, el),
        Expr::Cmp(p, o, l) => eval(&Expr::Cmp(strip(p), *o, l.clone()), el),
        Expr::Func(f, p, l) => eval(&Expr::Func(f.clone(), strip(p), l.clone()), el),
        Expr::Any(p, v, b) => eval(&Expr::Any(strip(p), v.clone(), b.clone()), el),
    }
}

/// `$orderby=a desc,b` → `[(a, true), (b, false)]`.
pub fn parse_orderby(s: &str) -> Vec<(String, bool)> {
    s.split(',')
        .filter_map(|part| {
            let mut it = part.split_whitespace();
            let p = it.next()?.to_string();
            let desc = it.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"));
            Some((p, desc))
        })
        .collect()
}

pub fn cmp_values(a: Option<&Value>, b: Option<&Value>) -> Ordering {
    match (a, b) {
        (Some(Value::Number(x)), Some(Value::Number(y))) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(Ordering::Equal),
        (Some(Value::String(x)), Some(Value::String(y))) => x.to_lowercase().cmp(&y.to_lowercase()),
        (Some(Value::Bool(x)), Some(Value::Bool(y))) => x.cmp(y),
        (None | Some(Value::Null), None | Some(Value::Null)) => Ordering::Equal,
        (None | Some(Value::Null), _) => Ordering::Less,
        (_, None | Some(Value::Null)) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

/// Sort JSON items by an `$orderby` list.
pub fn sort_by(items: &mut [Value], order: &[(String, bool)]) {
    items.sort_by(|a, b| {
        for (p, desc) in order {
            let o = cmp_values(resolve(a, p), resolve(b, p));
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

/// Keep only `$select`ed properties (plus OData annotations and `id`).
pub fn apply_select(v: &mut Value, select: &[String]) {
    if select.is_empty() {
        return;
    }
    if let Value::Object(o) = v {
        o.retain(|k, _| {
            k.starts_with('@')
                || k == "id"
                || k.contains("@odata")
                || select.iter().any(|s| s.eq_ignore_ascii_case(k))
        });
    }
}

pub fn parse_select(s: Option<&str>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_evaluates() {
        let item = json!({"createdDateTime":"2025-01-02T00:00:00Z","userId":"u1","status":{"errorCode":0},
            "targetResources":[{"id":"x"},{"id":"y"}],"methodsRegistered":["fido2"],"subject":"Invoice due"});
        let e = parse_filter(
            "createdDateTime ge 2025-01-01T00:00:00Z and userId eq 'U1' and status/errorCode eq 0",
        )
        .unwrap();
        assert!(eval(&e, &item));
        let e = parse_filter("targetResources/any(t: t/id eq 'y')").unwrap();
        assert!(eval(&e, &item));
        let e =
            parse_filter("methodsRegistered/any(m: m eq 'fido2') and contains(subject,'invoice')")
                .unwrap();
        assert!(eval(&e, &item));
        let e =
            parse_filter("createdDateTime lt 2025-01-01T00:00:00Z or (userId eq 'u2')").unwrap();
        assert!(!eval(&e, &item));
        assert_eq!(
            referenced_props(&parse_filter("a eq 1 and b eq 2 and a eq 3").unwrap()),
            vec!["a", "b"]
        );
        assert!(parse_filter("a eq").is_err());
        assert!(parse_filter("(((").is_err());
    }
}
