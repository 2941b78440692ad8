"""Checks of the deployment artefacts, run by the Rust tests in tests/deploy/:

  validate SCHEMAS_DIR MANIFESTS   every document of the rendered MANIFESTS
                                   (`kubectl kustomize` output) against its
                                   schema: core kinds against Kubernetes' own
                                   (kubernetes-validate, strict), custom
                                   resources against the openAPIV3Schema of
                                   their CRD in SCHEMAS_DIR, where an object
                                   with listed properties takes no others
                                   (unless the CRD preserves unknown fields);
                                   a custom resource's metadata against
                                   Kubernetes' ObjectMeta.
  topics TABLE_JSON MANIFESTS      the KafkaTopics, KafkaSinks and KafkaSources
                                   agree with the events crate's topic table.
  metrics SOURCE_DIR MANIFESTS DASHBOARD
                                   every hrms_* metric named by the alerts and
                                   the dashboard is one the code records.
  rules MANIFESTS OUT              writes the PrometheusRule's groups as a
                                   Prometheus rule file (for promtool).
  tables LAYOUT_JSON TF_FILE        the DynamoDB tables of the terraform module are
                                   those the code creates (keys, indexes), with
                                   on-demand billing, PITR and encryption.
  hcl DIR                          every .tf file under DIR parses (python-hcl2).
  deliveries TABLE_JSON MANIFESTS  every KafkaSource delivers to a cluster-local
                                   Service, and every Service serving a
                                   /deliveries route of the consumer table
                                   authenticates it (Knative Eventing's OIDC:
                                   HRMS_INTAKE_*, or HRMS_DELIVERY_TOKEN).
  consumers TABLE_JSON MANIFESTS COMPOSE
                                   every consumer of the code's table has a
                                   deployed path: a KafkaSource (its topics,
                                   group, ordering, route, retries outlasting
                                   a store outage of hours, KEDA scaling on
                                   lag) whose OIDC token the sink admits, an
                                   EventPolicy letting only it in, read ACLs of
                                   the source's and the function's KafkaUsers,
                                   and a `--consume` service in compose.
  identities MANIFESTS             every function runs as a ServiceAccount of
                                   its own (no token mounted) and reaches
                                   Kafka as its own KafkaUser; where roles are
                                   annotated, each has its own IAM role.
  iam TF_FILE FUNCTIONS_JSON       each function's IAM role may use only its
                                   own table; the audit role may only read
                                   and put (no update, delete, batch write).
  knative MANIFESTS                every Knative Service keeps the rules Knative
                                   Serving's webhook enforces beyond the CRD
                                   schema (reserved paths, variables, ports,
                                   one port named http1 or h2c, probes on it,
                                   volumes all mounted, scale bounds).
  workloads MANIFESTS OUT_DIR      writes each Knative Service's revision
                                   template as the Deployment Knative makes of
                                   it, so that checkov's workload checks (which
                                   know no Knative kinds) examine its pod spec.

Each prints what it checked and exits 1 naming every problem."""

import copy
import json
import os
import pathlib
import re
import sys

import yaml

KUBERNETES_VERSION = "1.33"


# libyaml's loader where PyYAML has it: the CRDs are large.
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def documents(path):
    with open(path, encoding="utf-8") as file:
        return [d for d in yaml.load_all(file, Loader=LOADER) if d]


def fail(problems):
    for problem in problems:
        print(f"FAIL {problem}")
    sys.exit(1 if problems else 0)


# --- validate ---------------------------------------------------------------


def strict(schema):
    """The CRD's structural schema as JSON Schema that refuses unknown fields,
    as the API server prunes (and `kubectl --validate=strict` refuses) them."""
    if isinstance(schema, list):
        return [strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict(v) if k not in ("enum", "default", "example", "required") else v for k, v in schema.items()}
    if "properties" in out:
        out["properties"] = {k: strict(v) for k, v in schema["properties"].items()}
        if "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    if out.get("x-kubernetes-int-or-string") and "anyOf" not in out:
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if out.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def crd_schemas(directory):
    """(group/version, kind) -> strict schema, from every CRD in `directory`."""
    schemas = {}
    for path in sorted(pathlib.Path(directory).glob("*.yaml")):
        for crd in documents(path):
            if crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schema = strict(version["schema"]["openAPIV3Schema"])
                    # Every object has these, listed in its CRD or not.
                    for field, type_ in (("apiVersion", "string"), ("kind", "string"), ("metadata", "object")):
                        schema.setdefault("properties", {}).setdefault(field, {"type": type_})
                    schemas[(f"{group}/{version['name']}", kind)] = (schema, path.name)
    return schemas


