output "api_url" {
  description = "The HTTP API's address."
  value       = aws_apigatewayv2_api.hrms.api_endpoint
}

output "functions" {
  description = "The Lambda functions, by HRMS function (and the relay)."
  value       = { for name, f in aws_lambda_function.function : name => f.function_name }
}

output "tables" {
  description = "The DynamoDB tables, by function."
  value       = { for name, t in aws_dynamodb_table.function : name => t.name }
}
