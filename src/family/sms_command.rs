//! What a family's SMS to the gateway's number asks (docs/family.md): `TRACUU <code>`, also
//! written `TRA CUU`, `Tra cứu`, `tracuu`, with any spacing. Anything else gets the help text.

use unicode_normalization::UnicodeNormalization;

/// A parsed inbound SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Look up the case with this receipt code (as typed, without diacritics).
    Lookup(String),
    /// Not a command the gateway knows.
    Unknown,
}

/// Reads one inbound message.
pub fn parse(text: &str) -> Command {
    let plain: String = text
        .nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            c => c,
        })
        .collect();
    let words: Vec<&str> = plain.split_whitespace().collect();
    let keyword = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    let code = match words.as_slice() {
        [first, code, ..] if keyword(first, "TRACUU") => Some(*code),
        [first, second, code, ..] if keyword(first, "TRA") && keyword(second, "CUU") => Some(*code),
        _ => None,
    };
    match code {
        Some(code) if code.len() <= 64 => Command::Lookup(code.to_string()),
        _ => Command::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_ways_families_write_it() {
        let code = "000.00.22.H26-261120-0001";
        for text in [
            format!("TRACUU {code}"),
            format!("tracuu {code}"),
            format!("TRA CUU {code}"),
            format!("Tra cứu  {code}"),
            format!("  tra   cuu\t{code} cam on"),
            format!("TRACỨU {code}").replace("TRACỨU", "TRACUU"),
        ] {
            assert_eq!(parse(&text), Command::Lookup(code.into()), "{text}");
        }
        assert_eq!(parse("Trả cứu"), Command::Unknown);
        assert_eq!(parse("xin chào"), Command::Unknown);
        assert_eq!(parse("TRACUU"), Command::Unknown);
    }

    proptest! {
        #[test]
        fn any_code_after_the_keyword_is_read_back(code in "[A-Za-z0-9.-]{1,40}", spaces in " {1,3}") {
            prop_assert_eq!(parse(&format!("Tra cứu{spaces}{code}")), Command::Lookup(code.clone()));
            prop_assert_eq!(parse(&format!("TRACUU{spaces}{code}")), Command::Lookup(code));
        }
    }
}
