#!/usr/bin/env python3
"""Names the image in an OCI archive for every loader (used by
scripts/build-image.sh):

  - podman load reads index.json's org.opencontainers.image.ref.name
    (buildah writes it);
  - docker load (25+) reads io.containerd.image.name from the same entry;
  - older docker load reads only a docker-archive manifest.json, which is
    added beside the OCI layout (the "hybrid" archive BuildKit also writes).

  image_archive_names.py ARCHIVE NAME:TAG
"""
import io
import json
import os
import sys
import tarfile


def main(path, name):
    with tarfile.open(path) as tar:
        members = [(m, tar.extractfile(m).read() if m.isfile() else None) for m in tar.getmembers()]
    files = {m.name.lstrip("./"): data for m, data in members}
    index = json.loads(files["index.json"])
    if len(index["manifests"]) != 1:
        sys.exit("%s: expected one image, found %d" % (path, len(index["manifests"])))
    entry = index["manifests"][0]
    entry.setdefault("annotations", {})["io.containerd.image.name"] = name
    manifest = json.loads(files["blobs/" + entry["digest"].replace(":", "/")])
    blob = lambda desc: "blobs/" + desc["digest"].replace(":", "/")
    docker = [{"Config": blob(manifest["config"]), "RepoTags": [name],
               "Layers": [blob(layer) for layer in manifest["layers"]]}]

    replaced = {"index.json": json.dumps(index).encode(), "manifest.json": json.dumps(docker).encode()}
    tmp = path + ".part"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as out:
        for m, data in members:
            key = m.name.lstrip("./")
            if key in replaced:
                continue
            out.addfile(m, io.BytesIO(data) if data is not None else None)
        for key, data in replaced.items():
            info = tarfile.TarInfo(key)
            info.size, info.mode = len(data), 0o644
            out.addfile(info, io.BytesIO(data))
    os.replace(tmp, path)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
