"""Errors a user may see. `message` is Bahasa Indonesia, ready for the page or the CLI."""

from __future__ import annotations


class ServiceError(Exception):
    """A refused request; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServiceError):
    pass


class AuthenticationFailed(ServiceError):
    pass


class AccountLocked(ServiceError):
    pass


class NotAuthenticated(ServiceError):
    def __init__(self, message: str = "Sesi Anda telah berakhir. Silakan masuk kembali.") -> None:
        super().__init__(message)


class PermissionDenied(ServiceError):
    def __init__(self, message: str = "Anda tidak memiliki akses ke halaman ini.") -> None:
        super().__init__(message)


class PasswordChangeRequired(PermissionDenied):
    """The account still has the generated password an admin was shown: nothing but the
    change-password page until its owner has set one of their own."""

    def __init__(
        self,
        message: str = "Ganti kata sandi Anda terlebih dahulu: akun ini masih memakai kata "
        "sandi dari admin.",
    ) -> None:
        super().__init__(message)


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    pass


class ServerBusy(ServiceError):
    """Too much work queued (e.g. password checks): try again shortly."""
