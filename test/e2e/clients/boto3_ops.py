"""One boto3 operation per run, for test/e2e/boto3.test.ts.

Usage: python3 boto3_ops.py OPERATION 'JSON-ARGS'
Environment: S3GATE_ENDPOINT (the proxy URL), AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_DEFAULT_REGION, and for https AWS_CA_BUNDLE (botocore reads it; urllib gets it here).
boto3's default checksum behaviour is left alone on purpose (CRC32 on uploads, aws-chunked
trailers over https). Prints one JSON object on stdout. An S3 error prints
{"error": {"code", "status", "message", "operation"}} and exits 2.
"""
import base64
import hashlib
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError


def client(signature_version=None):
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, s3={"addressing_style": "path"})
    if signature_version is not None:
        config = config.merge(Config(signature_version=signature_version))
    return boto3.client("s3", endpoint_url=os.environ["S3GATE_ENDPOINT"], config=config)


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def urlopen(url, method="GET", data=None, headers=None):
    context = None
    ca = os.environ.get("AWS_CA_BUNDLE")
    if url.startswith("https:") and ca:
        context = ssl.create_default_context(cafile=ca)
    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(request, context=context, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def run(op, a):
    if op == "list_buckets":
        return {"buckets": [b["Name"] for b in client().list_buckets()["Buckets"]]}
    if op == "put_object":
        body = base64.b64decode(a["body_b64"])
        r = client().put_object(Bucket=a["bucket"], Key=a["key"], Body=body)
        return {"etag": r["ETag"], "checksum_crc32": r.get("ChecksumCRC32")}
    if op == "get_object":
        r = client().get_object(Bucket=a["bucket"], Key=a["key"])
        body = r["Body"].read()
        return {"body_b64": base64.b64encode(body).decode(), "length": len(body)}
    if op == "upload_file":
        mib = 1024 * 1024
        transfer = TransferConfig(multipart_threshold=a.get("threshold_mib", 5) * mib, multipart_chunksize=a.get("chunk_mib", 5) * mib, max_concurrency=4)
        client().upload_file(a["file"], a["bucket"], a["key"], Config=transfer)
        return {"ok": True}
    if op == "download_file":
        mib = 1024 * 1024
        transfer = TransferConfig(multipart_threshold=8 * mib, multipart_chunksize=8 * mib, max_concurrency=4)
        client().download_file(a["bucket"], a["key"], a["file"], Config=transfer)
        return {"sha256": sha256_file(a["file"])}
    if op == "copy_object":
        r = client().copy_object(Bucket=a["bucket"], Key=a["key"], CopySource={"Bucket": a["src_bucket"], "Key": a["src_key"]})
        return {"etag": r["CopyObjectResult"]["ETag"]}
    if op == "delete_objects":
        r = client().delete_objects(Bucket=a["bucket"], Delete={"Objects": [{"Key": k} for k in a["keys"]]})
        return {
            "deleted": sorted(d["Key"] for d in r.get("Deleted", [])),
            "errors": sorted([e["Key"], e["Code"]] for e in r.get("Errors", [])),
        }
    if op == "delete_object":
        client().delete_object(Bucket=a["bucket"], Key=a["key"])
        return {"ok": True}
    if op == "list_objects":
        r = client().list_objects_v2(Bucket=a["bucket"], Prefix=a.get("prefix", ""))
        return {"keys": [c["Key"] for c in r.get("Contents", [])]}
    if op == "presign_get":
        s3 = client(a.get("signature_version"))
        url = s3.generate_presigned_url("get_object", Params={"Bucket": a["bucket"], "Key": a["key"]}, ExpiresIn=300)
        status, body = urlopen(_tamper(url, a))
        return {"url": url, "status": status, "body_b64": base64.b64encode(body).decode()}
    if op == "presign_put":
        s3 = client(a.get("signature_version"))
        url = s3.generate_presigned_url("put_object", Params={"Bucket": a["bucket"], "Key": a["key"]}, ExpiresIn=300)
        # urllib would send Content-Type: application/x-www-form-urlencoded, and moto (werkzeug)
        # then parses the body as a form and stores an empty object: name a binary type.
        status, body = urlopen(url, method="PUT", data=base64.b64decode(a["body_b64"]), headers={"Content-Type": "application/octet-stream"})
        return {"url": url, "status": status, "body": body.decode("utf-8", "replace")}
    raise SystemExit(f"unknown operation {op}")


def _tamper(url, a):
    t = a.get("tamper")
    return url if not t else url.replace(t["from"], t["to"])


def main():
    op = sys.argv[1]
    args = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    try:
        result = run(op, args)
    except ClientError as err:
        error = err.response.get("Error", {})
        print(json.dumps({"error": {
            "code": error.get("Code"),
            "status": err.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            "message": error.get("Message"),
            "operation": err.operation_name,
        }}))
        sys.exit(2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
