//! A direct evaluator for the part of CEL that signal rules use: `'id' in signals`, `&&`, `||`,
//! `!`, conditionals, integer comparisons and arithmetic, `size`, list literals and the
//! comprehensions that `exists`, `all`, `filter` and `map` expand to. Every built-in rule is in
//! that subset. The `cel` interpreter builds the `signals` map as a CEL value and walks the tree
//! with reference-counted values, about 20 µs a rule. Here a rule is compiled once into a tree
//! of its own: operators are an enum (not names compared at every node), variables are slots of
//! a stack, and strings are numbered ([`Symbols`]), so that `'id' in signals` is one bit test in
//! the set of fired signals ([`Fired`]) and string equality compares numbers. Anything outside
//! the subset (other variables, string functions, maps) is left to `cel`: [`compile`] returns
//! `None`; so is a type mismatch at run time ([`Compiled::eval`] returns `None`), and the caller
//! runs the CEL program, so the result is always CEL's.

use std::collections::HashMap;

use cel::IdedExpr;
use cel::common::ast::{Expr, LiteralValue, operators};

/// The variable holding the fired signals.
const SIGNALS: &str = "signals";

/// The string literals of the compiled rules, numbered: the only strings a rule can test or
/// compare (there is no string operation in the subset that makes new ones).
#[derive(Debug, Default)]
pub struct Symbols {
    texts: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Symbols {
    /// The number of `s`, numbering it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.texts.len() as u32;
        self.texts.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }

    /// Every string, in number order.
    #[cfg(test)]
    pub fn texts(&self) -> &[String] {
        &self.texts
    }

    /// The number of `s`, if a rule names it.
    pub fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// The set of fired signals, from their ids (those no rule names are left out: no rule
    /// can ask for them).
    pub fn fired<'s>(&self, ids: impl IntoIterator<Item = &'s str>) -> Fired {
        let mut bits = vec![0u64; self.texts.len().div_ceil(64)];
        for i in ids.into_iter().filter_map(|id| self.get(id)) {
            bits[i as usize / 64] |= 1 << (i % 64);
        }
        Fired(bits)
    }
}

/// Which of the [`Symbols`] are fired signals, a bit each.
pub struct Fired(Vec<u64>);

impl Fired {
    pub fn has(&self, i: u32) -> bool {
        self.0
            .get(i as usize / 64)
            .is_some_and(|w| w >> (i % 64) & 1 == 1)
    }
}

#[derive(Debug, Clone, Copy)]
enum Cmp {
    Gt,
    Ge,
    Lt,
    Le,
}

/// A compiled expression. Variables are slots of the evaluation stack, counted from its
/// bottom; a comprehension keeps its accumulator in the slot after the enclosing ones, and its
/// item in the next while the step runs (as CEL's scopes nest).
#[derive(Debug)]
enum Node {
    Bool(bool),
    Int(i64),
    Str(u32),
    List(Vec<Node>),
    Slot(usize),
    InSignals(Box<Node>),
    And(Box<[Node; 2]>),
    Or(Box<[Node; 2]>),
    Not(Box<Node>),
    Cond(Box<[Node; 3]>),
    Add(Box<[Node; 2]>),
    Eq(Box<[Node; 2]>),
    Ne(Box<[Node; 2]>),
    Cmp(Cmp, Box<[Node; 2]>),
    Size(Box<Node>),
    Fold(Box<Fold>),
    /// `[ids…].exists(s, s in signals)`: whether any is fired.
    AnyFired(Vec<u32>),
    /// `[ids…].filter(s, s in signals)`: those fired, in order.
    FiredOf(Vec<u32>),
}

#[derive(Debug)]
struct Fold {
    range: Node,
    init: Node,
    cond: Node,
    step: Node,
    result: Node,
}

#[derive(Debug, Clone, PartialEq)]
enum V {
    Bool(bool),
    Int(i64),
    Str(u32),
    List(Vec<V>),
}

/// A rule expression compiled for [`Compiled::eval`].
#[derive(Debug)]
pub struct Compiled(Node);

/// Compiles `e`, numbering its strings in `symbols`; `None` when it leaves the subset.
pub fn compile(e: &IdedExpr, symbols: &mut Symbols) -> Option<Compiled> {
    node(e, symbols, &mut Vec::new()).map(Compiled)
}

