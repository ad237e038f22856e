//! The printable results of a case (docs/result-documents.md): what each agency decided, and
//! every file of the case with the time it was received and its SHA-256, on one sheet the commune
//! prints or forwards; a printout is checked against the case's audit trail by those hashes.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use lienthong_contract::LegKind;

use super::cases::{documents, result_text, view, visible_case, CaseView, DocLine};
use super::labels;
use super::session::Signed;
use super::{failed, render, Nav};
use crate::web::path_ids::CasePath;
use crate::web::AppState;

/// One agency's decision in words.
pub struct DecisionLine {
    pub procedure: &'static str,
    pub state: &'static str,
    pub text: String,
    pub decided: String,
}

#[derive(Template)]
#[template(path = "results.html")]
struct ResultsPage {
    nav: Option<Nav>,
    c: CaseView,
    decisions: Vec<DecisionLine>,
    documents: Vec<DocLine>,
    printed: String,
}

/// `GET /cases/{id}/results`: the results sheet.
pub async fn page(State(state): State<AppState>, signed: Signed, CasePath(id): CasePath) -> Response {
    let (row, bundle) = match visible_case(&state, &signed, &id).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (legs, supplied, issued) = match tokio::try_join!(
        state.store.legs(&id),
        state.store.supplied_files(&id),
        state.store.result_documents(&id)
    ) {
        Ok(v) => v,
        Err(e) => return failed(e),
    };
    let decisions = legs
        .iter()
        .filter(|l| l.name != LegKind::Return)
        .map(|l| DecisionLine {
            procedure: labels::leg_name(l.name),
            state: labels::leg_state(l.state),
            text: l.result.as_ref().map(|r| result_text(l.name, r)).unwrap_or_default(),
            decided: l.completed_at_ms.map(labels::when).unwrap_or_default(),
        })
        .collect();
    render(&ResultsPage {
        nav: Nav::of(&signed),
        c: view(&state, &row, &bundle, false),
        decisions,
        documents: documents(&row, &bundle, &supplied, &issued),
        printed: labels::when(state.store.now_ms()),
    })
}
