//! The Vietnamese words people read for the gateway's stable names, and date formats.

use crate::deadline::ClockState;

/// A case status.
pub fn status(s: &str) -> &'static str {
    match s {
        "in_progress" => "Đang giải quyết",
        "completed" => "Đã có kết quả",
        "rejected" => "Không được giải quyết",
        "needs_supplement" => "Chờ bổ sung",
        "cancelled" => "Đã hủy",
        _ => "Không rõ",
    }
}

/// A leg state.
pub fn leg_state(s: &str) -> &'static str {
    match s {
        "waiting" => "Chờ kết quả hai cơ quan",
        "queued" => "Chờ gửi",
        "delivering" => "Đang gửi",
        "delivered" => "Đã chuyển đủ tệp, chờ giải quyết",
        "completed" => "Đã giải quyết",
        "rejected" => "Từ chối",
        "needs_supplement" => "Yêu cầu bổ sung",
        "dead" => "Gửi thất bại, cần xử lý",
        _ => "Không rõ",
    }
}

/// A leg by name.
pub fn leg_name(s: &str) -> &'static str {
    match s {
        "residence" => "Đăng ký thường trú (Công an)",
        "insurance" => "Cấp thẻ BHYT (Bảo hiểm xã hội)",
        _ => "Trả kết quả về UBND xã",
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
pub fn check_outcome(s: &str) -> &'static str {
    match s {
        "pending" => "Cơ quan chưa có quyết định",
        "recovered" => "Đã lấy được quyết định qua tra soát",
        "unreachable" => "Không liên lạc được hệ thống cơ quan",
        "refused" => "Kết quả tra soát không áp dụng được",
        _ => "Chưa tra soát",
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
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(lienthong_contract::vn_tz())
                .strftime("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// `dd/mm/yyyy`, or a dash.
pub fn day(d: Option<jiff::civil::Date>) -> String {
    d.map(crate::notify::templates::vn_date).unwrap_or_else(|| "—".into())
}
