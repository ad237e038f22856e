//! The published contract: an OpenAPI 3.1 document generated from the handlers' annotations and
//! the body types they serialize, served at `/api/v1/openapi.json` without a token so a
//! connecting agency can read it before it has one.

use axum::Json;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

use super::bodies::{
    AttachmentBody, AttemptBody, BulkResendAnswer, BulkResendBody, CalendarWarnings, CaseBody, ConfirmAnswer,
    ConfirmBody, Deadline, DeadlinesOverview, DecisionAnswer, DecisionParts, ErrorBody, ErrorDetail, EventBody,
    LaterFileBody, LegBody, PushAnswer, ResendAnswer, SupplementAnswer, SupplementBody, SupplementParts,
};
use super::{api, deadlines, supplement};

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A token issued by `lienthong token add`, scoped to one system and its communes or offices",
                    ))
                    .build(),
            ),
        );
    }
}

/// The answers every agency endpoint can give, added to each operation in one place.
struct CommonErrors;

fn error_response(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build(),
    )
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let common: [(&str, Response); 4] = [
            (
                "400",
                error_response("Malformed request (not multipart or JSON, a bad query or path)").build(),
            ),
            (
                "401",
                error_response(
                    "No, unknown or revoked token; no or another system's client certificate under mutual TLS; a bad, stale or replayed signature",
                )
                .build(),
            ),
            (
                "403",
                error_response("The token may not do this (another commune, office or kind of system)").build(),
            ),
            (
                "429",
                error_response("Over the token's request budget")
                    .header(
                        "Retry-After",
                        HeaderBuilder::new()
                            .schema(utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer))
                            .description(Some("Seconds to wait"))
                            .build(),
                    )
                    .build(),
            ),
        ];
        for (path, item) in openapi.paths.paths.iter_mut() {
            // The public look-up has no token: only its own answers apply.
            let public = path.starts_with("/api/public/");
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                for (status, response) in common.iter().filter(|(s, _)| !public || *s == "400") {
                    op.responses
                        .responses
                        .entry((*status).to_string())
                        .or_insert_with(|| RefOr::T(response.clone()));
                }
            }
        }
    }
}

/// The refusals of a body that is stored whole or not at all (a push, a decision with its
/// documents, a supplement), listed once for the operations that take one.
pub struct UploadRefusals;

impl utoipa::IntoResponses for UploadRefusals {
    fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
        [
            (
                "409",
                "Conflicts with what is stored (other content under the same receipt code, a leg in another state, another decision)",
            ),
            ("413", "The body is over the limit of the file or of the token"),
            ("415", "Wrong content type"),
            ("422", "Validation: every problem with its JSON path"),
        ]
        .into_iter()
        .map(|(status, description)| (status.to_string(), RefOr::T(error_response(description).build())))
        .collect()
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "lienthong — cổng liên thông 3 thủ tục cho trẻ dưới 6 tuổi",
        description = "The agency API of the 3-in-1 newborn gateway: one-stop systems push cases and follow them; police and insurance systems report signed decisions; operators resend and read reports. Errors are `{\"error\": {code, message, fields?}}` with a Vietnamese message.",
    ),
    paths(
        api::push_case,
        api::find_cases,
        api::get_case,
        supplement::supplement,
        deadlines::apology,
        deadlines::confirm_apology,
        deadlines::print_apology,
        deadlines::reports,
        deadlines::overview,
        api::decide,
        api::bulk_resend,
        api::resend,
        super::sms_inbound::inbound,
        super::journey::record,
        super::journey::postal_event,
        super::withdrawal::withdraw,
        super::public::status_api,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, Deadline, PushAnswer, CaseBody, LegBody, AttemptBody, AttachmentBody, EventBody,
        SupplementBody, SupplementParts, DecisionParts, LaterFileBody, BulkResendBody, BulkResendAnswer, SupplementAnswer, ConfirmBody, ConfirmAnswer, DecisionAnswer, ResendAnswer,
        DeadlinesOverview, CalendarWarnings, crate::report::Report, crate::store::clocks::Apology,
        crate::store::notices::Notice, crate::domain::FieldProblem,
        crate::family::status::FamilyStatus, crate::family::status::Step,
        super::sms_inbound::InboundSms, super::sms_inbound::InboundAnswer,
        crate::journey::StepBody, super::journey::StepAnswer, super::journey::PostalEvent,
        super::withdrawal::WithdrawBody, super::withdrawal::WithdrawAnswer,
    )),
    modifiers(&BearerToken, &CommonErrors),
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
