variable "aws_region" {
  description = "The region of everything here."
  type        = string
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = { app = "hrms" }
}

variable "name_prefix" {
  description = "Prefix of every name: the tables are <prefix><function> (HRMS_DYNAMODB_TABLE_PREFIX), the functions <prefix><function>."
  type        = string
  default     = "hrms-"
}

variable "functions" {
  description = "The functions to deploy (the relay is deployed with any that writes events)."
  type        = list(string)
  default     = ["user", "employee", "compliance", "audit", "notification", "attendance", "leave"]
}

variable "zip_dir" {
  description = "Where terraform/aws/build-zips.sh wrote hrms-<function>.zip and hrms-relay.zip."
  type        = string
  default     = "../../target/lambda"
}

variable "memory_size" {
  description = "Memory of each function, MB."
  type        = number
  default     = 256
}

variable "timeout" {
  description = "Time limit of an invocation, seconds."
  type        = number
  default     = 30
}

variable "reserved_concurrency" {
  description = "Most concurrent invocations per function."
  type        = number
  default     = 50
}

variable "subnet_ids" {
  description = "Private subnets of the functions (they reach the brokers there; DynamoDB through a gateway endpoint, the identity provider's JWKS through NAT)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security groups of the functions: egress to the brokers, DynamoDB and HTTPS."
  type        = list(string)
}

variable "kafka_kind" {
  description = "msk (Amazon MSK, IAM auth) or self-managed (SASL/SCRAM-512 over TLS)."
  type        = string
  default     = "msk"
  validation {
    condition     = contains(["msk", "self-managed"], var.kafka_kind)
    error_message = "kafka_kind is msk or self-managed."
  }
}

variable "msk_cluster_arn" {
  description = "The MSK cluster (kafka_kind = msk)."
  type        = string
  default     = ""
}

variable "kafka_bootstrap_servers" {
  description = "KAFKA_BOOTSTRAP_SERVERS of the functions (dead letters, the relay), and the self-managed mapping's endpoints. With kafka_kind = msk, empty (the default) takes the cluster's IAM brokers (port 9098)."
  type        = string
  default     = ""
}

variable "kafka_client_environment" {
  description = "More KAFKA_* settings of the functions' producer (dead letters, the relay), e.g. KAFKA_SECURITY_PROTOCOL = \"SSL\" for a TLS listener. With kafka_kind = msk, KAFKA_SASL_MECHANISM = \"AWS_MSK_IAM\" and KAFKA_SECURITY_PROTOCOL = \"SASL_SSL\" are set over these. No passwords here: put them in function_secret_arns."
  type        = map(string)
  default     = { KAFKA_SECURITY_PROTOCOL = "SSL" }
}

variable "function_secret_arns" {
  description = "Settings the functions read at init from Secrets Manager by ARN (NAME => secret ARN, whose string is the value), e.g. KAFKA_SASL_PASSWORD: set as <NAME>_SECRET_ARN, read through the Parameters and Secrets extension."
  type        = map(string)
  default     = {}
}

variable "service_token_secret_arn" {
  description = "Secrets Manager secret whose string is HRMS_SERVICE_TOKEN: an identity provider's token (role hr or admin) with which every function but User checks callers' accounts at User (HRMS_USER_URL, this API) and Notification looks employees up. Read at init: a new value reaches new sandboxes only."
  type        = string
}

variable "secrets_extension_layer_arn" {
  description = "The AWS Parameters and Secrets Lambda Extension layer of the region (arm64): needed, as the service token and function_secret_arns are read through it."
  type        = string
  default     = ""
}

variable "kafka_scram_secret_arn" {
  description = "Secrets Manager secret with the SASL/SCRAM-512 username and password (kafka_kind = self-managed)."
  type        = string
  default     = ""
}

variable "kafka_batch_size" {
  description = "Most records per invocation of a Kafka mapping."
  type        = number
  default     = 100
}

variable "kafka_batching_window" {
  description = "Seconds a Kafka mapping gathers records before invoking."
  type        = number
  default     = 1
}

variable "jwt_issuer" {
  description = "The identity provider's issuer (HRMS_JWT_ISSUER; the API's JWT authorizer checks it too)."
  type        = string
}

variable "jwt_audience" {
  description = "The audience tokens must name (HRMS_JWT_AUDIENCE)."
  type        = string
}

variable "jwks_url" {
  description = "The identity provider's keys (HRMS_JWKS_URL): the functions verify every token again."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the functions' logs."
  type        = number
  default     = 365
}

variable "alarm_topic_arn" {
  description = "SNS topic the alarms notify (empty: none)."
  type        = string
  default     = ""
}

variable "relay_sweep_minutes" {
  description = "How often the relay's sweep runs; it publishes outbox events older than 60 s that no stream record brought."
  type        = number
  default     = 5
}
