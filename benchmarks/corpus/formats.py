"""Credential formats to plant, written from each provider's public description of its tokens.

Every generator takes the seeded ``Rand`` and returns a ``Bundle``: the secret (and, where a
credential comes in parts, its companions: an access key id next to its secret) with the variable
names a project would give it.  Tokens use the provider's alphabet, length and prefix; where the
format carries a checksum (GitHub, npm, GitLab routable, Grafana, Packagist) or a structure (PyPI
macaroon, Discord snowflake, JWT, Sentry org token) it is computed, not faked.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from common import ALNUM, B64URL, BASE32, BASE58, DIGITS, LOWER, UPPER, Bundle, Item, Label, Rand, pos

Gen = Callable[[Rand], Bundle]


@dataclass(frozen=True)
class Format:
    fmt: str
    family: str
    gen: Gen
    weight: float = 1.0


FORMATS: list[Format] = []


def fmt(name: str, family: str, weight: float = 1.0) -> Callable[[Gen], Gen]:
    def register(gen: Gen) -> Gen:
        FORMATS.append(Format(name, family, gen, weight))
        return gen

    return register


def ignore(value: str, fmt_name: str, family: str) -> Label:
    """A companion value that is not itself the secret (account SID, client id): reporting it is
    neither a hit nor a false alarm."""
    return Label(value=value, fmt=fmt_name, family=family, kind="ignore")


def single(
    r: Rand,
    fmt_name: str,
    family: str,
    value: str,
    names: list[str],
    severity: str | None = None,
    alt: list[str] | None = None,
) -> Bundle:
    return Bundle(
        [Item(r.choice(names), value, pos(value, fmt_name, family, severity=severity, alt=alt or []))]
    )


# --- checksums -----------------------------------------------------------------------------------

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(n: int, width: int) -> str:
    out = ""
    while n:
        n, rest = divmod(n, 62)
        out = _B62[rest] + out
    return out.rjust(width, "0")


def base36(n: int, width: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, rest = divmod(n, 36)
        out = digits[rest] + out
    return out.rjust(width, "0")


def github_style(r: Rand, prefix: str) -> str:
    """github.blog 'Behind GitHub's new authentication token formats': 30 random base62 + CRC32 (6 base62)."""
    body = r.alnum(30)
    return f"{prefix}_{body}{base62(zlib.crc32(body.encode()), 6)}"


