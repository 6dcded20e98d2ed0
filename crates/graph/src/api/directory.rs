//! Directory and identity: users, authentication methods, password reset, session revocation,
//! sign-in and directory audit logs, Conditional Access, registration report, apps.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{GraphClient, Request};
use crate::error::{GraphError, Result};
use crate::models::{
    AppRoleAssignment, Application, AuthMethodKind, AuthenticationMethod, ConditionalAccessPolicy,
    DeltaItem, DirectoryAudit, ODataValue, PasswordProfile, ServicePrincipal, SignIn, User,
    UserRegistrationDetails,
};
use crate::paging::Page;
use crate::url::{seg, with_query};

/// Properties Ward reads for every user (most are not returned unless selected).
pub const USER_SELECT: &str = "id,userPrincipalName,displayName,mail,otherMails,proxyAddresses,jobTitle,department,companyName,accountEnabled,userType,assignedLicenses,onPremisesSyncEnabled,createdDateTime,lastPasswordChangeDateTime,signInSessionsValidFromDateTime,mobilePhone,businessPhones";

/// Which sign-in stream: v1.0 (interactive) or beta with `signInEventTypes` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInStream {
    /// v1.0 `/auditLogs/signIns` — interactive user sign-ins only.
    Interactive,
    /// beta, `signInEventTypes/any(t: t eq 'nonInteractiveUser')`.
    NonInteractive,
    /// beta, `servicePrincipal`.
    ServicePrincipal,
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `{field} ge {from} [and {field} le {to}]` — Graph rejects `gt`/`lt` on these logs.
pub fn time_window_filter(field: &str, from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> String {
    match to {
        Some(to) => format!("{field} ge {} and {field} le {}", ts(from), ts(to)),
        None => format!("{field} ge {}", ts(from)),
    }
}

impl GraphClient {
    // ------------------------------------------------------------ users

    /// First page of users with [`USER_SELECT`] and `$top=999`.
    pub fn users_url(&self, select: Option<&str>) -> String {
        with_query(
            &format!("{}/users", self.v1()),
            &[
                ("$select", select.unwrap_or(USER_SELECT).to_owned()),
                ("$top", "999".into()),
            ],
        )
    }

    pub async fn list_users(&self, select: Option<&str>) -> Result<Vec<User>> {
        self.collect_all(&self.users_url(select)).await
    }

    pub async fn get_user(&self, id_or_upn: &str, select: Option<&str>) -> Result<User> {
        let url = with_query(
            &format!("{}/users/{}", self.v1(), seg(id_or_upn)),
            &[("$select", select.unwrap_or(USER_SELECT).to_owned())],
        );
        self.get_json(Request::get(url)).await
    }

    /// Initial `/users/delta` URL. `from_now` = `$deltatoken=latest` (only a deltaLink back).
    pub fn users_delta_url(&self, select: Option<&str>, from_now: bool) -> String {
        let mut pairs = vec![("$select", select.unwrap_or(USER_SELECT).to_owned())];
        if from_now {
            pairs.push(("$deltatoken", "latest".into()));
        }
        with_query(&format!("{}/users/delta", self.v1()), &pairs)
    }

    /// One page of the user delta (`@removed` reason `deleted`/`changed` surfaced).
    pub async fn users_delta_page(&self, url: &str) -> Result<Page<DeltaItem<User>>> {
        self.delta_page(url, None).await
    }

    // ------------------------------------------------------------ auth methods

    /// All registered methods, typed by `@odata.type`.
    pub async fn list_auth_methods(&self, user: &str) -> Result<Vec<AuthenticationMethod>> {
        self.collect_all(&format!(
            "{}/users/{}/authentication/methods",
            self.v1(),
            seg(user)
        ))
        .await
    }

    /// Deletes a method through its TYPED collection (`.../phoneMethods/{id}`), never the
    /// generic path. Password methods and unknown kinds cannot be deleted → `Config` error.
    /// The default method can't go while others exist (400 `badRequest`): delete it last.
    pub async fn delete_auth_method(
        &self,
        user: &str,
        method: &AuthenticationMethod,
    ) -> Result<()> {
        self.delete_auth_method_by_kind(user, &method.kind, &method.id)
            .await
    }

    pub async fn delete_auth_method_by_kind(
        &self,
        user: &str,
        kind: &AuthMethodKind,
        id: &str,
    ) -> Result<()> {
        let coll = kind.collection().ok_or_else(|| {
            GraphError::Config(format!("authentication method {kind:?} cannot be deleted through Graph (reset the password instead)"))
        })?;
        let url = format!(
            "{}/users/{}/authentication/{}/{}",
            self.v1(),
            seg(user),
            coll,
            seg(id)
        );
        self.execute(Request::new(Method::DELETE, url))
            .await
            .map(|_| ())
    }

    /// Registers a method for a user through its typed collection (`phoneMethods` with
    /// `phoneNumber`/`phoneType`, `emailMethods` with `emailAddress`): the kinds an
    /// administrator may add. Returns the created method (201).
    pub async fn add_auth_method(
        &self,
        user: &str,
        collection: &str,
        body: &Value,
    ) -> Result<AuthenticationMethod> {
        let url = format!(
            "{}/users/{}/authentication/{}",
            self.v1(),
            seg(user),
            seg(collection)
        );
        let req = Request::new(Method::POST, url).json(body)?;
        self.get_json(req).await
    }

    /// Forces a password change at next sign-in (optionally setting a new password).
    /// `PATCH /users/{id}` with `passwordProfile` → 204.
    pub async fn force_password_change(
        &self,
        user: &str,
        new_password: Option<&str>,
        with_mfa: bool,
    ) -> Result<()> {
        let profile = PasswordProfile {
            force_change_password_next_sign_in: Some(true),
            force_change_password_next_sign_in_with_mfa: with_mfa.then_some(true),
            password: new_password.map(str::to_owned),
        };
        let req = Request::new(Method::PATCH, format!("{}/users/{}", self.v1(), seg(user)))
            .json(&json!({"passwordProfile": profile}))?
            .context(format!("the password of user {user}"));
        self.execute(req).await.map(|_| ())
    }

    /// Revokes refresh tokens and session cookies. The boolean Graph returns is always
    /// `true` (documented quirk); verify with `signInSessionsValidFromDateTime`.
    pub async fn revoke_sign_in_sessions(&self, user: &str) -> Result<bool> {
        let req = Request::new(
            Method::POST,
            format!("{}/users/{}/revokeSignInSessions", self.v1(), seg(user)),
        )
        .idempotent(true);
        let resp = self.execute(req).await?;
        if resp.body.is_empty() {
            return Ok(true);
        }
        let v: ODataValue<bool> = resp.json(crate::error::Api::Graph, &format!("user {user}"))?;
        Ok(v.value)
    }

    // ------------------------------------------------------------ audit logs

    /// First-page URL of sign-ins since `from` (`createdDateTime ge`), newest first.
    pub fn sign_ins_url(
        &self,
        stream: SignInStream,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
    ) -> String {
        let mut filter = time_window_filter("createdDateTime", from, to);
        let base = match stream {
            SignInStream::Interactive => format!("{}/auditLogs/signIns", self.v1()),
            SignInStream::NonInteractive => {
                filter.push_str(" and signInEventTypes/any(t: t eq 'nonInteractiveUser')");
                format!("{}/auditLogs/signIns", self.beta())
            }
            SignInStream::ServicePrincipal => {
                filter.push_str(" and signInEventTypes/any(t: t eq 'servicePrincipal')");
                format!("{}/auditLogs/signIns", self.beta())
            }
        };
        with_query(&base, &[("$filter", filter)])
    }

    pub async fn sign_ins_page(&self, url: &str) -> Result<Page<SignIn>> {
        self.get_page(url).await
    }

    pub async fn list_sign_ins(
        &self,
        stream: SignInStream,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<SignIn>> {
        self.collect_all(&self.sign_ins_url(stream, from, to)).await
    }

    /// First-page URL of directory audits since `from` (`activityDateTime ge`).
    pub fn directory_audits_url(&self, from: DateTime<Utc>, to: Option<DateTime<Utc>>) -> String {
        with_query(
            &format!("{}/auditLogs/directoryAudits", self.v1()),
            &[("$filter", time_window_filter("activityDateTime", from, to))],
        )
    }

    pub async fn directory_audits_page(&self, url: &str) -> Result<Page<DirectoryAudit>> {
        self.get_page(url).await
    }

    pub async fn list_directory_audits(
        &self,
        from: DateTime<Utc>,
        to: Option<DateTime<Utc>>,
    ) -> Result<Vec<DirectoryAudit>> {
        self.collect_all(&self.directory_audits_url(from, to)).await
    }

    // ------------------------------------------------------------ posture

    pub async fn list_conditional_access_policies(&self) -> Result<Vec<ConditionalAccessPolicy>> {
        self.collect_all(&format!(
            "{}/identity/conditionalAccess/policies",
            self.v1()
        ))
        .await
    }

    pub async fn list_user_registration_details(&self) -> Result<Vec<UserRegistrationDetails>> {
        self.collect_all(&format!(
            "{}/reports/authenticationMethods/userRegistrationDetails",
            self.v1()
        ))
        .await
    }

    // ------------------------------------------------------------ apps

    pub async fn list_applications(&self) -> Result<Vec<Application>> {
        self.collect_all(&with_query(
            &format!("{}/applications", self.v1()),
            &[("$top", "999".into())],
        ))
        .await
    }

    pub async fn list_service_principals(&self) -> Result<Vec<ServicePrincipal>> {
        self.collect_all(&with_query(
            &format!("{}/servicePrincipals", self.v1()),
            &[("$top", "999".into())],
        ))
        .await
    }

    /// The service principal of an application (`/servicePrincipals(appId='...')`), e.g.
    /// Microsoft Graph `00000003-0000-0000-c000-000000000000`, to map app-role ids to names.
    pub async fn get_service_principal_by_app_id(&self, app_id: &str) -> Result<ServicePrincipal> {
        let url = format!(
            "{}/servicePrincipals(appId={})",
            self.v1(),
            seg(&crate::url::odata_string(app_id))
        );
        self.get_json(Request::get(url)).await
    }

    /// Who holds app roles of resource service principal `sp_id` (`appRoleAssignedTo`).
    pub async fn list_app_role_assigned_to(&self, sp_id: &str) -> Result<Vec<AppRoleAssignment>> {
        self.collect_all(&format!(
            "{}/servicePrincipals/{}/appRoleAssignedTo",
            self.v1(),
            seg(sp_id)
        ))
        .await
    }

    /// App roles granted to client service principal `sp_id` (`appRoleAssignments`).
    pub async fn list_app_role_assignments(&self, sp_id: &str) -> Result<Vec<AppRoleAssignment>> {
        self.collect_all(&format!(
            "{}/servicePrincipals/{}/appRoleAssignments",
            self.v1(),
            seg(sp_id)
        ))
        .await
    }
}
