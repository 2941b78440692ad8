# The functions' secrets, then everything of the rendered overlay that is
# not Kafka itself: Knative Services, KafkaSinks, KafkaSources, monitoring.

locals {
  ids = toset([
    for id in keys(var.manifests) : id
    if !startswith(id, "_/Namespace/") && !startswith(id, "kafka.strimzi.io/")
  ])
  sinks = {
    "notification-queue"     = "notification-queue"
    "audit-queue"            = "audit-queue"
    "notification-queue.dlq" = "notification-queue-dlq"
    "audit-queue.dlq"        = "audit-queue-dlq"
  }
}

# Every function's: HRMS_JWT_SECRET when no identity provider signs the
# tokens, else HRMS_SERVICE_TOKEN, with which all but User check callers'
# accounts at HRMS_USER_URL (they refuse to start without it) and
# Notification looks employees up.
resource "kubernetes_secret_v1" "auth" {
  metadata {
    name      = "hrms-auth"
    namespace = var.namespace
  }
  data = var.jwt_secret == "" ? { HRMS_SERVICE_TOKEN = var.service_token } : { HRMS_JWT_SECRET = var.jwt_secret }

  lifecycle {
    precondition {
      condition     = var.jwt_secret != "" || var.service_token != ""
      error_message = "With an identity provider (jwks_url) the functions check accounts at HRMS_USER_URL with service_token: set TF_VAR_service_token."
    }
  }
}

# The public twins of the event functions refuse /deliveries/* without it.
resource "random_password" "delivery_token" {
  length  = 48
  special = false
}

resource "kubernetes_secret_v1" "delivery_token" {
  metadata {
    name      = "hrms-delivery-token"
    namespace = var.namespace
  }
  data = { HRMS_DELIVERY_TOKEN = random_password.delivery_token.result }
}

# The Notification function's own secrets: SMTP login and each webhook's
# signing secret (its service token is in hrms-auth).
resource "kubernetes_secret_v1" "notification" {
  metadata {
    name      = "hrms-notification-secrets"
    namespace = var.namespace
  }
  data = merge(
    var.smtp_username == "" ? {} : {
      HRMS_SMTP_USERNAME = var.smtp_username
      HRMS_SMTP_PASSWORD = var.smtp_password
    },
    { for name, secret in var.webhook_secrets : "HRMS_WEBHOOK_${upper(name)}_SECRET" => secret },
  )
}

# The webhook subscriptions file (HRMS_WEBHOOKS), when there are any.
resource "kubernetes_config_map_v1" "webhooks" {
  count = var.webhooks_toml == "" ? 0 : 1
  metadata {
    name      = "hrms-webhooks"
    namespace = var.namespace
  }
  data = { "webhooks.toml" = var.webhooks_toml }
}

# What the KafkaSinks log in with: the KafkaUser hrms-knative-sink's password
# (written by Strimzi's User Operator) and the cluster CA, in the keys
# Knative's Kafka components read.
data "kubernetes_secret_v1" "sink_user" {
  metadata {
    name      = "hrms-knative-sink"
    namespace = var.namespace
  }
}

data "kubernetes_secret_v1" "cluster_ca" {
  metadata {
    name      = "${var.kafka_cluster}-cluster-ca-cert"
    namespace = var.namespace
  }
}

resource "kubernetes_secret_v1" "kafkasink_auth" {
  metadata {
    name      = "hrms-kafkasink-auth"
    namespace = var.namespace
  }
  data = {
    "protocol"       = "SASL_SSL"
    "sasl.mechanism" = "SCRAM-SHA-512"
    "user"           = "hrms-knative-sink"
    "password"       = data.kubernetes_secret_v1.sink_user.data["password"]
    "ca.crt"         = data.kubernetes_secret_v1.cluster_ca.data["ca.crt"]
  }
}

resource "kustomization_resource" "hrms" {
  for_each = local.ids
  manifest = startswith(each.value, "_/Secret/") ? sensitive(var.manifests[each.value]) : var.manifests[each.value]
  depends_on = [
    kubernetes_secret_v1.auth,
    kubernetes_secret_v1.delivery_token,
    kubernetes_secret_v1.kafkasink_auth,
    kubernetes_secret_v1.notification,
    kubernetes_config_map_v1.webhooks,
  ]
}
