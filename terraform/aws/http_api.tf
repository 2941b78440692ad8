# The HTTP API: one route per path prefix of each function (the prefix and
# everything under it), behind a JWT authorizer that checks the identity
# provider's tokens (the functions verify them again, and check roles).

resource "aws_apigatewayv2_api" "hrms" {
  name          = "${var.name_prefix}api"
  protocol_type = "HTTP"
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  api_id           = aws_apigatewayv2_api.hrms.id
  name             = "jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]
  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = [var.jwt_audience]
  }
}

resource "aws_apigatewayv2_integration" "function" {
  for_each               = local.deployed_routes
  api_id                 = aws_apigatewayv2_api.hrms.id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_function.function[each.key].invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "prefix" {
  for_each           = local.routes
  api_id             = aws_apigatewayv2_api.hrms.id
  route_key          = "ANY ${each.value.path}"
  target             = "integrations/${aws_apigatewayv2_integration.function[each.value.function].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

resource "aws_apigatewayv2_route" "under_prefix" {
  for_each           = local.routes
  api_id             = aws_apigatewayv2_api.hrms.id
  route_key          = "ANY ${each.value.path}/{proxy+}"
  target             = "integrations/${aws_apigatewayv2_integration.function[each.value.function].id}"
  authorization_type = "JWT"
  authorizer_id      = aws_apigatewayv2_authorizer.jwt.id
}

resource "aws_cloudwatch_log_group" "api" {
  name              = "/aws/apigateway/${var.name_prefix}api"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.hrms.arn
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.hrms.id
  name        = "$default"
  auto_deploy = true
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api.arn
    format = jsonencode({
      requestId = "$context.requestId", routeKey = "$context.routeKey", status = "$context.status",
      latency = "$context.integrationLatency", sourceIp = "$context.identity.sourceIp",
      error = "$context.authorizer.error",
    })
  }
  default_route_settings {
    throttling_burst_limit = 500
    throttling_rate_limit  = 1000
  }
}

resource "aws_lambda_permission" "api" {
  for_each      = local.deployed_routes
  statement_id  = "api"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.hrms.execution_arn}/*/*"
}
