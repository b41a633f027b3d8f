//! The defects found by probing the running platform (issue 19), each with the test that
//! failed before its fix: long Chinese names in a search, full ID numbers and names in
//! rendered pages, feeds across departments and regions, the export's rows and audit,
//! sign-in and tokens, the online application's trust in its client.

use std::collections::{BTreeSet, HashSet, VecDeque};

use axum::http::StatusCode;
use jiuzhu_db::households::Scope;
use jiuzhu_domain::{IdNumber, Role};

use crate::*;

/// Names of five and six characters end in a multi-byte character at byte 15 or 18.
const LONG_NAMES: [&str; 3] = ["欧阳娜娜娜", "阿卜杜热西提", "司马相如如如"];

both!(a_search_for_a_long_chinese_name_answers, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CountyApprover).await;
    for name in LONG_NAMES {
        let q = enc(name);
        let r = app.get(&format!("/households?q={q}")).await;
        assert_eq!(r.status, StatusCode::OK, "/households?q={name}");
        let r = app.get(&format!("/households/export.xlsx?q={q}")).await;
        assert_eq!(r.status, StatusCode::OK, "export q={name}");
        let r = app
            .api("GET", &format!("/api/v1/households?q={q}"), None, None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "API q={name}");
        assert_eq!(r.json()["total"], 0);
    }
    // A registered six-character name is found by its whole name.
    let (hh, _, _) = app.household(true).await;
    let rec = jiuzhu_db::households::get(&app.db, &Scope::everything(), hh)
        .await
        .unwrap()
        .unwrap();
    let person = rec.current_members().next().unwrap().person_id;
    jiuzhu_db::sqlx::query("UPDATE persons SET name = $1 WHERE id = $2")
        .bind("阿卜杜热西提")
        .bind(person)
        .execute(app.db.pool())
        .await
        .unwrap();
    let r = app
        .api(
            "GET",
            &format!("/api/v1/households?q={}", enc("阿卜杜热西提")),
            None,
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 1, "{}", r.text());
});

/// Every 18-character run in `text` that is a valid ID number (check character right).
fn unmasked_ids(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == 'X') {
                i += 1;
            }
            let run: String = chars[start..i].iter().collect();
            if run.len() == 18 && IdNumber::parse(&run).is_ok() {
                found.push(run);
            }
        } else {
            i += 1;
        }
    }
    found
}

/// The same-site links (`href="/..."`) of a page, entities decoded.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|l| l.starts_with('/') && !l.starts_with("//"))
        .map(|l| l.replace("&amp;", "&"))
        .collect()
}

/// Links a crawl does not follow: signing out, files, and the reveal of sensitive data
/// (a form, never a link, but guard anyway).
fn skipped(link: &str) -> bool {
    link.starts_with("/logout")
        || link.starts_with("/static/")
        || link.starts_with("/lang")
        || link.contains("/reveal")
        || link.contains("/scan")
        || link.ends_with(".xlsx")
        || link.ends_with(".pdf")
        || link.ends_with(".csv")
}

