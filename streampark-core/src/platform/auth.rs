//! Identity and permissions: users, teams, members with roles, the [`Authorizer`] trait and the
//! built-in [`TeamPolicy`].

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::store::{DocKind, Store, load};
use crate::{Error, Result};

/// One thing a principal may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Permission {
    /// See a job, its versions, diffs, logs and cluster state.
    JobView,
    /// Create a job in the team.
    JobCreate,
    /// Change a job's spec or SQL, roll it back.
    JobEdit,
    /// Deploy (start, restart) a job.
    JobDeploy,
    /// Stop a job.
    JobStop,
    /// Trigger a savepoint.
    JobSavepoint,
    /// Delete a job.
    JobDelete,
    /// See a job's Flink configuration values.
    ConfigRead,
    /// Change a job's Flink configuration.
    ConfigWrite,
    /// See the team's variables (secret values are never shown).
    VariableRead,
    /// Set plain variables.
    VariableWrite,
    /// Set secret variables (write-only: nobody can read them back).
    SecretWrite,
    /// Change a job's labels, which route its alerts.
    AlertRouteEdit,
    /// Add, change and remove team members.
    MemberManage,
    /// Read the team's audit log.
    AuditRead,
}

impl Permission {
    /// Every permission.
    pub const ALL: [Permission; 15] = [
        Permission::JobView,
        Permission::JobCreate,
        Permission::JobEdit,
        Permission::JobDeploy,
        Permission::JobStop,
        Permission::JobSavepoint,
        Permission::JobDelete,
        Permission::ConfigRead,
        Permission::ConfigWrite,
        Permission::VariableRead,
        Permission::VariableWrite,
        Permission::SecretWrite,
        Permission::AlertRouteEdit,
        Permission::MemberManage,
        Permission::AuditRead,
    ];

    /// Stable dotted name, e.g. `job.deploy`.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::JobView => "job.view",
            Permission::JobCreate => "job.create",
            Permission::JobEdit => "job.edit",
            Permission::JobDeploy => "job.deploy",
            Permission::JobStop => "job.stop",
            Permission::JobSavepoint => "job.savepoint",
            Permission::JobDelete => "job.delete",
            Permission::ConfigRead => "config.read",
            Permission::ConfigWrite => "config.write",
            Permission::VariableRead => "variable.read",
            Permission::VariableWrite => "variable.write",
            Permission::SecretWrite => "variable.secret_write",
            Permission::AlertRouteEdit => "alert_route.edit",
            Permission::MemberManage => "member.manage",
            Permission::AuditRead => "audit.read",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A named set of permissions. The built-in roles are `viewer`, `operator`, `developer` and
/// `admin`; hosts add custom roles with [`super::Platform::put_role`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Role {
    /// Unique name.
    pub name: String,
    /// What members with this role may do in their team.
    pub permissions: BTreeSet<Permission>,
}

impl Role {
    /// A custom role.
    pub fn new(name: impl Into<String>, permissions: impl IntoIterator<Item = Permission>) -> Self {
        Role {
            name: name.into(),
            permissions: permissions.into_iter().collect(),
        }
    }

    /// The built-in role called `name`, if there is one.
    ///
    /// - `viewer`: job view, config read, variable read;
    /// - `operator`: viewer + deploy, stop, savepoint, audit read;
    /// - `developer`: operator + create, edit, config write, variable write, alert route edit;
    /// - `admin`: everything.
    pub fn builtin(name: &str) -> Option<Role> {
        use Permission::*;
        let viewer = [JobView, ConfigRead, VariableRead];
        let operator = [JobDeploy, JobStop, JobSavepoint, AuditRead];
        let developer = [
            JobCreate,
            JobEdit,
            ConfigWrite,
            VariableWrite,
            AlertRouteEdit,
        ];
        let perms: Vec<Permission> = match name {
            "viewer" => viewer.to_vec(),
            "operator" => viewer.iter().chain(&operator).copied().collect(),
            "developer" => viewer
                .iter()
                .chain(&operator)
                .chain(&developer)
                .copied()
                .collect(),
            "admin" => Permission::ALL.to_vec(),
            _ => return None,
        };
        Some(Role::new(name, perms))
    }

    /// The names of the built-in roles.
    pub const BUILTIN: [&'static str; 4] = ["admin", "developer", "operator", "viewer"];
}

/// A user known to the platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct User {
    /// Unique id (the host's login name, an SSO subject).
    pub id: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Platform administrator: may do everything in every team and manage users, teams, roles.
    #[serde(default)]
    pub admin: bool,
}

impl User {
    /// A user who is not an administrator.
    pub fn new(id: impl Into<String>) -> Self {
        User {
            id: id.into(),
            name: String::new(),
            admin: false,
        }
    }
    /// Sets the display name.
    #[must_use]
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }
    /// Makes the user a platform administrator.
    #[must_use]
    pub fn with_admin(mut self, admin: bool) -> Self {
        self.admin = admin;
        self
    }
}

/// A team: jobs, variables and members belong to one team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Team {
    /// Unique id (used as [`crate::Owner::team`]).
    pub id: String,
    /// Description.
    #[serde(default)]
    pub description: String,
}

impl Team {
    /// A team.
    pub fn new(id: impl Into<String>) -> Self {
        Team {
            id: id.into(),
            description: String::new(),
        }
    }
}

/// A user's role in one team.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Member {
    /// The team.
    pub team: String,
    /// The user.
    pub user: String,
    /// A built-in or custom role name.
    pub role: String,
}

