//! Messages from templates: one plain-text template per event type
//! (`<type>.txt`: a `Subject:` line, a blank line, the body) and one HTML
//! layout (`layout.html`) that presents any body. The defaults are built in;
//! a directory may override any of them by file name.
//!
//! Templates see the event's payload fields at the top level, plus
//! `recipient` (name, email), `employee` (the person the event is about,
//! where the notice names them) and `event` (id, type, time). Undefined
//! values are errors: a template that names missing data fails to render
//! instead of sending a mail with a blank in it.

use std::collections::BTreeMap;
use std::path::Path;

use hrms_events::{EventType, HrmsEvent};
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The built-in templates, by file name.
const EMBEDDED: &[(&str, &str)] = &[
    ("user.created.txt", include_str!("../templates/user.created.txt")),
    ("user.updated.txt", include_str!("../templates/user.updated.txt")),
    ("user.deleted.txt", include_str!("../templates/user.deleted.txt")),
    ("user.suspended.txt", include_str!("../templates/user.suspended.txt")),
    ("user.password_changed.txt", include_str!("../templates/user.password_changed.txt")),
    ("employee.created.txt", include_str!("../templates/employee.created.txt")),
    ("employee.updated.txt", include_str!("../templates/employee.updated.txt")),
    ("employee.terminated.txt", include_str!("../templates/employee.terminated.txt")),
    ("leave.requested.txt", include_str!("../templates/leave.requested.txt")),
    ("leave.approved.txt", include_str!("../templates/leave.approved.txt")),
    ("leave.rejected.txt", include_str!("../templates/leave.rejected.txt")),
    ("leave.cancelled.txt", include_str!("../templates/leave.cancelled.txt")),
    ("leave.reassigned.txt", include_str!("../templates/leave.reassigned.txt")),
    ("attendance.marked.txt", include_str!("../templates/attendance.marked.txt")),
    ("attendance.updated.txt", include_str!("../templates/attendance.updated.txt")),
    ("compliance.violation.txt", include_str!("../templates/compliance.violation.txt")),
    ("compliance.alert.txt", include_str!("../templates/compliance.alert.txt")),
    ("layout.html", include_str!("../templates/layout.html")),
];

/// Why a message could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {source}")]
    Render { name: String, source: minijinja::Error },
    #[error("template {name} must start with a `Subject:` line and a blank line")]
    NoSubject { name: String },
    #[error("reading templates from {dir}: {source}")]
    Read { dir: String, source: std::io::Error },
}

/// A person in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub name: String,
    pub email: Option<String>,
}

/// A message ready for a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The templates in use.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The built-in templates.
    pub fn embedded() -> Self {
        Self::with(BTreeMap::new())
    }

    /// The built-in templates, each replaced by a file of the same name in
    /// `dir` where there is one (`leave.requested.txt`, `layout.html`, ...).
    pub fn with_overrides(dir: &Path) -> Result<Self, TemplateError> {
        let read = |source| TemplateError::Read { dir: dir.display().to_string(), source };
        let mut overrides = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(read)? {
            let entry = entry.map_err(read)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if EMBEDDED.iter().any(|(known, _)| *known == name) {
                overrides.insert(name, std::fs::read_to_string(entry.path()).map_err(read)?);
            }
        }
        let templates = Self::with(overrides);
        // A broken override fails at start, not at the first event.
        for (name, _) in EMBEDDED {
            templates
                .env
                .get_template(name)
                .map_err(|source| TemplateError::Render { name: (*name).into(), source })?;
        }
        Ok(templates)
    }

    fn with(overrides: BTreeMap<String, String>) -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in EMBEDDED {
            let source = overrides.get(*name).cloned().unwrap_or_else(|| (*source).to_owned());
            // A template that does not parse is reported when it is used.
            let _ = env.add_template_owned(*name, source);
        }
        Self { env }
    }

    /// The message about `event` for `recipient`; `employee` is the person
    /// the event is about, where the notice names them.
    pub fn render(
        &self,
        event: &HrmsEvent,
        recipient: &Person,
        employee: Option<&Person>,
    ) -> Result<Rendered, TemplateError> {
        let ty = event.event_type();
        let mut context = match event.payload.to_json() {
            Value::Object(fields) => fields,
            _ => Map::new(),
        };
        context.insert("recipient".into(), json!(recipient));
        if let Some(employee) = employee {
            context.insert("employee".into(), json!(employee));
        }
        context.insert("event".into(), json!({ "id": event.id, "type": ty.as_str(), "time": event.time }));
        let name = format!("{}.txt", ty.as_str());
        let rendered = self.render_named(&name, &Value::Object(context))?;
        let (subject, text) =
            split_subject(&rendered).ok_or_else(|| TemplateError::NoSubject { name: name.clone() })?;
        let paragraphs: Vec<Vec<&str>> = text
            .split("\n\n")
            .map(|p| p.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>())
            .filter(|p| !p.is_empty())
            .collect();
        let html =
            self.render_named("layout.html", &json!({ "subject": subject, "paragraphs": paragraphs }))?;
        Ok(Rendered { subject: subject.to_owned(), text: text.to_owned(), html })
    }

    fn render_named(&self, name: &str, context: &Value) -> Result<String, TemplateError> {
        let failed = |source| TemplateError::Render { name: name.to_owned(), source };
        self.env
            .get_template(name)
            .map_err(failed)?
            .render(minijinja::Value::from(minijinja::value::Serde(context)))
            .map_err(failed)
    }

    /// Whether there is a template for `ty`.
    pub fn has(&self, ty: EventType) -> bool {
        self.env.get_template(&format!("{}.txt", ty.as_str())).is_ok()
    }
}

/// `Subject: <subject>\n\n<body>` into its parts.
fn split_subject(message: &str) -> Option<(&str, &str)> {
    let (head, body) = message.split_once("\n\n")?;
    let subject = head.strip_prefix("Subject:")?.trim();
    (!subject.is_empty() && !head.contains('\n')).then_some((subject, body.trim()))
}

#[cfg(test)]
mod tests;
