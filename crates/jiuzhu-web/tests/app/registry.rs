//! Registering and correcting households; evidence history; regions; the audit chain.

use axum::http::StatusCode;
use jiuzhu_db::households::{self, NewEvidence, Scope, Subject};
use jiuzhu_domain::{EvidenceKind, EvidenceSource, EvidenceValue, Money, Role};

use crate::*;

fn date(s: &str) -> chrono::NaiveDate {
    jiuzhu_domain::parse_date(s).unwrap()
}

/// A valid ID number born on `birth` (YYYYMMDD) with sequence `seq`.
fn id_number(birth: &str, seq: u32) -> String {
    let first17 = format!("330326{birth}{seq:03}");
    let c = jiuzhu_domain::id_number::check_character(&first17).unwrap();
    format!("{first17}{c}")
}

both!(
    a_clerk_registers_and_corrects_a_household_with_field_errors,
    |b| {
        let mut app = TestApp::new(b).await;
        app.sign_in(Role::WindowClerk).await;
        let villages = jiuzhu_db::regions::villages_under(&app.db, PINGYANG)
            .await
            .unwrap();
        let village = villages[0].0.clone();
        app.get("/households/new").await;
        let bad_id = format!("{}0", &id_number("19800101", 123)[..17]);
        let bad_id = if bad_id == id_number("19800101", 123) {
            format!("{}1", &bad_id[..17])
        } else {
            bad_id
        };
        let r = app
            .post_form(
                "/households/new",
                &[
                    ("head_id_number", &bad_id),
                    ("head_name", "林秀英"),
                    ("head_phone", "13812345678"),
                    ("region_code", "330326"),
                    ("hukou", "rural"),
                    ("address", "平阳县昆阳镇1号"),
                    ("bank_name", ""),
                    ("bank_account", "12ab"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text();
        for field in [
            "head_id_number-error",
            "region_code-error",
            "bank_account-error",
        ] {
            assert!(page.contains(field), "no message beside {field}");
        }
        assert!(
            page.contains("平阳县昆阳镇1号") && page.contains("林秀英"),
            "typed values kept"
        );
        let good_id = id_number("19800101", 124);
        let r = app
            .post_form(
                "/households/new",
                &[
                    ("head_id_number", &good_id),
                    ("head_name", "林秀英"),
                    ("head_phone", "13812345678"),
                    ("region_code", &village),
                    ("hukou", "rural"),
                    ("address", "平阳县昆阳镇1号"),
                    ("bank_name", "农商银行"),
                    ("bank_account", "6228480012345678"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let loc = r.location.unwrap();
        let id: i64 = loc.trim_start_matches("/households/").parse().unwrap();
        let page = app.get(&loc).await.text();
        assert!(
            page.contains("林秀英")
                && page.contains(&jiuzhu_domain::mask_phone("6228480012345678"))
                && !page.contains("6228480012345678")
        );
        // Registering the same person again is refused beside the field.
        app.get("/households/new").await;
        let r = app
            .post_form(
                "/households/new",
                &[
                    ("head_id_number", &good_id),
                    ("head_name", "林秀英"),
                    ("head_phone", ""),
                    ("region_code", &village),
                    ("hukou", "rural"),
                    ("address", ""),
                    ("bank_name", ""),
                    ("bank_account", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        // Edit: the change and its before/after are in the audit trail on the page.
        app.get(&format!("/households/{id}/edit")).await;
        let r = app
            .post_form(
                &format!("/households/{id}/edit"),
                &[
                    ("region_code", &village),
                    ("hukou", "urban"),
                    ("address", "平阳县昆阳镇2号"),
                    ("bank_name", "农商银行"),
                    ("bank_account", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let page = app.get(&loc).await.text();
        assert!(page.contains("<dd id=\"address-value\">平阳县昆阳镇2号</dd>"));
        assert!(
            page.contains(
                "<td class=\"action\" data-action=\"household.update\" title=\"household.update\">修改家庭信息</td>"
            ),
            "the audit trail says what was done, in Chinese"
        );
        let rec = households::get(&app.db, &Scope::everything(), id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            rec.household.bank_account, "6228480012345678",
            "empty bank account field keeps the stored one"
        );
        assert_eq!(rec.household.hukou, "urban");
    }
);

both!(
    evidence_is_never_overwritten_and_the_past_can_be_shown,
    |b| {
        let app = TestApp::new(b).await;
        let (id, _, _) = app.household(true).await;
        let actor = jiuzhu_db::audit::Actor::system("test");
        let scope = Scope::everything();
        let rec = households::get(&app.db, &scope, id).await.unwrap().unwrap();
        let person = rec.current_members().next().unwrap().person_id;
        let wage = |yuan: i64, from: &str| NewEvidence {
            subject: Subject::Person(person),
            kind: EvidenceKind::IncomeWage,
            value: EvidenceValue::Money(Money::from_yuan(yuan)),
            source: EvidenceSource::Declared,
            valid_from: date(from),
            note: String::new(),
        };
        households::record_evidence(&app.db, &scope, &actor, id, &wage(2000, "2026-02-01"))
            .await
            .unwrap();
        let mut verified = wage(2600, "2026-06-01");
        verified.source = EvidenceSource::Verified;
        households::record_evidence(&app.db, &scope, &actor, id, &verified)
            .await
            .unwrap();
        let rec = households::get(&app.db, &scope, id).await.unwrap().unwrap();
        let wages = |r: &households::HouseholdRecord| -> Vec<Option<i64>> {
            r.evidence
                .iter()
                .filter(|e| e.kind == "income.wage" && e.person_id == Some(person))
                .map(|e| e.amount_fen)
                .collect()
        };
        assert_eq!(wages(&rec.as_of(date("2026-03-15"))), vec![Some(200_000)]);
        assert_eq!(wages(&rec.as_of(date("2026-07-01"))), vec![Some(260_000)]);
        let old = rec
            .evidence
            .iter()
            .find(|e| e.kind == "income.wage" && e.amount_fen == Some(200_000))
            .unwrap();
        assert_eq!(old.valid_to.as_deref(), Some("2026-06-01"));
        assert!(
            old.ended_at.is_some(),
            "the old record is ended, not deleted"
        );
        // Ending a membership keeps the person in the household's past.
        let other = rec
            .current_members()
            .find(|m| m.person_id != person && m.relation != "head");
        if let Some(m) = other {
            households::end_member(
                &app.db,
                &scope,
                &actor,
                id,
                m.member_id,
                date("2026-09-01"),
                "moved",
            )
            .await
            .unwrap();
            let rec = households::get(&app.db, &scope, id).await.unwrap().unwrap();
            assert!(
                rec.as_of(date("2026-08-31"))
                    .members
                    .iter()
                    .any(|x| x.member_id == m.member_id)
            );
            assert!(
                !rec.as_of(date("2026-09-01"))
                    .members
                    .iter()
                    .any(|x| x.member_id == m.member_id)
            );
        }
        // Bad evidence is refused with the reason.
        let e = jiuzhu_web::pages::parse_evidence(
            &person.to_string(),
            "health",
            "9",
            "declared",
            "2026-06-01",
            "",
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("health"), "{e}");
    }
);

both!(region_pages_count_households_under_each_node, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CityAdmin).await;
    let total = jiuzhu_db::regions::household_count(&app.db, "3303")
        .await
        .unwrap();
    assert_eq!(total, 120);
    let r = app.api("GET", "/api/v1/regions/3303", None, None).await;
    let j = r.json();
    assert_eq!(j["households"], 120);
    let sum: i64 = j["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["households"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, 120, "counts roll up");
    assert_eq!(
        j["children"].as_array().unwrap().len(),
        12,
        "Wenzhou has 12 counties"
    );
    let page = app.get("/regions/330326").await.text();
    assert!(page.contains("平阳县"));
    assert!(page.contains(&format!(
            "<span id=\"region-total\">{}</span>",
            jiuzhu_db::regions::household_count(&app.db, PINGYANG)
                .await
                .unwrap()
        )));
});

both!(the_audit_chain_detects_an_edited_row, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::Auditor).await;
    let v = jiuzhu_db::audit::verify(&app.db).await.unwrap();
    assert!(v.ok && v.rows > 3, "{v:?}");
    let r = app.get("/audit/verify").await;
    assert!(r.text().contains("id=\"chain-result\" class=\"ok\""));
    // The database refuses updates and deletes.
    assert!(
        jiuzhu_db::sqlx::query("UPDATE audit_log SET actor = 'x' WHERE id = 2")
            .execute(app.db.pool())
            .await
            .is_err()
    );
    assert!(
        jiuzhu_db::sqlx::query("DELETE FROM audit_log WHERE id = 2")
            .execute(app.db.pool())
            .await
            .is_err()
    );
    // Someone with the database's keys removes the guard and edits a row: the chain breaks there.
    let drop = match b {
        jiuzhu_db::Backend::Sqlite => "DROP TRIGGER audit_log_no_update",
        jiuzhu_db::Backend::Postgres => "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
    };
    jiuzhu_db::sqlx::query(drop)
        .execute(app.db.pool())
        .await
        .unwrap();
    jiuzhu_db::sqlx::query("UPDATE audit_log SET detail = '{}' WHERE id = 3")
        .execute(app.db.pool())
        .await
        .unwrap();
    let v = jiuzhu_db::audit::verify(&app.db).await.unwrap();
    assert!(!v.ok);
    assert_eq!(v.first_bad.as_ref().map(|x| x.0), Some(3));
    let j = app
        .api("GET", "/api/v1/audit/verify", None, None)
        .await
        .json();
    assert_eq!(j["ok"], false);
    assert_eq!(j["first_bad_id"], 3);
});

both!(the_openapi_document_describes_the_api, |b| {
    let mut app = TestApp::new(b).await;
    let j = app.get("/api/openapi.json").await.json();
    for path in [
        "/api/v1/households",
        "/api/v1/households/{id}",
        "/api/v1/households/{id}/reveal",
        "/api/v1/audit/verify",
    ] {
        assert!(j["paths"].get(path).is_some(), "{path} missing");
    }
    // The API creates a household like the form does.
    app.sign_in(Role::CountyApprover).await;
    let village = jiuzhu_db::regions::villages_under(&app.db, PINGYANG)
        .await
        .unwrap()[1]
        .0
        .clone();
    let body = serde_json::json!({"region_code": village, "hukou": "rural", "address": "API路1号",
        "head": {"id_number": id_number("19700505", 321), "name": "陈建国"}});
    let r = app
        .api("POST", "/api/v1/households", Some(body.clone()), None)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let r = app
        .api("POST", "/api/v1/households", Some(body), None)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "same head twice");
    let r = app
        .api("POST", &format!("/api/v1/households/{id}/evidence"), Some(serde_json::json!({"subject": "household", "kind": "property.vehicle", "value": "12.345", "source": "declared"})), None)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["message"]
            .as_str()
            .unwrap()
            .contains("property.vehicle")
    );
    let h = app
        .api("GET", &format!("/api/v1/households/{id}"), None, None)
        .await
        .json();
    assert_eq!(h["members"][0]["name"], "陈建国");
    let pid = h["members"][0]["person_id"].as_i64().unwrap();
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/households/{id}/members/{pid}"),
            Some(serde_json::json!({"name": "陈建华", "phone": "13900000000"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text());
    let h = app
        .api("GET", &format!("/api/v1/households/{id}"), None, None)
        .await
        .json();
    assert_eq!(h["members"][0]["name"], "陈建华");
    assert_eq!(h["members"][0]["phone"], "139****0000");
    assert!(
        h["members"][0]["id_number"]
            .as_str()
            .unwrap()
            .contains("********")
    );
});

both!(
    the_policy_page_shows_parameters_with_history_and_reference,
    |b| {
        let mut app = TestApp::new(b).await;
        assert_eq!(
            app.get("/policy/rp1").await.location.as_deref(),
            Some("/login")
        );
        app.sign_in(Role::WindowClerk).await;
        let r = app.get("/policy").await;
        assert_eq!(r.location.as_deref(), Some("/policy/rp1"));
        let page = app.get("/policy/rp1").await.text();
        let row = page
            .split("<tr class=\"parameter\" id=\"param-veto.vehicle_limit\">")
            .nth(1)
            .expect("the vehicle limit")
            .split("</tr>")
            .next()
            .unwrap()
            .to_string();
        assert!(
            row.contains("2020-01-01: 50000")
                && row.contains("RP-1 veto: vehicle_value")
                && row.contains("车辆价值上限")
                && row.contains("50000.00"),
            "{row}"
        );
        assert!(
            page.contains("<code data-verbatim>count(members)</code>"),
            "formulas are shown"
        );
        assert!(page.contains("最低生活保障"));
        assert_eq!(
            app.get("/policy/no-such-pack").await.status,
            StatusCode::NOT_FOUND
        );
    }
);

both!(
    the_household_page_prescribes_from_the_registry_evidence,
    |b| {
        let mut app = TestApp::new(b).await;
        app.sign_in(Role::CountyApprover).await;
        let village = jiuzhu_db::regions::villages_under(&app.db, PINGYANG)
            .await
            .unwrap()[2]
            .0
            .clone();
        let body = serde_json::json!({"region_code": village, "hukou": "rural", "address": "处方路1号",
        "head": {"id_number": id_number("19700101", 777), "name": "周素珍"}});
        let r = app
            .api("POST", "/api/v1/households", Some(body), None)
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        let id = r.json()["id"].as_i64().unwrap();
        let h = app
            .api("GET", &format!("/api/v1/households/{id}"), None, None)
            .await
            .json();
        let pid = h["members"][0]["person_id"].as_i64().unwrap().to_string();
        for (kind, value) in [("income.pension", "200.00"), ("health", "5")] {
            let r = app
            .api("POST", &format!("/api/v1/households/{id}/evidence"), Some(serde_json::json!({"subject": pid, "kind": kind, "value": value, "source": "declared"})), None)
            .await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        }
        // A 56-year-old alone, too ill to work, on 200 yuan of pension: 2,400 a year against
        // 12 x 1,165; not old or young enough for tekun.
        let page = app.get(&format!("/households/{id}")).await.text();
        let rx = page
            .split("<section id=\"prescription\">")
            .nth(1)
            .unwrap()
            .split("</section>")
            .next()
            .unwrap();
        let dibao = rx
            .split("id=\"program-dibao\"")
            .nth(1)
            .unwrap()
            .split("</div>")
            .next()
            .unwrap();
        assert!(dibao.contains("<span class=\"ok eligible\">"), "{dibao}");
        assert_eq!(
            dibao
                .matches("title=\"vehicle_value &#62; veto.vehicle_limit\"")
                .count(),
            1,
            "each condition once: {dibao}"
        );
        // The conditions read as sentences in Chinese, and an exclusion that does not hold
        // is met (no ✗ for having no car).
        assert!(
            dibao.contains("车辆价值 0，超过 车辆价值上限 50000</td><td>-50000</td><td class=\"verdict\"><span class=\"ok\">✓ 符合"),
            "{dibao}"
        );
        assert!(
            dibao.contains("家庭年收入 2400，低于 家庭年保障线 13980"),
            "{dibao}"
        );
        // The tekun line under `not tekun_eligible` decides nothing alone: no verdict.
        assert!(
            dibao.contains("data-decisive=\"false\"") && dibao.contains("成立（须与其他条件合看）"),
            "{dibao}"
        );
        assert!(
            rx.contains("id=\"program-tekun\"") && rx.contains("id=\"program-medical\""),
            "every program is listed"
        );
        assert!(rx.contains("<span class=\"amount\">965</span>"), "{rx}");
        assert!(
            rx.contains("title=\"income &#60; annual_line\""),
            "the formula is kept on hover: {rx}"
        );
        assert!(
            rx.contains("2400") && rx.contains("13980"),
            "the values compared are shown"
        );
        // A vehicle over the limit ends it, and the page says which condition failed.
        let r = app
        .api("POST", &format!("/api/v1/households/{id}/evidence"), Some(serde_json::json!({"subject": "household", "kind": "property.vehicle", "value": "80000.00", "source": "verified"})), None)
        .await;
        assert_eq!(r.status, StatusCode::CREATED);
        let page = app.get(&format!("/households/{id}")).await.text();
        let rx = page
            .split("<section id=\"prescription\">")
            .nth(1)
            .unwrap()
            .split("</section>")
            .next()
            .unwrap();
        let dibao = rx
            .split("id=\"program-dibao\"")
            .nth(1)
            .unwrap()
            .split("</div>")
            .next()
            .unwrap();
        assert!(dibao.contains("not-eligible"), "{dibao}");
        assert!(
            rx.contains("vehicle_value") && rx.contains("30000"),
            "the vehicle is 30,000 over the limit: {rx}"
        );
    }
);

both!(
    the_hardship_ranking_is_hardest_first_within_scope_and_filters,
    |b| {
        let mut app = TestApp::new(b).await;
        app.sign_in(Role::WindowClerk).await;
        let rows = |page: &str| -> Vec<(rust_decimal::Decimal, String, String)> {
            page.split("<tr class=\"ranked\">")
                .skip(1)
                .map(|r| {
                    let cell = |class: &str| {
                        r.split(&format!("<td class=\"{class}\">"))
                            .nth(1)
                            .unwrap()
                            .split("</td>")
                            .next()
                            .unwrap()
                            .to_string()
                    };
                    let href = r
                        .split("href=\"/households/")
                        .nth(1)
                        .unwrap()
                        .split('"')
                        .next()
                        .unwrap()
                        .to_string();
                    (cell("index").parse().unwrap(), href, cell("circle"))
                })
                .collect()
        };
        let page = app.get("/ranking").await.text();
        let all = rows(&page);
        let in_scope = jiuzhu_db::households::search(
            &app.db,
            &jiuzhu_db::households::Scope::everything(),
            &jiuzhu_db::households::SearchQuery {
                region: Some(PINGYANG.into()),
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .1;
        assert_eq!(
            all.len() as i64,
            in_scope,
            "every Pingyang household, and only those"
        );
        assert!(all.windows(2).all(|w| w[0].0 >= w[1].0), "hardest first");
        assert!(all[0].0 > rust_decimal::Decimal::ZERO);
        // Filters: rural households in circles 1-2 only.
        let page = app.get("/ranking?hukou=rural&circles=1,2").await.text();
        let some = rows(&page);
        assert!(some.len() < all.len());
        assert!(some.iter().all(|r| r.2 == "1" || r.2 == "2"));
        for (_, id, _) in &some {
            let rec = jiuzhu_db::households::get(
                &app.db,
                &jiuzhu_db::households::Scope::everything(),
                id.parse().unwrap(),
            )
            .await
            .unwrap()
            .unwrap();
            assert_eq!(rec.household.hukou, "rural");
        }
        // Another county is outside the clerk's scope.
        assert!(rows(&app.get("/ranking?region=330302").await.text()).is_empty());
    }
);

both!(the_simulation_page_shows_a_reform_by_county, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CountyApprover).await;
    let page = app.get("/simulate").await.text();
    assert!(page.contains("id=\"simulate-form\"") && !page.contains("simulation-counties"));
    let page = app
        .get("/simulate?parameter=dibao_standard_monthly&scale=1.10")
        .await
        .text();
    let total = page
        .split("<tr class=\"county-row\" data-county=\"all\" data-program=\"dibao\"><td title=\"all\">合计</td><td>最低生活保障</td>")
        .nth(1)
        .expect("a total row for dibao")
        .split("</tr>")
        .next()
        .unwrap()
        .to_string();
    let cell = |class: &str| -> i64 {
        total
            .split(&format!("<td class=\"{class}\">"))
            .nth(1)
            .unwrap()
            .split("</td>")
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(cell("eligible-after") >= cell("eligible-before"), "{total}");
    assert!(
        page.contains("<tr class=\"changed\" data-program="),
        "a 10% higher standard changes some amounts"
    );
    let (_, n) = jiuzhu_db::audit::search(
        &app.db,
        &jiuzhu_db::audit::Filter {
            action: Some("policy.simulate".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(n, 1);
    let page = app
        .get("/simulate?parameter=dibao_standard_monthly&scale=abc")
        .await
        .text();
    assert!(
        page.contains("id=\"simulation-error\"") && page.contains("须为数字"),
        "bad input is named, in Chinese"
    );
    let page = app
        .get("/simulate?parameter=dibao_standard_monthly&scale=&value=")
        .await
        .text();
    assert!(
        page.contains("id=\"simulation-error\"") && page.contains("请填写“倍数”或“新值”其中一项"),
        "a form with neither scale nor value says what to fill in"
    );
});
