use super::*;

#[test]
fn gbk_csv_is_read_like_utf8() {
    let dir = std::env::temp_dir().join(format!("jiuzhu-gbk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = "household_id,region_code,address\nH1,330326100201,平阳县昆阳镇1号\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the test file is really GBK"
    );
    std::fs::write(dir.join("households.csv"), &gbk).unwrap();
    let t = Table::from_csv(&dir.join("households.csv")).unwrap();
    assert_eq!(t.cell(0, 2), "平阳县昆阳镇1号");
    std::fs::write(dir.join("households.csv"), format!("\u{feff}{text}")).unwrap();
    let t = Table::from_csv(&dir.join("households.csv")).unwrap();
    assert_eq!(
        (t.columns[0].as_str(), t.cell(0, 2)),
        ("household_id", "平阳县昆阳镇1号")
    );
    std::fs::remove_dir_all(dir).ok();
}

fn read(name: &str, bytes: &[u8]) -> Result<Table, TableError> {
    let dir = std::env::temp_dir().join(format!("jiuzhu-table-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, bytes).unwrap();
    let t = Table::from_csv(&path);
    std::fs::remove_dir_all(dir).ok();
    t
}

fn all(t: &Table) -> Vec<(usize, Vec<&str>)> {
    t.rows().map(|(l, c)| (l, c.iter().collect())).collect()
}

#[test]
fn plain_and_quoted_files_read_alike() {
    // The same rows written plainly, with CRLF, a BOM, blank lines, padding and an
    // empty row; then with quotes, which the csv reader takes.
    let plain = "\u{feff}ID , Name,amount\r\n\r\nA1,  张三 ,12.5\r\n,,\r\n  \r\nA2,,0\r\nA3,李四,7";
    let quoted =
        "\u{feff}ID , Name,amount\r\n\r\n\"A1\",  张三 ,12.5\r\n,,\r\n  \r\nA2,\"\",0\r\nA3,李四,7";
    for (name, text) in [("plain", plain), ("quoted", quoted)] {
        let t = read(name, text.as_bytes()).unwrap();
        assert_eq!(t.columns, ["id", "name", "amount"], "{name}");
        assert_eq!(
            all(&t),
            [
                (3, vec!["A1", "张三", "12.5"]),
                (6, vec!["A2", "", "0"]),
                (7, vec!["A3", "李四", "7"]),
            ],
            "{name}"
        );
    }
    // A quoted cell may hold the separator and a line end.
    let t = read("inner", "a,b\n\"x,1\",\"two\nlines\"\nz,3\n".as_bytes()).unwrap();
    assert_eq!(
        all(&t),
        [(2, vec!["x,1", "two\nlines"]), (4, vec!["z", "3"])]
    );
}

#[test]
fn a_row_with_the_wrong_number_of_fields_names_its_line() {
    for (name, text) in [
        ("short", "a,b,c\n1,2,3\n\n4,5\n"),
        ("long", "a,b,c\r\n1,2,3\r\n\r\n4,5,6,7\r\n"),
        ("quoted-short", "a,b,c\n\"1\",2,3\n\n4,5\n"),
    ] {
        let err = read(name, text.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with(&format!("{name}.csv:4: ")), "{err}");
        assert!(err.contains("where the header has 3"), "{err}");
    }
}

#[test]
fn a_lone_carriage_return_ends_a_line() {
    let t = read("cr", b"a,b\r1,2\r3,4\r").unwrap();
    assert_eq!(all(&t), [(2, vec!["1", "2"]), (3, vec!["3", "4"])]);
}

#[test]
fn a_cell_of_bytes_of_no_known_encoding_marks_its_row_not_the_file() {
    let t = read("bad", "a,b\n1,2\n\u{FFFD},3\n名,4\n".as_bytes()).unwrap();
    assert_eq!(
        t.undecodable_cell(1),
        None,
        "valid UTF-8: nothing is marked"
    );
    let t = read("bad", b"a,b\n1,2\n\xff\xfe,3\n\xe5\x90\x8d,4\n").unwrap();
    assert_eq!(t.len(), 3);
    assert_eq!(
        (
            t.undecodable_cell(0),
            t.undecodable_cell(1),
            t.undecodable_cell(2)
        ),
        (None, Some(0), None)
    );
    assert_eq!(t.cell(2, 0), "名", "the rest of the file reads as UTF-8");
    // A file that is not text (an image renamed .csv) is refused whole, with a message.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0";
    let err = read("png", png).unwrap_err().to_string();
    assert!(err.contains("png.csv: not a text file"), "{err}");
}

#[test]
fn rows_pushed_are_padded_or_cut_to_the_columns() {
    let mut t = Table::new("x", vec!["a".into(), "b".into()]);
    t.push_row(2, ["1"]).unwrap();
    t.push_row(3, ["1", "2", "3"]).unwrap();
    assert_eq!(all(&t), [(2, vec!["1", ""]), (3, vec!["1", "2"])]);
    assert_eq!((t.len(), t.line(1), t.cell(1, 1)), (2, 3, "2"));
}