impl Member {
    /// `user` has `role` in `team`.
    pub fn new(team: impl Into<String>, user: impl Into<String>, role: impl Into<String>) -> Self {
        Member {
            team: team.into(),
            user: user.into(),
            role: role.into(),
        }
    }
}

/// Who calls the platform: established by the host (a bearer token, an SSO session) and passed
/// to every [`super::Platform`] method.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Principal {
    user: String,
}

impl Principal {
    /// The user `id` (whatever the host authenticated).
    pub fn user(id: impl Into<String>) -> Self {
        Principal { user: id.into() }
    }
    /// The user id.
    pub fn id(&self) -> &str {
        &self.user
    }
}

impl fmt::Debug for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Principal({})", self.user)
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "user `{}`", self.user)
    }
}

/// What a permission is asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Resource {
    /// The platform itself (users, teams, roles).
    System,
    /// A team (creating jobs, variables, members, audit).
    Team(String),
    /// One job of a team.
    Job {
        /// Owning team.
        team: String,
        /// Job id.
        job: String,
    },
}

impl Resource {
    /// The team concerned, if any.
    pub fn team(&self) -> Option<&str> {
        match self {
            Resource::System => None,
            Resource::Team(t) | Resource::Job { team: t, .. } => Some(t),
        }
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resource::System => f.write_str("the platform"),
            Resource::Team(t) => write!(f, "team `{t}`"),
            Resource::Job { team, job } => write!(f, "job `{job}` of team `{team}`"),
        }
    }
}

/// The typed denial: [`Error::PermissionDenied`] naming principal, permission and resource.
pub fn denied(principal: &Principal, permission: Option<Permission>, resource: &Resource) -> Error {
    let what = permission
        .map(|p| format!("`{p}`"))
        .unwrap_or_else(|| "platform administration".into());
    Error::PermissionDenied {
        backend: "platform",
        reason: format!("{principal} lacks {what} on {resource}"),
    }
}

/// Decides whether a principal may do something. Hosts hold it as `Arc<dyn Authorizer>` and
/// may plug their own (LDAP groups, SSO claims); [`TeamPolicy`] is the default.
///
/// # Contract
/// - `authorize` answers `Ok(())` or [`Error::PermissionDenied`] naming principal, permission
///   and resource (use [`denied`]); other errors mean the decision could not be made.
/// - `permission` `None` asks for platform administration (users, teams, roles).
#[async_trait::async_trait]
pub trait Authorizer: fmt::Debug + Send + Sync + 'static {
    /// Allows or denies.
    async fn authorize(
        &self,
        principal: &Principal,
        permission: Option<Permission>,
        resource: &Resource,
    ) -> Result<()>;
}

/// The built-in policy: platform administrators may do everything; anyone else has, in each
/// team, the permissions of their role there (built-in or custom), and nothing outside their
/// teams. Unknown users have no permissions.
#[derive(Clone)]
pub struct TeamPolicy {
    store: Arc<dyn Store>,
}

impl fmt::Debug for TeamPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TeamPolicy")
            .field("store", &self.store.backend())
            .finish()
    }
}

impl TeamPolicy {
    /// The policy over the users, members and roles in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        TeamPolicy { store }
    }

    /// The permissions of `user` in `team` (empty when not a member).
    ///
    /// # Errors
    /// Store errors.
    pub async fn permissions(&self, user: &str, team: &str) -> Result<BTreeSet<Permission>> {
        let Some(m) = load::<Member>(&*self.store, DocKind::Member, team, user).await? else {
            return Ok(BTreeSet::new());
        };
        let role = match Role::builtin(&m.role) {
            Some(r) => Some(r),
            None => load::<Role>(&*self.store, DocKind::Role, &m.role, "").await?,
        };
        Ok(role.map(|r| r.permissions).unwrap_or_default())
    }
}

#[async_trait::async_trait]
impl Authorizer for TeamPolicy {
    async fn authorize(
        &self,
        principal: &Principal,
        permission: Option<Permission>,
        resource: &Resource,
    ) -> Result<()> {
        let user = load::<User>(&*self.store, DocKind::User, principal.id(), "").await?;
        if user.as_ref().is_some_and(|u| u.admin) {
            return Ok(());
        }
        if user.is_some()
            && let (Some(perm), Some(team)) = (permission, resource.team())
            && self
                .permissions(principal.id(), team)
                .await?
                .contains(&perm)
        {
            return Ok(());
        }
        Err(denied(principal, permission, resource))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_roles_nest() {
        let v = Role::builtin("viewer").unwrap().permissions;
        let o = Role::builtin("operator").unwrap().permissions;
        let d = Role::builtin("developer").unwrap().permissions;
        let a = Role::builtin("admin").unwrap().permissions;
        assert!(v.is_subset(&o) && o.is_subset(&d) && d.is_subset(&a));
        assert!(!d.contains(&Permission::SecretWrite));
        assert!(!d.contains(&Permission::MemberManage));
        assert!(!d.contains(&Permission::JobDelete));
        assert_eq!(a.len(), Permission::ALL.len());
        assert!(Role::builtin("root").is_none());
    }

    #[test]
    fn denial_names_principal_permission_resource() {
        let e = denied(
            &Principal::user("bob"),
            Some(Permission::JobDeploy),
            &Resource::Job {
                team: "ads".into(),
                job: "orders".into(),
            },
        );
        let s = e.to_string();
        assert!(
            s.contains("bob") && s.contains("job.deploy") && s.contains("orders"),
            "{s}"
        );
    }
}