def validate(schemas_dir, manifests):
    import functools

    import jsonschema
    import kubernetes_validate
    import kubernetes_validate.utils

    # It reads and parses its (large) schema files again on every call.
    contents = kubernetes_validate.utils.schema_contents
    kubernetes_validate.utils.schema_contents = functools.lru_cache(maxsize=None)(contents)
    schemas = crd_schemas(schemas_dir)
    problems, checked = [], 0
    for doc in documents(manifests):
        api, kind = doc.get("apiVersion", ""), doc.get("kind", "")
        name = f"{kind}/{doc.get('metadata', {}).get('name', '?')}"
        group = api.split("/")[0] if "/" in api else ""
        core = group == "" or group.endswith(".k8s.io") or "." not in group
        try:
            if core:
                kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
                source = f"Kubernetes {KUBERNETES_VERSION}"
            else:
                if (api, kind) not in schemas:
                    problems.append(f"{name}: no CRD schema for {api} {kind} in {schemas_dir}")
                    continue
                schema, source = schemas[(api, kind)]
                validator = jsonschema.Draft4Validator(schema)
                errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
                for error in errors:
                    path = ".".join(str(p) for p in error.absolute_path) or "(root)"
                    problems.append(f"{name}: {path}: {error.message}")
                if not doc.get("metadata", {}).get("name"):
                    problems.append(f"{name}: metadata.name is missing")
                # The metadata of a custom resource is Kubernetes' ObjectMeta.
                wrapper = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": doc.get("metadata", {})}
                kubernetes_validate.validate(wrapper, KUBERNETES_VERSION, strict=True)
                if errors:
                    continue
        except kubernetes_validate.SchemaNotFoundError as e:
            problems.append(f"{name}: {e.message}")
            continue
        except kubernetes_validate.ValidationError as e:
            path = ".".join(str(p) for p in e.absolute_path) or "(root)"
            problems.append(f"{name}: {path}: {e.message}")
            continue
        checked += 1
        print(f"ok {name} ({api}, {source})")
    print(f"{checked} documents valid, {len(problems)} problems")
    fail(problems)


# --- topics -----------------------------------------------------------------


def topics(table_json, manifests):
    with open(table_json, encoding="utf-8") as file:
        table = json.load(file)
    docs = documents(manifests)
    by_kind = lambda kind: [d for d in docs if d.get("kind") == kind]
    kafka_topics = {d["spec"].get("topicName", d["metadata"]["name"]): d["spec"] for d in by_kind("KafkaTopic")}
    sinks = {d["spec"]["topic"]: d["spec"] for d in by_kind("KafkaSink")}
    sources = by_kind("KafkaSource")
    problems = []
    names = {t["name"] for t in table}
    for extra in sorted(set(kafka_topics) - names):
        problems.append(f"KafkaTopic {extra} is not in the events crate's table")
    for t in table:
        name = t["name"]
        want = {
            "partitions": t["partitions"],
            "replicas": t["replication_factor"],
            "retention.ms": t["retention_ms"],
            "min.insync.replicas": t["min_insync_replicas"],
        }
        spec = kafka_topics.get(name)
        if spec is None:
            problems.append(f"{name}: no KafkaTopic")
        else:
            config = spec.get("config", {})
            got = {
                "partitions": spec.get("partitions"),
                "replicas": spec.get("replicas"),
                "retention.ms": int(config.get("retention.ms", -1)),
                "min.insync.replicas": int(config.get("min.insync.replicas", -1)),
            }
            for key in want:
                if got[key] != want[key]:
                    problems.append(f"KafkaTopic {name}: {key} is {got[key]}, the table says {want[key]}")
        sink = sinks.get(name)
        if sink is None:
            problems.append(f"{name}: no KafkaSink")
        elif (sink.get("numPartitions"), sink.get("replicationFactor")) != (t["partitions"], t["replication_factor"]):
            problems.append(
                f"KafkaSink of {name}: {sink.get('numPartitions')} partitions, replication "
                f"{sink.get('replicationFactor')}; the table says {t['partitions']}, {t['replication_factor']}"
            )
        if not t["is_dlq"]:
            readers = [s for s in sources if name in s["spec"].get("topics", [])]
            groups = sorted(s["spec"].get("consumerGroup") for s in readers)
            if t["consumer_group"] not in groups:
                problems.append(f"{name}: no KafkaSource in group {t['consumer_group']} (groups: {groups})")
            for s in readers:
                dead = s["spec"].get("delivery", {}).get("deadLetterSink", {}).get("ref", {}).get("name")
                dlq = next((d for d in by_kind("KafkaSink") if d["metadata"]["name"] == dead), None)
                if dlq is None or dlq["spec"]["topic"] != t["dlq"]:
                    problems.append(f"KafkaSource {s['metadata']['name']}: dead letters do not go to {t['dlq']}")
                if s["spec"].get("consumers", 1) > t["partitions"]:
                    problems.append(f"KafkaSource {s['metadata']['name']}: more consumers than partitions")
    print(f"{len(table)} topics compared with {len(kafka_topics)} KafkaTopics, {len(sinks)} KafkaSinks, "
          f"{len(sources)} KafkaSources")
    fail(problems)


