output "namespace" {
  description = "Namespace of the functions."
  value       = var.namespace
}

output "kafkasink_urls" {
  description = "Address of each topic's KafkaSink."
  value = {
    for topic, sink in local.sinks :
    topic => "http://kafka-sink-ingress.knative-eventing.svc.cluster.local/${var.namespace}/${sink}"
  }
}

output "resources" {
  description = "The resources applied, by id."
  value       = sort(local.ids)
}
