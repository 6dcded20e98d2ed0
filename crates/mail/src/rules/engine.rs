//! Evaluates rules (CEL `when` expressions) over the facts of one input. Generic over the facts:
//! the caller passes any `serde::Serialize` value whose top-level fields become CEL variables.

use std::sync::Arc;

use cel::{Context, Env, Program, Value};
use serde::Serialize;

use super::format::RuleDef;

/// A rule with its compiled expression.
pub struct CompiledRule {
    pub def: RuleDef,
    program: Program,
}

/// Compiled rules sharing one CEL environment (standard library + string extensions).
pub struct RuleEngine {
    env: Arc<Env>,
    rules: Vec<CompiledRule>,
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
        for def in defs {
            if rules.iter().any(|r| r.def.id == def.id) {
                return Err(EngineError::Duplicate(def.id));
            }
            let program = env.compile(&def.when).map_err(|e| EngineError::Compile {
                id: def.id.clone(),
                origin: def.origin.clone(),
                reason: e.to_string(),
            })?;
            rules.push(CompiledRule { def, program });
        }
        Ok(Self {
            env: Arc::new(env),
            rules,
        })
    }

    pub fn rules(&self) -> impl Iterator<Item = &RuleDef> {
        self.rules.iter().map(|r| &r.def)
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
            match r.program.execute(&ctx) {
                Ok(Value::Bool(true)) => matched.push(&r.def),
                Ok(_) => {}
                Err(e) => errors.push(EngineError::Eval {
                    id: r.def.id.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        Ok((matched, errors))
    }
}
