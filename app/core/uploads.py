"""Image uploads: sniffed, verified, re-encoded without metadata, stored by content hash (S34-S36).

Files live under UPLOAD_DIR (outside the web root) and are only ever served by views that
check permissions; the stored name is the SHA-256 of the re-encoded bytes, so a client never
chooses a path and identical logos are stored once.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import warnings
from io import BytesIO
from pathlib import Path
from typing import Any

import filetype
from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import DomainError, Problem
from app.i18n import _l

# Refuse decompression bombs: Pillow warns above MAX_IMAGE_PIXELS and raises above twice that;
# we turn the warning into an error too, so anything above the limit is refused (S34).
MAX_PIXELS = 24_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
MAX_SIDE_IN = 8_000          # refuse absurd dimensions even when the pixel count looks fine
THUMBNAIL_SIDE = 512         # logos are shown small; stored at most this size
STORED_MIMETYPE = "image/png"

# Sniffed type -> (Pillow format, file name extensions that may carry it) (S35).
ALLOWED_IMAGES: dict[str, tuple[str, frozenset[str]]] = {
    "image/png": ("PNG", frozenset({".png"})),
    "image/jpeg": ("JPEG", frozenset({".jpg", ".jpeg"})),
    "image/webp": ("WEBP", frozenset({".webp"})),
}
_HASH_RE = re.compile(r"^[0-9a-f]{64}$")


class UploadError(DomainError):
    """An uploaded file we refuse: kind TOO_LARGE when it is over its limit, else INVALID."""


def image_path(upload_dir: str | os.PathLike[str], content_hash: str) -> Path:
    """Where the image with this hash lives. Raises ValueError for anything but a SHA-256 hex digest."""
    if not _HASH_RE.match(content_hash or ""):
        raise ValueError("not a content hash")
    return Path(upload_dir) / "images" / content_hash[:2] / f"{content_hash}.png"


def _read_limited(file_storage: Any, max_bytes: int) -> bytes:
    stream = file_storage.stream
    with contextlib.suppress(AttributeError, OSError):
        stream.seek(0)
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(_l("The image is larger than %(size)s MB. Please choose a smaller file.",
                             size=f"{max_bytes / (1024 * 1024):g}"), kind=Problem.TOO_LARGE)
    return data


def _decode(data: bytes, pil_format: str) -> Image.Image:
    """Open, check and fully decode the image. Raises UploadError."""
    unreadable = UploadError(_l("The image could not be read. Please save it again as PNG, JPEG or WebP."))
    too_big = UploadError(_l("The image is too large in width or height (at most %(px)d pixels a side).",
                             px=MAX_SIDE_IN))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # verify() checks the structure without decoding; the image must then be reopened.
            with Image.open(BytesIO(data), formats=[pil_format]) as probe:
                width, height = probe.size
                if width > MAX_SIDE_IN or height > MAX_SIDE_IN or width * height > MAX_PIXELS:
                    raise too_big
                probe.verify()
            image = Image.open(BytesIO(data), formats=[pil_format])
            image.load()
    except UploadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_big from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise unreadable from None
    return image


def _clean_png(image: Image.Image) -> bytes:
    """Re-encode as PNG from pixels only: no EXIF, no text chunks, no ICC profile."""
    image = ImageOps.exif_transpose(image)  # keep the orientation the camera meant, drop the tag
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        has_alpha = image.mode.endswith("A") or (image.mode == "P" and "transparency" in image.info)
        image = image.convert("RGBA" if has_alpha else "RGB")
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


# Temporary files of write_atomically; the orphan sweep removes stale ones (app.core.files).
TMP_PREFIX = ".tmp-"


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see no file or the whole file, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, path)  # readers see the old file or the whole new one, never half
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def store_image(file_storage: Any, *, max_bytes: int, upload_dir: str | os.PathLike[str]) -> str:
    """Validate, re-encode and store an uploaded PNG/JPEG/WebP image; return its SHA-256 hash.

    Raises UploadError (a DomainError, status 400, or 413 when larger than `max_bytes`).
    """
    data = _read_limited(file_storage, max_bytes)
    if not data:
        raise UploadError(_l("The file is empty. Please choose an image."))
    kind = filetype.guess(data)
    if kind is None or kind.mime not in ALLOWED_IMAGES:
        raise UploadError(_l("Only PNG, JPEG or WebP images can be uploaded."))
    pil_format, extensions = ALLOWED_IMAGES[kind.mime]
    extension = Path(file_storage.filename or "").suffix.lower()
    if extension not in extensions:
        raise UploadError(_l("The file name does not match its content: it is a %(kind)s image. "
                             "Please rename it or save it again.", kind=pil_format))
    image = _decode(data, pil_format)
    try:
        encoded = _clean_png(image)
    except (OSError, ValueError):
        raise UploadError(_l("The image could not be read. Please save it again as PNG, JPEG or WebP.")) from None
    finally:
        image.close()
    digest = hashlib.sha256(encoded).hexdigest()
    target = image_path(upload_dir, digest)
    if not target.exists():
        write_atomically(target, encoded)
    return digest
