variable "manifests" {
  description = "The rendered overlay (kustomization_overlay manifests, by id); this module applies its Namespace and its kafka.strimzi.io resources."
  type        = map(string)
}

variable "namespace" {
  description = "Namespace of the Kafka cluster (the overlay's)."
  type        = string
  default     = "hrms"
}

variable "cluster_name" {
  description = "Name of the Kafka resource (the overlay's)."
  type        = string
  default     = "hrms-kafka"
}
