//! FlinkCli against fake `bin/` scripts (shell), real process handling.

use std::time::Duration;

use super::*;
use crate::flink_home::DetectOptions;
use crate::testkit::FakeFlinkHome;

fn cli_with(script: &str) -> (tempfile::TempDir, FlinkCli) {
    let dir = tempfile::tempdir().unwrap();
    let home = FakeFlinkHome::new(dir.path().join("flink"))
        .with_conf_file("config.yaml", "")
        .with_bin_script("flink", script)
        .with_bin_script("yarn-session.sh", "#!/bin/sh\necho \"session $*\"\n")
        .write()
        .unwrap();
    let home = FlinkHome::detect_with(
        &home,
        &DetectOptions::default().with_vendor_conf_dirs(vec![]),
    )
    .unwrap();
    (dir, FlinkCli::new(home))
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn success_captures_output_and_passes_env() {
    let (_d, cli) = cli_with(
        "#!/bin/sh\necho \"Job has been submitted with JobID 0123456789abcdef0123456789abcdef\"\necho \"conf=$FLINK_CONF_DIR hadoop=$HADOOP_CONF_DIR args=$*\" >&2\n",
    );
    let cli = cli.with_env("HADOOP_CONF_DIR", "/etc/hadoop/conf");
    let out = cli
        .run(&args(&["run", "-t", "remote", "x.jar"]))
        .await
        .unwrap();
    assert_eq!(out.exit_code, 0);
    assert_eq!(
        parse::job_id(&out.combined()).as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    let conf = cli.home().conf_dir().display().to_string();
    assert!(
        out.stderr.contains(&format!("conf={conf} ")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hadoop=/etc/hadoop/conf args=run -t remote x.jar"),
        "{}",
        out.stderr
    );
    let o = cli
        .clone()
        .with_conf_dir("/elsewhere")
        .run(&args(&["info"]))
        .await
        .unwrap();
    assert!(o.stderr.contains("conf=/elsewhere "), "{}", o.stderr);
    let s = cli
        .run_script("yarn-session.sh", &args(&["-d"]))
        .await
        .unwrap();
    assert_eq!(s.stdout.trim(), "session -d");
}

#[tokio::test]
async fn non_zero_exit_is_rejected_with_redacted_stderr_tail() {
    let (_d, cli) = cli_with(
        "#!/bin/sh\necho 'some stdout'\nfor i in $(seq 1 500); do echo \"noise line $i\" >&2; done\necho \"Could not find class com.example.Nope (-Dmy.password=$2)\" >&2\nexit 3\n",
    );
    let e = cli
        .run(&args(&["run", "sekrit-value", "x.jar"]))
        .await
        .unwrap_err();
    match &e {
        Error::Rejected {
            operation, message, ..
        } => {
            assert_eq!(operation, "flink run");
            assert!(message.starts_with("exit code 3: "), "{message}");
            assert!(
                message.contains("Could not find class com.example.Nope"),
                "{message}"
            );
            assert!(!message.contains("noise line 1\n"), "tail only: {message}");
            assert!(message.len() < 2100, "{}", message.len());
        }
        other => panic!("{other:?}"),
    }
    let shown = format!("{e} {e:?}");
    assert!(!shown.contains("sekrit-value"), "{shown}");
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("child.pid");
    let script = format!(
        "#!/bin/sh\nsleep 300 &\necho $! > {}\necho 'waiting for the cluster' >&2\nwait\n",
        marker.display()
    );
    let (_d, cli) = cli_with(&script);
    let cli = cli.with_timeout(Duration::from_millis(1500));
    let e = cli.run(&args(&["run", "x.jar"])).await.unwrap_err();
    match &e {
        Error::Timeout {
            operation, after, ..
        } => {
            assert_eq!(*after, Duration::from_millis(1500));
            assert!(operation.starts_with("flink run"), "{operation}");
            assert!(operation.contains("waiting for the cluster"), "{operation}");
        }
        other => panic!("{other:?}"),
    }
    let pid = std::fs::read_to_string(&marker).unwrap().trim().to_string();
    assert!(!pid.is_empty());
    // The backgrounded grandchild was in the group and got SIGKILL; give the kernel a moment
    // to reap it (it is re-parented to init), then check it is gone or a zombie.
    let mut alive = true;
    for _ in 0..50 {
        alive = process_alive(&pid);
        if !alive {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!alive, "grandchild {pid} survived the timeout");
}

fn process_alive(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // Field 3 is the state; Z = zombie (dead, waiting to be reaped).
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

#[tokio::test]
async fn missing_script_and_bad_names() {
    let (_d, cli) = cli_with("#!/bin/sh\n");
    let e = cli
        .run_script("kubernetes-session.sh", &[])
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Other { .. }), "{e:?}");
    assert!(e.to_string().contains("bin/kubernetes-session.sh"), "{e}");
    for bad in ["../flink", "", "/bin/sh"] {
        let e = cli.run_script(bad, &[]).await.unwrap_err();
        assert!(matches!(e, Error::InvalidInput { .. }), "{bad}: {e:?}");
    }
}

#[test]
fn debug_hides_env_values_and_handles_are_send_sync() {
    fn bounds<T: Send + Sync + Clone + 'static>() {}
    bounds::<FlinkCli>();
    bounds::<FlinkHome>();
    let (_d, cli) = cli_with("#!/bin/sh\n");
    let cli = cli.with_env("AWS_SECRET_ACCESS_KEY", "shh-123");
    let dbg = format!("{cli:?}");
    assert!(
        dbg.contains("AWS_SECRET_ACCESS_KEY") && !dbg.contains("shh-123"),
        "{dbg}"
    );
}
