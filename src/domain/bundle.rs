//! Validation of a pushed case bundle (docs/case-bundle.md): every problem, with its JSON path.

use std::collections::HashSet;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use lienthong_contract::bundle::{Applicant, BirthRegistration, Child, Insurance, Parent, Residence, Sex};
use lienthong_contract::{AttachmentMeta, CaseBundle};
use serde_json::{Map, Value};

use super::personal_id;
use super::problems::FieldProblem;
use super::text::{is_person_name, nfc_json, tidy};

/// The only procedure this gateway runs.
pub const PROCEDURE: &str = "birth-residence-insurance";
/// Attachment kinds a case may carry.
pub const KINDS: [&str; 5] = [
    "birth-registration-extract",
    "birth-certificate-medical",
    "residence-declaration",
    "insurance-declaration",
    "other",
];
/// Attachment kinds every case must carry.
pub const REQUIRED_KINDS: [&str; 2] = ["birth-registration-extract", "residence-declaration"];
/// Media types accepted for attachments.
pub const MEDIA_TYPES: [&str; 3] = ["application/pdf", "image/jpeg", "image/png"];
/// Clock skew tolerated between the commune's clock and ours.
pub const SKEW_MINUTES: i64 = 5;

/// What validation needs to know about the deployment.
pub struct Rules<'a> {
    pub now: Timestamp,
    pub max_attachment_bytes: u64,
    pub is_province: &'a dyn Fn(&str) -> bool,
    pub is_routed_commune: &'a dyn Fn(&str) -> bool,
}

const MISSING: &str = "Thiếu trường bắt buộc";
const NOT_TEXT: &str = "Phải là chuỗi ký tự";
const NOT_OBJECT: &str = "Phải là một đối tượng JSON";
const BAD_DATE: &str = "Ngày phải theo định dạng YYYY-MM-DD";
const ID_DIGITS: &str = "Số định danh cá nhân phải gồm đúng 12 chữ số";

struct Walker<'r> {
    rules: &'r Rules<'r>,
    problems: Vec<FieldProblem>,
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

