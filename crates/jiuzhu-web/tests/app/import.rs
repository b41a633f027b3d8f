//! `jiuzhu import registry`: bad rows named precisely, good rows in, idempotent, whole
//! households per transaction, CSV and XLSX alike.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;
use jiuzhu_app::roster::{ImportOptions, import_dir};
use jiuzhu_db::audit::Actor;
use jiuzhu_db::households::{self, Scope};
use jiuzhu_domain::{EvidenceSource, Role};

use crate::*;

fn id(birth: &str, seq: u32) -> String {
    let first17 = format!("330326{birth}{seq:03}");
    format!(
        "{first17}{}",
        jiuzhu_domain::id_number::check_character(&first17).unwrap()
    )
}

fn wrong_check(id: &str) -> String {
    let c = if id.ends_with('0') { '1' } else { '0' };
    format!("{}{c}", &id[..17])
}

fn opts() -> ImportOptions {
    ImportOptions {
        as_of: jiuzhu_domain::parse_date("2026-11-01").unwrap(),
        source: EvidenceSource::Declared,
        actor: Actor::system("test"),
        batch: 2,
        scope: String::new(),
        label: None,
    }
}

/// The roster of the tests: rows 2-3 good, each later row wrong in one way.
fn roster(village: &str) -> Vec<(&'static str, Vec<Vec<String>>)> {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let a = id("19800101", 11);
    let b = id("19820202", 22);
    let c = id("20100303", 33);
    let d = id("19500404", 44);
    vec![
        (
            "households",
            vec![
                s(&[
                    "household_id",
                    "region_code",
                    "hukou",
                    "has_land",
                    "deposits",
                    "vehicle_value",
                    "house_count",
                    "address",
                ]),
                s(&[
                    "H0000000001",
                    village,
                    "rural",
                    "1",
                    "12000.50",
                    "0.00",
                    "1",
                    "一号",
                ]),
                s(&[
                    "H0000000002",
                    village,
                    "urban",
                    "0",
                    "0.00",
                    "0.00",
                    "0",
                    "二号",
                ]),
                s(&[
                    "H0000000003",
                    "330326999999",
                    "rural",
                    "0",
                    "0.00",
                    "0.00",
                    "0",
                    "unknown village",
                ]),
                s(&[
                    "H0000000004",
                    village,
                    "rural",
                    "0",
                    "12.345",
                    "0.00",
                    "0",
                    "three decimals",
                ]),
            ],
        ),
        (
            "persons",
            vec![
                s(&[
                    "id_number",
                    "household_id",
                    "birth_date",
                    "health",
                    "student",
                    "declared_wage_monthly",
                    "pension_monthly",
                    "medical_oop_annual",
                    "tuition_annual",
                    "pension_premium_annual",
                    "name",
                    "sex",
                    "phone",
                    "relation",
                ]),
                s(&[
                    &a,
                    "H0000000001",
                    "1980-01-01",
                    "1",
                    "0",
                    "2300.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "张三",
                    "M",
                    "13800000001",
                    "head",
                ]),
                s(&[
                    &c,
                    "H0000000001",
                    "2010-03-03",
                    "1",
                    "1",
                    "0.00",
                    "0.00",
                    "0.00",
                    "1200.00",
                    "0.00",
                    "张小",
                    "M",
                    "",
                    "child",
                ]),
                s(&[
                    &b,
                    "H0000000002",
                    "1982-02-02",
                    "2",
                    "0",
                    "1800.5",
                    "0.00",
                    "800.00",
                    "0.00",
                    "0.00",
                    "李四",
                    "F",
                    "",
                    "",
                ]),
                s(&[
                    &wrong_check(&d),
                    "H0000000002",
                    "1950-04-04",
                    "1",
                    "0",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "王五",
                    "",
                    "",
                    "",
                ]),
                s(&[
                    &d,
                    "H0000000009",
                    "1950-04-04",
                    "1",
                    "0",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "赵六",
                    "",
                    "",
                    "",
                ]),
                s(&[
                    &a,
                    "H0000000002",
                    "1980-01-01",
                    "1",
                    "0",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "张三",
                    "",
                    "",
                    "",
                ]),
                s(&[
                    &id("19600505", 55),
                    "H0000000002",
                    "1960-05-05",
                    "7",
                    "0",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "孙七",
                    "",
                    "",
                    "",
                ]),
                s(&[
                    &id("19610606", 66),
                    "H0000000002",
                    "1961-06-06",
                    "1",
                    "0",
                    "abc",
                    "0.00",
                    "0.00",
                    "0.00",
                    "0.00",
                    "周八",
                    "",
                    "",
                    "",
                ]),
            ],
        ),
        (
            "supporters",
            vec![
                s(&[
                    "household_id",
                    "supporter_id",
                    "annual_income",
                    "status",
                    "has_luxury",
                ]),
                s(&[
                    "H0000000001",
                    &id("19550707", 77),
                    "36000.00",
                    "normal",
                    "0",
                ]),
                s(&[
                    "H0000000002",
                    &id("19550707", 77),
                    "36000.00",
                    "normal",
                    "1",
                ]),
                s(&["H0000000002", &id("19560808", 88), "-5.00", "normal", "0"]),
            ],
        ),
    ]
}

