//! The API's contract: every rule a handler keeps about the shape of its input, written
//! into the OpenAPI document, so that a request the document calls valid is one the
//! handler accepts (or refuses only for the registry's state: 404 for a reference that
//! does not exist or lies outside the caller's region, 409 for a conflict with what is
//! stored, such as a step that is not the current one).
//!
//! Vocabularies come from `jiuzhu-domain` (its enums' `ALL`), never copied here, so a new
//! code appears in the document the day it appears in the domain. Schemas too rich for
//! utoipa's attributes (one shape per step, per evidence kind) are written as JSON Schema.
//! ID numbers carry the format `gb11643` (GB 11643-1999: 17 digits and a check character);
//! `scripts/schemathesis/hooks.py` teaches the schema-driven test to generate them.

use jiuzhu_domain::limits::{LINE_CHARS, NAME_CHARS, TEXT_CHARS};
use jiuzhu_domain::registry::{EvidenceSubject, EvidenceValueType};
use jiuzhu_domain::workflow::{self, StepKind};
use jiuzhu_domain::{EvidenceKind, EvidenceSource, Hukou, Relation};
use serde_json::{Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

/// A schema written as JSON Schema.
pub fn schema(v: Value) -> RefOr<Schema> {
    serde_json::from_value(v).expect("the contract's schemas are valid OpenAPI")
}

/// Text that is not blank, at most `max` characters.
pub fn text(max: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max, "pattern": "\\S"})
}

/// Text that may be empty, at most `max` characters.
pub fn optional_text(max: usize) -> Value {
    json!({"type": "string", "maxLength": max})
}

pub fn id_number_json() -> Value {
    json!({"type": "string", "format": "gb11643", "pattern": "^[0-9]{17}[0-9X]$",
           "example": "330302199001010013"})
}

pub fn date_json() -> Value {
    json!({"type": "string", "format": "date", "example": "2026-12-01"})
}

/// A non-negative amount in yuan with at most two decimals.
pub fn yuan_json() -> Value {
    json!({"type": "string", "pattern": "^[0-9]{1,12}(\\.[0-9]{1,2})?$", "example": "2300.00"})
}

pub fn codes<T: Copy + 'static>(all: &[T], code: fn(T) -> &'static str) -> Value {
    json!({"type": "string", "enum": all.iter().map(|t| code(*t)).collect::<Vec<_>>()})
}

// Field schemas for `#[schema(schema_with = ...)]` and `#[param(schema_with = ...)]`.

pub fn id_number() -> RefOr<Schema> {
    schema(id_number_json())
}
pub fn date() -> RefOr<Schema> {
    schema(date_json())
}
/// A date, or null (or absent) for today.
pub fn date_or_null() -> RefOr<Schema> {
    schema(date_or_null_json())
}
pub fn date_or_null_json() -> Value {
    json!({"type": ["string", "null"], "format": "date", "example": "2026-12-01"})
}
pub fn yuan() -> RefOr<Schema> {
    schema(yuan_json())
}
pub fn month() -> RefOr<Schema> {
    schema(json!({"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2026-11"}))
}
/// A village's 12-digit code.
pub fn village() -> RefOr<Schema> {
    schema(json!({"type": "string", "pattern": "^[0-9]{12}$", "example": "330302001001"}))
}
/// A region code at any level (2, 4, 6, 9 or 12 digits).
pub fn region() -> RefOr<Schema> {
    schema(json!({"type": "string",
        "pattern": "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$", "example": "330302"}))
}
pub fn name() -> RefOr<Schema> {
    schema(text(NAME_CHARS))
}
pub fn line() -> RefOr<Schema> {
    schema(optional_text(LINE_CHARS))
}
pub fn note() -> RefOr<Schema> {
    schema(optional_text(TEXT_CHARS))
}
pub fn line_required() -> RefOr<Schema> {
    schema(text(LINE_CHARS))
}
pub fn alert_status() -> RefOr<Schema> {
    schema(json!({"type": "string", "enum": jiuzhu_db::monitoring::STATUSES}))
}
/// A landline or mobile number, or empty.
pub fn phone() -> RefOr<Schema> {
    schema(
        json!({"type": "string", "pattern": "^([0-9+-]([0-9+ -]{5,18})[0-9+-])?$", "example": "13812345678"}),
    )
}
/// 8 to 32 digits, or empty.
pub fn bank_account() -> RefOr<Schema> {
    schema(json!({"type": "string", "pattern": "^([0-9]{8,32})?$"}))
}
/// A household number of the registry, or absent to have one generated.
pub fn household_code() -> RefOr<Schema> {
    schema(json!({"type": ["string", "null"], "pattern": "^[0-9A-Za-z-]{1,40}$"}))
}
pub fn hukou() -> RefOr<Schema> {
    schema(codes(Hukou::ALL, Hukou::code))
}
pub fn relation() -> RefOr<Schema> {
    schema(codes(Relation::ALL, Relation::code))
}
/// A 1-based page number.
pub fn page() -> RefOr<Schema> {
    schema(json!({"type": "integer", "format": "int64", "minimum": 1}))
}
pub fn department() -> RefOr<Schema> {
    schema(json!({"type": "string",
        "enum": workflow::DEPARTMENTS.iter().map(|d| d.0).collect::<Vec<_>>()}))
}
pub fn evidence_source() -> RefOr<Schema> {
    schema(codes(EvidenceSource::ALL, EvidenceSource::code))
}

