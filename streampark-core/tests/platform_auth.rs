//! Permissions against roles (a table), team isolation, secrets never shown, and a property
//! test: an operation succeeds only when the policy allows it, and every call leaves exactly
//! one audit record.

mod platform_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use platform_support::*;
use proptest::prelude::*;
use streampark_core::platform::{
    AuditOutcome, AuditQuery, MASK, Member, Permission, Platform, Principal, StopHow, TeamVariable,
    User,
};
use streampark_core::{Error, JobId, Result};

fn denied<T: std::fmt::Debug>(r: &Result<T>) -> bool {
    matches!(r, Err(Error::PermissionDenied { .. }))
}

/// Performs the operation that needs `perm` as `who` on a fresh job `job` of team `a`
/// (deployed first where the operation needs a deployment). `Some(true)`: allowed and done;
/// `Some(false)`: denied; panics on any other failure.
async fn exercise(f: &Fixture, perm: Permission, who: &Principal, job: &str) -> bool {
    let pf = &f.platform;
    let root = &f.root;
    let id = JobId::new(job).unwrap();
    let base = spec(job, "a").with_config("parallelism.default", "2");
    pf.create_job(root, base.clone(), "v1").await.unwrap();
    if matches!(perm, Permission::JobStop | Permission::JobSavepoint) {
        pf.deploy(root, &id).await.unwrap();
    }
    let r: Result<()> = match perm {
        Permission::JobView => pf.job(who, &id).await.map(drop),
        Permission::JobCreate => pf
            .create_job(who, spec(&format!("{job}-new"), "a"), "new")
            .await
            .map(drop),
        Permission::JobEdit => pf
            .update_job(who, base.clone().with_name("renamed"), "edit")
            .await
            .map(drop),
        Permission::JobDeploy => pf.deploy(who, &id).await.map(drop),
        Permission::JobStop => pf.stop(who, &id, StopHow::Cancel).await.map(drop),
        Permission::JobSavepoint => pf.savepoint(who, &id).await.map(drop),
        Permission::JobDelete => pf.delete_job(who, &id).await.map(drop),
        Permission::ConfigRead => match pf.job(who, &id).await {
            Ok(m) if m.current.spec.config["parallelism.default"] == "2" => Ok(()),
            Ok(_) => return false,
            Err(e) => Err(e),
        },
        Permission::ConfigWrite => pf
            .update_job(
                who,
                base.clone().with_config("parallelism.default", "4"),
                "cfg",
            )
            .await
            .map(drop),
        Permission::VariableRead => pf.variables(who, "a").await.map(drop),
        Permission::VariableWrite => pf.set_variable(who, TeamVariable::new("a", job, "v")).await,
        Permission::SecretWrite => {
            pf.set_variable(who, TeamVariable::secret("a", job, "s3cr3t"))
                .await
        }
        Permission::AlertRouteEdit => pf
            .update_job(who, base.clone().with_label("route", "oncall"), "labels")
            .await
            .map(drop),
        Permission::MemberManage => {
            pf.put_user(root, User::new(format!("{job}-newbie")))
                .await
                .unwrap();
            pf.put_member(who, Member::new("a", format!("{job}-newbie"), "viewer"))
                .await
        }
        Permission::AuditRead => pf
            .audit(who, AuditQuery::new().with_team("a"))
            .await
            .map(drop),
        other => panic!("no exercise for {other:?}"),
    };
    match r {
        Ok(()) => true,
        Err(Error::PermissionDenied { reason, .. }) => {
            assert!(reason.contains(who.id()), "{reason}");
            false
        }
        Err(e) => panic!("{perm:?} as {who:?}: unexpected error {e}"),
    }
}

