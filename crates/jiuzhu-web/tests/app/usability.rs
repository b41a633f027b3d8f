//! What a county worker meets page by page (issue 13), checked without a browser: every
//! menu entry a role is shown opens for it, and the scripts the pages need run under the
//! site's Content Security Policy (no inline handlers).

use axum::http::StatusCode;
use jiuzhu_domain::Role;

use crate::*;

/// The links of a page's side menu.
fn menu_links(page: &str) -> Vec<String> {
    let menu = page
        .split("<nav class=\"side\">")
        .nth(1)
        .and_then(|s| s.split("</nav>").next())
        .unwrap_or("");
    menu.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(String::from)
        .collect()
}

both!(every_menu_entry_opens_for_the_role_that_sees_it, |b| {
    let mut app = TestApp::new(b).await;
    for role in Role::ALL {
        app.sign_in(role).await;
        let links = menu_links(&app.get("/").await.text());
        assert!(links.len() > 2, "{role:?} has a menu: {links:?}");
        for link in links {
            let mut r = app.get(&link).await;
            if r.status.is_redirection() {
                let to = r.location.clone().unwrap_or_default();
                r = app.get(&to).await;
            }
            assert_eq!(
                r.status,
                StatusCode::OK,
                "{role:?} is shown {link} in the menu, which answers {}",
                r.status
            );
        }
    }
});

both!(no_page_carries_an_inline_script_the_policy_blocks, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CityAdmin).await;
    let csp = app.get("/").await.headers[axum::http::header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let (hh, _, _) = app.household(true).await;
    for path in [
        "/".to_string(),
        "/alerts".into(),
        "/households".into(),
        format!("/households/{hh}"),
        "/cases".into(),
        "/intake".into(),
    ] {
        let page = app.get(&path).await.text();
        for handler in [
            " onclick=",
            " onchange=",
            " onsubmit=",
            " oninput=",
            " onload=",
        ] {
            assert!(
                !page.contains(handler),
                "{path} has an inline handler{handler}"
            );
        }
        assert!(
            !page.contains("<script>") && !page.contains("javascript:"),
            "{path} has an inline script"
        );
        assert!(
            !page.contains("<style") && !page.contains(" style=\""),
            "{path} has an inline style the policy blocks"
        );
    }
});

/// Completes acceptance of item `id` from its page.
async fn accept(app: &mut TestApp, id: i64) -> Resp {
    app.get(&format!("/cases/{id}")).await;
    app.post_multipart(
        &format!("/cases/{id}/step"),
        &[("step", "accept"), ("action", "complete")],
        None,
    )
    .await
}