/// The number of rows of `table`.
async fn rows(db: &jiuzhu_db::Db, table: &str) -> i64 {
    jiuzhu_db::sqlx::Row::try_get(
        &jiuzhu_db::sqlx::query(jiuzhu_db::sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table}"
        )))
        .fetch_one(db.pool())
        .await
        .unwrap(),
        0,
    )
    .unwrap()
}

fn write_csv(dir: &Path, tables: &[(&str, Vec<Vec<String>>)]) {
    for (name, rows) in tables {
        let text: String = rows.iter().map(|r| r.join(",") + "\n").collect();
        std::fs::write(dir.join(format!("{name}.csv")), text).unwrap();
    }
}

fn write_xlsx(dir: &Path, tables: &[(&str, Vec<Vec<String>>)]) {
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in tables {
        let sheet = book.add_worksheet().set_name(*name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                sheet.write_string(r as u32, c as u16, v).unwrap();
            }
        }
    }
    book.save(dir.join("roster.xlsx")).unwrap();
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "jiuzhu-import-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

async fn check_import(b: jiuzhu_db::Backend, xlsx: bool) {
    let db = fresh_db(b).await;
    let village = jiuzhu_db::regions::villages_under(&db, PINGYANG)
        .await
        .unwrap()[0]
        .0
        .clone();
    let dir = temp_dir(if xlsx { "xlsx" } else { "csv" });
    let tables = roster(&village);
    if xlsx {
        write_xlsx(&dir, &tables)
    } else {
        write_csv(&dir, &tables)
    }
    let report = import_dir(&db, &dir, &opts(), &mut |_| {}).await.unwrap();
    let (hf, pf, sf) = if xlsx {
        (
            "roster.xlsx[households]",
            "roster.xlsx[persons]",
            "roster.xlsx[supporters]",
        )
    } else {
        ("households.csv", "persons.csv", "supporters.csv")
    };
    let got: Vec<(String, usize, String)> = report
        .errors
        .iter()
        .map(|e| (e.file.clone(), e.line, e.column.clone()))
        .collect();
    // H2's refused rows refuse H2 whole: its household row, its good member and its good
    // supporter are named with the lines that caused it.
    let expected = vec![
        (hf.to_string(), 3, "household_id".to_string()),
        (hf.to_string(), 4, "region_code".to_string()),
        (hf.to_string(), 5, "deposits".to_string()),
        (pf.to_string(), 4, "household_id".to_string()),
        (pf.to_string(), 5, "id_number".to_string()),
        (pf.to_string(), 6, "household_id".to_string()),
        (pf.to_string(), 7, "id_number".to_string()),
        (pf.to_string(), 8, "health".to_string()),
        (pf.to_string(), 9, "declared_wage_monthly".to_string()),
        (sf.to_string(), 3, "household_id".to_string()),
        (sf.to_string(), 4, "annual_income".to_string()),
    ];
    assert_eq!(got, expected, "{:#?}", report.errors);
    let reasons: Vec<&str> = report.errors.iter().map(|e| e.reason.as_str()).collect();
    let h2 = format!(
        "household H0000000002 refused: {pf} lines 5, 7, 8, 9 were refused; {sf} line 4 was refused"
    );
    assert_eq!(reasons[0], h2);
    assert_eq!((reasons[3], reasons[9]), (h2.as_str(), h2.as_str()));
    assert!(reasons[1].contains("unknown region"), "{}", reasons[1]);
    assert!(reasons[4].contains("check character"), "{}", reasons[4]);
    assert!(reasons[5].contains("not in"), "{}", reasons[5]);
    assert!(
        reasons[6].contains("duplicate") && reasons[6].contains("line 2"),
        "{}",
        reasons[6]
    );
    assert_eq!(
        (
            report.households_added,
            report.persons_added,
            report.supporters_added
        ),
        (1, 2, 1)
    );
    // What went in is whole and right.
    let scope = Scope::everything();
    let h1 = households::id_by_code(&db, &scope, "H0000000001")
        .await
        .unwrap()
        .unwrap();
    let rec = households::get(&db, &scope, h1).await.unwrap().unwrap();
    assert_eq!(rec.members.len(), 2);
    assert_eq!(
        rec.members
            .iter()
            .find(|m| m.relation == "head")
            .unwrap()
            .name,
        "张三"
    );
    let amount = |kind: &str| {
        rec.evidence
            .iter()
            .find(|e| e.kind == kind)
            .and_then(|e| e.amount_fen)
    };
    assert_eq!(amount("property.deposits"), Some(1_200_050));
    assert_eq!(amount("income.wage"), Some(230_000));
    assert_eq!(amount("expenditure.tuition"), Some(120_000));
    assert!(
        rec.evidence
            .iter()
            .any(|e| e.kind == "schooling" && e.value == "senior"),
        "a 16-year-old student is in senior school"
    );
    assert_eq!(rec.supporters.len(), 1);
    assert!(
        households::id_by_code(&db, &scope, "H0000000002")
            .await
            .unwrap()
            .is_none(),
        "a household with refused rows is not registered in part"
    );
    // Re-running the same import changes nothing.
    let audit_before = jiuzhu_db::audit::search(&db, &Default::default())
        .await
        .unwrap()
        .1;
    let again = import_dir(&db, &dir, &opts(), &mut |_| {}).await.unwrap();
    assert_eq!(
        (
            again.households_added,
            again.persons_added,
            again.supporters_added,
            again.evidence_added
        ),
        (0, 0, 0, 0)
    );
    assert_eq!(again.households_existing, 1);
    assert_eq!(
        jiuzhu_db::audit::search(&db, &Default::default())
            .await
            .unwrap()
            .1,
        audit_before
    );
    std::fs::remove_dir_all(dir).ok();
}

