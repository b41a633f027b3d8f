//! A prepared statement over the raw SQLite API, binding texts without copying them.

use std::ffi::{CStr, c_int};
use std::ptr::NonNull;

use rusqlite::{Connection, ffi};

use crate::Result;

/// A bound value: borrowed for the length of one [`Raw::run`].
#[derive(Clone, Copy, Debug)]
pub(super) enum Val<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

impl From<Option<i64>> for Val<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Val::Null, Val::Int)
    }
}

/// A prepared statement run with borrowed parameters.
pub(super) struct Raw(NonNull<ffi::sqlite3_stmt>);

impl Raw {
    pub(super) fn prepare(conn: &Connection, sql: &str) -> Result<Raw> {
        let mut stmt = std::ptr::null_mut();
        // SAFETY: `conn.handle()` is the open connection; `sql` is valid for its length, and
        // SQLite writes the new statement (or null on error) to `stmt`.
        let rc = unsafe {
            ffi::sqlite3_prepare_v3(
                conn.handle(),
                sql.as_ptr().cast(),
                c_int::try_from(sql.len()).expect("statement under 2 GiB"),
                ffi::SQLITE_PREPARE_PERSISTENT,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        check(conn, rc)?;
        NonNull::new(stmt)
            .map(Raw)
            .ok_or_else(|| crate::DbError::Invalid(format!("empty statement: {sql}")))
    }

    /// Binds `values` to the parameters in order, runs the statement to its end, and
    /// leaves it reset with no parameters bound.
    pub(super) fn run(&mut self, conn: &Connection, values: &[Val<'_>]) -> Result<()> {
        let s = self.0.as_ptr();
        // SAFETY: `s` is a live statement of `conn`. Texts are bound SQLITE_STATIC: SQLite
        // reads them without copying until they are unbound, and `clear_bindings` below
        // unbinds them before `values` can go out of scope.
        let rc = unsafe {
            let mut rc = ffi::SQLITE_OK;
            for (i, v) in values.iter().enumerate() {
                let i = i as c_int + 1;
                rc = match *v {
                    Val::Int(n) => ffi::sqlite3_bind_int64(s, i, n),
                    Val::Null => ffi::sqlite3_bind_null(s, i),
                    Val::Text(t) => ffi::sqlite3_bind_text(
                        s,
                        i,
                        if t.is_empty() {
                            c"".as_ptr()
                        } else {
                            t.as_ptr().cast()
                        },
                        c_int::try_from(t.len()).expect("text under 2 GiB"),
                        ffi::SQLITE_STATIC(),
                    ),
                };
                if rc != ffi::SQLITE_OK {
                    break;
                }
            }
            if rc == ffi::SQLITE_OK {
                rc = match ffi::sqlite3_step(s) {
                    ffi::SQLITE_DONE | ffi::SQLITE_ROW => ffi::SQLITE_OK,
                    other => other,
                };
            }
            ffi::sqlite3_reset(s);
            ffi::sqlite3_clear_bindings(s);
            rc
        };
        check(conn, rc)
    }
}

// SAFETY: a statement may move to another thread with its connection (the writer owns
// both); it is never used from two threads at once, which the NO_MUTEX mode requires.
unsafe impl Send for Raw {}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: the statement was prepared by `Raw::prepare` and is finalized once.
        unsafe {
            ffi::sqlite3_finalize(self.0.as_ptr());
        }
    }
}

pub(super) fn check(conn: &Connection, rc: c_int) -> Result<()> {
    if rc == ffi::SQLITE_OK {
        return Ok(());
    }
    // SAFETY: the connection is open; its message is a NUL-terminated string owned by SQLite.
    let (code, msg) = unsafe {
        let db = conn.handle();
        (
            match ffi::sqlite3_extended_errcode(db) {
                ffi::SQLITE_OK => rc,
                code => code,
            },
            CStr::from_ptr(ffi::sqlite3_errmsg(db))
                .to_string_lossy()
                .into_owned(),
        )
    };
    Err(rusqlite::Error::SqliteFailure(ffi::Error::new(code), Some(msg)).into())
}
