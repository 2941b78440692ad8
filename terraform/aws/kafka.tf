# The Kafka-triggered functions: one event source mapping per (function,
# topic) of the consumer table, in the function's consumer group, from the
# oldest record. A failed invocation is retried with the same batch (a
# Kafka mapping never skips a record): the functions fail only on
# transient errors and dead-letter poison records themselves.

resource "aws_lambda_event_source_mapping" "msk" {
  for_each                           = local.msk ? local.mappings : {}
  function_name                      = aws_lambda_function.function[each.value.function].arn
  event_source_arn                   = var.msk_cluster_arn
  topics                             = [each.value.topic]
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.kafka_batch_size
  maximum_batching_window_in_seconds = var.kafka_batching_window
  amazon_managed_kafka_event_source_config {
    consumer_group_id = each.value.group
  }
}

resource "aws_lambda_event_source_mapping" "self_managed" {
  for_each                           = local.msk ? {} : local.mappings
  function_name                      = aws_lambda_function.function[each.value.function].arn
  topics                             = [each.value.topic]
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.kafka_batch_size
  maximum_batching_window_in_seconds = var.kafka_batching_window
  self_managed_event_source {
    endpoints = { KAFKA_BOOTSTRAP_SERVERS = var.kafka_bootstrap_servers }
  }
  self_managed_kafka_event_source_config {
    consumer_group_id = each.value.group
  }
  source_access_configuration {
    type = "SASL_SCRAM_512_AUTH"
    uri  = var.kafka_scram_secret_arn
  }
  dynamic "source_access_configuration" {
    for_each = var.subnet_ids
    content {
      type = "VPC_SUBNET"
      uri  = "subnet:${source_access_configuration.value}"
    }
  }
  dynamic "source_access_configuration" {
    for_each = var.security_group_ids
    content {
      type = "VPC_SECURITY_GROUP"
      uri  = "security_group:${source_access_configuration.value}"
    }
  }
}