# --- metrics ----------------------------------------------------------------

# What Strimzi's Kafka Exporter reports that the alerts and dashboard use.
KAFKA_EXPORTER = {"kafka_consumergroup_lag", "kafka_topic_partition_current_offset"}


def recorded_metrics(source_dirs):
    """name -> kind, for every metric the Rust code under `source_dirs` (joined by os.pathsep) records."""
    pattern = re.compile(r'metrics::(counter|gauge|histogram)!\(\s*"([a-z0-9_]+)"')
    found = {}
    paths = [p for d in source_dirs.split(os.pathsep) for p in pathlib.Path(d).rglob("*.rs")]
    for path in paths:
        for kind, name in pattern.findall(path.read_text(encoding="utf-8")):
            found[name] = kind
    return found


def metrics(source_dir, manifests, dashboard):
    recorded = recorded_metrics(source_dir)
    exprs = []
    for doc in documents(manifests):
        if doc.get("kind") == "PrometheusRule":
            for group in doc["spec"]["groups"]:
                exprs += [(f"alert {r.get('alert', r.get('record'))}", r["expr"]) for r in group["rules"]]
    with open(dashboard, encoding="utf-8") as file:
        for panel in json.load(file)["panels"]:
            exprs += [(f"panel {panel['title']}", t["expr"]) for t in panel.get("targets", [])]
    problems, used = [], set()
    for where, expr in exprs:
        for name in re.findall(r"\b((?:hrms|kafka)_[a-z0-9_]+)", expr):
            used.add(name)
            if name.startswith("kafka_"):
                if name not in KAFKA_EXPORTER:
                    problems.append(f"{where}: {name} is not a Kafka Exporter metric this check knows")
                continue
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            if name in recorded:
                if recorded[name] == "histogram":
                    problems.append(f"{where}: {name} is a histogram: use {name}_bucket, _sum or _count")
            elif base in recorded and recorded[base] == "histogram":
                pass
            else:
                problems.append(f"{where}: {name} is recorded nowhere under {source_dir}")
    print(f"{len(exprs)} expressions use {len(used)} metrics; the code records {len(recorded)}")
    if not exprs:
        problems.append("no expressions found")
    fail(problems)


# --- rules ------------------------------------------------------------------


def rules(manifests, out):
    groups = [g for d in documents(manifests) if d.get("kind") == "PrometheusRule" for g in d["spec"]["groups"]]
    if not groups:
        fail(["no PrometheusRule in the manifests"])
    with open(out, "w", encoding="utf-8") as file:
        yaml.safe_dump({"groups": copy.deepcopy(groups)}, file, sort_keys=False)
    print(f"{len(groups)} rule groups written to {out}")


# --- tables -----------------------------------------------------------------


def unquote(value):
    return value[1:-1] if isinstance(value, str) and value.startswith('"') and value.endswith('"') else value


def tables(layout_json, tf_file):
    import hcl2

    with open(layout_json, encoding="utf-8") as file:
        code = json.load(file)
    with open(tf_file, encoding="utf-8") as file:
        tf = hcl2.load(file)
    declared = next(block["tables"] for block in tf.get("locals", []) if "tables" in block)
    table = next(r['"aws_dynamodb_table"']['"function"'] for r in tf["resource"] if '"aws_dynamodb_table"' in r)
    problems = []
    for key, want in (("billing_mode", "PAY_PER_REQUEST"), ("hash_key", "pk"), ("range_key", "sk")):
        if unquote(table.get(key)) != want:
            problems.append(f"aws_dynamodb_table: {key} is {table.get(key)}, the code makes {want}")
    if table.get("point_in_time_recovery", [{}])[0].get("enabled") is not True:
        problems.append("aws_dynamodb_table: point-in-time recovery is not enabled")
    if table.get("server_side_encryption", [{}])[0].get("enabled") is not True:
        problems.append("aws_dynamodb_table: server-side encryption is not enabled")
    for block in table.get("dynamic", []):
        for label, body in block.items():
            content, label = body["content"][0], unquote(label)
            if label == "attribute" and unquote(content.get("type")) != "S":
                problems.append("aws_dynamodb_table: key attributes are strings (S) in the code")
            if label.endswith("secondary_index") and unquote(content.get("projection_type")) != "ALL":
                problems.append(f"aws_dynamodb_table: {label} projects {content.get('projection_type')}, the code ALL")
    for service, layout in code.items():
        if service not in declared:
            problems.append(f"no table for {service} in {tf_file}")
            continue
        got = declared[service]
        for kind, tf_key in (("local", "local_indexes"), ("global", "global_indexes")):
            have = sorted((unquote(i["name"]), unquote(i["partition"]), unquote(i["sort"])) for i in got.get(tf_key, []))
            want = sorted((i["name"], i["partition"], i["sort"]) for i in layout[kind])
            if have != want:
                problems.append(f"{service}: {kind} indexes are {have}, the code makes {want}")
    print(f"{len(code)} tables of the code compared with {len(declared)} in {tf_file}")
    fail(problems)


