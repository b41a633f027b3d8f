//! The policy engine (政策引擎): policy packs of dated parameters, inputs, variables and
//! programs, written as data; exact decimal evaluation of a household with the trace of
//! every value and parameter used. Pure: it reads no files and no clock; callers hand it
//! the pack's files and the households.

pub mod columnar;
pub mod engine;
pub mod expr;
/// The fast hash, from the domain crate (the roster import uses it too).
pub use jiuzhu_domain::hash;
pub mod pack;
pub mod receipt;
pub mod reform;
pub mod shipped;
pub mod simulation;
pub mod testing;

pub use engine::{
    Condition, Dated, Engine, EvalError, Evaluation, Household, ProgramResult, Trace, Value,
};
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
            assert!(results.len() >= 3, "{name} has {} tests", results.len());
            let failed: Vec<_> = results.iter().filter(|r| !r.failures.is_empty()).collect();
            assert!(failed.is_empty(), "{failed:#?}");
        }
    }
}

#[cfg(test)]
mod pack_checks {
    use super::*;

    const META: &str = "[pack]\nname = \"t\"\nversion = \"1\"\n";
    const INPUTS: &str = "[[input]]\nname = \"wage\"\nentity = \"person\"\ntype = \"money\"\n";

    fn errors(vars: &str) -> Vec<String> {
        let files = vec![
            ("pack.toml".to_string(), META.to_string()),
            ("inputs.toml".to_string(), INPUTS.to_string()),
            ("variables.toml".to_string(), vars.to_string()),
        ];
        match pack::load(&files, &|_| None).and_then(Engine::new) {
            Ok(_) => Vec::new(),
            Err(e) => e.iter().map(|e| e.to_string()).collect(),
        }
    }

    fn var(name: &str, entity: &str, formula: &str) -> String {
        format!(
            "[[variable]]\nname = \"{name}\"\nentity = \"{entity}\"\nformula = '''{formula}'''\n\n"
        )
    }

    #[test]
    fn a_good_pack_has_no_errors() {
        let v = var("income", "person", "wage * 12")
            + &var("total", "household", "sum(members, income)");
        assert_eq!(errors(&v), Vec::<String>::new());
    }

    #[test]
    fn unknown_names_are_reported_with_file_and_line() {
        let v = var("income", "person", "wage * 12")
            + &var("total", "household", "sum(members, incme)");
        assert_eq!(
            errors(&v),
            vec!["variables.toml:6: total: unknown name \"incme\"".to_string()]
        );
    }

    #[test]
    fn cycles_are_reported() {
        let v = var("a", "household", "b + 1") + &var("b", "household", "a * 2");
        let e = errors(&v);
        assert!(e.iter().any(|m| m.contains("depends on itself")), "{e:?}");
    }

    #[test]
    fn type_errors_are_reported() {
        let v = var("income", "person", "wage * 12")
            + &var("flag", "household", "sum(members, income) and true");
        let e = errors(&v);
        assert!(
            e[0].starts_with("variables.toml:6: flag: the left of 'and' must be a flag"),
            "{e:?}"
        );
        let e = errors(&var("x", "household", "if(1, 2, 3)"));
        assert!(
            e[0].contains("the condition of if() must be a flag"),
            "{e:?}"
        );
    }

    #[test]
    fn a_person_formula_cannot_sum_members_and_syntax_errors_say_where() {
        let e = errors(&var("x", "person", "sum(members, wage)"));
        assert!(e[0].contains("only for household quantities"), "{e:?}");
        let e = errors(&var("x", "person", "wage * "));
        assert!(
            e[0].starts_with("variables.toml:1: formula of x: at character 8"),
            "{e:?}"
        );
    }

