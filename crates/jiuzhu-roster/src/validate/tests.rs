use super::*;

const VILLAGE: &str = "330326100201";

fn id(seq: u32) -> String {
    let first = format!("33032619800101{seq:03}");
    let check = jiuzhu_domain::id_number::check_character(&first).unwrap();
    format!("{first}{check}")
}

fn table(file: &str, columns: &[&str], rows: &[Vec<String>]) -> Table {
    let mut t = Table::new(file, columns.iter().map(|c| c.to_string()).collect());
    for (i, r) in rows.iter().enumerate() {
        t.push_row(i + 2, r.iter().map(String::as_str)).unwrap();
    }
    t
}

fn cells(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|c| c.to_string()).collect()
}

/// A roster whose persons and supporters are not in household order (a member of H4
/// comes last), whose rows name refused, unknown and registered households, and where a
/// supporter names a registered household (R2) before a person names another (R1).
fn roster() -> (Table, Table, Table) {
    let households = table(
        "households.csv",
        &["household_id", "region_code", "deposits"],
        &[
            cells(&["H1", VILLAGE, "100"]),
            cells(&["H2", "330326100299", "0"]),
            cells(&["H3", VILLAGE, "0"]),
            cells(&["H4", VILLAGE, "1.5"]),
            cells(&["H5", VILLAGE, "x"]),
            cells(&["H6", VILLAGE, ""]),
        ],
    );
    let persons = table(
        "persons.csv",
        &[
            "id_number",
            "household_id",
            "health",
            "declared_wage_monthly",
        ],
        &[
            cells(&[&id(1), "H4", "1", "100"]),
            cells(&[&id(2), "H1", "2", ""]),
            cells(&[&id(2), "H6", "1", ""]),
            cells(&[&id(3), "H2", "1", ""]),
            cells(&[&id(4), "H9", "1", ""]),
            cells(&[&id(5), "R1", "1", ""]),
            cells(&[&id(6), "H6", "7", ""]),
            cells(&[&id(7), "H4", "1", "-1"]),
            cells(&[&id(8), "H6", "1", ""]),
            cells(&[&id(9), "H4", "3", "2000"]),
        ],
    );
    let supporters = table(
        "supporters.csv",
        &["household_id", "supporter_id", "annual_income"],
        &[
            cells(&["R2", &id(23), "0"]),
            cells(&["H6", &id(20), "100"]),
            cells(&["H1", &id(21), "5000"]),
            cells(&["H3", &id(22), "0"]),
            cells(&["H6", &id(20), "1"]),
            cells(&["H4", &id(24), "bad"]),
        ],
    );
    (households, persons, supporters)
}