impl Walker<'_> {
    fn bad(&mut self, path: impl Into<String>, msg: impl Into<String>) {
        self.problems.push(FieldProblem::invalid(path, msg));
    }

    fn object<'v>(
        &mut self,
        parent: &'v Map<String, Value>,
        prefix: &str,
        key: &str,
        required: bool,
    ) -> Option<&'v Map<String, Value>> {
        let path = join(prefix, key);
        match parent.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.bad(path, MISSING);
                }
                None
            }
            Some(Value::Object(o)) => Some(o),
            Some(_) => {
                self.bad(path, NOT_OBJECT);
                None
            }
        }
    }

    fn only(&mut self, o: &Map<String, Value>, prefix: &str, allowed: &[&str]) {
        for k in o.keys() {
            if !allowed.contains(&k.as_str()) {
                self.bad(join(prefix, k), "Trường không được hỗ trợ");
            }
        }
    }

    /// A string field, tidied; `None` (with a problem when required) if absent or not text.
    fn text(&mut self, o: &Map<String, Value>, prefix: &str, key: &str, required: bool) -> Option<String> {
        let path = join(prefix, key);
        match o.get(key) {
            None | Some(Value::Null) => {
                if required {
                    self.bad(path, MISSING);
                }
                None
            }
            Some(Value::String(s)) => {
                let t = tidy(s);
                if t.is_empty() {
                    if required {
                        self.bad(path, MISSING);
                    }
                    None
                } else {
                    Some(t)
                }
            }
            Some(_) => {
                self.bad(path, NOT_TEXT);
                None
            }
        }
    }

    fn date(&mut self, o: &Map<String, Value>, prefix: &str, key: &str) -> Option<Date> {
        let s = self.text(o, prefix, key, true)?;
        let parsed = (s.len() == 10).then(|| s.parse::<Date>().ok()).flatten();
        if parsed.is_none() {
            self.bad(join(prefix, key), BAD_DATE);
        }
        parsed
    }

    fn name(&mut self, o: &Map<String, Value>, prefix: &str, key: &str, required: bool) -> Option<String> {
        let s = self.text(o, prefix, key, required)?;
        if s.chars().count() > 100 || !is_person_name(&s) {
            self.bad(
                join(prefix, key),
                "Họ tên gồm 1-100 ký tự: chữ cái, khoảng trắng, dấu '-' hoặc dấu '''",
            );
            return None;
        }
        Some(s)
    }

    fn five_digits(&mut self, o: &Map<String, Value>, prefix: &str, key: &str) -> Option<String> {
        let s = self.text(o, prefix, key, true)?;
        if s.len() != 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            self.bad(join(prefix, key), "Mã xã phải gồm đúng 5 chữ số");
            return None;
        }
        Some(s)
    }

    fn parent(&mut self, o: &Map<String, Value>, key: &str) -> Option<Parent> {
        let p = self.object(o, "", key, false)?;
        self.only(p, key, &["full_name", "personal_id", "date_of_birth"]);
        let full_name = self.name(p, key, "full_name", true);
        let personal_id = self.text(p, key, "personal_id", false);
        if let Some(id) = &personal_id {
            if !personal_id::is_twelve_digits(id) {
                self.bad(join(key, "personal_id"), ID_DIGITS);
            }
        }
        Some(Parent {
            full_name: full_name?,
            personal_id,
        })
    }

    fn attachments(&mut self, root: &Map<String, Value>) -> Vec<AttachmentMeta> {
        let Some(v) = root.get("attachments") else {
            self.bad("attachments", MISSING);
            return Vec::new();
        };
        let Some(list) = v.as_array() else {
            self.bad("attachments", "Phải là danh sách tệp đính kèm");
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for (i, item) in list.iter().enumerate() {
            let prefix = format!("attachments[{i}]");
            let Some(a) = item.as_object() else {
                self.bad(prefix, NOT_OBJECT);
                continue;
            };
            self.only(a, &prefix, &["kind", "file_name", "media_type", "size", "sha256"]);
            let kind = self.text(a, &prefix, "kind", true);
            if let Some(k) = &kind {
                if !KINDS.contains(&k.as_str()) {
                    self.bad(
                        join(&prefix, "kind"),
                        format!("Loại tệp không hợp lệ; chỉ nhận: {}", KINDS.join(", ")),
                    );
                } else if !seen.insert(k.clone()) {
                    self.bad(join(&prefix, "kind"), "Loại tệp bị trùng trong hồ sơ");
                }
            }
            let file_name = self.text(a, &prefix, "file_name", true);
            if let Some(f) = &file_name {
                if f.chars().count() > 255 || f.contains(['/', '\\']) {
                    self.bad(
                        join(&prefix, "file_name"),
                        "Tên tệp tối đa 255 ký tự, không chứa '/' hoặc '\\'",
                    );
                }
            }
            let media_type = self.text(a, &prefix, "media_type", true);
            if let Some(m) = &media_type {
                if !MEDIA_TYPES.contains(&m.as_str()) {
                    self.bad(
                        join(&prefix, "media_type"),
                        "Kiểu tệp chỉ được là application/pdf, image/jpeg hoặc image/png",
                    );
                }
            }
            let size = match a.get("size") {
                None | Some(Value::Null) => {
                    self.bad(join(&prefix, "size"), MISSING);
                    None
                }
                Some(v) => match v.as_u64() {
                    Some(n) if n >= 1 && n <= self.rules.max_attachment_bytes => Some(n),
                    _ => {
                        self.bad(
                            join(&prefix, "size"),
                            format!("Kích thước phải từ 1 byte đến {} byte", self.rules.max_attachment_bytes),
                        );
                        None
                    }
                },
            };
            let sha256 = self.text(a, &prefix, "sha256", true).map(|s| s.to_ascii_lowercase());
            if let Some(h) = &sha256 {
                if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    self.bad(join(&prefix, "sha256"), "SHA-256 phải gồm 64 ký tự thập lục phân");
                }
            }
            if let (Some(kind), Some(file_name), Some(media_type), Some(size), Some(sha256)) =
                (kind, file_name, media_type, size, sha256)
            {
                out.push(AttachmentMeta {
                    kind,
                    file_name,
                    media_type,
                    size,
                    sha256,
                });
            }
        }
        for required in REQUIRED_KINDS {
            if !list
                .iter()
                .any(|a| a.get("kind").and_then(Value::as_str) == Some(required))
            {
                self.bad("attachments", format!("Thiếu tệp bắt buộc: {required}"));
            }
        }
        out
    }
}