    #[test]
    fn parameters_must_be_exact_and_well_dated() {
        let p = |values: &str| {
            let files = vec![
                ("pack.toml".to_string(), META.to_string()),
                (
                    "p.toml".to_string(),
                    format!(
                        "\n[[parameter]]\nname = \"s\"\nunit = \"yuan\"\nreference = \"r\"\nvalues = {{ {values} }}\n"
                    ),
                ),
            ];
            match pack::load(&files, &|_| None).and_then(Engine::new) {
                Ok(_) => String::new(),
                Err(e) => e[0].to_string(),
            }
        };
        assert_eq!(p("\"2026-07-01\" = \"1100.50\""), "");
        assert!(
            p("\"2026-07-01\" = 1100.5").contains("write decimals as text"),
            "{}",
            p("\"2026-07-01\" = 1100.5")
        );
        assert!(
            p("\"2026-02-30\" = 1").starts_with("p.toml:2: bad date"),
            "{}",
            p("\"2026-02-30\" = 1")
        );
        assert!(p("\"2026-07-01\" = \"abc\"").contains("is not a number"));
    }

    #[test]
    fn a_value_is_taken_from_the_parameter_in_force_on_the_date() {
        let files = vec![
            ("pack.toml".to_string(), META.to_string()),
            ("p.toml".to_string(), "[[parameter]]\nname = \"s\"\nunit = \"yuan\"\nreference = \"r\"\nvalues = { \"2025-07-01\" = \"1000\", \"2026-07-01\" = \"1100\" }\n".to_string()),
            ("v.toml".to_string(), var("line", "household", "s * 12")),
        ];
        let engine = pack::load(&files, &|_| None).and_then(Engine::new).unwrap();
        let h = Household::default();
        let at = |d: &str| {
            engine
                .on(jiuzhu_domain::parse_date(d).unwrap())
                .unwrap()
                .evaluate(&h)
                .get("line")
                .unwrap()
        };
        assert_eq!(at("2026-06-30"), Value::Num(12000.into()));
        assert_eq!(at("2026-07-01"), Value::Num(13200.into()));
        let before = engine
            .on(jiuzhu_domain::parse_date("2025-01-01").unwrap())
            .unwrap()
            .evaluate(&h)
            .get("line")
            .unwrap_err();
        assert!(
            before
                .to_string()
                .contains("parameter s has no value on 2025-01-01"),
            "{before}"
        );
    }

    #[test]
    fn a_regional_parameter_takes_the_value_of_the_longest_matching_region() {
        let files = vec![
            ("pack.toml".to_string(), format!("{META}region_input = \"region\"\n")),
            ("i.toml".to_string(), "[[input]]\nname = \"region\"\nentity = \"household\"\ntype = \"text\"\n".to_string()),
            (
                "p.toml".to_string(),
                "[[parameter]]\nname = \"standard\"\nunit = \"yuan\"\nreference = \"r\"\nvalues = { \"2026-01-01\" = \"1000\" }\n\
                 [parameter.by_region]\n\"3303\" = { \"2026-01-01\" = \"1100\" }\n\"330326\" = { \"2026-01-01\" = \"1130\", \"2026-07-01\" = \"1180\" }\n"
                    .to_string(),
            ),
            ("v.toml".to_string(), var("line", "household", "standard * 12")),
        ];
        let engine = pack::load(&files, &|_| None).and_then(Engine::new).unwrap();
        let at = |region: &str, d: &str| {
            let h = Household {
                inputs: vec![Value::Text(region.into())],
                ..Household::default()
            };
            engine
                .on(jiuzhu_domain::parse_date(d).unwrap())
                .unwrap()
                .evaluate(&h)
                .get("line")
                .unwrap()
        };
        assert_eq!(
            at("330326100201", "2026-03-01"),
            Value::Num(13560.into()),
            "Pingyang's own standard"
        );
        assert_eq!(
            at("330326100201", "2026-07-01"),
            Value::Num(14160.into()),
            "raised from July"
        );
        assert_eq!(
            at("330302001001", "2026-03-01"),
            Value::Num(13200.into()),
            "Wenzhou's"
        );
        assert_eq!(
            at("110101001001", "2026-03-01"),
            Value::Num(12000.into()),
            "the default elsewhere"
        );
        // Without a region input the pack is refused.
        let mut no_input = files.clone();
        no_input[0].1 = META.to_string();
        let Err(e) = pack::load(&no_input, &|_| None).and_then(Engine::new) else {
            panic!("accepted")
        };
        assert!(e[0].to_string().contains("varies by region"), "{e:?}");
    }