# --- hcl --------------------------------------------------------------------


def hcl(directory):
    import hcl2

    problems, files = [], sorted(pathlib.Path(directory).rglob("*.tf"))
    for path in files:
        if ".terraform" in path.parts:
            continue
        try:
            with open(path, encoding="utf-8") as file:
                parsed = hcl2.load(file)
            print(f"ok {path} ({', '.join(sorted(parsed)) or 'empty'})")
        except Exception as e:  # noqa: BLE001 - any parse error is the finding
            problems.append(f"{path}: {e}")
    if not files:
        problems.append(f"no .tf files under {directory}")
    print(f"{len(files)} .tf files parsed, {len(problems)} problems")
    fail(problems)


# --- deliveries -------------------------------------------------------------

VISIBILITY = "networking.knative.dev/visibility"
TOKEN = "HRMS_DELIVERY_TOKEN"
INTAKE_OIDC = ("HRMS_INTAKE_ISSUER", "HRMS_INTAKE_JWKS_URL", "HRMS_INTAKE_AUDIENCE", "HRMS_INTAKE_SUBJECTS")


def load_json(path):
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def services_of(docs):
    return {d["metadata"]["name"]: d for d in docs if d.get("apiVersion", "").startswith("serving.knative.dev/")}


def container_of(service):
    return service["spec"]["template"]["spec"]["containers"][0]


def environment(service, docs):
    """The variables the Service's container gets: its ConfigMaps' data,
    then its own env (values only; secret references as None)."""
    container = container_of(service)
    maps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d.get("kind") == "ConfigMap"}
    env = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(maps.get(source["configMapRef"]["name"], {}))
    for var in container.get("env", []):
        env[var["name"]] = var.get("value")
    return env


def has_token(service):
    """Whether the Service's container gets HRMS_DELIVERY_TOKEN."""
    container = container_of(service)
    named = any(e.get("name") == TOKEN for e in container.get("env", []))
    secrets = [e["secretRef"]["name"] for e in container.get("envFrom", []) if "secretRef" in e]
    return named or any(name.startswith("hrms-delivery-token") for name in secrets)


def has_oidc(service, docs):
    env = environment(service, docs)
    return all(env.get(name) for name in INTAKE_OIDC)


def deliveries(table_json, manifests):
    functions = {row["function"] for row in load_json(table_json)}
    docs = documents(manifests)
    services = services_of(docs)
    sources = [d for d in docs if d.get("kind") == "KafkaSource"]
    problems = []
    for source in sources:
        name, sink = source["metadata"]["name"], source["spec"]["sink"]
        target = sink.get("ref", {}).get("name")
        service = services.get(target)
        if service is None:
            problems.append(f"KafkaSource {name} delivers to {target}, which is no Knative Service here")
        elif service["metadata"].get("labels", {}).get(VISIBILITY) != "cluster-local":
            problems.append(f"KafkaSource {name} delivers to Service {target}, which is reachable from outside the cluster")
    for name, service in services.items():
        args = container_of(service).get("args", [])
        if args[:1] == ["serve"] and args[1:2] and args[1] in functions and "--consume" not in args:
            if not (has_oidc(service, docs) or has_token(service)):
                problems.append(
                    f"Service {name} serves /deliveries/{args[1]} to anyone: neither {', '.join(INTAKE_OIDC)} nor {TOKEN}"
                )
    print(f"{len(sources)} KafkaSources, {len(services)} Knative Services checked")
    fail(problems)


# --- consumers --------------------------------------------------------------

# Knative Eventing's OIDC identity of a KafkaSource (pkg/auth, GetOIDCServiceAccountNameForResource).
SOURCE_SUBJECT = "system:serviceaccount:{namespace}:{name}-oidc-sources.knative.dev-kafkasource"
KEDA = "autoscaling.eventing.knative.dev"
# The lag alert's threshold (HrmsKafkaGroupLagHigh): scaling starts well below it.
LAG_ALERT = 1000
# A store outage of this long must not dead-letter an event of a consumer
# that retries until handled.
OUTAGE_SECONDS = 6 * 3600


