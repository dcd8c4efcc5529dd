"""Downloading MNIST: each missing file fetched once, checked against its SHA-256, then renamed.

`download_missing(folder, names)` fetches the named files from a mirror (default `MNIST_BASE_URL`)
into `folder`; `download(url, destination, sha256, timeout)` fetches one file. A file streams into a
temporary name in the destination folder (`vector.files.atomic_output`) while its digest is
computed, and gets its real name only once the digest matches. Any failure — a refused connection,
an HTTP error, a body cut short, a wrong digest, Ctrl-C — removes the temporary file, so the folder
only ever holds complete, verified files. Nothing is retried.
"""

from __future__ import annotations

import hashlib
import http.client
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from vector.files import atomic_output

__all__ = [
    "MNIST_BASE_URL",
    "MNIST_SHA256",
    "ChecksumError",
    "DownloadError",
    "download",
    "download_missing",
]

#: The public MNIST mirror (Google Cloud Storage, CVDF) that TensorFlow Datasets downloads from.
MNIST_BASE_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"

#: SHA-256 of the four MNIST archives, as recorded by TensorFlow Datasets in
#: tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt (for the URLs under
#: MNIST_BASE_URL; sizes 9912422, 28881, 1648877 and 4542 bytes). The same digests appear in many
#: independent projects that pin these files.
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",  # noqa: E501
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",  # noqa: E501
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

# A download larger than this is no MNIST file; stop instead of filling the disk.
_MAX_BYTES = 64 * 2**20
_CHUNK = 2**16


class DownloadError(OSError):
    """A file could not be fetched: the message names the URL and the reason."""


class ChecksumError(DownloadError):
    """A downloaded file's SHA-256 differs from the expected one; nothing was saved."""


def download_missing(
    folder: Path,
    names: Sequence[str],
    *,
    base_url: str = MNIST_BASE_URL,
    checksums: Mapping[str, str] = MNIST_SHA256,
    timeout: float = 30.0,
    verbose: bool = True,
) -> dict[str, Path]:
    """Fetch each of `names` from `base_url + name` into `folder`; return their paths by name.

    Each file is checked against `checksums[name]` (see `download`). `folder` is created when
    needed and removed again if a failed download leaves it empty; files fetched before a failure
    stay, so the next call fetches only what is still missing. With `verbose`, each download is
    announced on stderr.

    Raises:
        ValueError: `base_url` is not http(s), or a name has no digest in `checksums`.
        DownloadError: the server could not be reached or answered with an error (names the URL).
        ChecksumError: a download's digest differs (names the URL, expected and actual digests).
    """
    scheme = urllib.parse.urlsplit(base_url).scheme
    if scheme not in ("https", "http"):
        raise ValueError(f"MNIST base URL must be https:// (or http://), got {base_url!r}")
    unknown = [name for name in names if name not in checksums]
    if unknown:
        raise ValueError(f"no SHA-256 digest given for {', '.join(unknown)}")
    created = not folder.exists()
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    try:
        for name in names:
            url = urllib.parse.urljoin(base_url.rstrip("/") + "/", name)
            if verbose:
                print(f"downloading {url} to {folder}", file=sys.stderr)
            paths[name] = download(url, folder / name, checksums[name], timeout)
    except BaseException:
        if created and not any(folder.iterdir()):
            folder.rmdir()
        raise
    return paths


def download(url: str, destination: Path, sha256: str, timeout: float = 30.0) -> Path:
    """Fetch `url` into `destination`, keeping it only if its SHA-256 is `sha256`.

    One attempt, `timeout` seconds per network operation. The body streams into a temporary file
    beside `destination` and is renamed into place once complete and verified; on any failure the
    temporary file is removed and `destination` is left as it was. Raises DownloadError (no
    answer, HTTP error, connection cut, more than 64 MiB) or ChecksumError, each naming `url`.
    """
    try:
        response = urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"could not download {url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise DownloadError(f"could not download {url}: {reason}") from exc
    # The temporary file is only created once the server has answered, so a refused connection
    # or an HTTP error never touches the folder.
    with response, atomic_output(destination) as out:
        digest = hashlib.sha256()
        size = 0
        while True:
            try:
                chunk = response.read(_CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise DownloadError(
                    f"could not download {url}: connection failed after {size} bytes ({exc!r})"
                ) from exc
            if not chunk:
                break
            size += len(chunk)
            if size > _MAX_BYTES:
                raise DownloadError(
                    f"could not download {url}: more than {_MAX_BYTES} bytes, "
                    "which is no MNIST file"
                )
            digest.update(chunk)
            out.write(chunk)
        announced = response.headers.get("Content-Length", "")
        if announced.isdigit() and size != int(announced):
            # http.client returns a short body without complaint when the connection drops.
            raise DownloadError(
                f"could not download {url}: connection closed after {size} of {announced} bytes"
            )
        actual = digest.hexdigest()
        if actual != sha256.lower():
            raise ChecksumError(
                f"checksum mismatch for {url} ({size} bytes): expected SHA-256 {sha256.lower()}, "
                f"got {actual}; {destination.name} was not saved"
            )
    return destination
