//! What `$select` may name: each entity's documented v1.0 properties and relationships, and the
//! 400 Graph answers when a request names something else. Matching is case-insensitive, as
//! Graph's is (`$select=Subject` works).

use axum::http::StatusCode;

use super::resp::GResp;

/// `message` (v1.0 resource page): properties, then relationships.
pub const MESSAGE: &[&str] = &[
    "bccRecipients",
    "body",
    "bodyPreview",
    "categories",
    "ccRecipients",
    "changeKey",
    "conversationId",
    "conversationIndex",
    "createdDateTime",
    "flag",
    "from",
    "hasAttachments",
    "id",
    "importance",
    "inferenceClassification",
    "internetMessageHeaders",
    "internetMessageId",
    "isDeliveryReceiptRequested",
    "isDraft",
    "isRead",
    "isReadReceiptRequested",
    "lastModifiedDateTime",
    "parentFolderId",
    "receivedDateTime",
    "replyTo",
    "sender",
    "sentDateTime",
    "subject",
    "toRecipients",
    "uniqueBody",
    "webLink",
    // relationships
    "attachments",
    "extensions",
    "multiValueExtendedProperties",
    "singleValueExtendedProperties",
];

/// `user` (v1.0 resource page, union of the page versions Microsoft has published).
pub const USER: &[&str] = &[
    "aboutMe",
    "accountEnabled",
    "ageGroup",
    "assignedLicenses",
    "assignedPlans",
    "authorizationInfo",
    "birthday",
    "businessPhones",
    "city",
    "companyName",
    "consentProvidedForMinor",
    "country",
    "createdDateTime",
    "creationType",
    "customSecurityAttributes",
    "deletedDateTime",
    "department",
    "displayName",
    "employeeHireDate",
    "employeeId",
    "employeeLeaveDateTime",
    "employeeOrgData",
    "employeeType",
    "externalUserState",
    "externalUserStateChangeDateTime",
    "faxNumber",
    "givenName",
    "hireDate",
    "id",
    "identities",
    "imAddresses",
    "interests",
    "isManagementRestricted",
    "isResourceAccount",
    "jobTitle",
    "lastPasswordChangeDateTime",
    "legalAgeGroupClassification",
    "licenseAssignmentStates",
    "mail",
    "mailboxSettings",
    "mailNickname",
    "mobilePhone",
    "mySite",
    "officeLocation",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesExtensionAttributes",
    "onPremisesImmutableId",
    "onPremisesLastSyncDateTime",
    "onPremisesProvisioningErrors",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesSyncEnabled",
    "onPremisesUserPrincipalName",
    "otherMails",
    "passwordPolicies",
    "passwordProfile",
    "pastProjects",
    "postalCode",
    "preferredDataLocation",
    "preferredLanguage",
    "preferredName",
    "provisionedPlans",
    "proxyAddresses",
    "refreshTokensValidFromDateTime",
    "responsibilities",
    "schools",
    "securityIdentifier",
    "serviceProvisioningErrors",
    "showInAddressList",
    "signInActivity",
    "signInSessionsValidFromDateTime",
    "skills",
    "state",
    "streetAddress",
    "surname",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

/// Users delta may also select the `manager` relationship (it answers with `manager@delta`).
pub const USER_DELTA_EXTRA: &[&str] = &["manager"];

/// The first `$select` item that names nothing on the entity. Type-cast or nested paths
/// (`microsoft.graph.eventMessage/meetingMessageType`), `*` and annotations are left to the
/// service and not checked here.
pub fn unknown<'a>(select: &'a [String], known: &[&[&str]]) -> Option<&'a str> {
    select
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty() && *s != "*" && !s.contains('/') && !s.starts_with('@'))
        .find(|s| {
            !known
                .iter()
                .any(|list| list.iter().any(|k| k.eq_ignore_ascii_case(s)))
        })
}

/// Outlook's answer to a `$select` of something a message doesn't have.
pub fn outlook_no_property(name: &str) -> GResp {
    GResp::error(
        StatusCode::BAD_REQUEST,
        "RequestBroker--ParseUri",
        format!(
            "Could not find a property named '{name}' on type 'Microsoft.OutlookServices.Message'."
        ),
    )
}

/// The directory's answer to a `$select` of something a user doesn't have.
pub fn directory_no_property(name: &str) -> GResp {
    GResp::error(
        StatusCode::BAD_REQUEST,
        "Request_BadRequest",
        format!(
            "Could not find a property named '{name}' on type 'Microsoft.DirectoryServices.User'."
        ),
    )
}

/// `Ok` when every `$select`ed property exists on a message, else Outlook's 400.
pub fn check_message_select(select: &[String]) -> Result<(), GResp> {
    match unknown(select, &[MESSAGE]) {
        Some(name) => Err(outlook_no_property(name)),
        None => Ok(()),
    }
}

/// `Ok` when every `$select`ed property exists on a user (`delta`: `manager` too), else the
/// directory's 400.
pub fn check_user_select(select: &[String], delta: bool) -> Result<(), GResp> {
    let lists: &[&[&str]] = if delta {
        &[USER, USER_DELTA_EXTRA]
    } else {
        &[USER]
    };
    match unknown(select, lists) {
        Some(name) => Err(directory_no_property(name)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sel(s: &str) -> Vec<String> {
        crate::odata::parse_select(Some(s))
    }

    #[test]
    fn unknown_names_are_found_case_insensitively() {
        assert_eq!(unknown(&sel("Subject,FROM,id"), &[MESSAGE]), None);
        assert_eq!(
            unknown(&sel("subject,meetingMessageType"), &[MESSAGE]),
            Some("meetingMessageType")
        );
        assert_eq!(
            unknown(
                &sel("microsoft.graph.eventMessage/meetingMessageType,*"),
                &[MESSAGE]
            ),
            None
        );
        assert!(check_user_select(&sel("id,manager"), false).is_err());
        assert!(check_user_select(&sel("id,manager"), true).is_ok());
        assert!(check_user_select(&sel("signInActivity,onPremisesSyncEnabled"), false).is_ok());
    }
}
