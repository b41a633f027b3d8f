use super::*;

#[test]
fn a_failing_statement_names_the_constraint_and_leaves_the_statement_usable() {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("CREATE TABLE t (a TEXT NOT NULL UNIQUE)")
        .unwrap();
    let mut ins = Raw::prepare(&conn, "INSERT OR FAIL INTO t (a) VALUES (?), (?)").unwrap();
    let owned = String::from("x");
    ins.run(&conn, &[Val::Text(&owned), Val::Text("y")])
        .unwrap();
    drop(owned);
    let err = ins
        .run(&conn, &[Val::Text("z"), Val::Text("x")])
        .unwrap_err();
    assert!(err.is_unique_violation(), "{err}");
    assert!(err.to_string().contains("t.a"), "{err}");
    // OR FAIL keeps what the statement did before the failure; the caller rolls back.
    ins.run(&conn, &[Val::Text(""), Val::Null]).unwrap_err();
    let rows: Vec<String> = conn
        .prepare("SELECT a FROM t ORDER BY a")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(rows, ["", "x", "y", "z"]);
}
