"""Files: what the emulator keeps of uploads (documents, photo size ladders), how a method's
input file resolves (upload, file_id or URL), and getFile."""

from __future__ import annotations

import mimetypes
from typing import Any

from sandbox.telegram.errors import ApiError
from sandbox.telegram.records import StoredFile, UploadedFile
from sandbox.telegram.store import Store


class FileMethods(Store):
    """getFile, and the file storage that sending and users' uploads share."""

    def _store_file(
        self, content: bytes | None, file_name: str | None, mime_type: str | None, folder: str
    ) -> StoredFile:
        n = next(self._file_ids)
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        if mime_type is None and file_name:
            mime_type = mimetypes.guess_type(file_name)[0]
        stored = StoredFile(
            file_id=f"SANDBOX-FILE-{n:06d}",
            file_unique_id=f"U{n:06d}",
            file_path=f"{folder}/file_{n}{ext}",
            content=content,
            file_name=file_name,
            mime_type=mime_type,
        )
        self.files[stored.file_id] = stored
        return stored

    @staticmethod
    def _document_dict(stored: StoredFile) -> dict[str, Any]:
        doc: dict[str, Any] = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.file_name:
            doc["file_name"] = stored.file_name
        if stored.mime_type:
            doc["mime_type"] = stored.mime_type
        if stored.file_size is not None:
            doc["file_size"] = stored.file_size
        return doc

    def _photo_sizes(self, content: bytes | None, ext: str) -> list[dict[str, Any]]:
        """Telegram's thumbnail ladder; only the largest size carries the real bytes."""
        sizes = []
        for width, height in ((90, 67), (320, 240), (1280, 960)):
            is_full = width == 1280
            data = (
                content if is_full else (content[: max(len(content) // 20, 1)] if content else None)
            )
            stored = self._store_file(data, f"photo.{ext}", "image/jpeg", "photos")
            size: dict[str, Any] = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "width": width,
                "height": height,
            }
            if stored.file_size is not None:
                size["file_size"] = stored.file_size
            sizes.append(size)
        return sizes

    def _resolve_input_file(
        self, value: Any, files: dict[str, UploadedFile], param: str, folder: str
    ) -> StoredFile:
        upload = files.get(param)
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value.removeprefix("attach://"))
        if upload is not None:
            return self._store_file(upload.content, upload.filename, None, folder)
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            return self._store_file(None, name, None, folder)
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    async def _get_file(self, p: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        stored = self.files.get(str(p["file_id"]))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        out: dict[str, Any] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_path": stored.file_path,
        }
        if stored.file_size is not None:
            out["file_size"] = stored.file_size
        return out