/// Parses an untrusted manifest into a bundle, or lists every problem at once.
///
/// Text is NFC-normalised first, so the same case in NFD and NFC is the same case.
pub fn parse(manifest: &Value, rules: &Rules<'_>) -> Result<CaseBundle, Vec<FieldProblem>> {
    let mut manifest = manifest.clone();
    nfc_json(&mut manifest);
    let Some(root) = manifest.as_object() else {
        return Err(vec![FieldProblem::invalid("", NOT_OBJECT)]);
    };
    let mut w = Walker {
        rules,
        problems: Vec::new(),
    };
    w.only(
        root,
        "",
        &[
            "receipt_code",
            "procedure",
            "commune_code",
            "received_at",
            "child",
            "birth_registration",
            "mother",
            "father",
            "residence",
            "insurance",
            "applicant",
            "attachments",
        ],
    );

    let receipt_code = w.text(root, "", "receipt_code", true);
    if let Some(rc) = &receipt_code {
        let ok = rc.len() <= 64 && rc.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_/".contains(&b));
        if !ok {
            w.bad(
                "receipt_code",
                "Mã hồ sơ gồm 1-64 ký tự: A-Z, a-z, 0-9, '.', '-', '_', '/'",
            );
        }
    }
    let procedure = w.text(root, "", "procedure", true);
    if let Some(p) = &procedure {
        if p != PROCEDURE {
            w.problems.push(FieldProblem::coded(
                "procedure",
                "unsupported_procedure",
                format!("Thủ tục không được hỗ trợ; chỉ nhận '{PROCEDURE}'"),
            ));
        }
    }
    let commune_code = w.five_digits(root, "", "commune_code");
    if let Some(c) = &commune_code {
        if !(rules.is_routed_commune)(c) {
            w.problems.push(FieldProblem::coded(
                "commune_code",
                "unknown_commune",
                "Xã chưa có trong bảng định tuyến của cổng liên thông",
            ));
        }
    }
    let received_at = w
        .text(root, "", "received_at", true)
        .and_then(|s| match s.parse::<Timestamp>() {
            Ok(t) => Some(t),
            Err(_) => {
                w.bad(
                    "received_at",
                    "Thời điểm phải theo ISO 8601 có múi giờ, ví dụ 2026-11-23T09:15:00+07:00",
                );
                None
            }
        });
    if let Some(t) = received_at {
        if t > rules.now + SKEW_MINUTES.minutes() {
            w.bad("received_at", "Thời điểm tiếp nhận không được ở tương lai");
        }
    }
    let received_day = received_at.map(|t| t.to_zoned(lienthong_contract::vn_tz()).date());

    let child = w.object(root, "", "child", true).map(|c| {
        w.only(c, "child", &["full_name", "sex", "date_of_birth", "personal_id"]);
        let full_name = w.name(c, "child", "full_name", true);
        let sex = w.text(c, "child", "sex", true).and_then(|s| match s.as_str() {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            _ => {
                w.bad("child.sex", "Giới tính phải là 'male' hoặc 'female'");
                None
            }
        });
        let dob = w.date(c, "child", "date_of_birth");
        if let (Some(dob), Some(day)) = (dob, received_day) {
            if dob > day {
                w.bad("child.date_of_birth", "Ngày sinh không được sau ngày tiếp nhận hồ sơ");
            } else if dob.checked_add(72.months()).is_ok_and(|six| six <= day) {
                w.bad(
                    "child.date_of_birth",
                    "Trẻ phải dưới 6 tuổi (72 tháng) tại ngày tiếp nhận hồ sơ",
                );
            }
        }
        let personal_id = w.text(c, "child", "personal_id", true);
        if let Some(id) = &personal_id {
            for p in personal_id::check(id, sex, dob.map(|d| d.year()), rules.is_province) {
                w.bad("child.personal_id", p.message());
            }
        }
        (full_name, sex, dob, personal_id)
    });

    let birth_registration = w.object(root, "", "birth_registration", true).map(|b| {
        w.only(b, "birth_registration", &["number", "book", "registered_on"]);
        let number = w.text(b, "birth_registration", "number", true);
        let book = w.text(b, "birth_registration", "book", true);
        let registered_on = w.date(b, "birth_registration", "registered_on");
        if let Some(reg) = registered_on {
            if let Some(Some(dob)) = child.as_ref().map(|c| c.2) {
                if reg < dob {
                    w.bad(
                        "birth_registration.registered_on",
                        "Ngày đăng ký khai sinh không được trước ngày sinh",
                    );
                }
            }
            if received_day.is_some_and(|d| reg > d) {
                w.bad(
                    "birth_registration.registered_on",
                    "Ngày đăng ký khai sinh không được sau ngày tiếp nhận hồ sơ",
                );
            }
        }
        (number, book, registered_on)
    });

    let mother = w.parent(root, "mother");
    let father = w.parent(root, "father");
    if !root.contains_key("mother") && !root.contains_key("father") {
        w.bad("mother", "Cần thông tin của cha hoặc mẹ (ít nhất họ tên)");
    }

    let residence = w.object(root, "", "residence", true).map(|r| {
        w.only(
            r,
            "residence",
            &[
                "address",
                "commune_code",
                "existing_household",
                "household_head_personal_id",
                "relationship_to_head",
            ],
        );
        let address = w.text(r, "residence", "address", true);
        let commune = w.five_digits(r, "residence", "commune_code");
        let existing = match r.get("existing_household") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                w.bad("residence.existing_household", "Phải là true hoặc false");
                false
            }
        };
        let head = w.text(r, "residence", "household_head_personal_id", existing);
        if let Some(h) = &head {
            if !personal_id::is_twelve_digits(h) {
                w.bad("residence.household_head_personal_id", ID_DIGITS);
            }
        }
        let relationship = w.text(r, "residence", "relationship_to_head", existing);
        (address, commune, existing, head, relationship)
    });

    let insurance = w.object(root, "", "insurance", true).and_then(|i| {
        w.only(i, "insurance", &["health_facility_code"]);
        let code = w.text(i, "insurance", "health_facility_code", true)?;
        if code.chars().count() != 5 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            w.bad(
                "insurance.health_facility_code",
                "Mã nơi đăng ký khám chữa bệnh ban đầu gồm đúng 5 ký tự chữ hoặc số",
            );
            return None;
        }
        Some(code)
    });

    let applicant = w.object(root, "", "applicant", true).and_then(|a| {
        w.only(a, "applicant", &["full_name", "phone", "email"]);
        let full_name = w.name(a, "applicant", "full_name", true);
        let phone = w.text(a, "applicant", "phone", false).map(|p| p.replace(' ', ""));
        let email = w.text(a, "applicant", "email", false);
        if let Some(p) = &phone {
            let digits = p.strip_prefix("+84").map(|r| format!("0{r}")).unwrap_or(p.clone());
            if !(digits.len() == 10 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())) {
                w.bad(
                    "applicant.phone",
                    "Số điện thoại phải gồm 10 chữ số bắt đầu bằng 0 (hoặc +84)",
                );
            }
        }
        if let Some(e) = &email {
            let ok = e.split_once('@').is_some_and(|(user, dom)| {
                !user.is_empty()
                    && dom.contains('.')
                    && !dom.starts_with('.')
                    && !dom.ends_with('.')
                    && !dom.contains('@')
            });
            if !ok {
                w.bad("applicant.email", "Địa chỉ email không hợp lệ");
            }
        }
        if phone.is_none() && email.is_none() {
            w.bad(
                "applicant.phone",
                "Cần số điện thoại hoặc email để nhận thông báo tiến độ",
            );
        }
        Some(Applicant {
            full_name: full_name?,
            phone,
            email,
        })
    });

    let attachments = w.attachments(root);

    if !w.problems.is_empty() {
        return Err(w.problems);
    }
    // With no problems recorded, every required value is present.
    let (full_name, sex, dob, personal_id) = child.expect("validated");
    let (number, book, registered_on) = birth_registration.expect("validated");
    let (address, res_commune, existing_household, head, relationship) = residence.expect("validated");
    Ok(CaseBundle {
        receipt_code: receipt_code.expect("validated"),
        procedure: PROCEDURE.to_string(),
        commune_code: commune_code.expect("validated"),
        received_at: received_at.expect("validated"),
        child: Child {
            full_name: full_name.expect("validated"),
            sex: sex.expect("validated"),
            date_of_birth: dob.expect("validated"),
            personal_id: personal_id.expect("validated"),
        },
        birth_registration: BirthRegistration {
            number: number.expect("validated"),
            book: book.expect("validated"),
            registered_on: registered_on.expect("validated"),
        },
        mother,
        father,
        residence: Residence {
            address: address.expect("validated"),
            commune_code: res_commune.expect("validated"),
            existing_household,
            household_head_personal_id: head,
            relationship_to_head: relationship,
        },
        insurance: Insurance {
            health_facility_code: insurance.expect("validated"),
        },
        applicant: applicant.expect("validated"),
        attachments,
    })
}

/// The SHA-256 of a bundle's canonical JSON: equal for the same case however it was encoded.
pub fn content_hash(bundle: &CaseBundle) -> String {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::to_vec(bundle).expect("bundles serialise");
    hex::encode(Sha256::digest(canonical))
}
