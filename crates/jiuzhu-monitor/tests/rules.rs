//! The workload-m rules on hand-made feeds at their boundaries: the first and last day of
//! the window and the month, a sum exactly at the threshold and one fen over, categories that
//! do not count, and people who are not in the population.

use jiuzhu_monitor::{Month, RuleSet, alerts_csv, run, shipped_files};

fn write(dir: &std::path::Path, name: &str, header: &str, rows: &[&str]) {
    let mut s = format!("{header}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    std::fs::write(dir.join(format!("{name}.csv")), s).unwrap();
}

#[tokio::test]
async fn each_rule_at_its_boundaries() {
    let dir = std::env::temp_dir().join(format!("jiuzhu-monitor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write(
        &dir,
        "population",
        "id_number,household_id,region_code,category,is_main_laborer",
        &[
            "P1,H1,330326100201,dibao,1",
            "P2,H2,330326100201,edge,0",
            "P3,H3,330326100201,lowinc,1",
            "P4,H4,330326100201,tekun,0",
            "P5,H5,330326100201,monitored,1",
        ],
    );
    write(
        &dir,
        "medical",
        "id_number,settle_date,total_cost,out_of_pocket",
        &[
            "P1,2025-11-01,12000.00,10000.00", // P1: exactly 20000.00 in the window: no alert
            "P1,2026-10-31,12000.00,10000.00",
            "P2,2025-11-01,20000.00,15000.00", // P2: 20000.01: alert
            "P2,2026-10-31,6000.00,5000.01",
            "P3,2025-10-31,40000.00,30000.00", // P3: the day before the window
            "P3,2026-11-01,40000.00,30000.00", // and the day after the month
            "OUT,2026-05-01,90000.00,50000.00", // not in the population
        ],
    );
    write(
        &dir,
        "deaths",
        "id_number,death_date",
        &[
            "P1,2026-10-31", // main labourer, last day of the month: H1
            "P2,2026-10-15", // not the main labourer
            "P3,2026-11-01", // after the month
            "OUT,2026-10-10",
        ],
    );
    write(
        &dir,
        "disability",
        "id_number,category,grade,cert_date",
        &[
            "P2,1,2,2026-10-01", // grade 2, first day of the month
            "P5,1,3,2026-10-10", // grade 3
            "P4,1,1,2026-09-30", // the day before the month
        ],
    );
    write(
        &dir,
        "prison",
        "id_number,admit_date",
        &[
            "P4,2010-01-01", // tekun, long ago: counts (no lower bound)
            "P2,2026-10-01", // edge: not a recipient category
            "P1,2026-11-01", // after the month's end
        ],
    );
    write(
        &dir,
        "vehicles",
        "id_number,plate,price,reg_date",
        &[
            "P2,浙C12345,50000.01,2025-11-01", // one fen over, first day of the window: H2
            "P1,浙C22222,50000.00,2026-10-31", // exactly at the threshold
            "P4,浙C33333,60000.00,2025-10-31", // the day before the window
            "P3,浙C44444,90000.00,2026-06-01", // lowinc: not a category that counts
        ],
    );
    write(
        &dir,
        "unemployment",
        "id_number,reg_date",
        &[
            "P3,2026-10-31", // lowinc, last day of the month
            "P1,2026-10-10", // dibao: not a category that counts
            "P5,2026-09-30", // the day before the month
            "P3,2026-10-01", // a repeated row of the same person: one alert
        ],
    );
    let set = RuleSet::from_files("workload-m", &shipped_files("workload-m").unwrap()).unwrap();
    let alerts = run(&dir, &set, Month::parse("2026-10").unwrap())
        .await
        .unwrap();
    assert_eq!(
        alerts_csv(&alerts),
        "rule,subject\n\
         breadwinner_death,H1\n\
         incarcerated_recipient,P4\n\
         large_medical,P2\n\
         new_severe_disability,P2\n\
         unemployment_registered,P3\n\
         vehicle_purchase,H2\n"
    );
    // A county's own threshold: Taishun's 47,000 leaves P2's 20,000.01 out.
    let mut taishun = set.clone();
    taishun
        .params
        .insert("large_medical_threshold".into(), "47000.00".into());
    let alerts = run(&dir, &taishun, Month::parse("2026-10").unwrap())
        .await
        .unwrap();
    assert!(!alerts.iter().any(|(r, _)| r == "large_medical"));
    // A missing feed is named.
    std::fs::remove_file(dir.join("prison.csv")).unwrap();
    let e = run(&dir, &set, Month::parse("2026-10").unwrap())
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("prison.csv: missing"), "{e}");
    std::fs::remove_dir_all(dir).ok();
}

/// County values: the same rule runs with Taishun's line for Taishun's population and the
/// set's line elsewhere, and the standard set's new rules find what they describe.
#[tokio::test]
async fn county_values_and_the_standard_rules() {
    let dir = std::env::temp_dir().join(format!("jiuzhu-monitor-county-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write(
        &dir,
        "population",
        "id_number,household_id,region_code,category,is_main_laborer",
        &[
            "PY,H1,330326100201,dibao,1",  // Pingyang: 20,000
            "TS1,H2,330329100201,dibao,1", // Taishun: 47,000
            "TS2,H3,330329100201,dibao,1",
            "LC,H4,330302001001,lowinc,1", // Lucheng: the set's 20,000
        ],
    );
    write(
        &dir,
        "medical",
        "id_number,settle_date,total_cost,out_of_pocket",
        &[
            "PY,2026-10-01,30000,25000.00",
            "TS1,2026-10-01,30000,25000.00",
            "TS2,2026-10-01,60000,47000.01",
            "LC,2026-10-01,30000,20000.01",
        ],
    );
    for (name, header) in [
        ("deaths", "id_number,death_date"),
        ("disability", "id_number,category,grade,cert_date"),
        ("prison", "id_number,admit_date"),
        ("vehicles", "id_number,plate,price,reg_date"),
        ("unemployment", "id_number,reg_date"),
    ] {
        write(&dir, name, header, &[]);
    }
    let mut set = RuleSet::from_files("workload-m", &shipped_files("workload-m").unwrap()).unwrap();
    set.counties.insert(
        "330329".into(),
        [(
            "large_medical_threshold".to_string(),
            "47000.00".to_string(),
        )]
        .into(),
    );
    assert_eq!(
        set.param_in("large_medical_threshold", "330329"),
        Some("47000.00")
    );
    assert_eq!(
        set.param_in("large_medical_threshold", "330302"),
        Some("20000.00")
    );
    let alerts = run(&dir, &set, Month::parse("2026-10").unwrap())
        .await
        .unwrap();
    let medical: Vec<&str> = alerts
        .iter()
        .filter(|(r, _)| r == "large_medical")
        .map(|(_, s)| s.as_str())
        .collect();
    assert_eq!(medical, ["LC", "PY", "TS2"]);
    std::fs::remove_dir_all(dir).ok();

    // The standard set: parameters, county values and rule descriptions load and check.
    let standard = jiuzhu_monitor::load_rule_set("standard").unwrap();
    assert_eq!(standard.rules.len(), 12);
    assert_eq!(
        standard.param_in("large_medical_threshold", "330329"),
        Some("47000.00")
    );
    let grant = standard.rule("medical_grant").unwrap();
    assert_eq!(
        (grant.meta.action.as_str(), grant.meta.grants.as_deref()),
        ("assist", Some("temporary"))
    );
    // A description of a rule that does not exist, or a bad severity, is refused by name.
    let mut files = shipped_files("workload-m").unwrap();
    files[0].1.push_str("\n[rules.nope]\nseverity = \"high\"\n");
    let e = RuleSet::from_files("x", &files).unwrap_err().to_string();
    assert!(e.contains("[rules.nope]"), "{e}");
    let mut files = shipped_files("workload-m").unwrap();
    files[0].1 = files[0]
        .1
        .replace("action = \"suspend\"", "action = \"shout\"");
    let e = RuleSet::from_files("x", &files).unwrap_err().to_string();
    assert!(
        e.contains("incarcerated_recipient") && e.contains("action"),
        "{e}"
    );
}

/// The six rules added to workload M's in the standard set, each at its boundaries.
#[tokio::test]
async fn the_standard_rules_at_their_boundaries() {
    let dir = std::env::temp_dir().join(format!("jiuzhu-monitor-std-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write(
        &dir,
        "population",
        "id_number,household_id,region_code,category,is_main_laborer",
        &[
            "D1,H1,330302001001,dibao,1",
            "E1,H2,330302001001,edge,1",
            "L1,H3,330302001001,lowinc,1",
            "T1,H4,330302001001,tekun,0",
            "M1,H5,330302001001,monitored,1",
        ],
    );
    for (name, header) in [
        ("deaths", "id_number,death_date"),
        ("disability", "id_number,category,grade,cert_date"),
        ("prison", "id_number,admit_date"),
        ("vehicles", "id_number,plate,price,reg_date"),
        ("unemployment", "id_number,reg_date"),
    ] {
        write(&dir, name, header, &[]);
    }
    write(
        &dir,
        "medical",
        "id_number,settle_date,total_cost,out_of_pocket",
        &[
            "L1,2026-10-01,9000,3000.00", // lowinc: 5000.01 in the month over two rows
            "L1,2026-10-31,9000,2000.01",
            "E1,2026-10-15,9000,5000.00", // exactly at the line
            "T1,2026-10-15,9000,9000.00", // tekun: not a category the grant covers
            "M1,2026-09-30,9000,9000.00", // outside the month
            "X1,2026-10-15,9000,9000.00", // not in the population
        ],
    );
    write(
        &dir,
        "social_insurance",
        "id_number,month,wage_base",
        &[
            "E1,2026-09,4000.00", // edge: 1999.99 < half of 4000: drop
            "E1,2026-10,1999.99",
            "L1,2026-09,4000.00", // exactly half: no drop
            "L1,2026-10,2000.00",
            "M1,2026-09,3000.00", // contributed last month, not this month: drop
            "D1,2026-10,4000.01", // dibao recipient one fen over the line
            "T1,2026-10,4000.00", // tekun exactly at the line
            "D1,2026-09,9000.00", // last month does not count for the line
        ],
    );
    write(
        &dir,
        "diagnoses",
        "id_number,disease,severity,cert_date",
        &[
            "L1,尿毒症,major,2026-10-31",
            "M1,高血压,chronic,2026-10-01",
            "E1,感冒,minor,2026-10-10", // not chronic or major
            "T1,肿瘤,major,2026-11-01", // after the month
        ],
    );
    write(
        &dir,
        "real_estate",
        "id_number,certificate,area,reg_date",
        &[
            "E1,C-1,80,2026-10-31", // edge household, last day
            "L1,C-2,80,2026-10-15", // lowinc: not a recipient
            "D1,C-3,80,2026-09-30", // the day before the month
        ],
    );
    write(
        &dir,
        "college_admissions",
        "id_number,school,admit_date",
        &[
            "D1,温州大学,2026-10-01", // dibao household, first day
            "E1,温州大学,2026-10-01", // edge: not dibao or tekun
        ],
    );
    let set = jiuzhu_monitor::load_rule_set("standard").unwrap();
    let alerts = run(&dir, &set, Month::parse("2026-10").unwrap())
        .await
        .unwrap();
    let of = |rule: &str| -> Vec<String> {
        alerts
            .iter()
            .filter(|(r, _)| r == rule)
            .map(|(_, s)| s.clone())
            .collect()
    };
    assert_eq!(of("medical_grant"), ["L1"]);
    assert_eq!(of("income_drop"), ["E1", "M1"]);
    assert_eq!(of("wage_base_above_line"), ["D1"]);
    assert_eq!(of("disease_diagnosis"), ["L1", "M1"]);
    assert_eq!(of("property_bought"), ["H2"]);
    assert_eq!(of("college_entry"), ["D1"]);
    std::fs::remove_dir_all(dir).ok();
}
