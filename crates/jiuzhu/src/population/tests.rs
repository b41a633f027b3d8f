use std::collections::HashMap;

use jiuzhu_policy::columnar::Column;

use super::read::*;
use super::*;

#[test]
fn plain_amounts_in_fen() {
    assert_eq!(plain_fen(b"1234.5"), Some(123_450));
    assert_eq!(plain_fen(b"1234.50"), Some(123_450));
    assert_eq!(plain_fen(b"7"), Some(700));
    assert_eq!(plain_fen(b"0.05"), Some(5));
    // Everything else takes the long way, which names the error.
    for odd in [
        &b"-1.00"[..],
        b"1.234",
        b" 1.00",
        b"1,0",
        b"",
        b".5",
        b"1e3",
    ] {
        assert_eq!(plain_fen(odd), None, "{}", String::from_utf8_lossy(odd));
    }
}

/// A file read in pieces of every size reads as it does whole: the same households with
/// the same row counts and lines, the same values, the same errors at the same lines.
#[test]
fn any_cut_reads_like_the_whole_file() {
    let text = "household_id,amount,kind\n\
                H1,1.00,a\nH1,2.50,b\nH2,3,a\n\nH3,x,c\r\nH3,4.05,a\nH3,5.00\nH4,6.00,b";
    let raw = Raw {
        name: "t.csv",
        data: text.as_bytes().to_vec(),
        columns: HashMap::from([
            ("household_id".into(), 0),
            ("amount".into(), 1),
            ("kind".into(), 2),
        ]),
        width: 3,
        body: 25,
    };
    let spec = || Spec {
        key: 0,
        region: None,
        inputs: vec![
            ("amount".into(), InputType::Money, 1),
            ("kind".into(), InputType::Text, 2),
        ],
    };
    let read = |piece: usize| {
        let rows = read_all(&[(&raw, spec())], piece).unwrap().remove(0);
        let texts = match &*rows.columns[1] {
            Column::Text(t) => (0..t.len())
                .map(|i| t.get(i).to_string())
                .collect::<Vec<_>>(),
            _ => panic!("kind is text"),
        };
        (
            rows.runs,
            rows.count,
            rows.columns[0].clone(),
            texts,
            rows.errors,
        )
    };
    let whole = read(1 << 20);
    assert_eq!(
        whole.0,
        [
            ("H1".to_string(), 2, 2),
            ("H2".into(), 1, 4),
            ("H3".into(), 2, 6),
            ("H4".into(), 1, 9)
        ]
    );
    assert_eq!(whole.1, 6);
    assert_eq!(whole.4.len(), 2, "{:?}", whole.4);
    assert!(whole.4[0].starts_with("t.csv:6: amount: "), "{:?}", whole.4);
    assert_eq!(
        whole.4[1],
        "t.csv:8: expected 3 fields as in the header, found 2"
    );
    for piece in 1..text.len() {
        assert_eq!(read(piece), whole, "pieces of {piece} bytes");
    }
}

#[test]
fn pieces_cut_at_line_ends_and_number_lines() {
    let text = "a,b\n1,2\n\n3,4\r\n5,6";
    let raw = Raw {
        name: "t.csv",
        data: text.as_bytes().to_vec(),
        columns: HashMap::from([("a".into(), 0), ("b".into(), 1)]),
        width: 2,
        body: 4,
    };
    let spec = Spec {
        key: 0,
        region: None,
        inputs: vec![("b".into(), InputType::Int, 1)],
    };
    let p = parse_piece(&raw.data[raw.body..], &spec, 2);
    assert_eq!(p.lines, 4);
    let lines: Vec<usize> = p.runs.iter().map(|r| r.2).collect();
    assert_eq!(lines, [1, 3, 4]);
    let (rows, _) = assemble(&raw, &spec, vec![p]);
    assert_eq!(rows.runs.iter().map(|r| r.2).collect::<Vec<_>>(), [2, 4, 5]);
    // A piece of a file of whole lines ends with a line end.
    let p = parse_piece(b"1,2\n3,4\n", &spec, 2);
    assert_eq!(p.lines, 2);
    let p = parse_piece(b"1,2\n\"3\",4\n", &spec, 2);
    assert!(p.quoted);
}
