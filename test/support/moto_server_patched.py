"""moto_server with one fix to its SigV4 verifier, for s3gate's integration tests.

moto 5.2.1 checks S3 signatures against the URL as werkzeug re-encodes it, not as it was
received: a key with %2B, %3D, %20 … or a query with encoded values fails with
SignatureDoesNotMatch although the signature is right (AWS S3 and MinIO accept it).
This wrapper makes moto sign-check the raw request URI (werkzeug's RAW_URI), which is
what AWS does. Nothing else changes: moto still verifies every signature, so a re-signing
bug in s3gate still fails the tests. Usage: INITIAL_NO_AUTH_ACTION_COUNT=0 python3 moto_server_patched.py --create-admin -H 127.0.0.1 -p PORT
(--create-admin makes an IAM user allowed everything and prints its keys on stdout).
"""
import sys

from moto.core import authorization
from moto.core.responses import BaseResponse

_original_setup = BaseResponse.setup_class
_original_auth = authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action


def _setup_class(self, request, full_url, headers, use_raw_body=False):
    environ = getattr(request, "environ", None)
    self._s3gate_raw_uri = environ.get("RAW_URI") if environ else None
    return _original_setup(self, request, full_url, headers, use_raw_body)


def _authenticate(self, iam_request_cls, resource="*"):
    raw = getattr(self, "_s3gate_raw_uri", None)
    if not raw:
        return _original_auth(self, iam_request_cls, resource)
    saved = self.uri
    self.uri = "http://moto" + raw
    try:
        return _original_auth(self, iam_request_cls, resource)
    finally:
        self.uri = saved


BaseResponse.setup_class = _setup_class
authorization.ActionAuthenticatorMixin._authenticate_and_authorize_action = _authenticate



def _create_admin():
    """Creates an IAM user allowed everything and prints its key pair as one JSON line."""
    import json

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    iam = iam_backends[DEFAULT_ACCOUNT_ID]["aws"]
    iam.create_user(region_name="us-east-1", user_name="s3gate-admin")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy("s3gate-admin", "all", json.dumps(policy))
    key = iam.create_access_key("s3gate-admin")
    print("S3GATE_MOTO_ADMIN " + json.dumps({"accessKeyId": key.access_key_id, "secretAccessKey": key.secret_access_key}), flush=True)


if __name__ == "__main__":
    from moto.server import main

    if "--create-admin" in sys.argv:
        sys.argv.remove("--create-admin")
        _create_admin()
    sys.exit(main(sys.argv[1:]))
