//! Validation of a pushed case bundle (docs/case-bundle.md): every problem, with its JSON path.

use std::collections::HashSet;

use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use lienthong_contract::bundle::{
    Applicant, BirthRegistration, Channel, Child, Insurance, Parent, PostalAddress, Residence, ResultDelivery, Sex,
};
use lienthong_contract::{AttachmentMeta, CaseBundle, CommuneCode, PersonalId, ReceiptCode, Sha256, ValueError};
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
    pub commune: &'a dyn Fn(&str) -> CommuneStanding,
}

/// What the routing table says about a commune code a manifest names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommuneStanding {
    Routed,
    /// A merger retired the code on `since` and `successor` took the commune over: dossiers
    /// received before that day may still arrive under it (docs/accountability.md).
    Retired {
        successor: String,
        since: Date,
    },
    Unknown,
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

    /// A text field parsed into its value type; a text that does not fit is recorded with
    /// `message` under the field's path.
    fn value<T>(
        &mut self,
        o: &Map<String, Value>,
        prefix: &str,
        key: &str,
        required: bool,
        message: &str,
        parse: impl Fn(&str) -> Result<T, ValueError>,
    ) -> Option<T> {
        let s = self.text(o, prefix, key, required)?;
        match parse(&s) {
            Ok(v) => Some(v),
            Err(_) => {
                self.bad(join(prefix, key), message);
                None
            }
        }
    }

    fn five_digits(&mut self, o: &Map<String, Value>, prefix: &str, key: &str) -> Option<CommuneCode> {
        self.value(o, prefix, key, true, "Mã xã phải gồm đúng 5 chữ số", CommuneCode::parse)
    }

    fn parent(&mut self, o: &Map<String, Value>, key: &str) -> Option<Parent> {
        let p = self.object(o, "", key, false)?;
        self.only(p, key, &["full_name", "personal_id", "date_of_birth"]);
        let full_name = self.name(p, key, "full_name", true);
        let personal_id = self.value(p, key, "personal_id", false, ID_DIGITS, PersonalId::parse);
        Some(Parent {
            full_name: full_name?,
            personal_id,
        })
    }

    fn attachments(&mut self, root: &Map<String, Value>) -> Vec<Declared> {
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
            let named = kind.clone();
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
            let sha256 = self.value(
                a,
                &prefix,
                "sha256",
                true,
                "SHA-256 phải gồm 64 ký tự thập lục phân",
                |s| Sha256::parse(&s.to_ascii_lowercase()),
            );
            let meta = match (kind, file_name, media_type, size, sha256) {
                (Some(kind), Some(file_name), Some(media_type), Some(size), Some(sha256)) => Some(AttachmentMeta {
                    kind,
                    file_name,
                    media_type,
                    size,
                    sha256,
                }),
                _ => None,
            };
            if let Some(kind) = named {
                out.push(Declared { index: i, kind, meta });
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

/// The top-level fields a manifest may carry.
const TOP_LEVEL: [&str; 14] = [
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
    "result_delivery",
    "channel",
    "attachments",
];

/// The dossier's own fields: its code, procedure, commune and receipt instant.
struct Header {
    receipt_code: ReceiptCode,
    commune_code: CommuneCode,
    received_at: Timestamp,
}

impl Walker<'_> {
    /// The header, and the receipt day in Vietnam whenever the receipt instant is readable (the
    /// other sections' date checks need it even when another header field is wrong).
    fn header(&mut self, root: &Map<String, Value>) -> (Option<Header>, Option<Date>) {
        let receipt_code = self
            .text(root, "", "receipt_code", true)
            .and_then(|rc| match ReceiptCode::parse(&rc) {
                Ok(code) => Some(code),
                Err(e) => {
                    self.bad("receipt_code", e.message);
                    None
                }
            });
        if let Some(p) = self.text(root, "", "procedure", true) {
            if p != PROCEDURE {
                self.problems.push(FieldProblem::coded(
                    "procedure",
                    "unsupported_procedure",
                    format!("Thủ tục không được hỗ trợ; chỉ nhận '{PROCEDURE}'"),
                ));
            }
        }
        let commune = self
            .five_digits(root, "", "commune_code")
            .map(|c| {
                let standing = (self.rules.commune)(&c);
                (c, standing)
            })
            .filter(|(_, standing)| {
                let known = *standing != CommuneStanding::Unknown;
                if !known {
                    self.problems.push(FieldProblem::coded(
                        "commune_code",
                        "unknown_commune",
                        "Xã chưa có trong bảng định tuyến của cổng liên thông",
                    ));
                }
                known
            });
        let received_at = self
            .text(root, "", "received_at", true)
            .and_then(|s| match s.parse::<Timestamp>() {
                Ok(t) => Some(t),
                Err(_) => {
                    self.bad(
                        "received_at",
                        "Thời điểm phải theo ISO 8601 có múi giờ, ví dụ 2026-11-23T09:15:00+07:00",
                    );
                    None
                }
            });
        if received_at.is_some_and(|t| t > self.rules.now + SKEW_MINUTES.minutes()) {
            self.bad("received_at", "Thời điểm tiếp nhận không được ở tương lai");
        }
        let received_day = received_at.map(|t| t.to_zoned(lienthong_contract::vn_tz()).date());
        let commune_code = commune.and_then(|(code, standing)| match (standing, received_day) {
            (CommuneStanding::Retired { successor, since }, Some(day)) if day >= since => {
                self.problems.push(FieldProblem::coded(
                    "commune_code",
                    "retired_commune",
                    format!(
                        "Mã xã {code} đã được thay bằng mã {successor} từ ngày {}; hồ sơ tiếp nhận từ ngày đó phải mang mã mới",
                        since.strftime("%d/%m/%Y")
                    ),
                ));
                None
            }
            _ => Some(code),
        });
        let header = match (receipt_code, commune_code, received_at) {
            (Some(receipt_code), Some(commune_code), Some(received_at)) => Some(Header {
                receipt_code,
                commune_code,
                received_at,
            }),
            _ => None,
        };
        (header, received_day)
    }

    /// The child, and its date of birth whenever it is readable (the birth registration's
    /// checks need it even when another of the child's fields is wrong).
    fn child(&mut self, root: &Map<String, Value>, received_day: Option<Date>) -> (Option<Child>, Option<Date>) {
        let Some(c) = self.object(root, "", "child", true) else {
            return (None, None);
        };
        self.only(c, "child", &["full_name", "sex", "date_of_birth", "personal_id"]);
        let full_name = self.name(c, "child", "full_name", true);
        let sex = self.text(c, "child", "sex", true).and_then(|s| match s.as_str() {
            "male" => Some(Sex::Male),
            "female" => Some(Sex::Female),
            _ => {
                self.bad("child.sex", "Giới tính phải là 'male' hoặc 'female'");
                None
            }
        });
        let dob = self.date(c, "child", "date_of_birth");
        if let (Some(dob), Some(day)) = (dob, received_day) {
            if dob > day {
                self.bad("child.date_of_birth", "Ngày sinh không được sau ngày tiếp nhận hồ sơ");
            } else if dob.checked_add(72.months()).is_ok_and(|six| six <= day) {
                self.bad(
                    "child.date_of_birth",
                    "Trẻ phải dưới 6 tuổi (72 tháng) tại ngày tiếp nhận hồ sơ",
                );
            }
        }
        let personal_id = self.text(c, "child", "personal_id", true).and_then(|id| {
            let problems = personal_id::check(&id, sex, dob.map(|d| d.year()), self.rules.is_province);
            for p in &problems {
                self.bad("child.personal_id", p.message());
            }
            // `check` covers the shape too, so a text it passes is twelve digits.
            PersonalId::parse(&id).ok().filter(|_| problems.is_empty())
        });
        let child = match (full_name, sex, dob, personal_id) {
            (Some(full_name), Some(sex), Some(date_of_birth), Some(personal_id)) => Some(Child {
                full_name,
                sex,
                date_of_birth,
                personal_id,
            }),
            _ => None,
        };
        (child, dob)
    }

    fn birth_registration(
        &mut self,
        root: &Map<String, Value>,
        dob: Option<Date>,
        received_day: Option<Date>,
    ) -> Option<BirthRegistration> {
        let b = self.object(root, "", "birth_registration", true)?;
        self.only(b, "birth_registration", &["number", "book", "registered_on"]);
        let number = self.text(b, "birth_registration", "number", true);
        let book = self.text(b, "birth_registration", "book", true);
        let registered_on = self.date(b, "birth_registration", "registered_on");
        if let Some(reg) = registered_on {
            if dob.is_some_and(|dob| reg < dob) {
                self.bad(
                    "birth_registration.registered_on",
                    "Ngày đăng ký khai sinh không được trước ngày sinh",
                );
            }
            if received_day.is_some_and(|d| reg > d) {
                self.bad(
                    "birth_registration.registered_on",
                    "Ngày đăng ký khai sinh không được sau ngày tiếp nhận hồ sơ",
                );
            }
        }
        Some(BirthRegistration {
            number: number?,
            book: book?,
            registered_on: registered_on?,
        })
    }

    fn residence(&mut self, root: &Map<String, Value>) -> Option<Residence> {
        let r = self.object(root, "", "residence", true)?;
        self.only(
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
        let address = self.text(r, "residence", "address", true);
        let commune = self.five_digits(r, "residence", "commune_code");
        let existing = match r.get("existing_household") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.bad("residence.existing_household", "Phải là true hoặc false");
                false
            }
        };
        let head = self.value(
            r,
            "residence",
            "household_head_personal_id",
            existing,
            ID_DIGITS,
            PersonalId::parse,
        );
        let relationship = self.text(r, "residence", "relationship_to_head", existing);
        Some(Residence {
            address: address?,
            commune_code: commune?,
            existing_household: existing,
            household_head_personal_id: head,
            relationship_to_head: relationship,
        })
    }

    fn insurance(&mut self, root: &Map<String, Value>) -> Option<Insurance> {
        let i = self.object(root, "", "insurance", true)?;
        self.only(i, "insurance", &["health_facility_code"]);
        let code = self.text(i, "insurance", "health_facility_code", true)?;
        if code.chars().count() != 5 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            self.bad(
                "insurance.health_facility_code",
                "Mã nơi đăng ký khám chữa bệnh ban đầu gồm đúng 5 ký tự chữ hoặc số",
            );
            return None;
        }
        Some(Insurance {
            health_facility_code: code,
        })
    }

    /// A phone number as the family writes it: 10 digits from 0, or +84 and 9 digits.
    fn phone(&mut self, o: &Map<String, Value>, prefix: &str, required: bool) -> Option<String> {
        let phone = self.text(o, prefix, "phone", required).map(|p| p.replace(' ', ""))?;
        let digits = phone
            .strip_prefix("+84")
            .map(|r| format!("0{r}"))
            .unwrap_or(phone.clone());
        if !(digits.len() == 10 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())) {
            self.bad(
                join(prefix, "phone"),
                "Số điện thoại phải gồm 10 chữ số bắt đầu bằng 0 (hoặc +84)",
            );
        }
        Some(phone)
    }

    /// How the dossier was handed in (docs/accountability.md): absent means in person.
    fn channel(&mut self, root: &Map<String, Value>) -> Option<Channel> {
        let Some(name) = self.text(root, "", "channel", false) else {
            return Some(Channel::InPerson);
        };
        let channel = Channel::parse(&name);
        if channel.is_none() {
            self.bad("channel", "Kênh nộp hồ sơ phải là 'in_person', 'online' hoặc 'by_post'");
        }
        channel
    }

    /// How the results reach the family (docs/family.md): absent means at the commune.
    fn result_delivery(&mut self, root: &Map<String, Value>) -> Option<ResultDelivery> {
        const P: &str = "result_delivery";
        let Some(d) = self.object(root, "", P, false) else {
            return Some(ResultDelivery::AtCommune);
        };
        match self.text(d, P, "method", true).as_deref() {
            Some("at_commune") => {
                self.only(d, P, &["method"]);
                Some(ResultDelivery::AtCommune)
            }
            Some("by_post") => {
                self.only(
                    d,
                    P,
                    &[
                        "method",
                        "recipient",
                        "phone",
                        "province_code",
                        "commune_code",
                        "street",
                    ],
                );
                let recipient = self.name(d, P, "recipient", true);
                let phone = self.phone(d, P, true);
                let province = self.text(d, P, "province_code", true);
                if let Some(p) = &province {
                    // Administrative province codes are the personal-id province codes
                    // without their leading 0 (Khánh Hòa: 56 and 056).
                    if !(p.len() == 2 && (self.rules.is_province)(&format!("0{p}"))) {
                        self.bad(
                            join(P, "province_code"),
                            "Mã tỉnh phải là mã 2 chữ số của một tỉnh, thành phố",
                        );
                    }
                }
                let commune = self.five_digits(d, P, "commune_code");
                let street = self.text(d, P, "street", true);
                if street.as_ref().is_some_and(|s| s.chars().count() > 200) {
                    self.bad(join(P, "street"), "Địa chỉ tối đa 200 ký tự");
                }
                Some(ResultDelivery::ByPost(PostalAddress {
                    recipient: recipient?,
                    phone: phone?,
                    province_code: province?,
                    commune_code: commune?,
                    street: street?,
                }))
            }
            Some(_) => {
                self.bad(
                    join(P, "method"),
                    "Hình thức nhận kết quả chỉ được là 'at_commune' (tại UBND xã) hoặc 'by_post' (qua bưu chính)",
                );
                None
            }
            None => None,
        }
    }

    fn applicant(&mut self, root: &Map<String, Value>) -> Option<Applicant> {
        let a = self.object(root, "", "applicant", true)?;
        self.only(a, "applicant", &["full_name", "phone", "email"]);
        let full_name = self.name(a, "applicant", "full_name", true);
        let phone = self.phone(a, "applicant", false);
        let email = self.text(a, "applicant", "email", false);
        if let Some(e) = &email {
            let ok = e.split_once('@').is_some_and(|(user, dom)| {
                !user.is_empty()
                    && dom.contains('.')
                    && !dom.starts_with('.')
                    && !dom.ends_with('.')
                    && !dom.contains('@')
            });
            if !ok {
                self.bad("applicant.email", "Địa chỉ email không hợp lệ");
            }
        }
        if phone.is_none() && email.is_none() {
            self.bad(
                "applicant.phone",
                "Cần số điện thoại hoặc email để nhận thông báo tiến độ",
            );
        }
        Some(Applicant {
            full_name: full_name?,
            phone,
            email,
        })
    }
}

