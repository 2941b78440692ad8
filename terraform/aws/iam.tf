# One role per Lambda, with what it does and nothing else: its own log
# group, traces, its own table (the item operations its store makes; the
# audit log append-only), its Kafka topics and group, the relay the outbox
# items of the outbox tables and their streams. A test (tests/deploy/aws.rs)
# checks the grants against the code's tables and consumers.

locals {
  read_write = [
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
  ]
  # What each function's store does to its own table and indexes.
  table_actions = {
    audit = [
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:PutItem",
    ]
    compliance   = local.read_write
    employee     = local.read_write
    user         = local.read_write
    leave        = local.read_write
    attendance   = local.read_write
    notification = local.read_write
  }
  # What the relay does to the outbox items: read, delete, set aside.
  relay_actions = [
    "dynamodb:Query",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PutItem",
  ]
  outbox_tables = [for f in local.deployed_outbox : aws_dynamodb_table.function[f].arn]
  # The secrets each Lambda reads at init (its *_SECRET_ARN settings).
  setting_secrets = {
    for name in local.lambdas : name => distinct([
      for k, arn in local.environment[name] : arn if endswith(k, "_SECRET_ARN")
    ])
  }
}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each           = local.lambdas
  name               = "${var.name_prefix}lambda-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

# Network interfaces in the VPC (Lambda's managed policy for it).
resource "aws_iam_role_policy_attachment" "vpc" {
  for_each   = local.lambdas
  role       = aws_iam_role.function[each.key].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
}

data "aws_iam_policy_document" "function" {
  for_each = local.lambdas

  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  statement {
    sid       = "Keys"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.hrms.arn]
  }

  statement {
    sid       = "FailedInvocations"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.failed_invocations.arn]
  }

  dynamic "statement" {
    for_each = each.key == "relay" ? [] : [each.key]
    content {
      sid       = "OwnTable"
      actions   = local.table_actions[each.key]
      resources = [aws_dynamodb_table.function[each.key].arn, "${aws_dynamodb_table.function[each.key].arn}/index/*"]
    }
  }

  dynamic "statement" {
    for_each = each.key == "audit" ? ["audit"] : []
    content {
      sid    = "AppendOnly"
      effect = "Deny"
      actions = [
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
      ]
      resources = [aws_dynamodb_table.function[each.key].arn, "${aws_dynamodb_table.function[each.key].arn}/index/*"]
    }
  }

  # The relay: the outbox items only (partitions OUTBOX and OUTBOX#DEAD).
  dynamic "statement" {
    for_each = each.key == "relay" ? ["relay"] : []
    content {
      sid       = "OutboxItems"
      actions   = local.relay_actions
      resources = local.outbox_tables
      condition {
        test     = "ForAllValues:StringEquals"
        variable = "dynamodb:LeadingKeys"
        values   = ["OUTBOX", "OUTBOX#DEAD"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.key == "relay" ? ["relay"] : []
    content {
      sid       = "OutboxStreams"
      actions   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
      resources = [for t in local.outbox_tables : "${t}/stream/*"]
    }
  }

  # MSK with IAM: a consumer reads its topics in its group and writes their
  # dead-letter topics; the relay writes the event topics.
  dynamic "statement" {
    for_each = local.msk && (contains(keys(local.deployed_readers), each.key) || each.key == "relay") ? [each.key] : []
    content {
      sid       = "Cluster"
      actions   = ["kafka:DescribeClusterV2", "kafka:GetBootstrapBrokers", "kafka-cluster:Connect", "kafka-cluster:DescribeCluster"]
      resources = [var.msk_cluster_arn]
    }
  }

  dynamic "statement" {
    for_each = local.msk && contains(keys(local.deployed_readers), each.key) ? [each.key] : []
    content {
      sid       = "ReadTopics"
      actions   = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"]
      resources = [for t in local.consumers[each.key].topics : "${local.msk_topic}/${t}"]
    }
  }

  dynamic "statement" {
    for_each = local.msk && contains(keys(local.deployed_readers), each.key) ? [each.key] : []
    content {
      sid       = "OwnGroup"
      actions   = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"]
      resources = ["${local.msk_group}/${local.consumers[each.key].group}"]
    }
  }

  dynamic "statement" {
    for_each = local.msk && (contains(keys(local.deployed_readers), each.key) || each.key == "relay") ? [each.key] : []
    content {
      sid     = "WriteTopics"
      actions = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData", "kafka-cluster:WriteDataIdempotently"]
      resources = (each.key == "relay"
        ? [for t in local.event_topics : "${local.msk_topic}/${t}"]
      : [for t in local.consumers[each.key].topics : "${local.msk_topic}/${t}.dlq"])
    }
  }

  # Self-managed Kafka: the mapping reads the SCRAM credentials.
  dynamic "statement" {
    for_each = !local.msk && contains(keys(local.deployed_readers), each.key) ? [each.key] : []
    content {
      sid       = "KafkaCredentials"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.kafka_scram_secret_arn]
    }
  }

  # The settings read by ARN at init: function_secret_arns, and the service
  # token of the functions that check accounts at User.
  dynamic "statement" {
    for_each = length(local.setting_secrets[each.key]) > 0 ? ["secrets"] : []
    content {
      sid       = "Settings"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = local.setting_secrets[each.key]
    }
  }

  # X-Ray accepts no narrower resource.
  statement {
    sid       = "Traces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.lambdas
  name     = "hrms-${each.key}"
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.function[each.key].json
}