fn node<'e>(e: &'e IdedExpr, symbols: &mut Symbols, names: &mut Vec<&'e str>) -> Option<Node> {
    Some(match &e.expr {
        Expr::Literal(LiteralValue::Boolean(b)) => Node::Bool(*b.inner()),
        Expr::Literal(LiteralValue::Int(i)) => Node::Int(*i.inner()),
        Expr::Literal(LiteralValue::String(s)) => Node::Str(symbols.intern(s.inner())),
        Expr::Ident(name) => Node::Slot(names.iter().rposition(|n| *n == name.as_str())?),
        Expr::List(l) => Node::List(
            l.elements
                .iter()
                .map(|x| node(x, symbols, names))
                .collect::<Option<_>>()?,
        ),
        Expr::Call(c) => {
            let mut args = |n: usize| -> Option<Vec<Node>> {
                if c.target.is_some() || c.args.len() != n {
                    return None;
                }
                c.args.iter().map(|a| node(a, symbols, names)).collect()
            };
            let two =
                |v: Vec<Node>| -> Option<Box<[Node; 2]>> { Some(Box::new(v.try_into().ok()?)) };
            match c.func_name.as_str() {
                operators::IN => {
                    let [x, set] = c.args.as_slice() else {
                        return None;
                    };
                    // `signals` itself, not a comprehension variable of that name.
                    if c.target.is_some()
                        || !matches!(&set.expr, Expr::Ident(n) if n == SIGNALS)
                        || names.contains(&SIGNALS)
                    {
                        return None;
                    }
                    Node::InSignals(Box::new(node(x, symbols, names)?))
                }
                operators::LOGICAL_AND => Node::And(two(args(2)?)?),
                operators::LOGICAL_OR => Node::Or(two(args(2)?)?),
                operators::LOGICAL_NOT | operators::NOT_STRICTLY_FALSE => {
                    let [x] = <[Node; 1]>::try_from(args(1)?).ok()?;
                    if c.func_name == operators::LOGICAL_NOT {
                        Node::Not(Box::new(x))
                    } else {
                        // `@not_strictly_false(x)` is `x` for a boolean (anything else fails).
                        Node::And(Box::new([x, Node::Bool(true)]))
                    }
                }
                operators::CONDITIONAL => {
                    Node::Cond(Box::new(<[Node; 3]>::try_from(args(3)?).ok()?))
                }
                operators::ADD => Node::Add(two(args(2)?)?),
                operators::EQUALS => Node::Eq(two(args(2)?)?),
                operators::NOT_EQUALS => Node::Ne(two(args(2)?)?),
                operators::GREATER => Node::Cmp(Cmp::Gt, two(args(2)?)?),
                operators::GREATER_EQUALS => Node::Cmp(Cmp::Ge, two(args(2)?)?),
                operators::LESS => Node::Cmp(Cmp::Lt, two(args(2)?)?),
                operators::LESS_EQUALS => Node::Cmp(Cmp::Le, two(args(2)?)?),
                "size" => {
                    let x = match (&c.target, c.args.as_slice()) {
                        (Some(t), []) => node(t, symbols, names)?,
                        (None, [x]) => node(x, symbols, names)?,
                        _ => return None,
                    };
                    Node::Size(Box::new(x))
                }
                _ => return None,
            }
        }
        Expr::Comprehension(c) => {
            if c.iter_var2.is_some() {
                return None;
            }
            let depth = names.len();
            let range = node(&c.iter_range, symbols, names)?;
            let init = node(&c.accu_init, symbols, names)?;
            names.push(c.accu_var.as_str());
            let cond = node(&c.loop_cond, symbols, names);
            names.push(c.iter_var.as_str());
            let step = node(&c.loop_step, symbols, names);
            names.pop();
            let result = node(&c.result, symbols, names);
            names.truncate(depth);
            let fold = Fold {
                range,
                init,
                cond: cond?,
                step: step?,
                result: result?,
            };
            over_fired_signals(&fold, depth).unwrap_or(Node::Fold(Box::new(fold)))
        }
        _ => return None,
    })
}

/// The two shapes rules use most, recognized in a fold (`accu` its accumulator's slot, the
/// item's the next): `exists` and `filter` (as the `cel` parser expands them) over a list of
/// strings with the test `s in signals`. Each is then a set of bit tests; the general fold
/// would build and copy lists of values item by item.
fn over_fired_signals(f: &Fold, accu: usize) -> Option<Node> {
    let slot = |n: &Node, i: usize| matches!(n, Node::Slot(s) if *s == i);
    let Node::List(range) = &f.range else {
        return None;
    };
    let ids: Vec<u32> = range
        .iter()
        .map(|x| match x {
            Node::Str(s) => Some(*s),
            _ => None,
        })
        .collect::<Option<_>>()?;
    let item_fired = |p: &Node| matches!(p, Node::InSignals(x) if slot(x, accu + 1));
    if !slot(&f.result, accu) {
        return None;
    }
    // `@result = false`, while `@not_strictly_false(!@result)`: `@result = @result || p`.
    if let (Node::Bool(false), Node::And(cond), Node::Or(step)) = (&f.init, &f.cond, &f.step)
        && matches!(&cond[0], Node::Not(n) if slot(n, accu))
        && matches!(cond[1], Node::Bool(true))
        && slot(&step[0], accu)
        && item_fired(&step[1])
    {
        return Some(Node::AnyFired(ids));
    }
    // `@result = []`, while true: `@result = p ? @result + [s] : @result`.
    if let (Node::List(init), Node::Bool(true), Node::Cond(step)) = (&f.init, &f.cond, &f.step)
        && init.is_empty()
        && item_fired(&step[0])
        && matches!(&step[1], Node::Add(a) if slot(&a[0], accu)
            && matches!(&a[1], Node::List(l) if l.len() == 1 && slot(&l[0], accu + 1)))
        && slot(&step[2], accu)
    {
        return Some(Node::FiredOf(ids));
    }
    None
}