type Shape = Vec<(String, Vec<(String, &'static str)>, Vec<String>)>;

fn shape(households: &[RosterHousehold]) -> Shape {
    let mut out: Shape = households
        .iter()
        .map(|h| {
            (
                h.code.clone(),
                h.members
                    .iter()
                    .map(|p| (p.id_number.as_str().to_string(), p.relation.code()))
                    .collect(),
                h.supporters
                    .iter()
                    .map(|s| s.id_number.as_str().to_string())
                    .collect(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn batches_of_any_size_hold_the_same_households_and_refuse_the_same_rows() {
    let villages: HashMap<String, String> = [(VILLAGE.to_string(), "凤巢村".to_string())].into();
    let registered: HashMap<String, (i64, String)> = [
        ("R1".to_string(), (7, VILLAGE.to_string())),
        ("R2".to_string(), (8, VILLAGE.to_string())),
    ]
    .into();
    let known = Known {
        villages: &villages,
        registered_households: &registered,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        scope: "",
        foreign: &FastSet::default(),
    };
    let (h, p, s) = roster();
    // All at once: one batch.
    let mut households = Vec::new();
    let whole = validate_in_batches(&h, &p, Some(&s), &known, usize::MAX, &mut |b| {
        households.extend(b);
        true
    })
    .unwrap();
    let where_: Vec<(&str, usize, &str)> = whole
        .errors
        .iter()
        .map(|e| (e.file.as_str(), e.line, e.column.as_str()))
        .collect();
    // A household with any refused row is refused whole (H4: a bad wage and a bad
    // income; H6: a duplicate ID number, a bad health code and a duplicate supporter),
    // with its household row and every good row of it named.
    assert_eq!(
        where_,
        [
            ("households.csv", 3, "region_code"),
            ("households.csv", 4, "household_id"),
            ("households.csv", 5, "household_id"),
            ("households.csv", 6, "deposits"),
            ("households.csv", 7, "household_id"),
            ("persons.csv", 2, "household_id"),
            ("persons.csv", 4, "id_number"),
            ("persons.csv", 5, "household_id"),
            ("persons.csv", 6, "household_id"),
            ("persons.csv", 8, "health"),
            ("persons.csv", 9, "declared_wage_monthly"),
            ("persons.csv", 10, "household_id"),
            ("persons.csv", 11, "household_id"),
            ("supporters.csv", 3, "household_id"),
            ("supporters.csv", 5, "household_id"),
            ("supporters.csv", 6, "supporter_id"),
            ("supporters.csv", 7, "annual_income"),
        ],
        "{:#?}",
        whole.errors
    );
    assert_eq!(
        whole.errors[2].reason,
        "household H4 refused: persons.csv line 9 was refused; supporters.csv line 7 was refused"
    );
    assert_eq!(
        whole.errors[4].reason,
        "household H6 refused: persons.csv lines 4, 8 were refused; supporters.csv line 6 was refused"
    );
    assert_eq!(
        whole.errors[5].reason, whole.errors[2].reason,
        "its good rows too"
    );
    assert!(whole.errors[1].reason.contains("no members"));
    assert!(
        whole.errors[6]
            .reason
            .contains("duplicate ID number 330326")
    );
    assert!(whole.errors[14].reason.contains("it has no members"));
    let expected = shape(&households);
    assert_eq!(
        expected,
        [
            ("H1".to_string(), vec![(id(2), "head")], vec![id(21)]),
            ("R1".to_string(), vec![(id(5), "other")], vec![]),
            ("R2".to_string(), vec![], vec![id(23)]),
        ]
    );
    // Every batch size, and steps small enough that a batch is handed over before
    // the files are read to the end.
    for step in [1, 2, 3, STEP] {
        for batch in [1, 2, 3, 4, 100] {
            let mut batches = Vec::new();
            let summary = validate_stepped(&h, &p, Some(&s), &known, batch, step, &mut |b| {
                batches.push(b);
                true
            })
            .unwrap();
            let case = format!("step {step}, batch {batch}");
            assert_eq!(summary.errors, whole.errors, "{case}");
            assert!(batches.iter().all(|b| !b.is_empty() && b.len() <= batch));
            let all: Vec<RosterHousehold> = batches.into_iter().flatten().collect();
            assert_eq!(shape(&all), expected, "{case}");
            // The file's households in file order, then the registered ones: those a
            // person names before those only a supporter names.
            let order: Vec<&str> = all.iter().map(|h| h.code.as_str()).collect();
            assert_eq!(order, ["H1", "R1", "R2"], "{case}");
        }
    }
    // With a row a step and a household a batch, H1 is handed over as soon as its
    // rows are read: the persons file up to line 3, the supporters file up to line 4.
    // A receiver that stops there gets nothing more, and no later row has been read.
    let mut got = Vec::new();
    let summary = validate_stepped(&h, &p, Some(&s), &known, 1, 1, &mut |b| {
        got.push(b[0].code.clone());
        false
    })
    .unwrap();
    assert_eq!(got, ["H1"]);
    let read: Vec<(&str, usize)> = summary
        .errors
        .iter()
        .map(|e| (e.file.as_str(), e.line))
        .collect();
    assert_eq!(read, [("households.csv", 3), ("households.csv", 6)]);
}

#[test]
fn a_name_longer_than_the_limit_refuses_its_row_and_household() {
    let villages: HashMap<String, String> = [(VILLAGE.to_string(), "凤巢村".to_string())].into();
    let registered = HashMap::new();
    let known = Known {
        villages: &villages,
        registered_households: &registered,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        scope: "",
        foreign: &FastSet::default(),
    };
    let h = table(
        "households.csv",
        &["household_id", "region_code"],
        &[cells(&["H1", VILLAGE]), cells(&["H2", VILLAGE])],
    );
    let long = "张".repeat(10_000);
    let p = table(
        "persons.csv",
        &["id_number", "household_id", "name"],
        &[
            cells(&[&id(1), "H1", "张三"]),
            cells(&[&id(2), "H1", &long]),
            cells(&[&id(3), "H2", &"李".repeat(40)]),
        ],
    );
    let mut got = Vec::new();
    let summary = validate_in_batches(&h, &p, None, &known, 10, &mut |b| {
        got.extend(b);
        true
    })
    .unwrap();
    assert_eq!(
        got.iter().map(|h| h.code.as_str()).collect::<Vec<_>>(),
        ["H2"]
    );
    let e = summary
        .errors
        .iter()
        .find(|e| e.line == 3 && e.file == "persons.csv")
        .unwrap();
    assert_eq!(
        (e.column.as_str(), e.reason.as_str()),
        ("name", "at most 40 characters (10000 given)")
    );
}
