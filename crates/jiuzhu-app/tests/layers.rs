//! The layers of ARCHITECTURE.md, read from the crates' own `Cargo.toml` files: a crate
//! that reaches a layer it may not fails here, before it can grow into a habit.

use std::collections::BTreeSet;
use std::path::Path;

/// The names of a crate's normal dependencies, as its `Cargo.toml` lists them.
fn dependencies(krate: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("Cargo.toml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("{path:?}: {e}"));
    doc.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

fn crates() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("Cargo.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// (crate, what it may not depend on): the rules the code keeps today.
const FORBIDDEN: &[(&str, &[&str])] = &[
    // The vocabulary and the pure engines do no IO: no store, no front end.
    (
        "jiuzhu-domain",
        &[
            "jiuzhu-db",
            "jiuzhu-app",
            "jiuzhu-web",
            "sqlx",
            "axum",
            "tokio",
        ],
    ),
    (
        "jiuzhu-regions",
        &["jiuzhu-db", "jiuzhu-app", "jiuzhu-web", "sqlx", "tokio"],
    ),
    (
        "jiuzhu-policy",
        &[
            "jiuzhu-db",
            "jiuzhu-app",
            "jiuzhu-web",
            "jiuzhu-monitor",
            "sqlx",
            "tokio",
            "datafusion",
        ],
    ),
    // The store knows no use case and no front end.
    (
        "jiuzhu-db",
        &[
            "jiuzhu-app",
            "jiuzhu-web",
            "jiuzhu-policy",
            "jiuzhu-monitor",
            "axum",
            "datafusion",
        ],
    ),
    // The engines and the roster reader are called by the use cases, never the reverse.
    // They read no store: the use cases hand them what the store holds.
    (
        "jiuzhu-monitor",
        &[
            "jiuzhu-db",
            "jiuzhu-app",
            "jiuzhu-web",
            "jiuzhu-policy",
            "axum",
            "sqlx",
            "tokio",
        ],
    ),
    (
        "jiuzhu-roster",
        &[
            "jiuzhu-db",
            "jiuzhu-app",
            "jiuzhu-web",
            "axum",
            "sqlx",
            "tokio",
            "datafusion",
        ],
    ),
    // The use cases know no front end (HTTP, HTML, the command line).
    (
        "jiuzhu-app",
        &[
            "jiuzhu-web",
            "jiuzhu",
            "axum",
            "askama",
            "clap",
            "sqlx",
            "datafusion",
        ],
    ),
    // The web holds no SQL and no engine of its own.
    ("jiuzhu-web", &["sqlx", "rusqlite", "datafusion"]),
];

#[test]
fn no_crate_reaches_a_layer_it_may_not() {
    let all = crates();
    for (krate, _) in FORBIDDEN {
        assert!(all.iter().any(|c| c == krate), "no crate {krate}");
    }
    let mut broken = Vec::new();
    for (krate, forbidden) in FORBIDDEN {
        let deps = dependencies(krate);
        for f in *forbidden {
            if deps.contains(*f) {
                broken.push(format!("{krate} depends on {f}"));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:?}");
}

#[test]
fn datafusion_is_compiled_for_the_monitoring_engine_only() {
    for krate in crates() {
        if krate != "jiuzhu-monitor" {
            assert!(
                !dependencies(&krate).contains("datafusion"),
                "{krate} depends on datafusion"
            );
        }
    }
}

/// Every line of a crate's `src/**/*.rs`, with its `file:line`.
fn source_lines(krate: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, lines: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, lines);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (n, line) in text.lines().enumerate() {
                    lines.push((format!("{}:{}", path.display(), n + 1), line.to_string()));
                }
            }
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src");
    let mut lines = Vec::new();
    walk(&dir, &mut lines);
    lines
}

/// No SQL outside `jiuzhu-db`: no other crate's sources run a query on the store.
#[test]
fn no_store_query_outside_the_store() {
    let mut found = Vec::new();
    for krate in crates().into_iter().filter(|k| k != "jiuzhu-db") {
        for (place, line) in source_lines(&krate) {
            if ["sqlx::query", "sqlx::raw_sql", "rusqlite::"]
                .iter()
                .any(|q| line.contains(q))
            {
                found.push(place);
            }
        }
    }
    assert!(
        found.is_empty(),
        "store queries outside jiuzhu-db: {found:?}"
    );
}

/// Only command-line and scheduler entry points, and the use cases that serve them, may
/// read every region: no source file of the web crate names the unscoped handle.
#[test]
fn no_request_handler_holds_an_unscoped_store_handle() {
    let mut found = Vec::new();
    for (place, line) in source_lines("jiuzhu-web") {
        if line.contains("Scope::everything") {
            found.push(place);
        }
    }
    assert!(
        found.is_empty(),
        "unscoped reads in the web crate: {found:?}"
    );
}

/// Reads of sensitive data are use cases, audited where they are decided: the web writes
/// no audit row of its own but the session's (sign-in, sign-out, lock-out in `auth.rs`).
#[test]
fn the_web_audits_no_read_itself() {
    let mut found = Vec::new();
    for (place, line) in source_lines("jiuzhu-web") {
        if line.contains("audit::record(") && !place.contains("/src/auth.rs:") {
            found.push(place);
        }
    }
    assert!(
        found.is_empty(),
        "audited reads in the web crate (make them use cases of jiuzhu-app): {found:?}"
    );
}

/// Every write to the store is a use case: no call from the web crate into `jiuzhu-db`
/// hands it the acting user (`actor()`), which every write of the store and every audited read
/// it records takes; only the session's own rows in `auth.rs` are written there. A call is
/// a `jiuzhu_db::` path, or a store module the file names without `jiuzhu_app::` before it.
#[test]
fn the_web_writes_nothing_to_the_store_itself() {
    const STORE_MODULES: [&str; 9] = [
        "households::",
        "cases::",
        "verification::",
        "monitoring::",
        "dbfeeds::",
        "users::",
        "audit::",
        "sessions::",
        "regions::",
    ];
    let mut found = Vec::new();
    let lines = source_lines("jiuzhu-web");
    // Whole statements: a call's arguments often stand on the lines after it.
    let mut i = 0;
    while i < lines.len() {
        let (place, line) = &lines[i];
        let call = STORE_MODULES.iter().find_map(|m| {
            let at = line.find(m)?;
            let before = &line[..at];
            let is_app = before.ends_with("::") && !before.ends_with("jiuzhu_db::");
            let is_call = line[at + m.len()..]
                .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_')
                .starts_with('(');
            (!is_app && is_call && !line.trim_start().starts_with("use ")).then_some(at)
        });
        if let Some(at) = call {
            // The statement: from the call to the line that closes it.
            let mut text = line[at..].to_string();
            let mut j = i;
            while !text.contains(';') && !text.contains('?') && j + 1 < lines.len() && j < i + 12 {
                j += 1;
                text.push_str(&lines[j].1);
            }
            if text.contains("actor()") && !place.contains("/src/auth.rs:") {
                found.push(format!("{place}: {}", line.trim()));
            }
        }
        i += 1;
    }
    assert!(
        found.is_empty(),
        "the web writes to the store itself (make it a use case of jiuzhu-app): {found:#?}"
    );
}

/// The command line calls the use cases; it reaches the web crate only to serve it.
#[test]
fn the_command_line_reaches_the_web_only_to_serve() {
    let mut found = Vec::new();
    for (place, line) in source_lines("jiuzhu") {
        let mut rest = line.as_str();
        while let Some(i) = rest.find("jiuzhu_web::") {
            rest = &rest[i + 12..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name != "serve" && name != "Config" {
                found.push(format!("{place}: jiuzhu_web::{name}"));
            }
        }
    }
    assert!(found.is_empty(), "{found:?}");
}
