output "bootstrap_servers" {
  description = "In-cluster bootstrap address of the TLS listener (SCRAM-SHA-512)."
  value       = "${var.cluster_name}-kafka-bootstrap.${var.namespace}.svc:9093"
}

output "topics" {
  description = "The KafkaTopic resources applied."
  value       = sort([for id in local.entity_ids : id if strcontains(id, "/KafkaTopic/")])
}
