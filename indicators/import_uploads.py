"""An uploaded file to import, in the admin: refused as it arrives once it is larger than the
limit (``UploadLimit``), and kept between the preview and its confirmation (``UploadStore``).
"""

import os
import secrets
import time
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.views.decorators.csrf import csrf_protect


class UploadLimit(FileUploadHandler):
    """Stops taking a file as soon as it is larger than the limit: the rest of the request is read
    and thrown away, never kept in memory or on disk."""

    def __init__(self, limit, request=None):
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handlers keep the file


def with_upload_limit(view, request, limit):
    """``view(request, limiter)`` with the upload limit in place before the body is read, and CSRF
    checked after it (both import pages are csrf_exempt for this order); ``limiter`` is None when
    the request was read already, and the form checks the size instead."""
    limiter = UploadLimit(limit, request)
    try:
        request.upload_handlers = [limiter, *request.upload_handlers]
    except AttributeError:
        limiter = None
    return csrf_protect(view)(request, limiter)


class AlreadyImported(Exception):
    pass


class BeingImported(Exception):
    pass


class UploadStore:
    """The uploaded file between preview and confirmation, in a private directory under var/.

    The form carries only a signed ticket (the file's random name and the options, bound to
    the user), so nobody can make the server read a file of their choosing. Confirming claims the
    file by renaming it (``<token>.importing``), which only one request can do; once imported a
    marker (``<token>.done``) says so to a second confirmation.

    An import in the background (``import_jobs``) keeps its ticket on its job: the check task
    reads the waiting file (``read``), the confirmation claims it as above, and the writing task
    reads the claimed file (``claimed``) and finishes or releases it. The worker must therefore
    see the same var/ directory (``SMEDASH_VAR_DIR``) as the web servers.
    """

    SALT = "smedash.import"
    MAX_AGE = 3600

    @classmethod
    def directory(cls):
        folder = Path(settings.VAR_DIR) / "imports"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        return folder

    @classmethod
    def keep(cls, name, content, lang, publish, user):
        folder = cls.directory()
        for old in folder.iterdir():  # uploads never confirmed, and old markers
            try:
                if old.stat().st_mtime < time.time() - cls.MAX_AGE:
                    old.unlink(missing_ok=True)
            except FileNotFoundError:
                pass  # removed meanwhile by another request
        token = secrets.token_hex(16)
        (folder / token).write_bytes(content)
        data = {"token": token, "name": name, "lang": lang, "publish": publish, "user": user.pk}
        return signing.dumps(data, salt=cls.SALT)

    @classmethod
    def _paths(cls, ticket, user=None, max_age=MAX_AGE):
        data = signing.loads(ticket, salt=cls.SALT, max_age=max_age)
        if user is not None and data["user"] != user.pk:
            raise signing.BadSignature("another user's upload")
        base = cls.directory() / data["token"]
        return data, base, base.with_suffix(".importing"), base.with_suffix(".done")

    @classmethod
    def claim(cls, ticket, user, read=True):
        """The upload, for this request alone; ``AlreadyImported``, ``BeingImported`` or
        FileNotFoundError (expired) otherwise. ``read=False``: claimed for a task to read later."""
        data, waiting, claimed, done = cls._paths(ticket, user)
        try:
            os.rename(waiting, claimed)  # atomic: a second request finds the file gone
        except FileNotFoundError:
            if done.exists():
                raise AlreadyImported from None
            if claimed.exists():
                raise BeingImported from None
            raise
        # Its age starts again: old files are swept (``keep``), not one being imported.
        os.utime(claimed)
        return {**data, "content": claimed.read_bytes() if read else None}

    @classmethod
    def read(cls, ticket):
        """The waiting (not yet claimed) upload's bytes; FileNotFoundError once swept away."""
        _data, waiting, _claimed, _done = cls._paths(ticket, max_age=None)
        return waiting.read_bytes()

    @classmethod
    def claimed(cls, ticket):
        """The claimed upload's bytes, for the task that writes it."""
        _data, _waiting, claimed, _done = cls._paths(ticket, max_age=None)
        return claimed.read_bytes()

    @classmethod
    def discard(cls, ticket):
        """A waiting upload that will not be imported (its check found problems)."""
        _data, waiting, _claimed, _done = cls._paths(ticket, max_age=None)
        waiting.unlink(missing_ok=True)

    @classmethod
    def finish(cls, ticket):
        _data, _waiting, claimed, done = cls._paths(ticket, max_age=None)
        done.touch()
        claimed.unlink(missing_ok=True)

    @classmethod
    def release(cls, ticket):
        """Not imported (the file or the figures had a problem): the upload is thrown away."""
        _data, _waiting, claimed, _done = cls._paths(ticket, max_age=None)
        claimed.unlink(missing_ok=True)
