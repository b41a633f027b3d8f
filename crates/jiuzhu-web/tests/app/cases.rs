//! One-door intake and approval through the pages: an application from the window to the
//! decision, the step order, verification before approval, deadlines under the holiday
//! calendar, and regions.

use super::*;
use axum::http::StatusCode;
use jiuzhu_db::households::{self, Scope};
use jiuzhu_domain::Role;

async fn take(app: &mut TestApp, hh: i64, person: &str, program: &str, auth: &str) -> Resp {
    app.get(&format!("/intake?id_number={person}")).await;
    app.post_form(
        "/intake",
        &[
            ("id_number", person),
            ("household_id", &hh.to_string()),
            ("channel", "window"),
            ("program", program),
            ("authorisation", auth),
            ("expense", "20000.00"),
        ],
    )
    .await
}

async fn step(
    app: &mut TestApp,
    item: i64,
    step: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> Resp {
    app.get(&format!("/cases/{item}")).await;
    let mut all = vec![("step", step), ("action", "complete")];
    all.extend_from_slice(fields);
    app.post_multipart(&format!("/cases/{item}/step"), &all, file)
        .await
}

const AREAS: [(&str, &str); 6] = [
    ("area_living", "两人共同生活"),
    ("area_income", "无稳定收入"),
    ("area_property", "无车辆，住房一套"),
    ("area_expenditure", "长期服药"),
    ("area_health", "户主慢性病"),
    ("area_housing", "自有砖房"),
];

both!(a_dibao_application_from_the_window_to_the_decision, |b| {
    let mut app = TestApp::new(b).await;
    let township = jiuzhu_db::regions::villages_under(&app.db, PINGYANG)
        .await
        .unwrap()[0]
        .0[..9]
        .to_string();
    let (hh, person) = household_under(&app, PINGYANG, Some(&township)).await;
    app.sign_in(Role::WindowClerk).await;
    let page = app.get(&format!("/intake?id_number={person}")).await.text();
    assert!(
        page.contains("data-program=\"dibao\""),
        "the prescription proposes programs"
    );
    let auth = authorise(&mut app, hh, &person).await;
    let r = take(&mut app, hh, &person, "dibao", &auth).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let application = r.location.unwrap();
    let page = app.get(&application).await.text();
    assert!(
        page.contains("id=\"one-time-notice\"") && page.contains("身份证"),
        "{page}"
    );
    let app_id: i64 = application.rsplit('/').next().unwrap().parse().unwrap();
    let item = jiuzhu_db::cases::items_of(&app.db, app_id).await.unwrap()[0].clone();
    let id = item.id;
    // Deadlines in working days under the holiday calendar.
    let cal = jiuzhu_domain::calendar::WorkCalendar::shipped();
    assert_eq!(
        item.deadline,
        cal.add_working_days(jiuzhu_db::today(), 30).to_string()
    );

    // The same program again is pointed out, not duplicated.
    let again = take(&mut app, hh, &person, "dibao", &auth).await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text().contains(&item.application_code));

    // No step can be skipped.
    let r = step(&mut app, id, "investigate", &AREAS, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // Said in Chinese on the Chinese page, with the step's name, not its code.
    assert!(
        r.text().contains("“入户调查”不是当前环节（当前是“受理”）"),
        "{}",
        r.text()
    );
    assert_eq!(
        step(&mut app, id, "accept", &[], None).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(
        app.get(&format!("/cases/{id}/documents/acceptance"))
            .await
            .text()
            .contains("受理通知书")
    );

    // An incomplete investigation is returned with every missing item.
    let r = step(
        &mut app,
        id,
        "investigate",
        &[("area_income", "无"), ("staff", "张三")],
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let text = r.text();
    assert!(
        text.contains("“居住状况”未填写")
            && text.contains("两名以上工作人员")
            && text.contains("入户照片")
            && !text.contains("areas.housing"),
        "{text}"
    );
    let mut fields = AREAS.to_vec();
    fields.push(("staff", "张三、李四"));
    let r = step(
        &mut app,
        id,
        "investigate",
        &fields,
        Some(("photo", "home.jpg", b"\xFF\xD8\xFF jpeg")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = step(
        &mut app,
        id,
        "appraise",
        &[("opinion", "评议通过")],
        Some(("record", "appraisal.pdf", b"%PDF record")),
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());

    // Verification: refused until a report exists.
    let r = step(&mut app, id, "verify", &[], None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // The refusal says, in Chinese, what clears it and links to where it is done.
    assert!(
        r.text().contains("尚无该户的经济状况核对报告")
            && r.text().contains(&format!("/households/{hh}/verification")),
        "{}",
        r.text()
    );
    app.get(&format!("/households/{hh}/verification")).await;
    let r = app
        .post_form(
            &format!("/households/{hh}/verify"),
            &[("authorisation", &auth), ("purpose", "低保申请核对")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        step(&mut app, id, "verify", &[], None).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        step(&mut app, id, "review", &[("opinion", "审核同意")], None)
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // Public notice: seven days, objections answered; the list masks ID numbers.
    let r = step(&mut app, id, "notice", &[], None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.text().contains("公示期至"), "{}", r.text());
    let xlsx = app.get("/cases/notice.xlsx").await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let path = std::env::temp_dir().join(format!("notice-{}-{id}.xlsx", std::process::id()));
    std::fs::write(&path, &xlsx.body).unwrap();
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&path).unwrap();
    let range = calamine::Reader::worksheet_range_at(&mut book, 0)
        .unwrap()
        .unwrap();
    let cells: Vec<String> = range.rows().flatten().map(|c| c.to_string()).collect();
    std::fs::remove_file(&path).ok();
    assert!(
        cells.contains(&jiuzhu_domain::mask_id_str(&person)) && !cells.contains(&person),
        "{cells:?}"
    );
    let earlier = (jiuzhu_db::today() - chrono::Duration::days(7)).to_string();
    jiuzhu_db::sqlx::query("UPDATE case_items SET notice_from = $1 WHERE id = $2")
        .bind(&earlier)
        .bind(id)
        .execute(app.db.pool())
        .await
        .unwrap();
    app.get(&format!("/cases/{id}")).await;
    let r = app
        .post_form(
            &format!("/cases/{id}/note"),
            &[("action", "objection"), ("text", "邻居反映其有经营收入")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = step(&mut app, id, "notice", &[], None).await;
    assert!(r.text().contains("异议须逐条答复"), "{}", r.text());
    let objection = jiuzhu_db::cases::events(&app.db, id)
        .await
        .unwrap()
        .iter()
        .find(|e| e.action == "objection")
        .unwrap()
        .id;
    app.get(&format!("/cases/{id}")).await;
    let r = app
        .post_form(
            &format!("/cases/{id}/note"),
            &[
                ("action", "answer"),
                ("objection", &objection.to_string()),
                ("text", "经核实为临时帮工，已计入收入"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        step(&mut app, id, "notice", &[], None).await.status,
        StatusCode::SEE_OTHER
    );

    // Approval is the county's: the clerk cannot; the county approver can, then decides.
    let r = step(&mut app, id, "approve", &[("opinion", "同意")], None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    app.sign_in(Role::CountyApprover).await;
    assert_eq!(
        step(&mut app, id, "approve", &[("opinion", "同意")], None)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        step(&mut app, id, "decide", &[], None).await.status,
        StatusCode::SEE_OTHER
    );
    let done = jiuzhu_db::cases::item(&app.db, id).await.unwrap().unwrap();
    assert_eq!(done.status, "approved");
    let receipt = done
        .receipt
        .clone()
        .expect("the decision keeps the engine's receipt");
    assert_eq!(
        jiuzhu_policy::receipt::replay(&receipt).unwrap(),
        jiuzhu_policy::receipt::Replay::Identical
    );
    let doc = app
        .get(&format!("/cases/{id}/documents/decision"))
        .await
        .text();
    assert!(
        doc.contains(done.receipt_sha256.as_deref().unwrap()),
        "{doc}"
    );
    let pdf = app
        .get(&format!("/cases/{id}/documents/decision?format=pdf"))
        .await;
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    let title: String = "审批决定书"
        .chars()
        .map(|c| format!("{:04X}", c as u32))
        .collect();
    let bytes = String::from_utf8_lossy(&pdf.body).into_owned();
    assert!(bytes.starts_with("%PDF-1.4") && bytes.contains(&title));
    let steps: Vec<String> = jiuzhu_db::cases::events(&app.db, id)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "complete")
        .map(|e| e.step.clone())
        .collect();
    assert_eq!(
        steps,
        [
            "accept",
            "investigate",
            "appraise",
            "verify",
            "review",
            "notice",
            "approve",
            "decide"
        ]
    );
    assert!(jiuzhu_db::audit::verify(&app.db).await.unwrap().ok);
});

both!(an_application_for_another_county_is_routed_there, |b| {
    let mut app = TestApp::new(b).await;
    let (hh, person, _) = app.household(false).await;
    app.sign_in(Role::WindowClerk).await;
    let page = app.get(&format!("/intake?id_number={person}")).await.text();
    assert!(
        page.contains("id=\"elsewhere\""),
        "the clerk is told where it goes"
    );
    let r = take(&mut app, hh, &person, "temporary", "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let app_id: i64 = r
        .location
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let item = jiuzhu_db::cases::items_of(&app.db, app_id).await.unwrap()[0].clone();
    assert!(!item.region_code.starts_with(PINGYANG));
    // The clerk who took it can follow it (首问) but not act on it.
    assert_eq!(
        app.get(&format!("/applications/{app_id}")).await.status,
        StatusCode::OK
    );
    assert!(
        app.get("/applications")
            .await
            .text()
            .contains(&item.application_code)
    );
    let r = step(&mut app, item.id, "accept", &[], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The county approver of Pingyang neither sees nor acts on it.
    app.sign_in(Role::CountyApprover).await;
    assert_eq!(
        app.get(&format!("/cases/{}", item.id)).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !app.get("/cases")
            .await
            .text()
            .contains(&item.application_code)
    );
});

both!(an_administrator_edits_the_holiday_calendar, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CityAdmin).await;
    app.get("/admin/calendar").await;
    let r = app
        .post_form(
            "/admin/calendar",
            &[(
                "text",
                "year 2026\n2026-10-10 workday 调休\n2026-10-12 workday 周一\n",
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("line 3"), "{}", r.text());
    // Ten holidays from tomorrow push a new application's deadline.
    let today = jiuzhu_db::today();
    let mut text = String::from(jiuzhu_domain::calendar::SHIPPED);
    for k in 1..=10 {
        text.push_str(&format!(
            "{} holiday 测试假日\n",
            today + chrono::Duration::days(k)
        ));
    }
    app.get("/admin/calendar").await;
    let r = app.post_form("/admin/calendar", &[("text", &text)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let (hh, person) = household_under(&app, PINGYANG, None).await;
    let r = take(&mut app, hh, &person, "temporary", "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let app_id: i64 = r
        .location
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let item = jiuzhu_db::cases::items_of(&app.db, app_id).await.unwrap()[0].clone();
    let edited = jiuzhu_domain::calendar::WorkCalendar::parse(&text).unwrap();
    assert_eq!(item.deadline, edited.add_working_days(today, 5).to_string());
    assert!(item.deadline.as_str() > (today + chrono::Duration::days(10)).to_string().as_str());
});

both!(every_step_through_the_api, |b| {
    let mut app = TestApp::new(b).await;
    let (hh, person) = household_under(&app, PINGYANG, None).await;
    let clerk = api_token(&app, Role::WindowClerk).await;
    let county = api_token(&app, Role::CountyApprover).await;
    let r = app
        .api(
            "POST",
            "/api/v1/applications",
            Some(serde_json::json!({"id_number": person, "channel": "proxy", "programs": ["temporary"],
                                    "proxy_name": "王五", "proxy_id_number": "bad"})),
            Some(&clerk),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("proxy"));
    let r = app
        .api(
            "POST",
            "/api/v1/applications",
            Some(serde_json::json!({"id_number": person, "channel": "window", "programs": ["temporary"], "expense": "20000.00"})),
            Some(&clerk),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let j = r.json();
    assert_eq!(j["household_id"], hh);
    assert_ne!(j["applicant_id_number"], person.as_str(), "masked");
    let item = j["items"][0]["id"].as_i64().unwrap();
    assert_eq!(
        j["items"][0]["steps"],
        serde_json::json!(["accept", "investigate", "approve", "decide"])
    );
    let url = format!("/api/v1/cases/{item}/steps");
    let post = |body: serde_json::Value, who: String| {
        let url = url.clone();
        (url, body, who)
    };
    let (u1, b1, w1) = post(serde_json::json!({"step": "investigate"}), clerk.clone());
    let r = app.api("POST", &u1, Some(b1), Some(&w1)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "investigate before accept");
    // A step can send the case back, with reasons.
    let r = app
        .api(
            "POST",
            &url,
            Some(serde_json::json!({"step": "accept"})),
            Some(&clerk),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .api(
            "POST",
            &url,
            Some(serde_json::json!({"step": "investigate", "action": "return", "reason": ""})),
            Some(&clerk),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .api("POST", &url, Some(serde_json::json!({"step": "investigate", "action": "return", "reason": "缺少户口簿"})), Some(&clerk))
        .await;
    assert_eq!(
        (r.status, r.json()["current_step"].as_str()),
        (StatusCode::OK, Some("accept"))
    );
    for body in [
        serde_json::json!({"step": "accept"}),
        serde_json::json!({"step": "investigate", "staff": ["张三", "李四"],
            "areas": {"living": "独居", "income": "无", "property": "无", "expenditure": "医疗", "health": "重病", "housing": "租房"},
            "attachments": [{"name": "home.jpg", "mime": "image/jpeg", "base64": "/9j/4A=="}]}),
    ] {
        let r = app.api("POST", &url, Some(body), Some(&clerk)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    // Temporary assistance is approved at the township level; the county approver may too.
    let r = app
        .api(
            "POST",
            &url,
            Some(serde_json::json!({"step": "approve", "opinion": "同意"})),
            Some(&clerk),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .api(
            "POST",
            &url,
            Some(serde_json::json!({"step": "approve", "opinion": "同意"})),
            Some(&county),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .api(
            "POST",
            &url,
            Some(serde_json::json!({"step": "decide"})),
            Some(&county),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let j = r.json();
    assert_eq!(
        (j["status"].as_str(), j["deadline_colour"].as_str()),
        (Some("approved"), Some("done"))
    );
    assert!(j["receipt_sha256"].as_str().is_some_and(|h| h.len() == 64));
    let case = app
        .api("GET", &format!("/api/v1/cases/{item}"), None, Some(&county))
        .await
        .json();
    let actions: Vec<String> = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["step"].as_str().unwrap(),
                e["action"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            "accept:complete",
            "investigate:return",
            "accept:complete",
            "investigate:complete",
            "approve:complete",
            "decide:complete"
        ]
    );
    let doc = app.get("/api/openapi.json").await.json();
    assert!(doc["paths"].get("/api/v1/cases/{id}/steps").is_some());
});

both!(an_applicant_applies_online_and_follows_the_status, |b| {
    let mut app = TestApp::new(b).await;
    let (hh, _) = household_under(&app, PINGYANG, None).await;
    let rec = households::get(&app.db, &Scope::everything(), hh)
        .await
        .unwrap()
        .unwrap();
    let m = rec
        .current_members()
        .find(|m| !m.phone.is_empty())
        .expect("a member with a phone")
        .clone();
    // Not signed in: the public form. A wrong phone is refused.
    let r = app
        .post_form(
            "/apply",
            &[
                ("id_number", &m.id_number),
                ("name", &m.name),
                ("phone", "13000000000"),
                ("program", "temporary"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            "/apply",
            &[
                ("id_number", &m.id_number),
                ("name", &m.name),
                ("phone", &m.phone),
                ("program", "temporary"),
                ("expense", "8000"),
            ],
        )
        .await;
    // The status is shown at once: no redirect carries the ID number in an address.
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.location.is_none());
    let page = r.text();
    assert!(
        page.contains("data-program=\"temporary\"") && page.contains("授权书"),
        "{page}"
    );
    assert!(
        !page.contains(&m.name) && !page.contains(&rec.household.address),
        "the status page shows no personal data"
    );
    let code = page
        .split("id=\"status-code\">")
        .nth(1)
        .and_then(|p| p.split("<strong>").nth(1))
        .and_then(|p| p.split("</strong>").next())
        .unwrap()
        .to_string();
    let again = app
        .post_form("/status", &[("code", &code), ("id_number", &m.id_number)])
        .await
        .text();
    assert!(again.contains("data-program=\"temporary\""), "{again}");
    let wrong = app
        .post_form(
            "/status",
            &[("code", &code), ("id_number", "11010519491231002X")],
        )
        .await
        .text();
    assert!(wrong.contains("status-not-found"));
    // The application is in the household's region queue, taken online.
    app.sign_in(Role::CountyApprover).await;
    let queue = app.get("/cases").await.text();
    assert!(queue.contains(&code));
    let id = jiuzhu_db::cases::application_id_by_code(&app.db, &code)
        .await
        .unwrap()
        .unwrap();
    let a = jiuzhu_db::cases::application(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.channel, "online");
});

both!(the_green_channel_decides_first_and_keeps_every_step, |b| {
    let mut app = TestApp::new(b).await;
    let (_, person) = household_under(&app, PINGYANG, None).await;
    app.sign_in(Role::CountyApprover).await;
    let r = app
        .api(
            "POST",
            "/api/v1/applications",
            Some(serde_json::json!({"id_number": person, "channel": "window", "programs": ["temporary"], "urgent": true, "expense": "20000.00"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let item = &r.json()["items"][0];
    assert_eq!(
        item["steps"],
        serde_json::json!(["accept", "decide", "investigate", "approve"])
    );
    let id = item["id"].as_i64().unwrap();
    for body in [
        serde_json::json!({"step": "accept"}),
        serde_json::json!({"step": "decide"}),
    ] {
        let r = app
            .api(
                "POST",
                &format!("/api/v1/cases/{id}/steps"),
                Some(body),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let it = jiuzhu_db::cases::item(&app.db, id).await.unwrap().unwrap();
    assert_eq!(
        (it.status.as_str(), it.current_step()),
        ("open", Some("investigate")),
        "the paperwork still follows"
    );
    assert!(it.paperwork_deadline.is_some() && it.receipt.is_some());
    // The decision evaluated the declared expense.
    let receipt: serde_json::Value = serde_json::from_str(it.receipt.as_deref().unwrap()).unwrap();
    assert_eq!(receipt["input"]["household"]["sudden_expense"], "20000.00");
    // Temporary assistance without the expense is refused, naming the field.
    let r = app
        .api(
            "POST",
            "/api/v1/applications",
            Some(serde_json::json!({"id_number": person, "channel": "window", "programs": ["temporary"]})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("expense"));
});

both!(changes_to_recipients_run_on_the_same_machinery, |b| {
    let mut app = TestApp::new(b).await;
    let (hh, _) = household_under(&app, PINGYANG, None).await;
    jiuzhu_db::monitoring::set_category(
        &app.db,
        &Scope::everything(),
        &jiuzhu_db::audit::Actor::system("test"),
        hh,
        Some("dibao"),
        "2026-01-01",
    )
    .await
    .unwrap();
    app.sign_in(Role::CountyApprover).await;
    // A recipient with no decision on record is due for its periodic review.
    let code = households::get(&app.db, &Scope::everything(), hh)
        .await
        .unwrap()
        .unwrap()
        .household
        .code;
    assert!(app.get("/cases/reviews").await.text().contains(&code));
    let url = format!("/households/{hh}/changes");
    app.get(&url).await;
    let r = app
        .post_form(&url, &[("kind", "convert"), ("reason", "符合特困条件")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("consent"));
    let r = app
        .post_form(&url, &[("kind", "terminate"), ("reason", "")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &url,
            &[("kind", "terminate"), ("reason", "家庭收入超过低保标准")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let app_id: i64 = r
        .location
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let item = jiuzhu_db::cases::items_of(&app.db, app_id).await.unwrap()[0].clone();
    assert_eq!(
        (item.kind.as_str(), item.program.as_str()),
        ("terminate", "dibao")
    );
    app.get(&format!("/cases/{}", item.id)).await;
    let steps = format!("/api/v1/cases/{}/steps", item.id);
    for body in [
        serde_json::json!({"step": "accept"}),
        serde_json::json!({"step": "investigate", "staff": ["张三", "李四"],
            "areas": {"living": "a", "income": "b", "property": "c", "expenditure": "d", "health": "e", "housing": "f"},
            "attachments": [{"name": "home.jpg", "base64": "/9j/4A=="}]}),
        serde_json::json!({"step": "review", "opinion": "收入超标"}),
        serde_json::json!({"step": "approve", "opinion": "同意终止"}),
        serde_json::json!({"step": "decide"}),
    ] {
        let r = app.api("POST", &steps, Some(body), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let done = jiuzhu_db::cases::item(&app.db, item.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.status.as_str(), done.amount_fen),
        ("approved", Some(0))
    );
    assert_eq!(
        jiuzhu_db::monitoring::category_of(&app.db, hh)
            .await
            .unwrap(),
        None,
        "the benefit ended"
    );
    let doc = app
        .get(&format!("/cases/{}/documents/termination", item.id))
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.text().contains("终止"));

    // Phase-out (渐退): the household stays in the population for six months.
    jiuzhu_db::monitoring::set_category(
        &app.db,
        &Scope::everything(),
        &jiuzhu_db::audit::Actor::system("test"),
        hh,
        Some("dibao"),
        "2026-01-01",
    )
    .await
    .unwrap();
    app.get(&url).await;
    let r = app
        .post_form(&url, &[("kind", "phase_out"), ("reason", "户主实现就业")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let app_id: i64 = r
        .location
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let item = jiuzhu_db::cases::items_of(&app.db, app_id).await.unwrap()[0].clone();
    let steps = format!("/api/v1/cases/{}/steps", item.id);
    for body in [
        serde_json::json!({"step": "accept"}),
        serde_json::json!({"step": "review", "opinion": "就业渐退"}),
        serde_json::json!({"step": "approve", "opinion": "同意"}),
        serde_json::json!({"step": "decide"}),
    ] {
        let r = app.api("POST", &steps, Some(body), None).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let today = jiuzhu_db::today();
    let in_population = |d: chrono::NaiveDate| {
        let db = app.db.clone();
        async move {
            jiuzhu_db::monitoring::population(&db, &d.to_string())
                .await
                .unwrap()
                .iter()
                .any(|p| p.household_id == hh)
        }
    };
    assert!(in_population(today + chrono::Months::new(5)).await);
    assert!(!in_population(today + chrono::Months::new(7)).await);
});

both!(co_handling_delegation_alerts_and_overdue_notices, |b| {
    let mut app = TestApp::new(b).await;
    let (hh, person) = household_under(&app, PINGYANG, None).await;
    app.sign_in(Role::WindowClerk).await;
    let r = take(&mut app, hh, &person, "temporary", "").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let app_id: i64 = r
        .location
        .as_deref()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let item = jiuzhu_db::cases::items_of(&app.db, app_id).await.unwrap()[0].clone();
    // Co-handling: the medical insurance department sees the item and gives its opinion.
    app.get(&format!("/cases/{}", item.id)).await;
    let r = app
        .post_form(
            &format!("/cases/{}/note", item.id),
            &[
                ("action", "cohandle"),
                ("department", "medical_insurance"),
                ("text", "请核实医疗费用报销情况"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    jiuzhu_db::sqlx::query("UPDATE users SET department = 'medical_insurance' WHERE username = $1")
        .bind(username(Role::DepartmentHandler))
        .execute(app.db.pool())
        .await
        .unwrap();
    app.sign_in(Role::DepartmentHandler).await;
    let queue = app.get("/cases").await.text();
    assert!(
        queue.contains(&item.application_code),
        "the co-handling department's queue lists it"
    );
    app.get(&format!("/cases/{}", item.id)).await;
    let r = app
        .post_form(
            &format!("/cases/{}/note", item.id),
            &[("action", "opinion"), ("text", "已报销百分之六十")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(
        jiuzhu_db::cases::events(&app.db, item.id)
            .await
            .unwrap()
            .iter()
            .any(|e| e.action == "opinion")
    );
    // It cannot take the civil-affairs steps.
    let r = step(&mut app, item.id, "accept", &[], None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Overdue notices: once, to the timeline.
    jiuzhu_db::sqlx::query("UPDATE case_items SET deadline = '2026-01-05' WHERE id = $1")
        .bind(item.id)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        jiuzhu_app::supervision::notify_overdue(&app.db)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        jiuzhu_app::supervision::notify_overdue(&app.db)
            .await
            .unwrap(),
        0
    );
    app.sign_in(Role::CountyApprover).await;
    assert!(
        app.get("/cases/board")
            .await
            .text()
            .contains(&item.application_code)
    );

    // Delegation: a county lets its townships approve dibao.
    app.sign_in(Role::CityAdmin).await;
    app.get("/admin/calendar").await;
    let r = app
        .post_form("/admin/delegation", &[("counties", "3303XX")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form("/admin/delegation", &[("counties", PINGYANG)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        jiuzhu_db::cases::setting(&app.db, "delegated_counties")
            .await
            .unwrap()
            .as_deref(),
        Some(PINGYANG)
    );

    // From an alert to an application.
    let run = jiuzhu_db::monitoring::NewRun {
        rule_set: "standard".into(),
        month: "2026-10".into(),
        via: "manual".into(),
        population: 1,
        started_at: jiuzhu_db::now_text(),
    };
    let region = households::get(&app.db, &Scope::everything(), hh)
        .await
        .unwrap()
        .unwrap()
        .household
        .region_code;
    let alert = jiuzhu_db::monitoring::NewAlert {
        rule: "large_medical".into(),
        subject_kind: "person".into(),
        subject: person.clone(),
        finding: String::new(),
        household_id: Some(hh),
        region_code: region,
        severity: "high".into(),
        action: "outreach".into(),
        deadline: "2026-12-31".into(),
    };
    let (run_id, _) = jiuzhu_db::monitoring::record_run(
        &app.db,
        &jiuzhu_db::audit::Actor::system("test"),
        &run,
        &[alert],
    )
    .await
    .unwrap();
    let alert_id = jiuzhu_db::monitoring::raised_by_run(&app.db, run_id)
        .await
        .unwrap()[0]
        .id;
    app.sign_in(Role::CountyApprover).await;
    assert!(
        app.get(&format!("/alerts/{alert_id}"))
            .await
            .text()
            .contains(&format!("/intake?alert={alert_id}"))
    );
    let page = app.get(&format!("/intake?alert={alert_id}")).await.text();
    assert!(
        page.contains("id=\"intake-household\""),
        "the household is found from the alert"
    );
});
