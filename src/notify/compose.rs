//! Turns the event trail into messages: each event that concerns a family, an office or the
//! administrators becomes one message per configured channel, queued with a dedupe key derived
//! from the event, so reading an event twice never sends twice.

use crate::deadline::ClockState;
use crate::domain::state::{CaseStatus, LegState};
use lienthong_contract::CaseBundle;
use lienthong_contract::LegKind;

use super::sms_text;
use super::templates::{self, Family, Text};
use crate::config::Config;
use crate::domain::journey::Step;
use crate::store::journey::StepDetail;
use crate::store::notices::NewNotice;
use crate::store::{CaseRow, EventView, LegView, Store, StoreError};

/// Who a message goes to.
enum To {
    /// The applicant, by SMS and email when each is known and configured.
    Family,
    /// Officials by email.
    Officials(Vec<String>),
}

fn leg_label(kind: LegKind) -> &'static str {
    match kind {
        LegKind::Residence => "đăng ký thường trú",
        LegKind::Insurance => "cấp thẻ BHYT",
        LegKind::Return => "trả kết quả về UBND xã",
    }
}

/// Builds the messages of events.
pub struct Composer<'a> {
    pub config: &'a Config,
    pub store: &'a Store,
}

impl Composer<'_> {
    fn commune_name(&self, code: &str) -> String {
        self.config
            .routes
            .communes
            .get(code)
            .map_or_else(|| format!("UBND xã {code}"), |c| format!("UBND {}", c.name))
    }

    fn office(&self, leg: &LegView) -> (String, Vec<String>) {
        let offices = if leg.name == LegKind::Residence {
            &self.config.routes.police_offices
        } else {
            &self.config.routes.insurance_offices
        };
        offices.get(leg.office_code.as_str()).map_or_else(
            || (leg.office_code.to_string(), Vec::new()),
            |o| (o.name.clone(), o.emails.clone()),
        )
    }

    fn with_admins(&self, mut emails: Vec<String>) -> Vec<String> {
        emails.extend(self.config.gateway.notify.admin_emails.iter().cloned());
        emails.sort();
        emails.dedup();
        emails
    }

    fn commune_emails(&self, code: &str) -> Vec<String> {
        self.config
            .routes
            .communes
            .get(code)
            .map(|c| c.emails.clone())
            .unwrap_or_default()
    }

    /// The messages one event calls for.
    pub async fn compose(&self, e: &EventView) -> Result<Vec<NewNotice>, StoreError> {
        let Some(case) = self.store.case(&e.case_id).await? else {
            return Ok(Vec::new());
        };
        let Ok(bundle) = serde_json::from_str::<CaseBundle>(&case.bundle_json) else {
            return Ok(Vec::new());
        };
        let family = Family {
            receipt_code: &case.receipt_code,
            child_name: &bundle.child.full_name,
            commune_name: &self.commune_name(&case.commune_code),
        };
        let leg = match &e.leg_id {
            Some(id) => self.store.leg(id).await?,
            None => None,
        };
        let reason = e.reason.clone().unwrap_or_default();
        let today = crate::deadline::Calendar::local_day(self.store.clock().now());
        let (kind, to, text) = match (e.kind.as_str(), e.to_state.as_str(), &leg) {
            ("state", _, None) if e.case_status() == Some(CaseStatus::InProgress) && e.from_state.is_none() => (
                "received",
                To::Family,
                templates::received(&family, case.appointment_day.unwrap_or(today)),
            ),
            ("state", _, Some(l)) if e.leg_state() == Some(LegState::NeedsSupplement) => {
                let window = l
                    .window_ends_at_ms
                    .and_then(|m| jiff::Timestamp::from_millisecond(m).ok())
                    .map_or(today, crate::deadline::Calendar::local_day);
                (
                    "supplement",
                    To::Family,
                    templates::supplement(&family, &reason, window),
                )
            }
            ("state", _, None) if e.case_status() == Some(CaseStatus::Completed) => {
                let text = if bundle.result_delivery.is_at_commune() {
                    templates::result_ready(&family)
                } else {
                    templates::result_ready_by_post(&family)
                };
                let e_card = self.store.legs(&case.id).await?.iter().any(|l| {
                    l.name == LegKind::Insurance
                        && l.result
                            .as_ref()
                            .is_some_and(|r| r.get("electronic_card_issued_on").is_some_and(|d| !d.is_null()))
                });
                let text = if e_card {
                    templates::with_electronic_card(text)
                } else {
                    text
                };
                ("result", To::Family, text)
            }
            ("verification", "requested", Some(_)) => (
                "verification",
                To::Family,
                templates::verification(&family, case.appointment_day.unwrap_or(today)),
            ),
            ("complaint", "answered", None) => (
                "complaint_answer",
                To::Family,
                templates::complaint_answer(&family, &reason),
            ),
            ("reminder", "collect", None) => {
                let since = case
                    .result_at_ms
                    .and_then(|m| jiff::Timestamp::from_millisecond(m).ok())
                    .map_or(today, crate::deadline::Calendar::local_day);
                (
                    "collect_reminder",
                    To::Family,
                    templates::collect_reminder(&family, since),
                )
            }
            ("journey", step, None) => {
                let detail: StepDetail = e
                    .reason
                    .as_deref()
                    .and_then(|r| serde_json::from_str(r).ok())
                    .unwrap_or_default();
                match Step::parse(step) {
                    Some(Step::Posted) => (
                        "posted",
                        To::Family,
                        templates::posted(&family, detail.tracking_number.as_deref().unwrap_or("")),
                    ),
                    Some(Step::PostReturned) => ("post_returned", To::Family, templates::post_returned(&family)),
                    Some(Step::CardReceived) if bundle.result_delivery.is_at_commune() => {
                        ("card_at_commune", To::Family, templates::card_at_commune(&family))
                    }
                    Some(s) if s.closes() => {
                        let Some(token) = self.store.rating_token(&case.id).await? else {
                            return Ok(Vec::new());
                        };
                        let link = format!("{}/dg/{token}", self.config.gateway.public_url().trim_end_matches('/'));
                        ("feedback", To::Family, templates::feedback_request(&family, &link))
                    }
                    _ => return Ok(Vec::new()),
                }
            }
            ("state", _, None) if e.case_status() == Some(CaseStatus::Rejected) => {
                let why = self.rejection_reason(&case).await?;
                (
                    CaseStatus::Rejected.as_str(),
                    To::Family,
                    templates::rejected(&family, &why),
                )
            }
            ("clock", state, _) => {
                let overdue = ClockState::parse(state) == Some(ClockState::Overdue);
                let (holder, emails, what, due) = match &leg {
                    Some(l) => {
                        let (name, emails) = self.office(l);
                        (name, emails, leg_label(l.name), l.due_day)
                    }
                    None => (
                        family.commune_name.to_string(),
                        self.commune_emails(&case.commune_code),
                        "trả kết quả hồ sơ liên thông",
                        case.due_day,
                    ),
                };
                let text = templates::warning(&case.receipt_code, &holder, what, overdue, due.unwrap_or(today));
                ("warning", To::Officials(self.with_admins(emails)), text)
            }
            ("apology", "drafted", None) => {
                let Some(a) = self.store.apology(&case.id).await? else {
                    return Ok(Vec::new());
                };
                let text = templates::apology_to_confirm(&case.receipt_code, &a.reason, a.proposed_day);
                let to = To::Officials(self.with_admins(self.commune_emails(&case.commune_code)));
                ("apology", to, text)
            }
            ("apology", "confirmed", None) => {
                let Some(a) = self.store.apology(&case.id).await? else {
                    return Ok(Vec::new());
                };
                let new_day = a.confirmed_day.unwrap_or(a.proposed_day);
                (
                    "late",
                    To::Family,
                    templates::late(&family, a.original_day, new_day, &a.reason),
                )
            }
            ("supplement", "received", None) => (
                "resumed",
                To::Family,
                templates::resumed(&family, case.appointment_day.unwrap_or(today)),
            ),
            ("supplement", "window_expired", Some(l)) => {
                let (_, emails) = self.office(l);
                let text = templates::window_expired(&case.receipt_code, leg_label(l.name));
                ("window", To::Officials(self.with_admins(emails)), text)
            }
            _ => return Ok(Vec::new()),
        };
        Ok(self.address(e, &case, &bundle, kind, to, text))
    }

    async fn rejection_reason(&self, case: &CaseRow) -> Result<String, StoreError> {
        let events = self.store.events(&case.id).await?;
        Ok(events
            .iter()
            .rev()
            .find(|e| e.leg_state() == Some(LegState::Rejected))
            .and_then(|e| e.reason.clone())
            .unwrap_or_else(|| "không đủ điều kiện".into()))
    }

    fn address(
        &self,
        e: &EventView,
        case: &CaseRow,
        bundle: &CaseBundle,
        kind: &str,
        to: To,
        text: Text,
    ) -> Vec<NewNotice> {
        let notify = &self.config.gateway.notify;
        let mut out = Vec::new();
        let mut push = |channel: &str, recipient: String, subject: Option<String>, body: String| {
            out.push(NewNotice {
                case_id: Some(case.id.clone()),
                kind: kind.to_string(),
                channel: channel.to_string(),
                recipient,
                subject,
                body,
                dedupe_key: format!("event-{}:{channel}", e.id),
            })
        };
        match to {
            To::Family => {
                if let (Some(phone), Some(sms)) = (&bundle.applicant.phone, &notify.sms) {
                    let line = text.sms.clone().unwrap_or_else(|| text.body.clone());
                    push("sms", phone.clone(), None, family_sms(&line, sms.unaccented));
                }
                if let (Some(email), Some(_)) = (&bundle.applicant.email, &notify.email) {
                    push("email", email.clone(), Some(text.subject), text.body);
                }
            }
            To::Officials(emails) => {
                if !emails.is_empty() && notify.email.is_some() {
                    push("email", emails.join(","), Some(text.subject), text.body);
                }
            }
        }
        out
    }
}

/// The SMS a family receives: as written, or unaccented and cut to two segments
/// (docs/family.md).
pub fn family_sms(text: &str, unaccented: bool) -> String {
    if unaccented {
        sms_text::fit(&sms_text::unaccent(text), 2)
    } else {
        text.to_string()
    }
}
