//! The policy engine (政策引擎): policy packs of dated parameters, inputs, variables and
//! programs, written as data; exact decimal evaluation of a household with the trace of
//! every value and parameter used. Pure: it reads no files and no clock; callers hand it
//! the pack's files and the households.

pub mod engine;
pub mod expr;
pub mod pack;
pub mod shipped;
pub mod testing;

pub use engine::{Dated, Engine, EvalError, Evaluation, Household, ProgramResult, Trace, Value};
pub use pack::{Entity, InputType, Pack, PackError};

/// Loads and compiles a shipped pack.
pub fn shipped_engine(name: &str) -> Option<Result<Engine, Vec<PackError>>> {
    let files = shipped::files(name)?;
    Some(pack::load(&files, &shipped::files).and_then(Engine::new))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_packs_load_and_pass_their_tests() {
        for name in shipped::NAMES {
            let engine = shipped_engine(name)
                .unwrap()
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let results = testing::run_tests(&engine);
            assert!(results.len() >= 18, "{name} has {} tests", results.len());
            let failed: Vec<_> = results.iter().filter(|r| !r.failures.is_empty()).collect();
            assert!(failed.is_empty(), "{failed:#?}");
        }
    }
}
