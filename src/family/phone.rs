//! Phone numbers as families type them: `0912 345 678`, `+84912345678`, `84-912-345-678`.
//! Only digits count, and a Vietnamese number is compared in its national form (leading `0`).

/// The national form of a phone number (`0` + subscriber digits), or `None` when it has too
/// few digits to be one.
pub fn national(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let national = match digits.strip_prefix("84") {
        Some(rest) if digits.len() >= 11 => format!("0{rest}"),
        _ => digits,
    };
    (national.len() >= 9).then_some(national)
}

/// Whether `typed` is exactly the last four digits of `registered`. The comparison touches
/// every digit whatever matches, so its time says nothing about how many matched.
pub fn last4_matches(registered: &str, typed: &str) -> bool {
    let Some(number) = national(registered) else {
        return false;
    };
    let tail = &number.as_bytes()[number.len() - 4..];
    let typed = typed.as_bytes();
    if typed.len() != 4 {
        return false;
    }
    tail.iter().zip(typed).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// Whether two ways of writing a number are the same phone.
pub fn same(a: &str, b: &str) -> bool {
    matches!((national(a), national(b)), (Some(x), Some(y)) if x == y)
}

/// Whether the four characters are four digits (what the look-up asks for).
pub fn is_last4(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spellings_of_one_number_are_the_same_phone() {
        for s in ["0912 345 678", "+84912345678", "84-912-345-678", "(+84) 912.345.678"] {
            assert_eq!(national(s).as_deref(), Some("0912345678"), "{s}");
            assert!(same(s, "0912345678"));
        }
        assert!(!same("0912345678", "0912345679"));
        assert!(national("12345").is_none());
    }

    #[test]
    fn only_the_exact_last_four_match() {
        assert!(last4_matches("+84 912 345 678", "5678"));
        assert!(!last4_matches("0912345678", "5679"));
        assert!(!last4_matches("0912345678", "678"));
        assert!(!last4_matches("0912345678", "45678"));
        assert!(!last4_matches("", "5678"));
    }

    proptest! {
        #[test]
        fn a_number_matches_its_own_tail_and_no_other(sub in "[1-9][0-9]{8}", guess in "[0-9]{4}") {
            let phone = format!("0{sub}");
            let tail = &phone[phone.len() - 4..];
            let international = format!("+84{sub}");
            prop_assert!(last4_matches(&international, tail));
            prop_assert_eq!(last4_matches(&phone, &guess), guess == tail);
        }
    }
}
