# One Lambda per function, and the relay: the `hrms` binary built for that
# function alone (build-zips.sh), installed as the custom runtime's
# `bootstrap`, which runs `hrms lambda` with the function named by the
# handler setting (`_HANDLER`).

locals {
  api_url = aws_apigatewayv2_api.hrms.api_endpoint
  common_environment = {
    HRMS_STORE                 = "dynamodb"
    HRMS_DYNAMODB_TABLE_PREFIX = var.name_prefix
    HRMS_JWKS_URL              = var.jwks_url
    HRMS_JWT_ISSUER            = var.jwt_issuer
    HRMS_JWT_AUDIENCE          = var.jwt_audience
    KAFKA_BOOTSTRAP_SERVERS    = local.kafka_bootstrap_servers
    # The functions call one another through the API, with the caller's token.
    HRMS_COMPLIANCE_URL = local.api_url
    HRMS_EMPLOYEE_URL   = local.api_url
  }
  # Revocation: every function but User checks each caller's account at
  # User's GET /users/{id}/standing through the API, with the service token
  # (read at init from Secrets Manager), which Notification's employee
  # look-ups carry too. User answers from its own table.
  account_check = {
    HRMS_USER_URL                 = local.api_url
    HRMS_SERVICE_TOKEN_SECRET_ARN = var.service_token_secret_arn
  }
  # The functions' own Kafka clients (the relay's producer; a consumer's
  # dead letters) on MSK: IAM access control, OAUTHBEARER tokens signed with
  # the function role's credentials (hrms-kafka's msk-iam feature, built
  # into every zip), over TLS. Those functions' roles may Connect (iam.tf).
  kafka_clients = setunion(keys(local.deployed_readers), ["relay"])
  msk_iam_environment = {
    KAFKA_SASL_MECHANISM    = "AWS_MSK_IAM"
    KAFKA_SECURITY_PROTOCOL = "SASL_SSL"
  }
  environment = {
    for name in local.lambdas : name => merge(
      var.kafka_client_environment,
      local.msk && contains(local.kafka_clients, name) ? local.msk_iam_environment : {},
      { for name, arn in var.function_secret_arns : "${name}_SECRET_ARN" => arn },
      local.common_environment,
      contains(["user", "relay"], name) ? {} : local.account_check,
      name == "relay" ? { HRMS_RELAY_FUNCTIONS = join(",", local.deployed_outbox) } : {},
    )
  }
}

resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.lambdas
  name              = "/aws/lambda/${var.name_prefix}${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.hrms.arn
}

# Where Lambda puts asynchronous invocations that failed (the schedule's).
resource "aws_sqs_queue" "failed_invocations" {
  name                              = "${var.name_prefix}failed-invocations"
  kms_master_key_id                 = aws_kms_key.hrms.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600
}

resource "aws_lambda_function" "function" {
  for_each = local.lambdas
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the zips are built and applied by the same pipeline.

  function_name                  = "${var.name_prefix}${each.key}"
  role                           = aws_iam_role.function[each.key].arn
  runtime                        = "provided.al2023"
  architectures                  = ["arm64"]
  handler                        = each.key
  filename                       = "${var.zip_dir}/hrms-${each.key}.zip"
  source_code_hash               = filebase64sha256("${var.zip_dir}/hrms-${each.key}.zip")
  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = aws_kms_key.hrms.arn
  layers                         = var.secrets_extension_layer_arn == "" ? [] : [var.secrets_extension_layer_arn]

  environment {
    variables = local.environment[each.key]
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = var.security_group_ids
  }

  tracing_config {
    mode = "Active"
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.failed_invocations.arn
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  lifecycle {
    precondition {
      condition     = contains(var.functions, "user") || contains(["user", "relay"], each.key)
      error_message = "The functions check callers' accounts at the User function (HRMS_USER_URL, this API): deploy user too."
    }
    precondition {
      condition     = local.kafka_bootstrap_servers != null && local.kafka_bootstrap_servers != ""
      error_message = "No Kafka bootstrap servers: set kafka_bootstrap_servers (self-managed), or enable IAM access control on the MSK cluster."
    }
    precondition {
      condition     = var.secrets_extension_layer_arn != "" || length([for k in keys(local.environment[each.key]) : k if endswith(k, "_SECRET_ARN")]) == 0
      error_message = "Settings read by ARN (the service token, function_secret_arns) need secrets_extension_layer_arn."
    }
  }

  depends_on = [aws_iam_role_policy.function, aws_iam_role_policy_attachment.vpc]
}
