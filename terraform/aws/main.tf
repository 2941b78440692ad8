# What the code says, as data: the functions' HTTP paths, the consumer table
# (hrms/src/app/consumers.rs, CONSUMERS), which functions write events to
# an outbox (hrms::app::lambda, Function::emits_events). A test
# (tests/deploy/aws.rs) compares these locals with the code.
locals {
  # The path prefixes of each function's routes, all public.
  http_paths = {
    user         = ["/users"]
    employee     = ["/employees"]
    compliance   = ["/compliance"]
    audit        = ["/audit"]
    notification = ["/notifications"]
    attendance   = ["/attendance"]
    leave        = ["/leaves", "/leave-balances"]
  }

  consumers = {
    audit        = { topics = ["audit-queue"], group = "audit-service" }
    notification = { topics = ["notification-queue"], group = "notification-service" }
    leave        = { topics = ["notification-queue"], group = "leave-service" }
    compliance   = { topics = ["notification-queue"], group = "compliance-service" }
    user         = { topics = ["notification-queue"], group = "user-service" }
    attendance   = { topics = ["notification-queue"], group = "attendance-service" }
  }

  # The functions whose tables hold an outbox (all but Audit and Notification).
  outboxes = ["user", "employee", "compliance", "attendance", "leave"]

  functions        = toset(var.functions)
  deployed_outbox  = [for f in local.outboxes : f if contains(var.functions, f)]
  deployed_routes  = { for f, paths in local.http_paths : f => paths if contains(var.functions, f) }
  deployed_readers = { for f, c in local.consumers : f => c if contains(var.functions, f) }
  # Every Lambda: the functions, and the relay.
  lambdas = setunion(local.functions, ["relay"])
  # Each route: "<function> <prefix>" => the two route keys it needs.
  routes = merge([
    for f, paths in local.deployed_routes : {
      for p in paths : "${f} ${p}" => { function = f, path = p }
    }
  ]...)
  # Each consumer's topics, one mapping per (function, topic).
  mappings = merge([
    for f, c in local.deployed_readers : {
      for t in c.topics : "${f} ${t}" => { function = f, topic = t, group = c.group }
    }
  ]...)
  topics = distinct(flatten([for c in values(local.deployed_readers) : c.topics]))
  # Dead-letter topics the consumers write.
  dlq_topics = [for t in local.topics : "${t}.dlq"]
  # Topics the relay publishes to.
  event_topics = ["notification-queue", "audit-queue"]
  msk          = var.kafka_kind == "msk"
  # MSK's topic and group ARNs: arn:...:topic/<cluster>/<uuid>/<topic>.
  msk_topic = replace(var.msk_cluster_arn, ":cluster/", ":topic/")
  msk_group = replace(var.msk_cluster_arn, ":cluster/", ":group/")
  # The functions' brokers: as given, else MSK's IAM listener (port 9098).
  kafka_bootstrap_servers = var.kafka_bootstrap_servers != "" ? var.kafka_bootstrap_servers : one(data.aws_msk_bootstrap_brokers.msk[*].bootstrap_brokers_sasl_iam)
}

# The MSK cluster's brokers, by listener.
data "aws_msk_bootstrap_brokers" "msk" {
  count       = local.msk ? 1 : 0
  cluster_arn = var.msk_cluster_arn
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}
