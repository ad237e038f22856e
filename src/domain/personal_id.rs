//! The 12-digit personal identification number: `PPP G YY NNNNNN`.
//!
//! `PPP` a province code from the configured set; `G` century and sex (1900s: 0 male, 1 female;
//! 2000s: 2/3; 2100s: 4/5; ...); `YY` the last two digits of the birth year. There is no check
//! digit, so these are all the rules there are.

use lienthong_contract::bundle::Sex;

/// Why a personal id is refused, as Vietnamese messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdProblem {
    NotTwelveDigits,
    UnknownProvince,
    CenturySexMismatch,
    BirthYearMismatch,
}

impl IdProblem {
    /// What the officer reads.
    pub fn message(self) -> &'static str {
        match self {
            IdProblem::NotTwelveDigits => "Số định danh cá nhân phải gồm đúng 12 chữ số",
            IdProblem::UnknownProvince => "Ba chữ số đầu của số định danh không phải mã tỉnh hợp lệ",
            IdProblem::CenturySexMismatch => "Chữ số thứ 4 (thế kỷ và giới tính) không khớp với giới tính và năm sinh",
            IdProblem::BirthYearMismatch => "Chữ số thứ 5-6 không khớp với năm sinh",
        }
    }
}

/// The century/sex digit for a birth year and sex, for years 1900-2399.
pub fn century_sex_digit(year: i16, sex: Sex) -> Option<u8> {
    if !(1900..2400).contains(&year) {
        return None;
    }
    let century = (year / 100 - 19) as u8;
    Some(century * 2 + u8::from(sex == Sex::Female))
}

/// True for exactly 12 ASCII digits (the only rule for a parent's id).
pub fn is_twelve_digits(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a child's id against the province set, sex and birth year; lists every problem.
pub fn check(
    id: &str,
    sex: Option<Sex>,
    birth_year: Option<i16>,
    is_province: impl Fn(&str) -> bool,
) -> Vec<IdProblem> {
    if !is_twelve_digits(id) {
        return vec![IdProblem::NotTwelveDigits];
    }
    let mut problems = Vec::new();
    if !is_province(&id[0..3]) {
        problems.push(IdProblem::UnknownProvince);
    }
    let g = id.as_bytes()[3] - b'0';
    if let (Some(sex), Some(year)) = (sex, birth_year) {
        if century_sex_digit(year, sex) != Some(g) {
            problems.push(IdProblem::CenturySexMismatch);
        }
    }
    if let Some(year) = birth_year {
        if id[4..6] != format!("{:02}", year.rem_euclid(100)) {
            problems.push(IdProblem::BirthYearMismatch);
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn provinces(p: &str) -> bool {
        ["001", "056", "079"].contains(&p)
    }

    #[test]
    fn a_girl_born_in_2026_in_khanh_hoa() {
        assert!(check("056326001234", Some(Sex::Female), Some(2026), provinces).is_empty());
        assert_eq!(
            check("056226001234", Some(Sex::Female), Some(2026), provinces),
            vec![IdProblem::CenturySexMismatch]
        );
        assert_eq!(
            check("003326001234", Some(Sex::Female), Some(2026), provinces),
            vec![IdProblem::UnknownProvince]
        );
        assert_eq!(
            check("05632600123", None, None, provinces),
            vec![IdProblem::NotTwelveDigits]
        );
    }

    fn sex() -> impl Strategy<Value = Sex> {
        prop_oneof![Just(Sex::Male), Just(Sex::Female)]
    }

    proptest! {
        #[test]
        fn ids_built_by_the_rules_are_accepted(
            prov in prop::sample::select(vec!["001", "056", "079"]),
            year in 1900i16..2400, sex in sex(), rest in 0u32..1_000_000,
        ) {
            let g = century_sex_digit(year, sex).unwrap();
            let id = format!("{prov}{g}{:02}{rest:06}", year % 100);
            prop_assert!(check(&id, Some(sex), Some(year), provinces).is_empty());
        }

        #[test]
        fn the_other_sex_is_always_refused(year in 1900i16..2400, sex in sex(), rest in 0u32..1_000_000) {
            let g = century_sex_digit(year, sex).unwrap();
            let id = format!("056{g}{:02}{rest:06}", year % 100);
            let other = if sex == Sex::Male { Sex::Female } else { Sex::Male };
            prop_assert_eq!(check(&id, Some(other), Some(year), provinces), vec![IdProblem::CenturySexMismatch]);
        }

        #[test]
        fn a_wrong_year_is_always_refused(year in 2000i16..2100, other in 2000i16..2100, rest in 0u32..1_000_000) {
            prop_assume!(year != other);
            let id = format!("0562{:02}{rest:06}", year % 100);
            prop_assert!(check(&id, Some(Sex::Male), Some(other), provinces).contains(&IdProblem::BirthYearMismatch));
        }

        #[test]
        fn anything_not_twelve_digits_is_refused(s in "[0-9a-z]{0,14}") {
            prop_assume!(!is_twelve_digits(&s));
            prop_assert_eq!(check(&s, None, None, provinces), vec![IdProblem::NotTwelveDigits]);
        }
    }
}