impl Compiled {
    /// The value of a boolean rule over the fired signals; `None` on a type mismatch (left to
    /// CEL, see the module documentation).
    pub fn eval(&self, symbols: &Symbols, fired: &Fired) -> Option<bool> {
        match value(&self.0, symbols, fired, &mut Vec::new())? {
            V::Bool(b) => Some(b),
            _ => None,
        }
    }
}

fn value(e: &Node, symbols: &Symbols, fired: &Fired, stack: &mut Vec<V>) -> Option<V> {
    let v = |e: &Node, stack: &mut Vec<V>| value(e, symbols, fired, stack);
    let boolean = |v: V| match v {
        V::Bool(b) => Some(b),
        _ => None,
    };
    Some(match e {
        Node::Bool(b) => V::Bool(*b),
        Node::Int(i) => V::Int(*i),
        Node::Str(s) => V::Str(*s),
        Node::List(l) => V::List(l.iter().map(|x| v(x, stack)).collect::<Option<_>>()?),
        Node::Slot(i) => stack.get(*i)?.clone(),
        Node::InSignals(x) => match v(x, stack)? {
            V::Str(s) => V::Bool(fired.has(s)),
            _ => return None,
        },
        // Short-circuiting is CEL's answer too when the first side decides: a false (true)
        // side makes `&&` (`||`) false (true) whatever the other side gives.
        Node::And(a) => V::Bool(boolean(v(&a[0], stack)?)? && boolean(v(&a[1], stack)?)?),
        Node::Or(a) => V::Bool(boolean(v(&a[0], stack)?)? || boolean(v(&a[1], stack)?)?),
        Node::Not(x) => V::Bool(!boolean(v(x, stack)?)?),
        Node::Cond(a) => {
            if boolean(v(&a[0], stack)?)? {
                v(&a[1], stack)?
            } else {
                v(&a[2], stack)?
            }
        }
        Node::Add(a) => match (v(&a[0], stack)?, v(&a[1], stack)?) {
            (V::Int(x), V::Int(y)) => V::Int(x.checked_add(y)?),
            (V::List(mut x), V::List(y)) => {
                x.extend(y);
                V::List(x)
            }
            _ => return None,
        },
        Node::Eq(a) => V::Bool(same(&v(&a[0], stack)?, &v(&a[1], stack)?)?),
        Node::Ne(a) => V::Bool(!same(&v(&a[0], stack)?, &v(&a[1], stack)?)?),
        Node::Cmp(op, a) => {
            let (V::Int(x), V::Int(y)) = (v(&a[0], stack)?, v(&a[1], stack)?) else {
                return None;
            };
            V::Bool(match op {
                Cmp::Gt => x > y,
                Cmp::Ge => x >= y,
                Cmp::Lt => x < y,
                Cmp::Le => x <= y,
            })
        }
        Node::Size(x) => match v(x, stack)? {
            V::List(l) => V::Int(l.len() as i64),
            V::Str(s) => V::Int(symbols.texts.get(s as usize)?.chars().count() as i64),
            _ => return None,
        },
        Node::Fold(f) => {
            let V::List(items) = v(&f.range, stack)? else {
                return None;
            };
            let depth = stack.len();
            let init = v(&f.init, stack)?;
            stack.push(init);
            let mut ok = true;
            for item in items {
                match v(&f.cond, stack) {
                    Some(V::Bool(true)) => {}
                    Some(V::Bool(false)) => break,
                    _ => {
                        ok = false;
                        break;
                    }
                }
                stack.push(item);
                let step = v(&f.step, stack);
                stack.pop();
                match step {
                    Some(x) => stack[depth] = x,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            let result = if ok { v(&f.result, stack) } else { None };
            stack.truncate(depth);
            result?
        }
        Node::AnyFired(ids) => V::Bool(ids.iter().any(|&i| fired.has(i))),
        Node::FiredOf(ids) => V::List(
            ids.iter()
                .filter(|&&i| fired.has(i))
                .map(|&i| V::Str(i))
                .collect(),
        ),
    })
}

/// CEL equality for the values of the subset (no cross-type equality: `None` then). Strings
/// are equal when their numbers are ([`Symbols`] numbers each text once).
fn same(a: &V, b: &V) -> Option<bool> {
    match (a, b) {
        (V::Bool(x), V::Bool(y)) => Some(x == y),
        (V::Int(x), V::Int(y)) => Some(x == y),
        (V::Str(x), V::Str(y)) => Some(x == y),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use cel::objects::{Key, Map};
    use cel::{Context, Env, Value};

    use super::*;

    fn cel_says(env: &Arc<Env>, expr: &str, fired: &[&str]) -> Option<bool> {
        let program = env.compile(expr).ok()?;
        let mut ctx = Context::with_env(env.clone());
        let map: HashMap<Key, Value> = fired
            .iter()
            .map(|s| (Key::String(Arc::new(s.to_string())), Value::Int(5)))
            .collect();
        ctx.add_variable_from_value(SIGNALS, Value::Map(Map { map: Arc::new(map) }));
        match program.execute(&ctx) {
            Ok(Value::Bool(b)) => Some(b),
            _ => None,
        }
    }

    /// Compiles `e` and evaluates it with `fired`; `None` where it is left to CEL.
    fn ours(e: &IdedExpr, fired: &[&str]) -> Option<bool> {
        let mut symbols = Symbols::default();
        let compiled = compile(e, &mut symbols)?;
        compiled.eval(&symbols, &symbols.fired(fired.iter().copied()))
    }

    #[test]
    fn agrees_with_cel_wherever_it_answers() {
        let env = Arc::new(Env::stdlib());
        let exprs = [
            "'a' in signals && ('b' in signals || !('c' in signals))",
            "['a', 'b', 'c'].exists(s, s in signals)",
            "['a', 'b'].all(s, s in signals)",
            "['a', 'b', 'c'].exists_one(s, s in signals)",
            "size(['a', 'b', 'c', 'd'].filter(s, s in signals)) >= 2",
            "size(['a', 'b', 'c'].filter(s, s in signals)) == 1 || 'd' in signals",
            "size(['a', 'b'].map(s, s in signals ? 1 : 0).filter(n, n > 0)) < 2",
            "('a' in signals ? 2 : 0) + ('b' in signals ? 3 : 0) >= 3",
            "'a' in signals != ('b' in signals)",
            "['a', 'b'].exists(s, ['c', 'd'].all(t, s in signals && !(t in signals)))",
            "['a'].exists(s, ['b'].exists(s, s in signals))",
            "['a', 'b'].filter(s, s in signals).exists(t, t == 'b')",
            "['a', 'b', 'c'].exists(s, s in signals && 'd' in signals)",
            "size(['a', 'b', 'c'].filter(s, !(s in signals))) == 2",
            "size('abc') == 3 && [1, 2] + [3] == [1, 2, 3]",
            "true",
        ];
        let ids = ["a", "b", "c", "d"];
        let mut answered = 0;
        for e in exprs {
            let program = env.compile(e).expect(e);
            assert!(
                compile(program.expression(), &mut Symbols::default()).is_some(),
                "{e}"
            );
            for mask in 0..16u32 {
                let fired: Vec<&str> = ids
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, s)| *s)
                    .collect();
                if let Some(n) = ours(program.expression(), &fired) {
                    answered += 1;
                    assert_eq!(Some(n), cel_says(&env, e, &fired), "{e} with {fired:?}");
                }
            }
        }
        // Only the list-equality expression is left to CEL.
        assert!(answered >= 16 * (exprs.len() - 1), "{answered}");
    }

    #[test]
    fn other_variables_and_functions_are_left_to_cel() {
        let env = Arc::new(Env::stdlib());
        for e in [
            "subject.contains('x')",
            "size(signals) > 1",
            "signals['a'] > 3",
            "score > 30",
            "{'a': 1}.size() == 1",
            "1.5 > 1.0",
        ] {
            let program = env.compile(e).expect(e);
            assert_eq!(ours(program.expression(), &["a", "x"]), None, "{e}");
        }
    }

    #[test]
    fn every_builtin_rule_is_evaluated_directly() {
        let defs = super::super::format::parse_rules(super::super::BUILTIN_RULES, "builtin.yaml")
            .unwrap_or_default();
        assert!(!defs.is_empty());
        let mut env = Env::stdlib();
        let _ = env.add_extension(cel::extensions::strings);
        for d in defs {
            let program = env.compile(&d.when).expect("builtin rule compiles");
            assert!(ours(program.expression(), &[]).is_some(), "{}", d.id);
            // Their `exists` and `filter` over signal lists are sets of bit tests.
            let compiled = compile(program.expression(), &mut Symbols::default());
            assert!(
                !format!("{compiled:?}").contains("Fold"),
                "{}: {compiled:?}",
                d.id
            );
        }
    }
}
