//! `hrms lambda`: one function under the AWS Lambda Runtime API. The
//! function is `--function`, or the custom runtime's handler setting
//! (`_HANDLER`); `relay` is the outbox relay fed by DynamoDB Streams. The
//! binary installed as `bootstrap` runs this when `AWS_LAMBDA_RUNTIME_API`
//! is set. A function that cannot start reports an init error to the
//! Runtime API, which Lambda returns to the caller.

use anyhow::Context;
use hrms::app::Stores;
use hrms::app::lambda::{LambdaFunction, target};

#[derive(clap::Args)]
pub struct Args {
    /// The function to run (`relay`: the outbox relay); Lambda passes the
    /// handler setting as `_HANDLER`.
    #[arg(long, env = "_HANDLER")]
    function: LambdaFunction,
    #[command(flatten)]
    stores: Stores,
}

/// Fills `<NAME>` from `<NAME>_SECRET_ARN` or `<NAME>_PARAMETER_ARN`
/// (Secrets Manager, SSM) through the Parameters and Secrets extension
/// (`<NAME>_FILE` for those of [`REFRESHED`]); nothing to do without such
/// variables. A failure is kept for [`run`] to report as the init error.
///
/// # Safety
/// Sets environment variables: call it before the process starts any
/// thread (before the Tokio runtime).
pub unsafe fn load_secrets() {
    // SAFETY: passed on from the caller.
    if let Err(e) = unsafe { set_secrets() } {
        let _ = SECRETS_FAILED.set(format!("{e:#}"));
    }
}

/// Why the secrets could not be read, if they could not.
static SECRETS_FAILED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The secrets the code reads from a file again whenever it changes
/// (`<NAME>_FILE`): from an ARN, they are kept in a file, set as
/// `<NAME>_FILE`, and read again from the extension before an invocation
/// when due (`hrms_lambda::secrets::SecretFiles`), so that a sandbox
/// outliving a 12-hour service token does not keep it.
const REFRESHED: [&str; 1] = ["HRMS_SERVICE_TOKEN"];

/// How often they are read again at the latest
/// (`HRMS_SECRET_REFRESH_SECS`, default an hour; sooner for a JWT near its
/// expiry).
const REFRESH_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// The refreshed secrets' files, once read.
static REFRESHING: std::sync::OnceLock<std::sync::Arc<hrms_lambda::secrets::SecretFiles>> =
    std::sync::OnceLock::new();

/// # Safety
/// As [`load_secrets`].
unsafe fn set_secrets() -> anyhow::Result<()> {
    use hrms_lambda::secrets;
    let wanted = secrets::wanted(std::env::vars());
    if wanted.is_empty() {
        return Ok(());
    }
    let port = match std::env::var("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT") {
        Ok(port) => port.trim().parse().context("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: a port")?,
        Err(_) => 2773,
    };
    let token = std::env::var("AWS_SESSION_TOKEN").unwrap_or_default();
    let (refreshed, fixed): (Vec<_>, Vec<_>) =
        wanted.into_iter().partition(|(name, _)| REFRESHED.contains(&name.as_str()));
    for (name, value) in secrets::fetch(&fixed, port, &token)? {
        // SAFETY: the caller runs this before any other thread exists.
        unsafe { std::env::set_var(name, value) };
    }
    if refreshed.is_empty() {
        return Ok(());
    }
    let every = match std::env::var("HRMS_SECRET_REFRESH_SECS") {
        Ok(s) if !s.trim().is_empty() => std::time::Duration::from_secs(
            s.trim().parse().context("HRMS_SECRET_REFRESH_SECS: whole seconds")?,
        ),
        _ => REFRESH_EVERY,
    };
    let dir = std::env::temp_dir().join("hrms-secrets");
    let files = secrets::SecretFiles::load(refreshed, &dir, port, &token, every)?;
    for (name, path) in files.files() {
        // SAFETY: as above.
        unsafe { std::env::set_var(format!("{name}_FILE"), path) };
    }
    let _ = REFRESHING.set(std::sync::Arc::new(files));
    Ok(())
}

/// Whether this process is a Lambda custom runtime's `bootstrap`: then it
/// runs `hrms lambda` whatever its arguments.
pub fn is_bootstrap() -> bool {
    let name = std::env::args_os().next().map(std::path::PathBuf::from);
    let named = name.as_deref().and_then(|p| p.file_name()).is_some_and(|n| n == "bootstrap");
    named && std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

pub async fn run(mut args: Args) -> anyhow::Result<()> {
    let missing = hrms_lambda::runtime::missing_environment();
    if !missing.is_empty() {
        anyhow::bail!(
            "hrms lambda runs under the Lambda Runtime API, which sets {}: these are missing \
             (`hrms serve` runs a function as a plain HTTP server)",
            missing.join(", ")
        );
    }
    // A Lambda's only writable directory.
    if std::env::var_os("HRMS_DATA_DIR").is_none() {
        args.stores.data_dir = std::env::temp_dir().join("hrms");
    }
    let built = match SECRETS_FAILED.get() {
        Some(failed) => Err(anyhow::anyhow!("reading the secrets: {failed}")),
        None => target(args.function, args.stores).await,
    };
    let mut target = match built {
        Ok(target) => target,
        Err(e) => {
            let message = format!("{e:#}");
            tracing::error!(error = %message, "cannot start");
            if let Err(report) = hrms_lambda::runtime::report_init_error(&message).await {
                tracing::error!(error = %report, "cannot report the init error to the Runtime API");
            }
            return Err(e);
        }
    };
    target.secrets = REFRESHING.get().cloned();
    tracing::info!(function = %target.function, "ready for invocations");
    hrms_lambda::run(target).await.map_err(|e| anyhow::anyhow!(e)).context("the Lambda runtime stopped")
}
