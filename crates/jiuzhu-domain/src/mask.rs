//! Masking (脱敏) of phone numbers, identity-number strings and names for display and export.

/// Masks a phone number: 11-digit mobiles become `138****5678`; other strings of at least
/// 7 characters keep the first 3 and last 4 with one `*` per hidden character; shorter
/// strings become all stars. Counts characters, not bytes.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    keep_ends(&chars, 3, 4)
}

/// Masks an identity-number string without validating it: 18 characters become first 6 +
/// `********` + last 4 (as [`crate::IdNumber::masked`]); 15 characters (old-style numbers)
/// first 6 + `******` + last 3; anything else all stars.
pub fn mask_id_str(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    match chars.len() {
        18 => keep_ends(&chars, 6, 4),
        15 => keep_ends(&chars, 6, 3),
        n => "*".repeat(n),
    }
}

/// Masks a personal name for de-identification: the first character is kept and every
/// other character becomes `*` (张三丰 → `张**`).
pub fn mask_name(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

fn keep_ends(chars: &[char], head: usize, tail: usize) -> String {
    let hidden = chars.len() - head - tail;
    chars[..head]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(&chars[head + hidden..])
        .collect()
}

/// Masks every identity number (18 characters, 17 digits and a digit or `X`; or 15
/// digits) and every mobile number (11 digits from 1) inside a text, as an error message
/// that quotes a refused cell, and leaves the rest.
pub fn mask_ids_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let b = run.as_bytes();
        let id18 = b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit);
        let id15 = b.len() == 15 && b.iter().all(u8::is_ascii_digit);
        let mobile = b.len() == 11 && b[0] == b'1' && b.iter().all(u8::is_ascii_digit);
        if id18 || id15 {
            out.push_str(&mask_id_str(run));
        } else if mobile {
            out.push_str(&mask_phone(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || c == 'X' || c == 'x' {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0571-8888888"), "057*****8888");
        assert_eq!(mask_phone("1234567"), "1234567");
        assert_eq!(mask_phone("123456"), "******");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn id_strings() {
        assert_eq!(mask_id_str("11010519491231002X"), "110105********002X");
        assert_eq!(
            mask_id_str("11010519491231002X"),
            crate::IdNumber::parse("11010519491231002X")
                .unwrap()
                .masked()
        );
        assert_eq!(mask_id_str("110105491231002"), "110105******002");
        assert_eq!(mask_id_str("12345"), "*****");
    }

    #[test]
    fn names() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("李四"), "李*");
        assert_eq!(mask_name("王"), "王");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn identity_numbers_inside_a_text_are_masked() {
        assert_eq!(
            mask_ids_in("\"33032619800101001X\": wrong check character (expected 5); line 12"),
            "\"330326********001X\": wrong check character (expected 5); line 12"
        );
        assert_eq!(
            mask_ids_in("old 330326800101001 and 12345678901234567890 and H0000000001"),
            "old 330326******001 and 12345678901234567890 and H0000000001"
        );
        assert_eq!(
            mask_ids_in("sex: expected M/F, got \"13812345678\" (not 23812345678)"),
            "sex: expected M/F, got \"138****5678\" (not 23812345678)"
        );
    }
}