    #[test]
    fn a_region_missing_one_of_its_county_values_is_refused_at_load() {
        let mut files = shipped::files("zhejiang-wenzhou").unwrap();
        for f in files.iter_mut().filter(|f| f.0 == "parameters.toml") {
            f.1 = f.1.replacen(
                "\"3303\" = { \"2024-01-01\" = \"2260.00\" }",
                "\"330326\" = { \"2024-01-01\" = \"2260.00\" }",
                1,
            );
        }
        let Err(e) = pack::load(&files, &shipped::files).and_then(Engine::new) else {
            panic!("accepted")
        };
        let text: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert!(
            text.iter().any(|t| t.starts_with("parameters.toml:")
                && t.contains("urban_min_wage_monthly has no value for region 3303")),
            "{text:?}"
        );
    }

    #[test]
    fn a_failing_test_case_is_reported() {
        let mut files = shipped::files("rp1").unwrap();
        for f in files.iter_mut().filter(|f| f.0 == "tests.toml") {
            f.1 = f.1.replacen("amount = 1800", "amount = 1799", 1);
        }
        let engine = pack::load(&files, &|_| None).and_then(Engine::new).unwrap();
        let failed: Vec<_> = testing::run_tests(&engine)
            .into_iter()
            .filter(|r| !r.failures.is_empty())
            .collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(
            failed[0].failures,
            vec!["amount: expected 1799, got \"1800\"".to_string()]
        );
        assert!(failed[0].origin.to_string().starts_with("tests.toml:"));
    }

    #[test]
    fn a_health_code_outside_the_table_is_an_error_not_a_zero() {
        let engine = rp1_pingyang();
        let mut files_case = engine.pack.tests[0].clone();
        files_case.members[0].insert("health".into(), toml::Value::Integer(7));
        let h = Household {
            inputs: testing::row(&engine, Entity::Household, &files_case.household).unwrap(),
            members: vec![testing::row(&engine, Entity::Person, &files_case.members[0]).unwrap()],
            supporters: Vec::new(),
        };
        let e = engine
            .on(files_case.date)
            .unwrap()
            .evaluate(&h)
            .get("income")
            .unwrap_err();
        assert!(e.to_string().contains("no entry for row \"7\""), "{e}");
        let empty = Household {
            members: Vec::new(),
            ..h
        };
        let e = engine
            .on(files_case.date)
            .unwrap()
            .evaluate(&empty)
            .get("pcm")
            .unwrap_err();
        assert!(e.to_string().contains("division by zero"), "{e}");
    }
}

/// rp1 with the county values of its test cases (Pingyang, 330326), for tests.
#[cfg(test)]
pub(crate) fn rp1_pingyang() -> Engine {
    let engine = shipped_engine("rp1").unwrap().unwrap();
    let d = |s: &str| s.parse().unwrap();
    engine
        .with_region_values(
            "330326",
            jiuzhu_domain::parse_date("2020-01-01").unwrap(),
            &[
                ("dibao_standard_monthly".into(), d("1100.00")),
                ("urban_min_wage_monthly".into(), d("2010.00")),
                ("rural_disposable_income_annual".into(), d("30105.00")),
            ],
        )
        .unwrap()
}

#[cfg(test)]
mod evaluators_agree {
    use std::sync::Arc;

    use super::columnar::{Column, Population};
    use super::*;

