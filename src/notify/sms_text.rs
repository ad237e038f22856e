//! What an SMS costs: its encoding and number of segments, and the unaccented form brandname
//! SMS commonly uses (docs/family.md). Vietnamese with diacritics is not in the GSM 03.38
//! alphabet, so it goes out as UCS-2: 70 characters in one segment, 67 per segment beyond;
//! GSM-7 text holds 160, and 153 per segment beyond.

use unicode_normalization::UnicodeNormalization;

/// How an SMS is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    /// The metrics label.
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Gsm7 => "gsm7",
            Encoding::Ucs2 => "ucs2",
        }
    }
}

/// An SMS's encoding and the segments it is billed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cost {
    pub encoding: Encoding,
    pub segments: usize,
}

/// The GSM 03.38 basic alphabet (one septet each).
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (an escape plus one septet each).
const EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// Septets `c` takes in GSM-7, or `None` when it is not in the alphabet.
fn septets(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// What `text` costs to send.
pub fn cost(text: &str) -> Cost {
    let gsm: Option<usize> = text.chars().map(septets).sum();
    match gsm {
        Some(n) => Cost {
            encoding: Encoding::Gsm7,
            segments: if n <= 160 { 1 } else { n.div_ceil(153) },
        },
        None => {
            let units = text.encode_utf16().count();
            Cost {
                encoding: Encoding::Ucs2,
                segments: if units <= 70 { 1 } else { units.div_ceil(67) },
            }
        }
    }
}

/// `text` without diacritics, in the GSM-7 alphabet: `Đã tiếp nhận` → `Da tiep nhan`. Dashes
/// and typographic quotes become their ASCII forms; anything else outside the alphabet becomes `?`.
pub fn unaccent(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            '–' | '—' | '‑' => '-',
            '‘' | '’' => '\'',
            '“' | '”' => '"',
            '…' => '.',
            c if septets(c).is_some() => c,
            c if c.is_whitespace() => ' ',
            _ => '?',
        })
        .collect()
}

/// `text` (GSM-7) cut at a word so it fits in `segments`, marked with `...` where it was cut.
/// Family messages put what may be long (a list of papers, a reason) last, so a cut keeps the
/// code, the place and the dates.
pub fn fit(text: &str, segments: usize) -> String {
    let budget = if segments <= 1 { 160 } else { 153 * segments };
    let used: Option<usize> = text.chars().map(septets).sum();
    if used.is_some_and(|n| n <= budget) {
        return text.to_string();
    }
    let mut out = String::new();
    let mut n = 0;
    for c in text.chars() {
        let s = septets(c).unwrap_or(1);
        if n + s > budget - 3 {
            break;
        }
        n += s;
        out.push(c);
    }
    if let Some(space) = out.rfind(' ').filter(|&i| i > out.len() / 2) {
        out.truncate(space);
    }
    format!("{}...", out.trim_end_matches([' ', ',', ';', ':', '.']))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vietnamese_is_ucs2_and_unaccented_is_gsm7() {
        let vn = "Đã tiếp nhận hồ sơ";
        assert_eq!(cost(vn).encoding, Encoding::Ucs2);
        assert_eq!(unaccent(vn), "Da tiep nhan ho so");
        assert_eq!(cost(&unaccent(vn)).encoding, Encoding::Gsm7);
        assert_eq!(unaccent("Ủy ban – “Phường Ba Đình”"), "Uy ban - \"Phuong Ba Dinh\"");
    }

    #[test]
    fn segment_boundaries() {
        assert_eq!(cost(&"a".repeat(160)).segments, 1);
        assert_eq!(cost(&"a".repeat(161)).segments, 2);
        assert_eq!(cost(&"a".repeat(306)).segments, 2);
        assert_eq!(cost(&"a".repeat(307)).segments, 3);
        assert_eq!(cost(&"ạ".repeat(70)).segments, 1);
        assert_eq!(cost(&"ạ".repeat(71)).segments, 2);
        assert_eq!(
            cost(&"€".repeat(80)).segments,
            1,
            "extension characters take two septets"
        );
        assert_eq!(cost(&"€".repeat(81)).segments, 2);
    }

    proptest! {
        #[test]
        fn unaccented_text_is_gsm7_and_fits_where_asked(text in "\\PC{0,400}", segments in 1usize..4) {
            let plain = unaccent(&text);
            prop_assert_eq!(cost(&plain).encoding, Encoding::Gsm7);
            let fitted = fit(&plain, segments);
            prop_assert!(cost(&fitted).segments <= segments, "{fitted:?}");
            if fitted != plain {
                let kept = fitted.trim_end_matches("...");
                prop_assert!(plain.starts_with(kept));
            }
        }

        #[test]
        fn unaccenting_keeps_the_letters(word in "[a-zA-Z0-9 ]{0,50}") {
            prop_assert_eq!(unaccent(&word), word);
        }
    }
}
