"""moto's server for the AWS rehearsal, with IAM enforcement that least-privilege roles can pass.

Run as `python3 serve.py --host 127.0.0.1 --port N` (moto 5). Two defects of moto's enforcement
(moto/iam/access_control.py, seen with moto 5.2.1) would fail every correctly scoped role, so they are
patched here, narrowly, before the server starts:

1. Signatures of GET/HEAD/DELETE requests. moto rebuilds the request to recompute the SigV4 signature
   with `data=self._body or self._data`: a request without a body gets its query parameters as a form
   body, so every GET (EFS and Scheduler describes, lists) is answered SignatureDoesNotMatch whatever the
   policy. The rebuilt request gets the body that was signed (empty for those).
2. Resources and conditions. moto authorizes every request against the resource "*" and, for a statement
   with a Condition, against no context at all: a statement scoped to a table, a file system or a tag
   never matches, so a least-privilege role is denied everything. Here moto checks only that the caller's
   identity policies allow (and do not unconditionally deny) the action on some resource; the rehearsal's
   own evaluator (rehearsal/iam/, @cloud-copilot/iam-simulate) sits in front of moto and decides the
   resource and condition parts of the same request before moto sees it.

Authentication stays moto's: unknown access keys, wrong session tokens and bad signatures are refused.
Trust policies (sts:AssumeRole) keep moto's evaluation.
"""

import sys

import moto
from moto.iam import access_control
from moto.iam.access_control import IAMPolicyStatement, IAMRequestBase, PermissionResult

if not moto.__version__.startswith("5."):
    sys.exit(f"rehearsal: moto 5 is needed (found {moto.__version__}): pip install 'moto[server]>=5,<6'")

_original_create_request = IAMRequestBase._create_aws_request
_original_statement_check = IAMPolicyStatement.is_action_permitted


def _create_aws_request(self):  # type: ignore[no-untyped-def]
    if self._method not in ("GET", "HEAD", "DELETE"):
        return _original_create_request(self)
    data = self._data
    try:
        self._data = self._body or b""
        return _original_create_request(self)
    finally:
        self._data = data


def _is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):  # type: ignore[no-untyped-def]
    if principal is not None or "Principal" in self._statement:
        # A trust or resource policy: moto's own evaluation.
        return _original_statement_check(self, action, resource, principal, incoming_condition_values)
    if "NotAction" in self._statement:
        concerned = not self._check_element_matches("NotAction", action)
    else:
        concerned = self._check_element_matches("Action", action)
    if not concerned:
        return PermissionResult.NEUTRAL
    if self._statement.get("Effect") == "Allow":
        return PermissionResult.PERMITTED
    unconditional = not self._statement.get("Condition")
    everywhere = self._statement.get("Resource") in ("*", ["*"])
    return PermissionResult.DENIED if unconditional and everywhere else PermissionResult.NEUTRAL


IAMRequestBase._create_aws_request = _create_aws_request
IAMPolicyStatement.is_action_permitted = _is_action_permitted
access_control.REHEARSAL_PATCHED = True

from moto.server import main  # noqa: E402  (after the patches)

if __name__ == "__main__":
    main(sys.argv[1:])
