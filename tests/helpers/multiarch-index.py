#!/usr/bin/env python3
"""multiarch-index.py SRC DST - from an OCI layout holding one image (SRC,
tag "latest"), write DST: an OCI layout whose "latest" is an image index
with two platforms, linux/amd64 (the original) and linux/arm64/v8 (the same
layers, a config saying arm64).  For registry tests of platform selection
and index pushes; the arm64 image is not runnable."""
import hashlib
import json
import os
import shutil
import sys

src, dst = sys.argv[1], sys.argv[2]
shutil.copytree(src, dst)
blobs = os.path.join(dst, "blobs", "sha256")


def read(d):
    with open(os.path.join(blobs, d.split(":", 1)[1]), "rb") as f:
        return f.read()


def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d


with open(os.path.join(dst, "index.json")) as f:
    top = json.load(f)["manifests"][0]
manifest = json.loads(read(top["digest"]))
config = json.loads(read(manifest["config"]["digest"]))
config["architecture"], config["variant"] = "arm64", "v8"
cbytes = json.dumps(config, sort_keys=True, separators=(",", ":")).encode()
m2 = dict(manifest, config=dict(manifest["config"], digest=put(cbytes), size=len(cbytes)))
m2["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
m2bytes = json.dumps(m2, sort_keys=True, separators=(",", ":")).encode()
mt = "application/vnd.oci.image.manifest.v1+json"
index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": [
             {"mediaType": mt, "digest": top["digest"], "size": top["size"],
              "platform": {"architecture": "amd64", "os": "linux"}},
             {"mediaType": mt, "digest": put(m2bytes), "size": len(m2bytes),
              "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}}]}
ibytes = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
idig = put(ibytes)
with open(os.path.join(dst, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": idig, "size": len(ibytes),
         "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, f)
print(idig)
