# The HRMS on a Kubernetes cluster with Knative, its Kafka on Strimzi, and its
# stores in DynamoDB: `terraform apply` with the variables of
# terraform.tfvars.example. Order: operators -> DynamoDB tables and roles ->
# Kafka cluster, topics and users -> secrets, sinks, sources, functions,
# monitoring (README.md).

module "operators" {
  source = "./modules/operators"
  count  = var.install_operators ? 1 : 0

  install_monitoring = var.install_monitoring
}

module "dynamodb" {
  source = "./modules/dynamodb"

  table_prefix      = var.table_prefix
  oidc_provider_arn = var.eks_oidc_provider_arn
}

locals {
  # The cluster's service-account token issuer (EKS: the OIDC provider's
  # URL, whose keys are public), which signs Knative Eventing's OIDC tokens
  # that the functions' event intakes check (HRMS_INTAKE_ISSUER).
  intake_issuer = "https://${replace(var.eks_oidc_provider_arn, "/^.*oidc-provider\\//", "")}"
}

# The prod overlay (knative/overlays/prod) with this deployment's values.
data "kustomization_overlay" "hrms" {
  resources = ["${path.module}/../knative/overlays/prod"]

  # The image the overlay names (a placeholder), replaced by this deployment's.
  images {
    name     = "registry.example.com/hrms/hrms"
    new_name = var.image
    new_tag  = var.image_tag
  }

  config_map_generator {
    name     = "hrms-config"
    behavior = "merge"
    literals = concat([
      "AWS_REGION=${var.aws_region}",
      "HRMS_DYNAMODB_TABLE_PREFIX=${var.table_prefix}",
      "HRMS_JWKS_URL=${var.jwks_url}",
      "HRMS_JWT_AUDIENCE=${var.jwt_audience}",
      "HRMS_SMTP_URL=${var.smtp_url}",
      "HRMS_SMTP_FROM=${var.smtp_from}",
      "HRMS_INTAKE_ISSUER=${local.intake_issuer}",
      "HRMS_INTAKE_JWKS_URL=${local.intake_issuer}/keys",
      # Set only with a file: the function refuses an empty path.
    ], var.webhooks_toml == "" ? [] : ["HRMS_WEBHOOKS=/etc/hrms/webhooks/webhooks.toml"])
  }

  # Each function's ServiceAccount with its own role.
  dynamic "patches" {
    for_each = module.dynamodb.role_arns
    content {
      target = {
        kind = "ServiceAccount"
        name = "hrms-${patches.key}"
      }
      patch = jsonencode([{
        op    = "add"
        path  = "/metadata/annotations"
        value = { "eks.amazonaws.com/role-arn" = patches.value }
      }])
    }
  }
}

module "kafka" {
  source = "./modules/kafka"

  manifests  = data.kustomization_overlay.hrms.manifests
  depends_on = [module.operators]
}

module "functions" {
  source = "./modules/functions"

  manifests       = data.kustomization_overlay.hrms.manifests
  jwt_secret      = var.jwks_url == "" ? random_password.jwt_secret.result : ""
  smtp_username   = var.smtp_username
  smtp_password   = var.smtp_password
  service_token   = var.service_token
  webhooks_toml   = var.webhooks_toml
  webhook_secrets = var.webhook_secrets
  depends_on      = [module.kafka, module.dynamodb]
}

# HS256 secret of the functions when no identity provider is configured.
resource "random_password" "jwt_secret" {
  length  = 48
  special = false
}
