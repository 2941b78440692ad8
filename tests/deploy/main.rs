//! Checks of the deployment artefacts (`knative/`, `terraform/`, the
//! Dockerfile) with the real tools: `kubectl kustomize`, the CRD and
//! Kubernetes schemas (kubernetes-validate), promtool, checkov and
//! python-hcl2. `tests/run` installs each of them; a missing one fails here.

mod alerts;
mod checkov;
mod manifests;
mod tables;
mod tools;