def seconds(duration):
    """An ISO 8601 duration of the form PT1H2M3.5S, in seconds."""
    match = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?", duration or "")
    if not match:
        return None
    hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + secs


def retry_seconds(delivery):
    """How long Knative retries before dead-lettering: the sum of its pauses
    (exponential: delay x 2^i; linear: delay x i, for the i-th retry)."""
    retries, delay = delivery.get("retry", 0), seconds(delivery.get("backoffDelay"))
    if delay is None:
        return 0
    if delivery.get("backoffPolicy", "exponential") == "linear":
        return delay * retries * (retries + 1) / 2
    return delay * (2**retries - 1)


def acls(user):
    return [(a["resource"]["type"], a["resource"]["name"], set(a["operations"])) for a in user["spec"]["authorization"]["acls"]]


def may_read(user, kind, name):
    return any(t == kind and n == name and "Read" in ops for t, n, ops in acls(user))


def applies_to(policy, service):
    labels = service["metadata"].get("labels", {})
    for to in policy["spec"].get("to", []):
        ref, selector = to.get("ref"), to.get("selector")
        if ref and ref.get("kind") == "Service" and ref.get("name") == service["metadata"]["name"]:
            return True
        if selector and selector.get("kind") == "Service" and selector.get("apiVersion", "").startswith("serving.knative.dev/"):
            wanted = selector.get("matchLabels", {})
            if wanted and all(labels.get(k) == v for k, v in wanted.items()):
                return True
    return False


def compose_consumers(compose):
    """Each compose service's command and its environment."""
    with open(compose, encoding="utf-8") as file:
        services = yaml.safe_load(file).get("services", {})
    return {tuple(s.get("command", [])): s.get("environment", {}) for s in services.values()}


def consumers(table_json, manifests, compose):
    table = load_json(table_json)
    docs = documents(manifests)
    services = services_of(docs)
    sources = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "KafkaSource"}
    policies = [d for d in docs if d.get("kind") == "EventPolicy"]
    users = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "KafkaUser"}
    commands = compose_consumers(compose)
    problems, groups = [], {row["group"] for row in table}
    for name, source in sources.items():
        if source["spec"].get("consumerGroup") not in groups:
            problems.append(f"KafkaSource {name}: group {source['spec'].get('consumerGroup')} is no consumer of the code")
    for row in table:
        fn, group = row["function"], row["group"]
        topics = {t["name"] for t in row["topics"]}
        partitions = min(t["partitions"] for t in row["topics"])
        say = lambda what: problems.append(f"consumer {fn} ({group}): {what}")
        if ("serve", fn, "--consume") not in commands:
            say(f"compose runs no `serve {fn} --consume`")
        elif not commands[("serve", fn, "--consume")].get("KAFKA_GROUP_INSTANCE_ID"):
            say("compose's consumer is no static member (KAFKA_GROUP_INSTANCE_ID)")
        user = users.get(f"hrms-{fn}")
        dispatcher = users.get("hrms-knative-source")
        for who, u in ((f"KafkaUser hrms-{fn}", user), ("KafkaUser hrms-knative-source", dispatcher)):
            if u is None:
                say(f"no {who}")
                continue
            for topic in sorted(topics):
                if not may_read(u, "topic", topic):
                    say(f"{who} may not read topic {topic}")
            if not may_read(u, "group", group):
                say(f"{who} may not read in group {group}")
        found = [s for s in sources.values() if s["spec"].get("consumerGroup") == group]
        if len(found) != 1:
            say(f"{len(found)} KafkaSources in its group, not one")
            continue
        source = found[0]
        name, spec = source["metadata"]["name"], source["spec"]
        say = lambda what: problems.append(f"KafkaSource {name} ({fn}): {what}")
        if set(spec.get("topics", [])) != topics:
            say(f"reads {spec.get('topics')}, the code {sorted(topics)}")
        if spec.get("ordering", "ordered") != row["ordering"]:
            say(f"ordering {spec.get('ordering', 'ordered')}, the code {row['ordering']}")
        if spec.get("consumers", 1) > partitions:
            say(f"{spec.get('consumers')} consumers for {partitions} partitions")
        delivery = spec.get("delivery", {})
        if not delivery.get("deadLetterSink"):
            say("no dead-letter sink")
        if row["durable"] == "retry-until-handled" and retry_seconds(delivery) < OUTAGE_SECONDS:
            say(f"retries for {retry_seconds(delivery):.0f} s, less than a store outage of {OUTAGE_SECONDS // 3600} hours")
        annotations = source["metadata"].get("annotations", {})
        if annotations.get(f"{KEDA}/class") != "keda.autoscaling.knative.dev":
            say("does not scale on lag (KEDA class annotation)")
        lag = int(annotations.get(f"{KEDA}/lag-threshold", "100"))
        if not 0 < lag < LAG_ALERT:
            say(f"lag threshold {lag} is not below the alert's {LAG_ALERT}")
        if int(annotations.get(f"{KEDA}/max-scale", "50")) > partitions:
            say(f"max-scale above its {partitions} partitions")
        sink = spec.get("sink", {})
        if sink.get("uri") != f"/deliveries/{fn}":
            say(f"posts to {sink.get('uri')}, not /deliveries/{fn}")
        service = services.get(sink.get("ref", {}).get("name"))
        if service is None:
            say("its sink is no Knative Service here")
            continue
        target = service["metadata"]["name"]
        args = container_of(service).get("args", [])
        if args[:2] != ["serve", fn] or "--consume" in args:
            say(f"Service {target} runs {args}, not serve {fn}")
        env = environment(service, docs)
        subject = SOURCE_SUBJECT.format(namespace=source["metadata"].get("namespace", "default"), name=name)
        if not sink.get("audience") or env.get("HRMS_INTAKE_AUDIENCE") != sink.get("audience"):
            say(f"sends tokens for audience {sink.get('audience')}, Service {target} wants {env.get('HRMS_INTAKE_AUDIENCE')}")
        if subject not in [s.strip() for s in (env.get("HRMS_INTAKE_SUBJECTS") or "").split(",")]:
            say(f"Service {target} does not admit {subject} (HRMS_INTAKE_SUBJECTS)")
        for var in ("HRMS_INTAKE_ISSUER", "HRMS_INTAKE_JWKS_URL"):
            if not env.get(var):
                say(f"Service {target} has no {var}")
        applying = [p for p in policies if applies_to(p, service)]
        admitted = [f.get("ref", {}).get("name") for p in applying for f in p["spec"].get("from", [])
                    if f.get("ref", {}).get("kind") == "KafkaSource"]
        if name not in admitted:
            say(f"no EventPolicy lets it into Service {target}")
        for p in applying:
            for sender in p["spec"].get("from", []):
                ref = sender.get("ref", {})
                if ref.get("kind") != "KafkaSource" or ref.get("name") not in sources:
                    problems.append(f"EventPolicy {p['metadata']['name']} lets {sender} into Service {target}: not a KafkaSource of this system")
    print(f"{len(table)} consumers compared with {len(sources)} KafkaSources, {len(policies)} EventPolicies, "
          f"{len(users)} KafkaUsers and compose")
    fail(problems)


