"""The GraphQL multipart request spec (file uploads), sans-IO.

A ``multipart/form-data`` body carries an ``operations`` field (the JSON
request, with ``null`` where files go), a ``map`` field (JSON object from file
field name to the list of object paths that file fills, such as
``"variables.file"`` or ``"variables.files.0"``), then the file fields.
:func:`parse_upload_request` checks all of it and returns the operation with
the files in place, ready for Strawberry's ``Upload`` scalar. The file objects
are made by the ``make_file`` factory the caller passes in (the HTTP consumer
makes Django ``UploadedFile`` objects); the default makes an :class:`UploadFile`,
so this module imports no framework. Every malformed input is an :class:`HTTPError` ``400``; a
body over the size limit is a ``413``.

CSRF: a multipart POST is a "simple request" that a browser sends cross-site
without a CORS preflight. :func:`check_csrf_preflight` therefore requires one of
:data:`PREFLIGHT_HEADERS` with a non-empty value. Browsers only attach such a
header to a cross-origin request after a successful preflight, so a forged form
post from another site is refused with ``400``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from typing import Any

from .graphql_http import GraphQLRequestParams, HTTPError, params_from_json

__all__ = [
    "PREFLIGHT_HEADERS",
    "FileFactory",
    "FormPart",
    "UploadFile",
    "check_csrf_preflight",
    "parse_form_data",
    "parse_upload_request",
]

#: Any of these request headers (non-empty) proves the request was preflighted.
PREFLIGHT_HEADERS = (
    "apollo-require-preflight",
    "graphql-preflight",
    "x-apollo-operation-name",
    "x-csrf-token",
    "x-csrftoken",
)

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class UploadFile(io.BytesIO):
    """An uploaded file held in memory: a binary file object with a name and type.

    Args:
        name: the file name the client sent.
        data: the file's content.
        content_type: the part's ``Content-Type``.
    """

    def __init__(self, name: str, data: bytes, content_type: str) -> None:
        super().__init__(data)
        self.name = name
        self.content_type = content_type
        self.size = len(data)


#: Makes the object a resolver receives for one file: ``(name, data, content_type)``.
FileFactory = Callable[[str, bytes, str], object]


class FormPart:
    """One field of a ``multipart/form-data`` body."""

    __slots__ = ("content_type", "data", "filename", "name")

    def __init__(
        self, name: str, data: bytes, filename: str | None = None, content_type: str | None = None
    ) -> None:
        self.name = name
        self.data = data
        self.filename = filename
        self.content_type = content_type


def check_csrf_preflight(headers: Mapping[str, str]) -> None:
    """Refuse an upload that carries none of :data:`PREFLIGHT_HEADERS`."""
    for name in PREFLIGHT_HEADERS:
        if headers.get(name):
            return
    raise HTTPError(
        400,
        "Multipart uploads must carry one of the headers "
        + ", ".join(PREFLIGHT_HEADERS)
        + " (CSRF protection)",
    )


def _disposition(value: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, raw in _PARAM.findall(value):
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
        params[key.lower()] = raw
    return params


def parse_form_data(body: bytes, boundary: str) -> list[FormPart]:
    """Split a ``multipart/form-data`` body into its fields."""
    if not boundary or len(boundary) > 200:
        raise HTTPError(400, "The multipart boundary is missing or invalid")
    delimiter = b"\r\n--" + boundary.encode("latin-1", "replace")
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 2:
        raise HTTPError(400, "The multipart body has no parts")
    parts: list[FormPart] = []
    closed = False
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            closed = True
            break
        head, sep, data = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise HTTPError(400, "A multipart part has no header block")
        headers: dict[str, str] = {}
        for line in head.split(b"\r\n")[1:]:
            name, colon, value = line.decode("utf-8", "replace").partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        if not disposition.lower().startswith("form-data"):
            raise HTTPError(400, "A multipart part is not form-data")
        params = _disposition(disposition)
        if "name" not in params:
            raise HTTPError(400, "A multipart part has no name")
        parts.append(
            FormPart(params["name"], data, params.get("filename"), headers.get("content-type"))
        )
    if not closed:
        raise HTTPError(400, "The multipart body is truncated")
    return parts


def _decode(
    name: str, part: FormPart | None, decode_json: Callable[[str | bytes], object]
) -> object:
    if part is None:
        raise HTTPError(400, f"The multipart request has no '{name}' field")
    try:
        return decode_json(part.data)
    except (ValueError, RecursionError):
        raise HTTPError(400, f"The '{name}' field is not valid JSON") from None


def _place(operations: dict[str, Any], path: str, value: object) -> None:
    keys = path.split(".")
    target: Any = operations
    for index, key in enumerate(keys):
        last = index == len(keys) - 1
        if isinstance(target, dict):
            if key not in target:
                break
            if last:
                target[key] = value
                return
            target = target[key]
        elif isinstance(target, list):
            if not key.isdigit() or int(key) >= len(target):
                break
            if last:
                target[int(key)] = value
                return
            target = target[int(key)]
        else:
            break
    raise HTTPError(400, f"The map path '{path}' does not exist in 'operations'")


def parse_upload_request(
    body: bytes,
    boundary: str,
    decode_json: Callable[[str | bytes], object],
    max_size: int | None = None,
    make_file: FileFactory = UploadFile,
) -> GraphQLRequestParams:
    """Decode a multipart upload request into one operation with its files.

    Batched ``operations`` (a JSON list) are refused with ``400``.

    Args:
        body: the request body.
        boundary: the ``boundary`` parameter of the ``Content-Type``.
        decode_json: decodes the ``operations`` and ``map`` fields.
        max_size: largest body accepted (``413`` beyond).
        make_file: makes the object put in place of each file.
    """
    if max_size is not None and len(body) > max_size:
        raise HTTPError(413, f"The upload is larger than {max_size} bytes")
    parts = parse_form_data(body, boundary)
    fields = {part.name: part for part in parts}
    operations = _decode("operations", fields.get("operations"), decode_json)
    mapping = _decode("map", fields.get("map"), decode_json)
    if isinstance(operations, list):
        raise HTTPError(400, "Batched operations are not supported")
    if not isinstance(operations, dict):
        raise HTTPError(400, "The 'operations' field must be a JSON object")
    if not isinstance(mapping, dict):
        raise HTTPError(400, "The 'map' field must be a JSON object")
    for field_name, paths in mapping.items():
        if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
            raise HTTPError(400, f"The map entry '{field_name}' must be a list of paths")
        part = fields.get(field_name)
        if part is None or part.filename is None:
            raise HTTPError(400, f"The file '{field_name}' named in 'map' is missing")
        for path in paths:
            upload = make_file(
                part.filename, part.data, part.content_type or "application/octet-stream"
            )
            _place(operations, path, upload)
    return params_from_json(operations)
