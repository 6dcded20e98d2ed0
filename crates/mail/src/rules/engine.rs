//! Evaluates rules (CEL `when` expressions) over the facts of one input. Generic over the facts:
//! the caller passes any `serde::Serialize` value whose top-level fields become CEL variables.

use std::sync::Arc;

use std::collections::HashMap;

use cel::common::ast::{Expr, LiteralValue, operators};
use cel::objects::{Key, Map};
use cel::{Context, Env, IdedExpr, Program, Value};
use serde::Serialize;

use super::format::RuleDef;
use super::native::{Compiled, Symbols, compile};

/// A rule with its compiled expression.
pub struct CompiledRule {
    pub def: RuleDef,
    program: Program,
    /// The variables the expression reads.
    vars: Vec<String>,
    /// Signal ids at least one of which must be in `signals` for the expression to be true
    /// (see [`signal_guard`]); `None` when that cannot be shown.
    guard: Option<Vec<u32>>,
    /// The expression compiled for [`super::native`], when it is in that subset.
    native: Option<Compiled>,
}

impl CompiledRule {
    /// Runs the CEL program: true when it gives `true`, false for any other value.
    fn run(&self, ctx: &Context) -> Result<bool, EngineError> {
        match self.program.execute(ctx) {
            Ok(v) => Ok(v == Value::Bool(true)),
            Err(e) => Err(EngineError::Eval {
                id: self.def.id.clone(),
                reason: e.to_string(),
            }),
        }
    }
}

/// The map variable of signal ids that guards are computed for.
const SIGNALS: &str = "signals";

/// The signal ids an expression asks about, when `signals` is only ever used as
/// `'id' in signals` or `x in signals` with `x` running over a list of string literals (as in
/// `['a', 'b'].exists(s, s in signals)`), and no other variable is read. Then, when none of
/// those ids is present, the expression gives what it gives for an empty `signals`.
fn asked_signals(e: &IdedExpr) -> Option<Vec<String>> {
    fn string(e: &IdedExpr) -> Option<&str> {
        match &e.expr {
            Expr::Literal(LiteralValue::String(s)) => Some(s.inner()),
            _ => None,
        }
    }
    fn walk(e: &IdedExpr, bound: &mut Vec<String>, asked: &mut Vec<String>) -> Option<()> {
        match &e.expr {
            Expr::Literal(_) => Some(()),
            // `signals` alone (size, index, iteration) is not understood; comprehension
            // variables are.
            Expr::Ident(name) => bound.contains(name).then_some(()),
            Expr::Call(call) => {
                if call.func_name == operators::IN
                    && let [x, set] = call.args.as_slice()
                    && matches!(&set.expr, Expr::Ident(n) if n == SIGNALS)
                {
                    return match &x.expr {
                        Expr::Literal(LiteralValue::String(id)) => {
                            asked.push(id.inner().to_string());
                            Some(())
                        }
                        // Bound to a list of literals, all already counted as asked.
                        Expr::Ident(v) if bound.contains(v) => Some(()),
                        _ => None,
                    };
                }
                if let Some(t) = &call.target {
                    walk(t, bound, asked)?;
                }
                call.args.iter().try_for_each(|a| walk(a, bound, asked))
            }
            Expr::List(list) => list.elements.iter().try_for_each(|x| walk(x, bound, asked)),
            Expr::Comprehension(c) => {
                let Expr::List(range) = &c.iter_range.expr else {
                    return None;
                };
                let ids: Vec<&str> = range.elements.iter().map(string).collect::<Option<_>>()?;
                if c.iter_var2.is_some() || c.iter_var == SIGNALS || c.accu_var == SIGNALS {
                    return None;
                }
                asked.extend(ids.iter().map(|s| s.to_string()));
                let depth = bound.len();
                bound.push(c.iter_var.clone());
                bound.push(c.accu_var.clone());
                let r = [&c.accu_init, &c.loop_cond, &c.loop_step, &c.result]
                    .into_iter()
                    .try_for_each(|x| walk(x, bound, asked));
                bound.truncate(depth);
                r
            }
            _ => None,
        }
    }
    let mut asked = Vec::new();
    walk(e, &mut Vec::new(), &mut asked)?;
    asked.sort();
    asked.dedup();
    Some(asked)
}