# --- identities and iam -----------------------------------------------------

ROLE = "eks.amazonaws.com/role-arn"


def identities(manifests):
    docs = documents(manifests)
    accounts = {d["metadata"]["name"]: d for d in docs if d.get("kind") == "ServiceAccount"}
    kafka_users = {d["metadata"]["name"] for d in docs if d.get("kind") == "KafkaUser"}
    problems, used = [], {}
    for name, service in services_of(docs).items():
        template = service["spec"]["template"]
        function = template.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/component")
        account = template["spec"].get("serviceAccountName")
        if account != f"hrms-{function}":
            problems.append(f"Service {name} ({function}) runs as {account}, not hrms-{function}")
        if account not in accounts:
            problems.append(f"Service {name}: no ServiceAccount {account}")
        elif accounts[account].get("automountServiceAccountToken") is not False:
            problems.append(f"ServiceAccount {account} mounts an API token")
        used.setdefault(account, set()).add(function)
        env = {e["name"]: e for e in container_of(service).get("env", [])}
        user = env.get("KAFKA_SASL_USERNAME", {}).get("value")
        secret = env.get("KAFKA_SASL_PASSWORD", {}).get("valueFrom", {}).get("secretKeyRef", {}).get("name")
        if (user, secret) != (f"hrms-{function}", f"hrms-{function}") or user not in kafka_users:
            problems.append(f"Service {name} ({function}) reaches Kafka as {user} (password of {secret}), not its KafkaUser")
    for account, functions in used.items():
        if len(functions) > 1:
            problems.append(f"ServiceAccount {account} is shared by {sorted(functions)}")
    roles = {name: a.get("metadata", {}).get("annotations", {}).get(ROLE) for name, a in accounts.items()}
    if any(roles.values()):
        for name, role in roles.items():
            if not role or not role.endswith(f"/{name}"):
                problems.append(f"ServiceAccount {name} has role {role}, not its own")
        if len(set(roles.values())) != len(roles):
            problems.append("two ServiceAccounts share an IAM role")
    print(f"{len(used)} ServiceAccounts of {len(services_of(docs))} Knative Services checked")
    fail(problems)


DYNAMODB_ITEM_ACTIONS = {
    "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
    "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
}
AUDIT_MAY = {"dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem"}
AUDIT_DENIED = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
OWN_TABLE = "aws_dynamodb_table.function[each.key]"


