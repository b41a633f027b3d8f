//! Household rosters (户籍名册): reading households, persons and supporters from CSV or
//! XLSX, validating every row with a precise error (file, line, column, reason), handing
//! over whole households in batches as soon as they are complete; and the synthetic demo
//! population. Pure: the registration of a roster is `jiuzhu_app::roster`.

pub mod demo;
pub mod table;
pub mod validate;

pub use table::{Table, TableError};
pub use validate::RowError;
