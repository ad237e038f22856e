//! The one-stop adapter passes the conformance kit against its simulator, signing every result.

use lienthong_contract::samples::sample_result;
use lienthong_onestop::OnestopAdapter;
use lienthong_simulators::conformance::check;
use lienthong_simulators::onestop as sim;
use lienthong_simulators::sim::Faults;

#[tokio::test]
async fn onestop_adapter_conforms() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = sim::spawn(listener, Faults::default(), 1, b"conformance-secret-0001");
    check(
        &OnestopAdapter::new(b"conformance-secret-0001"),
        &handle,
        &format!("{}/onestop/results", handle.url()),
        sample_result,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_wrong_secret_is_a_permanent_refusal() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = sim::spawn(listener, Faults::default(), 1, b"conformance-secret-0001");
    let ep = lienthong_contract::Endpoint {
        base_url: format!("{}/onestop/results", handle.url()),
        timeout: std::time::Duration::from_secs(5),
        http: lienthong_contract::adapter::http_client(),
    };
    let err = lienthong_contract::Adapter::submit(
        &OnestopAdapter::new(b"another-secret-00001"),
        &ep,
        &sample_result("k").message,
        Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(!err.is_transient(), "{err}");
}
