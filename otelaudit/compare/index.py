"""Asks the package index, before anything is built, whether a release exists: the
project's simple-API page (PEP 691 JSON) lists its versions, so a version that does not
exist, a project that does not exist and an index that cannot be reached are told apart
in a second and nothing is cached. Local `--find-links` folders are looked in first."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from typing import Optional, Sequence, Tuple

from otelaudit.errors import EnvironmentBuildError, IndexUnreachableError, UnknownTargetError

DEFAULT_INDEX = "https://pypi.org/simple"
ACCEPT = "application/vnd.pypi.simple.v1+json"


def index_url(explicit: Optional[str] = None) -> str:
    """The index pip would use here: `--index-url`, then $PIP_INDEX_URL, then PyPI."""
    return (explicit or os.environ.get("PIP_INDEX_URL") or DEFAULT_INDEX).rstrip("/")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def check_release(project: str, version: str, index: str, find_links: Sequence[str] = (),
                  timeout_s: float = 20.0) -> None:
    """Raises unless `project==version` can be installed from the local folders or the index."""
    if version in local_versions(project, find_links):
        return
    versions = released_versions(project, index, timeout_s)
    if version not in versions and not _equal_versions(version, versions):
        recent = ", ".join(versions[-5:]) or "none"
        raise EnvironmentBuildError(f"{project} has no release {version} on {index} (latest: {recent})")


def released_versions(project: str, index: str, timeout_s: float = 20.0) -> Tuple[str, ...]:
    url = f"{index}/{canonical(project)}/"
    request = urllib.request.Request(url, headers={"Accept": f"{ACCEPT}, text/html;q=0.1"})
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read().decode("utf-8", "replace")
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise UnknownTargetError(f"no distribution named {project!r} on {index}") from error
        raise IndexUnreachableError(f"the package index {index} answered {error.code} for {project}: "
                                    "check --index-url or $PIP_INDEX_URL") from error
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise IndexUnreachableError(f"cannot reach the package index {index} ({reason}): "
                                    "check the network, --index-url or $PIP_INDEX_URL") from error
    return _versions_in(project, body, "json" in kind)


def _versions_in(project: str, body: str, is_json: bool) -> Tuple[str, ...]:
    if is_json:
        data = json.loads(body)
        if data.get("versions"):
            return tuple(str(v) for v in data["versions"])
        names = [str(f.get("filename", "")) for f in data.get("files", ())]
    else:
        names = re.findall(r">([^<>]+)</a>", body)
    return tuple(dict.fromkeys(v for v in (version_of(project, n) for n in names) if v))


def local_versions(project: str, find_links: Sequence[str]) -> Tuple[str, ...]:
    found = []
    for folder in find_links:
        if os.path.isdir(folder):
            found += [v for v in (version_of(project, n) for n in sorted(os.listdir(folder))) if v]
    return tuple(found)


def version_of(project: str, filename: str) -> Optional[str]:
    """The version in a wheel or sdist file name of `project`, else None."""
    stem = filename.split("#")[0]
    for suffix in (".whl", ".tar.gz", ".zip"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        return None
    name, _, rest = stem.partition("-")
    while rest and not rest[0].isdigit():  # names with dashes in an sdist: foo-bar-1.0
        more, _, rest = rest.partition("-")
        name += "-" + more
    if canonical(name) != canonical(project) or not rest:
        return None
    return rest.split("-")[0]


def _equal_versions(version: str, versions: Sequence[str]) -> bool:
    """`1.45` names release `1.45.0`: PEP 440 equality, as pip compares them."""
    from packaging.version import InvalidVersion, Version

    try:
        wanted = Version(version)
    except InvalidVersion:
        return False
    for candidate in versions:
        try:
            if Version(candidate) == wanted:
                return True
        except InvalidVersion:
            continue
    return False
