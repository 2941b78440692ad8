# The outbox relay: each outbox table's stream invokes it with the keys of
# new outbox items (a filter drops every other change), and it publishes
# the table's pending events in order per key; a failed invocation is
# retried until the records expire (24 h), and the schedule sweeps what
# waited longer than 60 s.

resource "aws_lambda_event_source_mapping" "outbox" {
  for_each                           = toset(local.deployed_outbox)
  function_name                      = aws_lambda_function.function["relay"].arn
  event_source_arn                   = aws_dynamodb_table.function[each.key].stream_arn
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = 100
  maximum_batching_window_in_seconds = 0
  maximum_retry_attempts             = -1
  filter_criteria {
    filter {
      pattern = jsonencode({ eventName = ["INSERT"], dynamodb = { Keys = { pk = { S = ["OUTBOX"] } } } })
    }
  }
}

resource "aws_cloudwatch_event_rule" "sweep" {
  name                = "${var.name_prefix}relay-sweep"
  description         = "The outbox relay's sweep"
  schedule_expression = "rate(${var.relay_sweep_minutes} minutes)"
}

resource "aws_cloudwatch_event_target" "sweep" {
  rule = aws_cloudwatch_event_rule.sweep.name
  arn  = aws_lambda_function.function["relay"].arn
}

resource "aws_lambda_permission" "sweep" {
  statement_id  = "sweep"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["relay"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sweep.arn
}
