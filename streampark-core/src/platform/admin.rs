//! Users, teams, members, roles, variables and the audit query of [`Platform`].

use super::audit::{AuditQuery, AuditRecord, Change};
use super::auth::{Member, Permission, Principal, Resource, Role, Team, User};
use super::facade::{AuditCtx, Platform, valid_name};
use super::version::TeamVariable;
use crate::store::{DocKind, load, load_all, save};
use crate::{Error, Result};

impl Platform {
    /// Adds or changes a user (platform administrators only).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; [`Error::InvalidInput`] for a malformed id.
    pub async fn put_user(&self, p: &Principal, user: User) -> Result<()> {
        let ctx = &AuditCtx::target(&user.id);
        self.audited(p, "user.put", ctx, async move {
            self.authorize(p, None, &Resource::System).await?;
            valid_name("user id", &user.id)?;
            let old = load::<User>(&*self.store, DocKind::User, &user.id, "").await?;
            if old.as_ref().map(|u| u.admin) != Some(user.admin) {
                ctx.push_change(Change::new(
                    "admin",
                    old.map(|u| u.admin.to_string()),
                    Some(user.admin.to_string()),
                ));
            }
            save(&*self.store, DocKind::User, &user.id, "", &user).await
        })
        .await
    }

    /// Every user (platform administrators only).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`].
    pub async fn users(&self, p: &Principal) -> Result<Vec<User>> {
        let ctx = &AuditCtx::default();
        self.audited(p, "user.list", ctx, async move {
            self.authorize(p, None, &Resource::System).await?;
            load_all(&*self.store, DocKind::User, None).await
        })
        .await
    }

    /// Adds or changes a team (platform administrators only).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; [`Error::InvalidInput`] for a malformed id.
    pub async fn put_team(&self, p: &Principal, team: Team) -> Result<()> {
        let ctx = &AuditCtx::team(&team.id);
        self.audited(p, "team.put", ctx, async move {
            self.authorize(p, None, &Resource::System).await?;
            valid_name("team id", &team.id)?;
            save(&*self.store, DocKind::Team, &team.id, "", &team).await
        })
        .await
    }

