//! The tables a monthly run reads, built from what the store holds: the monitored
//! population and each feed's counting snapshots as typed Arrow batches (money
//! DECIMAL(18,2)), registered in one DataFusion context and run through a rule set. Pure:
//! the application layer reads the store and hands the rows over.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Decimal128Builder, Int64Builder, RecordBatch, StringBuilder,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use jiuzhu_domain::Money;

use crate::feeds::{self, FeedType};
use crate::{Finding, MonitorError, Month, RuleSet, feed_schema, population_schema, run_context};

/// A member of the monitored population: a current member of a household with an
/// assistance category at the month's end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub id_number: String,
    pub household_code: String,
    pub region_code: String,
    pub category: String,
    pub main_laborer: bool,
}

/// The tables of one run: `population` and one table per feed type.
pub struct Tables {
    ctx: SessionContext,
}

impl Tables {
    /// The tables with the monitored population.
    pub fn new(population: &[Member]) -> Result<Tables, MonitorError> {
        let t = Tables {
            ctx: SessionContext::new(),
        };
        let batch = population_batch(population)?;
        t.register("population", batch.schema(), vec![batch])?;
        Ok(t)
    }

    /// Adds a feed's table from its snapshots' stored rows: each snapshot's column names
    /// and its rows' cells (JSON arrays of text, as `jiuzhu-db` keeps them).
    pub fn add_feed(
        &mut self,
        ft: &FeedType,
        snapshots: &[(Vec<String>, Vec<String>)],
    ) -> Result<(), MonitorError> {
        let batches = snapshots
            .iter()
            .map(|(columns, cells)| feed_batch(ft, columns, cells))
            .collect::<Result<Vec<_>, _>>()?;
        self.register(&ft.name, Arc::new(feed_schema(ft)), batches)
    }

    fn register(
        &self,
        name: &str,
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<(), MonitorError> {
        let table = MemTable::try_new(schema, vec![batches])
            .map_err(|e| MonitorError::Invalid(format!("{name}: {e}")))?;
        self.ctx
            .register_table(name, Arc::new(table))
            .map_err(|e| MonitorError::Invalid(format!("{name}: {e}")))?;
        Ok(())
    }

    /// Runs the rule set for `month` over the tables.
    pub async fn run(&self, set: &RuleSet, month: Month) -> Result<Vec<Finding>, MonitorError> {
        run_context(&self.ctx, set, month).await
    }
}

/// Arrow columns of a feed's stored rows, in the type's column order.
pub fn feed_batch(
    ft: &FeedType,
    snapshot_columns: &[String],
    cells: &[String],
) -> Result<RecordBatch, MonitorError> {
    let schema: SchemaRef = Arc::new(feed_schema(ft));
    let pos: Vec<usize> = ft
        .columns
        .iter()
        .map(|c| {
            snapshot_columns
                .iter()
                .position(|s| *s == c.name)
                .ok_or_else(|| {
                    MonitorError::Invalid(format!(
                        "feed {}: a snapshot lacks column {}",
                        ft.name, c.name
                    ))
                })
        })
        .collect::<Result<_, _>>()?;
    let parsed: Vec<Vec<String>> = cells
        .iter()
        .map(|c| serde_json::from_str(c))
        .collect::<Result<_, _>>()
        .map_err(|e| MonitorError::Invalid(format!("feed {}: stored row: {e}", ft.name)))?;
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(ft.columns.len());
    for (c, &p) in ft.columns.iter().zip(&pos) {
        let cell = |row: &Vec<String>| row.get(p).cloned().unwrap_or_default();
        let array: ArrayRef = match c.ty {
            feeds::ColumnType::Money => {
                let mut b = Decimal128Builder::with_capacity(parsed.len());
                for row in &parsed {
                    let m = Money::parse(&cell(row)).map_err(|e| {
                        MonitorError::Invalid(format!("feed {}: {}: {e}", ft.name, c.name))
                    })?;
                    b.append_value(m.fen() as i128);
                }
                Arc::new(
                    b.finish()
                        .with_precision_and_scale(18, 2)
                        .map_err(|e| MonitorError::Invalid(format!("feed {}: {e}", ft.name)))?,
                )
            }
            feeds::ColumnType::Integer => {
                let mut b = Int64Builder::with_capacity(parsed.len());
                for row in &parsed {
                    b.append_value(cell(row).parse().map_err(|_| {
                        MonitorError::Invalid(format!("feed {}: {}: not a number", ft.name, c.name))
                    })?);
                }
                Arc::new(b.finish())
            }
            _ => {
                let mut b = StringBuilder::with_capacity(parsed.len(), parsed.len() * 12);
                for row in &parsed {
                    b.append_value(row.get(p).map(String::as_str).unwrap_or(""));
                }
                Arc::new(b.finish())
            }
        };
        arrays.push(array);
    }
    RecordBatch::try_new(schema, arrays).map_err(|e| MonitorError::Invalid(e.to_string()))
}

fn population_batch(rows: &[Member]) -> Result<RecordBatch, MonitorError> {
    let mut id = StringBuilder::new();
    let mut hh = StringBuilder::new();
    let mut region = StringBuilder::new();
    let mut cat = StringBuilder::new();
    let mut main = Int64Builder::new();
    for r in rows {
        id.append_value(&r.id_number);
        hh.append_value(&r.household_code);
        region.append_value(&r.region_code);
        cat.append_value(&r.category);
        main.append_value(r.main_laborer as i64);
    }
    RecordBatch::try_new(
        Arc::new(population_schema()),
        vec![
            Arc::new(id.finish()),
            Arc::new(hh.finish()),
            Arc::new(region.finish()),
            Arc::new(cat.finish()),
            Arc::new(main.finish()),
        ],
    )
    .map_err(|e| MonitorError::Invalid(e.to_string()))
}
