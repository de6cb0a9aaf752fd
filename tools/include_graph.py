#!/usr/bin/python3
"""The module include graph of phasecube, checked against the layering of docs/DESIGN.md.

    tools/include_graph.py [--dot] [--root DIR]

Every #include in src/ and include/phasecube/ is mapped to an arrow between modules (the
folder a file lives in; public headers belong to the module that implements them) or to an
external library. Prints the arrows with their counts and exits 1 when any arrow points from
a lower module to a higher one, when a module includes a library it may not know, or when a
public header includes an internal one. The link-time half of the rule is
phasecube_layer_check_<module> (src/CMakeLists.txt).
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Each module and the modules it may include (directly), lowest first.
ALLOWED = {
    "support": set(),
    "core": set(),
    "diagnose": {"core", "support"},
    "io": {"core", "support"},
    "sweep": {"io", "diagnose", "core", "support"},
    "app": {"sweep", "io", "diagnose", "core", "support"},
}
# External libraries by include prefix, and the modules that may include them.
EXTERNAL = {
    "hdf5": (("hdf5", "H5"), {"io"}),
    "mpi": (("mpi.h",), {"sweep"}),
    "openmp": (("omp.h",), {"sweep", "app"}),
    "boost": (("boost/",), {"app"}),
}
# Public headers (include/phasecube/NAME.hpp) by the module that implements them.
PUBLIC_MODULE = {"error": "support", "version": "support", "diagnose": "diagnose",
                 "diagnose_uncertainty": "diagnose"}
QUOTED = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
ANGLED = re.compile(r'^\s*#\s*include\s+<([^>]+)>', re.M)


def module_of_header(path):
    """The module of an included "dir/name.hpp" (None: not one of ours)."""
    parts = path.split("/")
    if len(parts) == 2 and parts[0] == "phasecube":
        return PUBLIC_MODULE.get(parts[1].rsplit(".", 1)[0], "core")
    if len(parts) >= 2 and parts[0] in ALLOWED:  # "sweep/cell.hpp", "sweep/methods/method.hpp"
        return parts[0]
    return None


def sources():
    for f in sorted((ROOT / "include" / "phasecube").glob("*.hpp")):
        yield f, module_of_header("phasecube/" + f.name), True
    for mod in ALLOWED:
        for f in sorted((ROOT / "src" / mod).rglob("*")):  # with sub-folders (sweep/methods)
            if f.suffix in (".cpp", ".hpp") or f.name.endswith(".hpp.in"):
                yield f, mod, False


def main():
    global ROOT
    if "--root" in sys.argv:
        ROOT = pathlib.Path(sys.argv[sys.argv.index("--root") + 1]).resolve()
    arrows, problems = {}, []
    for f, mod, public in sources():
        text = f.read_text()
        rel = f.relative_to(ROOT)
        for inc in QUOTED.findall(text):
            target = module_of_header(inc)
            if target is None:
                problems.append(f"{rel}: #include \"{inc}\" is not a module header")
                continue
            if public and not inc.startswith("phasecube/"):
                problems.append(f"{rel}: a public header includes the internal \"{inc}\"")
            if target != mod:
                arrows[(mod, target)] = arrows.get((mod, target), 0) + 1
                if target not in ALLOWED[mod]:
                    problems.append(f"{rel}: {mod} may not include {target} (\"{inc}\")")
        for inc in ANGLED.findall(text):
            for lib, (prefixes, users) in EXTERNAL.items():
                if inc.startswith(prefixes):
                    arrows[(mod, lib)] = arrows.get((mod, lib), 0) + 1
                    if mod not in users:
                        problems.append(f"{rel}: {mod} may not include <{inc}> ({lib})")
    if "--dot" in sys.argv:
        print("digraph phasecube {")
        for (a, b), n in sorted(arrows.items()):
            print(f'  "{a}" -> "{b}" [label={n}];')
        print("}")
    else:
        for (a, b), n in sorted(arrows.items()):
            print(f"{a} -> {b}  ({n} includes)")
    for p in problems:
        print("layering: " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
