//! The `jiuzhu policy` command-line contracts, run on the built binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
}

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jiuzhu-policy-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn id(birth: &str, seq: u32) -> String {
    let first17 = format!("330326{birth}{seq:03}");
    format!(
        "{first17}{}",
        jiuzhu_domain::id_number::check_character(&first17).unwrap()
    )
}

/// Four households whose results were computed by hand from SPEC.md (see packs/rp1/tests.toml).
fn write_workload(d: &Path) {
    std::fs::write(d.join("params.csv"), "county_code,dibao_standard_monthly,urban_min_wage_monthly,rural_disposable_income_annual\n330326,1100.00,2010.00,30105.00\n330327,1000.00,2000.00,30000.00\n").unwrap();
    std::fs::write(
        d.join("households.csv"),
        "household_id,region_code,hukou,has_land,deposits,vehicle_value,house_count\n\
         H0000000004,330326100201,rural,1,0.00,0.00,1\n\
         H0000000001,330326100201,urban,0,0.00,0.00,1\n\
         H0000000002,330326100201,rural,1,0.00,0.00,1\n\
         H0000000003,330326100201,urban,0,0.00,0.00,1\n",
    )
    .unwrap();
    let p = |id: &str,
             h: &str,
             birth: &str,
             health: u8,
             student: u8,
             wage: &str,
             pension: &str,
             medical: &str| {
        format!("{id},{h},{birth},{health},{student},{wage},{pension},{medical},0.00,0.00\n")
    };
    let mut persons = String::from(
        "id_number,household_id,birth_date,health,student,declared_wage_monthly,pension_monthly,medical_oop_annual,tuition_annual,pension_premium_annual\n",
    );
    persons += &p(
        &id("19900501", 1),
        "H0000000001",
        "1990-05-01",
        1,
        0,
        "500.00",
        "0.00",
        "0.00",
    );
    persons += &p(
        &id("19500101", 2),
        "H0000000002",
        "1950-01-01",
        2,
        0,
        "0.00",
        "200.00",
        "0.00",
    );
    persons += &p(
        &id("19560615", 3),
        "H0000000002",
        "1956-06-15",
        1,
        0,
        "0.00",
        "200.00",
        "0.00",
    );
    persons += &p(
        &id("19800101", 4),
        "H0000000003",
        "1980-01-01",
        5,
        0,
        "999.50",
        "0.00",
        "0.00",
    );
    persons += &p(
        &id("19750301", 5),
        "H0000000004",
        "1975-03-01",
        2,
        0,
        "0.00",
        "0.00",
        "1000.50",
    );
    persons += &p(
        &id("20101101", 6),
        "H0000000004",
        "2010-11-01",
        1,
        1,
        "0.00",
        "0.00",
        "0.00",
    );
    std::fs::write(d.join("persons.csv"), persons).unwrap();
    std::fs::write(
        d.join("supporters.csv"),
        format!(
            "household_id,supporter_id,annual_income,status,has_luxury\nH0000000004,{},40000.00,normal,0\nH0000000004,{},30000.00,dibao,1\nH0000000004,{},50000.00,normal,1\n",
            id("19500707", 7),
            id("19500808", 8),
            id("19500909", 9)
        ),
    )
    .unwrap();
}

#[test]
fn policy_run_writes_results_exactly_as_the_spec_says() {
    let d = dir("run");
    write_workload(&d);
    let out = d.join("results.csv");
    let status = bin()
        .args([
            "policy",
            "run",
            "--pack",
            "rp1",
            "--date",
            "2026-11-01",
            "--input",
        ])
        .arg(&d)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "household_id,pcm,eligible,amount,circle\n\
         H0000000001,1340.00,0,0,2\n\
         H0000000002,200.00,1,1800,1\n\
         H0000000003,999.50,1,101,1\n\
         H0000000004,626.29,1,947,1\n"
    );
    std::fs::remove_dir_all(d).ok();
}