def iam(tf_file, functions_json):
    import hcl2

    with open(tf_file, encoding="utf-8") as file:
        tf = hcl2.load(file)
    functions = load_json(functions_json)
    blocks = lambda kind, group: [b for r in tf.get(kind, []) if f'"{group}"' in r for b in [r[f'"{group}"']]]
    merged = {}
    for block in tf.get("locals", []):
        merged.update(block)
    problems = []
    actions = {k: sorted(unquote(a) for a in v) for k, v in merged.get("table_actions", {}).items()}
    denied = {unquote(a) for a in merged.get("append_only", [])}
    for fn in functions:
        got = set(actions.get(fn, []))
        if not got:
            problems.append(f"{fn}: no table_actions")
        if not got <= DYNAMODB_ITEM_ACTIONS:
            problems.append(f"{fn} may {sorted(got - DYNAMODB_ITEM_ACTIONS)}: not item operations")
        if fn == "audit":
            if not got <= AUDIT_MAY or "dynamodb:PutItem" not in got:
                problems.append(f"audit may {sorted(got - AUDIT_MAY)}: it may only read and put")
            if not AUDIT_DENIED <= denied:
                problems.append(f"the audit role does not deny {sorted(AUDIT_DENIED - denied)}")
    roles = [b for group in blocks("resource", "aws_iam_role") for b in group.values()]
    if len(roles) != 1 or roles[0].get("for_each") != "${local.wanted}" or "each.key" not in roles[0].get("name", ""):
        problems.append(f"not one IAM role per function: {roles}")
    trusts = [b for group in blocks("data", "aws_iam_policy_document") for n, b in group.items() if unquote(n) == "trust"]
    subjects = [unquote(v) for t in trusts for s in t.get("statement", []) for c in s.get("condition", []) for v in c.get("values", [])]
    if subjects != ["system:serviceaccount:${var.namespace}:hrms-${each.key}"]:
        problems.append(f"the roles trust {subjects}, not each function's ServiceAccount")
    policies = [b for group in blocks("data", "aws_iam_policy_document") for n, b in group.items() if unquote(n) == "table"]
    if len(policies) != 1:
        problems.append("no policy document `table` per function")
    for policy in policies:
        statements = list(policy.get("statement", []))
        statements += [c for d in policy.get("dynamic", []) for body in d.values() for c in body.get("content", [])]
        for statement in statements:
            sid = unquote(statement.get("sid"))
            for resource in statement.get("resources", []):
                if OWN_TABLE not in resource and "aws_kms_key.tables.arn" not in resource:
                    problems.append(f"statement {sid} grants {unquote(resource)}: not the function's own table")
            if unquote(statement.get("effect", '"Allow"')) == "Allow" and any(OWN_TABLE in r for r in statement.get("resources", [])):
                if statement.get("actions") != "${local.table_actions[each.key]}":
                    problems.append(f"statement {sid} grants {statement.get('actions')}, not local.table_actions")
        deny = [s for s in statements if unquote(s.get("effect")) == "Deny"]
        audit_only = [d for dyn in policy.get("dynamic", []) for d in dyn.values()
                      if 'each.key == "audit"' in d.get("for_each", "")]
        if not any(s.get("actions") == "${local.append_only}" for s in deny) or not audit_only:
            problems.append("no Deny of local.append_only on the audit table")
    attached = [b for group in blocks("resource", "aws_iam_role_policy") for b in group.values()]
    if len(attached) != 1 or attached[0].get("role") != "${aws_iam_role.function[each.key].id}":
        problems.append(f"the policies are not attached each to its function's role: {attached}")
    print(f"{len(functions)} functions' roles checked in {tf_file}")
    fail(problems)


# --- knative ----------------------------------------------------------------

# Knative Serving's webhook (pkg/apis/serving/k8s_validation.go).
RESERVED_PATHS = {"/", "/dev", "/dev/log", "/tmp", "/var", "/var/log"}
RESERVED_ENV = {"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"}
# The queue-proxy's ports (8012, 8013, 8022, 9090, 9091) and profiling's (8008).
RESERVED_PORTS = {8008, 8012, 8013, 8022, 9090, 9091}
PORT_NAMES = {"", "http1", "h2c"}
# Volume kinds it admits with its default feature flags, and emptyDir, whose
# flag (kubernetes.podspec-volumes-emptydir) the deployment turns on.
VOLUME_KINDS = {"secret", "configMap", "projected", "emptyDir"}
MAX_TIMEOUT_SECONDS = 600


