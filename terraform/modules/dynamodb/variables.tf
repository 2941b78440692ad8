variable "table_prefix" {
  description = "Table names are this prefix and the function (HRMS_DYNAMODB_TABLE_PREFIX)."
  type        = string
  default     = "hrms-"
}

variable "functions" {
  description = "The functions whose tables to make (each must be in local.tables)."
  type        = list(string)
  default     = ["audit", "compliance", "employee", "user", "leave", "attendance", "notification"]
}

variable "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider (EKS IRSA)."
  type        = string
}

variable "namespace" {
  description = "Namespace of the function pods; each runs as the ServiceAccount hrms-<function> there."
  type        = string
  default     = "hrms"
}

variable "deletion_protection" {
  description = "Refuse to delete the tables (turn off only to tear an environment down)."
  type        = bool
  default     = true
}
