//! The gateway's own identifiers: a case and a leg are named by a UUID (version 7, so ids sort
//! by creation time), minted here at intake and checked wherever one comes back in (a stored row,
//! a path, a receiver's envelope).

fn is_uuid(s: &str) -> bool {
    // The hyphenated lowercase form `uuid` writes; other spellings of the same UUID are not ours.
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok_and(|u| u.hyphenated().to_string() == s)
}

lienthong_contract::text_value!(
    /// One case, as the gateway names it in its API, its store and its envelopes.
    CaseId,
    "case_id",
    "Mã hồ sơ liên thông không hợp lệ",
    is_uuid
);

lienthong_contract::text_value!(
    /// One delivery leg of a case (residence, insurance or the return to the commune).
    LegId,
    "leg_id",
    "Mã chiều liên thông không hợp lệ",
    is_uuid
);

impl CaseId {
    /// A new id for a case received now.
    pub fn mint() -> Self {
        Self(uuid::Uuid::now_v7().hyphenated().to_string())
    }
}

impl LegId {
    /// A new id for a leg created now.
    pub fn mint() -> Self {
        Self(uuid::Uuid::now_v7().hyphenated().to_string())
    }
}

/// Stores an id as its text column and reads it back checked: a stored id that is not one of
/// ours fails the row's read instead of travelling on.
macro_rules! sql_text {
    ($name:ident) => {
        impl sqlx::Type<sqlx::Any> for $name {
            fn type_info() -> sqlx::any::AnyTypeInfo {
                <String as sqlx::Type<sqlx::Any>>::type_info()
            }
        }

        impl<'q> sqlx::Encode<'q, sqlx::Any> for $name {
            fn encode_by_ref(
                &self,
                buf: &mut <sqlx::Any as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, sqlx::Any>>::encode_by_ref(&self.0, buf)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Any> for $name {
            fn decode(value: sqlx::any::AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <String as sqlx::Decode<'r, sqlx::Any>>::decode(value)?;
                Ok(Self::parse(&text)?)
            }
        }
    };
}

sql_text!(CaseId);
sql_text!(LegId);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn minted_ids_parse_back_and_other_texts_do_not() {
        let id = CaseId::mint();
        assert_eq!(CaseId::parse(id.as_str()), Ok(id.clone()));
        assert!(CaseId::parse("no-such-case").is_err());
        assert!(CaseId::parse(&id.to_ascii_uppercase()).is_err());
        assert!(LegId::parse(LegId::mint().as_str()).is_ok());
    }

    proptest! {
        #[test]
        fn any_uuid_in_its_written_form_is_an_id(bits in any::<u128>()) {
            let text = uuid::Uuid::from_u128(bits).hyphenated().to_string();
            prop_assert!(CaseId::parse(&text).is_ok());
            prop_assert!(CaseId::parse(&text[1..]).is_err());
        }
    }
}
