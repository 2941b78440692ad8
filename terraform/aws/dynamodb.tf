# The functions' DynamoDB tables, exactly as the code would create them
# (hrms_dynamodb::ensure_laid_out_table): <prefix><function>, string keys pk
# and sk, on-demand; the audit, employee and user tables with their indexes
# (LAYOUT in functions/{audit,employee,user}/adapters/src/dynamodb*). On Lambda they also
# have a stream (keys only) that feeds the outbox relay, point-in-time
# recovery, a customer-managed KMS key and deletion protection. A test
# compares local.tables with the code's layout.

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
  attributes = {
    for name, t in local.wanted : name => distinct(concat(
      ["pk", "sk"],
      flatten([for i in concat(t.local_indexes, t.global_indexes) : [i.partition, i.sort]]),
    ))
  }
}

resource "aws_kms_key" "hrms" {
  description             = "HRMS on Lambda: tables, logs, environment, queues"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministers"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchLogs"
        Effect    = "Allow"
        Principal = { Service = "logs.${var.aws_region}.amazonaws.com" }
        Action    = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
        Resource  = "*"
      },
    ]
  })
}

resource "aws_dynamodb_table" "function" {
  for_each = local.wanted

  name                        = "${var.name_prefix}${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = true
  stream_enabled              = true
  stream_view_type            = "KEYS_ONLY"

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

  # The Kafka mappings' dead-letter marks expire (hrms_lambda::kafka::marks).
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.hrms.arn
  }
}