/// For a rule whose expression only asks about signal ids (see [`asked_signals`]) and is not
/// true for an empty `signals`: those ids, one of which must be present for it to be true.
fn signal_guard(env: &Arc<Env>, program: &Program) -> Option<Vec<String>> {
    let asked = asked_signals(program.expression())?;
    let mut ctx = Context::with_env(env.clone());
    let empty: HashMap<Key, Value> = HashMap::new();
    ctx.add_variable_from_value(
        SIGNALS,
        Value::Map(Map {
            map: Arc::new(empty),
        }),
    );
    match program.execute(&ctx) {
        Ok(Value::Bool(true)) => None,
        _ => Some(asked),
    }
}

/// Compiled rules sharing one CEL environment (standard library + string extensions).
pub struct RuleEngine {
    env: Arc<Env>,
    rules: Vec<CompiledRule>,
    /// The strings of the compiled rules and guards, numbered.
    symbols: Symbols,
}

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("rule {id} ({origin}): {reason}")]
    Compile {
        id: String,
        origin: String,
        reason: String,
    },
    #[error("duplicate rule id {0}")]
    Duplicate(String),
    #[error("facts could not be turned into CEL values: {0}")]
    Facts(String),
    #[error("rule {id}: {reason}")]
    Eval { id: String, reason: String },
}

impl RuleEngine {
    pub fn new(defs: Vec<RuleDef>) -> Result<Self, EngineError> {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings)
            .map_err(|e| EngineError::Compile {
                id: "-".into(),
                origin: "env".into(),
                reason: format!("{e:?}"),
            })?;
        let mut rules: Vec<CompiledRule> = Vec::new();
        let mut symbols = Symbols::default();
        for def in defs {
            if rules.iter().any(|r| r.def.id == def.id) {
                return Err(EngineError::Duplicate(def.id));
            }
            let program = env.compile(&def.when).map_err(|e| EngineError::Compile {
                id: def.id.clone(),
                origin: def.origin.clone(),
                reason: e.to_string(),
            })?;
            let vars = program
                .references()
                .variables()
                .into_iter()
                .map(str::to_string)
                .collect();
            let native = compile(program.expression(), &mut symbols);
            rules.push(CompiledRule {
                def,
                program,
                vars,
                guard: None,
                native,
            });
        }
        let env = Arc::new(env);
        for r in &mut rules {
            r.guard = signal_guard(&env, &r.program)
                .map(|ids| ids.iter().map(|id| symbols.intern(id)).collect());
        }
        Ok(Self {
            env,
            rules,
            symbols,
        })
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleDef> {
        self.rules.iter().map(|r| &r.def)
    }

