use super::*;

#[test]
fn the_month_and_its_window() {
    let m = Month::parse("2026-10").unwrap();
    assert_eq!(
        (
            m.start.to_string(),
            m.end.to_string(),
            m.window_start.to_string()
        ),
        (
            "2026-10-01".into(),
            "2026-10-31".into(),
            "2025-11-01".into()
        )
    );
    assert_eq!(
        Month::parse("2024-02").unwrap().end.to_string(),
        "2024-02-29"
    );
    assert!(Month::parse("2026-13").is_err() && Month::parse("2026-1").is_err());
}

#[test]
fn parameters_are_substituted_and_checked() {
    let set = RuleSet::from_files("workload-m", &shipped_files("workload-m").unwrap()).unwrap();
    assert_eq!(set.rules.len(), 6);
    let m = Month::parse("2026-10").unwrap();
    let sql = set
        .sql(&set.rule("large_medical").unwrap().clone(), &m)
        .unwrap();
    assert!(
        sql.contains("'2025-11-01'") && sql.contains("> 20000.00"),
        "{sql}"
    );
    let bad = Rule {
        name: "x".into(),
        sql: "SELECT {nope}".into(),
        meta: RuleMeta::for_rule("x"),
    };
    assert!(
        set.sql(&bad, &m)
            .unwrap_err()
            .to_string()
            .contains("unknown parameter {nope}")
    );
}
