//! `jiuzhu import registry DIR` on the built binary, on SQLite and PostgreSQL: refused rows
//! are reported as `file:line: column: reason` with exit status 2, the good rows registered.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiuzhu_db::{Backend, Db};

fn id(birth: &str, seq: u32) -> String {
    let first17 = format!("330326{birth}{seq:03}");
    format!(
        "{first17}{}",
        jiuzhu_domain::id_number::check_character(&first17).unwrap()
    )
}

fn wrong_check(id: &str) -> String {
    let c = if id.ends_with('0') { '1' } else { '0' };
    format!("{}{c}", &id[..17])
}

fn unique(tag: &str) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{tag}_{}_{}", std::process::id(), t % 1_000_000_000_000)
}

fn dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("jiuzhu-import-cli-{}", unique(tag)));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A fresh migrated database with the regions of Wenzhou (so the binary loads none), and
/// a village of Pingyang. PostgreSQL gets a schema of its own, dropped by [`Fresh::drop`].
struct Fresh {
    url: String,
    village: String,
    schema: Option<(String, String)>,
    file: Option<PathBuf>,
}

impl Fresh {
    async fn new(backend: Backend, tag: &str) -> Fresh {
        let (url, schema, file) = match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("jiuzhu_cli_{}.db", unique(tag)));
                (format!("sqlite://{}", path.display()), None, Some(path))
            }
            Backend::Postgres => {
                let base = std::env::var("JIUZHU_TEST_PG")
                    .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
                let schema = format!("cli_{}", unique(tag)).replace('-', "_");
                let admin = Db::connect(&base)
                    .await
                    .expect("PostgreSQL for tests (JIUZHU_TEST_PG)");
                jiuzhu_db::sqlx::query(jiuzhu_db::sqlx::AssertSqlSafe(format!(
                    "CREATE SCHEMA {schema}"
                )))
                .execute(admin.pool())
                .await
                .unwrap();
                admin.close().await;
                let sep = if base.contains('?') { '&' } else { '?' };
                (
                    format!("{base}{sep}options=-c%20search_path%3D{schema}"),
                    Some((base, schema)),
                    None,
                )
            }
        };
        let db = Db::connect(&url).await.unwrap();
        jiuzhu_db::migrate::run(&db).await.unwrap();
        jiuzhu_db::regions::insert(&db, &jiuzhu_regions::load_under("3303"), |_, _| {})
            .await
            .unwrap();
        let village = jiuzhu_db::regions::villages_under(&db, "330326")
            .await
            .unwrap()[0]
            .0
            .clone();
        db.close().await;
        Fresh {
            url,
            village,
            schema,
            file,
        }
    }

    /// The values of one column of a query, as text.
    async fn texts(&self, sql: &str) -> Vec<String> {
        let db = Db::connect(&self.url).await.unwrap();
        let out = jiuzhu_db::sqlx::query(jiuzhu_db::sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(db.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| jiuzhu_db::sqlx::Row::try_get(r, 0).unwrap())
            .collect();
        db.close().await;
        out
    }

    async fn drop(self) {
        if let Some((base, schema)) = self.schema {
            let admin = Db::connect(&base).await.unwrap();
            jiuzhu_db::sqlx::query(jiuzhu_db::sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA {schema} CASCADE"
            )))
            .execute(admin.pool())
            .await
            .unwrap();
            admin.close().await;
        }
        if let Some(file) = self.file {
            for ext in ["", "-wal", "-shm"] {
                std::fs::remove_file(format!("{}{ext}", file.display())).ok();
            }
        }
    }
}

