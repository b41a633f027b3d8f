//! `TestApp`: a fresh database with the Wenzhou regions, a small demo population and one
//! user per role; requests go through the router in-process with a cookie jar.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::MockConnectInfo;
use axum::http::{Request, StatusCode, header};
use jiuzhu_app::accounts::{UserForm, create_user};
use jiuzhu_app::roster::ImportOptions;
use jiuzhu_db::audit::Actor;
use jiuzhu_db::{Backend, Db};
use jiuzhu_domain::{EvidenceSource, Role};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct-horse-battery";

/// A database URL of a fresh, empty database on `backend`.
pub use jiuzhu_db::testing::fresh_url;

/// A migrated database with the regions of Wenzhou.
pub async fn fresh_db(backend: Backend) -> Db {
    jiuzhu_db::testing::fresh_db(backend, "3303").await
}

pub struct TestApp {
    pub db: Db,
    pub router: Router,
    pub cookie: Option<String>,
    /// The sign-in form's token cookie (`jz_login=...`), from the last sign-in page.
    pub login_cookie: Option<String>,
    pub csrf: Option<String>,
}

pub struct Resp {
    pub status: StatusCode,
    pub location: Option<String>,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
}

/// The usernames created by [`TestApp::new`], one per role.
pub fn username(role: Role) -> String {
    role.code().replace('_', "-")
}

