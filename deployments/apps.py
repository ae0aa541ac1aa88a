from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = "Deployment control"

    def ready(self) -> None:
        from deployments.selectors import active_deployment_pairs
        from governance.services import register_active_deployments

        register_active_deployments(active_deployment_pairs)
