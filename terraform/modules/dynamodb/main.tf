# The functions' DynamoDB tables, exactly as the code would create them
# (hrms/src/app/stores/dynamodb.rs, hrms_dynamodb::ensure_laid_out_table): one
# table per function named <prefix><function>, string keys pk and sk,
# on-demand; the audit, employee and user tables with their indexes
# (LAYOUT in functions/{audit,employee,user}/adapters/src/dynamodb*). Here they also
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
    compliance = { local_indexes = [], global_indexes = [] }
    # The listings' (functions/employee/adapters/src/dynamodb/list.rs, LAYOUT).
    employee = {
      local_indexes = []
      global_indexes = [
        { name = "employees", partition = "entity", sort = "list_key" },
        { name = "by_department", partition = "department_key", sort = "list_key" },
        { name = "by_manager", partition = "manager_key", sort = "list_key" },
        { name = "by_country", partition = "country", sort = "list_key" },
        { name = "by_status", partition = "status", sort = "list_key" },
        { name = "by_name", partition = "entity", sort = "name_key" },
        { name = "by_email", partition = "entity", sort = "email" },
        { name = "by_hire", partition = "entity", sort = "hire_key" },
      ]
    }
    # The listings' (functions/user/adapters/src/dynamodb/list.rs, LAYOUT).
    user = {
      local_indexes = []
      global_indexes = [
        { name = "users", partition = "entity", sort = "list_key" },
        { name = "by_status", partition = "status", sort = "list_key" },
        { name = "by_role", partition = "role", sort = "list_key" },
        { name = "by_name", partition = "entity", sort = "name_key" },
        { name = "by_email", partition = "entity", sort = "email" },
        { name = "by_employee", partition = "employee_key", sort = "list_key" },
      ]
    }
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

# One role per function, assumed by its ServiceAccount `hrms-<function>`
# (IRSA), with the item operations its store makes on its own table and
# indexes, nothing else (no table creation or deletion, no other table). A
# test (tests/deploy, iam) checks what each role may do.
locals {
  # What each function's store does to its own table and indexes. The audit
  # log is appended to: PutItem only, which its store sends with
  # attribute_not_exists(pk) for every log row (IAM cannot require the
  # condition; the hash chains show a row replaced); no UpdateItem,
  # DeleteItem or BatchWriteItem (which may delete). `hrms audit replay`,
  # which rebuilds the read model, runs with an operator's credentials.
  table_actions = {
    audit = [
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "dynamodb:PutItem",
    ]
    compliance = [
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
    employee = [
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
    user = [
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
    leave = [
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
    attendance = [
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
    notification = [
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
  }
  # Denied outright on the audit table, so that no policy added later grants them.
  append_only = [
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
  ]
}

data "aws_iam_policy_document" "trust" {
  for_each = local.wanted
  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "${replace(var.oidc_provider_arn, "/^.*oidc-provider\\//", "")}:sub"
      values   = ["system:serviceaccount:${var.namespace}:hrms-${each.key}"]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each           = local.wanted
  name               = "${var.table_prefix}${each.key}"
  assume_role_policy = data.aws_iam_policy_document.trust[each.key].json
}

data "aws_iam_policy_document" "table" {
  for_each = local.wanted
  statement {
    sid       = "OwnTable"
    actions   = local.table_actions[each.key]
    resources = [aws_dynamodb_table.function[each.key].arn, "${aws_dynamodb_table.function[each.key].arn}/index/*"]
  }
  dynamic "statement" {
    for_each = each.key == "audit" ? ["audit"] : []
    content {
      sid       = "AppendOnly"
      effect    = "Deny"
      actions   = local.append_only
      resources = [aws_dynamodb_table.function[each.key].arn, "${aws_dynamodb_table.function[each.key].arn}/index/*"]
    }
  }
  statement {
    sid       = "Encryption"
    actions   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.tables.arn]
  }
}

resource "aws_iam_role_policy" "table" {
  for_each = local.wanted
  name     = "dynamodb-${each.key}"
  role     = aws_iam_role.function[each.key].id
  policy   = data.aws_iam_policy_document.table[each.key].json
}
