//! The SQL runner: how SQL programs run on every backend.
//!
//! Flink's PyPI build has no SQL Gateway, and application modes on YARN and Kubernetes need a
//! jar anyway, so a [`crate::Program::Sql`] runs as the program of a small jar, the SDK's own
//! **SQL runner** (source in `streampark-core/runner/src`, built by `scripts/build-sql-runner`
//! with `javac --release 11`, embedded here so hosts need no Java toolchain; CI rebuilds it and
//! fails when the embedded jar is stale).
//!
//! The runner executes a script with Flink's `TableEnvironment`: `SET`/`RESET` change the table
//! configuration, DDL and other statements run in order, and every `INSERT` of the script
//! (alone, in `EXECUTE STATEMENT SET BEGIN … END` or in `BEGIN STATEMENT SET; … END;`) joins one
//! statement set: one job. An error names the statement number and its line in the script, and
//! Flink's own message reaches the caller as [`crate::Error::Rejected`].
//!
//! ```
//! use streampark_core::runner;
//! assert!(runner::SQL_RUNNER_JAR.starts_with(b"PK"));
//! let args = runner::program_args("INSERT INTO k SELECT 1", Some("my job"));
//! assert_eq!(args[0], "--script-b64");
//! assert_eq!(&args[2..], ["--name", "my job"]);
//! ```

use base64::Engine as _;

/// The runner jar's bytes.
pub static SQL_RUNNER_JAR: &[u8] = include_bytes!("../../runner/streampark-sql-runner.jar");

/// The file name the jar is uploaded under.
pub const SQL_RUNNER_JAR_NAME: &str = "streampark-sql-runner.jar";

/// The runner's main class.
pub const SQL_RUNNER_MAIN_CLASS: &str = "io.streampark.runner.SqlRunner";

/// The runner jar's jar launcher: runs a user's jar program with a job configuration on Flink
/// releases whose `POST /jars/:id/run` cannot carry one (before 1.17). Arguments:
/// `--conf-b64 <base64 "key=value" lines> --main <class> -- <program args>`.
pub const JAR_LAUNCHER_MAIN_CLASS: &str = "io.streampark.runner.JarLauncher";

/// Program arguments that make the runner execute `script` (base64-encoded, so no quoting
/// layer on the way can damage it) and name the job `name`.
pub fn program_args(script: &str, name: Option<&str>) -> Vec<String> {
    let mut args = vec![
        "--script-b64".to_string(),
        base64::engine::general_purpose::STANDARD.encode(script.as_bytes()),
    ];
    if let Some(n) = name {
        args.push("--name".into());
        args.push(n.to_string());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jar_names_its_main_class() {
        // The manifest is stored in the jar; the class path appears in the zip directory.
        let needle = SQL_RUNNER_MAIN_CLASS.replace('.', "/");
        assert!(
            SQL_RUNNER_JAR
                .windows(needle.len())
                .any(|w| w == needle.as_bytes()),
            "runner jar does not contain {needle}"
        );
    }

    #[test]
    fn script_survives_encoding() {
        let script = "SET 'a' = 'b';\nINSERT INTO `k` SELECT '€' FROM s -- x\n";
        let args = program_args(script, None);
        let back = base64::engine::general_purpose::STANDARD
            .decode(&args[1])
            .unwrap();
        assert_eq!(String::from_utf8(back).unwrap(), script);
        assert_eq!(args.len(), 2);
    }
}