fn run_rp1(d: &Path, out: &Path) -> std::process::Output {
    bin()
        .args([
            "policy",
            "run",
            "--pack",
            "rp1",
            "--date",
            "2026-11-01",
            "--input",
        ])
        .arg(d)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn policy_run_reads_quoted_fields_crlf_and_blank_lines_alike() {
    let d = dir("shapes");
    write_workload(&d);
    let plain = d.join("plain.csv");
    assert!(run_rp1(&d, &plain).status.success());
    // The same rows as a spreadsheet might save them: CRLF line ends, a blank line, quotes.
    let h = std::fs::read_to_string(d.join("households.csv")).unwrap();
    std::fs::write(
        d.join("households.csv"),
        h.replace('\n', "\r\n")
            .replace("H0000000002,", "\"H0000000002\",")
            .replacen("\r\n", "\r\n\r\n", 2),
    )
    .unwrap();
    let p = std::fs::read_to_string(d.join("persons.csv")).unwrap();
    std::fs::write(d.join("persons.csv"), p.replace('\n', "\r\n") + "\r\n").unwrap();
    let shaped = d.join("shaped.csv");
    let o = run_rp1(&d, &shaped);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&plain).unwrap(),
        std::fs::read_to_string(&shaped).unwrap()
    );
    // A row with a field missing is named by its line, quoted file or not.
    for quoted in [false, true] {
        let mut h = String::from(
            "household_id,region_code,hukou,has_land,deposits,vehicle_value,house_count\n\
             H0000000004,330326100201,rural,1,0.00,0.00,1\n\
             H0000000001,330326100201,urban,0,0.00,1\n\
             H0000000002,330326100201,rural,1,0.00,0.00,1\n\
             H0000000003,330326100201,urban,0,0.00,0.00,1\n",
        );
        if quoted {
            h = h.replace("H0000000003", "\"H0000000003\"");
        }
        std::fs::write(d.join("households.csv"), h).unwrap();
        let o = run_rp1(&d, &d.join("bad.csv"));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success()
                && err.contains("households.csv:3: expected 7 fields as in the header, found 6"),
            "{err}"
        );
    }
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn policy_run_reports_bad_input_and_writes_nothing() {
    let d = dir("bad");
    write_workload(&d);
    let h = std::fs::read_to_string(d.join("households.csv")).unwrap();
    std::fs::write(d.join("households.csv"), h + "H0000000005,330399100201,urban,0,0.00,0.00,1\nH0000000006,330326100201,urban,0,-1.00,0.00,1\n").unwrap();
    let p = std::fs::read_to_string(d.join("persons.csv")).unwrap();
    std::fs::write(
        d.join("persons.csv"),
        p + &format!(
            "{},H0000000006,1990-01-01,7,0,0.00,0.00,0.00,0.00,0.00\n",
            id("19900101", 10)
        ),
    )
    .unwrap();
    let out = d.join("results.csv");
    let o = bin()
        .args([
            "policy",
            "run",
            "--pack",
            "rp1",
            "--date",
            "2026-11-01",
            "--input",
        ])
        .arg(&d)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("households.csv:6: region_code: county 330399 has no row in params.csv"),
        "{err}"
    );
    assert!(
        err.contains("households.csv:7: deposits: negative amount -1.00"),
        "{err}"
    );
    assert!(!out.exists(), "no output after bad input");
    // A health code outside 1-6 is an error of that household, not a zero.
    std::fs::write(
        d.join("households.csv"),
        std::fs::read_to_string(d.join("households.csv"))
            .unwrap()
            .replace("H0000000005,330399100201,urban,0,0.00,0.00,1\n", "")
            .replace("-1.00", "0.00"),
    )
    .unwrap();
    let o = bin()
        .args([
            "policy",
            "run",
            "--pack",
            "rp1",
            "--date",
            "2026-11-01",
            "--input",
        ])
        .arg(&d)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains("household H0000000006")
            && err.contains("no entry for row \"7\""),
        "{err}"
    );
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn policy_eval_explains_one_household() {
    let d = dir("eval");
    let file = d.join("h.json");
    std::fs::write(
        &file,
        r#"{"household": {"region_code": "330326100201", "hukou": "urban", "has_land": 0, "deposits": "0.00",
             "vehicle_value": "0.00", "house_count": 1},
            "region_values": {"dibao_standard_monthly": "1100.00", "urban_min_wage_monthly": "2010.00",
             "rural_disposable_income_annual": "30105.00"},
            "members": [{"birth_date": "1980-01-01", "health": 5, "student": 0, "declared_wage_monthly": "999.50",
             "pension_monthly": "0.00", "medical_oop_annual": "0.00", "tuition_annual": "0.00", "pension_premium_annual": "0.00"}]}"#,
    )
    .unwrap();
    let o = bin()
        .args([
            "policy",
            "eval",
            "--pack",
            "rp1",
            "--date",
            "2026-11-01",
            "--household",
        ])
        .arg(&file)
        .arg("--explain")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["programs"][0]["code"], "dibao");
    assert_eq!(j["programs"][0]["eligible"], true);
    assert_eq!(j["programs"][0]["amount"], "101");
    let trace = &j["trace"];
    let income = trace["household"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "income")
        .unwrap();
    assert_eq!(income["value"], "11994");
    assert!(
        income["formula"]
            .as_str()
            .unwrap()
            .contains("sum(members, person_income)")
    );
    let limit = trace["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "veto.vehicle_limit")
        .unwrap();
    assert_eq!(
        (limit["value"].as_str(), limit["since"].as_str()),
        (Some("50000"), Some("2020-01-01"))
    );
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn policy_test_runs_a_packs_cases_and_fails_when_one_fails() {
    let o = bin().args(["policy", "test", "rp1"]).output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("18 passed, 0 failed"));
    // A pack folder that extends rp1 with a wrong expectation.
    let d = dir("test");
    std::fs::write(
        d.join("pack.toml"),
        "[pack]\nname = \"child\"\nversion = \"1\"\nextends = \"rp1\"\n",
    )
    .unwrap();
    let case = jiuzhu_policy::shipped::files("rp1")
        .unwrap()
        .into_iter()
        .find(|f| f.0 == "tests.toml")
        .unwrap()
        .1;
    std::fs::write(
        d.join("tests.toml"),
        case.replacen("amount = 1800", "amount = 1799", 1),
    )
    .unwrap();
    let o = bin().args(["policy", "test"]).arg(&d).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("17 passed, 1 failed") && out.contains("FAIL") && out.contains("tests.toml:"),
        "{out}"
    );
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn the_shipped_packs_cases_take_every_branch() {
    for (pack, branches) in [("rp1", 14), ("national", 32), ("zhejiang-wenzhou", 32)] {
        let o = bin().args(["policy", "test", pack]).output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        let outcomes = 2 * branches;
        assert!(
            o.status.success()
                && out.contains(&format!("branches: {outcomes} of {outcomes} outcomes"))
                && !out.contains("untaken"),
            "{pack}: {out}"
        );
    }
    // A pack whose cases leave a branch of its own formulas untaken is told which.
    let d = dir("coverage");
    std::fs::write(
        d.join("pack.toml"),
        "[pack]\nname = \"bonus\"\nversion = \"1\"\nextends = \"rp1\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("variables.toml"),
        "[[variable]]\nname = \"bonus\"\nentity = \"household\"\nformula = \"if(size > 5, 100, 0)\"\n",
    )
    .unwrap();
    let rp1 = jiuzhu_policy::shipped::files("rp1").unwrap();
    let cases = &rp1.iter().find(|f| f.0 == "tests.toml").unwrap().1;
    // rp1's first case (one person), asked only for the bonus.
    let first = cases.split("\n[[test]]").nth(1).unwrap();
    let first = first
        .lines()
        .map(|l| {
            if l.starts_with("expect") {
                "expect = { bonus = 0 }"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(d.join("tests.toml"), format!("[[test]]{first}\n")).unwrap();
    let o = bin().args(["policy", "test"]).arg(&d).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("branches: 29 of 30 outcomes")
            && out.contains("untaken: bonus: if(size > 5) is never true in a test"),
        "{out}"
    );
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn a_receipt_replays_and_a_forged_one_is_caught() {
    let d = dir("receipt");
    let file = d.join("h.json");
    std::fs::write(
        &file,
        r#"{"household": {"region_code": "330326100201", "hukou": "rural", "has_land": 1, "deposits": "0.00",
             "vehicle_value": "0.00", "house_count": 1},
            "region_values": {"dibao_standard_monthly": "1100.00", "urban_min_wage_monthly": "2010.00",
             "rural_disposable_income_annual": "30105.00"},
            "members": [{"birth_date": "1950-01-01", "health": 2, "student": 0, "declared_wage_monthly": "0.00",
             "pension_monthly": "200.00", "medical_oop_annual": "0.00", "tuition_annual": "0.00", "pension_premium_annual": "0.00"}]}"#,
    )
    .unwrap();
    let receipt = d.join("receipt.json");
    let o = bin()
        .args([
            "policy",
            "eval",
            "--pack",
            "rp1",
            "--date",
            "2026-11-01",
            "--household",
        ])
        .arg(&file)
        .arg("--receipt")
        .arg(&receipt)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let cond = &j["programs"][0]["conditions"];
    let line = cond
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["condition"] == "income < annual_line")
        .unwrap();
    assert_eq!(
        (
            line["left"].as_str(),
            line["right"].as_str(),
            line["held"].as_bool(),
            line["difference"].as_str()
        ),
        (Some("2400"), Some("13200"), Some(true), Some("-10800"))
    );
    let o = bin()
        .args(["policy", "replay"])
        .arg(&receipt)
        .output()
        .unwrap();
    assert!(o.status.success() && String::from_utf8_lossy(&o.stdout).starts_with("identical"));
    let text = std::fs::read_to_string(&receipt).unwrap();
    std::fs::write(
        &receipt,
        text.replacen("\"amount\": \"900\"", "\"amount\": \"990\"", 1),
    )
    .unwrap();
    let o = bin()
        .args(["policy", "replay"])
        .arg(&receipt)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("TAMPERED"));
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn simulate_reports_a_reform_by_county_with_the_changed_households() {
    let d = dir("simulate");
    write_workload(&d);
    let reform = d.join("reform.toml");
    std::fs::write(&reform, "name = \"dibao standard +5%\"\n[[change]]\nparameter = \"dibao_standard_monthly\"\nfrom = \"2026-11-01\"\nscale = \"1.05\"\n").unwrap();
    let out = d.join("sim");
    let o = bin()
        .args([
            "simulate",
            "--pack",
            "rp1",
            "--date",
            "2026-11-01",
            "--input",
        ])
        .arg(&d)
        .arg("--reform")
        .arg(&reform)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(out.join("counties.csv")).unwrap(),
        "county,program,period,households,eligible_before,eligible_after,total_before,total_after,gain,lose,circle_changed\n\
         330326,dibao,monthly,4,3,3,2848.00,3123.00,3,0,0\n"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("changes.csv")).unwrap(),
        "household_id,county,program,eligible_before,eligible_after,amount_before,amount_after,circle_before,circle_after,reason\n\
         H0000000002,330326,dibao,1,1,1800,1910,1,1,amount +110\n\
         H0000000003,330326,dibao,1,1,101,156,1,1,amount +55\n\
         H0000000004,330326,dibao,1,1,947,1057,1,1,amount +110\n"
    );
    // A reform naming an unknown parameter is refused with the change's number.
    std::fs::write(&reform, "name = \"x\"\n[[change]]\nparameter = \"no_such\"\nfrom = \"2026-11-01\"\nscale = \"1.05\"\n").unwrap();
    let o = bin()
        .args([
            "simulate",
            "--pack",
            "rp1",
            "--date",
            "2026-11-01",
            "--input",
        ])
        .arg(&d)
        .arg("--reform")
        .arg(&reform)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        !o.status.success()
            && String::from_utf8_lossy(&o.stderr).contains("change 1: no parameter no_such")
    );
    std::fs::remove_dir_all(d).ok();
}

