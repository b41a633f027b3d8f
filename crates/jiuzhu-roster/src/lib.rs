//! Household rosters (户籍名册): reading households, persons and supporters from CSV or
//! XLSX, validating every row with a precise error (file, line, column, reason), and
//! registering the good rows in batches of whole households. Also the synthetic demo
//! population, which goes through the same registration path.

pub mod demo;
pub mod import;
pub mod table;
pub mod validate;

pub use import::{ImportError, ImportOptions, ImportReport, Progress, import_dir};
pub use table::{Table, TableError};
pub use validate::RowError;