both!(
    csv_roster_bad_rows_are_named_and_reimport_changes_nothing,
    |b| {
        check_import(b, false).await;
    }
);

both!(xlsx_roster_is_read_like_csv, |b| {
    check_import(b, true).await;
});

both!(a_failed_batch_leaves_no_part_of_a_household, |b| {
    let db = fresh_db(b).await;
    let village = jiuzhu_db::regions::villages_under(&db, PINGYANG)
        .await
        .unwrap()[0]
        .0
        .clone();
    let dir = temp_dir("atomic");
    write_csv(&dir, &roster(&village));
    // Sabotage the last step of each batch (a supporter row fails as it is written): the
    // households, persons and evidence written earlier in the transaction must vanish.
    let sabotage: &[&str] = match b {
        jiuzhu_db::Backend::Sqlite => &[
            "CREATE TRIGGER sabotage BEFORE INSERT ON supporters BEGIN SELECT RAISE(ABORT, 'sabotage'); END",
        ],
        jiuzhu_db::Backend::Postgres => &[
            "CREATE FUNCTION sabotage() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'sabotage'; END $$",
            "CREATE TRIGGER sabotage BEFORE INSERT ON supporters FOR EACH ROW EXECUTE FUNCTION sabotage()",
        ],
    };
    for sql in sabotage {
        jiuzhu_db::sqlx::raw_sql(jiuzhu_db::sqlx::AssertSqlSafe(*sql))
            .execute(db.pool())
            .await
            .unwrap();
    }
    let err = import_dir(&db, &dir, &opts(), &mut |_| {})
        .await
        .expect_err("the import fails");
    assert!(err.to_string().contains("sabotage"), "{err}");
    for table in ["households", "persons", "members", "evidence"] {
        assert_eq!(
            rows(&db, table).await,
            0,
            "{table} kept rows of a failed batch"
        );
    }
    std::fs::remove_dir_all(dir).ok();
});