/// Runs `jiuzhu import registry DIR` (with backtraces on, as a clerk's shell may have).
fn import(db: &Fresh, dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jiuzhu"))
        .args(["import", "registry"])
        .arg(dir)
        .args(["--db", &db.url, "--as-of", "2026-11-01", "--batch", "4"])
        .env("RUST_BACKTRACE", "1")
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

async fn a_bad_byte_refuses_its_row_not_the_file(backend: Backend) {
    let db = Fresh::new(backend, "bad-byte").await;
    let d = dir("bad-byte");
    // Eighteen households of one member each; households.csv line 5 holds FF FE in a cell.
    let mut hh = b"household_id,region_code,hukou,address\n".to_vec();
    let mut persons = String::from("id_number,household_id,name\n");
    for i in 1..=18u32 {
        let code = format!("H{i:010}");
        hh.extend(format!("{code},{},rural,", db.village).as_bytes());
        if i == 4 {
            hh.extend(b"\xff\xfe");
        }
        hh.extend(format!("昆阳镇{i}号\n").as_bytes());
        persons += &format!("{},{code},张三\n", id("19800101", i));
    }
    std::fs::write(d.join("households.csv"), &hh).unwrap();
    std::fs::write(d.join("persons.csv"), persons).unwrap();
    let out = import(&db, &d);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("households.csv:5: address: bytes that are neither UTF-8 nor GB18030"),
        "{stderr}"
    );
    assert!(
        stderr.contains("persons.csv:5: household_id: household H0000000004 was refused"),
        "{stderr}"
    );
    assert!(!stderr.contains("backtrace"), "{stderr}");
    assert!(
        stdout.contains("added 17 households, 17 persons"),
        "{stdout}"
    );
    let codes = db.texts("SELECT code FROM households ORDER BY code").await;
    assert_eq!(codes.len(), 17);
    assert!(!codes.contains(&"H0000000004".to_string()));

    // A file that is not text at all (a workbook saved under a .csv name) is refused
    // whole, with a message and status 2, no backtrace.
    std::fs::write(
        d.join("persons.csv"),
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe\x00\x00[Content_Types].xml",
    )
    .unwrap();
    let out = import(&db, &d);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("persons.csv: not a text file"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    std::fs::remove_dir_all(d).ok();
    db.drop().await;
}

async fn a_household_with_refused_members_is_refused_whole(backend: Backend) {
    let db = Fresh::new(backend, "refused-members").await;
    let d = dir("refused-members");
    let v = &db.village;
    std::fs::write(
        d.join("households.csv"),
        format!("household_id,region_code\nH0000000001,{v}\nH0000000002,{v}\n"),
    )
    .unwrap();
    // Six persons of H1, two refused (lines 4 and 6); one of H2.
    let p = |n: u32, code: &str, birth: &str| format!("{},{code},{birth}\n", id("19800101", n));
    let persons = [
        "id_number,household_id,birth_date\n".to_string(),
        p(1, "H0000000001", ""),
        p(2, "H0000000002", ""),
        format!("{},H0000000001,\n", wrong_check(&id("19800101", 3))),
        p(4, "H0000000001", ""),
        p(5, "H0000000001", "1980-02-30"),
        p(6, "H0000000001", ""),
        p(7, "H0000000001", "1980-01-01"),
    ]
    .concat();
    std::fs::write(d.join("persons.csv"), persons).unwrap();
    let out = import(&db, &d);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "households.csv:2: household_id: household H0000000001 refused: persons.csv lines 4, 6 were refused"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("persons.csv:4: id_number: "), "{stderr}");
    assert!(stderr.contains("persons.csv:6: birth_date: "), "{stderr}");
    assert!(stdout.contains("added 1 households, 1 persons"), "{stdout}");
    assert_eq!(
        db.texts("SELECT code FROM households").await,
        ["H0000000002"]
    );
    assert_eq!(
        db.texts("SELECT id_number FROM persons").await,
        [id("19800101", 2)]
    );
    std::fs::remove_dir_all(d).ok();
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_byte_refuses_its_row_not_the_file_sqlite() {
    a_bad_byte_refuses_its_row_not_the_file(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_byte_refuses_its_row_not_the_file_postgres() {
    a_bad_byte_refuses_its_row_not_the_file(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_with_refused_members_is_refused_whole_sqlite() {
    a_household_with_refused_members_is_refused_whole(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_with_refused_members_is_refused_whole_postgres() {
    a_household_with_refused_members_is_refused_whole(Backend::Postgres).await;
}
