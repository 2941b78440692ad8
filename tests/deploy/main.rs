//! Checks of the deployment artefacts (`knative/`, `terraform/`, the
//! Dockerfile) with the real tools: `kubectl kustomize`, the CRD and
//! Kubernetes schemas (kubernetes-validate), promtool, checkov and
//! python-hcl2; and against the code's tables (topics, consumers, stores).
//! `tests/run` installs each tool; a missing one fails here.

mod access;
mod alerts;
mod aws;
mod checkov;
mod consumers;
mod manifests;
mod tables;
mod tools;
