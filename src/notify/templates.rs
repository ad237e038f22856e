//! The Vietnamese texts of every message. Pure: facts in, text out. Dates are dd/mm/yyyy.
//!
//! Messages to families name the child (it is their own case); messages to offices and
//! administrators carry only the case code and the facts of the deadline, never personal data.

use jiff::civil::Date;

/// A rendered message: email subject and body, and for a family the short SMS form (the
/// email keeps the full text; the SMS says the same facts in fewer characters, with whatever
/// may be long — a list of papers, a reason — last, see `notify::sms_text::fit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub subject: String,
    pub body: String,
    pub sms: Option<String>,
}

/// `dd/mm/yyyy`.
pub fn vn_date(d: Date) -> String {
    d.strftime("%d/%m/%Y").to_string()
}

/// `dd/mm/yyyy HH:MM` of a stored instant, Vietnam time.
pub fn vn_when(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(lienthong_contract::vn_tz())
                .strftime("%d/%m/%Y %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// What a family message is about.
pub struct Family<'a> {
    pub receipt_code: &'a str,
    pub child_name: &'a str,
    pub commune_name: &'a str,
}

const SIGNATURE: &str =
    "Tin nhắn tự động của hệ thống liên thông khai sinh – thường trú – BHYT; vui lòng không trả lời.";

fn family(subject: String, line: String, sms: String) -> Text {
    Text {
        subject,
        body: format!("{line}\n\n{SIGNATURE}"),
        sms: Some(sms),
    }
}

/// The case was received: code and appointment date.
pub fn received(f: &Family<'_>, appointment: Date) -> Text {
    family(
        format!("Đã tiếp nhận hồ sơ {}", f.receipt_code),
        format!(
            "{} đã tiếp nhận hồ sơ liên thông đăng ký khai sinh, đăng ký thường trú và cấp thẻ BHYT của cháu {}. \
             Mã hồ sơ: {}. Ngày hẹn trả kết quả: {}.",
            f.commune_name,
            f.child_name,
            f.receipt_code,
            vn_date(appointment)
        ),
        format!(
            "{} đã tiếp nhận hồ sơ {} (khai sinh, thường trú, BHYT) của cháu {}. Hẹn trả kết quả: {}.",
            f.commune_name,
            f.receipt_code,
            f.child_name,
            vn_date(appointment)
        ),
    )
}

/// An agency needs more from the family.
pub fn supplement(f: &Family<'_>, what: &str, window_end: Date) -> Text {
    family(
        format!("Hồ sơ {} cần bổ sung", f.receipt_code),
        format!(
            "Hồ sơ {} của cháu {} cần bổ sung: {}. Xin ông/bà mang giấy tờ bổ sung đến {} trước ngày {}.",
            f.receipt_code,
            f.child_name,
            what,
            f.commune_name,
            vn_date(window_end)
        ),
        format!(
            "Hồ sơ {} cần bổ sung trước ngày {} tại {}: {what}",
            f.receipt_code,
            vn_date(window_end),
            f.commune_name
        ),
    )
}

/// The supplement arrived: the new appointment date.
pub fn resumed(f: &Family<'_>, appointment: Date) -> Text {
    family(
        format!("Đã nhận hồ sơ bổ sung {}", f.receipt_code),
        format!(
            "{} đã nhận đủ giấy tờ bổ sung cho hồ sơ {}. Ngày hẹn trả kết quả mới: {}.",
            f.commune_name,
            f.receipt_code,
            vn_date(appointment)
        ),
        format!(
            "{} đã nhận giấy tờ bổ sung hồ sơ {}. Hẹn trả kết quả mới: {}.",
            f.commune_name,
            f.receipt_code,
            vn_date(appointment)
        ),
    )
}

/// The result message, adding that the card is usable electronically at once when it is.
pub fn with_electronic_card(mut t: Text) -> Text {
    let (line, signature) = t.body.split_once("\n\n").unwrap_or((&t.body, ""));
    t.body = format!("{line} {}\n\n{signature}", crate::family::status::E_CARD);
    if let Some(sms) = &mut t.sms {
        sms.push_str(" Thẻ BHYT điện tử dùng được ngay trên VssID, VNeID.");
    }
    t
}

/// Both agencies granted: the result is at the commune, the card on its way.
pub fn result_ready(f: &Family<'_>) -> Text {
    family(
        format!("Hồ sơ {} đã có kết quả", f.receipt_code),
        format!(
            "Hồ sơ {} đã có kết quả: cháu {} đã được đăng ký thường trú và cấp thẻ BHYT. \
             Mời ông/bà đến {} nhận kết quả; thẻ BHYT đang được chuyển đến.",
            f.receipt_code, f.child_name, f.commune_name
        ),
        format!(
            "Hồ sơ {} của cháu {} đã có kết quả. Mời nhận tại {}.",
            f.receipt_code, f.child_name, f.commune_name
        ),
    )
}

/// Both agencies granted, and the family asked for the results by post.
pub fn result_ready_by_post(f: &Family<'_>) -> Text {
    family(
        format!("Hồ sơ {} đã có kết quả", f.receipt_code),
        format!(
            "Hồ sơ {} đã có kết quả: cháu {} đã được đăng ký thường trú và cấp thẻ BHYT. \
             {} sẽ gửi kết quả qua bưu chính đến địa chỉ ông/bà đã đăng ký.",
            f.receipt_code, f.child_name, f.commune_name
        ),
        format!(
            "Hồ sơ {} của cháu {} đã có kết quả; sẽ gửi qua bưu chính đến địa chỉ đã đăng ký.",
            f.receipt_code, f.child_name
        ),
    )
}

/// The results left by post.
pub fn posted(f: &Family<'_>, tracking: &str) -> Text {
    family(
        format!("Kết quả hồ sơ {} đã gửi qua bưu chính", f.receipt_code),
        format!(
            "{} đã gửi kết quả hồ sơ {} của cháu {} qua bưu chính, số hiệu bưu gửi {tracking}. \
             Xin ông/bà giữ điện thoại để nhân viên bưu chính liên hệ.",
            f.commune_name, f.receipt_code, f.child_name
        ),
        format!(
            "Kết quả hồ sơ {} đã gửi qua bưu chính, số hiệu bưu gửi {tracking}.",
            f.receipt_code
        ),
    )
}

/// The post could not deliver: the results wait at the commune.
pub fn post_returned(f: &Family<'_>) -> Text {
    family(
        format!("Bưu chính chưa giao được kết quả hồ sơ {}", f.receipt_code),
        format!(
            "Bưu chính chưa giao được kết quả hồ sơ {} của cháu {}. Kết quả đã được chuyển lại {}; \
             mời ông/bà đến nhận, mang theo giấy tiếp nhận hồ sơ.",
            f.receipt_code, f.child_name, f.commune_name
        ),
        format!(
            "Bưu chính chưa giao được kết quả hồ sơ {}; mời nhận tại {}.",
            f.receipt_code, f.commune_name
        ),
    )
}

/// The physical card reached the commune, where the family collects it.
pub fn card_at_commune(f: &Family<'_>) -> Text {
    family(
        format!("Thẻ BHYT hồ sơ {} đã về xã", f.receipt_code),
        format!(
            "Thẻ BHYT của cháu {} (hồ sơ {}) đã về {}. Mời ông/bà đến nhận, mang theo giấy tiếp nhận hồ sơ.",
            f.child_name, f.receipt_code, f.commune_name
        ),
        format!(
            "Thẻ BHYT của cháu {} (hồ sơ {}) đã về {}; mời đến nhận.",
            f.child_name, f.receipt_code, f.commune_name
        ),
    )
}

/// The results have waited at the commune for a while: the one reminder.
pub fn collect_reminder(f: &Family<'_>, since: Date) -> Text {
    family(
        format!("Mời nhận kết quả hồ sơ {}", f.receipt_code),
        format!(
            "Kết quả hồ sơ {} của cháu {} đã có tại {} từ ngày {}. Mời ông/bà đến nhận, \
             mang theo giấy tiếp nhận hồ sơ.",
            f.receipt_code,
            f.child_name,
            f.commune_name,
            vn_date(since)
        ),
        format!(
            "Kết quả hồ sơ {} đã có tại {} từ ngày {}; mời đến nhận.",
            f.receipt_code,
            f.commune_name,
            vn_date(since)
        ),
    )
}

/// The family got its results: one request to rate the service, with its single-use link.
pub fn feedback_request(f: &Family<'_>, link: &str) -> Text {
    family(
        format!("Đánh giá việc giải quyết hồ sơ {}", f.receipt_code),
        format!(
            "Cảm ơn ông/bà đã nhận kết quả hồ sơ {} của cháu {}. Xin ông/bà dành một phút đánh giá \
             mức độ hài lòng với {} (từ 1 đến 5 sao) hoặc gửi phản ánh, kiến nghị tại: {link}",
            f.receipt_code, f.child_name, f.commune_name
        ),
        format!(
            "Cảm ơn ông/bà. Xin đánh giá việc giải quyết hồ sơ {}: {link}",
            f.receipt_code
        ),
    )
}

/// The police need to verify the dossier: the appointment moves (decree 63/2024).
pub fn verification(f: &Family<'_>, appointment: Date) -> Text {
    family(
        format!("Hồ sơ {} cần xác minh thêm", f.receipt_code),
        format!(
            "Cơ quan Công an cần xác minh thêm hồ sơ {} của cháu {} trước khi đăng ký thường trú, \
             theo quy định thời hạn được kéo dài. Ngày hẹn trả kết quả mới: {}.",
            f.receipt_code,
            f.child_name,
            vn_date(appointment)
        ),
        format!(
            "Công an cần xác minh thêm hồ sơ {}; ngày hẹn trả kết quả mới: {}.",
            f.receipt_code,
            vn_date(appointment)
        ),
    )
}

/// The commune's answer to the family's complaint.
pub fn complaint_answer(f: &Family<'_>, answer: &str) -> Text {
    family(
        format!("Trả lời phản ánh về hồ sơ {}", f.receipt_code),
        format!(
            "{} trả lời phản ánh, kiến nghị của ông/bà về hồ sơ {}: {answer}",
            f.commune_name, f.receipt_code
        ),
        format!(
            "{} trả lời phản ánh về hồ sơ {}: {answer}",
            f.commune_name, f.receipt_code
        ),
    )
}

/// An agency refused.
pub fn rejected(f: &Family<'_>, reason: &str) -> Text {
    family(
        format!("Hồ sơ {} không được giải quyết", f.receipt_code),
        format!(
            "Hồ sơ {} của cháu {} không được giải quyết. Lý do: {}. Văn bản trả lời đã có tại {}; \
             xin ông/bà đến nhận và được hướng dẫn.",
            f.receipt_code, f.child_name, reason, f.commune_name
        ),
        format!(
            "Hồ sơ {} không được giải quyết; văn bản trả lời có tại {}. Lý do: {reason}",
            f.receipt_code, f.commune_name
        ),
    )
}

/// The apology with the new date an officer confirmed.
pub fn late(f: &Family<'_>, original: Date, new_date: Date, reason: &str) -> Text {
    family(
        format!("Xin lỗi và hẹn lại ngày trả kết quả hồ sơ {}", f.receipt_code),
        format!(
            "{} chân thành xin lỗi ông/bà vì hồ sơ {} chưa có kết quả đúng hẹn ngày {}. Lý do: {}. \
             Ngày hẹn trả kết quả mới: {}.",
            f.commune_name,
            f.receipt_code,
            vn_date(original),
            reason,
            vn_date(new_date)
        ),
        format!(
            "{} xin lỗi: hồ sơ {} chưa có kết quả đúng hẹn {}; hẹn mới {}. Lý do: {reason}",
            f.commune_name,
            f.receipt_code,
            vn_date(original),
            vn_date(new_date)
        ),
    )
}

/// A clock went at risk or overdue: to the office holding it and the administrators.
pub fn warning(receipt_code: &str, holder: &str, what: &str, overdue: bool, due: Date) -> Text {
    let (tag, state) = if overdue {
        ("QUÁ HẠN", "đã quá hạn")
    } else {
        ("SẮP ĐẾN HẠN", "sắp đến hạn")
    };
    Text {
        subject: format!("[{tag}] Hồ sơ {receipt_code} — {what}"),
        body: format!(
            "Hồ sơ {receipt_code}: {what} {state}. Hạn xử lý: 17:00 ngày {}.\nĐơn vị đang giữ hồ sơ: {holder}.\n\
             Đề nghị xử lý ngay hoặc báo cáo lý do cho quản trị hệ thống liên thông.",
            vn_date(due)
        ),
        sms: None,
    }
}

/// An apology letter waits for an officer to confirm the new date.
pub fn apology_to_confirm(receipt_code: &str, reason: &str, proposed: Date) -> Text {
    Text {
        subject: format!("[QUÁ HẠN] Cần xác nhận phiếu xin lỗi hồ sơ {receipt_code}"),
        body: format!(
            "Hồ sơ {receipt_code} đã quá hạn trả kết quả. Lý do: {reason}.\n\
             Ngày hẹn mới đề xuất: {}. Đề nghị cán bộ một cửa xác nhận hoặc sửa ngày hẹn; \
             gia đình chỉ được thông báo sau khi ngày hẹn mới được xác nhận.",
            vn_date(proposed)
        ),
        sms: None,
    }
}

/// The family did not bring the supplement in time.
pub fn window_expired(receipt_code: &str, what: &str) -> Text {
    Text {
        subject: format!("Hết thời hạn bổ sung hồ sơ {receipt_code}"),
        body: format!(
            "Hồ sơ {receipt_code} ({what}) đã hết thời hạn bổ sung mà gia đình chưa nộp giấy tờ bổ sung. \
             Cơ quan đang giữ hồ sơ có thể từ chối giải quyết."
        ),
        sms: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn fam() -> Family<'static> {
        Family {
            receipt_code: "000.00.22609.2026.000123",
            child_name: "Nguyễn Thị An",
            commune_name: "UBND xã Khánh Vĩnh",
        }
    }

    #[test]
    fn dates_are_day_month_year_and_text_is_nfc() {
        let d = Date::new(2026, 12, 2).unwrap();
        let t = received(&fam(), d);
        assert!(t.body.contains("Ngày hẹn trả kết quả: 02/12/2026."), "{}", t.body);
        for text in [
            t,
            late(&fam(), d, Date::new(2026, 12, 7).unwrap(), "chưa có kết quả"),
            warning("X", "BHXH", "cấp thẻ BHYT", true, d),
        ] {
            assert_eq!(text.body, text.body.nfc().collect::<String>());
            assert_eq!(text.subject, text.subject.nfc().collect::<String>());
        }
    }

    #[test]
    fn every_family_sms_fits_two_unaccented_segments_without_a_cut() {
        use crate::notify::sms_text::{cost, unaccent, Encoding};
        let long = Family {
            receipt_code: "000.00.22.H26-261120-0001",
            child_name: "Nguyễn Hoàng Phương Thảo Nguyên",
            commune_name: "UBND Phường Nguyễn Thái Bình",
        };
        let d = Date::new(2026, 12, 2).unwrap();
        let reason = "Thiếu tờ khai có chữ ký của cha mẹ";
        for t in [
            received(&long, d),
            supplement(&long, reason, d),
            resumed(&long, d),
            with_electronic_card(result_ready(&long)),
            with_electronic_card(result_ready_by_post(&long)),
            posted(&long, "EB123456789VN"),
            post_returned(&long),
            card_at_commune(&long),
            collect_reminder(&long, d),
            verification(&long, d),
            complaint_answer(&long, "Xã đã bố trí thêm cán bộ tiếp nhận"),
            feedback_request(
                &long,
                "https://lienthong.example.gov.vn/dg/0123456789abcdef0123456789abcdef",
            ),
            rejected(&long, reason),
            late(&long, d, d, reason),
        ] {
            let sms = unaccent(t.sms.as_deref().expect("a family text has an SMS form"));
            let c = cost(&sms);
            assert_eq!(c.encoding, Encoding::Gsm7, "{sms}");
            assert!(c.segments <= 2, "{} segments: {sms}", c.segments);
            assert!(sms.len() < t.body.len(), "the SMS is shorter than the email");
        }
    }

    #[test]
    fn a_long_reason_is_cut_after_the_dates() {
        let d = Date::new(2026, 12, 2).unwrap();
        let reason = "Thiếu giấy tờ ".repeat(40);
        let sms = crate::notify::compose::family_sms(
            late(&fam(), d, Date::new(2026, 12, 9).unwrap(), &reason)
                .sms
                .as_deref()
                .unwrap(),
            true,
        );
        assert!(
            sms.contains("02/12/2026") && sms.contains("09/12/2026") && sms.ends_with("..."),
            "{sms}"
        );
        assert!(crate::notify::sms_text::cost(&sms).segments <= 2);
    }

    #[test]
    fn office_warnings_carry_no_personal_data() {
        let t = warning(
            "000.00.22609.2026.000123",
            "BHXH huyện",
            "cấp thẻ BHYT",
            false,
            Date::new(2026, 12, 1).unwrap(),
        );
        assert!(!t.body.contains("Nguyễn"));
        assert!(t.subject.starts_with("[SẮP ĐẾN HẠN]"));
    }
}
