//! How long the texts people type may be (字段长度). Every write checks them, whichever
//! page, API or import it comes from: a name is a name, not a document.

/// A person's name (names of minorities written in Chinese reach about 20 characters).
pub const NAME_CHARS: usize = 40;
/// An address, a bank's name, a reference.
pub const LINE_CHARS: usize = 200;
/// A note, an opinion, a reason.
pub const TEXT_CHARS: usize = 2000;

/// Refuses `value` longer than `max` characters, naming the field.
pub fn within(field: &str, value: &str, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if n > max {
        Err(format!("{field}: at most {max} characters ({n} given)"))
    } else {
        Ok(())
    }
}

/// The Chinese name of a form field the limits name (the code itself where none is written).
pub fn field_label_zh(field: &str) -> &str {
    match field {
        "note" => "备注",
        "name" | "signer_name" => "姓名",
        "reason" => "理由",
        "opinion" => "意见",
        "text" | "data" => "内容",
        "assignee" => "经办人",
        "address" => "地址",
        "phone" => "电话",
        "applicant_name" => "申请人姓名",
        "proxy_name" => "代办人姓名",
        "source_ref" => "来源编号",
        "purpose" => "查询目的",
        "scope" => "授权范围",
        "scan_name" => "扫描件文件名",
        "value" => "数值",
        _ => field,
    }
}

/// Refuses a JSON value holding any text longer than [`TEXT_CHARS`], naming its key.
pub fn texts_within(field: &str, value: &serde_json::Value) -> Result<(), String> {
    match value {
        serde_json::Value::String(s) => within(field, s, TEXT_CHARS),
        serde_json::Value::Array(a) => a.iter().try_for_each(|v| texts_within(field, v)),
        serde_json::Value::Object(o) => o.iter().try_for_each(|(k, v)| texts_within(k, v)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_and_names_the_field() {
        assert!(within("name", &"张".repeat(40), NAME_CHARS).is_ok());
        let e = within("name", &"张".repeat(41), NAME_CHARS).unwrap_err();
        assert_eq!(e, "name: at most 40 characters (41 given)");
        let v = serde_json::json!({"opinion": "x".repeat(2001), "staff": ["a"]});
        assert!(
            texts_within("data", &v)
                .unwrap_err()
                .starts_with("opinion:")
        );
    }
}