    /// The rp1 test households as one population, column by column.
    fn population(engine: &Engine, households: &[Household]) -> Population {
        let column = |values: Vec<&Value>| -> Arc<Column> {
            Arc::new(match values.first() {
                Some(Value::Bool(_)) => Column::Bool(
                    values
                        .iter()
                        .map(|v| matches!(v, Value::Bool(true)))
                        .collect(),
                ),
                Some(Value::Text(_)) => Column::Text(super::columnar::Texts::from_values(
                    values.iter().map(|v| {
                        if let Value::Text(t) = v {
                            t.clone()
                        } else {
                            "".into()
                        }
                    }),
                )),
                Some(Value::Date(_)) => Column::Date(
                    values
                        .iter()
                        .map(|v| {
                            if let Value::Date(d) = v {
                                *d
                            } else {
                                Default::default()
                            }
                        })
                        .collect(),
                ),
                _ => Column::Num(
                    values
                        .iter()
                        .map(|v| {
                            if let Value::Num(n) = v {
                                *n
                            } else {
                                Default::default()
                            }
                        })
                        .collect(),
                ),
            })
        };
        let mut pop = Population {
            households: households.len(),
            ..Population::default()
        };
        let n_in = |e: Entity| engine.inputs(e).count();
        pop.inputs[0] = (0..n_in(Entity::Household))
            .map(|i| column(households.iter().map(|h| &h.inputs[i]).collect()))
            .collect();
        let members: Vec<(u32, &Vec<Value>)> = households
            .iter()
            .enumerate()
            .flat_map(|(h, x)| x.members.iter().map(move |m| (h as u32, m)))
            .collect();
        let supporters: Vec<(u32, &Vec<Value>)> = households
            .iter()
            .enumerate()
            .flat_map(|(h, x)| x.supporters.iter().map(move |m| (h as u32, m)))
            .collect();
        pop.inputs[1] = (0..n_in(Entity::Person))
            .map(|i| column(members.iter().map(|(_, m)| &m[i]).collect()))
            .collect();
        pop.inputs[2] = (0..n_in(Entity::Supporter))
            .map(|i| column(supporters.iter().map(|(_, m)| &m[i]).collect()))
            .collect();
        pop.person_household = members.iter().map(|(h, _)| *h).collect();
        pop.supporter_household = supporters.iter().map(|(h, _)| *h).collect();
        pop
    }

    #[test]
    fn column_and_household_evaluation_give_the_same_values() {
        let engine = rp1_pingyang();
        let households: Vec<Household> = engine
            .pack
            .tests
            .iter()
            .map(|t| testing::household_of(&engine, t).unwrap())
            .collect();
        let pop = population(&engine, &households);
        let dated = engine.on(engine.pack.tests[0].date).unwrap();
        let mut columns = dated.evaluate_population(&pop);
        let names: Vec<String> = engine
            .pack
            .variables
            .iter()
            .filter(|v| v.entity == Entity::Household)
            .map(|v| v.name.clone())
            .collect();
        assert!(names.len() >= 10);
        for name in &names {
            let col = columns
                .household(engine.household_var(name).unwrap())
                .unwrap();
            for (i, h) in households.iter().enumerate() {
                assert_eq!(
                    col.get(i),
                    dated.evaluate(h).get(name).unwrap(),
                    "{name} of household {i}"
                );
            }
        }
    }

    #[test]
    fn a_row_error_names_its_row_and_an_untaken_branch_is_no_error() {
        let engine = rp1_pingyang();
        let t = &engine.pack.tests[0];
        let good = Household {
            inputs: testing::row(&engine, Entity::Household, &t.household).unwrap(),
            members: vec![testing::row(&engine, Entity::Person, &t.members[0]).unwrap()],
            supporters: Vec::new(),
        };
        let empty = Household {
            members: Vec::new(),
            ..good.clone()
        };
        let pop = population(&engine, &[good.clone(), empty]);
        let dated = engine.on(t.date).unwrap();
        let mut ev = dated.evaluate_population(&pop);
        // amount divides only where eligible; the empty household's pcm divides by zero.
        assert!(
            ev.household(engine.household_var("amount").unwrap())
                .is_ok()
        );
        let e = ev
            .household(engine.household_var("pcm").unwrap())
            .unwrap_err();
        assert_eq!(
            (e.row, e.variable.as_str(), e.msg.as_str()),
            (1, "pcm", "division by zero")
        );
    }
}