def b64url_json(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode().rstrip("=")


def jwt(r: Rand, alg: str = "HS256", payload: dict | None = None) -> str:
    header = {"alg": alg, "typ": "JWT"}
    if alg.startswith("RS") and r.chance(0.5):
        header["kid"] = r.hex(40)
    now = 1_700_000_000 + r.randint(0, 60_000_000)
    body = payload or {
        "sub": r.uuid() if r.chance(0.5) else str(r.randint(1000, 999999)),
        "iat": now,
        "exp": now + r.pick(900, 3600, 86400, 31536000),
    }
    if payload is None and r.chance(0.5):
        body["role"] = r.pick("admin", "service", "user", "authenticated")
    sig_bytes = {"HS256": 32, "HS512": 64, "RS256": 256, "ES256": 64}[alg]
    return f"{b64url_json(header)}.{b64url_json(body)}.{r.b64url(sig_bytes)}"


# --- cloud ---------------------------------------------------------------------------------------

AWS_NAMES = [
    ("aws_access_key_id", "aws_secret_access_key"),
    ("access_key_id", "secret_access_key"),
    ("aws_access_key", "aws_secret_key"),
    ("access_key", "secret_key"),
    ("s3_access_key", "s3_secret_key"),
]


@fmt("aws-access-key", "cloud", 3)
def aws_pair(r: Rand) -> Bundle:
    temporary = r.chance(0.2)
    key_id = ("ASIA" if temporary else "AKIA") + r.s(BASE32, 16)
    secret = r.s(ALNUM + "+/", 40)
    id_name, secret_name = r.choice(AWS_NAMES)
    items = [
        Item(id_name, key_id, pos(key_id, "aws-access-key-id", "cloud")),
        Item(secret_name, secret, pos(secret, "aws-secret-access-key", "cloud")),
    ]
    if temporary:
        token = "IQoJb3JpZ2luX2Vj" + r.s("EF", 1) + r.s(ALNUM + "+/", r.randint(300, 800))
        items.append(Item("aws_session_token", token, pos(token, "aws-session-token", "cloud")))
    return Bundle(items)


@fmt("aws-mws-token", "cloud", 0.3)
def aws_mws(r: Rand) -> Bundle:
    return single(r, "aws-mws-auth-token", "cloud", "amzn.mws." + r.uuid(), ["mws_auth_token", "mws_token"])


@fmt("aws-bedrock-api-key", "cloud", 0.4)
def aws_bedrock(r: Rand) -> Bundle:
    raw = f"BedrockAPIKey-{r.lower_alnum(4)}-at-{r.digits(12)}:{r.alnum(r.randint(40, 56))}"
    return single(
        r,
        "aws-bedrock-api-key",
        "cloud",
        "ABSK" + base64.b64encode(raw.encode()).decode(),
        ["aws_bearer_token_bedrock", "bedrock_api_key"],
    )


@fmt("aws-appsync-key", "cloud", 0.3)
def aws_appsync(r: Rand) -> Bundle:
    return single(
        r, "aws-appsync-api-key", "cloud", "da2-" + r.lower_alnum(26), ["appsync_api_key", "graphql_api_key"]
    )


@fmt("gcp-api-key", "cloud", 2)
def gcp_api_key(r: Rand) -> Bundle:
    return single(
        r,
        "gcp-api-key",
        "cloud",
        "AIzaSy" + r.s(B64URL, 33),
        ["google_api_key", "gemini_api_key", "maps_api_key", "firebase_api_key", "youtube_api_key"],
    )


@fmt("gcp-oauth-client-secret", "cloud")
def gcp_client_secret(r: Rand) -> Bundle:
    client_id = f"{r.digits(12)}-{r.lower_alnum(32)}.apps.googleusercontent.com"
    secret = "GOCSPX-" + r.s(B64URL, 28)
    return Bundle(
        [
            Item("google_client_id", client_id, ignore(client_id, "google-oauth-client-id", "cloud")),
            Item("google_client_secret", secret, pos(secret, "gcp-oauth-client-secret", "cloud")),
        ]
    )


@fmt("gcp-oauth-refresh-token", "cloud", 0.5)
def gcp_refresh(r: Rand) -> Bundle:
    return single(
        r,
        "gcp-oauth-refresh-token",
        "cloud",
        "1//0" + r.s(ALNUM, 1) + r.s(B64URL, 98),
        ["google_refresh_token", "gdrive_refresh_token", "refresh_token"],
    )


@fmt("gcp-oauth-access-token", "cloud", 0.5)
def gcp_access(r: Rand) -> Bundle:
    return single(
        r,
        "gcp-oauth-access-token",
        "cloud",
        "ya29.a0" + r.s(B64URL, r.randint(150, 220)),
        ["google_access_token", "gcloud_access_token", "access_token"],
    )


def _b64_key(r: Rand, nbytes: int) -> str:
    return r.b64(nbytes)


@fmt("azure-storage-connection-string", "cloud", 1.5)
def azure_storage_cs(r: Rand) -> Bundle:
    account = r.lower_alnum(r.randint(8, 18))
    key = _b64_key(r, 64)
    value = (
        f"DefaultEndpointsProtocol=https;AccountName={account};AccountKey={key};"
        "EndpointSuffix=core.windows.net"
    )
    return Bundle(
        [
            Item(
                r.pick(
                    "azure_storage_connection_string", "storage_connection_string", "azure_webjobs_storage"
                ),
                value,
                pos(key, "azure-storage-connection-string", "cloud"),
            )
        ]
    )


@fmt("azure-storage-account-key", "cloud")
def azure_storage_key(r: Rand) -> Bundle:
    return single(
        r,
        "azure-storage-account-key",
        "cloud",
        _b64_key(r, 64),
        ["azure_storage_key", "azure_storage_account_key", "storage_account_key", "blob_access_key"],
    )


@fmt("azure-sas-token", "cloud")
def azure_sas(r: Rand) -> Bundle:
    sig = _b64_key(r, 32).replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    account = r.lower_alnum(12)
    url = (
        f"https://{account}.blob.core.windows.net/{r.pick('backups', 'uploads', 'exports')}?sv=2022-"
        f"11-02&ss=b"
        f"&srt=co&sp=rl&se=2026-0{r.randint(1, 9)}-15T18:00:00Z&st=2025-01-01T00:00:00Z&spr=https&sig={sig}"
    )
    return Bundle(
        [
            Item(
                r.pick("blob_sas_url", "azure_sas_url", "export_container_url"),
                url,
                pos(sig, "azure-sas-token", "cloud"),
            )
        ]
    )


@fmt("azure-entra-client-secret", "cloud", 1.5)
def azure_entra(r: Rand) -> Bundle:
    alphabet = ALNUM + "_~.-"
    secret = r.s(alphabet, 3) + r.pick("7", "8") + "Q~" + r.s(alphabet, 34)
    tenant, client = r.uuid(), r.uuid()
    return Bundle(
        [
            Item("azure_tenant_id", tenant, ignore(tenant, "azure-tenant-id", "cloud")),
            Item("azure_client_id", client, ignore(client, "azure-client-id", "cloud")),
            Item(
                r.pick("azure_client_secret", "client_secret", "aad_client_secret"),
                secret,
                pos(secret, "azure-entra-client-secret", "cloud"),
            ),
        ]
    )


@fmt("azure-cosmosdb-connection-string", "cloud", 0.7)
def azure_cosmos(r: Rand) -> Bundle:
    key = _b64_key(r, 64)
    value = f"AccountEndpoint=https://{r.lower_alnum(10)}.documents.azure.com:443/;AccountKey={key};"
    return Bundle(
        [Item("cosmos_connection_string", value, pos(key, "azure-cosmosdb-connection-string", "cloud"))]
    )


@fmt("azure-service-bus-connection-string", "cloud", 0.7)
def azure_service_bus(r: Rand) -> Bundle:
    key = _b64_key(r, 32)
    ns = r.pick("orders", "events", "billing", "telemetry") + "-" + r.lower_alnum(5)
    value = (
        f"Endpoint=sb://{ns}.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        f"SharedAccessKey={key}"
    )
    if r.chance(0.4):
        value += ";EntityPath=" + r.pick("orders", "audit-log", "ingest")
    return Bundle(
        [
            Item(
                r.pick("servicebus_connection_string", "eventhub_connection_string"),
                value,
                pos(key, "azure-service-bus-connection-string", "cloud"),
            )
        ]
    )


@fmt("azure-iot-hub-connection-string", "cloud", 0.4)
def azure_iot(r: Rand) -> Bundle:
    key = _b64_key(r, 32)
    value = (
        f"HostName={r.lower_alnum(8)}-hub.azure-devices.net;DeviceId=sensor-{r.randint(1, 999):03d};"
        f"SharedAccessKey={key}"
    )
    return Bundle(
        [Item("iothub_device_connection_string", value, pos(key, "azure-iot-hub-connection-string", "cloud"))]
    )


@fmt("azure-app-configuration-connection-string", "cloud", 0.3)
def azure_appconfig(r: Rand) -> Bundle:
    secret = _b64_key(r, 32)
    value = (
        f"Endpoint=https://{r.lower_alnum(9)}.azconfig.io;Id={r.alnum(4)}-l{r.randint(0, 9)}-s0"
        f":{r.alnum(20)};"
        f"Secret={secret}"
    )
    return Bundle(
        [
            Item(
                "app_configuration_connection_string",
                value,
                pos(secret, "azure-app-configuration-connection-string", "cloud"),
            )
        ]
    )


@fmt("azure-signalr-connection-string", "cloud", 0.3)
def azure_signalr(r: Rand) -> Bundle:
    key = _b64_key(r, 32)
    value = f"Endpoint=https://{r.lower_alnum(9)}.service.signalr.net;AccessKey={key};Version=1.0;"
    return Bundle(
        [Item("azure_signalr_connection_string", value, pos(key, "azure-signalr-connection-string", "cloud"))]
    )


@fmt("azure-container-registry-password", "cloud", 0.4)
def azure_acr(r: Rand) -> Bundle:
    password = r.s(ALNUM + "+/", 42) + "+ACR" + r.alnum(6)
    return single(
        r,
        "azure-container-registry-password",
        "cloud",
        password,
        ["acr_password", "azurecr_password", "registry_password"],
    )


@fmt("azure-openai-key", "cloud", 0.7)
def azure_openai(r: Rand) -> Bundle:
    endpoint = f"https://{r.lower_alnum(8)}-openai.openai.azure.com/"
    key = r.hex(32)
    return Bundle(
        [
            Item("azure_openai_endpoint", endpoint, None),
            Item("azure_openai_api_key", key, pos(key, "azure-openai-api-key", "cloud")),
        ]
    )


@fmt("azure-function-key", "cloud", 0.5)
def azure_function(r: Rand) -> Bundle:
    key = r.s(B64URL, 54) + "=="
    url = (
        f"https://{r.lower_alnum(10)}.azurewebsites.net/api/{r.pick('ingest', 'notify', 'resize')}?code={key}"
    )
    return Bundle(
        [Item(r.pick("function_url", "webhook_endpoint"), url, pos(key, "azure-function-key", "cloud"))]
    )


@fmt("alibaba-access-key", "cloud", 0.8)
def alibaba(r: Rand) -> Bundle:
    key_id = "LTAI5t" + r.alnum(18)
    secret = r.alnum(30)
    names = r.pick(
        ("alibaba_cloud_access_key_id", "alibaba_cloud_access_key_secret"),
        ("aliyun_access_key_id", "aliyun_access_key_secret"),
        ("oss_access_key_id", "oss_access_key_secret"),
    )
    return Bundle(
        [
            Item(names[0], key_id, pos(key_id, "alibaba-access-key-id", "cloud")),
            Item(names[1], secret, pos(secret, "alibaba-access-key-secret", "cloud")),
        ]
    )


@fmt("digitalocean-token", "cloud")
def digitalocean(r: Rand) -> Bundle:
    kind = r.pick("dop", "dop", "doo", "dor")
    return single(
        r,
        f"digitalocean-{kind}",
        "cloud",
        f"{kind}_v1_" + r.hex(64),
        ["digitalocean_token", "do_token", "digitalocean_access_token"],
    )


@fmt("heroku-api-key", "cloud", 0.8)
def heroku(r: Rand) -> Bundle:
    if r.chance(0.5):
        return single(r, "heroku-api-key", "cloud", r.uuid(), ["heroku_api_key", "heroku_api_token"])
    return single(
        r, "heroku-api-key-v2", "cloud", "HRKU-AA" + r.s(B64URL, 58), ["heroku_api_key", "heroku_token"]
    )


@fmt("linode-token", "cloud", 0.5)
def linode(r: Rand) -> Bundle:
    return single(
        r, "linode-token", "cloud", r.hex(64), ["linode_token", "linode_api_token", "linode_cli_token"]
    )


@fmt("akamai-edgegrid", "cloud", 0.5)
def akamai(r: Rand) -> Bundle:
    def ident() -> str:
        return f"akab-{r.lower_alnum(16)}-{r.lower_alnum(16)}"

    host, access, client = ident() + ".luna.akamaiapis.net", ident(), ident()
    secret = _b64_key(r, 32)
    return Bundle(
        [
            Item("host", host, None),
            Item("client_token", client, ignore(client, "akamai-client-token", "cloud")),
            Item("access_token", access, ignore(access, "akamai-access-token", "cloud")),
            Item("client_secret", secret, pos(secret, "akamai-edgegrid-client-secret", "cloud")),
        ]
    )


@fmt("scaleway-secret-key", "cloud", 0.5)
def scaleway(r: Rand) -> Bundle:
    access = "SCW" + r.s(UPPER + DIGITS, 17)
    secret = r.uuid()
    return Bundle(
        [
            Item("scw_access_key", access, ignore(access, "scaleway-access-key", "cloud")),
            Item("scw_secret_key", secret, pos(secret, "scaleway-secret-key", "cloud")),
        ]
    )


@fmt("ibm-cloud-api-key", "cloud", 0.5)
def ibm(r: Rand) -> Bundle:
    return single(r, "ibm-cloud-api-key", "cloud", r.s(B64URL, 44), ["ibmcloud_api_key", "ibm_cloud_api_key"])


@fmt("tencent-secret", "cloud", 0.5)
def tencent(r: Rand) -> Bundle:
    sid, key = "AKID" + r.alnum(32), r.alnum(32)
    return Bundle(
        [
            Item("tencentcloud_secret_id", sid, pos(sid, "tencent-secret-id", "cloud")),
            Item("tencentcloud_secret_key", key, pos(key, "tencent-secret-key", "cloud")),
        ]
    )


# --- code hosting ----------------------------------------------------------------------------------


@fmt("github-token", "code-hosting", 4)
def github(r: Rand) -> Bundle:
    prefix = r.pick("ghp", "ghp", "ghp", "gho", "ghu", "ghs", "ghr")
    names = {
        "ghp": ["github_token", "gh_token", "github_pat", "git_token", "personal_access_token"],
        "gho": ["github_oauth_token", "oauth_token"],
        "ghu": ["github_user_token", "user_access_token"],
        "ghs": ["github_app_token", "installation_token"],
        "ghr": ["github_refresh_token", "refresh_token"],
    }
    return single(r, f"github-{prefix}", "code-hosting", github_style(r, prefix), names[prefix])


@fmt("github-fine-grained-pat", "code-hosting", 2)
def github_fine(r: Rand) -> Bundle:
    return single(
        r,
        "github-pat-fine-grained",
        "code-hosting",
        f"github_pat_{r.alnum(22)}_{r.alnum(59)}",
        ["github_token", "gh_pat", "github_pat", "gh_token"],
    )


@fmt("github-oauth-client-secret", "code-hosting", 0.6)
def github_client_secret(r: Rand) -> Bundle:
    client_id = "Iv1." + r.hex(16) if r.chance(0.5) else "Ov23li" + r.alnum(14)
    secret = r.hex(40)
    return Bundle(
        [
            Item("github_client_id", client_id, ignore(client_id, "github-client-id", "code-hosting")),
            Item("github_client_secret", secret, pos(secret, "github-oauth-client-secret", "code-hosting")),
        ]
    )


@fmt("github-legacy-token", "code-hosting", 0.5)
def github_legacy(r: Rand) -> Bundle:
    return single(
        r, "github-oauth-token-legacy", "code-hosting", r.hex(40), ["github_token", "github_oauth_token"]
    )


def gitlab_routable(r: Rand, prefix: str) -> str:
    """GitLab routable tokens (lib/authn/token_field/generator/routable_token.rb): base64url of the
    routing payload + 16 random bytes + their count, '.01.', payload length (2 base36), CRC32 (7 base36)."""
    routing = "\n".join(
        f"{k}:{base36(v, 1)}"
        for k, v in (("c", r.randint(1, 9)), ("o", r.randint(1, 5000)), ("u", r.randint(1, 10**6)))
    )
    payload = base64.urlsafe_b64encode(routing.encode() + r.raw(16) + bytes([16])).decode().rstrip("=")
    head = f"{prefix}{payload}.01.{base36(len(payload), 2)}"
    return head + base36(zlib.crc32(head.encode()), 7)


@fmt("gitlab-pat", "code-hosting", 2.5)
def gitlab_pat(r: Rand) -> Bundle:
    if r.chance(0.4):
        return single(
            r,
            "gitlab-pat-routable",
            "code-hosting",
            gitlab_routable(r, "glpat-"),
            ["gitlab_token", "gitlab_pat", "gl_token", "private_token"],
        )
    return single(
        r,
        "gitlab-pat",
        "code-hosting",
        "glpat-" + r.s(B64URL, 20),
        ["gitlab_token", "gitlab_pat", "gl_token", "private_token", "gitlab_access_token"],
    )


@fmt("gitlab-other-token", "code-hosting", 2)
def gitlab_other(r: Rand) -> Bundle:
    kind = r.pick(
        "gldt",
        "glrt",
        "glrt-t",
        "GR",
        "glcbt",
        "glptt",
        "glsoat",
        "glft",
        "glimt",
        "glagent",
        "glffct",
        "gloas",
    )
    table: dict[str, tuple[str, list[str]]] = {
        "gldt": ("gldt-" + r.s(B64URL, 20), ["gitlab_deploy_token", "deploy_token_password"]),
        "glrt": ("glrt-" + r.s(B64URL, 20), ["runner_token", "ci_runner_token"]),
        "glrt-t": (f"glrt-t{r.randint(1, 3)}_" + r.s(B64URL, 20), ["runner_token", "gitlab_runner_token"]),
        "GR": ("GR1348941" + r.s(B64URL, 20), ["registration_token", "runner_registration_token"]),
        "glcbt": (f"glcbt-{r.hex(2)}_" + r.s(B64URL, 20), ["ci_job_token", "job_token"]),
        "glptt": ("glptt-" + r.hex(40), ["trigger_token", "pipeline_trigger_token"]),
        "glsoat": ("glsoat-" + r.s(B64URL, 20), ["scim_token"]),
        "glft": ("glft-" + r.s(B64URL, 20), ["feed_token", "gitlab_feed_token"]),
        "glimt": ("glimt-" + r.s(LOWER + DIGITS, 25), ["incoming_email_token"]),
        "glagent": ("glagent-" + r.s(B64URL, 50), ["agent_token", "kas_agent_token"]),
        "glffct": ("glffct-" + r.s(B64URL, 20), ["unleash_instance_id", "feature_flags_token"]),
        "gloas": ("gloas-" + r.hex(64), ["gitlab_oauth_secret", "oauth_client_secret"]),
    }
    value, names = table[kind]
    return single(r, f"gitlab-{kind.lower()}", "code-hosting", value, names)


@fmt("bitbucket-token", "code-hosting")
def bitbucket(r: Rand) -> Bundle:
    if r.chance(0.5):
        return single(
            r,
            "bitbucket-app-password",
            "code-hosting",
            "ATBB" + r.alnum(32),
            ["bitbucket_app_password", "bitbucket_password", "bb_app_password"],
        )
    value = "ATCTT3xFfGN0" + r.s(B64URL, 172) + "=" + r.s("0123456789ABCDEF", 8)
    return single(
        r, "bitbucket-access-token", "code-hosting", value, ["bitbucket_access_token", "bitbucket_token"]
    )


# --- CI ------------------------------------------------------------------------------------------


@fmt("circleci-token", "ci")
def circleci(r: Rand) -> Bundle:
    kind = r.pick("CCIPAT", "CCIPRJ", "legacy")
    if kind == "legacy":
        return single(
            r, "circleci-legacy", "ci", r.hex(40), ["circleci_token", "circle_token", "circleci_api_token"]
        )
    return single(
        r,
        f"circleci-{kind.lower()}",
        "ci",
        f"{kind}_{r.s(BASE58, 22)}_{r.hex(40)}",
        ["circleci_token", "circle_token"],
    )


@fmt("travis-token", "ci", 0.4)
def travis(r: Rand) -> Bundle:
    return single(r, "travis-ci-token", "ci", r.s(B64URL, 22), ["travis_api_token", "travis_token"])


@fmt("buildkite-token", "ci", 0.6)
def buildkite(r: Rand) -> Bundle:
    if r.chance(0.6):
        return single(
            r, "buildkite-api-token", "ci", "bkua_" + r.hex(40), ["buildkite_api_token", "buildkite_token"]
        )
    return single(r, "buildkite-agent-token", "ci", r.hex(50), ["buildkite_agent_token"])


@fmt("azure-devops-pat", "ci")
def azdo(r: Rand) -> Bundle:
    if r.chance(0.5):
        value = r.alnum(52) + "JQQJ99" + r.alnum(18) + "AZDO" + r.alnum(4)
        return single(r, "azure-devops-pat", "ci", value, ["azure_devops_pat", "azdo_pat", "ado_token"])
    return single(
        r,
        "azure-devops-pat-legacy",
        "ci",
        r.s(LOWER + "234567", 52),
        ["azure_devops_pat", "azure_devops_token", "vsts_pat"],
    )


@fmt("jenkins-token", "ci", 0.5)
def jenkins(r: Rand) -> Bundle:
    return single(r, "jenkins-api-token", "ci", "11" + r.hex(32), ["jenkins_api_token", "jenkins_token"])


@fmt("drone-token", "ci", 0.3)
def drone(r: Rand) -> Bundle:
    return single(r, "drone-ci-token", "ci", r.alnum(32), ["drone_token"])


@fmt("codecov-token", "ci", 0.4)
def codecov(r: Rand) -> Bundle:
    return single(r, "codecov-upload-token", "ci", r.uuid(), ["codecov_token"])


# --- registries -------------------------------------------------------------------------------------


@fmt("npm-token", "registries", 2)
def npm(r: Rand) -> Bundle:
    return single(
        r,
        "npm-access-token",
        "registries",
        github_style(r, "npm"),
        ["npm_token", "node_auth_token", "npm_auth_token"],
    )


def pypi_macaroon(r: Rand, location: str) -> str:
    """A v2 binary macaroon (libmacaroons format.txt): location, identifier, one caveat, signature."""

    def field(kind: int, data: bytes) -> bytes:
        return bytes([kind, len(data)]) + data

    caveat = json.dumps(
        {"permissions": r.pick("user", {"projects": ["acme-" + r.lower_alnum(6)]}), "version": 1}
    )
    raw = (
        b"\x02"
        + field(1, location.encode())
        + field(2, r.uuid().encode())
        + b"\x00"
        + field(2, caveat.encode())
        + b"\x00\x00"
        + field(6, r.raw(32))
    )
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


@fmt("pypi-token", "registries", 1.5)
def pypi(r: Rand) -> Bundle:
    if r.chance(0.2):
        return single(
            r,
            "pypi-test-api-token",
            "registries",
            pypi_macaroon(r, "test.pypi.org"),
            ["test_pypi_token", "testpypi_password"],
            severity="low",
        )
    return single(
        r,
        "pypi-api-token",
        "registries",
        pypi_macaroon(r, "pypi.org"),
        ["pypi_token", "pypi_api_token", "twine_password", "pypi_password"],
    )


@fmt("rubygems-key", "registries", 0.5)
def rubygems(r: Rand) -> Bundle:
    return single(
        r, "rubygems-api-key", "registries", "rubygems_" + r.hex(48), ["gem_host_api_key", "rubygems_api_key"]
    )


@fmt("nuget-key", "registries", 0.5)
def nuget(r: Rand) -> Bundle:
    return single(r, "nuget-api-key", "registries", "oy2" + r.lower_alnum(43), ["nuget_api_key", "nuget_key"])


@fmt("docker-hub-token", "registries")
def dockerhub(r: Rand) -> Bundle:
    kind = r.pick("pat", "pat", "oat")
    return single(
        r,
        f"docker-hub-{kind}",
        "registries",
        f"dckr_{kind}_" + r.s(B64URL, 27),
        ["docker_hub_token", "dockerhub_token", "docker_password", "registry_token"],
    )


@fmt("crates-io-token", "registries", 0.5)
def crates(r: Rand) -> Bundle:
    return single(
        r, "crates-io-token", "registries", "cio" + r.alnum(32), ["cargo_registry_token", "crates_io_token"]
    )


@fmt("jfrog-token", "registries", 0.6)
def jfrog(r: Rand) -> Bundle:
    if r.chance(0.5):
        return single(
            r,
            "jfrog-api-key",
            "registries",
            "AKCp" + r.alnum(69),
            ["artifactory_api_key", "jfrog_api_key", "artifactory_password"],
        )
    raw = f"reftkn:01:{r.randint(1_700_000_000, 2_000_000_000)}:{r.alnum(31)}"
    return single(
        r,
        "jfrog-reference-token",
        "registries",
        base64.b64encode(raw.encode()).decode().rstrip("="),
        ["jfrog_access_token", "artifactory_token"],
    )


@fmt("packagist-token", "registries", 0.3)
def packagist(r: Rand) -> Bundle:
    kind = r.pick("uut", "out", "ort")
    head = f"packagist_{kind}_" + r.hex(60)
    return single(
        r,
        f"packagist-{kind}",
        "registries",
        head + format(zlib.crc32(head.encode()), "08x"),
        ["packagist_token", "composer_auth_token"],
    )


@fmt("hex-api-key", "registries", 0.3)
def hexpm(r: Rand) -> Bundle:
    return single(r, "hex-api-key", "registries", r.hex(32), ["hex_api_key", "hexpm_api_key"])


# --- AI --------------------------------------------------------------------------------------------


@fmt("openai-key", "ai", 3)
def openai(r: Rand) -> Bundle:
    kind = r.pick("proj", "proj", "proj", "svcacct", "admin", "legacy")
    if kind == "legacy":
        value = "sk-" + r.alnum(20) + "T3BlbkFJ" + r.alnum(20)
    else:
        value = f"sk-{kind}-" + r.s(B64URL, 74) + "T3BlbkFJ" + r.s(B64URL, 74)
    return single(
        r, f"openai-{kind}", "ai", value, ["openai_api_key", "openai_key", "llm_api_key", "api_key"]
    )


@fmt("anthropic-key", "ai", 2)
def anthropic(r: Rand) -> Bundle:
    kind = r.pick("api03", "api03", "admin01")
    return single(
        r,
        f"anthropic-{kind}",
        "ai",
        f"sk-ant-{kind}-" + r.s(B64URL, 93) + "AA",
        ["anthropic_api_key", "claude_api_key", "anthropic_key"],
    )


@fmt("huggingface-token", "ai", 1.5)
def huggingface(r: Rand) -> Bundle:
    if r.chance(0.2):
        return single(r, "huggingface-org-token", "ai", "api_org_" + r.s(UPPER + LOWER, 34), ["hf_org_token"])
    return single(
        r,
        "huggingface-token",
        "ai",
        "hf_" + r.s(UPPER + LOWER, 34),
        ["hf_token", "huggingface_token", "huggingfacehub_api_token", "hugging_face_hub_token"],
    )


@fmt("cohere-key", "ai", 0.6)
def cohere(r: Rand) -> Bundle:
    return single(r, "cohere-api-key", "ai", r.alnum(40), ["cohere_api_key", "co_api_key"])


@fmt("replicate-token", "ai", 0.6)
def replicate(r: Rand) -> Bundle:
    return single(r, "replicate-api-token", "ai", "r8_" + r.alnum(37), ["replicate_api_token"])


@fmt("groq-key", "ai", 0.6)
def groq(r: Rand) -> Bundle:
    return single(r, "groq-api-key", "ai", "gsk_" + r.alnum(52), ["groq_api_key"])


@fmt("mistral-key", "ai", 0.6)
def mistral(r: Rand) -> Bundle:
    return single(r, "mistral-api-key", "ai", r.alnum(32), ["mistral_api_key"])


@fmt("perplexity-key", "ai", 0.4)
def perplexity(r: Rand) -> Bundle:
    return single(
        r, "perplexity-api-key", "ai", "pplx-" + r.alnum(48), ["perplexity_api_key", "pplx_api_key"]
    )


@fmt("deepseek-key", "ai", 0.4)
def deepseek(r: Rand) -> Bundle:
    return single(r, "deepseek-api-key", "ai", "sk-" + r.hex(32), ["deepseek_api_key"])


@fmt("xai-key", "ai", 0.4)
def xai(r: Rand) -> Bundle:
    return single(r, "xai-api-key", "ai", "xai-" + r.alnum(80), ["xai_api_key", "grok_api_key"])


@fmt("openrouter-key", "ai", 0.4)
def openrouter(r: Rand) -> Bundle:
    return single(r, "openrouter-api-key", "ai", "sk-or-v1-" + r.hex(64), ["openrouter_api_key"])


@fmt("langsmith-key", "ai", 0.4)
def langsmith(r: Rand) -> Bundle:
    return single(
        r,
        "langsmith-api-key",
        "ai",
        f"lsv2_{r.pick('pt', 'sk')}_{r.hex(32)}_{r.hex(10)}",
        ["langsmith_api_key", "langchain_api_key"],
    )


# --- messaging ----------------------------------------------------------------------------------


@fmt("slack-token", "messaging", 3)
def slack(r: Rand) -> Bundle:
    team = r.digits(r.randint(10, 13))
    kind = r.pick("xoxb", "xoxb", "xoxp", "xapp", "xoxe.xoxp", "xoxe")
    if kind == "xoxb":
        value = f"xoxb-{team}-{r.digits(13)}-{r.alnum(24)}"
    elif kind == "xoxp":
        value = f"xoxp-{team}-{r.digits(12)}-{r.digits(13)}-{r.hex(32)}"
    elif kind == "xapp":
        value = f"xapp-1-A{r.s(UPPER + DIGITS, 10)}-{r.digits(13)}-{r.hex(64)}"
    elif kind == "xoxe.xoxp":
        value = "xoxe.xoxp-1-" + r.alnum(r.randint(140, 160))
    else:
        value = "xoxe-1-" + r.alnum(r.randint(130, 150))
    names = {
        "xoxb": ["slack_bot_token", "slack_token"],
        "xoxp": ["slack_user_token", "slack_token"],
        "xapp": ["slack_app_token"],
        "xoxe.xoxp": ["slack_access_token"],
        "xoxe": ["slack_refresh_token"],
    }
    return single(r, f"slack-{kind}", "messaging", value, names[kind])


@fmt("slack-webhook", "messaging", 2)
def slack_webhook(r: Rand) -> Bundle:
    if r.chance(0.8):
        url = (
            f"https://hooks.slack.com/services/T{r.s(UPPER + DIGITS, 10)}/"
            f"B{r.s(UPPER + DIGITS, 10)}/{r.alnum(24)}"
        )
        return single(
            r,
            "slack-incoming-webhook",
            "messaging",
            url,
            ["slack_webhook_url", "slack_webhook", "alerts_webhook"],
        )
    url = f"https://hooks.slack.com/triggers/T{r.s(UPPER + DIGITS, 10)}/{r.digits(13)}/{r.hex(32)}"
    return single(r, "slack-workflow-webhook", "messaging", url, ["slack_workflow_url"])


def snowflake(r: Rand) -> int:
    ms = r.randint(1_500_000_000_000, 1_750_000_000_000) - 1_420_070_400_000
    return (ms << 22) | r.getrandbits(22)


@fmt("discord-bot-token", "messaging", 1.2)
def discord_bot(r: Rand) -> Bundle:
    user_id = str(snowflake(r))
    user = base64.b64encode(user_id.encode()).decode().rstrip("=")
    rest = f"{r.s(B64URL, 6)}.{r.s(B64URL, r.pick(27, 38))}"
    value = f"{user}.{rest}"
    # alt: the token with its first part decoded to the bot's user id, as some scanners print it
    return single(
        r,
        "discord-bot-token",
        "messaging",
        value,
        ["discord_token", "discord_bot_token", "bot_token"],
        alt=[f"{user_id}.{rest}"],
    )


@fmt("discord-webhook", "messaging", 0.8)
def discord_webhook(r: Rand) -> Bundle:
    url = f"https://discord.com/api/webhooks/{snowflake(r)}/{r.s(B64URL, 68)}"
    return single(r, "discord-webhook-url", "messaging", url, ["discord_webhook_url", "discord_webhook"])


@fmt("telegram-bot-token", "messaging", 1.2)
def telegram(r: Rand) -> Bundle:
    value = f"{r.digits(r.pick(9, 10))}:AA{r.s(B64URL, 33)}"
    return single(
        r, "telegram-bot-token", "messaging", value, ["telegram_bot_token", "telegram_token", "tg_bot_token"]
    )


@fmt("teams-webhook", "messaging", 0.8)
def teams(r: Rand) -> Bundle:
    if r.chance(0.6):
        url = (
            f"https://{r.lower_alnum(8)}.webhook.office.com/webhookb2/{r.uuid()}@{r.uuid()}/IncomingWebhook/"
            f"{r.hex(32)}/{r.uuid()}/V2{r.s(B64URL, 44)}"
        )
        return single(r, "teams-incoming-webhook", "messaging", url, ["teams_webhook_url", "msteams_webhook"])
    url = (
        f"https://prod-{r.randint(10, 99)}.{r.pick('westeurope', 'eastus', 'westus2')}.logic.azure.c"
        f"om:443/workflows/"
        f"{r.hex(32)}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2F"
        f"run&sv=1.0"
        f"&sig={r.s(B64URL, 43)}"
    )
    return single(r, "teams-workflow-webhook", "messaging", url, ["teams_workflow_url", "teams_webhook_url"])


@fmt("mattermost-rocketchat-webhook", "messaging", 0.5)
def chat_webhooks(r: Rand) -> Bundle:
    host = r.pick("chat", "mm", "team") + "." + r.pick("example.com", "corp.example", "internal.example.org")
    if r.chance(0.5):
        return single(
            r,
            "mattermost-webhook",
            "messaging",
            f"https://{host}/hooks/{r.lower_alnum(26)}",
            ["mattermost_webhook_url"],
        )
    return single(
        r,
        "rocketchat-webhook",
        "messaging",
        f"https://{host}/hooks/{r.alnum(17)}/{r.alnum(48)}",
        ["rocketchat_webhook_url"],
    )


@fmt("twilio", "messaging", 1.2)
def twilio(r: Rand) -> Bundle:
    sid = "AC" + r.hex(32)
    if r.chance(0.6):
        token = r.hex(32)
        return Bundle(
            [
                Item("twilio_account_sid", sid, ignore(sid, "twilio-account-sid", "messaging")),
                Item("twilio_auth_token", token, pos(token, "twilio-auth-token", "messaging")),
            ]
        )
    key, secret = "SK" + r.hex(32), r.alnum(32)
    return Bundle(
        [
            Item("twilio_api_key", key, ignore(key, "twilio-api-key-sid", "messaging")),
            Item("twilio_api_secret", secret, pos(secret, "twilio-api-key-secret", "messaging")),
        ]
    )


# --- mail ------------------------------------------------------------------------------------------


@fmt("sendgrid-key", "mail", 1.5)
def sendgrid(r: Rand) -> Bundle:
    return single(
        r,
        "sendgrid-api-key",
        "mail",
        f"SG.{r.s(B64URL, 22)}.{r.s(B64URL, 43)}",
        ["sendgrid_api_key", "email_api_key", "smtp_password"],
    )


@fmt("mailgun-key", "mail")
def mailgun(r: Rand) -> Bundle:
    if r.chance(0.5):
        return single(r, "mailgun-legacy", "mail", "key-" + r.hex(32), ["mailgun_api_key", "mailgun_key"])
    return single(r, "mailgun-api-key", "mail", f"{r.hex(32)}-{r.hex(8)}-{r.hex(8)}", ["mailgun_api_key"])


@fmt("mailchimp-key", "mail", 0.8)
def mailchimp(r: Rand) -> Bundle:
    return single(
        r,
        "mailchimp-api-key",
        "mail",
        f"{r.hex(32)}-us{r.randint(1, 21)}",
        ["mailchimp_api_key", "mailchimp_key"],
    )


@fmt("mandrill-key", "mail", 0.4)
def mandrill(r: Rand) -> Bundle:
    return single(r, "mandrill-api-key", "mail", r.s(B64URL, 22), ["mandrill_api_key", "mandrill_key"])


@fmt("postmark-token", "mail", 0.6)
def postmark(r: Rand) -> Bundle:
    kind = r.pick("server", "server", "account")
    return single(
        r,
        f"postmark-{kind}-token",
        "mail",
        r.uuid(),
        [f"postmark_{kind}_token", f"postmark_{kind}_api_token"],
    )


@fmt("brevo-key", "mail", 0.6)
def brevo(r: Rand) -> Bundle:
    kind = r.pick("xkeysib", "xsmtpsib")
    return single(
        r,
        f"brevo-{kind}",
        "mail",
        f"{kind}-{r.hex(64)}-{r.alnum(16)}",
        ["brevo_api_key", "sendinblue_api_key"],
    )


@fmt("resend-key", "mail", 0.6)
def resend(r: Rand) -> Bundle:
    return single(r, "resend-api-key", "mail", f"re_{r.alnum(8)}_{r.alnum(24)}", ["resend_api_key"])


@fmt("sparkpost-key", "mail", 0.4)
def sparkpost(r: Rand) -> Bundle:
    return single(r, "sparkpost-api-key", "mail", r.hex(40), ["sparkpost_api_key"])


@fmt("mailjet-key", "mail", 0.4)
def mailjet(r: Rand) -> Bundle:
    public, private = r.hex(32), r.hex(32)
    return Bundle(
        [
            Item("mj_apikey_public", public, ignore(public, "mailjet-api-key", "mail")),
            Item("mj_apikey_private", private, pos(private, "mailjet-secret-key", "mail")),
        ]
    )


# --- payments -----------------------------------------------------------------------------------


def _stripe_body(r: Rand) -> str:
    return r.alnum(24) if r.chance(0.3) else "51" + r.alnum(97)


@fmt("stripe-key", "payments", 3)
def stripe(r: Rand) -> Bundle:
    kind = r.pick("sk_live", "sk_live", "rk_live", "sk_test", "rk_test", "whsec")
    if kind == "whsec":
        return single(
            r,
            "stripe-webhook-secret",
            "payments",
            "whsec_" + r.alnum(32),
            ["stripe_webhook_secret", "stripe_endpoint_secret"],
        )
    low = "low" if kind.endswith("test") else None
    return single(
        r,
        f"stripe-{kind.replace('_', '-')}",
        "payments",
        f"{kind}_{_stripe_body(r)}",
        ["stripe_secret_key", "stripe_api_key", "stripe_key", "stripe_secret"],
        severity=low,
    )


@fmt("square-token", "payments", 0.8)
def square(r: Rand) -> Bundle:
    kind = r.pick("EAAA", "EAAA", "sq0atp", "sq0csp")
    value = {
        "EAAA": "EAAA" + r.s(B64URL, 60),
        "sq0atp": "sq0atp-" + r.s(B64URL, 22),
        "sq0csp": "sq0csp-" + r.s(B64URL, 43),
    }[kind]
    return single(r, f"square-{kind.lower()}", "payments", value, ["square_access_token", "square_token"])


@fmt("braintree", "payments", 0.8)
def braintree(r: Rand) -> Bundle:
    kind = r.pick("production", "production", "sandbox", "private")
    if kind == "private":
        return single(r, "braintree-private-key", "payments", r.hex(32), ["braintree_private_key"])
    value = f"access_token${kind}${r.lower_alnum(16)}${r.hex(32)}"
    return single(
        r,
        f"braintree-{kind}",
        "payments",
        value,
        ["braintree_access_token", "paypal_access_token"],
        severity="low" if kind == "sandbox" else None,
    )


@fmt("shopify-token", "payments", 0.8)
def shopify(r: Rand) -> Bundle:
    kind = r.pick("shpat", "shpca", "shppa", "shpss")
    return single(
        r,
        f"shopify-{kind}",
        "payments",
        f"{kind}_{r.hex(32)}",
        ["shopify_access_token", "shopify_api_secret", "shopify_token"],
    )


@fmt("adyen-key", "payments", 0.4)
def adyen(r: Rand) -> Bundle:
    tail_alphabet = ALNUM + "{}<>=,:.[]()!?*"
    value = "AQE" + r.s(ALNUM + "+/", r.randint(90, 130)) + "==-" + r.b64(32) + "-" + r.s(tail_alphabet, 20)
    return single(r, "adyen-api-key", "payments", value, ["adyen_api_key"])


@fmt("plaid", "payments", 0.6)
def plaid(r: Rand) -> Bundle:
    kind = r.pick("production", "sandbox", "secret")
    if kind == "secret":
        return single(
            r, "plaid-client-secret", "payments", r.hex(30), ["plaid_secret", "plaid_client_secret"]
        )
    return single(
        r,
        f"plaid-access-{kind}",
        "payments",
        f"access-{kind}-{r.uuid()}",
        ["plaid_access_token"],
        severity="low" if kind == "sandbox" else None,
    )


@fmt("razorpay", "payments", 0.4)
def razorpay(r: Rand) -> Bundle:
    key_id, secret = "rzp_live_" + r.alnum(14), r.alnum(24)
    return Bundle(
        [
            Item("razorpay_key_id", key_id, ignore(key_id, "razorpay-key-id", "payments")),
            Item("razorpay_key_secret", secret, pos(secret, "razorpay-key-secret", "payments")),
        ]
    )


@fmt("flutterwave", "payments", 0.4)
def flutterwave(r: Rand) -> Bundle:
    test = r.chance(0.4)
    value = ("FLWSECK_TEST-" if test else "FLWSECK-") + r.hex(32) + "-X"
    return single(
        r,
        "flutterwave-secret-key" + ("-test" if test else ""),
        "payments",
        value,
        ["flutterwave_secret_key", "flw_secret_key"],
        severity="low" if test else None,
    )


@fmt("paystack", "payments", 0.4)
def paystack(r: Rand) -> Bundle:
    test = r.chance(0.4)
    return single(
        r,
        "paystack-secret-key" + ("-test" if test else ""),
        "payments",
        ("sk_test_" if test else "sk_live_") + r.hex(40),
        ["paystack_secret_key"],
        severity="low" if test else None,
    )


@fmt("paypal", "payments", 0.6)
def paypal(r: Rand) -> Bundle:
    client_id, secret = "A" + r.s(B64URL, 79), "E" + r.s(B64URL, 79)
    return Bundle(
        [
            Item("paypal_client_id", client_id, ignore(client_id, "paypal-client-id", "payments")),
            Item("paypal_client_secret", secret, pos(secret, "paypal-client-secret", "payments")),
        ]
    )


# --- SaaS ---------------------------------------------------------------------------------------


@fmt("atlassian-token", "saas")
def atlassian(r: Rand) -> Bundle:
    value = "ATATT3xFfGF0" + r.s(B64URL, 172) + "=" + r.s("0123456789ABCDEF", 8)
    return single(
        r,
        "atlassian-api-token",
        "saas",
        value,
        ["jira_api_token", "confluence_api_token", "atlassian_api_token"],
    )


@fmt("linear-key", "saas", 0.5)
def linear(r: Rand) -> Bundle:
    return single(r, "linear-api-key", "saas", "lin_api_" + r.alnum(40), ["linear_api_key"])


@fmt("notion-token", "saas", 0.7)
def notion(r: Rand) -> Bundle:
    if r.chance(0.6):
        return single(
            r, "notion-ntn", "saas", "ntn_" + r.digits(11) + r.alnum(35), ["notion_token", "notion_api_key"]
        )
    return single(r, "notion-secret", "saas", "secret_" + r.alnum(43), ["notion_token", "notion_api_key"])


@fmt("airtable-pat", "saas", 0.5)
def airtable(r: Rand) -> Bundle:
    return single(
        r, "airtable-pat", "saas", f"pat{r.alnum(14)}.{r.hex(64)}", ["airtable_api_key", "airtable_token"]
    )


@fmt("asana-pat", "saas", 0.4)
def asana(r: Rand) -> Bundle:
    if r.chance(0.5):
        value = f"2/{r.digits(16)}/{r.digits(16)}:{r.hex(32)}"
    else:
        value = f"1/{r.digits(16)}:{r.hex(32)}"
    return single(r, "asana-pat", "saas", value, ["asana_access_token", "asana_pat"])


@fmt("postman-key", "saas", 0.5)
def postman(r: Rand) -> Bundle:
    return single(r, "postman-api-key", "saas", f"PMAK-{r.hex(24)}-{r.hex(34)}", ["postman_api_key"])


@fmt("doppler-token", "saas", 0.6)
def doppler(r: Rand) -> Bundle:
    kind = r.pick("pt", "st", "sa", "ct")
    middle = f"{r.pick('prd', 'dev', 'stg')}." if kind == "st" else ""
    return single(r, f"doppler-{kind}", "saas", f"dp.{kind}.{middle}{r.alnum(43)}", ["doppler_token"])


@fmt("okta-token", "saas", 0.6)
def okta(r: Rand) -> Bundle:
    return single(r, "okta-api-token", "saas", "00" + r.s(B64URL, 40), ["okta_api_token", "okta_token"])


@fmt("auth0-client-secret", "saas", 0.6)
def auth0(r: Rand) -> Bundle:
    return single(r, "auth0-client-secret", "saas", r.s(B64URL, 64), ["auth0_client_secret"])


@fmt("figma-token", "saas", 0.4)
def figma(r: Rand) -> Bundle:
    return single(r, "figma-pat", "saas", "figd_" + r.s(B64URL, 40), ["figma_token", "figma_access_token"])


@fmt("intercom-token", "saas", 0.4)
def intercom(r: Rand) -> Bundle:
    raw = f"tok:{r.uuid().replace('-', '_')}:1:0"
    return single(
        r,
        "intercom-access-token",
        "saas",
        base64.b64encode(raw.encode()).decode(),
        ["intercom_access_token", "intercom_token"],
    )


@fmt("typeform-token", "saas", 0.4)
def typeform(r: Rand) -> Bundle:
    return single(r, "typeform-pat", "saas", f"tfp_{r.alnum(44)}_{r.alnum(14)}", ["typeform_token"])


@fmt("contentful-token", "saas", 0.5)
def contentful(r: Rand) -> Bundle:
    if r.chance(0.5):
        return single(
            r, "contentful-pat", "saas", "CFPAT-" + r.s(B64URL, 43), ["contentful_management_token"]
        )
    return single(
        r,
        "contentful-delivery-token",
        "saas",
        r.s(B64URL, 43),
        ["contentful_delivery_token", "contentful_access_token"],
    )


@fmt("algolia-admin-key", "saas", 0.5)
def algolia(r: Rand) -> Bundle:
    app, key = r.s(UPPER + DIGITS, 10), r.hex(32)
    return Bundle(
        [
            Item("algolia_app_id", app, None),
            Item("algolia_admin_key", key, pos(key, "algolia-admin-key", "saas")),
        ]
    )


@fmt("dropbox-token", "saas", 0.4)
def dropbox(r: Rand) -> Bundle:
    return single(r, "dropbox-access-token", "saas", "sl." + r.s(B64URL, 138), ["dropbox_access_token"])


@fmt("hubspot-token", "saas", 0.4)
def hubspot(r: Rand) -> Bundle:
    return single(
        r,
        "hubspot-private-app-token",
        "saas",
        f"pat-{r.pick('na1', 'eu1')}-{r.uuid()}",
        ["hubspot_access_token", "hubspot_token"],
    )


@fmt("mapbox-secret-token", "saas", 0.3)
def mapbox(r: Rand) -> Bundle:
    body = b64url_json({"u": r.pick("acme", "geo-team", "mapsdev"), "a": r.s(B64URL, 25)})
    return single(
        r,
        "mapbox-secret-token",
        "saas",
        f"sk.{body}.{r.s(B64URL, 22)}",
        ["mapbox_secret_token", "mapbox_download_token"],
    )


# --- observability --------------------------------------------------------------------------------


@fmt("datadog-key", "observability", 1.5)
def datadog(r: Rand) -> Bundle:
    if r.chance(0.6):
        return single(r, "datadog-api-key", "observability", r.hex(32), ["dd_api_key", "datadog_api_key"])
    return single(
        r,
        "datadog-app-key",
        "observability",
        r.hex(40),
        ["dd_app_key", "datadog_app_key", "dd_application_key"],
    )


@fmt("newrelic-key", "observability", 0.8)
def newrelic(r: Rand) -> Bundle:
    kind = r.pick("NRAK", "NRAK", "NRII", "license")
    if kind == "license":
        region = r.pick("eu01xx", "")
        return single(
            r,
            "newrelic-license-key",
            "observability",
            region + r.hex(36 - len(region)) + "NRAL",
            ["new_relic_license_key", "newrelic_license_key"],
        )
    value = "NRAK-" + r.s(UPPER + DIGITS, 27) if kind == "NRAK" else "NRII-" + r.s(B64URL, 32)
    return single(
        r, f"newrelic-{kind.lower()}", "observability", value, ["new_relic_api_key", "newrelic_api_key"]
    )


@fmt("sentry-token", "observability", 0.8)
def sentry(r: Rand) -> Bundle:
    if r.chance(0.5):
        return single(r, "sentry-user-token", "observability", "sntryu_" + r.hex(64), ["sentry_auth_token"])
    payload = {
        "iat": round(1_700_000_000 + r.random() * 5e7, 6),
        "url": "https://sentry.io",
        "region_url": "https://us.sentry.io",
        "org": r.pick("acme", "widgets-inc", "example-org"),
    }
    body = base64.b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    return single(
        r,
        "sentry-org-token",
        "observability",
        f"sntrys_{body}_{r.s(ALNUM + '+/', 43)}",
        ["sentry_auth_token", "sentry_org_token"],
    )


@fmt("pagerduty-key", "observability", 0.5)
def pagerduty(r: Rand) -> Bundle:
    value = ("u+" + r.s(B64URL, 18)) if r.chance(0.5) else r.s(ALNUM + "_-", 20)
    return single(
        r, "pagerduty-api-key", "observability", value, ["pagerduty_api_key", "pagerduty_token", "pd_api_key"]
    )


@fmt("grafana-token", "observability", 0.8)
def grafana(r: Rand) -> Bundle:
    kind = r.pick("glsa", "glsa", "glc", "eyJrIjoi")
    if kind == "glsa":
        head = "glsa_" + r.alnum(32)
        value = f"{head}_{zlib.crc32(head.encode()).to_bytes(4, 'little').hex()}"
    elif kind == "glc":
        obj = {
            "o": str(r.randint(100000, 999999)),
            "n": f"stack-{r.randint(100000, 999999)}-hm-read",
            "k": r.alnum(24),
            "m": {"r": r.pick("prod-us-east-0", "prod-eu-west-2")},
        }
        value = "glc_" + base64.b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode()
    else:
        obj = {"k": r.alnum(32), "n": r.pick("ci", "deploy", "terraform"), "id": r.randint(1, 9)}
        value = base64.b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode()
    return single(
        r,
        f"grafana-{kind}",
        "observability",
        value,
        ["grafana_token", "grafana_api_key", "grafana_service_account_token"],
    )


@fmt("honeycomb-key", "observability", 0.4)
def honeycomb(r: Rand) -> Bundle:
    if r.chance(0.5):
        return single(
            r,
            "honeycomb-ingest-key",
            "observability",
            "hcaik_01" + r.lower_alnum(56),
            ["honeycomb_api_key", "otel_honeycomb_key"],
        )
    return single(
        r, "honeycomb-api-key", "observability", r.alnum(22), ["honeycomb_api_key", "honeycomb_write_key"]
    )


@fmt("splunk-hec-token", "observability", 0.4)
def splunk(r: Rand) -> Bundle:
    return single(r, "splunk-hec-token", "observability", r.uuid(), ["splunk_hec_token", "splunk_token"])


@fmt("logzio-token", "observability", 0.3)
def logzio(r: Rand) -> Bundle:
    return single(
        r, "logzio-token", "observability", r.s(UPPER + LOWER, 32), ["logzio_token", "logzio_shipping_token"]
    )


@fmt("dynatrace-token", "observability", 0.4)
def dynatrace(r: Rand) -> Bundle:
    return single(
        r,
        "dynatrace-api-token",
        "observability",
        f"dt0c01.{r.s(UPPER + DIGITS, 24)}.{r.s(UPPER + DIGITS, 64)}",
        ["dynatrace_api_token", "dt_api_token"],
    )


@fmt("elastic-api-key", "observability", 0.5)
def elastic(r: Rand) -> Bundle:
    raw = f"{r.s(B64URL, 20)}:{r.s(B64URL, 22)}"
    return single(
        r,
        "elastic-api-key",
        "observability",
        base64.b64encode(raw.encode()).decode(),
        ["elastic_api_key", "es_api_key", "elasticsearch_api_key"],
    )


# --- infrastructure -----------------------------------------------------------------------------


@fmt("vault-token", "infra", 1.2)
def vault(r: Rand) -> Bundle:
    kind = r.pick("hvs", "hvs", "hvb", "legacy")
    if kind == "hvs":
        value = "hvs.CAESI" + r.s(B64URL, r.randint(90, 110))
    elif kind == "hvb":
        value = "hvb.AAAAAQ" + r.s(B64URL, r.randint(130, 150))
    else:
        value = "s." + r.alnum(24)
    return single(r, f"vault-{kind}", "infra", value, ["vault_token"])


@fmt("terraform-cloud-token", "infra", 0.8)
def tfc(r: Rand) -> Bundle:
    return single(
        r,
        "terraform-cloud-token",
        "infra",
        f"{r.alnum(14)}.atlasv1.{r.s(B64URL, 67)}",
        ["tfe_token", "tf_token_app_terraform_io", "terraform_cloud_token", "atlas_token"],
    )


@fmt("hcp-client-secret", "infra", 0.3)
def hcp(r: Rand) -> Bundle:
    return single(r, "hcp-client-secret", "infra", r.s(B64URL, 64), ["hcp_client_secret"])


@fmt("pulumi-token", "infra", 0.5)
def pulumi(r: Rand) -> Bundle:
    return single(r, "pulumi-access-token", "infra", "pul-" + r.hex(40), ["pulumi_access_token"])


@fmt("cloudflare-token", "infra", 1.2)
def cloudflare(r: Rand) -> Bundle:
    kind = r.pick("cfut", "cfat", "cfk", "legacy-token", "legacy-token", "legacy-global", "origin-ca")
    if kind in ("cfut", "cfat", "cfk"):
        return single(
            r,
            f"cloudflare-{kind}",
            "infra",
            f"{kind}_{r.alnum(40)}{r.hex(8)}",
            ["cloudflare_api_token", "cf_api_token"],
        )
    if kind == "legacy-token":
        return single(
            r,
            "cloudflare-api-token-legacy",
            "infra",
            r.s(B64URL, 40),
            ["cloudflare_api_token", "cf_api_token"],
        )
    if kind == "legacy-global":
        return single(
            r, "cloudflare-global-api-key-legacy", "infra", r.hex(37), ["cloudflare_api_key", "cf_api_key"]
        )
    return single(
        r,
        "cloudflare-origin-ca-key",
        "infra",
        f"v1.0-{r.hex(24)}-{r.hex(146)}",
        ["cloudflare_origin_ca_key", "origin_ca_key"],
    )


@fmt("fastly-token", "infra", 0.4)
def fastly(r: Rand) -> Bundle:
    return single(r, "fastly-api-token", "infra", r.s(B64URL, 32), ["fastly_api_token", "fastly_api_key"])


@fmt("netlify-token", "infra", 0.5)
def netlify(r: Rand) -> Bundle:
    return single(r, "netlify-pat", "infra", "nfp_" + r.alnum(36), ["netlify_auth_token"])


@fmt("vercel-token", "infra", 0.6)
def vercel(r: Rand) -> Bundle:
    if r.chance(0.5):
        return single(r, "vercel-token", "infra", "vcp_" + r.alnum(56), ["vercel_token"])
    return single(r, "vercel-token-legacy", "infra", r.alnum(24), ["vercel_token", "vercel_access_token"])


@fmt("supabase-key", "infra", 0.8)
def supabase(r: Rand) -> Bundle:
    kind = r.pick("sbp", "sb_secret", "service_role")
    if kind == "sbp":
        return single(r, "supabase-pat", "infra", "sbp_" + r.hex(40), ["supabase_access_token"])
    if kind == "sb_secret":
        return single(
            r, "supabase-secret-key", "infra", "sb_secret_" + r.s(B64URL, 31), ["supabase_secret_key"]
        )
    token = jwt(
        r,
        "HS256",
        {
            "iss": "supabase",
            "ref": r.s(LOWER, 20),
            "role": "service_role",
            "iat": 1_700_000_000 + r.randint(0, 10**7),
            "exp": 2_000_000_000 + r.randint(0, 10**8),
        },
    )
    return single(r, "supabase-service-role-jwt", "jwt", token, ["supabase_service_role_key", "supabase_key"])


@fmt("firebase-fcm-key", "infra", 0.4)
def fcm(r: Rand) -> Bundle:
    return single(
        r,
        "firebase-fcm-server-key",
        "infra",
        f"AAAA{r.s(B64URL, 7)}:APA91b{r.s(B64URL, 134)}",
        ["fcm_server_key", "firebase_server_key"],
    )


@fmt("flyio-token", "infra", 0.4)
def flyio(r: Rand) -> Bundle:
    if r.chance(0.6):
        body = "fm2_" + r.s(ALNUM + "+/", r.randint(300, 420)) + "=="
        return single(
            r,
            "flyio-access-token",
            "infra",
            "FlyV1 " + body,
            ["fly_api_token", "fly_access_token"],
            alt=[body],
        )
    return single(r, "flyio-oauth-token", "infra", "fo1_" + r.s(B64URL, 43), ["fly_api_token"])


@fmt("render-key", "infra", 0.3)
def render(r: Rand) -> Bundle:
    return single(r, "render-api-key", "infra", "rnd_" + r.alnum(32), ["render_api_key"])


@fmt("railway-token", "infra", 0.3)
def railway(r: Rand) -> Bundle:
    return single(r, "railway-token", "infra", r.uuid(), ["railway_token", "railway_api_token"])


@fmt("databricks-token", "infra", 0.4)
def databricks(r: Rand) -> Bundle:
    return single(r, "databricks-pat", "infra", "dapi" + r.hex(32), ["databricks_token"])


@fmt("tailscale-key", "infra", 0.3)
def tailscale(r: Rand) -> Bundle:
    return single(
        r,
        "tailscale-auth-key",
        "infra",
        f"tskey-auth-{r.alnum(12)}CNTRL-{r.alnum(33)}",
        ["ts_authkey", "tailscale_auth_key"],
    )


@fmt("age-secret-key", "key-material", 0.3)
def age(r: Rand) -> Bundle:
    return single(
        r,
        "age-secret-key",
        "key-material",
        "AGE-SECRET-KEY-1" + r.s("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 58),
        ["sops_age_key", "age_secret_key"],
    )


# --- JWT and generic --------------------------------------------------------------------------


@fmt("jwt", "jwt", 2)
def jwt_token(r: Rand) -> Bundle:
    return single(
        r,
        "jwt",
        "jwt",
        jwt(r, r.pick("HS256", "HS256", "RS256", "ES256", "HS512")),
        ["jwt_token", "access_token", "auth_token", "service_token", "api_token", "id_token"],
    )


PASSWORD_WORDS = [
    "Winter",
    "Summer",
    "Falcon",
    "Orbit",
    "Harbor",
    "Copper",
    "Maple",
    "Tiger",
    "Nimbus",
    "Quartz",
    "Violet",
    "Raptor",
    "Delta",
    "Cobalt",
    "Sierra",
    "Atlas",
    "Ember",
    "Polar",
    "Zephyr",
    "Granite",
]
PASSWORD_SPECIALS = "!%^*-_.@~+="


def password(r: Rand) -> str:
    style = r.randint(0, 3)
    if style == 0:  # human-made
        return (
            r.choice(PASSWORD_WORDS)
            + r.choice(PASSWORD_WORDS)
            + str(r.randint(10, 2099))
            + r.choice("!.*-_@")
        )
    if style == 1:  # generated
        return r.s(ALNUM, r.randint(4, 6)) + r.choice(PASSWORD_SPECIALS) + r.s(ALNUM, r.randint(8, 14))
    if style == 2:
        return r.s(ALNUM + PASSWORD_SPECIALS, r.randint(14, 24))
    return r.choice(PASSWORD_WORDS).lower() + "-" + r.choice(PASSWORD_WORDS).lower() + "-" + r.s(DIGITS, 4)


def url_password(r: Rand) -> str:
    """A password that survives in a URL without escaping."""
    if r.chance(0.6):
        return r.s(ALNUM, r.randint(10, 20))
    return password(r).replace("@", "").replace("=", "").replace("%", "")


PASSWORD_NAMES = [
    "password",
    "db_password",
    "database_password",
    "admin_password",
    "smtp_password",
    "redis_password",
    "postgres_password",
    "mysql_root_password",
    "rabbitmq_password",
    "ldap_bind_password",
    "keystore_password",
    "mail_password",
    "ftp_password",
    "root_password",
    "service_password",
    "passwd",
    "pwd",
    "db_pass",
    "pass",
]
SECRET_NAMES = [
    "secret_key",
    "app_secret",
    "jwt_secret",
    "session_secret",
    "client_secret",
    "webhook_secret",
    "signing_secret",
    "encryption_key",
    "api_secret",
    "secret",
    "cookie_secret",
    "hmac_key",
    "auth_secret",
    "django_secret_key",
    "nextauth_secret",
    "master_key",
    "private_key",
]
TOKEN_NAMES = [
    "api_key",
    "api_token",
    "auth_token",
    "access_token",
    "apikey",
    "service_token",
    "bearer_token",
    "x_api_key",
    "client_api_key",
    "partner_api_key",
    "app_key",
    "secret_token",
    "integration_token",
]


@fmt("generic-password", "generic", 6)
def generic_password(r: Rand) -> Bundle:
    return single(r, "generic-password", "generic", password(r), PASSWORD_NAMES)


@fmt("generic-secret", "generic", 4)
def generic_secret(r: Rand) -> Bundle:
    kind = r.randint(0, 4)
    if kind == 0:
        value = r.s(LOWER + DIGITS + "!@%^*(-_=+)", 50)  # Django's get_random_secret_key alphabet
    elif kind == 1:
        value = r.hex(r.pick(32, 64))
    elif kind == 2:
        value = r.b64(32)
    elif kind == 3:
        value = r.s(B64URL, r.randint(32, 48))
    else:
        value = r.alnum(r.randint(24, 40))
    return single(r, "generic-secret", "generic", value, SECRET_NAMES)


@fmt("generic-api-key", "generic", 4)
def generic_api_key(r: Rand) -> Bundle:
    kind = r.randint(0, 3)
    if kind == 0:
        value = r.alnum(32)
    elif kind == 1:
        value = r.hex(40)
    elif kind == 2:
        value = r.lower_alnum(8) + "-" + r.alnum(24)
    else:
        value = r.s(B64URL, 40)
    return single(r, "generic-api-key", "generic", value, TOKEN_NAMES)


def all_formats() -> list[Format]:
    return list(FORMATS)


# --- credentials in URLs and connection strings ---------------------------------------------------

DB_USERS = [
    "app",
    "admin",
    "postgres",
    "root",
    "svc_api",
    "reporting",
    "deploy",
    "etl_user",
    "django",
    "backend",
]
HOSTS = [
    "db.internal",
    "prod-db-1.cluster-c9x.us-east-1.rds.amazonaws.com",
    "10.0.3.17",
    "postgres.default.svc",
    "mysql-primary.data.svc.cluster.local",
    "localhost",
    "db.example.com",
    "cache.example.net",
]


def _url_bundle(r: Rand, fmt_name: str, url: str, secret: str, names: list[str]) -> Bundle:
    return Bundle([Item(r.choice(names), url, pos(secret, fmt_name, "urls"))])


@fmt("url-credentials", "urls", 8)
def url_credentials(r: Rand) -> Bundle:
    user, pw, host = r.choice(DB_USERS), url_password(r), r.choice(HOSTS)
    db = r.pick("app", "orders", "analytics", "prod", "main")
    kind = r.pick(
        "postgres",
        "postgres",
        "mysql",
        "mongodb",
        "mongodb+srv",
        "redis",
        "rediss",
        "amqp",
        "ftp",
        "sftp",
        "smtp",
        "ldap",
        "https",
        "https",
        "mssql",
        "clickhouse",
        "neo4j+s",
        "nats",
        "mqtt",
        "couchdb",
        "postgresql+psycopg2",
        "mysql+pymysql",
    )
    if kind.startswith("postgres"):
        url = f"{kind}://{user}:{pw}@{host}:5432/{db}" + r.pick("", "?sslmode=require")
    elif kind.startswith("mysql"):
        url = f"{kind}://{user}:{pw}@{host}:3306/{db}"
    elif kind == "mongodb":
        url = f"mongodb://{user}:{pw}@{host}:27017/{db}?authSource=admin"
    elif kind == "mongodb+srv":
        url = (
            f"mongodb+srv://{user}:{pw}@cluster0.{r.lower_alnum(5)}.mongodb.net/{db}?retryWrites=t"
            f"rue&w=majority"
        )
    elif kind.startswith("redis"):
        url = f"{kind}://{r.pick('', 'default')}:{pw}@{host}:6379/0"
    elif kind == "amqp":
        url = f"amqp://{user}:{pw}@{r.pick('rabbitmq', 'mq.internal')}:5672/{r.pick('%2F', 'prod')}"
    elif kind in ("ftp", "sftp"):
        url = f"{kind}://{user}:{pw}@files.{r.choice(DOMAINS_SHORT)}/{r.pick('incoming', 'exports')}"
    elif kind == "smtp":
        url = (
            f"smtp://{r.pick('apikey', 'postmaster@mg.example.com', 'mailer')}:{pw}@smtp"
            f".{r.choice(DOMAINS_SHORT)}:587"
        )
    elif kind == "ldap":
        url = f"ldaps://{r.pick('svc-ldap', 'binduser')}:{pw}@ldap.{r.choice(DOMAINS_SHORT)}:636"
    elif kind == "https":
        url = (
            f"https://{r.pick('deploy', 'ci-bot', 'admin', 'jenkins')}:{pw}"
            f"@{r.pick('nexus', 'registry', 'git')}."
            f"{r.choice(DOMAINS_SHORT)}/{r.pick('repository/pypi/simple', 'v2/', 'scm/app.git')}"
        )
    elif kind == "mssql":
        url = f"mssql://{r.pick('sa', 'app')}:{pw}@{host}:1433/{db}"
    elif kind == "clickhouse":
        url = f"clickhouse://{user}:{pw}@{host}:9000/{db}"
    elif kind == "neo4j+s":
        url = f"neo4j+s://neo4j:{pw}@{r.lower_alnum(8)}.databases.neo4j.io"
    elif kind == "nats":
        url = f"nats://{user}:{pw}@nats.{r.choice(DOMAINS_SHORT)}:4222"
    elif kind == "mqtt":
        url = f"mqtt://{r.pick('sensor', 'gateway')}:{pw}@broker.{r.choice(DOMAINS_SHORT)}:1883"
    else:
        url = f"http://{r.pick('admin', 'couch')}:{pw}@couchdb.{r.choice(DOMAINS_SHORT)}:5984/{db}"
    names = {
        "redis": ["redis_url", "cache_url", "celery_result_backend"],
        "rediss": ["redis_url", "cache_url"],
        "amqp": ["broker_url", "celery_broker_url", "rabbitmq_url"],
        "smtp": ["smtp_url", "email_url"],
        "ldap": ["ldap_url", "auth_ldap_server"],
        "https": ["registry_url", "index_url", "repo_url"],
        "ftp": ["ftp_url", "export_target"],
        "sftp": ["sftp_url", "export_target"],
        "mongodb": ["mongo_uri", "mongodb_url"],
        "mongodb+srv": ["mongo_uri", "mongodb_url"],
        "mqtt": ["mqtt_broker_url"],
        "nats": ["nats_url"],
        "neo4j+s": ["neo4j_uri"],
    }.get(kind, ["database_url", "db_url", "dsn", "sqlalchemy_database_uri", "connection_string"])
    return _url_bundle(r, f"url-{kind.split('+')[0]}", url, pw, names)


DOMAINS_SHORT = ["example.com", "example.net", "corp.example", "acme.io"]


@fmt("jdbc-url", "urls", 1.5)
def jdbc(r: Rand) -> Bundle:
    user, pw, host = r.choice(DB_USERS), url_password(r), r.choice(HOSTS)
    kind = r.randint(0, 3)
    if kind == 0:
        url = f"jdbc:postgresql://{host}:5432/app?user={user}&password={pw}&ssl=true"
    elif kind == 1:
        url = f"jdbc:mysql://{user}:{pw}@{host}:3306/app"
    elif kind == 2:
        url = f"jdbc:oracle:thin:{user}/{pw}@{host}:1521:ORCL"
    else:
        url = f"jdbc:sqlserver://{host}:1433;databaseName=app;user={user};password={pw};encrypt=true"
    return _url_bundle(r, "jdbc-url", url, pw, ["jdbc_url", "datasource_url", "spring_datasource_url"])


@fmt("ado-connection-string", "urls", 1.5)
def ado(r: Rand) -> Bundle:
    pw = url_password(r)
    server = r.pick(
        f"tcp:{r.lower_alnum(8)}.database.windows.net,1433", "localhost\\SQLEXPRESS", "db01.corp.local"
    )
    value = (
        f"Server={server};Initial Catalog={r.pick('App', 'Orders', 'Identity')};"
        f"{r.pick('User ID', 'User Id', 'Uid')}={r.pick('sqladmin', 'app_user', 'sa')};"
        f"{r.pick('Password', 'Pwd')}={pw};{r.pick('Encrypt=True;', 'TrustServerCertificate=True;', '')}"
    )
    return _url_bundle(
        r,
        "ado-connection-string",
        value,
        pw,
        ["default_connection", "connection_string", "sql_connection_string"],
    )