/// Per person (masked ID number), the feeds with rows about them: `[id, [feed, ...]]`.
pub fn found_feeds() -> RefOr<Schema> {
    schema(
        json!({"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2,
        "items": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}}}),
    )
}

/// The value an evidence kind takes.
fn evidence_value(kind: EvidenceKind) -> Value {
    match kind.value_type() {
        EvidenceValueType::MoneyMonthly
        | EvidenceValueType::MoneyAnnual
        | EvidenceValueType::Money => yuan_json(),
        EvidenceValueType::Count => json!({"type": "string", "pattern": "^[0-9]{1,9}$"}),
        EvidenceValueType::Flag => json!({"type": "string", "enum": ["0", "1"]}),
        EvidenceValueType::Code if kind == EvidenceKind::Disability => {
            json!({"type": "string", "pattern": "^[1-7]-[1-4]$", "example": "1-2"})
        }
        EvidenceValueType::Code => json!({"type": "string", "enum": kind.allowed_codes()}),
    }
}

/// Evidence to record: one shape per kind (its subject, its value).
pub fn evidence_input() -> Value {
    let shapes: Vec<Value> = EvidenceKind::ALL
        .iter()
        .map(|&kind| {
            let subject = match kind.subject() {
                EvidenceSubject::Household => json!({"type": "string", "enum": ["household"],
                    "description": "household"}),
                EvidenceSubject::Person => {
                    json!({"type": "string", "pattern": "^[1-9][0-9]{0,17}$",
                    "description": "the member's person id"})
                }
            };
            json!({
                "type": "object",
                "title": kind.code(),
                "required": ["subject", "kind", "value", "source"],
                "properties": {
                    "kind": {"type": "string", "enum": [kind.code()]},
                    "subject": subject,
                    "value": evidence_value(kind),
                    "source": codes(EvidenceSource::ALL, EvidenceSource::code),
                    "valid_from": date_or_null_json(),
                    "note": optional_text(TEXT_CHARS),
                }
            })
        })
        .collect();
    json!({
        "description": "Evidence to record; the current record of the same kind is ended where this begins. Money as yuan, counts, flags 0/1 or codes, by kind.",
        "oneOf": shapes,
    })
}

/// Which value to show in full: a member's ID or phone number, or the household's account.
pub fn reveal_input() -> Value {
    json!({
        "description": "Which value to show in full; the read is audited.",
        "oneOf": [
            {"type": "object", "title": "member", "required": ["field", "person_id"],
             "properties": {"field": {"type": "string", "enum": ["id_number", "phone"]},
                            "person_id": {"type": "integer", "format": "int64", "minimum": 1}}},
            {"type": "object", "title": "household", "required": ["field"],
             "properties": {"field": {"type": "string", "enum": ["bank_account"]}}},
        ]
    })
}

/// A step of an alert: assign (to a user), investigate, or close with an outcome.
pub fn alert_step_input() -> Value {
    json!({
        "description": "The next step of an alert (new → assigned → investigating → closed).",
        "oneOf": [
            {"type": "object", "title": "assign", "required": ["step", "assignee"],
             "properties": {"step": {"type": "string", "enum": ["assign"]},
                            "assignee": text(NAME_CHARS)}},
            {"type": "object", "title": "investigate", "required": ["step"],
             "properties": {"step": {"type": "string", "enum": ["investigate"]}}},
            {"type": "object", "title": "close", "required": ["step", "outcome", "note"],
             "properties": {"step": {"type": "string", "enum": ["close"]},
                            "outcome": {"type": "string",
                                "enum": jiuzhu_db::monitoring::OUTCOMES},
                            "note": text(TEXT_CHARS)}},
        ]
    })
}

fn attachment() -> Value {
    json!({"type": "object", "required": ["name", "base64"], "properties": {
        "name": text(LINE_CHARS),
        "mime": {"type": "string", "pattern": "^[a-z]+/[a-z0-9.+-]+$"},
        "base64": {"type": "string", "contentEncoding": "base64",
            "pattern": "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"},
    }})
}

