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
