#!/usr/bin/env python3
"""Reads the pipeline connectors' option keys of each Flink CDC release from a Flink CDC git
repository (its release tags) and writes streampark-core/src/cdc/options.tsv, the table the
pipeline linter checks keys against.

    scripts/gen-cdc-options.py /path/to/flink-cdc.git

Rows: release, kind (source|sink), connector type, what (required|optional|prefix), key.
Read from each factory's identifier(), requiredOptions(), optionalOptions() and
validateExcept(...) prefixes, with the ConfigOptions.key("…") constants of its module.
"""
import os
import re
import subprocess
import sys

repo = sys.argv[1]
releases = ["3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "3.6.0"]
ROOT = "flink-cdc-connect/flink-cdc-pipeline-connectors/"


def git(*args):
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True,
                          text=True).stdout


# Constants defined outside Flink CDC (Hudi's own configuration class): their keys.
EXTERNAL = {"HudiConfig.PATH": "path", "HudiConfig.TABLE_TYPE": "table.type",
            "HudiConfig.INDEX_TYPE": "index.type"}
key_re = re.compile(r'(\w+)\s*=\s*(?:ConfigOptions\s*\.\s*)?key\(\s*"([^"]+)"\s*\)', re.S)
str_re = re.compile(r'static\s+final\s+String\s+(\w+)\s*=\s*"([^"]*)"')


def body(src, method):
    m = re.search(r'\b' + method + r'\s*\(\s*\)\s*\{', src)
    if not m:
        return ""
    depth, i = 1, m.end()
    while depth and i < len(src):
        depth += {"{": 1, "}": -1}.get(src[i], 0)
        i += 1
    return src[m.end():i]


rows = []
for rel in releases:
    tag = "release-" + rel
    files = [f for f in git("ls-tree", "-r", "--name-only", tag).splitlines() if f.endswith(".java")]
    strings = {}  # (class, constant) -> value
    for f in files:
        if "/src/main/java/" in f and ("Options" in f or "Utils" in f or "Factory" in f):
            cls = os.path.basename(f)[:-len(".java")]
            for n, v in str_re.findall(git("show", f"{tag}:{f}")):
                strings[(cls, n)] = v
    modules = sorted({f[len(ROOT):].split("/")[0] for f in files if f.startswith(ROOT)})
    for mod in modules:
        mfiles = [f for f in files if f.startswith(ROOT + mod + "/src/main/java/")]
        srcs = {f: git("show", f"{tag}:{f}") for f in mfiles}
        consts = {}
        for s in srcs.values():
            for n, k in key_re.findall(s):
                consts.setdefault(n, k)
        for f, s in srcs.items():
            kinds = [k for k, iface in (("source", "DataSourceFactory"), ("sink", "DataSinkFactory"))
                     if re.search(r'implements[^{]*\b' + iface + r'\b', s)]
            if not kinds:
                continue
            own = os.path.basename(f)[:-len(".java")]
            imports = dict((n, c) for c, n in re.findall(r'import\s+static\s+[\w.]*\.(\w+)\.(\w+)\s*;', s))

            def const(ref):
                parts = ref.split(".")
                if len(parts) >= 2:
                    return strings.get((parts[-2], parts[-1]))
                return strings.get((imports.get(ref, own), ref))
            ident = None
            m = re.search(r'IDENTIFIER\s*=\s*"([^"]+)"', s)
            if m:
                ident = m.group(1)
            else:
                m = re.search(r'identifier\s*\(\s*\)\s*\{\s*return\s+"([^"]+)"', s)
                ident = m.group(1) if m else None
                if ident is None:
                    m = re.search(r'identifier\s*\(\s*\)\s*\{\s*return\s+([\w.]+)\s*;', s)
                    if m:
                        ident = const(m.group(1))
            if not ident:
                print(f"{rel} {f}: no identifier", file=sys.stderr)
                continue
            for what in ("required", "optional"):
                for name in re.findall(r'\.add\(\s*([\w.]+)\s*\)', body(s, what + "Options")):
                    k = EXTERNAL.get(name) or consts.get(name.split(".")[-1])
                    if k is None:
                        print(f"{rel} {ident}: unknown constant {name}", file=sys.stderr)
                        continue
                    for kind in kinds:
                        rows.append((rel, kind, ident, what, k))
            for args in re.findall(r'validateExcept\(([^;]*?)\)\s*;', s, re.S):
                for a in re.findall(r'"([^"]+)"|([A-Z_][\w.]*)', args):
                    v = a[0] or const(a[1])
                    if v:
                        for kind in kinds:
                            rows.append((rel, kind, ident, "prefix", v))

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "streampark-core", "src", "cdc",
                   "options.tsv")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    f.write("# Flink CDC pipeline connector options by release (scripts/gen-cdc-options.py)\n")
    for r in sorted(set(rows), key=lambda r: (releases.index(r[0]), r[1], r[2], r[3], r[4])):
        f.write("\t".join(r) + "\n")
print(len(set(rows)), "rows ->", os.path.normpath(out))
