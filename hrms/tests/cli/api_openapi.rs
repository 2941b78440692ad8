//! `GET /openapi.json`: public, and valid for an independent validator
//! (Python, `tests/python/validate_openapi.py`).

use std::process::Command;

use crate::app::spawn_app;
use crate::running::Running;

#[tokio::test(flavor = "multi_thread")]
async fn the_app_serves_an_openapi_document_that_an_independent_validator_accepts() {
    let app = spawn_app().await;
    let answer = app.api.get("/openapi.json", None).await;
    assert_eq!(answer.status, 200, "public, no token: {answer}");
    let file = app.data_dir().join("openapi.json");
    std::fs::write(&file, answer.json().to_string()).expect("written");
    let out = Command::new(hrms_e2e::python())
        .arg(hrms_e2e::python_script("validate_openapi.py"))
        .arg(&file)
        .output()
        .expect("python runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("valid OpenAPI 3.1.0"));
    app.stop().await;
}
