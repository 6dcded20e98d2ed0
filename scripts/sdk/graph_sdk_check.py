#!/usr/bin/env python3
"""Drives a Microsoft Graph endpoint with Microsoft's own Python SDK (msgraph-sdk), making every
Graph call Ward itself makes, so the simulated tenant is checked by a client no one here wrote.

Usage: graph_sdk_check.py CONFIG.toml   (the ward.toml that `ward sim --write-config` writes)

Signs in as Ward's app with its certificate (a client assertion built here with PyJWT, not by
Ward), points the SDK's request adapter at the configured Graph endpoint, and prints one JSON
line per call: {"call", "ok", "detail"}. Exits 0 when every call worked, 1 otherwise. Calls the
SDK has no request builder for (attachment `$value`, the beta sign-in stream, the Office 365
Management API, which is not Graph) are not made here; Ward's own tests cover them.
"""

import asyncio
import base64
import datetime as dt
import hashlib
import http.server
import json
import sys
import threading
import tomllib
import traceback
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import jwt
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_abstractions.headers_collection import HeadersCollection
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.authentication_phone_type import AuthenticationPhoneType
from msgraph.generated.models.mail_folder import MailFolder
from msgraph.generated.models.mailbox_settings import MailboxSettings
from msgraph.generated.models.message import Message
from msgraph.generated.models.message_rule import MessageRule
from msgraph.generated.models.message_rule_actions import MessageRuleActions
from msgraph.generated.models.message_rule_predicates import MessageRulePredicates
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.phone_authentication_method import PhoneAuthenticationMethod
from msgraph.generated.models.subscription import Subscription
from msgraph.generated.models.user import User
from msgraph.generated.users.item.messages.item.copy.copy_post_request_body import (
    CopyPostRequestBody,
)
from msgraph.generated.users.item.messages.item.move.move_post_request_body import (
    MovePostRequestBody,
)
from msgraph.generated.users.item.messages.messages_request_builder import (
    MessagesRequestBuilder,
)
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory
from msgraph_core.requests.batch_request_content import BatchRequestContent
from msgraph_core.requests.batch_request_item import BatchRequestItem

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
USER_SELECT = [
    "id", "userPrincipalName", "displayName", "mail", "otherMails", "proxyAddresses",
    "jobTitle", "department", "companyName", "accountEnabled", "userType", "assignedLicenses",
    "onPremisesSyncEnabled", "createdDateTime", "lastPasswordChangeDateTime",
    "signInSessionsValidFromDateTime", "mobilePhone", "businessPhones",
]


def load_config(path: Path) -> dict:
    cfg = tomllib.loads(path.read_text())
    base = path.parent

    def rel(p: str) -> Path:
        q = Path(p)
        return q if q.is_absolute() else base / q

    t = cfg["tenant"]
    return {
        "tenant": t["id"],
        "client_id": t["client_id"],
        "cert": rel(t["certificate"]).read_bytes(),
        "key": rel(t["private_key_file"]).read_bytes(),
        "login": cfg["endpoints"]["login"].rstrip("/"),
        "graph": cfg["endpoints"]["graph"].rstrip("/"),
    }


def fetch_token(cfg: dict) -> str:
    """Client credentials with a certificate assertion (RS256, x5t), as Entra documents it."""
    url = f"{cfg['login']}/{cfg['tenant']}/oauth2/v2.0/token"
    cert = x509.load_pem_x509_certificate(cfg["cert"])
    der = cert.public_bytes(Encoding.DER)
    x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).decode().rstrip("=")
    now = int(dt.datetime.now(dt.timezone.utc).timestamp())
    assertion = jwt.encode(
        {"aud": url, "iss": cfg["client_id"], "sub": cfg["client_id"],
         "jti": str(uuid.uuid4()), "nbf": now, "exp": now + 600},
        cfg["key"], algorithm="RS256", headers={"x5t": x5t},
    )
    resp = httpx.post(url, data={
        "client_id": cfg["client_id"],
        "scope": "https://graph.microsoft.com/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
        "grant_type": "client_credentials",
    }, timeout=30)
    resp.raise_for_status()
    return resp.json()["access_token"]


class StaticToken(AccessTokenProvider):
    def __init__(self, token: str, host: str):
        self._token = token
        self._hosts = AllowedHostsValidator([host])

    async def get_authorization_token(self, uri, additional_authentication_context=None):
        return self._token

    def get_allowed_hosts_validator(self):
        return self._hosts


