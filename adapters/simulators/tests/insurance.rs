//! The insurance adapter passes the conformance kit against its simulator over real HTTP, and its
//! XML carries the declaration generated from the bundle.

use lienthong_contract::samples::sample_case;
use lienthong_contract::Message;
use lienthong_simulators::conformance::check;
use lienthong_simulators::insurance as sim;
use lienthong_simulators::sim::Faults;
use lienthong_social_insurance::wire::{from_xml, to_xml, CardRequest};
use lienthong_social_insurance::SocialInsuranceAdapter;

#[tokio::test]
async fn insurance_adapter_conforms() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handle = sim::spawn(listener, Faults::default(), 1, None);
    check(&SocialInsuranceAdapter, &handle, &handle.url(), sample_case)
        .await
        .unwrap();
}

#[test]
fn the_card_request_round_trips_through_xml_with_its_declaration() {
    let Message::Case(env) = sample_case("xml-1").message else {
        unreachable!()
    };
    let req = CardRequest::from_envelope(&env);
    let xml = to_xml(&req).unwrap();
    assert!(xml.contains("<HoTen>Nguyễn Ngọc Ánh</HoTen>"), "{xml}");
    assert!(xml.contains("<DoiTuong>TE</DoiTuong>"));
    assert!(xml.contains("<HanTheDen>2032-11-09</HanTheDen>"));
    let back: CardRequest = from_xml(&xml).unwrap();
    assert_eq!(back, req);
}
