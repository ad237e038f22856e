//! The Vietnamese words people read for the gateway's stable names, and date formats.

use lienthong_contract::LegKind;

use crate::deadline::ClockState;
use crate::domain::state::{CaseStatus, CheckOutcome, LegState};

/// A case status.
pub fn status(s: CaseStatus) -> &'static str {
    match s {
        CaseStatus::InProgress => "Đang giải quyết",
        CaseStatus::Completed => "Đã có kết quả",
        CaseStatus::Rejected => "Không được giải quyết",
        CaseStatus::NeedsSupplement => "Chờ bổ sung",
        CaseStatus::Cancelled => "Đã hủy",
        CaseStatus::Withdrawn => "Gia đình rút hồ sơ",
    }
}

/// A leg state.
pub fn leg_state(s: LegState) -> &'static str {
    match s {
        LegState::Waiting => "Chờ kết quả hai cơ quan",
        LegState::Queued => "Chờ gửi",
        LegState::Delivering => "Đang gửi",
        LegState::Delivered => "Đã chuyển đủ tệp, chờ giải quyết",
        LegState::Completed => "Đã giải quyết",
        LegState::Rejected => "Từ chối",
        LegState::NeedsSupplement => "Yêu cầu bổ sung",
        LegState::Dead => "Gửi thất bại, cần xử lý",
    }
}

/// How the family handed the dossier in.
pub fn channel(c: lienthong_contract::bundle::Channel) -> &'static str {
    use lienthong_contract::bundle::Channel;
    match c {
        Channel::InPerson => "Trực tiếp tại bộ phận một cửa",
        Channel::Online => "Trực tuyến (Cổng dịch vụ công)",
        Channel::ByPost => "Qua bưu chính",
    }
}

/// How the family receives the results: at the commune, or by post to whom and where.
pub fn delivery(d: &lienthong_contract::bundle::ResultDelivery, commune: impl Fn(&str) -> String) -> String {
    use lienthong_contract::bundle::ResultDelivery;
    match d {
        ResultDelivery::AtCommune => "Tại bộ phận một cửa UBND xã".into(),
        ResultDelivery::ByPost(a) => {
            let name = commune(&a.commune_code);
            let place = if name == a.commune_code.as_str() {
                format!("xã mã {name}")
            } else {
                format!("{name} ({})", a.commune_code)
            };
            format!(
                "Qua bưu chính: {}, {}, {place}, mã tỉnh {}; điện thoại {}",
                a.recipient, a.street, a.province_code, a.phone
            )
        }
    }
}

/// A leg by kind.
pub fn leg_name(k: LegKind) -> &'static str {
    match k {
        LegKind::Residence => "Đăng ký thường trú (Công an)",
        LegKind::Insurance => "Cấp thẻ BHYT (Bảo hiểm xã hội)",
        LegKind::Return => "Trả kết quả về UBND xã",
    }
}

/// A stored name (of an event, a filter) read as a case status or a leg state.
pub fn named_state(s: &str) -> &'static str {
    match (CaseStatus::parse(s), LegState::parse(s)) {
        (Some(c), _) => status(c),
        (None, Some(l)) => leg_state(l),
        (None, None) => "Không rõ",
    }
}

/// Who did something, as the timeline shows it: a system, a person, or the gateway checking
/// back with an agency's system (docs/reconciliation.md).
pub fn actor(a: &str) -> String {
    match a.strip_prefix("check-back:") {
        Some(system) => format!("cổng tra soát với hệ thống {system}"),
        None => a.to_string(),
    }
}

/// What a check-back found.
pub fn check_outcome(outcome: Option<CheckOutcome>) -> &'static str {
    match outcome {
        Some(CheckOutcome::Pending) => "Cơ quan chưa có quyết định",
        Some(CheckOutcome::Recovered) => "Đã lấy được quyết định qua tra soát",
        Some(CheckOutcome::Unreachable) => "Không liên lạc được hệ thống cơ quan",
        Some(CheckOutcome::Refused) => "Kết quả tra soát không áp dụng được",
        None => "Chưa tra soát",
    }
}

/// A clock state, and the CSS class that colours it.
pub fn clock(c: Option<ClockState>) -> (&'static str, &'static str) {
    match c {
        Some(ClockState::OnTrack) => ("Trong hạn", "on_track"),
        Some(ClockState::AtRisk) => ("Sắp đến hạn", "at_risk"),
        Some(ClockState::Overdue) => ("Quá hạn", "overdue"),
        None => ("—", ""),
    }
}

/// `dd/mm/yyyy HH:MM`, Vietnam time.
pub fn when(ms: i64) -> String {
    crate::notify::templates::vn_when(ms)
}

/// `dd/mm/yyyy`, or a dash.
pub fn day(d: Option<jiff::civil::Date>) -> String {
    d.map(crate::notify::templates::vn_date).unwrap_or_else(|| "—".into())
}

/// A day typed as `dd/mm/yyyy` (also `d/m/yyyy`, or ISO `yyyy-mm-dd`) as an ISO day; `None`
/// when it is neither. Pages show and take days the Vietnamese way whatever the browser's
/// locale, so their date fields are text, not the browser's date picker.
pub fn parse_day(typed: &str) -> Option<jiff::civil::Date> {
    let t = typed.trim();
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        return Some(d);
    }
    let mut parts = t.split('/');
    let (d, m, y) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    jiff::civil::Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn days_are_read_the_vietnamese_way() {
        let d = jiff::civil::Date::new(2026, 11, 5).unwrap();
        for typed in ["05/11/2026", "5/11/2026", " 05/11/2026 ", "2026-11-05"] {
            assert_eq!(parse_day(typed), Some(d), "{typed}");
        }
        for typed in ["11/05/26", "31/02/2026", "05-11-2026", "", "05/11/2026/1"] {
            assert_eq!(parse_day(typed), None, "{typed}");
        }
    }

    proptest! {
        #[test]
        fn a_shown_day_reads_back(days in 0i32..40_000) {
            let d = jiff::civil::Date::new(1990, 1, 1).unwrap().checked_add(jiff::Span::new().days(days)).unwrap();
            prop_assert_eq!(parse_day(&day(Some(d))), Some(d));
        }
    }
}