both!(
    a_missing_column_stops_the_import_before_anything_is_written,
    |b| {
        let db = fresh_db(b).await;
        let village = jiuzhu_db::regions::villages_under(&db, PINGYANG)
            .await
            .unwrap()[0]
            .0
            .clone();
        let dir = temp_dir("missing-column");
        write_csv(&dir, &roster(&village));
        // Good households and persons, and a supporters file without its ID column.
        std::fs::write(
            dir.join("supporters.csv"),
            "household_id,annual_income\nH0000000001,100\n",
        )
        .unwrap();
        let err = import_dir(&db, &dir, &opts(), &mut |_| {})
            .await
            .expect_err("the import does not run")
            .to_string();
        assert!(
            err.contains("supporters.csv") && err.contains("supporter_id"),
            "{err}"
        );
        for table in ["households", "persons", "members", "evidence", "supporters"] {
            assert_eq!(
                rows(&db, table).await,
                0,
                "{table} has rows of an import that did not run"
            );
        }
        std::fs::remove_dir_all(dir).ok();
    }
);

both!(a_malformed_csv_row_names_file_and_line, |b| {
    let db = fresh_db(b).await;
    let dir = temp_dir("malformed");
    std::fs::write(
        dir.join("households.csv"),
        "household_id,region_code\nH1,330326100201\nH2\n",
    )
    .unwrap();
    std::fs::write(dir.join("persons.csv"), "id_number,household_id\n").unwrap();
    let err = import_dir(&db, &dir, &opts(), &mut |_| {})
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("households.csv:3"), "{err}");
    std::fs::write(dir.join("households.csv"), "household_id,hukou\nH1,rural\n").unwrap();
    let err = import_dir(&db, &dir, &opts(), &mut |_| {})
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("region_code"), "{err}");
    std::fs::remove_dir_all(dir).ok();
});

