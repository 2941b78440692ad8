# The functions' DynamoDB tables, exactly as the code would create them
# (hrms/src/app/stores/dynamodb.rs, hrms_dynamodb::ensure_laid_out_table): one
# table per function named <prefix><function>, string keys pk and sk,
# on-demand; the audit table with its indexes
# (functions/audit/adapters/src/dynamodb.rs, LAYOUT). Here they also
# get point-in-time recovery, encryption with a customer-managed KMS key and
# deletion protection; the functions find them existing and create nothing.
# A test compares local.tables with the code's layout.

locals {
  tables = {
    audit = {
      local_indexes = [
        { name = "by_time", partition = "pk", sort = "time_key" },
      ]
      global_indexes = [
        { name = "by_day", partition = "day_key", sort = "time_key" },
        { name = "by_actor", partition = "actor", sort = "time_key" },
        { name = "by_type", partition = "event_type", sort = "time_key" },
      ]
    }
    compliance   = { local_indexes = [], global_indexes = [] }
    employee     = { local_indexes = [], global_indexes = [] }
    user         = { local_indexes = [], global_indexes = [] }
    leave        = { local_indexes = [], global_indexes = [] }
    attendance   = { local_indexes = [], global_indexes = [] }
    notification = { local_indexes = [], global_indexes = [] }
  }
  wanted = { for name in var.functions : name => local.tables[name] }
  # Every key attribute of a table: pk, sk and its indexes' keys.
  attributes = {
    for name, t in local.wanted : name => distinct(concat(
      ["pk", "sk"],
      flatten([for i in concat(t.local_indexes, t.global_indexes) : [i.partition, i.sort]]),
    ))
  }
}

data "aws_caller_identity" "current" {}

resource "aws_kms_key" "tables" {
  description             = "HRMS DynamoDB tables"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountAdministers"
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
}

resource "aws_dynamodb_table" "function" {
  for_each = local.wanted

  name                        = "${var.table_prefix}${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = var.deletion_protection

  dynamic "attribute" {
    for_each = local.attributes[each.key]
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "local_secondary_index" {
    for_each = each.value.local_indexes
    content {
      name            = local_secondary_index.value.name
      range_key       = local_secondary_index.value.sort
      projection_type = "ALL"
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.global_indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.partition
      range_key       = global_secondary_index.value.sort
      projection_type = "ALL"
    }
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.tables.arn
  }
}

# The role of the function pods: the item operations the stores make on
# their tables and indexes, nothing else (no table creation or deletion).
data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${replace(var.oidc_provider_arn, "/^.*oidc-provider\\//", "")}:sub"
      values   = ["system:serviceaccount:${var.service_account}"]
    }
  }
}

resource "aws_iam_role" "functions" {
  name               = "${var.table_prefix}functions"
  assume_role_policy = data.aws_iam_policy_document.trust.json
}

data "aws_iam_policy_document" "tables" {
  statement {
    sid = "Items"
    actions = [
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
      "dynamodb:Query",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:ConditionCheckItem",
    ]
    resources = flatten([
      for t in aws_dynamodb_table.function : [t.arn, "${t.arn}/index/*"]
    ])
  }
  statement {
    sid       = "Encryption"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.tables.arn]
  }
}

resource "aws_iam_role_policy" "tables" {
  name   = "dynamodb-tables"
  role   = aws_iam_role.functions.id
  policy = data.aws_iam_policy_document.tables.json
}