    /// The teams the principal is a member of (every team for administrators).
    ///
    /// # Errors
    /// Store errors.
    pub async fn teams(&self, p: &Principal) -> Result<Vec<Team>> {
        let ctx = &AuditCtx::default();
        self.audited(p, "team.list", ctx, async move {
            let all: Vec<Team> = load_all(&*self.store, DocKind::Team, None).await?;
            if self.authorize(p, None, &Resource::System).await.is_ok() {
                return Ok(all);
            }
            let mut out = Vec::new();
            for t in all {
                if self
                    .store
                    .doc(DocKind::Member, &t.id, p.id())
                    .await?
                    .is_some()
                {
                    out.push(t);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Adds a member to a team or changes their role (needs `member.manage` in the team).
    /// The role must be built in or defined with [`Platform::put_role`].
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; [`Error::InvalidInput`] for an unknown user, team or role.
    pub async fn put_member(&self, p: &Principal, member: Member) -> Result<()> {
        let ctx = AuditCtx::team(&member.team).with_target(&member.user.clone());
        let ctx = &ctx;
        self.audited(p, "member.put", ctx, async move {
            self.authorize(
                p,
                Some(Permission::MemberManage),
                &Resource::Team(member.team.clone()),
            )
            .await?;
            let at = format!("member `{}` of team `{}`", member.user, member.team);
            if self
                .store
                .doc(DocKind::Team, &member.team, "")
                .await?
                .is_none()
            {
                return Err(Error::invalid_input("platform", "team", at, "no such team"));
            }
            if self
                .store
                .doc(DocKind::User, &member.user, "")
                .await?
                .is_none()
            {
                return Err(Error::invalid_input("platform", "user", at, "no such user"));
            }
            if Role::builtin(&member.role).is_none()
                && self
                    .store
                    .doc(DocKind::Role, &member.role, "")
                    .await?
                    .is_none()
            {
                return Err(Error::invalid_input(
                    "platform",
                    "role",
                    at,
                    format!("no role `{}`", member.role),
                ));
            }
            let old =
                load::<Member>(&*self.store, DocKind::Member, &member.team, &member.user).await?;
            ctx.push_change(Change::new(
                "role",
                old.map(|m| m.role),
                Some(member.role.clone()),
            ));
            save(
                &*self.store,
                DocKind::Member,
                &member.team,
                &member.user,
                &member,
            )
            .await
        })
        .await
    }

    /// Removes a member from a team (needs `member.manage`).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; [`Error::NotFound`] when not a member.
    pub async fn remove_member(&self, p: &Principal, team: &str, user: &str) -> Result<()> {
        let ctx = AuditCtx::team(team).with_target(user);
        let ctx = &ctx;
        self.audited(p, "member.remove", ctx, async move {
            self.authorize(
                p,
                Some(Permission::MemberManage),
                &Resource::Team(team.into()),
            )
            .await?;
            if !self.store.delete_doc(DocKind::Member, team, user).await? {
                return Err(Error::not_found(
                    "platform",
                    format!("member `{user}` of team `{team}`"),
                ));
            }
            Ok(())
        })
        .await
    }

    /// The members of a team (needs `job.view` there).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`].
    pub async fn members(&self, p: &Principal, team: &str) -> Result<Vec<Member>> {
        let ctx = &AuditCtx::team(team);
        self.audited(p, "member.list", ctx, async move {
            self.authorize(p, Some(Permission::JobView), &Resource::Team(team.into()))
                .await?;
            load_all(&*self.store, DocKind::Member, Some(team)).await
        })
        .await
    }

    /// Defines or changes a custom role (platform administrators only). Built-in role names
    /// cannot be redefined.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; [`Error::InvalidInput`] for a built-in or malformed name.
    pub async fn put_role(&self, p: &Principal, role: Role) -> Result<()> {
        let ctx = &AuditCtx::target(&role.name);
        self.audited(p, "role.put", ctx, async move {
            self.authorize(p, None, &Resource::System).await?;
            valid_name("role name", &role.name)?;
            if Role::builtin(&role.name).is_some() {
                return Err(Error::invalid_input(
                    "platform",
                    "role name",
                    format!("`{}`", role.name),
                    "built-in roles cannot be redefined",
                ));
            }
            let perms: Vec<&str> = role.permissions.iter().map(|p| p.as_str()).collect();
            ctx.push_change(Change::new("permissions", None, Some(perms.join(","))));
            save(&*self.store, DocKind::Role, &role.name, "", &role).await
        })
        .await
    }

    /// The built-in roles followed by the custom ones.
    ///
    /// # Errors
    /// Store errors.
    pub async fn roles(&self, p: &Principal) -> Result<Vec<Role>> {
        let ctx = &AuditCtx::default();
        self.audited(p, "role.list", ctx, async move {
            let mut out: Vec<Role> = Role::BUILTIN
                .iter()
                .filter_map(|n| Role::builtin(n))
                .collect();
            out.extend(load_all::<Role>(&*self.store, DocKind::Role, None).await?);
            Ok(out)
        })
        .await
    }

    /// Sets a team variable. Plain ones need `variable.write`; secret ones
    /// `variable.secret_write`, and overwriting a secret with a plain value is refused (it
    /// would reveal the name's new value to readers).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; [`Error::InvalidInput`] for a malformed name.
    pub async fn set_variable(&self, p: &Principal, var: TeamVariable) -> Result<()> {
        let ctx = AuditCtx::team(&var.team).with_target(&var.name.clone());
        let ctx = &ctx;
        self.audited(p, "variable.set", ctx, async move {
            let team = Resource::Team(var.team.clone());
            let perm = if var.secret {
                Permission::SecretWrite
            } else {
                Permission::VariableWrite
            };
            self.authorize(p, Some(perm), &team).await?;
            valid_name("variable name", &var.name)?;
            let old =
                load::<TeamVariable>(&*self.store, DocKind::Variable, &var.team, &var.name).await?;
            if let Some(o) = &old
                && o.secret
                && !var.secret
            {
                return Err(Error::invalid_input(
                    "platform",
                    "variable",
                    format!("`{}` of team `{}`", var.name, var.team),
                    "a secret variable stays secret; delete it first",
                ));
            }
            ctx.push_change(Change::new(
                format!("variable.{}", var.name),
                old.map(|o| o.shown().to_string()),
                Some(var.shown().to_string()),
            ));
            save(&*self.store, DocKind::Variable, &var.team, &var.name, &var).await
        })
        .await
    }

    /// Deletes a team variable (needs `variable.secret_write` for a secret one).
    ///
    /// # Errors
    /// [`Error::PermissionDenied`]; [`Error::NotFound`].
    pub async fn delete_variable(&self, p: &Principal, team: &str, name: &str) -> Result<()> {
        let ctx = AuditCtx::team(team).with_target(name);
        let ctx = &ctx;
        self.audited(p, "variable.delete", ctx, async move {
            let res = Resource::Team(team.into());
            self.authorize(p, Some(Permission::VariableWrite), &res)
                .await?;
            let Some(old) =
                load::<TeamVariable>(&*self.store, DocKind::Variable, team, name).await?
            else {
                return Err(Error::not_found(
                    "platform",
                    format!("variable `{name}` of team `{team}`"),
                ));
            };
            if old.secret {
                self.authorize(p, Some(Permission::SecretWrite), &res)
                    .await?;
            }
            ctx.push_change(Change::new(
                format!("variable.{name}"),
                Some(old.shown().to_string()),
                None,
            ));
            self.store.delete_doc(DocKind::Variable, team, name).await?;
            Ok(())
        })
        .await
    }

    /// A team's variables; secret values read as `******`.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`] without `variable.read`.
    pub async fn variables(&self, p: &Principal, team: &str) -> Result<Vec<TeamVariable>> {
        let ctx = &AuditCtx::team(team);
        self.audited(p, "variable.list", ctx, async move {
            self.authorize(
                p,
                Some(Permission::VariableRead),
                &Resource::Team(team.into()),
            )
            .await?;
            let vars: Vec<TeamVariable> =
                load_all(&*self.store, DocKind::Variable, Some(team)).await?;
            Ok(vars.into_iter().map(TeamVariable::masked).collect())
        })
        .await
    }

    /// Audit records. Administrators may query everything; anyone else must name a team
    /// (`query.team`) or a job where they hold `audit.read`.
    ///
    /// # Errors
    /// [`Error::PermissionDenied`].
    pub async fn audit(&self, p: &Principal, query: AuditQuery) -> Result<Vec<AuditRecord>> {
        let ctx = AuditCtx::default()
            .with_team(query.team.clone())
            .with_job(query.job.clone());
        let ctx = &ctx;
        self.audited(p, "audit.query", ctx, async move {
            let mut q = query;
            if self.authorize(p, None, &Resource::System).await.is_ok() {
                return self.store.audit(&q).await;
            }
            let team = match (&q.team, &q.job) {
                (Some(t), _) => t.clone(),
                (None, Some(j)) => {
                    let m = load::<super::version::ManagedJob>(&*self.store, DocKind::Job, j, "")
                        .await?;
                    match m {
                        Some(m) => m.team,
                        None => {
                            return Err(super::auth::denied(
                                p,
                                Some(Permission::AuditRead),
                                &Resource::Job {
                                    team: "?".into(),
                                    job: j.clone(),
                                },
                            ));
                        }
                    }
                }
                (None, None) => {
                    return Err(super::auth::denied(
                        p,
                        Some(Permission::AuditRead),
                        &Resource::System,
                    ));
                }
            };
            ctx.set_team(&team.clone());
            self.authorize(
                p,
                Some(Permission::AuditRead),
                &Resource::Team(team.clone()),
            )
            .await?;
            q.team = Some(team);
            self.store.audit(&q).await
        })
        .await
    }
}
