"""Base64-encoded secrets (Kubernetes Secret manifests) are decoded and reported at the encoded spot."""

from __future__ import annotations

import base64

from keyscan.engine.decoding import decoded_segments
from keyscan.engine.detector import Detector
from keyscan.model import Chunk
from keyscan.rules import load_builtin_rules
from tests.tokens import github_token


def test_kubernetes_secret_value_is_decoded_and_located() -> None:
    token = github_token()
    encoded = base64.b64encode(f"{token}\n".encode()).decode()
    manifest = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: gh\ndata:\n  token: {encoded}\n"
    findings = Detector(list(load_builtin_rules())).scan(Chunk(text=manifest, path="secret.yaml")).findings
    decoded = [f for f in findings if f.secret == token]
    assert len(decoded) == 1
    assert decoded[0].decoded_from == "base64"
    assert (decoded[0].line, decoded[0].column) == (6, 10)
    assert decoded[0].end_column == 10 + len(encoded)


def test_binary_base64_and_prose_are_not_decoded() -> None:
    png = base64.b64encode(bytes(range(256))).decode()
    text = f'icon = "{png}"\nname: ThisIsJustAVeryLongIdentifierName\n'
    assert list(decoded_segments(text)) == []


def test_base64_placeholders_in_a_secret_are_not_reported() -> None:
    values = ["changeme\n", "<your-password>", "xoxb-your-bot-token", "your_secret_here"]
    data = "".join(f"  KEY_{i}_SECRET: {base64.b64encode(v.encode()).decode()}\n" for i, v in enumerate(values))
    manifest = f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ndata:\n{data}"
    findings = Detector(list(load_builtin_rules())).scan(Chunk(text=manifest, path="k8s/secret.yaml")).findings
    assert findings == []
