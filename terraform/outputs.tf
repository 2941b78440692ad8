output "namespace" {
  description = "Namespace of the functions, Kafka, sinks and sources."
  value       = module.functions.namespace
}

output "dynamodb_tables" {
  description = "The functions' DynamoDB tables, by function."
  value       = module.dynamodb.table_names
}

output "dynamodb_role_arns" {
  description = "IAM role by function (ServiceAccount hrms/hrms-<function>), each on its own table."
  value       = module.dynamodb.role_arns
}

output "kafka_bootstrap_servers" {
  description = "In-cluster bootstrap address (TLS, SCRAM-SHA-512)."
  value       = module.kafka.bootstrap_servers
}

output "kafkasink_urls" {
  description = "Addresses of the KafkaSinks, by topic (HRMS_KAFKASINK_*_URL)."
  value       = module.functions.kafkasink_urls
}