#[tokio::test]
async fn each_permission_against_each_role() {
    use Permission::*;
    // What each role may do, written out independently of the policy's code. Editing config
    // or labels also needs `job.edit`; reading config also needs `job.view`.
    let table: &[(&str, &[Permission])] = &[
        ("root", &Permission::ALL),
        ("a-admin", &Permission::ALL),
        (
            "a-developer",
            &[
                JobView,
                JobCreate,
                JobEdit,
                JobDeploy,
                JobStop,
                JobSavepoint,
                ConfigRead,
                ConfigWrite,
                VariableRead,
                VariableWrite,
                AlertRouteEdit,
                AuditRead,
            ],
        ),
        (
            "a-operator",
            &[
                JobView,
                JobDeploy,
                JobStop,
                JobSavepoint,
                ConfigRead,
                VariableRead,
                AuditRead,
            ],
        ),
        ("a-viewer", &[JobView, ConfigRead, VariableRead]),
        ("a-deployer", &[JobView, JobDeploy, JobStop]),
        ("a-auditor", &[AuditRead]),
        ("b-developer", &[]),
        ("nobody", &[]),
        ("stranger", &[]),
    ];
    let f = fixture(Arc::new(streampark_core::MemoryStore::new())).await;
    let mut n = 0;
    for (user, allowed) in table {
        let allowed: BTreeSet<Permission> = allowed.iter().copied().collect();
        for perm in Permission::ALL {
            n += 1;
            let got = exercise(&f, perm, &p(user), &format!("j{n}")).await;
            assert_eq!(got, allowed.contains(&perm), "{user} / {perm}");
        }
    }
}

#[tokio::test]
async fn team_isolation() {
    let f = fixture(Arc::new(streampark_core::MemoryStore::new())).await;
    let pf = &f.platform;
    let (dev_a, dev_b) = (p("a-developer"), p("b-developer"));
    let b_job = spec("b-job", "b");
    pf.create_job(&dev_b, b_job.clone(), "mine").await.unwrap();
    pf.create_job(&dev_a, spec("a-job", "a"), "mine")
        .await
        .unwrap();
    let id = b_job.id.clone();

    let listed: Vec<String> = pf
        .list(&dev_a)
        .await
        .unwrap()
        .iter()
        .map(|m| m.current.spec.id.to_string())
        .collect();
    assert_eq!(listed, ["a-job"]);
    assert!(denied(&pf.job(&dev_a, &id).await));
    assert!(denied(&pf.versions(&dev_a, &id).await));
    assert!(denied(
        &pf.update_job(&dev_a, b_job.clone().with_name("x"), "hijack")
            .await
    ));
    assert!(denied(&pf.deploy(&dev_a, &id).await));
    assert!(denied(&pf.stop(&dev_a, &id, StopHow::Cancel).await));
    assert!(denied(&pf.delete_job(&dev_a, &id).await));
    assert!(denied(
        &pf.audit(&dev_a, AuditQuery::new().with_team("b")).await
    ));
    assert!(denied(
        &pf.audit(&dev_a, AuditQuery::new().with_job("b-job")).await
    ));
    assert!(
        denied(&pf.audit(&dev_a, AuditQuery::new()).await),
        "an unscoped query is for admins"
    );
    assert!(denied(&pf.variables(&dev_a, "b").await));
    assert!(denied(
        &pf.create_job(&dev_a, spec("sneaky", "b"), "in b").await
    ));
    // A job of b cannot be moved into a by an edit either.
    let moved = b_job.clone().with_owner(streampark_core::Owner::team("a"));
    assert!(denied(&pf.update_job(&dev_a, moved, "move").await));
    // Audit of a holds nothing of b.
    let a_audit = pf
        .audit(&dev_a, AuditQuery::new().with_team("a"))
        .await
        .unwrap();
    assert!(
        a_audit.iter().all(|r| r.job.as_deref() != Some("b-job")),
        "{a_audit:?}"
    );
    // b's job is untouched.
    let m = pf.job(&dev_b, &id).await.unwrap();
    assert_eq!(m.current.version, 1);
    assert!(m.deployed.is_none());
    // The denials were audited as denied, under the caller's name.
    let mine = pf
        .audit(&f.root, AuditQuery::new().with_user("a-developer"))
        .await
        .unwrap();
    assert!(
        mine.iter()
            .filter(|r| r.outcome == AuditOutcome::Denied)
            .count()
            >= 10
    );
}

