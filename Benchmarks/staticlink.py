#!/usr/bin/env python3
"""Links the release build's own objects once more into a product (`logoutd` unless named) with
the Swift runtime linked in statically, for the callgrind scenario: valgrind 3.19 (Debian 12)
cannot read the DWARF 5 of the toolchain's shared Swift libraries and stops with an internal
error, while it runs a binary whose Swift runtime is static. Only the link differs: the same
objects, the same optimisation.

  Benchmarks/staticlink.py OUTPUT [PRODUCT]   (after `swift build -c release --product PRODUCT`;
                                              PRODUCT is logoutd unless named, e.g. logoutd-floor)

It repeats SwiftPM's own link command for the product (read from .build/release.yaml) with
`-static-stdlib` and the static Foundation's own libraries (a static module's autolink entries
do not name them), then drops the debug sections (valgrind 3.19 cannot read those either; the
symbol table stays, so callgrind still names every function). `swift build
--static-swift-stdlib` would rebuild the release tree (five minutes here) and the next plain
build rebuilds it back.
"""
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def link_command(manifest, product="logoutd"):
    """SwiftPM's link arguments for `product`: the line `args: [...]` of the command whose output
    is the executable (the manifest is YAML whose lists are written as JSON)."""
    executable = None
    with open(manifest) as f:
        for line in f:
            stripped = line.strip()
            if stripped.startswith("args: [") and '"-emit-executable"' in stripped:
                args = json.loads(stripped[len("args: "):])
                output = args[args.index("-o") + 1]
                if os.path.basename(output) == product:
                    executable = args
    if executable is None:
        sys.exit(f"staticlink: no link command for {product} in {manifest}")
    return executable


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    product = sys.argv[2] if len(sys.argv) == 3 else "logoutd"
    args = link_command(os.path.join(ROOT, ".build", "release.yaml"), product)
    dynamic = args[args.index("-o") + 1]
    args[args.index("-o") + 1] = os.path.abspath(sys.argv[1])
    foundation = ["-lFoundationEssentials", "-lFoundationInternationalization", "-lCoreFoundation",
                  "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections"]
    linked = subprocess.run(args + ["-static-stdlib"] + foundation, cwd=ROOT, capture_output=True, text=True)
    if linked.returncode != 0:
        sys.exit("staticlink: the link failed:\n" + linked.stderr[-4000:])
    subprocess.run(["objcopy", "--strip-debug", os.path.abspath(sys.argv[1])], check=True)
    # Which binary these objects made: the callgrind scenario refuses a copy that is not OLD's.
    with open(os.path.abspath(sys.argv[1]) + ".sha256", "w") as f:
        f.write(sha256(dynamic) + "\n")


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


if __name__ == "__main__":
    main()
