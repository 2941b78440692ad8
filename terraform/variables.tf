variable "aws_region" {
  description = "AWS region of the DynamoDB tables (and AWS_REGION of the functions)."
  type        = string
}

variable "tags" {
  description = "Tags on every AWS resource."
  type        = map(string)
  default = {
    "app.kubernetes.io/part-of" = "hrms"
  }
}

variable "kubeconfig_path" {
  description = "Kubeconfig of the cluster that runs the HRMS."
  type        = string
  default     = "~/.kube/config"
}

variable "kubeconfig_context" {
  description = "Context in the kubeconfig; null for its current context."
  type        = string
  default     = null
}

variable "install_operators" {
  description = "Install Strimzi, Knative Serving (with Kourier), Knative Eventing and its Kafka extension. False when the cluster has them already."
  type        = bool
  default     = true
}

variable "install_monitoring" {
  description = "Install kube-prometheus-stack (Prometheus Operator, Prometheus, Grafana), which the PodMonitors, PrometheusRule and dashboard need. False when the cluster has it."
  type        = bool
  default     = true
}

variable "image" {
  description = "The functions image, without tag (built from the Dockerfile at the repository's root)."
  type        = string
}

variable "image_tag" {
  description = "Its tag (or use a digest in image_tag as sha256:...)."
  type        = string
}

variable "table_prefix" {
  description = "DynamoDB table names are this prefix and the function (HRMS_DYNAMODB_TABLE_PREFIX)."
  type        = string
  default     = "hrms-"
}

variable "eks_oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (EKS IRSA). Each function's role trusts its ServiceAccount hrms/hrms-<function> through it; its URL is the issuer of the tokens the event intakes check."
  type        = string
}

variable "jwks_url" {
  description = "The identity provider's JWKS (HRMS_JWKS_URL): tokens are then RS256 from it. Empty: HS256 with a generated HRMS_JWT_SECRET."
  type        = string
  default     = ""
}

variable "jwt_audience" {
  description = "Audience tokens must name (HRMS_JWT_AUDIENCE); empty: not checked."
  type        = string
  default     = ""
}

variable "smtp_url" {
  description = "Mail server (HRMS_SMTP_URL), e.g. smtps://smtp.example.com:465; empty: mails are .eml files in the pod."
  type        = string
  default     = ""
}

variable "smtp_from" {
  description = "Sender mailbox (HRMS_SMTP_FROM)."
  type        = string
  default     = "HRMS <hrms@localhost>"
}

variable "smtp_username" {
  description = "SMTP user (HRMS_SMTP_USERNAME); empty with smtp_password for none."
  type        = string
  default     = ""
}

variable "smtp_password" {
  description = "SMTP password (HRMS_SMTP_PASSWORD). Pass it as TF_VAR_smtp_password, never in a file."
  type        = string
  default     = ""
  sensitive   = true
}

variable "service_token" {
  description = "HRMS_SERVICE_TOKEN (required with jwks_url, unused without): the identity provider's token, role hr or admin, with which every function but User checks callers' accounts at HRMS_USER_URL and Notification looks employees up. Pass it as TF_VAR_service_token."
  type        = string
  default     = ""
  sensitive   = true
}

variable "webhooks_toml" {
  description = "The webhook subscriptions file (README.md, Notifications); its secret_env names are HRMS_WEBHOOK_<NAME>_SECRET. Empty: no webhooks."
  type        = string
  default     = ""
}

variable "webhook_secrets" {
  description = "Signing secret by name (payroll -> HRMS_WEBHOOK_PAYROLL_SECRET), 32+ characters each. Pass it as TF_VAR_webhook_secrets."
  type        = map(string)
  default     = {}
  sensitive   = true
}
