"""AWS: deactivate a leaked IAM access key with the operator's admin profile.

The leaked key is never used to sign anything.  With the profile named in
``aws.profile`` (a principal allowed ``iam:GetAccessKeyLastUsed`` and
``iam:UpdateAccessKey``), keyscan:

1. looks up the key's owner: ``GetAccessKeyLastUsed`` returns ``UserName``
   ("the name of the IAM user that owns this access key") -- without it,
   ``UpdateAccessKey`` would act on the *admin's* own user;
2. sends ``UpdateAccessKey Status=Inactive`` (reversible: set it Active again),
   or, only with ``--aws-delete``, ``DeleteAccessKey`` (irreversible).

Long-term keys only (``AKIA``): temporary ``ASIA`` keys cannot be deactivated
in IAM.  botocore is an optional extra (``pip install 'keyscan[aws]'``); it is
configured with no retries, no environment proxies and the IAM endpoint from
the allowlist.  Docs: https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from keyscan import __version__
from keyscan.revoke.hooks.base import UNKNOWN_ADVICE, Context, Hook
from keyscan.revoke.model import Check, Credential, Liveness, Outcome, Refusal, RequestInfo, Result, Step

MISSING_BOTOCORE = "the AWS hook needs botocore: pip install 'keyscan[aws]'"
REGION = "us-east-1"  # IAM is a global service signed for us-east-1
TRANSIENT = frozenset({"Throttling", "ThrottlingException", "ServiceFailure", "ServiceUnavailable",
                       "RequestTimeout", "InternalFailure"})


def _botocore() -> Any:
    try:
        import botocore.config
        import botocore.exceptions
        import botocore.session
    except ImportError:
        raise Refusal(MISSING_BOTOCORE) from None
    return botocore


class AwsHook(Hook):
    name = "aws"
    issuer = "AWS IAM"
    console = "https://console.aws.amazon.com/iam/home#/users"

    def _refuse(self, credential: Credential, ctx: Context) -> None:
        if not credential.secret.startswith("AKIA"):
            raise Refusal("only long-term IAM user keys (AKIA...) can be deactivated; temporary keys (ASIA...) "
                          "expire on their own or need their role session revoked")
        if not ctx.config.aws_profile:
            raise Refusal("set aws.profile in the revoke config: an admin profile allowed iam:UpdateAccessKey "
                          "(the leaked key is never used)")
        _botocore()

    def _request(self, ctx: Context) -> RequestInfo:
        base = ctx.client.endpoints.resolve("aws")
        return RequestInfo("POST", base.netloc, base.prefix + "/", base.scheme)

    def plan(self, credential: Credential, ctx: Context) -> Step:
        self._refuse(credential, ctx)
        delete = ctx.aws_delete
        action = "DeleteAccessKey" if delete else "UpdateAccessKey"
        body = f"Action={action}&AccessKeyId={credential.hint}&UserName=<owner>"
        if not delete:
            body += "&Status=Inactive"
        return Step(
            action="delete" if delete else "deactivate",
            summary=(f"delete the access key for good, signed with the admin profile '{ctx.config.aws_profile}'"
                     if delete else
                     f"deactivate the access key (Status=Inactive), signed with the admin profile "
                     f"'{ctx.config.aws_profile}'"),
            request=self._request(ctx),
            header_names=("Authorization", "Content-Type", "X-Amz-Date"),
            body=body + "&Version=2010-05-08",
            reversible=not delete,
            success=f"HTTP 200 {action}Response",
            lookups=("POST / Action=GetAccessKeyLastUsed: finds the IAM user that owns the key",),
            notes=("reactivate with: aws iam update-access-key --status Active" if not delete
                   else "--aws-delete: the key cannot be restored",),
            console=str(self.block.get("console") or self.console),
        )

    def _client(self, ctx: Context) -> Any:
        """One IAM client per run (building one loads the service model, which is slow)."""
        if "aws-client" not in ctx.extra:
            ctx.extra["aws-client"] = self._new_client(ctx)
        return ctx.extra["aws-client"]

    def _new_client(self, ctx: Context) -> Any:
        botocore = _botocore()
        base = ctx.client.endpoints.resolve("aws")
        config = botocore.config.Config(
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=min(5.0, ctx.timeout), read_timeout=ctx.timeout,
            proxies={}, user_agent_extra=f"keyscan/{__version__}",
        )
        session = botocore.session.Session(profile=ctx.config.aws_profile)
        return session.create_client("iam", region_name=REGION, endpoint_url=base.url(""), config=config)

    def _call(self, ctx: Context, client: Any, operation: str, **params: str) -> dict[str, Any]:
        ctx.client.limiter.acquire("aws")
        ctx.client.sent.append(self._request(ctx))
        return getattr(client, operation)(**params)  # type: ignore[no-any-return]

    def _owner(self, ctx: Context, client: Any, key_id: str) -> str:
        response = self._call(ctx, client, "get_access_key_last_used", AccessKeyId=key_id)
        owner = response.get("UserName")
        if not isinstance(owner, str) or not owner:
            raise Refusal("IAM did not name the key's owner")
        return owner

    def revoke(self, batch: Sequence[Credential], ctx: Context) -> list[Result]:
        (credential,) = batch
        botocore = None
        try:
            self._refuse(credential, ctx)
            botocore = _botocore()
            client = self._client(ctx)
            owner = self._owner(ctx, client, credential.secret)
        except Refusal as exc:
            return [Result(Outcome.SKIPPED, str(exc))]
        except Exception as exc:  # botocore's errors; nothing was changed yet
            return [Result(Outcome.FAILED, "owner lookup failed: " + _describe(botocore, exc),
                           _status(exc), self._request(ctx))]
        info = self._request(ctx)
        try:
            if ctx.aws_delete:
                response = self._call(ctx, client, "delete_access_key", UserName=owner,
                                      AccessKeyId=credential.secret)
            else:
                response = self._call(ctx, client, "update_access_key", UserName=owner,
                                      AccessKeyId=credential.secret, Status="Inactive")
        except Exception as exc:  # mapped to an outcome below
            outcome = _mutation_outcome(botocore, exc)
            detail = _describe(botocore, exc)
            if outcome is Outcome.UNKNOWN:
                detail += f"; {UNKNOWN_ADVICE}"
            return [Result(outcome, detail, _status(exc), info)]
        meta = response.get("ResponseMetadata", {})
        done = "deleted" if ctx.aws_delete else "deactivated (reactivate with Status=Active)"
        return [Result(Outcome.SUCCEEDED, f"access key of IAM user {owner} {done}",
                       meta.get("HTTPStatusCode"), info, str(meta.get("RequestId", ""))[:100])]

    def validate(self, credential: Credential, ctx: Context) -> Check:
        botocore = None
        try:
            self._refuse(credential, ctx)
            botocore = _botocore()
            client = self._client(ctx)
            owner = self._owner(ctx, client, credential.secret)
            keys = self._call(ctx, client, "list_access_keys", UserName=owner).get("AccessKeyMetadata", [])
        except Refusal as exc:
            return Check(Liveness.UNKNOWN, str(exc))
        except Exception as exc:
            return Check(Liveness.UNKNOWN, "check failed: " + _describe(botocore, exc), _status(exc))
        status = next((k.get("Status") for k in keys if k.get("AccessKeyId") == credential.secret), None)
        if status == "Active":
            return Check(Liveness.LIVE, "key is Active", 200, self._request(ctx))
        return Check(Liveness.DEAD, f"key is {status or 'not listed'}", 200, self._request(ctx))


def _status(exc: Exception) -> int | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return status if isinstance(status, int) else None
    return None


def _describe(botocore: Any, exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", "error"))[:60]
        return f"IAM error {code}"
    return exc.__class__.__name__


def _mutation_outcome(botocore: Any, exc: Exception) -> Outcome:
    """Only a failure that certainly happened before sending, or a clear refusal, is ``failed``."""
    errors = botocore.exceptions
    if isinstance(exc, (errors.ConnectTimeoutError, errors.EndpointConnectionError, errors.NoCredentialsError,
                        errors.PartialCredentialsError, errors.ProfileNotFound)):
        return Outcome.FAILED
    if isinstance(exc, errors.ClientError):
        status = _status(exc) or 0
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if 300 <= status < 400 or status >= 500 or status == 429 or code in TRANSIENT:
            return Outcome.UNKNOWN
        return Outcome.FAILED
    return Outcome.UNKNOWN  # a read timeout or a dropped connection after sending

