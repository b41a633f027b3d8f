//! Feed files in the three formats a department sends: CSV, XLSX and Parquet, each row
//! checked against the feed type with bad rows named by line and column.

use std::sync::Arc;

use datafusion::arrow::array::{Date32Array, Decimal128Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use jiuzhu_monitor::feeds::{builtin_types, read};

fn medical() -> jiuzhu_monitor::feeds::FeedType {
    builtin_types()
        .into_iter()
        .find(|t| t.name == "medical")
        .unwrap()
}

#[test]
fn parquet_with_typed_columns_and_a_null() {
    let dir = std::env::temp_dir().join(format!("jiuzhu-feeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("medical.parquet");
    let schema = Arc::new(Schema::new(vec![
        Field::new("ID_NUMBER", DataType::Utf8, false),
        Field::new("settle_date", DataType::Date32, true),
        Field::new("total_cost", DataType::Decimal128(12, 2), false),
        Field::new("out_of_pocket", DataType::Decimal128(12, 2), false),
    ]));
    // 2026-10-03 is day 20729 since 1970-01-01.
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec![
                "11010519491231002X",
                "11010519491231002X",
            ])),
            Arc::new(Date32Array::from(vec![Some(20729), None])),
            Arc::new(
                Decimal128Array::from(vec![1_000_000, 5])
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
            Arc::new(
                Decimal128Array::from(vec![250_050, 5])
                    .with_precision_and_scale(12, 2)
                    .unwrap(),
            ),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(&path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();

    let f = read(&path, &medical()).unwrap();
    assert_eq!(f.format, "parquet");
    assert_eq!(f.rows.len(), 1);
    assert_eq!(
        f.rows[0].cells,
        ["11010519491231002X", "2026-10-03", "10000.00", "2500.50"]
    );
    assert_eq!(f.rejected.len(), 1);
    let e = &f.rejected[0];
    assert_eq!(
        (e.line, e.column.as_str(), e.reason.as_str()),
        (3, "settle_date", "empty")
    );
    assert_eq!(f.sha256.len(), 64);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn csv_xlsx_and_a_missing_column() {
    let dir = std::env::temp_dir().join(format!("jiuzhu-feeds-x-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["id_number", "settle_date", "total_cost", "out_of_pocket"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "11010519491231002X").unwrap();
    sheet.write_string(1, 1, "2026-10-03").unwrap();
    sheet.write_number(1, 2, 1200.5).unwrap();
    sheet.write_number(1, 3, 300).unwrap();
    sheet.write_string(2, 0, "11010519491231002X").unwrap();
    sheet.write_string(2, 1, "2026-10-03").unwrap();
    sheet.write_string(2, 2, "lots").unwrap();
    sheet.write_number(2, 3, 1).unwrap();
    let xlsx = dir.join("medical.xlsx");
    book.save(&xlsx).unwrap();
    let f = read(&xlsx, &medical()).unwrap();
    assert_eq!(
        f.rows[0].cells,
        ["11010519491231002X", "2026-10-03", "1200.50", "300.00"]
    );
    assert_eq!(f.rejected.len(), 1);
    assert_eq!(
        f.rejected[0].to_string().split(": ").next(),
        Some("medical.xlsx:3")
    );

    let csv = dir.join("bad.csv");
    std::fs::write(
        &csv,
        "id_number,settle_date,total_cost\n11010519491231002X,2026-10-03,1\n",
    )
    .unwrap();
    let e = read(&csv, &medical()).unwrap_err().to_string();
    assert!(
        e.starts_with("bad.csv: missing required column \"out_of_pocket\""),
        "{e}"
    );
    let txt = dir.join("medical.json");
    std::fs::write(&txt, "{}").unwrap();
    assert!(
        read(&txt, &medical())
            .unwrap_err()
            .to_string()
            .contains("use .csv, .xlsx or .parquet")
    );
    std::fs::remove_dir_all(dir).ok();
}
