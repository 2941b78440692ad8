variable "manifests" {
  description = "The rendered overlay (kustomization_overlay manifests, by id); this module applies all but the Namespace and the kafka.strimzi.io resources."
  type        = map(string)
}

variable "namespace" {
  description = "Namespace of the functions (the overlay's)."
  type        = string
  default     = "hrms"
}

variable "kafka_cluster" {
  description = "Name of the Kafka resource, whose cluster CA the KafkaSink trusts."
  type        = string
  default     = "hrms-kafka"
}

variable "jwt_secret" {
  description = "HRMS_JWT_SECRET (HS256); empty when tokens come from HRMS_JWKS_URL."
  type        = string
  default     = ""
  sensitive   = true
}

variable "smtp_username" {
  description = "HRMS_SMTP_USERNAME; empty for none."
  type        = string
  default     = ""
}

variable "smtp_password" {
  description = "HRMS_SMTP_PASSWORD."
  type        = string
  default     = ""
  sensitive   = true
}

variable "service_token" {
  description = "HRMS_SERVICE_TOKEN in hrms-auth (with HRMS_JWKS_URL, i.e. when jwt_secret is empty; then required): the identity provider's token (role hr or admin) with which the functions check accounts at HRMS_USER_URL and Notification looks employees up."
  type        = string
  default     = ""
  sensitive   = true
}

variable "webhooks_toml" {
  description = "The webhook subscriptions file (HRMS_WEBHOOKS); empty for none."
  type        = string
  default     = ""
}

variable "webhook_secrets" {
  description = "Signing secret by webhook secret name: payroll becomes HRMS_WEBHOOK_PAYROLL_SECRET."
  type        = map(string)
  default     = {}
  sensitive   = true
}
