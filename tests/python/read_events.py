"""An independent reader of the HRMS topics.

Reads notification-queue and audit-queue from the beginning with
confluent-kafka, parses every record with the CloudEvents Python SDK's Kafka
binding, and checks each one against the catalogue the Rust side passes in:
spec version, UUIDv7 id, source, type and its topic, subject, time,
content type, data schema, partition key (header and record key), actor and
a JSON object as data. Prints a JSON summary; exits 1 on any error.
"""

import argparse
import json
import sys
import time
import uuid
from collections import Counter

from cloudevents.core.bindings import kafka as ce_kafka
from confluent_kafka import Consumer, KafkaError

TOPICS = ["notification-queue", "audit-queue"]


def check(record, catalogue):
    """Returns the problems of one record (empty when it is a valid event)."""
    headers = {k: v for k, v in (record.headers() or []) if v is not None}
    problems = []
    try:
        event = ce_kafka.from_binary_event(
            ce_kafka.KafkaMessage(headers=headers, key=record.key(), value=record.value())
        )
    except Exception as error:  # the SDK rejects the record: report why
        return [f"not a CloudEvent: {error!r}"], None

    ty = event.get_type()
    spec = catalogue.get(ty)
    if spec is None:
        return [f"unknown type {ty!r}"], ty
    if event.get_specversion() != "1.0":
        problems.append(f"specversion {event.get_specversion()!r}")
    try:
        if uuid.UUID(event.get_id()).version != 7:
            problems.append("id is not a UUIDv7")
    except ValueError:
        problems.append(f"id {event.get_id()!r} is not a UUID")
    if event.get_source() != spec["source"]:
        problems.append(f"source {event.get_source()!r}, want {spec['source']!r}")
    if record.topic() != spec["topic"]:
        problems.append(f"on topic {record.topic()!r}, want {spec['topic']!r}")
    if not event.get_subject():
        problems.append("no subject")
    if event.get_time() is None:
        problems.append("no time")
    if event.get_datacontenttype() != "application/json":
        problems.append(f"datacontenttype {event.get_datacontenttype()!r}")
    if event.get_dataschema() != spec["dataschema"]:
        problems.append(f"dataschema {event.get_dataschema()!r}, want {spec['dataschema']!r}")
    key = record.key().decode() if record.key() is not None else None
    header_key = headers.get("ce_partitionkey", b"").decode() or None
    if key is None or header_key != key:
        problems.append(f"record key {key!r} differs from ce_partitionkey {header_key!r}")
    if not headers.get("ce_actor"):
        problems.append("no actor")
    if not isinstance(event.get_data(), dict):
        problems.append("data is not a JSON object")
    return problems, ty


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--expect", type=int, required=True, help="records to read")
    parser.add_argument("--catalogue", required=True, help="JSON list of {type, topic, source, dataschema}")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    catalogue = {entry["type"]: entry for entry in json.loads(args.catalogue)}

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": f"python-reader-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "max.poll.interval.ms": 10000,
    })
    consumer.subscribe(TOPICS)
    types, errors, records = Counter(), [], 0
    deadline = time.monotonic() + args.timeout
    try:
        while records < args.expect and time.monotonic() < deadline:
            record = consumer.poll(0.2)
            if record is None:
                continue
            if record.error():
                if record.error().code() != KafkaError._PARTITION_EOF:
                    errors.append(f"consumer: {record.error()}")
                continue
            records += 1
            problems, ty = check(record, catalogue)
            if ty is not None:
                types[ty] += 1
            for problem in problems:
                errors.append(f"{record.topic()}/{record.partition()}@{record.offset()} {ty}: {problem}")
    finally:
        consumer.close()
    if records < args.expect:
        errors.append(f"read {records} of {args.expect} records within {args.timeout} s")
    print(json.dumps({"records": records, "types": dict(types), "errors": errors}))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
