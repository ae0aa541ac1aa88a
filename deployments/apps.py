from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = "Deployment control"

    def ready(self) -> None:
        from deployments.demo import seed_deployments_demo
        from deployments.selectors import active_deployment_pairs
        from governance.services import register_active_deployments
        from mlgov.demo import register_demo_step

        register_active_deployments(active_deployment_pairs)
        register_demo_step("deployments", seed_deployments_demo)