    /// Like [`Self::evaluate`], for the signals `fired` and the other facts given as CEL
    /// values on demand: rules whose guard signals are all absent are known false and not
    /// run, rules over signals alone are evaluated directly (`rules/native.rs`), and only the
    /// variables the remaining rules read are built (`value(name)`, once each).
    pub fn evaluate_with<'s>(
        &self,
        fired: impl IntoIterator<Item = &'s str>,
        mut value: impl FnMut(&str) -> Option<Value>,
    ) -> (Vec<&RuleDef>, Vec<EngineError>) {
        let fired = self.symbols.fired(fired);
        let mut ctx: Option<Context> = None;
        let mut added: Vec<&str> = Vec::new();
        let mut matched = Vec::new();
        let mut errors = Vec::new();
        for r in &self.rules {
            if let Some(g) = &r.guard
                && !g.iter().any(|&i| fired.has(i))
            {
                continue;
            }
            if let Some(m) = r
                .native
                .as_ref()
                .and_then(|n| n.eval(&self.symbols, &fired))
            {
                if m {
                    matched.push(&r.def);
                }
                continue;
            }
            let ctx = ctx.get_or_insert_with(|| Context::with_env(self.env.clone()));
            for v in &r.vars {
                if !added.contains(&v.as_str()) {
                    added.push(v);
                    if let Some(val) = value(v) {
                        ctx.add_variable_from_value(v.clone(), val);
                    }
                }
            }
            match r.run(ctx) {
                Ok(true) => matched.push(&r.def),
                Ok(false) => {}
                Err(e) => errors.push(e),
            }
        }
        (matched, errors)
    }

    /// The rules whose expression is true for `facts`. A rule whose expression errors (missing
    /// field, wrong type) does not match; the error is returned beside the matches.
    pub fn evaluate<F: Serialize>(
        &self,
        facts: &F,
    ) -> Result<(Vec<&RuleDef>, Vec<EngineError>), EngineError> {
        let value = cel::to_value(facts).map_err(|e| EngineError::Facts(e.to_string()))?;
        let mut ctx = Context::with_env(self.env.clone());
        if let Value::Map(m) = value {
            for (k, v) in m.map.iter() {
                if let cel::objects::Key::String(name) = k {
                    ctx.add_variable_from_value(name.to_string(), v.clone());
                }
            }
        } else {
            return Err(EngineError::Facts("facts must be a struct or map".into()));
        }
        let mut matched = Vec::new();
        let mut errors = Vec::new();
        for r in &self.rules {
            match r.run(&ctx) {
                Ok(true) => matched.push(&r.def),
                Ok(false) => {}
                Err(e) => errors.push(e),
            }
        }
        Ok((matched, errors))
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn guard_of(expr: &str) -> Option<Vec<String>> {
        let mut env = Env::stdlib();
        let _ = env.add_extension(cel::extensions::strings);
        let env = Arc::new(env);
        let program = env.compile(expr).ok()?;
        signal_guard(&env, &program)
    }

    #[test]
    fn guards_only_for_expressions_false_without_their_signals() {
        let ids = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            guard_of("'a' in signals && ('c' in signals || 'b' in signals)"),
            ids(&["a", "b", "c"])
        );
        assert_eq!(
            guard_of("['x', 'y'].exists(s, s in signals)"),
            ids(&["x", "y"])
        );
        assert_eq!(
            guard_of("size(['x', 'y'].filter(s, s in signals)) >= 2"),
            ids(&["x", "y"])
        );
        // True (or not understood) without any signal: always evaluated.
        for e in [
            "!('a' in signals)",
            "size(['x'].filter(s, s in signals)) >= 0",
            "size(signals) > 2",
            "signals['a'] > 3",
            "'a' in signals || subject.contains('x')",
            "signals.exists(k, k.startsWith('content.'))",
        ] {
            assert_eq!(guard_of(e), None, "{e}");
        }
    }

    #[derive(Serialize)]
    struct Facts {
        signals: HashMap<String, i64>,
    }

    #[test]
    fn skipping_guarded_rules_changes_no_result() {
        let defs = super::super::format::parse_rules(super::super::BUILTIN_RULES, "builtin.yaml")
            .unwrap_or_default();
        let engine = RuleEngine::new(defs).expect("builtin rules compile");
        let ids: Vec<String> = engine.symbols.texts().to_vec();
        let mut seed = 11u64;
        let mut matches = 0;
        for round in 0..400 {
            let signals: HashMap<String, i64> = ids
                .iter()
                .filter(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (seed >> 33) % 100 < (round % 20) as u64
                })
                .map(|id| (id.clone(), 5))
                .collect();
            let all = engine.evaluate(&Facts {
                signals: signals.clone(),
            });
            let all: Vec<&str> = all
                .map(|(m, _)| m.iter().map(|r| r.id.as_str()).collect())
                .unwrap_or_default();
            let (lazy, _) = engine.evaluate_with(signals.keys().map(String::as_str), |name| {
                (name == "signals")
                    .then(|| cel::to_value(&signals).ok())
                    .flatten()
            });
            let lazy: Vec<&str> = lazy.iter().map(|r| r.id.as_str()).collect();
            assert_eq!(all, lazy, "{signals:?}");
            matches += lazy.len();
        }
        assert!(
            matches > 100,
            "the samples should make rules match ({matches})"
        );
    }
}