#[tokio::test]
async fn secrets_never_show() {
    let f = fixture(Arc::new(streampark_core::MemoryStore::new())).await;
    let pf = &f.platform;
    let secret = "pa55-w0rd-xyz";
    pf.set_variable(&p("a-admin"), TeamVariable::secret("a", "db_pass", secret))
        .await
        .unwrap();
    pf.set_variable(&p("a-admin"), TeamVariable::new("a", "db_user", "etl"))
        .await
        .unwrap();
    // A developer cannot overwrite or read the secret.
    assert!(denied(
        &pf.set_variable(&p("a-developer"), TeamVariable::secret("a", "db_pass", "x"))
            .await
    ));
    let vars = pf.variables(&p("a-viewer"), "a").await.unwrap();
    let shown = format!("{vars:?}");
    assert!(!shown.contains(secret) && shown.contains("etl"), "{shown}");
    assert_eq!(
        vars.iter().find(|v| v.name == "db_pass").unwrap().value,
        MASK
    );

    let s = spec("uses-secret", "a")
        .with_config("db.url", "jdbc:mysql://${db_user}:${db_pass}@db/x")
        .with_config("missing", "${nope}");
    pf.create_job(&p("a-developer"), s.clone(), "v1")
        .await
        .unwrap();
    // An undefined variable fails the deploy before anything starts, naming it, not the secret.
    let e = pf.deploy(&p("a-developer"), &s.id).await.unwrap_err();
    let msg = format!("{e} {e:?}");
    assert!(msg.contains("nope") && !msg.contains(secret), "{msg}");
    assert!(f.deployer.requests.lock().unwrap().is_empty());
    let s2 = s.with_config("missing", "fine");
    pf.update_job(&p("a-developer"), s2.clone(), "fix")
        .await
        .unwrap();
    let rec = pf.deploy(&p("a-developer"), &s2.id).await.unwrap();
    // The backend got the real value; what is stored and shown is masked.
    assert_eq!(
        f.deployer.last().spec.config["db.url"],
        format!("jdbc:mysql://etl:{secret}@db/x")
    );
    assert_eq!(
        rec.resolved.config["db.url"],
        "jdbc:mysql://etl:******@db/x"
    );
    for shown in [
        format!("{rec:?}"),
        format!("{:?}", pf.job(&p("a-viewer"), &s2.id).await.unwrap()),
        format!("{:?}", pf.deploys(&p("a-viewer"), &s2.id).await.unwrap()),
        format!(
            "{:?}",
            f.store
                .audit(&AuditQuery::new().with_page(0, 10_000))
                .await
                .unwrap()
        ),
        format!("{:?}", pf),
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let raw: Vec<String> = f
        .store
        .docs(streampark_core::store::DocKind::Deploy, None)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.json)
        .collect();
    assert!(
        raw.iter().all(|j| !j.contains(secret)),
        "stored deploy records are masked"
    );
    // The audit of the secret write says which variable changed, never its value.
    let set = pf
        .audit(&f.root, AuditQuery::new().with_team("a"))
        .await
        .unwrap();
    let change = set
        .iter()
        .flat_map(|r| &r.changes)
        .find(|c| c.key == "variable.db_pass")
        .unwrap();
    assert_eq!(change.after.as_deref(), Some(MASK));
}

// ---------------------------------------------------------------- property test

#[derive(Clone, Copy, Debug)]
enum Op {
    View,
    Edit,
    Deploy,
    Stop,
    Savepoint,
    Create,
    SetVar,
    SetSecret,
    ReadVars,
    Audit,
    AddMember,
    List,
}

const USERS: [&str; 9] = [
    "root",
    "a-admin",
    "a-developer",
    "a-operator",
    "a-viewer",
    "a-deployer",
    "a-auditor",
    "b-developer",
    "stranger",
];

/// The policy, restated for the model: the permission each op needs (`None`: admins only or
/// always allowed, see `allowed`).
fn needs(op: Op) -> Option<Permission> {
    Some(match op {
        Op::View => Permission::JobView,
        Op::Edit => Permission::JobEdit,
        Op::Deploy => Permission::JobDeploy,
        Op::Stop => Permission::JobStop,
        Op::Savepoint => Permission::JobSavepoint,
        Op::Create => Permission::JobCreate,
        Op::SetVar => Permission::VariableWrite,
        Op::SetSecret => Permission::SecretWrite,
        Op::ReadVars => Permission::VariableRead,
        Op::Audit => Permission::AuditRead,
        Op::AddMember => Permission::MemberManage,
        Op::List => return None,
    })
}