/// An action on an item's current step: to complete it, the step's record (what
/// `workflow::check_input` asks of it); to return or refuse it, a reason.
pub fn case_step_input() -> Value {
    let all: Vec<&str> = StepKind::ALL.iter().map(|k| k.code()).collect();
    // What every shape may carry.
    let common = json!({
        "areas": {"type": "object", "additionalProperties": optional_text(TEXT_CHARS)},
        "staff": {"type": "array", "maxItems": 10, "items": optional_text(NAME_CHARS)},
        "opinion": optional_text(TEXT_CHARS),
        "reason": optional_text(TEXT_CHARS),
        "attachments": {"type": "array", "items": attachment(), "maxItems": 20},
    });
    let mut refusal = common.clone();
    refusal["step"] = json!({"type": "string", "enum": all});
    refusal["action"] = json!({"type": "string", "enum": ["return", "refuse"]});
    refusal["reason"] = text(TEXT_CHARS);
    let mut shapes = vec![json!({
        "type": "object", "title": "return or refuse", "required": ["step", "action", "reason"],
        "properties": refusal})];
    for kind in StepKind::ALL {
        let mut properties = common.clone();
        properties["step"] = json!({"type": "string", "enum": [kind.code()]});
        properties["action"] =
            json!({"type": "string", "enum": ["complete"], "default": "complete"});
        let mut required = vec!["step"];
        match kind {
            StepKind::Investigate => {
                let areas: Vec<&str> = workflow::INVESTIGATION_AREAS.iter().map(|a| a.0).collect();
                let area_props: serde_json::Map<String, Value> = areas
                    .iter()
                    .map(|a| (a.to_string(), text(TEXT_CHARS)))
                    .collect();
                properties["areas"] = json!({"type": "object", "required": areas,
                    "properties": area_props, "additionalProperties": optional_text(TEXT_CHARS)});
                properties["staff"] = json!({"type": "array", "minItems": 2, "maxItems": 10,
                    "uniqueItems": true,
                    "items": {"type": "string", "maxLength": NAME_CHARS, "pattern": "^\\S(.*\\S)?$"}});
                properties["attachments"]["minItems"] = json!(1);
                required.extend(["areas", "staff", "attachments"]);
            }
            StepKind::Appraise => {
                properties["opinion"] = text(TEXT_CHARS);
                properties["attachments"]["minItems"] = json!(1);
                required.extend(["opinion", "attachments"]);
            }
            StepKind::Review | StepKind::Approve => {
                properties["opinion"] = text(TEXT_CHARS);
                required.push("opinion");
            }
            _ => {}
        }
        shapes.push(
            json!({"type": "object", "title": kind.code(), "required": required,
            "properties": properties}),
        );
    }
    json!({
        "description": "An action on the item's current step. Completing a step other than the current one, approving without a verification since the application, or ending the public notice early or with an objection unanswered is refused with 409.",
        "oneOf": shapes,
    })
}

/// An application taken for a household found by a member's ID number.
pub fn application_input() -> Value {
    let programs: Vec<String> = workflow::shipped()
        .iter()
        .map(|w| w.program.clone())
        .collect();
    let without_temporary: Vec<&String> = programs.iter().filter(|p| *p != "temporary").collect();
    let common = json!({
        "id_number": id_number_json(),
        "programs": {"type": "array", "items": {"type": "string", "enum": programs}, "uniqueItems": true},
        "any": {"type": "boolean"},
        "authorisation": {"type": ["integer", "null"], "format": "int64", "minimum": 1},
        "source_ref": optional_text(LINE_CHARS),
        "expense": {"type": ["string", "null"], "pattern": "^[0-9]{1,12}(\\.[0-9]{1,2})?$"},
        "urgent": {"type": "boolean"},
    });
    // Programs named, or `any` (the prescription's), or both.
    let chosen = json!({"anyOf": [
        {"required": ["programs"], "properties": {"programs": {"minItems": 1}}},
        {"required": ["any"], "properties": {"any": {"enum": [true]}}},
    ]});
    let mut direct = common.clone();
    direct["channel"] = json!({"type": "string",
        "enum": workflow::CHANNELS.iter().filter(|c| **c != "proxy").collect::<Vec<_>>()});
    let mut proxy = common;
    proxy["channel"] = json!({"type": "string", "enum": ["proxy"]});
    proxy["proxy_name"] = text(NAME_CHARS);
    proxy["proxy_id_number"] = id_number_json();
    json!({
        "description": "An application (一门受理). Programs are the approval paths' codes; `any` adds whatever the prescription finds eligible. Temporary assistance needs the sudden expense. A proxy application names the proxy.",
        "allOf": [
            {"oneOf": [
                {"type": "object", "title": "in person", "required": ["id_number", "channel"], "properties": direct},
                {"type": "object", "title": "by proxy", "required": ["id_number", "channel", "proxy_name", "proxy_id_number"], "properties": proxy},
            ]},
            chosen,
            {"anyOf": [
                {"required": ["expense"], "properties": {"expense": {"type": "string"}}},
                {"properties": {"programs": {"type": "array", "items": {"enum": without_temporary}}}},
            ]},
        ]
    })
}

