# The platform the HRMS runs on: Strimzi (Helm), Knative Serving with
# Kourier, Knative Eventing with the Kafka extension (release manifests,
# applied in dependency order) with OIDC sender tokens and KEDA scaling of
# the KafkaSources, KEDA (Helm), and optionally Prometheus and Grafana.

resource "helm_release" "strimzi" {
  name             = "strimzi"
  repository       = "oci://quay.io/strimzi-helm"
  chart            = "strimzi-kafka-operator"
  version          = var.strimzi_version
  namespace        = "strimzi"
  create_namespace = true
  wait             = true

  set = [
    { name = "watchAnyNamespace", value = "true" },
  ]
}

locals {
  serving  = "https://github.com/knative/serving/releases/download/knative-v${var.knative_serving_version}"
  kourier  = "https://github.com/knative/net-kourier/releases/download/knative-v${var.knative_serving_version}"
  eventing = "https://github.com/knative/eventing/releases/download/knative-v${var.knative_eventing_version}"
  kafka    = "https://github.com/knative-extensions/eventing-kafka-broker/releases/download/knative-v${var.knative_eventing_version}"
}

data "kustomization_overlay" "knative" {
  resources = [
    "${local.serving}/serving-crds.yaml",
    "${local.serving}/serving-core.yaml",
    "${local.kourier}/kourier.yaml",
    "${local.eventing}/eventing-crds.yaml",
    "${local.eventing}/eventing-core.yaml",
    "${local.kafka}/eventing-kafka-controller.yaml",
    "${local.kafka}/eventing-kafka-source.yaml",
    "${local.kafka}/eventing-kafka-sink.yaml",
  ]

  # The functions keep their SQLite files (and temporary files) in an emptyDir.
  patches {
    target = {
      kind      = "ConfigMap"
      name      = "config-features"
      namespace = "knative-serving"
    }
    patch = jsonencode([{
      op    = "add"
      path  = "/data/kubernetes.podspec-volumes-emptydir"
      value = "enabled"
    }])
  }

  # Sources and sinks send (and KafkaSinks require) OIDC tokens; the
  # EventPolicies of the overlay need it (knative/README.md, Who may deliver).
  patches {
    target = {
      kind      = "ConfigMap"
      name      = "config-features"
      namespace = "knative-eventing"
    }
    patch = jsonencode([{
      op    = "add"
      path  = "/data/authentication-oidc"
      value = "enabled"
    }])
  }

  # KEDA scales each KafkaSource's consumers on its group's lag (the
  # autoscaling.eventing.knative.dev annotations of the sources).
  patches {
    target = {
      kind      = "ConfigMap"
      name      = "config-kafka-features"
      namespace = "knative-eventing"
    }
    patch = jsonencode([{
      op    = "add"
      path  = "/data/controller-autoscaler-keda"
      value = "enabled"
    }])
  }

  # Kourier is the ingress of Knative Serving.
  patches {
    target = {
      kind      = "ConfigMap"
      name      = "config-network"
      namespace = "knative-serving"
    }
    patch = jsonencode([{
      op    = "add"
      path  = "/data/ingress-class"
      value = "kourier.ingress.networking.knative.dev"
    }])
  }
}

# KEDA, which the Kafka controller drives (ScaledObjects of its own).
resource "helm_release" "keda" {
  name             = "keda"
  repository       = "https://kedacore.github.io/charts"
  chart            = "keda"
  version          = var.keda_version
  namespace        = "keda"
  create_namespace = true
  wait             = true
}

# Namespaces and CRDs, then everything else, then the webhooks that check it.
resource "kustomization_resource" "knative_p0" {
  for_each = data.kustomization_overlay.knative.ids_prio[0]
  manifest = data.kustomization_overlay.knative.manifests[each.value]
}

resource "kustomization_resource" "knative_p1" {
  for_each   = data.kustomization_overlay.knative.ids_prio[1]
  manifest   = data.kustomization_overlay.knative.manifests[each.value]
  wait       = true
  depends_on = [kustomization_resource.knative_p0, helm_release.keda]
}

resource "kustomization_resource" "knative_p2" {
  for_each   = data.kustomization_overlay.knative.ids_prio[2]
  manifest   = data.kustomization_overlay.knative.manifests[each.value]
  depends_on = [kustomization_resource.knative_p1]
}

# Prometheus picks up every PodMonitor and PrometheusRule, and Grafana every
# ConfigMap labelled grafana_dashboard (the HRMS dashboard among them).
resource "helm_release" "monitoring" {
  count = var.install_monitoring ? 1 : 0

  name             = "monitoring"
  repository       = "https://prometheus-community.github.io/helm-charts"
  chart            = "kube-prometheus-stack"
  version          = var.kube_prometheus_stack_version
  namespace        = "monitoring"
  create_namespace = true
  wait             = true

  set = [
    { name = "prometheus.prometheusSpec.podMonitorSelectorNilUsesHelmValues", value = "false" },
    { name = "prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues", value = "false" },
    { name = "grafana.sidecar.dashboards.enabled", value = "true" },
    { name = "grafana.sidecar.dashboards.label", value = "grafana_dashboard" },
    { name = "grafana.sidecar.dashboards.searchNamespace", value = "ALL" },
  ]
}
