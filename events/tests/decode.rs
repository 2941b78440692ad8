//! Decoding: every fixture survives the CloudEvent round trip, each contract
//! breach is a typed error, and arbitrary input never panics.

use hrms_events::cloudevents::event::{Data, ExtensionValue};
use hrms_events::cloudevents::{AttributesReader, AttributesWriter, Event, EventBuilder, EventBuilderV10};
use hrms_events::{DecodeError, EventType, HrmsEvent, fixtures};
use proptest::prelude::*;

#[test]
fn every_type_round_trips_with_its_attributes() {
    for event in fixtures::all() {
        let ce = event.to_cloudevent();
        let ty = event.event_type();
        assert_eq!(ce.ty(), ty.as_str());
        assert_eq!(ce.source(), &format!("/hrms/{}", ty.service()));
        assert_eq!(ce.subject(), Some(event.subject().as_str()));
        assert_eq!(ce.datacontenttype(), Some("application/json"));
        assert_eq!(ce.dataschema().map(|u| u.as_str()), Some(ty.schema_uri().as_str()));
        assert_eq!(ce.extension("partitionkey"), Some(&ExtensionValue::String(event.partition_key())));
        assert_eq!(ce.extension("actor"), Some(&ExtensionValue::String(format!("{}", fixtures::HR))));
        assert_eq!(uuid::Uuid::parse_str(ce.id()).map(|u| u.get_version_num()), Ok(7));
        assert_eq!(HrmsEvent::from_cloudevent(&ce).expect("decodes"), event, "{ty}");
    }
}

#[test]
fn data_as_bytes_decodes_as_after_a_transport() {
    let event = fixtures::sample(EventType::LeaveRequested)
        .with_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    let mut ce = event.to_cloudevent();
    let bytes = serde_json::to_vec(&event.payload.to_json()).expect("json");
    ce.set_data("application/json", Data::Binary(bytes));
    assert_eq!(HrmsEvent::from_cloudevent(&ce).expect("decodes"), event);
}

fn base() -> Event {
    fixtures::sample(EventType::EmployeeTerminated).to_cloudevent()
}

#[test]
fn contract_breaches_are_typed_errors() {
    let mut unknown = base();
    unknown.set_type("employee.promoted");
    assert!(
        matches!(HrmsEvent::from_cloudevent(&unknown), Err(DecodeError::UnknownType(t)) if t == "employee.promoted")
    );

    let mut no_schema = base();
    let (ct, _, data) = no_schema.take_data();
    no_schema.set_data(ct.unwrap_or_default(), data.unwrap_or(Data::Binary(vec![])));
    assert!(matches!(HrmsEvent::from_cloudevent(&no_schema), Err(DecodeError::Missing("dataschema"))));

    let mut v9 = base();
    v9.set_dataschema(Some(url::Url::parse("urn:hrms:schema:employee.terminated:v9").expect("url")));
    assert!(matches!(HrmsEvent::from_cloudevent(&v9), Err(DecodeError::SchemaVersion { .. })));

    let mut spoofed = base();
    spoofed.set_source("/hrms/leave");
    assert!(matches!(HrmsEvent::from_cloudevent(&spoofed), Err(DecodeError::Invalid { name: "source", .. })));

    let mut no_actor = base();
    no_actor.remove_extension("actor");
    assert!(matches!(HrmsEvent::from_cloudevent(&no_actor), Err(DecodeError::Missing("actor"))));

    let mut wrong_key = base();
    wrong_key.set_extension("partitionkey", "someone-else");
    assert!(matches!(
        HrmsEvent::from_cloudevent(&wrong_key),
        Err(DecodeError::Invalid { name: "partitionkey", .. })
    ));

    let mut bad_payload = base();
    bad_payload.set_data("application/json", Data::Binary(br#"{"employee_id": 42}"#.to_vec()));
    assert!(matches!(
        HrmsEvent::from_cloudevent(&bad_payload),
        Err(DecodeError::Payload { ty: "employee.terminated", .. })
    ));

    let mut xml = base();
    let schema = xml.dataschema().cloned();
    xml.set_data("application/xml", Data::Binary(b"<x/>".to_vec()));
    xml.set_dataschema(schema);
    assert!(matches!(HrmsEvent::from_cloudevent(&xml), Err(DecodeError::ContentType(_))));
}

fn type_name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(EventType::ALL.iter().map(|t| t.as_str().to_owned()).collect::<Vec<_>>()),
        "[a-z._]{0,24}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary attributes and bytes: a typed result, never a panic.
    #[test]
    fn arbitrary_events_never_panic(
        ty in type_name(),
        id in "[0-9a-f-]{0,40}",
        source in "/hrms/[a-z]{0,12}",
        schema_version in 0u32..3,
        data in proptest::collection::vec(any::<u8>(), 0..256),
        json in proptest::option::of("\\{\"[a-z_]{1,12}\": ?(\"[a-z]{0,8}\"|[0-9]{1,4}|null)\\}"),
        key in proptest::option::of("[a-z0-9-]{0,36}"),
    ) {
        let mut builder = EventBuilderV10::new().id(id).source(source).ty(ty.clone()).subject("s")
            .time(chrono::Utc::now())
            .data_with_schema("application/json", format!("urn:hrms:schema:{ty}:v{schema_version}"),
                json.map(|j| j.into_bytes()).unwrap_or(data))
            .extension("actor", "someone");
        if let Some(k) = key { builder = builder.extension("partitionkey", k); }
        if let Ok(event) = builder.build() {
            let _ = HrmsEvent::from_cloudevent(&event);
        }
    }

    /// Any byte flipped in a valid payload: a typed result, never a panic.
    #[test]
    fn corrupted_payloads_never_panic(index in 0usize..33, position in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let event = fixtures::sample(EventType::ALL[index % EventType::ALL.len()]);
        let mut bytes = serde_json::to_vec(&event.payload.to_json()).expect("json");
        let at = position.index(bytes.len());
        bytes[at] = byte;
        let mut ce = event.to_cloudevent();
        let schema = ce.dataschema().cloned();
        ce.set_data("application/json", Data::Binary(bytes));
        ce.set_dataschema(schema);
        let _ = HrmsEvent::from_cloudevent(&ce);
    }
}