#[test]
fn calendar_due_counts_working_days_with_make_up_days() {
    let o = bin()
        .args([
            "calendar",
            "due",
            "--from",
            "2026-09-30",
            "--working-days",
            "3",
        ])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stdout), "2026-10-10\n");
    let o = bin()
        .args([
            "calendar",
            "due",
            "--from",
            "2026-12-30",
            "--working-days",
            "3",
        ])
        .output()
        .unwrap();
    // 2027's arrangement is not published: weekends and the statutory New Year's Day count.
    assert_eq!(String::from_utf8_lossy(&o.stdout), "2027-01-05\n");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no complete holiday arrangement for 2027")
    );
}

#[test]
fn monitor_run_writes_alerts_csv_for_a_shipped_rule_set() {
    let d = dir("monitor");
    let files: [(&str, &str); 7] = [
        (
            "population",
            "id_number,household_id,region_code,category,is_main_laborer\nP1,H1,330326100201,dibao,1\nP2,H2,330326100201,edge,0\n",
        ),
        (
            "medical",
            "id_number,settle_date,total_cost,out_of_pocket\nP2,2026-03-01,30000.00,20000.01\n",
        ),
        ("deaths", "id_number,death_date\nP1,2026-10-31\n"),
        ("disability", "id_number,category,grade,cert_date\n"),
        ("prison", "id_number,admit_date\n"),
        ("vehicles", "id_number,plate,price,reg_date\n"),
        ("unemployment", "id_number,reg_date\n"),
    ];
    for (name, text) in files {
        std::fs::write(d.join(format!("{name}.csv")), text).unwrap();
    }
    let out = d.join("alerts.csv");
    let o = bin()
        .args([
            "monitor",
            "run",
            "--rules",
            "workload-m",
            "--month",
            "2026-10",
            "--input",
        ])
        .arg(&d)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "rule,subject\nbreadwinner_death,H1\nlarge_medical,P2\n"
    );
    let o = bin()
        .args([
            "monitor",
            "run",
            "--rules",
            "no-such-rules",
            "--month",
            "2026-10",
            "--input",
        ])
        .arg(&d)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("no rule set"));
    std::fs::remove_dir_all(d).ok();
}
