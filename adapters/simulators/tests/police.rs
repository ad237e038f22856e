//! The police adapter passes the conformance kit against its simulator over real HTTP.

use lienthong_contract::samples::sample_case;
use lienthong_police_residence::PoliceResidenceAdapter;
use lienthong_simulators::conformance::check;
use lienthong_simulators::police as sim;
use lienthong_simulators::sim::Faults;

#[tokio::test]
async fn police_adapter_conforms() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = sim::spawn(listener, Faults::default(), 1, None);
    check(&PoliceResidenceAdapter, &handle, &handle.url(), sample_case)
        .await
        .unwrap();
}
