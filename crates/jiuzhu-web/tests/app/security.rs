//! Sign-in, lock-out, sessions, CSRF, headers, masking and scope on every route.

use axum::http::StatusCode;
use jiuzhu_domain::Role;

use crate::*;

both!(api_answers_401_without_sign_in_and_accepts_tokens, |b| {
    let mut app = TestApp::new(b).await;
    let r = app.api("GET", "/api/v1/households", None, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["error"], "unauthorized");
    let r = app
        .api("GET", "/api/v1/households", None, Some("not-a-token"))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let user = jiuzhu_db::users::by_username(&app.db, &username(Role::CountyApprover))
        .await
        .unwrap()
        .unwrap();
    let token = jiuzhu_app::accounts::issue_token(
        &app.db,
        &jiuzhu_db::audit::Actor::system("test"),
        user.id,
        "ci",
    )
    .await
    .unwrap();
    let r = app
        .api("GET", "/api/v1/households", None, Some(&token))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.json()["total"].as_i64().unwrap() > 0);
    // Pages send the browser to sign in.
    let r = app.get("/households").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/login"));
});

both!(five_wrong_passwords_lock_the_account, |b| {
    let mut app = TestApp::new(b).await;
    let user = username(Role::WindowClerk);
    for i in 0..5 {
        let r = app
            .post_form(
                "/login",
                &[("username", &user), ("password", "wrong-password")],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let r = app
        .post_form("/login", &[("username", &user), ("password", PASSWORD)])
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "locked account signed in"
    );
    assert!(r.text().contains("锁定"), "lock message shown");
    // The lock ends after its time: simulate by moving it into the past.
    jiuzhu_db::sqlx::query(
        "UPDATE users SET locked_until = '2000-01-01T00:00:00.000000Z' WHERE username = $1",
    )
    .bind(&user)
    .execute(app.db.pool())
    .await
    .unwrap();
    let r = app
        .post_form("/login", &[("username", &user), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let (rows, _) = jiuzhu_db::audit::search(
        &app.db,
        &jiuzhu_db::audit::Filter {
            action: Some("auth.locked".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    // An unknown user gets the same answer as a wrong password.
    let r = app
        .post_form("/login", &[("username", "nobody"), ("password", PASSWORD)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
});

both!(sessions_end_when_idle_and_at_sign_out, |b| {
    let config = jiuzhu_web::Config {
        idle_timeout: std::time::Duration::from_secs(1),
        ..Default::default()
    };
    let mut app = TestApp::with_config(b, config).await;
    app.sign_in(Role::WindowClerk).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let r = app.get("/households").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location.as_deref(), Some("/login?expired=1"));
    // The server's sweep removes abandoned sessions without waiting for their next request.
    app.sign_in(Role::WindowClerk).await;
    let cutoff = jiuzhu_db::time_text(chrono::Utc::now() + chrono::Duration::seconds(1));
    assert_eq!(
        jiuzhu_db::sessions::delete_idle(&app.db, &cutoff)
            .await
            .unwrap(),
        1
    );
    assert_eq!(app.get("/households").await.status, StatusCode::SEE_OTHER);

    let mut app = TestApp::new(b).await;
    app.sign_in(Role::WindowClerk).await;
    let cookie = app.cookie.clone();
    let r = app.post_form("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    app.cookie = cookie; // a stolen cookie is worthless after sign-out
    assert_eq!(app.get("/").await.status, StatusCode::SEE_OTHER);
});

both!(forms_and_api_writes_need_the_csrf_token, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::WindowClerk).await;
    let (id, _, _) = app.household(true).await;
    let r = app
        .post_form(
            &format!("/households/{id}/edit"),
            &[
                ("csrf", "forged"),
                ("region_code", "330326100201"),
                ("hukou", "rural"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Every kind of form a page posts is refused without the session's token, forged or
    // missing, before anything is read or written: a plain form, a form of repeated
    // fields, a button.
    let before = app.get(&format!("/api/v1/households/{id}")).await.json();
    for (path, fields) in [
        (
            format!("/households/{id}/edit"),
            vec![("region_code", "330326100201"), ("hukou", "rural")],
        ),
        (
            format!("/households/{id}/evidence"),
            vec![
                ("subject", "household"),
                ("kind", "property.houses"),
                ("value", "3"),
                ("source", "declared"),
            ],
        ),
        (
            format!("/households/{id}/reveal"),
            vec![("field", "bank_account")],
        ),
        (
            "/alerts/bulk".to_string(),
            vec![("ids", "1"), ("ids", "2"), ("assignee", "clerk")],
        ),
        ("/cases/board".to_string(), vec![]),
        ("/logout".to_string(), vec![]),
    ] {
        for token in ["forged", ""] {
            let mut form = vec![("csrf", token)];
            form.extend(fields.iter().copied());
            let r = app.post_form(&path, &form).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{path} with token {token:?}"
            );
        }
        // No token field at all.
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let r = app
            .request(
                "POST",
                &path,
                Some("application/x-www-form-urlencoded"),
                body.into_bytes(),
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} without a token");
    }
    let after = app.get(&format!("/api/v1/households/{id}")).await;
    assert_eq!(
        after.status,
        StatusCode::OK,
        "still signed in: /logout was refused"
    );
    assert_eq!(
        after.json(),
        before,
        "nothing was written by a refused form"
    );
    let r = app
        .request(
            "PUT",
            &format!("/api/v1/households/{id}"),
            Some("application/json"),
            br#"{"region_code":"330326100201","hukou":"rural"}"#.to_vec(),
            &[],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "cookie-authenticated API write without X-CSRF-Token"
    );
    assert_eq!(r.json()["error"], "csrf");
});

both!(security_headers_on_every_response, |b| {
    let mut app = TestApp::new(b).await;
    for uri in [
        "/login",
        "/api/v1/households",
        "/no-such-page",
        "/static/app.css",
    ] {
        let r = app.get(uri).await;
        let h = &r.headers;
        assert!(
            h["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{uri}"
        );
        assert_eq!(h["x-frame-options"], "DENY", "{uri}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
        assert!(h.contains_key("referrer-policy"), "{uri}");
    }
    assert_eq!(app.get("/login").await.headers["cache-control"], "no-store");
});

both!(lists_mask_ids_and_a_reveal_is_audited, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::WindowClerk).await;
    let (id, head_id, head_name) = app.household(true).await;
    for uri in [
        format!("/households?q={}", enc(&head_name)),
        format!("/households?q={head_id}"),
        format!("/households/{id}"),
    ] {
        let page = app.get(&uri).await.text();
        // The search box may echo what the user typed; no table cell shows a full number.
        assert!(
            !page.contains(&format!("<td class=\"id-number\">{head_id}")),
            "full ID number in {uri}"
        );
        assert!(
            page.contains(&format!(
                "<td class=\"id-number\">{}",
                jiuzhu_domain::mask_id_str(&head_id)
            )),
            "masked ID in {uri}"
        );
    }
    let api = app
        .api(
            "GET",
            &format!("/api/v1/households?q={head_id}"),
            None,
            None,
        )
        .await
        .text();
    assert!(!api.contains(&head_id) && api.contains(&jiuzhu_domain::mask_id_str(&head_id)));
    let rec = jiuzhu_db::households::get(&app.db, &jiuzhu_db::households::Scope::everything(), id)
        .await
        .unwrap()
        .unwrap();
    let head = rec.members.iter().find(|m| m.id_number == head_id).unwrap();
    let r = app
        .post_form(
            &format!("/households/{id}/reveal"),
            &[
                ("field", "id_number"),
                ("person_id", &head.person_id.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.text()
            .contains(&format!("<span class=\"revealed\">{head_id}</span>"))
    );
    let (rows, _) = jiuzhu_db::audit::search(
        &app.db,
        &jiuzhu_db::audit::Filter {
            action: Some("sensitive.reveal".into()),
            household_id: Some(id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].actor, username(Role::WindowClerk));
    // A village worker may see the household in their village but not reveal.
    app.sign_in(Role::VillageWorker).await;
    let r = app
        .api(
            "POST",
            &format!("/api/v1/households/{id}/reveal"),
            Some(serde_json::json!({"field": "id_number", "person_id": head.person_id})),
            None,
        )
        .await;
    assert!(r.status == StatusCode::FORBIDDEN, "{}", r.status);
});

both!(no_route_reaches_a_household_outside_the_scope, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::WindowClerk).await;
    let (mine, _, _) = app.household(true).await;
    let (other, other_id, other_name) = app.household(false).await;
    // The user's own household works (the control).
    assert_eq!(
        app.get(&format!("/households/{mine}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.api("GET", &format!("/api/v1/households/{mine}"), None, None)
            .await
            .status,
        StatusCode::OK
    );
    // Pages.
    assert_eq!(
        app.get(&format!("/households/{other}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/households/{other}/edit")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .post_form(
            &format!("/households/{other}/edit"),
            &[
                ("region_code", "330326100201"),
                ("hukou", "rural"),
                ("address", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post_form(
            &format!("/households/{other}/reveal"),
            &[("field", "id_number"), ("person_id", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post_form(
            &format!("/households/{other}/evidence"),
            &[
                ("subject", "household"),
                ("kind", "property.houses"),
                ("value", "3"),
                ("source", "declared"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Search, by ID number and by name.
    let page = app.get(&format!("/households?q={other_id}")).await.text();
    assert!(
        page.contains("没有符合条件的家庭"),
        "search by ID found an out-of-scope household"
    );
    let page = app
        .get(&format!("/households?q={}", enc(&other_name)))
        .await
        .text();
    assert!(
        !page.contains(&format!("/households/{other}\"")),
        "search by name found an out-of-scope household"
    );
    // API.
    assert_eq!(
        app.api("GET", &format!("/api/v1/households/{other}"), None, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app
        .api(
            "GET",
            &format!("/api/v1/households?q={other_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(r.json()["total"], 0);
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/households/{other}"),
            Some(serde_json::json!({"region_code": "330326100201", "hukou": "rural"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .api(
            "POST",
            &format!("/api/v1/households/{other}/reveal"),
            Some(serde_json::json!({"field": "id_number", "person_id": 1})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Moving one's own household out of scope is refused.
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/households/{mine}"),
            Some(serde_json::json!({"region_code": "330302006044", "hukou": "urban"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a village of Lucheng");
    // A village code that names no village refers to nothing.
    let r = app
        .api(
            "PUT",
            &format!("/api/v1/households/{mine}"),
            Some(serde_json::json!({"region_code": "330302001001", "hukou": "urban"})),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Export.
    let r = app
        .get(&format!("/households/export.xlsx?q={other_id}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(r.body.clone())).unwrap();
    use calamine::Reader;
    let sheet = book.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(sheet.height(), 1, "export holds only the header row");
    // Regions above or beside the scope.
    let r = app.get("/regions/330302").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.api("GET", "/api/v1/regions/330302", None, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A social organisation sees no registry at all.
    app.sign_in(Role::SocialOrganisation).await;
    assert_eq!(
        app.get(&format!("/households/{mine}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.api("GET", "/api/v1/households", None, None)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
});

both!(user_administration_is_for_the_city_administrator, |b| {
    let mut app = TestApp::new(b).await;
    app.sign_in(Role::WindowClerk).await;
    assert_eq!(app.get("/admin/users").await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/audit").await.status, StatusCode::FORBIDDEN);
    app.sign_in(Role::CityAdmin).await;
    app.get("/admin/users/new").await;
    let r = app
        .post_form(
            "/admin/users/new",
            &[
                ("username", "new-clerk"),
                ("display_name", "新受理员"),
                ("role", "window_clerk"),
                ("scope_region", "330326"),
                ("department", ""),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text().contains("field-error") && r.text().contains("新受理员"),
        "error shown, typed values kept"
    );
    let r = app
        .post_form(
            "/admin/users/new",
            &[
                ("username", "new-clerk"),
                ("display_name", "新受理员"),
                ("role", "window_clerk"),
                ("scope_region", "330326"),
                ("department", ""),
                ("password", "a-long-enough-password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert!(app.get("/admin/users").await.text().contains("new-clerk"));
    app.cookie = None;
    let r = app
        .post_form(
            "/login",
            &[
                ("username", "new-clerk"),
                ("password", "a-long-enough-password"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
});

both!(the_interface_switches_to_english, |b| {
    let mut app = TestApp::new(b).await;
    assert!(app.get("/login").await.text().contains("登录"));
    let r = app.get("/lang?to=en").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let cookie = r.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(cookie, "jz_lang=en");
    let page = app
        .request(
            "GET",
            "/login",
            None,
            Vec::new(),
            &[("cookie", cookie.as_str())],
        )
        .await
        .text();
    assert!(
        page.contains("<html lang=\"en\">") && page.contains("Sign in"),
        "English sign-in page"
    );
});