fn model_allows(user: &str, team: &str, op: Op) -> bool {
    use Permission::*;
    let Some(perm) = needs(op) else { return true };
    if user == "root" {
        return true;
    }
    let role: &[Permission] = match (user, team) {
        ("a-admin", "a") => &Permission::ALL,
        ("a-developer", "a") | ("b-developer", "b") => &[
            JobView,
            JobCreate,
            JobEdit,
            JobDeploy,
            JobStop,
            JobSavepoint,
            VariableRead,
            VariableWrite,
            AuditRead,
        ],
        ("a-operator", "a") => &[
            JobView,
            JobDeploy,
            JobStop,
            JobSavepoint,
            VariableRead,
            AuditRead,
        ],
        ("a-viewer", "a") => &[JobView, VariableRead],
        ("a-deployer", "a") => &[JobView, JobDeploy, JobStop],
        ("a-auditor", "a") => &[AuditRead],
        _ => &[],
    };
    role.contains(&perm)
}

async fn run_op(pf: &Platform, who: &Principal, team: &str, op: Op, n: usize) -> Result<()> {
    let job = JobId::new(format!("job-{team}")).unwrap();
    match op {
        Op::View => pf.job(who, &job).await.map(drop),
        Op::Edit => pf
            .update_job(
                who,
                spec(job.as_str(), team).with_name(format!("n{n}")),
                "edit",
            )
            .await
            .map(drop),
        Op::Deploy => pf.deploy(who, &job).await.map(drop),
        Op::Stop => pf.stop(who, &job, StopHow::Savepoint).await.map(drop),
        Op::Savepoint => pf.savepoint(who, &job).await.map(drop),
        Op::Create => pf
            .create_job(who, spec(&format!("new-{team}-{n}"), team), "new")
            .await
            .map(drop),
        Op::SetVar => {
            pf.set_variable(who, TeamVariable::new(team, format!("v{n}"), "x"))
                .await
        }
        Op::SetSecret => {
            pf.set_variable(who, TeamVariable::secret(team, format!("s{n}"), "x"))
                .await
        }
        Op::ReadVars => pf.variables(who, team).await.map(drop),
        Op::Audit => pf
            .audit(who, AuditQuery::new().with_team(team))
            .await
            .map(drop),
        Op::AddMember => {
            pf.put_member(who, Member::new(team, "nobody", "viewer"))
                .await
        }
        Op::List => pf.list(who).await.map(drop),
    }
}

fn op_strategy() -> impl Strategy<Value = (usize, bool, Op)> {
    let op = prop_oneof![
        Just(Op::View),
        Just(Op::Edit),
        Just(Op::Deploy),
        Just(Op::Stop),
        Just(Op::Savepoint),
        Just(Op::Create),
        Just(Op::SetVar),
        Just(Op::SetSecret),
        Just(Op::ReadVars),
        Just(Op::Audit),
        Just(Op::AddMember),
        Just(Op::List),
    ];
    (0..USERS.len(), any::<bool>(), op)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]
    #[test]
    fn calls_succeed_only_when_allowed_and_leave_one_audit_record(ops in prop::collection::vec(op_strategy(), 1..24)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let f = fixture(Arc::new(streampark_core::MemoryStore::new())).await;
            for team in ["a", "b"] {
                f.platform.create_job(&f.root, spec(&format!("job-{team}"), team), "seed").await.unwrap();
            }
            for (n, (u, team_b, op)) in ops.into_iter().enumerate() {
                let (user, team) = (USERS[u], if team_b { "b" } else { "a" });
                let before = audit_count(&*f.store).await;
                let r = run_op(&f.platform, &p(user), team, op, n).await;
                let after = audit_count(&*f.store).await;
                assert_eq!(after, before + 1, "{user} {op:?} on {team}: {r:?}");
                let allowed = model_allows(user, team, op);
                match &r {
                    Err(Error::PermissionDenied { .. }) => assert!(!allowed, "{user} {op:?} on {team} was denied"),
                    Ok(()) => assert!(allowed, "{user} {op:?} on {team} succeeded"),
                    // Allowed but refused on its merits (deploying a running job, a savepoint
                    // of a job never deployed).
                    Err(e) => assert!(allowed, "{user} {op:?} on {team}: {e}"),
                }
                let last = f.store.audit(&AuditQuery::new().with_page(before as u64, 1)).await.unwrap();
                let rec = &last[0];
                assert_eq!(rec.user, user);
                let expect = match &r { Ok(_) => "ok", Err(Error::PermissionDenied { .. }) => "denied", Err(_) => "failed" };
                assert_eq!(rec.outcome.as_str(), expect);
            }
        });
    }
}