/// Gives the test population the work a county has: a month of monitoring with its
/// alerts, an application taken at the window with an authorisation, and a verification.
async fn county_at_work(app: &mut TestApp) {
    let actor = jiuzhu_db::audit::Actor::system("test");
    let villages = jiuzhu_db::regions::villages_under(&app.db, "3303")
        .await
        .unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let population = jiuzhu_roster::demo::generate(&villages, 120, 42, as_of);
    let cats = jiuzhu_app::demo::categories(&population, 42, as_of);
    jiuzhu_db::monitoring::enrol_bulk(&app.db, &actor, &as_of.to_string(), &cats)
        .await
        .unwrap();
    let month = jiuzhu_monitor::Month::parse("2026-10").unwrap();
    jiuzhu_app::demo::seed_feeds(&app.db, &actor, month, 42)
        .await
        .unwrap();
    let set = jiuzhu_monitor::load_rule_set("standard").unwrap();
    jiuzhu_app::grants::run_month(
        &app.db,
        &actor,
        &set,
        month,
        "manual",
        jiuzhu_db::today(),
        &jiuzhu_domain::calendar::WorkCalendar::shipped(),
    )
    .await
    .unwrap();

    let (hh, person) = household_under(app, PINGYANG, None).await;
    app.sign_in(Role::WindowClerk).await;
    let auth = authorise(app, hh, &person).await;
    app.get(&format!("/households/{hh}/verification")).await;
    let r = app
        .post_form(
            &format!("/households/{hh}/verify"),
            &[("authorisation", &auth), ("purpose", "dibao application")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    app.get(&format!("/intake?id_number={person}")).await;
    let r = app
        .post_form(
            "/intake",
            &[
                ("id_number", &person),
                ("household_id", &hh.to_string()),
                ("channel", "window"),
                ("program", "dibao"),
                ("authorisation", &auth),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
}

/// Follows every same-site link reachable from the home page as the signed-in user (GET
/// only, at most `limit` pages) and returns (page, body) of each HTML page that answered.
async fn crawl(app: &mut TestApp, limit: usize) -> Vec<(String, String)> {
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<String> = VecDeque::from(["/".to_string()]);
    let mut pages = Vec::new();
    while let Some(url) = queue.pop_front() {
        if pages.len() >= limit {
            break;
        }
        if !seen.insert(url.clone()) {
            continue;
        }
        let r = app.get(&url).await;
        let html = r
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/html"));
        if r.status != StatusCode::OK || !html {
            continue;
        }
        let body = r.text();
        for l in links(&body) {
            // Pages of one list differ only by their page number: the first two will do.
            let paged = l.contains("page=") && !l.contains("page=2") && l.contains("page=");
            if !skipped(&l) && !seen.contains(&l) && !paged {
                queue.push_back(l);
            }
        }
        pages.push((url, body));
    }
    pages
}

both!(
    no_page_shows_a_full_id_number_or_a_name_it_should_not,
    |b| {
        let mut app = TestApp::new(b).await;
        county_at_work(&mut app).await;
        let names: BTreeSet<String> = {
            let rows = jiuzhu_db::sqlx::query("SELECT name FROM persons")
                .fetch_all(app.db.pool())
                .await
                .unwrap();
            rows.iter()
                .map(|r| jiuzhu_db::sqlx::Row::try_get::<String, _>(r, 0).unwrap())
                .filter(|n| n.chars().count() >= 2)
                .collect()
        };
        // The test township may hold none of the 120 households: give the village worker
        // the county, so its crawl reaches household pages.
        jiuzhu_db::sqlx::query("UPDATE users SET scope_region = $1 WHERE username = $2")
            .bind(PINGYANG)
            .bind(username(Role::VillageWorker))
            .execute(app.db.pool())
            .await
            .unwrap();
        let mut reached: BTreeSet<String> = BTreeSet::new();
        for role in Role::ALL {
            app.sign_in(role).await;
            let pages = crawl(&mut app, 250).await;
            eprintln!("crawl as {role:?}: {} pages", pages.len());
            assert!(!pages.is_empty(), "{role:?} reached no page");
            reached.extend(pages.iter().map(|(u, _)| u.clone()));
            for (url, body) in &pages {
                let ids = unmasked_ids(body);
                assert!(
                    ids.is_empty(),
                    "{role:?}: {url} shows full ID numbers {ids:?}"
                );
                if !role.sees_full_names() {
                    let shown: Vec<&String> =
                        names.iter().filter(|n| body.contains(n.as_str())).collect();
                    assert!(
                        shown.is_empty(),
                        "{role:?}: {url} shows full names {shown:?}"
                    );
                }
            }
            if matches!(role, Role::VillageWorker | Role::DepartmentHandler) {
                let urls: Vec<&String> = pages.iter().map(|(u, _)| u).collect();
                assert!(
                    pages.iter().any(|(u, _)| u.starts_with("/households/")),
                    "{role:?}: the crawl reached no household page: {urls:?}"
                );
            }
        }
        // The pages that held full ID numbers were reached.
        for part in ["/verification", "/intake?alert=", "/cases/", "/alerts/"] {
            assert!(
                reached.iter().any(|u| u.contains(part)),
                "the crawl reached no page like {part}"
            );
        }
    }
);

both!(the_household_export_holds_every_row_in_scope, |b| {
    let mut app = TestApp::new(b).await;
    // More households than one page of the export (2,000) and than the old cap (500).
    let villages = jiuzhu_db::regions::villages_under(&app.db, PINGYANG)
        .await
        .unwrap();
    let as_of = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let more = jiuzhu_roster::demo::generate(&villages, 2_300, 7, as_of);
    let opts = jiuzhu_app::roster::ImportOptions {
        as_of,
        source: jiuzhu_domain::EvidenceSource::Declared,
        actor: jiuzhu_db::audit::Actor::system("test"),
        batch: 1_000,
        scope: String::new(),
        label: None,
    };
    let mut report = Default::default();
    jiuzhu_app::roster::register(&app.db, &more, &opts, "more", &mut report, &mut |_| {})
        .await
        .unwrap();
    let (_, in_scope) = jiuzhu_db::households::search(
        &app.db,
        &Scope::new(&jiuzhu_domain::RegionCode::parse(PINGYANG).unwrap()),
        &Default::default(),
    )
    .await
    .unwrap();
    assert!(in_scope > 2_000, "{in_scope}");
    app.sign_in(Role::CountyApprover).await;
    let r = app.get("/households/export.xlsx").await;
    assert_eq!(r.status, StatusCode::OK);
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(r.body.clone())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<_> = sheet.rows().skip(1).collect();
    assert_eq!(rows.len() as i64, in_scope, "every household in scope");
    let codes: HashSet<String> = rows.iter().map(|r| r[0].to_string()).collect();
    assert_eq!(codes.len(), rows.len(), "no household twice");
    for r in &rows {
        assert!(unmasked_ids(&r[2].to_string()).is_empty(), "ID masked");
    }
    let (audit, _) = jiuzhu_db::audit::search(
        &app.db,
        &jiuzhu_db::audit::Filter {
            action: Some("household.export".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let detail: serde_json::Value = serde_json::from_str(&audit[0].detail).unwrap();
    assert_eq!(
        detail["rows"],
        rows.len() as i64,
        "the audit counts what was written"
    );

    // A search by ID number: the audit keeps it masked.
    let (_, id) = household_under(&app, PINGYANG, None).await;
    let r = app.get(&format!("/households/export.xlsx?q={id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let (audit, _) = jiuzhu_db::audit::search(
        &app.db,
        &jiuzhu_db::audit::Filter {
            action: Some("household.export".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        audit.iter().all(|a| !a.detail.contains(&id)),
        "the export's audit holds the full ID number"
    );
    let detail: serde_json::Value = serde_json::from_str(&audit[0].detail).unwrap();
    assert_eq!(detail["rows"], 1);
});

/// Pushes `csv` as a snapshot of `feed` with a bearer token.
async fn push(app: &mut TestApp, token: &str, feed: &str, csv: &str) -> Resp {
    app.request(
        "POST",
        &format!("/api/v1/feeds/{feed}/snapshots?as_of=2026-10-31&file_name={feed}.csv"),
        Some("text/csv"),
        csv.as_bytes().to_vec(),
        &[("authorization", &format!("Bearer {token}"))],
    )
    .await
}

both!(a_feed_is_imported_by_its_department_about_its_region, |b| {
    let mut app = TestApp::new(b).await;
    let (_, inside) = household_under(&app, PINGYANG, None).await;
    let (_, outsider, _) = app.household(false).await;
    // A medical-insurance handler of Pingyang may not deliver deaths or prison admissions.
    jiuzhu_db::sqlx::query("UPDATE users SET department = 'medical_insurance' WHERE username = $1")
        .bind(username(Role::DepartmentHandler))
        .execute(app.db.pool())
        .await
        .unwrap();
    let medical = api_token(&app, Role::DepartmentHandler).await;
    for (feed, csv) in [
        (
            "deaths",
            format!("id_number,death_date\n{inside},2026-10-01\n"),
        ),
        (
            "prison",
            format!("id_number,admit_date\n{inside},2026-10-01\n"),
        ),
    ] {
        let r = push(&mut app, &medical, feed, &csv).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{feed}: {}", r.text());
    }
    // Through the page too, with the reason.
    app.sign_in(Role::DepartmentHandler).await;
    app.get("/feeds").await;
    let csv = format!("id_number,death_date\n{inside},2026-10-01\n");
    let r = app
        .post_multipart(
            "/feeds/import",
            &[("feed_type", "deaths"), ("as_of", "2026-10-31")],
            Some(("file", "deaths.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("deaths"), "the refusal names the feed");
    // Its own feed, medical settlements, goes in.
    let csv = format!(
        "id_number,settle_date,total_cost,out_of_pocket\n{inside},2026-10-01,30000,15000\n"
    );
    let r = push(&mut app, &medical, "medical", &csv).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert!(
        jiuzhu_db::feeds::snapshots(&app.db, None)
            .await
            .unwrap()
            .iter()
            .all(|s| s.feed_type == "medical")
    );

    // The justice bureau's handler of Pingyang: a row about a person registered in another
    // county is refused by line; the rest goes in.
    jiuzhu_db::sqlx::query("UPDATE users SET department = 'justice' WHERE username = $1")
        .bind(username(Role::DepartmentHandler))
        .execute(app.db.pool())
        .await
        .unwrap();
    let justice = api_token(&app, Role::DepartmentHandler).await;
    let csv = format!(
        "id_number,admit_date\n{inside},2026-10-01\n{outsider},2026-10-02\n11010519491231002X,2026-10-03\n"
    );
    let r = push(&mut app, &justice, "prison", &csv).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let j = r.json();
    assert_eq!(
        (j["rows"].as_i64(), j["refused"].as_i64()),
        (Some(2), Some(1)),
        "{j}"
    );
    let refused = j["refused_rows"][0].as_str().unwrap();
    assert!(
        refused.contains(":3: id_number:") && refused.contains("outside"),
        "{refused}"
    );
    assert!(
        !refused.contains(&outsider),
        "the refusal masks the ID number"
    );

    // A city-wide feed is not checked against the region.
    app.sign_in(Role::CityAdmin).await;
    app.get("/feeds").await;
    let r = app
        .post_form(
            "/feeds/types",
            &[
                ("name", "wanted"),
                ("label_zh", "在逃人员"),
                ("department", "justice"),
                ("city_wide", "1"),
                ("kind", "events"),
                ("id_column", "id_number"),
                ("columns", "id_number:id_number, since:date"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let csv = format!("id_number,since\n{outsider},2026-10-02\n");
    let r = push(&mut app, &justice, "wanted", &csv).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["rows"], 1);
});

both!(names_and_texts_have_a_length_limit, |b| {
    let mut app = TestApp::new(b).await;
    let (hh, _) = household_under(&app, PINGYANG, None).await;
    let rec = jiuzhu_db::households::get(&app.db, &Scope::everything(), hh)
        .await
        .unwrap()
        .unwrap();
    let person = rec.current_members().next().unwrap().person_id;
    let token = api_token(&app, Role::CountyApprover).await;
    let long = "张".repeat(10_000);
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/households/{hh}/members/{person}"),
            Some(serde_json::json!({"name": long, "phone": ""})),
            Some(&token),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("name"), "{}", r.text());
    let stored = jiuzhu_db::households::get(&app.db, &Scope::everything(), hh)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.members.iter().all(|m| m.name.chars().count() <= 40));
    // A name of 40 characters is taken.
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/households/{hh}/members/{person}"),
            Some(serde_json::json!({"name": "张".repeat(40), "phone": ""})),
            Some(&token),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.text());
    // A 10,000-character address is refused by the page.
    app.sign_in(Role::CountyApprover).await;
    app.get(&format!("/households/{hh}/edit")).await;
    let r = app
        .post_form(
            &format!("/households/{hh}/edit"),
            &[
                ("region_code", &stored.household.region_code),
                ("hukou", &stored.household.hukou),
                ("address", &"路".repeat(10_000)),
                ("bank_name", ""),
                ("bank_account", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.status);
});

both!(
    a_sign_in_from_another_origin_or_without_the_form_is_refused,
    |b| {
        let mut app = TestApp::new(b).await;
        let user = username(Role::WindowClerk);
        let body = format!("username={}&password={}", enc(&user), enc(PASSWORD));
        // Posted without the sign-in page's token: refused, no session.
        let r = app
            .request(
                "POST",
                "/login",
                Some("application/x-www-form-urlencoded"),
                body.clone().into_bytes(),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(app.cookie.is_none());
        // With a token but from another site: refused.
        app.get("/login").await;
        let token = app.csrf.clone().unwrap();
        let r = app
            .request(
                "POST",
                "/login",
                Some("application/x-www-form-urlencoded"),
                format!("{body}&csrf={token}").into_bytes(),
                &[
                    ("host", "jiuzhu.example"),
                    ("origin", "https://evil.example"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(app.cookie.is_none());
        // From the page, on the same origin: signed in.
        app.get("/login").await;
        let token = app.csrf.clone().unwrap();
        let r = app
            .request(
                "POST",
                "/login",
                Some("application/x-www-form-urlencoded"),
                format!("{body}&csrf={token}").into_bytes(),
                &[
                    ("host", "jiuzhu.example"),
                    ("origin", "https://jiuzhu.example"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert!(app.cookie.is_some());
    }
);

both!(locked_is_said_of_unknown_names_too, |b| {
    let mut app = TestApp::new(b).await;
    let mut texts = Vec::new();
    for name in ["nobody-at-all", &username(Role::WindowClerk)] {
        let mut last = String::new();
        for _ in 0..6 {
            let r = app
                .post_form(
                    "/login",
                    &[("username", name), ("password", "wrong-password")],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            last = r.text();
        }
        assert!(last.contains("锁定"), "{name}: locked after five failures");
        texts.push(last.replace(name, "NAME"));
    }
    let error = |t: &str| {
        t.split("class=\"error\"")
            .nth(1)
            .unwrap_or("")
            .split("</p>")
            .next()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        error(&texts[0]),
        error(&texts[1]),
        "the same answer for both"
    );
});

both!(
    tokens_expire_can_be_revoked_and_stop_with_a_locked_account,
    |b| {
        let mut app = TestApp::new(b).await;
        let token = api_token(&app, Role::CountyApprover).await;
        let ok = |r: &Resp| r.status == StatusCode::OK;
        assert!(ok(&app.api("GET", "/api/v1/me", None, Some(&token)).await));
        // A locked account's token stops working.
        jiuzhu_db::sqlx::query(
            "UPDATE users SET locked_until = '2999-01-01T00:00:00.000000Z' WHERE username = $1",
        )
        .bind(username(Role::CountyApprover))
        .execute(app.db.pool())
        .await
        .unwrap();
        let r = app.api("GET", "/api/v1/me", None, Some(&token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        jiuzhu_db::sqlx::query("UPDATE users SET locked_until = NULL WHERE username = $1")
            .bind(username(Role::CountyApprover))
            .execute(app.db.pool())
            .await
            .unwrap();
        assert!(ok(&app.api("GET", "/api/v1/me", None, Some(&token)).await));
        // An expired token is refused.
        jiuzhu_db::sqlx::query("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000000Z'")
            .execute(app.db.pool())
            .await
            .unwrap();
        let r = app.api("GET", "/api/v1/me", None, Some(&token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        // A new token is revoked from the user administration.
        let token = api_token(&app, Role::CountyApprover).await;
        assert!(ok(&app.api("GET", "/api/v1/me", None, Some(&token)).await));
        let user = jiuzhu_db::users::by_username(&app.db, &username(Role::CountyApprover))
            .await
            .unwrap()
            .unwrap();
        let tokens = jiuzhu_db::sessions::tokens_of(&app.db, user.id)
            .await
            .unwrap();
        let active = tokens
            .iter()
            .find(|t| !t.revoked && t.expires_at > jiuzhu_db::now_text())
            .unwrap();
        app.sign_in(Role::CityAdmin).await;
        let page = app.get(&format!("/admin/users/{}", user.id)).await.text();
        assert!(
            page.contains("id=\"tokens\"") && page.contains("已过期"),
            "{page}"
        );
        let r = app
            .post_form(
                &format!("/admin/users/{}/tokens/{}/revoke", user.id, active.id),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let r = app.api("GET", "/api/v1/me", None, Some(&token)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
);

both!(
    the_online_application_trusts_no_claimed_address_and_limits_tries,
    |b| {
        let mut app = TestApp::new(b).await;
        let (hh, _) = household_under(&app, PINGYANG, None).await;
        let rec = jiuzhu_db::households::get(&app.db, &Scope::everything(), hh)
            .await
            .unwrap()
            .unwrap();
        let m = rec
            .current_members()
            .find(|m| !m.phone.is_empty())
            .expect("a member with a phone")
            .clone();
        let form = |phone: &str| {
            format!(
                "id_number={}&name={}&phone={phone}&program=temporary&expense=8000",
                m.id_number,
                enc(&m.name)
            )
        };
        // The claimed address is not recorded; the application's answer has no redirect.
        let r = app
            .request(
                "POST",
                "/apply",
                Some("application/x-www-form-urlencoded"),
                form(&m.phone).into_bytes(),
                &[("x-forwarded-for", "203.0.113.9")],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        assert!(r.location.is_none());
        let (audit, _) = jiuzhu_db::audit::search(
            &app.db,
            &jiuzhu_db::audit::Filter {
                action: Some("application.create".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(!audit.is_empty());
        assert_eq!(
            audit[0].ip, "127.0.0.1",
            "the peer's address, not the claimed one"
        );
        // Wrong phone numbers against one ID number: after five, even the right one waits.
        for _ in 0..5 {
            let r = app
                .request(
                    "POST",
                    "/apply",
                    Some("application/x-www-form-urlencoded"),
                    form("13000000000").into_bytes(),
                    &[],
                )
                .await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        let r = app
            .request(
                "POST",
                "/apply",
                Some("application/x-www-form-urlencoded"),
                form(&m.phone).into_bytes(),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.text().contains("尝试次数过多") || r.text().contains("Too many"));
    }
);

both!(
    every_api_error_is_the_json_error_shape_and_documented,
    |b| {
        let mut app = TestApp::new(b).await;
        let token = api_token(&app, Role::CountyApprover).await;
        let auth = format!("Bearer {token}");
        // (method, path, content type, body, status)
        type Case<'a> = (&'a str, &'a str, Option<&'a str>, &'a [u8], StatusCode);
        let cases: [Case; 5] = [
            (
                "POST",
                "/api/v1/households",
                Some("application/json"),
                b"{not json",
                StatusCode::BAD_REQUEST,
            ),
            (
                "POST",
                "/api/v1/households",
                Some("text/plain"),
                b"{}",
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (
                "GET",
                "/api/v1/households/not-a-number",
                None,
                b"",
                StatusCode::BAD_REQUEST,
            ),
            (
                "GET",
                "/api/v1/no-such-thing",
                None,
                b"",
                StatusCode::NOT_FOUND,
            ),
            (
                "DELETE",
                "/api/v1/households",
                None,
                b"",
                StatusCode::METHOD_NOT_ALLOWED,
            ),
        ];
        for (method, uri, ct, body, status) in cases {
            let r = app
                .request(method, uri, ct, body.to_vec(), &[("authorization", &auth)])
                .await;
            assert_eq!(r.status, status, "{method} {uri}: {}", r.text());
            let ct = r.headers["content-type"].to_str().unwrap();
            assert!(ct.starts_with("application/json"), "{method} {uri}: {ct}");
            let j = r.json();
            assert!(
                j["error"].is_string() && j["message"].is_string(),
                "{method} {uri}: {j}"
            );
        }
        // The document names these answers for every operation.
        let doc = app.get("/api/openapi.json").await.json();
        let mut operations = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if path == "/api/openapi.json" || method == "parameters" {
                    continue;
                }
                operations += 1;
                for code in ["400", "401", "403", "404", "422"] {
                    assert!(
                        op["responses"].get(code).is_some(),
                        "{method} {path} does not document {code}"
                    );
                }
            }
        }
        assert!(operations > 20, "{operations}");
    }
);

both!(a_page_number_past_the_end_answers, |b| {
    let mut app = TestApp::new(b).await;
    let token = api_token(&app, Role::CityAdmin).await;
    for uri in [
        "/api/v1/households?page=9223372036854775806",
        "/api/v1/alerts?page=9223372036854775806",
        "/api/v1/audit?page=9223372036854775806",
    ] {
        let r = app.api("GET", uri, None, Some(&token)).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.text());
    }
    app.sign_in(Role::CityAdmin).await;
    for uri in [
        "/households?page=9223372036854775806",
        "/audit?page=9223372036854775806",
    ] {
        assert_eq!(app.get(uri).await.status, StatusCode::OK, "{uri}");
    }
});
