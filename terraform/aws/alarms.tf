# Alarms: a Kafka mapping's OffsetLag at 1,000 records or more (the seed's
# target is under 1,000), any function error, any dead letter written (the
# functions' EMF metric HRMS/DeadLetters), a relay that fails.

locals {
  alarm_actions = var.alarm_topic_arn == "" ? [] : [var.alarm_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "offset_lag" {
  for_each            = local.deployed_readers
  alarm_name          = "${var.name_prefix}${each.key}-offset-lag"
  alarm_description   = "${each.key} (group ${each.value.group}) is 1,000 records or more behind its topics."
  namespace           = "AWS/Lambda"
  metric_name         = "OffsetLag"
  dimensions          = { FunctionName = aws_lambda_function.function[each.key].function_name }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1000
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  for_each            = local.lambdas
  alarm_name          = "${var.name_prefix}${each.key}-errors"
  alarm_description   = "${each.key} failed invocations (a Kafka or stream batch is retried until it passes)."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.function[each.key].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each            = local.deployed_readers
  alarm_name          = "${var.name_prefix}${each.key}-dead-letters"
  alarm_description   = "${each.key} wrote records to a dead-letter topic: read them with hrms dlq list."
  namespace           = "HRMS"
  metric_name         = "DeadLetters"
  dimensions          = { function = each.key }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "relay_failures" {
  alarm_name          = "${var.name_prefix}relay-failures"
  alarm_description   = "The outbox relay could not publish (events wait in the outboxes)."
  namespace           = "HRMS"
  metric_name         = "RelayFailures"
  dimensions          = { function = "relay" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
}