/// Scopes of the test users: Pingyang county (平阳县) for most.
pub const PINGYANG: &str = "330326";

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        Self::with_config(backend, jiuzhu_web::Config::default()).await
    }

    pub async fn with_config(backend: Backend, config: jiuzhu_web::Config) -> TestApp {
        let db = fresh_db(backend).await;
        let villages = jiuzhu_db::regions::villages_under(&db, "3303")
            .await
            .unwrap();
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let population = jiuzhu_roster::demo::generate(&villages, 120, 42, as_of);
        let opts = ImportOptions {
            as_of,
            source: EvidenceSource::Declared,
            actor: Actor::system("test"),
            batch: 50,
            scope: String::new(),
            label: None,
        };
        let mut report = Default::default();
        jiuzhu_app::roster::register(&db, &population, &opts, "test", &mut report, &mut |_| {})
            .await
            .unwrap();
        let township = villages
            .iter()
            .find(|(c, _)| c.starts_with(PINGYANG))
            .unwrap()
            .0[..9]
            .to_string();
        for role in Role::ALL {
            let scope = match role {
                Role::CityAdmin | Role::Auditor | Role::SocialOrganisation => "3303".to_string(),
                Role::TownshipOfficer | Role::VillageWorker => township.clone(),
                _ => PINGYANG.to_string(),
            };
            // The department handler is the justice bureau's (司法局: prison feeds).
            let department = if role == Role::DepartmentHandler {
                "justice"
            } else {
                ""
            };
            let form = UserForm {
                username: username(role),
                display_name: role.label_zh().into(),
                role: role.code().into(),
                scope_region: scope,
                department: department.into(),
                password: PASSWORD.into(),
            };
            create_user(&db, &Actor::system("test"), &form)
                .await
                .unwrap();
        }
        jiuzhu_app::monitoring::ensure_feed_types(&db)
            .await
            .unwrap();
        let router = jiuzhu_web::router(db.clone(), config)
            .layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
        TestApp {
            db,
            router,
            cookie: None,
            login_cookie: None,
            csrf: None,
        }
    }

    pub async fn request(
        &mut self,
        method: &str,
        uri: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        extra: &[(&str, &str)],
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(uri);
        let jar: Vec<&str> = [&self.cookie, &self.login_cookie]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if !jar.is_empty() {
            req = req.header(header::COOKIE, jar.join("; "));
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let res = self
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        if let Some(set) = headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            && set.starts_with("jz_session=")
        {
            let pair = set.split(';').next().unwrap().to_string();
            self.cookie = if pair == "jz_session=" {
                None
            } else {
                Some(pair)
            };
        }
        for set in headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            if set.starts_with("jz_login=") {
                self.login_cookie = set.split(';').next().map(String::from);
            }
        }
        let location = headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        let body = axum::body::to_bytes(res.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap()
            .to_vec();
        let r = Resp {
            status,
            location,
            headers,
            body,
        };
        if let Some(token) = csrf_in(&r.text()) {
            self.csrf = Some(token);
        }
        r
    }

    pub async fn get(&mut self, uri: &str) -> Resp {
        self.request("GET", uri, None, Vec::new(), &[]).await
    }

    /// Posts a form; `csrf` is added from the last page seen unless given. A sign-in is
    /// posted from the sign-in page, as a browser does (its form token).
    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> Resp {
        if uri == "/login" && !fields.iter().any(|(k, _)| *k == "csrf") {
            self.get("/login").await;
        }
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "csrf") {
            pairs.push(("csrf".into(), self.csrf.clone().unwrap_or_default()));
        }
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request(
            "POST",
            uri,
            Some("application/x-www-form-urlencoded"),
            body.into_bytes(),
            &[],
        )
        .await
    }

    /// Posts a multipart form with text fields (csrf added) and at most one file
    /// `(field, file name, bytes)`.
    pub async fn post_multipart(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Resp {
        let boundary = "----jiuzhu-test-boundary";
        let mut body: Vec<u8> = Vec::new();
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", csrf.as_str()));
        for (k, v) in all {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((field, name, bytes)) = file {
            body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
            body.extend(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        let ct = format!("multipart/form-data; boundary={boundary}");
        self.request("POST", uri, Some(&ct), body, &[]).await
    }

    pub async fn api(
        &mut self,
        method: &str,
        uri: &str,
        body: Option<serde_json::Value>,
        bearer: Option<&str>,
    ) -> Resp {
        let auth = bearer.map(|t| format!("Bearer {t}"));
        let csrf = self.csrf.clone().unwrap_or_default();
        let mut extra: Vec<(&str, &str)> = vec![("x-csrf-token", csrf.as_str())];
        if let Some(a) = &auth {
            extra.push(("authorization", a.as_str()));
        }
        let (ct, bytes) = match body {
            Some(v) => (Some("application/json"), serde_json::to_vec(&v).unwrap()),
            None => (None, Vec::new()),
        };
        self.request(method, uri, ct, bytes, &extra).await
    }

    /// Signs in as the test user of `role`; panics unless it works.
    pub async fn sign_in(&mut self, role: Role) {
        self.cookie = None;
        let r = self
            .post_form(
                "/login",
                &[("username", &username(role)), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-in as {role:?}: {}",
            r.text()
        );
        // Load a page to learn the session's CSRF token.
        let home = self.get("/").await;
        assert_eq!(home.status, StatusCode::OK);
    }

    /// A household of the demo population inside / outside Pingyang.
    pub async fn household(&self, inside: bool) -> (i64, String, String) {
        let (rows, _) = jiuzhu_db::households::search(
            &self.db,
            &jiuzhu_db::households::Scope::everything(),
            &jiuzhu_db::households::SearchQuery {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let h = rows
            .into_iter()
            .find(|h| h.region_code.starts_with(PINGYANG) == inside)
            .expect("demo household");
        (h.id, h.head_id_number, h.head_name)
    }
}

fn csrf_in(html: &str) -> Option<String> {
    let i = html.find("name=\"csrf\" value=\"")?;
    let rest = &html[i + 19..];
    Some(rest[..rest.find('"')?].to_string())
}

pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub use jiuzhu_db::both;

/// A household under `prefix` (and outside `skip`, if given): (household id, head's ID number).
pub async fn household_under(app: &TestApp, prefix: &str, skip: Option<&str>) -> (i64, String) {
    let (rows, _) = jiuzhu_db::households::search(
        &app.db,
        &jiuzhu_db::households::Scope::everything(),
        &jiuzhu_db::households::SearchQuery {
            region: Some(prefix.to_string()),
            limit: 500,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let h = rows
        .iter()
        .find(|h| skip.is_none_or(|t| !h.region_code.starts_with(t)))
        .expect("a household there");
    (h.id, h.head_id_number.clone())
}

/// An API token of the test user of `role`.
pub async fn api_token(app: &TestApp, role: Role) -> String {
    let user = jiuzhu_db::users::by_username(&app.db, &username(role))
        .await
        .unwrap()
        .unwrap();
    jiuzhu_app::accounts::issue_token(&app.db, &Actor::system("test"), user.id, "ci")
        .await
        .unwrap()
}

/// The person id (as a form value) of the current member of `household` with `id_number`.
pub async fn member_person_id(app: &TestApp, household: i64, id_number: &str) -> String {
    let rec = jiuzhu_db::households::get(
        &app.db,
        &jiuzhu_db::households::Scope::everything(),
        household,
    )
    .await
    .unwrap()
    .expect("household");
    rec.current_members()
        .find(|m| m.id_number == id_number)
        .expect("a current member with that ID number")
        .person_id
        .to_string()
}

/// Records a signed authorisation of household `hh` by its member `person` through the
/// verification page; answers its id (as a form value).
pub async fn authorise(app: &mut TestApp, hh: i64, person: &str) -> String {
    let signer = member_person_id(app, hh, person).await;
    app.get(&format!("/households/{hh}/verification")).await;
    let r = app
        .post_multipart(
            &format!("/households/{hh}/authorisations"),
            &[
                ("signer", &signer),
                ("signer_name", "户主"),
                ("scope", "all"),
                ("signed_on", "2026-11-01"),
            ],
            Some(("scan", "auth.pdf", b"%PDF-1.4 signed")),
        )
        .await;
    assert_eq!(r.status, axum::http::StatusCode::SEE_OTHER, "{}", r.text());
    jiuzhu_db::verification::authorisations(
        &app.db,
        &jiuzhu_db::households::Scope::everything(),
        hh,
    )
    .await
    .unwrap()[0]
        .id
        .to_string()
}
