//! Identifiers and codes as types: each is checked once where it enters (a manifest, a config
//! file, a path, a stored row) and carried checked from then on, so no module downstream has to
//! wonder whether a `String` holds a valid commune code or a digest.
//!
//! Each type reads and writes JSON as its plain string (`try_from`/`into`), so a stored bundle
//! with a value that does not fit fails to load instead of travelling on; stores read them
//! through [`std::str::FromStr`]. The shapes are written down in docs/case-bundle.md.

/// Why a text is not a value of the named kind; the message is Vietnamese because officers read it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValueError {
    /// The kind of value, for logs and the field a problem belongs to.
    pub kind: &'static str,
    /// What the value must look like.
    pub message: &'static str,
}

/// Declares a checked text value: the type, its parser from a shape test, and its conversions
/// (serde through `String`, `FromStr`, `Deref<Target = str>`, `Display`). Used for the contract's
/// values here and for the gateway's own identifiers.
#[macro_export]
macro_rules! text_value {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $message:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `text` against the kind's shape.
            pub fn parse(text: &str) -> Result<Self, $crate::values::ValueError> {
                let check: fn(&str) -> bool = $check;
                if check(text) {
                    Ok(Self(text.to_owned()))
                } else {
                    Err($crate::values::ValueError { kind: $kind, message: $message })
                }
            }

            /// The checked text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::values::ValueError;
            fn from_str(s: &str) -> Result<Self, $crate::values::ValueError> {
                Self::parse(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::values::ValueError;
            fn try_from(s: String) -> Result<Self, $crate::values::ValueError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

crate::text_value!(
    /// The one-stop system's code for a dossier, printed on the family's receipt.
    ReceiptCode,
    "receipt_code",
    "Mã hồ sơ gồm 1-64 ký tự: A-Z, a-z, 0-9, '.', '-', '_', '/'",
    |s| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_/".contains(&b))
);

crate::text_value!(
    /// A commune's five-digit code in the national list of administrative units.
    CommuneCode,
    "commune_code",
    "Mã xã gồm đúng 5 chữ số",
    |s| digits(s, 5)
);

crate::text_value!(
    /// A receiving office's code in the routes (a commune police office, a social-insurance
    /// office): what its system's token is scoped to and what every leg names.
    OfficeCode,
    "office_code",
    "Mã cơ quan gồm 1-32 ký tự: A-Z, a-z, 0-9, '.', '-', '_'",
    |s| !s.is_empty() && s.len() <= 32 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_".contains(&b))
);

crate::text_value!(
    /// A twelve-digit personal identification number. The shape only: which province, century
    /// and sex its digits name is checked against the case by the gateway's bundle rules.
    PersonalId,
    "personal_id",
    "Số định danh cá nhân gồm đúng 12 chữ số",
    |s| digits(s, 12)
);

crate::text_value!(
    /// A SHA-256 digest as 64 lowercase hexadecimal digits: how every file is named in receipts.
    Sha256,
    "sha256",
    "SHA-256 gồm đúng 64 ký tự thập lục phân chữ thường",
    |s| s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
);

impl Sha256 {
    /// The digest of bytes hashed here, which is well formed by construction.
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(hex::encode(digest))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shapes_are_checked_and_json_round_trips() {
        assert!(CommuneCode::parse("26734").is_ok());
        for bad in ["2673", "267345", "2673a", ""] {
            assert!(CommuneCode::parse(bad).is_err(), "{bad}");
        }
        assert!(PersonalId::parse("026226000123").is_ok());
        assert!(PersonalId::parse("02622600012").is_err());
        assert!(ReceiptCode::parse("000.00.22.H26-261120-0001").is_ok());
        assert!(ReceiptCode::parse("a b").is_err());
        assert!(ReceiptCode::parse(&"x".repeat(65)).is_err());
        assert!(Sha256::parse(&"A".repeat(64)).is_err());
        let c: CommuneCode = serde_json::from_str("\"26734\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"26734\"");
        assert!(serde_json::from_str::<CommuneCode>("\"2673\"").is_err());
    }

    proptest! {
        #[test]
        fn a_digest_of_any_bytes_parses_back(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            use sha2::Digest;
            let d = Sha256::from_digest(sha2::Sha256::digest(&bytes).into());
            prop_assert_eq!(Sha256::parse(d.as_str()), Ok(d.clone()));
        }

        #[test]
        fn parse_accepts_exactly_five_digits(s in "[0-9a-z]{0,7}") {
            let ok = s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
            prop_assert_eq!(CommuneCode::parse(&s).is_ok(), ok);
        }
    }
}