class Receiver(http.server.BaseHTTPRequestHandler):
    """A change-notification endpoint: answers the validation handshake, accepts the rest."""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        token = parse_qs(urlparse(self.path).query).get("validationToken")
        if token:
            body = token[0].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

    def log_message(self, *args):
        pass


class Checks:
    def __init__(self):
        self.results = []

    async def run(self, name, fn):
        try:
            detail = await fn()
            self.results.append({"call": name, "ok": True, "detail": str(detail)[:200]})
            return detail
        except Exception as e:  # every failure is reported, none stops the run
            err = getattr(e, "error", None)
            code = getattr(err, "code", None)
            msg = getattr(err, "message", None)
            text = f"{type(e).__name__}: {code or ''} {msg or e}".strip()
            status = getattr(e, "response_status_code", None)
            if status:
                text = f"HTTP {status} {text}"
            if not code and not status:
                text += " | " + traceback.format_exc().splitlines()[-1]
            self.results.append({"call": name, "ok": False, "detail": text[:500]})
            return None


def qp(builder_cls, **kw):
    return RequestConfiguration(query_parameters=builder_cls(**kw))


async def main(config_path: Path) -> int:
    cfg = load_config(config_path)
    token = fetch_token(cfg)
    host = urlparse(cfg["graph"]).hostname
    auth = BaseBearerTokenAuthenticationProvider(StaticToken(token, host))
    http_client = GraphClientFactory.create_with_default_middleware()
    adapter = GraphRequestAdapter(auth, client=http_client)
    adapter.base_url = f"{cfg['graph']}/v1.0"
    g = GraphServiceClient(request_adapter=adapter)
    c = Checks()

    # Directory.
    users = await c.run("GET /users ($select, $top)", lambda: g.users.get(qp(
        UsersRequestBuilder.UsersRequestBuilderGetQueryParameters, select=USER_SELECT, top=999)))
    people = [u for u in (users.value if users else []) if u.user_principal_name]
    if not people:
        print(json.dumps({"call": "setup", "ok": False, "detail": "no users"}))
        return 1
    victim = people[0]
    other = people[1]
    uid = victim.id
    await c.run("GET /users/{upn}", lambda: g.users.by_user_id(victim.user_principal_name).get())

    async def users_delta():
        page = await g.users.delta.get()
        pages = 1
        while page.odata_next_link:
            page = await g.users.delta.with_url(page.odata_next_link).get()
            pages += 1
        assert page.odata_delta_link, "no deltaLink on the last page"
        again = await g.users.delta.with_url(page.odata_delta_link).get()
        return f"{pages} pages, then {len(again.value or [])} changes"
    await c.run("GET /users/delta (pages, deltaLink)", users_delta)

    methods = await c.run("GET /users/{id}/authentication/methods",
                          lambda: g.users.by_user_id(uid).authentication.methods.get())

    async def add_phone():
        m = PhoneAuthenticationMethod(phone_number="+1 2065550199",
                                      phone_type=AuthenticationPhoneType.AlternateMobile)
        made = await g.users.by_user_id(uid).authentication.phone_methods.post(m)
        return made.id
    phone_id = await c.run("POST /users/{id}/authentication/phoneMethods", add_phone)
    if phone_id:
        await c.run("DELETE /users/{id}/authentication/phoneMethods/{id}",
                    lambda: g.users.by_user_id(uid).authentication.phone_methods
                    .by_phone_authentication_method_id(phone_id).delete())

    await c.run("PATCH /users/{id} passwordProfile", lambda: g.users.by_user_id(uid).patch(User(
        password_profile=PasswordProfile(force_change_password_next_sign_in=True,
                                         password="Sdk-Check-" + uuid.uuid4().hex[:12] + "!"))))
    await c.run("POST /users/{id}/revokeSignInSessions",
                lambda: g.users.by_user_id(uid).revoke_sign_in_sessions.post())

    async def paged(first, name):
        page = await first
        n = len(page.value or [])
        while page.odata_next_link:
            page = await name.with_url(page.odata_next_link).get()
            n += len(page.value or [])
        return f"{n} items"
    await c.run("GET /auditLogs/signIns", lambda: paged(g.audit_logs.sign_ins.get(),
                                                        g.audit_logs.sign_ins))
    await c.run("GET /auditLogs/directoryAudits",
                lambda: paged(g.audit_logs.directory_audits.get(), g.audit_logs.directory_audits))
    await c.run("GET /identity/conditionalAccess/policies",
                lambda: paged(g.identity.conditional_access.policies.get(),
                              g.identity.conditional_access.policies))
    rd = g.reports.authentication_methods.user_registration_details
    await c.run("GET /reports/authenticationMethods/userRegistrationDetails",
                lambda: paged(rd.get(), rd))
    await c.run("GET /applications", lambda: paged(g.applications.get(), g.applications))
    sps = await c.run("GET /servicePrincipals", lambda: g.service_principals.get())
    # Microsoft Graph's own service principal: how app role ids resolve to permission names.
    await c.run("GET /servicePrincipals(appId='…')",
                lambda: g.service_principals_with_app_id(GRAPH_APP_ID).get())
    if sps and sps.value:
        sp = sps.value[0].id
        await c.run("GET /servicePrincipals/{id}/appRoleAssignedTo",
                    lambda: g.service_principals.by_service_principal_id(sp)
                    .app_role_assigned_to.get())
        await c.run("GET /servicePrincipals/{id}/appRoleAssignments",
                    lambda: g.service_principals.by_service_principal_id(sp)
                    .app_role_assignments.get())

    # Mail.
    mb = g.users.by_user_id(uid)
    folders = await c.run("GET /users/{id}/mailFolders", lambda: mb.mail_folders.get())
    await c.run("GET /users/{id}/mailFolders/inbox",
                lambda: mb.mail_folders.by_mail_folder_id("inbox").get())
    if folders and folders.value:
        fid = folders.value[0].id
        await c.run("GET /users/{id}/mailFolders/{id}/childFolders",
                    lambda: mb.mail_folders.by_mail_folder_id(fid).child_folders.get())
    made = await c.run("POST /users/{id}/mailFolders", lambda: mb.mail_folders.post(
        MailFolder(display_name="SDK check " + uuid.uuid4().hex[:8])))

    listed = await c.run("GET /users/{id}/messages ($select, $top)", lambda: mb.messages.get(qp(
        MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters,
        select=["id", "internetMessageId", "subject", "parentFolderId", "hasAttachments",
                "receivedDateTime", "from", "sender"], top=50)))
    msgs = listed.value if listed and listed.value else []
    if not msgs:
        print(json.dumps({"call": "setup", "ok": False, "detail": "no messages"}))
        return 1
    m0 = msgs[0]
    imid = m0.internet_message_id.replace("'", "''")
    await c.run("GET /users/{id}/messages?$filter=internetMessageId eq …", lambda: mb.messages.get(
        qp(MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters,
           filter=f"internetMessageId eq '{imid}'", select=["id", "parentFolderId"])))

    def prefer_text():
        h = HeadersCollection()
        h.add("Prefer", 'outlook.body-content-type="text"')
        return RequestConfiguration(headers=h)
    await c.run("GET /users/{id}/messages/{id} (Prefer text body)",
                lambda: mb.messages.by_message_id(m0.id).get(prefer_text()))

    async def mime():
        raw = await mb.messages.by_message_id(m0.id).content.get()
        assert raw and b"\n" in raw, "empty MIME"
        return f"{len(raw)} bytes"
    await c.run("GET /users/{id}/messages/{id}/$value", mime)

    with_att = next((m for m in msgs if m.has_attachments), None)
    if with_att is None:
        for u in people[1:12]:
            page = await g.users.by_user_id(u.id).messages.get(qp(
                MessagesRequestBuilder.MessagesRequestBuilderGetQueryParameters,
                select=["id", "hasAttachments"], top=200))
            hit = next((m for m in page.value or [] if m.has_attachments), None)
            if hit:
                with_att = hit
                att_user = u.id
                break
    else:
        att_user = uid
    if with_att is not None:
        ab = g.users.by_user_id(att_user).messages.by_message_id(with_att.id).attachments
        atts = await c.run("GET /users/{id}/messages/{id}/attachments", lambda: ab.get())
        if atts and atts.value:
            aid = atts.value[0].id
            await c.run("GET /users/{id}/messages/{id}/attachments/{id}",
                        lambda: ab.by_attachment_id(aid).get())
    else:
        c.results.append({"call": "GET …/attachments", "ok": False,
                          "detail": "no message with attachments in 12 mailboxes"})

    await c.run("PATCH /users/{id}/messages/{id}",
                lambda: mb.messages.by_message_id(m0.id).patch(Message(is_read=True)))

    # Move and copy: the SDK sends {"DestinationId": …}, the name in Graph's metadata.
    target = made.id if made else "deleteditems"
    copied = await c.run("POST …/messages/{id}/copy", lambda: mb.messages.by_message_id(m0.id)
                         .copy.post(CopyPostRequestBody(destination_id=target)))
    if copied:
        moved = await c.run("POST …/messages/{id}/move", lambda: mb.messages
                            .by_message_id(copied.id)
                            .move.post(MovePostRequestBody(destination_id="deleteditems")))
        if moved:
            await c.run("DELETE /users/{id}/messages/{id}",
                        lambda: mb.messages.by_message_id(moved.id).delete())
    copied2 = await c.run("POST …/messages/{id}/copy (for permanentDelete)",
                          lambda: mb.messages.by_message_id(m0.id)
                          .copy.post(CopyPostRequestBody(destination_id=target)))
    if copied2:
        await c.run("POST …/messages/{id}/permanentDelete",
                    lambda: mb.messages.by_message_id(copied2.id).permanent_delete.post())

    async def message_delta():
        d = mb.mail_folders.by_mail_folder_id("inbox").messages.delta
        h = HeadersCollection()
        h.add("Prefer", "odata.maxpagesize=20")
        page = await d.get(RequestConfiguration(headers=h))
        pages = 1
        while page.odata_next_link:
            page = await d.with_url(page.odata_next_link).get(RequestConfiguration(headers=h))
            pages += 1
        assert page.odata_delta_link, "no deltaLink"
        await d.with_url(page.odata_delta_link).get()
        return f"{pages} pages"
    await c.run("GET /users/{id}/mailFolders/inbox/messages/delta (pages, deltaLink)",
                message_delta)

    rules = mb.mail_folders.by_mail_folder_id("inbox").message_rules
    await c.run("GET …/inbox/messageRules", lambda: rules.get())
    rule = await c.run("POST …/inbox/messageRules", lambda: rules.post(MessageRule(
        display_name="SDK check", sequence=7, is_enabled=True,
        conditions=MessageRulePredicates(subject_contains=["sdk-check"]),
        actions=MessageRuleActions(mark_as_read=True, stop_processing_rules=True))))
    if rule:
        one = rules.by_message_rule_id(rule.id)
        await c.run("GET …/inbox/messageRules/{id}", lambda: one.get())
        await c.run("PATCH …/inbox/messageRules/{id}",
                    lambda: one.patch(MessageRule(is_enabled=False)))
        await c.run("DELETE …/inbox/messageRules/{id}", lambda: one.delete())

    settings = await c.run("GET /users/{id}/mailboxSettings", lambda: mb.mailbox_settings.get())
    if settings is not None:
        await c.run("PATCH /users/{id}/mailboxSettings", lambda: mb.mailbox_settings.patch(
            MailboxSettings(time_zone=settings.time_zone or "UTC")))

    # Change notifications, to a receiver on loopback (the simulator allows plain HTTP there
    # only when started with --allow-http-loopback-notifications).
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/graph"
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
    sub = await c.run("POST /subscriptions", lambda: g.subscriptions.post(Subscription(
        change_type="created,updated,deleted", notification_url=hook,
        lifecycle_notification_url=hook + "/lifecycle",
        resource=f"users/{uid}/messages", expiration_date_time=expires,
        client_state=uuid.uuid4().hex)))
    await c.run("GET /subscriptions", lambda: g.subscriptions.get())
    if sub:
        one = g.subscriptions.by_subscription_id(sub.id)
        await c.run("PATCH /subscriptions/{id}", lambda: one.patch(Subscription(
            expiration_date_time=expires + dt.timedelta(hours=1))))
        await c.run("DELETE /subscriptions/{id}", lambda: one.delete())
    server.shutdown()

    # Defender's records of delivered mail (how a campaign pull finds every copy).
    await c.run("GET /security/collaboration/analyzedEmails",
                lambda: g.security.collaboration.analyzed_emails.get())

    # $batch, as Ward batches per-mailbox reads.
    async def batch():
        content = BatchRequestContent()
        for i, u in enumerate(people[:3]):
            info = g.users.by_user_id(u.id).mail_folders.by_mail_folder_id("inbox") \
                .to_get_request_information()
            content.add_request(str(i), BatchRequestItem(info, id=str(i)))
        resp = await g.batch.post(content)
        codes = sorted(r.status for r in resp.responses.values())
        assert codes == [200, 200, 200], codes
        return codes
    await c.run("POST /$batch", batch)

    for r in c.results:
        print(json.dumps(r))
    return 0 if all(r["ok"] for r in c.results) else 1


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(asyncio.run(main(Path(sys.argv[1]))))
