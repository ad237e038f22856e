//! The published contract: an OpenAPI 3.1 document generated from the handlers' annotations and
//! the body types they serialize, served at `/api/v1/openapi.json` without a token so a
//! connecting agency can read it before it has one.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::bodies::{
    AttachmentBody, AttemptBody, CalendarWarnings, CaseBody, ConfirmAnswer, ConfirmBody, Deadline, DeadlinesOverview,
    DecisionAnswer, ErrorBody, ErrorDetail, EventBody, LegBody, PushAnswer, ResendAnswer, SupplementAnswer,
    SupplementBody,
};
use super::{api, deadlines};

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
        deadlines::supplement,
        deadlines::apology,
        deadlines::confirm_apology,
        deadlines::print_apology,
        deadlines::reports,
        deadlines::overview,
        api::decide,
        api::resend,
    ),
    components(schemas(
        ErrorBody, ErrorDetail, Deadline, PushAnswer, CaseBody, LegBody, AttemptBody, AttachmentBody, EventBody,
        SupplementBody, SupplementAnswer, ConfirmBody, ConfirmAnswer, DecisionAnswer, ResendAnswer,
        DeadlinesOverview, CalendarWarnings, crate::report::Report, crate::store::clocks::Apology,
        crate::store::notices::Notice, crate::domain::FieldProblem,
    )),
    modifiers(&BearerToken),
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