both!(
    an_application_without_an_authorisation_is_unblocked_from_its_case_page,
    |b| {
        let mut app = TestApp::new(b).await;
        let (hh, person) = household_under(&app, PINGYANG, None).await;
        let everything = jiuzhu_db::households::Scope::everything();
        assert!(
            jiuzhu_db::verification::authorisations(&app.db, &everything, hh)
                .await
                .unwrap()
                .is_empty()
        );
        app.sign_in(Role::WindowClerk).await;
        let home = app.get("/").await.text();
        assert!(!home.contains("id=\"todo-cases\""), "nothing waits yet");

        // Taken at the window without the signed authorisation.
        app.get(&format!("/intake?id_number={person}")).await;
        let r = app
            .post_form(
                "/intake",
                &[
                    ("id_number", person.as_str()),
                    ("household_id", &hh.to_string()),
                    ("channel", "window"),
                    ("program", "dibao"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let app_id: i64 = r
            .location
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let id = jiuzhu_db::cases::items_of(&app.db, app_id).await.unwrap()[0].id;

        // The home page counts it among the clerk's to-dos.
        let home = app.get("/").await.text();
        assert!(
            home.contains("id=\"todo-cases\"")
                && home.contains("href=\"/cases\">待我办理的事项 1<"),
            "{home}"
        );

        // Acceptance is refused in Chinese, saying what clears it and where.
        let case = app.get(&format!("/cases/{id}")).await.text();
        assert!(case.contains("id=\"case-authorisation-form\""), "{case}");
        let r = accept(&mut app, id).await;
        assert_eq!(r.status, StatusCode::CONFLICT);
        assert!(
            r.text().contains("须先登记申请人签署的授权书")
                && r.text().contains(&format!("/households/{hh}/verification")),
            "{}",
            r.text()
        );

        // Recorded from the case page, without leaving the case: a refusal names the field
        // in Chinese, and a complete form returns to the case, which then accepts.
        let signer = member_person_id(&app, hh, &person).await;
        let fields = [
            ("signer", signer.as_str()),
            ("signer_name", "户主"),
            ("scope", "全部"),
            ("signed_on", "2026-11-01"),
        ];
        app.get(&format!("/cases/{id}")).await;
        let r = app
            .post_multipart(&format!("/cases/{id}/authorisation"), &fields, None)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.text().contains("请上传签字授权书的扫描件"),
            "{}",
            r.text()
        );
        let r = app
            .post_multipart(
                &format!("/cases/{id}/authorisation"),
                &fields,
                Some(("scan", "auth.pdf", b"%PDF-1.4 signed")),
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        assert_eq!(r.location.as_deref(), Some(format!("/cases/{id}").as_str()));
        let case = app.get(&format!("/cases/{id}")).await.text();
        assert!(
            !case.contains("id=\"case-authorisation-form\""),
            "asked no more"
        );
        let r = accept(&mut app, id).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
        let item = jiuzhu_db::cases::item(&app.db, id).await.unwrap().unwrap();
        assert_eq!(item.current_step(), Some("investigate"));
        // The stepper: acceptance done with who and when, investigation the current step,
        // and the deadline as working days left.
        let case = app.get(&format!("/cases/{id}")).await.text();
        let accepted = case
            .split("data-step=\"accept\"")
            .nth(1)
            .and_then(|s| s.split("</li>").next())
            .unwrap_or_default();
        assert!(
            case.contains("class=\"step step-done\" data-step=\"accept\"")
                && accepted.contains("class=\"step-who\"")
                && accepted.contains(&jiuzhu_db::today().to_string()),
            "{accepted}"
        );
        assert!(
            case.contains(
                "class=\"step step-current\" data-step=\"investigate\" aria-current=\"step\""
            ),
            "{case}"
        );
        let left = case
            .split("id=\"days-left\"")
            .nth(1)
            .and_then(|s| s.split("</strong>").next())
            .unwrap_or_default();
        assert!(
            left.contains("个工作日") || left.contains("今日到期"),
            "{left}"
        );

        // A role that may not write the registry cannot record one through the case.
        app.sign_in(Role::Auditor).await;
        let r = app
            .post_multipart(
                &format!("/cases/{id}/authorisation"),
                &fields,
                Some(("scan", "auth.pdf", b"%PDF-1.4 signed")),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let recorded = jiuzhu_db::verification::authorisations(&app.db, &everything, hh)
            .await
            .unwrap();
        assert_eq!(recorded.len(), 1, "only the clerk's");
    }
);

both!(an_error_page_speaks_the_language_of_the_user, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::WindowClerk).await;
    // The clerk may not open the deadline board: the refusal is in Chinese only.
    let r = app.get("/cases/board").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.text().contains("您的角色无权进行此操作") && !r.text().contains("Your role may not"),
        "{}",
        r.text()
    );
    // In English, in English only.
    let cookie = format!("{}; jz_lang=en", app.cookie.clone().unwrap_or_default());
    let saved = app.cookie.clone();
    app.cookie = Some(cookie);
    let r = app.get("/cases/board").await;
    app.cookie = saved;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.text().contains("Your role may not do this") && !r.text().contains("您的角色"),
        "{}",
        r.text()
    );
});

both!(forms_propose_the_user_and_say_what_is_missing, |b| {
    let mut app = TestApp::new(b).await;
    // The alert inbox proposes the user as the assignee, not the first name on the list.
    app.sign_in(Role::CountyApprover).await;
    let inbox = app.get("/alerts").await.text();
    let select = &inbox[inbox.find("id=\"bulk-assignee\"").expect("the bulk form")..];
    let first = select.split("<option value=\"").nth(1).unwrap();
    assert!(
        first.starts_with(&format!("{}\"", username(Role::CountyApprover))),
        "{first}"
    );
    // The applicant's status page says what to type when the number is missing.
    app.cookie = None;
    app.get("/status").await;
    let r = app
        .post_form(
            "/status",
            &[("code", ""), ("id_number", "330326197505050331")],
        )
        .await;
    assert!(r.text().contains("请填写申请编号"), "{}", r.text());
    let r = app
        .post_form(
            "/status",
            &[
                ("code", "SQ2099010100001"),
                ("id_number", "330326197505050331"),
            ],
        )
        .await;
    assert!(r.text().contains("请核对申请编号"), "{}", r.text());
});

