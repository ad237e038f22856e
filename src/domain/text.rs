//! Text normalisation: Vietnamese arrives in NFC or NFD; the gateway keeps NFC only.

use unicode_normalization::UnicodeNormalization;

/// NFC-normalises every string in a JSON value, so "Nguyễn" in NFD and NFC are the same name.
pub fn nfc_json(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::String(s) if !unicode_normalization::is_nfc(s) => *s = s.nfc().collect(),
        serde_json::Value::Array(a) => a.iter_mut().for_each(nfc_json),
        serde_json::Value::Object(o) => {
            let entries = std::mem::take(o);
            for (k, mut val) in entries {
                nfc_json(&mut val);
                o.insert(k.nfc().collect(), val);
            }
        }
        _ => {}
    }
}

/// Trims and collapses inner runs of whitespace to one space.
pub fn tidy(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A person's name: letters (any script, so every Vietnamese letter), spaces, `-` and `'`.
pub fn is_person_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphabetic() || c == ' ' || c == '-' || c == '\'')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn nfd_and_nfc_names_become_equal() {
        let nfd: String = "Nguyễn Thị Ánh".nfd().collect();
        assert_ne!(nfd, "Nguyễn Thị Ánh");
        let mut v = serde_json::json!({ "child": { "full_name": nfd } });
        nfc_json(&mut v);
        assert_eq!(v["child"]["full_name"], "Nguyễn Thị Ánh");
    }

    #[test]
    fn names_accept_vietnamese_and_refuse_digits() {
        assert!(is_person_name("Đặng Thị Hồng-Nhung"));
        assert!(is_person_name("H'Hen Niê"));
        assert!(!is_person_name("Nguyen 2"));
        assert!(!is_person_name(""));
    }

    proptest! {
        #[test]
        fn nfc_is_idempotent(s in "\\PC{0,40}") {
            let mut a = serde_json::Value::String(s);
            nfc_json(&mut a);
            let mut b = a.clone();
            nfc_json(&mut b);
            prop_assert_eq!(a, b);
        }

        #[test]
        fn tidy_leaves_no_double_or_edge_spaces(s in "[ a-zđ\\t]{0,30}") {
            let t = tidy(&s);
            prop_assert!(!t.starts_with(' ') && !t.ends_with(' ') && !t.contains("  "));
        }
    }
}
