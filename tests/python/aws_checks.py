"""Checks of the AWS Lambda deployment (terraform/aws), run by tests/deploy/aws.rs:

  aws TF_DIR CODE_JSON   the module's functions, HTTP routes, Kafka event source
                         mappings, outbox streams, roles and alarms agree with
                         the code: CODE_JSON holds its consumer table
                         ({function, topics, group}), the functions that write
                         an outbox, and each function's public path prefixes.
"""

import json
import pathlib
import sys

import hcl2


def unquote(value):
    if isinstance(value, str) and value.startswith('"') and value.endswith('"'):
        return value[1:-1]
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        return {unquote(k): unquote(v) for k, v in value.items()}
    return value


def load(directory):
    """Every file's locals merged, and resources as {(type, name): body}."""
    local, resources = {}, {}
    for path in sorted(pathlib.Path(directory).glob("*.tf")):
        with open(path, encoding="utf-8") as file:
            tf = hcl2.load(file)
        for block in tf.get("locals", []):
            local.update(unquote(block))
        for block in tf.get("resource", []):
            for kind, named in block.items():
                for name, body in named.items():
                    resources[(unquote(kind), unquote(name))] = unquote(body)
    return local, resources


def aws(tf_dir, code_json):
    with open(code_json, encoding="utf-8") as file:
        code = json.load(file)
    local, res = load(tf_dir)
    problems = []

    def want(condition, message):
        if not condition:
            problems.append(message)

    # The consumer table.
    consumers = {c["function"]: c for c in code["consumers"]}
    declared = local["consumers"]
    want(set(declared) == set(consumers), f"consumers: terraform {sorted(declared)}, the code {sorted(consumers)}")
    for name, c in consumers.items():
        d = declared.get(name, {})
        want(d.get("topics") == c["topics"], f"{name}: topics {d.get('topics')}, the code {c['topics']}")
        want(d.get("group") == c["group"], f"{name}: group {d.get('group')}, the code {c['group']}")

    # The outboxes the relay drains, and their streams.
    want(sorted(local["outboxes"]) == sorted(code["outboxes"]),
         f"outboxes: terraform {sorted(local['outboxes'])}, the code {sorted(code['outboxes'])}")
    table = res[("aws_dynamodb_table", "function")]
    want(table.get("stream_enabled") is True, "tables: no stream for the relay")
    want(table.get("stream_view_type") == "KEYS_ONLY", "tables: the relay needs only the keys")
    outbox = res[("aws_lambda_event_source_mapping", "outbox")]
    want("local.deployed_outbox" in outbox["for_each"], "the relay's stream mappings are not one per outbox table")
    want('"relay"' in outbox["function_name"], "the stream mappings do not invoke the relay")
    pattern = json.dumps(outbox["filter_criteria"])
    want("INSERT" in pattern and "OUTBOX" in pattern, "the stream filter does not keep new outbox items only")
    want(outbox.get("maximum_retry_attempts") == -1, "a failed relay batch must be retried until it passes")

    # The public routes.
    paths = local["http_paths"]
    for function, prefixes in code["routes"].items():
        want(sorted(paths.get(function, [])) == sorted(prefixes),
             f"{function}: routes {paths.get(function)}, the code serves {prefixes}")
    extra = set(paths) - set(code["routes"])
    want(not extra, f"routes of functions the code does not route: {sorted(extra)}")
    for name in ("prefix", "under_prefix"):
        route = res[("aws_apigatewayv2_route", name)]
        want(route.get("authorization_type") == "JWT", f"route {name}: not behind the JWT authorizer")
    integration = res[("aws_apigatewayv2_integration", "function")]
    want(integration.get("payload_format_version") == "2.0", "the integrations do not send payload 2.0")

    # The functions.
    want(set(code["functions"]) == set(unquote(v) for v in json.loads(json.dumps(local_default(tf_dir)))),
         "the functions variable does not default to every function of the code")
    fn = res[("aws_lambda_function", "function")]
    for key, value in (("runtime", "provided.al2023"), ("architectures", ["arm64"]), ("handler", "${each.key}")):
        want(fn.get(key) == value, f"aws_lambda_function: {key} is {fn.get(key)}, want {value}")

    # Revocation: all but User and the relay check accounts at User through
    # the API (its /users routes above), with the service token by ARN.
    check = local.get("account_check", {})
    want(check.get("HRMS_USER_URL") == "${local.api_url}", "the functions do not ask User through the API")
    want(check.get("HRMS_SERVICE_TOKEN_SECRET_ARN") == "${var.service_token_secret_arn}",
         "the functions have no service token for the account check")
    environment = local["environment"]
    want('contains(["user", "relay"], name) ? {} : local.account_check' in environment,
         "the account check is not given to every function but User and the relay")
    want("/users" in code["routes"].get("user", []), "User's /users routes (GET /users/{id}/standing) are not served")

    # Event source mappings: one per (consumer, topic), its group, from the start.
    mappings = local["mappings"]
    want("local.deployed_readers" in json.dumps(mappings), "mappings are not made from the consumer table")
    for kind, block in (("msk", "amazon_managed_kafka_event_source_config"),
                        ("self_managed", "self_managed_kafka_event_source_config")):
        m = res[("aws_lambda_event_source_mapping", kind)]
        want(m.get("topics") == ["${each.value.topic}"], f"{kind}: topics are not the consumer's")
        want(m.get(block, [{}])[0].get("consumer_group_id") == "${each.value.group}", f"{kind}: not the consumer's group")
        want(m.get("starting_position") == "TRIM_HORIZON", f"{kind}: starts at {m.get('starting_position')}")
        for setting in ("batch_size", "maximum_batching_window_in_seconds"):
            want(setting in m, f"{kind}: no {setting}")

    # Roles: one per Lambda.
    role = res[("aws_iam_role", "function")]
    want(role.get("for_each") == "${local.lambdas}", "not one role per Lambda")

    # The functions' own Kafka clients on MSK authenticate with IAM (hrms-kafka's AWS_MSK_IAM),
    # the relay and every consumer (its dead letters), over the IAM listener's brokers.
    want(local.get("msk_iam_environment") == {"KAFKA_SASL_MECHANISM": "AWS_MSK_IAM",
                                              "KAFKA_SECURITY_PROTOCOL": "SASL_SSL"},
         f"msk_iam_environment: {local.get('msk_iam_environment')}")
    want("local.msk && contains(local.kafka_clients, name) ? local.msk_iam_environment" in local["environment"],
         "the MSK IAM settings are not in the Kafka clients' environment")
    want(all(p in local.get("kafka_clients", "") for p in ("local.deployed_readers", '"relay"')),
         f"kafka_clients: {local.get('kafka_clients')}")
    want("bootstrap_brokers_sasl_iam" in local.get("kafka_bootstrap_servers", ""),
         "the functions do not default to MSK's IAM brokers")

    # Alarms.
    lag = res[("aws_cloudwatch_metric_alarm", "offset_lag")]
    want(lag.get("metric_name") == "OffsetLag" and lag.get("threshold") == 1000
         and lag.get("comparison_operator") == "GreaterThanOrEqualToThreshold",
         "the OffsetLag alarm does not fire at 1,000 records")
    want(lag.get("for_each") == "${local.deployed_readers}", "no OffsetLag alarm per consumer")
    dead = res[("aws_cloudwatch_metric_alarm", "dead_letters")]
    want(dead.get("namespace") == "HRMS" and dead.get("metric_name") == "DeadLetters",
         "the dead-letter alarm does not read the functions' EMF metric")
    want(res[("aws_cloudwatch_metric_alarm", "errors")].get("metric_name") == "Errors", "no error alarm")

    print(f"{len(consumers)} consumers, {len(code['outboxes'])} outboxes, {len(code['routes'])} routed functions "
          f"compared with {tf_dir}")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


def local_default(tf_dir):
    with open(pathlib.Path(tf_dir) / "variables.tf", encoding="utf-8") as file:
        tf = hcl2.load(file)
    for block in tf["variable"]:
        if '"functions"' in block or "functions" in block:
            body = block.get('"functions"') or block.get("functions")
            return body["default"]
    return []


COMMANDS = {"aws": aws}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](*sys.argv[2:])