/// The request bodies whose schema is written here as JSON Schema (one shape per step,
/// per evidence kind): `api::openapi_document` puts them in the document's components.
pub fn bodies() -> [(&'static str, Value); 5] {
    [
        ("EvidenceInput", evidence_input()),
        ("RevealInput", reveal_input()),
        ("StepInput", alert_step_input()),
        ("StepBody", case_step_input()),
        ("ApplicationInput", application_input()),
    ]
}

/// Names a request body whose schema [`bodies`] writes (utoipa's own schema types cannot
/// hold `oneOf` of objects with `uniqueItems` and `contentEncoding`).
macro_rules! schema_type {
    ($ty:ty) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::Object::new().into()
            }
        }
        impl utoipa::ToSchema for $ty {}
    };
}
pub(crate) use schema_type;

// The checks of query parameters that the schemas above state (bodies are checked by
// the handlers' parsers and the store's writes).

/// A page number, 1 or more.
pub fn check_page(page: Option<i64>) -> Result<(), crate::error::WebError> {
    match page {
        Some(p) if p < 1 => Err(crate::error::WebError::Invalid(
            "page: pages are numbered from 1".into(),
        )),
        _ => Ok(()),
    }
}

/// A region code of 2, 4, 6, 9 or 12 digits.
pub fn check_region(region: Option<&str>) -> Result<(), crate::error::WebError> {
    match region {
        Some(r) => jiuzhu_domain::RegionCode::parse(r)
            .map(|_| ())
            .map_err(|e| crate::error::WebError::Invalid(format!("region: {e}"))),
        None => Ok(()),
    }
}

/// One of a closed list of codes.
pub fn check_code(
    field: &str,
    value: Option<&str>,
    codes: &[&str],
) -> Result<(), crate::error::WebError> {
    match value {
        Some(v) if !codes.contains(&v) => Err(crate::error::WebError::Invalid(format!(
            "{field}: {v:?} is not one of {}",
            codes.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// A phone number as the schema states it: 7 to 20 digits, `+`, `-` or spaces, not
/// beginning or ending with a space; or empty.
pub fn check_phone(phone: &str) -> Result<(), crate::error::WebError> {
    if crate::pages::valid_phone(phone) && phone.trim() == phone {
        Ok(())
    } else {
        Err(crate::error::WebError::Invalid(
            "phone: 7 to 20 digits (a + or - allowed), or empty".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_is_in_the_document_as_written_here() {
        let doc = crate::api::openapi_document();
        for (name, schema) in bodies() {
            assert_eq!(doc["components"]["schemas"][name], schema, "{name}");
        }
        let steps = &doc["components"]["schemas"]["StepBody"]["oneOf"];
        assert_eq!(steps.as_array().unwrap().len(), StepKind::ALL.len() + 1);
    }

    #[test]
    fn evidence_shapes_follow_the_domain() {
        let v = evidence_input();
        let shapes = v["oneOf"].as_array().unwrap();
        assert_eq!(shapes.len(), EvidenceKind::ALL.len());
        let vehicle = shapes
            .iter()
            .find(|s| s["title"] == "property.vehicle")
            .unwrap();
        assert_eq!(
            vehicle["properties"]["subject"]["enum"],
            json!(["household"])
        );
        let re = regex_lite(&vehicle["properties"]["value"]["pattern"]);
        assert!(re("2300.50") && re("0") && !re("-1") && !re("1.234"));
    }

    /// The yuan pattern checked against the domain's own parser.
    fn regex_lite(p: &Value) -> impl Fn(&str) -> bool {
        assert_eq!(p, &json!("^[0-9]{1,12}(\\.[0-9]{1,2})?$"));
        |s: &str| {
            let ok = jiuzhu_domain::Money::parse(s).is_ok_and(|m| !m.is_negative());
            let shaped = s.split_once('.').map_or(
                !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()),
                |(a, b)| {
                    !a.is_empty()
                        && a.len() <= 12
                        && (1..=2).contains(&b.len())
                        && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
                },
            );
            assert_eq!(ok, shaped, "{s}");
            shaped
        }
    }
}
