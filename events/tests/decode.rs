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

/// A producer that ships `leave.requested` v2 before its readers: they know
/// v2 (besides v1, which is still written) and read it into the v1 payload.
#[test]
fn a_known_newer_version_is_read_into_the_written_payload() {
    let (v2, expected) = fixtures::leave_requested_v2();
    assert_eq!(v2.dataschema().map(|u| u.as_str()), Some("urn:hrms:schema:leave.requested:v2"));
    assert_eq!(HrmsEvent::from_cloudevent(&v2).expect("v2 is read"), expected);
    let structured = serde_json::to_string(&v2).expect("json");
    assert_eq!(HrmsEvent::from_structured_json(&structured).expect("v2 is read"), expected);
    // As bytes, as after a transport.
    let mut bytes = v2.clone();
    let (ct, schema, data) = bytes.take_data();
    let Some(Data::Json(json)) = data else { panic!("JSON data") };
    bytes.set_data(ct.unwrap_or_default(), Data::Binary(serde_json::to_vec(&json).expect("json")));
    bytes.set_dataschema(schema);
    assert_eq!(HrmsEvent::from_cloudevent(&bytes).expect("v2 is read"), expected);
}

#[test]
fn each_version_is_read_by_its_own_schema_and_unknown_ones_are_refused() {
    let (v2, expected) = fixtures::leave_requested_v2();
    let v1 = expected.to_cloudevent();
    let with_schema = |event: &Event, version: u32| {
        let mut event = event.clone();
        let uri = format!("urn:hrms:schema:leave.requested:v{version}");
        event.set_dataschema(Some(url::Url::parse(&uri).expect("url")));
        HrmsEvent::from_cloudevent(&event)
    };
    assert!(matches!(with_schema(&v2, 1), Err(DecodeError::Payload { ty: "leave.requested", .. })));
    assert!(matches!(with_schema(&v1, 2), Err(DecodeError::Payload { ty: "leave.requested", .. })));
    for unknown in [0, 3] {
        let refused = with_schema(&v2, unknown);
        assert!(
            matches!(&refused, Err(DecodeError::SchemaVersion { dataschema, .. }) if dataschema.ends_with(&format!(":v{unknown}"))),
            "v{unknown}: {refused:?}"
        );
    }
    // v2 is known for leave.requested only.
    let mut approved = fixtures::sample(EventType::LeaveApproved).to_cloudevent();
    approved.set_dataschema(Some(url::Url::parse("urn:hrms:schema:leave.approved:v2").expect("url")));
    assert!(matches!(HrmsEvent::from_cloudevent(&approved), Err(DecodeError::SchemaVersion { .. })));
    // Another type's schema is not this type's.
    let mut borrowed = fixtures::sample(EventType::LeaveApproved).to_cloudevent();
    borrowed.set_dataschema(Some(url::Url::parse("urn:hrms:schema:leave.requested:v1").expect("url")));
    assert!(matches!(HrmsEvent::from_cloudevent(&borrowed), Err(DecodeError::SchemaVersion { .. })));
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
