output "table_names" {
  description = "Table name by function."
  value       = { for name, t in aws_dynamodb_table.function : name => t.name }
}

output "table_arns" {
  description = "Table ARN by function."
  value       = { for name, t in aws_dynamodb_table.function : name => t.arn }
}

output "role_arns" {
  description = "IAM role by function, for its ServiceAccount hrms-<function> (annotation eks.amazonaws.com/role-arn)."
  value       = { for name, role in aws_iam_role.function : name => role.arn }
}

output "kms_key_arn" {
  description = "The KMS key that encrypts the tables."
  value       = aws_kms_key.tables.arn
}
