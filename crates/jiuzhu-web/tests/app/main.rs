//! Integration tests: the whole application in-process over a fresh database per test,
//! each test run on SQLite and on PostgreSQL (`JIUZHU_TEST_PG`, default
//! `postgres://root@127.0.0.1:5432/test`, one schema per test).

mod api_contract;
mod cases;
mod defects;
mod helpers;
mod import;
mod monitoring;
mod registry;
mod security;
mod usability;

pub use helpers::*;
