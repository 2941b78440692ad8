output "strimzi_namespace" {
  description = "Namespace of the Strimzi operator."
  value       = helm_release.strimzi.namespace
}

output "knative_resources" {
  description = "How many Knative resources were applied."
  value       = length(kustomization_resource.knative_p0) + length(kustomization_resource.knative_p1) + length(kustomization_resource.knative_p2)
}