def knative(manifests):
    import posixpath

    problems, services = [], [d for d in documents(manifests) if d.get("apiVersion", "").startswith("serving.knative.dev/")]
    for service in services:
        name, template = service["metadata"]["name"], service["spec"]["template"]
        spec, annotations = template["spec"], template.get("metadata", {}).get("annotations", {})
        say = lambda what: problems.append(f"Service {name}: {what}")
        containers = spec.get("containers", [])
        if len(containers) != 1:
            say(f"{len(containers)} containers (multi-container is off by default)")
        mounted = set()
        for container in containers:
            if container.get("name") == "queue-proxy":
                say("the container name queue-proxy is reserved")
            for env in container.get("env", []):
                if env["name"] in RESERVED_ENV:
                    say(f"{env['name']} is a reserved environment variable")
            ports = container.get("ports", [])
            if len(ports) > 1:
                say("more than one container port")
            for port in ports:
                if port.get("name", "") not in PORT_NAMES:
                    say(f"port name {port.get('name')!r} is not http1 or h2c")
                if port.get("containerPort") in RESERVED_PORTS:
                    say(f"port {port['containerPort']} is reserved for the queue-proxy")
            for probe in ("readinessProbe", "livenessProbe"):
                port = container.get(probe, {}).get("httpGet", {}).get("port")
                if port is not None and ports and port not in (ports[0].get("containerPort"), ports[0].get("name")):
                    say(f"{probe} probes port {port}, not the container's")
            seen = set()
            for mount in container.get("volumeMounts", []):
                path = posixpath.normpath(mount["mountPath"])
                if path in RESERVED_PATHS:
                    say(f"mountPath {path} is a reserved path")
                if not path.startswith("/") or path in seen:
                    say(f"mountPath {path} is not absolute, or mounted twice")
                seen.add(path)
                mounted.add(mount["name"])
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for vname, volume in volumes.items():
            if vname not in mounted:
                say(f"volume {vname} is not mounted")
            kinds = set(volume) - {"name"}
            if not kinds <= VOLUME_KINDS:
                say(f"volume {vname} is {sorted(kinds)}, which needs a Knative feature flag")
        for vname in mounted - set(volumes):
            say(f"volumeMount {vname} has no volume")
        if spec.get("timeoutSeconds", 300) > MAX_TIMEOUT_SECONDS:
            say(f"timeoutSeconds {spec['timeoutSeconds']} exceeds {MAX_TIMEOUT_SECONDS}")
        if not 0 <= spec.get("containerConcurrency", 0) <= 1000:
            say("containerConcurrency is outside 0..1000")
        low = int(annotations.get("autoscaling.knative.dev/min-scale", 0))
        high = int(annotations.get("autoscaling.knative.dev/max-scale", 0))
        if high and low > high:
            say(f"min-scale {low} exceeds max-scale {high}")
    print(f"{len(services)} Knative Services keep the runtime contract")
    if not services:
        problems.append("no Knative Service in the manifests")
    fail(problems)


# --- workloads --------------------------------------------------------------


def workloads(manifests, out_dir):
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    docs = documents(manifests)
    services = [d for d in docs if d.get("apiVersion", "").startswith("serving.knative.dev/")]
    # The policies that admit traffic to them, for checkov's graph checks.
    for policy in (d for d in docs if d.get("kind") == "NetworkPolicy"):
        with open(out / f"networkpolicy-{policy['metadata']['name']}.yaml", "w", encoding="utf-8") as file:
            yaml.safe_dump(policy, file, sort_keys=False)
    for service in services:
        meta, template = service["metadata"], service["spec"]["template"]
        labels = {**template.get("metadata", {}).get("labels", {}), "serving.knative.dev/service": meta["name"]}
        pod_spec = {k: v for k, v in template["spec"].items()
                    if k not in ("containerConcurrency", "timeoutSeconds", "responseStartTimeoutSeconds", "idleTimeoutSeconds")}
        deployment = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": f"{meta['name']}-deployment", "namespace": meta.get("namespace", "default"),
                         "labels": labels},
            "spec": {
                "selector": {"matchLabels": {"serving.knative.dev/service": meta["name"]}},
                "template": {"metadata": {"labels": labels, "annotations": template.get("metadata", {}).get("annotations", {})},
                             "spec": pod_spec},
            },
        }
        with open(out / f"{meta['name']}.yaml", "w", encoding="utf-8") as file:
            yaml.safe_dump(deployment, file, sort_keys=False)
    print(f"{len(services)} Knative Services written as Deployments to {out}")
    if not services:
        fail(["no Knative Service in the manifests"])


COMMANDS = {"validate": validate, "topics": topics, "metrics": metrics, "rules": rules, "hcl": hcl, "tables": tables, "deliveries": deliveries, "knative": knative,
            "workloads": workloads, "consumers": consumers, "identities": identities, "iam": iam}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
