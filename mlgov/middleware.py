"""Request middleware of the project."""

from auditlog.middleware import AuditlogMiddleware

from mlgov.http import client_ip


class AuditActorMiddleware(AuditlogMiddleware):
    """Auditlog's middleware, taking the client address from the trusted
    proxy header only, never from a raw X-Forwarded-For."""

    @staticmethod
    def _get_remote_addr(request):
        return client_ip(request)

    @staticmethod
    def _get_remote_port(request):
        return None
