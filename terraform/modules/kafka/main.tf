# The Kafka cluster (KRaft, a node pool of three brokers), then its topics
# and users, from the rendered overlay (knative/base/kafka/).

locals {
  ids           = keys(var.manifests)
  namespace_ids = toset([for id in local.ids : id if startswith(id, "_/Namespace/")])
  cluster_ids   = toset([for id in local.ids : id if can(regex("^kafka\\.strimzi\\.io/(Kafka|KafkaNodePool)/", id))])
  entity_ids    = toset([for id in local.ids : id if can(regex("^kafka\\.strimzi\\.io/(KafkaTopic|KafkaUser)/", id))])
}

resource "kustomization_resource" "namespace" {
  for_each = local.namespace_ids
  manifest = var.manifests[each.value]
}

resource "kustomization_resource" "cluster" {
  for_each   = local.cluster_ids
  manifest   = var.manifests[each.value]
  wait       = true
  depends_on = [kustomization_resource.namespace]

  timeouts {
    create = "30m"
    update = "30m"
  }
}

resource "kustomization_resource" "entities" {
  for_each   = local.entity_ids
  manifest   = var.manifests[each.value]
  depends_on = [kustomization_resource.cluster]
}
