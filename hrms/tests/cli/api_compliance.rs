//! `POST /compliance/validate`: a refused check answers with its findings,
//! its events flow, and the request and the events show in the metrics.

use hrms_events::Role;
use serde_json::json;

use crate::app::spawn_app;
use crate::running::Running;

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_compliance_check_answers_and_its_events_flow() {
    let app = spawn_app().await;
    let hr = app.token(Role::Hr);
    let subject = json!({ "employee": {
        "employee_id": uuid::Uuid::now_v7(), "first_name": "Ada", "last_name": "Lovelace",
        "email": "ada@example.com", "department": "Engineering", "job_title": "Analyst", "country": "GB",
        "date_of_birth": "1990-01-01", "hire_date": "2026-12-01", "weekly_hours": 60, "manager_id": null
    }});
    let answer = app.api.post("/compliance/validate", Some(&hr), Some(&subject)).await;
    assert_eq!(answer.status, 200, "{answer}");
    assert!(
        answer.text.contains("\"allowed\":false") && answer.text.contains("weekly_hours_max"),
        "{answer}"
    );
    app.published(&["compliance.violation", "audit.compliance.violation"]).await;
    let metrics = app.api.get("/metrics", None).await.text;
    assert!(
        metrics.lines().any(|l| l.starts_with("hrms_http_requests_total")
            && l.contains("route=\"/compliance/validate\"")
            && l.contains("status=\"200\"")),
        "{metrics}"
    );
    assert!(metrics.contains("hrms_events_published_total"), "the relay published: {metrics}");
    app.stop().await;
}
