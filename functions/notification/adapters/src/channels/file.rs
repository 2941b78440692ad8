//! [`FileMailer`]: each e-mail written as an RFC 5322 `.eml` file under a
//! directory (the data directory's `outbox/` in `hrms dev`, when no SMTP
//! server is configured), so a newcomer can open what would have been sent.

use std::io::Write;
use std::path::{Path, PathBuf};

use futures::future::BoxFuture;

use super::{Email, Mailer, SendError};

/// Writes mails to `<dir>/<message id>.eml`, atomically (temporary file,
/// then rename); the same message id replaces the same file.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
}

impl FileMailer {
    /// Mails go to `dir`, created on first send if missing.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory holding the mails.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file a mail with this message id is written to.
    pub fn path_for(&self, message_id: &str) -> PathBuf {
        let name: String = message_id
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>')
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || "-_.@+=".contains(c) { c } else { '_' })
            .collect();
        let name = name.trim_start_matches('.');
        self.dir.join(format!("{}.eml", if name.is_empty() { "_" } else { name }))
    }
}

impl Mailer for FileMailer {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let bytes = email.to_message()?.formatted();
            let path = self.path_for(&email.message_id);
            let dir = self.dir.clone();
            tokio::task::spawn_blocking(move || write_atomically(&dir, &path, &bytes))
                .await
                .map_err(|e| SendError::transient("the writer task failed", e))?
                .map_err(|e| SendError::transient(format!("cannot write to {}", dir_display(&self.dir)), e))
        })
    }
}

fn dir_display(dir: &Path) -> String {
    dir.display().to_string()
}

fn write_atomically(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{file_name}.{}.tmp", uuid::Uuid::now_v7()));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    match written.and_then(|()| std::fs::rename(&temp, path)) {
        Ok(()) => Ok(()),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::email::tests::sample;

    #[test]
    fn file_names_come_from_the_message_id_and_stay_inside_the_directory() {
        let mailer = FileMailer::new("/tmp/outbox");
        assert_eq!(mailer.path_for("<abc.email.1@hrms>"), PathBuf::from("/tmp/outbox/abc.email.1@hrms.eml"));
        assert_eq!(mailer.path_for("../../etc/passwd"), PathBuf::from("/tmp/outbox/_.._etc_passwd.eml"));
    }

    #[tokio::test]
    async fn writes_one_eml_per_message_id_and_no_temporary_file() -> Result<(), Box<dyn std::error::Error>> {
        let dir = std::env::temp_dir().join(format!("hrms-outbox-{}", uuid::Uuid::now_v7()));
        let mailer = FileMailer::new(&dir);
        mailer.send(&sample()).await?;
        mailer.send(&sample()).await?;
        let names: Vec<String> = std::fs::read_dir(&dir)?
            .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()?;
        let raw = std::fs::read_to_string(mailer.path_for(&sample().message_id))?;
        std::fs::remove_dir_all(&dir)?;
        assert_eq!(names, vec!["abc.email.1@hrms.eml".to_owned()]);
        assert!(raw.contains("Message-ID: <abc.email.1@hrms>") && raw.contains("multipart/alternative"));
        Ok(())
    }
}
