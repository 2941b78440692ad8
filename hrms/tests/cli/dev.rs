//! `hrms dev` as a user starts it: on embedded defaults, healthy and ready,
//! and stopping cleanly on SIGTERM.

use hrms_e2e::TempDir;

use crate::binary::Dev;

#[tokio::test(flavor = "multi_thread")]
async fn dev_runs_on_embedded_defaults() {
    let data = TempDir::new();
    let dev = Dev::start(&data).await;
    for path in ["/healthz", "/readyz", "/metrics"] {
        let answer = dev.api.get(path, None).await;
        assert_eq!(answer.status, 200, "{path}: {answer}");
    }
    assert!(dev.terminate().await.success(), "graceful stop");
}