both!(a_second_roster_mixes_new_rows_with_registered_ones, |b| {
    let db = fresh_db(b).await;
    let village = jiuzhu_db::regions::villages_under(&db, PINGYANG)
        .await
        .unwrap()[0]
        .0
        .clone();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let hh_head = s(&["household_id", "region_code", "hukou", "deposits"]);
    let p_head = s(&["id_number", "household_id", "declared_wage_monthly"]);
    let hh = |code: &str| s(&[code, village.as_str(), "rural", "100.00"]);
    let (a, b1, c, d, e) = (
        id("19800101", 11),
        id("19820202", 22),
        id("19900303", 33),
        id("19910404", 44),
        id("19920505", 55),
    );
    let first = temp_dir("mixed-1");
    write_csv(
        &first,
        &[
            ("households", vec![hh_head.clone(), hh("H0000000001")]),
            (
                "persons",
                vec![
                    p_head.clone(),
                    s(&[&a, "H0000000001", "1000.00"]),
                    s(&[&b1, "H0000000001", "0.00"]),
                ],
            ),
        ],
    );
    let one = import_dir(&db, &first, &opts(), &mut |_| {}).await.unwrap();
    assert_eq!((one.households_added, one.persons_added), (1, 2));
    // The second roster, in one batch: the registered household again with a new
    // member, a new household, a person registered in the first household listed
    // under the new one (refused), and a new person.
    let second = temp_dir("mixed-2");
    write_csv(
        &second,
        &[
            (
                "households",
                vec![hh_head, hh("H0000000001"), hh("H0000000002")],
            ),
            (
                "persons",
                vec![
                    p_head,
                    s(&[&a, "H0000000001", "1000.00"]),
                    s(&[&c, "H0000000001", "1500.00"]),
                    s(&[&b1, "H0000000002", "0.00"]),
                    s(&[&d, "H0000000002", "2000.00"]),
                    s(&[&e, "H0000000002", "0.00"]),
                ],
            ),
        ],
    );
    let mut o = opts();
    o.batch = 10;
    let two = import_dir(&db, &second, &o, &mut |_| {}).await.unwrap();
    assert_eq!(
        (
            two.households_added,
            two.households_existing,
            two.persons_added,
            two.persons_existing,
            two.evidence_added,
        ),
        // household 2's deposits; c's and d's wages
        (1, 1, 3, 1, 3),
        "{:#?}",
        two.errors
    );
    assert_eq!(two.errors.len(), 1, "{:#?}", two.errors);
    assert_eq!(
        (two.errors[0].line, two.errors[0].column.as_str()),
        (4, "id_number")
    );
    assert!(two.errors[0].reason.contains("another household"));
    let scope = Scope::everything();
    let members = |code: &'static str| {
        let db = &db;
        let scope = &scope;
        async move {
            let id = households::id_by_code(db, scope, code)
                .await
                .unwrap()
                .unwrap();
            let rec = households::get(db, scope, id).await.unwrap().unwrap();
            let mut ids: Vec<(String, Option<i64>)> = rec
                .members
                .iter()
                .map(|m| {
                    let wage = rec
                        .evidence
                        .iter()
                        .find(|e| e.person_id == Some(m.person_id) && e.kind == "income.wage")
                        .and_then(|e| e.amount_fen);
                    (m.id_number.clone(), wage)
                })
                .collect();
            ids.sort();
            ids
        }
    };
    let mut want1 = vec![
        (a.clone(), Some(100_000)),
        (b1.clone(), None),
        (c.clone(), Some(150_000)),
    ];
    want1.sort();
    assert_eq!(members("H0000000001").await, want1);
    let mut want2 = vec![(d.clone(), Some(200_000)), (e.clone(), None)];
    want2.sort();
    assert_eq!(members("H0000000002").await, want2);
    std::fs::remove_dir_all(first).ok();
    std::fs::remove_dir_all(second).ok();
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_writer_refuses_a_batch_with_a_household_or_person_twice() {
    use jiuzhu_db::roster::{BatchOptions, RosterHousehold, RosterPerson, insert_batch};
    let db = fresh_db(jiuzhu_db::Backend::Sqlite).await;
    let village = jiuzhu_db::regions::villages_under(&db, PINGYANG)
        .await
        .unwrap()[0]
        .0
        .clone();
    let person = |n: u32| RosterPerson {
        line: n as usize,
        id_number: jiuzhu_domain::IdNumber::parse(&id("19800101", n)).unwrap(),
        name: String::new(),
        phone: String::new(),
        relation: jiuzhu_domain::Relation::Head,
        evidence: Vec::new(),
    };
    let household = |code: &str, members: Vec<RosterPerson>| RosterHousehold {
        line: Some(2),
        code: code.into(),
        region_code: village.clone(),
        hukou: jiuzhu_domain::Hukou::Rural,
        address: String::new(),
        evidence: Vec::new(),
        members,
        supporters: Vec::new(),
    };
    let opts = BatchOptions {
        as_of: jiuzhu_domain::parse_date("2026-11-01").unwrap(),
        source: EvidenceSource::Declared,
        actor: Actor::system("test"),
        label: "test".into(),
    };
    let twice_household = [
        household("H0000000001", vec![person(1)]),
        household("H0000000001", vec![person(2)]),
    ];
    let err = insert_batch(&db, &twice_household, &opts)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("household H0000000001 is twice"),
        "{err}"
    );
    let twice_person = [
        household("H0000000001", vec![person(1)]),
        household("H0000000002", vec![person(3), person(1)]),
    ];
    let err = insert_batch(&db, &twice_person, &opts).await.unwrap_err();
    assert!(err.to_string().contains("is twice in one batch"), "{err}");
    // Nothing of either batch was written; a good batch still goes in.
    let good = [household("H0000000001", vec![person(1)])];
    let out = insert_batch(&db, &good, &opts).await.unwrap();
    assert_eq!((out.households_added, out.persons_added), (1, 1));
}

