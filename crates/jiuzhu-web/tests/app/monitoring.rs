//! Feeds, monitoring runs, alerts worked to closure, and verification under authorisation,
//! through the pages as staff use them.

use super::*;
use axum::http::StatusCode;
use jiuzhu_db::households::{self, Scope};
use jiuzhu_domain::Role;

async fn enrol(app: &TestApp, household: i64, category: &str) {
    jiuzhu_db::monitoring::set_category(
        &app.db,
        &Scope::everything(),
        &jiuzhu_db::audit::Actor::system("test"),
        household,
        Some(category),
        "2026-01-01",
    )
    .await
    .unwrap();
}

async fn alert_ids(app: &TestApp, rule: &str) -> Vec<(i64, String, String)> {
    let (alerts, _) = jiuzhu_db::monitoring::alerts(
        &app.db,
        &Scope::everything(),
        &jiuzhu_db::monitoring::AlertFilter {
            rule: Some(rule.into()),
            per_page: 500,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    alerts
        .into_iter()
        .map(|a| (a.id, a.subject, a.status))
        .collect()
}

both!(feeds_alerts_and_their_life, |b| {
    let mut app = TestApp::new(b).await;
    let (inside, person) = household_under(&app, PINGYANG, None).await;
    let (outside, outsider, _) = app.household(false).await;
    enrol(&app, inside, "dibao").await;
    enrol(&app, outside, "dibao").await;

    // A medical feed: two settlements over the line for each person, one bad row.
    app.sign_in(Role::CityAdmin).await;
    let csv = format!(
        "id_number,settle_date,total_cost,out_of_pocket\n\
         {person},2026-03-01,30000,15000.00\n\
         {person},2026-10-31,9000,5000.01\n\
         110105194912310021,2026-10-01,1,1\n\
         {outsider},2026-10-02,40000,25000\n"
    );
    let r = app
        .post_multipart(
            "/feeds/import",
            &[("feed_type", "medical"), ("as_of", "2026-11-05")],
            Some(("file", "medical-2026-10.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app.get(r.location.as_deref().unwrap()).await.text();
    assert!(page.contains("id=\"snapshot-rows\">3<"), "{page}");
    assert!(page.contains("id=\"snapshot-refused\">1<"));
    assert!(
        page.contains("medical-2026-10.csv") && page.contains(">4<") && page.contains("id_number")
    );
    // The same file again is refused and stores nothing.
    let again = app
        .post_multipart(
            "/feeds/import",
            &[("feed_type", "medical"), ("as_of", "2026-11-05")],
            Some(("file", "medical-2026-10.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().contains("already imported"));
    assert_eq!(
        jiuzhu_db::feeds::snapshots(&app.db, None)
            .await
            .unwrap()
            .len(),
        1
    );

    // Run the rules for October twice: the second run raises nothing new.
    let r = app.post_form("/rules/run", &[("month", "2026-10")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let raised = alert_ids(&app, "large_medical").await;
    let subjects: Vec<&str> = raised.iter().map(|(_, s, _)| s.as_str()).collect();
    assert!(
        subjects.contains(&person.as_str()) && subjects.contains(&outsider.as_str()),
        "{raised:?}"
    );
    app.post_form("/rules/run", &[("month", "2026-10")]).await;
    assert_eq!(alert_ids(&app, "large_medical").await.len(), raised.len());
    let runs = jiuzhu_db::monitoring::runs(&app.db, 10).await.unwrap();
    assert_eq!((runs.len(), runs[0].new_alerts), (2, 0));

    let mine = raised.iter().find(|(_, s, _)| *s == person).unwrap().0;
    let theirs = raised.iter().find(|(_, s, _)| *s == outsider).unwrap().0;

    // The county approver sees the county's alert, masked, and not another county's.
    app.sign_in(Role::CountyApprover).await;
    let inbox = app.get("/alerts").await.text();
    assert!(inbox.contains(&format!("/alerts/{mine}\"")));
    assert!(!inbox.contains(&format!("/alerts/{theirs}\"")));
    // Regions by name, the code on hover.
    let cell = &inbox[inbox
        .find("<td class=\"region\" title=\"")
        .expect("a region cell")..];
    let shown = cell.split('>').nth(1).unwrap().split('<').next().unwrap();
    assert!(
        !shown.is_empty() && !shown.chars().all(|c| c.is_ascii_digit()),
        "the region is named: {shown:?}"
    );
    assert!(
        !inbox.contains(&person),
        "the ID number is masked in the inbox"
    );
    assert_eq!(
        app.get(&format!("/alerts/{theirs}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post_form(
            &format!("/alerts/{theirs}"),
            &[("step", "assign"), ("assignee", "county")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // No step can be skipped: new → closed is refused.
    let url = format!("/alerts/{mine}");
    let r = app
        .post_form(
            &url,
            &[("step", "close"), ("outcome", "false_alarm"), ("note", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.text().contains("当前为“新预警”，不能转为“已办结”"),
        "{}",
        r.text()
    );

    // Bulk assignment, investigation, closure with an outcome.
    let me = username(Role::CountyApprover);
    let r = app
        .post_form(
            "/alerts/bulk",
            &[("ids", &mine.to_string()), ("assignee", &me)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.post_form(&url, &[("step", "investigate")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = app
        .post_form(
            &url,
            &[("step", "close"), ("outcome", "false_alarm"), ("note", "")],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a closure needs a note"
    );
    let r = app
        .post_form(
            &url,
            &[
                ("step", "close"),
                ("outcome", "false_alarm"),
                ("note", "settled costs were reimbursed"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&url).await.text();
    assert!(
        page.contains("id=\"alert-status\" class=\"status-closed\""),
        "{page}"
    );
    assert!(
        page.contains("data-action=\"alert.advance\">预警办理<"),
        "the history shows each step"
    );
    let rules = app.get("/rules").await.text();
    let row = &rules[rules.find("data-rule=\"large_medical\"").unwrap()..];
    assert!(
        row.contains("class=\"false-share\">100.0%"),
        "{}",
        &row[..600]
    );

    // The alert's life is in the audit log, and the chain holds.
    assert!(jiuzhu_db::audit::verify(&app.db).await.unwrap().ok);
});

both!(verification_needs_an_authorisation, |b| {
    let mut app = TestApp::new(b).await;
    let (hh, person) = household_under(&app, PINGYANG, None).await;
    app.sign_in(Role::CityAdmin).await;
    let csv = format!("id_number,plate,price,reg_date\n{person},浙C12345,500000.00,2026-05-01\n");
    let r = app
        .post_multipart(
            "/feeds/import",
            &[("feed_type", "vehicles"), ("as_of", "2026-06-01")],
            Some(("file", "vehicles.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    app.sign_in(Role::WindowClerk).await;
    app.get(&format!("/households/{hh}/verification")).await;
    let r = app
        .post_form(
            &format!("/households/{hh}/verify"),
            &[("authorisation", ""), ("purpose", "dibao application")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("请选择该户签署的授权书"), "{}", r.text());
    let (queries, _) = jiuzhu_db::audit::search(
        &app.db,
        &jiuzhu_db::audit::Filter {
            action: Some("verification.query".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(queries.is_empty(), "nothing was queried");

    // An authorisation without its scan is refused, naming the field.
    let signer = member_person_id(&app, hh, &person).await;
    let r = app
        .post_multipart(
            &format!("/households/{hh}/authorisations"),
            &[
                ("signer", &signer),
                ("signer_name", "户主"),
                ("scope", "all"),
                ("signed_on", "2026-11-01"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("请上传签字授权书的扫描件"),
        "{}",
        r.text()
    );
    let r = app
        .post_multipart(
            &format!("/households/{hh}/authorisations"),
            &[
                ("signer", &signer),
                ("signer_name", "户主"),
                ("scope", "all"),
                ("signed_on", "2026-11-01"),
            ],
            Some(("scan", "auth.pdf", b"%PDF-1.4 signed form")),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let auths = jiuzhu_db::verification::authorisations(&app.db, &Scope::everything(), hh)
        .await
        .unwrap();
    let auth = auths[0].id.to_string();
    let r = app
        .post_form(
            &format!("/households/{hh}/verify"),
            &[("authorisation", &auth), ("purpose", "dibao application")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let report_url = r.location.unwrap();
    let page = app.get(&report_url).await.text();
    assert!(
        page.contains("浙C12345") && page.contains("500000.00"),
        "{page}"
    );
    assert!(
        !page.contains(&person),
        "ID numbers are masked in the report"
    );
    // Accept the vehicle finding into the evidence, source verified.
    let r = app
        .post_form(&format!("{report_url}/accept"), &[("finding", "0")])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let rec = households::get(&app.db, &Scope::everything(), hh)
        .await
        .unwrap()
        .unwrap();
    let v = rec
        .evidence
        .iter()
        .find(|e| e.kind == "property.vehicle" && e.valid_to.is_none())
        .expect("vehicle evidence");
    assert_eq!(
        (v.value.as_str(), v.source.as_str()),
        ("500000.00", "verified")
    );
    let (queries, _) = jiuzhu_db::audit::search(
        &app.db,
        &jiuzhu_db::audit::Filter {
            action: Some("verification.query".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(queries.len(), 1);
    assert!(queries[0].detail.contains("dibao application"));
});

both!(automatic_assistance_is_computed_and_approved, |b| {
    let mut app = TestApp::new(b).await;
    let (hh, person) = household_under(&app, PINGYANG, None).await;
    enrol(&app, hh, "lowinc").await;
    // No one-vote veto: no deposits or vehicle, one house.
    for (kind, value) in [
        ("property.deposits", "0"),
        ("property.vehicle", "0"),
        ("property.houses", "1"),
    ] {
        let e = jiuzhu_web::pages::parse_evidence(
            "household",
            kind,
            value,
            "verified",
            "2026-01-01",
            "",
        )
        .unwrap();
        households::record_evidence(
            &app.db,
            &Scope::everything(),
            &jiuzhu_db::audit::Actor::system("test"),
            hh,
            &e,
        )
        .await
        .unwrap();
    }
    app.sign_in(Role::CityAdmin).await;
    let csv = format!(
        "id_number,settle_date,total_cost,out_of_pocket\n{person},2026-10-15,400000,300000.00\n"
    );
    let r = app
        .post_multipart(
            "/feeds/import",
            &[("feed_type", "medical"), ("as_of", "2026-11-02")],
            Some(("file", "medical.csv", csv.as_bytes())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = app.post_form("/rules/run", &[("month", "2026-10")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let alert = alert_ids(&app, "medical_grant").await;
    assert_eq!(alert.len(), 1, "{alert:?}");
    let id = alert[0].0;
    let grant = jiuzhu_db::monitoring::grant_of_alert(&app.db, id)
        .await
        .unwrap()
        .expect("a proposed grant");
    assert_eq!(
        (grant.status.as_str(), grant.expense_fen),
        ("proposed", 30_000_000)
    );
    assert!(
        grant.amount_fen > 0 && grant.amount_fen < grant.expense_fen,
        "capped: {}",
        grant.amount_fen
    );
    // The decision's receipt replays to the same bytes.
    assert_eq!(
        jiuzhu_policy::receipt::replay(&grant.receipt).unwrap(),
        jiuzhu_policy::receipt::Replay::Identical
    );

    app.sign_in(Role::CountyApprover).await;
    let page = app.get(&format!("/alerts/{id}")).await.text();
    assert!(page.contains("id=\"grant-amount\"") && page.contains(&grant.receipt_sha256));
    let form = [
        ("grant", grant.id.to_string()),
        ("decision", "approve".to_string()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_form(&format!("/alerts/{id}/grant"), &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let a = jiuzhu_db::monitoring::alert(&app.db, &Scope::everything(), id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (a.status.as_str(), a.outcome.as_deref()),
        ("closed", Some("assistance_started"))
    );
    let r = app.post_form(&format!("/alerts/{id}/grant"), &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("该救助已处理（已批准）"), "{}", r.text());
});

both!(
    a_department_pushes_a_feed_and_alerts_are_worked_through_the_api,
    |b| {
        let mut app = TestApp::new(b).await;
        let (hh, person) = household_under(&app, PINGYANG, None).await;
        enrol(&app, hh, "dibao").await;
        let justice = api_token(&app, Role::DepartmentHandler).await;
        let county = api_token(&app, Role::CountyApprover).await;
        let csv = format!("id_number,admit_date\n{person},2026-09-01\nnot-an-id,2026-09-01\n");
        let r = app
            .request(
                "POST",
                "/api/v1/feeds/prison/snapshots?as_of=2026-10-31&file_name=prison-2026-10.csv",
                Some("text/csv"),
                csv.into_bytes(),
                &[("authorization", &format!("Bearer {justice}"))],
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let j = r.json();
        assert_eq!(
            (j["rows"].as_i64(), j["refused"].as_i64()),
            (Some(1), Some(1))
        );
        assert!(
            j["refused_rows"][0]
                .as_str()
                .unwrap()
                .starts_with("prison-2026-10.csv:3: id_number:")
        );
        // A department handler cannot run the rules; the county approver can.
        let r = app
            .api(
                "POST",
                "/api/v1/monitor/runs",
                Some(serde_json::json!({"month": "2026-10"})),
                Some(&justice),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = app
            .api(
                "POST",
                "/api/v1/monitor/runs",
                Some(serde_json::json!({"month": "2026-10"})),
                Some(&county),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["new_alerts"], 1);
        let list = app
            .api(
                "GET",
                "/api/v1/alerts?rule=incarcerated_recipient",
                None,
                Some(&county),
            )
            .await
            .json();
        assert_eq!(list["total"], 1);
        let alert = &list["alerts"][0];
        assert_eq!(alert["action"], "suspend");
        assert_ne!(alert["subject"], person.as_str(), "masked");
        let id = alert["id"].as_i64().unwrap();
        let r = app
            .api(
                "POST",
                "/api/v1/alerts/assign",
                Some(serde_json::json!({"ids": [id], "assignee": "county-approver"})),
                Some(&county),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        let r = app
            .api(
                "POST",
                &format!("/api/v1/alerts/{id}/steps"),
                Some(serde_json::json!({"step": "close", "outcome": "suspended", "note": "x"})),
                Some(&county),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CONFLICT,
            "assigned → closed skips investigating"
        );
        for body in [
            serde_json::json!({"step": "investigate"}),
            serde_json::json!({"step": "close", "outcome": "suspended", "note": "收监，暂停发放"}),
        ] {
            let r = app
                .api(
                    "POST",
                    &format!("/api/v1/alerts/{id}/steps"),
                    Some(body),
                    Some(&county),
                )
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
        let stats = app
            .api("GET", "/api/v1/rules", None, Some(&county))
            .await
            .json();
        let s = stats
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["rule"] == "incarcerated_recipient")
            .unwrap();
        assert_eq!(
            (s["closed"].as_i64(), s["false_alarm_permille"].as_i64()),
            (Some(1), Some(0))
        );
        let doc = app.get("/api/openapi.json").await.json();
        assert!(doc["paths"].get("/api/v1/alerts/{id}/steps").is_some());
    }
);

both!(
    an_administrator_declares_a_feed_type_without_a_release,
    |b| {
        let mut app = TestApp::new(b).await;
        let (_, person) = household_under(&app, PINGYANG, None).await;
        app.sign_in(Role::CityAdmin).await;
        app.get("/feeds").await;
        let declare = |cols: &'static str, id_column: &'static str| {
            vec![
                ("name", "housing_fund"),
                ("label_zh", "住房公积金缴存"),
                ("department", "housing_fund"),
                ("kind", "full"),
                ("id_column", id_column),
                ("columns", cols),
            ]
        };
        let r = app
            .post_form(
                "/feeds/types",
                &declare("id_number:id_number, balance:float", "id_number"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("columns:"), "the message names the field");
        let r = app
            .post_form(
                "/feeds/types",
                &declare("id_number:id_number, balance:money", "account"),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().contains("id_column:"));
        let r = app
            .post_form(
                "/feeds/types",
                &declare(
                    "id_number:id_number, month:text, balance:money",
                    "id_number",
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let r = app
            .post_form("/feeds/types", &declare("id_number:id_number", "id_number"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the name is taken"
        );
        // The new type takes files at once, checked by its declared columns.
        let csv =
            format!("id_number,month,balance\n{person},2026-10,12000.5\n{person},2026-10,lots\n");
        let r = app
            .post_multipart(
                "/feeds/import",
                &[("feed_type", "housing_fund"), ("as_of", "2026-10-31")],
                Some(("file", "fund.csv", csv.as_bytes())),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let page = app.get(r.location.as_deref().unwrap()).await.text();
        assert!(
            page.contains("id=\"snapshot-rows\">1<") && page.contains("balance"),
            "{page}"
        );
        // Only the city administrator and county approvers declare types.
        app.sign_in(Role::DepartmentHandler).await;
        app.get("/feeds").await;
        let r = app
            .post_form("/feeds/types", &declare("id_number:id_number", "id_number"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
);

both!(a_feed_that_fails_half_way_leaves_no_snapshot, |b| {
    let app = TestApp::new(b).await;
    // A trigger that fails on one row deep in the file (in the second multi-row statement).
    let trigger = match b {
        jiuzhu_db::Backend::Sqlite => vec![
            "CREATE TRIGGER boom BEFORE INSERT ON feed_rows WHEN NEW.id_number = 'BOOM' BEGIN SELECT RAISE(ABORT, 'boom'); END",
        ],
        jiuzhu_db::Backend::Postgres => vec![
            "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.id_number = 'BOOM' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$",
            "CREATE TRIGGER boom BEFORE INSERT ON feed_rows FOR EACH ROW EXECUTE FUNCTION boom()",
        ],
    };
    for sql in trigger {
        jiuzhu_db::sqlx::raw_sql(jiuzhu_db::sqlx::AssertSqlSafe(sql))
            .execute(app.db.pool())
            .await
            .unwrap();
    }
    let rows: Vec<(i64, String, String)> = (0..2000)
        .map(|i| {
            let id = if i == 1500 {
                "BOOM".to_string()
            } else {
                "11010519491231002X".to_string()
            };
            (i + 2, id.clone(), format!("[\"{id}\",\"2026-10-01\"]"))
        })
        .collect();
    let s = jiuzhu_db::feeds::NewSnapshot {
        feed_type: "deaths".into(),
        as_of: "2026-10-31".into(),
        file_name: "deaths.csv".into(),
        format: "csv".into(),
        columns: "[\"id_number\",\"death_date\"]".into(),
        sha256: "0".repeat(64),
        rejected: 0,
        report: "[]".into(),
    };
    let e = jiuzhu_db::feeds::insert_snapshot(
        &app.db,
        &jiuzhu_db::audit::Actor::system("test"),
        &s,
        &rows,
    )
    .await;
    assert!(e.is_err());
    assert!(
        jiuzhu_db::feeds::snapshots(&app.db, None)
            .await
            .unwrap()
            .is_empty()
    );
    let n: i64 = jiuzhu_db::sqlx::Row::try_get(
        &jiuzhu_db::sqlx::query("SELECT COUNT(*) FROM feed_rows")
            .fetch_one(app.db.pool())
            .await
            .unwrap(),
        0,
    )
    .unwrap();
    assert_eq!(n, 0, "no row of the failed snapshot stayed");
});

both!(a_feed_larger_than_two_megabytes_is_taken, |b| {
    let mut app = TestApp::new(b).await;
    let (_, person) = household_under(&app, PINGYANG, None).await;
    let token = api_token(&app, Role::DepartmentHandler).await;
    // Over the web server's default body limit of 2 MB.
    let csv: String = std::iter::once(format!("id_number,admit_date\n{person},2026-09-01\n"))
        .chain((0..150_000).map(|_| "not-an-id,2026-09-01\n".to_string()))
        .collect();
    assert!(csv.len() > 3 << 20);
    let r = app
        .request(
            "POST",
            "/api/v1/feeds/prison/snapshots?as_of=2026-10-31&file_name=prison-2026-10.csv",
            Some("text/csv"),
            csv.into_bytes(),
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "{}",
        &r.text()[..200.min(r.body.len())]
    );
    let j = r.json();
    assert_eq!(
        (j["rows"].as_i64(), j["refused"].as_i64()),
        (Some(1), Some(150_000))
    );
});
