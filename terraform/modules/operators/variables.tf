variable "strimzi_version" {
  description = "Strimzi operator (Helm chart strimzi-kafka-operator); 1.x serves kafka.strimzi.io/v1, which the manifests use."
  type        = string
  default     = "1.2.0"
}

variable "knative_serving_version" {
  description = "Knative Serving and its Kourier ingress (release manifests)."
  type        = string
  default     = "1.23.0"
}

variable "knative_eventing_version" {
  description = "Knative Eventing and its Kafka extension, eventing-kafka-broker (KafkaSink, KafkaSource; release manifests)."
  type        = string
  default     = "1.23.0"
}

variable "keda_version" {
  description = "Helm chart version of KEDA, which scales the KafkaSources on consumer lag."
  type        = string
  default     = "2.20.2"
}

variable "install_monitoring" {
  description = "Install kube-prometheus-stack into the namespace monitoring."
  type        = bool
  default     = true
}

variable "kube_prometheus_stack_version" {
  description = "Helm chart version of kube-prometheus-stack."
  type        = string
  default     = "77.6.0"
}