both!(
    a_county_approver_imports_a_roster_of_the_county_from_the_browser,
    |b| {
        let mut app = TestApp::new(b).await;
        let inside = jiuzhu_db::regions::villages_under(&app.db, PINGYANG)
            .await
            .unwrap()[0]
            .0
            .clone();
        let outside = jiuzhu_db::regions::villages_under(&app.db, "330302")
            .await
            .unwrap()[0]
            .0
            .clone();
        let mut tables = roster(&inside);
        // A household of another county (鹿城区), with a member of its own.
        let width = |t: &Vec<Vec<String>>| t[0].len();
        let (hw, pw) = (width(&tables[0].1), width(&tables[1].1));
        let mut h = vec![String::new(); hw];
        h[0] = "H0000000077".into();
        h[1] = outside.clone();
        tables[0].1.push(h);
        let mut p = vec![String::new(); pw];
        p[0] = id("19600606", 66);
        p[1] = "H0000000077".into();
        tables[1].1.push(p);
        // A household number registered in another county, listed with a village of
        // Pingyang: using it would add the roster's member to that county's household.
        let foreign: String = jiuzhu_db::sqlx::Row::try_get(
            &jiuzhu_db::sqlx::query(
                "SELECT code FROM households WHERE region_code NOT LIKE '330326%' ORDER BY id LIMIT 1",
            )
            .fetch_one(app.db.pool())
            .await
            .unwrap(),
            0,
        )
        .unwrap();
        let mut h = vec![String::new(); hw];
        h[0] = foreign.clone();
        h[1] = inside.clone();
        tables[0].1.push(h);
        let mut p = vec![String::new(); pw];
        p[0] = id("19610707", 77);
        p[1] = foreign.clone();
        tables[1].1.push(p);
        let dir = temp_dir("web");
        write_xlsx(&dir, &tables);
        let book = std::fs::read(dir.join("roster.xlsx")).unwrap();
        std::fs::remove_dir_all(&dir).ok();

        // Front-line roles may not run bulk imports.
        app.sign_in(Role::WindowClerk).await;
        assert_eq!(app.get("/import").await.status, StatusCode::FORBIDDEN);
        app.sign_in(Role::CountyApprover).await;
        let page = app.get("/import").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.text().contains("roster-import"));
        let fields = [("as_of", "2026-11-01"), ("source", "declared")];
        let r = app
            .post_multipart("/import", &fields, Some(("roster", "名册.xlsx", &book)))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let t = r.text();
        assert!(t.contains(r#"id="households-added">1<"#), "{t}");
        assert!(t.contains(r#"id="persons-added">2<"#), "{t}");
        // The roster's own eight refusals, the three rows of the household they refuse
        // whole, the household outside the county and the one whose number is registered
        // there, each with its member.
        assert!(t.contains(r#"id="refused-count">15<"#), "{t}");
        assert!(
            t.contains(&format!(
                "household number {foreign} is already in use outside your region"
            )),
            "{t}"
        );
        let joined: i64 = jiuzhu_db::sqlx::Row::try_get(
            &jiuzhu_db::sqlx::query(jiuzhu_db::sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM persons WHERE id_number = '{}'",
                id("19610707", 77)
            )))
            .fetch_one(app.db.pool())
            .await
            .unwrap(),
            0,
        )
        .unwrap();
        assert_eq!(
            joined, 0,
            "a member was added to another county's household"
        );
        assert!(
            t.contains("roster.xlsx[households]:") && t.contains("is outside your region 330326"),
            "{t}"
        );
        // Identity numbers quoted in refusals are masked.
        let wrong = wrong_check(&id("19500404", 44));
        assert!(!t.contains(&wrong), "an identity number shown in full");
        assert!(t.contains(&jiuzhu_domain::mask_id_str(&wrong)), "{t}");
        let scope = Scope::everything();
        assert!(
            households::id_by_code(&app.db, &scope, "H0000000001")
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            households::id_by_code(&app.db, &scope, "H0000000077")
                .await
                .unwrap()
                .is_none(),
            "a household outside the importer's county was registered"
        );
        // The batches are audited as the approver's.
        let filter = jiuzhu_db::audit::Filter {
            action: Some("import.batch".into()),
            ..Default::default()
        };
        let (rows, _) = jiuzhu_db::audit::search(&app.db, &filter).await.unwrap();
        assert!(
            rows.iter()
                .any(|a| a.actor == username(Role::CountyApprover)),
            "no import.batch audit row by the approver"
        );
        // A county's roster is larger than the web server's default limit of 2 MB: a
        // households file of 3 MB is taken (and refused only for the persons missing).
        let big: String = std::iter::once("household_id,region_code\n".to_string())
            .chain((0..150_000).map(|i| format!("B{i:010},{inside}\n")))
            .collect();
        assert!(big.len() > 3 << 20);
        let r = app
            .post_multipart(
                "/import",
                &fields,
                Some(("households", "households.csv", big.as_bytes())),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("persons: choose a CSV or XLSX file"));
        // A form without files says what is missing.
        let r = app.post_multipart("/import", &fields, None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("households: choose a CSV or XLSX file"));

        // The same workbook through the API changes nothing, and reports the same refusals.
        let csrf = app.csrf.clone().unwrap_or_default();
        let r = app
            .request(
                "POST",
                "/api/v1/rosters?as_of=2026-11-01",
                Some("application/octet-stream"),
                book.clone(),
                &[("x-csrf-token", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let j = r.json();
        assert_eq!(
            (
                j["households_added"].as_u64(),
                j["households_existing"].as_u64(),
                j["persons_added"].as_u64()
            ),
            (Some(0), Some(1), Some(0)),
            "{j}"
        );
        let refused = j["refused"].as_array().unwrap();
        assert_eq!(refused.len(), 15, "{j}");
        assert_eq!(refused[0]["file"], "roster.xlsx[households]");
        assert!(
            !r.text().contains(&wrong),
            "an identity number shown in full"
        );
        // Not a workbook: refused as such.
        let r = app
            .request(
                "POST",
                "/api/v1/rosters?as_of=2026-11-01",
                Some("application/octet-stream"),
                b"household_id,region_code\n".to_vec(),
                &[("x-csrf-token", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
        assert!(
            r.json()["message"]
                .as_str()
                .unwrap()
                .contains("roster.xlsx")
        );
        // The API is in the OpenAPI document, and front-line roles may not use it.
        let doc = app.get("/api/openapi.json").await.json();
        assert!(doc["paths"]["/api/v1/rosters"]["post"].is_object());
        app.sign_in(Role::WindowClerk).await;
        let csrf = app.csrf.clone().unwrap_or_default();
        let r = app
            .request(
                "POST",
                "/api/v1/rosters?as_of=2026-11-01",
                Some("application/octet-stream"),
                book,
                &[("x-csrf-token", csrf.as_str())],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);
