from django.apps import AppConfig


class CommandCenterConfig(AppConfig):
    name = "command_center"
    verbose_name = "Command center"

    def ready(self) -> None:
        from command_center.demo import seed_command_center_demo
        from command_center.services import store_simulation_run
        from governance.services import register_simulation_store
        from mlgov.demo import register_demo_step

        register_demo_step("command center", seed_command_center_demo)
        register_simulation_store(store_simulation_run)