both!(the_user_list_names_roles_and_departments, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CityAdmin).await;
    let page = app.get("/admin/users").await.text();
    assert!(
        page.contains("<td>部门经办</td><td>330326</td><td>司法局</td>"),
        "{page}"
    );
    assert_eq!(jiuzhu_web::i18n::Lang::Zh.department("education"), "教育局");
    assert_eq!(jiuzhu_web::i18n::Lang::Zh.say("education"), "教育救助");
});

/// The rows of an XLSX answer: heading row first.
fn xlsx_rows(r: &Resp) -> Vec<Vec<String>> {
    use calamine::Reader;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(r.body.clone())).unwrap();
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    sheet
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect()
}

both!(long_lists_page_and_export_to_xlsx_with_their_filters, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::CityAdmin).await;
    // The ranking: 100 a page, the rest on the next; the export holds them all.
    let first = app.get("/ranking").await.text();
    assert!(first.contains("id=\"ranking-pager\""), "{first}");
    assert_eq!(first.matches("<tr class=\"ranked\">").count(), 100);
    let second = app.get("/ranking?page=2").await.text();
    let on_second = second.matches("<tr class=\"ranked\">").count();
    assert!(on_second > 0, "{second}");
    assert!(
        first.contains("href=\"/ranking/export.xlsx?region="),
        "{first}"
    );
    let rows = xlsx_rows(&app.get("/ranking/export.xlsx").await);
    assert_eq!(rows[0][0], "困难指数");
    assert_eq!(rows.len() - 1, 100 + on_second, "every ranked household");
    // Filters are kept: rural households only.
    let rural = xlsx_rows(&app.get("/ranking/export.xlsx?hukou=rural").await);
    assert!(rural.len() < rows.len() && rural.iter().skip(1).all(|r| r[4] == "农村"));

    // The audit trail: the action chosen from its labels, exported with its filter.
    let page = app.get("/audit").await.text();
    assert!(
        page.contains("<option value=\"list.export\">导出列表</option>"),
        "{page}"
    );
    let audit = xlsx_rows(&app.get("/audit/export.xlsx?action=list.export").await);
    assert_eq!(audit[0][0], "时间");
    assert!(audit.len() >= 3, "the two ranking exports: {audit:?}");
    assert!(
        audit.iter().skip(1).all(|r| r[3] == "导出列表"),
        "{audit:?}"
    );

    // Alerts and reviews export under Chinese headings.
    let alerts = xlsx_rows(&app.get("/alerts/export.xlsx?status=new").await);
    assert_eq!(alerts[0][0], "预警");
    let reviews = xlsx_rows(&app.get("/cases/reviews/export.xlsx").await);
    assert_eq!(reviews[0][0], "家庭");
    let rules = xlsx_rows(&app.get("/rules/export.xlsx").await);
    assert_eq!(rules[0][0], "规则");
    // The standard rule set: the six rules of workload M and six more, one row each.
    assert_eq!(rules.len() - 1, 12, "{rules:?}");
    let (exports, _) = jiuzhu_db::audit::search(
        &app.db,
        &jiuzhu_db::audit::Filter {
            action: Some("list.export".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let lists: Vec<&str> = exports.iter().map(|e| e.object_id.as_str()).collect();
    for list in [
        "ranking.xlsx",
        "audit.xlsx",
        "alerts.xlsx",
        "reviews.xlsx",
        "rules.xlsx",
    ] {
        assert!(lists.contains(&list), "{list} export audited: {lists:?}");
    }
    // Who may not read a list may not export it.
    app.sign_in(Role::WindowClerk).await;
    assert_eq!(
        app.get("/audit/export.xlsx").await.status,
        StatusCode::FORBIDDEN
    );
});

/// Photos and scans are taken with the phone's camera: every file input that takes images
/// opens it.
#[test]
fn every_photo_input_opens_the_camera() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for input in text.split("<input").skip(1) {
            let tag = input.split('>').next().unwrap_or_default();
            if tag.contains("type=\"file\"") && tag.contains("accept=\"image/") {
                seen += 1;
                assert!(
                    tag.contains("capture=\"environment\""),
                    "{}: {tag}",
                    path.display()
                );
            }
        }
    }
    assert!(
        seen >= 3,
        "the case's photos and the authorisation scans: {seen}"
    );
}