/// One entry of a manifest's attachment list that names its kind: where it stands in the list
/// (for the problems' paths) and, when every field of it is well formed, its typed description.
/// Intake checks the received files against these, never against the raw JSON again.
#[derive(Debug, Clone)]
pub struct Declared {
    pub index: usize,
    pub kind: String,
    pub meta: Option<AttachmentMeta>,
}

/// What parsing a manifest gives: the bundle or every problem, and the attachments it declares
/// either way (so the received files are checked in the same answer as the manifest).
pub struct Parsed {
    pub bundle: Result<CaseBundle, Vec<FieldProblem>>,
    pub declared: Vec<Declared>,
}

/// Parses an untrusted manifest into a bundle, or lists every problem at once.
pub fn parse(manifest: &Value, rules: &Rules<'_>) -> Result<CaseBundle, Vec<FieldProblem>> {
    parse_declared(manifest, rules).bundle
}

/// [`parse`], also handing back the declared attachments.
///
/// Text is NFC-normalised first, so the same case in NFD and NFC is the same case. Each section
/// is parsed on its own into its built part or its problems (docs/case-bundle.md); the bundle is
/// assembled only from built parts, and only when no section had a problem.
pub fn parse_declared(manifest: &Value, rules: &Rules<'_>) -> Parsed {
    let mut manifest = manifest.clone();
    nfc_json(&mut manifest);
    let Some(root) = manifest.as_object() else {
        return Parsed {
            bundle: Err(vec![FieldProblem::invalid("", NOT_OBJECT)]),
            declared: Vec::new(),
        };
    };
    let mut w = Walker {
        rules,
        problems: Vec::new(),
    };
    w.only(root, "", &TOP_LEVEL);
    let (header, received_day) = w.header(root);
    let (child, dob) = w.child(root, received_day);
    let birth_registration = w.birth_registration(root, dob, received_day);
    let mother = w.parent(root, "mother");
    let father = w.parent(root, "father");
    if !root.contains_key("mother") && !root.contains_key("father") {
        w.bad("mother", "Cần thông tin của cha hoặc mẹ (ít nhất họ tên)");
    }
    let residence = w.residence(root);
    let insurance = w.insurance(root);
    let applicant = w.applicant(root);
    let result_delivery = w.result_delivery(root);
    let channel = w.channel(root);
    let attachments = w.attachments(root);
    let built = (|| {
        let header = header?;
        Some(CaseBundle {
            receipt_code: header.receipt_code,
            procedure: PROCEDURE.to_string(),
            commune_code: header.commune_code,
            received_at: header.received_at,
            child: child?,
            birth_registration: birth_registration?,
            mother,
            father,
            residence: residence?,
            insurance: insurance?,
            applicant: applicant?,
            result_delivery: result_delivery?,
            channel: channel?,
            attachments: attachments.iter().filter_map(|d| d.meta.clone()).collect(),
        })
    })();
    let bundle = match built {
        Some(bundle) if w.problems.is_empty() => Ok(bundle),
        // A section that could not be built always recorded why; this guards the promise.
        None if w.problems.is_empty() => Err(vec![FieldProblem::invalid("", "Hồ sơ không đầy đủ")]),
        _ => Err(w.problems),
    };
    Parsed {
        bundle,
        declared: attachments,
    }
}

/// The SHA-256 of a bundle's canonical JSON: equal for the same case however it was encoded.
pub fn content_hash(bundle: &CaseBundle) -> Result<String, serde_json::Error> {
    use sha2::{Digest, Sha256};
    let canonical = serde_json::to_vec(bundle)?;
    Ok(hex::encode(Sha256::digest(canonical)))
}
